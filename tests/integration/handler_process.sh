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

# A run that must fail (exit 1) within a minute, its reason matching a
# regex, and leave nothing behind.
must_fail() { # what regex flags...
	local what=$1 re=$2 start
	shift 2
	start=$(date +%s)
	fbrun run --mode uffd-stock --reps 1 --warmup 0 --handler process --out "$T/r.json" "$@"
	expect_rc 1 "$what"
	validate "$T/r.json"
	[ $(( $(date +%s) - start )) -lt 60 ] || fail "$what: took too long"
	jget "$T/r.json" .status.reason | grep -q -- "$re" ||
		fail "$what: reason: $(jq .status.reason "$T/r.json")"
	nothing_left "$what"
}

t_process_corrupt_copy_fails_verify() {
	hp_env
	must_fail "a page served from the wrong offset" 'verification failed: page 100 ' \
		--size 8M --vcpus 2 --inject corrupt-copy:100
	[ "$(jget "$T/r.json" '.runs[0].verify.bad_pages')" = 1 ] || fail "exactly one bad page"
}

t_process_duplicate_copy_fails_accounting() {
	hp_env
	must_fail "a duplicated UFFDIO_COPY in the handler process" 'lost or duplicated' \
		--size 8M --vcpus 2 --inject duplicate-copy:3
}

t_process_dropped_fault_trips_watchdog() {
	hp_env
	must_fail "a fault the handler process never served" \
		'watchdog: vCPU 0 .* page 5 .*1 of 1 alive, last read' --size 8M --inject drop-copy:5 --fault-timeout 1
}

t_process_dies_mid_run() {
	hp_env
	must_fail "a handler process that died" \
		'watchdog: vCPU 0 .* page 5 .*0 of 1 alive.*handler process (pid [0-9]*) exited with status 3 during the run' \
		--size 8M --inject kill-handler:5 --fault-timeout 2
}

t_process_never_listens() {
	hp_env
	FAULTBENCH_TEST_HANDLER_STALL=1 must_fail "a handler that never listens" \
		'handler process `faultbench handler .*` (pid [0-9]*) did not listen on its socket within 1.0 s' \
		--size 4M --fault-timeout 1
}

# Start a long run in the background ($PID) and wait for its handler.
start_with_handler() { # out.json
	local i
	"$FB" run --mode uffd-stock --size 64M --reps 50 --warmup 0 --handler process \
		--service-delay-us 200 --out "$1" >"$T/out" 2>&1 &
	PID=$!
	for i in $(seq 100); do pgrep -f "faultbench handler $TMPDIR" >/dev/null && return 0; sleep 0.1; done
	kill -KILL $PID
	fail "no handler process seen"
}

t_process_sigterm_then_sigkill_leave_nothing() {
	local i
	hp_env
	# a graceful stop (SIGTERM) mid-run stops and reaps the handler
	start_with_handler "$T/r.json"
	kill -TERM $PID
	for i in $(seq 300); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
	kill -0 $PID 2>/dev/null && { kill -KILL $PID; fail "faultbench still runs 30 s after SIGTERM"; }
	wait $PID
	[ "$(jget "$T/r.json" .status.state)" = interrupted ] || fail "state after SIGTERM"
	nothing_left "after SIGTERM"
	# SIGKILL: the handler dies with faultbench (PR_SET_PDEATHSIG)
	start_with_handler "$T/r2.json"
	kill -KILL $PID
	wait $PID 2>/dev/null
	for i in $(seq 50); do pgrep -f "faultbench handler $TMPDIR" >/dev/null || break; sleep 0.1; done
	[ -z "$(pgrep -f "faultbench handler $TMPDIR")" ] || fail "a handler outlived a SIGKILLed faultbench"
}

# Each repetition's handler is stopped and reaped before the next starts:
# at most one live handler at any time, and no zombie that lasts.
t_process_one_handler_at_a_time() {
	local i live zombies seen=" " z
	hp_env
	"$FB" run --mode uffd-stock --size 8M --reps 8 --warmup 0 --handler process \
		--service-delay-us 200 --out "$T/r.json" >"$T/out" 2>&1 &
	PID=$!
	for i in $(seq 40); do
		live=$(ps --ppid $PID -o stat= | grep -vc '^Z')
		zombies=$(ps --ppid $PID -o pid=,stat= | awk '$2 ~ /^Z/ { print $1 }')
		[ "$live" -le 1 ] || { kill -KILL $PID; fail "$live handler processes at once"; }
		for z in $zombies; do
			# seen twice before, 0.2 s apart: nobody reaps it
			[ "$(grep -o " $z " <<<"$seen" | wc -l)" -lt 2 ] || { kill -KILL $PID; fail "handler $z is a lasting zombie"; }
			seen="$seen$z "
		done
		kill -0 $PID 2>/dev/null || break
		sleep 0.1
	done
	wait $PID
	RC=$?
	expect_rc 0 "8 repetitions with a handler process each"
	[ "$(jget "$T/r.json" '.runs | length')" = 8 ] || fail "not 8 repetitions"
	nothing_left "after the run"
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
