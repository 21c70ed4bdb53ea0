#!/usr/bin/env bash
# The E2B experiment (reference 000): a dd-like sequential write of 1 GiB
# on 2M hugetlb pages, 1 vCPU, an all-zero source image (--zero-fraction 1).
#
#   uffd-stock  every fault goes to the handler, which must UFFDIO_COPY 2M of
#               zeros (hugetlb has no UFFDIO_ZEROPAGE)
#   zero-unreg  the zero ranges are WP-only: the kernel zero-fills, no round
#               trip; the WP_ASYNC dirty set is still checked exact
#   none        no uffd at all: the floor
#
# The reference measured ~1.3 GiB/s (main) vs ~2.0 GiB/s (its change) with
# dd inside a Firecracker guest on a laptop. Here a vCPU thread writes one
# word per 2M page, so the rate is the fault path alone: no guest, no dd
# copying 2M of data per page.
#
# The modes are interleaved round by round, so a drift of the host spreads
# over all of them; huge pages are reserved once for the whole benchmark (as
# root; given back on exit) so every round uses the same, already-touched
# pool pages.
# BACKING=anon runs the same on 4K anonymous pages, where uffd-stock answers
# with UFFDIO_ZEROPAGE and the round trip is most of a fault.
#   ROUNDS (5), REPS per run (3), SIZE (1G), BACKING (hugetlb), OUT (results/zero-unreg-dd)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5} REPS=${REPS:-3} SIZE=${SIZE:-1G} BACKING=${BACKING:-hugetlb}
OUT=${OUT:-results/zero-unreg-dd}
FB=${FB_BIN:-./faultbench}
MODES=(uffd-stock zero-unreg none)
POOL=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
mkdir -p "$OUT"

pool_before=
restore() { if [ -n "$pool_before" ]; then echo "$pool_before" >"$POOL"; fi; }
trap restore EXIT
trap 'restore; exit 130' INT TERM
if [ "$BACKING" = hugetlb ] && [ -w "$POOL" ]; then
	need=$(( $(numfmt --from=iec "$SIZE") / 2097152 ))
	free=$(cat "${POOL%nr_hugepages}free_hugepages")
	if [ "$free" -lt "$need" ]; then
		pool_before=$(cat "$POOL")
		echo $((pool_before + need - free)) >"$POOL"
	fi
fi

declare -A rates lat
for r in $(seq "$ROUNDS"); do
	for m in "${MODES[@]}"; do
		f=$OUT/$m-round$r.json
		"$FB" run --mode "$m" --backing "$BACKING" --hugepage-size 2M --size "$SIZE" --vcpus 1 \
			--workload seq --access write --zero-fraction 1 --reps "$REPS" --warmup 1 \
			--quiet --out "$f"
		rates[$m]+="$(jq -r '[.runs[] | select(.warmup | not) | .aggregate.paging_rate_gibps] | map(tostring) | join(" ")' "$f") "
		lat[$m]+="$(jq -r '[.runs[] | select(.warmup | not) | .fault_lat_ns.p50 / 1000] | map(tostring) | join(" ")' "$f") "
		if [ "$m" = zero-unreg ]; then
			jq -e '[.runs[] | .counters.uffd_msgs == 0 and .mode_data.lost_dirty_pages == 0
				and .mode_data.dirty_pages == .mode_data.written_pages] | all' "$f" >/dev/null ||
				{ echo "zero-unreg: messages or an inexact dirty set in $f" >&2; exit 1; }
		fi
	done
	printf 'round %d/%d done\n' "$r" "$ROUNDS" >&2
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
q() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk -v p="$2" '{a[NR]=$1} END {i=int(p*(NR-1))+1; print a[i]}'; }

n=$(tr ' ' '\n' <<<"${rates[zero-unreg]}" | grep -c .)
label=$([ "$BACKING" = hugetlb ] && echo "2M hugetlb" || echo "$BACKING")
printf '\n%s sequential write, %s, 1 vCPU, all-zero image (medians of %d reps)\n\n' "$SIZE" "$label" "$n"
printf '| mode | GiB/s | p25-p75 GiB/s | fault p50 (us) | reference (E2B, dd in a guest, GiB/s) |\n'
printf '|---|---:|---|---:|---:|\n'
for m in "${MODES[@]}"; do
	case $m in
	uffd-stock) m_label="" ref="~1.3 (main)" ;;
	zero-unreg) m_label="" ref="~2.0 (the change)" ;;
	*) m_label=" (no uffd, floor)" ref="" ;;
	esac
	[ "$BACKING" = hugetlb ] || ref="" # the reference is a hugetlb figure
	printf '| %s%s | %.2f | %.2f-%.2f | %.1f | %s |\n' "$m" "${m_label:-}" "$(median "${rates[$m]}")" \
		"$(q "${rates[$m]}" 0.25)" "$(q "${rates[$m]}" 0.75)" "$(median "${lat[$m]}")" "$ref"
done
stock=$(median "${rates[uffd-stock]}")
zu=$(median "${rates[zero-unreg]}")
printf '\nratio zero-unreg / uffd-stock: %.2f (reference, hugetlb: ~%.2f)\n' \
	"$(awk -v a="$zu" -v b="$stock" 'BEGIN {print a / b}')" "$(awk 'BEGIN {print 2.0 / 1.3}')"
printf 'results in %s/\n' "$OUT"
