/* `faultbench report`: a result set → paper-style tables (Markdown, LaTeX
 * booktabs, CSV), plot data and gnuplot plots (PNG, SVG), and an index.
 *
 * Results are grouped by what they measured (backing, size, workload, …:
 * env_keys below); inside a group, rows are vCPU counts and columns are
 * modes, a mode split further by any other setting that varies among its
 * own results (uffd=per-vcpu, exit=bitmap, …). No mode is named here except
 * the reference column of the ratios (REPORT_REF_MODE). */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "gnuplot.h"
#include "hist.h"
#include "modes/mode.h"
#include "result.h"
#include "table.h"

/* Settings that change what is measured: results differing in one of these
 * are different experiments and go to different tables. */
static const char *const env_keys[] = {
	"backing", "hugepage_bytes", "size_bytes", "per_vcpu", "overlap", "workload", "access",
	"touch", "numa", "pin", "zero_fraction", "balloon", "service_delay_us",
};
/* Settings that never tell results apart: derived from others, the row
 * (vcpus), how often it was measured, or safety nets. */
static const char *const ignore_keys[] = {
	"mode", "vcpus", "page_bytes", "total_bytes", "slice_pages", "handlers", "seed", "reps",
	"warmup", "verify", "record_latency", "fault_timeout_s", "reserve_hugepages",
	"allow_overcommit", "inject", "inject_page", "test_slowdown_ns",
};

static bool in(const char *k, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k, list[i]))
			return true;
	return false;
}

#define IS_ENV(k) in(k, env_keys, FB_ARRAY_SIZE(env_keys))
#define IS_IGNORED(k) in(k, ignore_keys, FB_ARRAY_SIZE(ignore_keys))

/* ---- samples ---- */

struct dvec {
	double *v;
	size_t n, cap;
};

static int dvec_push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		double *g = realloc(d->v, cap * sizeof(double));

		if (!g)
			return -ENOMEM;
		d->v = g;
		d->cap = cap;
	}
	d->v[d->n++] = x;
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The same median as the result's summary: the mean of the middle two
 * when n is even. */
static double dvec_median(struct dvec *d)
{
	if (!d->n)
		return NAN;
	qsort(d->v, d->n, sizeof(double), cmp_d);
	return d->n % 2 ? d->v[d->n / 2] : (d->v[d->n / 2 - 1] + d->v[d->n / 2]) / 2;
}

static double dvec_min(struct dvec *d)
{
	dvec_median(d);
	return d->n ? d->v[0] : NAN;
}

static double dvec_max(struct dvec *d)
{
	dvec_median(d);
	return d->n ? d->v[d->n - 1] : NAN;
}

/* ---- groups, columns, cells ---- */

enum lat { L50, L90, L99, L999, LMAX, NLAT };
static const char *const lat_json[NLAT] = { "p50", "p90", "p99", "p999", "max" };
static const char *const lat_head[NLAT] = { "p50", "p90", "p99", "p99.9", "max" };
static const char *const lat_csv[NLAT] = { "p50_us", "p90_us", "p99_us", "p999_us", "max_us" };

struct cell {
	size_t col;
	long vcpus;
	struct dvec rate;          /* per measured repetition, in the group's unit */
	struct dvec lat[NLAT];     /* µs, per measured repetition */
	uint64_t *buckets;         /* merged first-touch histogram, HIST_BUCKETS */
	bool oversub;
};

struct column {
	char *mode;
	char *label;
	char *vkey;                /* the values that set it apart from its mode's others */
	int rank;                  /* registry order; modes from other builds after */
	int nondefault;            /* how many of those values are not the default */
};

struct group {
	char *env_key;
	json_t *env;
	char slug[160];
	char title[512];
	char matrices[256];
	bool gib;                  /* huge pages: throughput in GiB/s reads better */
	struct column *col;
	size_t ncol;
	struct cell *cell;
	size_t ncell;
	long vcpus[256];
	size_t nv;
	size_t *item;
	size_t nitem;
	unsigned reps_min, reps_max, warmup;
	size_t ref;                /* reference column, or SIZE_MAX */
};

struct report {
	const struct rset *s;
	struct group *g;
	size_t ng;
	char host_line[768];
	char host_short[256];
	char root[PATH_MAX];       /* DIR/report */
	FILE *md, *html;
	struct gnuplot gp;
	struct fb_err *err;
	int rc;                    /* first error; the report goes on regardless */
	unsigned ntables, nplots;
};

static char *config_str(json_t *cfg, const char *k)
{
	json_t *v = json_object_get(cfg, k);

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_true(v))
		return strdup("yes");
	if (json_is_false(v))
		return strdup("no");
	if (json_is_integer(v)) {
		char buf[32];

		if (strstr(k, "_bytes"))
			fb_fmt_size((uint64_t)json_integer_value(v), buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return strdup(buf);
	}
	if (json_is_number(v)) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%g", json_number_value(v));
		return strdup(buf);
	}
	return strdup(v ? "?" : "-");
}

static int mode_rank(const char *name)
{
	for (size_t i = 0; i < fault_modes_count; i++)
		if (!strcmp(fault_modes[i]->name, name))
			return (int)i;
	return (int)fault_modes_count;
}

static json_t *env_of(json_t *cfg)
{
	json_t *env = json_object();

	for (size_t i = 0; i < FB_ARRAY_SIZE(env_keys); i++) {
		json_t *v = json_object_get(cfg, env_keys[i]);

		if (v)
			json_object_set(env, env_keys[i], v);
	}
	return env;
}

static struct group *group_for(struct report *r, json_t *cfg)
{
	json_t *env = env_of(cfg);
	char *key = json_dumps(env, JSON_SORT_KEYS | JSON_COMPACT);
	struct group *g;

	for (size_t i = 0; key && i < r->ng; i++) {
		if (!strcmp(r->g[i].env_key, key)) {
			free(key);
			json_decref(env);
			return &r->g[i];
		}
	}
	g = key ? realloc(r->g, (r->ng + 1) * sizeof(*g)) : NULL;
	if (!g) {
		free(key);
		json_decref(env);
		return NULL;
	}
	r->g = g;
	g = &r->g[r->ng++];
	memset(g, 0, sizeof(*g));
	g->env_key = key;
	g->env = env;
	g->gib = true;
	g->ref = SIZE_MAX;
	g->reps_min = UINT32_MAX;
	return g;
}

