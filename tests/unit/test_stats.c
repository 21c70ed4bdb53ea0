#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>

#include "analysis/stats.h"

static void test_median(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };

	(void)state;
	assert_true(stats_median(odd, 3) == 3);
	assert_true(stats_median(even, 4) == 2.5);
	assert_true(isnan(stats_median(odd, 0)));
}

/* Textbook values: with 5 vs 5 and complete separation, the exact one-sided
 * P is 1/C(10,5) = 1/252. */
static void test_mwu_exact_separation(void **state)
{
	double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 }, pl, p2;

	(void)state;
	assert_int_equal(stats_mann_whitney(a, 5, b, 5, &pl, &p2), 0);
	assert_true(fabs(pl - 1.0 / 252) < 1e-12);
	assert_true(fabs(p2 - 2.0 / 252) < 1e-12);
	/* reversed: a is larger, so "a smaller" is certain not */
	assert_int_equal(stats_mann_whitney(b, 5, a, 5, &pl, &p2), 0);
	assert_true(fabs(pl - 1.0) < 1e-12);
}

static void test_mwu_identical_and_ties(void **state)
{
	double a[] = { 1, 1, 1, 1 }, b[] = { 1, 1, 1, 1 }, pl, p2;
	double c[] = { 1, 2, 2, 3 }, d[] = { 2, 3, 3, 4 };

	(void)state;
	assert_int_equal(stats_mann_whitney(a, 4, b, 4, &pl, &p2), 0);
	assert_true(p2 == 1.0 && pl == 1.0);
	assert_int_equal(stats_mann_whitney(c, 4, d, 4, &pl, &p2), 0);
	assert_true(pl > 0.02 && pl < 0.2);
	assert_true(p2 >= pl);
}

/* Above 40 samples the normal approximation takes over; it must agree with
 * the exact answer's order of magnitude on separated data and give ~0.5 on
 * interleaved data. */
static void test_mwu_normal(void **state)
{
	double a[30], b[30], pl, p2;

	(void)state;
	for (int i = 0; i < 30; i++) {
		a[i] = i;
		b[i] = i + 0.5;
	}
	assert_int_equal(stats_mann_whitney(a, 30, b, 30, &pl, &p2), 0);
	assert_true(pl > 0.3 && pl < 0.6);
	for (int i = 0; i < 30; i++)
		b[i] = 100 + i;
	assert_int_equal(stats_mann_whitney(a, 30, b, 30, &pl, &p2), 0);
	assert_true(pl < 1e-9);
	assert_int_equal(stats_mann_whitney(a, 0, b, 30, &pl, &p2), -EINVAL);
}

/* 6 pairs all positive: one-sided exact P = 1/2^6 */
static void test_signed_rank(void **state)
{
	double all_pos[] = { 0.1, 0.2, 0.15, 0.12, 0.3, 0.05 }, mixed[] = { 0.1, -0.2, 0.15, -0.12, 0.3, -0.05 };
	double zeros[] = { 0, 0 }, pp, pn;

	(void)state;
	assert_int_equal(stats_signed_rank(all_pos, 6, &pp, &pn), 0);
	assert_true(fabs(pp - 1.0 / 64) < 1e-12);
	assert_true(fabs(pn - 1.0) < 1e-12);
	assert_int_equal(stats_signed_rank(mixed, 6, &pp, &pn), 0);
	assert_true(pp > 0.2 && pn > 0.2);
	/* ties among |d| and a zero dropped: 5 positive of 5 → 1/32 */
	{
		double t[] = { 0.1, 0.1, 0, 0.2, 0.2, 0.3 };

		assert_int_equal(stats_signed_rank(t, 6, &pp, &pn), 0);
		assert_true(fabs(pp - 1.0 / 32) < 1e-12);
	}
	assert_int_equal(stats_signed_rank(zeros, 2, &pp, &pn), -EINVAL);
	assert_true(pp == 1 && pn == 1);
}

static void test_bootstrap(void **state)
{
	double a[] = { 100, 101, 99, 100, 102 }, b[] = { 90, 91, 89, 90, 92 }, lo, hi, lo2, hi2;

	(void)state;
	assert_int_equal(stats_bootstrap_ratio_ci(a, 5, b, 5, 0.95, 2000, 7, &lo, &hi), 0);
	assert_true(lo <= 0.9 + 0.02 && hi >= 0.9 - 0.02);
	assert_true(hi < 1.0);
	/* reproducible */
	assert_int_equal(stats_bootstrap_ratio_ci(a, 5, b, 5, 0.95, 2000, 7, &lo2, &hi2), 0);
	assert_true(lo == lo2 && hi == hi2);
	assert_int_equal(stats_bootstrap_ratio_ci(a, 5, a, 5, 0.95, 2000, 7, &lo, &hi), 0);
	assert_true(lo <= 1.0 && hi >= 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_mwu_exact_separation),
		cmocka_unit_test(test_mwu_identical_and_ties),
		cmocka_unit_test(test_mwu_normal),
		cmocka_unit_test(test_signed_rank),
		cmocka_unit_test(test_bootstrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
