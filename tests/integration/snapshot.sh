# faultbench snapshot: every strategy's sink holds each page exactly as it
# was at T0 (checked by replay); an injected late save fails naming the
# page; nothing is left behind (file, child, huge pages) on failure or
# SIGINT; bad input exits 2.
SNAP_SCHEMA=${FB_ROOT:-$PWD}/results/schema-snapshot.json

snap_validate() { # file
	"$FB" validate "$SNAP_SCHEMA" "$1" || fail "$1 does not match results/schema-snapshot.json"
}

# no process of ours left: the fork child carries the same command line
no_process_left() {
	sleep 0.2
	! pgrep -f -- "$T/" >/dev/null || fail "a process is left: $(pgrep -af -- "$T/")"
}

snap_ok() { # out strategy backing flags...
	local out=$1 st=$2 b=$3
	shift 3
	fbrun snapshot --quiet --strategy "$st" --backing "$b" --size 32M --vcpus 2 --workload random \
		--reps 2 --warmup 0 --warmup-ms 50 --recovery-ms 20 --out "$out" "$@"
	# hugetlb: a skip names what it could not have, and gives all back
	if [ "$RC" = 77 ] && [[ $b == *hugetlb ]]; then
		snap_validate "$out"
		[ "$(hp_state)" = "$HP_BEFORE" ] || fail "$st/$b: a skip changed the huge page pools"
		jget "$out" .status.reason | grep -Eq 'huge pages|hugetlb' || fail "reason: $(jq .status.reason "$out")"
		skip "$(jq -r .status.reason "$out")"
	fi
	expect_rc 0 "snapshot --strategy $st --backing $b"
	snap_validate "$out"
	jq -e '.status.state == "ok" and (.runs | length) == 2 and ([.runs[] | .verify.ok
		and .verify.mismatches == 0 and .verify.missing == 0 and .verify.pages_checked > 0
		and .pages_saved >= .verify.pages_checked
		and .writes_per_second.before > 0 and .write_lat_ns.count > 0] | all)
		and .summary.snapshot_seconds.n == 2' "$out" >/dev/null ||
		fail "$st/$b: $(jq -c '[.status, .runs[0].verify]' "$out")"
	# precopy saves pages again (at least the guest); the others once each
	if [ "$st" = precopy ]; then
		jq -e '[.runs[] | .sink_bytes >= 32 * 1048576] | all' "$out" >/dev/null || fail "precopy saved less than the guest"
	else
		[ "$(jget "$out" '.runs[0].sink_bytes')" = $((32 * 1024 * 1024)) ] || fail "sink_bytes is not the guest size"
	fi
}

wp_ok() { # backing flags...
	local b=$1
	shift
	snap_ok "$T/r.json" uffd-wp "$b" "$@"
	# every page saved exactly once, by the saver or by the fault handler
	jq -e '[.runs[] | .strategy_data as $d | $d.pages * $d.copy_bytes_per_fault == 32 * 1048576
		and $d.saver_saves + $d.handler_saves == $d.pages
		and $d.wp_faults >= $d.handler_saves and $d.copy_bytes_per_fault > 0
		and .extra_memory_peak_bytes > 0 and .extra_memory_peak_bytes <= 2 * $d.copy_bytes_per_fault] | all' \
		"$T/r.json" >/dev/null || fail "uffd-wp/$b $*: $(jq -c '.runs[0].strategy_data | del(.fault_service_ns)' "$T/r.json")"
}

t_uffd_wp_anon_each_prepare() {
	local p
	for p in unpopulated preread populate; do
		wp_ok anon --wp-prepare $p
		[ "$(jget "$T/r.json" .config.wp_prepare)" = $p ] || fail "config.wp_prepare"
	done
}

t_uffd_wp_single_thread() {
	wp_ok anon --wp-single-thread
	jq -e '[.runs[] | .strategy_data.single_thread] | all' "$T/r.json" >/dev/null || fail "single_thread not reported"
}

