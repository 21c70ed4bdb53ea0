# The regression gate: verdicts on result sets with known changes, pairing,
# bad input, baselines. Result sets are made once per test with tiny runs,
# then changed with jq, so each verdict is decided by construction.

# The handler is pinned beside its vCPU: unpinned, the scheduler may move it
# to the other CPU for some repetitions, whose faults then cost several
# times more (README: Where a fault's time goes), and a halved rate can hide
# in that spread.
mkset() { # dir: none and uffd-stock on anon 4M, 7 measured repetitions
	for m in none uffd-stock; do
		"$FB" run --mode "$m" --size 4M --reps 7 --warmup 1 --handler-cpus same --quiet --out "$1/$m.json" ||
			fail "run $m failed"
	done
}

# scale uffd-stock's per-repetition figures: rate by $2, latencies by 1/$2
scaled() { # src dst factor
	mkdir -p "$2"
	cp "$1/none.json" "$2/"
	jq --argjson f "$3" '.runs |= map(.aggregate.paging_rate_pps *= $f
		| .fault_lat_ns.p50 /= $f | .fault_lat_ns.p99 /= $f)' "$1/uffd-stock.json" >"$2/uffd-stock.json"
}

t_same_set_is_no_regression() {
	mkset "$T/a"
	fbrun gate --baseline "$T/a" --current "$T/a" --json "$T/g.json"
	expect_rc 0 "a set against itself"
	[ "$(jget "$T/g.json" .regressions)" = 0 ] || fail "regressions in A/A"
	[ "$(jget "$T/g.json" .comparisons)" = 6 ] || fail "expected 6 comparisons"
	grep -q "cannot see run-to-run noise" "$T/out" || fail "one run a side must warn"
}

t_slower_set_is_a_regression() {
	mkset "$T/a"
	# halved: far beyond the spread of repetitions even on a busy machine
	scaled "$T/a" "$T/b" 0.5
	fbrun gate --baseline "$T/a" --current "$T/b" --json "$T/g.json" --markdown "$T/g.md"
	expect_rc 1 "uffd-stock 2x slower"
	# rate and p50 are gated; p99 is reported, not gated, by default
	jq -e '[.rows[] | select(.verdict == "REGRESSION") | .configuration] | all(startswith("uffd-stock"))
		and length == 2' "$T/g.json" >/dev/null || fail "exactly uffd-stock's 2 gated metrics must regress"
	jq -e '.rows[] | select(.metric == "fault_lat_p99_ns" and (.configuration | startswith("uffd")))
		| .verdict == "(not gated)"' "$T/g.json" >/dev/null || fail "p99 must be reported, not gated"
	fbrun gate --baseline "$T/a" --current "$T/b" --json "$T/g.json" --threshold fault_lat_p99_ns=5
	[ "$(jget "$T/g.json" .regressions)" = 3 ] || fail "naming p99 in --threshold gates it"
	jq -e '.rows[] | select(.metric == "paging_rate_pps" and (.configuration | startswith("uffd")))
		| .raw_change < -0.49 and .raw_change > -0.51' "$T/g.json" >/dev/null || fail "change not -50 %"
	grep -q '| REGRESSION |' "$T/g.md" || fail "markdown summary lacks the verdict"
}

t_faster_set_is_an_improvement() {
	mkset "$T/a"
	scaled "$T/a" "$T/b" 2
	fbrun gate --baseline "$T/a" --current "$T/b" --json "$T/g.json"
	expect_rc 0 "improvements never fail"
	[ "$(jget "$T/g.json" .improvements)" = 2 ] || fail "expected 2 improvements"
}

t_change_below_threshold_passes() {
	mkset "$T/a"
	scaled "$T/a" "$T/b" 0.5
	# rates -50 %, latencies +100 %
	fbrun gate --baseline "$T/a" --current "$T/b" --threshold 150
	expect_rc 0 "changes under a 150 % threshold"
	fbrun gate --baseline "$T/a" --current "$T/b" --threshold 40
	expect_rc 1 "the same change over a 40 % threshold"
	fbrun gate --baseline "$T/a" --current "$T/b" --threshold 40 --threshold paging_rate_pps=60 \
		--threshold fault_lat_p50_ns=150 --threshold fault_lat_p99_ns=150
	expect_rc 0 "per-metric thresholds"
}

