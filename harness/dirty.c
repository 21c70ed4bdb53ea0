#include "dirty.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timing.h"

static pthread_once_t pagemap_once = PTHREAD_ONCE_INIT;
static int pagemap_fd = -1;
static int pagemap_errno;

static void pagemap_open(void)
{
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap_fd < 0)
		pagemap_errno = errno;
}

int dirty_pagemap_fd(void)
{
	pthread_once(&pagemap_once, pagemap_open);
	return pagemap_fd >= 0 ? pagemap_fd : -pagemap_errno;
}

int dirty_scanner_init(struct dirty_scanner *ds, size_t vec_len, struct fb_err *err)
{
	memset(ds, 0, sizeof(*ds));
	ds->fd = dirty_pagemap_fd();
	if (ds->fd < 0) {
		fb_errf(err, "cannot open /proc/self/pagemap: %s", strerror(-ds->fd));
		return ds->fd;
	}
	ds->vec_len = vec_len ? vec_len : 4096;
	ds->vec = calloc(ds->vec_len, sizeof(*ds->vec));
	if (!ds->vec) {
		fb_errf(err, "no memory for a PAGEMAP_SCAN buffer of %zu entries", ds->vec_len);
		return -ENOMEM;
	}
	return 0;
}

void dirty_scanner_free(struct dirty_scanner *ds)
{
	free(ds->vec);
	ds->vec = NULL;
	ds->vec_len = 0;
}

static uint64_t mark_run(const char *base, uint64_t page_size, uint64_t s, uint64_t e,
			 uint64_t *bitmap)
{
	uint64_t first = (s - (uintptr_t)base) / page_size, last = (e - 1 - (uintptr_t)base) / page_size;
	uint64_t n = 0;

	for (uint64_t p = first; p <= last; p++) {
		uint64_t m = 1ULL << (p & 63);

		if (!(__atomic_fetch_or(&bitmap[p >> 6], m, __ATOMIC_RELAXED) & m))
			n++;
	}
	return n;
}

int dirty_scan(struct dirty_scanner *ds, const char *base, uint64_t page_size, const char *start,
	       uint64_t len, bool reprotect, uint64_t *bitmap, struct dirty_scan_stats *st)
{
	struct pm_scan_arg a;
	uint64_t at = (uintptr_t)start, end = (uintptr_t)start + len, t0;
	struct dirty_scan_stats local = { 0 };

	if (!st)
		st = &local;
	while (at < end) {
		long n;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.flags = reprotect ? PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC : 0;
		a.start = at;
		a.end = end;
		a.vec = (uintptr_t)ds->vec;
		a.vec_len = ds->vec_len;
		/* exactly PAGE_IS_WRITTEN in both masks: the kernel's fast path,
		 * which also arms markers on empty ptes when re-protecting */
		a.category_mask = PAGE_IS_WRITTEN;
		a.return_mask = PAGE_IS_WRITTEN;
		t0 = fb_mono_ns();
		n = ioctl(ds->fd, PAGEMAP_SCAN, &a);
		st->ns += fb_mono_ns() - t0;
		st->ioctls++;
		if (n < 0)
			return -errno;
		st->regions += (uint64_t)n;
		for (long i = 0; i < n; i++)
			st->pages += mark_run(base, page_size, ds->vec[i].start, ds->vec[i].end, bitmap);
		/* walk_end: where the kernel stopped (a full vec); go on from there */
		if (a.walk_end <= at)
			return -EIO;
		at = a.walk_end;
	}
	return 0;
}

int dirty_writeprotect(int uffd, void *start, uint64_t len, bool wp)
{
	struct uffdio_writeprotect w;

	for (;;) {
		w = (struct uffdio_writeprotect){
			.range = { .start = (uintptr_t)start, .len = len },
			.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
		};
		if (!ioctl(uffd, UFFDIO_WRITEPROTECT, &w))
			return 0;
		if (errno != EAGAIN)
			return -errno;
	}
}

int dirty_wp_prefault(char *p, uint64_t len, bool populate)
{
	volatile char x = 0;

	if (populate)
		return madvise(p, len, MADV_POPULATE_READ) ? -errno : 0;
	for (uint64_t off = 0; off < len; off += 4096)
		x ^= *(volatile char *)(p + off);
	(void)x;
	return 0;
}

int dirty_pagemap_entry(const void *addr, uint64_t *entry)
{
	int fd = dirty_pagemap_fd();
	long ps = sysconf(_SC_PAGESIZE);

	if (fd < 0)
		return fd;
	if (pread(fd, entry, sizeof(*entry), (off_t)((uintptr_t)addr / (uint64_t)ps * 8)) != sizeof(*entry))
		return -EIO;
	return 0;
}

void dirty_compare(const uint64_t *dirty, const uint64_t *expected, const uint64_t *ignore,
		   uint64_t npages, struct dirty_diff *d)
{
	memset(d, 0, sizeof(*d));
	d->first_missing = d->first_extra = -1;
	for (uint64_t w = 0; w < dirty_words(npages); w++) {
		uint64_t valid = (w + 1) * 64 <= npages ? ~0ULL : (1ULL << (npages & 63)) - 1;
		uint64_t keep = valid & ~(ignore ? ignore[w] : 0);
		uint64_t dw = dirty[w] & keep, ew = expected[w] & keep;
		uint64_t miss = ew & ~dw, extra = dw & ~ew;

		d->dirty += (uint64_t)__builtin_popcountll(dw);
		d->expected += (uint64_t)__builtin_popcountll(ew);
		d->missing += (uint64_t)__builtin_popcountll(miss);
		d->extra += (uint64_t)__builtin_popcountll(extra);
		if (miss && d->first_missing < 0)
			d->first_missing = (int64_t)(w * 64 + (uint64_t)__builtin_ctzll(miss));
		if (extra && d->first_extra < 0)
			d->first_extra = (int64_t)(w * 64 + (uint64_t)__builtin_ctzll(extra));
	}
}

uint64_t dirty_count(const uint64_t *b, uint64_t npages)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < dirty_words(npages); w++) {
		uint64_t valid = (w + 1) * 64 <= npages ? ~0ULL : (1ULL << (npages & 63)) - 1;

		n += (uint64_t)__builtin_popcountll(b[w] & valid);
	}
	return n;
}

long dirty_vmpte_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}
