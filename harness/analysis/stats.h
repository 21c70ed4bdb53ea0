/* Statistics for comparing two sets of repetitions (the regression gate). */
#ifndef FB_STATS_H
#define FB_STATS_H

#include <stddef.h>
#include <stdint.h>

double stats_median(const double *v, size_t n);  /* v need not be sorted */

/* Mann–Whitney U test of a against b. *p_less: P-value for "a tends to be
 * smaller than b" (one-sided); *p_two: two-sided. Exact (with ties handled
 * by enumeration of the rank-sum distribution) for n_a + n_b <= 40, normal
 * approximation with tie correction above. 0 or -EINVAL. */
int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *p_less,
		       double *p_two);

/* Wilcoxon signed-rank test of paired differences d (zeros dropped).
 * *p_pos: one-sided P-value for "d tends to be above 0"; *p_neg: below.
 * Exact (midranks, ties enumerated) for up to 60 non-zero differences,
 * normal approximation above. 0, or -EINVAL when no difference is non-zero
 * (then both P-values are 1). */
int stats_signed_rank(const double *d, size_t n, double *p_pos, double *p_neg);

/* The smallest one-sided P-value each test can give with these sample
 * sizes (perfectly separated samples, no ties): 2^-n for n signed-rank
 * pairs, 1/C(na+nb, na) for Mann-Whitney, or the normal approximation's
 * value where the test uses it. A verdict needs this below the corrected
 * threshold, or no data could ever be significant. */
double stats_signed_rank_min_p(size_t n);
double stats_mann_whitney_min_p(size_t na, size_t nb);

/* Multiple-comparison correction of m P-values. */
enum stats_correction {
	STATS_CORRECTION_NONE,  /* each P-value alone */
	STATS_CORRECTION_HOLM,  /* Holm's step-down: family-wise error rate <= alpha */
	STATS_CORRECTION_BH,    /* Benjamini-Hochberg step-up: false-discovery rate <= alpha */
};

/* Adjusted P-values into adj (same order as p): a comparison is significant
 * at level alpha after the correction when adj[i] < alpha. Holm:
 * adj_(i) = max over j <= i of (m - j + 1) p_(j); BH: adj_(i) = min over
 * j >= i of m p_(j) / j (p_(j) sorted ascending), both capped at 1. Equal
 * P-values get equal adjusted ones, and the order of the P-values is kept.
 * 0, -EINVAL (a P-value outside [0, 1], or an unknown method) or -ENOMEM. */
int stats_adjust_p(const double *p, size_t m, enum stats_correction c, double *adj);

/* Percentile bootstrap confidence interval of median(b) / median(a), with a
 * seeded generator so a verdict is reproducible. level e.g. 0.95. */
int stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level,
			     unsigned resamples, uint64_t seed, double *lo, double *hi);

#endif
