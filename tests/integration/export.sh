# `faultbench export`: each format against its checked-in expected output
# (tests/fixtures/export/), every output parsed back and checked against the
# results it came from, and bad input.
source "${FB_ROOT:-$PWD}/tests/report_lib.sh"
EXP=${FB_ROOT:-$PWD}/tests/fixtures/export
V1=${FB_ROOT:-$PWD}/tests/fixtures/results-v1

t_export_matches_fixtures() {
	local fmt
	for fmt in bmf gab gab-smaller; do
		fbrun export --format "$fmt" "$EXP/current"
		expect_rc 0 "export --format $fmt"
		"$FB" export --format "$fmt" "$EXP/current" | cmp - "$EXP/expected/$fmt.json" ||
			fail "--format $fmt differs from tests/fixtures/export/expected/$fmt.json"
		# --out writes the same bytes, and only them
		fbrun export --format "$fmt" --out "$T/o/$fmt.json" "$EXP/current"
		expect_rc 0 "export --format $fmt --out"
		[ ! -s "$T/out" ] || { cat "$T/out"; fail "--out printed something"; }
		cmp "$T/o/$fmt.json" "$EXP/expected/$fmt.json" || fail "--out $fmt differs"
	done
	# the sets in either order: rows come in time order, each with its commit
	for order in "1111111 $V1/round0 2222222 $EXP/current" "2222222 $EXP/current 1111111 $V1/round0"; do
		set -- $order
		"$FB" export --format otava-csv --commit "$1" --commit "$3" "$2" "$4" >"$T/o.csv" ||
			fail "export --format otava-csv"
		cmp "$T/o.csv" "$EXP/expected/otava.csv" || { diff "$T/o.csv" "$EXP/expected/otava.csv"; fail "otava.csv differs"; }
	done
	ls "$T/o" | grep -v '\.json$' && fail "a temp file left beside --out"
	return 0
}

# The figures are the summary's: median, min and max over the measured
# repetitions, which are recomputed here from the runs themselves.
t_export_bmf_figures() {
	local id f want
	"$FB" export --format bmf "$EXP/current" >"$T/bmf.json" || fail "export"
	# one benchmark per measured configuration, named by its id
	[ "$(jq -c 'keys' "$T/bmf.json")" = "$(jq -c '[.configurations[] | select(.state == "ok") | .id] | sort' \
		"$EXP/current/index.json")" ] || fail "benchmarks are not the set's configuration ids"
	for id in $(jq -r 'keys[]' "$T/bmf.json"); do
		f=$EXP/current/$id.json
		want=$(jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not) | .aggregate.paging_rate_usable_pps] | median' "$f")
		near "$(jq --arg id "$id" '.[$id].paging_rate_usable_pps.value' "$T/bmf.json")" "$want" ||
			fail "$id: usable rate is not the median of its repetitions ($want)"
		want=$(jq '[.runs[] | select(.warmup | not) | .aggregate.paging_rate_pps] | min' "$f")
		near "$(jq --arg id "$id" '.[$id].paging_rate_pps.lower_value' "$T/bmf.json")" "$want" ||
			fail "$id: lower_value is not the min"
		want=$(jq '[.runs[] | select(.warmup | not) | .fault_lat_ns.p99] | max' "$f")
		near "$(jq --arg id "$id" '.[$id].fault_lat_p99_ns.upper_value' "$T/bmf.json")" "$want" ||
			fail "$id: upper_value is not the max"
	done
	jq -e '[.[][] | .lower_value <= .value and .value <= .upper_value] | all and length == 16' \
		"$T/bmf.json" >/dev/null || fail "not 4 measures x 4 benchmarks with lower <= value <= upper"
	# files written before the usable rate existed: the measure is left out
	"$FB" export --format bmf "$V1/round0" >"$T/v1.json" || fail "export of the v1 set"
	jq -e '(keys | length == 4) and ([.[] | has("paging_rate_usable_pps")] | any | not)
		and ([.[] | keys | length == 3] | all)' "$T/v1.json" >/dev/null || { cat "$T/v1.json"; fail "v1 measures"; }
}

