#include "hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	dst->overflow += src->overflow;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

void hist_bucket_bounds(unsigned i, uint64_t *lo, uint64_t *hi)
{
	unsigned shift;
	uint64_t m;

	if (i < HIST_SUB) {
		*lo = i;
		*hi = (uint64_t)i + 1;
		return;
	}
	shift = (i - HIST_SUB) / HIST_SUB;
	m = HIST_SUB + (i - HIST_SUB) % HIST_SUB;
	*lo = m << shift;
	*hi = (m + 1) << shift;
}

double hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi;
	double mid;

	if (!h->count)
		return 0;
	if (q <= 0)
		return (double)h->min_ns;
	if (q >= 1)
		return (double)h->max_ns;
	/* the smallest value with at least ceil(q * count) values at or below it */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			hist_bucket_bounds(i, &lo, &hi);
			mid = hi - lo == 1 ? (double)lo : ((double)lo + (double)hi) / 2.0;
			if (mid < (double)h->min_ns)
				mid = (double)h->min_ns;
			if (mid > (double)h->max_ns)
				mid = (double)h->max_ns;
			return mid;
		}
	}
	return (double)h->max_ns;
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum_ns / (double)h->count : 0;
}
