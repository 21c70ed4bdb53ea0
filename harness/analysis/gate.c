/* `faultbench gate`: is the current result set slower than the baseline
 * anywhere in the suite, beyond noise?
 *
 * For each configuration present on both sides and each metric, the samples
 * are runs: each side may hold several result sets (rounds, e.g. from
 * --ab), and each run counts once, as the median of its repetitions.
 * Repetitions of one run share its conditions (page allocator state, a noisy
 * neighbour), so they never stand for independent samples. Each sample is
 * also divided by the median of the same metric for the drift reference
 * (the same memory, placement and workload under mode `none`) from the same
 * result set, so a machine that is uniformly faster or slower today cancels
 * out; the reference configurations themselves are judged raw. Rounds run
 * together (--ab, --paired) are compared pairwise, the Wilcoxon signed-rank
 * test on the rounds' log ratios; otherwise the one-sided Mann–Whitney U
 * test compares the runs, and a change must hold on the raw and on the
 * normalized samples alike.
 *
 * A suite makes dozens of comparisons at once, and at alpha 0.05 each a
 * few of them come out "significant" when nothing changed. So the one-sided
 * p-values of all gated comparisons are adjusted together (Holm by default,
 * Benjamini–Hochberg, or none), and a comparison is a regression when its
 * adjusted p-value is below alpha and its change passes the metric's
 * threshold in the bad direction. When the samples are too few for even the
 * most extreme outcome to pass the corrected threshold, the comparison
 * cannot be decided, and the verdict is "inconclusive", with the number of
 * rounds or runs needed; so it is when the two sides come from different
 * hosts (unless --cross-host). Improvements are found the same way and
 * never fail. Exit 0: no regression; 1: regression; 2: bad input;
 * 3: inconclusive. */
#include "gate.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fb.h"
#include "gate_ab.h"
#include "gate_verdict.h"
#include "hist.h"
#include "result.h"
#include "report.h"
#include "stats.h"

#define MAX_SETS AB_MAX_ROUNDS
#define SAMPLES 65536

struct gate_metric gate_metrics[] = {
	{ "paging_rate_pps", "pages/s", 1, 0.05, { "aggregate", "paging_rate_pps", NULL } },
	{ "fault_lat_p50_ns", "ns", 0, 0.05, { "fault_lat_ns", "p50", NULL } },
	/* a tail quantile of a few thousand faults moves with every interrupt:
	 * reported by default, gated when asked for */
	{ "fault_lat_p99_ns", "ns", 0, -0.05, { "fault_lat_ns", "p99", NULL } },
};
const size_t gate_nmetrics = FB_ARRAY_SIZE(gate_metrics);

struct opts {
	const char *baseline[MAX_SETS];
	const char *current[MAX_SETS];
	int nb, nc;
	double alpha;
	enum stats_correction correction;
	const char *json_out, *md_out;
	int ab;
	int paired;        /* sets i of both sides were run together: compare them pairwise */
	int cross_host;    /* judge sets from different hosts anyway */
	const char *cmd_a, *cmd_b, *suite, *out_dir;
	unsigned rounds;
	enum ab_order order;
	int order_given, seed_given;
	uint64_t seed;
};

/* One result file, as the gate sees it. */
struct gfile {
	const char *path;
	json_t *doc;
	char *key;    /* the configuration, canonical: config minus seed/reps/warmup/... */
	char *label;  /* mode/backing/vcpus/size/workload/access, for people */
	char *ref;    /* the same placement under mode "none": the drift reference */
	const char *state;
	int is_ref;
};

struct gset {
	struct rset rs;
	char fingerprint[64];
	size_t n;
	struct gfile *f;
};

struct side {
	struct gset sets[MAX_SETS];
	int n;
};

static char *dump_subset(json_t *config, const char *const *names, size_t n, int keep)
{
	json_t *c = keep ? json_object() : json_deep_copy(config), *val;
	const char *k;
	char *s;

	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(config, names[i]);

		if (keep && v)
			json_object_set(c, names[i], v);
		else if (!keep)
			json_object_del(c, names[i]);
	}
	/* 0.0 and 0 are one value: files rewritten by other tools may say either */
	json_object_foreach(c, k, val) {
		if (json_is_real(val) && json_real_value(val) == floor(json_real_value(val)) &&
		    fabs(json_real_value(val)) < 9e15)
			json_object_set_new(c, k, json_integer((json_int_t)json_real_value(val)));
	}
	s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(c);
	return s;
}

