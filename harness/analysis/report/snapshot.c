/* Live snapshots, from `faultbench snapshot` results (schema name
 * faultbench-snapshot): one table, a row per configuration and strategy
 * with the medians over its measured repetitions, and per configuration a
 * plot of the vCPUs' write throughput around T0, a line per strategy
 * (plots/snapshot-timeline.gp). Strategies are whatever the files name:
 * a new one joins the table and the plot by itself. Nothing is written
 * for a set without snapshot results. */
#include "kind.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SNAP_FORMAT "faultbench-snapshot"

/* The config keys that make a configuration; the strategy is the column
 * within it. */
static const char *const snap_keys[] = { "backing", "page_bytes", "size_bytes", "vcpus",
					 "workload", "sink", "write_rate" };

enum snap_fig { F_DUR, F_PAUSE, F_SLOW, F_P99, F_EXTRA, F_SINK, F_FORK, NFIG };

struct snap_row {
	char *cfg;        /* the configuration's values, in snap_keys order */
	char *strategy;
	json_t *cfgobj;   /* one file's config (borrowed) */
	size_t first;     /* the set's item whose first run draws the plot line */
	struct dvec fig[NFIG];
	struct dvec huge;  /* runs[].mapped.at_start.huge_fraction, when measured */
	unsigned reps;
};

struct snap_rows {
	struct snap_row *row;
	size_t n;
};

static bool is_snapshot(const json_t *doc)
{
	const char *name = json_string_value(json_object_get(json_object_get(doc, "schema"), "name"));

	return name && !strcmp(name, SNAP_FORMAT);
}

static bool applies(const struct report *r, const struct group *g)
{
	(void)g;
	for (size_t i = 0; i < r->s->n; i++)
		if (r->s->it[i].doc && is_snapshot(r->s->it[i].doc))
			return true;
	return false;
}

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void push(struct dvec *d, double x)
{
	if (isfinite(x))
		dvec_push(d, x);
}

/* "anon, 4K, 1G, 2 vCPUs, random, sink null, full speed" from the config. */
static char *cfg_key(json_t *cfg)
{
	char *out = NULL, *tmp;

	for (size_t k = 0; k < FB_ARRAY_SIZE(snap_keys); k++) {
		char *v = report_config_str(cfg, snap_keys[k]);

		if (!v)
			goto fail;
		if (asprintf(&tmp, "%s%s%s", out ? out : "", out ? "\t" : "", v) < 0)
			tmp = NULL;
		free(v);
		free(out);
		out = tmp;
		if (!out)
			return NULL;
	}
	return out;
fail:
	free(out);
	return NULL;
}

