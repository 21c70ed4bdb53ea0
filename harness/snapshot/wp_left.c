/* After a strategy's cleanup: how many base pages of guest memory still
 * carry the uffd-wp bit in /proc/self/pagemap (bit 57; an empty pte's
 * marker counts too). A strategy that write-protects must leave none, even
 * when its take was interrupted: a protected page left in a range no longer
 * registered would make the next writer's fault a SIGBUS or a silent hang. */
#include <errno.h>
#include <unistd.h>

#include "dirty.h"
#include "snapshot/snap.h"

#define WP_LEFT_CHUNK 4096   /* pagemap entries per read: 32 KiB on the stack */

int snap_wp_pages_left(const void *base, uint64_t bytes, uint64_t *count)
{
	uint64_t ent[WP_LEFT_CHUNK], ps = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t first = (uintptr_t)base / ps, n = (bytes + ps - 1) / ps;
	int fd = dirty_pagemap_fd();

	*count = 0;
	if (fd < 0)
		return fd;
	for (uint64_t i = 0; i < n; i += WP_LEFT_CHUNK) {
		size_t want = (size_t)(n - i < WP_LEFT_CHUNK ? n - i : WP_LEFT_CHUNK) * 8;
		ssize_t got = pread(fd, ent, want, (off_t)((first + i) * 8));

		if (got < 0)
			return -errno;
		if ((size_t)got != want)
			return -EIO;
		for (size_t k = 0; k < want / 8; k++)
			*count += (ent[k] & DIRTY_PM_UFFD_WP) != 0;
	}
	return 0;
}
