/* The uffd-wp snapshot engine: QEMU's background-snapshot design
 * (migration/ram.c, since QEMU 6.0) against struct snap_io. See uffd_wp.c. */
#ifndef FB_SNAP_UFFD_WP_H
#define FB_SNAP_UFFD_WP_H

#include <stdbool.h>
#include <stdint.h>

#include "fb.h"
#include "hist.h"
#include "snapshot/snap_io.h"

/* How pages that are not mapped at T0 get protected (reference 001). */
enum wp_prepare {
	WP_PREPARE_UNPOPULATED, /* UFFD_FEATURE_WP_UNPOPULATED (6.4): the protect marks empty ptes */
	WP_PREPARE_PREREAD,     /* read every 4K page before the protect (maps the zero page) */
	WP_PREPARE_POPULATE,    /* MADV_POPULATE_READ before the protect (5.14) */
	WP_PREPARE_COUNT,
};
extern const char *const wp_prepare_names[WP_PREPARE_COUNT];

struct wp_opts {
	enum wp_prepare prepare;
	/* QEMU's variant: the saver thread polls the uffd between pages and
	 * serves faults first; no handler thread */
	bool single_thread;
	/* hugetlb, shmem or memfd memory: write-protect needs
	 * UFFD_FEATURE_WP_HUGETLBFS_SHMEM (5.19), and keeps markers on empty
	 * ptes without WP_UNPOPULATED */
	bool file_backed;
	/* non-NULL: take() stops when it reads non-zero (a SIGINT handler's
	 * flag) and returns -EINTR; cleanup() then undoes everything */
	const volatile int *stop;
	/* Test-only (the core's --inject unprotect-before-save:PAGE): page
	 * index whose save un-protects it first, waits until a vCPU wrote it
	 * (at most inject_delay_ms), then copies and saves: the bug a
	 * point-in-time check must catch. -1: none */
	int64_t inject_unprotect_before_save_page;
	unsigned inject_delay_ms;   /* 0: 10 */
};

struct wp_stats {
	uint64_t pages;              /* pages saved in all (each exactly once) */
	uint64_t wp_faults;          /* WP fault messages read */
	uint64_t saver_saves;        /* pages the linear scan saved */
	uint64_t handler_saves;      /* pages saved because a vCPU faulted on them first */
	uint64_t fault_waits;        /* faults on a page being saved by the other thread */
	uint64_t extra_memory_peak_bytes; /* save buffers in use at once, peak */
	uint64_t prefault_ns;        /* preread / populate, in prepare */
	uint64_t register_ns;        /* UFFDIO_REGISTER, in prepare */
	uint64_t protect_ns;         /* UFFDIO_WRITEPROTECT of the whole range, at T0 (in the pause) */
	uint64_t unprotect_ioctls;
	struct hist fault_service;   /* message read to un-protect-and-wake done, ns */
};

struct uffd_wp;

/* The uffd features o needs on memory of this kind; for a skip reason
 * against the host's features. */
uint64_t uffd_wp_features(const struct wp_opts *o);
/* Before the writers start: open the uffd, prefault (preread/populate),
 * register io's range for WP. *out is set even on failure (cleanup it).
 * 0, -EOPNOTSUPP with err naming the missing feature (a skip), or -errno. */
int uffd_wp_prepare(struct uffd_wp **out, const struct snap_io *io, const struct wp_opts *o,
		    struct fb_err *err);
/* The snapshot, on the caller's thread: pause, protect all, t0, resume;
 * then save every page once, in address order, faulted pages first.
 * Returns when the last page is saved and un-protected. st is zeroed here. */
int uffd_wp_take(struct uffd_wp *w, struct wp_stats *st, struct fb_err *err);
/* Always, after prepare (w may be NULL): un-protect the whole range (waking
 * any waiter), stop the handler, unregister, close, free. 0 or the first -errno. */
int uffd_wp_cleanup(struct uffd_wp *w);

/* The per-page saved state shared by the saver and the handler, so each
 * page is saved exactly once (exposed for its unit test). */
enum { WP_PAGE_UNSAVED = 0, WP_PAGE_SAVING = 1, WP_PAGE_SAVED = 2 };
/* true: the caller owns page p's save (UNSAVED -> SAVING). */
static inline bool wp_page_claim(unsigned char *state, uint64_t p)
{
	unsigned char want = WP_PAGE_UNSAVED;

	return __atomic_compare_exchange_n(&state[p], &want, WP_PAGE_SAVING, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

#endif
