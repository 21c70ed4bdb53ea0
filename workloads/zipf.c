/* zipf:THETA: npages touches drawn from a Zipf distribution over the slice,
 * P(rank k) ∝ 1/k^THETA, so a few hot pages take most touches and many pages
 * are never touched. Ranks are scattered over the slice by a seeded
 * permutation, so "hot" does not mean "low addresses".
 *
 * Draws use the generator of Gray et al., "Quickly generating billion-record
 * synthetic databases" (SIGMOD 1994), as in YCSB: O(1) per draw once
 * zeta(n, THETA) is known. Its 1/(1 - THETA) exponent is why THETA = 1 is
 * refused. */
#include "wl_common.h"
#include "wl_rng.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define ZIPF_THETA_MAX 10.0
#define ZIPF_PERM_SALT 0x7a6970662d706572ull /* "zipf-per" */
#define ZIPF_DRAW_SALT 0x7a6970662d647261ull /* "zipf-dra" */

static bool theta_ok(double theta)
{
	/* Written so NaN fails too. */
	return theta > 0 && theta <= ZIPF_THETA_MAX && theta != 1;
}

/* A plain decimal number: strtod alone would also take a leading blank,
 * "nan", "inf" and a sign. */
static int parse_theta(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !theta_ok(v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* "zipf:0.99" as %g writes it, unless %g's six digits would not read back
 * as the same double (zipf:0.9999999 is not zipf:1): then the shortest
 * spelling that does. */
static void theta_text(char *buf, size_t n, double theta)
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, n, "zipf:%.*g", prec, theta);
		if (strtod(buf + 5, NULL) == theta)
			return;
	}
}

static int zipf_parse(struct workload_spec *spec, const char *arg, char *err, size_t errlen)
{
	if (parse_theta(arg, &spec->theta)) {
		wl_errf(err, errlen,
			"zipf:THETA needs THETA in (0, 10] other than 1, e.g. zipf:0.99%s%s%s",
			arg ? "; got '" : "", arg ? arg : "", arg ? "'" : "");
		return -EINVAL;
	}
	theta_text(spec->text, sizeof(spec->text), spec->theta);
	return 0;
}

/* zeta(n, theta) = sum 1/i^theta for i = 1..n, smallest terms first so
 * they are not lost against the large ones. */
static double zeta(uint64_t n, double theta)
{
	double sum = 0;

	for (uint64_t i = n; i >= 1; i--)
		sum += pow((double)i, -theta);
	return sum;
}

struct zipf_gen {
	uint64_t n;
	double theta;
	double zetan;
	double alpha;  /* 1 / (1 - theta) */
	double eta;
	double two;    /* 1 + 0.5^theta = zeta(2, theta): ranks 0 and 1 */
};

static void zipf_init(struct zipf_gen *g, uint64_t n, double theta)
{
	double zeta2 = 1 + pow(0.5, theta);

	g->n = n;
	g->theta = theta;
	g->zetan = zeta(n, theta);
	g->alpha = 1 / (1 - theta);
	g->two = zeta2;
	/* eta = (1 - (2/n)^(1-theta)) / (1 - zeta2/zetan); expm1 keeps the
	 * numerator's digits when theta is near 1. For n <= 2 the first two
	 * branches of zipf_next() cover every draw and eta is 0/0. */
	g->eta = n > 2 ? -expm1((1 - theta) * log(2.0 / (double)n)) / (1 - zeta2 / g->zetan) : 0;
}

/* Rank in [0, n), 0 the most popular. */
static uint64_t zipf_next(const struct zipf_gen *g, struct wl_rng *r)
{
	double u = wl_rng_double(r);
	double uz = u * g->zetan;
	double x;

	if (uz < 1)
		return 0;
	/* For n == 1, zetan is 1 and uz < 1 above; the test is for safety. */
	if (uz < g->two || g->n <= 2)
		return g->n > 1 ? 1 : 0;
	/* n * (eta*u - eta + 1)^alpha, via log1p for theta near 1. */
	x = (double)g->n * exp(g->alpha * log1p(g->eta * (u - 1)));
	/* Rounding can land on n (or NaN); "!(x < n)" catches both. */
	if (!(x < (double)g->n))
		return g->n - 1;
	return (uint64_t)x;
}

/* Three passes rather than one loop: perm[] lookups are cache misses at
 * random, and a tight loop of them overlaps far more misses than one whose
 * out-of-order window is full of exp() and log1p(): about 4x faster for
 * zipf:0.5 at 2.6M pages. */
static void zipf_fill(const struct workload_spec *spec, uint64_t npages, uint64_t seed,
		      uint32_t *seq, uint32_t *perm, uint64_t *seen)
{
	struct zipf_gen g;
	struct wl_rng r;

	zipf_init(&g, npages, spec->theta);
	wl_rng_init(&r, seed, ZIPF_DRAW_SALT);
	for (uint64_t i = 0; i < npages; i++)
		seq[i] = (uint32_t)zipf_next(&g, &r);

	wl_rng_init(&r, seed, ZIPF_PERM_SALT);
	wl_permutation(perm, npages, &r);
	for (uint64_t i = 0; i < npages; i++)
		seq[i] = perm[seq[i]];

	for (uint64_t i = 0; i < npages; i++) {
		uint32_t page = seq[i];
		uint64_t bit = 1ull << (page % 64);

		if (seen[page / 64] & bit)
			seq[i] = page | WL_REPEAT;
		else
			seen[page / 64] |= bit;
	}
}

static int zipf_build(const struct workload_spec *spec, uint64_t npages, uint64_t seed,
		      uint32_t *seq)
{
	uint32_t *perm;
	uint64_t *seen;
	int e = wl_check_npages(npages);

	if (e)
		return e;
	if (!theta_ok(spec->theta))
		return -EINVAL; /* spec not from parse() */
	perm = malloc(npages * sizeof(*perm));
	seen = calloc((npages + 63) / 64, sizeof(*seen));
	if (perm && seen)
		zipf_fill(spec, npages, seed, seq, perm, seen);
	else
		e = -ENOMEM;
	free(perm);
	free(seen);
	return e;
}

const struct workload wl_zipf = {
	.name = "zipf",
	.summary = "npages touches, Zipf(THETA)-distributed over randomly placed ranks; repeats marked",
	.arg_help = "THETA",
	.parse = zipf_parse,
	.build = zipf_build,
};
