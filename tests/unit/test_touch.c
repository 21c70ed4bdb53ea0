/* Unit tests for harness/touch.h and --touch: which words each touch kind
 * reads and writes (word 0 never written, reads and writes apart), that the
 * markers tell words and pages apart, and the flag's parsing and JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "config.h"
#include "touch.h"

static const uint64_t page_words[] = { 4096 / 8, 2097152 / 8 };
static const enum access_kind accesses[] = { ACCESS_WRITE, ACCESS_READ, ACCESS_READ_WRITE };

struct counted {
	uint64_t reads, writes, lines_written, lines_read;
};

/* Walk the page as the vCPU loop does: reads from word 0 by read_step,
 * writes from word 1 by write_step; check each against touch_writes(). */
static struct counted walk(enum touch_kind t, enum access_kind a, uint64_t wpp)
{
	struct touch_words tw = touch_words(t, a, wpp);
	struct counted c = { 0 };
	uint64_t last_line = UINT64_MAX;

	assert_true(tw.read_step && tw.read_step <= wpp && !(tw.read_step & (tw.read_step - 1)));
	assert_true(tw.write_step && tw.write_step <= wpp && !(tw.write_step & (tw.write_step - 1)));
	for (uint64_t w = 0; w < wpp; w += tw.read_step) {
		c.reads++;
		/* a read word is never a written one: order between vCPUs cannot
		 * change what is read */
		if (a == ACCESS_READ_WRITE)
			assert_false(touch_writes(&tw, w));
		if (w / TOUCH_LINE_WORDS != last_line)
			c.lines_read++;
		last_line = w / TOUCH_LINE_WORDS;
	}
	last_line = UINT64_MAX;
	for (uint64_t w = 0; w < wpp; w++) {
		bool in_loop = w >= 1 && (w - 1) % tw.write_step == 0;

		assert_int_equal(touch_writes(&tw, w), in_loop);
		if (!in_loop)
			continue;
		c.writes++;
		if (w / TOUCH_LINE_WORDS != last_line)
			c.lines_written++;
		last_line = w / TOUCH_LINE_WORDS;
	}
	assert_false(touch_writes(&tw, 0));
	return c;
}

static void test_word_sets(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		uint64_t wpp = page_words[i], lines = wpp / TOUCH_LINE_WORDS;

		for (size_t j = 0; j < 3; j++) {
			enum access_kind a = accesses[j];
			struct counted c;

			c = walk(TOUCH_WORD, a, wpp);
			assert_int_equal(c.reads, 1);
			assert_int_equal(c.writes, 1);

			c = walk(TOUCH_LINE, a, wpp);
			assert_int_equal(c.reads, lines);
			assert_int_equal(c.lines_read, lines);
			assert_int_equal(c.writes, lines);
			assert_int_equal(c.lines_written, lines);

			/* the whole page but its identity word */
			c = walk(TOUCH_PAGE, a, wpp);
			assert_int_equal(c.writes, wpp - 1);
			assert_int_equal(c.lines_written, lines);
			assert_int_equal(c.reads, a == ACCESS_READ ? wpp : 1);
		}
	}
}

static void test_markers(void **state)
{
	const uint64_t wpp = 4096 / 8;

	(void)state;
	for (uint64_t p = 0; p < 2000; p++) {
		/* word 1 keeps the one-word marker modes check */
		assert_int_equal(touch_marker(p, 1), write_marker(p));
		for (uint64_t w = 1; w < wpp; w++) {
			uint64_t m = touch_marker(p, w);

			if (!(m & 1))
				fail_msg("page %llu word %llu: marker %#llx is even (can be zero)",
					 (unsigned long long)p, (unsigned long long)w, (unsigned long long)m);
			/* a write one word off, or into the next page, is visible */
			if (w > 1 && m == touch_marker(p, w - 1))
				fail_msg("page %llu: words %llu and %llu share a marker", (unsigned long long)p,
					 (unsigned long long)w - 1, (unsigned long long)w);
			if (m == touch_marker(p + 1, w))
				fail_msg("word %llu: pages %llu and %llu share a marker", (unsigned long long)w,
					 (unsigned long long)p, (unsigned long long)p + 1);
		}
	}
	/* the last word of a 1G page still gets its own marker */
	assert_true(touch_marker(7, (1ULL << 27) - 1) != touch_marker(7, (1ULL << 27) - 2));
	assert_true(touch_marker(7, (1ULL << 27) - 1) != touch_marker(7, 1));
}

/* The vCPU loop's running marker (one xor and one add per word) is
 * touch_marker(). */
static void test_running_marker(void **state)
{
	(void)state;
	for (uint64_t step = 1; step <= 8; step *= 8) {
		uint64_t m = write_marker(42), d = 0;

		for (uint64_t w = 1; w < 4096; w += step, d += step * TOUCH_MARKER_STEP)
			assert_int_equal(m ^ d, touch_marker(42, w));
	}
}

static void test_flag(void **state)
{
	struct fb_config c;
	struct fb_err err = { 0 };
	char a0[] = "run", a1[] = "--touch", a2[] = "page", a3[] = "bogus";
	char *ok[] = { a0, a1, a2, NULL }, *bad[] = { a0, a1, a3, NULL };
	json_t *j;

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.touch, TOUCH_WORD);
	assert_int_equal(config_parse_run(&c, 3, ok, &err), 0);
	assert_int_equal(c.touch, TOUCH_PAGE);
	j = config_to_json(&c);
	assert_string_equal(json_string_value(json_object_get(j, "touch")), "page");
	json_decref(j);

	assert_int_equal(config_parse_run(&c, 3, bad, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--touch"));
	assert_non_null(strstr(err.msg, "word, line, page"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word_sets),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_running_marker),
		cmocka_unit_test(test_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
