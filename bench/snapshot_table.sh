#!/usr/bin/env bash
# Live snapshots (issue 11, reference 004): every strategy of `faultbench
# snapshot` (read from its --help, so a new strategy joins by itself) at 1
# and 2 vCPUs, on anon 4K pages and on THP, random writes at full speed,
# pages to a null sink (one checksum per page: the copy, not the disk).
# Then `faultbench report` on the results and its snapshot table: per
# configuration and strategy the medians of snapshot duration, pause,
# slowdown, p99 write latency, peak extra memory, sink bytes and fork()
# time per GiB; and a plot of the vCPUs' writes around T0 per configuration.
#
#   SIZES    guest memory sizes, space-separated [1G 4G; each capped at a
#            third of MemAvailable: fork's child may come to hold a full
#            copy of the guest, so guest plus copy must fit with room to
#            spare; a size capped to one already measured is not repeated]
#   SIZE     one size, for SIZES (older name)
#   REPS     measured repetitions per configuration [3]
#   OUT      result directory [results/snapshot-table-<UTC time>], must not exist
#   FB_BIN   the faultbench binary [./faultbench]
#
# Exits 1 when a configuration failed (the others still run), 0 otherwise;
# a skipped configuration (this host cannot run it) is reported, not fatal.
set -euo pipefail
cd "$(dirname "$0")/.."
FB=${FB_BIN:-./faultbench}
REPS=${REPS:-3}

say() { printf 'snapshot_table: %s\n' "$*" >&2; }
# run: prints the command, then runs it
# shellcheck source=bench/lib.sh disable=SC1091
source bench/lib.sh

command -v "$FB" >/dev/null || { say "$FB: no such program (make all, or set FB_BIN)"; exit 2; }
# the registry's names, as `faultbench snapshot --help` lists them
strategies=$("$FB" snapshot --help | awk '/^Strategies:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' |
	paste -sd, -)
[ -n "$strategies" ] || { say "$FB snapshot --help lists no strategy: nothing to measure"; exit 2; }

# MiB, a multiple of 2 so the THP guest is whole 2M pages
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024 / 3 / 2) * 2 }' /proc/meminfo)
[ "$avail" -ge 64 ] || { say "only $((avail * 3)) MiB available: too little for a useful guest"; exit 2; }
mib() { # SIZE with a K, M or G suffix, in MiB (0: not a size)
	case $1 in
	*[0-9]G) echo $((${1%G} * 1024)) ;;
	*[0-9]M) echo "${1%M}" ;;
	*) echo 0 ;;
	esac
}
sizes=
for s in ${SIZES:-${SIZE:-1G 4G}}; do
	m=$(mib "$s")
	[ "$m" -gt 0 ] 2>/dev/null || { say "SIZES: '$s' is not a size like 512M or 4G"; exit 2; }
	[ "$m" -le "$avail" ] || { say "$s: capped at ${avail}M, a third of MemAvailable"; m=$avail; }
	case " $sizes " in *" ${m}M "*) continue ;; esac
	sizes="$sizes ${m}M"
done
out=${OUT:-results/snapshot-table-$(date -u +%Y%m%d-%H%M%S)}
[ ! -e "$out" ] || { say "$out exists: give a fresh OUT"; exit 2; }
mkdir -p "$out"
say "strategies: $strategies; guests$sizes; $REPS repetitions; results in $out"

failed=0
for size in $sizes; do
	for backing in anon thp; do
		for vcpus in 1 2; do
			rc=0
			run "$FB" snapshot --strategy "$strategies" --backing "$backing" --vcpus "$vcpus" \
				--size "$size" --workload random --sink null --reps "$REPS" --warmup 0 --quiet \
				--out "$out/snapshot-$backing-${vcpus}v-$size.json" || rc=$?
			case $rc in
			0) ;;
			77) say "$backing ${vcpus}v $size: a strategy skipped (the reason is in its result's status)" ;;
			*) say "$backing ${vcpus}v $size: failed (exit $rc)"; failed=1 ;;
			esac
		done
	done
done

run "$FB" report "$out" >&2
table=$out/report/tables/snapshot.md
[ -s "$table" ] || { say "the report has no snapshot table (no strategy ran)"; exit 1; }
echo
cat "$table"
echo
echo "Plots (writes around T0, one per configuration): $out/report/plots/snapshot-timeline-*.png"
exit "$failed"
