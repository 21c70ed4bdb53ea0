# --resolve move: handler threads fill a staging page and UFFDIO_MOVE it into
# the faulting address. The guest must hold the image's bytes, every touched
# page must be installed exactly once (by MOVE, or ZEROPAGE for zero pages),
# injected faults must still fail, and what UFFDIO_MOVE cannot do is exit 2.

# MOVE on this host (UFFD_FEATURE_MOVE, Linux 6.8+), from a probe run's JSON
rm_host_has_move() {
	"$FB" run --mode none --size 1M --reps 1 --warmup 0 --quiet --out "$T/probe.json" >/dev/null 2>&1 ||
		fail "cannot run --mode none"
	jq -e '.host.userfaultfd.features | index("MOVE") != null' "$T/probe.json" >/dev/null
}

# Without MOVE in the kernel: a skip (77) whose reason names MOVE; else runs.
rm_run() { # out flags...
	local out=$1
	shift
	if ! rm_host_has_move; then
		fbrun run --quiet --out "$out" "$@"
		expect_rc 77 "--resolve move without UFFD_FEATURE_MOVE"
		validate "$out"
		jq -e '.status.state == "skipped" and (.status.reason | test("MOVE"))' "$out" >/dev/null ||
			fail "skip reason does not name MOVE: $(jq -c .status "$out")"
		skip "$(jq -r .status.reason "$out")"
	fi
	run_ok_or_skip "$out" "$@"
}

# every page a MOVE: same counts as copy's COPYs, none copied
t_move_matches_copy() {
	local c=$T/copy.json m=$T/move.json
	rm_run "$m" --mode uffd-stock --size 8M --vcpus 2 --reps 2 --warmup 0 --seed 3 --resolve move || return $?
	run_ok_or_skip "$c" --mode uffd-stock --size 8M --vcpus 2 --reps 2 --warmup 0 --seed 3 || return $?
	jq -e '.config.resolve == "move" and all(.runs[]; .verify.ok and .verify.pages_checked > 0
		and .counters.copy_ioctls == 0 and .counters.pages_copied == 0
		and .counters.ioctl_errors == 0
		and .counters.move_ioctls == .counters.pages_moved + .counters.eagain
		and .counters.pages_moved == .aggregate.touched_pages
		and .counters.uffd_msgs == .counters.pages_moved + .counters.eexist)' "$m" >/dev/null ||
		fail "move counts: $(jq -c '[.runs[] | {counters, t: .aggregate.touched_pages, v: .verify.ok}]' "$m")"
	jq -e '(.config | has("resolve") | not) and all(.runs[]; (.counters | has("move_ioctls") | not))' "$c" \
		>/dev/null || fail "a copy run wrote resolve / move_ioctls: $(jq -c '.runs[0].counters' "$c")"
	[ "$(jq -c '[.runs[].counters.pages_copied]' "$c")" = "$(jq -c '[.runs[].counters.pages_moved]' "$m")" ] ||
		fail "copy installed $(jq -c '[.runs[].counters.pages_copied]' "$c") pages, move $(jq -c '[.runs[].counters.pages_moved]' "$m")"
}

# zero pages still go by ZEROPAGE; the rest by MOVE; all verified
t_move_with_zero_pages() {
	local m=$T/move.json
	rm_run "$m" --mode uffd-stock --size 8M --reps 1 --warmup 0 --zero-fraction 0.5 --resolve move || return $?
	jq -e '.runs[0] | .verify.ok and .counters.pages_zeroed > 0 and .counters.pages_moved > 0
		and .counters.copy_ioctls == 0
		and .counters.pages_moved + .counters.pages_zeroed == .aggregate.touched_pages' "$m" >/dev/null ||
		fail "$(jq -c '.runs[0] | {counters, t: .aggregate.touched_pages}' "$m")"
}

# two vCPUs on the same pages, two readers: races end in EEXIST, never a
# lost or doubled page
t_move_races() {
	local m=$T/move.json
	rm_run "$m" --mode uffd-stock --size 8M --vcpus 2 --overlap --readers 2 --workload random \
		--reps 2 --warmup 0 --resolve move || return $?
	jq -e 'all(.runs[]; .verify.ok and .counters.ioctl_errors == 0
		and .counters.pages_moved == .aggregate.touched_pages
		and .counters.uffd_msgs == .counters.pages_moved + .counters.eexist)' "$m" >/dev/null ||
		fail "$(jq -c '[.runs[] | {counters, t: .aggregate.touched_pages}]' "$m")"
}

# the injections reach the move path: a wrong page, a second MOVE, a lost one
t_move_inject_fails() {
	local k want
	rm_run "$T/ok.json" --mode uffd-stock --size 1M --reps 1 --warmup 0 --resolve move || return $?
	for k in corrupt-copy:verification duplicate-copy:accounting drop-copy:watchdog; do
		want=${k#*:}
		fbrun run --mode uffd-stock --size 1M --reps 1 --warmup 0 --resolve move \
			--inject "${k%%:*}:7" --fault-timeout 1 --quiet --out "$T/i.json"
		expect_rc 1 "--resolve move --inject ${k%%:*}"
		validate "$T/i.json"
		jq -e --arg w "$want" '.status.state == "failed" and (.status.reason | test($w))' "$T/i.json" \
			>/dev/null || fail "${k%%:*}: $(jq -c .status "$T/i.json")"
	done
	# an EAGAIN is retried: still every page moved once
	fbrun run --mode uffd-stock --size 1M --reps 1 --warmup 0 --resolve move --inject eagain-copy:7 \
		--quiet --out "$T/e.json"
	expect_rc 0 "--resolve move --inject eagain-copy"
	jq -e '.runs[0] | .verify.ok and .counters.eagain == 1 and .counters.move_ioctls == .counters.pages_moved + 1' \
		"$T/e.json" >/dev/null || fail "eagain: $(jq -c '.runs[0].counters' "$T/e.json")"
}

# what UFFDIO_MOVE cannot do: exit 2 naming --resolve and what it accepts
t_move_bad_inputs() {
	local a
	for a in "--backing hugetlb" "--backing memfd" "--backing shmem" "--backing memfd-hugetlb" \
		"--backing thp" "--mode zero-unreg" "--mode uffd-minor --backing memfd" \
		"--handler process" "--handler-exec /bin/true"; do
		# shellcheck disable=SC2086
		fbrun run --mode uffd-stock --size 4M --resolve move $a --quiet --out "$T/b.json"
		expect_rc 2 "--resolve move $a"
		grep -q -- '--resolve move:.*accepted' "$T/out" || { cat "$T/out"; fail "$a: message"; }
		[ ! -e "$T/b.json" ] || fail "$a: wrote a result"
	done
	fbrun run --mode uffd-stock --size 4M --resolve moved
	expect_rc 2 "--resolve moved"
	grep -q -- "--resolve: 'moved' is not accepted; accepted values: copy, move" "$T/out" ||
		{ cat "$T/out"; fail "--resolve moved: message"; }
}
