/* Unit tests for workloads/: coverage, determinism, zipf's shape and its
 * repeat marks, and the parser's accepted and refused spellings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define CANARY 0xa5a5a5a5u

static const uint64_t sizes[] = { 1, 2, 7, 4096, 100000 };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct workload_spec parse_ok(const char *text)
{
	struct workload_spec spec;
	char err[256] = "";
	int e = workload_parse(text, &spec, err, sizeof(err));

	if (e)
		fail_msg("workload_parse(\"%s\") = %d: %s", text, e, err);
	return spec;
}

/* build() into a fresh array with a canary past the end, which must
 * survive: build writes exactly npages entries. Caller frees. */
static uint32_t *build(const char *text, uint64_t n, uint64_t seed)
{
	struct workload_spec spec = parse_ok(text);
	uint32_t *seq = malloc((n + 1) * sizeof(*seq));

	assert_non_null(seq);
	seq[n] = CANARY;
	assert_int_equal(spec.wl->build(&spec, n, seed, seq), 0);
	assert_int_equal(seq[n], CANARY);
	return seq;
}

/* Every page of 0..n-1 exactly once, none marked as a repeat. */
static void assert_covers_once(const uint32_t *seq, uint64_t n)
{
	unsigned char *seen = calloc(n, 1);

	assert_non_null(seen);
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(seq[i] & WL_REPEAT, 0);
		assert_true(seq[i] < n);
		assert_int_equal(seen[seq[i]], 0);
		seen[seq[i]] = 1;
	}
	free(seen);
}

static void test_registry(void **state)
{
	static const char *const names[] = { "seq", "random", "stride", "zipf" };

	(void)state;
	assert_int_equal(workloads_count, ARRAY_SIZE(names));
	for (size_t i = 0; i < workloads_count; i++) {
		const struct workload *wl = workloads[i];

		assert_string_equal(wl->name, names[i]);
		assert_non_null(wl->summary);
		assert_true(strlen(wl->summary) > 0);
		assert_non_null(wl->parse);
		assert_non_null(wl->build);
		/* Only stride and zipf take ":ARG". */
		assert_int_equal(wl->arg_help != NULL, i >= 2);
	}
}

static void test_seq(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t n = sizes[i];
		uint32_t *seq = build("seq", n, 1);

		for (uint64_t j = 0; j < n; j++)
			assert_int_equal(seq[j], j);
		free(seq);
	}
}

static void test_random_covers(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint32_t *seq = build("random", sizes[i], 42);

		assert_covers_once(seq, sizes[i]);
		free(seq);
	}
}

static void test_random_seeded(void **state)
{
	const uint64_t n = 4096;
	uint32_t *a = build("random", n, 1);
	uint32_t *b = build("random", n, 1);
	uint32_t *c = build("random", n, 2);
	uint64_t fixed = 0;

	(void)state;
	assert_memory_equal(a, b, n * sizeof(*a));
	assert_memory_not_equal(a, c, n * sizeof(*a));
	/* A random permutation has about one fixed point; identity has n. */
	for (uint64_t i = 0; i < n; i++)
		fixed += a[i] == i;
	assert_true(fixed < 16);
	free(a);
	free(b);
	free(c);
}

/* The order stride:N promises: all of 0 mod N, then 1 mod N, ... */
static void assert_stride_order(const uint32_t *seq, uint64_t n, uint64_t stride)
{
	uint64_t k = 0;

	for (uint64_t start = 0; start < stride && start < n; start++)
		for (uint64_t p = start; p < n; p += stride)
			assert_int_equal(seq[k++], p);
	assert_int_equal(k, n);
}

static void test_stride(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t n = sizes[i];
		const uint64_t strides[] = { 1, 3, 16, n, n + 5 };

		for (size_t j = 0; j < ARRAY_SIZE(strides); j++) {
			char text[64];
			uint32_t *seq;

			snprintf(text, sizeof(text), "stride:%llu", (unsigned long long)strides[j]);
			seq = build(text, n, 7);
			assert_covers_once(seq, n);
			assert_stride_order(seq, n, strides[j]);
			free(seq);
		}
	}
}

