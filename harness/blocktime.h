/* QEMU's postcopy blocktime: how long each vCPU waited on faults, and how
 * long all of them waited at once (the time the guest made no progress).
 *
 * A wait starts when the fault thread reads a vCPU's fault message
 * (UFFD_FEATURE_THREAD_ID names the thread; vCPUs register their thread ids
 * before they start) and ends when its page is installed. The fault thread
 * logs {page, start} per vCPU, into arrays allocated before the run; the
 * installers record each page's install time (they do anyway); the sums are
 * made afterwards. So the fault path pays one store per fault, and no wait
 * is counted twice or lost to a race between installer and fault thread. */
#ifndef FB_BLOCKTIME_H
#define FB_BLOCKTIME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fb.h"
#include "tidmap.h"

struct bt_wait {
	uint64_t page;
	uint64_t start;            /* ticks */
};

struct bt_vcpu {
	uint64_t n;                /* waits logged */
	uint64_t last_page1;       /* the page of the last one, + 1 */
	uint64_t overflow;         /* waits not logged: its log was full */
} __attribute__((aligned(FB_CACHELINE)));

/* The pointers are this process's; what they point at (one block:
 * blocktime_bytes()) may be shared with another process that placed the
 * same layout (a destination in a handler process, postcopy_dest.h). */
struct blocktime {
	unsigned nvcpus;
	uint64_t cap;              /* waits per vCPU */
	struct bt_vcpu *v;
	struct bt_wait *logs;      /* vCPU v's log: logs[v * cap ...] */
	struct tidmap tids;        /* thread id -> vCPU */
	void *owned;               /* the block, when blocktime_init allocated it */
};

/* cap: waits a vCPU can log (its first touches are a bound: a page it
 * waited for is there after). 0 or -ENOMEM. */
int blocktime_init(struct blocktime *bt, unsigned nvcpus, uint64_t cap);
/* Bytes of the block for nvcpus and cap (a multiple of the cache line). */
size_t blocktime_bytes(unsigned nvcpus, uint64_t cap);
/* Lay bt out in mem (blocktime_bytes long, cache-line aligned, zeroed by
 * whoever made it): the same layout in every process that places it. */
void blocktime_place(struct blocktime *bt, unsigned nvcpus, uint64_t cap, void *mem);
/* A new repetition: empty logs, no thread ids. */
void blocktime_reset(struct blocktime *bt);
void blocktime_free(struct blocktime *bt);
/* On vCPU thread `vcpu`, before it runs. */
static inline void blocktime_register(struct blocktime *bt, unsigned vcpu)
{
	tidmap_add_self(&bt->tids, vcpu);
}

/* The vCPU whose thread id is tid, or -1. */
static inline int blocktime_vcpu(const struct blocktime *bt, uint32_t tid)
{
	return tidmap_find(&bt->tids, tid);
}

/* Fault thread: vCPU v waits on page from tick t. */
static inline void blocktime_wait(struct blocktime *bt, unsigned v, uint64_t page, uint64_t t)
{
	struct bt_vcpu *c = &bt->v[v];

	if (c->last_page1 == page + 1)
		return;  /* the same wait, told twice */
	c->last_page1 = page + 1;
	if (c->n == bt->cap) {
		c->overflow++;
		return;
	}
	bt->logs[v * bt->cap + c->n++] = (struct bt_wait){ .page = page, .start = t };
}

/* After the threads stopped. installed[p]: tick page p was installed (0:
 * never). Per-vCPU totals (ns) into per_vcpu_ns[nvcpus]; the time all vCPUs
 * waited at once; *open gets the waits whose page never came. A page
 * installed before the fault thread read the fault is a wait of 0; a wait
 * ends at the latest where the vCPU's next one starts. 0 or -ENOMEM. */
int blocktime_sum(const struct blocktime *bt, const uint64_t *installed, uint64_t *per_vcpu_ns,
		  uint64_t *all_ns, uint64_t *open);

#endif
