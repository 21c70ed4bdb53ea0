#!/usr/bin/env bash
# The default benchmark (`make bench`): every mode this host supports on
# anon, shmem and 2M hugetlb memory, 1 and 2 vCPUs, 256 MiB in all, 5
# measured repetitions each. Results go to results/default-<time>/; the
# table is printed and saved beside them as table.md.
set -uo pipefail
cd "$(dirname "$0")/.."
FB=${FB_BIN:-./faultbench}
SIZE=${SIZE:-256M} REPS=${REPS:-5} VCPUS=${VCPUS:-"1 2"} BACKINGS=${BACKINGS:-"anon shmem hugetlb"}
dir=results/default-$(date +%Y%m%d-%H%M%S)
mkdir -p "$dir"
modes=$("$FB" run --mode help | awk 'NR > 1 {print $1}')

for b in $BACKINGS; do
	for v in $VCPUS; do
		for m in $modes; do
			out="$dir/$m-$b-${v}v.json"
			"$FB" run --mode "$m" --backing "$b" --vcpus "$v" --size "$SIZE" --reps "$REPS" \
				--quiet --out "$out"
			rc=$?
			case $rc in
			0) printf '%-12s %-8s %s vCPU  ok\n' "$m" "$b" "$v" ;;
			77) printf '%-12s %-8s %s vCPU  skipped: %s\n' "$m" "$b" "$v" "$(jq -r .status.reason "$out")" ;;
			*) printf '%-12s %-8s %s vCPU  FAILED (exit %d): %s\n' "$m" "$b" "$v" "$rc" \
				"$(jq -r .status.reason "$out" 2>/dev/null)" ;;
			esac
		done
	done
done >&2

{
	printf '| backing | vCPUs | mode | paging rate, k pages/s (median [min–max]) | GiB/s | first-touch p50 / p99 (µs) | vs uffd-stock |\n'
	printf '|---|---:|---|---:|---:|---:|---:|\n'
	for b in $BACKINGS; do
		for v in $VCPUS; do
			ref="$dir/uffd-stock-$b-${v}v.json"
			for m in $modes; do
				f="$dir/$m-$b-${v}v.json"
				[ "$(jq -r .status.state "$f" 2>/dev/null)" = ok ] || continue
				jq -r --arg b "$b" --arg v "$v" --arg m "$m" --slurpfile ref "$ref" '
					.summary as $s | ($ref[0].summary.paging_rate_pps.median // 0) as $r |
					"| \($b) | \($v) | \($m) | \($s.paging_rate_pps.median / 1e3 | . * 10 | round / 10)" +
					" [\($s.paging_rate_pps.min / 1e3 | round)–\($s.paging_rate_pps.max / 1e3 | round)]" +
					" | \($s.paging_rate_gibps.median * 100 | round / 100)" +
					" | \($s.fault_lat_p50_ns.median / 1e3 | . * 100 | round / 100) / \($s.fault_lat_p99_ns.median / 1e3 | . * 10 | round / 10)" +
					" | \(if $r > 0 then "\($s.paging_rate_pps.median / $r * 100 | round / 100)x" else "–" end) |"' "$f"
			done
		done
	done
	printf '\n%s, %s, %s, %s per run, %s repetitions (+1 warmup), `make bench`\n' \
		"$(hostname -s 2>/dev/null || echo host)" "$(uname -r)" \
		"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs" "$SIZE" "$REPS"
} >"$dir/table.md"
cat "$dir/table.md"
echo
echo "results: $dir/ (one JSON per configuration); table: $dir/table.md"
