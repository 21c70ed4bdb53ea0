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

# --- handler failures (uffd-stock): each is counted, then retried or fatal

inject_run() { # kind expected-rc
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --verify \
		--inject "$1:5" --fault-timeout 2 --out "$T/r.json"
	expect_rc "$2" "--inject $1"
	validate "$T/r.json"
}

t_killed_handler_trips_watchdog() {
	local start=$(date +%s)
	inject_run kill-handler 1
	[ $(( $(date +%s) - start )) -lt 30 ] || fail "the watchdog took too long"
	jget "$T/r.json" .status.reason | grep -q 'watchdog: vCPU 0 .* page 5 .*0 of 1 alive' ||
		fail "reason must name the vCPU, the page and the dead handler: $(jq .status.reason "$T/r.json")"
}

t_stalled_handler_state_in_reason() {
	inject_run drop-copy 1
	jget "$T/r.json" .status.reason | grep -q '1 of 1 alive, last read messages' ||
		fail "reason must give the handler state: $(jq .status.reason "$T/r.json")"
}

t_eagain_is_retried_and_counted() {
	inject_run eagain-copy 0
	[ "$(jget "$T/r.json" '.runs[0].counters.eagain')" = 1 ] || fail "EAGAIN not counted"
	[ "$(jget "$T/r.json" '.runs[0].verify.ok')" = true ] || fail "not verified after the retry"
	[ "$(jget "$T/r.json" '.runs[0].counters.pages_copied + .runs[0].counters.pages_zeroed')" = 2048 ] ||
		fail "the retried page is not resolved exactly once"
}

t_enomem_once_is_retried() {
	inject_run enomem-once 0
	[ "$(jget "$T/r.json" '.runs[0].counters.enomem')" = 1 ] || fail "ENOMEM not counted"
	[ "$(jget "$T/r.json" '.runs[0].counters.ioctl_errors')" = 0 ] || fail "a cured ENOMEM is no error"
}

t_enomem_for_good_fails_fast() {
	local start=$(date +%s)
	inject_run enomem-copy 1
	# fails on the error, without waiting for the watchdog
	[ $(( $(date +%s) - start )) -lt 2 ] || fail "took the watchdog's time, not the error's"
	[ "$(jget "$T/r.json" '.runs[0].counters.enomem')" = 100 ] || fail "retries not counted"
	[ "$(jget "$T/r.json" '.runs[0].counters.ioctl_errors')" = 1 ] || fail "the final ENOMEM not counted"
	jget "$T/r.json" .status.reason | grep -q 'page 5 failed with ENOMEM' ||
		fail "reason: $(jq .status.reason "$T/r.json")"
}

t_layout_change_fails_fast() {
	local k
	for k in enoent-copy:ENOENT esrch-copy:ESRCH; do
		inject_run "${k%%:*}" 1
		jget "$T/r.json" .status.reason | grep -q "page 5 failed with ${k#*:}.*layout changed" ||
			fail "$k reason: $(jq .status.reason "$T/r.json")"
		[ "$(jget "$T/r.json" '.runs[0].counters.ioctl_errors')" = 1 ] || fail "$k not counted"
	done
}

t_inject_needs_a_resolver() {
	fbrun run --mode none --size 4M --inject corrupt-copy:1
	expect_rc 2 "--inject with mode none"
	grep -q 'accepted with uffd-stock' "$T/out" || fail "must name the accepted modes"
	fbrun run --mode zero-unreg --size 4M --inject enomem-copy:1
	expect_rc 2 "--inject enomem-copy with zero-unreg"
	grep -q 'only with --mode uffd-stock' "$T/out" || fail "must name the accepted mode"
}
