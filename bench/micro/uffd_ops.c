/* One-page userfaultfd resolutions: UFFDIO_COPY (4K anon, 2M hugetlb),
 * UFFDIO_ZEROPAGE (4K anon) and UFFDIO_CONTINUE (4K shmem, MINOR).
 *
 * Each iteration resolves the next empty page of a registered region and
 * times only the ioctl (manual time). When the region is full it is emptied
 * again outside the timed part: MADV_DONTNEED keeps the registration (and,
 * for shmem, the page cache, so CONTINUE finds its page again). */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "micro.h"

#define REGION_PAGES 512 /* 2M of 4K pages per refill */

enum page_op { OP_COPY, OP_ZEROPAGE, OP_CONTINUE };

static int do_op(int uffd, enum page_op op, char *dst, const char *src, size_t len)
{
	switch (op) {
	case OP_COPY: {
		struct uffdio_copy c = { .dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len };

		return ioctl(uffd, UFFDIO_COPY, &c) ? -errno : 0;
	}
	case OP_ZEROPAGE: {
		struct uffdio_zeropage z = { .range = { .start = (uintptr_t)dst, .len = len } };

		return ioctl(uffd, UFFDIO_ZEROPAGE, &z) ? -errno : 0;
	}
	case OP_CONTINUE: {
		struct uffdio_continue c = { .range = { .start = (uintptr_t)dst, .len = len } };

		return ioctl(uffd, UFFDIO_CONTINUE, &c) ? -errno : 0;
	}
	}
	return -EINVAL;
}

static const char *const op_names[] = { "UFFDIO_COPY", "UFFDIO_ZEROPAGE", "UFFDIO_CONTINUE" };

/* Time `op` on page after page of [dst, dst + npages * pgsz); refill()
 * empties the region again, untimed. */
static void page_loop(gb_state *st, int uffd, enum page_op op, char *dst, const char *src,
		      size_t pgsz, size_t npages, int (*refill)(gb_state *, void *), void *arg)
{
	size_t i = 0;
	int e;

	while (gb_keep_running(st)) {
		double t0, t1;

		if (i == npages) {
			if (refill(st, arg))
				break;
			i = 0;
		}
		t0 = micro_now();
		e = do_op(uffd, op, dst + i * pgsz, src, pgsz);
		t1 = micro_now();
		if (e) {
			micro_skipf(st, "%s of %zu bytes failed: %s", op_names[op], pgsz, strerror(-e));
			break;
		}
		gb_set_iteration_time(st, t1 - t0);
		i++;
	}
	gb_set_items_processed(st, gb_iteration_count(st));
	gb_set_bytes_processed(st, gb_iteration_count(st) * (int64_t)pgsz);
}

struct dontneed {
	void *p;
	size_t len;
};

static int refill_dontneed(gb_state *st, void *arg)
{
	struct dontneed *d = arg;

	return micro_madvise(st, d->p, d->len, MADV_DONTNEED, "MADV_DONTNEED");
}

/* anon 4K, MISSING registration: COPY or ZEROPAGE */
static void anon_op(gb_state *st, enum page_op op)
{
	size_t len = REGION_PAGES * MICRO_PAGE;
	uint64_t need = 1ULL << (op == OP_COPY ? _UFFDIO_COPY : _UFFDIO_ZEROPAGE);
	static char src[MICRO_PAGE] __attribute__((aligned(4096)));
	struct dontneed d = { .len = len };
	int uffd = micro_uffd(st, 0);

	if (uffd < 0)
		return;
	memset(src, 0x5a, sizeof(src));
	d.p = micro_map(st, len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	/* 4K pages only: a THP would make the first fault fill 2M */
	if (d.p && !micro_madvise(st, d.p, len, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE") &&
	    !micro_register(st, uffd, d.p, len, UFFDIO_REGISTER_MODE_MISSING, need))
		page_loop(st, uffd, op, d.p, src, MICRO_PAGE, REGION_PAGES, refill_dontneed, &d);
	micro_unmap(d.p, len);
	close(uffd);
}

static void bm_uffd_copy_4k(gb_state *st) { anon_op(st, OP_COPY); }
static void bm_uffd_zeropage_4k(gb_state *st) { anon_op(st, OP_ZEROPAGE); }

/* hugetlb 2M: a fresh mapping per refill (MADV_DONTNEED on hugetlb is 5.18+) */
struct hugetlb_region {
	int uffd;
	char *p;
	size_t len;
};

static int hugetlb_remap(gb_state *st, void *arg)
{
	struct hugetlb_region *r = arg;

	micro_unmap(r->p, r->len);
	r->p = micro_map(st, r->len, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1);
	if (!r->p)
		return -1;
	return micro_register(st, r->uffd, r->p, r->len, UFFDIO_REGISTER_MODE_MISSING,
			      1ULL << _UFFDIO_COPY);
}

static void bm_uffd_copy_2m_hugetlb(gb_state *st)
{
	const size_t npages = 2;
	struct hugetlb_region r = { .len = npages * MICRO_HPAGE };
	char *src;

	if (micro_need_hugepages(st, npages))
		return;
	r.uffd = micro_uffd(st, UFFD_FEATURE_MISSING_HUGETLBFS);
	if (r.uffd < 0)
		return;
	src = micro_map(st, MICRO_HPAGE, MICRO_HPAGE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1);
	if (src) {
		memset(src, 0x5a, MICRO_HPAGE);
		/* the first refill maps the region */
		if (!hugetlb_remap(st, &r))
			page_loop(st, r.uffd, OP_COPY, r.p, src, MICRO_HPAGE, npages, hugetlb_remap, &r);
	}
	micro_unmap(r.p, r.len);
	micro_unmap(src, MICRO_HPAGE);
	close(r.uffd);
}

/* shmem 4K, MINOR registration: the page cache is filled once through a
 * second mapping; CONTINUE maps the cached page */
static void bm_uffd_continue_4k_shmem(gb_state *st)
{
	size_t len = REGION_PAGES * MICRO_PAGE;
	struct dontneed d = { .len = len };
	char *alias = NULL;
	int uffd, fd;

	uffd = micro_uffd(st, UFFD_FEATURE_MINOR_SHMEM);
	if (uffd < 0)
		return;
	fd = micro_memfd(st, len, 0);
	if (fd >= 0) {
		alias = micro_map(st, len, MICRO_PAGE, MAP_SHARED, fd);
		d.p = micro_map(st, len, MICRO_HPAGE, MAP_SHARED, fd);
	}
	if (alias && d.p) {
		memset(alias, 0x5a, len);
		if (!micro_register(st, uffd, d.p, len, UFFDIO_REGISTER_MODE_MINOR,
				    1ULL << _UFFDIO_CONTINUE))
			page_loop(st, uffd, OP_CONTINUE, d.p, NULL, MICRO_PAGE, REGION_PAGES,
				  refill_dontneed, &d);
	}
	micro_unmap(d.p, len);
	micro_unmap(alias, len);
	if (fd >= 0)
		close(fd);
	close(uffd);
}

GB_INIT(uffd_ops)
{
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_copy_4k", bm_uffd_copy_4k)), GB_NS);
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_zeropage_4k", bm_uffd_zeropage_4k)), GB_NS);
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_copy_2m_hugetlb", bm_uffd_copy_2m_hugetlb)),
		GB_US);
	gb_unit(gb_use_manual_time(gb_register("bm_uffd_continue_4k_shmem",
					       bm_uffd_continue_4k_shmem)), GB_NS);
}
