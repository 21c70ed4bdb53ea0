/* `faultbench snapshot`: the strategy ops table, and the core's state a
 * strategy reaches through its struct snap_io (snap_io.h) and a few helpers.
 *
 * A strategy wraps an engine written against struct snap_io; the core
 * (cmd_snapshot.c) provides the io whose calls are snap_pause, snap_resume,
 * snap_t0, snap_save_page and snap_extra_memory. */
#ifndef FB_SNAP_H
#define FB_SNAP_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "hist.h"
#include "memory.h"
#include "snapshot/snap_io.h"

struct host_caps;
struct snap_writers;
struct snap_timeline;

enum sink_kind { SINK_NULL, SINK_FILE };

/* Test-only (--inject KIND:PAGE): a strategy breaks point-in-time on
 * purpose, so a test can show the verification catches it. */
enum snap_inject {
	SNAP_INJECT_NONE,
	SNAP_INJECT_SAVE_LATE,   /* stop-copy: PAGE saved after resume, once rewritten */
	SNAP_INJECT_SAVE_LIVE,   /* fork: PAGE saved from the parent's live memory, once rewritten */
	SNAP_INJECT_KILL_CHILD,  /* fork: the child is killed (SIGKILL) before it saves */
	SNAP_INJECT_UNPROTECT_EARLY, /* uffd-wp: PAGE un-protected before its save, saved late */
};

#define SNAP_MAX_STRATEGIES 8

struct snap_config {
	struct fb_config run;          /* --size, --vcpus, --pin, --backing, --workload, --seed, --reps, --warmup, --out, --quiet */
	const struct snap_strategy *strategies[SNAP_MAX_STRATEGIES];
	unsigned nstrategies;
	enum sink_kind sink;
	const char *sink_path;         /* SINK_FILE */
	bool sink_direct;              /* O_DIRECT */
	uint64_t write_rate;           /* writes per second per vCPU, 0: full speed */
	uint64_t warmup_ms, recovery_ms;
	enum snap_inject inject;
	uint64_t inject_page;
	/* uffd-wp (uffd_wp.h): enum wp_prepare, --wp-prepare; --wp-single-thread */
	unsigned wp_prepare;
	bool wp_single_thread;
	/* precopy (precopy.h): --precopy-passes, --precopy-residual */
	unsigned precopy_passes;
	uint64_t precopy_residual;
};

/* What the sink keeps; MAP_SHARED so a forked child's saves are seen. */
struct snap_sink_state {
	_Atomic uint64_t sink_bytes;
	_Atomic uint64_t pages_saved;  /* save() calls */
	_Atomic uint64_t last_save_ns;
	_Atomic int error;             /* first save error, -errno */
	_Atomic uint64_t child_extra_bytes;  /* fork: the child's own last count of its extra memory */
	_Atomic uint64_t child_hugetlb_bytes; /* fork: of which huge pages the parent copied */
};

struct snap_run {
	const struct snap_config *cfg;
	const struct snap_strategy *st;
	struct guest_mem gm;
	uint64_t npages;               /* guest pages (the backing's page size) */
	uint64_t unit_bytes, nunits;   /* the save unit: io.page_size, and units in the guest */
	struct snap_io io;
	struct snap_writers *w;
	/* sink (sink.c) */
	struct snap_sink_state *ss;    /* shared */
	uint64_t *page_sum;            /* shared: per page, checksum of the last save (null sink) */
	_Atomic uint8_t *page_saves;   /* shared: per page, saves (saturating) */
	uint64_t shared_bytes;
	int sink_fd;
	char sink_tmp[4096];
	/* consistency point and pauses */
	uint64_t t0_ns, start_ns;
	bool t0_done;
	uint64_t *cut;                 /* per writer: writes done at t0 */
	uint64_t pause_ns;             /* the vCPUs' view, summed over pauses */
	uint64_t extra_peak_bytes;
	/* the strategy's own data */
	void *priv;
	char why[FB_ERRLEN];           /* a failed take's reason */
};

/* struct snap_strategy flags */
enum {
	/* saves in SNAP_SUM_CHUNK (4K) units even on a huge-page backing
	 * (io.page_size is 4K): uffd-wp copies 4K per fault on THP */
	SNAP_ST_SAVE_4K = 1 << 0,
	/* the vCPUs' writes during the snapshot copy guest pages (fork's
	 * COW): on private hugetlb each copy takes a free huge page */
	SNAP_ST_COW_COPIES = 1 << 1,
};

struct snap_strategy {
	const char *name, *summary, *needs;
	unsigned flags;
	int (*check)(const struct snap_config *c, struct fb_err *err);
	const char *(*unsupported)(const struct snap_config *c, const struct host_caps *h, char *why,
				   size_t n);
	int (*prepare)(struct snap_run *r);
	int (*take)(struct snap_run *r);
	int (*cleanup)(struct snap_run *r);
	json_t *(*report)(struct snap_run *r);
};

extern const struct snap_strategy *const snap_strategies[];
extern const unsigned snap_strategies_count;
const struct snap_strategy *snap_strategy_find(const char *name);
extern const struct snap_strategy snap_stop_copy, snap_fork, snap_uffd_wp, snap_precopy;

/* services (cmd_snapshot.c, sink.c); snap_save_page's page is in save
 * units (io.page_size) */
int snap_pause(struct snap_run *r);
int snap_resume(struct snap_run *r);
int snap_t0(struct snap_run *r);
int snap_save_page(struct snap_run *r, uint64_t page, const void *src);
void snap_extra_memory(struct snap_run *r, uint64_t bytes);

/* strat_uffd_wp.c, for the strategies over a uffd engine: the skip reason
 * when uffd is closed to this user or lacks a feature of need (NULL: none);
 * and e, with r->why set from err when the engine failed */
const char *snap_uffd_missing(const struct snap_config *c, const struct host_caps *h,
			      const char *strategy, uint64_t need, char *why, size_t n);
int snap_engine_rc(struct snap_run *r, int e, const struct fb_err *err);

/* snap_hugetlb.c: on a hugetlb backing, the huge pages strategy st needs
 * (the guest's; twice that with SNAP_ST_COW_COPIES on private memory),
 * reserved as `run` does. 0 (also: not hugetlb), 1 with why (a skip), or
 * -errno. release gives back what was added. */
int snap_hugetlb_reserve(const struct snap_config *c, const struct snap_strategy *st, char *why,
			 size_t n);
void snap_hugetlb_release(void);
/* the save unit (io.page_size) of strategy st on this memory */
uint64_t snap_unit_bytes(const struct snap_strategy *st, const struct guest_mem *gm);

/* sink.c */
struct pit_ref;
struct pit_result;
int sink_open(struct snap_run *r, struct fb_err *err);
/* after a verified repetition: rename the temp file to its name */
int sink_commit(struct snap_run *r, struct fb_err *err);
void sink_close(struct snap_run *r);   /* removes a temp file still there */
void sink_unmap(struct snap_run *r);
/* every page of the sink against its content at T0 (pit.h) */
int sink_verify(struct snap_run *r, const struct pit_ref *ref, struct pit_result *res);
/* The file sink's temp name, for the signal handler (main.c); NULL: none. */
extern char *volatile snap_sink_tmp_path;
/* A fork strategy's child, for the signal handler: killed there. */
extern volatile pid_t snap_child_pid;

/* wp_left.c: base pages of [base, base+bytes) whose pagemap entry still has
 * the uffd-wp bit, into *count. 0 or -errno. */
int snap_wp_pages_left(const void *base, uint64_t bytes, uint64_t *count);

#endif