static struct snap_row *row_of(struct snap_rows *rs, const char *cfg, const char *strategy,
			       json_t *cfgobj, size_t item)
{
	struct snap_row *grown;

	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->row[i].cfg, cfg) && !strcmp(rs->row[i].strategy, strategy))
			return &rs->row[i];
	grown = realloc(rs->row, (rs->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	rs->row = grown;
	memset(&rs->row[rs->n], 0, sizeof(rs->row[0]));
	rs->row[rs->n].cfg = strdup(cfg);
	rs->row[rs->n].strategy = strdup(strategy);
	rs->row[rs->n].cfgobj = cfgobj;
	rs->row[rs->n].first = item;
	if (!rs->row[rs->n].cfg || !rs->row[rs->n].strategy) {
		free(rs->row[rs->n].cfg);
		free(rs->row[rs->n].strategy);
		return NULL;
	}
	return &rs->row[rs->n++];
}

/* One repetition's figures into its row. */
static void add_run(struct snap_row *w, json_t *run)
{
	json_t *wps = json_object_get(run, "writes_per_second");
	json_t *sd = json_object_get(run, "strategy_data");
	double before = num(wps, "before"), during = num(wps, "during");

	push(&w->fig[F_DUR], num(run, "snapshot_seconds") * 1e3);
	push(&w->fig[F_PAUSE], num(run, "pause_seconds") * 1e3);
	/* as the summary's slowdown: before ÷ during, none when nothing was written during */
	if (during > 0)
		push(&w->fig[F_SLOW], before / during);
	/* no write timed during the snapshot (a stop-copy pause): no p99 */
	if (num(json_object_get(run, "write_lat_ns"), "count") > 0)
		push(&w->fig[F_P99], num(json_object_get(run, "write_lat_ns"), "p99") / 1e3);
	push(&w->fig[F_EXTRA], num(run, "extra_memory_peak_bytes"));
	push(&w->fig[F_SINK], num(run, "sink_bytes"));
	push(&w->fig[F_FORK], num(sd, "fork_ns_per_gib") / 1e6);
	/* absent in older files, null when nothing was measured */
	push(&w->huge, num(json_object_get(json_object_get(run, "mapped"), "at_start"),
			   "huge_fraction"));
	w->reps++;
}

static int collect(struct report *r, struct snap_rows *rs)
{
	for (size_t i = 0; i < r->s->n; i++) {
		json_t *doc = r->s->it[i].doc, *cfg, *runs, *run;
		const char *strategy, *state;
		struct snap_row *w;
		char *key;
		size_t j;

		if (!doc || !is_snapshot(doc))
			continue;
		cfg = json_object_get(doc, "config");
		runs = json_object_get(doc, "runs");
		strategy = json_string_value(json_object_get(cfg, "strategy"));
		state = json_string_value(json_object_get(json_object_get(doc, "status"), "state"));
		/* a skipped or failed file has no figures to stand for its strategy */
		if (!strategy || !json_is_array(runs) || !state || strcmp(state, "ok"))
			continue;
		if (!(key = cfg_key(cfg)))
			return -ENOMEM;
		w = row_of(rs, key, strategy, cfg, i);
		free(key);
		if (!w)
			return -ENOMEM;
		json_array_foreach(runs, j, run)
			if (json_is_object(run))
				add_run(w, run);
	}
	return 0;
}

static int by_cfg(const void *a, const void *b)
{
	const struct snap_row *x = a, *y = b;
	int c = strcmp(x->cfg, y->cfg);

	return c ? c : strcmp(x->strategy, y->strategy);
}

static const char *med(struct dvec *d, char *buf, size_t n)
{
	return d->n ? report_num(dvec_median(d), buf, n) : "–";
}

static const char *mib(struct dvec *d, char *buf, size_t n)
{
	return d->n ? report_num(dvec_median(d) / (1024.0 * 1024.0), buf, n) : "–";
}

/* The CSV: the table's text for the configuration, its figures unrounded
 * (%.6g; empty where a row has none), for whoever reads them further. */
static void csv_of(const struct table *t, struct snap_rows *rs, FILE *f)
{
	for (size_t i = 0; i <= t->nrows; i++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cell[i * t->ncols + c];
			struct dvec *d = i && c >= 9 ? &rs->row[i - 1].fig[c - 9] : NULL;

			if (d && d->n)
				fprintf(f, "%.6g", c == 13 || c == 14 ? dvec_median(d) / (1024.0 * 1024.0)
							       : dvec_median(d));
			else if (!d)
				csv_field(f, cell ? cell : "");
			fputc(c + 1 < t->ncols ? ',' : '\n', f);
		}
	}
}

static const char *const heads[] = { "backing", "page", "size", "vCPUs", "workload", "sink",
				     "write rate", "strategy", "reps", "snapshot (ms)", "pause (ms)",
				     "slowdown (×)", "p99 write (µs)", "extra memory (MiB)",
				     "sink (MiB)", "fork (ms/GiB)" };

