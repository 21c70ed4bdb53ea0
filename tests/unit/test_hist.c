/* Unit tests for harness/hist: bucket layout, the error bound it promises,
 * quantiles against exact order statistics, merge and overflow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb.h"
#include "hist.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Quantiles checked, as exact fractions num/1000. */
static const unsigned q_permille[] = { 500, 900, 990, 999 };

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	r->s += 1;
	return fb_mix64(r->s);
}

static struct hist *hist_new(void)
{
	struct hist *h = malloc(sizeof(*h));

	assert_non_null(h);
	hist_init(h);
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The smallest sample with at least ceil(num/den * n) samples at or below it,
 * from sorted samples; rank computed in integers. */
static uint64_t exact_quantile(const uint64_t *sorted, uint64_t n, uint64_t num, uint64_t den)
{
	uint64_t rank = (num * n + den - 1) / den;

	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

/* Every quantile in q_permille within 1/128 (+1 ns) of the exact one. */
static void check_quantiles(const char *what, const uint64_t *samples, uint64_t n)
{
	uint64_t *sorted = malloc(n * sizeof(*sorted));
	struct hist *h = hist_new();

	assert_non_null(sorted);
	memcpy(sorted, samples, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (uint64_t i = 0; i < n; i++)
		hist_add(h, samples[i]);
	for (size_t i = 0; i < ARRAY_SIZE(q_permille); i++) {
		double q = (double)q_permille[i] / 1000.0;
		double got = hist_quantile(h, q);
		uint64_t want = exact_quantile(sorted, n, q_permille[i], 1000);
		double tol = (double)want / 128.0 + 1.0;

		if (fabs(got - (double)want) > tol)
			fail_msg("%s: p%.1f = %.1f, exact %llu (tolerance %.2f)", what,
				 q_permille[i] / 10.0, got, (unsigned long long)want, tol);
	}
	/* the ends are exact */
	assert_true(hist_quantile(h, 0) == (double)sorted[0]);
	assert_true(hist_quantile(h, 1) == (double)sorted[n - 1]);
	free(sorted);
	free(h);
}

static void test_small_values_exact(void **state)
{
	struct hist *h = hist_new();
	uint64_t lo, hi;

	(void)state;
	for (uint64_t v = 0; v < HIST_SUB; v++) {
		assert_int_equal(hist_index(v), v);
		hist_bucket_bounds((unsigned)v, &lo, &hi);
		assert_int_equal(lo, v);
		assert_int_equal(hi, v + 1);
		hist_add(h, v);
	}
	for (unsigned i = 0; i < HIST_SUB; i++)
		assert_int_equal(h->bucket[i], 1);
	/* with one of each of 0..63, the value of rank r is r - 1 */
	for (unsigned r = 1; r <= HIST_SUB; r++) {
		double at = hist_quantile(h, (double)r / HIST_SUB);
		double inside = hist_quantile(h, ((double)r - 0.5) / HIST_SUB);

		if (at != (double)(r - 1) || inside != (double)(r - 1))
			fail_msg("rank %u: quantile %.3f, %.3f; want %u", r, at, inside, r - 1);
	}
	free(h);
}

static void check_bucket_holds(uint64_t v)
{
	unsigned i = hist_index(v);
	uint64_t lo, hi;

	assert_true(i < HIST_BUCKETS);
	hist_bucket_bounds(i, &lo, &hi);
	if (!(lo <= v && v < hi))
		fail_msg("v=%llu: bucket %u is [%llu, %llu)", (unsigned long long)v, i,
			 (unsigned long long)lo, (unsigned long long)hi);
	/* (hi - lo) / lo <= 1/64, in integers */
	if (v >= HIST_SUB && (hi - lo) * HIST_SUB > lo)
		fail_msg("v=%llu: bucket %u [%llu, %llu) is wider than 1/64 of its bound",
			 (unsigned long long)v, i, (unsigned long long)lo, (unsigned long long)hi);
}

static void test_index_bounds(void **state)
{
	struct rng r = { 42 };

	(void)state;
	for (unsigned k = 0; k <= 47; k++) {
		uint64_t p = 1ULL << k;

		check_bucket_holds(p);
		check_bucket_holds(p - 1);
		check_bucket_holds(p + 1);
		check_bucket_holds(p + p / 2);
	}
	check_bucket_holds((1ULL << (HIST_SUB_BITS + HIST_MAX_SHIFT)) - 1);
	for (int i = 0; i < 200000; i++) {
		/* uniform in 1 ns .. 1e12 ns */
		uint64_t u = 1 + rng_next(&r) % 1000000000000ULL;
		/* log-uniform: every power of two equally likely */
		unsigned bits = 1 + (unsigned)(rng_next(&r) % 40);
		uint64_t l = 1 + (rng_next(&r) & ((1ULL << bits) - 1));

		check_bucket_holds(u);
		check_bucket_holds(l);
	}
}

static void test_bounds_contiguous(void **state)
{
	uint64_t lo, hi, prev_hi = 0;

	(void)state;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		hist_bucket_bounds(i, &lo, &hi);
		if (lo != prev_hi || hi <= lo)
			fail_msg("bucket %u is [%llu, %llu), previous ended at %llu", i,
				 (unsigned long long)lo, (unsigned long long)hi,
				 (unsigned long long)prev_hi);
		/* both ends of the bucket map back to it */
		assert_int_equal(hist_index(lo), i);
		assert_int_equal(hist_index(hi - 1), i);
		prev_hi = hi;
	}
	assert_int_equal(prev_hi, 1ULL << (HIST_SUB_BITS + HIST_MAX_SHIFT));
}

static void test_quantiles_uniform(void **state)
{
	const uint64_t n = 100000;
	uint64_t *s = malloc(n * sizeof(*s));
	struct rng r = { 7 };

	(void)state;
	assert_non_null(s);
	for (uint64_t i = 0; i < n; i++)
		s[i] = 1000 + rng_next(&r) % (1000000 - 1000 + 1);
	check_quantiles("uniform 1000..1000000", s, n);
	/* an odd count, so q * n is rarely whole */
	check_quantiles("uniform, 99999 samples", s, n - 1);
	free(s);
}

static void test_quantiles_log_uniform(void **state)
{
	const uint64_t n = 100000;
	uint64_t *s = malloc(n * sizeof(*s));
	struct rng r = { 99 };

	(void)state;
	assert_non_null(s);
	for (uint64_t i = 0; i < n; i++) {
		unsigned bits = 1 + (unsigned)(rng_next(&r) % 40);

		s[i] = 1 + (rng_next(&r) & ((1ULL << bits) - 1));
	}
	check_quantiles("log-uniform 1..2^40", s, n);
	free(s);
}

static void test_quantiles_two_point(void **state)
{
	uint64_t s[1000];
	struct hist *h = hist_new();

	(void)state;
	/* 900 fast, 100 slow: p90 is exactly on the boundary (rank 900) */
	for (unsigned i = 0; i < 1000; i++)
		s[i] = i % 10 == 3 ? 5000000 : 100;
	check_quantiles("two-point 100 / 5000000", s, 1000);
	for (unsigned i = 0; i < 1000; i++)
		hist_add(h, s[i]);
	assert_true(hist_quantile(h, 0.5) == 100.0);
	assert_true(hist_quantile(h, 0.9) == 100.0);
	assert_true(hist_quantile(h, 0.901) == 5000000.0);
	assert_true(hist_quantile(h, 0.99) == 5000000.0);
	assert_true(hist_quantile(h, 0.999) == 5000000.0);
	free(h);

	/* 1001 samples: 501 low → the median (rank 501) is low, rank 502 high */
	{
		uint64_t t[1001];

		for (unsigned i = 0; i < 1001; i++)
			t[i] = i < 501 ? 70 : 123456;
		check_quantiles("two-point 70 / 123456", t, 1001);
	}
}

static void test_quantiles_single_value(void **state)
{
	struct hist *h = hist_new();
	uint64_t s[1000];

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		s[i] = 12345;
		hist_add(h, 12345);
	}
	check_quantiles("single value", s, 1000);
	/* clamped to [min, max] = the value itself */
	for (size_t i = 0; i < ARRAY_SIZE(q_permille); i++)
		assert_true(hist_quantile(h, q_permille[i] / 1000.0) == 12345.0);
	assert_true(hist_mean(h) == 12345.0);
	free(h);
}

static void test_exact_stats(void **state)
{
	struct hist *h = hist_new();
	struct rng r = { 3 };
	uint64_t mn = UINT64_MAX, mx = 0, sum = 0;
	const uint64_t n = 50000;

	(void)state;
	/* empty */
	assert_int_equal(h->count, 0);
	assert_true(hist_quantile(h, 0) == 0.0);
	assert_true(hist_quantile(h, 0.5) == 0.0);
	assert_true(hist_quantile(h, 1) == 0.0);
	assert_true(hist_mean(h) == 0.0);

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = 17 + rng_next(&r) % 100000000;

		hist_add(h, v);
		mn = v < mn ? v : mn;
		mx = v > mx ? v : mx;
		sum += v;
	}
	assert_int_equal(h->count, n);
	assert_int_equal(h->min_ns, mn);
	assert_int_equal(h->max_ns, mx);
	assert_int_equal(h->sum_ns, sum);
	assert_int_equal(h->overflow, 0);
	assert_true(hist_quantile(h, 0) == (double)mn);
	assert_true(hist_quantile(h, 1) == (double)mx);
	assert_true(hist_quantile(h, -1) == (double)mn);
	assert_true(hist_quantile(h, 2) == (double)mx);
	assert_true(hist_mean(h) == (double)sum / (double)n);
	{
		uint64_t total = 0;

		for (unsigned i = 0; i < HIST_BUCKETS; i++)
			total += h->bucket[i];
		assert_int_equal(total, n);
	}
	free(h);
}

