/* The child of --events fork (events.h): a process of its own, forked from
 * the events thread while guest memory is registered with
 * UFFD_FEATURE_EVENT_FORK. It reads pages spread over the vCPUs' slices
 * and checks every word; the pages it does not share with the parent fault
 * on the uffd the FORK message carried, and the parent serves them from
 * the image. It reports through a pipe and exits; the parent always reaps
 * it, killing it on a failure or after the deadline, and it dies with the
 * thread that forked it (PR_SET_PDEATHSIG). */
#ifndef FB_FORK_CHILD_H
#define FB_FORK_CHILD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "image.h"
#include "modes/mode.h"

/* What the child found. */
struct fork_report {
	uint64_t checked, bad;
	uint64_t first_bad, word, want, found;
};

struct fork_child {
	/* the plan, set before fork_child_start() */
	const struct fb_config *cfg;
	const struct image *img;
	char *base;               /* guest memory, at the same address in the child */
	uint64_t ps, wpp;
	uint64_t served_pages;    /* its faults in the first served_pages pages are served */
	uint64_t pages, stride;   /* it reads pages 0, stride, 2 stride, ... */
	uint64_t range_ioctls;    /* of the registered range: ZEROPAGE or not */
	const _Atomic int *stop;  /* the parent gives up when set */
	struct image_pool pool;   /* the parent's source pages */

	/* what happened */
	pid_t pid;
	int rfd;                  /* the report's pipe */
	struct mode_counters c;   /* the child's faults, served */
	struct fork_report fr;
	bool fr_ok;               /* the whole report arrived */
	int status;               /* waitpid's, -1 until reaped */
	char why[200];            /* a failure, for a message */
};

/* fork(). In the parent: 0 (the child runs), or -errno. The child never
 * returns. */
int fork_child_start(struct fork_child *fc);
/* Serve the child's faults on cu (-1: none to serve, just reap) until its
 * report arrives, the deadline (fb_mono_ns) passes or *stop is set; then
 * reap it, killed first unless it reported. 0, or -errno with fc->why. */
int fork_child_finish(struct fork_child *fc, int cu, uint64_t deadline);

#endif