t_uffd_wp_thp() {
	need_thp
	wp_ok thp
	# 4K per fault on 2M pages: every huge page verified from its 512 parts
	jq -e '[.runs[] | .strategy_data.copy_bytes_per_fault == 4096 and .verify.pages_checked == 16
		and .strategy_data.pages == 8192] | all' "$T/r.json" >/dev/null ||
		fail "uffd-wp on thp: $(jq -c '[.runs[0].verify, .runs[0].strategy_data.copy_bytes_per_fault]' "$T/r.json")"
}
t_uffd_wp_shmem() { wp_ok shmem; }
t_uffd_wp_memfd() { wp_ok memfd --wp-prepare populate; }

pc_ok() { # backing flags...
	local b=$1
	shift
	snap_ok "$T/r.json" precopy "$b" "$@"
	# pass 1 saves every page; the sink holds every save, repeats counted
	jq -e '[.runs[] | .strategy_data as $d | $d.passes >= 1 and $d.passes <= $d.passes_max
		and ($d.pass_pages | length) == $d.passes
		and $d.pass_pages[0] * $d.copy_bytes_per_page == 32 * 1048576
		and $d.pages_saved == ($d.pass_pages | add) + $d.final_pages
		and .pages_saved == $d.pages_saved and .pause_seconds > 0] | all' "$T/r.json" >/dev/null ||
		fail "precopy/$b $*: $(jq -c '.runs[0].strategy_data' "$T/r.json")"
}

t_precopy_anon_passes() {
	pc_ok anon --precopy-passes 3 --precopy-residual 0
	# residual 0: only the pass count stops it
	jq -e '[.runs[] | .strategy_data.passes == 3] | all' "$T/r.json" >/dev/null ||
		fail "--precopy-passes 3: $(jq -c '[.runs[].strategy_data.passes]' "$T/r.json")"
}

t_precopy_residual_stop() {
	# paced writes dirty far fewer pages than the residual: pass 2 is the last
	pc_ok anon --precopy-passes 64 --precopy-residual 100000 --write-rate 1000
	jq -e '[.runs[] | .strategy_data.passes < 64] | all' "$T/r.json" >/dev/null ||
		fail "the residual did not stop the passes: $(jq -c '[.runs[].strategy_data.passes]' "$T/r.json")"
}

t_precopy_thp() {
	need_thp
	# 4K units on 2M pages: a page written between passes costs 4K, and a
	# few paced writes dirty a few 4K units, not 512 each
	pc_ok thp --precopy-passes 2 --precopy-residual 0 --write-rate 200
	jq -e '[.runs[] | .strategy_data.copy_bytes_per_page == 4096
		and .strategy_data.pass_pages[1] < 512] | all' "$T/r.json" >/dev/null ||
		fail "precopy on thp: $(jq -c '[.runs[].strategy_data | [.copy_bytes_per_page, .pass_pages]]' "$T/r.json")"
}
t_precopy_shmem() { pc_ok shmem --precopy-passes 2; }

t_stop_copy_anon() {
	snap_ok "$T/r.json" stop-copy anon
	# what the kernel mapped, before and after: 4K pages, nothing huge
	jq -e '[.runs[] | .mapped.at_start.method == "pagemap_scan" or .mapped.at_start.method == "smaps"]
		| all' "$T/r.json" >/dev/null || fail "mapped not measured: $(jq -c '.runs[0].mapped' "$T/r.json")"
	jq -e '[.runs[] | .mapped[] | .huge_bytes == 0 and .base_bytes == 32 * 1048576] | all' "$T/r.json" \
		>/dev/null || fail "anon 4K mapped: $(jq -c '.runs[0].mapped' "$T/r.json")"
	jq -e '[.runs[] | .pause_seconds > 0 and .extra_memory_peak_bytes == 0] | all' "$T/r.json" >/dev/null ||
		fail "stop-copy must pause and add no memory"
}

