/* First-touch latency: one row per mode and vCPU count; each percentile
 * is the median over repetitions of that repetition's percentile. */
#include "kind.h"

#include <stdlib.h>
#include <string.h>

static const char *const lat_head[NLAT] = { "p50", "p90", "p99", "p99.9", "max" };
static const char *const lat_csv[NLAT] = { "p50_us", "p90_us", "p99_us", "p999_us", "max_us" };

static int latency_table(struct report *r, struct group *g, struct table *t)
{
	char a[32];
	int rc = table_init(t, 2 + NLAT, 1);

	if (rc)
		return rc;
	table_head(t, 0, "mode");
	table_head(t, 1, "vCPUs");
	for (int l = 0; l < NLAT; l++)
		table_head(t, 2 + (size_t)l, "%s", lat_head[l]);
	for (size_t k = 0; k < g->ncol; k++) {
		for (size_t i = 0; i < g->nv; i++) {
			struct cell *x = group_cell(g, k, g->vcpus[i]);

			if (!x)
				continue;
			if ((rc = table_add_row(t)))
				return rc;
			table_set(t, 0, "%s", g->col[k].label);
			table_set(t, 1, "%ld%s", g->vcpus[i], x->oversub ? "†" : "");
			for (int l = 0; l < NLAT; l++)
				table_set(t, 2 + (size_t)l, "%s", report_num(dvec_median(&x->lat[l]), a, sizeof(a)));
		}
	}
	if (asprintf(&t->caption, "First-touch latency: %s. µs, median over repetitions of each "
		     "repetition's percentile.", g->title) < 0)
		t->caption = NULL;
	t->note = strdup(r->host_line);
	return 0;
}

static void latency_csv(struct group *g, FILE *f)
{
	fprintf(f, "column,mode,vcpus,n");
	for (int l = 0; l < NLAT; l++)
		fprintf(f, ",%s", lat_csv[l]);
	fputc('\n', f);
	for (size_t k = 0; k < g->ncol; k++) {
		for (size_t i = 0; i < g->nv; i++) {
			struct cell *x = group_cell(g, k, g->vcpus[i]);

			if (!x)
				continue;
			csv_field(f, g->col[k].label);
			fputc(',', f);
			csv_field(f, g->col[k].mode);
			fprintf(f, ",%ld,%zu", g->vcpus[i], x->lat[0].n);
			for (int l = 0; l < NLAT; l++)
				fprintf(f, ",%.4f", dvec_median(&x->lat[l]));
			fputc('\n', f);
		}
	}
}

static void emit(struct report *r, struct group *g)
{
	struct table t;
	char base[256];

	snprintf(base, sizeof(base), "latency-%s", g->slug);
	if (!latency_table(r, g, &t))
		report_emit_table(r, &t, base, latency_csv, g);
	table_free(&t);
}

const struct report_kind report_kind_latency = {
	.name = "latency",
	.scope = REPORT_PER_GROUP,
	.emit = emit,
};
