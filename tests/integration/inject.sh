# A wrong, duplicated or lost UFFDIO_COPY must fail the run, saying where.

t_corrupt_copy_fails_verify() {
	local out=$T/r.json
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --inject corrupt-copy:100 --out "$out"
	expect_rc 1 "a corrupted page"
	validate "$out"
	[ "$(jget "$out" .status.state)" = failed ] || fail "state must be failed"
	[ "$(jget "$out" '.runs[0].verify.first_bad_page')" = 100 ] || fail "first bad page must be 100"
	[ "$(jget "$out" '.runs[0].verify.bad_pages')" = 1 ] || fail "exactly one bad page"
	grep -q 'page 100' "$T/out" || fail "the message must name page 100"
}

t_corrupt_copy_read_checksum() {
	# a read-only workload is caught too: by the page check and the vCPU's checksum
	local out=$T/r.json
	fbrun run --mode uffd-stock --size 8M --reps 1 --warmup 0 --access read --inject corrupt-copy:7 --out "$out"
	expect_rc 1 "a corrupted page read"
	jget "$out" .status.reason | grep -q 'verification failed' || fail "reason: $(jq .status.reason "$out")"
}

t_duplicate_copy_fails_accounting() {
	local out=$T/r.json
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --inject duplicate-copy:3 --out "$out"
	expect_rc 1 "a duplicated UFFDIO_COPY"
	jget "$out" .status.reason | grep -q 'lost or duplicated' || fail "reason: $(jq .status.reason "$out")"
}

t_dropped_copy_trips_watchdog() {
	local out=$T/r.json start
	start=$(date +%s)
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --inject drop-copy:5 \
		--fault-timeout 1 --out "$out"
	expect_rc 1 "a lost fault"
	[ $(( $(date +%s) - start )) -lt 30 ] || fail "the watchdog took too long"
	jget "$out" .status.reason | grep -q 'watchdog: vCPU 0 .* page 5 ' ||
		fail "reason must name vCPU 0 and page 5: $(jq .status.reason "$out")"
}

t_none_mode_verifies_zeros() {
	# verification is not only for uffd: none expects zeros plus the markers
	local out=$T/r.json
	run_ok_or_skip "$out" --mode none --size 8M --access read-then-write --workload random --reps 1 || return $?
	[ "$(jget "$out" '.runs[0].verify.pages_checked')" = 2048 ] || fail "not every page checked"
}
