#!/usr/bin/env bash
# Proof that `faultbench gate` tells a regression from noise, on this
# machine, at its default settings:
#   A/A: the same build against itself, N_AA times (fresh pair each time);
#        every verdict of "regression" is a false positive.
#   injected slowdown: each uffd fault handler spins a fixed time
#        ($FAULTBENCH_TEST_SLOWDOWN_NS) equal to 5, 10 and 20 % of the
#        measured per-fault time, TRIALS times each (fresh pair each time);
#        a trial is detected when the gate exits 1 with a REGRESSION on
#        uffd-stock's paging rate.
# Each trial is what the README recommends for CI: `faultbench gate --ab`,
# ROUNDS rounds of A and B alternately (A B A B ...), judged with the run as
# the sample.
#   N_AA (20), TRIALS (10), LEVELS ("5 10 20"), ROUNDS (10, the gate's default),
#   SUITE (bench/suites/gate-proof.suite)
set -uo pipefail
cd "$(dirname "$0")/.."
FB=${FB_BIN:-./faultbench}
N_AA=${N_AA:-20} TRIALS=${TRIALS:-10} LEVELS=${LEVELS:-"5 10 20"}
SUITE=${SUITE:-bench/suites/gate-proof.suite} ROUNDS=${ROUNDS:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

trial() { # name env-for-B: gate --ab, exit code in $rc, verdict table in $tmp/name.txt
	"$FB" gate --ab --cmd-a "$FB" --cmd-b "env $2 $FB" --suite "$SUITE" --rounds "$ROUNDS" \
		--out "$tmp/$1" >"$tmp/$1.txt" 2>"$tmp/$1.err"
	rc=$?
	[ $rc -le 1 ] || { cat "$tmp/$1.txt" "$tmp/$1.err" >&2; exit 1; }
}

fp=0
for i in $(seq "$N_AA"); do
	trial "aa$i" "FAULTBENCH_TEST_SLOWDOWN_NS=0"
	[ $rc -eq 1 ] && { fp=$((fp + 1)); grep REGRESSION "$tmp/aa$i.txt" >&2; }
	printf 'A/A %d/%d: exit %d\n' "$i" "$N_AA" "$rc" >&2
done

# the per-fault time of uffd-stock here, from the first A/A baseline
pps=$(jq -s '[.[] | select(.config.mode == "uffd-stock") | .summary.paging_rate_pps.median] | .[0]' \
	"$tmp"/aa1/a0/*.json)
fault_ns=$(awk -v p="$pps" 'BEGIN { printf "%d", 1e9 / p }')

declare -A hits
for lvl in $LEVELS; do
	ns=$((fault_ns * lvl / 100))
	hits[$lvl]=0
	for t in $(seq "$TRIALS"); do
		trial "s$lvl-$t" "FAULTBENCH_TEST_SLOWDOWN_NS=$ns"
		if [ $rc -eq 1 ] && grep -q 'uffd-stock.*paging_rate_pps.*REGRESSION' "$tmp/s$lvl-$t.txt"; then
			hits[$lvl]=$((hits[$lvl] + 1))
		fi
		printf 'slowdown %d%% (%d ns) %d/%d: exit %d\n' "$lvl" "$ns" "$t" "$TRIALS" "$rc" >&2
	done
done

printf '| experiment | trials | gate said "regression" | rate |\n|---|---:|---:|---:|\n'
printf '| A/A (same build twice) | %d | %d | %.0f %% false positives |\n' "$N_AA" "$fp" \
	"$(awk -v a="$fp" -v n="$N_AA" 'BEGIN{print 100*a/n}')"
for lvl in $LEVELS; do
	printf '| %d %% slowdown (%d ns per fault) | %d | %d | %.0f %% detected |\n' "$lvl" \
		"$((fault_ns * lvl / 100))" "$TRIALS" "${hits[$lvl]}" \
		"$(awk -v a="${hits[$lvl]}" -v n="$TRIALS" 'BEGIN{print 100*a/n}')"
done
printf '\nuffd-stock per-fault time here: %d ns (%.0f pages/s); each trial: gate --ab, %d rounds a side; gate defaults: alpha 0.05, threshold 5 %%\n' \
	"$fault_ns" "$pps" "$ROUNDS"
printf 'host: %s, %s, %s CPUs; suite %s\n' "$(uname -r)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" "$SUITE"
