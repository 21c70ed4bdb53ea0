#!/usr/bin/env bash
# `make micro`: the Google Benchmark micro-benchmarks (bench/micro/*.c).
# Writes Google Benchmark's JSON to results/micro-<time>/micro.json (or
# $MICRO_DIR/micro.json), prints a few key numbers and where the file is.
#   MIN_TIME (0.05 s per benchmark), WARMUP (0.01 s), HUGEPAGES (4: free 2M
#   pages the hugetlb benchmarks want); extra arguments go to the binary,
#   e.g. bash bench/micro.sh --benchmark_filter=copy
# As root, when fewer than HUGEPAGES 2M pages are free, the pool is raised
# by the deficit for the run, and exactly that much is given back on every
# exit (trap); without them the hugetlb benchmarks report "skipped" with the
# reason.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${MICRO_BIN:-build/micro}
MIN_TIME=${MIN_TIME:-0.05} WARMUP=${WARMUP:-0.01} HUGEPAGES=${HUGEPAGES:-4}
dir=${MICRO_DIR:-results/micro-$(date +%Y%m%d-%H%M%S)}
out=$dir/micro.json
pool=${MICRO_POOL:-/sys/kernel/mm/hugepages/hugepages-2048kB}  # tests point it elsewhere
added=0 child=

# Give back only what we added: other runs may raise or restore the pool
# meanwhile, and writing back an absolute value would undo theirs.
restore() {
	local cur
	if [ "$added" -gt 0 ]; then
		cur=$(cat "$pool/nr_hugepages")
		echo $((cur > added ? cur - added : 0)) >"$pool/nr_hugepages"
		added=0
	fi
}
# the binary runs in the background so that a signal is handled at once
# (bash runs traps only between commands): stop it, then give the pages back
stop() {
	[ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child"
	restore
	exit 130
}
trap restore EXIT
trap stop INT TERM HUP

if [ -w "$pool/nr_hugepages" ]; then
	free=$(($(cat "$pool/free_hugepages") - $(cat "$pool/resv_hugepages")))
	if [ "$free" -lt "$HUGEPAGES" ]; then
		before=$(cat "$pool/nr_hugepages")
		added=$((HUGEPAGES - free))
		echo $((before + added)) >"$pool/nr_hugepages" 2>/dev/null
		# the kernel may grant fewer
		added=$(($(cat "$pool/nr_hugepages") - before))
		[ "$added" -ge 0 ] || added=0
		[ $((free + added)) -ge "$HUGEPAGES" ] ||
			echo "micro: only $((free + added)) free 2M huge pages; hugetlb benchmarks may skip" >&2
	fi
fi

mkdir -p "$dir"
# 1.7.1 takes --benchmark_min_time in seconds, without a unit
"$BIN" --benchmark_min_time="$MIN_TIME" --benchmark_min_warmup_time="$WARMUP" \
	--benchmark_out="$out" --benchmark_out_format=json "$@" &
child=$!
wait "$child"
rc=$?
child=
restore

if [ -s "$out" ]; then
	echo
	echo "key numbers (time per operation; manual time: the operation only):"
	jq -r '
		def key: ["bm_uffd_copy_4k", "bm_uffd_copy_2m_hugetlb", "bm_uffd_zeropage_4k",
			"bm_uffd_continue_4k_shmem", "bm_uffd_round_trip_4k",
			"bm_uffd_wp_empty/1073741824", "bm_uffd_wp_unpopulated/1073741824",
			"bm_uffd_wp_populated/1073741824", "bm_pagemap_scan/1073741824",
			"bm_first_touch_anon", "bm_first_touch_thp", "bm_first_touch_hugetlb"];
		.benchmarks[] | (.name | sub("/manual_time$"; "")) as $n | select(key | index([$n])) |
		if .error_occurred then "  \($n | .[0:40] | . + " " * (40 - length)) skipped: \(.error_message)"
		else "  \($n | .[0:40] | . + " " * (40 - length)) \(.real_time * 100 | round / 100) \(.time_unit)"
		end' "$out"
	echo "  $(jq '[.benchmarks[] | select(.error_occurred | not)] | length' "$out") ran," \
		"$(jq '[.benchmarks[] | select(.error_occurred)] | length' "$out") skipped (reason in error_message)"
	echo "results: $out"
fi
exit $rc
