/* Unit tests for harness/image: a pool's pages match image_word(), pools
 * stay bounded, identity words tell every 4 KiB block apart, the zero map's
 * share and determinism, and that words and write markers cannot be
 * mistaken for one another. */
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

static void make(struct image *img, uint64_t npages, uint64_t page_size, double zf, uint64_t seed)
{
	struct fb_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = image_create(img, npages, page_size, zf, 1, seed, &err);
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

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* The page a pool hands out for p holds image_word(p, w) at every word. */
static void check_pool_page(struct image_pool *pl, const struct image *img, uint64_t p)
{
	const uint64_t *w = (const uint64_t *)image_pool_page(pl, img, p);

	if (image_is_zero(img, p))
		assert_ptr_equal(w, pl->zero);
	else
		assert_true((const char *)w >= pl->buf &&
			    (const char *)w + img->page_size <= pl->buf + pl->bytes);
	for (uint64_t i = 0; i < img->page_words; i++)
		if (w[i] != image_word(img, p, i))
			fail_msg("page %llu word %llu: pool %#llx, image_word %#llx",
				 (unsigned long long)p, (unsigned long long)i, (unsigned long long)w[i],
				 (unsigned long long)image_word(img, p, i));
}

static void test_pool_matches(void **state)
{
	static const struct {
		uint64_t npages, page_size;
		double zf;
		uint64_t seed;
	} cases[] = {
		{ 1, 4096, 0, 1 },
		{ 257, 4096, 0.3, 1 },   /* not a multiple of 64: a partial map word */
		{ 1000, 4096, 0, 99 },
		{ 300, 64, 0.5, 12345 }, /* a small page: eight words */
		{ 5, 2 * 1024 * 1024, 0.5, 8 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct image img;
		struct image_pool pl;

		make(&img, cases[i].npages, cases[i].page_size, cases[i].zf, cases[i].seed);
		assert_int_equal(img.npages, cases[i].npages);
		assert_int_equal(img.page_size, cases[i].page_size);
		assert_int_equal(img.seed, cases[i].seed);
		assert_int_equal(img.nzero, popcount_map(&img));
		check_map_tail(&img);
		assert_int_equal(image_pool_init(&pl, &img), 0);
		assert_int_equal(pl.bytes, img.pool_pages * img.page_size);
		/* in order, then from the end, so every slot is reused; zero
		 * pages come from the pool's zero page (hugetlb has no ZEROPAGE) */
		for (uint64_t p = 0; p < img.npages; p++)
			check_pool_page(&pl, &img, p);
		for (uint64_t p = img.npages; p-- > 0;)
			check_pool_page(&pl, &img, p);
		image_pool_destroy(&pl);
		assert_null(pl.buf);
		image_pool_destroy(&pl); /* twice is harmless */
		image_destroy(&img);
	}
}

/* A pool is bounded whatever the guest: about IMAGE_POOL_BYTES, a power of
 * two of pages, one page when pages are larger. */
static void test_pool_bounded(void **state)
{
	static const uint64_t sizes[] = { 64, 4096, 16384, 65536, 2 * 1024 * 1024, 1024 * 1024 * 1024 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t k = image_pool_pages(sizes[i]);

		assert_true(k >= 1);
		assert_int_equal(k & (k - 1), 0);
		assert_true(k == 1 || k * sizes[i] <= IMAGE_POOL_BYTES);
		assert_true(k * 2 * sizes[i] > IMAGE_POOL_BYTES); /* the most that fit */
	}
	assert_int_equal(image_pool_pages(4096), 256);
	assert_int_equal(image_pool_pages(2 * 1024 * 1024), 1);
}

/* What verification relies on: every 4 KiB block of the region has an
 * identity word no other block has, so a page (or a 4 KiB block of a huge
 * page) in the wrong place, or from a slot stamped for another page, differs
 * from what belongs there. */
static void test_identity_catches_misplacement(void **state)
{
	const uint64_t hp = 2 * 1024 * 1024, n4k = 4096, nhp = 8;
	uint64_t *ids = malloc(sizeof(uint64_t) * nhp * (hp / 4096));
	struct image a, h;
	struct image_pool pl;
	uint64_t k = 0;

	(void)state;
	assert_non_null(ids);
	make(&h, nhp, hp, 0, 3);
	for (uint64_t p = 0; p < nhp; p++)
		for (uint64_t w = 0; w < h.page_words; w += IMAGE_ID_WORDS)
			ids[k++] = image_word(&h, p, w);
	qsort(ids, k, sizeof(ids[0]), cmp_u64);
	for (uint64_t i = 1; i < k; i++)
		if (ids[i] == ids[i - 1])
			fail_msg("two 4 KiB blocks share identity %#llx", (unsigned long long)ids[i]);
	/* a pool slot as prepared (never stamped) is no page's content */
	assert_int_equal(image_pool_init(&pl, &h), 0);
	for (uint64_t p = 0; p < nhp; p++)
		for (uint64_t w = 0; w < h.page_words; w += IMAGE_ID_WORDS)
			assert_true(((const uint64_t *)pl.buf)[w] != image_word(&h, p, w));
	image_pool_destroy(&pl);
	image_destroy(&h);
	free(ids);

	/* pages K apart share a slot: they differ in word 0 and nowhere else
	 * but identity words; pages of different slots differ everywhere */
	make(&a, n4k, 4096, 0, 11);
	for (uint64_t p = 0; p + a.pool_pages < n4k; p += 97) {
		uint64_t q = p + a.pool_pages, r = p + 1;

		assert_true(image_word(&a, p, 0) != image_word(&a, q, 0));
		assert_int_equal(image_word(&a, p, 7), image_word(&a, q, 7));
		for (uint64_t w = 0; w < a.page_words; w++)
			assert_true(image_word(&a, p, w) != image_word(&a, r, w));
	}
	image_destroy(&a);
}

/* --zero-run: every aligned run of 512 pages is all zero or all not, about
 * half of them zero, so the zero ranges are runs, not single pages. */
static void test_zero_runs(void **state)
{
	struct image img;
	struct fb_err err;
	uint64_t runs = 0, zero_runs = 0, edges = 0;

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(image_create(&img, 512 * 400 + 100, 4096, 0.5, 512, 7, &err), 0);
	for (uint64_t p = 0; p < img.npages; p++) {
		if (p % 512 == 0) {
			runs++;
			zero_runs += image_is_zero(&img, p);
		} else if (image_is_zero(&img, p) != image_is_zero(&img, p - 1)) {
			fail_msg("page %llu differs from page %llu inside one run",
				 (unsigned long long)p, (unsigned long long)p - 1);
		}
		if (p && image_is_zero(&img, p) != image_is_zero(&img, p - 1))
			edges++;
	}
	assert_true(zero_runs > runs * 4 / 10 && zero_runs < runs * 6 / 10);
	/* per page, the same fraction gives about npages/2 edges */
	assert_true(edges <= runs);
	image_destroy(&img);
}

static void test_zero_fraction(void **state)
{
	struct image img;
	double share;

	(void)state;
	make(&img, 100000, 4096, 0, 1);
	assert_int_equal(img.nzero, 0);
	assert_int_equal(popcount_map(&img), 0);
	image_destroy(&img);

	make(&img, 100000, 4096, 1, 1);
	assert_int_equal(img.nzero, 100000);
	assert_int_equal(popcount_map(&img), 100000);
	check_map_tail(&img);
	for (uint64_t p = 0; p < 100000; p += 997)
		assert_int_equal(image_word(&img, p, 5), 0);
	image_destroy(&img);

	for (uint64_t seed = 1; seed <= 3; seed++) {
		make(&img, 100000, 4096, 0.25, seed);
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
	make(&a, n, 4096, 0.3, 42);
	make(&b, n, 4096, 0.3, 42);
	make(&c, n, 4096, 0.3, 43);
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
}

static void test_words_distinct(void **state)
{
	struct image img;
	uint64_t w0[1000];

	(void)state;
	make(&img, 1001, 4096, 0, 1);
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
	make(&img, 100000, 4096, 0.1, 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_matches),
		cmocka_unit_test(test_pool_bounded),
		cmocka_unit_test(test_identity_catches_misplacement),
		cmocka_unit_test(test_zero_fraction),
		cmocka_unit_test(test_zero_runs),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_words_distinct),
		cmocka_unit_test(test_write_marker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
