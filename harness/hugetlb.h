/* Reserving hugetlb pages, and giving them back.
 *
 * When a run needs more free huge pages than the pool has, and may (root,
 * --reserve-hugepages), it raises the pool's nr_hugepages by the deficit.
 * The original value is restored by hugetlb_restore_all(): at the end of
 * the run, from atexit(), and from the SIGINT/SIGTERM handler, so no exit
 * path leaves pages reserved. */
#ifndef FB_HUGETLB_H
#define FB_HUGETLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host_caps;

struct hugetlb_reservation {
	uint64_t page_size;
	uint64_t needed;        /* pages */
	uint64_t free_before;
	uint64_t nr_before;
	uint64_t raised_by;     /* pages we added (0: pool was enough) */
	uint64_t restore_ns;
};

/* 0 when `needed` pages of page_size are free now (raising the pool if
 * allowed); 1 with a reason in why when the run must be skipped; -errno on a
 * real error. */
int hugetlb_reserve(struct hugetlb_reservation *r, const struct host_caps *h, uint64_t page_size,
		    uint64_t needed, bool allowed, char *why, size_t n);
/* Give back what hugetlb_reserve added. Async-signal-safe. */
void hugetlb_restore_all(void);
/* Give back what killed faultbench processes left reserved, from their
 * ledgers in $FAULTBENCH_STATE_DIR (default /run/faultbench). Returns how
 * many pools it touched. */
int hugetlb_recover(void);

#endif