static void test_stride_huge(void **state)
{
	/* The largest stride: one pass per page, i.e. address order. */
	uint32_t *seq = build("stride:2147483648", 1000, 1);

	(void)state;
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(seq[i], i);
	free(seq);
}

/* Replays seq: in range, and WL_REPEAT set exactly on pages already seen.
 * Returns the number of distinct pages. */
static uint64_t check_zipf_marks(const uint32_t *seq, uint64_t n)
{
	unsigned char *seen = calloc(n, 1);
	uint64_t distinct = 0;

	assert_non_null(seen);
	for (uint64_t i = 0; i < n; i++) {
		uint32_t page = seq[i] & WL_PAGE_MASK;

		assert_true(page < n);
		if (seen[page]) {
			assert_int_not_equal(seq[i] & WL_REPEAT, 0);
		} else {
			assert_int_equal(seq[i] & WL_REPEAT, 0);
			seen[page] = 1;
			distinct++;
		}
	}
	free(seen);
	return distinct;
}

static void test_zipf_marks(void **state)
{
	static const char *const specs[] = { "zipf:0.5", "zipf:0.99", "zipf:1.5", "zipf:10" };

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			uint32_t *seq = build(specs[s], sizes[i], 3);

			assert_true(check_zipf_marks(seq, sizes[i]) >= 1);
			free(seq);
		}
	}
}

static void test_zipf_deterministic(void **state)
{
	const uint64_t n = 4096;
	uint32_t *a = build("zipf:0.99", n, 5);
	uint32_t *b = build("zipf:0.99", n, 5);
	uint32_t *c = build("zipf:0.99", n, 6);

	(void)state;
	assert_memory_equal(a, b, n * sizeof(*a));
	assert_memory_not_equal(a, c, n * sizeof(*a));
	free(a);
	free(b);
	free(c);
}

static void test_zipf_distinct(void **state)
{
	const uint64_t n = 100000;
	uint32_t *seq = build("zipf:0.99", n, 1);
	uint64_t distinct = check_zipf_marks(seq, n);

	(void)state;
	/* Skewed draws repeat: far fewer than n pages, but more than a few. */
	assert_true(distinct < n / 2);
	assert_true(distinct > 100);
	free(seq);
}

static double zeta(uint64_t n, double theta)
{
	double sum = 0;

	for (uint64_t i = n; i >= 1; i--)
		sum += pow((double)i, -theta);
	return sum;
}

/* The hottest page's share of touches is about P(rank 0) = 1/zeta(n, theta). */
static void assert_top_share(const char *text, double theta, double lo, double hi)
{
	const uint64_t n = 100000;
	uint32_t *seq = build(text, n, 11);
	uint32_t *count = calloc(n, sizeof(*count));
	uint32_t top = 0;
	double ratio;

	assert_non_null(count);
	for (uint64_t i = 0; i < n; i++) {
		uint32_t c = ++count[seq[i] & WL_PAGE_MASK];

		if (c > top)
			top = c;
	}
	ratio = ((double)top / (double)n) * zeta(n, theta);
	if (ratio < lo || ratio > hi)
		fail_msg("%s: top page share %.4f, theory %.4f (ratio %.3f)", text,
			 (double)top / (double)n, 1 / zeta(n, theta), ratio);
	free(count);
	free(seq);
}

static void test_zipf_top_share(void **state)
{
	(void)state;
	assert_top_share("zipf:0.5", 0.5, 0.6, 1.4);
	assert_top_share("zipf:0.99", 0.99, 0.8, 1.2);
	assert_top_share("zipf:1.5", 1.5, 0.9, 1.1);
}

static void test_build_rejects_sizes(void **state)
{
	(void)state;
	for (size_t i = 0; i < workloads_count; i++) {
		struct workload_spec spec;
		uint32_t one;
		const char *text = i == 2 ? "stride:4" : i == 3 ? "zipf:0.99" : workloads[i]->name;

		spec = parse_ok(text);
		assert_int_equal(spec.wl->build(&spec, 0, 1, &one), -EINVAL);
		/* Refused before writing, so one element is enough. */
		assert_int_equal(spec.wl->build(&spec, WL_MAX_PAGES + 1, 1, &one), -EINVAL);
	}
}

