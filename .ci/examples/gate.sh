#!/usr/bin/env bash
# Example: the same job as a plain shell step, for any CI system.
#   BASELINE=results/baselines/ci  compare against a stored baseline, or
#   OLD=/path/to/old/faultbench    interleave the old and this build, A B A B
# Exit 0: no regression; 1: regression; 2: bad input or a broken run.
set -uo pipefail
cd "$(dirname "$0")/../.."
make test || exit 2
out=results/ci-$(date +%Y%m%d-%H%M%S)
if [ -n "${OLD:-}" ]; then
	# the trustworthy comparison: both builds on this machine, alternately
	./faultbench gate --ab --cmd-a "$OLD" --cmd-b ./faultbench --rounds 3 --suite ci --out "$out" \
		--json "$out/gate.json" --markdown "$out/gate.md"
	rc=$?
else
	./faultbench suite ci --quiet --out "$out" || [ $? -eq 1 ] || exit 2
	./faultbench gate --baseline "${BASELINE:-results/baselines/ci}" --current "$out" \
		--json "$out/gate.json" --markdown "$out/gate.md"
	rc=$?
fi
./faultbench report "$out" >/dev/null || echo "report failed; results are in $out" >&2
echo "results, tables and plots: $out (upload this directory as the job's artifact)"
exit $rc
