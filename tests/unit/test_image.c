/* Unit tests for harness/image: the materialized image matches
 * image_word(), the zero map's share and determinism, and that words and
 * write markers cannot be mistaken for one another. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fb.h"
#include "image.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void make(struct image *img, uint64_t npages, uint64_t page_size, double zf, uint64_t seed,
		 bool materialize)
{
	struct fb_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = image_create(img, npages, page_size, zf, seed, materialize, &err);
	if (rc)
		fail_msg("image_create(%llu pages, %llu B, zf %.2f) = %d: %s",
			 (unsigned long long)npages, (unsigned long long)page_size, zf, rc, err.msg);
}

static uint64_t popcount_map(const struct image *img)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < (img->npages + 63) / 64; i++)
		n += (uint64_t)__builtin_popcountll(img->zero_bits[i]);
	return n;
}

/* No bit set at or past npages in the map's last word. */
static void check_map_tail(const struct image *img)
{
	uint64_t words = (img->npages + 63) / 64;

	if (img->npages % 64)
		assert_int_equal(img->zero_bits[words - 1] >> (img->npages % 64), 0);
}

static void check_materialized(const struct image *img)
{
	uint64_t wpp = img->page_size / 8;

	assert_non_null(img->data);
	assert_int_equal(img->data_len, img->npages * img->page_size);
	for (uint64_t p = 0; p < img->npages; p++) {
		const uint64_t *w = (const uint64_t *)(img->data + p * img->page_size);
		bool zero = image_is_zero(img, p);

		for (uint64_t i = 0; i < wpp; i++) {
			if (w[i] != image_word(img, p, i))
				fail_msg("page %llu word %llu: %#llx, image_word %#llx",
					 (unsigned long long)p, (unsigned long long)i,
					 (unsigned long long)w[i],
					 (unsigned long long)image_word(img, p, i));
			if (zero && w[i])
				fail_msg("zero page %llu word %llu is %#llx", (unsigned long long)p,
					 (unsigned long long)i, (unsigned long long)w[i]);
		}
	}
}

