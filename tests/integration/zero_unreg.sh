# zero-unreg: zero ranges fill in the kernel with no uffd message, non-zero
# pages are COPYed exactly once, and the WP_ASYNC dirty set is exact. A
# balloon's REMOVE events are handled; what a zap does to uffd-wp state on each
# backing is measured (zap_probe), the 4K-anon effect included.

# mode_data checked against its $defs entry in results/schema.json
zu_validate_mode_data() { # result.json
	jq '{"$defs": ."$defs", "$ref": "#/$defs/mode_data_zero_unreg"}' "$SCHEMA" >"$T/md.schema.json"
	jq '.runs[0].mode_data' "$1" >"$T/md.json"
	"$FB" validate "$T/md.schema.json" "$T/md.json" || fail "mode_data does not match \$defs/mode_data_zero_unreg"
}

zu_size() { # backing -> a size giving a few zero runs
	case $1 in
	thp | hugetlb | memfd-hugetlb) echo 64M ;;
	*) echo 16M ;;
	esac
}

# verification on, dirty set exact, zero pages never through the handler
zu_case() { # backing extra-flags...
	local b=$1 out=$T/r.json
	shift
	run_ok_or_skip "$out" --mode zero-unreg --backing "$b" --size "$(zu_size "$b")" --vcpus 2 \
		--reps 1 --warmup 0 --verify --zero-fraction 0.5 "$@" || return $?
	zu_validate_mode_data "$out"
	jq -e '.runs[0] | .verify.ok and .counters.ioctl_errors == 0
		and .mode_data.zero_ranges > 0 and .mode_data.zero_range_fault_msgs == 0
		and .mode_data.image_copies == .mode_data.touched_nonzero_pages
		and .mode_data.zero_fills == 0
		and .counters.uffd_msgs == .counters.pages_copied + .counters.pages_zeroed + .counters.eexist
		and .counters.uffd_msgs <= .mode_data.touched_nonzero_pages + .counters.eexist
		and .mode_data.dirty_checked and .mode_data.lost_dirty_pages == 0
		and .mode_data.extra_dirty_pages == 0
		and .mode_data.dirty_pages == .mode_data.written_pages
		and .mode_data.wp_async and .mode_data.wp_unpopulated_effective' "$out" >/dev/null ||
		fail "$b: $(jq -c '.runs[0] | {counters, md: (.mode_data | del(.features))}' "$out")"
}

t_anon() { zu_case anon; }
# zeros in 2M runs: the same checks, every zero range a whole number of
# runs, and far fewer ranges than pages drawn one by one give
t_anon_zero_runs() {
	local out=$T/r.json pp
	zu_case anon --size 64M --zero-run 2M || return $?
	jq -e '.config.zero_run_bytes == 2097152 and .placement.image_zero_pages % 512 == 0
		and .runs[0].mode_data.zero_ranges * 512 <= .placement.image_zero_pages' "$out" >/dev/null ||
		fail "zero runs: $(jq -c '{z: .placement.image_zero_pages, r: .runs[0].mode_data.zero_ranges}' "$out")"
	run_ok_or_skip "$T/pp.json" --mode zero-unreg --size 64M --reps 1 --warmup 0 --zero-fraction 0.5
	pp=$(jget "$T/pp.json" .runs[0].mode_data.zero_ranges)
	[ "$pp" -gt $(( $(jget "$out" .runs[0].mode_data.zero_ranges) * 20 )) ] ||
		fail "page-by-page zeros gave $pp ranges, not many more than 2M runs"
}
t_thp() { zu_case thp; }
t_shmem() { zu_case shmem; }
t_memfd() { zu_case memfd; }
t_hugetlb() { zu_case hugetlb --hugepage-size 2M; }
t_memfd_hugetlb() { zu_case memfd-hugetlb --hugepage-size 2M; }
t_per_vcpu_uffds_two_readers() { zu_case anon --uffd per-vcpu --readers 2; }
t_random_read_then_write() { zu_case anon --workload random --access read-then-write; }

t_read_only_is_clean() {
	# COPY_MODE_WP pages and kernel-filled zero pages that were only read
	# stay write-protected: the dirty set is empty
	zu_case anon --access read || return $?
	[ "$(jget "$T/r.json" '.runs[0].mode_data.dirty_pages')" = 0 ] || fail "read-only run has a dirty set"
}

