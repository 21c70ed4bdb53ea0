#include "resultset.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"

const char *fb_schema_path(void)
{
	static char path[PATH_MAX + 32];
	const char *env = getenv("FAULTBENCH_SCHEMA");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			/* ./faultbench, or build-asan/faultbench and the like */
			snprintf(path, sizeof(path), "%s/results/schema.json", exe);
			if (!access(path, R_OK))
				return path;
			snprintf(path, sizeof(path), "%s/../results/schema.json", exe);
			if (!access(path, R_OK))
				return path;
		}
	}
	return "results/schema.json";
}

static char *config_key(json_t *config, const char *const *drop, size_t ndrop)
{
	json_t *c = json_deep_copy(config);
	char *s;

	for (size_t i = 0; i < ndrop; i++)
		json_object_del(c, drop[i]);
	s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(c);
	return s;
}

/* The configuration's identity: what changes the number, not how often it
 * was measured. */
static char *make_key(json_t *config)
{
	static const char *const drop[] = { "seed", "reps", "warmup", "verify", "test_slowdown_ns" };

	return config_key(config, drop, FB_ARRAY_SIZE(drop));
}

/* The drift reference: the same memory, placement and workload under `none`. */
static char *make_ref(json_t *config)
{
	static const char *const keep[] = { "backing", "hugepage_bytes", "vcpus", "total_bytes",
					    "per_vcpu", "overlap", "numa", "pin", "workload", "access" };
	json_t *c = json_object();
	char *s;

	for (size_t i = 0; i < FB_ARRAY_SIZE(keep); i++) {
		json_t *v = json_object_get(config, keep[i]);

		if (v)
			json_object_set(c, keep[i], v);
	}
	s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(c);
	return s;
}

static char *make_label(json_t *c)
{
	char buf[256];
	json_int_t mib = json_integer_value(json_object_get(c, "total_bytes")) >> 20;

	snprintf(buf, sizeof(buf), "%s/%s/%lldv/%lldM/%s/%s",
		 json_string_value(json_object_get(c, "mode")),
		 json_string_value(json_object_get(c, "backing")),
		 (long long)json_integer_value(json_object_get(c, "vcpus")), (long long)mib,
		 json_string_value(json_object_get(c, "workload")),
		 json_string_value(json_object_get(c, "access")));
	return strdup(buf);
}

static int add_file(struct result_set *s, const char *path, json_t *schema, struct fb_err *err)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *name, *config;
	struct result_file *f, *grown;
	char why[512];

	if (!doc) {
		fb_errf(err, "%s:%d:%d: not readable JSON: %s", path, je.line, je.column, je.text);
		return -EINVAL;
	}
	name = json_object_get(json_object_get(doc, "schema"), "name");
	if (!json_is_string(name) || strcmp(json_string_value(name), "faultbench-result")) {
		json_decref(doc); /* an index or another tool's file */
		return 0;
	}
	if (schema_validate(schema, doc, why, sizeof(why))) {
		fb_errf(err, "%s: not a valid result: %s", path, why);
		json_decref(doc);
		return -EINVAL;
	}
	grown = realloc(s->f, (s->n + 1) * sizeof(*s->f));
	if (!grown) {
		json_decref(doc);
		return -ENOMEM;
	}
	s->f = grown;
	f = &s->f[s->n++];
	config = json_object_get(doc, "config");
	f->path = strdup(path);
	f->doc = doc;
	f->key = make_key(config);
	f->ref = make_ref(config);
	f->label = make_label(config);
	f->state = json_string_value(json_object_get(json_object_get(doc, "status"), "state"));
	if (!s->fingerprint[0])
		snprintf(s->fingerprint, sizeof(s->fingerprint), "%s",
			 json_string_value(json_object_get(json_object_get(doc, "host"), "fingerprint")));
	return f->path && f->key && f->ref && f->label ? 0 : -ENOMEM;
}

static int walk(struct result_set *s, const char *dir, json_t *schema, int depth, struct fb_err *err)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (depth > 8)
		return 0;
	d = opendir(dir);
	if (!d) {
		fb_errf(err, "%s: cannot read: %s", dir, strerror(errno));
		return -errno;
	}
	while (!rc && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			rc = walk(s, path, schema, depth + 1, err);
		else if (S_ISREG(st.st_mode) && len > 5 && !strcmp(e->d_name + len - 5, ".json"))
			rc = add_file(s, path, schema, err);
	}
	closedir(d);
	return rc;
}

int resultset_load(struct result_set *s, const char *dir, struct fb_err *err)
{
	json_error_t je;
	json_t *schema;
	struct stat st;
	int rc;

	memset(s, 0, sizeof(*s));
	s->dir = strdup(dir);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fb_errf(err, "%s: not a directory of results", dir);
		return -ENOTDIR;
	}
	schema = json_load_file(fb_schema_path(), 0, &je);
	if (!schema) {
		fb_errf(err, "%s: cannot load the result schema: %s", fb_schema_path(), je.text);
		return -ENOENT;
	}
	rc = walk(s, dir, schema, 0, err);
	json_decref(schema);
	if (!rc && !s->n) {
		fb_errf(err, "%s: no faultbench result files in it", dir);
		rc = -ENOENT;
	}
	return rc;
}

void resultset_free(struct result_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->f[i].path);
		free(s->f[i].key);
		free(s->f[i].ref);
		free(s->f[i].label);
		json_decref(s->f[i].doc);
	}
	free(s->f);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

const struct result_file *resultset_find(const struct result_set *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].key, key))
			return &s->f[i];
	return NULL;
}
