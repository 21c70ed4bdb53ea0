/* Postcopy: for runs whose mode_data splits fault latency by how the page
 * came (urgent_lat_ns and stream_lat_ns, results/schema.json's
 * $defs/mode_data_postcopy), one row per configuration (memory, guest
 * size, workload, link, link bandwidth and delay, precopy share, receivers,
 * vCPUs, preempt, and any other setting that differs, such as the handler)
 * with the medians over repetitions of each repetition's
 * figure: urgent and stream-resolved fault latency, blocktime, migration
 * time, bytes sent, requests, EEXIST and EAGAIN; a table, and the latency
 * CDFs of both classes from the merged histogram buckets
 * (plots/postcopy-cdf.gp). Sets without such runs get neither. */
#include "kind.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

/* What sets one configuration apart, in the order a label names them. */
enum pc_part { P_MEMORY, P_SIZE, P_WORKLOAD, P_LINK, P_BW, P_DELAY, P_PRECOPY, P_RECEIVERS,
	       P_VCPUS, P_PREEMPT, NPARTS };

enum pc_class { C_URGENT, C_STREAM, NCLASS };
static const char *const class_name[NCLASS] = { "urgent", "stream" };
static const char *const class_json[NCLASS] = { "urgent_lat_ns", "stream_lat_ns" };

/* Per repetition, in the table's units. */
enum pc_fig { F_URG_MEAN, F_URG_P50, F_URG_P99, F_URG_N, F_STR_P50, F_STR_P99, F_STR_N, F_BLOCK,
	      F_BLOCK_VCPU, F_MIGR, F_SENT, F_REQ, F_DEDUP, F_EEXIST, F_EAGAIN, NFIG };
static const char *const fig_csv[NFIG] = {
	"urgent_mean_us", "urgent_p50_us", "urgent_p99_us", "urgent_faults", "stream_p50_us",
	"stream_p99_us", "stream_faults", "blocktime_ms", "blocktime_per_vcpu_ms", "migration_ms",
	"bytes_sent", "requests_sent", "requests_deduped", "eexist", "eagain",
};
/* The Markdown columns after the configuration's, and what each shows;
 * count: a whole number (a median of two counts may end in .5). */
static const struct {
	const char *head;
	enum pc_fig fig;
	double scale;
	bool count;
} md_col[] = {
	{ "urgent mean", F_URG_MEAN, 1, false },  { "urgent p50", F_URG_P50, 1, false },
	{ "urgent p99", F_URG_P99, 1, false },    { "stream p50", F_STR_P50, 1, false },
	{ "stream p99", F_STR_P99, 1, false },    { "blocktime (ms)", F_BLOCK, 1, false },
	{ "per vCPU (ms)", F_BLOCK_VCPU, 1, false }, { "migration (ms)", F_MIGR, 1, false },
	{ "sent (MiB)", F_SENT, 1.0 / FB_MiB, false }, { "requests", F_REQ, 1, true },
	{ "deduplicated", F_DEDUP, 1, true },     { "EEXIST", F_EEXIST, 1, true },
	{ "EAGAIN", F_EAGAIN, 1, true },
};

/* Config keys the parts above cover, and keys that never set results
 * apart (how often or how carefully it was measured, where files went).
 * Any other key that differs (handler, resolve, mode, ...) makes another
 * row and is named in the labels. */
static const char *const named_keys[] = {
	"backing", "page_bytes", "hugepage_bytes", "total_bytes", "size_bytes", "per_vcpu", "workload",
	"access", "link", "link_bw_bps", "link_delay_us", "precopy", "receivers", "vcpus", "preempt",
};
static const char *const ignored_keys[] = {
	"reps", "warmup", "seed", "verify", "record_latency", "fault_timeout_s", "reserve_hugepages",
	"allow_overcommit", "slice_pages", "test_slowdown_ns", "image_file",
};

struct pcrow {
	json_t *cfg;               /* the first file's config */
	json_t *extra;             /* its other keys (named_keys and ignored_keys left out) */
	char *extra_key;           /* extra as compact JSON, keys sorted */
	uint64_t page_bytes, total_bytes, bw_bps, delay_us;
	double precopy;
	long receivers, vcpus;
	bool preempt;
	char part[NPARTS][80];
	char label[512];
	struct dvec fig[NFIG];
	uint64_t *buckets[NCLASS]; /* merged over measured repetitions, HIST_BUCKETS */
	unsigned reps;
};

