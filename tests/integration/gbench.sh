# The Google Benchmark C shim (bench/gbench.h): registration, arguments,
# counters, manual time, pause/resume and skips, read back from the JSON of a
# tiny benchmark (tests/gbench/selftest.c); and the micro-benchmarks
# (bench/micro) run briefly: each either runs or says why it cannot.

need_gbench() { # binary
	if ! printf '#include <benchmark/benchmark.h>\n' | ${CXX:-c++} -std=c++17 -x c++ -E - >/dev/null 2>&1; then
		skip "libbenchmark-dev is not installed (no <benchmark/benchmark.h>)"
	fi
	[ -x "$1" ] || fail "$1 was not built (make $1)"
}

gb_run() { # binary out.json flags...
	local bin=$1 out=$2
	shift 2
	"$bin" --benchmark_min_time=0.01 --benchmark_out="$out" --benchmark_out_format=json \
		--benchmark_format=json "$@" >"$T/stdout" 2>"$T/stderr"
	RC=$?
}

# one benchmark's object, by full name
gb() { jq -e --arg n "$2" '.benchmarks[] | select(.name == $n)' "$1"; }

t_shim_registration_args_counters() {
	local bin=$FB_BUILD/tests/gbench-selftest out=$T/gb.json
	need_gbench "$bin"
	gb_run "$bin" "$out"
	[ "$RC" -eq 0 ] || { cat "$T/stderr"; fail "selftest exited $RC"; }
	# --benchmark_format=json on stdout and --benchmark_out agree
	jq -e '.benchmarks | length > 0' "$T/stdout" >/dev/null || fail "no JSON on stdout"
	[ "$(jq -c '[.benchmarks[].name]' "$T/stdout")" = "$(jq -c '[.benchmarks[].name]' "$out")" ] ||
		fail "stdout and --benchmark_out differ"

	# names carry their arguments, in registration order
	local names
	names=$(jq -c '[.benchmarks[].name]' "$out")
	[ "$names" = '["bm_args/4096","bm_args/8192","bm_two_args/3/5","bm_ranges/1","bm_ranges/4","bm_ranges/16","bm_ranges/64","bm_named/bytes:4096","bm_skip","bm_skip_in_loop","bm_manual/iterations:10/manual_time","bm_paused/iterations:20","bm_unpaused/iterations:20"]' ] ||
		fail "benchmark names: $names"

	# each argument reached its instance; counters of every kind
	local a
	for a in 4096 8192; do
		gb "$out" "bm_args/$a" | jq -e --argjson a "$a" '
			.arg == $a and .avg5 == 5 and .inv7 == 7 * .iterations and .inverted == 0.25
			and .rate > 0 and .items_per_second > 0 and .bytes_per_second > 0
			and .label == "hello" and .iterations > 0 and (.error_occurred | not)' >/dev/null ||
			fail "bm_args/$a: $(gb "$out" "bm_args/$a" | jq -c .)"
	done
	# a rate is per second of the run: items/s is 3/2 of rate (3 vs 2 per iteration)
	gb "$out" bm_args/4096 | jq -e '(.items_per_second / .rate - 1.5) | fabs < 1e-6' >/dev/null ||
		fail "items_per_second and the rate counter disagree"
	gb "$out" bm_two_args/3/5 | jq -e '.sum == 8' >/dev/null || fail "two arguments"
	for a in 1 4 16 64; do
		gb "$out" "bm_ranges/$a" | jq -e --argjson a "$a" '.arg == $a' >/dev/null ||
			fail "bm_ranges/$a got the wrong argument"
	done
	gb "$out" bm_named/bytes:4096 | jq -e '.arg == 4096' >/dev/null || fail "named argument"

	# skips carry their reason and are not timed
	gb "$out" bm_skip | jq -e '.error_occurred and
		.error_message == "needs UFFD_FEATURE_IMAGINARY (Linux 99.0+)"' >/dev/null ||
		fail "skip: $(gb "$out" bm_skip | jq -c .)"
	gb "$out" bm_skip_in_loop | jq -e '.error_occurred and .error_message == "failed on iteration 3"' \
		>/dev/null || fail "skip in the loop: $(gb "$out" bm_skip_in_loop | jq -c .)"

	# manual time: 10 fixed iterations of a declared 1 ms, in ms
	gb "$out" bm_manual/iterations:10/manual_time | jq -e '.iterations == 10 and .time_unit == "ms"
		and ((.real_time - 1) | fabs < 1e-6)' >/dev/null ||
		fail "manual time: $(gb "$out" bm_manual/iterations:10/manual_time | jq -c .)"

	# a paused 2 ms sleep is not timed, an unpaused one is
	local paused unpaused
	paused=$(gb "$out" bm_paused/iterations:20 | jq '.real_time')
	unpaused=$(gb "$out" bm_unpaused/iterations:20 | jq '.real_time')
	jq -en --argjson p "$paused" --argjson u "$unpaused" '$u >= 2000 and $p < $u / 2' >/dev/null ||
		fail "pause/resume: paused $paused us, unpaused $unpaused us per iteration"

	# context from gb_add_context
	[ "$(jget "$out" .context.selftest)" = yes ] || fail "custom context missing"
}

