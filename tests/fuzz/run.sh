#!/usr/bin/env bash
# Runs libFuzzer targets (`make fuzz` builds them): each for FUZZ_SECONDS on
# its scratch corpus build-fuzz/corpus/<name>/, seeded from
# tests/fuzz/corpus/<name>/ (a fuzz_<name> binary's seeds), so what the
# fuzzer finds never lands in the tree. Prints one line per target and
# exits 1 when any target crashed (a sanitizer report, a leak, a timeout or
# running out of memory); the input stays in build-fuzz/artifacts/<name>/,
# the log in build-fuzz/<name>.log. Replay one: build-fuzz/fuzz_<name> FILE.
#   usage: tests/fuzz/run.sh build-fuzz/fuzz_suite build-fuzz/fuzz_result
# FUZZ_FLAGS adds libFuzzer flags (e.g. -jobs=2 -workers=2).
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
out=build-fuzz
# the schema as an installed faultbench finds it, wherever the binary is
export FAULTBENCH_SCHEMA=$PWD/results/schema.json
# where a target writes scratch files (fuzz_result: the report's tables)
export TMPDIR=$PWD/$out/tmp
mkdir -p "$TMPDIR"
status=0

for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	work=$out/corpus/$name
	art=$out/artifacts/$name
	log=$out/$name.log
	mkdir -p "$work" "$art"
	cp tests/fuzz/corpus/"$name"/* "$work/" 2>/dev/null
	touch "$out/.start-$name"
	# -timeout: one input may take this long; -rss_limit_mb: and this much
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 \
		-artifact_prefix="$art/" ${FUZZ_FLAGS:-} "$work" >"$log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ { n += $2 } END { print n + 0 }' "$log")
	found=$(find "$art" -type f -newer "$out/.start-$name" | wc -l)
	printf 'fuzz %-7s %10d executions in %ss, corpus %d files, %d crash%s\n' "$name" "$execs" \
		"$secs" "$(find "$work" -type f | wc -l)" "$found" "$([ "$found" -eq 1 ] || echo es)"
	if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
		status=1
		echo "  exit $rc; log $log"
		grep -m1 -E '^SUMMARY|ERROR: ' "$log" | sed 's/^/  /'
		find "$art" -type f -newer "$out/.start-$name" | sed 's/^/  input: /'
	fi
	rm -f "$out/.start-$name"
done
exit $status
