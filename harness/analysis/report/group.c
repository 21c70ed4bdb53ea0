/* The report's experiments: a result set's measured runs grouped by what
 * they measured (backing, size, workload, …: report_env_keys below); inside a
 * group, rows are vCPU counts and columns are modes, a mode split further
 * by any other setting that varies among its own results (uffd=per-vcpu,
 * exit=bitmap, …). No mode is named here except the reference column of
 * the ratios (REPORT_REF_MODE). */
#include "kind.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hist.h"
#include "modes/mode.h"

/* Settings that change what is measured: results differing in one of these
 * are different experiments and go to different tables. */
const char *const report_env_keys[] = {
	"backing", "hugepage_bytes", "size_bytes", "per_vcpu", "overlap", "workload", "access",
	"touch", "numa", "pin", "zero_fraction", "zero_run_bytes", "balloon", "service_delay_us",
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

const size_t report_env_keys_count = FB_ARRAY_SIZE(report_env_keys);

#define IS_ENV(k) in(k, report_env_keys, report_env_keys_count)
#define IS_IGNORED(k) in(k, ignore_keys, FB_ARRAY_SIZE(ignore_keys))

/* ---- samples ---- */

int dvec_push(struct dvec *d, double x)
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

double dvec_median(struct dvec *d)
{
	if (!d->n)
		return NAN;
	qsort(d->v, d->n, sizeof(double), cmp_d);
	return d->n % 2 ? d->v[d->n / 2] : (d->v[d->n / 2 - 1] + d->v[d->n / 2]) / 2;
}

double dvec_min(struct dvec *d)
{
	dvec_median(d);
	return d->n ? d->v[0] : NAN;
}

double dvec_max(struct dvec *d)
{
	dvec_median(d);
	return d->n ? d->v[d->n - 1] : NAN;
}

/* ---- groups, columns, cells ---- */

static const char *const lat_json[NLAT] = { "p50", "p90", "p99", "p999", "max" };

char *report_config_str(json_t *cfg, const char *k)
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

	for (size_t i = 0; i < report_env_keys_count; i++) {
		json_t *v = json_object_get(cfg, report_env_keys[i]);

		if (v)
			json_object_set(env, report_env_keys[i], v);
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

json_t *report_default_config(void)
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
		char *v = report_config_str(cfg, k);

		json_object_set(vals, k, json_object_get(cfg, k));
		nondefault += !json_equal(json_object_get(cfg, k), json_object_get(report_default_config(), k));
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

static double num_at(json_t *o, const char *a, const char *b)
{
	return json_number_value(json_object_get(json_object_get(o, a), b));
}

/* What the repetition's setup_seconds holds, from its parts. A part counts
 * when it took any time; the rest of the mode's setup when it is more than
 * a tenth of the whole (a populate's own bookkeeping is not). */
static unsigned setup_of(json_t *run)
{
	double total = num_at(run, "aggregate", "setup_seconds");
	double reg = num_at(run, "setup", "register_seconds");
	double pop = num_at(run, "setup", "populate_seconds");
	double wp = num_at(run, "mode_data", "writeprotect_seconds");
	double mode = num_at(run, "setup", "mode_setup_seconds");
	unsigned parts = 0;

	parts |= reg > 0 ? SETUP_REGISTER : 0;
	parts |= wp > 0 ? SETUP_WP : 0;
	parts |= pop > 0 ? SETUP_POPULATE : 0;
	if (total > 0 && mode - reg - wp - pop > total / 10)
		parts |= SETUP_OTHER;
	return parts;
}

/* runs[].mapped: whether the kernel mapped the page size asked for. */
static void add_mapped(struct cell *c, json_t *m)
{
	json_t *frac = json_object_get(m, "huge_fraction");
	uint64_t unit = (uint64_t)json_integer_value(json_object_get(m, "rate_page_bytes"));

	if (!json_is_true(json_object_get(m, "huge_short")))
		return;
	if (!c->huge_short) {
		c->huge_min = INFINITY;
		c->huge_max = -INFINITY;
		c->rate_page_bytes = unit;
	}
	c->huge_short = true;
	c->asked_bytes = (uint64_t)json_integer_value(json_object_get(m, "page_bytes"));
	c->rate_page_varies |= unit != c->rate_page_bytes;
	if (json_is_number(frac)) {
		c->huge_min = fmin(c->huge_min, json_number_value(frac));
		c->huge_max = fmax(c->huge_max, json_number_value(frac));
	}
}

/* runs[].fault_anatomy: absent in files of earlier versions, and
 * available false where the host could not measure it. */
static int add_anatomy(struct cell *c, json_t *fa)
{
	static const char *const part_json[NPART] = { "delivery_ns", "service_ns", "wake_ns" };
	int rc = 0;

	if (!json_is_true(json_object_get(fa, "available")))
		return 0;
	for (int p = 0; p < NPART; p++)
		rc |= dvec_push(&c->part[p], num_at(fa, part_json[p], "p50") / 1e3);
	c->matched += (uint64_t)json_integer_value(json_object_get(fa, "matched"));
	c->unmatched += (uint64_t)json_integer_value(json_object_get(fa, "unmatched"));
	c->resumed_first += (uint64_t)json_integer_value(json_object_get(fa, "resumed_first"));
	return rc;
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
		/* the rates as the file has them, in the page size the kernel
		 * mapped (runs[].mapped); never recomputed from config.page_bytes */
		double scale = g->gib ? 1 : 1e3;
		double touch = num_at(run, "aggregate", g->gib ? "paging_rate_gibps" : "paging_rate_pps");
		json_t *usable = json_object_get(agg, g->gib ? "paging_rate_usable_gibps" :
							     "paging_rate_usable_pps");

		if (json_is_true(json_object_get(run, "warmup")))
			continue;
		n++;
		rc |= dvec_push(&c->touch, touch / scale);
		if (json_is_number(usable)) {
			rc |= dvec_push(&c->rate, json_number_value(usable) / scale);
			c->setup |= setup_of(run);
		} else {
			/* written before setup time was recorded */
			rc |= dvec_push(&c->rate, touch / scale);
			c->touch_only++;
		}
		add_mapped(c, json_object_get(run, "mapped"));
		rc |= add_anatomy(c, json_object_get(run, "fault_anatomy"));
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

int report_groups_build(struct report *r)
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
	report_name_groups(r);
	return 0;
}

struct cell *group_cell(struct group *g, size_t col, long v)
{
	for (size_t i = 0; i < g->ncell; i++)
		if (g->cell[i].col == col && g->cell[i].vcpus == v)
			return &g->cell[i];
	return NULL;
}

bool group_oversub(struct group *g, long v)
{
	for (size_t c = 0; c < g->ncol; c++) {
		struct cell *x = group_cell(g, c, v);

		if (x && x->oversub)
			return true;
	}
	return false;
}

/* A log y axis when the medians span more than this: a populate line
 * would otherwise flatten every other one onto the x axis. */
#define YLOG_SPAN 30

int report_ylog(struct group *g)
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

void report_groups_free(struct report *r)
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
			free(g->cell[k].touch.v);
			for (int p = 0; p < NPART; p++)
				free(g->cell[k].part[p].v);
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
