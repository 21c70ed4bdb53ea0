#include "anatomy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timing.h"

int anatomy_init(struct anatomy *a, unsigned nvcpus)
{
	memset(a, 0, sizeof(*a));
	a->nvcpus = nvcpus;
	a->mb = aligned_alloc(2 * FB_CACHELINE, sizeof(*a->mb) * nvcpus);
	if (!a->mb || tidmap_init(&a->tids, nvcpus)) {
		anatomy_free(a);
		return -ENOMEM;
	}
	anatomy_reset(a);
	return 0;
}

void anatomy_free(struct anatomy *a)
{
	free(a->mb);
	tidmap_free(&a->tids);
	a->mb = NULL;
}

void anatomy_reset(struct anatomy *a)
{
	for (unsigned i = 0; i < a->nvcpus; i++) {
		struct anat_mailbox *mb = &a->mb[i];

		atomic_init(&mb->posted, 0);
		atomic_init(&mb->claimed, 0);
		for (unsigned k = 0; k < ANAT_SLOTS; k++) {
			atomic_init(&mb->slot[k].tag, 0);
			atomic_init(&mb->slot[k].t_msg, 0);
			atomic_init(&mb->slot[k].t_res, 0);
		}
	}
	tidmap_reset(&a->tids);
}

void anatomy_register_vcpu(struct anatomy *a, unsigned vcpu)
{
	tidmap_add_self(&a->tids, vcpu);
}

static struct anat_ticket claim(struct anatomy *a, unsigned vcpu, uint64_t page, uint64_t t_msg)
{
	struct anat_mailbox *mb = &a->mb[vcpu];
	struct anat_slot *s =
		&mb->slot[atomic_fetch_add_explicit(&mb->claimed, 1, memory_order_relaxed) % ANAT_SLOTS];

	/* a seqlock with 0 as "being written": a reader that sees the same
	 * non-zero tag before and after its reads has read one whole slot */
	atomic_store_explicit(&s->tag, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->t_msg, t_msg, memory_order_relaxed);
	atomic_store_explicit(&s->t_res, 0, memory_order_relaxed);
	atomic_store_explicit(&s->tag, page + 1, memory_order_release);
	atomic_fetch_add_explicit(&mb->posted, 1, memory_order_release);
	return (struct anat_ticket){ mb, s };
}

void anatomy_resolved(struct anat_ticket t, uint64_t t_res)
{
	if (!t.mb)
		return;
	atomic_store_explicit(&t.slot->t_res, t_res ? t_res : 1, memory_order_release);
	atomic_fetch_add_explicit(&t.mb->posted, 1, memory_order_release);
}

struct anat_ticket anatomy_msg(struct anatomy *a, uint32_t tid, uint64_t page, uint64_t t_msg)
{
	int v = tidmap_find(&a->tids, tid);

	if (v < 0) /* not a vCPU: an emulation or balloon thread, the main thread */
		return (struct anat_ticket){ NULL, NULL };
	return claim(a, (unsigned)v, page, t_msg);
}

void anatomy_post(struct anatomy *a, unsigned vcpu, uint64_t page, uint64_t t_msg, uint64_t t_res)
{
	anatomy_resolved(claim(a, vcpu, page, t_msg), t_res);
}

/* Read slot k whole; 0 when it is empty or being written. */
static uint64_t slot_read(const struct anat_slot *s, uint64_t *t_msg, uint64_t *t_res)
{
	uint64_t tag = atomic_load_explicit(&s->tag, memory_order_acquire);

	if (!tag)
		return 0;
	*t_msg = atomic_load_explicit(&s->t_msg, memory_order_relaxed);
	*t_res = atomic_load_explicit(&s->t_res, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&s->tag, memory_order_relaxed) == tag ? tag : 0;
}

/* 1: the slot is this access's message (counted); 0: it belongs to an
 * earlier access. A resolve that returned after the vCPU ran again ends,
 * for the anatomy, when the vCPU ran (see anatomy.h). */
static int take(struct anat_vcpu *v, uint64_t prev, uint64_t now, uint64_t t_msg, uint64_t t_res)
{
	if (t_msg < prev || t_msg > now)
		return 0;
	if (t_res > now) {
		t_res = now;
		v->resumed_first++;
	}
	hist_add(v->part[ANAT_DELIVERY], fb_ticks_ns(t_msg - prev));
	hist_add(v->part[ANAT_SERVICE], fb_ticks_ns(t_res - t_msg));
	hist_add(v->part[ANAT_WAKE], fb_ticks_ns(now - t_res));
	v->matched++;
	return 1;
}

void anatomy_look(const struct anat_mailbox *mb, struct anat_vcpu *v, uint64_t tag,
		  uint64_t prev, uint64_t now, uint64_t p)
{
	bool cur = false, wait = false;

	v->seen = p;
	for (unsigned k = 0; k < ANAT_SLOTS; k++) {
		uint64_t t_msg, t_res, t = slot_read(&mb->slot[k], &t_msg, &t_res);

		if (!t)
			continue;
		if (t == tag && !cur && t_msg >= prev && t_msg <= now) {
			cur = true;
			/* no t_res: resolved, but the handler has not said when yet */
			wait = !t_res || !take(v, prev, now, t_msg, t_res);
			continue;
		}
		for (unsigned j = 0; t_res && j < ANAT_SLOTS; j++) {
			if (v->pend[j].tag == t &&
			    take(v, v->pend[j].prev, v->pend[j].now, t_msg, t_res)) {
				v->pend[j].tag = 0;
				break;
			}
		}
	}
	if (wait) {
		unsigned j = v->pend_next++ % ANAT_SLOTS;

		v->pend[j].tag = tag;
		v->pend[j].prev = prev;
		v->pend[j].now = now;
	}
}

void anatomy_finish(const struct anat_mailbox *mb, struct anat_vcpu *v)
{
	anatomy_look(mb, v, 0, 0, 0, atomic_load_explicit(&mb->posted, memory_order_acquire));
	memset(v->pend, 0, sizeof(v->pend));
}
