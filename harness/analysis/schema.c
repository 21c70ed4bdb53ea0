/* JSON Schema subset validator; see schema.h for what is supported.
 *
 * Three passes, each bounded:
 *   1. check_schema() walks the whole schema once and rejects malformed or
 *      unsupported keywords, so validation can trust the schema's shape.
 *   2. walk_document() visits every document node without recursion (the
 *      document may be arbitrarily deep): it rejects non-finite reals and
 *      counts nodes to size the step budget.
 *   3. validate() applies the schema. Its recursion is capped at
 *      SCHEMA_MAX_DEPTH and its total work at a budget proportional to the
 *      document, because anyOf/oneOf over recursive $refs can otherwise take
 *      exponential time on a hostile schema.
 *
 * validate() stops at the first problem, so the message is the first one in
 * document order (schema keyword order for the checks on one value). */
#include "schema.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonload.h"

#define MSG_LEN 512
#define PATH_LEN 1024
#define SHOW_LEN 48             /* longest string or JSON text quoted in a message */
#define CLOSEST_LEN 256         /* anyOf/oneOf keep the best branch's message */
#define WALK_MAX_DEPTH (1u << 20) /* only a cyclic (hand-built) document gets here */
#define STEPS_BASE (1u << 20)
#define STEPS_PER_NODE 256      /* real schemas need a handful per node */

enum { V_OK = 0, V_FAIL = 1, V_FATAL = 2 };

/* A JSON-pointer-like path built in place: push returns the old length to pop
 * back to. Overlong paths are truncated, never overflowed. */
struct path {
	char buf[PATH_LEN];
	size_t len;
};

struct vctx {
	const json_t *root;     /* the schema, for $ref */
	struct path doc;        /* where in the document */
	struct path sch;        /* where in the schema, during check_schema() */
	char msg[MSG_LEN];
	size_t fail_len;        /* doc.len at the last failure: how deep it got */
	bool schema_fault;      /* msg is about the schema, not the document */
	uint64_t steps;
	uint64_t max_steps;
};

static int validate(struct vctx *c, const json_t *s, const json_t *d, int depth);
static int check_schema(struct vctx *c, const json_t *s, int depth);

/* ---- paths and messages ---- */

static size_t path_push_raw(struct path *p, const char *s, size_t n)
{
	size_t old = p->len;
	size_t room = sizeof(p->buf) - 1 - p->len;

	if (n > room)
		n = room;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
	return old;
}

/* Keys are escaped as in RFC 6901 so the path stays unambiguous. */
static size_t path_push_key(struct path *p, const char *key)
{
	size_t old = path_push_raw(p, "/", 1);
	size_t n;

	while (*key) {
		n = strcspn(key, "~/");
		path_push_raw(p, key, n);
		key += n;
		if (*key) {
			path_push_raw(p, *key == '~' ? "~0" : "~1", 2);
			key++;
		}
	}
	return old;
}

static size_t path_push_index(struct path *p, size_t i)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "/%zu", i);

	return path_push_raw(p, tmp, (size_t)n);
}

