/* The vCPU writer threads of `faultbench snapshot` (writers.c) and the
 * throughput timeline sampler (timeline.c). */
#ifndef FB_SNAP_WRITERS_H
#define FB_SNAP_WRITERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "hist.h"
#include "snapshot/snap.h"

struct snap_writer {
	_Atomic uint64_t k;        /* writes done; the next write's number */
	char pad0[FB_CACHELINE - sizeof(uint64_t)];
	struct snap_writers *all;
	unsigned id;
	int cpu;
	uint32_t *seq;             /* the workload's pages, slice-relative (MADV_DONTFORK) */
	uint64_t n;                /* pages in the slice */
	uint64_t first_page;
	uint64_t park_ns;          /* time parked, summed (the pause this vCPU saw) */
	struct hist lat;           /* per-write latency while the snapshot runs */
	pthread_t thr;
	bool started;
	int err;
};

enum { WR_PARK = 1, WR_STOP = 2 };

struct snap_writers {
	_Atomic int ctl;           /* WR_PARK | WR_STOP: checked once per write */
	_Atomic int timing;        /* time each write into lat */
	_Atomic unsigned parked;
	char *base;
	uint64_t page_size, page_words;
	uint64_t rate_period_ns;   /* 0: full speed */
	unsigned n;
	struct snap_writer *v;
	uint64_t seq_bytes;
};

/* Build every writer's sequence (not timed) and start the threads. */
int writers_start(struct snap_writers *w, const struct snap_config *c, char *base,
		  struct fb_err *err);
void writers_stop(struct snap_writers *w);   /* join */
void writers_free(struct snap_writers *w);   /* the sequences, after pit used them */
uint64_t writers_total(const struct snap_writers *w);
/* returns when every writer is parked at a write boundary */
void writers_park(struct snap_writers *w);
void writers_resume(struct snap_writers *w);
/* Test-only injections: wait until the writer owning page has gone once
 * round its whole sequence past cut, so the page has a post-T0 write. */
void writers_wait_round(struct snap_writers *w, uint64_t page, const uint64_t *cut);

/* timeline.c: writes per interval per vCPU, bounded storage. */
#define TL_MAX_SAMPLES 2048
struct snap_timeline {
	struct snap_writers *w;
	uint64_t interval_ns;      /* doubles when the storage fills */
	uint64_t t_start_ns;
	unsigned nsamples;
	uint64_t *t_ns;            /* [TL_MAX_SAMPLES] sample end, since t_start */
	uint64_t *writes;          /* [TL_MAX_SAMPLES][n]: cumulative writes per vCPU */
	_Atomic int stop;
	pthread_t thr;
	bool started;
};
int timeline_start(struct snap_timeline *tl, struct snap_writers *w, uint64_t interval_ns);
void timeline_stop(struct snap_timeline *tl);
void timeline_free(struct snap_timeline *tl);

#endif
