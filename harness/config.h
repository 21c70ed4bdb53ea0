/* One run configuration: every field has a default, every flag is checked.
 * config_to_json() writes all of it, defaults filled in, into the result. */
#ifndef FB_CONFIG_H
#define FB_CONFIG_H

#include <jansson.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "fb.h"
#include "workload.h"

struct fault_mode;
struct backing;

enum access_kind { ACCESS_WRITE, ACCESS_READ, ACCESS_READ_WRITE };
/* How much of a page one access covers (harness/touch.h says which words). */
enum touch_kind { TOUCH_WORD, TOUCH_LINE, TOUCH_PAGE };
enum pin_policy { PIN_COMPACT, PIN_SCATTER, PIN_NONE };
enum numa_policy { NUMA_LOCAL, NUMA_INTERLEAVE, NUMA_NODE };
enum uffd_sharing { UFFD_SHARED, UFFD_PER_VCPU };
enum uffd_wait { WAIT_POLL, WAIT_EPOLL, WAIT_SPIN };
/* Where handler threads run relative to the vCPUs. */
enum handler_cpus_policy { HCPUS_ANY, HCPUS_SAME, HCPUS_OTHER, HCPUS_LIST };
enum populate_kind { POPULATE_WRITE, POPULATE_READ };
enum exit_kind { EXIT_SIGBUS, EXIT_BITMAP };
/* Where uffd handlers run: threads of faultbench, or a process of their own. */
enum handler_kind { HANDLER_THREAD, HANDLER_PROCESS };
/* --resolve: how a MISSING fault's page gets in (copy, or UFFDIO_MOVE) */
enum resolve_kind { RESOLVE_COPY, RESOLVE_MOVE };
enum page_cache_kind { PAGE_CACHE_WARM, PAGE_CACHE_COLD };
/* postcopy: the connections between the source process and faultbench */
enum link_kind { LINK_UNIX, LINK_TCP };

/* Test-only fault injection (--inject KIND:PAGE); never on by default. */
enum inject_kind {
	INJECT_NONE,
	INJECT_CORRUPT_COPY,    /* the handler copies the next page's image for PAGE */
	INJECT_DUPLICATE_COPY,  /* the handler resolves PAGE twice */
	INJECT_DROP_COPY,       /* the handler drops PAGE's fault: the vCPU waits forever */
	/* uffd-stock only: what its handlers do when the kernel says no */
	INJECT_KILL_HANDLER,    /* the handler that reads PAGE's fault exits */
	INJECT_EAGAIN_COPY,     /* PAGE's COPY fails with EAGAIN once: retried */
	INJECT_ENOMEM_ONCE,     /* ... with ENOMEM once: retried */
	INJECT_ENOMEM_COPY,     /* ... with ENOMEM every time: retried, then the run fails */
	INJECT_ENOENT_COPY,     /* ... with ENOENT (the layout changed): the run fails */
	INJECT_ESRCH_COPY,      /* ... with ESRCH (the mm is gone): the run fails */
	/* --events remap: the handlers take the REMAP message but keep
	 * translating the old address, as a handler that ignores it would */
	INJECT_IGNORE_REMAP,
};

/* --events: what the events thread does mid-run (harness/events.h) */
enum event_bits { EV_UNMAP = 1 << 0, EV_REMOVE = 1 << 1, EV_REMAP = 1 << 2, EV_FORK = 1 << 3 };
/* With --events the region gets an event area past the vCPUs' slices: one
 * range of this many pages each for unmap, remove and remap, which no vCPU's
 * access plan touches (harness/events.h). */
#define FB_EVENT_RANGE_PAGES 16
#define FB_EVENT_AREA_PAGES (3 * FB_EVENT_RANGE_PAGES)

#define FB_MAX_VCPUS 4096
#define FB_MAX_HANDLERS 1024
#define FB_MAX_BATCH 1024
#define FB_MAX_REPS 10000

struct fb_config {
	const struct fault_mode *mode;
	const struct backing *backing;
	uint64_t hugepage_size;     /* hugetlb page size in bytes (2M, 1G) */
	uint64_t page_size;         /* resolved: the unit one fault fills */

	unsigned vcpus;
	uint64_t size;              /* as given */
	bool per_vcpu;              /* size is per vCPU, not total */
	bool overlap;               /* every vCPU's slice is the whole region */
	uint64_t total_bytes;       /* resolved region size */
	uint64_t slice_pages;       /* resolved pages per vCPU slice */