static void path_pop(struct path *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n;

	if (!dst || !len)
		return;
	n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void vformat(struct vctx *c, const char *prefix, const char *suffix,
		    const char *fmt, va_list ap)
{
	int n = snprintf(c->msg, sizeof(c->msg), "%s", prefix);
	size_t used = n < 0 ? 0 : (size_t)n < sizeof(c->msg) ? (size_t)n : sizeof(c->msg) - 1;

	n = vsnprintf(c->msg + used, sizeof(c->msg) - used, fmt, ap);
	used += n < 0 ? 0 : (size_t)n;
	if (used < sizeof(c->msg))
		snprintf(c->msg + used, sizeof(c->msg) - used, "%s", suffix);
}

static const char *doc_path(const struct vctx *c)
{
	return c->doc.len ? c->doc.buf : "/";
}

static void doc_vformat(struct vctx *c, const char *fmt, va_list ap)
{
	char prefix[PATH_LEN + 2];

	snprintf(prefix, sizeof(prefix), "%s: ", doc_path(c));
	vformat(c, prefix, "", fmt, ap);
	c->fail_len = c->doc.len;
}

/* The document does not match. */
__attribute__((format(printf, 2, 3)))
static int fail(struct vctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_vformat(c, fmt, ap);
	va_end(ap);
	return V_FAIL;
}

/* A limit was hit: stop everything, even inside anyOf/oneOf. */
__attribute__((format(printf, 2, 3)))
static int fatal(struct vctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_vformat(c, fmt, ap);
	va_end(ap);
	return V_FATAL;
}

/* The schema itself is wrong; the path is where in the schema. */
__attribute__((format(printf, 2, 3)))
static int bad_schema(struct vctx *c, const char *fmt, ...)
{
	char suffix[PATH_LEN + 8];
	va_list ap;

	snprintf(suffix, sizeof(suffix), " at %s", c->sch.buf);
	va_start(ap, fmt);
	vformat(c, "schema: ", suffix, fmt, ap);
	va_end(ap);
	c->schema_fault = true;
	return V_FATAL;
}

/* ---- showing values in messages ---- */

/* Shortest text that reads back as the same double. */
static void show_real(double v, char *buf, size_t len)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Cut at SHOW_LEN bytes, backing off to a UTF-8 character boundary. */
static void show_text(const char *s, bool quote, char *buf, size_t len)
{
	size_t n = strlen(s);
	bool cut = n > SHOW_LEN;

	if (cut) {
		n = SHOW_LEN;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	snprintf(buf, len, "%s%.*s%s%s", quote ? "'" : "", (int)n, s,
		 cut ? "..." : "", quote ? "'" : "");
}

static void show_value(const json_t *v, bool quote, char *buf, size_t len)
{
	char *text;

	switch (json_typeof(v)) {
	case JSON_STRING:
		show_text(json_string_value(v), quote, buf, len);
		return;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	case JSON_REAL:
		show_real(json_real_value(v), buf, len);
		return;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		text = json_dumps(v, JSON_ENCODE_ANY);
		break;
	default:
		/* NULL when the value is too deep for jansson's encoder */
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		break;
	}
	if (text)
		show_text(text, false, buf, len);
	else
		snprintf(buf, len, "%s", json_is_object(v) ? "{...}" : "[...]");
	free(text);
}

/* ---- types, numbers, equality ---- */

static const char *const type_names[] = {
	"object", "array", "string", "number", "integer", "boolean", "null",
};

static bool known_type(const char *t)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(t, type_names[i]))
			return true;
	return false;
}

static bool is_whole(const json_t *d)
{
	double v;

	if (json_is_integer(d))
		return true;
	v = json_real_value(d);
	return json_is_real(d) && isfinite(v) && trunc(v) == v;
}

static bool type_matches(const char *t, const json_t *d)
{
	if (!strcmp(t, "object"))
		return json_is_object(d);
	if (!strcmp(t, "array"))
		return json_is_array(d);
	if (!strcmp(t, "string"))
		return json_is_string(d);
	if (!strcmp(t, "number"))
		return json_is_number(d);
	if (!strcmp(t, "integer"))
		return is_whole(d);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(d);
	if (!strcmp(t, "null"))
		return json_is_null(d);
	return false;
}