t_shim_bad_flags() {
	local bin=$FB_BUILD/tests/gbench-selftest
	need_gbench "$bin"
	"$bin" --benchmark_nonsense=1 >"$T/out" 2>&1
	RC=$?
	expect_rc 2 "an unknown flag"
	"$bin" --benchmark_filter=no_such_benchmark >"$T/out" 2>&1
	RC=$?
	expect_rc 2 "a filter that matches nothing"
}

# Every micro-benchmark, on ranges up to 2M, briefly: it runs, or it is
# skipped with a reason. What this host must run is checked against probe.
t_micro_run_or_skip() {
	local bin=$FB_BUILD/micro out=$T/micro.json
	need_gbench "$bin"
	gb_run "$bin" "$out" --benchmark_min_time=0.001 \
		--benchmark_filter='^[a-z_0-9]+(/(4096|32768|262144|2097152))?/manual_time$'
	[ "$RC" -eq 0 ] || { tail "$T/stderr"; fail "micro exited $RC"; }
	# the families, each at least once
	local fam
	for fam in bm_uffd_copy_4k bm_uffd_copy_2m_hugetlb bm_uffd_zeropage_4k bm_uffd_continue_4k_shmem \
		bm_uffd_wp_empty bm_uffd_wp_unpopulated bm_uffd_wp_populated bm_pagemap_scan \
		bm_pagemap_scan_wp bm_uffd_register bm_uffd_unregister bm_madv_populate_read \
		bm_madv_populate_write bm_first_touch_anon bm_first_touch_thp bm_first_touch_shmem \
		bm_first_touch_memfd bm_first_touch_hugetlb bm_uffd_round_trip_4k bm_uffd_move_4k \
		bm_uffd_move_4k_ioctl bm_uffd_move_2m_thp bm_uffd_copy_2m_thp; do
		jq -e --arg f "$fam" 'any(.benchmarks[]; .name | startswith($f + "/"))' "$out" >/dev/null ||
			fail "no $fam in the output"
	done
	# ran (iterations, a time) or skipped with a sentence
	jq -e 'all(.benchmarks[]; if .error_occurred then (.error_message | length > 10)
		else .iterations > 0 and .real_time > 0 end)' "$out" >/dev/null ||
		fail "$(jq -c '[.benchmarks[] | select(.error_occurred and (.error_message | length <= 10))]' "$out")"
	# what this host offers (the binary's context) must run, not skip
	local feat must=()
	feat=$(jget "$out" .context.uffd_features)
	if [ "$feat" != unavailable ]; then
		feat=$((feat))
		must+=(bm_uffd_copy_4k bm_uffd_zeropage_4k bm_uffd_round_trip_4k bm_uffd_register/4096
		       bm_uffd_unregister/4096)
		((feat & (1 << 10))) && must+=(bm_uffd_continue_4k_shmem)            # MINOR_SHMEM
		((feat & (1 << 0))) && must+=(bm_uffd_wp_empty/4096 bm_uffd_wp_populated/2097152)
		((feat & (1 << 13))) && must+=(bm_uffd_wp_unpopulated/2097152)       # WP_UNPOPULATED
		((feat & (1 << 15))) && [ "$(jget "$out" .context.pagemap_scan)" = yes ] &&
			must+=(bm_pagemap_scan/2097152 bm_pagemap_scan_wp/2097152)    # WP_ASYNC
	fi
	for fam in "${must[@]}"; do
		gb "$out" "$fam/manual_time" | jq -e '.error_occurred | not' >/dev/null ||
			fail "$fam skipped here: $(gb "$out" "$fam/manual_time" | jq -r .error_message)"
	done
	if [ "$feat" != unavailable ]; then
		gb "$out" bm_uffd_round_trip_4k/manual_time | jq -e '.faults_served == .iterations' >/dev/null ||
			fail "round trip: one fault served per iteration"
	fi
	# hugetlb: runs with free pages, else names the pool
	jq -e 'all(.benchmarks[] | select(.name | test("hugetlb")) | select(.error_occurred);
		.error_message | test("nr_hugepages"))' "$out" >/dev/null ||
		fail "hugetlb skip reason: $(jq -c '[.benchmarks[] | select(.name | test("hugetlb")) | .error_message]' "$out")"
}