t_export_gab_parses() {
	"$FB" export --format gab "$EXP/current" >"$T/big.json" || fail "export gab"
	"$FB" export --format gab-smaller "$EXP/current" >"$T/small.json" || fail "export gab-smaller"
	# one direction a file: rates bigger-is-better, latencies smaller
	jq -e 'length == 8 and all(.unit == "pages/s" and (.name | test(" paging_rate(_usable)?_pps$")))' \
		"$T/big.json" >/dev/null || fail "gab: not the 8 rates"
	jq -e 'length == 8 and all(.unit == "ns" and (.name | test(" fault_lat_p(50|99)_ns$")))' \
		"$T/small.json" >/dev/null || fail "gab-smaller: not the 8 latencies"
	# the action's range is "± x" (its extractRangeInfo); x reaches min and max
	jq -e 'all(.[]; (.range | test("^± [0-9]")) and (.value | type == "number") and (.extra | type == "string")
		and ([.name] | length == 1))' "$T/big.json" "$T/small.json" >/dev/null || fail "range/extra shape"
	jq -e '[.[].name] | unique | length == 8' "$T/big.json" >/dev/null || fail "names not unique"
	jq -e 'all(.[]; (.extra | capture("min (?<lo>[0-9.e+]+), max (?<hi>[0-9.e+]+)")) as $m
		| (.range | ltrimstr("± ") | tonumber) as $x
		| ($m.lo | tonumber) >= .value - $x * 1.001 and ($m.hi | tonumber) <= .value + $x * 1.001)' \
		"$T/big.json" >/dev/null || fail "range does not reach min and max"
}

t_export_otava_parses() {
	local cols
	"$FB" export --format otava-csv --commit 1111111 --commit 2222222 "$V1/round0" "$EXP/current" >"$T/o.csv" ||
		fail "export otava-csv"
	[ "$(wc -l <"$T/o.csv")" = 3 ] || fail "not a header and 2 rows"
	cols=$(head -1 "$T/o.csv" | awk -F, '{ print NF }')
	# header: time, commit, 4 configurations x 4 measures
	[ "$cols" = 18 ] || fail "$cols columns, expected 18"
	awk -F, -v n="$cols" 'NF != n { exit 1 }' "$T/o.csv" || fail "a row with another column count"
	head -1 "$T/o.csv" | grep -q '^time,commit,v1-none-anon-1v-4M\.' || fail "header"
	# time in Otava's own format, ascending; the v1 set has no usable rate
	awk -F, 'NR > 1 && $1 !~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] \+0000$/ { exit 1 }' \
		"$T/o.csv" || fail "time column"
	[ "$(sed -n 2p "$T/o.csv" | cut -d, -f1)" \< "$(sed -n 3p "$T/o.csv" | cut -d, -f1)" ] || fail "rows not in time order"
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) u[i] = $i ~ /usable/ }
		NR == 2 { for (i = 3; i <= NF; i++) if (($i == "") != u[i]) exit 1 }
		NR == 3 { for (i = 3; i <= NF; i++) if ($i == "" || $i + 0 <= 0) exit 1 }' "$T/o.csv" ||
		fail "cells: v1 lacks exactly the usable rate, current has every figure"
	# without --commit, no commit column
	"$FB" export --format otava-csv "$EXP/current" | head -1 | grep -q '^time,v1-' || fail "commit column without --commit"
}

t_export_bad_input() {
	mkdir -p "$T/bad" "$T/skipped"
	fbrun export --format nope "$EXP/current"
	expect_rc 2 "unknown format"
	grep -q "'nope' is not one of bmf, gab, gab-smaller, otava-csv" "$T/out" || fail "accepted formats not named"
	fbrun export "$EXP/current"
	expect_rc 2 "no --format"
	fbrun export --format bmf
	expect_rc 2 "no DIR"
	fbrun export --format bmf "$EXP/current" "$V1/round0"
	expect_rc 2 "two sets for a one-set format"
	fbrun export --format bmf --commit abc "$EXP/current"
	expect_rc 2 "--commit with bmf"
	fbrun export --format otava-csv --commit abc "$EXP/current" "$V1/round0"
	expect_rc 2 "one commit for two sets"
	fbrun export --format otava-csv --commit 'a,b' "$EXP/current"
	expect_rc 2 "a commit CSV would split"
	fbrun export --format bmf "$T/nowhere"
	expect_rc 2 "no such directory"
	# input is schema-checked: a wrong type fails, and --out is not written
	jq '.runs[0].aggregate.paging_rate_pps = "fast"' "$EXP/current/v1-none-anon-1v-4M.json" >"$T/bad/x.json"
	fbrun export --format bmf --out "$T/o.json" "$T/bad"
	expect_rc 2 "a result of the wrong type"
	grep -q 'paging_rate_pps' "$T/out" || fail "the bad field is not named"
	[ ! -e "$T/o.json" ] || fail "--out written from bad input"
	# nothing measured: nothing to export
	jq '.status = {"state": "skipped", "reason": "test"} | .runs = [] | .summary |= map_values({n: 0, unit})' \
		"$EXP/current/v1-none-anon-1v-4M.json" >"$T/skipped/x.json"
	"$FB" validate "$SCHEMA" "$T/skipped/x.json" >/dev/null 2>&1 || fail "the skipped fixture is not valid"
	fbrun export --format bmf "$T/skipped"
	expect_rc 2 "a set with nothing measured"
	grep -q 'no measured configuration' "$T/out" || fail "message"
	# an --out that cannot be written: exit 1, nothing left behind
	fbrun export --format bmf --out /proc/nope/x.json "$EXP/current"
	expect_rc 1 "unwritable --out"
}
