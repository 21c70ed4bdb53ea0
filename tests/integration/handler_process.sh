# --handler process: the uffd goes to `faultbench handler SOCKET MEMFILE`
# by Firecracker's handshake. The guest is verified as ever, the counters
# come home, and no handler, socket or temporary image outlives the run.
# --handler-exec: the same for a foreign handler (tests/handlers/min_handler.c),
# whose counters are unknown, and for each way it can misbehave.

# The handler's socket and the temporary image go to $TMPDIR: the test's own.
hp_env() {
	export TMPDIR=$T/tmp
	mkdir -p "$TMPDIR"
}

# No handler process of this test's, and nothing in its $TMPDIR.
nothing_left() { # what
	local left
	# the socket's path is in every handler's arguments, ours or foreign
	left=$(pgrep -f -- "$TMPDIR/faultbench-handler-" || true)
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

# $T/thread.json and $T/process.json agree on the jq query q
same_as_thread() { # q
	[ "$(jq -c "$1" "$T/thread.json")" = "$(jq -c "$1" "$T/process.json")" ] ||
		fail "thread $(jq -c "$1" "$T/thread.json") vs process $(jq -c "$1" "$T/process.json")"
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
	same_as_thread '[.runs[] | .counters | [.uffd_msgs, .pages_copied, .pages_zeroed]]'
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
# regex, and leave nothing behind. $HP_MODE: the mode (uffd-stock).
must_fail() { # what regex flags...
	local what=$1 re=$2 start
	shift 2
	start=$(date +%s)
	fbrun run --mode "${HP_MODE:-uffd-stock}" --reps 1 --warmup 0 --handler process --out "$T/r.json" "$@"
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
		'watchdog: vCPU 0 .* page 5 .*handler process (1 thread) alive, last read' --size 8M --inject drop-copy:5 --fault-timeout 1
}

t_process_dies_mid_run() {
	hp_env
	must_fail "a handler process that died" \
		'watchdog: vCPU 0 .* page 5 .*handler process (1 thread) gone.*handler process `faultbench handler .*` (pid [0-9]*) exited with status 3 during the run' \
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
--handler|--handler process --mode wp-unpop
--balloon|--mode zero-unreg --handler process --balloon 0.1
--balloon|--mode zero-unreg --handler-exec /bin/true --balloon 0.1
--image-file|--mode uffd-minor --backing memfd --handler process --image-file $T/x
--page-cache|--mode uffd-minor --backing memfd --handler process --page-cache cold
--handler: 'fork' is not accepted; accepted values: thread, process|--handler fork
--page-cache: 'bogus' is not accepted; accepted values: warm, cold|--page-cache bogus
--page-cache|--mode uffd-stock --page-cache cold
--image-file|--mode uffd-stock --image-file $T/x
--uffd per-vcpu|--mode uffd-stock --handler process --uffd per-vcpu --vcpus 2
--readers|--mode uffd-stock --handler process --readers 2
--wait spin|--mode uffd-stock --handler process --wait spin
--inject eagain-copy|--mode uffd-stock --handler process --inject eagain-copy:1
--image-file|--mode uffd-stock --handler process --image-file /nonexistent/dir/img
--handler-exec: mode memfault-exit|--mode memfault-exit --handler-exec /bin/true
--handler thread|--mode uffd-stock --handler thread --handler-exec /bin/true
--service-delay-us|--mode uffd-stock --handler-exec /bin/true --service-delay-us 5
EOF
	fbrun handler
	expect_rc 2 "faultbench handler without arguments"
	grep -q 'usage: faultbench handler SOCKET MEMFILE' "$T/out" || fail "usage: $(cat "$T/out")"
	nothing_left "after bad input"
}

# --handler-exec: the tests' own foreign handler, built by `make test`
MINH=${FB_ROOT:-$PWD}/${FB_BUILD:-build}/tests/min_handler
need_minh() {
	[ -x "$MINH" ] || fail "no $MINH: build it with make $MINH"
}

t_exec_foreign_handler_serves_unknown_counters() {
	local flags=(--mode uffd-stock --size 16M --vcpus 2 --reps 2 --warmup 0 --zero-fraction 0.25)
	hp_env
	need_minh
	run_ok_or_skip "$T/set/exec.json" "${flags[@]}" --handler-exec "$MINH" || return $?
	nothing_left "after the run"
	[ "$(jget "$T/set/exec.json" .config.handler_exec)" = "$MINH" ] || fail "config.handler_exec"
	[ "$(jget "$T/set/exec.json" .config.handler)" = process ] || fail "--handler-exec implies process"
	# the guest holds the memory file's bytes; what the handler did is unknown, not zero
	jq -e '.runs | all(.verify.ok and .verify.pages_checked > 0 and .aggregate.touched_pages == 4096
		and .counters == null and .service_ns == null and (has("handlers") | not)
		and (.unknown | test("accounting was skipped")) and .fault_lat_ns.count > 0)' \
		"$T/set/exec.json" >/dev/null || fail "runs: $(jq -c '[.runs[] | {verify, counters, unknown}]' "$T/set/exec.json")"
	jq -e '.summary.service_p50_ns.n == 0 and .summary.fault_lat_p50_ns.n == 2' "$T/set/exec.json" >/dev/null ||
		fail "summary: service time must be left out, latency kept"
	# report, compare and gate load it, beside a run of faultbench's own handler
	run_ok_or_skip "$T/set2/own.json" "${flags[@]}" --handler process || return $?
	cp "$T/set/exec.json" "$T/set2/"
	fbrun report "$T/set2" --out "$T/rep" --quiet
	expect_rc 0 "report of a set with a foreign handler's run"
	fbrun compare "$T/set" "$T/set2"
	expect_rc 0 "compare with a foreign handler's run"
	fbrun gate --baseline "$T/set" --current "$T/set" --json "$T/g.json"
	# a verdict (0 pass, 1 regression, 3 inconclusive: one run a side), not a load error
	case $RC in 0 | 1 | 3) ;; *) cat "$T/out"; fail "gate exit $RC on a foreign handler's run" ;; esac
	jq -e '[.rows[] | select(.metric == "fault_lat_p50_ns")] | length == 1' "$T/g.json" >/dev/null ||
		fail "the gate did not compare the foreign handler's fault latency"
	nothing_left "after report"
}

