/* Loading a result set for report and compare: the suite's index when there
 * is one (it knows the matrix of each configuration and why some have no
 * file), else every *.json in the directory. Whoever wrote the files, each
 * result is checked against results/schema.json before it is read (a
 * snapshot's against results/schema-snapshot.json). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "jsonload.h"
#include "report.h"
#include "schema.h"

/* Duplicate keys are an error; a top level that is not an object gets the
 * schema's message ("/: expected object, got array"). */
#define RESULT_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

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

/* results/schema.json, loaded on first use and kept: every result is
 * checked against the same one. */
static int result_schema(json_t **schema, struct fb_err *err)
{
	static json_t *loaded;
	struct fb_err why = { "" };
	int rc;

	if (!loaded) {
		rc = jsonload_file(fb_schema_path(), JSON_REJECT_DUPLICATES, &loaded, &why);
		if (rc == -ENOMEM)
			return rc;
		if (rc) {
			fb_errf(err, "cannot load the result schema: %s", why.msg);
			return -EINVAL;
		}
	}
	*schema = loaded;
	return 0;
}

static int check_against(json_t *schema, const char *schema_path, const char *name, json_t *doc,
			 struct fb_err *err)
{
	char why[FB_ERRLEN];
	int rc = schema_validate(schema, doc, why, sizeof(why));

	if (rc == -ENOMEM)
		return rc;
	/* a fault of the schema itself is blamed on the schema */
	if (rc)
		fb_errf(err, "%s: %s", strncmp(why, "schema: ", 8) ? name : schema_path, why);
	return rc ? -EINVAL : 0;
}

/* A config field added in a later version (the schema keeps it optional)
 * is absent from older files, which ran with its default: fill it in, so
 * report, compare and gate see one configuration where an old and a new
 * file measured the same thing. */
static int fill_config_defaults(json_t *doc)
{
	static json_t *defaults;
	json_t *cfg = json_object_get(doc, "config"), *v;
	const char *k;

	if (!defaults) {
		struct fb_config c;

		config_defaults(&c);
		defaults = config_to_json(&c);
		if (!defaults)
			return -ENOMEM;
	}
	json_object_foreach(defaults, k, v)
		if (!json_object_get(cfg, k) && json_object_set(cfg, k, v))
			return -ENOMEM;
	return 0;
}

/* Checked against the schema, then filled in as above. */
static int check_result(const char *name, json_t *doc, struct fb_err *err)
{
	json_t *schema;
	int rc = result_schema(&schema, err);

	rc = rc ? rc : check_against(schema, fb_schema_path(), name, doc, err);
	return rc ? rc : fill_config_defaults(doc);
}

int rset_parse_result(const char *name, const char *buf, size_t len, json_t **doc,
		      struct fb_err *err)
{
	int rc = jsonload_buf(name, buf, len, RESULT_FLAGS, doc, err);

	if (!rc && (rc = check_result(name, *doc, err))) {
		json_decref(*doc);
		*doc = NULL;
	}
	return rc;
}

/* A result of `faultbench run`: loaded within jsonload's limits, then
 * schema-checked. */
