/* Write-protect over ranges from 4K to 1G, and PAGEMAP_SCAN over them.
 *
 * bm_uffd_wp_empty          UFFDIO_WRITEPROTECT of a never-touched range:
 *                           without WP_UNPOPULATED there is nothing to protect
 * bm_uffd_wp_unpopulated    the same with UFFD_FEATURE_WP_UNPOPULATED (6.4+):
 *                           the kernel allocates page tables and installs a
 *                           marker in every PTE
 * bm_uffd_wp_populated      a range whose pages are all present (the
 *                           protect half of a snapshot round)
 * bm_pagemap_scan           PAGEMAP_SCAN for written pages (WP_ASYNC), all written
 * bm_pagemap_scan_wp        the same, and write-protect what it finds
 *                           (PM_SCAN_WP_MATCHING: a dirty-tracking round)
 *
 * Manual time: only the ioctl is timed. A range is used once when using it
 * changes it (fresh address space for the empty ones; the populated and
 * scanned ones are put back untimed: unprotect, or write every page again). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "micro.h"

static int wp_range(int uffd, char *p, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) ? -errno : 0;
}

static void wp_failed(gb_state *st, int e, size_t len, bool protect)
{
	micro_skipf(st, "UFFDIO_WRITEPROTECT (%s) of %zu bytes failed: %s",
		    protect ? "protect" : "unprotect", len, strerror(-e));
}

static int wp_or_skip(gb_state *st, int uffd, char *p, size_t len, bool protect)
{
	int e = wp_range(uffd, p, len, protect);

	if (e)
		wp_failed(st, e, len, protect);
	return e;
}

/* Empty ranges: many slots of `size` per mapping, each at its own 2M-aligned
 * stride so that no slot finds page tables another one allocated. */
struct slots {
	int uffd;
	char *map;
	size_t map_len, size, stride, n, next;
};

