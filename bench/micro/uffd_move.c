/* UFFDIO_MOVE (Linux 6.8, anonymous private memory) against UFFDIO_COPY:
 * what `--resolve move` does per fault. The page to install is first
 * written into a staging page of our own, then moved into the empty
 * destination page. After a move the staging page is a hole, so the next
 * fill faults a fresh page in: that refill is timed with the move
 * (bm_uffd_move_4k), as the handler pays it. bm_uffd_move_4k_ioctl times the
 * ioctl alone, with the staging page refilled outside the timed part.
 * bm_uffd_move_2m_thp moves a THP-aligned 2M range whose staging is a THP;
 * it skips unless the kernel moved it as one huge page. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "micro.h"

#define MOVE_REGION_PAGES 512 /* 2M of 4K destination pages per refill */

static int move_page(int uffd, char *dst, char *src, size_t len)
{
	struct uffdio_move m = { .dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len };

	return ioctl(uffd, UFFDIO_MOVE, &m) ? -errno : 0;
}

/* A MISSING-registered anon region of npages * pgsz offering UFFDIO_MOVE. */
static char *move_region(gb_state *st, int uffd, size_t len, int advice, const char *name)
{
	char *p = micro_map(st, len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	if (p && !micro_madvise(st, p, len, advice, name) &&
	    !micro_register(st, uffd, p, len, UFFDIO_REGISTER_MODE_MISSING, 1ULL << _UFFDIO_MOVE))
		return p;
	micro_unmap(p, len);
	return NULL;
}

/* Move page after page into [dst, dst + npages * pgsz): fill the staging page
 * (timed when fill_timed), then MOVE it; MADV_DONTNEED empties dst again. */
static void move_loop(gb_state *st, int uffd, char *dst, char *staging, size_t pgsz,
		      size_t npages, bool fill_timed)
{
	size_t i = 0;

	while (gb_keep_running(st)) {
		double t0, t1;
		int e;

		if (i == npages) {
			if (micro_madvise(st, dst, pgsz * npages, MADV_DONTNEED, "MADV_DONTNEED"))
				break;
			i = 0;
		}
		t0 = micro_now();
		memset(staging, (int)(i & 0xff) | 1, pgsz);
		if (!fill_timed)
			t0 = micro_now();
		e = move_page(uffd, dst + i * pgsz, staging, pgsz);
		t1 = micro_now();
		if (e) {
			micro_skipf(st, "UFFDIO_MOVE of %zu bytes failed: %s", pgsz, strerror(-e));
			break;
		}
		gb_set_iteration_time(st, t1 - t0);
		i++;
	}
	gb_set_items_processed(st, gb_iteration_count(st));
	gb_set_bytes_processed(st, gb_iteration_count(st) * (int64_t)pgsz);
}

static void move_4k(gb_state *st, bool fill_timed)
{
	size_t len = MOVE_REGION_PAGES * MICRO_PAGE;
	int uffd = micro_uffd(st, UFFD_FEATURE_MOVE);
	char *dst, *staging;

	if (uffd < 0)
		return;
	/* 4K pages only, as in bm_uffd_copy_4k */
	dst = move_region(st, uffd, len, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE");
	staging = dst ? micro_map(st, MICRO_PAGE, MICRO_PAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1) : NULL;
	if (staging)
		move_loop(st, uffd, dst, staging, MICRO_PAGE, MOVE_REGION_PAGES, fill_timed);
	micro_unmap(staging, MICRO_PAGE);
	micro_unmap(dst, len);
	close(uffd);
}

static void bm_uffd_move_4k(gb_state *st) { move_4k(st, true); }
static void bm_uffd_move_4k_ioctl(gb_state *st) { move_4k(st, false); }

/* AnonHugePages of the smaps entry that starts at p, in kB; -1 when unknown. */
static long anon_huge_kb(const void *p)
{
	char line[256], start[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	long kb = -1;
	bool in = false;

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' '))
			in = !strncmp(line, start, strlen(start));
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void bm_uffd_move_2m_thp(gb_state *st)
{
	const size_t npages = 2, len = npages * MICRO_HPAGE;
	int uffd = micro_uffd(st, UFFD_FEATURE_MOVE);
	char *dst, *staging = NULL;
	long kb;
	int e;

	if (uffd < 0)
		return;
	dst = move_region(st, uffd, len, MADV_HUGEPAGE, "MADV_HUGEPAGE");
	if (dst)
		staging = micro_map(st, MICRO_HPAGE, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (staging && !micro_madvise(st, staging, MICRO_HPAGE, MADV_HUGEPAGE, "MADV_HUGEPAGE")) {
		/* one untimed move first: does it go as one huge page? */
		memset(staging, 0x5a, MICRO_HPAGE);
		if (anon_huge_kb(staging) < 2048)
			micro_skipf(st, "the staging page is not a THP (THP off, or none free)");
		else if ((e = move_page(uffd, dst, staging, MICRO_HPAGE)))
			micro_skipf(st, "UFFDIO_MOVE of 2M failed: %s", strerror(-e));
		else if ((kb = anon_huge_kb(dst)) < 2048)
			micro_skipf(st, "UFFDIO_MOVE did not move the THP as one huge page "
					"(AnonHugePages %ld kB after)", kb);
		else if (!micro_madvise(st, dst, len, MADV_DONTNEED, "MADV_DONTNEED"))
			move_loop(st, uffd, dst, staging, MICRO_HPAGE, npages, true);
	}
	micro_unmap(staging, MICRO_HPAGE);
	micro_unmap(dst, len);
	close(uffd);
}

/* For the 2M pair: UFFDIO_COPY of 2M into a THP-aligned MADV_HUGEPAGE anon
 * range (anon has no 2M COPY: the kernel copies 512 4K pages). */
static void bm_uffd_copy_2m_thp(gb_state *st)
{
	const size_t npages = 2, len = npages * MICRO_HPAGE;
	int uffd = micro_uffd(st, 0);
	char *dst, *src = NULL;
	size_t i = 0;

	if (uffd < 0)
		return;
	dst = micro_map(st, len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (dst && (micro_madvise(st, dst, len, MADV_HUGEPAGE, "MADV_HUGEPAGE") ||
		    micro_register(st, uffd, dst, len, UFFDIO_REGISTER_MODE_MISSING, 1ULL << _UFFDIO_COPY))) {
		micro_unmap(dst, len);
		dst = NULL;
	}
	if (dst)
		src = micro_map(st, MICRO_HPAGE, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1);
	if (src) {
		memset(src, 0x5a, MICRO_HPAGE);
		while (gb_keep_running(st)) {
			struct uffdio_copy c = { .src = (uintptr_t)src, .len = MICRO_HPAGE };
			double t0, t1;

			if (i == npages) {
				if (micro_madvise(st, dst, len, MADV_DONTNEED, "MADV_DONTNEED"))
					break;
				i = 0;
			}
			c.dst = (uintptr_t)(dst + i * MICRO_HPAGE);
			t0 = micro_now();
			if (ioctl(uffd, UFFDIO_COPY, &c)) {
				micro_skipf(st, "UFFDIO_COPY of 2M failed: %s", strerror(errno));
				break;
			}
			t1 = micro_now();
			gb_set_iteration_time(st, t1 - t0);
			i++;
		}
		gb_set_items_processed(st, gb_iteration_count(st));
		gb_set_bytes_processed(st, gb_iteration_count(st) * (int64_t)MICRO_HPAGE);
	}
	micro_unmap(src, MICRO_HPAGE);
	micro_unmap(dst, len);
	close(uffd);
}

GB_INIT(uffd_move)
{
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_move_4k", bm_uffd_move_4k)), GB_NS);
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_move_4k_ioctl", bm_uffd_move_4k_ioctl)),
		GB_NS);
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_move_2m_thp", bm_uffd_move_2m_thp)), GB_US);
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_copy_2m_thp", bm_uffd_copy_2m_thp)), GB_US);
}
