/* userfaultfd plumbing shared by the uffd modes: opening with the features
 * a mode needs, registering ranges, and a pool of handler threads that read
 * fault messages and resolve them. */
#ifndef FB_UFFD_H
#define FB_UFFD_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "compat.h"
#include "config.h"
#include "fb.h"
#include "hist.h"
#include "image.h"
#include "modes/mode.h"

/* Open a userfaultfd (the syscall, else /dev/userfaultfd) and enable
 * `features`. Returns the fd, or -errno with a sentence in err naming what is
 * missing. */
int uffd_open(uint64_t features, struct fb_err *err);
/* Register [start, start+len) with mode bits; *ioctls gets the range ioctls. */
int uffd_register(int uffd, void *start, uint64_t len, uint64_t mode, uint64_t *ioctls,
		  struct fb_err *err);
int uffd_unregister(int uffd, void *start, uint64_t len);
/* Names of the features in mask, comma-separated, for messages. */
const char *uffd_feature_list(uint64_t mask, char *buf, size_t n);

struct uffd_server;
struct handoff_extra;
struct uffd_handler;

/* What a handler does with one message; returns 0 or -errno (the run fails).
 * Runs on a handler thread: no allocation, no locks, no output. */
typedef int (*uffd_msg_fn)(struct uffd_server *s, struct uffd_handler *h,
			   const struct uffd_msg *m);

struct uffd_handler {
	struct uffd_server *srv;
	pthread_t tid;
	int uffd;
	int epfd;
	bool started;
	struct uffd_msg *msgs;  /* batch buffer, allocated before start */
	struct image_pool pool; /* its own source pages, when the server copies */
	char *staging;          /* --resolve move: its own anon page, filled then moved */
	struct mode_counters c;
	struct hist service;
	struct handler_seen seen;  /* where it ran; seen.cpu: where it is pinned */
} __attribute__((aligned(FB_CACHELINE)));

/* Where a server's handlers run (--handler): threads of faultbench
 * (uffd.c), or a process that is handed the uffd with Firecracker's
 * handshake (hproc.c). start() runs after the uffds are registered; stop()
 * leaves the counters summed into the run, and returns 0 or -errno (a
 * handler that failed in a way the counters cannot show, with run->err). */
struct handler_transport {
	const char *name;
	int (*start)(struct uffd_server *s, struct fb_err *err);
	int (*stop)(struct uffd_server *s);
};
extern const struct handler_transport handler_threads, handler_process;

struct uffd_server {
	struct mode_run *run;
	const struct handler_transport *tr;  /* the run's --handler */
	void *tr_state;                      /* the transport's own */
	const struct handoff_extra *extra;   /* --handler process: a mode's role and fds, or NULL */
	unsigned nuffds;
	int uffds[FB_MAX_VCPUS];
	uint64_t range_ioctls;  /* ioctls every registered range supports */
	bool copies;            /* handlers resolve with COPY: each gets an image pool */
	bool copy_wp;           /* ... with UFFDIO_COPY_MODE_WP: the range tracks writes */
	int stop_fd;            /* eventfd: handlers exit when it is readable */
	_Atomic int stopping;   /* the same, for handlers that never sleep (--wait spin) */
	uint64_t vcpu_cpus[FB_MAX_CPUS / 64];  /* CPUs vCPUs are pinned to */
	unsigned nhandlers;
	struct uffd_handler *h;
	uffd_msg_fn on_msg;
	void *mode_state;
};

/* Zero s, mark every fd closed. Call before anything else. */
void uffd_server_init(struct uffd_server *s, struct mode_run *run, uffd_msg_fn on_msg);
/* Close the uffds (after stop). */
void uffd_server_close(struct uffd_server *s);
/* Start cfg->readers handler threads on each uffd in s->uffds[0..nuffds). */
int uffd_server_start(struct uffd_server *s, struct fb_err *err);
/* Stop and join the handlers; sum their counters and service times into run. */
void uffd_server_stop(struct uffd_server *s);
/* Add one handler's counters into the run's total t. */
void uffd_counters_add(struct mode_counters *t, const struct mode_counters *c);
/* Where a handler's read() that returned messages ran (sched_getcpu(), an
 * rseq read): into seen, against the CPUs the vCPUs are pinned to. */
