// The C face of Google Benchmark (bench/gbench.h). The only C++ in the tree:
// every function forwards to one libbenchmark call, nothing more.
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <string>

using benchmark::Counter;
using benchmark::State;
using benchmark::internal::Benchmark;

static State &S(gb_state *st) { return *reinterpret_cast<State *>(st); }
static const State &S(const gb_state *st) { return *reinterpret_cast<const State *>(st); }
static Benchmark *B(gb_bench *h) { return reinterpret_cast<Benchmark *>(h); }
static gb_bench *H(Benchmark *b) { return reinterpret_cast<gb_bench *>(b); }

extern "C" {

bool gb_keep_running(gb_state *st) { return S(st).KeepRunning(); }
void gb_pause_timing(gb_state *st) { S(st).PauseTiming(); }
void gb_resume_timing(gb_state *st) { S(st).ResumeTiming(); }
int64_t gb_range(gb_state *st, size_t i) { return S(st).range(i); }
int64_t gb_iteration_count(const gb_state *st) { return S(st).iterations(); }
void gb_set_items_processed(gb_state *st, int64_t n) { S(st).SetItemsProcessed(n); }
void gb_set_bytes_processed(gb_state *st, int64_t n) { S(st).SetBytesProcessed(n); }
void gb_set_iteration_time(gb_state *st, double s) { S(st).SetIterationTime(s); }
void gb_set_label(gb_state *st, const char *label) { S(st).SetLabel(label); }
void gb_skip_with_error(gb_state *st, const char *msg) { S(st).SkipWithError(msg); }
bool gb_error_occurred(const gb_state *st) { return S(st).error_occurred(); }

void gb_counter_set(gb_state *st, const char *name, double value, unsigned flags)
{
	// our bits are Counter::Flags' except kInvert (1 << 31 there)
	int f = static_cast<int>(flags & 0xf);

	if (flags & GB_COUNTER_INVERT)
		f |= Counter::kInvert;
	S(st).counters[name] = Counter(value, static_cast<Counter::Flags>(f),
				       (flags & GB_COUNTER_KIBI) ? Counter::kIs1024 : Counter::kIs1000);
}

gb_bench *gb_register(const char *name, gb_fn fn)
{
	return H(benchmark::RegisterBenchmark(
		name, [fn](State &st) { fn(reinterpret_cast<gb_state *>(&st)); }));
}

gb_bench *gb_args_n(gb_bench *h, const int64_t *args, size_t n)
{
	B(h)->Args(std::vector<int64_t>(args, args + n));
	return h;
}

gb_bench *gb_ranges(gb_bench *h, int64_t lo, int64_t hi) { B(h)->Range(lo, hi); return h; }
gb_bench *gb_range_multiplier(gb_bench *h, int m) { B(h)->RangeMultiplier(m); return h; }
gb_bench *gb_arg_name(gb_bench *h, const char *name) { B(h)->ArgName(name); return h; }
gb_bench *gb_use_manual_time(gb_bench *h) { B(h)->UseManualTime(); return h; }
gb_bench *gb_iterations(gb_bench *h, int64_t n) { B(h)->Iterations(n); return h; }
gb_bench *gb_min_time(gb_bench *h, double s) { B(h)->MinTime(s); return h; }
gb_bench *gb_repetitions(gb_bench *h, int n) { B(h)->Repetitions(n); return h; }

gb_bench *gb_unit(gb_bench *h, enum gb_unit u)
{
	static const benchmark::TimeUnit units[] = { benchmark::kNanosecond, benchmark::kMicrosecond,
						     benchmark::kMillisecond, benchmark::kSecond };
	B(h)->Unit(units[u]);
	return h;
}

void gb_add_context(const char *key, const char *value) { benchmark::AddCustomContext(key, value); }

int gb_main(int argc, char **argv)
{
	size_t ran;

	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	ran = benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	// a --benchmark_filter that matches nothing is bad input, not success
	return ran ? 0 : 2;
}

} // extern "C"