static const char *doc_type_name(const json_t *d)
{
	switch (json_typeof(d)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

/* long double holds every int64 exactly, so a large integer is not rounded
 * before it is compared with a real limit. */
static long double num_value(const json_t *v)
{
	if (json_is_integer(v))
		return (long double)json_integer_value(v);
	return json_real_value(v);
}

static int num_cmp(const json_t *a, const json_t *b)
{
	long double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return (i > j) - (i < j);
	}
	x = num_value(a);
	y = num_value(b);
	return (x > y) - (x < y);
}

/* JSON Schema equality: numbers by value (1 == 1.0), objects regardless of key
 * order. check_schema() bounds the depth of enum/const values, and recursion
 * stops where the two values differ in shape, so this recursion is bounded
 * even when the document is not. */
static bool values_equal(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return num_cmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, v)
			if (!values_equal(v, json_array_get(b, i)))
				return false;
		return true;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return false;
		/* jansson's iterators take non-const objects; nothing is modified */
		json_object_foreach((json_t *)a, key, v) {
			const json_t *w = json_object_get(b, key);

			if (!w || !values_equal(v, w))
				return false;
		}
		return true;
	default:
		return true;        /* true, false, null: same type is same value */
	}
}

static bool deeper_than(const json_t *v, int limit)
{
	const char *key;
	json_t *e;
	size_t i;

	if (limit < 0)
		return true;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (deeper_than(e, limit - 1))
				return true;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e)
			if (deeper_than(e, limit - 1))
				return true;
	}
	return false;
}

/* ---- $ref ---- */

/* Only references into the root's $defs (or definitions) are accepted: every
 * such target is checked by check_schema(), so a $ref can never lead
 * validation into unchecked JSON. */
static const json_t *resolve_ref(const json_t *root, const char *ref)
{
	static const struct {
		const char *prefix;
		const char *container;
	} bases[] = {
		{ "#/$defs/", "$defs" },
		{ "#/definitions/", "definitions" },
	};
	char name[256];
	size_t n = 0;
	const char *p;

	if (!strcmp(ref, "#"))
		return root;
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		size_t blen = strlen(bases[b].prefix);

		if (strncmp(ref, bases[b].prefix, blen))
			continue;
		/* one RFC 6901 token: ~0 is '~', ~1 is '/', a bare '/' would nest */
		for (p = ref + blen; *p && n < sizeof(name) - 1; p++) {
			if (*p == '/')
				return NULL;
			if (*p == '~') {
				if (p[1] != '0' && p[1] != '1')
					return NULL;
				name[n++] = p[1] == '0' ? '~' : '/';
				p++;
			} else {
				name[n++] = *p;
			}
		}
		if (*p || !n)
			return NULL;
		name[n] = '\0';
		return json_object_get(json_object_get(root, bases[b].container), name);
	}
	return NULL;
}

/* ---- pass 1: the schema's own shape ---- */

typedef int (*kw_check_fn)(struct vctx *c, const char *kw, const json_t *v, int depth);

static int kw_subschema(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	(void)kw;
	return check_schema(c, v, depth + 1);
}

static int kw_items(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	if (json_is_array(v))
		return bad_schema(c, "'items' as an array (tuple form) is not supported");
	return kw_subschema(c, kw, v, depth);
}

static int kw_schema_map(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	const char *key;
	json_t *sub;
	size_t old;
	int ret;

	if (!json_is_object(v))
		return bad_schema(c, "'%s' must be an object", kw);
	json_object_foreach((json_t *)v, key, sub) {
		old = path_push_key(&c->sch, key);
		ret = check_schema(c, sub, depth + 1);
		path_pop(&c->sch, old);
		if (ret)
			return ret;
	}
	return V_OK;
}

static int kw_schema_list(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	json_t *sub;
	size_t i, old;
	int ret;

	if (!json_is_array(v) || !json_array_size(v))
		return bad_schema(c, "'%s' must be a non-empty array of schemas", kw);
	json_array_foreach(v, i, sub) {
		old = path_push_index(&c->sch, i);
		ret = check_schema(c, sub, depth + 1);
		path_pop(&c->sch, old);
		if (ret)
			return ret;
	}
	return V_OK;
}

