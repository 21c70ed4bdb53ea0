/* Unit tests for harness/admit: the parts of a run's memory estimate for
 * each kind of run, the 2 % bound on what the harness adds, and the refusal
 * and what it says. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "config.h"
#include "fb.h"
#include "image.h"
#include "memory.h"
#include "modes/mode.h"
#include "probe.h"

/* A configuration as `faultbench run` would resolve it: defaults, then
 * these, then config_resolve(). */
static int config(struct fb_config *c, const char *mode, const char *backing, unsigned vcpus,
		  uint64_t size, unsigned handlers, bool overcommit)
{
	struct fb_err err;

	config_defaults(c);
	c->mode = mode_find(mode);
	c->backing = backing_find(backing);
	assert_non_null(c->mode);
	assert_non_null(c->backing);
	c->vcpus = vcpus;
	c->size = size;
	c->allow_overcommit = overcommit;
	if (handlers) {
		c->handlers = handlers;
		c->readers = 0; /* resolved from handlers */
	}
	return config_resolve(c, &err);
}

/* The estimate of a run, on a host with 4K pages and MemAvailable unknown. */
static void estimate(struct mem_estimate *m, struct fb_config *c, const char *mode,
		     const char *backing, unsigned vcpus, uint64_t size, bool overcommit)
{
	struct host_caps h = { .base_page_size = 4096 };
	int rc = config(c, mode, backing, vcpus, size, 0, overcommit);

	if (rc)
		fail_msg("config %s %s %uv %llu: %d", mode, backing, vcpus, (unsigned long long)size, rc);
	admit_estimate(c, &h, m);
}

static void check_sums(const struct mem_estimate *m)
{
	assert_int_equal(m->harness_bytes, m->sequence_bytes + m->bitmap_bytes + m->pool_bytes +
						   m->histogram_bytes + m->thread_bytes);
	assert_int_equal(m->needed_bytes,
			 m->guest_bytes - m->hugetlb_bytes + m->page_table_bytes + m->harness_bytes);
}

static void test_uffd_stock_parts(void **state)
{
	struct fb_config c;
	struct mem_estimate m;

	(void)state;
	estimate(&m, &c, "uffd-stock", "anon", 2, FB_GiB, false);
	check_sums(&m);
	assert_int_equal(m.guest_bytes, FB_GiB);
	assert_int_equal(m.hugetlb_bytes, 0);
	/* 4 bytes for each of the 262144 pages */
	assert_int_equal(m.sequence_bytes, FB_MiB);
	/* one handler, one pool of 256 4K pages: not a copy of the guest */
	assert_int_equal(m.pool_bytes, image_pool_pages(4096) * 4096);
	assert_int_equal(m.pool_bytes, FB_MiB);
	/* 8 bytes a page, and a little above */
	assert_true(m.page_table_bytes >= 2 * FB_MiB && m.page_table_bytes < 2 * FB_MiB + 64 * FB_KiB);
	assert_true(m.bitmap_bytes >= 262144 / 8 && m.bitmap_bytes <= 8 * 262144 / 8);
	assert_true(m.histogram_bytes > 0 && m.thread_bytes > 0);
	assert_true(m.harness_bytes * 50 <= m.guest_bytes);
}

/* The benchmark: 16G with 2 vCPUs adds at most 2 % to guest memory. */
static void test_16g_within_two_percent(void **state)
{
	struct fb_config c;
	struct mem_estimate m;

	(void)state;
	/* --allow-overcommit: whatever this host's RAM */
	estimate(&m, &c, "uffd-stock", "anon", 2, 16 * FB_GiB, true);
	check_sums(&m);
	assert_int_equal(m.pool_bytes, FB_MiB);
	assert_true((m.harness_bytes + m.page_table_bytes) * 50 <= m.guest_bytes);
}

/* Where vCPUs resolve their own faults, each holds a pool; modes that copy
 * nothing hold none. */