struct pcset {
	struct pcrow *row;
	size_t n;
	bool varies[NPARTS];
};

static json_t *pc_mode_data(json_t *run)
{
	json_t *md = json_object_get(run, "mode_data");

	return json_is_object(json_object_get(md, class_json[C_URGENT])) &&
	       json_is_object(json_object_get(md, class_json[C_STREAM])) ? md : NULL;
}

/* Whether a file holds a measured repetition with postcopy figures. */
static bool pc_file(const struct rs_item *it)
{
	json_t *run;
	size_t i;

	if (!it->doc || strcmp(it->state, "ok"))
		return false;
	json_array_foreach(json_object_get(it->doc, "runs"), i, run)
		if (!json_is_true(json_object_get(run, "warmup")) && pc_mode_data(run))
			return true;
	return false;
}

static bool applies(const struct report *r, const struct group *g)
{
	(void)g; /* once per set */
	for (size_t i = 0; i < r->s->n; i++)
		if (pc_file(&r->s->it[i]))
			return true;
	return false;
}

static uint64_t cfg_u64(json_t *cfg, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(cfg, k));

	return v > 0 ? (uint64_t)v : 0;
}

static void fmt_bw(uint64_t bps, char *buf, size_t n)
{
	if (!bps)
		snprintf(buf, n, "unpaced");
	else if (bps >= 1000000000)
		snprintf(buf, n, "%g Gbit/s", (double)bps / 1e9);
	else if (bps >= 1000000)
		snprintf(buf, n, "%g Mbit/s", (double)bps / 1e6);
	else
		snprintf(buf, n, "%g kbit/s", (double)bps / 1e3);
}

/* The row's identity from its config: the numbers to sort by and the
 * words a label and a caption are made of. */
static bool listed(const char *k, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k, list[i]))
			return true;
	return false;
}

/* -ENOMEM, else 0 with w->extra and w->extra_key set. */
static int row_extra(struct pcrow *w, json_t *cfg)
{
	const char *k;
	json_t *v;

	if (!(w->extra = json_object()))
		return -ENOMEM;
	json_object_foreach(cfg, k, v)
		if (!listed(k, named_keys, FB_ARRAY_SIZE(named_keys)) &&
		    !listed(k, ignored_keys, FB_ARRAY_SIZE(ignored_keys)) &&
		    json_object_set(w->extra, k, v))
			return -ENOMEM;
	w->extra_key = json_dumps(w->extra, JSON_SORT_KEYS | JSON_COMPACT);
	return w->extra_key ? 0 : -ENOMEM;
}

static int row_init(struct pcrow *w, json_t *cfg)
{
	const char *backing = json_string_value(json_object_get(cfg, "backing"));
	const char *link = json_string_value(json_object_get(cfg, "link"));
	const char *wl = json_string_value(json_object_get(cfg, "workload"));
	const char *access = json_string_value(json_object_get(cfg, "access"));
	char a[32], b[32];

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->page_bytes = cfg_u64(cfg, "page_bytes");
	w->total_bytes = cfg_u64(cfg, "total_bytes");
	w->bw_bps = cfg_u64(cfg, "link_bw_bps");
	w->delay_us = cfg_u64(cfg, "link_delay_us");
	w->precopy = json_number_value(json_object_get(cfg, "precopy"));
	w->receivers = (long)json_integer_value(json_object_get(cfg, "receivers"));
	w->vcpus = (long)json_integer_value(json_object_get(cfg, "vcpus"));
	w->preempt = json_is_true(json_object_get(cfg, "preempt"));
	fb_fmt_size(w->page_bytes, a, sizeof(a));
	snprintf(w->part[P_MEMORY], sizeof(w->part[0]), "%s %s", backing ? backing : "?", a);
	fb_fmt_size(w->total_bytes, b, sizeof(b));
	snprintf(w->part[P_SIZE], sizeof(w->part[0]), "%s guest", b);
	snprintf(w->part[P_WORKLOAD], sizeof(w->part[0]), "%s %s", wl ? wl : "?",
		 access ? access : "?");
	snprintf(w->part[P_LINK], sizeof(w->part[0]), "%s link", link ? link : "?");
	fmt_bw(w->bw_bps, w->part[P_BW], sizeof(w->part[0]));
	snprintf(w->part[P_DELAY], sizeof(w->part[0]), "%llu µs delay",
		 (unsigned long long)w->delay_us);
	snprintf(w->part[P_PRECOPY], sizeof(w->part[0]), "precopy %g", w->precopy);
	snprintf(w->part[P_RECEIVERS], sizeof(w->part[0]), "%ld receiver%s", w->receivers,
		 w->receivers == 1 ? "" : "s");
	snprintf(w->part[P_VCPUS], sizeof(w->part[0]), "%ld vCPU%s", w->vcpus, w->vcpus == 1 ? "" : "s");
	snprintf(w->part[P_PREEMPT], sizeof(w->part[0]), "%s", w->preempt ? "preempt" : "plain");
	return row_extra(w, cfg);
}