static int kw_type(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	static const char *const shape = "'type' must be a string or a non-empty array of strings";
	json_t *t;
	size_t i;

	(void)kw;
	(void)depth;
	if (json_is_string(v)) {
		if (!known_type(json_string_value(v)))
			return bad_schema(c, "unknown type '%s'", json_string_value(v));
		return V_OK;
	}
	if (!json_is_array(v) || !json_array_size(v))
		return bad_schema(c, "%s", shape);
	json_array_foreach(v, i, t) {
		if (!json_is_string(t))
			return bad_schema(c, "%s", shape);
		if (!known_type(json_string_value(t)))
			return bad_schema(c, "unknown type '%s'", json_string_value(t));
	}
	return V_OK;
}

static int kw_string_list(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	json_t *e;
	size_t i;

	(void)depth;
	if (!json_is_array(v))
		return bad_schema(c, "'%s' must be an array of strings", kw);
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return bad_schema(c, "'%s' must be an array of strings", kw);
	return V_OK;
}

static int kw_count(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	(void)depth;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad_schema(c, "'%s' must be a non-negative integer", kw);
	return V_OK;
}

static int kw_number(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	(void)depth;
	if (!json_is_number(v))
		return bad_schema(c, "'%s' must be a number", kw);
	return V_OK;
}

/* values_equal() recurses into these, so their depth is capped here. */
static int kw_value(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	(void)depth;
	if (deeper_than(v, SCHEMA_MAX_DEPTH))
		return bad_schema(c, "'%s' value nested deeper than %d levels",
				  kw, SCHEMA_MAX_DEPTH);
	return V_OK;
}

static int kw_enum(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	if (!json_is_array(v))
		return bad_schema(c, "'enum' must be an array");
	return kw_value(c, kw, v, depth);
}

static int kw_ref(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	(void)kw;
	(void)depth;
	if (!json_is_string(v))
		return bad_schema(c, "'$ref' must be a string");
	if (!resolve_ref(c->root, json_string_value(v)))
		return bad_schema(c, "cannot resolve $ref '%s' (only '#' and '#/$defs/Name')",
				  json_string_value(v));
	return V_OK;
}

static const struct keyword {
	const char *name;
	kw_check_fn check;
} keywords[] = {
	{ "type", kw_type },
	{ "properties", kw_schema_map },
	{ "$defs", kw_schema_map },
	{ "definitions", kw_schema_map },
	{ "additionalProperties", kw_subschema },
	{ "items", kw_items },
	{ "required", kw_string_list },
	{ "minItems", kw_count },
	{ "maxItems", kw_count },
	{ "minLength", kw_count },
	{ "maxLength", kw_count },
	{ "enum", kw_enum },
	{ "const", kw_value },
	{ "minimum", kw_number },
	{ "maximum", kw_number },
	{ "exclusiveMinimum", kw_number },
	{ "exclusiveMaximum", kw_number },
	{ "$ref", kw_ref },
	{ "allOf", kw_schema_list },
	{ "anyOf", kw_schema_list },
	{ "oneOf", kw_schema_list },
};

/* Assertions and applicators this validator does not implement. Ignoring them
 * would pass documents the schema's author meant to reject. */
static const char *const unsupported[] = {
	"not", "if", "then", "else", "dependentSchemas", "dependentRequired",
	"prefixItems", "contains", "minContains", "maxContains", "uniqueItems",
	"multipleOf", "pattern", "patternProperties", "propertyNames",
	"minProperties", "maxProperties", "unevaluatedItems",
	"unevaluatedProperties", "additionalItems", "$dynamicRef",
	"$recursiveRef", "dependencies",
};

static int check_keyword(struct vctx *c, const char *kw, const json_t *v, int depth)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(kw, keywords[i].name))
			return keywords[i].check(c, kw, v, depth);
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (!strcmp(kw, unsupported[i]))
			return bad_schema(c, "keyword '%s' is not supported", kw);
	return V_OK;            /* an annotation: title, description, unit, ... */
}

