/* `faultbench export`: a result set's figures in the formats other tools
 * read, so a team can keep its history where it already keeps it.
 *
 * Each configuration is a benchmark named by its id: the id the suite gave
 * it in index.json, which is also its file's name without .json (a set
 * with no index, or a baseline saved from one, keeps those names). The
 * same suite gives the same ids run after run, so histories line up.
 * Each measure is a figure of the result's summary: its median over the
 * measured repetitions as the value, their min and max as the range.
 * Only `run` results in state ok are exported; a figure a result does not
 * have (the usable rate, in files written before it existed) is left out.
 *
 * How to add a format:
 *   1. Write harness/analysis/export/<format>.c with one
 *      `const struct export_format export_format_<format>`: its name, a
 *      line for --help, whether it takes several sets (one row each) and
 *      --commit, and write(), which prints the sets to f.
 *   2. Add it to the registry (registry.c) and declare it below.
 * A format reads figures only: it never loads or checks a file. */
#ifndef FB_EXPORT_H
#define FB_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "fb.h"

/* The measures, in the order every format writes them. */
enum export_measure_idx { EM_USABLE_RATE, EM_TOUCH_RATE, EM_LAT_P50, EM_LAT_P99, EXPORT_NMEASURES };

struct export_measure {
	const char *name;       /* the summary's key, and the measure's name in every format */
	const char *unit;
	bool higher_is_better;
	const char *what;       /* for people (gab's extra) */
};

extern const struct export_measure export_measures[EXPORT_NMEASURES];

struct export_fig {
	bool have;
	double value;           /* median over the measured repetitions */
	double lo, hi;          /* their min and max */
	long n;                 /* how many */
};

struct export_bench {
	char *id;
	struct export_fig fig[EXPORT_NMEASURES];
};

struct export_set {
	const char *dir;
	time_t time;            /* the suite's start (index.json), else the newest result file's mtime */
	const char *commit;     /* --commit, or NULL */
	struct export_bench *b; /* in the set's order */
	size_t n;
};

struct export_format {
	const char *name;
	const char *help;       /* one line for --help */
	bool many_sets;         /* several DIRs, one row each; else exactly one */
	bool takes_commit;
	int direction;          /* 1: only bigger-is-better measures; -1: only smaller; 0: all */
	/* Writes the sets (in time order) to f. 0, or -ENOMEM / -EIO. */
	int (*write)(const struct export_format *fmt, FILE *f, const struct export_set *sets,
		     size_t n);
};

struct rset;
/* The set's exportable figures into *out (->time, ->b and ->n);
 * -EINVAL with err when it has none or its start time is unreadable,
 * -ENOMEM. */
int export_collect(const struct rset *rs, struct export_set *out, struct fb_err *err);
void export_set_free(struct export_set *s);

/* For the JSON formats: doc to f, indented, when rc is 0; doc is released
 * either way. Returns rc, or -EIO when the write fails. */
int export_json_out(FILE *f, json_t *doc, int rc);

/* Whether fmt writes measure m. */
bool export_wants(const struct export_format *fmt, size_t m);

extern const struct export_format *const export_formats[];
extern const size_t export_formats_count;

extern const struct export_format export_format_bmf;
extern const struct export_format export_format_gab;
extern const struct export_format export_format_gab_smaller;
extern const struct export_format export_format_otava_csv;

/* `faultbench export` */
int export_main(int argc, char **argv);

#endif
