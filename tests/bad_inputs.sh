#!/usr/bin/env bash
# The bad inputs README.md tabulates, tried for real: each row runs
# faultbench and prints its exit code and the first line of its message.
# Usage: bash tests/bad_inputs.sh [faultbench]   (after `make`)
# Exits 1 when an input does not get exit 2 (bad input).
set -u
cd "$(dirname "$0")/.."
FB=${1:-$PWD/faultbench}
T=$(mktemp -d /tmp/fbbad.XXXXXX)
trap 'rm -rf "$T"' EXIT
bad=0 n=0

row() { # what command...
	local what=$1 rc msg
	shift
	( cd "$T" && "$FB" "$@" >/dev/null 2>"$T/err" </dev/null )
	rc=$?
	msg=$(grep -v '^usage:' "$T/err" | head -1)
	msg=${msg//$T\//}
	msg=${msg//|/\\|}
	[ ${#msg} -gt 150 ] && msg="${msg:0:147}..."
	printf '| %s | %s | `%s` |\n' "$what" "$rc" "$msg"
	n=$((n + 1))
	[ "$rc" = 2 ] || bad=$((bad + 1))
}

suite() { # what text
	printf '%b' "$2" >"$T/s.suite"
	row "suite: $1" suite "$T/s.suite" --list
}

# A valid one-run result set to spoil: report and gate must reject each.
"$FB" run --mode none --size 4M --reps 2 --warmup 0 --quiet --out "$T/good/run.json" >/dev/null 2>&1 ||
	{ echo "cannot make a valid result" >&2; exit 1; }
json() { # what jq-filter-or-raw
	rm -rf "$T/set" && mkdir -p "$T/set"
	case $2 in
	raw:*) printf '%b' "${2#raw:}" >"$T/set/run.json" ;;
	*) jq "$2" "$T/good/run.json" >"$T/set/run.json" ;;
	esac
	row "result: $1" report "$T/set" --out "$T/rep"
}

echo "| input | exit | message |"
echo "|---|---|---|"
row "unknown flag" run --bogus
row "flag without its value" run --size
row "unknown mode" run --mode nope
row "unknown backing" run --backing disk
row "unknown touch" run --touch bogus
row "size with a bad suffix" run --size 12Q
row "size that overflows" run --size 99999999999999999999
row "size that overflows with its suffix" run --size 18014398509481984K
row "size beyond RAM" run --size 64T
row "hugetlb size not a multiple of the page" run --backing hugetlb --size 3M
row "0 vCPUs" run --vcpus 0
row "100000 vCPUs" run --vcpus 100000
row "negative count" run --vcpus -3
row "NaN fraction" run --zero-fraction nan
row "zero run not a size" run --zero-run lots
row "snapshot: unknown strategy" snapshot --strategy nope
row "snapshot: a strategy twice" snapshot --strategy fork,fork
row "snapshot: unknown sink" snapshot --sink disk
row "snapshot: O_DIRECT without a file" snapshot --sink-direct
row "snapshot: write rate 0" snapshot --write-rate 0
row "snapshot: warm-up not a number" snapshot --warmup-ms soon
row "snapshot: an injection for another strategy" snapshot --inject save-late:5 --strategy fork
row "snapshot: a run flag it does not take" snapshot --mode uffd-stock
row "snapshot: unknown WP prepare" snapshot --strategy uffd-wp --wp-prepare eager
row "snapshot: a uffd-wp flag without uffd-wp" snapshot --wp-single-thread
row "snapshot: precopy passes 0" snapshot --strategy precopy --precopy-passes 0
row "snapshot: precopy residual not a number" snapshot --strategy precopy --precopy-residual many
row "snapshot: a precopy flag without precopy" snapshot --strategy uffd-wp --precopy-passes 3
row "zero run not a whole number of pages" run --zero-run 3K
row "--overlap with per-vCPU uffds" run --mode uffd-stock --uffd per-vcpu --overlap --vcpus 2
row "--per-vcpu with --overlap" run --per-vcpu --overlap
row "handlers that do not divide over uffds" run --mode uffd-stock --uffd per-vcpu --vcpus 2 --handlers 3
row "size beyond MemAvailable" run --mode uffd-stock --size "$(awk '/^MemTotal:/ { print int($2 / 2048) * 2 "M" }' /proc/meminfo)"
row "access sequences larger than the harness allows" run --size 4T --vcpus 64 --per-vcpu --allow-overcommit --mode uffd-stock
row "unknown handler placement" run --handler-cpus near
row "handler CPU that is not online" run --handler-cpus 0,4095
row "handlers beside unpinned vCPUs" run --mode uffd-stock --handler-cpus other --pin none
row "injection into a mode with no resolver" run --mode none --inject corrupt-copy:1
row "injected page outside the region" run --mode uffd-stock --inject drop-copy:99999999 --size 4M
row "unknown handler kind" run --handler fork
row "handler process for a mode without one" run --handler process --mode none
row "handler process with per-vCPU uffds" run --mode uffd-stock --handler process --uffd per-vcpu --vcpus 2
row "unknown page cache state" run --page-cache bogus
row "page cache state without a handler process" run --mode uffd-stock --page-cache cold
row "image file in a missing directory" run --mode uffd-stock --handler process --image-file /nonexistent/dir/img
row "balloon with a handler process" run --mode zero-unreg --handler process --balloon 0.1
row "image file for a handler served from the guest's file" run --mode uffd-minor --backing memfd --handler process --image-file img
row "foreign handler for a mode that cannot hand over" run --mode memfault-exit --handler-exec /bin/true
row "foreign handler as a thread" run --mode uffd-stock --handler thread --handler-exec /bin/true
row "empty foreign handler command" run --mode uffd-stock --handler-exec " "
row "foreign handler with an injected fault" run --mode uffd-stock --handler-exec /bin/true --inject drop-copy:3
row "unknown resolve" run --mode uffd-stock --resolve moved
row "resolve move on hugetlb" run --mode uffd-stock --backing hugetlb --resolve move
row "resolve move on memfd" run --mode uffd-stock --backing memfd --resolve move
row "resolve move in a mode that only copies" run --mode zero-unreg --resolve move
row "resolve move in a handler process" run --mode uffd-stock --handler process --resolve move
row "unknown event" run --mode uffd-stock --events unmap,exec
row "events in another mode" run --mode zero-unreg --events unmap
row "events with a handler process" run --mode uffd-stock --handler process --events fork
row "events with per-vCPU uffds" run --mode uffd-stock --uffd per-vcpu --events remap
row "events on shared memory" run --mode uffd-stock --backing memfd --events remove
row "ignore-remap without the remap event" run --mode uffd-stock --events unmap --inject ignore-remap:0
row "postcopy flag without postcopy" run --mode uffd-stock --preempt
row "postcopy receivers out of range" run --mode postcopy --receivers 65
row "unknown postcopy link" run --mode postcopy --link udp
row "link bandwidth not a rate" run --mode postcopy --link-bw 10X
row "precopy share above 1" run --mode postcopy --precopy 1.5
row "postcopy with per-vCPU uffds" run --mode postcopy --uffd per-vcpu --vcpus 2
row "postcopy with a foreign handler" run --mode postcopy --handler-exec /bin/true
row "postcopy source started by hand" postcopy-source
row "handler without its arguments" handler
row "unknown command" frobnicate
suite "unknown field" '[m]\nmode: none\nsise: 4M\n'
suite "bad size" '[m]\nmode: none\nsize: 64M 3X\n'
suite "bad yes/no" '[m]\nmode: none\noverlap: perhaps\n'
suite "unknown mode" '[m]\nmode: none not-a-mode\n'
suite "field outside a section" 'mode: none\n'
row "suite: no such suite" suite no-such-suite
json "empty file" 'raw:'
json "truncated" 'raw:{"schema": {"name": '
json "an array, not an object" 'raw:[1, 2, 3]'
json "not UTF-8" 'raw:{"a": "\xff\xfe"}'
json "number too large for a double" 'raw:{"schema": 1e999}'
json "wrong type: rate as a string" '.runs[0].aggregate.paging_rate_pps = "fast"'
json "wrong type: runs as an object" '.runs = {}'
json "missing field" 'del(.config)'
json "negative count" '.runs[0].aggregate.pages = -1'
json "huge array (1M runs)" '.runs = [range(1000000) | 0]'
json "nesting 10000 deep" "raw:$(printf '[%.0s' $(seq 10000))"
rm -rf "$T/set" && mkdir -p "$T/set" && printf '{"runs": [' >"$T/set/run.json"
row "gate: truncated baseline" gate --baseline "$T/set" --current "$T/good"
row "gate: unknown threshold metric" gate --baseline "$T/good" --current "$T/good" --threshold speed=5
row "gate: unknown correction" gate --baseline "$T/good" --current "$T/good" --correction bonferroni
row "gate: unknown A/B order" gate --ab --cmd-a true --cmd-b true --order sideways
row "gate: too few A/B rounds for any verdict" gate --ab --cmd-a true --cmd-b true --rounds 3
row "export: truncated result" export --format bmf "$T/set"
row "export: unknown format" export --format xml "$T/good"
row "export: a one-set format given two sets" export --format bmf "$T/good" "$T/good"
row "export: a commit a CSV would split" export --format otava-csv --commit 'a,b' "$T/good"
echo
echo "$n inputs, $((n - bad)) rejected with exit 2"
[ "$bad" = 0 ]