static void test_materialized_matches(void **state)
{
	static const struct {
		uint64_t npages, page_size;
		double zf;
		uint64_t seed;
	} cases[] = {
		{ 1, 4096, 0, 1 },
		{ 257, 4096, 0.3, 1 },   /* not a multiple of 64: a partial map word */
		{ 1000, 4096, 0, 99 },
		{ 640, 4096, 1, 5 },
		{ 300, 64, 0.5, 12345 }, /* a small page: eight words */
		{ 3, 2 * 1024 * 1024, 0.5, 8 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct image img;

		make(&img, cases[i].npages, cases[i].page_size, cases[i].zf, cases[i].seed, true);
		assert_int_equal(img.npages, cases[i].npages);
		assert_int_equal(img.page_size, cases[i].page_size);
		assert_int_equal(img.seed, cases[i].seed);
		assert_int_equal(img.nzero, popcount_map(&img));
		check_map_tail(&img);
		check_materialized(&img);
		image_destroy(&img);
	}
}

static void test_zero_fraction(void **state)
{
	struct image img;
	double share;

	(void)state;
	make(&img, 100000, 4096, 0, 1, false);
	assert_int_equal(img.nzero, 0);
	assert_int_equal(popcount_map(&img), 0);
	image_destroy(&img);

	make(&img, 100000, 4096, 1, 1, false);
	assert_int_equal(img.nzero, 100000);
	assert_int_equal(popcount_map(&img), 100000);
	check_map_tail(&img);
	for (uint64_t p = 0; p < 100000; p += 997)
		assert_int_equal(image_word(&img, p, 5), 0);
	image_destroy(&img);

	for (uint64_t seed = 1; seed <= 3; seed++) {
		make(&img, 100000, 4096, 0.25, seed, false);
		share = (double)img.nzero / 100000.0;
		if (share < 0.23 || share > 0.27)
			fail_msg("seed %llu: zero share %.4f, want 0.23..0.27",
				 (unsigned long long)seed, share);
		assert_int_equal(img.nzero, popcount_map(&img));
		check_map_tail(&img);
		image_destroy(&img);
	}
}

static void test_deterministic(void **state)
{
	struct image a, b, c;
	uint64_t n = 4096, same_words = 0, both_nonzero = 0;

	(void)state;
	make(&a, n, 4096, 0.3, 42, false);
	make(&b, n, 4096, 0.3, 42, false);
	make(&c, n, 4096, 0.3, 43, false);
	assert_int_equal(a.nzero, b.nzero);
	assert_memory_equal(a.zero_bits, b.zero_bits, (n + 63) / 64 * sizeof(uint64_t));
	assert_memory_not_equal(a.zero_bits, c.zero_bits, (n + 63) / 64 * sizeof(uint64_t));
	for (uint64_t p = 0; p < n; p++) {
		for (uint64_t w = 0; w < 512; w += 37)
			assert_int_equal(image_word(&a, p, w), image_word(&b, p, w));
		if (!image_is_zero(&a, p) && !image_is_zero(&c, p)) {
			both_nonzero++;
			same_words += image_word(&a, p, 0) == image_word(&c, p, 0);
			same_words += image_word(&a, p, 1) == image_word(&c, p, 1);
		}
	}
	assert_true(both_nonzero > n / 4);
	assert_int_equal(same_words, 0);
	image_destroy(&a);
	image_destroy(&b);
	image_destroy(&c);

	/* the materialized bytes too */
	make(&a, 100, 4096, 0.2, 7, true);
	make(&b, 100, 4096, 0.2, 7, true);
	assert_memory_equal(a.data, b.data, a.data_len);
	image_destroy(&a);
	image_destroy(&b);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void test_words_distinct(void **state)
{
	struct image img;
	uint64_t w0[1000];

	(void)state;
	make(&img, 1001, 4096, 0, 1, false);
	for (uint64_t p = 0; p < 1000; p++) {
		w0[p] = image_word(&img, p, 0);
		assert_true(image_word(&img, p, 0) != image_word(&img, p + 1, 0));
		for (uint64_t w = 0; w < 511; w++) {
			if (image_word(&img, p, w) == image_word(&img, p, w + 1) ||
			    image_word(&img, p, w) == image_word(&img, p + 1, w))
				fail_msg("page %llu word %llu equals a neighbour", (unsigned long long)p,
					 (unsigned long long)w);
		}
	}
	qsort(w0, 1000, sizeof(w0[0]), cmp_u64);
	for (size_t i = 1; i < 1000; i++)
		if (w0[i] == w0[i - 1])
			fail_msg("two of the first 1000 pages share word 0: %#llx",
				 (unsigned long long)w0[i]);
	image_destroy(&img);
}

static void test_write_marker(void **state)
{
	struct image img;

	(void)state;
	make(&img, 100000, 4096, 0.1, 1, false);
	assert_true(img.nzero > 0);
	for (uint64_t p = 0; p < 100000; p++) {
		uint64_t m = write_marker(p);

		if (!m || !(m & 1) || m == image_word(&img, p, 1))
			fail_msg("page %llu: marker %#llx, image word 1 %#llx", (unsigned long long)p,
				 (unsigned long long)m, (unsigned long long)image_word(&img, p, 1));
		/* markers of different pages differ */
		if (p)
			assert_true(m != write_marker(p - 1));
	}
	image_destroy(&img);
}

static void test_not_materialized(void **state)
{
	struct image lazy, full;

	(void)state;
	make(&lazy, 777, 4096, 0.4, 9, false);
	assert_null(lazy.data);
	assert_int_equal(lazy.data_len, 0);
	assert_non_null(lazy.zero_bits);
	assert_true(lazy.nzero > 0 && lazy.nzero < 777);
	assert_int_equal(lazy.nzero, popcount_map(&lazy));

	/* the same zero map a materialized image gets */
	make(&full, 777, 4096, 0.4, 9, true);
	assert_int_equal(lazy.nzero, full.nzero);
	assert_memory_equal(lazy.zero_bits, full.zero_bits, (777 + 63) / 64 * sizeof(uint64_t));
	for (uint64_t p = 0; p < 777; p++)
		assert_int_equal(image_word(&lazy, p, 3), image_word(&full, p, 3));

	image_destroy(&lazy);
	assert_null(lazy.data);
	assert_null(lazy.zero_bits);
	image_destroy(&lazy); /* twice is harmless */
	image_destroy(&full);
	assert_null(full.data);
	image_destroy(&full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_materialized_matches),
		cmocka_unit_test(test_zero_fraction),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_words_distinct),
		cmocka_unit_test(test_write_marker),
		cmocka_unit_test(test_not_materialized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
