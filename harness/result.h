/* Result files: self-describing JSON (schema in results/schema.json),
 * written atomically. */
#ifndef FB_RESULT_H
#define FB_RESULT_H

#include <stdio.h>

#include <jansson.h>

#include "fb.h"
#include "run.h"

#define RESULT_SCHEMA_NAME "faultbench-result"
#define RESULT_SCHEMA_VERSION 1
#define FB_VERSION "0.1.0"

json_t *result_to_json(const struct run_result *res);
/* Write to a temp file beside path, fsync, rename. Never leaves a partial
 * file at path. 0 or -errno with err. */
int result_write_atomic(json_t *doc, const char *path, struct fb_err *err);
/* The same for any file: emit() writes it to f and returns nonzero when it
 * could not. */
int result_write_file_atomic(const char *path, int (*emit)(FILE *f, void *ctx), void *ctx,
			     struct fb_err *err);
/* A histogram as {count, min, mean, p50, p90, p99, p999, max[, buckets]}. */
/* median, mean, min, max, stddev of v[0..n) (sorts v), as summary fields are */
json_t *result_stat_json(double *v, unsigned n, const char *unit);
json_t *hist_to_json(const struct hist *h, int with_buckets);
/* result_handlers.c: runs[].handlers, placement.handler_cpus and
 * runs[].fault_anatomy. */
json_t *handlers_json(const struct fb_config *cfg, const struct handler_seen *hs);
json_t *handler_cpus_json(const struct fb_config *cfg, const int *cpus);
json_t *anatomy_json(const struct rep_anatomy *ra);
struct mapped;
/* runs[].mapped (results/schema.json) */
json_t *mapped_to_json(const struct mapped *m);
/* The temp file being written, for the signal handler to remove. */
extern char *volatile result_tmp_path;

#endif
