# uffd-minor: the page cache is filled through the alias before timing, and
# every first touch is a MINOR fault that UFFDIO_CONTINUE resolves by
# installing the PTE only (demand_paging_test -u MINOR).

minor_schema() { # result.json
	mode_data_schema "$1" mode_data_uffd_minor
}

# Every repetition: verified, one CONTINUE per touched page, every message a
# CONTINUE that mapped its page or an EEXIST, and no COPY at all.
minor_case() { # flags...
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-minor --reps 2 --warmup 0 --verify "$@" || return $?
	jq -e '.runs | all(.verify.ok and .counters.ioctl_errors == 0
		and .mode_data.pages_continued == .aggregate.touched_pages
		and .counters.uffd_msgs == .mode_data.pages_continued + .counters.eexist
		and .counters.continue_ioctls == .mode_data.pages_continued + .counters.eexist + .counters.eagain
		and .counters.copy_ioctls == 0 and .counters.zeropage_ioctls == 0
		and .counters.pages_copied == 0 and .counters.pages_zeroed == 0
		and .setup.populate_seconds > 0 and .mode_data.fill_seconds == .setup.populate_seconds)' \
		"$out" >/dev/null ||
		fail "counters do not add up: $(jq -c '[.runs[] | {counters, mode_data, touched: .aggregate.touched_pages}]' "$out")"
	minor_schema "$out"
}

# Disjoint slices, one uffd: no races, so exactly one CONTINUE per page.
exact() {
	jq -e '.runs | all(.counters.continue_ioctls == .aggregate.touched_pages
		and .counters.uffd_msgs == .aggregate.touched_pages and .counters.eexist == 0)' "$T/r.json" >/dev/null ||
		fail "continue_ioctls != touched pages: $(jq -c '[.runs[] | .counters]' "$T/r.json")"
}

t_memfd_write() { minor_case --backing memfd --size 16M --vcpus 2 && exact; }
t_memfd_read() { minor_case --backing memfd --size 16M --vcpus 2 --access read && exact; }
t_memfd_read_then_write() {
	minor_case --backing memfd --size 16M --vcpus 2 --access read-then-write --workload random && exact
}
t_zero_pages_are_in_the_page_cache_too() {
	# zero image pages are written into the cache as well: still MINOR faults
	minor_case --backing memfd --size 8M --vcpus 2 --zero-fraction 0.5 --access read && exact
}

t_overlap_eexist_accounted() {
	# 2 vCPUs fault the same pages: a loser's CONTINUE ends in EEXIST
	minor_case --backing memfd --size 16M --vcpus 2 --overlap --workload random --reps 3 || return $?
	jq -e '.runs | all(.mode_data.pages_continued == 4096)' "$T/r.json" >/dev/null ||
		fail "each page must be continued exactly once"
}

t_per_vcpu_uffds_two_readers() {
	minor_case --backing memfd --size 8M --vcpus 2 --uffd per-vcpu --readers 2 && exact
}

t_memfd_hugetlb_reserves_and_restores() {
	[ -w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ] ||
		skip "needs root and a 2M hugetlb pool to change vm.nr_hugepages"
	local before free out=$T/r.json
	before=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
	free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
	minor_case --backing memfd-hugetlb --hugepage-size 2M --size 32M --vcpus 2 --access read-then-write || return $?
	exact
	[ "$(jget "$out" '.runs[0].mode_data.pages_continued')" = 16 ] || fail "16 huge pages must be continued"
	[ "$(jget "$out" .config.page_bytes)" = 2097152 ] || fail "page size must be 2M"
	[ "$free" -ge 16 ] || [ "$(jget "$out" .placement.hugepages_reserved)" -gt 0 ] ||
		fail "with $free free pages the run must reserve some"
	[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" = "$before" ] ||
		fail "nr_hugepages not restored to $before"
}

t_shmem_skips_with_reason() {
	local out=$T/r.json
	fbrun run --mode uffd-minor --backing shmem --size 8M --out "$out"
	expect_rc 77 "uffd-minor on shmem"
	validate "$out"
	[ "$(jget "$out" .status.state)" = skipped ] || fail "state must be skipped"
	jget "$out" .status.reason | grep -q 'needs a second mapping of the page cache: use --backing memfd' ||
		fail "reason: $(jq .status.reason "$out")"
}

t_private_backings_skip_with_reason() {
	local b out=$T/r.json
	for b in anon hugetlb; do
		fbrun run --mode uffd-minor --backing $b --size 32M --out "$out"
		expect_rc 77 "uffd-minor on $b"
		jget "$out" .status.reason | grep -q 'use --backing memfd' || fail "$b: reason: $(jq .status.reason "$out")"
	done
}

t_inject_corrupt_fails_verify() {
	# the page cache holds the wrong image for page 100
	local out=$T/r.json
	fbrun run --mode uffd-minor --backing memfd --size 8M --vcpus 2 --reps 1 --warmup 0 \
		--inject corrupt-copy:100 --out "$out"
	expect_rc 1 "a corrupted page"
	[ "$(jget "$out" '.runs[0].verify.first_bad_page')" = 100 ] || fail "first bad page must be 100"
}

t_inject_duplicate_fails_accounting() {
	local out=$T/r.json
	fbrun run --mode uffd-minor --backing memfd --size 8M --vcpus 2 --reps 1 --warmup 0 \
		--inject duplicate-copy:3 --out "$out"
	expect_rc 1 "a duplicated CONTINUE"
	jget "$out" .status.reason | grep -q 'lost or duplicated' || fail "reason: $(jq .status.reason "$out")"
}

t_inject_drop_trips_watchdog() {
	local out=$T/r.json
	fbrun run --mode uffd-minor --backing memfd --size 8M --vcpus 2 --reps 1 --warmup 0 \
		--inject drop-copy:5 --fault-timeout 1 --out "$out"
	expect_rc 1 "a lost MINOR fault"
	jget "$out" .status.reason | grep -q 'watchdog: vCPU 0 .* page 5 ' ||
		fail "reason must name vCPU 0 and page 5: $(jq .status.reason "$out")"
}
