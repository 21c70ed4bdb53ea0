#!/usr/bin/env bash
# Proof that the gate CI runs tells a regression from noise, on this machine.
# Every trial is one run of .ci/examples/gate.sh as CI runs it (the ci suite,
# `gate --ab`, its rounds; OLD = this build), fresh each time:
#   A/A:        NEW = this build too. Any exit but 0 is a false alarm: 1
#               (regression) and 3 (inconclusive) both fail a CI job.
#   regression: NEW = a second build of this tree with bench/gate_proof.patch
#               applied: its uffd handler accounts its CPU time per message,
#               two more system calls per fault. Detected when the exit is 1.
# Prints a Markdown table of both, which configurations flagged the
# regression in how many trials (with the median change they measured), and
# the wall time of one gate run. Trial results stay in OUT.
#   N_AA (20), TRIALS (10), OUT (results/gate-proof-<time>); ROUNDS, when set,
#   goes to gate.sh (else gate.sh's own default)
set -uo pipefail
cd "$(dirname "$0")/.."
N_AA=${N_AA:-20} TRIALS=${TRIALS:-10}
out=${OUT:-results/gate-proof-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out" || exit 2
make -s all || exit 2
command -v jq >/dev/null || { echo "gate_proof: needs jq (make deps)" >&2; exit 2; }

# the regressed build: this tree as it is, patched, built apart
patch=$PWD/bench/gate_proof.patch reg=$(mktemp -d)
trap 'rm -rf "$reg"' EXIT
git ls-files -z | tar --null -cf - -T - | tar -xf - -C "$reg" || exit 2
(cd "$reg" && git apply "$patch" && make -s all CI=) >/dev/null ||
	{ echo "gate_proof: cannot build the regressed faultbench" >&2; exit 2; }

declare -A exits=()
secs=()
trial() { # name build: one CI gate run, exit code in $rc
	local t0=$SECONDS
	OLD=./faultbench NEW=$2 OUT="$out/$1" SKIP_TEST=1 \
		bash .ci/examples/gate.sh >"$out/$1.txt" 2>"$out/$1.err" </dev/null
	rc=$?
	secs+=($((SECONDS - t0)))
	[ $rc -eq 0 ] || [ $rc -eq 1 ] || [ $rc -eq 3 ] ||
		{ cat "$out/$1.txt" "$out/$1.err" >&2; echo "gate_proof: trial $1 broke (exit $rc)" >&2; exit 2; }
	exits[$1]=$rc
	printf '%s: exit %d in %d s\n' "$1" "$rc" "$((SECONDS - t0))" >&2
}
count() { # prefix exit-code
	local n=0 k
	for k in "${!exits[@]}"; do [[ $k == "$1"* && ${exits[$k]} -eq $2 ]] && n=$((n + 1)); done
	echo $n
}
pct() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.0f", 100 * a / n }'; }

for i in $(seq "$N_AA"); do trial "aa$i" ./faultbench; done
for i in $(seq "$TRIALS"); do trial "reg$i" "$reg/faultbench"; done

fa=$((N_AA - $(count aa 0))) hit=$(count reg 1)
echo "| experiment | trials | exit 0 (pass) | exit 1 (regression) | exit 3 (inconclusive) | result |"
echo "|---|---:|---:|---:|---:|---|"
printf '| A/A: this build against itself | %d | %d | %d | %d | %s %% of verdicts false alarms |\n' \
	"$N_AA" "$(count aa 0)" "$(count aa 1)" "$(count aa 3)" "$(pct "$fa" "$N_AA")"
printf '| regression: the patched build | %d | %d | %d | %d | %s %% detected |\n' \
	"$TRIALS" "$(count reg 0)" "$(count reg 1)" "$(count reg 3)" "$(pct "$hit" "$TRIALS")"

echo
echo "Gated comparisons in the regression trials: how often each was flagged, and the median over trials of the change it measured (paired rounds)."
echo
echo "| configuration | metric | flagged | median change |"
echo "|---|---|---:|---:|"
jq -rs --argjson n "$TRIALS" '
	[.[].rows[] | select(.gated == true)] | group_by(.configuration + " " + .metric)[] |
	{c: .[0].configuration, m: .[0].metric, k: ([.[] | select(.verdict == "REGRESSION")] | length),
	 x: ([.[].raw_change] | sort | .[(length - 1) / 2 | floor])} |
	"| \(.c) | \(.m) | \(.k) of \($n) | \(.x * 1000 | round / 10) % |"' "$out"/reg*/gate.json

# the false alarms, if any: which comparisons
for k in "${!exits[@]}"; do
	[[ $k == aa* && ${exits[$k]} -ne 0 ]] || continue
	printf '\nA/A trial %s (exit %d): ' "$k" "${exits[$k]}"
	jq -r '.reason as $why | [.rows[] | select(.verdict == "REGRESSION" or .verdict == "inconclusive") |
		"\(.configuration) \(.metric) \(.verdict)"] | join("; ") | . + " (" + $why + ")"' "$out/$k/gate.json"
done

sorted=$(printf '%s\n' "${secs[@]}" | sort -n)
printf '\nOne CI gate run (gate.sh without make test: %s rounds of the ci suite, gate, report): median %s s, max %s s over %d runs.\n' \
	"$(jq -s 'map(.order.rounds_run) | unique | map(tostring) | join("/")' -r "$out"/*/gate.json)" "$(sed -n "$(((${#secs[@]} + 1) / 2))p" <<<"$sorted")" "$(tail -1 <<<"$sorted")" "${#secs[@]}"
printf 'host: %s, %s, %s CPUs; %s; results in %s\n' "$(uname -r)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" \
	"$(git describe --always --dirty 2>/dev/null)" "$out"