static int slots_refill(gb_state *st, struct slots *s)
{
	micro_unmap(s->map, s->map_len);
	s->map = micro_map(st, s->map_len, s->stride,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	s->next = 0;
	if (!s->map || micro_madvise(st, s->map, s->map_len, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE"))
		return -1;
	return micro_register(st, s->uffd, s->map, s->map_len, UFFDIO_REGISTER_MODE_WP,
			      1ULL << _UFFDIO_WRITEPROTECT);
}

static void wp_empty(gb_state *st, uint64_t features)
{
	struct slots s = { .size = (size_t)gb_range(st, 0) };
	int e;

	s.stride = s.size > MICRO_HPAGE ? s.size : MICRO_HPAGE;
	s.n = (512UL << 20) / s.stride;
	s.n = s.n < 1 ? 1 : s.n > 256 ? 256 : s.n;
	s.map_len = s.n * s.stride;
	s.uffd = micro_uffd(st, UFFD_FEATURE_PAGEFAULT_FLAG_WP | features);
	if (s.uffd < 0)
		return;
	if (!slots_refill(st, &s)) {
		while (gb_keep_running(st)) {
			double t0, t1;

			if (s.next == s.n && slots_refill(st, &s))
				break;
			t0 = micro_now();
			e = wp_range(s.uffd, s.map + s.next++ * s.stride, s.size, true);
			t1 = micro_now();
			if (e) {
				wp_failed(st, e, s.size, true);
				break;
			}
			gb_set_iteration_time(st, t1 - t0);
		}
	}
	gb_set_items_processed(st, gb_iteration_count(st) * (int64_t)(s.size / MICRO_PAGE));
	micro_unmap(s.map, s.map_len);
	close(s.uffd);
}

static void bm_uffd_wp_empty(gb_state *st) { wp_empty(st, 0); }
static void bm_uffd_wp_unpopulated(gb_state *st) { wp_empty(st, UFFD_FEATURE_WP_UNPOPULATED); }

static char *populated_range(gb_state *st, size_t len)
{
	char *p = micro_map(st, len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	if (p && (micro_madvise(st, p, len, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE") ||
		  micro_madvise(st, p, len, MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE"))) {
		micro_unmap(p, len);
		return NULL;
	}
	return p;
}

static void bm_uffd_wp_populated(gb_state *st)
{
	size_t len = (size_t)gb_range(st, 0);
	int uffd = micro_uffd(st, UFFD_FEATURE_PAGEFAULT_FLAG_WP), e;
	char *p = NULL;

	if (uffd < 0)
		return;
	p = populated_range(st, len);
	if (p && !micro_register(st, uffd, p, len, UFFDIO_REGISTER_MODE_WP,
				 1ULL << _UFFDIO_WRITEPROTECT)) {
		while (gb_keep_running(st)) {
			double t0 = micro_now(), t1;

			e = wp_range(uffd, p, len, true);
			t1 = micro_now();
			if (e) {
				wp_failed(st, e, len, true);
				break;
			}
			if (wp_or_skip(st, uffd, p, len, false))
				break;
			gb_set_iteration_time(st, t1 - t0);
		}
	}
	gb_set_items_processed(st, gb_iteration_count(st) * (int64_t)(len / MICRO_PAGE));
	micro_unmap(p, len);
	close(uffd);
}

/* PAGEMAP_SCAN: a range registered for async write-protect (the kernel
 * resolves WP faults itself and the PTE says "written"), all of it written */
static long scan(int pagemap, char *p, size_t len, uint64_t flags, struct page_region *vec,
		 size_t nvec)
{
	struct pm_scan_arg a = {
		.size = sizeof(a),
		.flags = flags,
		.start = (uintptr_t)p,
		.end = (uintptr_t)p + len,
		.vec = (uintptr_t)vec,
		.vec_len = nvec,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};
	long n = ioctl(pagemap, PAGEMAP_SCAN, &a);

	return n < 0 ? -errno : n;
}

static void pagemap_scan(gb_state *st, uint64_t flags)
{
	size_t len = (size_t)gb_range(st, 0);
	struct page_region vec[16];
	int uffd, pagemap = -1;
	char *p = NULL;
	long n = 1;

	if (micro_need_pagemap_scan(st))
		return;
	uffd = micro_uffd(st, UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_ASYNC |
				      UFFD_FEATURE_WP_UNPOPULATED);
	if (uffd < 0)
		return;
	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	p = micro_map(st, len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (pagemap < 0) {
		micro_skipf(st, "open /proc/self/pagemap: %s", strerror(errno));
	} else if (p && !micro_madvise(st, p, len, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE") &&
		   !micro_register(st, uffd, p, len, UFFDIO_REGISTER_MODE_WP,
				   1ULL << _UFFDIO_WRITEPROTECT) &&
		   !wp_or_skip(st, uffd, p, len, true) &&
		   !micro_madvise(st, p, len, MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE")) {
		while (gb_keep_running(st)) {
			double t0 = micro_now(), t1;

			n = scan(pagemap, p, len, flags, vec, 16);
			t1 = micro_now();
			/* every page written: one region, the whole range */
			if (n != 1 || vec[0].start != (uintptr_t)p || vec[0].end != (uintptr_t)p + len)
				break;
			gb_set_iteration_time(st, t1 - t0);
			/* the scan protected them again: write them all again */
			if ((flags & PM_SCAN_WP_MATCHING) &&
			    micro_madvise(st, p, len, MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE"))
				break;
		}
		if (n < 0)
			micro_skipf(st, "PAGEMAP_SCAN of %zu bytes failed: %s", len, strerror((int)-n));
		else if (n != 1 && !gb_error_occurred(st))
			micro_skipf(st, "PAGEMAP_SCAN found %ld written regions, expected the whole range", n);
	}
	gb_set_items_processed(st, gb_iteration_count(st) * (int64_t)(len / MICRO_PAGE));
	micro_unmap(p, len);
	if (pagemap >= 0)
		close(pagemap);
	close(uffd);
}

static void bm_pagemap_scan(gb_state *st) { pagemap_scan(st, 0); }
static void bm_pagemap_scan_wp(gb_state *st)
{
	pagemap_scan(st, PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC);
}

GB_INIT(wp)
{
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_uffd_wp_empty", bm_uffd_wp_empty)), GB_US));
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_uffd_wp_unpopulated",
							   bm_uffd_wp_unpopulated)), GB_US));
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_uffd_wp_populated",
							   bm_uffd_wp_populated)), GB_US));
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_pagemap_scan", bm_pagemap_scan)), GB_US));
	micro_sizes(gb_unit(gb_use_manual_time(gb_register("bm_pagemap_scan_wp", bm_pagemap_scan_wp)),
			    GB_US));
}
