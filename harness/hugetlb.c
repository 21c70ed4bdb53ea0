#include "hugetlb.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

#define MAX_POOLS 4

/* What we added to each pool. Restoring subtracts it from the pool's value
 * at that moment rather than writing back an old absolute value, so two
 * runs that raise the same pool at once each give back only their own
 * pages. Only touched from the main thread and, to read, from signal
 * handlers; `armed` is set last. */
static struct {
	char path[160];
	volatile uint64_t added;
	volatile sig_atomic_t armed;
} saved[MAX_POOLS];

static void pool_path(char *buf, size_t n, uint64_t page_size, const char *file)
{
	snprintf(buf, n, "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/%s", page_size / 1024,
		 file);
}

static int read_u64_file(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	unsigned long long x;
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -EIO;
	*v = x;
	return 0;
}

/* The signal-safe readers and writers: open/read/write/close only. */
static int read_u64_raw(const char *path, uint64_t *v)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	uint64_t x = 0;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		x = x * 10 + (uint64_t)(buf[i] - '0');
	*v = x;
	return 0;
}

static int write_u64_raw(const char *path, uint64_t v)
{
	char buf[32], *p = buf + sizeof(buf);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len, w;

	if (fd < 0)
		return -errno;
	*--p = '\n';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	len = buf + sizeof(buf) - p;
	w = write(fd, p, (size_t)len);
	close(fd);
	return w == len ? 0 : -EIO;
}

void hugetlb_restore_all(void)
{
	for (int i = 0; i < MAX_POOLS; i++) {
		uint64_t now;

		if (!saved[i].armed)
			continue;
		saved[i].armed = 0;
		if (read_u64_raw(saved[i].path, &now))
			continue;
		write_u64_raw(saved[i].path, now > saved[i].added ? now - saved[i].added : 0);
	}
}

static void restore_at_exit(void)
{
	hugetlb_restore_all();
}

static int note_added(const char *path, uint64_t added)
{
	static int atexit_done;

	if (!atexit_done) {
		atexit(restore_at_exit);
		atexit_done = 1;
	}
	for (int i = 0; i < MAX_POOLS; i++) {
		if (saved[i].armed && !strcmp(saved[i].path, path)) {
			saved[i].added += added;
			return 0;
		}
	}
	for (int i = 0; i < MAX_POOLS; i++) {
		if (saved[i].armed)
			continue;
		snprintf(saved[i].path, sizeof(saved[i].path), "%s", path);
		saved[i].added = added;
		saved[i].armed = 1;
		return 0;
	}
	return -ENOSPC;
}

int hugetlb_reserve(struct hugetlb_reservation *r, const struct host_caps *h, uint64_t page_size,
		    uint64_t needed, bool allowed, char *why, size_t n)
{
	char nr_path[160], free_path[160], resv_path[160];
	uint64_t nr, free_pages, resv = 0, avail, deficit, target, cap;
	const char *env;
	int rc;

	memset(r, 0, sizeof(*r));
	r->page_size = page_size;
	r->needed = needed;
	pool_path(nr_path, sizeof(nr_path), page_size, "nr_hugepages");
	pool_path(free_path, sizeof(free_path), page_size, "free_hugepages");
	pool_path(resv_path, sizeof(resv_path), page_size, "resv_hugepages");
	if (read_u64_file(nr_path, &nr) || read_u64_file(free_path, &free_pages)) {
		snprintf(why, n, "no hugetlb pool of %" PRIu64 " kB pages on this kernel",
			 page_size / 1024);
		return 1;
	}
	read_u64_file(resv_path, &resv);
	avail = free_pages > resv ? free_pages - resv : 0;
	r->nr_before = nr;
	r->free_before = avail;
	if (avail >= needed)
		return 0;

	deficit = needed - avail;
	if (!allowed) {
		snprintf(why, n,
			 "needs %" PRIu64 " free %" PRIu64 " kB huge pages, the pool has %" PRIu64
			 " (raise vm.nr_hugepages, or drop --no-reserve-hugepages)",
			 needed, page_size / 1024, avail);
		return 1;
	}
	if (!h->root) {
		snprintf(why, n,
			 "needs %" PRIu64 " free %" PRIu64 " kB huge pages, the pool has %" PRIu64
			 "; only root can raise vm.nr_hugepages",
			 needed, page_size / 1024, avail);
		return 1;
	}
	if (h->mem_available && deficit * page_size > h->mem_available) {
		snprintf(why, n,
			 "needs %" PRIu64 " more %" PRIu64 " kB huge pages (%" PRIu64
			 " MiB) but only %" PRIu64 " MiB of memory is available",
			 deficit, page_size / 1024, deficit * page_size >> 20, h->mem_available >> 20);
		return 1;
	}

	target = nr + deficit;
	/* Test-only: pretend the kernel grants at most this many pages in all,
	 * to exercise the short-grant path for real. */
	env = getenv("FAULTBENCH_TEST_HUGETLB_CAP");
	if (env && *env) {
		cap = strtoull(env, NULL, 10);
		if (target > cap)
			target = cap > nr ? cap : nr;
	}
	rc = write_u64_raw(nr_path, target);
	if (read_u64_file(nr_path, &target) == 0 && target > nr) {
		r->raised_by = target - nr;
		note_added(nr_path, r->raised_by);
	}
	read_u64_file(free_path, &free_pages);
	read_u64_file(resv_path, &resv);
	avail = free_pages > resv ? free_pages - resv : 0;
	if (rc || avail < needed) {
		hugetlb_restore_all();
		r->raised_by = 0;
		snprintf(why, n,
			 "could reserve only %" PRIu64 " of %" PRIu64 " free %" PRIu64
			 " kB huge pages (memory too fragmented or too small); the pages added were given back",
			 avail, needed, page_size / 1024);
		return 1;
	}
	return 0;
}
