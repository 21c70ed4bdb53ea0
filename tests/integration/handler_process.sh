# --handler process: the uffd goes to `faultbench handler SOCKET MEMFILE`
# by Firecracker's handshake. The guest is verified as ever, the counters
# come home, and no handler, socket or temporary image outlives the run.

# The handler's socket and the temporary image go to $TMPDIR: the test's own.
hp_env() {
	export TMPDIR=$T/tmp
	mkdir -p "$TMPDIR"
}

# No handler process of this test's, and nothing in its $TMPDIR.
nothing_left() { # what
	local left
	left=$(pgrep -f "faultbench handler $TMPDIR" || true)
	[ -z "$left" ] || { ps -o pid,args -p "$left"; fail "$1: handler process left: $left"; }
	left=$(ls -A "$TMPDIR")
	[ -z "$left" ] || fail "$1: left in \$TMPDIR: $left"
}

# Resolve accounting, as for the thread handler (uffd.sh)
counters_add_up() { # file
	jq -e '.runs | all(.verify.ok and .counters.ioctl_errors == 0
		and .counters.uffd_msgs == .counters.pages_copied + .counters.pages_zeroed + .counters.eexist
		and .counters.pages_copied + .counters.pages_zeroed == .aggregate.touched_pages)' "$1" >/dev/null ||
		fail "counters do not add up: $(jq -c '[.runs[].counters]' "$1")"
}

t_process_same_pages_as_thread() {
	local flags=(--mode uffd-stock --size 16M --vcpus 2 --reps 2 --warmup 0 --zero-fraction 0.25)
	hp_env
	run_ok_or_skip "$T/thread.json" "${flags[@]}" || return $?
	run_ok_or_skip "$T/process.json" "${flags[@]}" --handler process || return $?
	nothing_left "after the run"
	[ "$(jget "$T/process.json" .config.handler)" = process ] || fail "config.handler"
	[ "$(jget "$T/thread.json" .config.handler)" = thread ] || fail "config.handler"
	counters_add_up "$T/thread.json"
	counters_add_up "$T/process.json"
	# the same pages, copied and zeroed alike: holes in the file are the zero pages
	local q='[.runs[] | .counters | [.uffd_msgs, .pages_copied, .pages_zeroed]]'
	[ "$(jq -c "$q" "$T/thread.json")" = "$(jq -c "$q" "$T/process.json")" ] ||
		fail "thread $(jq -c "$q" "$T/thread.json") vs process $(jq -c "$q" "$T/process.json")"
	jq -e '.runs | all(.counters.pages_zeroed > 0)' "$T/process.json" >/dev/null ||
		fail "no page was zero-filled"
	# service times and where the handler ran came back from the other process
	jq -e '.runs | all(.service_ns.count == .counters.uffd_msgs and .handlers.threads[0].reads == .counters.reads
		and .counters.reads > 0)' "$T/process.json" >/dev/null ||
		fail "service time or reads missing: $(jq -c '[.runs[] | [.service_ns.count, .handlers.threads[0].reads, .counters.reads]]' "$T/process.json")"
	jq -e '.runs | all(.fault_anatomy.available == false and (.fault_anatomy.reason | test("another process")))' "$T/process.json" >/dev/null ||
		fail "the fault anatomy must say why it is not measured"
}

t_process_read_every_word() {
	hp_env
	run_ok_or_skip "$T/r.json" --mode uffd-stock --size 8M --access read --touch page --workload random \
		--reps 1 --warmup 0 --handler process || return $?
	counters_add_up "$T/r.json"
	nothing_left "after the run"
}

t_process_hugetlb_copies_zero_pages() {
	# hugetlb has no UFFDIO_ZEROPAGE: holes are copied, and the refused try is not counted
	hp_env
	run_ok_or_skip "$T/r.json" --mode uffd-stock --backing hugetlb --size 32M --zero-fraction 0.5 \
		--reps 1 --warmup 0 --handler process || return $?
	counters_add_up "$T/r.json"
	[ "$(jget "$T/r.json" '.runs[0].counters.zeropage_ioctls')" = 0 ] || fail "ZEROPAGE counted on hugetlb"
	nothing_left "after the run"
}

t_process_image_file_kept_cold() {
	hp_env
	run_ok_or_skip "$T/r.json" --mode uffd-stock --size 8M --reps 2 --warmup 0 --handler process \
		--image-file "$T/guest.mem" --page-cache cold || return $?
	counters_add_up "$T/r.json"
	[ "$(stat -c %s "$T/guest.mem")" = $((8 << 20)) ] || fail "the memory file is not the guest's size"
	[ "$(jget "$T/r.json" .config.image_file)" = "$T/guest.mem" ] || fail "config.image_file"
	[ "$(jget "$T/r.json" .config.page_cache)" = cold ] || fail "config.page_cache"
	ls "$T"/guest.mem.* >/dev/null 2>&1 && fail "a half-written image is left beside it"
	nothing_left "after the run"
}

t_process_corrupt_copy_fails_verify() {
	hp_env
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --handler process \
		--inject corrupt-copy:100 --out "$T/r.json"
	expect_rc 1 "a page served from the wrong offset"
	[ "$(jget "$T/r.json" '.runs[0].verify.first_bad_page')" = 100 ] || fail "first bad page must be 100"
	[ "$(jget "$T/r.json" '.runs[0].verify.bad_pages')" = 1 ] || fail "exactly one bad page"
	nothing_left "after a failed run"
}