static void test_parse_good(void **state)
{
	static const struct {
		const char *in, *text, *name;
	} cases[] = {
		{ "seq", "seq", "seq" },
		{ "random", "random", "random" },
		{ "stride:1", "stride:1", "stride" },
		{ "stride:16", "stride:16", "stride" },
		{ "stride:0016", "stride:16", "stride" },
		{ "stride:2147483648", "stride:2147483648", "stride" },
		{ "zipf:0.99", "zipf:0.99", "zipf" },
		{ "zipf:.5", "zipf:0.5", "zipf" },
		{ "zipf:1.5", "zipf:1.5", "zipf" },
		{ "zipf:10", "zipf:10", "zipf" },
		{ "zipf:1e-3", "zipf:0.001", "zipf" },
		/* %g would print "1", which is not what was asked for. */
		{ "zipf:0.9999999", "zipf:0.9999999", "zipf" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct workload_spec spec = parse_ok(cases[i].in);
		struct workload_spec again;

		assert_string_equal(spec.wl->name, cases[i].name);
		assert_string_equal(spec.text, cases[i].text);
		/* The canonical text parses back to the same spec. */
		again = parse_ok(spec.text);
		assert_ptr_equal(again.wl, spec.wl);
		assert_int_equal(again.stride, spec.stride);
		assert_true(again.theta == spec.theta);
	}
	assert_int_equal(parse_ok("stride:16").stride, 16);
	assert_true(parse_ok("zipf:0.99").theta == 0.99);
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *in, *names;
	} cases[] = {
		{ "", "seq, random, stride:N, zipf:THETA" },
		{ "foo", "seq, random, stride:N, zipf:THETA" },
		{ "sequential", "seq, random, stride:N, zipf:THETA" },
		{ ":1", "seq, random, stride:N, zipf:THETA" },
		{ "seq:1", "'seq'" },
		{ "seq:", "'seq'" },
		{ "random:3", "'random'" },
		{ "stride", "stride:N" },
		{ "stride:", "stride:N" },
		{ "stride:0", "stride:N" },
		{ "stride:-1", "stride:N" },
		{ "stride:abc", "stride:N" },
		{ "stride: 4", "stride:N" },
		{ "stride:4k", "stride:N" },
		{ "stride:0x10", "stride:N" },
		{ "stride:2147483649", "stride:N" },
		{ "stride:99999999999999999999999", "stride:N" },
		{ "zipf", "zipf:THETA" },
		{ "zipf:", "zipf:THETA" },
		{ "zipf:0", "zipf:THETA" },
		{ "zipf:-1", "zipf:THETA" },
		{ "zipf:nan", "zipf:THETA" },
		{ "zipf:inf", "zipf:THETA" },
		{ "zipf:11", "zipf:THETA" },
		{ "zipf:1", "zipf:THETA" },
		{ "zipf:1.0", "zipf:THETA" },
		{ "zipf:0.5x", "zipf:THETA" },
		{ "zipf: 0.5", "zipf:THETA" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct workload_spec spec;
		char err[256] = "";

		if (workload_parse(cases[i].in, &spec, err, sizeof(err)) != -EINVAL)
			fail_msg("workload_parse(\"%s\") accepted it", cases[i].in);
		if (!strstr(err, cases[i].names))
			fail_msg("workload_parse(\"%s\"): \"%s\" does not name %s", cases[i].in, err,
				 cases[i].names);
		/* The harness may not want the sentence. */
		assert_int_equal(workload_parse(cases[i].in, &spec, NULL, 0), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_random_covers),
		cmocka_unit_test(test_random_seeded),
		cmocka_unit_test(test_stride),
		cmocka_unit_test(test_stride_huge),
		cmocka_unit_test(test_zipf_marks),
		cmocka_unit_test(test_zipf_deterministic),
		cmocka_unit_test(test_zipf_distinct),
		cmocka_unit_test(test_zipf_top_share),
		cmocka_unit_test(test_build_rejects_sizes),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
