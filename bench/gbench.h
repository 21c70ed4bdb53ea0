/* Google Benchmark from C: a thin shim over libbenchmark (bench/gbench_shim.cc).
 *
 * A benchmark is a C function taking an opaque state, shaped like the C++
 * `for (auto _ : state)` loop:
 *
 *	static void bm_copy(gb_state *st)
 *	{
 *		setup();                        // not timed
 *		while (gb_keep_running(st))
 *			op(gb_range(st, 0));        // timed
 *		gb_set_items_processed(st, gb_iteration_count(st));
 *	}
 *	GB_INIT(copy) { gb_ranges(gb_register("bm_copy", bm_copy), 4096, 1 << 20); }
 *
 * GB_INIT bodies run before main (a constructor per file), so a benchmark
 * file needs no table anywhere else; gb_main() runs what the command line
 * selects and takes the usual --benchmark_* flags. */
#ifndef FB_GBENCH_H
#define FB_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_state gb_state;  /* a benchmark::State */
typedef struct gb_bench gb_bench;  /* a registered benchmark (family) */
typedef void (*gb_fn)(gb_state *st);

/* Counter flags: benchmark::Counter::Flags, same bits. */
enum gb_counter_flags {
	GB_COUNTER_DEFAULT = 0,
	GB_COUNTER_RATE = 1 << 0,         /* divided by the run's time: per second */
	GB_COUNTER_AVG_THREADS = 1 << 1,  /* divided by the number of threads */
	GB_COUNTER_INVARIANT = 1 << 2,    /* per iteration: multiplied by iterations */
	GB_COUNTER_AVG_ITERATIONS = 1 << 3, /* divided by the number of iterations */
	GB_COUNTER_INVERT = 1 << 4,       /* 1/x, applied last (e.g. seconds per item) */
	GB_COUNTER_KIBI = 1 << 5,         /* 1k = 1024 when printed */
};

enum gb_unit { GB_NS, GB_US, GB_MS, GB_S };

/* --- inside a benchmark function ---------------------------------------- */

/* True while the library wants another iteration; the first call starts the
 * clock, the last stops it. Loop until it returns false before returning
 * (unless gb_skip_with_error() was called). */
bool gb_keep_running(gb_state *st);
void gb_pause_timing(gb_state *st);
void gb_resume_timing(gb_state *st);
/* Argument i of this instance (gb_args/gb_ranges). */
int64_t gb_range(gb_state *st, size_t i);
/* Iterations run so far (after the loop: all of them). */
int64_t gb_iteration_count(const gb_state *st);
void gb_set_items_processed(gb_state *st, int64_t items);
void gb_set_bytes_processed(gb_state *st, int64_t bytes);
/* A named counter in the output (flags: enum gb_counter_flags). */
void gb_counter_set(gb_state *st, const char *name, double value, unsigned flags);
/* With gb_use_manual_time(): the time of this iteration, in seconds. */
void gb_set_iteration_time(gb_state *st, double seconds);
void gb_set_label(gb_state *st, const char *label);
/* Report this benchmark as skipped, with the reason, instead of timing it.
 * Call before the loop and return, or break out of the loop and return. */
void gb_skip_with_error(gb_state *st, const char *msg);
bool gb_error_occurred(const gb_state *st);

/* --- registration (before gb_main) --------------------------------------- */

/* Registers fn under name (copied). Each call below returns h, so they chain. */
gb_bench *gb_register(const char *name, gb_fn fn);
/* One instance with these arguments: gb_args(h, 4096) or gb_args(h, 4096, 1). */
#define gb_args(h, ...) \
	gb_args_n((h), (const int64_t[]){ __VA_ARGS__ }, \
		  sizeof((const int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))
gb_bench *gb_args_n(gb_bench *h, const int64_t *args, size_t n);
/* Instances lo, lo*m, lo*m^2 .. hi (m from gb_range_multiplier, default 8). */
gb_bench *gb_ranges(gb_bench *h, int64_t lo, int64_t hi);
gb_bench *gb_range_multiplier(gb_bench *h, int m);
/* Name of the argument in instance names: "bm_x/bytes:4096". */
gb_bench *gb_arg_name(gb_bench *h, const char *name);
/* Time from gb_set_iteration_time() instead of the wall clock. */
gb_bench *gb_use_manual_time(gb_bench *h);
gb_bench *gb_unit(gb_bench *h, enum gb_unit unit);
/* A fixed iteration count instead of --benchmark_min_time. */
gb_bench *gb_iterations(gb_bench *h, int64_t n);
gb_bench *gb_min_time(gb_bench *h, double seconds);
gb_bench *gb_repetitions(gb_bench *h, int n);

/* Registration that runs before main: GB_INIT(name) { gb_register(...); } */
#define GB_INIT(name) \
	__attribute__((constructor)) static void gb_init_##name(void)

/* A key/value in the output's "context" (host facts for the reader). */
void gb_add_context(const char *key, const char *value);

/* Initialize, reject unknown flags (returns 2), run the selected benchmarks,
 * shut down. Returns 0. */
int gb_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
