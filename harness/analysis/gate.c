/* `faultbench gate`: is the current result set slower than the baseline,
 * beyond noise?
 *
 * For each configuration present on both sides and each metric, the samples
 * are runs: each side may hold several result sets (rounds, e.g. from
 * --ab, which alternates A B A B), and with MIN_ROUNDS or more a side each
 * run counts once, as the median of its repetitions. Repetitions of one run
 * share its conditions (page allocator state, a noisy neighbour), so on a
 * shared machine they cannot stand for independent samples; with fewer
 * runs the test falls back to repetitions and warns. Each sample is also
 * divided by the median of the
 * same metric for the drift reference (the same memory, placement and
 * workload under mode `none`) from the same result set, so a machine that is
 * uniformly faster or slower today cancels out. The reference configurations
 * themselves are judged raw. A change is a regression when, on the raw
 * samples and on the normalized ones alike,
 *   - the one-sided Mann–Whitney U test of "current is worse" gives
 *     p < alpha (default 0.05), and
 *   - the medians differ by more than the metric's threshold (default 5 %)
 *     in the bad direction.
 * Improvements are found the same way and never fail. Exit 0: no
 * regression; 1: regression; 2: bad input. */
#include "gate.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fb.h"
#include "hist.h"
#include "result.h"
#include "report.h"
#include "stats.h"

#define MAX_SETS 64
/* Runs a side from which the run, not the repetition, is the sample: with
 * 4 against 4 the smallest one-sided Mann-Whitney p is 1/70. */
#define MIN_ROUNDS 4
/* Pairs for the paired test: with 5 the smallest one-sided P is 1/32. */
#define MIN_PAIRS 5

struct metric {
	const char *name;
	const char *unit;
	int higher_is_better;
	double threshold;  /* fraction; < 0: reported, not gated (until --threshold names it) */
	const char *pointer[3];  /* path inside a repetition */
};

static struct metric metrics[] = {
	{ "paging_rate_pps", "pages/s", 1, 0.05, { "aggregate", "paging_rate_pps", NULL } },
	{ "fault_lat_p50_ns", "ns", 0, 0.05, { "fault_lat_ns", "p50", NULL } },
	/* a tail quantile of a few thousand faults moves with every interrupt:
	 * reported by default, gated when asked for */
	{ "fault_lat_p99_ns", "ns", 0, -0.05, { "fault_lat_ns", "p99", NULL } },
};

