/* `faultbench compare A B`: two result sets side by side, configuration by
 * configuration, as Markdown. A configuration is its whole config object
 * minus what only says how often or how carefully it was measured. For a
 * verdict with statistics, see `faultbench gate`. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report.h"
#include "table.h"

static const char *const not_identity[] = {
	"seed", "reps", "warmup", "verify", "record_latency", "fault_timeout_s",
	"reserve_hugepages", "allow_overcommit", "test_slowdown_ns",
	/* derived from the others */
	"page_bytes", "total_bytes", "slice_pages", "handlers",
};
/* Already in the label's first words. */
static const char *const label_keys[] = { "mode", "backing", "hugepage_bytes", "vcpus", "size_bytes",
					  "per_vcpu", "overlap" };

static bool listed(const char *k, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k, l[i]))
			return true;
	return false;
}

static char *identity(json_t *cfg)
{
	json_t *c = json_deep_copy(cfg);
	char *s;

	for (size_t i = 0; i < FB_ARRAY_SIZE(not_identity); i++)
		json_object_del(c, not_identity[i]);
	s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(c);
	return s;
}

static void value_text(json_t *v, const char *k, char *buf, size_t n)
{
	if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_integer(v) && strstr(k, "_bytes"))
		fb_fmt_size((uint64_t)json_integer_value(v), buf, n);
	else if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_number(v))
		snprintf(buf, n, "%g", json_number_value(v));
	else
		snprintf(buf, n, "?");
}

/* "uffd-stock anon 2v 64M" and every setting that is not the default. */
static void label(json_t *cfg, json_t *defaults, char *buf, size_t n)
{
	const char *backing = json_string_value(json_object_get(cfg, "backing"));
	char sz[32], hp[32] = "";
	const char *k;
	json_t *v;
	size_t off;

	if (backing && strstr(backing, "hugetlb"))
		value_text(json_object_get(cfg, "hugepage_bytes"), "hugepage_bytes", hp, sizeof(hp));
	value_text(json_object_get(cfg, "size_bytes"), "size_bytes", sz, sizeof(sz));
	off = (size_t)snprintf(buf, n, "%s %s%s%s %lldv %s%s",
			       json_string_value(json_object_get(cfg, "mode")), backing ? backing : "?",
			       hp[0] ? " " : "", hp, (long long)json_integer_value(json_object_get(cfg, "vcpus")),
			       sz, json_is_true(json_object_get(cfg, "per_vcpu")) ? "/vCPU" :
				   json_is_true(json_object_get(cfg, "overlap")) ? " shared" : "");
	json_object_foreach(cfg, k, v) {
		char t[64];

		if (off >= n || listed(k, label_keys, FB_ARRAY_SIZE(label_keys)) ||
		    listed(k, not_identity, FB_ARRAY_SIZE(not_identity)) ||
		    json_equal(v, json_object_get(defaults, k)))
			continue;
		value_text(v, k, t, sizeof(t));
		off += (size_t)snprintf(buf + off, n - off, " %s=%s", k, t);
	}
}

static double summary_median(json_t *doc, const char *fig)
{
	json_t *m = json_object_get(json_object_get(json_object_get(doc, "summary"), fig), "median");

	return json_is_number(m) ? json_number_value(m) : NAN;
}

static void fig(struct table *t, size_t col, const struct rs_item *it, double v, int digits)
{
	/* a dash for "no result" and for "no figure": the same cell on purpose */
	if (!it)
		/* NOLINTNEXTLINE(bugprone-branch-clone) */
		table_set(t, col, "–");
	else if (strcmp(it->state, "ok"))
		table_set(t, col, "%s", it->state);
	else if (isnan(v))
		table_set(t, col, "–");
	else
		table_set(t, col, "%.*f", digits, v);
}

static void change(struct table *t, size_t col, double a, double b)
{
	if (isnan(a) || isnan(b) || a == 0)
		table_set(t, col, "–");
	else
		table_set(t, col, "%+.1f%%", (b - a) / a * 100);
}

static void set_line(FILE *f, const char *tag, const struct rset *s)
{
	json_t *h = s->host;

	fprintf(f, "- **%s**: `%s` (%s), host %s, Linux %s\n", tag, s->dir, s->name,
		json_string_value(json_object_get(h, "fingerprint")) ?: "?",
		json_string_value(json_object_get(json_object_get(h, "kernel"), "release")) ?: "?");
}

/* Files of other commands (a snapshot's, wpcost's): their figures are not
 * the paging rate and p99 compared here; say they were left out. */
static void not_compared(FILE *f, const char *side, const struct rset *s, char **keys)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->it[i].doc && !keys[i];
	if (n)
		fprintf(f, "\nNot compared: %zu file%s in %s other than `faultbench run` results "
			"(`faultbench report` shows them).\n", n, n == 1 ? "" : "s", side);
}