static int gfile_init(struct gfile *g, const struct rs_item *it)
{
	/* what changes the number, not how often or how carefully it was measured */
	static const char *const drop[] = { "seed", "reps", "warmup", "verify", "test_slowdown_ns" };
	static const char *const place[] = { "backing", "hugepage_bytes", "vcpus", "total_bytes",
					     "per_vcpu", "overlap", "numa", "pin", "workload", "access" };
	json_t *c = json_object_get(it->doc, "config");
	const char *mode = json_string_value(json_object_get(c, "mode"));
	char buf[256];

	g->path = it->path;
	g->doc = it->doc;
	g->state = it->state;
	g->is_ref = mode && !strcmp(mode, "none");
	g->key = dump_subset(c, drop, FB_ARRAY_SIZE(drop), 0);
	g->ref = dump_subset(c, place, FB_ARRAY_SIZE(place), 1);
	snprintf(buf, sizeof(buf), "%s/%s/%lldv/%lldM/%s/%s", mode,
		 json_string_value(json_object_get(c, "backing")),
		 (long long)json_integer_value(json_object_get(c, "vcpus")),
		 (long long)(json_integer_value(json_object_get(c, "total_bytes")) >> 20),
		 json_string_value(json_object_get(c, "workload")),
		 json_string_value(json_object_get(c, "access")));
	g->label = strdup(buf);
	return g->key && g->ref && g->label ? 0 : -ENOMEM;
}

static int gset_load(struct gset *g, const char *dir, struct fb_err *err)
{
	int rc = rset_load(&g->rs, dir, err);

	if (rc)
		return rc;
	g->f = calloc(g->rs.n ? g->rs.n : 1, sizeof(*g->f));
	if (!g->f)
		return -ENOMEM;
	for (size_t i = 0; i < g->rs.n; i++) {
		const struct rs_item *it = &g->rs.it[i];
		json_t *name;

		/* only `run` results: index entries without a file, wpcost, micro pass */
		if (!it->doc || !it->path || strcmp(it->command, "run"))
			continue;
		name = json_object_get(json_object_get(it->doc, "schema"), "name");
		if (!json_is_string(name) || strcmp(json_string_value(name), RESULT_SCHEMA_NAME))
			continue;
		rc = gfile_init(&g->f[g->n++], it);
		if (rc)
			return rc;
		if (!g->fingerprint[0])
			snprintf(g->fingerprint, sizeof(g->fingerprint), "%s",
				 json_string_value(json_object_get(json_object_get(it->doc, "host"),
								   "fingerprint")));
	}
	if (!g->n) {
		fb_errf(err, "%s: no faultbench result files in it", dir);
		return -ENOENT;
	}
	return 0;
}

static void gset_free(struct gset *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->f[i].key);
		free(g->f[i].ref);
		free(g->f[i].label);
	}
	free(g->f);
	rset_free(&g->rs);
	memset(g, 0, sizeof(*g));
}

static const struct gfile *gset_find(const struct gset *g, const char *key)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->f[i].key, key))
			return &g->f[i];
	return NULL;
}

/* samples of one metric for one configuration, in one result set */
static size_t rep_samples(const struct gfile *f, const struct gate_metric *m, double *out,
			  size_t max)
{
	json_t *runs = json_object_get(f->doc, "runs"), *r;
	size_t i, n = 0;

	json_array_foreach(runs, i, r) {
		json_t *v = r;

		if (json_is_true(json_object_get(r, "warmup")))
			continue;
		for (int k = 0; m->pointer[k] && v; k++)
			v = json_object_get(v, m->pointer[k]);
		if (json_is_number(v) && n < max)
			out[n++] = json_number_value(v);
	}
	return n;
}

/* The samples of configuration `key` on one side: one per set (run), the
 * median of its repetitions, divided by its own set's reference median when
 * normalize is set. Repetitions of one run share that run's conditions
 * (allocator state, a noisy neighbour), so the run is the unit a test must
 * count; repetitions never stand for independent samples. */
static size_t pooled(const struct side *s, const char *key, const struct gate_metric *m, int normalize,
		     double *out, size_t max, int *have_ref)
{
	size_t n = 0;

	*have_ref = 1;
	for (int i = 0; i < s->n; i++) {
		const struct gfile *f = gset_find(&s->sets[i], key);
		double ref = 1, tmp[1024];
		size_t k;

		if (!f)
			continue;
		if (normalize) {
			const struct gfile *rf = NULL;

			for (size_t j = 0; j < s->sets[i].n; j++) {
				const struct gfile *c = &s->sets[i].f[j];

				if (c->is_ref && !strcmp(c->ref, f->ref) && !strcmp(c->state, "ok"))
					rf = c;
			}
			k = rf ? rep_samples(rf, m, tmp, 1024) : 0;
			ref = k ? stats_median(tmp, k) : 0;
			if (!(ref > 0)) {
				*have_ref = 0;
				ref = 1;
			}
		}
		k = rep_samples(f, m, out + n, max - n);
		for (size_t j = 0; j < k; j++)
			out[n + j] /= ref;
		if (k) {
			out[n] = stats_median(out + n, k);
			k = 1;
		}
		n += k;
	}
	return n;
}

/* The per-round values of both sides, pairwise: log(current / baseline) of
 * the rounds' medians, raw or each divided by its own round's reference.
 * Returns the number of pairs, or 0 when a round lacks the configuration
 * or its reference. */