t_stop_copy_thp() { snap_ok "$T/r.json" stop-copy thp; }
t_stop_copy_shmem() { snap_ok "$T/r.json" stop-copy shmem; }

t_fork_anon() {
	snap_ok "$T/r.json" fork anon
	jq -e '[.runs[] | .strategy_data.fork_ns > 0 and .strategy_data.fork_ns_per_gib > 0
		and .extra_memory_peak_bytes > 0 and .strategy_data.cow_faults > 0 and .strategy_data.copy_bytes_per_fault == 4096
		and .strategy_data.cow_bytes == .strategy_data.cow_faults * 4096] | all' "$T/r.json" >/dev/null ||
		fail "fork's figures: $(jq -c '.runs[0].strategy_data' "$T/r.json")"
	no_process_left
}

t_fork_thp() {
	snap_ok "$T/r.json" fork thp
	# what one COW copies on THP is the kernel's choice: not claimed, measured
	jq -e '[.runs[] | .strategy_data.copy_bytes_per_fault == null and .strategy_data.cow_bytes == null
		and .strategy_data.extra_bytes_per_cow_fault > 0 and .mapped.at_end.method != "none"] | all' \
		"$T/r.json" >/dev/null || fail "fork on thp: $(jq -c '.runs[0].strategy_data' "$T/r.json")"
	no_process_left
}

t_fork_skips_shared_memory() {
	fbrun snapshot --quiet --strategy fork --backing shmem --size 8M --reps 1 --out "$T/r.json"
	expect_rc 77 "fork of shared memory"
	snap_validate "$T/r.json"
	jget "$T/r.json" .status.reason | grep -q 'not copy-on-write' || fail "reason: $(jq .status.reason "$T/r.json")"
}

# hugetlb: pages are saved and verified in huge-page units (32M: 16 pages
# of 2M), and the huge page pools are as before (fb_teardown checks too)
hp_unchanged() { [ "$(hp_state)" = "$HP_BEFORE" ] || fail "the huge page pools changed: $(hp_state), were $HP_BEFORE"; }
huge_units() { # what
	jq -e '[.runs[] | .verify.pages_checked == 16] | all' "$T/r.json" >/dev/null ||
		fail "$1: not 16 huge pages checked: $(jq -c '[.runs[].verify]' "$T/r.json")"
	hp_unchanged
}

t_stop_copy_hugetlb() {
	snap_ok "$T/r.json" stop-copy hugetlb
	huge_units stop-copy
	snap_ok "$T/r.json" stop-copy memfd-hugetlb
	huge_units "stop-copy on memfd-hugetlb"
}

t_fork_hugetlb() {
	# the child writes the file: it is read back and verified in 2M pages
	snap_ok "$T/r.json" fork hugetlb --sink file:"$T/img"
	huge_units fork
	[ "$(stat -c %s "$T/img")" = $((32 * 1048576)) ] || fail "the file is not the guest's size"
	! ls "$T"/img.tmp.* >/dev/null 2>&1 || fail "temp files left: $(ls "$T")"
	# a COW copies a huge page; the copies are the child's Private_Hugetlb,
	# inside the extra memory; some rep saw the vCPUs write
	jq -e '([.runs[] | .strategy_data as $d | $d.copy_bytes_per_fault == 2097152
		and $d.cow_bytes == $d.cow_faults * 2097152 and $d.cow_faults <= 16
		and .extra_memory_peak_bytes >= $d.cow_bytes] | all)
		and ([.runs[] | .strategy_data.cow_faults > 0
		and .strategy_data.extra_bytes_per_cow_fault >= 2097152] | any)' "$T/r.json" >/dev/null ||
		fail "fork on hugetlb: $(jq -c '[.runs[] | [.extra_memory_peak_bytes, .strategy_data]]' "$T/r.json")"
	no_process_left
}

