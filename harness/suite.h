/* Suite files (bench/suites/NAME.suite): named matrices of `faultbench run`
 * configurations, parsed, expanded and checked before anything runs.
 *
 * The format, one item a line, '#' starts a comment:
 *
 *   suite: quick                  the suite's name (default: the file's)
 *   description: free text        one line, for the index and the report
 *   reps: 3                       fields before the first [section] apply to
 *                                 every `run` matrix (which may override them)
 *   [rate]                        starts a matrix named "rate"
 *   mode: all                     every mode in this build
 *   backing: anon shmem           several values: one configuration each
 *   vcpus: 1 2 4                  (the matrix is the product of its fields)
 *   overlap: yes                  a flag without a value: yes or no
 *
 * A field is a `faultbench run` flag without its dashes; every configuration
 * is checked by the same parser as `faultbench run`, so a bad value fails
 * here with the file, the line and the field. Besides the flags:
 *
 *   mode: NAME?                   a mode this build may lack: skipped with a
 *                                 reason when absent, instead of an error
 *   command: NAME                 run `faultbench NAME` instead of `run`; its
 *                                 fields are passed as --flag value, unchecked
 *   strategy: all                 with `command: snapshot`, every strategy of
 *                                 its registry: one configuration (one result
 *                                 file) each, as `mode: all` is every mode
 *
 * With `mode: all`, a configuration one mode refuses (exit 2 from `run`) is
 * recorded as skipped with that mode's reason, provided some other mode
 * accepts it: a new mode never breaks a shipped suite. */
#ifndef FB_SUITE_H
#define FB_SUITE_H

#include <stdbool.h>
#include <stddef.h>

#include "fb.h"

#define SUITE_MAX_CONFIGS 20000
#define SUITE_MAX_VALUES 256

struct suite_field {
	char *key;
	char **values;
	size_t nvalues;
	int line;
};

struct suite_matrix {
	char *name;
	int line;
	struct suite_field *fields;   /* suite-wide fields merged in, overridden by its own */
	size_t nfields;
};

struct suite_config {
	char *id;            /* unique in the suite: the result file's stem */
	char *matrix;
	char *command;       /* "run", or another faultbench command */
	char **argv;         /* the command's flags (no --out, --quiet), NULL-terminated */
	int argc;
	char *label;         /* "uffd-stock anon 2v 64M" for progress lines */
	char *skip_reason;   /* non-NULL: not run, recorded as skipped */
	double weight;       /* expected cost relative to the others, for the ETA */
};

struct suite {
	char *path;
	char *name;
	char *description;
	struct suite_matrix *m;
	size_t nm;
	struct suite_config *c;
	size_t nc;
};

/* Parse, expand and check a suite. 0, or -EINVAL (-ENOENT, -ENOMEM) with err
 * as "FILE:LINE: field 'F': what is wrong". On error *s is freed. */
int suite_load(struct suite *s, const char *path, struct fb_err *err);
/* The same from text in memory; path only names it in messages. */
int suite_parse(struct suite *s, const char *path, const char *text, struct fb_err *err);
void suite_free(struct suite *s);

/* NAME (bench/suites/NAME.suite, here or beside the executable) or a FILE.
 * 0 or -ENOENT with err listing the suites found. */
int suite_find(const char *name_or_file, char *path, size_t n, struct fb_err *err);

/* `faultbench suite NAME|FILE [--out DIR] [--quiet] [--list]` */
int suite_main(int argc, char **argv);

#endif