static int fill_table(struct table *t, struct snap_rows *rs)
{
	if (table_init(t, FB_ARRAY_SIZE(heads), 8))
		return -ENOMEM;
	for (size_t c = 0; c < FB_ARRAY_SIZE(heads); c++)
		table_head(t, c, "%s", heads[c]);
	for (size_t i = 0; i < rs->n; i++) {
		struct snap_row *w = &rs->row[i];
		char b[32], *save = NULL, *cfg = strdup(w->cfg);
		size_t c = 0;

		if (!cfg || table_add_row(t)) {
			free(cfg);
			return -ENOMEM;
		}
		for (char *tok = strtok_r(cfg, "\t", &save); tok && c < 7;
		     tok = strtok_r(NULL, "\t", &save), c++) {
			double h = w->huge.n ? dvec_median(&w->huge) : 1;

			/* huge pages asked for but not all mapped at T0: the page
			 * column says how much the kernel really gave */
			if (c == 1 && strcmp(tok, "4K") && h < 0.995)
				table_set(t, c, "%s (%.0f%% huge at T0)", tok, h * 100);
			else /* write_rate 0 is the default: full speed */
				table_set(t, c, "%s", c == 6 && !strcmp(tok, "0") ? "full speed" : tok);
		}
		free(cfg);
		table_set(t, 7, "%s", w->strategy);
		table_set(t, 8, "%u", w->reps);
		table_set(t, 9, "%s", med(&w->fig[F_DUR], b, sizeof(b)));
		table_set(t, 10, "%s", med(&w->fig[F_PAUSE], b, sizeof(b)));
		table_set(t, 11, "%s", med(&w->fig[F_SLOW], b, sizeof(b)));
		table_set(t, 12, "%s", med(&w->fig[F_P99], b, sizeof(b)));
		table_set(t, 13, "%s", mib(&w->fig[F_EXTRA], b, sizeof(b)));
		table_set(t, 14, "%s", mib(&w->fig[F_SINK], b, sizeof(b)));
		table_set(t, 15, "%s", w->fig[F_FORK].n ? med(&w->fig[F_FORK], b, sizeof(b)) : "");
	}
	return 0;
}

/* A configuration's words for people ("anon, 4K pages, 1G, 2 vCPUs, random
 * writes, sink null, full speed") and for file names
 * ("1-anon-4K-1G-2v-random-null-full", n first: always unique). */
static void cfg_words(const char *cfg, unsigned n, char *title, size_t tn, char *slug, size_t sn)
{
	static const char *const fmt[] = { "%s", "%s pages", "%s", "%s vCPUs", "%s writes",
					   "sink %s", "%s writes/s per vCPU" };
	char *copy = strdup(cfg), *save = NULL;
	size_t to = 0, so = (size_t)snprintf(slug, sn, "%u", n), c = 0;

	title[0] = 0;
	if (!copy)
		return;
	for (char *tok = strtok_r(copy, "\t", &save); tok && c < FB_ARRAY_SIZE(fmt);
	     tok = strtok_r(NULL, "\t", &save), c++) {
		bool full = c == 6 && !strcmp(tok, "0");

		if (to < tn)
			to += (size_t)snprintf(title + to, tn - to, "%s", c ? ", " : "");
		if (to < tn)
			to += full ? (size_t)snprintf(title + to, tn - to, "full speed") :
				     (size_t)snprintf(title + to, tn - to, fmt[c], tok);
		if (so < sn)
			so += (size_t)snprintf(slug + so, sn - so, "-%s%s", full ? "full" : tok,
					       c == 3 ? "v" : "");
	}
	free(copy);
	for (char *p = slug; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '.')
			*p = '-';
}

/* The throughput lines of rows [from, to) (one configuration): a data
 * block per strategy, ms from the snapshot's start and M writes/s of all vCPUs, from the
 * first repetition of its first file. */