static size_t paired_logs(const struct side *base, const struct side *cur, const char *key,
			  const struct gate_metric *m, int normalize, double *d)
{
	static struct side one_a = { .n = 1 }, one_b = { .n = 1 };
	double a[1024], b[1024];
	int ra, rb;

	if (base->n != cur->n)
		return 0;
	for (int i = 0; i < base->n; i++) {
		/* shallow views of one round each: pooled() reads, never frees */
		one_a.sets[0] = base->sets[i];
		one_b.sets[0] = cur->sets[i];
		if (pooled(&one_a, key, m, normalize, a, 1024, &ra) != 1 ||
		    pooled(&one_b, key, m, normalize, b, 1024, &rb) != 1 || !ra || !rb ||
		    !(a[0] > 0) || !(b[0] > 0))
			return 0;
		d[i] = log(b[0] / a[0]);
	}
	return (size_t)base->n;
}

static const struct gfile *first_in(const struct side *s, const char *key)
{
	for (int i = 0; i < s->n; i++) {
		const struct gfile *f = gset_find(&s->sets[i], key);

		if (f)
			return f;
	}
	return NULL;
}

static int load_side(struct side *s, const char *const *dirs, int n, struct fb_err *err)
{
	for (int i = 0; i < n; i++) {
		int rc = gset_load(&s->sets[i], dirs[i], err);

		s->n = i + 1;
		if (rc)
			return rc;
	}
	return 0;
}

static void free_side(struct side *s)
{
	for (int i = 0; i < s->n; i++)
		gset_free(&s->sets[i]);
	s->n = 0;
}

/* One-sided Mann-Whitney p-values of "b is worse than a" and "b is better". */
static void one_sided(const struct gate_metric *mt, const double *a, size_t na, const double *b, size_t nb,
		      double *p_worse, double *p_better)
{
	double two;

	if (mt->higher_is_better) {
		stats_mann_whitney(b, nb, a, na, p_worse, &two);
		stats_mann_whitney(a, na, b, nb, p_better, &two);
	} else {
		stats_mann_whitney(a, na, b, nb, p_worse, &two);
		stats_mann_whitney(b, nb, a, na, p_better, &two);
	}
}

static const char *const correction_names[] = {
	[STATS_CORRECTION_NONE] = "none",
	[STATS_CORRECTION_HOLM] = "holm",
	[STATS_CORRECTION_BH] = "bh",
};

const char *gate_correction_name(enum stats_correction c)
{
	return correction_names[c];
}

/* The number a single comparison's p-value is multiplied by at the first
 * step of the correction: what one clear regression alone must pass. */
static double family_factor(enum stats_correction c, int m)
{
	return c == STATS_CORRECTION_NONE || m < 1 ? 1 : m;
}

/* The fewest pairs of runs whose most extreme outcome passes alpha after
 * the correction; 0 when more than MAX_SETS would be needed. */
static int rounds_needed(double factor, double alpha)
{
	for (int n = 1; n <= MAX_SETS; n++)
		if (factor * stats_signed_rank_min_p((size_t)n) < alpha)
			return n;
	return 0;
}

/* Likewise for unpaired runs: the fewest current runs against nb baseline
 * runs, or (nb 0) the fewest runs a side. */
static int runs_needed(double factor, double alpha, int nb)
{
	for (int k = 1; k <= MAX_SETS; k++)
		if (factor * stats_mann_whitney_min_p((size_t)(nb ? nb : k), (size_t)k) < alpha)
			return k;
	return 0;
}

/* One configuration and metric: medians, changes, one-sided p-values and
 * the smallest p-value its test can give. a and b are scratch space for
 * SAMPLES values each. */
static void compare_one(const struct side *base, const struct side *cur, const struct gfile *f,
			const struct gate_metric *mt, int paired, double *a, double *b,
			struct gate_row *r)
{
	int ra, rb, ref = f->is_ref, by_pairs = 0;
	size_t na = pooled(base, f->key, mt, 0, a, SAMPLES, &ra);
	size_t nb = pooled(cur, f->key, mt, 0, b, SAMPLES, &rb);
	double pw, pg, pwn, pgn;

