#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fb.h"

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

double stats_median(const double *v, size_t n)
{
	double *t, m;

	if (!n)
		return NAN;
	t = malloc(n * sizeof(*t));
	if (!t)
		return NAN;
	memcpy(t, v, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_double);
	m = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	free(t);
	return m;
}

struct ranked {
	double v;
	int from_a;
};

static int cmp_ranked(const void *x, const void *y)
{
	return cmp_double(&((const struct ranked *)x)->v, &((const struct ranked *)y)->v);
}

/* Midranks ×2 (integers), so ties stay exact in the enumeration. */
static int midranks2(const double *a, size_t na, const double *b, size_t nb, long *r2, int *is_a,
		     double *tie_term)
{
	size_t n = na + nb;
	struct ranked *all = malloc(n * sizeof(*all));

	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < na; i++)
		all[i] = (struct ranked){ a[i], 1 };
	for (size_t i = 0; i < nb; i++)
		all[na + i] = (struct ranked){ b[i], 0 };
	qsort(all, n, sizeof(*all), cmp_ranked);
	*tie_term = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && all[j + 1].v == all[i].v)
			j++;
		/* ranks i+1 .. j+1, midrank ×2 = i+j+2 */
		for (size_t k = i; k <= j; k++) {
			r2[k] = (long)(i + j + 2);
			is_a[k] = all[k].from_a;
		}
		if (j > i) {
			double t = (double)(j - i + 1);

			*tie_term += t * t * t - t;
		}
		i = j + 1;
	}
	free(all);
	return 0;
}

/* Number of ways to choose na of the n (doubled) ranks with each sum: a DP
 * over items × count × sum. Returns P(S <= s) and P(S >= s). */
static int exact_tails(const long *r2, size_t n, size_t na, long s_obs, double *p_le, double *p_ge)
{
	long smax = 0;
	double *dp, total = 0, le = 0, ge = 0;

	for (size_t i = 0; i < n; i++)
		smax += r2[i];
	dp = calloc((na + 1) * (size_t)(smax + 1), sizeof(double));
	if (!dp)
		return -ENOMEM;
#define DP(c, s) dp[(size_t)(c) * (size_t)(smax + 1) + (size_t)(s)]
	DP(0, 0) = 1;
	for (size_t i = 0; i < n; i++)
		for (size_t c = (i + 1 < na ? i + 1 : na); c >= 1; c--)
			for (long s = smax; s >= r2[i]; s--)
				DP(c, s) += DP(c - 1, s - r2[i]);
	for (long s = 0; s <= smax; s++) {
		double w = DP(na, s);

		total += w;
		if (s <= s_obs)
			le += w;
		if (s >= s_obs)
			ge += w;
	}
#undef DP
	free(dp);
	*p_le = le / total;
	*p_ge = ge / total;
	return 0;
}

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *p_less,
		       double *p_two)
{
	size_t n = na + nb;
	long *r2;
	int *is_a, rc;
	long s2 = 0;
	double tie, le, ge;

	if (!na || !nb)
		return -EINVAL;
	r2 = malloc(n * sizeof(*r2));
	is_a = malloc(n * sizeof(*is_a));
	if (!r2 || !is_a) {
		free(r2);
		free(is_a);
		return -ENOMEM;
	}
	rc = midranks2(a, na, b, nb, r2, is_a, &tie);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (is_a[i])
			s2 += r2[i];
	if (n <= 40) {
		rc = exact_tails(r2, n, na, s2, &le, &ge);
		if (rc)
			goto out;
	} else {
		/* normal approximation of the rank sum, tie-corrected, with
		 * continuity correction (in doubled units: 1) */
		double mu2 = (double)na * (double)(n + 1);
		double var = (double)na * (double)nb / 12.0 * ((double)(n + 1) - tie / ((double)n * (double)(n - 1)));
		double sd2 = 2 * sqrt(var);

		le = sd2 > 0 ? 0.5 * erfc(-(((double)s2 - mu2 + 1) / sd2) / M_SQRT2) : 1;
		ge = sd2 > 0 ? 0.5 * erfc((((double)s2 - mu2 - 1) / sd2) / M_SQRT2) : 1;
	}
	*p_less = le;
	*p_two = fmin(1.0, 2 * fmin(le, ge));
out:
	free(r2);
	free(is_a);
	return rc;
}

static int cmp_abs(const void *x, const void *y)
{
	double a = fabs(*(const double *)x), b = fabs(*(const double *)y);

	return (a > b) - (a < b);
}

