/* The gate's verdict for people and for programs: the table on stdout, the
 * JSON document (results/schema-gate.json) and the Markdown summary for CI
 * comments. Everything here is decided already (gate.c); this only writes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gate_verdict.h"

#define GATE_SCHEMA_NAME "faultbench-gate"
#define GATE_SCHEMA_VERSION 1

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

/* The direction the data lean: its raw p-value and, in the family, the
 * adjusted one (NAN outside it). */
static void shown_p(const struct gate_row *r, double *p, double *adj)
{
	int worse = r->pw <= r->pg;

	*p = worse ? r->pw : r->pg;
	*adj = worse ? r->aw : r->ag;
}

static const char *fmt_p(double p, char *buf, size_t n)
{
	if (isnan(p))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.4f", p);
	return buf;
}

static const char *unit_words(const struct gate_verdict *v)
{
	return v->paired ? "pair of runs (Wilcoxon signed-rank on log ratios)" :
			   "run (median of its repetitions; Mann-Whitney U)";
}

static const char *correction_words(enum stats_correction c)
{
	switch (c) {
	case STATS_CORRECTION_HOLM: return "Holm (family-wise error rate)";
	case STATS_CORRECTION_BH: return "Benjamini-Hochberg (false-discovery rate)";
	default: return "none (each comparison alone)";
	}
}

void gate_print(const struct gate_verdict *v)
{
	char x[32], y[32], p1[16], p2[16];

	printf("%-52s %-17s %10s %10s %8s %8s %8s %8s  %s\n", "configuration", "metric", "baseline",
	       "current", "raw", "normal.", "p", "p adj.", "verdict");
	for (size_t i = 0; i < v->n; i++) {
		const struct gate_row *r = &v->rows[i];
		double p, adj;

		if (!r->mt) {
			printf("%-52s %-17s %s / %s: not compared\n", r->label, "-", r->base_state,
			       r->cur_state);
			continue;
		}
		if (!r->tested)
			continue;
		shown_p(r, &p, &adj);
		printf("%-52s %-17s %10s %10s %+7.1f%% %+7.1f%% %8s %8s  %s\n", r->label, r->mt->name,
		       fmt_num(r->ma, x, sizeof(x)), fmt_num(r->mb, y, sizeof(y)), r->raw * 100,
		       r->norm * 100, fmt_p(p, p1, sizeof(p1)), fmt_p(adj, p2, sizeof(p2)), r->verdict);
	}
	printf("\n%d regression%s, %d improvement%s, %d inconclusive, %d comparisons, %d gated "
	       "(samples: %s, %d baseline and %d current; %s correction; alpha %.3g; thresholds",
	       v->regressions, v->regressions == 1 ? "" : "s", v->improvements,
	       v->improvements == 1 ? "" : "s", v->inconclusive, v->compared, v->family,
	       v->paired ? "paired runs" : "runs", v->base_sets, v->cur_sets,
	       gate_correction_name(v->correction), v->alpha);
	for (size_t m = 0; m < gate_nmetrics; m++)
		printf(gate_metrics[m].threshold < 0 ? " %s not gated" : " %s %.1f%%", gate_metrics[m].name,
		       gate_metrics[m].threshold * 100);
	printf(")\nverdict: %s: %s\n", v->verdict, v->reason);
}

/* a number, or null where there is none */
static json_t *num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *count_or_null(int n)
{
	return n ? json_integer(n) : json_null();
}

static json_t *row_json(const struct gate_row *r)
{
	json_t *o;

	if (!r->mt)
		return json_pack("{s:s, s:s, s:s, s:s}", "configuration", r->label, "baseline_state",
				 r->base_state, "current_state", r->cur_state, "verdict", r->verdict);
	if (!r->tested)
		return json_pack("{s:s, s:s, s:s}", "configuration", r->label, "metric", r->mt->name,
				 "verdict", r->verdict);
	o = json_pack("{s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:f, s:f, s:b, s:s, s:b, s:f, s:f, s:f, s:s}",
		      "configuration", r->label, "metric", r->mt->name, "unit", r->mt->unit,
		      "baseline_median", r->ma, "current_median", r->mb, "baseline_n", r->na,
		      "current_n", r->nb, "raw_change", r->raw, "normalized_change", r->norm,
		      "normalized", r->normalized, "test", r->test, "gated", r->gated, "p_worse", r->pw,
		      "p_better", r->pg, "smallest_p", r->min_p, "verdict", r->verdict);
	if (!o)
		return NULL;
	json_object_set_new(o, "p_worse_adjusted", num(r->aw));
	json_object_set_new(o, "p_better_adjusted", num(r->ag));
	json_object_set_new(o, "ratio_ci95_lo", num(r->lo));
	json_object_set_new(o, "ratio_ci95_hi", num(r->hi));
	return o;
}

static json_t *order_json(const struct ab_plan *ab)
{
	json_t *first = json_array();

	for (unsigned r = 0; r < ab->done; r++)
		json_array_append_new(first, json_string(ab->b_first[r] ? "b" : "a"));
	return json_pack("{s:s, s:o, s:i, s:i, s:o}", "method", ab_order_name(ab->order), "seed",
			 ab->order == AB_RANDOM ? json_integer((json_int_t)ab->seed) : json_null(),
			 "rounds_asked", (int)ab->rounds, "rounds_run", (int)ab->done, "first", first);
}