# Each misbehaviour of a foreign handler ends the run with its own clear
# failure, within the fault timeout plus SIGTERM's grace, and leaves nothing.
exec_fails() { # what regex misbehaviour flags...
	local what=$1 re=$2 how=$3
	shift 3
	must_fail "$what" "$re" --handler-exec "$MINH --misbehave $how" "$@"
	[ "$(jget "$T/r.json" .config.handler_exec)" = "$MINH --misbehave $how" ] || fail "$what: handler_exec"
}

t_exec_never_listens() {
	hp_env
	need_minh
	exec_fails "a foreign handler that never listens" \
		'handler process `.*min_handler --misbehave never-listen .*` (pid [0-9]*) did not listen on its socket within 1.0 s' \
		never-listen --size 4M --fault-timeout 1
}

t_exec_dies_mid_run() {
	hp_env
	need_minh
	exec_fails "a foreign handler that died" \
		'watchdog: vCPU 0 .* page 64 .*handler `.*--misbehave die` gone.*exited with status 3 during the run' \
		die --size 8M --fault-timeout 1
}

t_exec_wrong_page_fails_verify() {
	hp_env
	need_minh
	exec_fails "a foreign handler serving the next page" 'verification failed: page 0 ' \
		wrong-page --size 8M --vcpus 2
	[ "$(jget "$T/r.json" '.runs[0].verify.bad_pages')" -gt 0 ] || fail "no bad page counted"
}

t_exec_ignores_sigterm() {
	hp_env
	need_minh
	exec_fails "a foreign handler that ignores SIGTERM" \
		'handler process `.*--misbehave ignore-term .*` (pid [0-9]*) ignored SIGTERM for 2.0 s; killed with SIGKILL' \
		ignore-term --size 4M
}

t_exec_cannot_run() {
	hp_env
	must_fail "a handler that is not there" \
		'handler process `/nonexistent/handler .*` (pid [0-9]*) exited with status 127 before it listened' \
		--size 4M --handler-exec /nonexistent/handler
	# a wrapper's child goes with it: the wrapper leaves on SIGTERM, its child
	# ignores SIGTERM, and the process group's SIGKILL ends the child
	need_minh
	printf '#!/bin/sh\n"%s" --misbehave ignore-term "$@" &\nwait\n' "$MINH" >"$T/wrap.sh"
	chmod +x "$T/wrap.sh"
	run_ok_or_skip "$T/w.json" --mode uffd-stock --size 4M --reps 2 --warmup 0 \
		--handler-exec "$T/wrap.sh" || return $?
	nothing_left "after a wrapped handler"
}

# ---- zero-unreg and uffd-minor in a handler process ----------------------

