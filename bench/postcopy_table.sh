#!/usr/bin/env bash
# Postcopy beside QEMU's published postcopy-preempt figures (a 20 GB guest
# on a 10 Gbit/s link: an urgent 4K fault averaged 10.68 ms without preempt
# and 0.57 ms with it; with 2M pages 10.58 ms and about 5 ms).
#
# Runs `faultbench run --mode postcopy` for 4K pages (anon) and 2M pages
# (hugetlb; faultbench reserves the huge pages itself when root and gives
# them back), each plain and --preempt: VCPUS vCPU threads write to their
# pages in random order while the source streams the whole guest over an
# emulated link of LINK_BW. Then `faultbench report` on the results (its
# postcopy table and latency CDFs), and a Markdown table of our urgent-fault
# figures beside QEMU's, with the differences in setup.
#
#   SIZE     guest memory [1G, or a quarter of MemAvailable when that is
#            less]. The full guest streams in every repetition: 1G takes
#            0.86 s at 10 Gbit/s, so 4 configurations x (REPS + 1) runs
#            take a few minutes with setup and verification, where QEMU's
#            20 GB would take 17 s per repetition. A quarter of MemAvailable
#            leaves room for the source's copy of the image and the
#            verification besides the guest itself.
#   REPS     measured repetitions per configuration [3], plus 1 warmup
#   VCPUS    vCPU threads [1: with more, their urgent pages share the one
#            preempt connection, and a 2M urgent fault waits for the others]
#   LINK_BW  emulated link bandwidth [10G: 10 Gbit/s, QEMU's]
#   LINK     unix or tcp (TCP over loopback, as QEMU migrates over TCP) [tcp]
#   OUT      result directory [results/postcopy-table-<UTC time>], must not exist
#   FB_BIN   the faultbench binary [./faultbench]
#
# Exits 0 with a message, having run nothing, when the binary has no
# postcopy mode; 1 when a configuration failed (the others still run).
set -euo pipefail
cd "$(dirname "$0")/.."
FB=${FB_BIN:-./faultbench}
REPS=${REPS:-3} VCPUS=${VCPUS:-1} LINK_BW=${LINK_BW:-10G} LINK=${LINK:-tcp}

say() { printf 'postcopy_table: %s\n' "$*" >&2; }
# run: prints the command, then runs it
# shellcheck source=bench/lib.sh disable=SC1091
source bench/lib.sh

command -v "$FB" >/dev/null || { say "$FB: no such program (make all, or set FB_BIN)"; exit 2; }
if ! "$FB" run --mode help | awk '$1 == "postcopy" { found = 1 } END { exit !found }'; then
	say "$FB has no postcopy mode (\`$FB run --mode help\` does not list it): nothing to measure"
	exit 0
fi
command -v jq >/dev/null || { say "needs jq"; exit 2; }

if [ -z "${SIZE:-}" ]; then
	# MiB, a multiple of 2 so the hugetlb guest is whole 2M pages
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024 / 4 / 2) * 2 }' /proc/meminfo)
	SIZE=$((avail < 1024 ? avail : 1024))M
	[ "$avail" -ge 64 ] || { say "only $((avail * 4)) MiB available: too little for a useful guest"; exit 2; }
fi
out=${OUT:-results/postcopy-table-$(date -u +%Y%m%d-%H%M%S)}
[ ! -e "$out" ] || { say "$out exists: give a fresh OUT"; exit 2; }
mkdir -p "$out"

failed=0
declare -A reason=()
for backing in anon hugetlb; do
	for p in plain preempt; do
		flags=(--mode postcopy --backing "$backing" --size "$SIZE" --vcpus "$VCPUS" --workload random
			--access write --link "$LINK" --link-bw "$LINK_BW" --reps "$REPS" --warmup 1 --quiet
			--out "$out/postcopy-$backing-$p.json")
		[ "$p" = plain ] || flags+=(--preempt)
		rc=0
		run "$FB" run "${flags[@]}" || rc=$?
		case $rc in
		0) ;;
		77) reason[$backing/$p]="skipped: $(jq -r '.status.reason' "$out/postcopy-$backing-$p.json")"
		    say "$backing $p ${reason[$backing/$p]}" ;;
		*) reason[$backing/$p]="failed: exit $rc"
		   say "$backing $p failed (exit $rc)"
		   failed=1 ;;
		esac
	done
done

run "$FB" report "$out" --out "$out/report" || { say "faultbench report failed"; exit 1; }
csv=$out/report/tables/postcopy.csv