int stats_signed_rank(const double *d, size_t n, double *p_pos, double *p_neg)
{
	double *v = malloc((n ? n : 1) * sizeof(double)), *dp = NULL;
	long *r2 = malloc((n ? n : 1) * sizeof(long)), wpos = 0, total = 0;
	size_t m = 0;
	int rc = 0;

	*p_pos = *p_neg = 1;
	if (!v || !r2) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (d[i] != 0 && isfinite(d[i]))
			v[m++] = d[i];
	if (!m) {
		rc = -EINVAL;
		goto out;
	}
	qsort(v, m, sizeof(double), cmp_abs);
	/* midranks of |d|, doubled so ties stay integers */
	for (size_t i = 0; i < m;) {
		size_t j = i;

		while (j + 1 < m && fabs(v[j + 1]) == fabs(v[i]))
			j++;
		for (size_t k = i; k <= j; k++)
			r2[k] = (long)(i + j + 2);
		i = j + 1;
	}
	for (size_t i = 0; i < m; i++) {
		total += r2[i];
		if (v[i] > 0)
			wpos += r2[i];
	}
	if (m <= 60) {
		/* each rank is + or - with probability 1/2 under the null */
		double le = 0, ge = 0, all = 0;

		dp = calloc((size_t)total + 1, sizeof(double));
		if (!dp) {
			rc = -ENOMEM;
			goto out;
		}
		dp[0] = 1;
		for (size_t i = 0; i < m; i++)
			for (long s = total; s >= r2[i]; s--)
				dp[s] += dp[s - r2[i]];
		for (long s = 0; s <= total; s++) {
			all += dp[s];
			if (s >= wpos)
				ge += dp[s];
			if (s <= wpos)
				le += dp[s];
		}
		*p_pos = ge / all;
		*p_neg = le / all;
	} else {
		double mu = (double)total / 2, var = 0, z;

		for (size_t i = 0; i < m; i++)
			var += (double)r2[i] * (double)r2[i] / 4;
		z = ((double)wpos - mu) / sqrt(var);
		*p_pos = 0.5 * erfc(z / M_SQRT2);
		*p_neg = 0.5 * erfc(-z / M_SQRT2);
	}
out:
	free(v);
	free(r2);
	free(dp);
	return rc;
}

double stats_signed_rank_min_p(size_t n)
{
	double *d, pp = 1, pn;

	if (!n)
		return 1;
	d = malloc(n * sizeof(*d));
	if (!d)
		return 1;
	/* distinct magnitudes, all positive: the most extreme outcome */
	for (size_t i = 0; i < n; i++)
		d[i] = (double)(i + 1);
	if (stats_signed_rank(d, n, &pp, &pn))
		pp = 1;
	free(d);
	return pp;
}

double stats_mann_whitney_min_p(size_t na, size_t nb)
{
	double *v, pl = 1, p2;

	if (!na || !nb)
		return 1;
	v = malloc((na + nb) * sizeof(*v));
	if (!v)
		return 1;
	/* every a below every b */
	for (size_t i = 0; i < na + nb; i++)
		v[i] = (double)i;
	if (stats_mann_whitney(v, na, v + na, nb, &pl, &p2))
		pl = 1;
	free(v);
	return pl;
}

struct indexed {
	double p;
	size_t i;
};

static int cmp_indexed(const void *x, const void *y)
{
	const struct indexed *a = x, *b = y;

	/* by P-value, then by position: the same input sorts the same way */
	if (a->p != b->p)
		return (a->p > b->p) - (a->p < b->p);
	return (a->i > b->i) - (a->i < b->i);
}

int stats_adjust_p(const double *p, size_t m, enum stats_correction c, double *adj)
{
	struct indexed *s;

	for (size_t i = 0; i < m; i++)
		if (!(p[i] >= 0 && p[i] <= 1))
			return -EINVAL;
	if (c == STATS_CORRECTION_NONE) {
		memmove(adj, p, m * sizeof(*adj));
		return 0;
	}
	if (c != STATS_CORRECTION_HOLM && c != STATS_CORRECTION_BH)
		return -EINVAL;
	if (!m)
		return 0;
	s = malloc(m * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++)
		s[i] = (struct indexed){ p[i], i };
	qsort(s, m, sizeof(*s), cmp_indexed);
	if (c == STATS_CORRECTION_HOLM) {
		/* step down: the running maximum keeps the order (and ties equal) */
		double run = 0;

		for (size_t j = 0; j < m; j++) {
			run = fmax(run, fmin(1, (double)(m - j) * s[j].p));
			adj[s[j].i] = run;
		}
	} else {
		/* step up: the running minimum from the largest down */
		double run = 1;

		for (size_t j = m; j-- > 0;) {
			run = fmin(run, fmin(1, (double)m * s[j].p / (double)(j + 1)));
			adj[s[j].i] = run;
		}
	}
	free(s);
	return 0;
}

static uint64_t next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return fb_mix64(*s);
}

int stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level,
			     unsigned resamples, uint64_t seed, double *lo, double *hi)
{
	double *ra = malloc(na * sizeof(double)), *rb = malloc(nb * sizeof(double));
	double *ratios = malloc(resamples * sizeof(double));
	unsigned k = 0;
	int rc = 0;

	if (!na || !nb || !resamples || level <= 0 || level >= 1) {
		rc = -EINVAL;
		goto out;
	}
	if (!ra || !rb || !ratios) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned r = 0; r < resamples; r++) {
		double ma, mb;

		for (size_t i = 0; i < na; i++)
			ra[i] = a[next(&seed) % na];
		for (size_t i = 0; i < nb; i++)
			rb[i] = b[next(&seed) % nb];
		ma = stats_median(ra, na);
		mb = stats_median(rb, nb);
		if (ma != 0 && isfinite(ma) && isfinite(mb))
			ratios[k++] = mb / ma;
	}
	if (!k) {
		rc = -EDOM;
		goto out;
	}
	qsort(ratios, k, sizeof(double), cmp_double);
	*lo = ratios[(size_t)floor((1 - level) / 2 * (k - 1))];
	*hi = ratios[(size_t)ceil((1 + level) / 2 * (k - 1))];
out:
	free(ra);
	free(rb);
	free(ratios);
	return rc;
}