static void row_free(struct pcrow *w)
{
	for (int f = 0; f < NFIG; f++)
		free(w->fig[f].v);
	for (int c = 0; c < NCLASS; c++)
		free(w->buckets[c]);
	json_decref(w->extra);
	free(w->extra_key);
}

/* Equal values; numbers by value (0 and 0.0 are one setting: a file
 * rewritten by another JSON tool may turn one into the other). */
static bool same_value(json_t *a, json_t *b)
{
	if (!a || !b)
		return !a && !b;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

/* Every key of a has the same value in b. */
static bool same_extra(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v)
		if (!same_value(v, json_object_get(b, k)))
			return false;
	return true;
}

static bool same_row(const struct pcrow *x, const struct pcrow *y)
{
	for (int p = 0; p < NPARTS; p++)
		if (strcmp(x->part[p], y->part[p]))
			return false;
	return same_extra(x->extra, y->extra) && same_extra(y->extra, x->extra);
}

static int push_num(struct dvec *d, json_t *v, double scale)
{
	return json_is_number(v) ? dvec_push(d, json_number_value(v) * scale) : 0;
}

static int add_buckets(uint64_t **dst, json_t *buckets)
{
	size_t i;
	json_t *b;

	if (!json_array_size(buckets))
		return 0;
	if (!*dst && !(*dst = calloc(HIST_BUCKETS, sizeof(uint64_t))))
		return -ENOMEM;
	json_array_foreach(buckets, i, b) {
		json_int_t lo = json_integer_value(json_array_get(b, 0));
		json_int_t n = json_integer_value(json_array_get(b, 2));

		if (lo >= 0 && n > 0)
			(*dst)[hist_index((uint64_t)lo)] += (uint64_t)n;
	}
	return 0;
}

/* One measured repetition's figures. A class with no fault has no
 * latency (its percentiles would read 0); its count of 0 still counts. */
