/* Result sets as a suite leaves them (index.json + one JSON per
 * configuration), or any directory of result files; and what is made from
 * them: `faultbench report` (tables and plots) and `faultbench compare`. */
#ifndef FB_REPORT_H
#define FB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "fb.h"

#define REPORT_REF_MODE "uffd-stock"   /* the column ratios are taken against */

struct rs_item {
	char *id;        /* the file's stem, or the index's id */
	char *path;      /* NULL: the configuration left no file */
	char *matrix;    /* "" without an index */
	char *command;   /* "run", or the suite line's other command */
	char *state;     /* ok, skipped, failed, interrupted, pending */
	char *reason;    /* NULL when ok */
	json_t *doc;     /* the file's JSON (checked against results/schema.json for run) */
};

struct rset {
	char *dir;
	char *name;      /* the suite's name, or the directory's */
	json_t *index;   /* NULL when the directory has none */
	json_t *host;    /* from the index, else from the first result */
	struct rs_item *it;
	size_t n;
};

/* Load DIR/index.json and every file it names, or every *.json in DIR
 * when there is no index. Each result is checked against
 * results/schema.json; the first bad one fails the load with -EINVAL and
 * its path and problem in err (wrong type, missing field, truncated file). */
int rset_load(struct rset *s, const char *dir, struct fb_err *err);
/* One result document from memory, read as rset_load reads each file:
 * within jsonload.h's limits, then checked against results/schema.json.
 * name is for messages. 0 with *doc, or -EINVAL (-ENOMEM) with err. */
int rset_parse_result(const char *name, const char *buf, size_t len, json_t **doc,
		      struct fb_err *err);
void rset_free(struct rset *s);

/* Where results/schema.json is: $FAULTBENCH_SCHEMA, beside the executable,
 * or ./results/schema.json. */
const char *fb_schema_path(void);

/* Writes DIR/report/: tables (md, tex, csv), plot data and gnuplot plots
 * (png, svg), index.md and index.html. 0; -EINVAL bad input; -EIO when a
 * file cannot be written or gnuplot fails (err says which and why). */
int report_write(const struct rset *s, const char *outdir, bool quiet, struct fb_err *err);

/* Markdown to f: the two sets configuration by configuration. */
int compare_write(FILE *f, const struct rset *a, const struct rset *b);

/* `faultbench report [DIR]`, `faultbench compare A B` */
int report_main(int argc, char **argv);
int compare_main(int argc, char **argv);

#endif
