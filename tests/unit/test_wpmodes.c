/* zero-unreg and wp-unpop on older kernels (a faked host): the skip reason
 * names the missing feature and its release. And the dirty-set helpers:
 * comparison, and a real PAGEMAP_SCAN where this host has one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compat.h"
#include "config.h"
#include "dirty.h"
#include "memory.h"
#include "modes/mode.h"
#include "probe.h"
#include "uffd.h"

#define ALL_FEATURES                                                                            \
	(UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_MISSING_HUGETLBFS | UFFD_FEATURE_MISSING_SHMEM | \
	 UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_WP_UNPOPULATED | UFFD_FEATURE_WP_ASYNC)

static const char *reason(const char *mode, const char *backing, uint64_t features, bool scan,
			  double balloon)
{
	static char why[FB_ERRLEN];
	struct host_caps h;
	struct fb_config cfg;

	memset(&h, 0, sizeof(h));
	h.uffd_available = true;
	h.uffd_features = features;
	h.pagemap_scan = scan;
	config_defaults(&cfg);
	cfg.mode = mode_find(mode);
	cfg.backing = backing_find(backing);
	cfg.balloon = balloon;
	assert_non_null(cfg.mode);
	assert_non_null(cfg.backing);
	/* the reason is NULL, a literal or the static why, never cfg or h */
	/* cppcheck-suppress returnDanglingLifetime */
	return cfg.mode->unsupported(&cfg, &h, why, sizeof(why));
}

static void test_new_kernel_runs_everything(void **state)
{
	static const char *const bks[] = { "anon", "thp", "hugetlb", "shmem", "memfd" };

	(void)state;
	for (size_t i = 0; i < sizeof(bks) / sizeof(bks[0]); i++) {
		assert_null(reason("wp-unpop", bks[i], ALL_FEATURES, true, 0));
		assert_null(reason("zero-unreg", bks[i], ALL_FEATURES, true, 0.5));
	}
}

static void test_before_6_7_needs_wp_async(void **state)
{
	const char *r;

	(void)state;
	r = reason("wp-unpop", "anon", ALL_FEATURES & ~UFFD_FEATURE_WP_ASYNC, false, 0);
	assert_non_null(r);
	assert_non_null(strstr(r, "WP_ASYNC (Linux 6.7+)"));
	r = reason("zero-unreg", "hugetlb", ALL_FEATURES & ~UFFD_FEATURE_WP_ASYNC, false, 0);
	assert_non_null(r);
	assert_non_null(strstr(r, "WP_ASYNC (Linux 6.7+)"));
}

static void test_needs_pagemap_scan(void **state)
{
	const char *r;

	(void)state;
	r = reason("wp-unpop", "anon", ALL_FEATURES, false, 0);
	assert_non_null(r);
	assert_non_null(strstr(r, "PAGEMAP_SCAN"));
	assert_non_null(strstr(r, "6.7"));
	r = reason("zero-unreg", "anon", ALL_FEATURES, false, 0);
	assert_non_null(r);
	assert_non_null(strstr(r, "PAGEMAP_SCAN"));
}

static void test_backing_specific_features(void **state)
{
	const char *r;

	(void)state;
	/* WP on hugetlb and shmem: 5.19; anon does not need it */
	r = reason("wp-unpop", "hugetlb", ALL_FEATURES & ~UFFD_FEATURE_WP_HUGETLBFS_SHMEM, true, 0);
	assert_non_null(r);
	assert_non_null(strstr(r, "WP_HUGETLBFS_SHMEM (Linux 5.19+)"));
	assert_non_null(strstr(r, "--backing hugetlb"));
	assert_null(reason("wp-unpop", "anon", ALL_FEATURES & ~UFFD_FEATURE_WP_HUGETLBFS_SHMEM, true, 0));
	/* WP_UNPOPULATED: anonymous memory only */
	r = reason("wp-unpop", "thp", ALL_FEATURES & ~UFFD_FEATURE_WP_UNPOPULATED, true, 0);
	assert_non_null(r);
	assert_non_null(strstr(r, "WP_UNPOPULATED (Linux 6.4+)"));
	assert_null(reason("zero-unreg", "shmem", ALL_FEATURES & ~UFFD_FEATURE_WP_UNPOPULATED, true, 0));
	/* zero-unreg registers MISSING too */
	r = reason("zero-unreg", "shmem", ALL_FEATURES & ~UFFD_FEATURE_MISSING_SHMEM, true, 0);
	assert_non_null(r);
	assert_non_null(strstr(r, "MISSING_SHMEM"));
}

