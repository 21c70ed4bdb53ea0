/* A fault mode: one file, one ops table. The harness calls these hooks and
 * never asks which mode it runs. */
#ifndef FB_MODE_H
#define FB_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <stdatomic.h>

#include "fb.h"
#include "hist.h"

struct fb_config;
struct anatomy;
struct host_caps;
struct guest_mem;
struct image;
struct memfile;

enum mode_flags {
	MODE_USES_UFFD = 1 << 0,     /* needs userfaultfd to be openable */
	MODE_FILLS_IMAGE = 1 << 1,   /* pages hold the source image, not zeros */
	MODE_NO_OVERLAP = 1 << 2,    /* cannot serve overlapping slices */
	MODE_INJECTS_ERRORS = 1 << 3, /* its handlers take --inject kill-handler, *-copy errnos */
	/* Faults go to a resolver (handler threads serving a uffd, or the
	 * vCPU's own exit): --handler-cpus places the handlers, and the fault
	 * anatomy (anatomy.h) applies. */
	MODE_HANDLERS = 1 << 4,
	/* A handler process can take its faults over (--handler process: the
	 * uffd handed over with Firecracker's handshake): its handlers resolve
	 * MISSING faults with COPY / ZEROPAGE from the image (with
	 * UFFDIO_COPY_MODE_WP where the range tracks writes), or MINOR faults
	 * with CONTINUE; faultbench keeps whatever else the mode does. */
	MODE_HANDOFF = 1 << 5,
	/* Its handler threads can resolve with UFFDIO_MOVE (--resolve move). */
	MODE_MOVES = 1 << 6,
	/* Its handler process is given the guest memory's own file as MEMFILE
	 * (/proc/PID/fd/N of the backing's memfd), not an image file: its
	 * faults are resolved from the page cache (MINOR faults), which the
	 * mode fills before the vCPUs start. */
	MODE_HANDOFF_GUEST_FILE = 1 << 7,
	/* Its handler threads follow non-cooperative events (--events). */
	MODE_EVENTS = 1 << 9,
	/* Its vcpu_prepare populates the vCPU's slice: with --populate-parallel
	 * that time is the run's populate time (else it is setup of its own). */
	MODE_PREPARE_POPULATES = 1 << 10,
	/* Its pages come from a source process over a link: --receivers,
	 * --preempt, --link, --link-bw, --link-delay-us and --precopy apply. */
	MODE_LINK = 1 << 8,
};

/* Counted by the mode's own threads, summed after they stop. */
/* A resolve retries ENOMEM this many times, 1 ms apart, then fails. */
#define FB_ENOMEM_RETRIES 100

struct mode_counters {
	uint64_t uffd_msgs;        /* fault messages read */
	uint64_t uffd_events;      /* non-fault events read (REMOVE, UNMAP, ...) */
	uint64_t reads;            /* read() calls that returned messages */
	uint64_t empty_reads;      /* woken, but another reader took the messages */
	uint64_t copy_ioctls;
	uint64_t zeropage_ioctls;
	uint64_t continue_ioctls;
	uint64_t wake_ioctls;
	uint64_t pages_copied;     /* pages installed by UFFDIO_COPY */
	uint64_t pages_zeroed;     /* pages installed by UFFDIO_ZEROPAGE */
	uint64_t move_ioctls;      /* --resolve move */
	uint64_t pages_moved;      /* pages installed by UFFDIO_MOVE */
	uint64_t eexist;           /* resolve found the page already there */
	uint64_t eagain;           /* resolve had to be retried */
	uint64_t enomem;           /* ... retried after ENOMEM (FB_ENOMEM_RETRIES at most) */
	uint64_t ioctl_errors;     /* other errors: the run fails */
	int first_error;           /* errno of the first such error */
};

#define FB_MAX_CPUS 1024  /* CPU_SETSIZE: the CPUs a handler's record can name */

/* Where one handler thread ran: sched_getcpu() at each read() that
 * returned messages (an rseq field read, no syscall). */
struct handler_seen {
	int cpu;                     /* pinned to (--handler-cpus), -1 unpinned */
	uint64_t reads;
	uint64_t reads_on_vcpu_cpus; /* reads on a CPU a vCPU is pinned to */
	uint64_t cpus[FB_MAX_CPUS / 64];
};

/* One repetition as a mode sees it. */
struct mode_run {
	const struct fb_config *cfg;
	struct guest_mem *gm;
	const struct image *img;
	const struct memfile *memfile;  /* the image as a file (--handler process), else NULL */
	void *priv;                /* the mode's own state */
	struct mode_counters counters;
	struct hist service;       /* handler service time per fault, ns */
	uint64_t register_ns;      /* setup costs, ns (0 when not done) */
	uint64_t unregister_ns;
	uint64_t populate_ns;      /* serial populate; parallel goes per vCPU */
	struct fb_err *err;

