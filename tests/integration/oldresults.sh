# Results an earlier faultbench wrote still load after the schema grew:
# tests/fixtures/results-v1/ holds schema-version-1 files as written by
# commit d2e01bd (five rounds of a suite, and a baseline saved from the
# first), frozen (see its README.md). validate, report, compare, gate and
# export must read them, and pair them with what this build writes.
source "${FB_ROOT:-$PWD}/tests/report_lib.sh"
V1=${FB_ROOT:-$PWD}/tests/fixtures/results-v1

# the fixture's suite, run by this build: the same configurations
newset() { # dir
	"$FB" suite "$V1/v1.suite" --out "$1" --quiet >/dev/null 2>&1 || fail "suite with this build failed"
}

t_v1_fixture_validates() {
	local f n=0
	for f in "$V1"/round*/v1-*.json "$V1"/baseline/v1-*.json; do
		[ "$(jq '.schema.version' "$f")" = 1 ] || fail "$f is not schema version 1"
		jq -e 'has("memory") or (.runs[0].aggregate | has("paging_rate_usable_pps")) | not' "$f" >/dev/null ||
			fail "$f has fields of a later version: not an old file"
		validate "$f"
		n=$((n + 1))
	done
	[ "$n" = 24 ] || fail "$n result files, expected 5 rounds and a baseline of 4"
	for f in "$V1"/round*/index.json; do
		"$FB" validate "${SCHEMA%/*}/schema-suite-index.json" "$f" || fail "$f: index schema"
	done
}

t_v1_report() {
	local csv v m f
	fbrun report "$V1/round0" --out "$T/rep" --quiet
	expect_rc 0 "report of the v1 set"
	csv=$T/rep/tables/rate-vs-vcpus-anon-4M.csv
	[ -s "$csv" ] || { ls "$T/rep/tables"; fail "no rate table"; }
	for v in 1 2; do
		for m in none uffd-stock; do
			f=$V1/round0/v1-$m-anon-${v}v-4M.json
			near "$(csv_get "$csv" "$m median_kpps" "$v")" "$(jq '.summary.paging_rate_pps.median / 1000' "$f")" ||
				fail "$m at $v vCPUs: the table is not the file's median"
		done
	done
	grep -q 'touch time only (results of a version that did not record setup time)' \
		"$T/rep/tables/rate-vs-vcpus-anon-4M.md" || fail "no footnote for the old files' rate"
	# the saved baseline: no index, a baseline.json beside the results
	fbrun report "$V1/baseline" --out "$T/rep2" --quiet
	expect_rc 0 "report of the v1 baseline"
	cmp "$T/rep/tables/rate-vs-vcpus-anon-4M.csv" "$T/rep2/tables/rate-vs-vcpus-anon-4M.csv" ||
		fail "the baseline's table differs from its set's"
}

t_v1_compare_pairs_with_new() {
	local a
	newset "$T/new"
	for a in "$V1/round0" "$V1/baseline"; do
		fbrun compare "$a" "$T/new"
		expect_rc 0 "compare v1 with this build"
		[ "$(grep -c '^| none anon\|^| uffd-stock anon' "$T/out")" = 4 ] || { cat "$T/out"; fail "not 4 paired rows"; }
		grep -q '^Only in' "$T/out" && { cat "$T/out"; fail "an old configuration did not pair with its new one"; }
		# every pair has both figures and a change
		grep '^| none anon\|^| uffd-stock anon' "$T/out" | grep -q '| – |' && { cat "$T/out"; fail "a missing figure"; }
	done
	return 0
}

# The gate: the saved baseline and four more v1 rounds against five rounds
# of this build. Whatever the verdict, every configuration is compared.
t_v1_baseline_gates_new() {
	local r cur=()
	for r in 0 1 2 3 4; do
		newset "$T/new$r"
		cur+=(--current "$T/new$r")
	done
	fbrun gate --baseline "$V1/baseline" --baseline "$V1/round1" --baseline "$V1/round2" \
		--baseline "$V1/round3" --baseline "$V1/round4" "${cur[@]}" --json "$T/g.json"
	[ "$RC" = 0 ] || [ "$RC" = 1 ] || { cat "$T/out"; fail "gate exit $RC: no verdict on v1 against this build"; }
	jq -e '[.rows[] | select(.baseline_median | type == "number")] | length == 12' "$T/g.json" >/dev/null ||
		{ cat "$T/out"; fail "not 4 configurations x 3 metrics compared"; }
	jq -e '[.rows[].configuration] | unique | length == 4' "$T/g.json" >/dev/null || fail "configurations"
}

# export lines old and new sets up under the same benchmark names
t_v1_export_lines_up() {
	newset "$T/new"
	"$FB" export --format bmf "$V1/round0" >"$T/a.json" || fail "export v1"
	"$FB" export --format bmf "$T/new" >"$T/b.json" || fail "export new"
	[ "$(jq -c keys "$T/a.json")" = "$(jq -c keys "$T/b.json")" ] || fail "benchmark names differ"
	"$FB" export --format otava-csv "$V1/round0" "$T/new" >"$T/o.csv" || fail "otava-csv"
	awk -F, 'NR > 1 && NF != 17 { exit 1 }' "$T/o.csv" || fail "rows of another width"
}
