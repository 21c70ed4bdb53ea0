/* Huge pages for `faultbench snapshot` on a hugetlb backing: reserved per
 * strategy as `run` reserves them (harness/hugetlb.c, given back at the end,
 * at exit and from the signal handlers), and the save unit there.
 *
 * A strategy whose vCPU writes make copy-on-write copies of guest pages
 * (SNAP_ST_COW_COPIES: fork) needs a free huge page for each copy on a
 * private hugetlb mapping: when none is free, the kernel takes the page
 * from the child instead (unmap_ref_private), which then dies of SIGBUS. So
 * it gets twice the guest's pages, the bound when every page is rewritten
 * before the child has saved it. */
#include <inttypes.h>
#include <stdio.h>

#include "hugetlb.h"
#include "snapshot/pit.h"
#include "probe.h"
#include "snapshot/snap.h"

int snap_hugetlb_reserve(const struct snap_config *c, const struct snap_strategy *st, char *why,
			 size_t n)
{
	const struct fb_config *rc = &c->run;
	struct hugetlb_reservation hr;
	uint64_t pages = rc->total_bytes / rc->page_size;
	bool cow = (st->flags & SNAP_ST_COW_COPIES) && !(rc->backing->flags & BK_SHARED);
	char tail[FB_ERRLEN];
	int e;

	if (!(rc->backing->flags & BK_HUGETLB))
		return 0;
	e = hugetlb_reserve(&hr, probe_host(), rc->page_size, cow ? 2 * pages : pages,
			    rc->reserve_hugepages, tail, sizeof(tail));
	if (e == 1)
		snprintf(why, n, "%s: %s%s", st->name, tail,
			 cow ? " (twice the guest's pages: its copy-on-write copies are huge pages too)"
			     : "");
	else if (e < 0)
		snprintf(why, n, "hugetlb: cannot record vm.nr_hugepages for restore");
	return e;
}

void snap_hugetlb_release(void)
{
	hugetlb_restore_all();
}

uint64_t snap_unit_bytes(const struct snap_strategy *st, const struct guest_mem *gm)
{
	/* 4K saves on a huge page need 4K write-protection: THP's PMD splits
	 * for it, but hugetlb write-protects whole huge pages only
	 * (UFFDIO_WRITEPROTECT wants them aligned), so there it is the huge
	 * page */
	if ((st->flags & SNAP_ST_SAVE_4K) && !(gm->bk->flags & BK_HUGETLB) &&
	    gm->page_size > SNAP_SUM_CHUNK)
		return SNAP_SUM_CHUNK;
	return gm->page_size;
}