t_machine_drift_cancels() {
	# everything 2x slower, the none reference included: the normalized
	# change is zero, so uffd-stock is not a regression; none itself is judged raw
	mkset "$T/a"
	mkdir -p "$T/b"
	for f in none uffd-stock; do
		jq '.runs |= map(.aggregate.paging_rate_pps *= 0.5)' "$T/a/$f.json" >"$T/b/$f.json"
	done
	fbrun gate --baseline "$T/a" --current "$T/b" --json "$T/g.json"
	expect_rc 1 "none's own slowdown"
	jq -e '[.rows[] | select(.verdict == "REGRESSION")] | length == 1 and
		(.[0].configuration | startswith("none"))' "$T/g.json" >/dev/null ||
		fail "only none may regress: $(jq -c '[.rows[] | select(.verdict == "REGRESSION") | .configuration]' "$T/g.json")"
}

t_paired_rounds_see_through_drift() {
	# 6 rounds; every current round 10 % slower than its own baseline round,
	# while the rounds themselves drift by 30 %: pairwise this is clear
	mkset "$T/a"
	local i f
	for i in 0 1 2 3 4 5; do
		f=$(awk -v i=$i 'BEGIN { print 1 - 0.06 * i }')
		scaled "$T/a" "$T/a$i" "$f"
		scaled "$T/a" "$T/b$i" "$(awk -v f="$f" 'BEGIN { print f * 0.9 }')"
	done
	local args=()
	for i in 0 1 2 3 4 5; do args+=(--baseline "$T/a$i" --current "$T/b$i"); done
	fbrun gate "${args[@]}" --json "$T/g.json"
	expect_rc 0 "unpaired, the drift hides the change"
	fbrun gate "${args[@]}" --paired --json "$T/g.json"
	expect_rc 1 "paired, the change is plain"
	jq -e '.unit | startswith("pair")' "$T/g.json" >/dev/null || fail "unit must be pairs"
}

t_missing_configuration_is_bad_input() {
	mkset "$T/a"
	mkdir -p "$T/b"
	cp "$T/a/none.json" "$T/b/"
	fbrun gate --baseline "$T/a" --current "$T/b"
	expect_rc 2 "a configuration only in the baseline"
	grep -q "uffd-stock/anon/1v/4M.* is in the baseline but not in the current set" "$T/out" ||
		fail "must name the configuration and the side"
}

t_bad_input() {
	mkset "$T/a"
	fbrun gate --baseline "$T/a"
	expect_rc 2 "no --current"
	fbrun gate --baseline "$T/a" --current "$T/nowhere"
	expect_rc 2 "a missing directory"
	grep -q nowhere "$T/out" || fail "must name the directory"
	fbrun gate --baseline "$T/a" --current "$T/a" --alpha 2
	expect_rc 2 "--alpha 2"
	grep -q -- "--alpha" "$T/out" || fail "must name --alpha"
	fbrun gate --baseline "$T/a" --current "$T/a" --threshold bogus=5
	expect_rc 2 "--threshold bogus=5"
	grep -q "paging_rate_pps" "$T/out" || fail "must list the metrics"
	fbrun gate --frobnicate
	expect_rc 2 "unknown flag"
	mkdir -p "$T/c"
	cp "$T/a/none.json" "$T/c/"
	head -c 300 "$T/a/uffd-stock.json" >"$T/c/uffd-stock.json"
	fbrun gate --baseline "$T/a" --current "$T/c"
	expect_rc 2 "a truncated result"
	grep -q "uffd-stock.json" "$T/out" || fail "must name the truncated file"
}

t_fingerprint_mismatch_warns() {
	mkset "$T/a"
	mkdir -p "$T/b"
	for f in none uffd-stock; do
		jq '.host.fingerprint = "0000000000000000"' "$T/a/$f.json" >"$T/b/$f.json"
	done
	fbrun gate --baseline "$T/a" --current "$T/b"
	expect_rc 0 "another host, same figures"
	grep -q "host fingerprints differ" "$T/out" || fail "must warn"
}

t_baseline_save() {
	mkset "$T/a"
	(cd "$T" && "$FB" baseline save first --from a) >"$T/out" 2>&1 || { cat "$T/out"; fail "save failed"; }
	[ -f "$T/results/baselines/first/uffd-stock.json" ] || fail "result not copied"
	jq -e '.fingerprint | length > 0' "$T/results/baselines/first/baseline.json" >/dev/null ||
		fail "baseline.json lacks the host fingerprint"
	(cd "$T" && "$FB" baseline save first --from a) >"$T/out" 2>&1
	RC=$?
	expect_rc 2 "saving over an existing baseline"
	grep -q -- "--force" "$T/out" || fail "must mention --force"
	(cd "$T" && "$FB" baseline save ../up --from a) >"$T/out" 2>&1
	RC=$?
	expect_rc 2 "a name with a slash"
	"$FB" gate --baseline "$T/results/baselines/first" --current "$T/a" >/dev/null 2>&1 ||
		fail "a saved baseline must gate against its source"
}
