/* Thread id -> vCPU (tidmap.h). */
#include "tidmap.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fb.h"

static unsigned table_size(unsigned n)
{
	unsigned size = 8;

	while (size < 2 * n)
		size *= 2;
	return size;
}

int tidmap_init(struct tidmap *m, unsigned n)
{
	m->mask = table_size(n) - 1;
	m->slot = calloc(table_size(n), sizeof(*m->slot));
	return m->slot ? 0 : -ENOMEM;
}

size_t tidmap_bytes(unsigned n)
{
	return table_size(n) * sizeof(uint64_t);
}

void tidmap_place(struct tidmap *m, unsigned n, void *mem)
{
	m->mask = table_size(n) - 1;
	m->slot = mem;
}

void tidmap_reset(struct tidmap *m)
{
	for (unsigned i = 0; m->slot && i <= m->mask; i++)
		atomic_init(&m->slot[i], 0);
}

void tidmap_free(struct tidmap *m)
{
	free((void *)m->slot);
	m->slot = NULL;
}

static unsigned tid_hash(const struct tidmap *m, uint32_t tid)
{
	return (unsigned)(fb_mix64(tid) & m->mask);
}

void tidmap_add_self(struct tidmap *m, unsigned idx)
{
	uint32_t tid = (uint32_t)gettid();
	uint64_t want = (uint64_t)tid << 32 | idx;

	/* at most half full: a free slot is always found */
	for (unsigned i = tid_hash(m, tid);; i = (i + 1) & m->mask) {
		uint64_t seen = 0;

		if (atomic_compare_exchange_strong_explicit(&m->slot[i], &seen, want,
							    memory_order_release, memory_order_relaxed))
			return;
		if ((uint32_t)(seen >> 32) == tid) {
			atomic_store_explicit(&m->slot[i], want, memory_order_release);
			return;
		}
	}
}

int tidmap_find(const struct tidmap *m, uint32_t tid)
{
	for (unsigned i = tid_hash(m, tid);; i = (i + 1) & m->mask) {
		uint64_t e = atomic_load_explicit(&m->slot[i], memory_order_acquire);

		if (!e)
			return -1;
		if ((uint32_t)(e >> 32) == tid)
			return (int)(e & 0xffffffffu);
	}
}
