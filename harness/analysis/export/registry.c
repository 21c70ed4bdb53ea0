/* Every export format and every measure they write. Adding a format: see
 * export.h. */
#include <errno.h>

#include "export.h"

const struct export_format *const export_formats[] = {
	&export_format_bmf,
	&export_format_gab,
	&export_format_gab_smaller,
	&export_format_otava_csv,
};
const size_t export_formats_count = sizeof(export_formats) / sizeof(export_formats[0]);

/* The figures `faultbench gate` and `compare` judge, and the usable rate
 * the report's tables show. */
const struct export_measure export_measures[EXPORT_NMEASURES] = {
	[EM_USABLE_RATE] = { "paging_rate_usable_pps", "pages/s", true,
			     "paging rate, setup plus touch time" },
	[EM_TOUCH_RATE] = { "paging_rate_pps", "pages/s", true, "paging rate, touch time only" },
	[EM_LAT_P50] = { "fault_lat_p50_ns", "ns", false, "first-touch latency p50" },
	[EM_LAT_P99] = { "fault_lat_p99_ns", "ns", false, "first-touch latency p99" },
};

bool export_wants(const struct export_format *fmt, size_t m)
{
	return !fmt->direction || (fmt->direction > 0) == export_measures[m].higher_is_better;
}

int export_json_out(FILE *f, json_t *doc, int rc)
{
	if (!rc && (json_dumpf(doc, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) || fputc('\n', f) == EOF))
		rc = -EIO;
	json_decref(doc);
	return rc;
}
