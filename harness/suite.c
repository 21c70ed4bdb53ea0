/* Suite files: parse, expand the matrices, check every configuration with
 * the `faultbench run` parser. The format is described in suite.h. */
#include "suite.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "memory.h"
#include "modes/mode.h"
#include "snapshot/snap.h"

/* Fields the suite runner owns, or that make no sense in a file. */
static const char *const reserved_flags[] = { "out", "quiet", "help" };
/* Commands a suite line may not run (they would recurse or write elsewhere). */
static const char *const refused_commands[] = { "suite", "report", "compare", "help", "gate",
						"baseline", "validate", "probe" };

static bool is_word(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static const struct option *run_option(const char *key)
{
	for (const struct option *o = config_run_options(); o->name; o++)
		if (!strcmp(o->name, key))
			return o;
	return NULL;
}

static void free_fields(struct suite_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < f[i].nvalues; j++)
			free(f[i].values[j]);
		free(f[i].values);
		free(f[i].key);
	}
	free(f);
}

void suite_free(struct suite *s)
{
	for (size_t i = 0; i < s->nm; i++) {
		free(s->m[i].name);
		free_fields(s->m[i].fields, s->m[i].nfields);
	}
	for (size_t i = 0; i < s->nc; i++) {
		struct suite_config *c = &s->c[i];

		for (int j = 0; j < c->argc; j++)
			free(c->argv[j]);
		free(c->argv);
		free(c->id);
		free(c->matrix);
		free(c->command);
		free(c->label);
		free(c->skip_reason);
	}
	free(s->m);
	free(s->c);
	free(s->path);
	free(s->name);
	free(s->description);
	memset(s, 0, sizeof(*s));
}

/* ---- reading lines ---- */

struct parse_ctx {
	struct suite *s;
	const char *path;
	struct fb_err *err;
	struct suite_field *global;   /* fields before the first [matrix] */
	size_t nglobal;
	int line;
	json_t *ids;                  /* configuration ids so far: id -> last -dupN used */
};

static int field_error(struct parse_ctx *p, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int field_error(struct parse_ctx *p, int line, const char *key, const char *fmt, ...)
{
	char msg[FB_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (key)
		fb_errf(p->err, "%s:%d: field '%s': %s", p->path, line, key, msg);
	else
		fb_errf(p->err, "%s:%d: %s", p->path, line, msg);
	return -EINVAL;
}

static struct suite_field *find_field(struct suite_field *f, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].key, key))
			return &f[i];
	return NULL;
}