/* The keys that vary among one mode's results in a group: they name its columns. */
static json_t *varying_keys(const struct report *r, const struct group *g, const char *mode)
{
	json_t *first = NULL, *keys = json_array();

	for (size_t i = 0; i < g->nitem; i++) {
		json_t *cfg = json_object_get(r->s->it[g->item[i]].doc, "config");
		const char *k;
		json_t *v;

		if (strcmp(json_string_value(json_object_get(cfg, "mode")), mode))
			continue;
		if (!first) {
			first = cfg;
			continue;
		}
		json_object_foreach(cfg, k, v) {
			bool listed = false;
			size_t j;
			json_t *x;

			if (IS_ENV(k) || IS_IGNORED(k) || json_equal(v, json_object_get(first, k)))
				continue;
			json_array_foreach(keys, j, x)
				listed |= !strcmp(json_string_value(x), k);
			if (!listed)
				json_array_append_new(keys, json_string(k));
		}
	}
	return keys;
}

static json_t *default_config(void)
{
	static json_t *d;
	struct fb_config c;

	if (!d) {
		config_defaults(&c);
		d = config_to_json(&c);
	}
	return d;
}

static size_t column_for(struct group *g, json_t *cfg, json_t *keys)
{
	int nondefault = 0;
	const char *mode = json_string_value(json_object_get(cfg, "mode"));
	json_t *vals = json_object(), *x;
	char label[512], *vkey;
	size_t off, j;
	struct column *c;

	off = (size_t)snprintf(label, sizeof(label), "%s", mode);
	json_array_foreach(keys, j, x) {
		const char *k = json_string_value(x);
		char *v = config_str(cfg, k);

		json_object_set(vals, k, json_object_get(cfg, k));
		nondefault += !json_equal(json_object_get(cfg, k), json_object_get(default_config(), k));
		if (off < sizeof(label))
			off += (size_t)snprintf(label + off, sizeof(label) - off, " %s=%s", k, v ? v : "?");
		free(v);
	}
	vkey = json_dumps(vals, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(vals);
	for (size_t i = 0; vkey && i < g->ncol; i++) {
		if (!strcmp(g->col[i].mode, mode) && !strcmp(g->col[i].vkey, vkey)) {
			free(vkey);
			return i;
		}
	}
	c = vkey ? realloc(g->col, (g->ncol + 1) * sizeof(*c)) : NULL;
	if (!c) {
		free(vkey);
		return SIZE_MAX;
	}
	g->col = c;
	c = &c[g->ncol];
	c->mode = strdup(mode);
	c->label = strdup(label);
	c->vkey = vkey;
	c->rank = mode_rank(mode);
	c->nondefault = nondefault;
	return g->ncol++;
}

static struct cell *cell_for(struct group *g, size_t col, long vcpus)
{
	struct cell *c;

	for (size_t i = 0; i < g->ncell; i++)
		if (g->cell[i].col == col && g->cell[i].vcpus == vcpus)
			return &g->cell[i];
	c = realloc(g->cell, (g->ncell + 1) * sizeof(*c));
	if (!c)
		return NULL;
	g->cell = c;
	c = &c[g->ncell++];
	memset(c, 0, sizeof(*c));
	c->col = col;
	c->vcpus = vcpus;
	return c;
}

static int add_buckets(struct cell *c, json_t *buckets)
{
	size_t i;
	json_t *b;

	if (!json_array_size(buckets))
		return 0;
	if (!c->buckets) {
		c->buckets = calloc(HIST_BUCKETS, sizeof(uint64_t));
		if (!c->buckets)
			return -ENOMEM;
	}
	json_array_foreach(buckets, i, b) {
		json_int_t lo = json_integer_value(json_array_get(b, 0));
		json_int_t n = json_integer_value(json_array_get(b, 2));

		if (lo >= 0 && n > 0)
			c->buckets[hist_index((uint64_t)lo)] += (uint64_t)n;
	}
	return 0;
}

static int add_runs(struct group *g, struct cell *c, json_t *doc)
{
	json_t *runs = json_object_get(doc, "runs"), *run;
	size_t i;
	unsigned n = 0;
	int rc = 0;

	c->oversub |= json_is_true(json_object_get(json_object_get(doc, "placement"), "oversubscribed"));
	json_array_foreach(runs, i, run) {
		json_t *agg = json_object_get(run, "aggregate"), *lat = json_object_get(run, "fault_lat_ns");

		if (json_is_true(json_object_get(run, "warmup")))
			continue;
		n++;
		rc |= dvec_push(&c->rate, g->gib ?
				json_number_value(json_object_get(agg, "paging_rate_gibps")) :
				json_number_value(json_object_get(agg, "paging_rate_pps")) / 1e3);
		for (int l = 0; l < NLAT; l++)
			rc |= dvec_push(&c->lat[l], json_number_value(json_object_get(lat, lat_json[l])) / 1e3);
		rc |= add_buckets(c, json_object_get(lat, "buckets"));
	}
	if (n < g->reps_min)
		g->reps_min = n;
	if (n > g->reps_max)
		g->reps_max = n;
	g->warmup = (unsigned)json_integer_value(json_object_get(json_object_get(doc, "config"), "warmup"));
	return rc ? -ENOMEM : 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static struct group *sort_group;

static int cmp_col_idx(const void *a, const void *b)
{
	const struct column *x = &sort_group->col[*(const size_t *)a];
	const struct column *y = &sort_group->col[*(const size_t *)b];

	/* a mode's column closest to the defaults first: it is the reference */
	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->nondefault != y->nondefault)
		return x->nondefault - y->nondefault;
	return strcmp(x->label, y->label);
}

/* Columns in registry order, then from the defaults outwards, then by
 * label; cells follow. */
static int sort_columns(struct group *g)
{
	size_t *order = malloc(g->ncol * sizeof(size_t)), *where = malloc(g->ncol * sizeof(size_t));
	struct column *c = malloc(g->ncol * sizeof(*c));

	if (!order || !where || !c) {
		free(order);
		free(where);
		free(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->ncol; i++)
		order[i] = i;
	sort_group = g;
	qsort(order, g->ncol, sizeof(size_t), cmp_col_idx);
	for (size_t i = 0; i < g->ncol; i++) {
		c[i] = g->col[order[i]];
		where[order[i]] = i;
	}
	for (size_t i = 0; i < g->ncell; i++)
		g->cell[i].col = where[g->cell[i].col];
	free(g->col);
	g->col = c;
	for (size_t i = 0; i < g->ncol && g->ref == SIZE_MAX; i++)
		if (!strcmp(c[i].mode, REPORT_REF_MODE))
			g->ref = i;
	free(order);
	free(where);
	return 0;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '+'))
			*s = '_';
}