static int check_schema(struct vctx *c, const json_t *s, int depth)
{
	const char *kw;
	json_t *v;
	size_t old;
	int ret;

	if (depth > SCHEMA_MAX_DEPTH)
		return bad_schema(c, "nested deeper than %d levels", SCHEMA_MAX_DEPTH);
	if (json_is_boolean(s))
		return V_OK;
	if (!json_is_object(s))
		return bad_schema(c, "expected an object or a boolean");
	json_object_foreach((json_t *)s, kw, v) {
		old = path_push_key(&c->sch, kw);
		ret = check_keyword(c, kw, v, depth);
		path_pop(&c->sch, old);
		if (ret)
			return ret;
	}
	return V_OK;
}

/* ---- pass 2: every document node, iteratively ---- */

struct walk_frame {
	json_t *node;
	void *iter;             /* objects: the next member */
	const char *key;        /* objects: the member being visited */
	size_t index;           /* arrays: one past the element being visited */
};

static json_t *walk_next(struct walk_frame *f)
{
	json_t *child;

	if (json_is_array(f->node)) {
		if (f->index >= json_array_size(f->node))
			return NULL;
		return json_array_get(f->node, f->index++);
	}
	if (!f->iter)
		return NULL;
	f->key = json_object_iter_key(f->iter);
	child = json_object_iter_value(f->iter);
	f->iter = json_object_iter_next(f->node, f->iter);
	return child;
}

static void walk_path(struct vctx *c, const struct walk_frame *st, size_t top)
{
	for (size_t i = 0; i < top; i++) {
		if (json_is_array(st[i].node))
			path_push_index(&c->doc, st[i].index - 1);
		else
			path_push_key(&c->doc, st[i].key);
	}
}

static int walk_push(struct walk_frame **st, size_t *top, size_t *cap, json_t *node)
{
	struct walk_frame *f;

	if (*top == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;

		f = realloc(*st, ncap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		*st = f;
		*cap = ncap;
	}
	f = &(*st)[(*top)++];
	f->node = node;
	f->iter = json_is_object(node) ? json_object_iter(node) : NULL;
	f->key = NULL;
	f->index = 0;
	return 0;
}

/* jansson refuses NaN and infinities, but a document built by hand through
 * some other path must not sneak one past minimum/maximum. */
static int walk_document(struct vctx *c, const json_t *doc, uint64_t *nodes)
{
	struct walk_frame *st = NULL;
	size_t top = 0, cap = 0;
	json_t *node = (json_t *)doc;   /* for jansson's iterators; not modified */
	int ret = V_OK;

	for (;;) {
		(*nodes)++;
		if (json_is_real(node) && !isfinite(json_real_value(node))) {
			walk_path(c, st, top);
			ret = fail(c, "number is not finite");
			break;
		}
		if ((json_is_array(node) || json_is_object(node)) &&
		    walk_push(&st, &top, &cap, node)) {
			ret = -ENOMEM;
			break;
		}
		if (top > WALK_MAX_DEPTH) {
			ret = fatal(c, "document nested deeper than %u levels (cyclic?)",
				    WALK_MAX_DEPTH);
			break;
		}
		node = NULL;
		while (top && !(node = walk_next(&st[top - 1])))
			top--;
		if (!node)
			break;
	}
	free(st);
	path_pop(&c->doc, 0);
	return ret;
}

/* ---- pass 3: validation ---- */

static void describe_types(const json_t *t, char *buf, size_t len)
{
	size_t n = json_array_size(t), used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		const char *sep = !i ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + used, len - used, "%s%s", sep,
				 json_string_value(json_array_get(t, i)));

		used += w < 0 ? 0 : (size_t)w;
	}
}