static int add_run(struct pcrow *w, json_t *md)
{
	json_t *urg = json_object_get(md, class_json[C_URGENT]);
	json_t *str = json_object_get(md, class_json[C_STREAM]);
	json_t *per = json_object_get(md, "blocktime_per_vcpu_ns"), *v;
	double per_sum = 0;
	size_t i;
	int rc = 0;

	if (json_integer_value(json_object_get(urg, "count")) > 0) {
		rc |= push_num(&w->fig[F_URG_MEAN], json_object_get(urg, "mean"), 1e-3);
		rc |= push_num(&w->fig[F_URG_P50], json_object_get(urg, "p50"), 1e-3);
		rc |= push_num(&w->fig[F_URG_P99], json_object_get(urg, "p99"), 1e-3);
	}
	if (json_integer_value(json_object_get(str, "count")) > 0) {
		rc |= push_num(&w->fig[F_STR_P50], json_object_get(str, "p50"), 1e-3);
		rc |= push_num(&w->fig[F_STR_P99], json_object_get(str, "p99"), 1e-3);
	}
	rc |= push_num(&w->fig[F_URG_N], json_object_get(urg, "count"), 1);
	rc |= push_num(&w->fig[F_STR_N], json_object_get(str, "count"), 1);
	rc |= push_num(&w->fig[F_BLOCK], json_object_get(md, "blocktime_ns"), 1e-6);
	json_array_foreach(per, i, v)
		per_sum += json_number_value(v);
	if (json_array_size(per))
		rc |= dvec_push(&w->fig[F_BLOCK_VCPU], per_sum / (double)json_array_size(per) * 1e-6);
	rc |= push_num(&w->fig[F_MIGR], json_object_get(md, "migration_ns"), 1e-6);
	rc |= push_num(&w->fig[F_SENT], json_object_get(md, "bytes_sent"), 1);
	rc |= push_num(&w->fig[F_REQ], json_object_get(md, "requests_sent"), 1);
	rc |= push_num(&w->fig[F_DEDUP], json_object_get(md, "requests_deduped"), 1);
	rc |= push_num(&w->fig[F_EEXIST], json_object_get(md, "eexist"), 1);
	rc |= push_num(&w->fig[F_EAGAIN], json_object_get(md, "eagain"), 1);
	rc |= add_buckets(&w->buckets[C_URGENT], json_object_get(urg, "buckets"));
	rc |= add_buckets(&w->buckets[C_STREAM], json_object_get(str, "buckets"));
	w->reps++;
	return rc ? -ENOMEM : 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* Smaller pages first, plain before preempt last: the pairs the table is
 * read for sit next to each other. */
static int cmp_row(const void *pa, const void *pb)
{
	const struct pcrow *a = pa, *b = pb;
	int c;

	if ((c = cmp_u64(a->page_bytes, b->page_bytes)) || (c = strcmp(a->part[P_MEMORY], b->part[P_MEMORY])) ||
	    (c = cmp_u64(a->total_bytes, b->total_bytes)) ||
	    (c = strcmp(a->part[P_WORKLOAD], b->part[P_WORKLOAD])) ||
	    (c = strcmp(a->part[P_LINK], b->part[P_LINK])) || (c = cmp_u64(a->bw_bps, b->bw_bps)) ||
	    (c = cmp_u64(a->delay_us, b->delay_us)) ||
	    (c = (a->precopy > b->precopy) - (a->precopy < b->precopy)) ||
	    (c = (a->receivers > b->receivers) - (a->receivers < b->receivers)) ||
	    (c = (a->vcpus > b->vcpus) - (a->vcpus < b->vcpus)) ||
	    (c = strcmp(a->extra_key, b->extra_key)))
		return c;
	return (int)a->preempt - (int)b->preempt;
}

static void set_free(struct pcset *s)
{
	for (size_t i = 0; i < s->n; i++)
		row_free(&s->row[i]);
	free(s->row);
}

/* Whether the other key k differs between rows (absent counts as a value). */
static bool extra_varies(const struct pcset *s, const char *k)
{
	json_t *v0 = json_object_get(s->row[0].extra, k);

	for (size_t i = 1; i < s->n; i++)
		if (!same_value(json_object_get(s->row[i].extra, k), v0))
			return true;
	return false;
}

/* ", k=v" to the labels for every other key that differs between rows. */
static void label_extra(struct pcset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *k;
		json_t *v;

		json_object_foreach(s->row[i].extra, k, v) {
			bool seen = false;

			for (size_t j = 0; j < i && !seen; j++)
				seen = json_object_get(s->row[j].extra, k) != NULL;
			if (seen || !extra_varies(s, k))
				continue;
			for (size_t j = 0; j < s->n; j++) {
				struct pcrow *w = &s->row[j];
				char *val = report_config_str(w->extra, k);
				size_t off = strlen(w->label);

				if (off < sizeof(w->label))
					snprintf(w->label + off, sizeof(w->label) - off, ", %s=%s", k,
						 val ? val : "?");
				free(val);
			}
		}
	}
}

/* Labels: the memory and preempt always (what the table is read for),
 * then whatever else differs between rows; the rest goes to the caption. */
static void set_label(struct pcset *s)
{
	for (int p = 0; p < NPARTS; p++)
		for (size_t i = 1; i < s->n; i++)
			s->varies[p] |= strcmp(s->row[i].part[p], s->row[0].part[p]) != 0;
	s->varies[P_MEMORY] = s->varies[P_PREEMPT] = true;
	for (size_t i = 0; i < s->n; i++) {
		struct pcrow *w = &s->row[i];
		size_t off = 0;

		w->label[0] = '\0';
		for (int p = 0; p < NPARTS && off < sizeof(w->label); p++)
			if (s->varies[p])
				off += (size_t)snprintf(w->label + off, sizeof(w->label) - off, "%s%s",
							off ? ", " : "", w->part[p]);
	}
	label_extra(s);
}