t_all_zero_no_messages_vs_stock() {
	# An all-zero image: zero-unreg reads no fault message at all; uffd-stock
	# one per page. A silent fallback to stock fails here.
	local out=$T/r.json stock=$T/s.json
	run_ok_or_skip "$out" --mode zero-unreg --size 16M --vcpus 2 --reps 2 --warmup 0 --zero-fraction 1 ||
		return $?
	jq -e '[.runs[] | .counters.uffd_msgs == 0 and .counters.copy_ioctls == 0
		and .counters.zeropage_ioctls == 0 and .mode_data.zero_ranges == 1
		and .mode_data.zero_pages == 4096 and .mode_data.zero_range_fault_msgs == 0
		and .mode_data.dirty_pages == 4096 and .mode_data.lost_dirty_pages == 0] | all' "$out" >/dev/null ||
		fail "zero ranges went through uffd: $(jq -c '[.runs[].counters]' "$out")"
	run_ok_or_skip "$stock" --mode uffd-stock --size 16M --vcpus 2 --reps 1 --warmup 0 --zero-fraction 1 ||
		return $?
	[ "$(jget "$stock" '.runs[0].counters.uffd_msgs')" = 4096 ] || fail "uffd-stock should read 4096 messages"
}

t_hugetlb_all_zero_no_copies() {
	# the benchmark's case: stock must COPY zeros on hugetlb, zero-unreg not
	local out=$T/r.json
	run_ok_or_skip "$out" --mode zero-unreg --backing hugetlb --hugepage-size 2M --size 32M --vcpus 1 \
		--reps 1 --warmup 0 --zero-fraction 1 || return $?
	jq -e '.runs[0] | .counters.uffd_msgs == 0 and .counters.copy_ioctls == 0
		and .mode_data.dirty_pages == 16 and .verify.ok' "$out" >/dev/null ||
		fail "$(jq -c '.runs[0] | {counters, dirty: .mode_data.dirty_pages}' "$out")"
}

zu_balloon() { # backing extra-flags...
	local b=$1 out=$T/r.json
	shift
	run_ok_or_skip "$out" --mode zero-unreg --backing "$b" --size "$(zu_size "$b")" --vcpus 2 \
		--reps 2 --warmup 0 --verify --zero-fraction 0.5 --balloon 0.25 "$@" || return $?
	zu_validate_mode_data "$out"
	# every ballooned page the vCPUs touched is skipped by verification
	jq -e '(.config.total_bytes / .config.page_bytes) as $n
		| [.runs[] | .verify.ok and .counters.uffd_events > 0 and .counters.ioctl_errors == 0
		and .mode_data.balloon.pages > 0
		and .verify.pages_skipped <= .mode_data.balloon.pages
		and (.verify.pages_skipped == .mode_data.balloon.pages or .aggregate.touched_pages < $n)
		and .mode_data.balloon.remove_pages == .mode_data.balloon.pages
		and .mode_data.balloon.remove_events >= .mode_data.balloon.madvise_calls
		and .counters.uffd_events >= .mode_data.balloon.remove_events
		and .mode_data.zero_range_fault_msgs == 0
		and .mode_data.lost_dirty_pages == 0 and .mode_data.extra_dirty_pages == 0
		and .mode_data.balloon.rewritten_pages <= .mode_data.balloon.reported_dirty_pages
		and .mode_data.zap_probe.pages > 0
		and .mode_data.zap_probe.clean_before_pages == .mode_data.zap_probe.pages
		and .mode_data.zap_probe.clean_after_rearm_pages == .mode_data.zap_probe.pages
		and .mode_data.zap_probe.writes_tracked_pages == .mode_data.zap_probe.pages] | all' "$out" >/dev/null ||
		fail "$b: $(jq -c '[.runs[] | {c: .counters, v: .verify.pages_skipped, b: .mode_data.balloon, p: .mode_data.zap_probe, l: .mode_data.lost_dirty_pages, x: .mode_data.extra_dirty_pages}]' "$out")"
}