static int split_values(struct suite_field *f, char *v)
{
	for (char *tok = strtok(v, " \t"); tok; tok = strtok(NULL, " \t")) {
		char **grown;

		if (f->nvalues >= SUITE_MAX_VALUES)
			return -E2BIG;
		grown = realloc(f->values, (f->nvalues + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		f->values = grown;
		f->values[f->nvalues] = strdup(tok);
		if (!f->values[f->nvalues])
			return -ENOMEM;
		f->nvalues++;
	}
	return 0;
}

/* The command a matrix runs ("run" when it names none). */
static const char *fields_command(const struct suite_field *f, size_t n)
{
	const struct suite_field *c = find_field((struct suite_field *)f, n, "command");

	return c ? c->values[0] : "run";
}

/* Checks one field's values on their own; combinations are checked later. */
static int check_field(struct parse_ctx *p, const struct suite_field *f, bool is_run)
{
	const struct option *o;

	if (!strcmp(f->key, "command")) {
		if (f->nvalues != 1)
			return field_error(p, f->line, f->key, "takes one command, not %zu", f->nvalues);
		if (!is_word(f->values[0], "-") || in_list(f->values[0], refused_commands,
							   FB_ARRAY_SIZE(refused_commands)))
			return field_error(p, f->line, f->key,
					   "'%s' cannot run from a suite; use run or a measuring "
					   "command such as wpcost", f->values[0]);
		return 0;
	}
	if (in_list(f->key, reserved_flags, FB_ARRAY_SIZE(reserved_flags)))
		return field_error(p, f->line, f->key,
				   "the suite runner sets this itself; remove the line");
	if (!is_run)
		return 0; /* another command's flags: passed through unchecked */
	o = run_option(f->key);
	if (!o)
		return field_error(p, f->line, f->key,
				   "unknown field; a field is a `faultbench run` flag without its "
				   "dashes (faultbench run --help), or suite, description, command");
	for (size_t i = 0; i < f->nvalues; i++) {
		const char *v = f->values[i];

		if (o->has_arg == no_argument && strcmp(v, "yes") && strcmp(v, "no"))
			return field_error(p, f->line, f->key,
					   "'%s' is not accepted; this flag takes yes or no", v);
		if (!strcmp(f->key, "mode") && !strcmp(v, "all") && f->nvalues > 1)
			return field_error(p, f->line, f->key,
					   "'all' already names every mode; give it alone");
	}
	return 0;
}

static int add_line(struct parse_ctx *p, char *line)
{
	struct suite *s = p->s;
	struct suite_field **fields, *f, *grown;
	size_t *nfields;
	char *colon, *key, *v;
	int rc;

	if (line[0] == '[') {
		char *end = strchr(line, ']');
		struct suite_matrix *m;

		if (!end || end[1])
			return field_error(p, p->line, NULL, "a matrix header is [NAME] alone on its line");
		*end = 0;
		if (!is_word(line + 1, "-_."))
			return field_error(p, p->line, NULL,
					   "matrix name '%s': use letters, digits, '-', '_' or '.'", line + 1);
		for (size_t i = 0; i < s->nm; i++)
			if (!strcmp(s->m[i].name, line + 1))
				return field_error(p, p->line, NULL,
						   "matrix '%s' is already defined on line %d", line + 1,
						   s->m[i].line);
		m = realloc(s->m, (s->nm + 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		s->m = m;
		m = &s->m[s->nm++];
		memset(m, 0, sizeof(*m));
		m->line = p->line;
		m->name = strdup(line + 1);
		return m->name ? 0 : -ENOMEM;
	}
	colon = strchr(line, ':');
	if (!colon)
		return field_error(p, p->line, NULL,
				   "'%s' is neither 'field: value ...' nor a [matrix] header", line);
	*colon = 0;
	key = line;
	for (char *e = colon; e > key && isspace((unsigned char)e[-1]); e--)
		e[-1] = 0;
	v = colon + 1;
	while (isspace((unsigned char)*v))
		v++;
	if (!is_word(key, "-"))
		return field_error(p, p->line, NULL, "'%s' is not a field name", key);
	if (!*v)
		return field_error(p, p->line, key, "no value");

	if (!strcmp(key, "suite") || !strcmp(key, "description")) {
		char **dst = !strcmp(key, "suite") ? &s->name : &s->description;

		if (s->nm)
			return field_error(p, p->line, key, "belongs before the first [matrix]");
		if (*dst)
			return field_error(p, p->line, key, "given twice");
		if (!strcmp(key, "suite") && !is_word(v, "-_."))
			return field_error(p, p->line, key,
					   "'%s': one word of letters, digits, '-', '_' or '.'", v);
		*dst = strdup(v);
		return *dst ? 0 : -ENOMEM;
	}

	if (!strcmp(key, "command") && !s->nm)
		return field_error(p, p->line, key, "belongs in a [matrix]: the suite header's fields "
				   "are `faultbench run` flags for every run matrix");
	if (s->nm) {
		fields = &s->m[s->nm - 1].fields;
		nfields = &s->m[s->nm - 1].nfields;
	} else {
		fields = &p->global;
		nfields = &p->nglobal;
	}
	f = find_field(*fields, *nfields, key);
	if (f)
		return field_error(p, p->line, key, "given twice in this %s (first on line %d)",
				   s->nm ? "matrix" : "suite header", f->line);
	grown = realloc(*fields, (*nfields + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*fields = grown;
	f = &grown[(*nfields)++];
	memset(f, 0, sizeof(*f));
	f->line = p->line;
	f->key = strdup(key);
	if (!f->key)
		return -ENOMEM;
	rc = split_values(f, v);
	if (rc == -E2BIG)
		return field_error(p, p->line, key, "more than %d values", SUITE_MAX_VALUES);
	return rc;
}

/* ---- expanding a matrix ---- */

struct value {
	const char *text;   /* as passed to the command */
	bool optional;      /* mode NAME?: skip when this build lacks it */
	bool wildcard;      /* came from mode: all */
};

struct axis {
	const struct suite_field *f;
	struct value *v;
	size_t n;
};

static const char *snap_strategy_at(size_t i)
{
	return snap_strategies[i]->name;
}

/* Another command's field whose `all` is every name in that command's
 * registry, as `mode: all` is every mode: one configuration (one result
 * file) each, so a name added to the registry joins the suites by itself. */
static const struct {
	const char *command, *key;
	const char *(*name)(size_t i);
	const unsigned *count;
} registries[] = {
	{ "snapshot", "strategy", snap_strategy_at, &snap_strategies_count },
};

static int make_axis(struct axis *a, const struct suite_field *f, const char *command)
{
	bool all = !strcmp(f->key, "mode") && f->nvalues == 1 && !strcmp(f->values[0], "all");
	size_t n = all ? fault_modes_count : f->nvalues;
	const char *(*reg_name)(size_t i) = NULL;

	for (size_t r = 0; r < FB_ARRAY_SIZE(registries); r++)
		if (!strcmp(command, registries[r].command) && !strcmp(f->key, registries[r].key) &&
		    f->nvalues == 1 && !strcmp(f->values[0], "all")) {
			reg_name = registries[r].name;
			n = *registries[r].count;
		}

	a->f = f;
	a->n = n;
	a->v = calloc(n ? n : 1, sizeof(*a->v));
	if (!a->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (reg_name) {
			a->v[i].text = reg_name(i);
			continue;
		}
		if (all) {
			a->v[i].text = fault_modes[i]->name;
			a->v[i].wildcard = true;
			continue;
		}
		a->v[i].text = f->values[i];
		if (!strcmp(f->key, "mode")) {
			size_t len = strlen(f->values[i]);

			a->v[i].optional = len > 1 && f->values[i][len - 1] == '?';
		}
	}
	return 0;
}

struct argv_buf {
	char *v[2 * 64 + 2];
	int n;
};

static int push(struct argv_buf *b, const char *s)
{
	if (b->n >= (int)FB_ARRAY_SIZE(b->v) - 1)
		return -E2BIG;
	b->v[b->n] = strdup(s);
	if (!b->v[b->n])
		return -ENOMEM;
	b->v[++b->n] = NULL;
	return 0;
}

static void argv_free(struct argv_buf *b)
{
	for (int i = 0; i < b->n; i++)
		free(b->v[i]);
	b->n = 0;
	b->v[0] = NULL;
}

/* --key value; a flag without a value: --key (yes), --no-key or nothing (no). */
static int push_field(struct argv_buf *b, const char *key, const char *value, bool is_run)
{
	const struct option *o = is_run ? run_option(key) : NULL;
	bool yes = !strcmp(value, "yes"), no = !strcmp(value, "no");
	char flag[128];
	int rc;

	if ((o && o->has_arg == no_argument) || (!is_run && (yes || no))) {
		if (yes) {
			snprintf(flag, sizeof(flag), "--%s", key);
			return push(b, flag);
		}
		snprintf(flag, sizeof(flag), "no-%s", key);
		if (!is_run || !run_option(flag))
			return 0;
		snprintf(flag, sizeof(flag), "--no-%s", key);
		return push(b, flag);
	}
	snprintf(flag, sizeof(flag), "--%s", key);
	rc = push(b, flag);
	return rc ? rc : push(b, value);
}

/* Parses a copy of argv (getopt_long may permute it; cfg keeps pointers). */
static int try_parse(struct argv_buf *b, struct fb_config *cfg, struct fb_err *e)
{
	char *copy[FB_ARRAY_SIZE(b->v) + 1];
	int rc;

	copy[0] = (char *)"run";
	for (int i = 0; i < b->n; i++)
		copy[i + 1] = b->v[i];
	copy[b->n + 1] = NULL;
	memset(e, 0, sizeof(*e));
	rc = config_parse_run(cfg, b->n + 1, copy, e);
	return rc == 1 ? -EINVAL : rc;
}

/* The field a `run` error message is about: the earliest --flag it names. */
static const struct suite_field *blame(const char *msg, struct axis *ax, size_t nax)
{
	const struct suite_field *best = NULL;
	const char *best_at = NULL;

	for (size_t i = 0; i < nax; i++) {
		char flag[128];
		const char *at = msg;
		size_t len;

		snprintf(flag, sizeof(flag), "--%s", ax[i].f->key);
		len = strlen(flag);
		while ((at = strstr(at, flag))) {
			char next = at[len];

			if (!isalnum((unsigned char)next) && next != '-')
				break;
			at += len;
		}
		if (at && (!best_at || at < best_at)) {
			best_at = at;
			best = ax[i].f;
		}
	}
	return best;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".+-", *s))
			*s = '_';
}

static int add_config(struct parse_ctx *p, const struct suite_matrix *m, const char *command,
		      struct argv_buf *b, const char *id_in, const char *label, const char *skip,
		      double weight)
{
	struct suite *s = p->s;
	struct suite_config *c;
	json_t *base;
	char id[512];

	if (s->nc >= SUITE_MAX_CONFIGS)
		return field_error(p, m->line, NULL,
				   "matrix '%s': the suite expands to more than %d configurations",
				   m->name, SUITE_MAX_CONFIGS);
	snprintf(id, sizeof(id), "%s", id_in);
	sanitize(id);
	/* a repeated id takes the next -dupN after the last one its base took:
	 * a lookup each, where a rescan of every id would be quadratic (cubic
	 * for a matrix of repeated values) */
	base = json_object_get(p->ids, id);
	while (base) {
		json_int_t n = json_integer_value(base) + 1;

		json_integer_set(base, n);
		snprintf(id, sizeof(id), "%.480s-dup%lld", id_in, (long long)n);
		sanitize(id);
		if (!json_object_get(p->ids, id))
			break;
	}
	if (json_object_set_new(p->ids, id, json_integer(1)))
		return -ENOMEM;
	if (!(s->nc & (s->nc - 1)) || !s->c) {
		size_t cap = s->nc ? s->nc * 2 : 16;
		struct suite_config *grown = realloc(s->c, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->c = grown;
	}
	c = &s->c[s->nc++];
	memset(c, 0, sizeof(*c));
	c->id = strdup(id);
	c->matrix = strdup(m->name);
	c->command = strdup(command);
	c->label = strdup(label);
	c->skip_reason = skip ? strdup(skip) : NULL;
	c->weight = weight;
	c->argv = calloc((size_t)b->n + 1, sizeof(char *));
	if (!c->id || !c->matrix || !c->command || !c->label || (skip && !c->skip_reason) || !c->argv)
		return -ENOMEM;
	for (int i = 0; i < b->n; i++)
		c->argv[i] = b->v[i];
	c->argc = b->n;
	b->n = 0; /* the strings now belong to c */
	b->v[0] = NULL;
	return 0;
}

static const char *axis_value(struct axis *ax, size_t nax, const size_t *idx, const char *key)
{
	for (size_t i = 0; i < nax; i++)
		if (!strcmp(ax[i].f->key, key))
			return ax[i].v[idx[i]].text;
	return NULL;
}

/* One point of the matrix: build argv, check it, name it. */
static int expand_one(struct parse_ctx *p, const struct suite_matrix *m, const char *command,
		      struct axis *ax, size_t nax, const size_t *idx)
{
	bool is_run = !strcmp(command, "run");
	struct argv_buf b = { .n = 0 };
	char id[512], label[256], skip[FB_ERRLEN] = "", mode[128] = "";
	size_t off;
	bool wildcard = false;
	double weight = 1;
	int rc = 0;

	for (size_t i = 0; i < nax && !rc; i++) {
		const struct value *v = &ax[i].v[idx[i]];

		if (!strcmp(ax[i].f->key, "command"))
			continue;
		if (!strcmp(ax[i].f->key, "mode")) {
			snprintf(mode, sizeof(mode), "%.*s", (int)strlen(v->text) - (v->optional ? 1 : 0),
				 v->text);
			wildcard = v->wildcard;
			if (v->optional && !mode_find(mode))
				snprintf(skip, sizeof(skip),
					 "mode '%s' is not in this build of faultbench", mode);
			rc = push_field(&b, "mode", mode, is_run);
			continue;
		}
		rc = push_field(&b, ax[i].f->key, v->text, is_run);
	}
	if (rc == -E2BIG)
		return field_error(p, m->line, NULL, "matrix '%s': too many fields", m->name);
	if (rc)
		goto out;

	if (is_run && !skip[0]) {
		struct fb_config cfg;
		struct fb_err e;
		char sz[32], hp[40] = "";

		if (try_parse(&b, &cfg, &e)) {
			const struct suite_field *f = blame(e.msg, ax, nax);
			bool other_ok = false;

			/* A mode from `all` that refuses what another mode takes is
			 * not the suite's mistake: skip it and say why. */
			for (size_t k = 0; wildcard && k < fault_modes_count && !other_ok; k++) {
				struct argv_buf alt = { .n = 0 };
				struct fb_err e2;

				if (!strcmp(fault_modes[k]->name, mode))
					continue;
				for (int i = 0; i < b.n && !rc; i++)
					rc = push(&alt, i > 0 && !strcmp(b.v[i - 1], "--mode") ?
							fault_modes[k]->name : b.v[i]);
				other_ok = !rc && !try_parse(&alt, &cfg, &e2);
				argv_free(&alt);
			}
			if (rc)
				goto out;
			/* A limit of this host (RAM, NUMA nodes, page sizes), not a
			 * mistake in the file: a shipped suite must still run on a
			 * smaller machine, without the rows that do not fit. The run
			 * parser words every such refusal with "this host". */
			if (!other_ok && strstr(e.msg, "this host")) {
				snprintf(skip, sizeof(skip), "not on this host: %.400s", e.msg);
			} else if (!other_ok) {
				rc = f ? field_error(p, f->line, f->key, "%s", e.msg) :
					 field_error(p, m->line, NULL, "matrix '%s': %s", m->name, e.msg);
				goto out;
			} else {
				snprintf(skip, sizeof(skip),
					 "mode %.64s does not take this configuration: %.400s", mode, e.msg);
			}
		} else {
			if (cfg.backing->flags & BK_HUGETLB)
				snprintf(hp, sizeof(hp), " %s", fb_fmt_size(cfg.hugepage_size, sz, sizeof(sz)));
			snprintf(label, sizeof(label), "%s %s%s %uv %s", cfg.mode->name, cfg.backing->name,
				 hp, cfg.vcpus, fb_fmt_size(cfg.total_bytes, sz, sizeof(sz)));
			/* fault cost dominates: pages touched in all repetitions,
			 * plus a fixed start-up cost per configuration */
			weight = (double)(cfg.overlap ? cfg.slice_pages * cfg.vcpus :
						       cfg.total_bytes / cfg.page_size) *
					 (cfg.reps + cfg.warmup) + 20000;
		}
	}

	/* the id: matrix, then what always tells configurations apart, then
	 * every other field that this matrix sweeps */
	off = (size_t)snprintf(id, sizeof(id), "%s", m->name);
	if (is_run) {
		const char *bk = axis_value(ax, nax, idx, "backing");
		const char *hps = axis_value(ax, nax, idx, "hugepage-size");
		const char *vc = axis_value(ax, nax, idx, "vcpus");
		const char *sz = axis_value(ax, nax, idx, "size");

		off += (size_t)snprintf(id + off, sizeof(id) - off, "-%s-%s%s%s-%sv-%s",
					mode[0] ? mode : "none", bk ? bk : "anon",
					hps && bk && strstr(bk, "hugetlb") ? "-" : "",
					hps && bk && strstr(bk, "hugetlb") ? hps : "",
					vc ? vc : "1", sz ? sz : "256M");
	} else {
		off += (size_t)snprintf(id + off, sizeof(id) - off, "-%s", command);
	}
	for (size_t i = 0; i < nax && off < sizeof(id); i++) {
		const char *k = ax[i].f->key;

		if (ax[i].n < 2 || (is_run && (!strcmp(k, "mode") || !strcmp(k, "backing") ||
					       !strcmp(k, "vcpus") || !strcmp(k, "size"))))
			continue;
		if (!is_run && !strcmp(k, "mode"))
			off += (size_t)snprintf(id + off, sizeof(id) - off, "-%s", mode);
		else
			off += (size_t)snprintf(id + off, sizeof(id) - off, "-%s-%s", k,
						ax[i].v[idx[i]].text);
	}
	if (!is_run || skip[0]) {
		off = (size_t)snprintf(label, sizeof(label), "%s", is_run ? "" : command);
		for (int i = 0; i < b.n && off < sizeof(label); i++) {
			const char *a = b.v[i];

			off += (size_t)snprintf(label + off, sizeof(label) - off, "%s%s", off ? " " : "",
						!strncmp(a, "--", 2) ? a + 2 : a);
		}
	}
	rc = add_config(p, m, command, &b, id, label, skip[0] ? skip : NULL, weight);
out:
	argv_free(&b);
	return rc;
}

static int expand_matrix(struct parse_ctx *p, struct suite_matrix *m)
{
	const char *command = fields_command(m->fields, m->nfields);
	bool is_run = !strcmp(command, "run");
	struct axis *ax;
	size_t nax = 0, *idx;
	int rc = 0;

	/* the suite header's fields first, unless the matrix sets them itself;
	 * they are `run` flags, so another command's matrix does not get them */
	for (size_t i = 0, at = 0; is_run && i < p->nglobal; i++) {
		struct suite_field *g = &p->global[i], *grown, *f;

		if (find_field(m->fields, m->nfields, g->key))
			continue;
		grown = realloc(m->fields, (m->nfields + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		m->fields = grown;
		memmove(&m->fields[at + 1], &m->fields[at], (m->nfields - at) * sizeof(*grown));
		m->nfields++;
		f = &m->fields[at++];
		memset(f, 0, sizeof(*f));
		f->line = g->line;
		f->key = strdup(g->key);
		f->values = calloc(g->nvalues, sizeof(char *));
		if (!f->key || !f->values)
			return -ENOMEM;
		for (size_t j = 0; j < g->nvalues; j++) {
			f->values[j] = strdup(g->values[j]);
			if (!f->values[j])
				return -ENOMEM;
			f->nvalues++;
		}
	}
	for (size_t i = 0; i < m->nfields; i++) {
		rc = check_field(p, &m->fields[i], is_run);
		if (rc)
			return rc;
	}
	if (m->nfields > 64)
		return field_error(p, m->line, NULL, "matrix '%s': more than 64 fields", m->name);

	ax = calloc(m->nfields ? m->nfields : 1, sizeof(*ax));
	idx = calloc(m->nfields ? m->nfields : 1, sizeof(*idx));
	if (!ax || !idx) {
		free(ax);
		free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->nfields && !rc; i++, nax++)
		rc = make_axis(&ax[i], &m->fields[i], command);
	/* an odometer over the axes, the last field turning fastest */
	while (!rc) {
		size_t k;

		rc = expand_one(p, m, command, ax, nax, idx);
		for (k = nax; k > 0; k--) {
			if (++idx[k - 1] < ax[k - 1].n)
				break;
			idx[k - 1] = 0;
		}
		if (k == 0)
			break;
	}
	for (size_t i = 0; i < nax; i++)
		free(ax[i].v);
	free(ax);
	free(idx);
	return rc;
}

int suite_parse(struct suite *s, const char *path, const char *text, struct fb_err *err)
{
	struct parse_ctx p = { .s = s, .path = path, .err = err, .ids = json_object() };
	const char *at = text;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->path = strdup(path);
	if (!s->path || !p.ids) {
		json_decref(p.ids);
		free(s->path);
		s->path = NULL;
		return -ENOMEM;
	}
	while (*at && !rc) {
		const char *nl = strchr(at, '\n');
		size_t len = nl ? (size_t)(nl - at) : strlen(at);
		char *line = strndup(at, len), *hash, *start, *end;

		p.line++;
		at += len + (nl ? 1 : 0);
		if (!line) {
			rc = -ENOMEM;
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		start = line;
		while (isspace((unsigned char)*start))
			start++;
		end = start + strlen(start);
		while (end > start && isspace((unsigned char)end[-1]))
			*--end = 0;
		if (*start)
			rc = add_line(&p, start);
		free(line);
	}
	if (!rc && !s->nm)
		rc = field_error(&p, p.line ? p.line : 1, NULL,
				 "no [matrix] section: nothing to run");
	if (!rc && !s->name) {
		const char *base = strrchr(path, '/');
		char *dot;

		s->name = strdup(base ? base + 1 : path);
		if (s->name && (dot = strrchr(s->name, '.')))
			*dot = 0;
		if (s->name)
			sanitize(s->name);
		else
			rc = -ENOMEM;
	}
	for (size_t i = 0; i < p.nglobal && !rc; i++)
		rc = check_field(&p, &p.global[i], true);
	for (size_t i = 0; i < s->nm && !rc; i++)
		rc = expand_matrix(&p, &s->m[i]);
	free_fields(p.global, p.nglobal);
	json_decref(p.ids);
	if (rc == -ENOMEM)
		fb_errf(err, "%s: out of memory", path);
	if (rc)
		suite_free(s);
	return rc;
}

int suite_load(struct suite *s, const char *path, struct fb_err *err)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0, n = 0, got;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!f) {
		rc = -errno;
		fb_errf(err, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	do {
		if (n + 4096 + 1 > cap) {
			char *grown = realloc(text, cap = cap ? cap * 2 : 8192);

			if (!grown || cap > (64u << 20)) {
				free(grown ? grown : text);
				fclose(f);
				fb_errf(err, "%s: too large or out of memory", path);
				return -ENOMEM;
			}
			text = grown;
		}
		got = fread(text + n, 1, 4096, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		fb_errf(err, "%s: read error", path);
		fclose(f);
		free(text);
		return -EIO;
	}
	fclose(f);
	text[n] = 0;
	if (strlen(text) != n) {
		fb_errf(err, "%s: holds a NUL byte; a suite is text", path);
		free(text);
		return -EINVAL;
	}
	rc = suite_parse(s, path, text, err);
	free(text);
	return rc;
}

static bool readable(const char *p)
{
	return !access(p, R_OK);
}

int suite_find(const char *arg, char *path, size_t n, struct fb_err *err)
{
	char exe[PATH_MAX], *slash;
	ssize_t len;

	if (strchr(arg, '/') || (strlen(arg) > 6 && !strcmp(arg + strlen(arg) - 6, ".suite"))) {
		snprintf(path, n, "%s", arg);
		if (readable(path))
			return 0;
		fb_errf(err, "%s: cannot read the suite file: %s", arg, strerror(errno));
		return -ENOENT;
	}
	snprintf(path, n, "bench/suites/%s.suite", arg);
	if (readable(path))
		return 0;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			if ((size_t)snprintf(path, n, "%s/bench/suites/%s.suite", exe, arg) < n &&
			    readable(path))
				return 0;
			if ((size_t)snprintf(path, n, "%s/../bench/suites/%s.suite", exe, arg) < n &&
			    readable(path))
				return 0;
		}
	}
	fb_errf(err, "no suite named '%s' (looked for bench/suites/%s.suite here and beside the "
		"executable); shipped: quick, ci, paper; or give a FILE", arg, arg);
	return -ENOENT;
}
