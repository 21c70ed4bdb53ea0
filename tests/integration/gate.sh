# The regression gate: verdicts on result sets with known changes, the
# correction over the whole suite, inconclusive verdicts, the A/B order,
# bad input, baselines. The result sets are built from the checked-in
# fixture and changed with jq, round by round, so each verdict and each
# p-value is decided by construction (and computed by hand in the comments).

GATE_SCHEMA=${FB_ROOT:-$PWD}/results/schema-gate.json
FIX=${FB_ROOT:-$PWD}/tests/fixtures/results-small

# The handler is pinned beside its vCPU: unpinned, the scheduler may move it
# to the other CPU for some repetitions, whose faults then cost several
# times more (README: Where a fault's time goes).
mkset() { # dir: none and uffd-stock on anon 4M, 7 measured repetitions, run here
	for m in none uffd-stock; do
		"$FB" run --mode "$m" --size 4M --reps 7 --warmup 1 --handler-cpus same --quiet --out "$1/$m.json" ||
			fail "run $m failed"
	done
}

# dir: uffd-stock and its none reference from the fixture: two
# configurations, four gated comparisons (rate and p50 of each)
two_set() {
	mkdir -p "$1"
	cp "$FIX/rate-none-anon-1v-2M.json" "$1/none.json"
	cp "$FIX/rate-uffd-stock-anon-1v-2M.json" "$1/uffd-stock.json"
}

# dir: that pair at five sizes (2M .. 6M in the configuration): ten
# configurations, twenty gated comparisons; files none-K and uffd-stock-K
wide_set() {
	local i f
	mkdir -p "$1"
	for i in 0 1 2 3 4; do
		for f in none uffd-stock; do
			jq --argjson b $(((2 + i) * 1048576)) '.config.total_bytes = $b' \
				"$FIX/rate-$f-anon-1v-2M.json" >"$1/$f-$i.json" || fail "jq failed"
		done
	done
}

