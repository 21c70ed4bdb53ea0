/* Unit tests for harness/suite: parsing and expanding suite files, and what
 * a refusal says (every error names the file, the line and the field). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fb.h"
#include "modes/mode.h"
#include "suite.h"

static bool has_arg(const struct suite_config *c, const char *a, const char *v)
{
	for (int i = 0; i < c->argc; i++)
		if (!strcmp(c->argv[i], a) && (!v || (i + 1 < c->argc && !strcmp(c->argv[i + 1], v))))
			return true;
	return false;
}

static const struct suite_config *by_id(const struct suite *s, const char *id)
{
	for (size_t i = 0; i < s->nc; i++)
		if (!strcmp(s->c[i].id, id))
			return &s->c[i];
	fail_msg("no configuration '%s'", id);
	return NULL;
}

static void parse_ok(struct suite *s, const char *text)
{
	struct fb_err err = { "" };
	int rc = suite_parse(s, "t.suite", text, &err);

	if (rc)
		fail_msg("suite_parse: %d: %s", rc, err.msg);
}

static void test_good_file(void **state)
{
	struct suite s;
	const struct suite_config *c;

	(void)state;
	parse_ok(&s, "# a comment\n"
		     "suite: demo   # trailing comment\n"
		     "description: two matrices\n"
		     "reps: 2\n"
		     "size: 4M\n"
		     "\n"
		     "[rate]\n"
		     "mode: none uffd-stock\n"
		     "vcpus: 1 2\n"
		     "\n"
		     "[big]\n"
		     "mode: none\n"
		     "size: 8M\n"
		     "overlap: yes\n"
		     "verify: no\n"
		     "per-vcpu: no\n");
	assert_string_equal(s.name, "demo");
	assert_string_equal(s.description, "two matrices");
	assert_int_equal(s.nm, 2);
	assert_int_equal(s.nc, 5);
	c = by_id(&s, "rate-uffd-stock-anon-2v-4M");
	assert_string_equal(c->matrix, "rate");
	assert_string_equal(c->command, "run");
	assert_null(c->skip_reason);
	assert_true(has_arg(c, "--reps", "2"));       /* from the suite header */
	assert_true(has_arg(c, "--size", "4M"));
	assert_true(has_arg(c, "--vcpus", "2"));
	assert_true(c->weight > 0);
	c = by_id(&s, "big-none-anon-1v-8M");
	assert_true(has_arg(c, "--size", "8M"));      /* the matrix overrides */
	assert_false(has_arg(c, "--size", "4M"));
	assert_true(has_arg(c, "--overlap", NULL));
	assert_true(has_arg(c, "--no-verify", NULL));
	assert_false(has_arg(c, "--per-vcpu", NULL));
	suite_free(&s);
}

static void test_name_from_file(void **state)
{
	struct suite s;

	(void)state;
	parse_ok(&s, "[m]\nmode: none\n");
	assert_string_equal(s.name, "t");
	assert_int_equal(s.nc, 1);
	suite_free(&s);
}

static void test_mode_all(void **state)
{
	struct suite s;

	(void)state;
	parse_ok(&s, "[m]\nmode: all\nsize: 4M\n");
	assert_int_equal(s.nc, fault_modes_count);
	for (size_t i = 0; i < s.nc; i++)
		assert_true(has_arg(&s.c[i], "--mode", fault_modes[i]->name));
	suite_free(&s);
}

static void test_optional_mode(void **state)
{
	struct suite s;

	(void)state;
	parse_ok(&s, "[m]\nmode: none? no-such-mode?\nsize: 4M\n");
	assert_int_equal(s.nc, 2);
	assert_null(by_id(&s, "m-none-anon-1v-4M")->skip_reason);
	assert_non_null(by_id(&s, "m-no-such-mode-anon-1v-4M")->skip_reason);
	assert_non_null(strstr(by_id(&s, "m-no-such-mode-anon-1v-4M")->skip_reason,
			       "'no-such-mode' is not in this build"));
	suite_free(&s);
}

/* A mode from `all` that refuses what others take is skipped, not an error. */
static void test_wildcard_refusal_is_skip(void **state)
{
	struct suite s;
	size_t skipped = 0;

	(void)state;
	parse_ok(&s, "[m]\nmode: all\nuffd: per-vcpu\noverlap: yes\nvcpus: 2\nsize: 4M\n");
	assert_int_equal(s.nc, fault_modes_count);
	assert_null(by_id(&s, "m-none-anon-2v-4M")->skip_reason);
	for (size_t i = 0; i < s.nc; i++) {
		if (!s.c[i].skip_reason)
			continue;
		skipped++;
		assert_non_null(strstr(s.c[i].skip_reason, "does not take this configuration"));
	}
	assert_true(skipped >= 1);   /* uffd-stock at least */
	suite_free(&s);
}

/* What does not fit this host is skipped, so a shipped suite still runs on
 * a smaller machine. */
static void test_host_limit_is_skip(void **state)
{
	struct suite s;
	const struct suite_config *c;

	(void)state;
	parse_ok(&s, "[m]\nmode: none\nsize: 4M 1000T\n");
	assert_int_equal(s.nc, 2);
	assert_null(by_id(&s, "m-none-anon-1v-4M")->skip_reason);
	c = by_id(&s, "m-none-anon-1v-1000T");
	assert_non_null(c->skip_reason);
	assert_non_null(strstr(c->skip_reason, "not on this host"));
	suite_free(&s);
}