static void assert_hist_equal(const struct hist *a, const struct hist *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->sum_ns, b->sum_ns);
	assert_int_equal(a->min_ns, b->min_ns);
	assert_int_equal(a->max_ns, b->max_ns);
	assert_int_equal(a->overflow, b->overflow);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (a->bucket[i] != b->bucket[i])
			fail_msg("bucket %u: %llu vs %llu", i, (unsigned long long)a->bucket[i],
				 (unsigned long long)b->bucket[i]);
}

static void test_merge(void **state)
{
	struct hist *a = hist_new(), *b = hist_new(), *u = hist_new(), *e = hist_new();
	struct rng r = { 11 };

	(void)state;
	for (int i = 0; i < 30000; i++) {
		uint64_t v = rng_next(&r) % 50000000;

		hist_add(a, v);
		hist_add(u, v);
	}
	for (int i = 0; i < 20000; i++) {
		/* b's range reaches below and above a's */
		uint64_t v = rng_next(&r) % 200000000;

		hist_add(b, v);
		hist_add(u, v);
	}
	hist_add(b, 1ULL << 50); /* an overflow, merged too */
	hist_add(u, 1ULL << 50);

	/* into an empty histogram: a copy */
	hist_merge(e, a);
	assert_hist_equal(e, a);
	/* an empty source changes nothing */
	{
		struct hist *z = hist_new();

		hist_merge(e, z);
		assert_hist_equal(e, a);
		free(z);
	}
	hist_merge(e, b);
	assert_hist_equal(e, u);
	/* the other order gives the same */
	hist_merge(b, a);
	assert_hist_equal(b, u);
	free(a);
	free(b);
	free(u);
	free(e);
}