static int check_type(struct vctx *c, const json_t *s, const json_t *d)
{
	const json_t *t = json_object_get(s, "type");
	char want[128];
	json_t *e;
	size_t i;

	if (!t)
		return V_OK;
	if (json_is_string(t)) {
		if (type_matches(json_string_value(t), d))
			return V_OK;
		return fail(c, "expected %s, got %s", json_string_value(t), doc_type_name(d));
	}
	json_array_foreach(t, i, e)
		if (type_matches(json_string_value(e), d))
			return V_OK;
	describe_types(t, want, sizeof(want));
	return fail(c, "expected %s, got %s", want, doc_type_name(d));
}

static void describe_enum(const json_t *e, char *buf, size_t len)
{
	char one[SHOW_LEN + 8];
	size_t used = 0;
	json_t *v;
	size_t i;

	buf[0] = '\0';
	json_array_foreach(e, i, v) {
		show_value(v, false, one, sizeof(one));
		if (used + strlen(one) + 6 >= len) {
			snprintf(buf + used, len - used, "%s...", i ? ", " : "");
			return;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", one);
	}
}

static int check_enum_const(struct vctx *c, const json_t *s, const json_t *d)
{
	const json_t *k = json_object_get(s, "const");
	const json_t *e = json_object_get(s, "enum");
	char got[SHOW_LEN + 8], want[256];
	json_t *v;
	size_t i;

	if (k && !values_equal(k, d)) {
		show_value(d, true, got, sizeof(got));
		show_value(k, true, want, sizeof(want));
		return fail(c, "expected %s, got %s", want, got);
	}
	if (!e)
		return V_OK;
	json_array_foreach(e, i, v)
		if (values_equal(v, d))
			return V_OK;
	show_value(d, true, got, sizeof(got));
	describe_enum(e, want, sizeof(want));
	return fail(c, "%s is not one of %s", got, want);
}

static const struct bound {
	const char *kw;
	int dir;                /* +1: a lower bound, -1: an upper bound */
	bool exclusive;
	const char *what;
} bounds[] = {
	{ "minimum", 1, false, "is less than" },
	{ "exclusiveMinimum", 1, true, "is not greater than" },
	{ "maximum", -1, false, "is greater than" },
	{ "exclusiveMaximum", -1, true, "is not less than" },
};

static int check_number(struct vctx *c, const json_t *s, const json_t *d)
{
	char got[48], lim[48];

	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		const struct bound *b = &bounds[i];
		const json_t *l = json_object_get(s, b->kw);
		int cmp;

		if (!l)
			continue;
		cmp = num_cmp(d, l) * b->dir;
		if (cmp > 0 || (cmp == 0 && !b->exclusive))
			continue;
		show_value(d, false, got, sizeof(got));
		show_value(l, false, lim, sizeof(lim));
		return fail(c, "%s %s %s %s", got, b->what, b->kw, lim);
	}
	return V_OK;
}

/* minLength/maxLength and minItems/maxItems; check_schema() made the limits
 * non-negative integers. */
static int check_size(struct vctx *c, const json_t *s, const char *min_kw,
		      const char *max_kw, size_t n, const char *unit)
{
	const json_t *lo = json_object_get(s, min_kw);
	const json_t *hi = json_object_get(s, max_kw);

	if (lo && (uint64_t)n < (uint64_t)json_integer_value(lo))
		return fail(c, "has %zu %s, fewer than %s %" JSON_INTEGER_FORMAT,
			    n, unit, min_kw, json_integer_value(lo));
	if (hi && (uint64_t)n > (uint64_t)json_integer_value(hi))
		return fail(c, "has %zu %s, more than %s %" JSON_INTEGER_FORMAT,
			    n, unit, max_kw, json_integer_value(hi));
	return V_OK;
}