static void test_pools_follow_resolvers(void **state)
{
	struct fb_config c;
	struct mem_estimate m;
	struct host_caps h = { .base_page_size = 4096 };

	(void)state;
	estimate(&m, &c, "memfault-exit", "anon", 4, 64 * FB_MiB, false);
	check_sums(&m);
	assert_int_equal(m.pool_bytes, (c.handlers + 4) * FB_MiB);
	assert_int_equal(config(&c, "uffd-stock", "anon", 4, 64 * FB_MiB, 3, false), 0);
	admit_estimate(&c, &h, &m);
	assert_int_equal(m.pool_bytes, 3 * FB_MiB);
	estimate(&m, &c, "none", "anon", 4, 64 * FB_MiB, false);
	check_sums(&m);
	assert_int_equal(m.pool_bytes, 0);
	estimate(&m, &c, "populate", "anon", 1, 64 * FB_MiB, false);
	assert_int_equal(m.pool_bytes, 0);
}

/* A backing with an alias maps the guest twice: twice the page tables. */
static void test_alias_page_tables(void **state)
{
	struct fb_config c;
	struct mem_estimate anon, memfd;

	(void)state;
	estimate(&anon, &c, "none", "anon", 1, 256 * FB_MiB, false);
	estimate(&memfd, &c, "none", "memfd", 1, 256 * FB_MiB, false);
	assert_int_equal(memfd.page_table_bytes, 2 * anon.page_table_bytes);
	assert_int_equal(memfd.guest_bytes, anon.guest_bytes);
}

/* hugetlb guest memory comes from the pool, not from MemAvailable. */
static void test_hugetlb_from_pool(void **state)
{
	struct fb_config c;
	struct mem_estimate m, anon;

	(void)state;
	if (config(&c, "uffd-stock", "hugetlb", 1, 64 * FB_MiB, 0, false))
		skip(); /* no 2M hugetlb pages on this kernel */
	estimate(&m, &c, "uffd-stock", "hugetlb", 1, 64 * FB_MiB, false);
	check_sums(&m);
	assert_int_equal(m.hugetlb_bytes, m.guest_bytes);
	assert_true(m.needed_bytes < m.guest_bytes);
	assert_int_equal(m.pool_bytes, 2 * FB_MiB); /* one 2M page */
	estimate(&anon, &c, "uffd-stock", "anon", 1, 64 * FB_MiB, false);
	assert_true(m.page_table_bytes < anon.page_table_bytes);
}

static void test_check_refuses_with_figures(void **state)
{
	struct fb_config c;
	struct mem_estimate m;
	struct fb_err err;
	uint64_t own;

	(void)state;
	estimate(&m, &c, "uffd-stock", "anon", 2, FB_GiB, false);
	memset(&err, 0, sizeof(err));
	assert_int_equal(admit_check(&c, &m, &err), 0); /* MemAvailable unknown */
	m.available_bytes = m.needed_bytes;
	assert_int_equal(admit_check(&c, &m, &err), 0);
	m.available_bytes = m.needed_bytes - 1;
	assert_int_equal(admit_check(&c, &m, &err), -ENOMEM);
	assert_non_null(strstr(err.msg, "--size 1G"));
	assert_non_null(strstr(err.msg, "--vcpus 2"));
	assert_non_null(strstr(err.msg, "needs 1.0"));
	assert_non_null(strstr(err.msg, "MemAvailable is 1.0"));
	assert_non_null(strstr(err.msg, "--allow-overcommit"));

	/* --allow-overcommit: only the harness's own part must fit */
	estimate(&m, &c, "uffd-stock", "anon", 2, FB_GiB, true);
	own = m.harness_bytes + m.page_table_bytes;
	m.available_bytes = own;
	assert_int_equal(admit_check(&c, &m, &err), 0);
	m.available_bytes = own - 1;
	memset(&err, 0, sizeof(err));
	assert_int_equal(admit_check(&c, &m, &err), -ENOMEM);
	assert_non_null(strstr(err.msg, "harness alone"));
	assert_non_null(strstr(err.msg, "--size 1G"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uffd_stock_parts),
		cmocka_unit_test(test_16g_within_two_percent),
		cmocka_unit_test(test_pools_follow_resolvers),
		cmocka_unit_test(test_alias_page_tables),
		cmocka_unit_test(test_hugetlb_from_pool),
		cmocka_unit_test(test_check_refuses_with_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
