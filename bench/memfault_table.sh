#!/usr/bin/env bash
# The memory-fault-exit table of reference 003 (KVM_CAP_MEM_FAULT_NOWAIT):
# paging rate against vCPUs for uffd-stock with one shared uffd (every vCPU
# fault sleeps on the uffd until a handler thread copies the page) and for
# memfault-exit, where each vCPU resolves its own fault (--exit sigbus: a
# SIGBUS handler on the vCPU; --exit bitmap: a presence-bitmap check before
# each access). anon 4K pages, SIZE_MIB per vCPU, disjoint slices.
#
# Prints a Markdown table: k pages/s as the median [min–max] of REPS
# repetitions (aggregate: all pages over the slowest vCPU's time), and the
# ratio of the medians, memfault-exit / uffd-stock. Rows with more vCPUs than
# CPUs are labelled oversubscribed: there the vCPUs, and for uffd-stock the
# handler too, share CPUs, so the table shows contention, not scaling.
#   VCPUS ("1 2 4 8"), SIZE_MIB per vCPU (64), REPS (5, plus 1 warmup)
set -euo pipefail
cd "$(dirname "$0")/.."
VCPUS=${VCPUS:-"1 2 4 8"} SIZE_MIB=${SIZE_MIB:-64} REPS=${REPS:-5}
FB=${FB_BIN:-./faultbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpus=$(nproc)

declare -A cell med
run() { # key flags...
	local key=$1
	shift
	"$FB" run --backing anon --size "${SIZE_MIB}M" --per-vcpu --reps "$REPS" --warmup 1 \
		--no-verify --quiet --out "$tmp/r.json" "$@" >/dev/null
	cell[$key]=$(jq -r '.summary.paging_rate_pps | "\(.median / 1e3) \(.min / 1e3) \(.max / 1e3)"' "$tmp/r.json" |
		awk '{ printf "%.1f [%.1f–%.1f]", $1, $2, $3 }')
	med[$key]=$(jq -r '.summary.paging_rate_pps.median' "$tmp/r.json")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

for v in $VCPUS; do
	run "stock/$v" --mode uffd-stock --uffd shared --vcpus "$v"
	run "sigbus/$v" --mode memfault-exit --exit sigbus --vcpus "$v"
	run "bitmap/$v" --mode memfault-exit --exit bitmap --vcpus "$v"
	printf '%s vCPUs done\n' "$v" >&2
done

printf '| vCPUs | uffd-stock, 1 shared uffd (k pages/s) | memfault-exit sigbus (k pages/s) | memfault-exit bitmap (k pages/s) | sigbus / stock | bitmap / stock |\n'
printf '|---|---:|---:|---:|---:|---:|\n'
for v in $VCPUS; do
	label=$v
	[ "$v" -le "$cpus" ] || label="$v (oversubscribed: $cpus CPUs)"
	printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "${cell[stock/$v]}" "${cell[sigbus/$v]}" \
		"${cell[bitmap/$v]}" "$(ratio "${med[sigbus/$v]}" "${med[stock/$v]}")" \
		"$(ratio "${med[bitmap/$v]}" "${med[stock/$v]}")"
done
printf '\nmedian [min–max] of %s repetitions (+1 warmup) each; anon 4K pages, %s MiB per vCPU, disjoint slices, sequential writes\n' \
	"$REPS" "$SIZE_MIB"
printf 'host: Linux %s, %s, %s CPUs, %s\n' "$(uname -r)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$cpus" \
	"$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