t_fork_memfd_hugetlb_skips_shared() {
	fbrun snapshot --quiet --strategy fork --backing memfd-hugetlb --size 8M --reps 1 --out "$T/r.json"
	expect_rc 77 "fork of memfd-hugetlb"
	snap_validate "$T/r.json"
	jget "$T/r.json" .status.reason | grep -q 'not copy-on-write' || fail "reason: $(jq .status.reason "$T/r.json")"
	hp_unchanged
}

# fork needs free huge pages for its COW copies too: a pool that can grow to
# the guest's pages alone runs stop-copy and skips fork, naming why
t_fork_hugetlb_needs_twice_the_pages() {
	local d=/sys/kernel/mm/hugepages/hugepages-2048kB nr avail
	[ -w $d/nr_hugepages ] || skip "needs root and a 2M hugetlb pool to change vm.nr_hugepages"
	nr=$(cat $d/nr_hugepages)
	avail=$(( $(cat $d/free_hugepages) - $(cat $d/resv_hugepages) ))
	[ "$avail" -lt 16 ] || skip "the 2M pool already has $avail free pages"
	FAULTBENCH_TEST_HUGETLB_CAP=$((nr + 16 - avail)) fbrun snapshot --quiet --strategy stop-copy,fork \
		--backing hugetlb --size 32M --vcpus 2 --reps 1 --warmup 0 --out "$T/r.json"
	expect_rc 0 "stop-copy ok, fork skipped"
	snap_validate "$T/r-stop-copy.json"
	snap_validate "$T/r-fork.json"
	[ "$(jget "$T/r-stop-copy.json" .status.state)" = ok ] || fail "stop-copy: $(jq -c .status "$T/r-stop-copy.json")"
	[ "$(jget "$T/r-fork.json" .status.state)" = skipped ] || fail "fork: $(jq -c .status "$T/r-fork.json")"
	jget "$T/r-fork.json" .status.reason | grep -q 'of 32 free 2048 kB huge pages.*twice' ||
		fail "fork's reason: $(jq .status.reason "$T/r-fork.json")"
	hp_unchanged
}

# a 1G pool that may not grow (--no-reserve-hugepages) and is empty: a skip
t_hugetlb_1g_without_pages_skips() {
	local d=/sys/kernel/mm/hugepages/hugepages-1048576kB
	[ -d $d ] || skip "no 1G hugetlb pool on this kernel"
	[ "$(cat $d/free_hugepages)" = 0 ] || skip "the 1G pool has free pages"
	fbrun snapshot --quiet --strategy stop-copy,uffd-wp --backing hugetlb --hugepage-size 1G --size 1G \
		--vcpus 1 --reps 1 --no-reserve-hugepages --out "$T/r.json"
	expect_rc 77 "1G hugetlb with an empty pool"
	snap_validate "$T/r-uffd-wp.json"
	jget "$T/r-uffd-wp.json" .status.reason | grep -q 'needs 1 free 1048576 kB huge pages' ||
		fail "reason: $(jq .status.reason "$T/r-uffd-wp.json")"
	hp_unchanged
}

t_uffd_wp_hugetlb() {
	local p
	# WP on hugetlb is per huge page: one fault copies 2M
	for p in unpopulated populate; do
		wp_ok hugetlb --wp-prepare $p
		jq -e '[.runs[] | .strategy_data.copy_bytes_per_fault == 2097152 and .strategy_data.pages == 16]
			| all' "$T/r.json" >/dev/null ||
			fail "uffd-wp on hugetlb: $(jq -c '.runs[0].strategy_data | del(.fault_service_ns)' "$T/r.json")"
		huge_units "uffd-wp $p"
	done
	wp_ok memfd-hugetlb --wp-single-thread
	huge_units "uffd-wp on memfd-hugetlb"
}