static void test_ids_unique(void **state)
{
	struct suite s;

	(void)state;
	parse_ok(&s, "[m]\nmode: none\nvcpus: 1 1\nsize: 4M\nseed: 1 2\n");
	assert_int_equal(s.nc, 4);
	by_id(&s, "m-none-anon-1v-4M-seed-1");
	by_id(&s, "m-none-anon-1v-4M-seed-1-dup2");
	for (size_t i = 0; i < s.nc; i++)
		for (size_t j = i + 1; j < s.nc; j++)
			assert_string_not_equal(s.c[i].id, s.c[j].id);
	suite_free(&s);
}

static void test_other_command(void **state)
{
	struct suite s;
	const struct suite_config *c;

	(void)state;
	parse_ok(&s, "reps: 2\n[wp]\ncommand: wpcost\nthp: off on\nrange: 1G\nverbose: yes\n");
	assert_int_equal(s.nc, 2);
	c = by_id(&s, "wp-wpcost-thp-on");
	assert_string_equal(c->command, "wpcost");
	assert_true(has_arg(c, "--thp", "on"));
	assert_true(has_arg(c, "--range", "1G"));
	assert_true(has_arg(c, "--verbose", NULL));
	assert_false(has_arg(c, "--reps", NULL));   /* header fields are `run` flags */
	suite_free(&s);
}

struct bad {
	const char *text;
	const char *want;   /* substring of the error */
};

static void test_errors(void **state)
{
	static const struct bad cases[] = {
		{ "[m]\nmode: none\nsise: 4M\n", "t.suite:3: field 'sise': unknown field" },
		{ "[m]\nmode: none\nsize: 3X\n", "t.suite:3: field 'size': --size" },
		{ "[m]\nmode: none\nsize: 6K\n", "t.suite:3: field 'size': --size 6K is not a multiple" },
		{ "[m]\nsize: 4M\nmode: nosuch\n", "t.suite:3: field 'mode': --mode: 'nosuch'" },
		{ "[m]\nmode: all none\n", "t.suite:2: field 'mode': 'all' already names" },
		{ "[m]\nmode: none\noverlap: maybe\n", "t.suite:3: field 'overlap': 'maybe' is not accepted" },
		{ "[m]\nmode: none\nvcpus: 0\n", "t.suite:3: field 'vcpus': --vcpus" },
		{ "[m]\nsize: 4M\nsize: 8M\n", "t.suite:3: field 'size': given twice" },
		{ "[m]\nsize:\n", "t.suite:2: field 'size': no value" },
		{ "[m]\nhello world\n", "t.suite:2: 'hello world' is neither" },
		{ "[m]\nper-vcpu: yes\noverlap: yes\n", "t.suite:2: field 'per-vcpu': --per-vcpu and --overlap" },
		{ "[m]\ncommand: suite\n", "t.suite:2: field 'command': 'suite' cannot run" },
		{ "[m]\nmode: none\nout: x.json\n", "t.suite:3: field 'out': the suite runner sets" },
		{ "reps: 3\n", "t.suite:1: no [matrix] section" },
		{ "[a b]\n", "t.suite:1: matrix name 'a b'" },
		{ "[m]\nmode: none\n[m]\nmode: none\n", "t.suite:3: matrix 'm' is already defined on line 1" },
		{ "[m]\nsuite: x\n", "t.suite:2: field 'suite': belongs before the first [matrix]" },
		{ "[m\n", "t.suite:1: a matrix header is [NAME]" },
		{ "reps: x\n[m]\nmode: none\n", "t.suite:1: field 'reps': --reps" },
		{ "command: wpcost\n[m]\nmode: none\n", "t.suite:1: field 'command': belongs in a [matrix]" },
		{ "[m]\ncommand: wpcost run\n", "t.suite:2: field 'command': takes one command" },
		/* every mode refuses it: the suite's mistake, even with `all` */
		{ "[m]\nmode: all\nsize: 6K\n", "t.suite:3: field 'size'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb_err err = { "" };
		struct suite s;
		int rc = suite_parse(&s, "t.suite", cases[i].text, &err);

		if (rc != -EINVAL || !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: rc %d, error '%s'; wanted '%s'", i, rc, err.msg, cases[i].want);
	}
}

static void test_shipped_suites_parse(void **state)
{
	static const char *const names[] = { "quick", "ci", "paper" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct fb_err err = { "" };
		char path[4096];
		struct suite s;

		if (suite_find(names[i], path, sizeof(path), &err))
			fail_msg("%s: %s", names[i], err.msg);
		if (suite_load(&s, path, &err))
			fail_msg("%s: %s", path, err.msg);
		assert_string_equal(s.name, names[i]);
		assert_true(s.nc > 0);
		suite_free(&s);
	}
}

static void test_missing_file(void **state)
{
	struct fb_err err = { "" };
	struct suite s;
	char path[256];

	(void)state;
	assert_int_equal(suite_load(&s, "/nonexistent/x.suite", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x.suite"));
	assert_int_equal(suite_find("no-such-suite", path, sizeof(path), &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no-such-suite"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_name_from_file),
		cmocka_unit_test(test_mode_all),
		cmocka_unit_test(test_optional_mode),
		cmocka_unit_test(test_wildcard_refusal_is_skip),
		cmocka_unit_test(test_host_limit_is_skip),
		cmocka_unit_test(test_ids_unique),
		cmocka_unit_test(test_other_command),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_shipped_suites_parse),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
