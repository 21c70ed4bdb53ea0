/* Log-linear latency histogram (HDR-style), in nanoseconds.
 *
 * Values below 2^SUB_BITS ns have a bucket each. Above, every power of two
 * [2^k, 2^(k+1)) is cut into 2^SUB_BITS equal buckets, so a bucket's width is
 * at most 1/64 of its lower bound. Reporting a bucket's midpoint therefore
 * errs by at most 1/128 (0.78%) of the true value; min, max, count and sum are
 * kept exactly. Values of 2^(SUB_BITS+MAX_SHIFT) ns (about 78 hours) and
 * more land in the last bucket and are counted in `overflow`.
 *
 * hist_add() is a few shifts and one increment: no allocation, no locks.
 * Each thread owns its histogram; they are merged after the threads end. */
#ifndef FB_HIST_H
#define FB_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_SHIFT 42
#define HIST_BUCKETS (HIST_SUB + HIST_MAX_SHIFT * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint64_t overflow;
	uint64_t bucket[HIST_BUCKETS];
};

static inline unsigned hist_index(uint64_t v)
{
	unsigned msb, shift, idx;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	idx = HIST_SUB + shift * HIST_SUB + (unsigned)(v >> shift) - HIST_SUB;
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static inline void hist_add(struct hist *h, uint64_t ns)
{
	unsigned i = hist_index(ns);

	h->bucket[i]++;
	h->count++;
	if (ns >> (HIST_SUB_BITS + HIST_MAX_SHIFT))
		h->overflow++;
	h->sum_ns += ns;
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

void hist_init(struct hist *h);
void hist_merge(struct hist *dst, const struct hist *src);
/* [lo, hi) of bucket i, in ns. */
void hist_bucket_bounds(unsigned i, uint64_t *lo, uint64_t *hi);
/* Value at quantile q in [0,1]: the midpoint of the bucket holding it,
 * clamped to [min, max]. 0 for an empty histogram. */
double hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

#endif