t_precopy_hugetlb() {
	pc_ok hugetlb --precopy-passes 2
	jq -e '[.runs[] | .strategy_data.copy_bytes_per_page == 2097152] | all' "$T/r.json" >/dev/null ||
		fail "precopy on hugetlb saves huge pages"
	huge_units precopy
	pc_ok memfd-hugetlb --precopy-passes 2
	huge_units "precopy on memfd-hugetlb"
}

t_uffd_wp_hugetlb_unprotect_before_save_fails_naming_the_page() {
	# 16M of 2M pages, 2 vCPUs: page 5 is in vCPU 1's slice
	fbrun snapshot --strategy uffd-wp --backing hugetlb --size 16M --vcpus 2 --workload random --reps 1 \
		--warmup 0 --warmup-ms 20 --recovery-ms 0 --inject unprotect-before-save:5 --sink file:"$T/img" \
		--out "$T/r.json"
	if [ "$RC" = 77 ]; then
		snap_validate "$T/r.json"
		skip "$(jq -r .status.reason "$T/r.json")"
	fi
	expect_rc 1 "--inject unprotect-before-save:5 on hugetlb"
	snap_validate "$T/r.json"
	grep -Eq "page 5 (was saved after T0: it holds vCPU 1's write|differs from its content at T0 \(vCPU 1's slice)" \
		"$T/out" || fail "the error must name the page: $(cat "$T/out")"
	[ "$(jget "$T/r.json" '.runs[0].verify.mismatches')" = 1 ] || fail "exactly one page differs"
	ls "$T"/img* >/dev/null 2>&1 && fail "a failed snapshot left a sink file: $(ls "$T")"
	hp_unchanged
}

t_zipf_and_paced_writes() {
	local st
	for st in stop-copy fork; do
		snap_ok "$T/$st.json" $st anon --workload zipf:0.99 --write-rate 200000
	done
}

t_each_strategy_its_own_file() {
	fbrun snapshot --quiet --strategy stop-copy --strategy fork --size 8M --reps 1 --out "$T/r.json"
	expect_rc 0 "two strategies"
	[ "$(jget "$T/r-stop-copy.json" .config.strategy)" = stop-copy ] || fail "stop-copy file"
	[ "$(jget "$T/r-fork.json" .config.strategy)" = fork ] || fail "fork file"
	[ ! -e "$T/r.json" ] || fail "a file under the plain name too"
}

# fork time per GiB in the summary (the issue's Redis figure): the median of
# the runs' fork_ns_per_gib, in seconds, for fork only
t_fork_seconds_per_gib_in_summary() {
	fbrun snapshot --quiet --strategy stop-copy,fork --size 16M --vcpus 2 --reps 3 --warmup 0 \
		--warmup-ms 20 --recovery-ms 0 --out "$T/r.json"
	expect_rc 0 "stop-copy and fork"
	snap_validate "$T/r-fork.json"
	jq -e '([.runs[].strategy_data.fork_ns_per_gib / 1e9] | sort) as $v | .summary.fork_seconds_per_gib as $s
		| $s.n == 3 and $s.unit == "s/GiB" and $s.min == $v[0] and $s.max == $v[2]
		and (($s.median - $v[1]) | fabs) <= 1e-9 * $v[1] and $s.median > 0' "$T/r-fork.json" >/dev/null ||
		fail "fork: $(jq -c '[.summary.fork_seconds_per_gib, [.runs[].strategy_data.fork_ns_per_gib]]' "$T/r-fork.json")"
	jq -e '.summary | has("fork_seconds_per_gib") | not' "$T/r-stop-copy.json" >/dev/null ||
		fail "stop-copy has a fork time"
	jq -e '.status.wp_pages_left == 0' "$T/r-fork.json" "$T/r-stop-copy.json" >/dev/null || fail "wp_pages_left"
}

