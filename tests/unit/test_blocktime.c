/* Unit tests for harness/blocktime: per-vCPU waits, the all-vCPUs-blocked
 * time, waits cut at the vCPU's next fault, a page in before its fault was
 * read, open waits, thread-id lookup; and postcopy's precopy draw. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocktime.h"
#include "postcopy_wire.h"
#include "timing.h"

static void setup_clock(void)
{
	fb_clock_init();
	/* ticks are ns for these tests: exact sums */
	fb_clock.use_tsc = 0;
}

/* vCPU 0 waits [10, 50) and [60, 100); vCPU 1 waits [30, 70) and [90, 95).
 * All blocked: [30, 50) and [60, 70) and [90, 95): 35. */
static void test_all_blocked(void **state)
{
	struct blocktime bt;
	uint64_t installed[8] = { 0 }, per[2], all, open;

	(void)state;
	setup_clock();
	assert_int_equal(blocktime_init(&bt, 2, 4), 0);
	blocktime_wait(&bt, 0, 1, 10);
	blocktime_wait(&bt, 1, 2, 30);
	blocktime_wait(&bt, 1, 2, 31);  /* the same wait told twice */
	blocktime_wait(&bt, 0, 3, 60);
	blocktime_wait(&bt, 1, 4, 90);
	installed[1] = 50;
	installed[2] = 70;
	installed[3] = 100;
	installed[4] = 95;
	assert_int_equal(blocktime_sum(&bt, installed, per, &all, &open), 0);
	assert_int_equal(per[0], 80);
	assert_int_equal(per[1], 45);
	assert_int_equal(all, 35);
	assert_int_equal(open, 0);
	blocktime_free(&bt);
}

/* An installer that read its clock late (after the vCPU faulted again)
 * does not make a vCPU's waits overlap; a page in before the fault was read
 * is no wait; a page that never came is an open wait. */
static void test_cut_raced_open(void **state)
{
	struct blocktime bt;
	uint64_t installed[8] = { 0 }, per[1], all, open;

	(void)state;
	setup_clock();
	assert_int_equal(blocktime_init(&bt, 1, 8), 0);
	blocktime_wait(&bt, 0, 1, 10);
	blocktime_wait(&bt, 0, 2, 40);
	blocktime_wait(&bt, 0, 3, 70);
	blocktime_wait(&bt, 0, 4, 90);
	installed[1] = 60;   /* late: cut at 40 */
	installed[2] = 50;
	installed[3] = 65;   /* in before the fault thread read it */
	assert_int_equal(blocktime_sum(&bt, installed, per, &all, &open), 0);
	assert_int_equal(per[0], 30 + 10);
	assert_int_equal(all, 40);  /* one vCPU: all blocked whenever it is */
	assert_int_equal(open, 1);
	blocktime_free(&bt);
}

static void test_log_full_counts_overflow(void **state)
{
	struct blocktime bt;

	(void)state;
	assert_int_equal(blocktime_init(&bt, 1, 2), 0);
	for (uint64_t p = 0; p < 5; p++)
		blocktime_wait(&bt, 0, p, p + 1);
	assert_int_equal(bt.v[0].n, 2);
	assert_int_equal(bt.v[0].overflow, 3);
	blocktime_reset(&bt);
	assert_int_equal(bt.v[0].n, 0);
	assert_int_equal(bt.v[0].overflow, 0);
	blocktime_free(&bt);
}

/* Two placements of one block (as faultbench and a handler process make)
 * are one blocktime: what one logs, the other sums. */
static void test_placed_block_is_shared(void **state)
{
	struct blocktime a, b;
	size_t n = blocktime_bytes(2, 4);
	void *mem = aligned_alloc(FB_CACHELINE, n);
	uint64_t installed[8] = { 0, 50, 0, 0, 0, 0, 0, 0 }, per[2], all, open;

	(void)state;
	assert_non_null(mem);
	assert_int_equal(n % FB_CACHELINE, 0);
	memset(mem, 0, n);
	blocktime_place(&a, 2, 4, mem);
	blocktime_place(&b, 2, 4, mem);
	tidmap_add_self(&a.tids, 1);
	assert_int_equal(blocktime_vcpu(&b, (uint32_t)gettid()), 1);
	blocktime_wait(&b, 1, 1, 10);
	assert_int_equal(a.v[1].n, 1);
	assert_int_equal(blocktime_sum(&a, installed, per, &all, &open), 0);
	assert_int_equal(per[1], fb_ticks_ns(40));
	assert_int_equal(open, 0);
	free(mem);
}

static void test_tid_lookup(void **state)
{
	struct blocktime bt;

	(void)state;
	assert_int_equal(blocktime_init(&bt, 3, 1), 0);
	assert_int_equal(blocktime_vcpu(&bt, (uint32_t)gettid()), -1);
	blocktime_register(&bt, 2);
	assert_int_equal(blocktime_vcpu(&bt, (uint32_t)gettid()), 2);
	blocktime_register(&bt, 1);  /* registered again: the new index */
	assert_int_equal(blocktime_vcpu(&bt, (uint32_t)gettid()), 1);
	assert_int_equal(blocktime_vcpu(&bt, (uint32_t)gettid() + 1), -1);
	blocktime_free(&bt);
}

/* The precopy draw: none at 0, all at 1, about F between, and the same
 * pages at both ends for one seed. */
static void test_precopy_draw(void **state)
{
	uint64_t n = 100000, k = 0, same = 0;

	(void)state;
	for (uint64_t p = 0; p < n; p++) {
		assert_false(pc_is_precopy(1, 0, p));
		assert_true(pc_is_precopy(1, 1, p));
		k += pc_is_precopy(1, 0.25, p);
		same += pc_is_precopy(1, 0.25, p) == pc_is_precopy(2, 0.25, p);
	}
	assert_in_range(k, n / 4 - n / 100, n / 4 + n / 100);
	assert_true(same < n);  /* another seed, other pages */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_blocked),
		cmocka_unit_test(test_cut_raced_open),
		cmocka_unit_test(test_log_full_counts_overflow),
		cmocka_unit_test(test_placed_block_is_shared),
		cmocka_unit_test(test_tid_lookup),
		cmocka_unit_test(test_precopy_draw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
