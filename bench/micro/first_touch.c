/* One first-touch fault (a write of one byte to an empty page), per backing:
 * anon 4K, anon THP 2M, shmem, memfd, hugetlb 2M. No userfaultfd: the
 * kernel's own fault path, the floor the uffd figures compare with.
 * Manual time around the store; emptying the region again (MADV_DONTNEED,
 * MADV_REMOVE, or a fresh hugetlb mapping) is untimed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "micro.h"
#include "probe.h"

struct region {
	char *p;
	size_t len, pgsz;
	int fd;
	int flags;       /* mmap flags */
	int empty_advice; /* MADV_DONTNEED or MADV_REMOVE; 0: map again */
};

static int region_map(gb_state *st, struct region *r)
{
	r->p = micro_map(st, r->len, MICRO_HPAGE, r->flags, r->fd);
	if (!r->p)
		return -1;
	if (r->pgsz == MICRO_PAGE && r->fd < 0 && !(r->flags & MAP_SHARED))
		return micro_madvise(st, r->p, r->len, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE");
	if (r->pgsz == MICRO_HPAGE && !(r->flags & MAP_HUGETLB))
		return micro_madvise(st, r->p, r->len, MADV_HUGEPAGE, "MADV_HUGEPAGE");
	return 0;
}

static int region_empty(gb_state *st, struct region *r)
{
	if (r->empty_advice)
		return micro_madvise(st, r->p, r->len, r->empty_advice, "empty the region");
	micro_unmap(r->p, r->len);
	return region_map(st, r);
}

static void touch_loop(gb_state *st, struct region *r)
{
	size_t n = r->len / r->pgsz, i = 0;

	while (gb_keep_running(st)) {
		double t0, t1;

		if (i == n) {
			if (region_empty(st, r))
				break;
			i = 0;
		}
		t0 = micro_now();
		*(volatile char *)(r->p + i++ * r->pgsz) = 1;
		t1 = micro_now();
		gb_set_iteration_time(st, t1 - t0);
	}
	gb_set_items_processed(st, gb_iteration_count(st));
	gb_set_bytes_processed(st, gb_iteration_count(st) * (int64_t)r->pgsz);
}

static void first_touch(gb_state *st, struct region *r)
{
	if (!region_map(st, r))
		touch_loop(st, r);
	micro_unmap(r->p, r->len);
	if (r->fd >= 0)
		close(r->fd);
}

static void bm_first_touch_anon(gb_state *st)
{
	struct region r = { .len = 2UL << 20, .pgsz = MICRO_PAGE, .fd = -1,
			    .flags = MAP_PRIVATE | MAP_ANONYMOUS, .empty_advice = MADV_DONTNEED };

	first_touch(st, &r);
}

static unsigned long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	unsigned long kb = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void bm_first_touch_thp(gb_state *st)
{
	struct region r = { .len = 16UL << 20, .pgsz = MICRO_HPAGE, .fd = -1,
			    .flags = MAP_PRIVATE | MAP_ANONYMOUS, .empty_advice = MADV_DONTNEED };
	const struct host_caps *h = probe_host();
	unsigned long before;

	if (!h->thp_pmd_size || !strcmp(h->thp_enabled, "never")) {
		micro_skipf(st, "transparent huge pages are off (enabled: %s)",
			    h->thp_enabled[0] ? h->thp_enabled : "absent");
		return;
	}
	if (region_map(st, &r))
		goto out;
	/* one untimed touch: does the kernel hand out a huge page here? */
	before = anon_huge_kb();
	r.p[0] = 1;
	if (anon_huge_kb() < before + 2048) {
		micro_skipf(st, "the kernel gave no THP for a MADV_HUGEPAGE range "
			    "(fragmented memory, or defrag: %s)", h->thp_defrag);
		goto out;
	}
	if (!region_empty(st, &r))
		touch_loop(st, &r);
out:
	micro_unmap(r.p, r.len);
}

static void bm_first_touch_shmem(gb_state *st)
{
	struct region r = { .len = 2UL << 20, .pgsz = MICRO_PAGE, .fd = -1,
			    .flags = MAP_SHARED | MAP_ANONYMOUS, .empty_advice = MADV_REMOVE };

	first_touch(st, &r);
}

static void bm_first_touch_memfd(gb_state *st)
{
	struct region r = { .len = 2UL << 20, .pgsz = MICRO_PAGE,
			    .flags = MAP_SHARED, .empty_advice = MADV_REMOVE };

	r.fd = micro_memfd(st, r.len, 0);
	if (r.fd >= 0)
		first_touch(st, &r);
}

static void bm_first_touch_hugetlb(gb_state *st)
{
	struct region r = { .len = 2 * MICRO_HPAGE, .pgsz = MICRO_HPAGE, .fd = -1,
			    .flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB };

	if (!micro_need_hugepages(st, 2))
		first_touch(st, &r);
}

GB_INIT(first_touch)
{
	gb_unit(gb_use_manual_time(gb_register("bm_first_touch_anon", bm_first_touch_anon)), GB_NS);
	gb_unit(gb_use_manual_time(gb_register("bm_first_touch_thp", bm_first_touch_thp)), GB_US);
	gb_unit(gb_use_manual_time(gb_register("bm_first_touch_shmem", bm_first_touch_shmem)), GB_NS);
	gb_unit(gb_use_manual_time(gb_register("bm_first_touch_memfd", bm_first_touch_memfd)), GB_NS);
	gb_unit(gb_use_manual_time(gb_register("bm_first_touch_hugetlb", bm_first_touch_hugetlb)),
		GB_US);
}