int compare_write(FILE *f, const struct rset *a, const struct rset *b)
{
	struct fb_config dc;
	json_t *defaults;
	char **ka = calloc(a->n + 1, sizeof(char *)), **kb = calloc(b->n + 1, sizeof(char *));
	bool *used = calloc(b->n + 1, sizeof(bool));
	const char *fa, *fb;
	size_t only_a = 0, only_b = 0, both = 0;
	struct table t = { 0 };
	int rc = -ENOMEM;

	config_defaults(&dc);
	defaults = config_to_json(&dc);
	if (!ka || !kb || !used || !defaults || table_init(&t, 7, 1))
		goto out;
	for (size_t i = 0; i < a->n; i++)
		if (a->it[i].doc && !strcmp(a->it[i].command, "run"))
			ka[i] = identity(json_object_get(a->it[i].doc, "config"));
	for (size_t i = 0; i < b->n; i++)
		if (b->it[i].doc && !strcmp(b->it[i].command, "run"))
			kb[i] = identity(json_object_get(b->it[i].doc, "config"));

	fprintf(f, "## faultbench compare\n\n");
	set_line(f, "A", a);
	set_line(f, "B", b);
	fa = json_string_value(json_object_get(a->host, "fingerprint"));
	fb = json_string_value(json_object_get(b->host, "fingerprint"));
	if (fa && fb && strcmp(fa, fb))
		fprintf(f, "\n**Different hosts** (fingerprints differ): changes mix the machine and the code.\n");
	fprintf(f, "\nPaging rate in k pages/s and first-touch p99 in µs, medians over repetitions; "
		"change = (B − A) / A.\n\n");

	table_head(&t, 0, "configuration");
	table_head(&t, 1, "A k pages/s");
	table_head(&t, 2, "B k pages/s");
	table_head(&t, 3, "change");
	table_head(&t, 4, "A p99 µs");
	table_head(&t, 5, "B p99 µs");
	table_head(&t, 6, "change");
	for (size_t i = 0; i < a->n; i++) {
		const struct rs_item *x = &a->it[i], *y = NULL;
		char lab[512];

		if (!ka[i])
			continue;
		for (size_t j = 0; j < b->n && !y; j++) {
			if (kb[j] && !used[j] && !strcmp(ka[i], kb[j])) {
				y = &b->it[j];
				used[j] = true;
			}
		}
		if (!y) {
			only_a++;
			continue;
		}
		both++;
		label(json_object_get(x->doc, "config"), defaults, lab, sizeof(lab));
		if (table_add_row(&t))
			goto out;
		table_set(&t, 0, "%s", lab);
		{
			double ra = summary_median(x->doc, "paging_rate_pps") / 1e3;
			double rb = summary_median(y->doc, "paging_rate_pps") / 1e3;
			double pa = summary_median(x->doc, "fault_lat_p99_ns") / 1e3;
			double pb = summary_median(y->doc, "fault_lat_p99_ns") / 1e3;
			bool ok = !strcmp(x->state, "ok") && !strcmp(y->state, "ok");

			fig(&t, 1, x, ra, 1);
			fig(&t, 2, y, rb, 1);
			change(&t, 3, ok ? ra : NAN, rb);
			fig(&t, 4, x, pa, 2);
			fig(&t, 5, y, pb, 2);
			change(&t, 6, ok ? pa : NAN, pb);
		}
	}
	if (both)
		table_md(&t, f);
	else
		fprintf(f, "_No configuration is in both sets._\n");
	for (size_t j = 0; j < b->n; j++)
		only_b += kb[j] && !used[j];
	if (only_a || only_b) {
		char lab[512];
		bool seen = false;

		fprintf(f, "\nOnly in A (%zu):", only_a);
		for (size_t i = 0; i < a->n; i++) {
			bool matched = false;

			if (!ka[i])
				continue;
			for (size_t j = 0; j < b->n && !matched; j++)
				matched = kb[j] && !strcmp(ka[i], kb[j]);
			if (matched)
				continue;
			label(json_object_get(a->it[i].doc, "config"), defaults, lab, sizeof(lab));
			fprintf(f, "%s %s", seen ? "," : "", lab);
			seen = true;
		}
		fprintf(f, "%s\n\nOnly in B (%zu):", only_a ? "" : " none", only_b);
		seen = false;
		for (size_t j = 0; j < b->n; j++) {
			if (!kb[j] || used[j])
				continue;
			label(json_object_get(b->it[j].doc, "config"), defaults, lab, sizeof(lab));
			fprintf(f, "%s %s", seen ? "," : "", lab);
			seen = true;
		}
		fprintf(f, "%s\n", only_b ? "" : " none");
	}
	not_compared(f, "A", a, ka);
	not_compared(f, "B", b, kb);
	rc = 0;
out:
	for (size_t i = 0; ka && i < a->n; i++)
		free(ka[i]);
	for (size_t i = 0; kb && i < b->n; i++)
		free(kb[i]);
	free(ka);
	free(kb);
	free(used);
	json_decref(defaults);
	table_free(&t);
	return rc;
}
