/* The versioned write a snapshot writer makes, shared by the writers
 * (writers.c) and the point-in-time replay (pit.c): both must agree, word
 * for word. Writer i's k-th write goes to page seq[k mod n] of its slice
 * (n pages, seq from the workload), into a word chosen from k, so repeated
 * writes to a page move across its words and a page's content depends on
 * all its writes; the value names the writer and the write. */
#ifndef FB_SNAP_WRITE_H
#define FB_SNAP_WRITE_H

#include <stdint.h>

#include "workload.h"

#define SNAP_K_MASK ((1ULL << 48) - 1)

static inline uint64_t snap_write_page(const uint32_t *seq, uint64_t n, uint64_t k)
{
	return seq[k % n] & WL_PAGE_MASK;
}

/* page_words is a power of two: times an odd number is a bijection of the
 * word index, and it scatters successive writes to a huge page over its 4K
 * parts, as a guest's writes would be (a COW of one costs what it costs). */
static inline uint64_t snap_write_word(uint64_t n, uint64_t page_words, uint64_t k)
{
	return ((k / n + k % n) * 0x9e3779b1ULL) & (page_words - 1);
}

static inline uint64_t snap_write_value(unsigned writer, uint64_t k)
{
	return ((uint64_t)(writer + 1) << 48) | (k & SNAP_K_MASK);
}

#endif
