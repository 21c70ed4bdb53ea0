#!/usr/bin/env bash
# Example: the same job as a plain shell step, for any CI system.
#   OLD=/path/to/old/faultbench   both builds on this machine, in rounds (A B,
#                                 B A, ...) judged pairwise: the trustworthy way
#   otherwise                     this build's runs against a baseline stored on
#                                 this host: results/baselines/ci-*, one saved
#                                 run each (see below)
# Exit 0: no regression; 1: regression; 2: bad input or a broken run;
# 3: inconclusive (too few rounds or runs for the suite's comparisons, or a
# baseline from another host; the message says what is needed).
#
# How many rounds: the gate adjusts the p-values of all gated comparisons
# together (Holm), so one regression alone must reach p < 0.05 / m. The ci
# suite makes m = 22 (11 configurations, paging rate and p50 latency each),
# so p < 0.0023; the paired signed-rank test of n rounds gives at best 2^-n,
# so n >= 9. ROUNDS=12 lets the closest pairs go the wrong way and still
# decide. bench/gate_proof.sh runs this script, with these settings, for its
# A/A and detection figures (README, "Does the gate tell a regression from
# noise?"). With fewer rounds the gate stops after round 1 and says how many
# it needs. Unpaired, Mann-Whitney over b baseline and c current runs gives
# at best 1/C(b+c, c): 20 stored runs against CURRENT_RUNS=4 give
# 22/10626 = 0.0021. A different suite makes a different m: the verdict
# states it.
#
#   NEW=/path/to/faultbench   the build judged [./faultbench]
#   OUT=DIR                   where results go [results/ci-<time>]
#   SKIP_TEST=1               skip `make test` (the build is already tested)
set -uo pipefail
cd "$(dirname "$0")/../.."
[ "${SKIP_TEST:-0}" = 1 ] || make test || exit 2
out=${OUT:-results/ci-$(date +%Y%m%d-%H%M%S)}
new=${NEW:-./faultbench}
if [ -n "${OLD:-}" ]; then
	./faultbench gate --ab --cmd-a "$OLD" --cmd-b "$new" --rounds "${ROUNDS:-12}" --suite ci \
		--out "$out" --json "$out/gate.json" --markdown "$out/gate.md"
	rc=$?
	report=$out/b0
else
	# The baseline: runs of the ci suite on this host (same host
	# fingerprint), each saved once, e.g. 20 of them:
	#   for i in $(seq 20); do ./faultbench suite ci --quiet --out results/ci-base-$i &&
	#       ./faultbench baseline save ci-$i --from results/ci-base-$i; done
	args=()
	for d in results/baselines/ci-*/; do args+=(--baseline "$d"); done
	[ ${#args[@]} -gt 0 ] || { echo "no results/baselines/ci-*: record them first (see above)" >&2; exit 2; }
	for i in $(seq "${CURRENT_RUNS:-4}"); do
		"$new" suite ci --quiet --out "$out/run$i" || [ $? -eq 1 ] || exit 2
		args+=(--current "$out/run$i")
	done
	"$new" gate "${args[@]}" --json "$out/gate.json" --markdown "$out/gate.md"
	rc=$?
	report=$out/run1
fi
"$new" report "$report" >/dev/null || echo "report failed; results are in $out" >&2
echo "results, tables and plots: $out (upload this directory as the job's artifact)"
exit $rc