	r->mt = mt;
	r->gated = mt->threshold >= 0;
	r->aw = r->ag = r->lo = r->hi = NAN;
	r->ma = stats_median(a, na);
	r->mb = stats_median(b, nb);
	if (!na || !nb || !(r->ma > 0)) {
		r->verdict = "too few samples";
		return;
	}
	r->tested = 1;
	r->na = (int)na;
	r->nb = (int)nb;
	r->test = "mann-whitney";
	r->min_p = stats_mann_whitney_min_p(na, nb);
	r->raw = r->mb / r->ma - 1;
	/* the raw test, on the runs as measured */
	one_sided(mt, a, na, b, nb, &pw, &pg);
	r->norm = r->raw;
	pwn = pw;
	pgn = pg;
	if (!ref) {
		na = pooled(base, f->key, mt, 1, a, SAMPLES, &ra);
		nb = pooled(cur, f->key, mt, 1, b, SAMPLES, &rb);
		r->normalized = ra && rb;
		if (r->normalized) {
			r->norm = stats_median(b, nb) / stats_median(a, na) - 1;
			one_sided(mt, a, na, b, nb, &pwn, &pgn);
		} else {
			na = pooled(base, f->key, mt, 0, a, SAMPLES, &ra);
			nb = pooled(cur, f->key, mt, 0, b, SAMPLES, &rb);
		}
	}
	if (paired) {
		double d[MAX_SETS], dn[MAX_SETS], pp, pn;
		size_t np = paired_logs(base, cur, f->key, mt, 0, d);
		size_t npn = ref ? np : paired_logs(base, cur, f->key, mt, 1, dn);

		if (np) {
			/* round by round: drift that both sides of a pair share
			 * cancels, so the pairs decide (the reference would only
			 * add its own noise); the normalized change is reported */
			by_pairs = 1;
			r->raw = expm1(stats_median(d, np));
			stats_signed_rank(d, np, &pp, &pn);
			pw = pwn = mt->higher_is_better ? pn : pp;
			pg = pgn = mt->higher_is_better ? pp : pn;
			r->norm = !ref && npn == np ? expm1(stats_median(dn, npn)) : r->raw;
			r->test = "signed-rank";
			r->na = r->nb = (int)np;
			r->min_p = stats_signed_rank_min_p(np);
		}
	}
	stats_bootstrap_ratio_ci(a, na, b, nb, 0.95, 2000, 42, &r->lo, &r->hi);
	/* Unpaired, a change counts only when it holds both as measured and
	 * against the same run's reference: drift of the whole machine moves
	 * the raw figure alone, noise in the reference the normalized one
	 * alone. Requiring both is testing both, so the larger p-value is the
	 * comparison's. */
	r->worse = mt->higher_is_better ? -r->raw : r->raw;
	r->worsen = by_pairs ? r->worse : mt->higher_is_better ? -r->norm : r->norm;
	r->pw = fmax(pw, pwn);
	r->pg = fmax(pg, pgn);
}

static void catf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void catf(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len >= n - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}

/* Why the samples cannot decide, and how many would. */
static void power_reason(struct gate_verdict *v, double factor)
{
	catf(v->reason, sizeof(v->reason), "%s", *v->reason ? "; and " : "");
	if (v->paired)
		catf(v->reason, sizeof(v->reason), "%d pair(s) of runs", v->base_sets);
	else
		catf(v->reason, sizeof(v->reason), "%d baseline and %d current run(s)", v->base_sets,
		     v->cur_sets);
	catf(v->reason, sizeof(v->reason), ": the smallest one-sided p-value the %s test can give is %.3g",
	     v->paired ? "signed-rank" : "Mann-Whitney", v->hardest_min_p);
	if (factor > 1)
		catf(v->reason, sizeof(v->reason),
		     ", and %s over %d gated comparisons needs one below %g/%d = %.3g; ",
		     gate_correction_name(v->correction), v->family, v->alpha, v->family,
		     v->alpha / factor);
	else
		catf(v->reason, sizeof(v->reason), ", not below alpha %g; ", v->alpha);
	if (v->paired && v->rounds_needed)
		catf(v->reason, sizeof(v->reason), "give %d or more rounds", v->rounds_needed);
	else if (v->paired)
		catf(v->reason, sizeof(v->reason), "no number of rounds up to %d would do; judge fewer comparisons",
		     MAX_SETS);
	else if (v->current_runs_needed)
		catf(v->reason, sizeof(v->reason),
		     "give %d or more --current sets against these %d baseline sets (%d a side would do), or use --ab",
		     v->current_runs_needed, v->base_sets, v->runs_a_side_needed);
	else if (v->runs_a_side_needed)
		catf(v->reason, sizeof(v->reason), "give %d or more runs a side, or use --ab",
		     v->runs_a_side_needed);
	else
		catf(v->reason, sizeof(v->reason), "no number of runs up to %d would do; judge fewer comparisons",
		     MAX_SETS);
}

/* Every configuration of the baseline against the current side: the rows,
 * the correction over the gated ones, and the suite's verdict. Prints
 * nothing. 0, or -EINVAL (a configuration on one side only) / -ENOMEM. */
static int build_verdict(const struct side *base, const struct side *cur, const struct opts *o,
			 struct gate_verdict *v, struct fb_err *err)
{
	size_t cap = base->sets[0].n * gate_nmetrics, m = 0;
	double *a = malloc(sizeof(double) * SAMPLES), *b = malloc(sizeof(double) * SAMPLES);
	double *p = malloc(sizeof(double) * 4 * (cap ? cap : 1)), factor;
	size_t *fam = malloc(sizeof(size_t) * (cap ? cap : 1));
	int rc = 0;

