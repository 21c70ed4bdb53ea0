/* Fault anatomy: where one fault's time goes.
 *
 * Four timestamps per fault, on the clock of the first-touch latency
 * (timing.h ticks), so the parts add up:
 *
 *   t_prev  the vCPU's clock read after its previous access (where the
 *           access's first-touch latency starts)
 *   t_msg   the handler's return from read() with the fault's message
 *   t_res   the return of the resolve ioctl (COPY, ZEROPAGE, CONTINUE; its
 *           wake of the faulter included)
 *   t_now   the vCPU's clock read after the access (where the latency ends)
 *
 * delivery = t_msg - t_prev, service = t_res - t_msg, wake = t_now - t_res;
 * for a matched fault they sum to its first-touch latency exactly.
 * With --touch line or page the access writes on after its fault (on the
 * page's first write) is resolved: those writes are in wake.
 *
 * Matching a message to the access that caused it. Handlers open their
 * uffds with UFFD_FEATURE_THREAD_ID, so each message names the faulting
 * thread (arg.pagefault.feat.ptid). Each vCPU puts its tid in a small table
 * before the start barrier. For each fault message a handler claims a slot
 * of that vCPU's mailbox (its own cache lines) and writes {page, t_msg}
 * before it resolves, then t_res after; each write bumps the mailbox's
 * `posted`. After each first touch the vCPU loads `posted`: one load and
 * compare on the timed path. Only when it moved does the vCPU look at the
 * slots for one naming this page with t_prev <= t_msg <= t_now, and a match
 * adds the three parts to the vCPU's own histograms. The first write
 * happens before the resolve that wakes the vCPU, so a vCPU that finds no
 * slot for its page took no round trip: the kernel filled the page
 * (zero-unreg's zero ranges, a page another vCPU's fault brought in), and
 * the access is unmatched. A vCPU has one fault outstanding at a time (two
 * messages for one access means the fault was retried), so four slots are
 * never short.
 *
 * The woken vCPU may look before the handler wrote t_res: the access is
 * then kept as pending and completed when t_res appears (at a later first
 * touch, or after the run). When the handler shares the vCPU's CPU, the
 * resolve's wake usually switches to the vCPU before the ioctl returns, so
 * the return comes after the vCPU's t_now and no user-space clock sees the
 * resolve end. Such a fault still matches: its resolve is taken to end at
 * t_now (wake 0; the switch to the vCPU is in its service), and it is
 * counted in `resumed_first`. Up to four accesses wait that way (several
 * readers can each be held up between a resolve and its t_res); a fifth
 * pushes out the oldest, which stays unmatched.
 *
 * Batching: a read() returning several messages gives all of them the same
 * t_msg, so a later message's wait behind the earlier resolves counts as its
 * service. Several readers: whichever reader holds the message writes the
 * slot; the mailbox does not care. EEXIST: the handler that lost the race
 * still wakes its faulter, and that resolve's return is t_res.
 *
 * memfault-exit's vCPUs resolve their own faults: its SIGBUS handler (or
 * bitmap miss) posts t_msg = handler entry and t_res = after its COPY into
 * the vCPU's own mailbox, so delivery is access to handler entry and wake is
 * the return to the access. */
#ifndef FB_ANATOMY_H
#define FB_ANATOMY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fb.h"
#include "hist.h"
#include "tidmap.h"

#define ANAT_SLOTS 4

enum anat_part { ANAT_DELIVERY, ANAT_SERVICE, ANAT_WAKE, ANAT_PARTS };

struct anat_slot {
	_Atomic uint64_t tag;      /* page + 1; 0 while a writer fills the slot */
	_Atomic uint64_t t_msg;
	_Atomic uint64_t t_res;    /* 0 until the resolve returned */
};

/* One vCPU's: handlers write, the vCPU reads. */
struct anat_mailbox {
	_Atomic uint64_t posted;   /* slots completed so far */
	_Atomic uint64_t claimed;  /* slots handed to writers */
	struct anat_slot slot[ANAT_SLOTS];
} __attribute__((aligned(2 * FB_CACHELINE)));

/* A handler's hold on the slot of one message, between its two writes. */
struct anat_ticket {
	struct anat_mailbox *mb;   /* NULL: not a vCPU's fault */
	struct anat_slot *slot;
};

/* One vCPU's own side, touched by its thread only (read after it ends). */
struct anat_vcpu {
	uint64_t seen;             /* `posted` when the vCPU last looked */
	struct {                   /* first touches whose t_res is not in yet */
		uint64_t tag;      /* page + 1, 0 none */
		uint64_t prev, now;
	} pend[ANAT_SLOTS];
	unsigned pend_next;        /* the oldest, replaced by the next one */
	uint64_t matched, resumed_first;
	struct hist *part[ANAT_PARTS];
};

struct anatomy {
	unsigned nvcpus;
	struct anat_mailbox *mb;   /* [nvcpus] */
	struct tidmap tids;        /* thread id -> vCPU */
};

/* What a repetition recorded, summed over vCPUs. */
struct rep_anatomy {
	const char *unavailable;   /* why not measured, or NULL */
	struct hist part[ANAT_PARTS];
	uint64_t first_touches, matched, resumed_first;
};

int anatomy_init(struct anatomy *a, unsigned nvcpus);
void anatomy_free(struct anatomy *a);
/* Before each repetition, before any handler or vCPU starts. */
void anatomy_reset(struct anatomy *a);
/* On vCPU `vcpu`'s thread, before the start barrier. */
void anatomy_register_vcpu(struct anatomy *a, unsigned vcpu);
/* A handler read the fault message of thread `tid` (feat.ptid) on `page`
 * (region index) at t_msg, and is about to resolve it. Threads that are not
 * vCPUs get an empty ticket. No allocation, no locks. */
struct anat_ticket anatomy_msg(struct anatomy *a, uint32_t tid, uint64_t page, uint64_t t_msg);
/* ... and the resolve returned at t_res. */
void anatomy_resolved(struct anat_ticket t, uint64_t t_res);
/* Both at once, for a known vCPU; async-signal-safe (memfault-exit's exits). */
void anatomy_post(struct anatomy *a, unsigned vcpu, uint64_t page, uint64_t t_msg,
		  uint64_t t_res);

/* The slow path of anatomy_after_touch(): `posted` moved to p. */
void anatomy_look(const struct anat_mailbox *mb, struct anat_vcpu *v, uint64_t tag,
		  uint64_t prev, uint64_t now, uint64_t p);
/* After the handlers have stopped: a last look for the vCPU's pending access. */
void anatomy_finish(const struct anat_mailbox *mb, struct anat_vcpu *v);

/* On the timed path, after a first touch of region page `page` that ran
 * from tick `prev` to tick `now`. */
static inline void anatomy_after_touch(const struct anat_mailbox *mb, struct anat_vcpu *v,
				       uint64_t page, uint64_t prev, uint64_t now)
{
	uint64_t p = atomic_load_explicit(&mb->posted, memory_order_acquire);

	if (__builtin_expect(p != v->seen, 0))
		anatomy_look(mb, v, page + 1, prev, now, p);
}

#endif
