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

static void assert_all_near(const double *got, const double *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_true(fabs(got[i] - want[i]) < 1e-12);
}

/* The four P-values of the usual worked example (Wikipedia's
 * Holm-Bonferroni page; R's p.adjust gives the same):
 *   sorted 0.005 0.01 0.03 0.04
 *   Holm: 4 x 0.005 = 0.02, 3 x 0.01 = 0.03, 2 x 0.03 = 0.06, max(0.06, 0.04) = 0.06
 *   BH:   4/1 x 0.005 = 0.02, 4/2 x 0.01 = 0.02, 4/3 x 0.03 = 0.04, 4/4 x 0.04 = 0.04 */
/* Holm and BH of p against the values worked out by hand */
static void assert_adjusted(const double *p, size_t n, const double *holm, const double *bh)
{
	double adj[16];

	assert_true(n <= 16);
	assert_int_equal(stats_adjust_p(p, n, STATS_CORRECTION_HOLM, adj), 0);
	assert_all_near(adj, holm, n);
	assert_int_equal(stats_adjust_p(p, n, STATS_CORRECTION_BH, adj), 0);
	assert_all_near(adj, bh, n);
}

static void test_adjust_worked_example(void **state)
{
	double p[] = { 0.01, 0.04, 0.03, 0.005 }, adj[4];
	double holm[] = { 0.03, 0.06, 0.06, 0.02 }, bh[] = { 0.02, 0.04, 0.04, 0.02 };

	(void)state;
	assert_adjusted(p, 4, holm, bh);
	assert_int_equal(stats_adjust_p(p, 4, STATS_CORRECTION_NONE, adj), 0);
	assert_all_near(adj, p, 4);
}

/* Benjamini and Hochberg (1995), section 4.2: 15 P-values from a clinical
 * trial. At 0.05, BH rejects the four smallest (15/4 x 0.0095 = 0.0356, but
 * 15/5 x 0.0201 = 0.0603 and no later step comes under 0.05); Holm rejects
 * three (13 x 0.0019 = 0.0247, then 12 x 0.0095 = 0.114). */
static void test_adjust_bh_paper(void **state)
{
	double p[] = { 0.0201, 0.0001, 0.4262, 0.0004, 0.0459, 0.0019, 0.6528, 0.0095,
		       0.0278, 0.5719, 0.0298, 1.0, 0.0344, 0.7590, 0.3240 };
	double adj[15];
	int n;

	(void)state;
	assert_int_equal(stats_adjust_p(p, 15, STATS_CORRECTION_BH, adj), 0);
	n = 0;
	for (int i = 0; i < 15; i++)
		n += adj[i] < 0.05;
	assert_int_equal(n, 4);
	assert_true(fabs(adj[7] - 15 * 0.0095 / 4) < 1e-12);
	assert_true(fabs(adj[0] - 15 * 0.0201 / 5) < 1e-12);
	/* step up: 0.0278 (15/6 x = 0.0695) takes the 7th step's 15/7 x 0.0298 = 0.0639 */
	assert_true(fabs(adj[8] - 15 * 0.0298 / 7) < 1e-12);
	assert_true(fabs(adj[11] - 1.0) < 1e-12);
	assert_int_equal(stats_adjust_p(p, 15, STATS_CORRECTION_HOLM, adj), 0);
	n = 0;
	for (int i = 0; i < 15; i++)
		n += adj[i] < 0.05;
	assert_int_equal(n, 3);
	assert_true(fabs(adj[1] - 15 * 0.0001) < 1e-12);
	assert_true(fabs(adj[5] - 13 * 0.0019) < 1e-12);
	assert_true(fabs(adj[7] - 12 * 0.0095) < 1e-12);
}