static int collect(struct report *r, struct pcset *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < r->s->n; i++) {
		const struct rs_item *it = &r->s->it[i];
		struct pcrow key, *w = NULL;
		json_t *run, *md;
		size_t j;

		if (!pc_file(it))
			continue;
		if (row_init(&key, json_object_get(it->doc, "config"))) {
			row_free(&key);
			return -ENOMEM;
		}
		for (j = 0; j < s->n && !w; j++)
			if (same_row(&s->row[j], &key))
				w = &s->row[j];
		if (w) {
			row_free(&key);
		} else {
			struct pcrow *grown = realloc(s->row, (s->n + 1) * sizeof(*grown));

			if (!grown) {
				row_free(&key);
				return -ENOMEM;
			}
			s->row = grown;
			w = &s->row[s->n++];
			*w = key;
		}
		json_array_foreach(json_object_get(it->doc, "runs"), j, run)
			if (!json_is_true(json_object_get(run, "warmup")) && (md = pc_mode_data(run)) &&
			    add_run(w, md))
				return -ENOMEM;
	}
	if (s->n)
		qsort(s->row, s->n, sizeof(*s->row), cmp_row);
	set_label(s);
	return 0;
}

/* ",value" of a string in the config; "," alone when absent. */
static void csv_str(FILE *f, json_t *cfg, const char *k)
{
	const char *v = json_string_value(json_object_get(cfg, k));

	fputc(',', f);
	csv_field(f, v ? v : "");
}

static void write_csv(struct report *r, struct pcset *s)
{
	const char *rel = "tables/postcopy.csv";
	FILE *f = report_open(r, rel);

	if (!f)
		return;
	fprintf(f, "configuration,mode,backing,page_bytes,total_bytes,workload,access,link,link_bw_bps,"
		"link_delay_us,precopy,receivers,vcpus,preempt,reps");
	for (int k = 0; k < NFIG; k++)
		fprintf(f, ",%s", fig_csv[k]);
	fputc('\n', f);
	for (size_t i = 0; i < s->n; i++) {
		struct pcrow *w = &s->row[i];
		csv_field(f, w->label);
		csv_str(f, w->cfg, "mode");
		csv_str(f, w->cfg, "backing");
		fprintf(f, ",%llu,%llu", (unsigned long long)w->page_bytes,
			(unsigned long long)w->total_bytes);
		csv_str(f, w->cfg, "workload");
		csv_str(f, w->cfg, "access");
		csv_str(f, w->cfg, "link");
		fprintf(f, ",%llu,%llu,%g,%ld,%ld,%s,%u", (unsigned long long)w->bw_bps,
			(unsigned long long)w->delay_us, w->precopy, w->receivers, w->vcpus,
			w->preempt ? "yes" : "no", w->reps);
		for (int k = 0; k < NFIG; k++) {
			double m = dvec_median(&w->fig[k]);

			if (isnan(m))
				fputc(',', f);
			else
				fprintf(f, ",%.4f", m);
		}
		fputc('\n', f);
	}
	report_close(r, f, rel);
}

static int pc_table(struct report *r, struct pcset *s, struct table *t)
{
	char a[32], common[1024] = "", reps[32];
	unsigned reps_min = UINT32_MAX, reps_max = 0;
	size_t off = 0;
	int rc = table_init(t, 1 + FB_ARRAY_SIZE(md_col), 1);

	if (rc)
		return rc;
	table_head(t, 0, "configuration");
	for (size_t k = 0; k < FB_ARRAY_SIZE(md_col); k++)
		table_head(t, 1 + k, "%s", md_col[k].head);
	for (size_t i = 0; i < s->n; i++) {
		struct pcrow *w = &s->row[i];

		reps_min = w->reps < reps_min ? w->reps : reps_min;
		reps_max = w->reps > reps_max ? w->reps : reps_max;
		if ((rc = table_add_row(t)))
			return rc;
		table_set(t, 0, "%s", w->label);
		for (size_t k = 0; k < FB_ARRAY_SIZE(md_col); k++) {
			double m = dvec_median(&w->fig[md_col[k].fig]) * md_col[k].scale;

			if (md_col[k].count && !isnan(m))
				table_set(t, 1 + k, "%.*f", m == floor(m) ? 0 : 1, m);
			else
				table_set(t, 1 + k, "%s", report_num(m, a, sizeof(a)));
		}
	}
	for (int p = 0; p < NPARTS && off < sizeof(common); p++)
		if (!s->varies[p])
			off += (size_t)snprintf(common + off, sizeof(common) - off, "%s%s",
						off ? ", " : "", s->row[0].part[p]);
	report_reps(reps_min, reps_max, reps, sizeof(reps));
	if (asprintf(&t->caption,
		     "Postcopy: the median over %s repetitions of each repetition's figure. Fault "
		     "latency in µs, from the fault thread reading the fault to the page installed: "
		     "urgent, pages sent in answer to a request; stream, pages the background "
		     "stream brought (requested or not); – where no fault was of that class. "
		     "blocktime: all vCPUs blocked on a fault at once (QEMU's blocktime), and per "
		     "vCPU, the vCPUs' mean; migration: switchover to the last page installed; sent: "
		     "all the source wrote after switchover, headers included; requests: page "
		     "requests sent; deduplicated: faults not sent as requests (page already "
		     "requested or received); EEXIST: pages installed twice (stream and urgent); "
		     "EAGAIN: installs retried.%s%s%s", reps, off ? " All rows: " : "",
		     off ? common : "", off ? "." : "") < 0)
		t->caption = NULL;
	t->note = strdup(r->host_line);
	return 0;
}

