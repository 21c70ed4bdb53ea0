/* Unit tests for the JSON Schema subset validator (harness/analysis/schema.c).
 * Schemas and documents are inline strings, except where jansson's parser
 * cannot build the document (deeper than its 2048-level limit). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/schema.h"

static char err[512];

/* Test JSON is written with ' for " to keep it readable; no test value
 * contains a real apostrophe. */
static char *unquote(const char *text)
{
	char *copy = strdup(text);

	assert_non_null(copy);
	for (char *p = copy; *p; p++)
		if (*p == '\'')
			*p = '"';
	return copy;
}

static json_t *parse(const char *text)
{
	char *json = unquote(text);
	json_error_t je;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &je);

	if (!v)
		fail_msg("test JSON does not parse: %s: %s", je.text, json);
	free(json);
	return v;
}

static int check(const char *schema, const char *doc)
{
	json_t *s = parse(schema), *d = parse(doc);
	int ret = schema_validate(s, d, err, sizeof(err));

	json_decref(d);
	json_decref(s);
	return ret;
}

static void valid(const char *schema, const char *doc)
{
	if (check(schema, doc))
		fail_msg("expected valid: %s against %s: %s", doc, schema, err);
	assert_string_equal(err, "");
}

/* want: the whole message, or with a leading '~' a substring of it */
static void invalid(const char *schema, const char *doc, const char *want)
{
	int ret = check(schema, doc);

	if (ret != -EINVAL)
		fail_msg("expected -EINVAL, got %d: %s against %s", ret, doc, schema);
	if (want[0] == '~') {
		if (!strstr(err, want + 1))
			fail_msg("message '%s' lacks '%s'", err, want + 1);
	} else {
		assert_string_equal(err, want);
	}
}

static void test_types(void **state)
{
	static const struct {
		const char *type, *ok, *bad, *bad_name;
	} cases[] = {
		{ "object", "{}", "[]", "array" },
		{ "array", "[1]", "{}", "object" },
		{ "string", "'x'", "1", "integer" },
		{ "number", "1.5", "'1'", "string" },
		{ "integer", "-3", "1.5", "number" },
		{ "boolean", "false", "null", "null" },
		{ "null", "null", "true", "boolean" },
	};
	char schema[64], want[96];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(schema, sizeof(schema), "{'type': '%s'}", cases[i].type);
		snprintf(want, sizeof(want), "/: expected %s, got %s",
			 cases[i].type, cases[i].bad_name);
		valid(schema, cases[i].ok);
		invalid(schema, cases[i].bad, want);
	}
	valid("{'type': ['integer', 'null']}", "null");
	valid("{'type': ['integer', 'null']}", "7");
	invalid("{'type': ['integer', 'null']}", "'7'", "/: expected integer or null, got string");
	invalid("{'type': ['integer', 'string', 'null']}", "[]",
		"/: expected integer, string or null, got array");
	valid("true", "{'anything': [1]}");
	invalid("false", "1", "/: no value allowed here (schema is false)");
}

static void test_integer_vs_number(void **state)
{
	(void)state;
	valid("{'type': 'integer'}", "1.0");
	valid("{'type': 'integer'}", "-0.0");
	valid("{'type': 'integer'}", "1e3");
	invalid("{'type': 'integer'}", "1.25", "/: expected integer, got number");
	valid("{'type': 'number'}", "1");
	valid("{'type': 'number'}", "1.25");
	invalid("{'type': 'number'}", "true", "/: expected number, got boolean");
}

static void test_required(void **state)
{
	static const char *schema =
		"{'type': 'object', 'properties': {'config': {"
		"  'type': 'object', 'required': ['mode', 'vcpus']}}}";

	(void)state;
	valid(schema, "{'config': {'mode': 'none', 'vcpus': 1}}");
	valid(schema, "{}");
	invalid(schema, "{'config': {'vcpus': 1}}", "/config: missing required field 'mode'");
	invalid("{'required': ['a']}", "{'b': 1}", "/: missing required field 'a'");
	/* required says nothing about non-objects */
	valid("{'required': ['a']}", "3");
}

