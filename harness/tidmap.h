/* Which vCPU a thread id is: fault messages carry the faulting thread's id
 * (UFFD_FEATURE_THREAD_ID), and the fault anatomy and postcopy's blocktime
 * need its vCPU. An open-addressing table, at most half full, filled by the
 * vCPUs themselves before they start, read lock-free on the fault path. */
#ifndef FB_TIDMAP_H
#define FB_TIDMAP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct tidmap {
	unsigned mask;             /* table size - 1 (a power of two) */
	_Atomic uint64_t *slot;    /* tid << 32 | vCPU index; 0 empty */
};

/* A table for n vCPUs. 0 or -ENOMEM. */
int tidmap_init(struct tidmap *m, unsigned n);
/* The same table in mem (tidmap_bytes(n), zeroed), for a table shared
 * between processes: each places it in its own mapping of the block. */
size_t tidmap_bytes(unsigned n);
void tidmap_place(struct tidmap *m, unsigned n, void *mem);
void tidmap_reset(struct tidmap *m);
void tidmap_free(struct tidmap *m);
/* The calling thread is vCPU idx (again: the new index). */
void tidmap_add_self(struct tidmap *m, unsigned idx);
/* The vCPU of thread tid, or -1 (not a vCPU). No allocation, no locks. */
int tidmap_find(const struct tidmap *m, uint32_t tid);

#endif
