/* Rate vs vCPUs as lines, one per column (plots/rate.gp); for an
 * experiment with more than one vCPU count. */
#include "kind.h"

#include <stdio.h>

static void rate_plot(struct report *r, struct group *g)
{
	char base[256], rel[320], vars[4096], titles[1200], t1[600], yl[80], xt[512] = "";
	size_t off = 0;
	FILE *f;

	snprintf(base, sizeof(base), "rate-vs-vcpus-%s", g->slug);
	snprintf(rel, sizeof(rel), "plots/data/%s.dat", base);
	f = report_open(r, rel);
	if (!f)
		return;
	fprintf(f, "# %s vs vCPUs, %s; one block per column: vcpus median min max (%s)\n",
		g->gib ? "throughput" : "paging rate", g->title, report_unit(g));
	for (size_t k = 0; k < g->ncol; k++) {
		fprintf(f, "%s\"vcpus\" \"%s\" \"min\" \"max\"\n", k ? "\n\n" : "", g->col[k].label);
		for (size_t i = 0; i < g->nv; i++) {
			struct cell *x = group_cell(g, k, g->vcpus[i]);

			if (x)
				fprintf(f, "%ld %.6g %.6g %.6g\n", g->vcpus[i], dvec_median(&x->rate),
					dvec_min(&x->rate), dvec_max(&x->rate));
		}
	}
	report_close(r, f, rel);
	for (size_t i = 0; i < g->nv && off < sizeof(xt); i++)
		off += (size_t)snprintf(xt + off, sizeof(xt) - off, "%s%ld", i ? "," : "", g->vcpus[i]);
	snprintf(t1, sizeof(t1), "%s vs vCPUs: %s", g->gib ? "Throughput" : "Paging rate", g->title);
	report_title_vars(titles, sizeof(titles), t1, r->host_short);
	snprintf(yl, sizeof(yl), "%s (median, bars: min-max%s)", g->gib ? "throughput, GiB/s" :
		 "paging rate, thousand pages/s", report_ylog(g) ? "; log scale" : "");
	snprintf(vars, sizeof(vars), "nseries=%zu; ylabel='%s'; xtics='%s'; xlog=%d; ylog=%d; %s",
		 g->ncol, yl, xt, g->nv > 2 && g->vcpus[g->nv - 1] >= 4 * g->vcpus[0] ? 1 : 0,
		 report_ylog(g), titles);
	if (report_plot(r, "rate", base, rel, vars))
		report_embed_plot(r, base, t1);
	else
		report_plot_failed(r, t1);
}

static bool applies(const struct report *r, const struct group *g)
{
	(void)r;
	return g->nv > 1;
}

const struct report_kind report_kind_rate_plot = {
	.name = "rate-plot",
	.scope = REPORT_PER_GROUP,
	.applies = applies,
	.emit = rate_plot,
};
