/* Unit tests for harness/snapshot/pit.c: a replay of the writers' writes
 * before T0 matches memory written by the same formula (snap_write.h); a
 * page saved with one write too many is named with that write, a missing
 * page and a changed word are named; zipf's revisits replay too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb.h"
#include "image.h"
#include "snapshot/pit.h"
#include "snapshot/snap_write.h"
#include "workload.h"

#define NW 2
#define SLICE 64
#define PS 4096

struct fixture {
	struct image img;
	uint32_t *seq[NW];
	uint64_t cut[NW];
	uint64_t *mem;         /* NW * SLICE + 3 pages: 3 no writer touches */
	uint64_t npages;
	uint64_t sums[NW * SLICE + 3];
	int missing;           /* a page never saved, or -1 */
};

static void write_range(struct fixture *f, unsigned i, uint64_t k0, uint64_t k1)
{
	for (uint64_t k = k0; k < k1; k++) {
		uint64_t p = (uint64_t)i * SLICE + snap_write_page(f->seq[i], SLICE, k);

		f->mem[p * (PS / 8) + snap_write_word(SLICE, PS / 8, k)] = snap_write_value(i, k);
	}
}

static void setup(struct fixture *f, const char *wl)
{
	struct workload_spec spec;
	struct image_pool pl;
	struct fb_err err = { "" };
	char e[256];

	memset(f, 0, sizeof(*f));
	f->npages = NW * SLICE + 3;
	f->missing = -1;
	assert_int_equal(image_create(&f->img, f->npages, PS, 0.1, 1, 42, &err), 0);
	assert_int_equal(image_pool_init(&pl, &f->img), 0);
	f->mem = aligned_alloc(64, f->npages * PS);
	for (uint64_t p = 0; p < f->npages; p++)
		memcpy((char *)f->mem + p * PS, (const void *)image_pool_page(&pl, &f->img, p), PS);
	image_pool_destroy(&pl);
	assert_int_equal(workload_parse(wl, &spec, e, sizeof(e)), 0);
	for (unsigned i = 0; i < NW; i++) {
		f->seq[i] = malloc(SLICE * sizeof(uint32_t));
		assert_int_equal(spec.wl->build(&spec, SLICE, 7 + i, f->seq[i]), 0);
		/* several rounds, and part of one, so words wrap and repeat */
		f->cut[i] = 5 * SLICE + 17 + i;
		write_range(f, i, 0, f->cut[i]);
	}
}

static void save_all(struct fixture *f)
{
	for (uint64_t p = 0; p < f->npages; p++)
		f->sums[p] = snap_page_sum((char *)f->mem + p * PS, PS);
}

static void teardown(struct fixture *f)
{
	for (unsigned i = 0; i < NW; i++)
		free(f->seq[i]);
	free(f->mem);
	image_destroy(&f->img);
}

static int get(void *ctx, uint64_t page, uint64_t *sum)
{
	struct fixture *f = ctx;

	if ((int)page == f->missing)
		return -ENOENT;
	*sum = f->sums[page];
	return 0;
}

static int verify(struct fixture *f, struct pit_result *res)
{
	struct pit_ref ref = { .img = &f->img, .page_size = PS, .npages = f->npages,
			       .slice_pages = SLICE, .nwriters = NW, .seq = f->seq, .cut = f->cut };

	return pit_verify(&ref, get, f, res);
}

static void check_exact(const char *wl)
{
	struct fixture f;
	struct pit_result res;

	setup(&f, wl);
	save_all(&f);
	assert_int_equal(verify(&f, &res), 0);
	assert_int_equal(res.checked, f.npages);
	assert_int_equal(res.mismatches + res.missing, 0);
	teardown(&f);
}

static void test_exact_random(void **s) { (void)s; check_exact("random"); }
static void test_exact_seq(void **s) { (void)s; check_exact("seq"); }
static void test_exact_zipf(void **s) { (void)s; check_exact("zipf:0.99"); }

/* one write past T0, saved: named with the writer and the write */
static void test_post_t0_write_named(void **s)
{
	struct fixture f;
	struct pit_result res;
	char want[128];
	uint64_t k;

	(void)s;
	setup(&f, "random");
	k = f.cut[1];
	write_range(&f, 1, k, k + 1);
	save_all(&f);
	assert_int_equal(verify(&f, &res), -EIO);
	assert_int_equal(res.mismatches, 1);
	snprintf(want, sizeof(want), "page %llu was saved after T0: it holds vCPU 1's write %llu,",
		 (unsigned long long)(SLICE + snap_write_page(f.seq[1], SLICE, k)), (unsigned long long)k);
	if (!strstr(res.first, want))
		fail_msg("'%s' does not say '%s'", res.first, want);
	teardown(&f);
}

static void test_missing_page_named(void **s)
{
	struct fixture f;
	struct pit_result res;

	(void)s;
	setup(&f, "random");
	save_all(&f);
	f.missing = 5;
	assert_int_equal(verify(&f, &res), -EIO);
	assert_int_equal(res.missing, 1);
	assert_string_equal(res.first, "page 5 was never saved");
	teardown(&f);
}

/* a word no write explains, in a writer's page and in a page no one writes */
static void test_changed_word_named(void **s)
{
	struct fixture f;
	struct pit_result res;

	(void)s;
	setup(&f, "random");
	f.mem[70 * (PS / 8) + 9] ^= 1;
	f.mem[(NW * SLICE + 1) * (PS / 8) + 3] ^= 1;
	save_all(&f);
	assert_int_equal(verify(&f, &res), -EIO);
	assert_int_equal(res.mismatches, 2);
	if (!strstr(res.first, "page 70 differs from its content at T0 (vCPU 1's slice"))
		fail_msg("got '%s'", res.first);
	teardown(&f);
}

/* the checksum sees one flipped bit anywhere in a page */
static void test_sum_sees_every_word(void **s)
{
	uint64_t *page = calloc(PS / 8, 8), base;

	(void)s;
	base = snap_page_sum(page, PS);
	for (unsigned w = 0; w < PS / 8; w++) {
		page[w] ^= 1ULL << (w % 64);
		assert_true(snap_page_sum(page, PS) != base);
		page[w] ^= 1ULL << (w % 64);
	}
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_random),
		cmocka_unit_test(test_exact_seq),
		cmocka_unit_test(test_exact_zipf),
		cmocka_unit_test(test_post_t0_write_named),
		cmocka_unit_test(test_missing_page_named),
		cmocka_unit_test(test_changed_word_named),
		cmocka_unit_test(test_sum_sees_every_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