	/* Set by a mode that lets vCPUs resolve their own faults: one bit per
	 * page of the region, set once the page is present. vCPUs check it
	 * before each access and call vcpu_miss() when it is clear. */
	_Atomic uint64_t *presence;
	/* Handler threads' health, for the watchdog. Handlers write, with
	 * relaxed atomics; fatal_errno ends the repetition at once. */
	_Atomic unsigned handlers_alive;
	_Atomic int fatal_errno;           /* first error no retry can cure, 0: none */
	_Atomic uint64_t fatal_page;       /* its page + 1 (UINT64_MAX: not a fault) */
	_Atomic uint64_t last_read_ns;     /* when a handler last read messages */

	/* Set by the harness. anat: the fault anatomy's mailboxes, NULL when
	 * not recorded. handler_cpus: where handler i runs (-1 anywhere), and
	 * vcpu_cpus where vCPU i does; [cfg->handlers] and [cfg->vcpus].
	 * handlers_seen: filled by the handler threads when they stop. */
	struct anatomy *anat;
	const int *handler_cpus;
	const int *vcpu_cpus;
	struct handler_seen *handlers_seen;

	/* Set by a mode whose run legitimately changes pages behind the vCPUs
	 * (a balloon): verification skips these pages and counts them. */
	uint64_t *verify_skip;
	/* Pages the handlers resolved outside the vCPUs' access plans (the
	 * pages --events remap moved), for the resolve accounting. */
	uint64_t extra_touched;
};

/* Which vCPU the calling thread is (-1 on other threads): for code that runs
 * on a vCPU but is not handed its index, such as a signal handler. */
extern _Thread_local int fb_current_vcpu;

struct fault_mode {
	const char *name;
	const char *summary;
	const char *needs;         /* kernel feature and version, for people */
	unsigned flags;
	uint64_t uffd_features;    /* UFFD_FEATURE_* bits required on any backing */
	/* Input combinations this mode rejects (exit 2), e.g. per-vCPU uffds with
	 * overlapping slices. NULL: none. */
	int (*check)(const struct fb_config *cfg, struct fb_err *err);
	/* NULL when this host can run cfg; else the reason (a skip). */
	const char *(*unsupported)(const struct fb_config *cfg, const struct host_caps *h,
				   char *why, size_t n);
	/* Memory is mapped, nothing touched; start handler threads, register, … */
	int (*setup)(struct mode_run *r);
	/* On each vCPU thread, after pinning, before the start barrier. Optional. */
	int (*vcpu_prepare)(struct mode_run *r, unsigned vcpu, char *slice, uint64_t bytes);
	/* On each vCPU thread after its timed accesses, still kickable by the
	 * watchdog (it may fault). Optional; 0 or -errno (the run fails). */
	int (*vcpu_finish)(struct mode_run *r, unsigned vcpu);
	/* On the main thread, the moment the vCPUs pass the start barrier (a
	 * migration's switchover). No allocation, no locks, no output. Optional. */
	void (*vcpus_released)(struct mode_run *r);
	/* With r->presence: a vCPU found page (region index) absent and must make
	 * it present before it touches it. Runs on the vCPU thread, inside the
	 * timed access: no allocation, no locks, no output. 0 or -errno. */
	int (*vcpu_miss)(struct mode_run *r, unsigned vcpu, uint64_t page);
	/* The vCPUs are done, the mode is still set up: check dirty sets and the
	 * like against what the vCPUs did (bitmaps over region pages). */
	int (*after_vcpus)(struct mode_run *r, const uint64_t *touched, const uint64_t *written);
	/* vCPUs are done: stop threads, unregister, sum counters. Must undo setup
	 * even after a failed setup. */
	int (*teardown)(struct mode_run *r);
	/* After teardown and verification: do the counters add up for the
	 * `touched` distinct pages? 0, or -EPROTO with the mismatch in r->err.
	 * This is what catches a lost or duplicated resolve. Optional. */
	int (*account)(struct mode_run *r, uint64_t touched);
	/* Figures of the mode's own, for this repetition's "mode_data" object
	 * (documented per mode in results/schema.json). Called after
	 * after_vcpus and before teardown. Optional. */
	json_t *(*report)(struct mode_run *r);
};

extern const struct fault_mode *const fault_modes[];
extern const size_t fault_modes_count;
const struct fault_mode *mode_find(const char *name);

/* Reason this process cannot open userfaultfd, or NULL. Shared by uffd modes. */
const char *mode_uffd_unsupported(const struct fb_config *cfg, const struct host_caps *h,
				  uint64_t features, char *why, size_t n);

#endif