struct opts {
	const char *baseline[MAX_SETS];
	const char *current[MAX_SETS];
	int nb, nc;
	double alpha;
	const char *json_out, *md_out;
	int ab;
	int paired;        /* sets i of both sides were run alternately: compare them pairwise */
	const char *cmd_a, *cmd_b, *suite, *out_dir;
	unsigned rounds;
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
static size_t rep_samples(const struct gfile *f, const struct metric *m, double *out,
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

/* Pool the samples of configuration `key` over the side's sets, each divided
 * by its own set's reference median when normalize is set. */
/* With per_set, one value per set (round): the median of its repetitions.
 * Repetitions of one run share that run's conditions, so with several runs
 * a side the run is the unit the test must count. */
static size_t pooled(const struct side *s, const char *key, const struct metric *m, int normalize,
		     int per_set, double *out, size_t max, int *have_ref)
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
		if (per_set && k) {
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
			  const struct metric *m, int normalize, double *d)
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
		if (pooled(&one_a, key, m, normalize, 1, a, 1024, &ra) != 1 ||
		    pooled(&one_b, key, m, normalize, 1, b, 1024, &rb) != 1 || !ra || !rb ||
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

static const char *fmt_num(double v, char *buf, size_t n)
{
	if (fabs(v) >= 1e6)
		snprintf(buf, n, "%.3gM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(buf, n, "%.1fk", v / 1e3);
	else
		snprintf(buf, n, "%.4g", v);
	return buf;
}

/* One-sided Mann-Whitney p-values of "b is worse than a" and "b is better". */
static void one_sided(const struct metric *mt, const double *a, size_t na, const double *b, size_t nb,
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

/* Compare every configuration of the baseline with the current side. */
static int judge(struct side *base, struct side *cur, const struct opts *o, struct fb_err *err)
{
	json_t *rows = json_array(), *warnings = json_array(), *doc;
	FILE *md = NULL;
	int regressions = 0, improvements = 0, compared = 0, per_set, paired;
	double *a = malloc(sizeof(double) * 65536), *b = malloc(sizeof(double) * 65536);
	char x[32], y[32];

	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	per_set = base->n >= MIN_ROUNDS && cur->n >= MIN_ROUNDS;
	paired = o->paired && base->n == cur->n && base->n >= MIN_PAIRS;
	if (o->paired && !paired)
		json_array_append_new(warnings, json_sprintf(
			"--paired needs the same number of baseline and current sets, %d or more; judging them unpaired",
			MIN_PAIRS));
	if (!per_set)
		json_array_append_new(warnings, json_sprintf(
			"%d baseline and %d current run(s): fewer than %d a side, so the test treats repetitions of one run as independent and cannot see run-to-run noise; for a trustworthy verdict give %d or more --baseline and --current sets, or use --ab",
			base->n, cur->n, MIN_ROUNDS, MIN_ROUNDS));
	if (strcmp(base->sets[0].fingerprint, cur->sets[0].fingerprint))
		json_array_append_new(warnings, json_sprintf(
			"host fingerprints differ (baseline %s, current %s): absolute figures are not comparable; the normalized change still is",
			base->sets[0].fingerprint, cur->sets[0].fingerprint));
	/* every configuration must be on both sides */
	for (int side = 0; side < 2; side++) {
		struct side *s = side ? cur : base, *t = side ? base : cur;

		for (int i = 0; i < s->n; i++)
			for (size_t j = 0; j < s->sets[i].n; j++) {
				const struct gfile *f = &s->sets[i].f[j], *g = first_in(t, f->key);

				if (!g) {
					fb_errf(err, "configuration %s (%s) is in the %s but not in the %s",
						f->label, f->path, side ? "current set" : "baseline",
						side ? "baseline" : "current set");
					free(a);
					free(b);
					json_decref(rows);
					json_decref(warnings);
					return -EINVAL;
				}
			}
	}

	printf("%-52s %-17s %10s %10s %8s %8s %8s  %s\n", "configuration", "metric", "baseline",
	       "current", "raw", "normal.", "p", "verdict");
	for (size_t j = 0; j < base->sets[0].n; j++) {
		const struct gfile *f = &base->sets[0].f[j], *g = first_in(cur, f->key);
		int ref = f->is_ref;

		if (strcmp(f->state, "ok") || strcmp(g->state, "ok")) {
			json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s}", "configuration",
							      f->label, "baseline_state", f->state,
							      "current_state", g->state, "verdict", "not compared"));
			printf("%-52s %-17s %s / %s: not compared\n", f->label, "-", f->state, g->state);
			continue;
		}
		for (size_t m = 0; m < FB_ARRAY_SIZE(metrics); m++) {
			const struct metric *mt = &metrics[m];
			int ra, rb;
			size_t na = pooled(base, f->key, mt, 0, per_set, a, 65536, &ra);
			size_t nb = pooled(cur, f->key, mt, 0, per_set, b, 65536, &rb);
			double ma = stats_median(a, na), mb = stats_median(b, nb), raw, norm, pw, pg, pwn, pgn;
			double lo = NAN, hi = NAN, worse, worsen;
			const char *verdict;
			int normalized = 0;

			if (na < (per_set ? MIN_ROUNDS : 3) || nb < (per_set ? MIN_ROUNDS : 3) || !(ma > 0)) {
				json_array_append_new(rows, json_pack("{s:s, s:s, s:s}", "configuration",
								      f->label, "metric", mt->name,
								      "verdict", "too few samples"));
				continue;
			}
			raw = mb / ma - 1;
			/* the raw test, on the samples as measured */
			one_sided(mt, a, na, b, nb, &pw, &pg);
			norm = raw;
			pwn = pw;
			pgn = pg;
			if (!ref) {
				na = pooled(base, f->key, mt, 1, per_set, a, 65536, &ra);
				nb = pooled(cur, f->key, mt, 1, per_set, b, 65536, &rb);
				normalized = ra && rb;
				if (normalized) {
					norm = stats_median(b, nb) / stats_median(a, na) - 1;
					one_sided(mt, a, na, b, nb, &pwn, &pgn);
				} else {
					na = pooled(base, f->key, mt, 0, per_set, a, 65536, &ra);
					nb = pooled(cur, f->key, mt, 0, per_set, b, 65536, &rb);
				}
			}
			if (paired) {
				double d[MAX_SETS], dn[MAX_SETS], pp, pn;
				size_t np = paired_logs(base, cur, f->key, mt, 0, d);
				size_t npn = ref ? np : paired_logs(base, cur, f->key, mt, 1, dn);

				if (np >= MIN_PAIRS) {
					/* round by round: drift that both sides of a pair share cancels */
					raw = expm1(stats_median(d, np));
					stats_signed_rank(d, np, &pp, &pn);
					pw = mt->higher_is_better ? pn : pp;
					pg = mt->higher_is_better ? pp : pn;
					norm = raw;
					pwn = pw;
					pgn = pg;
					/* pairing already cancels drift; the normalized
					 * change is reported, and the decision is the
					 * pairs' own (the reference only adds its noise) */
					if (!ref && npn == np)
						norm = expm1(stats_median(dn, npn));
				}
			}
			worse = mt->higher_is_better ? -raw : raw;
			worsen = mt->higher_is_better ? -norm : norm;
			stats_bootstrap_ratio_ci(a, na, b, nb, 0.95, 2000, 42, &lo, &hi);
			compared++;
			/* A change counts only when it holds both as measured and
			 * against the same run's reference: drift of the whole
			 * machine moves the raw figure alone, noise in the reference
			 * the normalized one alone. */
			if (paired) {
				worsen = worse;
				pwn = pw;
				pgn = pg;
			}
			if (mt->threshold < 0) {
				verdict = "(not gated)";
			} else if (pw < o->alpha && worse > mt->threshold && pwn < o->alpha &&
				   worsen > mt->threshold) {
				verdict = "REGRESSION";
				regressions++;
			} else if (pg < o->alpha && -worse > mt->threshold && pgn < o->alpha &&
				   -worsen > mt->threshold) {
				verdict = "improvement";
				improvements++;
			} else {
				verdict = "ok";
			}
			pw = fmax(pw, pwn);
			pg = fmax(pg, pgn);
			printf("%-52s %-17s %10s %10s %+7.1f%% %+7.1f%% %8.4f  %s\n", f->label, mt->name,
			       fmt_num(ma, x, sizeof(x)), fmt_num(mb, y, sizeof(y)), raw * 100,
			       norm * 100, fmin(pw, pg), verdict);
			json_array_append_new(rows, json_pack(
				"{s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:f, s:f, s:b, s:f, s:f, s:f, s:f, s:s}",
				"configuration", f->label, "metric", mt->name, "unit", mt->unit,
				"baseline_median", ma, "current_median", mb, "baseline_n", (int)na,
				"current_n", (int)nb, "raw_change", raw, "normalized_change", norm,
				"normalized", normalized, "p_worse", pw, "p_better", pg,
				"ratio_ci95_lo", lo, "ratio_ci95_hi", hi, "verdict", verdict));
		}
	}
	printf("\n%d regression%s, %d improvement%s, %d comparisons (samples: %s; alpha %.3g; thresholds",
	       regressions, regressions == 1 ? "" : "s", improvements, improvements == 1 ? "" : "s",
	       compared, paired ? "paired runs" : per_set ? "runs" : "repetitions", o->alpha);
	for (size_t m = 0; m < FB_ARRAY_SIZE(metrics); m++)
		printf(metrics[m].threshold < 0 ? " %s not gated" : " %s %.1f%%", metrics[m].name,
		       metrics[m].threshold * 100);
	printf(")\n");
	{
		size_t i;
		json_t *w;

		json_array_foreach(warnings, i, w)
			fprintf(stderr, "faultbench gate: warning: %s\n", json_string_value(w));
	}

	doc = json_pack("{s:s, s:s, s:f, s:i, s:i, s:i, s:o, s:o}", "method",
			"one-sided Mann-Whitney U on samples normalized by the same set's `none` reference; regression = p < alpha and change beyond threshold",
			"unit", paired ? "pair of runs (Wilcoxon signed-rank on log ratios)" :
				per_set ? "run (median of its repetitions)" : "repetition",
			"alpha", o->alpha, "regressions", regressions, "improvements", improvements,
			"comparisons", compared, "warnings", warnings, "rows", rows);
	if (o->json_out && result_write_atomic(doc, o->json_out, err)) {
		json_decref(doc);
		free(a);
		free(b);
		return -EIO;
	}
	if (o->md_out && (md = fopen(o->md_out, "w"))) {
		size_t i;
		json_t *r;

		fprintf(md, "### faultbench gate: %s\n\n", regressions ? "regression" : "no regression");
		fprintf(md, "| configuration | metric | baseline | current | change (normalized) | p | verdict |\n");
		fprintf(md, "|---|---|---:|---:|---:|---:|---|\n");
		json_array_foreach(rows, i, r) {
			if (!json_object_get(r, "p_worse"))
				continue;
			fprintf(md, "| %s | %s | %s | %s | %+.1f%% | %.4f | %s |\n",
				json_string_value(json_object_get(r, "configuration")),
				json_string_value(json_object_get(r, "metric")),
				fmt_num(json_real_value(json_object_get(r, "baseline_median")), x, sizeof(x)),
				fmt_num(json_real_value(json_object_get(r, "current_median")), y, sizeof(y)),
				json_real_value(json_object_get(r, "normalized_change")) * 100,
				fmin(json_real_value(json_object_get(r, "p_worse")),
				     json_real_value(json_object_get(r, "p_better"))),
				json_string_value(json_object_get(r, "verdict")));
		}
		fprintf(md, "\n%d regression(s), %d improvement(s), %d comparisons.\n", regressions,
			improvements, compared);
		fclose(md);
	}
	json_decref(doc);
	free(a);
	free(b);
	return regressions ? 1 : 0;
}

static void gate_usage(FILE *f)
{
	fprintf(f,
		"usage: faultbench gate --baseline DIR... --current DIR... [options]\n"
		"       faultbench gate --ab --cmd-a CMD --cmd-b CMD [--rounds N] [--suite NAME] [options]\n"
		"\n"
		"  --baseline DIR       a result set (repeat for several rounds)\n"
		"  --current DIR        the result set to judge (repeat likewise)\n"
		"  --threshold PCT      minimum change that counts, every gated metric [5]\n"
		"  --threshold M=PCT    for one metric: paging_rate_pps, fault_lat_p50_ns, and\n"
		"                       fault_lat_p99_ns (reported, not gated, unless named here)\n"
		"  --alpha A            significance level of the one-sided test [0.05]\n"
		"  --json FILE          the verdict as JSON\n"
		"  --markdown FILE      a Markdown summary for CI comments\n"
		"  --ab                 run CMD-A and CMD-B's suites alternately, A B A B, then judge\n"
		"                       the rounds pairwise (implies --paired)\n"
		"  --paired             baseline set i and current set i were run together: compare\n"
		"                       pairwise (Wilcoxon signed-rank), so drift across rounds cancels\n"
		"  --cmd-a/--cmd-b CMD  a faultbench command line (e.g. ./old/faultbench)\n"
		"  --rounds N           A/B rounds [10]; --suite NAME [ci]; --out DIR [results/ab-<time>]\n"
		"\n"
		"Exit: 0 no regression, 1 regression, 2 bad input.\n");
}

static int set_threshold(const char *v, struct fb_err *err)
{
	const char *eq = strchr(v, '=');
	double pct;

	if (!eq) {
		if (fb_parse_double(v, 0, 1000, &pct))
			goto bad;
		for (size_t m = 0; m < FB_ARRAY_SIZE(metrics); m++)
			metrics[m].threshold = metrics[m].threshold < 0 ? -pct / 100 : pct / 100;
		return 0;
	}
	if (fb_parse_double(eq + 1, 0, 1000, &pct))
		goto bad;
	for (size_t m = 0; m < FB_ARRAY_SIZE(metrics); m++) {
		if (strlen(metrics[m].name) == (size_t)(eq - v) && !strncmp(metrics[m].name, v, (size_t)(eq - v))) {
			metrics[m].threshold = pct / 100;
			return 0;
		}
	}
bad:
	fb_errf(err, "--threshold: '%s' is not PCT or METRIC=PCT (METRIC one of paging_rate_pps, "
		     "fault_lat_p50_ns, fault_lat_p99_ns; PCT from 0 to 1000)", v);
	return -EINVAL;
}

/* A B A B ...: each round runs both commands' suites into their own dirs. */
static int run_ab(struct opts *o, char dirs[][2][512], struct fb_err *err)
{
	char base[400];

	if (o->out_dir)
		snprintf(base, sizeof(base), "%s", o->out_dir);
	else
		snprintf(base, sizeof(base), "results/ab-%ld", (long)time(NULL));
	mkdir("results", 0755);
	if (mkdir(base, 0755) && errno != EEXIST) {
		fb_errf(err, "--out %s: %s", base, strerror(errno));
		return -errno;
	}
	for (unsigned r = 0; r < o->rounds; r++) {
		for (int s = 0; s < 2; s++) {
			char cmd[2048];
			int rc;

			snprintf(dirs[r][s], sizeof(dirs[r][s]), "%s/%c%u", base, s ? 'b' : 'a', r);
			snprintf(cmd, sizeof(cmd), "%s suite %s --quiet --out '%s'", s ? o->cmd_b : o->cmd_a,
				 o->suite, dirs[r][s]);
			fprintf(stderr, "gate: round %u/%u: %s\n", r + 1, o->rounds, cmd);
			rc = system(cmd);
			if (rc == -1 || !WIFEXITED(rc) || (WEXITSTATUS(rc) != 0 && WEXITSTATUS(rc) != 77)) {
				fb_errf(err, "--cmd-%c: '%s' failed (status %d)", s ? 'b' : 'a', cmd, rc);
				return -EINVAL;
			}
		}
	}
	return 0;
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
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct opts o = { .alpha = 0.05, .suite = "ci", .rounds = 10 };
	static struct side base, cur;
	static char dirs[MAX_SETS][2][512];
	struct fb_err err = { "" };
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
	if (o.ab) {
		if (!o.cmd_a || !o.cmd_b || o.nb || o.nc) {
			fb_errf(&err, "--ab needs --cmd-a and --cmd-b, and no --baseline/--current");
			goto usage;
		}
		rc = run_ab(&o, dirs, &err);
		if (rc)
			goto bad_input;
		for (unsigned r = 0; r < o.rounds; r++) {
			o.baseline[o.nb++] = dirs[r][0];
			o.current[o.nc++] = dirs[r][1];
		}
	}
	if (!o.nb || !o.nc) {
		fb_errf(&err, "give --baseline DIR and --current DIR (or --ab)");
		goto usage;
	}
	if (load_side(&base, o.baseline, o.nb, &err) || load_side(&cur, o.current, o.nc, &err))
		goto bad_input;
	rc = judge(&base, &cur, &o, &err);
	free_side(&base);
	free_side(&cur);
	if (rc < 0) {
		fprintf(stderr, "faultbench gate: %s\n", err.msg);
		return FB_EXIT_USAGE;
	}
	return rc ? FB_EXIT_FAIL : FB_EXIT_OK;

usage:
	fprintf(stderr, "faultbench gate: %s\n", err.msg);
	return FB_EXIT_USAGE;
bad_input:
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