# scale SRC DST FACTOR [NAME=FACTOR ...]: every file of SRC into DST, rates
# times FACTOR and latencies divided by it, each NAME.json further by its own
# factor; a file with factor 1 is copied as it is
scale() {
	local src=$1 dst=$2 f=$3 p o g name
	shift 3
	mkdir -p "$dst"
	for p in "$src"/*.json; do
		name=$(basename "$p" .json)
		g=$f
		for o in "$@"; do
			[ "${o%%=*}" = "$name" ] && g=$(awk -v a="$g" -v b="${o#*=}" 'BEGIN { print a * b }')
		done
		if [ "$g" = 1 ]; then
			cp "$p" "$dst/"
		else
			jq --argjson f "$g" '.runs |= map(.aggregate.paging_rate_pps *= $f
				| .fault_lat_ns.p50 /= $f | .fault_lat_ns.p99 /= $f)' "$p" >"$dst/$name.json" ||
				fail "jq failed"
		fi
	done
}

# the machine's drift in round i: every configuration of the round alike
drift() { awk -v i="$1" 'BEGIN { printf "%.4f", 1 + 0.1 * sin(i * 2.3) }'; }

# rounds SRC N [NAME=FACTOR ...]: baseline rounds $T/a0.. with the drift,
# current rounds $T/b0.. the same rounds with the factors on top
rounds() {
	local src=$1 n=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		scale "$src" "$T/a$i" "$(drift "$i")"
		scale "$T/a$i" "$T/b$i" 1 "$@"
	done
}

# ARGS: --baseline $T/aI --current $T/bI for rounds 0..N-1
pairs() {
	local i
	ARGS=()
	for ((i = 0; i < $1; i++)); do ARGS+=(--baseline "$T/a$i" --current "$T/b$i"); done
}

# two_rounds N [NAME=FACTOR ...]: the two-configuration set in N rounds
# (rounds above), and their ARGS
two_rounds() {
	two_set "$T/s"
	rounds "$T/s" "$@"
	pairs "$1"
}

gate_valid() { # gate.json
	"$FB" validate "$GATE_SCHEMA" "$1" || fail "$1 does not match results/schema-gate.json"
}

t_identical_rounds_are_no_regression() {
	wide_set "$T/w"
	rounds "$T/w" 10
	pairs 10
	fbrun gate "${ARGS[@]}" --paired --json "$T/g.json" --markdown "$T/g.md"
	expect_rc 0 "A/A, paired"
	gate_valid "$T/g.json"
	jq -e '.verdict == "no regression" and .regressions == 0 and .inconclusive == 0
		and .family_size == 20 and .comparisons == 30 and .correction == "holm"
		and .power.reachable and .power.rounds_needed == 9' "$T/g.json" >/dev/null ||
		fail "A/A: $(jq -c 'del(.rows)' "$T/g.json")"
	grep -q '^### faultbench gate: no regression' "$T/g.md" || fail "markdown heading"
	# unpaired, the same rounds are ten runs a side
	fbrun gate "${ARGS[@]}" --json "$T/g.json"
	expect_rc 0 "A/A, unpaired"
	jq -e '.verdict == "no regression" and .power.test == "mann-whitney"' "$T/g.json" >/dev/null ||
		fail "A/A unpaired: $(jq -c 'del(.rows)' "$T/g.json")"
}

t_jittered_rounds_are_no_regression() {
	# the current side of each round off by -2 .. +2 %, every
	# configuration alike, as a second run of one build is: the signs mix,
	# so no comparison leans either way
	local i e=(0.01 -0.02 0.015 -0.005 0.02 -0.01 0.005 -0.015 0.012 -0.018)
	wide_set "$T/w"
	for i in $(seq 0 9); do
		scale "$T/w" "$T/a$i" "$(drift "$i")"
		scale "$T/a$i" "$T/b$i" "$(awk -v e="${e[$i]}" 'BEGIN { print 1 + e }')"
	done
	pairs 10
	fbrun gate "${ARGS[@]}" --paired --json "$T/g.json"
	expect_rc 0 "A/A with jitter, paired"
	fbrun gate "${ARGS[@]}" --json "$T/g.json"
	expect_rc 0 "A/A with jitter, unpaired"
	[ "$(jget "$T/g.json" .regressions)" = 0 ] || fail "regressions in A/A"
}

# the wide set in N rounds with uffd-stock at 4M half as fast in each,
# judged pairwise into $T/g.json (checked against the schema) and $T/g.md
slow_4m_gate() { # rounds
	wide_set "$T/w"
	rounds "$T/w" "$1" uffd-stock-2=0.5
	pairs "$1"
	fbrun gate "${ARGS[@]}" --paired --json "$T/g.json" --markdown "$T/g.md"
	[ -f "$T/g.json" ] && gate_valid "$T/g.json"
}

t_one_slower_configuration_is_caught_after_holm() {
	# uffd-stock at 4M half as fast in every round: its 10 pairs all lean
	# the bad way, p = 1/1024, and Holm over 20 gated comparisons makes it
	# 20/1024 = 0.0195 < 0.05 (the two tie, so both get 20 p)
	slow_4m_gate 10
	expect_rc 1 "one configuration 2x slower"
	jq -e '.verdict == "regression" and .regressions == 2 and .family_size == 20 and
		([.rows[] | select(.verdict == "REGRESSION")] | length == 2 and
		 all(.configuration == "uffd-stock/anon/1v/4M/seq/write" and .test == "signed-rank"
		     and (.p_worse - 1 / 1024 | fabs) < 1e-12 and (.p_worse_adjusted - 20 / 1024 | fabs) < 1e-12
		     and .smallest_p == 1 / 1024 and .baseline_n == 10))' "$T/g.json" >/dev/null ||
		fail "exactly uffd-stock 4M's rate and p50 must regress, at p 1/1024, Holm 20/1024: $(jq -c '[.rows[] | select(.verdict != "ok")]' "$T/g.json")"
	jq -e '.rows[] | select(.metric == "paging_rate_pps" and .verdict == "REGRESSION")
		| .raw_change < -0.49 and .raw_change > -0.51' "$T/g.json" >/dev/null || fail "change not -50 %"
	# p99 is reported, outside the family
	jq -e '[.rows[] | select(.metric == "fault_lat_p99_ns")] | length == 10 and
		all(.verdict == "(not gated)" and .p_worse_adjusted == null and .gated == false)' "$T/g.json" >/dev/null ||
		fail "p99 must be reported, not gated, with no adjusted p"
	grep -q '| p adjusted (holm) |' "$T/g.md" || fail "markdown lacks the adjusted p column"
	grep -q '^| uffd-stock/anon/1v/4M/seq/write | paging_rate_pps |.* | 0.0010 | 0.0195 | REGRESSION |$' "$T/g.md" ||
		fail "markdown row lacks raw and adjusted p: $(grep REGRESSION "$T/g.md")"
	grep -q 'Holm (family-wise error rate) over 20 gated comparisons' "$T/g.md" || fail "markdown must state the method"
	grep -q 'uffd-stock/anon/1v/4M.*paging_rate_pps.*0.0010 *0.0195  REGRESSION' "$T/out" ||
		fail "the table must show raw and adjusted p"
	# naming p99 gates it: 30 in the family, 30/1024 = 0.029, still caught
	fbrun gate "${ARGS[@]}" --paired --json "$T/g.json" --threshold fault_lat_p99_ns=5
	jq -e '.regressions == 3 and .family_size == 30' "$T/g.json" >/dev/null || fail "naming p99 in --threshold gates it"
}

t_correction_methods() {
	# every uffd-stock configuration 8-15 % slower in 8 of 10 rounds and
	# 1-2 % faster in the other two, whose differences are the smallest:
	# signed-rank W = 1 + 2 = 3, p = 5/1024 = 0.0049 for each of the 10
	# gated rows; the none rows are unchanged (p = 1).
	#   none: 0.0049 < 0.05, ten regressions
	#   holm: 20 x 0.0049 = 0.098, none
	#   bh:   the ten smallest tie, 20/10 x 0.0049 = 0.0098, ten regressions
	local i k r=(0.85 0.86 0.87 0.88 0.89 0.90 0.91 0.92 1.01 1.02) over
	wide_set "$T/w"
	for i in $(seq 0 9); do
		over=()
		for k in 0 1 2 3 4; do over+=("uffd-stock-$k=${r[$i]}"); done
		scale "$T/w" "$T/a$i" "$(drift "$i")"
		scale "$T/a$i" "$T/b$i" 1 "${over[@]}"
	done
	pairs 10
	fbrun gate "${ARGS[@]}" --paired --correction none --json "$T/g.json"
	expect_rc 1 "uncorrected"
	jq -e '.regressions == 10 and .correction == "none" and
		([.rows[] | select(.verdict == "REGRESSION") | .p_worse_adjusted == .p_worse] | all)' "$T/g.json" >/dev/null ||
		fail "uncorrected: $(jq -c 'del(.rows)' "$T/g.json")"
	fbrun gate "${ARGS[@]}" --paired --json "$T/g.json"
	expect_rc 0 "Holm"
	jq -e '.regressions == 0 and .verdict == "no regression" and
		([.rows[] | select(.gated and (.configuration | startswith("uffd")))
		  | (.p_worse - 5 / 1024 | fabs) < 1e-12 and (.p_worse_adjusted - 100 / 1024 | fabs) < 1e-12] | length == 10 and all)' \
		"$T/g.json" >/dev/null || fail "Holm: $(jq -c '[.rows[] | select(.gated) | [.p_worse, .p_worse_adjusted]]' "$T/g.json")"
	fbrun gate "${ARGS[@]}" --paired --correction bh --json "$T/g.json"
	expect_rc 1 "Benjamini-Hochberg"
	jq -e '.regressions == 10 and .correction == "bh" and
		([.rows[] | select(.verdict == "REGRESSION") | (.p_worse_adjusted - 10 / 1024 | fabs) < 1e-12] | all)' \
		"$T/g.json" >/dev/null || fail "BH: $(jq -c '[.rows[] | select(.gated) | [.p_worse, .p_worse_adjusted]]' "$T/g.json")"
}

t_too_few_rounds_is_inconclusive() {
	# the same 2x slowdown as above, but 4 rounds: the smallest p of 4
	# pairs is 1/16, 20/16 after Holm: nothing could be significant, so the
	# verdict is inconclusive, not "no regression"; 9 rounds would do
	# (20/512 = 0.039)
	slow_4m_gate 4
	expect_rc 3 "4 rounds for 20 comparisons"
	jq -e '.verdict == "inconclusive" and .regressions == 0 and .inconclusive == 20 and
		.power.rounds_needed == 9 and .power.reachable == false and .power.smallest_p == 1 / 16 and
		([.rows[] | select(.gated) | .verdict == "inconclusive"] | all)' "$T/g.json" >/dev/null ||
		fail "$(jq -c 'del(.rows)' "$T/g.json")"
	grep -q "give 9 or more rounds" "$T/out" || fail "must say how many rounds are needed"
	grep -q '^### faultbench gate: inconclusive' "$T/g.md" || fail "markdown heading"
	grep -q 'give 9 or more rounds' "$T/g.md" || fail "markdown must say why"
	# one run a side never decides: no repetitions as samples
	fbrun gate --baseline "$T/a0" --current "$T/b0" --json "$T/g.json"
	expect_rc 3 "one run a side"
	jq -e '.verdict == "inconclusive" and .power.test == "mann-whitney" and
		.power.runs_a_side_needed == 6 and .power.current_runs_needed == null' "$T/g.json" >/dev/null ||
		fail "one run a side: $(jq -c '.power' "$T/g.json")"
	# 20/C(12,6) = 0.022
	grep -q "give 6 or more runs a side" "$T/out" || fail "must say how many runs are needed"
	# with no correction 1/16 still fails alpha 0.05: 5 rounds would do
	fbrun gate "${ARGS[@]}" --paired --correction none --json "$T/g.json"
	expect_rc 3 "4 rounds, uncorrected"
	[ "$(jget "$T/g.json" .power.rounds_needed)" = 5 ] || fail "uncorrected, 5 rounds are needed"
}

t_stored_baseline_runs() {
	# unpaired: 7 baseline runs against 7 current runs, 2 configurations:
	# the smallest Mann-Whitney p is 1/C(14,7) = 1/3432, 4/3432 after Holm
	two_rounds 7 uffd-stock=0.5
	fbrun gate "${ARGS[@]}" --json "$T/g.json"
	expect_rc 1 "7 runs a side, uffd-stock 2x slower"
	jq -e '.regressions == 2 and .power.test == "mann-whitney" and
		([.rows[] | select(.verdict == "REGRESSION") | .configuration | startswith("uffd-stock")] | all)' \
		"$T/g.json" >/dev/null || fail "$(jq -c '[.rows[] | select(.gated)]' "$T/g.json")"
	# one current run against them: at best 1/8, 4/8 after Holm; three
	# would do (4/C(10,3) = 0.033), or five a side (4/C(10,5) = 0.016)
	ARGS=()
	for i in 0 1 2 3 4 5 6; do ARGS+=(--baseline "$T/a$i"); done
	fbrun gate "${ARGS[@]}" --current "$T/b0" --json "$T/g.json"
	expect_rc 3 "7 runs against 1"
	jq -e '.verdict == "inconclusive" and .power.current_runs_needed == 3 and
		.power.runs_a_side_needed == 5' "$T/g.json" >/dev/null || fail "$(jq -c '.power' "$T/g.json")"
	grep -q "give 3 or more --current sets against these 7 baseline sets" "$T/out" ||
		fail "must say how many current runs are needed"
}

t_faster_set_is_an_improvement() {
	two_rounds 8 uffd-stock=2
	fbrun gate "${ARGS[@]}" --paired --json "$T/g.json"
	expect_rc 0 "improvements never fail"
	[ "$(jget "$T/g.json" .improvements)" = 2 ] || fail "expected 2 improvements"
}

t_change_below_threshold_passes() {
	two_rounds 8 uffd-stock=0.5
	# rates -50 %, latencies +100 %
	fbrun gate "${ARGS[@]}" --paired --threshold 150
	expect_rc 0 "changes under a 150 % threshold"
	fbrun gate "${ARGS[@]}" --paired --threshold 40
	expect_rc 1 "the same change over a 40 % threshold"
	fbrun gate "${ARGS[@]}" --paired --threshold 40 --threshold paging_rate_pps=60 \
		--threshold fault_lat_p50_ns=150 --threshold fault_lat_p99_ns=150
	expect_rc 0 "per-metric thresholds"
}

t_machine_drift_cancels() {
	# everything 2x slower, the none reference included: the normalized
	# change is zero, so uffd-stock is not a regression; none itself is
	# judged raw. Unpaired (5 runs a side: 4/C(10,5) = 0.016), since pairs
	# decide on the raw figures.
	local i f
	two_set "$T/s"
	for i in 0 1 2 3 4; do
		scale "$T/s" "$T/a$i" "$(drift "$i")"
		mkdir -p "$T/b$i"
		for f in none uffd-stock; do
			jq '.runs |= map(.aggregate.paging_rate_pps *= 0.5)' "$T/a$i/$f.json" >"$T/b$i/$f.json"
		done
	done
	pairs 5
	fbrun gate "${ARGS[@]}" --json "$T/g.json"
	expect_rc 1 "none's own slowdown"
	jq -e '[.rows[] | select(.verdict == "REGRESSION")] | length == 1 and
		(.[0].configuration | startswith("none"))' "$T/g.json" >/dev/null ||
		fail "only none may regress: $(jq -c '[.rows[] | select(.verdict == "REGRESSION") | .configuration]' "$T/g.json")"
}

t_paired_rounds_see_through_drift() {
	# 8 rounds; every current round 10 % slower than its own baseline round,
	# while the rounds themselves drift by 28 %: pairwise this is clear
	# (1/256, 4/256 after Holm)
	local i f
	two_set "$T/s"
	for i in 0 1 2 3 4 5 6 7; do
		f=$(awk -v i=$i 'BEGIN { print 1 - 0.04 * i }')
		scale "$T/s" "$T/a$i" 1 uffd-stock="$f"
		scale "$T/s" "$T/b$i" 1 uffd-stock="$(awk -v f="$f" 'BEGIN { print f * 0.9 }')"
	done
	pairs 8
	fbrun gate "${ARGS[@]}" --json "$T/g.json"
	expect_rc 0 "unpaired, the drift hides the change"
	fbrun gate "${ARGS[@]}" --paired --json "$T/g.json"
	expect_rc 1 "paired, the change is plain"
	jq -e '.unit | startswith("pair")' "$T/g.json" >/dev/null || fail "unit must be pairs"
}

t_fingerprint_mismatch_is_inconclusive() {
	local i f
	two_rounds 8
	for i in 0 1 2 3 4 5 6 7; do
		for f in none uffd-stock; do
			jq '.host.fingerprint = "0000000000000000"' "$T/a$i/$f.json" >"$T/b$i/$f.json"
		done
	done
	fbrun gate "${ARGS[@]}" --paired --json "$T/g.json"
	expect_rc 3 "another host, same figures"
	grep -q "host fingerprints differ" "$T/out" || fail "must say why"
	jq -e '.verdict == "inconclusive" and .hosts.same == false and .hosts.current == "0000000000000000"' \
		"$T/g.json" >/dev/null || fail "$(jq -c '.hosts' "$T/g.json")"
	fbrun gate "${ARGS[@]}" --paired --cross-host --json "$T/g.json"
	expect_rc 0 "--cross-host judges anyway"
	grep -q "warning: host fingerprints differ" "$T/out" || fail "must still warn"
	jq -e '.hosts.cross_host' "$T/g.json" >/dev/null || fail "cross_host not recorded"
}

# fake.sh SIDE SET LOG suite NAME --quiet --out DIR: stands in for a
# faultbench build in --ab: logs which side ran and copies SET as its results
fake_fb() {
	cat >"$T/fake.sh" <<'EOF'
side=$1 set=$2 log=$3
shift 3
for out; do :; done
echo "$side" >>"$log"
mkdir -p "$out" && cp "$set"/*.json "$out"/
EOF
}

t_ab_order_alternates() {
	two_set "$T/s"
	fake_fb
	fbrun gate --ab --cmd-a "bash $T/fake.sh a $T/s $T/log" --cmd-b "bash $T/fake.sh b $T/s $T/log" \
		--rounds 8 --out "$T/ab" --json "$T/g.json" --markdown "$T/g.md"
	expect_rc 0 "the same results on both sides"
	gate_valid "$T/g.json"
	[ "$(tr -d '\n' <"$T/log")" = "abbaabbaabbaabba" ] || fail "runs not in A B, B A order: $(tr -d '\n' <"$T/log")"
	jq -e '.order.method == "alternate" and .order.seed == null and .order.rounds_run == 8 and
		(.order.first | join("")) == "abababab"' "$T/g.json" >/dev/null || fail "order: $(jq -c .order "$T/g.json")"
	grep -q 'order within rounds: alternate, AB BA AB BA AB BA AB BA' "$T/g.md" || fail "markdown must state the order"
	grep -q 'round 2/8 (B first)' "$T/out" || fail "progress must say who runs first"
}

t_ab_order_random_is_seeded_and_balanced() {
	local first
	two_set "$T/s"
	fake_fb
	fbrun gate --ab --cmd-a "bash $T/fake.sh a $T/s $T/log" --cmd-b "bash $T/fake.sh b $T/s $T/log" \
		--rounds 8 --order random --seed 7 --out "$T/ab" --json "$T/g.json"
	expect_rc 0 "random order"
	gate_valid "$T/g.json"
	first=$(jq -r '.order.first | join("")' "$T/g.json")
	jq -e '.order.method == "random" and .order.seed == 7 and
		([.order.first[] | select(. == "a")] | length == 4)' "$T/g.json" >/dev/null ||
		fail "4 rounds each way, seed recorded: $(jq -c .order "$T/g.json")"
	# the log holds each round's first side, then the other
	[ "$(awk 'NR % 2 == 1' "$T/log" | tr -d '\n')" = "$first" ] || fail "the recorded order is not the one run"
	rm -f "$T/log"
	fbrun gate --ab --cmd-a "bash $T/fake.sh a $T/s $T/log" --cmd-b "bash $T/fake.sh b $T/s $T/log" \
		--rounds 8 --order random --seed 7 --out "$T/ab2" --json "$T/g.json"
	[ "$(jq -r '.order.first | join("")' "$T/g.json")" = "$first" ] || fail "the same seed must give the same order"
}

t_ab_stops_when_the_rounds_cannot_decide() {
	# 6 rounds pass the flag check (1/64 < 0.05), but round 1 shows 20
	# gated comparisons: 20/64 after Holm, 9 rounds needed; stop at once
	wide_set "$T/w"
	fake_fb
	fbrun gate --ab --cmd-a "bash $T/fake.sh a $T/w $T/log" --cmd-b "bash $T/fake.sh b $T/w $T/log" \
		--rounds 6 --out "$T/ab" --json "$T/g.json"
	expect_rc 3 "6 rounds for 20 comparisons"
	[ "$(wc -l <"$T/log")" = 2 ] || fail "ran $(wc -l <"$T/log") suites, expected round 1's 2"
	jq -e '.verdict == "inconclusive" and .order.rounds_run == 1 and .order.rounds_asked == 6 and
		.power.rounds_needed == 9' "$T/g.json" >/dev/null || fail "$(jq -c 'del(.rows)' "$T/g.json")"
	grep -q "9 rounds are needed; stopped after round 1" "$T/out" || fail "must say why it stopped"
}

t_missing_configuration_is_bad_input() {
	two_set "$T/a"
	mkdir -p "$T/b"
	cp "$T/a/none.json" "$T/b/"
	fbrun gate --baseline "$T/a" --current "$T/b"
	expect_rc 2 "a configuration only in the baseline"
	grep -q "uffd-stock/anon/1v/2M.* is in the baseline but not in the current set" "$T/out" ||
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
	fbrun gate --baseline "$T/a" --current "$T/a" --correction bonferroni
	expect_rc 2 "--correction bonferroni"
	grep -q -- "--correction: 'bonferroni' is not accepted; accepted values: holm, bh, none" "$T/out" ||
		fail "must name --correction and its values"
	fbrun gate --ab --cmd-a true --cmd-b true --order sideways
	expect_rc 2 "--order sideways"
	grep -q -- "accepted values: alternate, random" "$T/out" || fail "must name the orders"
	fbrun gate --ab --cmd-a true --cmd-b true --seed 3
	expect_rc 2 "--seed without --order random"
	fbrun gate --baseline "$T/a" --current "$T/a" --order random
	expect_rc 2 "--order without --ab"
	fbrun gate --ab --cmd-a true --cmd-b true --rounds 3 --out "$T/ab"
	expect_rc 2 "--rounds 3"
	grep -q -- "--rounds 3: .* give 5 or more" "$T/out" || fail "must name --rounds and the minimum"
	[ ! -e "$T/ab" ] || fail "--rounds 3 must be refused before anything runs"
	fbrun gate --frobnicate
	expect_rc 2 "unknown flag"
	mkdir -p "$T/c"
	cp "$T/a/none.json" "$T/c/"
	head -c 300 "$T/a/uffd-stock.json" >"$T/c/uffd-stock.json"
	fbrun gate --baseline "$T/a" --current "$T/c"
	expect_rc 2 "a truncated result"
	grep -q "uffd-stock.json" "$T/out" || fail "must name the truncated file"
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
	# it loads and pairs with its source; one run a side cannot decide
	fbrun gate --baseline "$T/results/baselines/first" --current "$T/a"
	expect_rc 3 "a saved baseline against its source, one run a side"
}
