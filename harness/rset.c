/* Loading a result set for report and compare: the suite's index when there
 * is one (it knows the matrix of each configuration and why some have no
 * file), else every *.json in the directory. Whoever wrote the files, each
 * result is checked against results/schema.json before it is read. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
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

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void rset_free(struct rset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct rs_item *it = &s->it[i];

		free(it->id);
		free(it->path);
		free(it->matrix);
		free(it->command);
		free(it->state);
		free(it->reason);
		json_decref(it->doc);
	}
	free(s->it);
	free(s->dir);
	free(s->name);
	json_decref(s->index);
	json_decref(s->host);
	memset(s, 0, sizeof(*s));
}

static struct rs_item *add_item(struct rset *s)
{
	struct rs_item *grown = realloc(s->it, (s->n + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	s->it = grown;
	memset(&grown[s->n], 0, sizeof(*grown));
	return &grown[s->n++];
}

/* A result of `faultbench run`: schema-checked, then loaded. */
static int load_result(struct rs_item *it, const char *path, struct fb_err *err)
{
	char why[1024];
	json_error_t je;
	int rc;

	if (access(path, R_OK)) {
		fb_errf(err, "%s: cannot read it: %s", path, strerror(errno));
		return -EINVAL;
	}
	why[0] = 0;
	rc = schema_validate_files(fb_schema_path(), path, why, sizeof(why));
	if (rc) {
		/* the validator names the file (or the schema) in its text */
		fb_errf(err, "%s", why[0] ? why : strerror(-rc));
		return -EINVAL;
	}
	it->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!it->doc) {
		fb_errf(err, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return -EINVAL;
	}
	return 0;
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static char *index_schema_path(void)
{
	const char *rs = fb_schema_path();
	const char *slash = strrchr(rs, '/');
	char *p = malloc(strlen(rs) + 32);

	if (p)
		sprintf(p, "%.*s%sschema-suite-index.json", slash ? (int)(slash - rs) : 0, rs,
			slash ? "/" : "");
	return p;
}

static int load_indexed(struct rset *s, const char *ipath, struct fb_err *err)
{
	char *schema_path = index_schema_path(), why[1024];
	json_error_t je;
	json_t *list, *e;
	size_t i;
	int rc;

	if (!schema_path)
		return -ENOMEM;
	rc = schema_validate_files(schema_path, ipath, why, sizeof(why));
	if (rc == -ENOENT && !access(ipath, R_OK))
		fb_errf(err, "%s: cannot load the index schema", schema_path);
	else if (rc)
		fb_errf(err, "%s", why);
	free(schema_path);
	if (rc)
		return -EINVAL;
	s->index = json_load_file(ipath, JSON_REJECT_DUPLICATES, &je);
	if (!s->index) {
		fb_errf(err, "%s:%d:%d: %s", ipath, je.line, je.column, je.text);
		return -EINVAL;
	}
	s->name = dup_or_null(str_at(s->index, "suite", "name"));
	s->host = json_incref(json_object_get(s->index, "host"));
	list = json_object_get(s->index, "configurations");
	json_array_foreach(list, i, e) {
		struct rs_item *it = add_item(s);
		const char *file = str_at(e, "file", NULL);

		if (!it)
			return -ENOMEM;
		it->id = dup_or_null(str_at(e, "id", NULL));
		it->matrix = dup_or_null(str_at(e, "matrix", NULL));
		it->command = dup_or_null(str_at(e, "command", NULL));
		it->state = dup_or_null(str_at(e, "state", NULL));
		it->reason = dup_or_null(str_at(e, "reason", NULL));
		if (!it->id || !it->matrix || !it->command || !it->state)
			return -ENOMEM;
		if (!file)
			continue;
		if (strchr(file, '/') || file[0] == '.') {
			fb_errf(err, "%s: configuration '%s': file '%s' is not a plain file name",
				ipath, it->id, file);
			return -EINVAL;
		}
		it->path = malloc(strlen(s->dir) + strlen(file) + 2);
		if (!it->path)
			return -ENOMEM;
		sprintf(it->path, "%s/%s", s->dir, file);
		if (!strcmp(it->command, "run")) {
			rc = load_result(it, it->path, err);
		} else {
			/* another command's JSON: its own format, but it must parse */
			it->doc = json_load_file(it->path, JSON_REJECT_DUPLICATES, &je);
			rc = it->doc ? 0 : -EINVAL;
			if (rc)
				fb_errf(err, "%s:%d:%d: %s", it->path, je.line, je.column, je.text);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Without an index, a JSON file is taken for a result unless it plainly is
 * something else: it parses, names another schema (or none), and has
 * neither "config" nor "runs". Anything broken is checked as a result, so
 * the error says what is wrong with it. */
static bool is_other(const char *path)
{
	json_t *doc = json_load_file(path, 0, NULL), *name;
	bool other;

	if (!json_is_object(doc)) {
		json_decref(doc);
		return false;
	}
	name = json_object_get(json_object_get(doc, "schema"), "name");
	other = !json_object_get(doc, "config") && !json_object_get(doc, "runs") &&
		(!json_object_get(doc, "schema") ||
		 (json_is_string(name) && strcmp(json_string_value(name), "faultbench-result")));
	json_decref(doc);
	return other;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct rset *s, struct fb_err *err)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (!d) {
		fb_errf(err, "%s: cannot read: %s", s->dir, strerror(errno));
		return -EINVAL;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **grown;

		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(de->d_name))) {
			names = grown ? grown : names;
			rc = -ENOMEM;
			break;
		}
		names = grown;
		n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n && !rc; i++) {
		struct rs_item *it = add_item(s);
		size_t len = strlen(names[i]);

		if (!it) {
			rc = -ENOMEM;
			break;
		}
		it->path = malloc(strlen(s->dir) + len + 2);
		it->id = strndup(names[i], len - 5);
		it->matrix = strdup("");
		it->command = strdup("run");
		if (!it->path || !it->id || !it->matrix || !it->command) {
			rc = -ENOMEM;
			break;
		}
		sprintf(it->path, "%s/%s", s->dir, names[i]);
		if (is_other(it->path)) {
			/* another tool's JSON (Google Benchmark, wpcost): read, not checked */
			json_error_t je;

			free(it->command);
			it->command = strdup("other");
			it->state = strdup("ok");
			it->doc = json_load_file(it->path, JSON_REJECT_DUPLICATES, &je);
			if (!it->command || !it->state)
				rc = -ENOMEM;
			else if (!it->doc && (rc = -EINVAL))
				fb_errf(err, "%s:%d:%d: %s", it->path, je.line, je.column, je.text);
			if (rc)
				break;
			continue;
		}
		rc = load_result(it, it->path, err);
		if (rc)
			break;
		it->state = dup_or_null(str_at(it->doc, "status", "state"));
		it->reason = dup_or_null(str_at(it->doc, "status", "reason"));
		if (!it->state)
			rc = -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!rc && !s->n) {
		fb_errf(err, "%s: no index.json and no result files", s->dir);
		rc = -EINVAL;
	}
	return rc;
}

int rset_load(struct rset *s, const char *dir, struct fb_err *err)
{
	char ipath[PATH_MAX];
	struct stat st;
	int rc;

	memset(s, 0, sizeof(*s));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fb_errf(err, "%s: not a directory of results%s", dir,
			!strcmp(dir, "results/latest") ? " (run `faultbench suite quick` first)" : "");
		return -EINVAL;
	}
	s->dir = strdup(dir);
	if (!s->dir)
		return -ENOMEM;
	while (strlen(s->dir) > 1 && s->dir[strlen(s->dir) - 1] == '/')
		s->dir[strlen(s->dir) - 1] = 0;
	snprintf(ipath, sizeof(ipath), "%s/index.json", s->dir);
	rc = access(ipath, F_OK) ? load_dir(s, err) : load_indexed(s, ipath, err);
	if (!rc && !s->name) {
		char real[PATH_MAX];
		const char *base;

		if (!realpath(s->dir, real))
			snprintf(real, sizeof(real), "%s", s->dir);
		base = strrchr(real, '/');
		s->name = strdup(base && base[1] ? base + 1 : real);
	}
	for (size_t i = 0; !rc && !s->host && i < s->n; i++)
		if (s->it[i].doc && json_object_get(s->it[i].doc, "host"))
			s->host = json_incref(json_object_get(s->it[i].doc, "host"));
	if (rc == -ENOMEM)
		fb_errf(err, "%s: out of memory", dir);
	if (rc)
		rset_free(s);
	return rc;
}