t_process_duplicate_copy_fails_accounting() {
	hp_env
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --handler process \
		--inject duplicate-copy:3 --out "$T/r.json"
	expect_rc 1 "a duplicated UFFDIO_COPY in the handler process"
	jget "$T/r.json" .status.reason | grep -q 'lost or duplicated' || fail "reason: $(jq .status.reason "$T/r.json")"
	nothing_left "after a failed run"
}

t_process_dropped_fault_trips_watchdog() {
	hp_env
	fbrun run --mode uffd-stock --size 8M --reps 1 --warmup 0 --handler process \
		--inject drop-copy:5 --fault-timeout 1 --out "$T/r.json"
	expect_rc 1 "a fault the handler process never served"
	jget "$T/r.json" .status.reason | grep -q 'watchdog: vCPU 0 .* page 5 .*1 of 1 alive, last read' ||
		fail "reason: $(jq .status.reason "$T/r.json")"
	nothing_left "after the watchdog"
}

t_process_dies_mid_run() {
	local start=$(date +%s)
	hp_env
	fbrun run --mode uffd-stock --size 8M --reps 1 --warmup 0 --handler process \
		--inject kill-handler:5 --fault-timeout 2 --out "$T/r.json"
	expect_rc 1 "a handler process that died"
	[ $(( $(date +%s) - start )) -lt 60 ] || fail "took too long"
	jget "$T/r.json" .status.reason |
		grep -q 'watchdog: vCPU 0 .* page 5 .*0 of 1 alive.*handler process (pid [0-9]*) exited with status 3 during the run' ||
		fail "reason must name the page and the dead handler: $(jq .status.reason "$T/r.json")"
	nothing_left "after the handler died"
}

t_process_never_listens() {
	local start=$(date +%s)
	hp_env
	FAULTBENCH_TEST_HANDLER_STALL=1 fbrun run --mode uffd-stock --size 4M --reps 1 --warmup 0 \
		--handler process --fault-timeout 1 --out "$T/r.json"
	expect_rc 1 "a handler that never listens"
	[ $(( $(date +%s) - start )) -lt 60 ] || fail "took too long"
	jget "$T/r.json" .status.reason |
		grep -q 'handler process `faultbench handler .*` (pid [0-9]*) did not listen on its socket within 1.0 s' ||
		fail "reason must name the handler: $(jq .status.reason "$T/r.json")"
	nothing_left "after giving up on the handler"
}

t_process_sigterm_then_sigkill_leave_nothing() {
	local pid i
	hp_env
	# a graceful stop (SIGTERM) mid-run stops and reaps the handler
	"$FB" run --mode uffd-stock --size 64M --reps 50 --warmup 0 --handler process \
		--service-delay-us 200 --out "$T/r.json" >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 100); do pgrep -f "faultbench handler $TMPDIR" >/dev/null && break; sleep 0.1; done
	pgrep -f "faultbench handler $TMPDIR" >/dev/null || { kill -KILL $pid; fail "no handler process seen"; }
	kill -TERM $pid
	for i in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -0 $pid 2>/dev/null && { kill -KILL $pid; fail "faultbench still runs 30 s after SIGTERM"; }
	wait $pid
	[ "$(jget "$T/r.json" .status.state)" = interrupted ] || fail "state after SIGTERM"
	nothing_left "after SIGTERM"
	# SIGKILL: the handler dies with faultbench (PR_SET_PDEATHSIG)
	"$FB" run --mode uffd-stock --size 64M --reps 50 --warmup 0 --handler process \
		--service-delay-us 200 --out "$T/r2.json" >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 100); do pgrep -f "faultbench handler $TMPDIR" >/dev/null && break; sleep 0.1; done
	kill -KILL $pid
	wait $pid 2>/dev/null
	for i in $(seq 50); do pgrep -f "faultbench handler $TMPDIR" >/dev/null || break; sleep 0.1; done
	[ -z "$(pgrep -f "faultbench handler $TMPDIR")" ] || fail "a handler outlived a SIGKILLed faultbench"
}

t_process_bad_inputs() {
	local args
	hp_env
	while IFS='|' read -r want args; do
		# shellcheck disable=SC2086
		fbrun run --out "$T/never.json" $args
		expect_rc 2 "run $args"
		grep -qF -- "$want" "$T/out" || { cat "$T/out"; fail "message for '$args' lacks '$want'"; }
		[ ! -e "$T/never.json" ] || fail "'$args' wrote a result"
	done <<EOF
--handler|--handler process --mode none
--handler|--handler process --mode uffd-minor --backing shmem
--handler: 'fork' is not accepted; accepted values: thread, process|--handler fork
--page-cache: 'bogus' is not accepted; accepted values: warm, cold|--page-cache bogus
--page-cache|--mode uffd-stock --page-cache cold
--image-file|--mode uffd-stock --image-file $T/x
--uffd per-vcpu|--mode uffd-stock --handler process --uffd per-vcpu --vcpus 2
--readers|--mode uffd-stock --handler process --readers 2
--wait spin|--mode uffd-stock --handler process --wait spin
--inject eagain-copy|--mode uffd-stock --handler process --inject eagain-copy:1
--image-file|--mode uffd-stock --handler process --image-file /nonexistent/dir/img
EOF
	fbrun handler
	expect_rc 2 "faultbench handler without arguments"
	grep -q 'usage: faultbench handler SOCKET MEMFILE' "$T/out" || fail "usage: $(cat "$T/out")"
	nothing_left "after bad input"
}