inject_fails() { # strategy inject page-text [backing]
	fbrun snapshot --strategy "$1" --backing "${4:-anon}" --size 16M --vcpus 2 --workload random \
		--reps 1 --warmup 0 --warmup-ms 20 --recovery-ms 0 --inject "$2" --sink file:"$T/img" \
		--out "$T/r.json"
	expect_rc 1 "--inject $2"
	snap_validate "$T/r.json"
	grep -Eq "$3" "$T/out" || fail "the error must name the page: $(cat "$T/out")"
	jget "$T/r.json" .status.reason | grep -Eq "$3" || fail "the result must name the page"
	[ "$(jq -r '.runs[0].verify.ok' "$T/r.json")" = false ] || fail "verify.ok must be false"
	[ "$(jget "$T/r.json" '.runs[0].verify.mismatches')" = 1 ] || fail "exactly one page differs"
	ls "$T"/img* >/dev/null 2>&1 && fail "a failed snapshot left a sink file: $(ls "$T")"
	return 0
}

t_stop_copy_save_late_fails_naming_the_page() {
	# saved while vCPU 0 may be writing it again: a post-T0 write, or a mix
	# of several when the copy raced one
	inject_fails stop-copy save-late:1234 "page 1234 (was saved after T0: it holds vCPU 0's write [0-9]+, made after T0|differs from its content at T0 \\(vCPU 0's slice)"
}

t_fork_save_live_fails_naming_the_page() {
	# saved from live memory while vCPU 1 writes it: a post-T0 write, or
	# a mix of several when the copy raced one
	inject_fails fork save-live:3000 "page 3000 (was saved after T0: it holds vCPU 1's write|differs from its content at T0 \\(vCPU 1's slice)"
	no_process_left
}

t_uffd_wp_unprotect_before_save_fails_naming_the_page() {
	inject_fails uffd-wp unprotect-before-save:2000 "page 2000 (was saved after T0: it holds vCPU 0's write|differs from its content at T0 \\(vCPU 0's slice)"
}

t_uffd_wp_thp_unprotect_before_save_fails_naming_the_page() {
	need_thp
	# PAGE is a 2M guest page; its first 4K unit is un-protected early
	inject_fails uffd-wp unprotect-before-save:5 "page 5 (was saved after T0: it holds vCPU 1's write|differs from its content at T0 \\(vCPU 1's slice)" thp
}

t_fork_child_killed_is_reaped_and_named() {
	fbrun snapshot --strategy fork --size 16M --reps 1 --inject kill-child --sink file:"$T/img" \
		--out "$T/r.json"
	expect_rc 1 "a killed fork child"
	grep -q 'the fork child (pid [0-9]*) was killed by signal 9' "$T/out" || fail "not named: $(cat "$T/out")"
	ls "$T"/img* >/dev/null 2>&1 && fail "left a sink file"
	no_process_left
}

t_sink_file_kept_when_verified() {
	local st
	for st in stop-copy fork; do
		fbrun snapshot --quiet --strategy $st --size 16M --vcpus 2 --reps 2 --warmup 0 \
			--sink file:"$T/img-$st" --out "$T/r.json"
		expect_rc 0 "$st to a file"
		[ "$(stat -c %s "$T/img-$st")" = $((16 * 1024 * 1024)) ] || fail "$st: the file is not the guest's size"
		[ "$(ls "$T" | grep -c "img-$st")" = 1 ] || fail "$st: temp files left: $(ls "$T")"
		[ "$(jget "$T/r.json" '.runs[1].verify.pages_checked')" = 4096 ] || fail "$st: not every page checked"
	done
	# the file is the image plus the writes: no page of it is all zero
	# where the image has data (the default image has no zero pages)
	[ "$(od -An -tx8 -N8 "$T/img-fork")" != "$(od -An -tx8 -N8 /dev/zero)" ] || fail "page 0 is zero"
}

t_sink_direct() {
	fbrun snapshot --quiet --strategy stop-copy --size 8M --reps 1 --sink file:"$T/img" --sink-direct \
		--out "$T/r.json"
	if [ "$RC" = 77 ]; then
		snap_validate "$T/r.json"
		skip "$(jq -r .status.reason "$T/r.json")"
	fi
	expect_rc 0 "--sink-direct"
	[ "$(jget "$T/r.json" .config.sink_direct)" = true ] || fail "config.sink_direct"
	[ -s "$T/img" ] || fail "no file"
}

