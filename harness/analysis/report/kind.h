/* The report's parts: what a table or plot kind sees (the result set,
 * grouped into experiments) and the helpers it writes with. report.c
 * makes the groups, writes the index around them, and calls each kind of
 * the registry in its order.
 *
 * How to add a table (or a plot):
 *   1. Write harness/analysis/report/<kind>.c with one
 *      `const struct report_kind report_kind_<kind>`: its name, its scope
 *      (once per experiment, or once per result set), applies() (NULL:
 *      always), and emit(). emit() fills a struct table (table.h) and hands
 *      it to report_emit_table(), which writes tables/<base>.md, .tex and
 *      .csv and puts the table in the index; a plot writes its data with
 *      report_open() under plots/data/ and draws it with report_plot() from
 *      a gnuplot script plots/<script>.gp (add one beside the others).
 *   2. Add one line to the registry (registry.c), where it should appear
 *      in the index, and its declaration at the end of this header.
 * The Makefile builds every .c here; nothing else changes. A kind reads
 * results only: it never runs anything, and no mode is named in it. */
#ifndef FB_REPORT_KIND_H
#define FB_REPORT_KIND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "analysis/gnuplot.h"
#include "analysis/report.h"
#include "analysis/table.h"

/* ---- samples ---- */

struct dvec {
	double *v;
	size_t n, cap;
};

int dvec_push(struct dvec *d, double x);
/* The same median as the result's summary: the mean of the middle two
 * when n is even. Sorts d. NAN when empty. */
double dvec_median(struct dvec *d);
double dvec_min(struct dvec *d);
double dvec_max(struct dvec *d);

/* ---- experiments: groups, columns, cells ---- */

enum lat { L50, L90, L99, L999, LMAX, NLAT };

/* What a repetition's usable time holds besides the touch (setup_of() in
 * group.c reads it from the run's setup figures). */
enum setup_part {
	SETUP_REGISTER = 1 << 0,   /* uffd register */
	SETUP_WP = 1 << 1,         /* write-protect of the empty region */
	SETUP_POPULATE = 1 << 2,   /* MADV_POPULATE, serial or the slowest vCPU's part */
	SETUP_OTHER = 1 << 3,      /* the rest of the mode's setup (uffd open, handler start, ...) */
};

/* The marker of a cell whose run asked for huge pages and got fewer. */
#define REPORT_HUGE_SHORT_MARK "‡"

/* The parts of a first touch's latency (runs[].fault_anatomy). */
enum anat_part_idx { PART_DELIVERY, PART_SERVICE, PART_WAKE, NPART };

struct cell {
	size_t col;
	long vcpus;
	/* per measured repetition, in the group's unit: pages (bytes) the kernel
	 * mapped over setup plus touch time, or over touch time alone for files
	 * without the usable rate (touch_only counts those repetitions) */
	struct dvec rate;
	struct dvec touch;         /* the same over touch time alone */
	unsigned touch_only;
	unsigned setup;            /* enum setup_part, over its repetitions */
	struct dvec lat[NLAT];     /* µs, per measured repetition */
	uint64_t *buckets;         /* merged first-touch histogram, HIST_BUCKETS */
	bool oversub;
	/* runs[].mapped: a measured repetition asked for huge pages and the
	 * kernel mapped part of the touched memory with base pages */
	bool huge_short;
	double huge_min, huge_max; /* its huge_fraction over those repetitions */
	uint64_t asked_bytes, rate_page_bytes; /* page asked; rates' page, 0 mixed */
	bool rate_page_varies;
	/* runs[].fault_anatomy where available: each part's p50 in µs, per
	 * measured repetition, and the counts summed over them */
	struct dvec part[NPART];
	uint64_t matched, unmatched, resumed_first;
};

struct column {
	char *mode;
	char *label;
	char *vkey;                /* the values that set it apart from its mode's others */
	int rank;                  /* registry order; modes from other builds after */
	int nondefault;            /* how many of those values are not the default */
};

/* Results that measured the same thing (same memory, workload, …): one
 * experiment. Rows are vCPU counts, columns modes. */
struct group {
	char *env_key;
	json_t *env;
	char slug[160];
	char title[512];
	char matrices[256];
	bool gib;                  /* huge pages: throughput in GiB/s reads better */
	struct column *col;
	size_t ncol;
	struct cell *cell;
	size_t ncell;
	long vcpus[256];
	size_t nv;
	size_t *item;
	size_t nitem;
	unsigned reps_min, reps_max, warmup;
	size_t ref;                /* reference column, or SIZE_MAX */
};

struct report {
	const struct rset *s;
	struct group *g;
	size_t ng;
	char host_line[768];
	char host_short[256];
	char root[PATH_MAX];       /* DIR/report */
	FILE *md, *html;
	struct gnuplot gp;
	struct fb_err *err;
	int rc;                    /* first error; the report goes on regardless */
	unsigned ntables, nplots;
};

