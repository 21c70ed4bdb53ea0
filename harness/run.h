/* One configuration: R repetitions of N vCPU threads touching fresh guest
 * memory under one fault mode, each verified and measured. */
#ifndef FB_RUN_H
#define FB_RUN_H

#include <stdbool.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>

#include "admit.h"
#include "anatomy.h"
#include "config.h"
#include "hist.h"
#include "mapped.h"
#include "modes/mode.h"

struct vcpu_stats {
	int cpu;                 /* pinned CPU, -1 unpinned */
	uint64_t pages;          /* first touches */
	uint64_t accesses;
	uint64_t touch_ns;
	uint64_t prepare_ns;     /* vcpu_prepare (e.g. parallel populate) */
	long minflt, majflt, nvcsw, nivcsw;
	struct hist *lat;        /* first-touch latency, ns */
};

struct verify_result {
	bool checked;
	bool ok;
	uint64_t pages_checked;
	uint64_t pages_skipped;      /* changed by the mode on purpose (verify_skip) */
	uint64_t checksums_skipped;  /* vCPUs whose reads covered such pages */
	uint64_t bad_pages;
	int64_t first_bad_page;  /* -1: none */
	char message[256];
};

struct rep_result {
	unsigned rep;
	bool warmup;
	unsigned nvcpus;
	struct vcpu_stats *v;
	struct hist lat;         /* merged over vCPUs */
	struct hist service;     /* handler service time */
	struct mode_counters counters;
	uint64_t map_ns, register_ns, unregister_ns, populate_ns;
	uint64_t mode_setup_ns;  /* the mode's setup(): register, write-protect, populate, ... */
	uint64_t setup_ns;       /* before the touch: mode_setup_ns + the slowest vCPU's prepare */
	uint64_t pages;          /* all vCPUs' first touches */
	uint64_t touched;        /* distinct pages of the region touched */
	uint64_t max_touch_ns;   /* the slowest vCPU */
	double rate_pps, rate_gibps;  /* in pages / bytes the kernel really mapped */
	double rate_usable_pps, rate_usable_gibps;  /* ... over setup_ns + max_touch_ns */
	double pages_per_touch, bytes_per_touch;    /* mapped_per_touch() */
	struct mapped mapped;    /* what the touched pages were mapped with */
	struct rusage ru;        /* whole process, during the touch phase */
	struct verify_result verify;
	json_t *mode_data;       /* the mode's own figures, or NULL */
	struct rep_anatomy *anat;        /* the fault anatomy, NULL when not recorded */
	struct handler_seen *handlers;   /* [cfg->handlers] where they ran, NULL: no handlers */
	/* Why counters, service time and handlers are unknown (a foreign
	 * handler, --handler-exec), NULL when they were measured. */
	const char *unknown;
};

enum run_state { RUN_OK, RUN_SKIPPED, RUN_FAILED, RUN_INTERRUPTED };

struct run_result {
	const struct fb_config *cfg;
	enum run_state state;
	char reason[FB_ERRLEN];
	bool oversubscribed;
	uint64_t hugepages_reserved;   /* pages we added to the pool */
	uint64_t image_zero_pages;
	struct mem_estimate memory;    /* counted before anything was mapped */
	uint64_t peak_rss_bytes;       /* the process's, when the repetitions ended */
	uint64_t guest_rss_bytes;      /* the most a repetition's guest held resident */
	int *handler_cpus;             /* [cfg->handlers] placement, NULL: no handlers */
	bool abandoned;                /* a vCPU could not be stopped: nothing freed */
	unsigned nreps;                /* filled so far */
	struct rep_result *reps;       /* warmup + measured */
};

/* Graceful stop. While run_stop_armed is set, the first SIGINT, SIGTERM or
 * SIGHUP only stores itself in run_stop_sig (main.c); the engine sees it in
 * the watchdog loop or between repetitions, stops the vCPUs and handlers,
 * drops the repetition in progress, and returns RUN_INTERRUPTED with the
 * finished ones. A second signal takes the immediate way out. */
extern volatile sig_atomic_t run_stop_armed, run_stop_sig;

/* Run cfg to the end (or the first failure, or a stop). Never exits. */
int run_config(const struct fb_config *cfg, struct run_result *res);
void run_result_free(struct run_result *res);

/* `faultbench run ...` */
int run_main(int argc, char **argv);

#endif