static int load_result(struct rs_item *it, const char *path, struct fb_err *err)
{
	int rc = jsonload_file(path, RESULT_FLAGS, &it->doc, err);

	if (!rc && (rc = check_result(path, it->doc, err))) {
		json_decref(it->doc);
		it->doc = NULL;
	}
	return rc == -ENOMEM ? rc : rc ? -EINVAL : 0;
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* A schema beside results/schema.json (file: a name under 32 bytes). */
static char *sibling_schema_path(const char *file)
{
	const char *rs = fb_schema_path();
	const char *slash = strrchr(rs, '/');
	char *p = malloc(strlen(rs) + 32);

	if (p)
		sprintf(p, "%.*s%s%s", slash ? (int)(slash - rs) : 0, rs, slash ? "/" : "", file);
	return p;
}

static char *index_schema_path(void)
{
	return sibling_schema_path("schema-suite-index.json");
}

/* Other commands' files that have a schema of their own: checked against
 * it as a run's file is against results/schema.json, so report reads no
 * field of a wrong type; their new fields are optional, so older files
 * still load. */
static const struct {
	const char *name, *file;
} other_schemas[] = {
	{ "faultbench-snapshot", "schema-snapshot.json" },
};

static int check_other(const char *name, json_t *doc, struct fb_err *err)
{
	static json_t *loaded[FB_ARRAY_SIZE(other_schemas)];
	const char *sname = str_at(doc, "schema", "name");
	struct fb_err why = { "" };

	for (size_t i = 0; sname && i < FB_ARRAY_SIZE(other_schemas); i++) {
		char *path;
		int rc;

		if (strcmp(sname, other_schemas[i].name))
			continue;
		path = sibling_schema_path(other_schemas[i].file);
		if (!path)
			return -ENOMEM;
		rc = loaded[i] ? 0 : jsonload_file(path, JSON_REJECT_DUPLICATES, &loaded[i], &why);
		if (rc && rc != -ENOMEM) {
			fb_errf(err, "cannot load %s: %s", path, why.msg);
			rc = -EINVAL;
		}
		if (!rc)
			rc = check_against(loaded[i], path, name, doc, err);
		free(path);
		return rc;
	}
	return 0;
}

static int load_indexed(struct rset *s, const char *ipath, struct fb_err *err)
{
	char *schema_path = index_schema_path();
	json_t *schema = NULL, *list, *e, *files = json_object();
	struct fb_err why = { "" };
	size_t i;
	int rc = 0;

	if (!schema_path || !files) {
		rc = -ENOMEM;
		goto out;
	}
	if (jsonload_file(schema_path, JSON_REJECT_DUPLICATES, &schema, &why)) {
		fb_errf(err, "cannot load the index schema: %s", why.msg);
		rc = -EINVAL;
		goto out;
	}
	rc = jsonload_file(ipath, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &s->index, err);
	if (!rc)
		rc = check_against(schema, schema_path, ipath, s->index, err);
	if (rc)
		goto out;
	s->name = dup_or_null(str_at(s->index, "suite", "name"));
	s->host = json_incref(json_object_get(s->index, "host"));
	list = json_object_get(s->index, "configurations");
	json_array_foreach(list, i, e) {
		struct rs_item *it = add_item(s);
		const char *file = str_at(e, "file", NULL);
		json_t *other;

		if (!it) {
			rc = -ENOMEM;
			goto out;
		}
		it->id = dup_or_null(str_at(e, "id", NULL));
		it->matrix = dup_or_null(str_at(e, "matrix", NULL));
		it->command = dup_or_null(str_at(e, "command", NULL));
		it->state = dup_or_null(str_at(e, "state", NULL));
		it->reason = dup_or_null(str_at(e, "reason", NULL));
		if (!it->id || !it->matrix || !it->command || !it->state) {
			rc = -ENOMEM;
			goto out;
		}
		if (!file)
			continue;
		if (!file[0] || strchr(file, '/') || file[0] == '.') {
			fb_errf(err, "%s: configuration '%s': file '%s' is not a plain file name",
				ipath, it->id, file);
			rc = -EINVAL;
			goto out;
		}
		/* each file is read once: an index naming one file many times
		 * would otherwise cost that many loads */
		if ((other = json_object_get(files, file))) {
			fb_errf(err, "%s: configurations '%s' and '%s' both name file '%s'", ipath,
				json_string_value(other), it->id, file);
			rc = -EINVAL;
			goto out;
		}
		if (json_object_set_new(files, file, json_string(it->id))) {
			rc = -ENOMEM;
			goto out;
		}
		it->path = malloc(strlen(s->dir) + strlen(file) + 2);
		if (!it->path) {
			rc = -ENOMEM;
			goto out;
		}
		sprintf(it->path, "%s/%s", s->dir, file);
		/* another command's JSON: its own format, but it must parse */
		if (!strcmp(it->command, "run"))
			rc = load_result(it, it->path, err);
		else if (jsonload_file(it->path, JSON_REJECT_DUPLICATES, &it->doc, err))
			rc = -EINVAL;
		else
			rc = check_other(it->path, it->doc, err);
		if (rc)
			goto out;
	}
out:
	json_decref(files);
	json_decref(schema);
	free(schema_path);
	return rc;
}

/* Without an index, a JSON file is taken for a result unless it plainly is
 * something else: it names another schema, or it names none and has
 * neither "config" nor "runs". Anything broken is checked as a result, so
 * the error says what is wrong with it. */
static bool is_other(json_t *doc)
{
	json_t *name;

	if (!json_is_object(doc))
		return false;
	name = json_object_get(json_object_get(doc, "schema"), "name");
	/* another schema by name (a wpcost file has a config of its own) */
	if (json_is_string(name) && strcmp(json_string_value(name), "faultbench-result"))
		return true;
	return !json_object_get(doc, "config") && !json_object_get(doc, "runs") &&
	       !json_object_get(doc, "schema");
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
		rc = jsonload_file(it->path, RESULT_FLAGS, &it->doc, err);
		if (rc) {
			rc = rc == -ENOMEM ? rc : -EINVAL;
			break;
		}
		if (is_other(it->doc)) {
			/* another tool's JSON (Google Benchmark, wpcost): read, checked
			 * only when its schema is ours (a snapshot's) */
			rc = check_other(it->path, it->doc, err);
			if (rc)
				break;
			free(it->command);
			it->command = strdup("other");
			it->state = strdup("ok");
			if (!it->command || !it->state) {
				rc = -ENOMEM;
				break;
			}
			continue;
		}
		rc = check_result(it->path, it->doc, err);
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