/* Groups the set's measured runs into r->g, named and sorted. 0 or -ENOMEM. */
int report_groups_build(struct report *r);
void report_groups_free(struct report *r);
/* Gives each group its slug (for file names) and title (for captions),
 * words a person reads (names.c). */
void report_name_groups(struct report *r);
/* The config keys that tell experiments apart (group.c). */
extern const char *const report_env_keys[];
extern const size_t report_env_keys_count;
/* A config value as text ("2M", "yes", "0.5"); "-" when absent. Caller frees. */
char *report_config_str(json_t *cfg, const char *k);
/* What `faultbench run` uses when a flag is not given, as a result's config. */
json_t *report_default_config(void);
/* The cell of column col at v vCPUs, or NULL. */
struct cell *group_cell(struct group *g, size_t col, long v);
/* Whether any column ran v vCPUs on fewer hardware threads. */
bool group_oversub(struct group *g, long v);
/* 1 when the medians span so much that the rate axis should be logarithmic. */
int report_ylog(struct group *g);
/* The cell's figure as a table shows it, with the marker of a run that got
 * fewer huge pages than it asked. */
const char *report_cell_mark(const struct cell *x);
/* Footnotes for the cells of g that carry a marker (huge pages short) and
 * for columns whose rate is touch time alone (usable: the table shows the
 * usable rate); NULL when there is nothing to say. Caller frees. */
char *report_rate_foot(struct group *g, bool usable);
/* The same for a table of first-touch latencies (what a first touch mapped). */
char *report_lat_foot(struct group *g);
/* Whether a cell of column k carries the marker. */
bool report_col_short(struct group *g, size_t k);
/* What time the usable rate of g's columns includes, per column, for a
 * caption: "setup (uffd register, populate) plus touch time" or per column
 * when they differ. Caller frees; NULL on ENOMEM. */
char *report_usable_time(struct group *g);

/* ---- writing ---- */

/* A number as the tables show it: 3 significant digits or so; "–" for NAN. */
const char *report_num(double v, char *buf, size_t n);
/* How many repetitions a caption speaks of: "3", or "3 to 5". */
const char *report_reps(unsigned min, unsigned max, char *buf, size_t n);
/* The rate's unit, for people ("GiB/s") and for CSV headers ("gibps"). */
const char *report_unit(const struct group *g);
const char *report_unit_csv(const struct group *g);
/* DIR/report/rel, for writing; NULL (and the report's error set) on failure. */
FILE *report_open(struct report *r, const char *rel);
void report_close(struct report *r, FILE *f, const char *rel);
/* tables/<base>.md, .tex and .csv (csv(g, f) writes the last; NULL: the
 * kind writes its CSV itself), and the table inline in the index. */
void report_emit_table(struct report *r, struct table *t, const char *base,
		       void (*csv)(struct group *, FILE *), struct group *g);
/* plots/<script>.gp with datafile=<data> and vars → plots/<base>.png and
 * .svg. True when at least one image was made. */
bool report_plot(struct report *r, const char *script, const char *base, const char *data,
		 const char *vars);
/* The plot in the index, or a note that it could not be drawn. */
void report_embed_plot(struct report *r, const char *base, const char *alt);
void report_plot_failed(struct report *r, const char *what);
/* "title1=...; title2=..." for a plot script. */
void report_title_vars(char *buf, size_t n, const char *t1, const char *t2);

/* ---- kinds ---- */

enum report_scope {
	REPORT_PER_GROUP,  /* once per experiment, under its heading; g is the experiment */
	REPORT_PER_SET,    /* once per result set, after the experiments; g is NULL */
};

struct report_kind {
	const char *name;  /* what it shows, as a file name would say it */
	enum report_scope scope;
	/* Whether this kind has something to show for g (or the set); NULL: always. */
	bool (*applies)(const struct report *r, const struct group *g);
	/* Writes the kind's files and its part of index.md and index.html;
	 * failures go to r->rc and the report goes on. */
	void (*emit)(struct report *r, struct group *g);
};

/* In the order they appear in the index (registry.c). */
extern const struct report_kind *const report_kinds[];
extern const size_t report_kinds_count;

extern const struct report_kind report_kind_rate;
extern const struct report_kind report_kind_touch_rate;
extern const struct report_kind report_kind_rate_plot;
extern const struct report_kind report_kind_rate_bars;
extern const struct report_kind report_kind_latency;
extern const struct report_kind report_kind_latency_cdf;
extern const struct report_kind report_kind_wpcost;
extern const struct report_kind report_kind_micro;
extern const struct report_kind report_kind_anatomy;
extern const struct report_kind report_kind_postcopy;
extern const struct report_kind report_kind_snapshot;
extern const struct report_kind report_kind_not_measured;

#endif