# A long snapshot of strategy st to a file sink, in the background ($pid),
# some way into it (its sink file open, then 0.3 s).
snap_mid() { # strategy flags...
	local st=$1
	shift
	rm -f "$T/r.json"
	"$FB" snapshot --quiet --strategy "$st" --vcpus 2 --reps 50 --warmup 0 --warmup-ms 50 \
		--recovery-ms 0 --sink file:"$T/img" --out "$T/r.json" "$@" >"$T/out" 2>&1 &
	pid=$!
	for _ in $(seq 200); do ls "$T"/img.tmp.* >/dev/null 2>&1 && break; sleep 0.02; done
	sleep 0.3
}

# The first SIGINT stops the strategy in progress: its cleanup runs (no
# child, no write-protected page, no sink file), the repetition is dropped,
# the result says "interrupted" with the finished repetitions, exit 130.
interrupted_ok() { # strategy size-bytes
	local st=$1 bytes=$2
	[ "$rc" = 130 ] || { cat "$T/out"; fail "$st: SIGINT: exit $rc, expected 130"; }
	ls "$T"/img.tmp.* >/dev/null 2>&1 && fail "$st: SIGINT left a half-written sink file: $(ls "$T")"
	[ -s "$T/r.json" ] || { cat "$T/out"; fail "$st: SIGINT left no result"; }
	snap_validate "$T/r.json"
	jq -e --arg st "$st" '.status.state == "interrupted" and .status.wp_pages_left == 0
		and (.status.reason | test("^interrupted by SIGINT at repetition [0-9]+ of 50"))
		and .config.strategy == $st and .summary.snapshot_seconds.n == (.runs | length)
		and ([.runs[] | .verify.ok] | all)' "$T/r.json" >/dev/null ||
		fail "$st: $(jq -c '[.status, (.runs | length)]' "$T/r.json")"
	# a sink file left is a whole one, of a verified repetition
	if [ -e "$T/img" ]; then
		[ "$(jget "$T/r.json" '.runs | length')" -ge 1 ] || fail "$st: a sink file without a kept repetition"
		[ "$(stat -c %s "$T/img")" = "$bytes" ] || fail "$st: the sink file is not whole"
		rm -f "$T/img"
	fi
	no_process_left
	[ "$(hp_state)" = "$HP_BEFORE" ] || fail "$st: SIGINT changed the huge page pools: $(hp_state), were $HP_BEFORE"
}

t_sigint_mid_snapshot_leaves_nothing() {
	local st rc
	for st in stop-copy fork uffd-wp precopy; do
		snap_mid $st --size 512M
		kill -INT "$pid"
		wait "$pid"
		rc=$?
		interrupted_ok $st $((512 * 1024 * 1024))
	done
}

# With several strategies, the ones after the stop do not run.
t_sigint_skips_later_strategies() {
	local pid rc
	"$FB" snapshot --quiet --strategy stop-copy,fork --size 64M --vcpus 2 --reps 1000 --warmup 0 \
		--warmup-ms 20 --recovery-ms 0 --out "$T/r.json" >"$T/out" 2>&1 &
	pid=$!
	sleep 1
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 130 ] || { cat "$T/out"; fail "exit $rc, expected 130"; }
	[ "$(jget "$T/r-stop-copy.json" .status.state)" = interrupted ] || fail "stop-copy: not interrupted"
	[ ! -e "$T/r-fork.json" ] || fail "fork ran after the stop"
	no_process_left
}

