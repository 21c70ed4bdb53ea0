#!/usr/bin/env bash
# Does the harness change the number it measures?
#
# Interleaved in one run on one machine: `none`, `uffd-stock` and
# `populate` with latency recording on and off, and the hand-written
# first-touch loop (bench/first_touch.c). Prints medians and ratios as
# Markdown. On a noisy host the on/off ratio of a slow mode wanders by more
# than the recording costs, so the cost is also measured where nothing else
# varies: `populate` touches present pages, and the difference in time per
# access between on and off is what recording adds to every access.
#   ROUNDS (9), SIZE_MIB (128), VCPUS (1), REPS per run (5)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-9} SIZE_MIB=${SIZE_MIB:-128} VCPUS=${VCPUS:-1} REPS=${REPS:-5}
FB=${FB_BIN:-./faultbench}
FT=${FT_BIN:-build/first-touch}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

declare -A samples
add() { samples[$1]+="$2 "; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for r in $(seq "$ROUNDS"); do
	for mode in none uffd-stock populate; do
		for lat in on off; do
			"$FB" run --mode "$mode" --size "${SIZE_MIB}M" --vcpus "$VCPUS" --reps "$REPS" \
				--latency "$lat" --no-verify --quiet --out "$tmp/r.json"
			# per-thread rate, as the hand-written loop reports it
			add "$mode/$lat" "$(jq '[.runs[] | select(.warmup | not) | .vcpus[].paging_rate_pps] | add / length' "$tmp/r.json")"
		done
	done
	add first-touch "$("$FT" "$SIZE_MIB" "$VCPUS" "$((REPS + 1))" | tail -n "$REPS" |
		awk '{s += $4} END {print s / NR}')"
	printf 'round %d/%d done\n' "$r" "$ROUNDS" >&2
done

ft=$(median "${samples[first-touch]}")
printf '| configuration | per-vCPU paging rate (k pages/s, median of %d rounds) | ratio |\n' "$ROUNDS"
printf '|---|---:|---|\n'
printf '| hand-written first-touch loop | %.1f | 1 |\n' "$(awk -v x="$ft" 'BEGIN{print x/1e3}')"
for mode in none uffd-stock populate; do
	on=$(median "${samples[$mode/on]}")
	off=$(median "${samples[$mode/off]}")
	printf '| %s, latency off | %.1f | |\n' "$mode" "$(awk -v x="$off" 'BEGIN{print x/1e3}')"
	printf '| %s, latency on | %.1f | on/off = %.3f |\n' "$mode" "$(awk -v x="$on" 'BEGIN{print x/1e3}')" \
		"$(awk -v a="$on" -v b="$off" 'BEGIN{print a/b}')"
done
printf '\nnone (latency on) / hand-written loop = %.3f\n' \
	"$(awk -v a="$(median "${samples[none/on]}")" -v b="$ft" 'BEGIN{print a/b}')"
pon=$(median "${samples[populate/on]}")
poff=$(median "${samples[populate/off]}")
cost=$(awk -v a="$pon" -v b="$poff" 'BEGIN{print 1e9/a - 1e9/b}')
printf 'recording cost per access (populate, no faults): %.1f ns = %.2f%% of a none fault (%.0f ns), %.3f%% of a uffd-stock fault (%.0f ns)\n' \
	"$cost" \
	"$(awk -v c="$cost" -v r="$(median "${samples[none/off]}")" 'BEGIN{print 100*c*r/1e9}')" \
	"$(awk -v r="$(median "${samples[none/off]}")" 'BEGIN{print 1e9/r}')" \
	"$(awk -v c="$cost" -v r="$(median "${samples[uffd-stock/off]}")" 'BEGIN{print 100*c*r/1e9}')" \
	"$(awk -v r="$(median "${samples[uffd-stock/off]}")" 'BEGIN{print 1e9/r}')"
printf 'host: %s, %s, %s vCPU(s), %s MiB, %s reps per run\n' "$(uname -r)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$VCPUS" "$SIZE_MIB" "$REPS"