	v->rows = calloc(cap ? cap : 1, sizeof(*v->rows));
	if (!a || !b || !p || !fam || !v->rows) {
		rc = -ENOMEM;
		goto out;
	}
	v->alpha = o->alpha;
	v->correction = o->correction;
	v->paired = o->paired && base->n == cur->n;
	v->base_sets = base->n;
	v->cur_sets = cur->n;
	v->cross_host = o->cross_host;
	if (o->paired && !v->paired)
		json_array_append_new(v->warnings, json_sprintf(
			"--paired needs as many baseline as current sets (%d and %d); judging them unpaired",
			base->n, cur->n));
	/* one host on both sides, every set */
	v->base_fp = base->sets[0].fingerprint;
	v->cur_fp = cur->sets[0].fingerprint;
	v->same_host = 1;
	for (int side = 0; side < 2; side++) {
		const struct side *s = side ? cur : base;

		for (int i = 0; i < s->n; i++)
			if (strcmp(s->sets[i].fingerprint, v->base_fp)) {
				v->same_host = 0;
				v->cur_fp = s->sets[i].fingerprint;
			}
	}
	/* every configuration must be on both sides */
	for (int side = 0; side < 2; side++) {
		const struct side *s = side ? cur : base, *t = side ? base : cur;

		for (int i = 0; i < s->n; i++)
			for (size_t j = 0; j < s->sets[i].n; j++) {
				const struct gfile *f = &s->sets[i].f[j];

				if (!first_in(t, f->key)) {
					fb_errf(err, "configuration %s (%s) is in the %s but not in the %s",
						f->label, f->path, side ? "current set" : "baseline",
						side ? "baseline" : "current set");
					rc = -EINVAL;
					goto out;
				}
			}
	}
	for (size_t j = 0; j < base->sets[0].n; j++) {
		const struct gfile *f = &base->sets[0].f[j], *g = first_in(cur, f->key);

		if (strcmp(f->state, "ok") || strcmp(g->state, "ok")) {
			v->rows[v->n++] = (struct gate_row){ .label = f->label, .base_state = f->state,
							     .cur_state = g->state, .verdict = "not compared",
							     .aw = NAN, .ag = NAN };
			continue;
		}
		for (size_t k = 0; k < gate_nmetrics; k++) {
			struct gate_row *r = &v->rows[v->n++];

			r->label = f->label;
			r->base_state = f->state;
			r->cur_state = g->state;
			compare_one(base, cur, f, &gate_metrics[k], v->paired, a, b, r);
			v->compared += r->tested;
			if (r->tested && r->gated)
				fam[m++] = (size_t)(r - v->rows);
		}
	}
	/* the family: every gated comparison, adjusted together */
	for (size_t i = 0; i < m; i++) {
		p[i] = v->rows[fam[i]].pw;
		p[cap + i] = v->rows[fam[i]].pg;
	}
	if (stats_adjust_p(p, m, o->correction, p + 2 * cap) ||
	    stats_adjust_p(p + cap, m, o->correction, p + 3 * cap)) {
		fb_errf(err, "a p-value outside [0, 1]");
		rc = -EINVAL;
		goto out;
	}
	v->family = (int)m;
	factor = family_factor(o->correction, v->family);
	for (size_t i = 0; i < m; i++) {
		struct gate_row *r = &v->rows[fam[i]];
		double thr = r->mt->threshold;

		r->aw = p[2 * cap + i];
		r->ag = p[3 * cap + i];
		v->hardest_min_p = fmax(v->hardest_min_p, r->min_p);
		if (r->aw < o->alpha && r->worse > thr && r->worsen > thr) {
			r->verdict = "REGRESSION";
			v->regressions++;
		} else if (r->ag < o->alpha && -r->worse > thr && -r->worsen > thr) {
			r->verdict = "improvement";
			v->improvements++;
		} else if (factor * r->min_p >= o->alpha) {
			/* not even the most extreme outcome could have passed */
			r->verdict = "inconclusive";
			v->inconclusive++;
		} else {
			r->verdict = "ok";
		}
	}
	for (size_t i = 0; i < v->n; i++)
		if (v->rows[i].tested && !v->rows[i].gated)
			v->rows[i].verdict = "(not gated)";
	v->rounds_needed = rounds_needed(factor, o->alpha);
	v->runs_a_side_needed = runs_needed(factor, o->alpha, 0);
	v->current_runs_needed = runs_needed(factor, o->alpha, base->n);

	/* the suite's verdict */
	v->verdict = v->regressions ? "regression" : "no regression";
	if (!v->same_host && o->cross_host) {
		json_array_append_new(v->warnings, json_sprintf(
			"host fingerprints differ (baseline %s, current %s): judged anyway (--cross-host); the change includes whatever differs between the hosts",
			v->base_fp, v->cur_fp));
	} else if (!v->same_host) {
		v->verdict = "inconclusive";
		catf(v->reason, sizeof(v->reason),
		     "host fingerprints differ (baseline %s, current %s): results from another host or kernel do not measure this change; record the baseline on this host, use --ab, or pass --cross-host to judge across hosts",
		     v->base_fp, v->cur_fp);
	}
	if (!m) {
		v->verdict = "inconclusive";
		catf(v->reason, sizeof(v->reason), "%sno gated comparison could be made",
		     *v->reason ? "; and " : "");
	} else if (v->inconclusive && !v->regressions) {
		v->verdict = "inconclusive";
		power_reason(v, factor);
	} else if (!*v->reason) {
		catf(v->reason, sizeof(v->reason),
		     "%d of %d gated comparisons worse beyond the threshold with adjusted p < %g (%s correction)",
		     v->regressions, v->family, o->alpha, gate_correction_name(o->correction));
	}
out:
	free(a);
	free(b);
	free(p);
	free(fam);
	return rc;
}