# A second signal while the first is handled quits at once: no result, no
# sink file, no child, the pools as they were. Both are made pending while
# the process is stopped, so the second cannot be merged into the first
# (two of one signal would be) nor come after the graceful end.
t_second_signal_quits_snapshot_at_once() {
	local st pid rc
	for st in fork uffd-wp; do
		snap_mid $st --size 512M
		kill -STOP "$pid"
		kill -TERM "$pid"
		kill -INT "$pid"
		kill -CONT "$pid"
		wait "$pid"
		rc=$?
		# the exit is the second handled signal's: SIGINT's 130 here
		# (the kernel runs the higher-numbered one first), SIGTERM's 143 else
		{ [ "$rc" = 130 ] || [ "$rc" = 143 ]; } || { cat "$T/out"; fail "$st: exit $rc, expected 130 (or 143)"; }
		grep -q 'interrupted; huge pages given back' "$T/out" || { cat "$T/out"; fail "$st: not the immediate way out"; }
		[ ! -e "$T/r.json" ] || fail "$st: a result after the second signal: $(jq -c .status "$T/r.json")"
		ls "$T"/img.tmp.* >/dev/null 2>&1 && fail "$st: a half-written sink file left: $(ls "$T")"
		rm -f "$T/img"
		no_process_left
		[ "$(hp_state)" = "$HP_BEFORE" ] || fail "$st: the huge page pools changed"
	done
}

# The same on hugetlb: the pools as they were after the stop.
t_sigint_mid_snapshot_hugetlb_leaves_nothing() {
	local st rc
	for st in stop-copy fork uffd-wp precopy; do
		snap_mid $st --backing hugetlb --size 256M
		kill -INT "$pid"
		wait "$pid"
		rc=$?
		if [ "$rc" = 77 ]; then
			snap_validate "$T/r.json"
			skip "$(jq -r .status.reason "$T/r.json")"
		fi
		interrupted_ok $st $((256 * 1024 * 1024))
	done
}

t_bad_inputs_exit_2() {
	local args
	while IFS='|' read -r flag args; do
		# shellcheck disable=SC2086
		fbrun snapshot $args
		expect_rc 2 "$args"
		grep -q -- "$flag" "$T/out" || fail "'$args': the message must name $flag: $(cat "$T/out")"
	done <<'EOF2'
--strategy|--strategy nope
--strategy|--strategy fork,fork
--sink|--sink disk
--sink-direct|--sink-direct
--write-rate|--write-rate 0
--warmup-ms|--warmup-ms -1
--recovery-ms|--recovery-ms x
--inject|--inject save-late:5 --strategy fork
--inject|--inject save-late:99999999 --size 8M
--mode|--mode uffd-stock
--size|--size 0
--workload|--workload zipf:0
--wp-prepare|--strategy uffd-wp --wp-prepare eager
--wp-prepare|--wp-prepare preread
--wp-single-thread|--strategy fork --wp-single-thread
--precopy-passes|--strategy precopy --precopy-passes 0
--precopy-passes|--strategy precopy --precopy-passes 65
--precopy-passes|--strategy uffd-wp --precopy-passes 3
--precopy-residual|--strategy precopy --precopy-residual many
--inject|--inject unprotect-before-save:5 --strategy precopy
--hugepage-size|--backing hugetlb --hugepage-size 4M
EOF2
}

t_unprivileged() {
	need_nobody
	local st
	for st in stop-copy fork uffd-wp precopy; do
		as_nobody -- snapshot --quiet --strategy $st --size 16M --vcpus 2 --reps 1 --out "$T/$st.json"
		# uffd as nobody needs vm.unprivileged_userfaultfd or /dev/userfaultfd
		if [ "$RC" = 77 ] && { [ $st = uffd-wp ] || [ $st = precopy ]; }; then
			jget "$T/$st.json" .status.reason | grep -q . || fail "$st skipped without a reason"
			continue
		fi
		expect_rc 0 "$st as nobody"
		[ "$(jget "$T/$st.json" '.runs[0].verify.ok')" = true ] || fail "$st not verified as nobody"
	done
}
