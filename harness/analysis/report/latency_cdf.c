/* First-touch latency CDFs (plots/cdf.gp), one plot per vCPU count, from
 * the merged histogram buckets of each column. */
#include "kind.h"

#include <stdio.h>

#include "hist.h"

static void cdf_plot(struct report *r, struct group *g, long v)
{
	char base[256], rel[320], vars[4096], titles[1200], t1[600];
	size_t nseries = 0;
	FILE *f;

	snprintf(base, sizeof(base), "latency-cdf-at-%ld-vcpu%s-%s", v, v == 1 ? "" : "s", g->slug);
	snprintf(rel, sizeof(rel), "plots/data/%s.dat", base);
	f = report_open(r, rel);
	if (!f)
		return;
	fprintf(f, "# first-touch latency CDF at %ld vCPU%s, %s; one block per column: "
		"upper bucket bound (us), fraction of faults at or below\n", v, v == 1 ? "" : "s", g->title);
	for (size_t k = 0; k < g->ncol; k++) {
		struct cell *x = group_cell(g, k, v);
		uint64_t total = 0, seen = 0;
		bool first = true;

		if (!x || !x->buckets)
			continue;
		for (unsigned i = 0; i < HIST_BUCKETS; i++)
			total += x->buckets[i];
		if (!total)
			continue;
		fprintf(f, "%s\"us\" \"%s\"\n", nseries ? "\n\n" : "", g->col[k].label);
		for (unsigned i = 0; i < HIST_BUCKETS; i++) {
			uint64_t lo, hi;

			if (!x->buckets[i])
				continue;
			hist_bucket_bounds(i, &lo, &hi);
			if (first)
				fprintf(f, "%.6g 0\n", (double)(lo ? lo : 1) / 1e3);
			first = false;
			seen += x->buckets[i];
			fprintf(f, "%.6g %.6g\n", (double)hi / 1e3, (double)seen / (double)total);
		}
		nseries++;
	}
	report_close(r, f, rel);
	snprintf(t1, sizeof(t1), "First-touch latency CDF at %ld vCPU%s: %s", v, v == 1 ? "" : "s",
		 g->title);
	if (!nseries) {
		fprintf(r->md, "_%s: no histogram buckets in these results._\n\n", t1);
		return;
	}
	report_title_vars(titles, sizeof(titles), t1, r->host_short);
	snprintf(vars, sizeof(vars), "nseries=%zu; %s", nseries, titles);
	if (report_plot(r, "cdf", base, rel, vars))
		report_embed_plot(r, base, t1);
	else
		report_plot_failed(r, t1);
}

static void emit(struct report *r, struct group *g)
{
	for (size_t i = 0; i < g->nv; i++)
		cdf_plot(r, g, g->vcpus[i]);
}

const struct report_kind report_kind_latency_cdf = {
	.name = "latency-cdf",
	.scope = REPORT_PER_GROUP,
	.emit = emit,
};