/* Names and titles from the env values: the slug keeps what varies across
 * the set, the title says everything a reader needs. */
static void name_groups(struct report *r)
{
	for (size_t i = 0; i < r->ng; i++) {
		struct group *g = &r->g[i];
		json_t *cfg = json_object_get(r->s->it[g->item[0]].doc, "config");
		char *backing = config_str(cfg, "backing"), *hp = config_str(cfg, "hugepage_bytes");
		char *size = config_str(cfg, "size_bytes"), *wl = config_str(cfg, "workload");
		char *acc = config_str(cfg, "access"), *pg = config_str(cfg, "page_bytes");
		char *touch = config_str(cfg, "touch");
		size_t off = 0, toff;
		bool hugetlb = backing && strstr(backing, "hugetlb");

		/* the backing always leads: a slug should say what memory it is */
		off = (size_t)snprintf(g->slug, sizeof(g->slug), "%s", backing ? backing : "results");
		if (hugetlb)
			off += (size_t)snprintf(g->slug + off, sizeof(g->slug) - off, "-%s", hp);
		toff = (size_t)snprintf(g->title, sizeof(g->title), "%s %s pages, %s %s, %s %s%s%s", backing,
					hugetlb ? hp : pg, size,
					json_is_true(json_object_get(cfg, "per_vcpu")) ? "per vCPU" :
					json_is_true(json_object_get(cfg, "overlap")) ? "shared by all vCPUs" :
					"in all", wl, acc,
					touch && strcmp(touch, "word") ? ", touch " : "",
					touch && strcmp(touch, "word") ? touch : "");
		for (size_t k = 0; k < FB_ARRAY_SIZE(env_keys); k++) {
			const char *key = env_keys[k];
			json_t *v = json_object_get(g->env, key);
			bool varies = false;
			char *txt;

			for (size_t j = 0; j < r->ng && !varies; j++)
				varies = !json_equal(v, json_object_get(r->g[j].env, key));
			if (!varies)
				continue;
			txt = config_str(cfg, key);
			if (!strcmp(key, "backing") || !strcmp(key, "hugepage_bytes"))
				; /* already there */
			else if (!strcmp(key, "size_bytes") || !strcmp(key, "workload") ||
				 !strcmp(key, "access"))
				off += (size_t)snprintf(g->slug + off, sizeof(g->slug) - off, "%s%s",
							off ? "-" : "", txt);
			else
				off += (size_t)snprintf(g->slug + off, sizeof(g->slug) - off, "%s%s-%s",
							off ? "-" : "", key, txt);
			if (off >= sizeof(g->slug))
				off = sizeof(g->slug) - 1;
			/* the title already has the usual ones */
			if (strcmp(key, "backing") && strcmp(key, "hugepage_bytes") &&
			    strcmp(key, "size_bytes") && strcmp(key, "workload") && strcmp(key, "access") &&
			    strcmp(key, "touch") &&
			    strcmp(key, "per_vcpu") && strcmp(key, "overlap") && toff < sizeof(g->title))
				toff += (size_t)snprintf(g->title + toff, sizeof(g->title) - toff, ", %s=%s",
							 key, txt);
			free(txt);
		}
		sanitize(g->slug);
		/* two groups can differ only in keys we left out of the slug */
		for (size_t j = 0; j < i; j++) {
			if (strcmp(r->g[j].slug, g->slug))
				continue;
			char tail[24];
			size_t len = strlen(g->slug), tl;

			tl = (size_t)snprintf(tail, sizeof(tail), "-%zu", i + 1);
			if (len + tl >= sizeof(g->slug))
				len = sizeof(g->slug) - 1 - tl;
			memcpy(g->slug + len, tail, tl + 1);
			j = (size_t)-1;
		}
		free(backing);
		free(hp);
		free(size);
		free(wl);
		free(acc);
		free(touch);
		free(pg);
	}
}

static int build(struct report *r)
{
	const struct rset *s = r->s;

	for (size_t i = 0; i < s->n; i++) {
		const struct rs_item *it = &s->it[i];
		json_t *cfg;
		struct group *g;
		size_t *grown;

		if (strcmp(it->command, "run") || strcmp(it->state, "ok") || !it->doc)
			continue;
		cfg = json_object_get(it->doc, "config");
		g = group_for(r, cfg);
		if (!g)
			return -ENOMEM;
		grown = realloc(g->item, (g->nitem + 1) * sizeof(size_t));
		if (!grown)
			return -ENOMEM;
		g->item = grown;
		g->item[g->nitem++] = i;
		if (json_integer_value(json_object_get(cfg, "page_bytes")) < 2 * (json_int_t)FB_MiB)
			g->gib = false;
		if (it->matrix[0] && !strstr(g->matrices, it->matrix)) {
			size_t len = strlen(g->matrices);

			snprintf(g->matrices + len, sizeof(g->matrices) - len, "%s%s", len ? ", " : "",
				 it->matrix);
		}
	}
	for (size_t gi = 0; gi < r->ng; gi++) {
		struct group *g = &r->g[gi];

		for (size_t k = 0; k < g->nitem; k++) {
			json_t *doc = s->it[g->item[k]].doc, *cfg = json_object_get(doc, "config");
			json_t *keys = varying_keys(r, g, json_string_value(json_object_get(cfg, "mode")));
			size_t col = column_for(g, cfg, keys);
			long v = (long)json_integer_value(json_object_get(cfg, "vcpus"));
			struct cell *c;
			bool seen = false;

			json_decref(keys);
			if (col == SIZE_MAX || !(c = cell_for(g, col, v)) || add_runs(g, c, doc))
				return -ENOMEM;
			for (size_t j = 0; j < g->nv; j++)
				seen |= g->vcpus[j] == v;
			if (!seen && g->nv < FB_ARRAY_SIZE(g->vcpus))
				g->vcpus[g->nv++] = v;
		}
		qsort(g->vcpus, g->nv, sizeof(long), cmp_long);
		if (sort_columns(g))
			return -ENOMEM;
	}
	name_groups(r);
	return 0;
}

/* ---- formatting ---- */

static const char *num(double v, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "–");
	else if (v == 0)
		snprintf(buf, n, "0");
	else if (fabs(v) >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(buf, n, "%.1f", v);
	else if (fabs(v) >= 1)
		snprintf(buf, n, "%.2f", v);
	else
		snprintf(buf, n, "%.3f", v);
	return buf;
}