/* Ties get equal adjusted values, whatever order they came in; the cap is 1. */
static void test_adjust_ties_and_cap(void **state)
{
	double p[] = { 0.5, 0.01, 0.01, 0.01 }, adj[4];
	double holm[] = { 0.5, 0.04, 0.04, 0.04 };
	double bh[] = { 0.5, 0.04 / 3, 0.04 / 3, 0.04 / 3 };
	double big[] = { 0.6, 0.5 }, capped[] = { 1, 1 };

	(void)state;
	assert_adjusted(p, 4, holm, bh);
	assert_int_equal(stats_adjust_p(big, 2, STATS_CORRECTION_HOLM, adj), 0);
	assert_all_near(adj, capped, 2);
	/* in place, and nothing to adjust */
	assert_int_equal(stats_adjust_p(p, 4, STATS_CORRECTION_HOLM, p), 0);
	assert_all_near(p, holm, 4);
	assert_int_equal(stats_adjust_p(p, 0, STATS_CORRECTION_BH, adj), 0);
	big[0] = NAN;
	assert_int_equal(stats_adjust_p(big, 2, STATS_CORRECTION_BH, adj), -EINVAL);
	big[0] = 1.5;
	assert_int_equal(stats_adjust_p(big, 2, STATS_CORRECTION_HOLM, adj), -EINVAL);
}

/* On many random P-values: adj >= p, adj <= 1, the order of p kept
 * (p_i <= p_j gives adj_i <= adj_j), Holm >= BH, and Holm <= m p
 * (Bonferroni). */
static void test_adjust_monotone(void **state)
{
	enum { M = 200 };
	double p[M], holm[M], bh[M];
	uint64_t s = 1;

	(void)state;
	for (int i = 0; i < M; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		/* a few exact repeats, and some very small values */
		p[i] = i % 17 == 0 ? 0.02 : (double)(s >> 11) / 9007199254740992.0 / (1 + i % 5 * 100);
	}
	assert_int_equal(stats_adjust_p(p, M, STATS_CORRECTION_HOLM, holm), 0);
	assert_int_equal(stats_adjust_p(p, M, STATS_CORRECTION_BH, bh), 0);
	for (int i = 0; i < M; i++) {
		assert_true(holm[i] >= p[i] && holm[i] <= 1 && holm[i] <= fmin(1, M * p[i]) + 1e-15);
		assert_true(bh[i] >= p[i] && bh[i] <= 1 && bh[i] <= holm[i] + 1e-15);
		for (int j = 0; j < M; j++)
			if (p[i] <= p[j])
				assert_true(holm[i] <= holm[j] && bh[i] <= bh[j]);
	}
}

/* The smallest P-value each test can give: closed forms in the exact range. */
static void test_min_p(void **state)
{
	(void)state;
	assert_true(stats_signed_rank_min_p(0) == 1);
	assert_true(fabs(stats_signed_rank_min_p(1) - 0.5) < 1e-12);
	assert_true(fabs(stats_signed_rank_min_p(3) - 1.0 / 8) < 1e-12);
	assert_true(fabs(stats_signed_rank_min_p(11) - 1.0 / 2048) < 1e-15);
	assert_true(stats_signed_rank_min_p(70) < 1e-10);
	/* C(6,3) = 20, C(14,7) = 3432, C(23,3) = 1771 */
	assert_true(fabs(stats_mann_whitney_min_p(3, 3) - 1.0 / 20) < 1e-12);
	assert_true(fabs(stats_mann_whitney_min_p(7, 7) - 1.0 / 3432) < 1e-15);
	assert_true(fabs(stats_mann_whitney_min_p(20, 3) - 1.0 / 1771) < 1e-15);
	assert_true(fabs(stats_mann_whitney_min_p(1, 1) - 0.5) < 1e-12);
	assert_true(stats_mann_whitney_min_p(0, 5) == 1);
	assert_true(stats_mann_whitney_min_p(30, 30) < 1e-9);
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
		cmocka_unit_test(test_adjust_worked_example),
		cmocka_unit_test(test_adjust_bh_paper),
		cmocka_unit_test(test_adjust_ties_and_cap),
		cmocka_unit_test(test_adjust_monotone),
		cmocka_unit_test(test_min_p),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