static void test_additional_properties(void **state)
{
	static const char *closed =
		"{'properties': {'host': {'type': 'object',"
		"  'properties': {'cpus': {'type': 'integer'}},"
		"  'additionalProperties': false}}}";
	static const char *typed =
		"{'properties': {'a': {}}, 'additionalProperties': {'type': 'string'}}";

	(void)state;
	valid(closed, "{'host': {'cpus': 4}}");
	invalid(closed, "{'host': {'cpus': 4, 'extra': 1}}",
		"/host/extra: unknown field (additionalProperties is false)");
	valid(typed, "{'a': 1, 'b': 'x'}");
	invalid(typed, "{'a': 1, 'b': 2}", "/b: expected string, got integer");
	/* keys are escaped in the path as in RFC 6901 */
	invalid("{'additionalProperties': false}", "{'a/b~c': 1}",
		"/a~1b~0c: unknown field (additionalProperties is false)");
}

static void test_enum(void **state)
{
	static const char *schema =
		"{'properties': {'config': {'properties': {'mode': {"
		"  'enum': ['none', 'populate', 'uffd-stock']}}}}}";

	(void)state;
	valid(schema, "{'config': {'mode': 'populate'}}");
	invalid(schema, "{'config': {'mode': 'foo'}}",
		"/config/mode: 'foo' is not one of none, populate, uffd-stock");
	valid("{'enum': [1, null, [1, 2], {'a': 1}]}", "1.0");
	valid("{'enum': [1, null, [1, 2], {'a': 1}]}", "{'a': 1}");
	valid("{'enum': [1, null, [1, 2], {'a': 1}]}", "[1, 2.0]");
	invalid("{'enum': [1, null]}", "2", "/: 2 is not one of 1, null");
	invalid("{'enum': [[1, 2]]}", "[2, 1]", "/: [2,1] is not one of [1,2]");
}

static void test_const(void **state)
{
	(void)state;
	valid("{'const': 'v1'}", "'v1'");
	invalid("{'const': 'v1'}", "'v2'", "/: expected 'v1', got 'v2'");
	valid("{'const': 3}", "3.0");
	invalid("{'const': 3}", "'3'", "/: expected 3, got '3'");
	valid("{'const': {'a': [1, {'b': null}], 'c': true}}",
	      "{'c': true, 'a': [1, {'b': null}]}");
	invalid("{'const': {'a': 1}}", "{'a': 1, 'b': 2}", "~/: expected {\"a\":1}");
	invalid("{'const': false}", "0", "/: expected false, got 0");
}

static void test_bounds(void **state)
{
	(void)state;
	valid("{'minimum': 1, 'maximum': 10}", "1");
	valid("{'minimum': 1, 'maximum': 10}", "10.0");
	invalid("{'minimum': 1}", "0.5", "/: 0.5 is less than minimum 1");
	invalid("{'maximum': 10}", "11", "/: 11 is greater than maximum 10");
	invalid("{'exclusiveMinimum': 0}", "0", "/: 0 is not greater than exclusiveMinimum 0");
	valid("{'exclusiveMinimum': 0}", "1e-300");
	invalid("{'exclusiveMaximum': 1.5}", "1.5", "/: 1.5 is not less than exclusiveMaximum 1.5");
	valid("{'exclusiveMaximum': 1.5}", "1");
	/* large integers compare exactly, not through a double */
	valid("{'maximum': 9007199254740993}", "9007199254740993");
	invalid("{'maximum': 9007199254740992}", "9007199254740993",
		"/: 9007199254740993 is greater than maximum 9007199254740992");
	/* bounds do not apply to other types */
	valid("{'minimum': 5}", "'1'");
}

static void test_lengths(void **state)
{
	(void)state;
	valid("{'minLength': 2, 'maxLength': 3}", "'ab'");
	invalid("{'minLength': 2}", "'a'", "/: has 1 characters, fewer than minLength 2");
	invalid("{'maxLength': 3}", "'abcd'", "/: has 4 characters, more than maxLength 3");
	/* code points, not bytes: "héé" is 5 bytes */
	valid("{'maxLength': 3}", "'h\\u00e9\\u00e9'");
}

