/* The rate at one vCPU count as bars, one per column (plots/bars.gp); for
 * an experiment with a single vCPU count, where lines would be points. */
#include "kind.h"

#include <stdio.h>

static void bars_plot(struct report *r, struct group *g)
{
	char base[256], rel[320], vars[4096], titles[1200], t1[600], yl[80];
	long v = g->vcpus[0];
	FILE *f;

	snprintf(base, sizeof(base), "rate-at-%ld-vcpu%s-%s", v, v == 1 ? "" : "s", g->slug);
	snprintf(rel, sizeof(rel), "plots/data/%s.dat", base);
	f = report_open(r, rel);
	if (!f)
		return;
	fprintf(f, "# %s at %ld vCPU%s, %s: label median min max (%s)\n", g->gib ? "throughput" :
		"paging rate", v, v == 1 ? "" : "s", g->title, report_unit(g));
	for (size_t k = 0; k < g->ncol; k++) {
		struct cell *x = group_cell(g, k, v);

		if (x)
			fprintf(f, "\"%s\" %.6g %.6g %.6g\n", g->col[k].label, dvec_median(&x->rate),
				dvec_min(&x->rate), dvec_max(&x->rate));
	}
	report_close(r, f, rel);
	snprintf(t1, sizeof(t1), "%s at %ld vCPU%s: %s", g->gib ? "Throughput" : "Paging rate", v,
		 v == 1 ? "" : "s", g->title);
	report_title_vars(titles, sizeof(titles), t1, r->host_short);
	snprintf(yl, sizeof(yl), "%s (median, bars: min-max%s)",
		 g->gib ? "throughput, GiB/s" : "paging rate, thousand pages/s",
		 report_ylog(g) ? "; log scale" : "");
	snprintf(vars, sizeof(vars), "nbars=%zu; ylabel='%s'; ylog=%d; %s", g->ncol, yl, report_ylog(g),
		 titles);
	if (report_plot(r, "bars", base, rel, vars))
		report_embed_plot(r, base, t1);
	else
		report_plot_failed(r, t1);
}

static bool applies(const struct report *r, const struct group *g)
{
	(void)r;
	return g->nv == 1;
}

const struct report_kind report_kind_rate_bars = {
	.name = "rate-bars",
	.scope = REPORT_PER_GROUP,
	.applies = applies,
	.emit = bars_plot,
};
