/* Bencher Metric Format (bencher.dev/docs/reference/bencher-metric-format):
 *   {"<benchmark>": {"<measure>": {"value": v, "lower_value": lo, "upper_value": hi}}}
 * for `bencher run --adapter json --file FILE`. Bencher makes a measure it
 * does not know yet from its name; its direction is set there. */
#include <errno.h>

#include <jansson.h>

#include "export.h"

static int bmf_write(const struct export_format *fmt, FILE *f, const struct export_set *sets,
		     size_t n)
{
	json_t *doc = json_object();
	int rc = doc ? 0 : -ENOMEM;

	(void)n;
	for (size_t i = 0; !rc && i < sets[0].n; i++) {
		const struct export_bench *b = &sets[0].b[i];
		json_t *bench = json_object();

		if (!bench || json_object_set_new(doc, b->id, bench)) {
			rc = -ENOMEM;
			break;
		}
		for (size_t m = 0; m < EXPORT_NMEASURES && !rc; m++) {
			const struct export_fig *x = &b->fig[m];

			if (x->have && export_wants(fmt, m) &&
			    json_object_set_new(bench, export_measures[m].name,
						json_pack("{s:f, s:f, s:f}", "value", x->value,
							  "lower_value", x->lo, "upper_value", x->hi)))
				rc = -ENOMEM;
		}
	}
	return export_json_out(f, doc, rc);
}

const struct export_format export_format_bmf = {
	.name = "bmf",
	.help = "Bencher Metric Format: {benchmark: {measure: {value, lower_value, upper_value}}}",
	.write = bmf_write,
};