static const char *unit_name(const struct group *g)
{
	return g->gib ? "GiB/s" : "k pages/s";
}

static const char *unit_csv(const struct group *g)
{
	return g->gib ? "gibps" : "kpps";
}

static void host_lines(struct report *r)
{
	json_t *h = r->s->host, *cpu = json_object_get(h, "cpu");
	const char *model = json_string_value(json_object_get(cpu, "model"));
	const char *rel = json_string_value(json_object_get(json_object_get(h, "kernel"), "release"));
	const char *thp = json_string_value(json_object_get(json_object_get(h, "thp"), "enabled"));
	const char *fp = json_string_value(json_object_get(h, "fingerprint"));
	json_int_t cores = json_integer_value(json_object_get(cpu, "cores"));
	json_int_t pus = json_integer_value(json_object_get(cpu, "pus"));
	json_int_t nodes = json_integer_value(json_object_get(json_object_get(h, "numa"), "nodes"));
	double mem = (double)json_integer_value(json_object_get(json_object_get(h, "memory"),
								 "total_bytes")) / (double)FB_GiB;
	const char *started = r->s->index ? json_string_value(json_object_get(r->s->index, "started")) : NULL;

	snprintf(r->host_line, sizeof(r->host_line),
		 "Host: %s, %lld cores / %lld threads, %lld NUMA node%s, %.0f GiB RAM, Linux %s, THP %s "
		 "(fingerprint %s); faultbench %s, %s %s%s%s.",
		 model ? model : "unknown CPU", (long long)cores, (long long)pus, (long long)nodes,
		 nodes == 1 ? "" : "s", mem, rel ? rel : "?", thp ? thp : "?", fp ? fp : "?",
		 FB_VERSION, r->s->index ? "suite" : "results", r->s->name,
		 started ? ", " : "", started ? started : "");
	snprintf(r->host_short, sizeof(r->host_short), "%s, %lld cores, Linux %s",
		 model ? model : "unknown CPU", (long long)cores, rel ? rel : "?");
}

static FILE *open_out(struct report *r, const char *rel)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", r->root, rel);
	f = fopen(path, "w");
	if (!f && !r->rc) {
		fb_errf(r->err, "%s: cannot write: %s", path, strerror(errno));
		r->rc = -EIO;
	}
	return f;
}

static void close_out(struct report *r, FILE *f, const char *rel)
{
	if (f && (ferror(f) | fclose(f)) && !r->rc) {
		fb_errf(r->err, "%s/%s: write failed", r->root, rel);
		r->rc = -EIO;
	}
}

/* ---- tables ---- */

static struct cell *find_cell(struct group *g, size_t col, long v)
{
	for (size_t i = 0; i < g->ncell; i++)
		if (g->cell[i].col == col && g->cell[i].vcpus == v)
			return &g->cell[i];
	return NULL;
}