static int judge(const struct side *base, const struct side *cur, const struct opts *o,
		 const struct ab_plan *ab, json_t *warnings, struct fb_err *err)
{
	struct gate_verdict v = { .ab = ab, .warnings = warnings };
	size_t i;
	json_t *w;
	int rc = build_verdict(base, cur, o, &v, err);

	if (rc) {
		free(v.rows);
		return rc;
	}
	gate_print(&v);
	json_array_foreach(v.warnings, i, w)
		fprintf(stderr, "faultbench gate: warning: %s\n", json_string_value(w));
	if (o->json_out) {
		json_t *doc = gate_json(&v);

		rc = doc ? result_write_atomic(doc, o->json_out, err) : -ENOMEM;
		json_decref(doc);
	}
	if (!rc && o->md_out)
		rc = gate_markdown(&v, o->md_out, err);
	free(v.rows);
	if (rc)
		return rc;
	return v.regressions && !strcmp(v.verdict, "regression") ? 1 :
	       !strcmp(v.verdict, "inconclusive")               ? GATE_EXIT_INCONCLUSIVE :
								  0;
}

static void gate_usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench gate --baseline DIR... --current DIR... [options]\n"
		"       faultbench gate --ab --cmd-a CMD --cmd-b CMD [--rounds N] [--suite NAME] [options]\n"
		"\n"
		"  --baseline DIR       a result set (repeat for several runs)\n"
		"  --current DIR        the result set to judge (repeat likewise)\n"
		"  --threshold PCT      minimum change that counts, every gated metric [5]\n"
		"  --threshold M=PCT    for one metric: paging_rate_pps, fault_lat_p50_ns, and\n"
		"                       fault_lat_p99_ns (reported, not gated, unless named here)\n"
		"  --alpha A            significance level of the whole suite's verdict [0.05]\n"
		"  --correction C       over all gated comparisons: holm (family-wise error),\n"
		"                       bh (Benjamini-Hochberg, false-discovery rate), none [holm]\n"
		"  --cross-host         judge sets from different host fingerprints (else inconclusive)\n"
		"  --json FILE          the verdict as JSON (results/schema-gate.json)\n"
		"  --markdown FILE      a Markdown summary for CI comments\n"
		"  --ab                 run CMD-A's and CMD-B's suites in rounds, then judge the\n"
		"                       rounds pairwise (implies --paired)\n"
		"  --order O            who runs first within a round: alternate (A B, B A, ...) or\n"
		"                       random (seeded, as many A-first as B-first rounds) [alternate]\n"
		"  --seed N             the seed of --order random [from the clock; recorded]\n"
		"  --paired             baseline set i and current set i were run together: compare\n"
		"                       pairwise (Wilcoxon signed-rank), so drift across rounds cancels\n"
		"  --cmd-a/--cmd-b CMD  a faultbench command line (e.g. ./old/faultbench)\n"
		"  --rounds N           A/B rounds [12]; --suite NAME [ci]; --out DIR [results/ab-<time>]\n"
		"\n"
		"Exit: 0 no regression, 1 regression, 2 bad input, 3 inconclusive (too few rounds or\n"
		"runs for the number of comparisons, or another host; the message says what is needed).\n");
}

static int set_threshold(const char *v, struct fb_err *err)
{
	const char *eq = strchr(v, '=');
	double pct;

	if (!eq) {
		if (fb_parse_double(v, 0, 1000, &pct))
			goto bad;
		for (size_t m = 0; m < gate_nmetrics; m++)
			gate_metrics[m].threshold = gate_metrics[m].threshold < 0 ? -pct / 100 : pct / 100;
		return 0;
	}
	if (fb_parse_double(eq + 1, 0, 1000, &pct))
		goto bad;
	for (size_t m = 0; m < gate_nmetrics; m++) {
		if (strlen(gate_metrics[m].name) == (size_t)(eq - v) && !strncmp(gate_metrics[m].name, v, (size_t)(eq - v))) {
			gate_metrics[m].threshold = pct / 100;
			return 0;
		}
	}
bad:
	fb_errf(err, "--threshold: '%s' is not PCT or METRIC=PCT (METRIC one of paging_rate_pps, "
		     "fault_lat_p50_ns, fault_lat_p99_ns; PCT from 0 to 1000)", v);
	return -EINVAL;
}

/* After round 1 of --ab the number of gated comparisons is known: when
 * the rounds asked for cannot reach alpha after the correction, running
 * the rest would only spend the machine's time on an inconclusive verdict.
 * Returns the rounds needed (0: enough). */
static int ab_rounds_short(const struct ab_plan *plan, const struct opts *o, struct fb_err *err)
{
	static struct side a1, b1;
	const char *da = plan->set[0][0], *db = plan->set[0][1];
	struct gate_verdict v = { .warnings = json_array() };
	int rc = load_side(&a1, &da, 1, err), need = 0;

	if (!rc)
		rc = load_side(&b1, &db, 1, err);
	if (!rc)
		rc = build_verdict(&a1, &b1, o, &v, err);
	if (!rc) {
		need = rounds_needed(family_factor(o->correction, v.family), o->alpha);
		if (need && need <= (int)o->rounds)
			need = 0;
		else if (!need)
			need = MAX_SETS + 1;
	}
	free(v.rows);
	json_decref(v.warnings);
	free_side(&a1);
	free_side(&b1);
	return rc ? rc : need;
}

