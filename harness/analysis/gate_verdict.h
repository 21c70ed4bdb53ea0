/* The gate's verdict as gate.c decides it and gate_out.c writes it: one
 * row per configuration and metric, the correction over the gated rows,
 * and the whole suite's verdict. */
#ifndef FB_GATE_VERDICT_H
#define FB_GATE_VERDICT_H

#include <stdio.h>

#include <jansson.h>

#include "fb.h"
#include "gate_ab.h"
#include "stats.h"

/* exit code of an inconclusive verdict (0 no regression, 1 regression,
 * 2 bad input) */
#define GATE_EXIT_INCONCLUSIVE 3

struct gate_metric {
	const char *name;
	const char *unit;
	int higher_is_better;
	double threshold;  /* fraction; < 0: reported, not gated (until --threshold names it) */
	const char *pointer[3];  /* path inside a repetition */
};

extern struct gate_metric gate_metrics[];
extern const size_t gate_nmetrics;

struct gate_row {
	const char *label;
	const struct gate_metric *mt;  /* NULL: the configuration was not compared */
	const char *base_state, *cur_state;
	const char *test;     /* "signed-rank" (pairs) or "mann-whitney" (runs) */
	int gated;            /* in the family: its metric has a threshold */
	int tested;           /* has samples on both sides and p-values */
	int normalized;
	int na, nb;           /* samples a side (pairs: both the number of pairs) */
	double ma, mb;        /* medians */
	double raw, norm;     /* changes, as fractions */
	double worse, worsen; /* the change in the bad direction, raw and as decided normalized */
	double lo, hi;        /* 95 % bootstrap interval of the ratio of medians */
	double pw, pg;        /* one-sided p-values: current worse, current better */
	double aw, ag;        /* the same adjusted over the family; NAN outside it */
	double min_p;         /* the smallest p-value the test can give with these samples */
	const char *verdict;
};

struct gate_verdict {
	struct gate_row *rows;
	size_t n;
	const char *verdict;  /* "regression", "no regression" or "inconclusive" */
	char reason[768];
	int regressions, improvements, compared, inconclusive;
	int family;           /* gated comparisons: the m of the correction */
	double alpha;
	enum stats_correction correction;
	int paired;
	int base_sets, cur_sets;
	double hardest_min_p; /* the largest smallest-p of a gated row (0: none) */
	int rounds_needed, runs_a_side_needed, current_runs_needed;  /* 0: n/a or out of reach */
	const char *base_fp, *cur_fp;
	int same_host, cross_host;
	const struct ab_plan *ab;  /* NULL unless --ab */
	json_t *warnings;          /* strings */
};

const char *gate_correction_name(enum stats_correction c);

/* gate_out.c: the table on stdout, the JSON document
 * (results/schema-gate.json), the Markdown summary. */
void gate_print(const struct gate_verdict *v);
json_t *gate_json(const struct gate_verdict *v);
int gate_markdown(const struct gate_verdict *v, const char *path, struct fb_err *err);

#endif
