/* The precopy snapshot engine: WP_ASYNC dirty tracking and PAGEMAP_SCAN
 * passes while the vCPUs run, then a final stop-copy of the residual (as
 * CRIU's pre-dump and live migration do). See precopy.c. */
#ifndef FB_SNAP_PRECOPY_H
#define FB_SNAP_PRECOPY_H

#include <stdbool.h>
#include <stdint.h>

#include "fb.h"
#include "snapshot/snap_io.h"

#define PRECOPY_MAX_PASSES 64

struct precopy_opts {
	/* passes while the vCPUs run, pass 1 (every page) included:
	 * 1..PRECOPY_MAX_PASSES (--precopy-passes) */
	unsigned passes;
	/* a pass that finds fewer dirty pages than this is the last before
	 * the final pause (--precopy-residual); 0: only `passes` stops */
	uint64_t residual_pages;
	/* hugetlb, shmem or memfd memory: needs UFFD_FEATURE_WP_HUGETLBFS_SHMEM */
	bool file_backed;
	/* non-NULL: take() stops when it reads non-zero, returns -EINTR */
	const volatile int *stop;
};

struct precopy_stats {
	unsigned passes;                 /* passes done while the vCPUs ran */
	uint64_t pass_pages[PRECOPY_MAX_PASSES]; /* pages saved by each */
	uint64_t final_pages;            /* saved in the final pause */
	uint64_t pages_saved;            /* saves in all, repeats counted (sink bytes / page size) */
	uint64_t extra_memory_peak_bytes;/* the copy buffer */
	uint64_t register_ns;
	uint64_t protect_ns;             /* arming: UFFDIO_WRITEPROTECT of the whole range */
	uint64_t scan_ns, scan_ioctls;   /* PAGEMAP_SCAN, all passes and the final one */
	uint64_t final_scan_ns;          /* the final scan alone (inside the pause) */
	uint64_t pause_ns;               /* pause() returned to resume() called */
};

struct precopy;

/* The uffd features o needs, for a skip reason (PAGEMAP_SCAN is 6.7+ too:
 * the host's probe says). */
uint64_t precopy_features(const struct precopy_opts *o);
/* Before the writers start: open the uffd (WP_ASYNC, WP_UNPOPULATED),
 * register io's range for WP, allocate the bitmap, scanner and buffer. *out
 * is set even on failure (cleanup it). 0, -EOPNOTSUPP (a skip, err says
 * what is missing), -EINVAL (bad options), or -errno. */
int precopy_prepare(struct precopy **out, const struct snap_io *io, const struct precopy_opts *o,
		    struct fb_err *err);
/* The snapshot on the caller's thread; returns when the last page is saved.
 * T0 is the final pause. st is zeroed here. */
int precopy_take(struct precopy *pc, struct precopy_stats *st, struct fb_err *err);
/* Always, after prepare (pc may be NULL): un-protect, unregister, close,
 * free. 0 or the first -errno. */
int precopy_cleanup(struct precopy *pc);

#endif
