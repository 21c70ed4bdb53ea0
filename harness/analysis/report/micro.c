/* Micro-benchmarks: Google Benchmark JSON (from `make micro`), one row
 * per benchmark. Only when the set holds such results. */
#include "kind.h"

#include <stdlib.h>
#include <string.h>

static bool applies(const struct report *r, const struct group *g)
{
	(void)g;
	for (size_t i = 0; i < r->s->n; i++)
		if (r->s->it[i].doc && json_is_array(json_object_get(r->s->it[i].doc, "benchmarks")))
			return true;
	return false;
}

static void micro_section(struct report *r, struct group *g)
{
	struct table t;
	char a[32], b[32], c[32];
	FILE *f;

	(void)g; /* once per set */
	if (table_init(&t, 5, 1))
		return;
	fprintf(r->md, "## Micro-benchmarks\n\n");
	fprintf(r->html, "<h2>Micro-benchmarks</h2>\n");
	table_head(&t, 0, "benchmark");
	table_head(&t, 1, "real time");
	table_head(&t, 2, "CPU time");
	table_head(&t, 3, "iterations");
	table_head(&t, 4, "items/s");
	f = report_open(r, "tables/micro-benchmarks.csv");
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
				table_set(&t, 1, "%s %s", report_num(json_number_value(json_object_get(e, "real_time")),
							       a, sizeof(a)), unit ? unit : "");
				table_set(&t, 2, "%s %s", report_num(json_number_value(json_object_get(e, "cpu_time")),
							       b, sizeof(b)), unit ? unit : "");
				table_set(&t, 3, "%lld", (long long)json_integer_value(json_object_get(e, "iterations")));
				table_set(&t, 4, "%s", json_is_number(ips) ?
					  report_num(json_number_value(ips), c, sizeof(c)) : "");
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
	report_close(r, f, "tables/micro-benchmarks.csv");
	if (asprintf(&t.caption, "Google Benchmark micro-benchmarks (`make micro`): one operation "
		     "each, time per iteration.") < 0)
		t.caption = NULL;
	t.note = strdup(r->host_line);
	if ((f = report_open(r, "tables/micro-benchmarks.md"))) {
		table_md(&t, f);
		report_close(r, f, "tables/micro-benchmarks.md");
	}
	if ((f = report_open(r, "tables/micro-benchmarks.tex"))) {
		table_tex(&t, f);
		report_close(r, f, "tables/micro-benchmarks.tex");
	}
	table_md(&t, r->md);
	fprintf(r->md, "\nFiles: [Markdown](tables/micro-benchmarks.md) · [LaTeX](tables/micro-benchmarks.tex) · [CSV](tables/micro-benchmarks.csv)\n\n");
	table_html(&t, r->html);
	r->ntables++;
	table_free(&t);
}

const struct report_kind report_kind_micro = {
	.name = "micro-benchmarks",
	.scope = REPORT_PER_SET,
	.applies = applies,
	.emit = micro_section,
};
