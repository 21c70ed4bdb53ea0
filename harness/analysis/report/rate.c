/* Rate vs vCPUs: one row per vCPU count, one column per mode; the
 * median paging rate (GiB/s on huge pages) with its range over
 * repetitions, and its ratio to the reference column. Two kinds: the rate
 * until memory is usable (setup plus touch time, the one the plots show)
 * and the touch-only rate (setup left out). */
#include "kind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* the cell's samples for the usable or the touch-only rate */
static struct dvec *pick(struct cell *x, bool usable)
{
	return usable ? &x->rate : &x->touch;
}

static void base_name(struct group *g, bool usable, char *base, size_t n)
{
	/* the same base as the plot beside it (rate_plot.c, rate_bars.c) */
	if (g->nv > 1)
		snprintf(base, n, "%srate-vs-vcpus-%s", usable ? "" : "touch-", g->slug);
	else
		snprintf(base, n, "%srate-at-%ld-vcpu%s-%s", usable ? "" : "touch-", g->vcpus[0],
			 g->vcpus[0] == 1 ? "" : "s", g->slug);
}

static int rate_table(struct report *r, struct group *g, struct table *t, bool usable)
{
	char a[32], b[32], c[32], d[32], reps[64], other[300];
	char *time = usable ? report_usable_time(g) : NULL;
	bool oversub = false;
	int rc = table_init(t, g->ncol + 1, 0);

	if (rc || (usable && !time)) {
		free(time);
		return rc ? rc : -ENOMEM;
	}
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
			struct dvec *xs, *rs;
			double m;

			if (!x) {
				table_set(t, k + 1, "–");
				continue;
			}
			xs = pick(x, usable);
			rs = ref ? pick(ref, usable) : NULL;
			m = dvec_median(xs);
			if (rs && k != g->ref && dvec_median(rs) > 0)
				table_set(t, k + 1, "%s%s [%s–%s] (%s×)", report_num(m, a, sizeof(a)),
					  report_cell_mark(x), report_num(dvec_min(xs), b, sizeof(b)),
					  report_num(dvec_max(xs), c, sizeof(c)),
					  report_num(m / dvec_median(rs), d, sizeof(d)));
			else
				table_set(t, k + 1, "%s%s [%s–%s]", report_num(m, a, sizeof(a)),
					  report_cell_mark(x), report_num(dvec_min(xs), b, sizeof(b)),
					  report_num(dvec_max(xs), c, sizeof(c)));
		}
	}
	if (g->nv == 1)
		snprintf(a, sizeof(a), "at %ld vCPU%s", g->vcpus[0], g->vcpus[0] == 1 ? "" : "s");
	else
		snprintf(a, sizeof(a), "vs vCPUs");
	base_name(g, !usable, other, sizeof(other));
	if (asprintf(&t->caption, "%s%s%s %s: %s. %s; %s%s%s; median [min–max] of %s%s%s%s",
		     usable ? "" : "Touch-only ", g->gib ? (usable ? "Throughput" : "throughput") :
		     (usable ? "Paging rate" : "paging rate"), usable ? " until memory is usable" : "",
		     a, g->title, report_unit(g),
		     usable ? time : "rate = pages over the slowest vCPU's touch time, setup left out "
				     "(setup included: ",
		     usable ? "" : other, usable ? "" : ")", reps,
		     g->ref != SIZE_MAX && g->ncol > 1 ? "; (n×) = ratio of medians to " : "",
		     g->ref != SIZE_MAX && g->ncol > 1 ? g->col[g->ref].label : "",
		     oversub ? "; † more vCPUs than hardware threads." : ".") < 0)
		t->caption = NULL;
	t->foot = report_rate_foot(g, usable);
	t->note = strdup(r->host_line);
	free(time);
	return 0;
}

static void rate_csv(struct group *g, FILE *f, bool usable)
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
		struct dvec *rs = ref ? pick(ref, usable) : NULL;

		fprintf(f, "%ld,%s", v, group_oversub(g, v) ? "yes" : "no");
		for (size_t k = 0; k < g->ncol; k++) {
			struct cell *x = group_cell(g, k, v);
			struct dvec *xs = x ? pick(x, usable) : NULL;

			if (!x)
				fprintf(f, ",,,,0");
			else
				fprintf(f, ",%.4f,%.4f,%.4f,%zu", dvec_median(xs), dvec_min(xs),
					dvec_max(xs), xs->n);
			if (g->ref == SIZE_MAX)
				continue;
			if (x && rs && dvec_median(rs) > 0)
				fprintf(f, ",%.4f", dvec_median(xs) / dvec_median(rs));
			else
				fprintf(f, ",");
		}
		fputc('\n', f);
	}
}

static void usable_csv(struct group *g, FILE *f)
{
	rate_csv(g, f, true);
}

static void touch_csv(struct group *g, FILE *f)
{
	rate_csv(g, f, false);
}

static void emit(struct report *r, struct group *g, bool usable)
{
	struct table t;
	char base[256];

	base_name(g, usable, base, sizeof(base));
	if (!rate_table(r, g, &t, usable))
		report_emit_table(r, &t, base, usable ? usable_csv : touch_csv, g);
	table_free(&t);
}

static void emit_usable(struct report *r, struct group *g)
{
	emit(r, g, true);
}

static void emit_touch(struct report *r, struct group *g)
{
	emit(r, g, false);
}

/* The touch-only table says something of its own only when some column
 * had setup time. */
static bool has_setup(const struct report *r, const struct group *g)
{
	(void)r;
	for (size_t i = 0; i < g->ncell; i++)
		if (g->cell[i].setup)
			return true;
	return false;
}

const struct report_kind report_kind_rate = {
	.name = "rate",
	.scope = REPORT_PER_GROUP,
	.emit = emit_usable,
};

const struct report_kind report_kind_touch_rate = {
	.name = "touch-rate",
	.scope = REPORT_PER_GROUP,
	.applies = has_setup,
	.emit = emit_touch,
};