static void test_items(void **state)
{
	static const char *schema =
		"{'type': 'object', 'properties': {'runs': {'type': 'array', 'items': {"
		"  'type': 'object', 'properties': {'vcpus': {'type': 'array', 'items': {"
		"    'type': 'object', 'properties': {'pages_per_s': {'type': 'number'}}}}}}}}}";

	(void)state;
	valid(schema, "{'runs': [{'vcpus': [{'pages_per_s': 1}, {'pages_per_s': 2.5}]}]}");
	invalid(schema,
		"{'runs': [{'vcpus': [{'pages_per_s': 1}, {'pages_per_s': 'fast'}]}]}",
		"/runs/0/vcpus/1/pages_per_s: expected number, got string");
	invalid("{'items': {'type': 'integer'}}", "[1, 2, 3.5]",
		"/2: expected integer, got number");
}

static void test_min_max_items(void **state)
{
	(void)state;
	valid("{'minItems': 1, 'maxItems': 2}", "[1]");
	valid("{'minItems': 1, 'maxItems': 2}", "[1, 2]");
	invalid("{'properties': {'runs': {'minItems': 1}}}", "{'runs': []}",
		"/runs: has 0 items, fewer than minItems 1");
	invalid("{'maxItems': 2}", "[1, 2, 3]", "/: has 3 items, more than maxItems 2");
}

static void test_ref(void **state)
{
	static const char *schema =
		"{'$defs': {"
		"   'Run': {'type': 'object', 'required': ['vcpus'],"
		"            'properties': {'vcpus': {'type': 'array',"
		"                                     'items': {'$ref': '#/$defs/Vcpu'}}}},"
		"   'Vcpu': {'type': 'object', 'properties': {'ns': {'$ref': '#/$defs/Nonneg'}}},"
		"   'Nonneg': {'type': 'integer', 'minimum': 0}},"
		" 'type': 'object',"
		" 'properties': {'runs': {'type': 'array', 'items': {'$ref': '#/$defs/Run'}}}}";
	static const char *tree =
		"{'type': 'object',"
		" 'properties': {'kids': {'type': 'array', 'items': {'$ref': '#'}}}}";

	(void)state;
	valid(schema, "{'runs': [{'vcpus': [{'ns': 0}, {'ns': 5}]}]}");
	invalid(schema, "{'runs': [{'vcpus': [{'ns': 0}, {'ns': -5}]}]}",
		"/runs/0/vcpus/1/ns: -5 is less than minimum 0");
	invalid(schema, "{'runs': [{}]}", "/runs/0: missing required field 'vcpus'");
	valid(tree, "{'kids': [{'kids': []}, {}]}");
	invalid(tree, "{'kids': [{'kids': [1]}]}", "/kids/0/kids/0: expected object, got integer");
	valid("{'definitions': {'a/b': {'const': 1}}, '$ref': '#/definitions/a~1b'}", "1");
}

static void test_any_one_all_of(void **state)
{
	static const char *any =
		"{'anyOf': [{'type': 'null'}, {'type': 'object', 'required': ['x'],"
		"  'properties': {'x': {'type': 'integer'}}}]}";
	static const char *one =
		"{'oneOf': [{'type': 'integer'}, {'type': 'number', 'minimum': 10}]}";

	(void)state;
	valid(any, "null");
	valid(any, "{'x': 1}");
	invalid(any, "{'x': '1'}",
		"/: matches none of the anyOf alternatives; "
		"closest: /x: expected integer, got string");
	invalid(any, "7", "~/: matches none of the anyOf alternatives");
	valid(one, "3");
	valid(one, "10.5");
	invalid(one, "12", "/: matches both oneOf alternatives 0 and 1");
	invalid(one, "2.5", "~/: matches none of the oneOf alternatives; closest: ");
	valid("{'allOf': [{'minimum': 1}, {'maximum': 3}]}", "2");
	invalid("{'allOf': [{'minimum': 1}, {'maximum': 3}]}", "4",
		"/: 4 is greater than maximum 3");
	/* a nested failure is reported at the anyOf's own path */
	invalid("{'properties': {'a': {'anyOf': [{'type': 'string'}, {'type': 'null'}]}}}",
		"{'a': 1}", "~/a: matches none of the anyOf alternatives");
}