/* One CDF per configuration and class: colour by configuration, urgent
 * solid and stream dashed. */
static void pc_plot(struct report *r, struct pcset *s)
{
	const char *rel = "plots/data/postcopy-latency-cdf.dat", *base = "postcopy-latency-cdf";
	const char *t1 = "Postcopy fault latency CDF: urgent (solid) and stream-resolved (dashed)";
	char vars[8192], titles[1200], lcs[1024] = "", dts[1024] = "";
	size_t nseries = 0, lo_off = 0, do_off = 0;
	FILE *f = report_open(r, rel);

	if (!f)
		return;
	fprintf(f, "# postcopy fault latency CDFs; one block per configuration and class: upper "
		"bucket bound (us), fraction of that class's faults at or below\n");
	for (size_t i = 0; i < s->n; i++) {
		for (int c = 0; c < NCLASS; c++) {
			uint64_t *b = s->row[i].buckets[c], total = 0, seen = 0;
			bool first = true;

			for (unsigned k = 0; b && k < HIST_BUCKETS; k++)
				total += b[k];
			if (!total)
				continue;
			fprintf(f, "%s\"us\" \"%s: %s\"\n", nseries ? "\n\n" : "", s->row[i].label,
				class_name[c]);
			for (unsigned k = 0; k < HIST_BUCKETS; k++) {
				uint64_t lo, hi;

				if (!b[k])
					continue;
				hist_bucket_bounds(k, &lo, &hi);
				if (first)
					fprintf(f, "%.6g 0\n", (double)(lo ? lo : 1) / 1e3);
				first = false;
				seen += b[k];
				fprintf(f, "%.6g %.6g\n", (double)hi / 1e3, (double)seen / (double)total);
			}
			if (lo_off < sizeof(lcs))
				lo_off += (size_t)snprintf(lcs + lo_off, sizeof(lcs) - lo_off, "%s%zu",
							   lo_off ? " " : "", i % 8 + 1);
			if (do_off < sizeof(dts))
				do_off += (size_t)snprintf(dts + do_off, sizeof(dts) - do_off, "%s%d",
							   do_off ? " " : "", c == C_URGENT ? 1 : 2);
			nseries++;
		}
	}
	report_close(r, f, rel);
	if (!nseries) {
		fprintf(r->md, "_%s: no histogram buckets in these results._\n\n", t1);
		return;
	}
	report_title_vars(titles, sizeof(titles), t1, r->host_short);
	snprintf(vars, sizeof(vars), "nseries=%zu; lcs='%s'; dts='%s'; %s", nseries, lcs, dts, titles);
	if (report_plot(r, "postcopy-cdf", base, rel, vars))
		report_embed_plot(r, base, t1);
	else
		report_plot_failed(r, t1);
}

static void postcopy_section(struct report *r, struct group *g)
{
	struct pcset s;
	struct table t;

	(void)g; /* once per set */
	fprintf(r->md, "## Postcopy\n\n");
	fprintf(r->html, "<h2>Postcopy</h2>\n");
	if (collect(r, &s)) {
		set_free(&s);
		if (!r->rc) {
			fb_errf(r->err, "out of memory");
			r->rc = -ENOMEM;
		}
		return;
	}
	write_csv(r, &s);
	if (!pc_table(r, &s, &t))
		report_emit_table(r, &t, "postcopy", NULL, NULL);
	table_free(&t);
	pc_plot(r, &s);
	set_free(&s);
}

const struct report_kind report_kind_postcopy = {
	.name = "postcopy",
	.scope = REPORT_PER_SET,
	.applies = applies,
	.emit = postcopy_section,
};