# zero-unreg: faultbench registers, moves the zero runs to WP-only and
# write-protects; the handler process copies the non-zero pages with
# UFFDIO_COPY_MODE_WP. The same pages as the threads, and a dirty set as exact.
zu_exact() { # file
	jq -e '.runs | all(.verify.ok and .counters.ioctl_errors == 0 and .counters.pages_zeroed == 0
		and .counters.uffd_msgs == .counters.pages_copied + .counters.eexist
		and .mode_data.image_copies == .mode_data.touched_nonzero_pages
		and .mode_data.touched_nonzero_pages > 0 and .mode_data.zero_range_fault_msgs == 0
		and .mode_data.dirty_checked and .mode_data.lost_dirty_pages == 0
		and .mode_data.extra_dirty_pages == 0 and .mode_data.dirty_pages == .mode_data.written_pages)' \
		"$1" >/dev/null || fail "$1: $(jq -c '[.runs[] | {c: .counters, m: (.mode_data | {image_copies,
			touched_nonzero_pages, zero_range_fault_msgs, lost_dirty_pages, extra_dirty_pages, dirty_pages, written_pages})}]' "$1")"
}

t_zero_unreg_process_same_pages_as_thread() {
	local flags=(--mode zero-unreg --size 16M --vcpus 2 --reps 2 --warmup 0 --zero-fraction 0.5 --zero-run 256K
		--access read-then-write)
	hp_env
	run_ok_or_skip "$T/thread.json" "${flags[@]}" || return $?
	run_ok_or_skip "$T/process.json" "${flags[@]}" --handler process || return $?
	nothing_left "after the run"
	zu_exact "$T/thread.json"
	zu_exact "$T/process.json"
	same_as_thread '[.runs[] | [.counters.uffd_msgs, .counters.pages_copied, .mode_data.zero_pages, .mode_data.written_pages]]'
	jq -e '.runs | all(.service_ns.count == .counters.uffd_msgs and .counters.reads > 0)' "$T/process.json" >/dev/null ||
		fail "service time or reads did not come back from the handler process"
}

t_zero_unreg_process_reads_stay_clean() {
	# read only: a page copied without MODE_WP would read as written
	hp_env
	for b in anon memfd hugetlb; do
		run_ok_or_skip "$T/$b.json" --mode zero-unreg --backing "$b" --size 32M --zero-fraction 0.5 \
			--access read --workload random --reps 1 --warmup 0 --handler process || return $?
		zu_exact "$T/$b.json"
		[ "$(jget "$T/$b.json" '.runs[0].mode_data.dirty_pages')" = 0 ] || fail "$b: reads made pages dirty"
	done
	nothing_left "after the runs"
}

t_zero_unreg_exec_over_reports_dirty() {
	# the tests' foreign handler copies without MODE_WP: every page it
	# installs reads as written. Over-reported, never lost; counts unknown.
	hp_env
	need_minh
	run_ok_or_skip "$T/r.json" --mode zero-unreg --size 16M --zero-fraction 0.5 --access read \
		--reps 1 --warmup 0 --handler-exec "$MINH" || return $?
	nothing_left "after the run"
	jq -e '.runs | all(.verify.ok and .counters == null and .mode_data.image_copies == null
		and .mode_data.zero_range_fault_msgs == null and .mode_data.lost_dirty_pages == 0
		and .mode_data.touched_nonzero_pages > 0 and .mode_data.written_pages == 0
		and .mode_data.extra_dirty_pages == .mode_data.touched_nonzero_pages)' "$T/r.json" >/dev/null ||
		fail "$(jq -c '[.runs[] | .mode_data | {image_copies, touched_nonzero_pages, extra_dirty_pages, lost_dirty_pages}]' "$T/r.json")"
}

t_zero_unreg_process_misbehaviours() {
	hp_env
	HP_MODE=zero-unreg must_fail "zero-unreg: a page served from the wrong offset" 'verification failed: page 100 ' \
		--size 8M --inject corrupt-copy:100
	HP_MODE=zero-unreg must_fail "zero-unreg: a duplicated COPY" 'lost or duplicated' --size 8M --inject duplicate-copy:3
	HP_MODE=zero-unreg must_fail "zero-unreg: a dropped fault" 'watchdog: vCPU 0 .* page 5 .*handler process (1 thread) alive' \
		--size 8M --inject drop-copy:5 --fault-timeout 1
	need_minh
	HP_MODE=zero-unreg exec_fails "zero-unreg: a foreign handler serving the next page" 'verification failed: page 0 ' \
		wrong-page --size 8M
}

