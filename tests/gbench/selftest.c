/* A tiny benchmark binary for the shim's test (tests/integration/gbench.sh):
 * each benchmark exercises one part of bench/gbench.h and leaves a value
 * the test reads back from the JSON output. Nothing here measures anything. */
#include <stdint.h>
#include <time.h>

#include "gbench.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* arguments, counters of every kind, items, bytes, label */
static void bm_args(gb_state *st)
{
	volatile int64_t sink = 0;

	while (gb_keep_running(st))
		sink += gb_range(st, 0);
	(void)sink; /* clang: -Wunused-but-set-variable, volatile or not */
	int64_t it = gb_iteration_count(st);

	gb_counter_set(st, "arg", (double)gb_range(st, 0), GB_COUNTER_DEFAULT);
	gb_counter_set(st, "avg5", 5.0 * (double)it, GB_COUNTER_AVG_ITERATIONS);
	gb_counter_set(st, "inv7", 7.0, GB_COUNTER_INVARIANT);
	gb_counter_set(st, "rate", 2.0 * (double)it, GB_COUNTER_RATE);
	gb_counter_set(st, "inverted", 4.0, GB_COUNTER_INVERT);
	gb_set_items_processed(st, 3 * it);
	gb_set_bytes_processed(st, 4096 * it);
	gb_set_label(st, "hello");
}

static void bm_two_args(gb_state *st)
{
	while (gb_keep_running(st))
		;
	gb_counter_set(st, "sum", (double)(gb_range(st, 0) + gb_range(st, 1)), GB_COUNTER_DEFAULT);
}

static void bm_ranges(gb_state *st)
{
	while (gb_keep_running(st))
		;
	gb_counter_set(st, "arg", (double)gb_range(st, 0), GB_COUNTER_DEFAULT);
}

/* a feature this host "lacks": skipped with its reason, never timed */
static void bm_skip(gb_state *st)
{
	gb_skip_with_error(st, "needs UFFD_FEATURE_IMAGINARY (Linux 99.0+)");
}

/* skipped from inside the loop, after some iterations */
static void bm_skip_in_loop(gb_state *st)
{
	int n = 0;

	while (gb_keep_running(st))
		if (++n == 3) {
			gb_skip_with_error(st, "failed on iteration 3");
			break;
		}
}

/* 1 ms per iteration, by declaration: the reported time is exactly that */
static void bm_manual(gb_state *st)
{
	while (gb_keep_running(st))
		gb_set_iteration_time(st, 0.001);
}

/* the same 2 ms sleep, paused and not */
static void bm_paused(gb_state *st)
{
	while (gb_keep_running(st)) {
		gb_pause_timing(st);
		sleep_ms(2);
		gb_resume_timing(st);
	}
}

static void bm_unpaused(gb_state *st)
{
	while (gb_keep_running(st))
		sleep_ms(2);
}

GB_INIT(selftest)
{
	gb_bench *h = gb_register("bm_args", bm_args);

	gb_args(h, 4096);
	gb_args(h, 8192);
	gb_args(gb_register("bm_two_args", bm_two_args), 3, 5);
	gb_ranges(gb_range_multiplier(gb_register("bm_ranges", bm_ranges), 4), 1, 64);
	gb_args(gb_arg_name(gb_register("bm_named", bm_ranges), "bytes"), 4096);
	gb_register("bm_skip", bm_skip);
	gb_register("bm_skip_in_loop", bm_skip_in_loop);
	gb_unit(gb_iterations(gb_use_manual_time(gb_register("bm_manual", bm_manual)), 10), GB_MS);
	gb_unit(gb_iterations(gb_register("bm_paused", bm_paused), 20), GB_US);
	gb_unit(gb_iterations(gb_register("bm_unpaused", bm_unpaused), 20), GB_US);
	gb_add_context("selftest", "yes");
}

int main(int argc, char **argv)
{
	return gb_main(argc, argv);
}
