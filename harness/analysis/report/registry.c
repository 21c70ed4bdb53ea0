/* Every table and plot kind of the report, in the order the index shows
 * them: first each experiment's own (under its heading), then the set's.
 * Adding a kind: see kind.h. */
#include "kind.h"

const struct report_kind *const report_kinds[] = {
	&report_kind_rate,          /* rate until usable vs vCPUs: table */
	&report_kind_rate_plot,     /* rate vs vCPUs: lines */
	&report_kind_rate_bars,     /* rate at one vCPU count: bars */
	&report_kind_touch_rate,    /* the same over touch time alone: table */
	&report_kind_latency,       /* first-touch latency percentiles: table */
	&report_kind_latency_cdf,   /* first-touch latency CDFs: plots */
	&report_kind_anatomy,       /* where a fault's time goes: table and stacked bars */
	&report_kind_postcopy,      /* postcopy: latency by class, blocktime, migration: table and CDFs */
	&report_kind_wpcost,        /* write-protect cost: table and bars */
	&report_kind_micro,         /* micro-benchmarks: table */
	&report_kind_snapshot,      /* live snapshots: table, throughput around T0 */
	&report_kind_not_measured,  /* configurations that did not run */
};
const size_t report_kinds_count = sizeof(report_kinds) / sizeof(report_kinds[0]);