# field NAME of the CSV row for BACKING and PREEMPT (yes/no); "" when none
field() {
	[ -s "$csv" ] || return 0
	awk -v col="$1" -v b="$2" -v p="$3" '
		{ sub(/^"[^"]*",/, "label,"); n = split($0, f, ",") } # the label, quoted, holds commas
		NR == 1 { for (i = 1; i <= n; i++) c[f[i]] = i; next }
		f[c["backing"]] == b && f[c["preempt"]] == p { print f[c[col]] }' "$csv"
}
# three significant digits, never in exponent form
sig3() {
	[ -n "$1" ] || { printf '–'; return; }
	awk -v v="$1" 'BEGIN { d = v >= 100 ? 0 : v >= 10 ? 1 : v >= 1 ? 2 : v >= 0.1 ? 3 : 4; printf "%.*f", d, v }'
}
ms() { [ -n "$1" ] && sig3 "$(awk -v v="$1" 'BEGIN { printf "%.9g", v / 1000 }')" || printf '–'; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else printf "–" }' || printf '–'; }

declare -A qemu=([anon/plain]=10.68 [anon/preempt]=0.57 [hugetlb/plain]=10.58 [hugetlb/preempt]="about 5")
declare -A page=([anon]=4K [hugetlb]=2M)
printf '\n## Postcopy urgent faults: faultbench beside QEMU\n\n'
printf '| pages | preempt | QEMU: urgent fault, average (ms) | ours: urgent mean (ms) | ours: urgent p50 / p99 (ms) | ours: stream-resolved p50 (ms) | ours: urgent faults | ours: blocktime (ms) |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|\n'
for backing in anon hugetlb; do
	for p in plain preempt; do
		yn=no
		[ "$p" = plain ] || yn=yes
		if [ -n "${reason[$backing/$p]:-}" ]; then
			printf '| %s | %s | %s | %s |||||\n' "${page[$backing]}" "$p" "${qemu[$backing/$p]}" \
				"${reason[$backing/$p]}"
			continue
		fi
		printf '| %s | %s | %s | %s | %s / %s | %s | %s | %s |\n' "${page[$backing]}" "$p" \
			"${qemu[$backing/$p]}" "$(ms "$(field urgent_mean_us "$backing" "$yn")")" \
			"$(ms "$(field urgent_p50_us "$backing" "$yn")")" "$(ms "$(field urgent_p99_us "$backing" "$yn")")" \
			"$(ms "$(field stream_p50_us "$backing" "$yn")")" \
			"$(field urgent_faults "$backing" "$yn" | awk '{ printf "%.0f", $1 }')" \
			"$(sig3 "$(field blocktime_ms "$backing" "$yn")")"
	done
done
printf '\nPlain / preempt, urgent mean: QEMU 4K 18.7×, 2M about 2.1×; ours 4K %s, 2M %s.\n' \
	"$(ratio "$(field urgent_mean_us anon no)" "$(field urgent_mean_us anon yes)")" \
	"$(ratio "$(field urgent_mean_us hugetlb no)" "$(field urgent_mean_us hugetlb yes)")"
cat <<EOF

Ours: the median over $REPS repetitions (plus 1 warmup) of each repetition's
figure (\`faultbench report\`: $out/report/index.md). Urgent: faults whose
page came in answer to a request; latency from the fault thread reading
the fault to the page installed.

How the setups differ:
- Guest: ours $SIZE, QEMU's 20 GB. The whole guest streams in either; at
  the same link rate the stream ends sooner here, so faults have less time
  to happen, but an urgent page without preempt still waits behind what is
  queued on the stream connection.
- Link: QEMU's a real 10 Gbit/s network; ours emulated ($LINK_BW, the
  source pacing itself with a token bucket) over a $LINK socket on one
  host (loopback), with no added delay: source and destination share this
  host's $(nproc) CPUs and its memory bandwidth.
- No guest OS: our vCPUs are $VCPUS threads of faultbench writing each of
  their pages once in random order, faulting through userfaultfd in the
  host; QEMU's vCPUs run a guest kernel and its workload, and fault
  through KVM.
- vCPU count: ours $VCPUS, sharing the CPUs with the fault thread, the
  receiver and the source process; QEMU's figures as quoted do not give it.
EOF
printf 'host: Linux %s, %s, %s CPUs, %s\n' "$(uname -r)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" \
	"$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
[ "$failed" = 0 ] || { say "a configuration failed: see above"; exit 1; }
