# uffd-stock beyond the matrix: the issue's reference command, every handler
# option, and the counters that prove each page was resolved exactly once.

uffd_case() { # flags...: runs uffd-stock on anon, checks accounting
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-stock --reps 1 --warmup 0 --verify "$@" || return $?
	jq -e '.runs[] | .verify.ok and .counters.ioctl_errors == 0
		and .counters.uffd_msgs == .counters.pages_copied + .counters.pages_zeroed + .counters.eexist
		and .counters.pages_copied + .counters.pages_zeroed == .aggregate.touched_pages' "$out" >/dev/null ||
		fail "counters do not add up: $(jq -c '.runs[0].counters' "$out")"
}

t_reference_256M_2vcpus() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-stock --threads 2 --size 256M --verify || return $?
	# every repetition: one message per page, one resolve per page
	jq -e '[.runs[] | .counters.uffd_msgs == 65536 and .counters.pages_copied == 65536
		and .counters.eexist == 0 and .aggregate.touched_pages == 65536 and .verify.ok] | all' \
		"$out" >/dev/null || fail "counters: $(jq -c '[.runs[].counters]' "$out")"
	[ "$(jget "$out" '.runs | length')" = 6 ] || fail "expected 5 reps + 1 warmup"
	[ "$(jget "$out" '.summary.paging_rate_pps.n')" = 5 ] || fail "summary must use 5 measured reps"
}

t_read_access() { uffd_case --size 8M --vcpus 2 --access read; }
t_read_then_write() { uffd_case --size 8M --vcpus 2 --access read-then-write; }
t_random() { uffd_case --size 8M --vcpus 2 --workload random; }
t_stride() { uffd_case --size 8M --vcpus 2 --workload stride:7; }
t_zipf_repeats() {
	uffd_case --size 8M --vcpus 2 --workload zipf:0.99 --access read-then-write || return $?
	# zipf revisits pages: fewer first touches than accesses, and only those faulted
	jq -e '.runs[0].vcpus | all(.pages < .accesses)' "$T/r.json" >/dev/null ||
		fail "zipf should revisit pages"
}
t_per_vcpu_uffds_two_readers() { uffd_case --size 8M --vcpus 2 --uffd per-vcpu --readers 2; }
t_epoll_four_handlers() { uffd_case --size 8M --vcpus 2 --wait epoll --handlers 4; }
t_batch_one() { uffd_case --size 8M --vcpus 2 --batch 1; }
t_service_delay() { uffd_case --size 1M --vcpus 2 --service-delay-us 100; }
t_zero_fraction() {
	uffd_case --size 8M --vcpus 2 --zero-fraction 0.5 || return $?
	jq -e '.runs[0].counters | .pages_zeroed > 300 and .pages_copied > 300
		and .zeropage_ioctls >= .pages_zeroed' "$T/r.json" >/dev/null ||
		fail "zero pages should be ZEROPAGEd: $(jq -c '.runs[0].counters' "$T/r.json")"
}
t_zero_fraction_hugetlb_copies_zeros() {
	# hugetlb has no UFFDIO_ZEROPAGE: zero pages are copied from the image
	uffd_case --backing hugetlb --size 32M --vcpus 2 --zero-fraction 0.5 || return $?
	[ "$(jget "$T/r.json" '.runs[0].counters.zeropage_ioctls')" = 0 ] || fail "ZEROPAGE on hugetlb"
}
t_overlap_eexist_accounted() {
	# 2 vCPUs fault the same pages: the losers' messages end in EEXIST
	uffd_case --size 16M --vcpus 2 --overlap --workload random --reps 3 || return $?
	jq -e '.runs | all(.counters.pages_copied == 4096)' "$T/r.json" >/dev/null ||
		fail "each page must be copied exactly once"
}
t_oversubscribed() {
	uffd_case --size 4M --vcpus 5 || return $?
	[ "$(jget "$T/r.json" .placement.oversubscribed)" = true ] ||
		[ "$(nproc)" -ge 5 ] || fail "5 vCPUs on $(nproc) CPUs must be labelled oversubscribed"
}
t_pin_scatter_and_none() {
	uffd_case --size 4M --vcpus 2 --pin scatter || return $?
	uffd_case --size 4M --vcpus 2 --pin none || return $?
	jq -e '.runs[0].vcpus | all(.cpu == -1)' "$T/r.json" >/dev/null || fail "--pin none pinned"
}
t_numa_interleave() { uffd_case --size 4M --vcpus 2 --numa interleave; }