static void test_schema_errors(void **state)
{
	(void)state;
	invalid("{'properties': {'a': {'type': 'x'}}}", "{}",
		"schema: unknown type 'x' at #/properties/a/type");
	invalid("{'type': ['string', 'float']}", "1", "schema: unknown type 'float' at #/type");
	invalid("{'$ref': '#/$defs/Nope'}", "1", "~schema: cannot resolve $ref '#/$defs/Nope'");
	invalid("{'$ref': 'other.json#/x'}", "1", "~schema: cannot resolve $ref");
	invalid("{'properties': {'s': {'pattern': '^a'}}}", "{}",
		"schema: keyword 'pattern' is not supported at #/properties/s/pattern");
	invalid("{'minItems': -1}", "[]",
		"schema: 'minItems' must be a non-negative integer at #/minItems");
	invalid("{'exclusiveMinimum': true}", "1", "~schema: 'exclusiveMinimum' must be a number");
	invalid("{'items': [{}]}", "[]",
		"~schema: 'items' as an array (tuple form) is not supported");
	invalid("{'anyOf': []}", "1", "~schema: 'anyOf' must be a non-empty array");
	invalid("{'properties': {'a': 3}}", "{}",
		"schema: expected an object or a boolean at #/properties/a");
	/* checked even where the document does not reach, and in unused $defs */
	invalid("{'$defs': {'U': {'type': 'nope'}}}", "1",
		"schema: unknown type 'nope' at #/$defs/U/type");
	/* annotations and unknown keywords are ignored */
	valid("{'$schema': 'https://json-schema.org/draft/2020-12/schema', '$id': 'x',"
	      " 'title': 't', 'description': 'd', '$comment': 'c', 'examples': [1],"
	      " 'default': 0, 'unit': 'ns', 'format': 'uint64', 'type': 'integer'}", "1");
}

static void test_null_args(void **state)
{
	json_t *s = parse("{'type': 'string'}"), *d = parse("[1]");
	char tiny[8];

	(void)state;
	assert_int_equal(schema_validate(NULL, d, err, sizeof(err)), -EINVAL);
	assert_int_equal(schema_validate(s, NULL, NULL, 0), -EINVAL);
	/* no buffer, or a tiny one, is fine: the message is cut, not overrun */
	assert_int_equal(schema_validate(s, d, NULL, 0), -EINVAL);
	assert_int_equal(schema_validate(s, d, tiny, sizeof(tiny)), -EINVAL);
	assert_string_equal(tiny, "/: expe");
	json_decref(d);
	json_decref(s);
}

/* json_decref() recurses; take a deep chain apart from the top instead. */
static void free_deep(json_t *v)
{
	while (v) {
		json_t *child = json_is_array(v) && json_array_size(v) ?
				json_incref(json_array_get(v, 0)) : NULL;

		json_decref(v);
		v = child;
	}
}

/* 10000 nested arrays: more than jansson's parser accepts, so built by hand. */
static json_t *deep_array(size_t levels)
{
	json_t *top = json_array(), *cur = top;

	for (size_t i = 1; i < levels; i++) {
		json_t *next = json_array();

		assert_int_equal(json_array_append_new(cur, next), 0);
		cur = next;
	}
	return top;
}