int gate_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "baseline", required_argument, NULL, 'b' }, { "current", required_argument, NULL, 'c' },
		{ "threshold", required_argument, NULL, 't' }, { "alpha", required_argument, NULL, 'a' },
		{ "json", required_argument, NULL, 'j' }, { "markdown", required_argument, NULL, 'm' },
		{ "ab", no_argument, NULL, 'A' }, { "paired", no_argument, NULL, 'P' },
		{ "cmd-a", required_argument, NULL, '1' },
		{ "cmd-b", required_argument, NULL, '2' }, { "rounds", required_argument, NULL, 'r' },
		{ "suite", required_argument, NULL, 's' }, { "out", required_argument, NULL, 'o' },
		{ "correction", required_argument, NULL, 'C' }, { "order", required_argument, NULL, 'O' },
		{ "seed", required_argument, NULL, 'S' }, { "cross-host", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct opts o = { .alpha = 0.05, .suite = "ci", .rounds = 12,
			  .correction = STATS_CORRECTION_HOLM, .order = AB_ALTERNATE };
	static struct side base, cur;
	static struct ab_plan plan;
	struct fb_err err = { "" };
	json_t *warnings = json_array();
	uint64_t u;
	int opt, rc;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		switch (opt) {
		case 'b':
		case 'c':
			if ((opt == 'b' ? o.nb : o.nc) >= MAX_SETS) {
				fb_errf(&err, "--%s: at most %d sets", opt == 'b' ? "baseline" : "current", MAX_SETS);
				goto usage;
			}
			if (opt == 'b')
				o.baseline[o.nb++] = optarg;
			else
				o.current[o.nc++] = optarg;
			break;
		case 't':
			if (set_threshold(optarg, &err))
				goto usage;
			break;
		case 'a':
			if (fb_parse_double(optarg, 1e-6, 0.5, &o.alpha)) {
				fb_errf(&err, "--alpha: '%s' is not a level from 0.000001 to 0.5", optarg);
				goto usage;
			}
			break;
		case 'C': {
			size_t k;

			for (k = 0; k < FB_ARRAY_SIZE(correction_names); k++)
				if (!strcmp(optarg, correction_names[k]))
					break;
			if (k == FB_ARRAY_SIZE(correction_names)) {
				fb_errf(&err, "--correction: '%s' is not accepted; accepted values: holm, bh, none",
					optarg);
				goto usage;
			}
			o.correction = (enum stats_correction)k;
			break;
		}
		case 'O':
			if (ab_parse_order(optarg, &o.order, &err))
				goto usage;
			o.order_given = 1;
			break;
		case 'S':
			if (fb_parse_u64(optarg, 0, INT64_MAX, &o.seed)) {
				fb_errf(&err, "--seed: '%s' is not a whole number from 0 to %lld", optarg,
					(long long)INT64_MAX);
				goto usage;
			}
			o.seed_given = 1;
			break;
		case 'X': o.cross_host = 1; break;
		case 'j': o.json_out = optarg; break;
		case 'm': o.md_out = optarg; break;
		case 'A': o.ab = 1; o.paired = 1; break;
		case 'P': o.paired = 1; break;
		case '1': o.cmd_a = optarg; break;
		case '2': o.cmd_b = optarg; break;
		case 's': o.suite = optarg; break;
		case 'o': o.out_dir = optarg; break;
		case 'r':
			if (fb_parse_u64(optarg, 1, MAX_SETS, &u)) {
				fb_errf(&err, "--rounds: '%s' is not a whole number from 1 to %d", optarg, MAX_SETS);
				goto usage;
			}
			o.rounds = (unsigned)u;
			break;
		case 'h':
			gate_usage(stdout);
			json_decref(warnings);
			return FB_EXIT_OK;
		case ':':
			fb_errf(&err, "%s needs a value", argv[optind - 1]);
			goto usage;
		default:
			fb_errf(&err, "unknown flag '%s'; see faultbench gate --help", argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		fb_errf(&err, "unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if ((o.order_given || o.seed_given) && !o.ab) {
		fb_errf(&err, "--order and --seed go with --ab (they set who runs first in a round)");
		goto usage;
	}
	if (o.seed_given && o.order != AB_RANDOM) {
		fb_errf(&err, "--seed is the seed of --order random; --order is %s", ab_order_name(o.order));
		goto usage;
	}
	if (o.ab) {
		double pmin = stats_signed_rank_min_p(o.rounds);

		if (!o.cmd_a || !o.cmd_b || o.nb || o.nc) {
			fb_errf(&err, "--ab needs --cmd-a and --cmd-b, and no --baseline/--current");
			goto usage;
		}
		/* even one comparison alone could never be significant */
		if (pmin >= o.alpha) {
			fb_errf(&err, "--rounds %u: %u pairs of runs cannot give p < %g (the smallest one-sided p-value of the signed-rank test is %.3g); give %d or more, and more for a suite of many comparisons",
				o.rounds, o.rounds, o.alpha, pmin, rounds_needed(1, o.alpha));
			goto usage;
		}
		plan = (struct ab_plan){ .cmd_a = o.cmd_a, .cmd_b = o.cmd_b, .suite = o.suite,
					 .rounds = o.rounds, .order = o.order,
					 .seed = o.seed_given ? o.seed :
						fb_mix64((uint64_t)time(NULL) ^ (uint64_t)getpid() << 32) & INT64_MAX };
		rc = ab_plan_init(&plan, o.out_dir, &err);
		if (!rc)
			rc = ab_run_round(&plan, &err);
		if (!rc)
			rc = ab_rounds_short(&plan, &o, &err);
		if (rc < 0)
			goto bad_input;
		if (rc > 0) {
			char need[32];

			snprintf(need, sizeof(need), rc > MAX_SETS ? "more than %d" : "%d",
				 rc > MAX_SETS ? MAX_SETS : rc);
			json_array_append_new(warnings, json_sprintf(
				"round 1 makes more gated comparisons than %u rounds can decide after %s correction at alpha %g: %s rounds are needed; stopped after round 1",
				o.rounds, gate_correction_name(o.correction), o.alpha, need));
		}
		while (!rc && plan.done < plan.rounds) {
			rc = ab_run_round(&plan, &err);
			if (rc)
				goto bad_input;
		}
		for (unsigned r = 0; r < plan.done; r++) {
			o.baseline[o.nb++] = plan.set[r][0];
			o.current[o.nc++] = plan.set[r][1];
		}
	}
	if (!o.nb || !o.nc) {
		fb_errf(&err, "give --baseline DIR and --current DIR (or --ab)");
		goto usage;
	}
	if (load_side(&base, o.baseline, o.nb, &err) || load_side(&cur, o.current, o.nc, &err))
		goto bad_input;
	rc = judge(&base, &cur, &o, o.ab ? &plan : NULL, warnings, &err);
	free_side(&base);
	free_side(&cur);
	json_decref(warnings);
	if (rc < 0) {
		fprintf(stderr, "faultbench gate: %s\n", err.msg);
		return FB_EXIT_USAGE;
	}
	return rc;

usage:
	json_decref(warnings);
	fprintf(stderr, "faultbench gate: %s\n", err.msg);
	return FB_EXIT_USAGE;
bad_input:
	json_decref(warnings);
	free_side(&base);
	free_side(&cur);
	fprintf(stderr, "faultbench gate: %s\n", err.msg);
	return FB_EXIT_USAGE;
}

/* `faultbench baseline save NAME [--from DIR] [--force]`: copy a result set's
 * result files into results/baselines/NAME, with the host they came from. */
int baseline_main(int argc, char **argv)
{
	const char *from = "results/latest", *name;
	static struct gset s;
	struct fb_err err = { "" };
	char dir[512], path[1024];
	int force = 0, rc = 0;

	if (argc < 3 || strcmp(argv[1], "save")) {
		fprintf(stderr, "usage: faultbench baseline save NAME [--from DIR] [--force]\n");
		return FB_EXIT_USAGE;
	}
	name = argv[2];
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			from = argv[++i];
		} else if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else {
			fprintf(stderr, "faultbench baseline: unknown flag '%s'; accepted: --from DIR, --force\n",
				argv[i]);
			return FB_EXIT_USAGE;
		}
	}
	if (!*name || strchr(name, '/') || name[0] == '.') {
		fprintf(stderr, "faultbench baseline: NAME '%s' must be a plain name (no '/', not starting with '.')\n",
			name);
		return FB_EXIT_USAGE;
	}
	snprintf(dir, sizeof(dir), "results/baselines/%s", name);
	if (!access(dir, F_OK) && !force) {
		fprintf(stderr, "faultbench baseline: %s exists; pass --force to replace its files\n", dir);
		return FB_EXIT_USAGE;
	}
	if (gset_load(&s, from, &err)) {
		fprintf(stderr, "faultbench baseline: --from %s: %s\n", from, err.msg);
		gset_free(&s);
		return FB_EXIT_USAGE;
	}
	for (size_t i = 0; i < s.n && !rc; i++) {
		/* gset_load fills f[0..n) from items with a path; the analyzer assumes
		 * the static s may start with n > 0 and an empty f */
		/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
		const char *base = strrchr(s.f[i].path, '/');

		snprintf(path, sizeof(path), "%s/%s", dir, base ? base + 1 : s.f[i].path);
		rc = result_write_atomic(s.f[i].doc, path, &err);
	}
	if (!rc) {
		json_t *host = json_pack("{s:s, s:s, s:O}", "from", from, "fingerprint", s.fingerprint,
					 "host", json_object_get(s.f[0].doc, "host"));

		snprintf(path, sizeof(path), "%s/baseline.json", dir);
		rc = result_write_atomic(host, path, &err);
		json_decref(host);
	}
	if (rc)
		fprintf(stderr, "faultbench baseline: %s\n", err.msg);
	else
		printf("saved %zu result files from %s into %s (host %s)\n", s.n, from, dir, s.fingerprint);
	gset_free(&s);
	return rc ? FB_EXIT_FAIL : FB_EXIT_OK;
}
