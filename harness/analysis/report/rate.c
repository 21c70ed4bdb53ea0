/* Rate vs vCPUs: one row per vCPU count, one column per mode; the
 * median paging rate (GiB/s on huge pages) with its range over
 * repetitions, and its ratio to the reference column. */
#include "kind.h"

#include <stdlib.h>
#include <string.h>

static int rate_table(struct report *r, struct group *g, struct table *t)
{
	char a[32], b[32], c[32], d[32], reps[64];
	bool oversub = false;
	int rc = table_init(t, g->ncol + 1, 0);

	if (rc)
		return rc;
	if (g->reps_min == g->reps_max)
		snprintf(reps, sizeof(reps), "%u repetitions", g->reps_min);
	else
		snprintf(reps, sizeof(reps), "%u to %u repetitions", g->reps_min, g->reps_max);
	table_head(t, 0, "vCPUs");
	for (size_t k = 0; k < g->ncol; k++)
		table_head(t, k + 1, "%s", g->col[k].label);
	for (size_t i = 0; i < g->nv; i++) {
		long v = g->vcpus[i];
		struct cell *ref = g->ref == SIZE_MAX ? NULL : group_cell(g, g->ref, v);
		bool os = group_oversub(g, v);

		oversub |= os;
		if ((rc = table_add_row(t)))
			return rc;
		table_set(t, 0, "%ld%s", v, os ? "†" : "");
		for (size_t k = 0; k < g->ncol; k++) {
			struct cell *x = group_cell(g, k, v);
			double m;

			if (!x) {
				table_set(t, k + 1, "–");
				continue;
			}
			m = dvec_median(&x->rate);
			if (ref && k != g->ref && dvec_median(&ref->rate) > 0)
				table_set(t, k + 1, "%s [%s–%s] (%s×)", report_num(m, a, sizeof(a)),
					  report_num(dvec_min(&x->rate), b, sizeof(b)),
					  report_num(dvec_max(&x->rate), c, sizeof(c)),
					  report_num(m / dvec_median(&ref->rate), d, sizeof(d)));
			else
				table_set(t, k + 1, "%s [%s–%s]", report_num(m, a, sizeof(a)),
					  report_num(dvec_min(&x->rate), b, sizeof(b)),
					  report_num(dvec_max(&x->rate), c, sizeof(c)));
		}
	}
	if (g->nv == 1)
		snprintf(a, sizeof(a), "at %ld vCPU%s", g->vcpus[0], g->vcpus[0] == 1 ? "" : "s");
	else
		snprintf(a, sizeof(a), "vs vCPUs");
	if (asprintf(&t->caption, "%s %s: %s. %s, median [min–max] of %s%s%s%s", g->gib ?
		     "Throughput" : "Paging rate", a, g->title, report_unit(g), reps,
		     g->ref != SIZE_MAX && g->ncol > 1 ? "; (n×) = ratio of medians to " : "",
		     g->ref != SIZE_MAX && g->ncol > 1 ? g->col[g->ref].label : "",
		     oversub ? "; † more vCPUs than hardware threads." : ".") < 0)
		t->caption = NULL;
	t->note = strdup(r->host_line);
	return 0;
}

static void rate_csv(struct group *g, FILE *f)
{
	fprintf(f, "vcpus,oversubscribed");
	for (size_t k = 0; k < g->ncol; k++) {
		const char *what[] = { "median", "min", "max", "n" };

		for (int w = 0; w < 4; w++) {
			char h[600];

			snprintf(h, sizeof(h), "%s %s%s%s", g->col[k].label, what[w], w < 3 ? "_" : "",
				 w < 3 ? report_unit_csv(g) : "");
			fputc(',', f);
			csv_field(f, h);
		}
		if (g->ref != SIZE_MAX) {
			char h[600];

			snprintf(h, sizeof(h), "%s ratio_to_%s", g->col[k].label, g->col[g->ref].label);
			fputc(',', f);
			csv_field(f, h);
		}
	}
	fputc('\n', f);
	for (size_t i = 0; i < g->nv; i++) {
		long v = g->vcpus[i];
		struct cell *ref = g->ref == SIZE_MAX ? NULL : group_cell(g, g->ref, v);

		fprintf(f, "%ld,%s", v, group_oversub(g, v) ? "yes" : "no");
		for (size_t k = 0; k < g->ncol; k++) {
			struct cell *x = group_cell(g, k, v);

			if (!x)
				fprintf(f, ",,,,0");
			else
				fprintf(f, ",%.4f,%.4f,%.4f,%zu", dvec_median(&x->rate), dvec_min(&x->rate),
					dvec_max(&x->rate), x->rate.n);
			if (g->ref == SIZE_MAX)
				continue;
			if (x && ref && dvec_median(&ref->rate) > 0)
				fprintf(f, ",%.4f", dvec_median(&x->rate) / dvec_median(&ref->rate));
			else
				fprintf(f, ",");
		}
		fputc('\n', f);
	}
}

static void emit(struct report *r, struct group *g)
{
	struct table t;
	char base[256];

	/* the same base as the plot beside it (rate_plot.c, rate_bars.c) */
	if (g->nv > 1)
		snprintf(base, sizeof(base), "rate-vs-vcpus-%s", g->slug);
	else
		snprintf(base, sizeof(base), "rate-at-%ld-vcpu%s-%s", g->vcpus[0],
			 g->vcpus[0] == 1 ? "" : "s", g->slug);
	if (!rate_table(r, g, &t))
		report_emit_table(r, &t, base, rate_csv, g);
	table_free(&t);
}

const struct report_kind report_kind_rate = {
	.name = "rate",
	.scope = REPORT_PER_GROUP,
	.emit = emit,
};