json_t *gate_json(const struct gate_verdict *v)
{
	double factor = v->correction == STATS_CORRECTION_NONE || v->family < 1 ? 1 : v->family;
	json_t *rows = json_array(), *power, *doc;

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(rows, row_json(&v->rows[i]));
	power = json_pack("{s:s, s:i, s:i, s:o, s:o, s:b, s:o, s:o, s:o}", "test",
			  v->paired ? "signed-rank" : "mann-whitney", "baseline_sets", v->base_sets,
			  "current_sets", v->cur_sets, "smallest_p",
			  v->family ? json_real(v->hardest_min_p) : json_null(), "smallest_adjusted_p",
			  v->family ? json_real(fmin(1, factor * v->hardest_min_p)) : json_null(),
			  "reachable", v->family && factor * v->hardest_min_p < v->alpha,
			  "rounds_needed", count_or_null(v->paired ? v->rounds_needed : 0),
			  "runs_a_side_needed", count_or_null(v->paired ? 0 : v->runs_a_side_needed),
			  "current_runs_needed", count_or_null(v->paired ? 0 : v->current_runs_needed));
	doc = json_pack(
		"{s:{s:s, s:i}, s:s, s:s, s:s, s:s, s:f, s:s, s:i, s:i, s:i, s:i, s:i, s:o, "
		"s:{s:s, s:s, s:b, s:b}, s:o, s:O, s:o}",
		"schema", "name", GATE_SCHEMA_NAME, "version", GATE_SCHEMA_VERSION, "verdict", v->verdict,
		"reason", v->reason, "method",
		"one-sided test per configuration and metric (Wilcoxon signed-rank on paired runs' log ratios, else Mann-Whitney U on runs, raw and normalized by the same set's `none` reference); p-values adjusted over all gated comparisons; regression = adjusted p < alpha and change beyond threshold",
		"unit", unit_words(v), "alpha", v->alpha, "correction",
		gate_correction_name(v->correction), "family_size", v->family, "regressions",
		v->regressions, "improvements", v->improvements, "comparisons", v->compared,
		"inconclusive", v->inconclusive, "power", power, "hosts", "baseline", v->base_fp,
		"current", v->cur_fp, "same", v->same_host, "cross_host", v->cross_host, "order",
		v->ab ? order_json(v->ab) : json_null(), "warnings", v->warnings, "rows", rows);
	return doc;
}

int gate_markdown(const struct gate_verdict *v, const char *path, struct fb_err *err)
{
	FILE *md = fopen(path, "w");
	char x[32], y[32], p1[16], p2[16];

	if (!md) {
		int e = errno;

		fb_errf(err, "--markdown %s: %s", path, strerror(e));
		return -e;
	}
	fprintf(md, "### faultbench gate: %s\n\n", v->verdict);
	if (strcmp(v->verdict, "no regression"))
		fprintf(md, "**%s.**\n\n", v->reason);
	fprintf(md, "p-values adjusted with %s over %d gated comparisons, alpha %g; samples: %s, %d baseline and %d current",
		correction_words(v->correction), v->family, v->alpha,
		v->paired ? "paired runs" : "runs", v->base_sets, v->cur_sets);
	if (v->ab) {
		fprintf(md, "; order within rounds: %s", ab_order_name(v->ab->order));
		if (v->ab->order == AB_RANDOM)
			fprintf(md, " (seed %llu)", (unsigned long long)v->ab->seed);
		fprintf(md, ", ");
		for (unsigned r = 0; r < v->ab->done; r++)
			fprintf(md, "%s%s", r ? " " : "", v->ab->b_first[r] ? "BA" : "AB");
	}
	fprintf(md, ".\n\n");
	fprintf(md, "| configuration | metric | baseline | current | change (normalized) | p | p adjusted (%s) | verdict |\n",
		gate_correction_name(v->correction));
	fprintf(md, "|---|---|---:|---:|---:|---:|---:|---|\n");
	for (size_t i = 0; i < v->n; i++) {
		const struct gate_row *r = &v->rows[i];
		double p, adj;

		if (!r->tested)
			continue;
		shown_p(r, &p, &adj);
		fprintf(md, "| %s | %s | %s | %s | %+.1f%% | %s | %s | %s |\n", r->label, r->mt->name,
			fmt_num(r->ma, x, sizeof(x)), fmt_num(r->mb, y, sizeof(y)), r->norm * 100,
			fmt_p(p, p1, sizeof(p1)), fmt_p(adj, p2, sizeof(p2)), r->verdict);
	}
	fprintf(md, "\n%d regression(s), %d improvement(s), %d inconclusive, %d comparisons (%d gated).\n",
		v->regressions, v->improvements, v->inconclusive, v->compared, v->family);
	if (fclose(md)) {
		fb_errf(err, "--markdown %s: write failed", path);
		return -EIO;
	}
	return 0;
}
