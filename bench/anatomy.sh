#!/usr/bin/env bash
# Where a fault's time goes: the fault anatomy of uffd-stock at 1 and 2
# vCPUs under each handler placement (--handler-cpus any, same, other) and
# wait (--wait poll, spin), beside memfault-exit (--exit sigbus) at 1 vCPU.
# Every configuration runs once per round, rounds one after another, so the
# machine's drift spreads over all of them.
#
# Prints a Markdown table. Per configuration, the median over rounds of each
# run's median over its repetitions: paging rate (and its min–max over
# rounds), first-touch p50, and the p50 of each part (delivery: fault to the
# handler holding the message; service: message to resolve done; wake:
# resolve done to the vCPU running again). "resumed first" is the share of
# faults whose vCPU ran again before the resolve ioctl returned (a handler
# on the vCPU's CPU, preempted by the wake: wake 0). "on a vCPU's CPU" is
# the share of handler reads that returned on a CPU a vCPU is pinned to.
#   ROUNDS (3), SIZE (128M in all), REPS (3, plus 1 warmup)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} SIZE=${SIZE:-128M} REPS=${REPS:-3}
FB=${FB_BIN:-./faultbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

configs=(
	"uffd-stock 1 any poll" "uffd-stock 1 same poll" "uffd-stock 1 other poll"
	"uffd-stock 1 any spin" "uffd-stock 1 same spin" "uffd-stock 1 other spin"
	"uffd-stock 2 any poll" "uffd-stock 2 same poll" "uffd-stock 2 other poll"
	"uffd-stock 2 any spin" "uffd-stock 2 same spin"
	"memfault-exit 1 - -"
)
declare -A vals skipped

for r in $(seq "$ROUNDS"); do
	for c in "${configs[@]}"; do
		read -r mode v hc wait <<<"$c"
		flags=(--mode "$mode" --vcpus "$v" --size "$SIZE" --reps "$REPS" --warmup 1 --quiet --out "$tmp/r.json")
		[ "$hc" = - ] || flags+=(--handler-cpus "$hc" --wait "$wait")
		[ "$mode" = memfault-exit ] && flags+=(--exit sigbus)
		rc=0
		"$FB" run "${flags[@]}" 2>/dev/null || rc=$?
		if [ "$rc" = 77 ]; then
			skipped[$c]=$(jq -r .status.reason "$tmp/r.json")
			continue
		fi
		[ "$rc" = 0 ] || { echo "faultbench run ${flags[*]}: exit $rc" >&2; exit 1; }
		vals[$c]+=$(jq -r '[.runs[] | select(.warmup | not)] as $m
			| def tot(f): [$m[] | f] | add // 0;
			[.summary.paging_rate_pps.median, .summary.fault_lat_p50_ns.median,
			 .summary.fault_anatomy_delivery_p50_ns.median, .summary.fault_anatomy_service_p50_ns.median,
			 .summary.fault_anatomy_wake_p50_ns.median,
			 tot(.fault_anatomy.matched), tot(.fault_anatomy.matched + .fault_anatomy.unmatched),
			 tot(.fault_anatomy.resumed_first),
			 tot(.handlers.threads[]?.reads_on_vcpu_cpus), tot(.handlers.threads[]?.reads)]
			| map(tostring) | join(",")' "$tmp/r.json")" "
	done
	printf 'round %d/%d done\n' "$r" "$ROUNDS" >&2
done

# column k (1-based) of every round's values of config c: median, min, max
stat() { # c k
	tr ' ' '\n' <<<"${vals[$1]}" | grep . | cut -d, -f"$2" | sort -g |
		awk '{ a[NR] = $1 } END { printf "%s %s %s\n", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR] }'
}
med() { stat "$1" "$2" | cut -d' ' -f1; }
us() { awk -v x="$1" 'BEGIN { printf "%.1f", x / 1e3 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else printf "–" }'; }

printf '| mode | vCPUs | handlers | wait | k pages/s, median [min–max] of rounds | first touch p50 (µs) | delivery p50 | service p50 | wake p50 | sum / first touch | matched | resumed first | handler reads on a vCPU'"'"'s CPU |\n'
printf '|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for c in "${configs[@]}"; do
	read -r mode v hc wait <<<"$c"
	[ "$mode" = memfault-exit ] && hc="(own exit)" wait="sigbus"
	if [ -n "${skipped[$c]:-}" ]; then
		printf '| %s | %s | %s | %s | skipped: %s |||||||||\n' "$mode" "$v" "$hc" "$wait" "${skipped[$c]}"
		continue
	fi
	read -r rmed rlo rhi < <(stat "$c" 1)
	lat=$(med "$c" 2) d=$(med "$c" 3) s=$(med "$c" 4) w=$(med "$c" 5)
	sums=$(tr ' ' '\n' <<<"${vals[$c]}" | grep . | awk -F, '{ for (k = 6; k <= 10; k++) t[k] += $k }
		END { print t[6], t[7], t[8], t[9], t[10] }')
	read -r matched firsts resumed onv reads <<<"$sums"
	printf '| %s | %s | %s | %s | %.1f [%.1f–%.1f] | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		"$mode" "$v" "$hc" "$wait" "$(us "$rmed")" "$(us "$rlo")" "$(us "$rhi")" "$(us "$lat")" \
		"$(us "$d")" "$(us "$s")" "$(us "$w")" \
		"$(awk -v a="$d" -v b="$s" -v c="$w" -v l="$lat" 'BEGIN { printf "%.2f", (a + b + c) / l }')" \
		"$(pct "$matched" "$firsts")" "$(pct "$resumed" "$matched")" \
		"$( [ "$reads" = 0 ] && echo "no reads" || pct "$onv" "$reads")"
done
printf '\n%s rounds; each run %s repetitions (+1 warmup) of %s in all, anon 4K pages, seq writes; parts in µs\n' \
	"$ROUNDS" "$REPS" "$SIZE"
printf 'host: Linux %s, %s, %s CPUs, cpuidle %s\n' "$(uname -r)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" \
	"$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo unknown)"