static void test_balloon_needs_event_remove(void **state)
{
	const char *r;

	(void)state;
	assert_null(reason("zero-unreg", "anon", ALL_FEATURES & ~UFFD_FEATURE_EVENT_REMOVE, true, 0));
	r = reason("zero-unreg", "anon", ALL_FEATURES & ~UFFD_FEATURE_EVENT_REMOVE, true, 0.1);
	assert_non_null(r);
	assert_non_null(strstr(r, "EVENT_REMOVE"));
}

static void test_compare(void **state)
{
	/* 130 pages: the last word is partial, and bits past the end count not */
	uint64_t dirty[3] = { 0 }, exp[3] = { 0 }, ign[3] = { 0 };
	struct dirty_diff d;

	(void)state;
	dirty_set_bit(exp, 1);
	dirty_set_bit(exp, 70);
	dirty_set_bit(exp, 129);
	dirty_set_bit(dirty, 1);
	dirty_set_bit(dirty, 129);
	dirty_set_bit(dirty, 5);   /* extra */
	dirty_set_bit(dirty, 66);  /* extra, but ignored */
	dirty_set_bit(ign, 66);
	dirty[2] |= 1ULL << 10;    /* page 138: past the end */
	dirty_compare(dirty, exp, ign, 130, &d);
	assert_int_equal(d.expected, 3);
	assert_int_equal(d.dirty, 3);
	assert_int_equal(d.missing, 1);
	assert_int_equal(d.first_missing, 70);
	assert_int_equal(d.extra, 1);
	assert_int_equal(d.first_extra, 5);
	assert_int_equal(dirty_count(dirty, 130), 4);
	dirty_compare(exp, exp, NULL, 130, &d);
	assert_int_equal(d.missing + d.extra, 0);
	assert_int_equal(d.first_missing, -1);
}

/* A real WP_ASYNC range: the scan finds exactly the pages written, with a
 * small vec so the walk continues over walk_end, and re-protects them. */
static void test_scan_real(void **state)
{
	const struct host_caps *h = probe_host();
	uint64_t need = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED, bm[2] = { 0 }, e;
	long ps = sysconf(_SC_PAGESIZE);
	struct dirty_scanner ds;
	struct dirty_scan_stats st = { 0 };
	struct fb_err err;
	char *m;
	int u;

	(void)state;
	if (probe_uffd_unavailable_reason(h) || (h->uffd_features & need) != need || !h->pagemap_scan)
		skip();
	m = mmap(NULL, 100 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	u = uffd_open(need, &err);
	assert_true(u >= 0);
	assert_int_equal(uffd_register(u, m, 100 * ps, UFFDIO_REGISTER_MODE_WP, NULL, &err), 0);
	assert_int_equal(dirty_writeprotect(u, m, 100 * ps, true), 0);
	/* the empty range holds markers: page 50 is protected, untouched */
	assert_int_equal(dirty_pagemap_entry(m + 50 * ps, &e), 0);
	assert_true(e & DIRTY_PM_UFFD_WP);
	for (int p = 0; p < 100; p += 7)
		m[p * ps] = 1;
	(void)*(volatile char *)(m + 3 * ps); /* a read dirties nothing */
	assert_int_equal(dirty_scanner_init(&ds, 2, &err), 0);
	assert_int_equal(dirty_scan(&ds, m, (uint64_t)ps, m, 100 * ps, true, bm, &st), 0);
	assert_int_equal(dirty_count(bm, 100), 15);
	for (int p = 0; p < 100; p++)
		assert_int_equal(dirty_bit(bm, p), p % 7 == 0);
	assert_int_equal(st.pages, 15);
	assert_true(st.ioctls >= 8); /* 15 runs, 2 per call */
	/* re-protected: nothing now, then exactly the next write */
	memset(bm, 0, sizeof(bm));
	assert_int_equal(dirty_scan(&ds, m, (uint64_t)ps, m, 100 * ps, false, bm, NULL), 0);
	assert_int_equal(dirty_count(bm, 100), 0);
	m[42 * ps] = 2;
	assert_int_equal(dirty_scan(&ds, m, (uint64_t)ps, m, 100 * ps, false, bm, NULL), 0);
	assert_int_equal(dirty_count(bm, 100), 1);
	assert_true(dirty_bit(bm, 42));
	dirty_scanner_free(&ds);
	close(u);
	munmap(m, 100 * ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_kernel_runs_everything),
		cmocka_unit_test(test_before_6_7_needs_wp_async),
		cmocka_unit_test(test_needs_pagemap_scan),
		cmocka_unit_test(test_backing_specific_features),
		cmocka_unit_test(test_balloon_needs_event_remove),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_scan_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
