/* Write-protect cost, from `faultbench wpcost` results: the time to
 * write-protect an empty range per strategy, a table and bars
 * (plots/wpcost.gp). Says so when the set has no such results. */
#include "kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* One row of a wpcost file: `faultbench wpcost` writes results[] =
 * {thp, way, state, median: {wp_us, prefault_us, ...}} beside the
 * reference's figures; older sets hold strategies[] = {name, wp_*,
 * prefault_*}. Fills label, wp, pre and ref (NAN: none); false: skip. */
static bool wp_row(json_t *doc, json_t *e, char *label, size_t n, double *wp, double *pre,
		   double *ref)
{
	const char *name = json_string_value(json_object_get(e, "name"));
	const char *thp = json_string_value(json_object_get(e, "thp"));
	const char *way = json_string_value(json_object_get(e, "way"));
	json_t *med = json_object_get(e, "median");
	char key[32];

	*pre = 0;
	*ref = NAN;
	if (name) {
		snprintf(label, n, "%s", name);
		if (!wp_time(e, "wp", wp))
			return false;
		wp_time(e, "prefault", pre);
		return true;
	}
	if (!thp || !way || !json_is_object(med) || !wp_time(med, "wp", wp))
		return false;
	wp_time(med, "prefault", pre);
	snprintf(label, n, "THP %s, %s", thp, way);
	snprintf(key, sizeof(key), "thp_%s", thp);
	wp_time(json_object_get(json_object_get(json_object_get(doc, "reference"), key), way), "total",
		ref);
	return true;
}

static json_t *wp_entries(json_t *doc)
{
	json_t *st = json_object_get(doc, "strategies");

	return json_is_array(st) ? st : json_object_get(doc, "results");
}

static void wpcost_section(struct report *r, struct group *g)
{
	size_t nfiles = 0, nrows = 0;
	char rel[64] = "plots/data/write-protect-cost.dat", vars[4096], titles[1200], a[32], b[32];
	struct table t;
	FILE *f = NULL;

	(void)g; /* once per set */
	fprintf(r->md, "## Write-protect cost\n\n");
	fprintf(r->html, "<h2>Write-protect cost</h2>\n");
	for (size_t i = 0; i < r->s->n; i++)
		nfiles += r->s->it[i].doc && json_is_array(wp_entries(r->s->it[i].doc));
	if (!nfiles || table_init(&t, 4, 1)) {
		const char *msg = "No `faultbench wpcost` results in this set (the paper suite's [wp-cost] "
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
	table_head(&t, 3, "reference, pre-fault + write-protect (µs)");
	f = report_open(r, rel);
	if (f)
		fprintf(f, "# write-protect cost per strategy: label wp_us prefault_us\n");
	for (size_t i = 0; i < r->s->n; i++) {
		json_t *doc = r->s->it[i].doc, *st = wp_entries(doc), *e;
		size_t j;

		if (!json_is_array(st))
			continue;
		json_array_foreach(st, j, e) {
			double wp = NAN, pre = 0, ref = NAN;
			char name[128], label[256];

			if (!wp_row(doc, e, name, sizeof(name), &wp, &pre, &ref))
				continue;
			if (nfiles > 1)
				snprintf(label, sizeof(label), "%s (%s)", name, r->s->it[i].id);
			else
				snprintf(label, sizeof(label), "%s", name);
			if (table_add_row(&t))
				break;
			table_set(&t, 0, "%s", label);
			table_set(&t, 1, "%s", report_num(pre, a, sizeof(a)));
			table_set(&t, 2, "%s", report_num(wp, b, sizeof(b)));
			table_set(&t, 3, "%s", isnan(ref) ? "" : report_num(ref, a, sizeof(a)));
			if (f)
				fprintf(f, "\"%s\" %.6g %.6g\n", label, wp, pre);
			nrows++;
		}
	}
	report_close(r, f, rel);
	if (asprintf(&t.caption, "Time to write-protect an empty range, per strategy "
		     "(`faultbench wpcost`); µs.") < 0)
		t.caption = NULL;
	t.note = strdup(r->host_line);
	if (nrows) {
		FILE *tf;

		if ((tf = report_open(r, "tables/write-protect-cost.md"))) {
			table_md(&t, tf);
			report_close(r, tf, "tables/write-protect-cost.md");
		}
		if ((tf = report_open(r, "tables/write-protect-cost.tex"))) {
			table_tex(&t, tf);
			report_close(r, tf, "tables/write-protect-cost.tex");
		}
		table_md(&t, r->md);
		fprintf(r->md, "\nFiles: [Markdown](tables/write-protect-cost.md) · [LaTeX](tables/write-protect-cost.tex) · "
			"[data](plots/data/write-protect-cost.dat)\n\n");
		table_html(&t, r->html);
		r->ntables++;
		report_title_vars(titles, sizeof(titles), "Write-protect cost of an empty range", r->host_short);
		snprintf(vars, sizeof(vars), "%s", titles);
		if (report_plot(r, "wpcost", "write-protect-cost", rel, vars))
			report_embed_plot(r, "write-protect-cost", "Write-protect cost per strategy");
		else
			report_plot_failed(r, "Write-protect cost");
	} else {
		fprintf(r->md, "_wpcost results hold no strategy with a wp time: nothing to show._\n\n");
	}
	table_free(&t);
}

const struct report_kind report_kind_wpcost = {
	.name = "write-protect-cost",
	.scope = REPORT_PER_SET,
	.emit = wpcost_section,
};