# bench/micro.sh raises the 2M pool only by the deficit and gives back only
# what it added, on a normal end, when another run raised the pool meanwhile,
# and on SIGTERM. A fake pool directory and a fake binary: no real pages.
fake_micro_setup() { # nr free
	mkdir -p "$T/pool"
	rm -f "$T/during"
	echo "$1" >"$T/pool/nr_hugepages"
	echo "$2" >"$T/pool/free_hugepages"
	echo 0 >"$T/pool/resv_hugepages"
	cat >"$T/fakebin" <<'EOS'
#!/usr/bin/env bash
for a; do case $a in --benchmark_out=*) out=${a#*=} ;; esac; done
cat "$MICRO_POOL/nr_hugepages" >"$T/during"
[ -n "${FAKE_RAISE:-}" ] && echo "$FAKE_RAISE" >"$MICRO_POOL/nr_hugepages"
[ -n "${FAKE_SLEEP:-}" ] && exec sleep "$FAKE_SLEEP"  # killed by the test
echo '{"context": {}, "benchmarks": []}' >"$out"
EOS
	chmod +x "$T/fakebin"
}

fake_micro() { # env... (runs bench/micro.sh on the fake pool)
	env T="$T" MICRO_POOL="$T/pool" MICRO_BIN="$T/fakebin" MICRO_DIR="$T/res" HUGEPAGES=4 "$@" \
		bash "$FB_ROOT/bench/micro.sh" >"$T/out" 2>&1
}

t_micro_wrapper_gives_back_hugepages() {
	command -v jq >/dev/null || skip "needs jq"
	fake_micro_setup 2 1
	fake_micro || { cat "$T/out"; fail "micro.sh failed"; }
	[ "$(cat "$T/during")" = 5 ] || fail "during the run: $(cat "$T/during") pages, expected 2 + 3"
	[ "$(cat "$T/pool/nr_hugepages")" = 2 ] || fail "after: $(cat "$T/pool/nr_hugepages"), expected 2"
	grep -q "results: $T/res/micro.json" "$T/out" || fail "must say where the results are"

	# another run raised the pool to 100 meanwhile: only our 3 come off
	fake_micro_setup 2 1
	fake_micro FAKE_RAISE=100 || fail "micro.sh failed"
	[ "$(cat "$T/pool/nr_hugepages")" = 97 ] || fail "after a concurrent raise: $(cat "$T/pool/nr_hugepages"), expected 97"

	# enough free pages: the pool is not touched
	fake_micro_setup 2 8
	fake_micro || fail "micro.sh failed"
	[ "$(cat "$T/during")" = 2 ] || fail "raised a pool that had enough free pages"

	# SIGTERM mid-run
	fake_micro_setup 2 1
	env T="$T" MICRO_POOL="$T/pool" MICRO_BIN="$T/fakebin" MICRO_DIR="$T/res" HUGEPAGES=4 \
		FAKE_SLEEP=30 bash "$FB_ROOT/bench/micro.sh" >"$T/out" 2>&1 &
	local pid=$! i
	for i in $(seq 100); do [ -e "$T/during" ] && break; sleep 0.05; done
	kill -TERM "$pid"
	wait "$pid"
	[ $? -eq 130 ] || fail "SIGTERM: exit code, expected 130"
	[ "$(cat "$T/pool/nr_hugepages")" = 2 ] || fail "after SIGTERM: $(cat "$T/pool/nr_hugepages"), expected 2"
}
