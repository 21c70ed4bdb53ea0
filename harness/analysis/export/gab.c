/* github-action-benchmark's custom formats (tool: customBiggerIsBetter or
 * customSmallerIsBetter): a JSON array of
 *   {"name": ..., "unit": ..., "value": ..., "range": "± x", "extra": "..."}
 * One file has one direction, so the rates and the latencies are two
 * formats: `gab` (bigger is better) and `gab-smaller`. The action reads
 * range as "± x" (extractRangeInfo), so x is the larger distance from the
 * median to the min or the max; extra gives both exactly. */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include <jansson.h>

#include "export.h"

static int gab_write(const struct export_format *fmt, FILE *f, const struct export_set *sets,
		     size_t n)
{
	json_t *doc = json_array();
	int rc = doc ? 0 : -ENOMEM;

	(void)n;
	for (size_t i = 0; !rc && i < sets[0].n; i++) {
		const struct export_bench *b = &sets[0].b[i];

		for (size_t m = 0; m < EXPORT_NMEASURES && !rc; m++) {
			const struct export_measure *me = &export_measures[m];
			const struct export_fig *x = &b->fig[m];
			char name[1100], range[64], extra[256];

			if (!x->have || !export_wants(fmt, m))
				continue;
			snprintf(name, sizeof(name), "%s %s", b->id, me->name);
			snprintf(range, sizeof(range), "± %.6g", fmax(x->hi - x->value, x->value - x->lo));
			snprintf(extra, sizeof(extra), "%s: median of %ld repetitions; min %.6g, max %.6g %s",
				 me->what, x->n, x->lo, x->hi, me->unit);
			if (json_array_append_new(doc, json_pack("{s:s, s:s, s:f, s:s, s:s}", "name", name,
								  "unit", me->unit, "value", x->value,
								  "range", range, "extra", extra)))
				rc = -ENOMEM;
		}
	}
	return export_json_out(f, doc, rc);
}

const struct export_format export_format_gab = {
	.name = "gab",
	.help = "github-action-benchmark, tool customBiggerIsBetter: the paging rates",
	.direction = 1,
	.write = gab_write,
};

const struct export_format export_format_gab_smaller = {
	.name = "gab-smaller",
	.help = "github-action-benchmark, tool customSmallerIsBetter: the first-touch latencies",
	.direction = -1,
	.write = gab_write,
};
