/* Reading result sets written by anyone: every *.json result file under a
 * directory, checked against results/schema.json, grouped by configuration. */
#ifndef FB_RESULTSET_H
#define FB_RESULTSET_H

#include <jansson.h>
#include <stddef.h>

#include "fb.h"

struct result_file {
	char *path;
	json_t *doc;
	char *key;    /* the configuration, canonical: config minus seed/reps/warmup */
	char *label;  /* mode/backing/vcpus/size/workload/access, for people */
	char *ref;    /* the same placement with mode "none": the drift reference */
	const char *state;
};

struct result_set {
	char *dir;
	char fingerprint[64];
	size_t n;
	struct result_file *f;
};

/* Where results/schema.json is: $FAULTBENCH_SCHEMA, beside the executable,
 * or ./results/schema.json. */
const char *fb_schema_path(void);
/* Load every result file below dir (index files and other JSON are passed
 * over; a file that claims to be a result but fails the schema is an error).
 * 0, or -errno with err naming the file. */
int resultset_load(struct result_set *s, const char *dir, struct fb_err *err);
void resultset_free(struct result_set *s);
const struct result_file *resultset_find(const struct result_set *s, const char *key);

#endif