void handler_seen_note(struct handler_seen *seen, const uint64_t *vcpu_cpus);
/* Per fault, before the resolve: --service-delay-us, and the test-only
 * slowdown. */
void uffd_service_wait(uint64_t delay_us, uint64_t slowdown_ns);

/* UFFDIO_COPY / UFFDIO_ZEROPAGE of [dst, dst+len), counted into c. EEXIST
 * (another resolver won) is success; without dontwake the range is then
 * woken, for a faulter asleep on it. EAGAIN and partial copies are retried,
 * ENOMEM up to FB_ENOMEM_RETRIES times 1 ms apart; ENOENT, ESRCH and the rest fail.
 * Async-signal-safe (ioctl and nanosleep only). 0 or -errno. */
int uffd_copy(int uffd, struct mode_counters *c, uint64_t dst, uint64_t src, uint64_t len,
	      bool dontwake);
int uffd_zeropage(int uffd, struct mode_counters *c, uint64_t dst, uint64_t len, bool dontwake);
/* uffd_copy() with UFFDIO_COPY_MODE_WP: the page is installed
 * write-protected (clean for WP_ASYNC dirty tracking). */
int uffd_copy_wp(int uffd, struct mode_counters *c, uint64_t dst, uint64_t src, uint64_t len);
/* UFFDIO_MOVE of the page at src (private anon, ours) to dst, counted into
 * c, with uffd_copy()'s EEXIST / EAGAIN / ENOMEM rules. src is a hole after. */
int uffd_move(int uffd, struct mode_counters *c, uint64_t dst, uint64_t src, uint64_t len);

/* Resolve one fault by copying from the image (UFFDIO_COPY, from the
 * handler's own image pool; with --resolve move, memcpy into the handler's
 * staging page and UFFDIO_MOVE that in), or zero-filling
 * (UFFDIO_ZEROPAGE) when the image page is zero and the range supports it.
 * Handles EEXIST (wake, count) and EAGAIN / partial copies (retry, count). */
int uffd_resolve_from_image(struct uffd_server *s, struct uffd_handler *h, uint64_t page);
/* The same, with image page `page` installed at dst (a page that moved:
 * --events remap). */
int uffd_resolve_at(struct uffd_server *s, struct uffd_handler *h, uint64_t page, uint64_t dst);
/* On the calling thread, from now on: a resolve that sees EAGAIN calls
 * fn(arg) before it retries (fn's -errno fails the resolve). NULL: none. */
void uffd_on_eagain(int (*fn)(void *arg), void *arg);
/* Resolve a MINOR fault by mapping the page cache page (UFFDIO_CONTINUE).
 * 0: this call mapped it; 1: it was already mapped (EEXIST, counted, faulter
 * woken); -errno: failed (counted). EAGAIN and ENOMEM are retried and
 * counted, as for uffd_copy(). */
int uffd_continue(struct uffd_handler *h, uint64_t dst, uint64_t len);
/* The same on any uffd, counted into c (a handler process). */
int uffd_continue_fd(int uffd, struct mode_counters *c, uint64_t dst, uint64_t len);



/* The uffd-stock building blocks other uffd modes reuse. */
int uffd_stock_setup_server(struct mode_run *r, struct uffd_server *s, uffd_msg_fn fn,
			    uint64_t features, uint64_t reg_mode);
int uffd_stock_teardown_server(struct mode_run *r, struct uffd_server *s);
int uffd_account_resolved(struct mode_run *r, uint64_t touched);
int uffd_account_check(struct mode_run *r, uint64_t touched, uint64_t resolved, const char *verb);
int uffd_check_sharing(const struct fb_config *cfg, struct fb_err *err);
int uffd_server_mode_teardown(struct mode_run *r);

#endif