# uffd-minor: faultbench fills the page cache; the handler process, given
# the guest's own memory file, maps each page with UFFDIO_CONTINUE.
minor_exact() { # file
	jq -e '.runs | all(.verify.ok and .counters.ioctl_errors == 0 and .counters.pages_copied == 0
		and .counters.uffd_msgs == .counters.continue_ioctls and .counters.eexist == 0
		and .mode_data.pages_continued == .aggregate.touched_pages and .aggregate.touched_pages > 0)' \
		"$1" >/dev/null || fail "$1: $(jq -c '[.runs[] | [.counters, .mode_data, .aggregate.touched_pages]]' "$1")"
}

t_minor_process_same_pages_as_thread() {
	local b
	hp_env
	for b in memfd memfd-hugetlb; do
		local flags=(--mode uffd-minor --backing "$b" --size 32M --vcpus 2 --reps 2 --warmup 0 --zero-fraction 0.25)
		run_ok_or_skip "$T/$b-thread.json" "${flags[@]}" || return $?
		run_ok_or_skip "$T/$b-process.json" "${flags[@]}" --handler process || return $?
		minor_exact "$T/$b-thread.json"
		minor_exact "$T/$b-process.json"
		[ "$(jget "$T/$b-process.json" .config.handler)" = process ] || fail "config.handler"
		jq -e '.runs | all(.service_ns.count == .counters.uffd_msgs)' "$T/$b-process.json" >/dev/null ||
			fail "$b: service times did not come back"
	done
	# the guest's own file is the handler's MEMFILE: no image file is written
	nothing_left "after the runs"
}

t_minor_process_memfile_is_the_guests() {
	hp_env
	HP_MODE=uffd-minor FAULTBENCH_TEST_HANDLER_STALL=1 must_fail "uffd-minor: a handler that never listens" \
		'handler process `faultbench handler [^ ]*/uffd.sock /proc/[0-9]*/fd/[0-9]*` (pid [0-9]*) did not listen' \
		--backing memfd --size 4M --fault-timeout 1
}

t_minor_process_misbehaviours() {
	hp_env
	HP_MODE=uffd-minor must_fail "uffd-minor: the wrong page in the cache" 'verification failed: page 100 ' \
		--backing memfd --size 8M --inject corrupt-copy:100
	HP_MODE=uffd-minor must_fail "uffd-minor: a duplicated CONTINUE" 'lost or duplicated' \
		--backing memfd --size 8M --inject duplicate-copy:3
	HP_MODE=uffd-minor must_fail "uffd-minor: a dropped fault" 'watchdog: vCPU 0 .* page 5 .*handler process (1 thread) alive' \
		--backing memfd --size 8M --inject drop-copy:5 --fault-timeout 1
}

t_minor_exec_foreign_handler() {
	hp_env
	need_minh
	run_ok_or_skip "$T/r.json" --mode uffd-minor --backing memfd --size 16M --vcpus 2 --reps 2 --warmup 0 \
		--handler-exec "$MINH" || return $?
	jq -e '.runs | all(.verify.ok and .verify.pages_checked > 0 and .counters == null
		and (.unknown | test("accounting was skipped")))' "$T/r.json" >/dev/null ||
		fail "$(jq -c '[.runs[] | {verify, unknown}]' "$T/r.json")"
	nothing_left "after the run"
	# a handler that knows only MISSING faults copies, finds the page (EEXIST)
	# and never maps it: the watchdog ends the run
	HP_MODE=uffd-minor exec_fails "uffd-minor: a foreign handler that does not CONTINUE" \
		'watchdog: vCPU 0 waited more than 1.0 s on page 0 .*handler `.*--misbehave no-continue` alive' \
		no-continue --backing memfd --size 4M --fault-timeout 1
	HP_MODE=uffd-minor exec_fails "uffd-minor: a foreign handler that died" \
		'exited with status 3 during the run' die --backing memfd --size 8M --fault-timeout 1
}

# faultbench report puts thread and process side by side for both modes
t_process_modes_in_report() {
	hp_env
	for h in thread process; do
		run_ok_or_skip "$T/set/zu-$h.json" --mode zero-unreg --size 8M --reps 1 --warmup 0 --zero-fraction 0.5 \
			--handler $h || return $?
		run_ok_or_skip "$T/set/mi-$h.json" --mode uffd-minor --backing memfd --size 8M --reps 1 --warmup 0 \
			--handler $h || return $?
	done
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	for col in "zero-unreg (handler thread)" "zero-unreg (handler process)" \
		"uffd-minor (handler thread)" "uffd-minor (handler process)"; do
		grep -qF "| $col |" "$T/rep/index.md" || fail "no column '$col' in the report"
	done
	nothing_left "after report"
}