/* JSON Schema string lengths count code points, not bytes. */
static size_t utf8_length(const char *s, size_t bytes)
{
	size_t n = 0;

	for (size_t i = 0; i < bytes; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

static int check_string(struct vctx *c, const json_t *s, const json_t *d)
{
	size_t n = utf8_length(json_string_value(d), json_string_length(d));

	return check_size(c, s, "minLength", "maxLength", n, "characters");
}

static int check_array(struct vctx *c, const json_t *s, const json_t *d, int depth)
{
	const json_t *items = json_object_get(s, "items");
	size_t n = json_array_size(d), old;
	int ret;

	ret = check_size(c, s, "minItems", "maxItems", n, "items");
	if (ret || !items)
		return ret;
	for (size_t i = 0; i < n; i++) {
		old = path_push_index(&c->doc, i);
		ret = validate(c, items, json_array_get(d, i), depth + 1);
		path_pop(&c->doc, old);
		if (ret)
			return ret;
	}
	return V_OK;
}

static int check_required(struct vctx *c, const json_t *s, const json_t *d)
{
	const json_t *req = json_object_get(s, "required");
	json_t *name;
	size_t i;

	json_array_foreach(req, i, name)
		if (!json_object_get(d, json_string_value(name)))
			return fail(c, "missing required field '%s'", json_string_value(name));
	return V_OK;
}

static int check_member(struct vctx *c, const json_t *props, const json_t *extra,
			const char *key, const json_t *val, int depth)
{
	const json_t *sub = props ? json_object_get(props, key) : NULL;

	if (!sub)
		sub = extra;
	if (!sub)
		return V_OK;
	/* say why, rather than the generic "schema is false" */
	if (sub == extra && json_is_false(sub))
		return fail(c, "unknown field (additionalProperties is false)");
	return validate(c, sub, val, depth + 1);
}

static int check_object(struct vctx *c, const json_t *s, const json_t *d, int depth)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *extra = json_object_get(s, "additionalProperties");
	const char *key;
	json_t *val;
	size_t old;
	int ret;

	ret = check_required(c, s, d);
	if (ret || (!props && !extra))
		return ret;
	json_object_foreach((json_t *)d, key, val) {
		old = path_push_key(&c->doc, key);
		ret = check_member(c, props, extra, key, val, depth);
		path_pop(&c->doc, old);
		if (ret)
			return ret;
	}
	return V_OK;
}

static int check_kind(struct vctx *c, const json_t *s, const json_t *d, int depth)
{
	switch (json_typeof(d)) {
	case JSON_INTEGER:
	case JSON_REAL:
		return check_number(c, s, d);
	case JSON_STRING:
		return check_string(c, s, d);
	case JSON_ARRAY:
		return check_array(c, s, d, depth);
	case JSON_OBJECT:
		return check_object(c, s, d, depth);
	default:
		return V_OK;
	}
}

static int check_ref(struct vctx *c, const json_t *s, const json_t *d, int depth)
{
	const json_t *ref = json_object_get(s, "$ref");

	if (!ref)
		return V_OK;
	return validate(c, resolve_ref(c->root, json_string_value(ref)), d, depth + 1);
}

static int check_all_of(struct vctx *c, const json_t *s, const json_t *d, int depth)
{
	const json_t *list = json_object_get(s, "allOf");
	json_t *sub;
	size_t i;
	int ret;

	json_array_foreach(list, i, sub) {
		ret = validate(c, sub, d, depth + 1);
		if (ret)
			return ret;
	}
	return V_OK;
}

/* When no alternative matches, the most useful hint is the failure that got
 * deepest into the document: that branch was probably the one meant. */
struct closest {
	char msg[CLOSEST_LEN];
	size_t len;
	bool set;
};

static void note_closest(const struct vctx *c, struct closest *cl)
{
	if (cl->set && c->fail_len <= cl->len)
		return;
	copy_str(cl->msg, sizeof(cl->msg), c->msg);
	cl->len = c->fail_len;
	cl->set = true;
}

/* anyOf: at least one alternative matches; oneOf: exactly one does. */
static int check_alternatives(struct vctx *c, const json_t *s, const json_t *d,
			      int depth, const char *kw)
{
	const json_t *list = json_object_get(s, kw);
	bool exactly_one = !strcmp(kw, "oneOf");
	struct closest cl = { .set = false };
	size_t i, first = SIZE_MAX;
	json_t *sub;
	int ret;

	json_array_foreach(list, i, sub) {
		ret = validate(c, sub, d, depth + 1);
		if (ret == V_FATAL)
			return ret;
		if (ret == V_FAIL) {
			note_closest(c, &cl);
			continue;
		}
		if (!exactly_one)
			return V_OK;
		if (first != SIZE_MAX)
			return fail(c, "matches both oneOf alternatives %zu and %zu", first, i);
		first = i;
	}
	if (!list || first != SIZE_MAX)
		return V_OK;
	return fail(c, "matches none of the %s alternatives; closest: %s", kw, cl.msg);
}

static int validate(struct vctx *c, const json_t *s, const json_t *d, int depth)
{
	int ret;

	if (depth > SCHEMA_MAX_DEPTH)
		return fatal(c, "nested deeper than %d levels", SCHEMA_MAX_DEPTH);
	if (++c->steps > c->max_steps)
		return fatal(c, "gave up after %llu steps (schema too costly for this document)",
			     (unsigned long long)c->max_steps);
	if (json_is_boolean(s))
		return json_is_true(s) ? V_OK : fail(c, "no value allowed here (schema is false)");
	ret = check_type(c, s, d);
	if (!ret)
		ret = check_enum_const(c, s, d);
	if (!ret)
		ret = check_kind(c, s, d, depth);
	if (!ret)
		ret = check_ref(c, s, d, depth);
	if (!ret)
		ret = check_all_of(c, s, d, depth);
	if (!ret)
		ret = check_alternatives(c, s, d, depth, "anyOf");
	if (!ret)
		ret = check_alternatives(c, s, d, depth, "oneOf");
	return ret;
}

/* ---- entry points ---- */

static int run(struct vctx *c, const json_t *schema, const json_t *doc)
{
	uint64_t nodes = 0;
	int ret;

	memset(c, 0, sizeof(*c));
	c->root = schema;
	path_push_raw(&c->sch, "#", 1);
	if (!schema || !doc) {
		copy_str(c->msg, sizeof(c->msg), "schema_validate: no schema or no document");
		return -EINVAL;
	}
	ret = check_schema(c, schema, 0);
	if (!ret)
		ret = walk_document(c, doc, &nodes);
	if (ret < 0) {
		copy_str(c->msg, sizeof(c->msg), "out of memory");
		return ret;
	}
	if (ret)
		return -EINVAL;
	c->max_steps = STEPS_BASE + STEPS_PER_NODE * nodes;
	return validate(c, schema, doc, 0) ? -EINVAL : 0;
}

int schema_validate(const json_t *schema, const json_t *doc, char *err, size_t errlen)
{
	struct vctx c;
	int ret = run(&c, schema, doc);

	copy_str(err, errlen, ret ? c.msg : "");
	return ret;
}

/* Within jsonload's limits: the document may come from anyone. */
static int load_json(const char *path, json_t **out, char *err, size_t errlen)
{
	struct fb_err e = { "" };
	int ret = jsonload_file(path, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, out, &e);

	if (ret)
		copy_str(err, errlen, e.msg);
	return ret;
}

int schema_validate_files(const char *schema_path, const char *doc_path, char *err, size_t errlen)
{
	json_t *schema = NULL, *doc = NULL;
	struct vctx c;
	int ret;

	copy_str(err, errlen, "");
	ret = load_json(schema_path, &schema, err, errlen);
	if (!ret)
		ret = load_json(doc_path, &doc, err, errlen);
	if (!ret) {
		ret = run(&c, schema, doc);
		if (ret && err && errlen)
			snprintf(err, errlen, "%s: %s",
				 c.schema_fault ? schema_path : doc_path, c.msg);
	}
	json_decref(doc);
	json_decref(schema);
	return ret;
}
