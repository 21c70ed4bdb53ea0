/* A loaded result set (report.h's rset: schema-checked) as the figures
 * every export format writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "analysis/report.h"
#include "export.h"

/* summary.<name>: median, min, max over n measured repetitions; absent
 * (or n 0) in a result that did not measure it */
static void fig_from(json_t *summary, const char *name, struct export_fig *x)
{
	json_t *st = json_object_get(summary, name);
	json_t *med = json_object_get(st, "median"), *lo = json_object_get(st, "min"),
	       *hi = json_object_get(st, "max"), *n = json_object_get(st, "n");

	x->have = json_is_number(med) && json_is_number(lo) && json_is_number(hi) &&
		  json_integer_value(n) > 0;
	if (!x->have)
		return;
	x->value = json_number_value(med);
	x->lo = json_number_value(lo);
	x->hi = json_number_value(hi);
	x->n = (long)json_integer_value(n);
}

/* When the set was measured: the suite's start, as its index says it
 * (UTC, "2026-11-24T20:19:16Z"); without an index, when the newest of its
 * result files was written. */
static int set_time(const struct rset *rs, time_t *t, struct fb_err *err)
{
	const char *started = json_string_value(json_object_get(rs->index, "started"));

	*t = 0;
	if (started) {
		struct tm tm;
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(started, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (!end || *end) {
			fb_errf(err, "%s/index.json: started: '%s' is not a UTC time as YYYY-MM-DDTHH:MM:SSZ",
				rs->dir, started);
			return -EINVAL;
		}
		*t = timegm(&tm);
		return 0;
	}
	for (size_t i = 0; i < rs->n; i++) {
		struct stat st;

		if (rs->it[i].path && !stat(rs->it[i].path, &st) && st.st_mtime > *t)
			*t = st.st_mtime;
	}
	return 0;
}

int export_collect(const struct rset *rs, struct export_set *out, struct fb_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = set_time(rs, &out->time, err);
	if (rc)
		return rc;
	out->b = calloc(rs->n ? rs->n : 1, sizeof(*out->b));
	if (!out->b)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n; i++) {
		const struct rs_item *it = &rs->it[i];
		struct export_bench *b = &out->b[out->n];
		json_t *summary;
		bool any = false;

		/* measured runs only: skipped or failed ones have no figures,
		 * and other commands' files are not results */
		if (!it->doc || strcmp(it->command, "run") || strcmp(it->state, "ok"))
			continue;
		summary = json_object_get(it->doc, "summary");
		for (size_t m = 0; m < EXPORT_NMEASURES; m++) {
			fig_from(summary, export_measures[m].name, &b->fig[m]);
			any |= b->fig[m].have;
		}
		if (!any)
			continue;
		b->id = strdup(it->id);
		if (!b->id)
			return -ENOMEM;
		out->n++;
	}
	if (!out->n) {
		fb_errf(err, "%s: no measured configuration (a `run` result in state ok) to export",
			rs->dir);
		return -EINVAL;
	}
	return 0;
}

void export_set_free(struct export_set *s)
{
	for (size_t i = 0; s->b && i < s->n; i++)
		free(s->b[i].id);
	free(s->b);
	s->b = NULL;
	s->n = 0;
}