static void test_deep_document(void **state)
{
	json_t *doc = deep_array(10000);
	json_t *recursive = parse("{'type': 'array', 'items': {'$ref': '#'}}");
	json_t *flat = parse("{'type': 'array'}");

	(void)state;
	assert_int_equal(schema_validate(recursive, doc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested deeper than 64 levels"));
	assert_true(strncmp(err, "/0/0/0/", 7) == 0);
	/* the non-finite walk covers every level without recursing */
	assert_int_equal(schema_validate(flat, doc, err, sizeof(err)), 0);
	json_decref(flat);
	json_decref(recursive);
	free_deep(doc);
}

static void test_deep_schema(void **state)
{
	char text[2048] = "";
	json_t *s;

	(void)state;
	for (int i = 0; i < 100; i++)
		strcat(text, "{'items': ");
	strcat(text, "{}");
	for (int i = 0; i < 100; i++)
		strcat(text, "}");
	s = parse(text);
	assert_int_equal(schema_validate(s, s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "schema: nested deeper than 64 levels at #/items/items/"));
	json_decref(s);
}

/* anyOf over a chain of $refs doubles the work per level: the step budget
 * must stop it long before 2^24 steps. */
static void test_exponential_schema(void **state)
{
	enum { LEVELS = 24 };
	char text[LEVELS * 96 + 64];
	size_t n = 0;
	struct timespec t0, t1;
	json_t *s, *d = parse("1");

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "{'$ref': '#/$defs/a0', '$defs': {");
	for (int i = 0; i < LEVELS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "'a%d': {'anyOf': [{'$ref': '#/$defs/a%d'},"
				      "                  {'$ref': '#/$defs/a%d'}]},",
				      i, i + 1, i + 1);
	snprintf(text + n, sizeof(text) - n, "'a%d': false}}", LEVELS);
	s = parse(text);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(schema_validate(s, d, err, sizeof(err)), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(strstr(err, "gave up after"));
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	json_decref(d);
	json_decref(s);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_big_array(void **state)
{
	enum { N = 100000 };
	json_t *s = parse("{'type': 'array', 'minItems': 1, 'items': {'$ref': '#/$defs/S'},"
			  " '$defs': {'S': {'type': 'object', 'required': ['i', 'ns'],"
			  "   'additionalProperties': false,"
			  "   'properties': {'i': {'type': 'integer', 'minimum': 0},"
			  "                  'ns': {'type': 'number', 'exclusiveMinimum': 0},"
			  "                  'mode': {'enum': ['none', 'populate']}}}}}");
	json_t *d = json_array();
	struct timespec t0;
	double secs;

	(void)state;
	for (int i = 0; i < N; i++)
		json_array_append_new(d, json_pack("{s:i, s:f, s:s}",
						   "i", i, "ns", 1.5 + i, "mode", "none"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(schema_validate(s, d, err, sizeof(err)), 0);
	secs = seconds_since(&t0);
	/* tens of milliseconds normally; generous for sanitizer builds */
	if (secs > 5)
		fail_msg("100000 elements took %.2f s", secs);
	json_object_set_new(json_array_get(d, N - 1), "ns", json_real(0));
	assert_int_equal(schema_validate(s, d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/99999/ns: 0 is not greater than exclusiveMinimum 0");
	json_decref(d);
	json_decref(s);
}

static void write_file(char *path, const char *text)
{
	char *json = unquote(text);
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(json, f);
	free(json);
	assert_int_equal(fclose(f), 0);
}

static void test_files(void **state)
{
	char schema[] = "/tmp/fb_schema_XXXXXX", good[] = "/tmp/fb_good_XXXXXX";
	char bad[] = "/tmp/fb_bad_XXXXXX", broken[] = "/tmp/fb_broken_XXXXXX";
	char dup[] = "/tmp/fb_dup_XXXXXX", wrong[] = "/tmp/fb_wrong_XXXXXX";
	char want[128];

	(void)state;
	write_file(schema, "{'type': 'object', 'required': ['mode']}");
	write_file(good, "{'mode': 'none'}\n");
	write_file(bad, "{'mod': 'none'}\n");
	write_file(broken, "{\n  'mode': 'none',\n}\n");
	write_file(dup, "{'mode': 1, 'mode': 2}");

	assert_int_equal(schema_validate_files(schema, good, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	assert_int_equal(schema_validate_files(schema, bad, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: /: missing required field 'mode'", bad);
	assert_string_equal(err, want);

	assert_int_equal(schema_validate_files(schema, broken, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3:1: ", broken);
	if (strncmp(err, want, strlen(want)))
		fail_msg("parse error '%s' does not start with '%s'", err, want);

	assert_int_equal(schema_validate_files(schema, dup, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "duplicate object key"));

	assert_int_equal(schema_validate_files("/nonexistent/schema.json", good, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/schema.json"));

	/* a broken schema is blamed on the schema file */
	write_file(wrong, "{'type': 'float'}");
	assert_int_equal(schema_validate_files(wrong, good, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: schema: unknown type 'float' at #/type", wrong);
	assert_string_equal(err, want);

	unlink(schema);
	unlink(good);
	unlink(bad);
	unlink(broken);
	unlink(dup);
	unlink(wrong);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_integer_vs_number),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_additional_properties),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_const),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_min_max_items),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_any_one_all_of),
		cmocka_unit_test(test_schema_errors),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_deep_document),
		cmocka_unit_test(test_deep_schema),
		cmocka_unit_test(test_exponential_schema),
		cmocka_unit_test(test_big_array),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