static void timeline_plot(struct report *r, struct snap_rows *rs, size_t from, size_t to,
			  unsigned n)
{
	char rel[200], base[160], slug[120], title[400], vars[2048], t1[600];
	size_t nseries = 0;
	FILE *f;

	cfg_words(rs->row[from].cfg, n, title, sizeof(title), slug, sizeof(slug));
	snprintf(base, sizeof(base), "snapshot-timeline-%s", slug);
	snprintf(rel, sizeof(rel), "plots/data/%s.dat", base);
	if (!(f = report_open(r, rel)))
		return;
	for (size_t i = from; i < to; i++) {
		struct snap_row *w = &rs->row[i];
		json_t *run = json_array_get(json_object_get(r->s->it[w->first].doc, "runs"), 0);
		json_t *tl = json_object_get(run, "timeline");
		json_t *ts = json_object_get(tl, "t_seconds"), *ws = json_object_get(tl, "writes_per_second");
		/* aligned at the snapshot's start; older files have only T0 */
		double t0 = isfinite(num(tl, "start_seconds")) ? num(tl, "start_seconds")
							       : num(tl, "t0_seconds");
		size_t npoints = 0;

		if (!json_is_array(ts) || !json_is_array(ws) || !isfinite(t0) ||
		    json_array_size(ts) != json_array_size(ws))
			continue;
		for (size_t k = 0; k < json_array_size(ts); k++)
			npoints += json_is_number(json_array_get(ts, k)) &&
				   json_is_number(json_array_get(ws, k));
		/* a line needs two points */
		if (npoints < 2)
			continue;
		fprintf(f, "%s\"ms from start\" \"%s\"\n", nseries ? "\n\n" : "", w->strategy);
		for (size_t k = 0; k < json_array_size(ts); k++) {
			json_t *x = json_array_get(ts, k), *y = json_array_get(ws, k);

			if (json_is_number(x) && json_is_number(y))
				fprintf(f, "%.6g %.6g\n", (json_number_value(x) - t0) * 1e3,
					json_number_value(y) / 1e6);
		}
		nseries++;
	}
	report_close(r, f, rel);
	if (!nseries)
		return;
	snprintf(t1, sizeof(t1), "vCPU writes around the snapshot: %s", title);
	report_title_vars(vars, sizeof(vars), t1, r->host_short);
	snprintf(vars + strlen(vars), sizeof(vars) - strlen(vars), "; nseries=%zu", nseries);
	if (report_plot(r, "snapshot-timeline", base, rel, vars))
		report_embed_plot(r, base, t1);
	else
		report_plot_failed(r, t1);
}

static void snapshot_section(struct report *r, struct group *g)
{
	struct snap_rows rs = { 0 };
	struct table t = { 0 };
	FILE *f;
	unsigned nplot = 0;

	(void)g; /* once per set */
	fprintf(r->md, "## Live snapshots\n\n");
	fprintf(r->html, "<h2>Live snapshots</h2>\n");
	if (collect(r, &rs)) {
		r->rc = r->rc ? r->rc : -ENOMEM;
		goto out;
	}
	if (rs.n)
		qsort(rs.row, rs.n, sizeof(rs.row[0]), by_cfg);
	if (fill_table(&t, &rs)) {
		r->rc = r->rc ? r->rc : -ENOMEM;
		goto out;
	}
	if (!rs.n) {
		fprintf(r->md, "_Snapshot results here were skipped or failed: nothing to show._\n\n");
		goto out;
	}
	if (asprintf(&t.caption, "Live snapshots (`faultbench snapshot`), per configuration and "
		     "strategy: medians over repetitions. Slowdown = vCPU writes/s before ÷ during "
		     "the snapshot; p99 write = per-write latency during it; extra memory = peak "
		     "beyond the guest; fork = fork() time per GiB of guest.") < 0)
		t.caption = NULL;
	t.note = strdup(r->host_line);
	if ((f = report_open(r, "tables/snapshot.csv"))) {
		csv_of(&t, &rs, f);
		report_close(r, f, "tables/snapshot.csv");
	}
	report_emit_table(r, &t, "snapshot", NULL, NULL);
	for (size_t i = 0, j; i < rs.n; i = j) {
		for (j = i + 1; j < rs.n && !strcmp(rs.row[j].cfg, rs.row[i].cfg); j++)
			;
		timeline_plot(r, &rs, i, j, ++nplot);
	}
out:
	table_free(&t);
	for (size_t i = 0; i < rs.n; i++) {
		free(rs.row[i].cfg);
		free(rs.row[i].strategy);
		for (size_t k = 0; k < NFIG; k++)
			free(rs.row[i].fig[k].v);
		free(rs.row[i].huge.v);
	}
	free(rs.row);
}

const struct report_kind report_kind_snapshot = {
	.name = "snapshot",
	.scope = REPORT_PER_SET,
	.applies = applies,
	.emit = snapshot_section,
};
