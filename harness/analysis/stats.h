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

/* Percentile bootstrap confidence interval of median(b) / median(a), with a
 * seeded generator so a verdict is reproducible. level e.g. 0.95. */
int stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level,
			     unsigned resamples, uint64_t seed, double *lo, double *hi);

#endif
