# Every mode × every backing, as `faultbench probe --json` lists them: each
# one runs with verification on 2 vCPUs, or skips with the reason the run
# itself records.

matrix_case() { # mode backing-label
	local mode=$1 label=$2 backing=$2 size=16M vcpus=2 extra=() out
	case $label in
	thp) size=32M ;;
	hugetlb) size=32M; extra=(--hugepage-size 2M) ;;
	hugetlb-1G) backing=hugetlb; size=1G; vcpus=1; extra=(--hugepage-size 1G) ;;
	memfd-hugetlb) size=32M; extra=(--hugepage-size 2M) ;;
	memfd-hugetlb-1G) backing=memfd-hugetlb; size=1G; vcpus=1; extra=(--hugepage-size 1G) ;;
	esac
	out=$T/r.json
	run_ok_or_skip "$out" --mode "$mode" --backing "$backing" --size "$size" --vcpus "$vcpus" \
		--reps 1 --warmup 0 --verify "${extra[@]}" || return $?
	[ "$(jget "$out" '.runs[0].verify.ok')" = true ] || fail "verify not ok"
	local pages touched
	pages=$(jget "$out" '.config.total_bytes / .config.page_bytes')
	touched=$(jget "$out" '.runs[0].aggregate.touched_pages')
	[ "$pages" = "$touched" ] || fail "touched $touched of $pages pages"
	[ "$(jget "$out" '.runs[0].fault_lat_ns.count')" = "$pages" ] || fail "latency count != pages"
	if [ "$(jget "$out" '.runs[0].counters.uffd_msgs')" != 0 ]; then
		# a uffd mode: resolves (copies, zero pages, or a MINOR mode's
		# continues) add up to the pages touched
		[ "$(jget "$out" '.runs[0] | .counters.pages_copied + .counters.pages_zeroed
			+ (.mode_data.pages_continued // 0)')" = "$pages" ] ||
			fail "resolved pages != $pages"
	fi
}

while read -r m b; do
	fn="t_${m//-/_}__${b//-/_}"
	eval "$fn() { matrix_case $m $b; }"
done < <("$FB" probe --json 2>/dev/null | jq -r '.modes[] | "\(.mode) \(.backing)\(if .hugepage_bytes == 1073741824 then "-1G" else "" end)"')