	enum numa_policy numa;
	int numa_node;
	enum pin_policy pin;

	struct workload_spec workload;
	enum access_kind access;
	enum touch_kind touch;      /* one word, one word per 64-byte line, or the whole page */
	uint64_t seed;

	unsigned reps;
	unsigned warmup;
	bool verify;
	bool record_latency;

	/* populate */
	enum populate_kind populate;
	bool populate_parallel;

	/* uffd modes */
	enum uffd_sharing uffd_sharing;
	unsigned readers;           /* handler threads per uffd */
	unsigned handlers;          /* handler threads in all (= readers × uffds) */
	enum uffd_wait wait;
	enum handler_cpus_policy handler_cpus;
	char handler_cpu_list[128]; /* HCPUS_LIST: as given, e.g. "0,2-3" */
	unsigned batch;             /* messages per read() */
	double zero_fraction;       /* pages the image marks zero */
	uint64_t zero_run_bytes;    /* zero or not is decided per aligned run this long
	                             * (0: per page); a booted guest's zeros come in runs */
	uint64_t service_delay_us;

	double fault_timeout_s;     /* watchdog: a vCPU stalled this long fails the run */

	/* --handler process: the handler gets the uffd through Firecracker's
	 * handshake and serves the image from a memory file (handoff.h) */
	enum handler_kind handler;
	bool handler_given;         /* --handler was on the command line */
	const char *handler_exec;   /* --handler-exec: a foreign handler's command, else NULL */
	enum resolve_kind resolve;  /* move: fill a staging page, UFFDIO_MOVE it in */
	const char *image_file;     /* NULL: a temporary file */
	enum page_cache_kind page_cache;  /* cold: dropped before each repetition */
	unsigned events;            /* --events: enum event_bits, 0: none */

	/* postcopy (config_postcopy.c): pages come from a source process */
	unsigned receivers;         /* receiver threads, one stream connection each */
	bool preempt;               /* urgent pages on a connection of their own */
	enum link_kind link;
	uint64_t link_bw_bps;       /* emulated link, bits/s (0: unpaced) */
	uint64_t link_delay_us;     /* added to each request's round trip */
	double precopy;             /* share of pages installed before the vCPUs start */
	const char *link_flag;      /* the first of these flags given, NULL: none */

	/* memfault-exit */
	enum exit_kind exit_kind;   /* how a vCPU learns a page is missing */
	bool emulation_thread;      /* a thread reading random guest pages via the uffd handler */

	/* zero-unreg */
	double balloon;             /* fraction of touched memory MADV_DONTNEEDed mid-run */

	/* wp-unpop */
	unsigned wp_rounds;         /* dirty-tracking rounds: write, scan + re-protect */

	bool reserve_hugepages;     /* may raise vm.nr_hugepages (root), given back after */
	bool allow_overcommit;

	enum inject_kind inject;
	uint64_t inject_page;
	/* Test-only, from $FAULTBENCH_TEST_SLOWDOWN_NS: each uffd handler spins
	 * this long per fault, to prove the gate catches a slowdown. */
	uint64_t test_slowdown_ns;

	const char *out_path;       /* NULL: results/<mode>-<backing>-<...>.json */
	bool quiet;
};

/* Parse `faultbench run` flags into cfg (defaults first). Returns 0, or
 * -EINVAL with a sentence naming the flag and its accepted values; 1 when
 * --help was printed. Resolves derived fields and checks combinations. */
int config_parse_run(struct fb_config *cfg, int argc, char **argv, struct fb_err *err);
void config_defaults(struct fb_config *cfg);
/* Derive page_size, total_bytes, slice_pages, handlers; check combinations
 * against each other (not against the host). */
int config_resolve(struct fb_config *cfg, struct fb_err *err);
json_t *config_to_json(const struct fb_config *cfg);

/* config_postcopy.c: the postcopy flags (which: their order in
 * postcopy_flag_names), their check, their config fields. */
extern const char *const postcopy_flag_names[];
int postcopy_parse_flag(struct fb_config *cfg, int which, const char *v, struct fb_err *err);
int postcopy_check(const struct fb_config *cfg, struct fb_err *err);
void postcopy_config_json(const struct fb_config *cfg, json_t *j);
void config_usage(FILE *f);

/* getopt_long's table of `faultbench run` flags, {0}-terminated. */
struct option;
const struct option *config_run_options(void);
const char *access_name(enum access_kind a);
const char *touch_name(enum touch_kind t);

#endif