static bool any_oversub(struct group *g, long v)
{
	for (size_t c = 0; c < g->ncol; c++) {
		struct cell *x = find_cell(g, c, v);

		if (x && x->oversub)
			return true;
	}
	return false;
}

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
		struct cell *ref = g->ref == SIZE_MAX ? NULL : find_cell(g, g->ref, v);
		bool os = any_oversub(g, v);

		oversub |= os;
		if ((rc = table_add_row(t)))
			return rc;
		table_set(t, 0, "%ld%s", v, os ? "†" : "");
		for (size_t k = 0; k < g->ncol; k++) {
			struct cell *x = find_cell(g, k, v);
			double m;

			if (!x) {
				table_set(t, k + 1, "–");
				continue;
			}
			m = dvec_median(&x->rate);
			if (ref && k != g->ref && dvec_median(&ref->rate) > 0)
				table_set(t, k + 1, "%s [%s–%s] (%s×)", num(m, a, sizeof(a)),
					  num(dvec_min(&x->rate), b, sizeof(b)),
					  num(dvec_max(&x->rate), c, sizeof(c)),
					  num(m / dvec_median(&ref->rate), d, sizeof(d)));
			else
				table_set(t, k + 1, "%s [%s–%s]", num(m, a, sizeof(a)),
					  num(dvec_min(&x->rate), b, sizeof(b)),
					  num(dvec_max(&x->rate), c, sizeof(c)));
		}
	}
	if (g->nv == 1)
		snprintf(a, sizeof(a), "at %ld vCPU%s", g->vcpus[0], g->vcpus[0] == 1 ? "" : "s");
	else
		snprintf(a, sizeof(a), "vs vCPUs");
	if (asprintf(&t->caption, "%s %s: %s. %s, median [min–max] of %s%s%s%s", g->gib ?
		     "Throughput" : "Paging rate", a, g->title, unit_name(g), reps,
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
				 w < 3 ? unit_csv(g) : "");
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
		struct cell *ref = g->ref == SIZE_MAX ? NULL : find_cell(g, g->ref, v);

		fprintf(f, "%ld,%s", v, any_oversub(g, v) ? "yes" : "no");
		for (size_t k = 0; k < g->ncol; k++) {
			struct cell *x = find_cell(g, k, v);

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
			struct cell *x = find_cell(g, k, g->vcpus[i]);

			if (!x)
				continue;
			if ((rc = table_add_row(t)))
				return rc;
			table_set(t, 0, "%s", g->col[k].label);
			table_set(t, 1, "%ld%s", g->vcpus[i], x->oversub ? "†" : "");
			for (int l = 0; l < NLAT; l++)
				table_set(t, 2 + (size_t)l, "%s", num(dvec_median(&x->lat[l]), a, sizeof(a)));
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
			struct cell *x = find_cell(g, k, g->vcpus[i]);

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

/* A table in three files, and inline in the index. */
static void emit_table(struct report *r, struct table *t, const char *base,
		       void (*csv)(struct group *, FILE *), struct group *g)
{
	char rel[300], *note;
	FILE *f;

	snprintf(rel, sizeof(rel), "tables/%s.md", base);
	if ((f = open_out(r, rel))) {
		table_md(t, f);
		close_out(r, f, rel);
	}
	snprintf(rel, sizeof(rel), "tables/%s.tex", base);
	if ((f = open_out(r, rel))) {
		table_tex(t, f);
		close_out(r, f, rel);
	}
	snprintf(rel, sizeof(rel), "tables/%s.csv", base);
	if ((f = open_out(r, rel))) {
		csv(g, f);
		close_out(r, f, rel);
	}
	r->ntables++;
	/* the index has the host line once, at the top */
	note = t->note;
	t->note = NULL;
	table_md(t, r->md);
	fprintf(r->md, "\nFiles: [Markdown](tables/%s.md) · [LaTeX](tables/%s.tex) · [CSV](tables/%s.csv)\n\n",
		base, base, base);
	table_html(t, r->html);
	t->note = note;
	fprintf(r->html, "<p class=\"files\">Files: <a href=\"tables/%s.md\">Markdown</a> · "
		"<a href=\"tables/%s.tex\">LaTeX</a> · <a href=\"tables/%s.csv\">CSV</a></p>\n",
		base, base, base);
}

/* ---- plots ---- */

/* plots/<script>.gp with datafile=<data> and vars → plots/<base>.png and
 * .svg. Returns true when at least one image was made; a gnuplot error is
 * the report's error (exit 1), and the report goes on without that plot. */
static bool plot(struct report *r, const char *script, const char *base, const char *data,
		 const char *vars)
{
	char *out = NULL, *dp = NULL;
	struct fb_err e = { "" };
	int made = -ENOMEM;

	if (!r->gp.bin[0])
		return false;
	if (asprintf(&out, "%s/plots/%s", r->root, base) >= 0 &&
	    asprintf(&dp, "%s/%s", r->root, data) >= 0)
		made = gnuplot_plot(&r->gp, script, out, dp, vars, &e);
	else
		fb_errf(&e, "out of memory");
	if (made < 0) {
		fprintf(stderr, "faultbench report: %s\n", e.msg);
		if (!r->rc) {
			fb_errf(r->err, "%s", e.msg);
			r->rc = -EIO;
		}
	}
	free(out);
	free(dp);
	r->nplots += made > 0;
	return made > 0;
}

static void embed_plot(struct report *r, const char *base, const char *alt)
{
	if (r->gp.png_term[0]) {
		fprintf(r->md, "![%s](plots/%s.png)\n", alt, base);
		fprintf(r->html, "<figure><img src=\"plots/%s.png\" alt=\"", base);
		html_escape(r->html, alt);
		fprintf(r->html, "\">");
	} else {
		fprintf(r->html, "<figure><img src=\"plots/%s.svg\" alt=\"", base);
		html_escape(r->html, alt);
		fprintf(r->html, "\">");
	}
	fprintf(r->md, "%s[SVG](plots/%s.svg) · data: [plots/data/%s.dat](plots/data/%s.dat)\n\n",
		r->gp.png_term[0] ? "\n" : "", base, base, base);
	fprintf(r->html, "<figcaption><a href=\"plots/%s.svg\">SVG</a> · <a href=\"plots/data/%s.dat\">data</a></figcaption></figure>\n",
		base, base);
}

static void plot_failed_note(struct report *r, const char *what)
{
	const char *why = r->gp.bin[0] ? "gnuplot failed (see the report's error)" : r->gp.note;

	fprintf(r->md, "_%s: not plotted: %s._\n\n", what, why);
	fprintf(r->html, "<p class=\"note\">%s: not plotted: ", what);
	html_escape(r->html, why);
	fprintf(r->html, "</p>\n");
}

static void title_vars(char *buf, size_t n, const char *t1, const char *t2)
{
	char *a = gp_quote(t1), *b = gp_quote(t2);

	snprintf(buf, n, "title1=%s; title2=%s", a ? a : "''", b ? b : "''");
	free(a);
	free(b);
}

/* A log y axis when the medians span more than this: a populate line
 * would otherwise flatten every other one onto the x axis. */
#define YLOG_SPAN 30

static int want_ylog(struct group *g)
{
	double lo = INFINITY, hi = 0;

	for (size_t i = 0; i < g->ncell; i++) {
		double m = dvec_median(&g->cell[i].rate);

		if (m > 0 && m < lo)
			lo = m;
		if (m > hi)
			hi = m;
	}
	return hi > 0 && lo < INFINITY && hi / lo > YLOG_SPAN;
}

static void rate_plot(struct report *r, struct group *g)
{
	char base[256], rel[320], vars[4096], titles[1200], t1[600], yl[80], xt[512] = "";
	size_t off = 0;
	FILE *f;

	snprintf(base, sizeof(base), "%s.rate", g->slug);
	snprintf(rel, sizeof(rel), "plots/data/%s.dat", base);
	f = open_out(r, rel);
	if (!f)
		return;
	fprintf(f, "# %s vs vCPUs, %s; one block per column: vcpus median min max (%s)\n",
		g->gib ? "throughput" : "paging rate", g->title, unit_name(g));
	for (size_t k = 0; k < g->ncol; k++) {
		fprintf(f, "%s\"vcpus\" \"%s\" \"min\" \"max\"\n", k ? "\n\n" : "", g->col[k].label);
		for (size_t i = 0; i < g->nv; i++) {
			struct cell *x = find_cell(g, k, g->vcpus[i]);

			if (x)
				fprintf(f, "%ld %.6g %.6g %.6g\n", g->vcpus[i], dvec_median(&x->rate),
					dvec_min(&x->rate), dvec_max(&x->rate));
		}
	}
	close_out(r, f, rel);
	for (size_t i = 0; i < g->nv && off < sizeof(xt); i++)
		off += (size_t)snprintf(xt + off, sizeof(xt) - off, "%s%ld", i ? "," : "", g->vcpus[i]);
	snprintf(t1, sizeof(t1), "%s vs vCPUs: %s", g->gib ? "Throughput" : "Paging rate", g->title);
	title_vars(titles, sizeof(titles), t1, r->host_short);
	snprintf(yl, sizeof(yl), "%s (median, bars: min-max%s)", g->gib ? "throughput, GiB/s" :
		 "paging rate, thousand pages/s", want_ylog(g) ? "; log scale" : "");
	snprintf(vars, sizeof(vars), "nseries=%zu; ylabel='%s'; xtics='%s'; xlog=%d; ylog=%d; %s",
		 g->ncol, yl, xt, g->nv > 2 && g->vcpus[g->nv - 1] >= 4 * g->vcpus[0] ? 1 : 0,
		 want_ylog(g), titles);
	if (plot(r, "rate", base, rel, vars))
		embed_plot(r, base, t1);
	else
		plot_failed_note(r, t1);
}

static void bars_plot(struct report *r, struct group *g)
{
	char base[256], rel[320], vars[4096], titles[1200], t1[600], yl[80];
	long v = g->vcpus[0];
	FILE *f;

	snprintf(base, sizeof(base), "%s.bars", g->slug);
	snprintf(rel, sizeof(rel), "plots/data/%s.dat", base);
	f = open_out(r, rel);
	if (!f)
		return;
	fprintf(f, "# %s at %ld vCPU%s, %s: label median min max (%s)\n", g->gib ? "throughput" :
		"paging rate", v, v == 1 ? "" : "s", g->title, unit_name(g));
	for (size_t k = 0; k < g->ncol; k++) {
		struct cell *x = find_cell(g, k, v);

		if (x)
			fprintf(f, "\"%s\" %.6g %.6g %.6g\n", g->col[k].label, dvec_median(&x->rate),
				dvec_min(&x->rate), dvec_max(&x->rate));
	}
	close_out(r, f, rel);
	snprintf(t1, sizeof(t1), "%s at %ld vCPU%s: %s", g->gib ? "Throughput" : "Paging rate", v,
		 v == 1 ? "" : "s", g->title);
	title_vars(titles, sizeof(titles), t1, r->host_short);
	snprintf(yl, sizeof(yl), "%s (median, bars: min-max%s)",
		 g->gib ? "throughput, GiB/s" : "paging rate, thousand pages/s",
		 want_ylog(g) ? "; log scale" : "");
	snprintf(vars, sizeof(vars), "nbars=%zu; ylabel='%s'; ylog=%d; %s", g->ncol, yl, want_ylog(g),
		 titles);
	if (plot(r, "bars", base, rel, vars))
		embed_plot(r, base, t1);
	else
		plot_failed_note(r, t1);
}

static void cdf_plot(struct report *r, struct group *g, long v)
{
	char base[256], rel[320], vars[4096], titles[1200], t1[600];
	size_t nseries = 0;
	FILE *f;

	snprintf(base, sizeof(base), "%s.cdf-%ldv", g->slug, v);
	snprintf(rel, sizeof(rel), "plots/data/%s.dat", base);
	f = open_out(r, rel);
	if (!f)
		return;
	fprintf(f, "# first-touch latency CDF at %ld vCPU%s, %s; one block per column: "
		"upper bucket bound (us), fraction of faults at or below\n", v, v == 1 ? "" : "s", g->title);
	for (size_t k = 0; k < g->ncol; k++) {
		struct cell *x = find_cell(g, k, v);
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
	close_out(r, f, rel);
	snprintf(t1, sizeof(t1), "First-touch latency CDF at %ld vCPU%s: %s", v, v == 1 ? "" : "s",
		 g->title);
	if (!nseries) {
		fprintf(r->md, "_%s: no histogram buckets in these results._\n\n", t1);
		return;
	}
	title_vars(titles, sizeof(titles), t1, r->host_short);
	snprintf(vars, sizeof(vars), "nseries=%zu; %s", nseries, titles);
	if (plot(r, "cdf", base, rel, vars))
		embed_plot(r, base, t1);
	else
		plot_failed_note(r, t1);
}

/* ---- WP cost (from `faultbench wpcost` results) ---- */

/* A time in µs from NAME_seconds, NAME_ns or NAME_us; a number or an
 * object with a median. */
static bool wp_time(json_t *o, const char *name, double *us)
{
	static const struct {
		const char *suffix;
		double to_us;
	} units[] = { { "_us", 1 }, { "_ns", 1e-3 }, { "_seconds", 1e6 }, { "_s", 1e6 } };

	for (size_t i = 0; i < FB_ARRAY_SIZE(units); i++) {
		char key[64];
		json_t *v;

		snprintf(key, sizeof(key), "%s%s", name, units[i].suffix);
		v = json_object_get(o, key);
		if (json_is_object(v))
			v = json_object_get(v, "median");
		if (json_is_number(v)) {
			*us = json_number_value(v) * units[i].to_us;
			return true;
		}
	}
	return false;
}

static void wpcost_section(struct report *r)
{
	size_t nfiles = 0, nrows = 0;
	char rel[64] = "plots/data/wpcost.dat", vars[4096], titles[1200], a[32], b[32];
	struct table t;
	FILE *f = NULL;

	fprintf(r->md, "## Write-protect cost\n\n");
	fprintf(r->html, "<h2>Write-protect cost</h2>\n");
	for (size_t i = 0; i < r->s->n; i++)
		nfiles += r->s->it[i].doc && json_is_array(json_object_get(r->s->it[i].doc, "strategies"));
	if (!nfiles || table_init(&t, 3, 1)) {
		const char *msg = "No `faultbench wpcost` results in this set (the paper suite's [wpcost] "
				  "matrix writes them): no WP-cost table or plot.";

		fprintf(r->md, "_%s_\n\n", msg);
		fprintf(r->html, "<p class=\"note\">");
		html_escape(r->html, msg);
		fprintf(r->html, "</p>\n");
		return;
	}
	table_head(&t, 0, "strategy");
	table_head(&t, 1, "pre-fault (µs)");
	table_head(&t, 2, "write-protect (µs)");
	f = open_out(r, rel);
	if (f)
		fprintf(f, "# write-protect cost per strategy: label wp_us prefault_us\n");
	for (size_t i = 0; i < r->s->n; i++) {
		json_t *st = json_object_get(r->s->it[i].doc, "strategies"), *e;
		size_t j;

		if (!json_is_array(st))
			continue;
		json_array_foreach(st, j, e) {
			const char *name = json_string_value(json_object_get(e, "name"));
			double wp = NAN, pre = 0;
			char label[256];

			if (!name || !wp_time(e, "wp", &wp))
				continue;
			wp_time(e, "prefault", &pre);
			if (nfiles > 1)
				snprintf(label, sizeof(label), "%s (%s)", name, r->s->it[i].id);
			else
				snprintf(label, sizeof(label), "%s", name);
			if (table_add_row(&t))
				break;
			table_set(&t, 0, "%s", label);
			table_set(&t, 1, "%s", num(pre, a, sizeof(a)));
			table_set(&t, 2, "%s", num(wp, b, sizeof(b)));
			if (f)
				fprintf(f, "\"%s\" %.6g %.6g\n", label, wp, pre);
			nrows++;
		}
	}
	close_out(r, f, rel);
	if (asprintf(&t.caption, "Time to write-protect an empty range, per strategy "
		     "(`faultbench wpcost`); µs.") < 0)
		t.caption = NULL;
	t.note = strdup(r->host_line);
	if (nrows) {
		FILE *tf;

		if ((tf = open_out(r, "tables/wpcost.md"))) {
			table_md(&t, tf);
			close_out(r, tf, "tables/wpcost.md");
		}
		if ((tf = open_out(r, "tables/wpcost.tex"))) {
			table_tex(&t, tf);
			close_out(r, tf, "tables/wpcost.tex");
		}
		table_md(&t, r->md);
		fprintf(r->md, "\nFiles: [Markdown](tables/wpcost.md) · [LaTeX](tables/wpcost.tex) · "
			"[data](plots/data/wpcost.dat)\n\n");
		table_html(&t, r->html);
		r->ntables++;
		title_vars(titles, sizeof(titles), "Write-protect cost of an empty range", r->host_short);
		snprintf(vars, sizeof(vars), "%s", titles);
		if (plot(r, "wpcost", "wpcost", rel, vars))
			embed_plot(r, "wpcost", "Write-protect cost per strategy");
		else
			plot_failed_note(r, "Write-protect cost");
	} else {
		fprintf(r->md, "_wpcost results hold no strategy with a wp time: nothing to show._\n\n");
	}
	table_free(&t);
}

/* ---- micro-benchmarks (Google Benchmark JSON, from `make micro`) ---- */

static void micro_section(struct report *r)
{
	struct table t;
	size_t n = 0;
	char a[32], b[32], c[32];
	FILE *f;

	for (size_t i = 0; i < r->s->n; i++)
		n += r->s->it[i].doc && json_is_array(json_object_get(r->s->it[i].doc, "benchmarks"));
	if (!n || table_init(&t, 5, 1))
		return;
	fprintf(r->md, "## Micro-benchmarks\n\n");
	fprintf(r->html, "<h2>Micro-benchmarks</h2>\n");
	table_head(&t, 0, "benchmark");
	table_head(&t, 1, "real time");
	table_head(&t, 2, "CPU time");
	table_head(&t, 3, "iterations");
	table_head(&t, 4, "items/s");
	f = open_out(r, "tables/micro.csv");
	if (f)
		fprintf(f, "benchmark,real_time,cpu_time,time_unit,iterations,items_per_second,error\n");
	for (size_t i = 0; i < r->s->n; i++) {
		json_t *list = json_object_get(r->s->it[i].doc, "benchmarks"), *e;
		size_t j;

		json_array_foreach(list, j, e) {
			const char *name = json_string_value(json_object_get(e, "name"));
			const char *unit = json_string_value(json_object_get(e, "time_unit"));
			const char *why = json_string_value(json_object_get(e, "error_message"));
			json_t *ips = json_object_get(e, "items_per_second");
			bool failed = json_is_true(json_object_get(e, "error_occurred"));

			if (!name || table_add_row(&t))
				continue;
			table_set(&t, 0, "%s", name);
			if (failed) {
				table_set(&t, 1, "skipped: %s", why ? why : "error");
			} else {
				table_set(&t, 1, "%s %s", num(json_number_value(json_object_get(e, "real_time")),
							       a, sizeof(a)), unit ? unit : "");
				table_set(&t, 2, "%s %s", num(json_number_value(json_object_get(e, "cpu_time")),
							       b, sizeof(b)), unit ? unit : "");
				table_set(&t, 3, "%lld", (long long)json_integer_value(json_object_get(e, "iterations")));
				table_set(&t, 4, "%s", json_is_number(ips) ?
					  num(json_number_value(ips), c, sizeof(c)) : "");
			}
			if (f) {
				csv_field(f, name);
				fprintf(f, ",%.6g,%.6g,%s,%lld,", json_number_value(json_object_get(e, "real_time")),
					json_number_value(json_object_get(e, "cpu_time")), unit ? unit : "",
					(long long)json_integer_value(json_object_get(e, "iterations")));
				if (json_is_number(ips))
					fprintf(f, "%.6g", json_number_value(ips));
				fputc(',', f);
				csv_field(f, failed ? (why ? why : "error") : "");
				fputc('\n', f);
			}
		}
	}
	close_out(r, f, "tables/micro.csv");
	if (asprintf(&t.caption, "Google Benchmark micro-benchmarks (`make micro`): one operation "
		     "each, time per iteration.") < 0)
		t.caption = NULL;
	t.note = strdup(r->host_line);
	if ((f = open_out(r, "tables/micro.md"))) {
		table_md(&t, f);
		close_out(r, f, "tables/micro.md");
	}
	if ((f = open_out(r, "tables/micro.tex"))) {
		table_tex(&t, f);
		close_out(r, f, "tables/micro.tex");
	}
	table_md(&t, r->md);
	fprintf(r->md, "\nFiles: [Markdown](tables/micro.md) · [LaTeX](tables/micro.tex) · [CSV](tables/micro.csv)\n\n");
	table_html(&t, r->html);
	r->ntables++;
	table_free(&t);
}

/* ---- index ---- */

static void not_measured(struct report *r)
{
	size_t n = 0;
	struct table t;

	for (size_t i = 0; i < r->s->n; i++)
		n += strcmp(r->s->it[i].state, "ok") != 0;
	fprintf(r->md, "## Not measured\n\n");
	fprintf(r->html, "<h2>Not measured</h2>\n");
	if (!n) {
		fprintf(r->md, "Every configuration ran.\n\n");
		fprintf(r->html, "<p>Every configuration ran.</p>\n");
		return;
	}
	if (table_init(&t, 3, 3))
		return;
	table_head(&t, 0, "configuration");
	table_head(&t, 1, "state");
	table_head(&t, 2, "reason");
	for (size_t i = 0; i < r->s->n; i++) {
		const struct rs_item *it = &r->s->it[i];

		if (!strcmp(it->state, "ok") || table_add_row(&t))
			continue;
		table_set(&t, 0, "%s", it->id);
		table_set(&t, 1, "%s", it->state);
		table_set(&t, 2, "%s", it->reason ? it->reason : "");
	}
	table_md(&t, r->md);
	fputc('\n', r->md);
	table_html(&t, r->html);
	table_free(&t);
}

static void section(struct report *r, struct group *g)
{
	struct table t;
	char base[256];

	fprintf(r->md, "## %s\n\n", g->title);
	fprintf(r->html, "<h2 id=\"%s\">", g->slug);
	html_escape(r->html, g->title);
	fprintf(r->html, "</h2>\n");
	if (g->matrices[0]) {
		fprintf(r->md, "Suite matrix: %s.\n\n", g->matrices);
		fprintf(r->html, "<p>Suite matrix: ");
		html_escape(r->html, g->matrices);
		fprintf(r->html, ".</p>\n");
	}
	snprintf(base, sizeof(base), "%s.rate", g->slug);
	if (!rate_table(r, g, &t))
		emit_table(r, &t, base, rate_csv, g);
	table_free(&t);
	if (g->nv > 1)
		rate_plot(r, g);
	else
		bars_plot(r, g);
	snprintf(base, sizeof(base), "%s.latency", g->slug);
	if (!latency_table(r, g, &t))
		emit_table(r, &t, base, latency_csv, g);
	table_free(&t);
	for (size_t i = 0; i < g->nv; i++)
		cdf_plot(r, g, g->vcpus[i]);
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>faultbench report</title>\n"
	"<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .6em;border-bottom:1px solid #ccc}"
	"th{border-bottom:2px solid #444;text-align:left}td.num,th.num{text-align:right}"
	".caption{font-weight:bold}.note,.files,figcaption{font-size:90%;color:#555}"
	"img{max-width:100%;border:1px solid #eee}figure{margin:1em 0}</style></head><body>\n";

/* What an earlier report left in our own subdirectories: a table or plot
 * whose group is gone must not linger next to the new ones. */
static void clear_old(struct report *r, const char *sub)
{
	static const char *const ext[] = { ".md", ".tex", ".csv", ".png", ".svg", ".dat" };
	char p[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", r->root, sub);
	d = opendir(p);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		for (size_t i = 0; i < FB_ARRAY_SIZE(ext); i++) {
			size_t el = strlen(ext[i]);

			if (len > el && !strcmp(e->d_name + len - el, ext[i])) {
				snprintf(p, sizeof(p), "%s/%s/%s", r->root, sub, e->d_name);
				unlink(p);
				break;
			}
		}
	}
	closedir(d);
}

static int mkdirs(struct report *r)
{
	const char *sub[] = { "", "/tables", "/plots", "/plots/data" };

	for (size_t i = 0; i < FB_ARRAY_SIZE(sub); i++) {
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s%s", r->root, sub[i]);
		if (mkdir(p, 0755) && errno != EEXIST) {
			fb_errf(r->err, "%s: cannot create: %s", p, strerror(errno));
			return -EIO;
		}
		if (i)
			clear_old(r, sub[i] + 1);
	}
	return 0;
}

static void free_report(struct report *r)
{
	for (size_t i = 0; i < r->ng; i++) {
		struct group *g = &r->g[i];

		for (size_t k = 0; k < g->ncol; k++) {
			free(g->col[k].mode);
			free(g->col[k].label);
			free(g->col[k].vkey);
		}
		for (size_t k = 0; k < g->ncell; k++) {
			free(g->cell[k].rate.v);
			for (int l = 0; l < NLAT; l++)
				free(g->cell[k].lat[l].v);
			free(g->cell[k].buckets);
		}
		free(g->col);
		free(g->cell);
		free(g->item);
		free(g->env_key);
		json_decref(g->env);
	}
	free(r->g);
}

int report_write(const struct rset *s, const char *outdir, bool quiet, struct fb_err *err)
{
	struct report r = { .s = s, .err = err };
	json_t *counts = s->index ? json_object_get(s->index, "counts") : NULL;
	const char *state = s->index ? json_string_value(json_object_get(s->index, "state")) : NULL;
	size_t nok = 0;
	int rc;

	snprintf(r.root, sizeof(r.root), "%s", outdir);
	if ((rc = mkdirs(&r)))
		return rc;
	rc = build(&r);
	if (rc) {
		fb_errf(err, "out of memory");
		free_report(&r);
		return rc;
	}
	host_lines(&r);
	gnuplot_init(&r.gp);
	r.md = open_out(&r, "index.md");
	r.html = open_out(&r, "index.html");
	if (!r.md || !r.html) {
		if (r.md)
			fclose(r.md);
		if (r.html)
			fclose(r.html);
		free_report(&r);
		return -EIO;
	}
	for (size_t i = 0; i < s->n; i++)
		nok += !strcmp(s->it[i].state, "ok");

	fprintf(r.md, "# faultbench report: %s\n\n", s->name);
	fprintf(r.html, "%s<h1>faultbench report: ", html_head);
	html_escape(r.html, s->name);
	fprintf(r.html, "</h1>\n");
	{
		char line[1024];

		snprintf(line, sizeof(line), "Result set %s: %zu configurations, %zu measured%s%s%s. %s",
			 s->dir, s->n, nok, state ? "; suite " : "", state ? state : "",
			 counts && json_integer_value(json_object_get(counts, "failed")) ?
				 " (some failed: see Not measured)" : "",
			 r.gp.note);
		fprintf(r.md, "%s\n\n%s\n\n", line, r.host_line);
		fprintf(r.html, "<p>");
		html_escape(r.html, line);
		fprintf(r.html, "</p>\n<p class=\"note\">");
		html_escape(r.html, r.host_line);
		fprintf(r.html, "</p>\n");
	}
	if (r.ng > 1) {
		fprintf(r.md, "Experiments:\n\n");
		fprintf(r.html, "<ul>\n");
		for (size_t i = 0; i < r.ng; i++) {
			fprintf(r.md, "- %s\n", r.g[i].title);
			fprintf(r.html, "<li><a href=\"#%s\">", r.g[i].slug);
			html_escape(r.html, r.g[i].title);
			fprintf(r.html, "</a></li>\n");
		}
		fprintf(r.md, "\n");
		fprintf(r.html, "</ul>\n");
	}
	for (size_t i = 0; i < r.ng; i++)
		section(&r, &r.g[i]);
	if (!r.ng) {
		fprintf(r.md, "_No configuration was measured: nothing to tabulate._\n\n");
		fprintf(r.html, "<p>No configuration was measured: nothing to tabulate.</p>\n");
	}
	wpcost_section(&r);
	micro_section(&r);
	not_measured(&r);
	fprintf(r.html, "</body></html>\n");
	close_out(&r, r.md, "index.md");
	close_out(&r, r.html, "index.html");
	if (!quiet) {
		printf("report: %s/index.html (and index.md)\n", r.root);
		printf("  tables: %s/tables/ (%u table%s; .md .tex .csv)\n", r.root, r.ntables,
		       r.ntables == 1 ? "" : "s");
		printf("  plots:  %s/plots/ (%u plot%s; %s%s%s)\n", r.root, r.nplots, r.nplots == 1 ? "" : "s",
		       r.gp.png_term[0] ? ".png" : "", r.gp.png_term[0] && r.gp.svg ? " " : "", r.gp.svg ? ".svg" : "");
		if (r.gp.note[0])
			printf("  %s\n", r.gp.note);
	}
	rc = r.rc;
	free_report(&r);
	return rc;
}