static void test_overflow(void **state)
{
	struct hist *h = hist_new();
	const uint64_t limit = 1ULL << (HIST_SUB_BITS + HIST_MAX_SHIFT);
	const uint64_t big[] = { limit, limit + 12345, limit * 2, 1ULL << 62 };

	(void)state;
	hist_add(h, limit - 1);
	assert_int_equal(h->overflow, 0);
	assert_int_equal(h->bucket[HIST_BUCKETS - 1], 1);
	for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
		assert_int_equal(hist_index(big[i]), HIST_BUCKETS - 1);
		hist_add(h, big[i]);
		assert_int_equal(h->overflow, i + 1);
		assert_int_equal(h->bucket[HIST_BUCKETS - 1], i + 2);
	}
	assert_int_equal(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
	assert_int_equal(h->count, ARRAY_SIZE(big) + 1);
	assert_int_equal(h->max_ns, 1ULL << 62);
	assert_int_equal(h->min_ns, limit - 1);
	/* quantiles stay within [min, max] */
	assert_true(hist_quantile(h, 0.99) <= (double)(1ULL << 62));
	assert_true(hist_quantile(h, 0.99) >= (double)(limit - 1));
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_index_bounds),
		cmocka_unit_test(test_bounds_contiguous),
		cmocka_unit_test(test_quantiles_uniform),
		cmocka_unit_test(test_quantiles_log_uniform),
		cmocka_unit_test(test_quantiles_two_point),
		cmocka_unit_test(test_quantiles_single_value),
		cmocka_unit_test(test_exact_stats),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