t_balloon_anon() { zu_balloon anon; }
t_balloon_shmem() { zu_balloon shmem; }
t_balloon_hugetlb() { zu_balloon hugetlb --hugepage-size 2M; }
t_balloon_zipf_revisits() { zu_balloon anon --workload zipf:0.99 --access read-then-write; }
t_balloon_read_only() { zu_balloon anon --access read; }

t_zap_effect_4k_anon_vs_hugetlb() {
	# The reference's limit, measured: on 4K anonymous memory a zap drops
	# the page's uffd-wp state, so PAGEMAP_SCAN reports every zapped page
	# written though nothing wrote it; hugetlb keeps the marker. No dirty
	# page is lost either way (WP_ASYNC brings WP_UNPOPULATED: re-arming
	# installs markers on the empty ptes again).
	local out=$T/r.json h=$T/h.json
	run_ok_or_skip "$out" --mode zero-unreg --backing anon --size 16M --vcpus 2 --reps 1 --warmup 0 \
		--zero-fraction 0.5 --balloon 0.25 || return $?
	jq -e '.runs[0].mode_data | .zap_probe.advice == "MADV_DONTNEED"
		and .zap_probe.wp_kept_pages == 0
		and .zap_probe.reported_dirty_pages == .zap_probe.pages
		and .balloon.reported_dirty_pages == .balloon.pages
		and .lost_dirty_pages == 0 and .wp_unpopulated' "$out" >/dev/null ||
		fail "anon: $(jq -c '.runs[0].mode_data | {zap_probe, balloon}' "$out")"
	echo "# anon zap probe: $(jq -c '.runs[0].mode_data.zap_probe' "$out")"
	run_ok_or_skip "$h" --mode zero-unreg --backing hugetlb --hugepage-size 2M --size 64M --vcpus 2 \
		--reps 1 --warmup 0 --zero-fraction 0.5 --balloon 0.25 || return $?
	jq -e '.runs[0].mode_data | .zap_probe.wp_kept_pages == .zap_probe.pages
		and .zap_probe.reported_dirty_pages == 0 and .lost_dirty_pages == 0' "$h" >/dev/null ||
		fail "hugetlb: $(jq -c '.runs[0].mode_data.zap_probe' "$h")"
	echo "# hugetlb zap probe: $(jq -c '.runs[0].mode_data.zap_probe' "$h")"
}

t_duplicate_copy_fails_accounting() {
	local out=$T/r.json
	fbrun run --mode zero-unreg --size 8M --vcpus 2 --reps 1 --warmup 0 --inject duplicate-copy:3 --out "$out"
	[ "$RC" -eq 77 ] && skip "$(jq -r .status.reason "$out")"
	expect_rc 1 "a duplicated UFFDIO_COPY"
	jget "$out" .status.reason | grep -q 'lost or duplicated' || fail "reason: $(jq .status.reason "$out")"
}

t_corrupt_copy_fails_verify() {
	local out=$T/r.json
	fbrun run --mode zero-unreg --size 8M --vcpus 2 --reps 1 --warmup 0 --inject corrupt-copy:100 --out "$out"
	[ "$RC" -eq 77 ] && skip "$(jq -r .status.reason "$out")"
	expect_rc 1 "a corrupted page"
	[ "$(jget "$out" '.runs[0].verify.first_bad_page')" = 100 ] || fail "first bad page must be 100"
}

t_dropped_copy_trips_watchdog() {
	local out=$T/r.json
	fbrun run --mode zero-unreg --size 8M --vcpus 2 --reps 1 --warmup 0 --inject drop-copy:5 \
		--fault-timeout 1 --out "$out"
	[ "$RC" -eq 77 ] && skip "$(jq -r .status.reason "$out")"
	expect_rc 1 "a lost fault"
	jget "$out" .status.reason | grep -q 'watchdog: vCPU 0 .* page 5 .*alive' ||
		fail "reason must name vCPU 0, page 5 and the handlers: $(jq .status.reason "$out")"
}

t_overlap_per_vcpu_is_bad_input() {
	fbrun run --mode zero-unreg --size 8M --vcpus 2 --overlap --uffd per-vcpu --out "$T/r.json"
	expect_rc 2 "--overlap with --uffd per-vcpu"
	grep -q -- '--uffd per-vcpu' "$T/out" || fail "the message must name --uffd per-vcpu"
}
