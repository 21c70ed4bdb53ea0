/* Blocktime bookkeeping (blocktime.h). */
#include "blocktime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timing.h"

static size_t round_line(size_t n)
{
	return (n + FB_CACHELINE - 1) / FB_CACHELINE * FB_CACHELINE;
}

/* The block: v[nvcpus], the logs, the thread id table. */
size_t blocktime_bytes(unsigned nvcpus, uint64_t cap)
{
	return round_line(sizeof(struct bt_vcpu) * nvcpus) +
	       round_line(sizeof(struct bt_wait) * nvcpus * cap) + round_line(tidmap_bytes(nvcpus));
}

void blocktime_place(struct blocktime *bt, unsigned nvcpus, uint64_t cap, void *mem)
{
	char *p = mem;

	memset(bt, 0, sizeof(*bt));
	bt->nvcpus = nvcpus;
	bt->cap = cap;
	bt->v = (struct bt_vcpu *)p;
	p += round_line(sizeof(struct bt_vcpu) * nvcpus);
	bt->logs = (struct bt_wait *)p;
	p += round_line(sizeof(struct bt_wait) * nvcpus * cap);
	tidmap_place(&bt->tids, nvcpus, p);
}

int blocktime_init(struct blocktime *bt, unsigned nvcpus, uint64_t cap)
{
	size_t n = blocktime_bytes(nvcpus, cap);
	void *mem = aligned_alloc(FB_CACHELINE, n);

	memset(bt, 0, sizeof(*bt));
	if (!mem)
		return -ENOMEM;
	memset(mem, 0, n);
	blocktime_place(bt, nvcpus, cap, mem);
	bt->owned = mem;
	return 0;
}

void blocktime_reset(struct blocktime *bt)
{
	for (unsigned i = 0; i < bt->nvcpus; i++)
		bt->v[i].n = bt->v[i].last_page1 = bt->v[i].overflow = 0;
	tidmap_reset(&bt->tids);
}

void blocktime_free(struct blocktime *bt)
{
	free(bt->owned);
	memset(bt, 0, sizeof(*bt));
}

struct edge {
	uint64_t t;
	int d;   /* +1 a wait starts, -1 it ends */
};

static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->d - y->d;  /* ends first: waits that touch do not overlap */
}

int blocktime_sum(const struct blocktime *bt, const uint64_t *installed, uint64_t *per_vcpu_ns,
		  uint64_t *all_ns, uint64_t *open)
{
	uint64_t n = 0, k = 0, since = 0;
	struct edge *e;
	int depth = 0;

	*all_ns = 0;
	*open = 0;
	for (unsigned v = 0; v < bt->nvcpus; v++)
		n += bt->v[v].n;
	e = malloc((2 * n + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (unsigned v = 0; v < bt->nvcpus; v++) {
		per_vcpu_ns[v] = 0;
		for (uint64_t i = 0; i < bt->v[v].n; i++) {
			const struct bt_wait *w = &bt->logs[v * bt->cap + i];
			uint64_t end = installed[w->page];

			if (!end) {
				(*open)++;
				continue;
			}
			/* the vCPU's next fault proves it ran again: the installer
			 * may have been preempted between the wake and its clock read */
			if (i + 1 < bt->v[v].n && bt->logs[v * bt->cap + i + 1].start < end)
				end = bt->logs[v * bt->cap + i + 1].start;
			if (end <= w->start)
				continue;  /* in before the fault thread read the fault */
			per_vcpu_ns[v] += fb_ticks_ns(end - w->start);
			e[k++] = (struct edge){ w->start, 1 };
			e[k++] = (struct edge){ end, -1 };
		}
	}
	qsort(e, k, sizeof(*e), edge_cmp);
	/* one vCPU's waits never overlap: depth nvcpus means every vCPU waits */
	for (uint64_t i = 0; i < k; i++) {
		if (depth == (int)bt->nvcpus)
			*all_ns += fb_ticks_ns(e[i].t - since);
		depth += e[i].d;
		since = e[i].t;
	}
	free(e);
	return 0;
}
