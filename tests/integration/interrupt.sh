# Signals in the middle of a run: vCPUs and handlers stop, finished
# repetitions are kept in a result marked interrupted, and the system is as
# it was before, whatever the exit path (SIGINT, SIGTERM, SIGKILL).

# Everything faultbench may change or leave: huge page pools (total and
# free), its ledger directory, temporary result files, and processes.
sys_state() { # outdir
	local f
	for f in /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages \
		 /sys/kernel/mm/hugepages/hugepages-*/free_hugepages; do
		[ -r "$f" ] && printf '%s=%s ' "$(basename "$(dirname "$f")")/$(basename "$f")" "$(cat "$f")"
	done
	printf 'ledger=[%s] ' "$(ls -A "$FAULTBENCH_STATE_DIR" 2>/dev/null | tr '\n' ' ')"
	printf 'tmp=[%s] ' "$(find "$1" -name '*.tmp*' 2>/dev/null | tr '\n' ' ')"
}

# Start faultbench in the background ($PID), output in $T/out.
bg_run() {
	"$FB" "$@" >"$T/out" 2>&1 &
	PID=$!
}

# Wait for pid to exit; RC gets its code; fails after $2 s.
wait_exit() { # pid seconds
	local i
	for i in $(seq $(( $2 * 10 ))); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && { kill -KILL "$1"; fail "still running $2 s after the signal"; }
	wait "$1"
	RC=$?
}

# Wait until cond (a shell expression) holds, up to $1 s.
wait_for() { # seconds cond
	local i
	for i in $(seq $(( $1 * 10 ))); do
		eval "$2" && return 0
		sleep 0.1
	done
	return 1
}

t_sigint_keeps_finished_repetitions() {
	export FAULTBENCH_STATE_DIR=$T/state
	bg_run run --mode none --size 16M --vcpus 2 --reps 10000 --warmup 1 --out "$T/r.json"
	sleep 2
	kill -INT "$PID"
	wait_exit "$PID" 20
	expect_rc 130 "SIGINT during a run"
	validate "$T/r.json"
	[ "$(jget "$T/r.json" .status.state)" = interrupted ] || fail "not marked interrupted"
	jget "$T/r.json" .status.reason | grep -q 'interrupted by SIGINT at repetition' ||
		fail "reason: $(jq .status.reason "$T/r.json")"
	# finished ones kept, each whole: every page touched, and the summary over them
	[ "$(jget "$T/r.json" '[.runs[] | select(.warmup | not)] | length')" -ge 1 ] ||
		fail "no finished repetition kept"
	jget "$T/r.json" '.runs | all(.aggregate.pages == 4096)' | grep -q true || fail "a partial repetition was kept"
	[ "$(jget "$T/r.json" '.summary.paging_rate_pps.n')" = \
	  "$(jget "$T/r.json" '[.runs[] | select(.warmup | not)] | length')" ] ||
		fail "the summary is not over the kept repetitions"
}

t_sigterm_stops_stuck_vcpus_and_handlers() {
	# a vCPU asleep in a fault nobody will resolve, and a long watchdog:
	# SIGTERM must still end the run at once
	local start
	export FAULTBENCH_STATE_DIR=$T/state
	bg_run run --mode uffd-stock --size 8M --vcpus 2 --reps 3 --warmup 0 --inject drop-copy:5 \
		--fault-timeout 600 --out "$T/r.json"
	sleep 1.5
	start=$(date +%s)
	kill -TERM "$PID"
	wait_exit "$PID" 20
	expect_rc 143 "SIGTERM during a stalled run"
	[ $(( $(date +%s) - start )) -le 6 ] || fail "took more than 6 s to stop"
	validate "$T/r.json"
	[ "$(jget "$T/r.json" .status.state)" = interrupted ] || fail "not marked interrupted"
	[ "$(jget "$T/r.json" '.runs | length')" = 0 ] || fail "the cut-short repetition was kept"
}

t_second_signal_quits_at_once() {
	export FAULTBENCH_STATE_DIR=$T/state
	bg_run run --mode uffd-stock --size 8M --reps 3 --warmup 0 --inject drop-copy:5 \
		--fault-timeout 600 --out "$T/r.json"
	sleep 1.5
	kill -INT "$PID"
	kill -INT "$PID"
	wait_exit "$PID" 20
	[ "$RC" -ge 128 ] || fail "exit $RC"
	# either the whole result or none, never half
	[ ! -e "$T/r.json" ] || validate "$T/r.json"
	[ -z "$(find "$T" -name '*.tmp*')" ] || fail "temporary file left behind"
}

# A hugetlb run is stopped with sig while it holds pages it reserved; after
# it, and for SIGKILL after the next faultbench starts, the system is as it
# was.
kill_mid_hugetlb_run() { # sig
	local before after
	[ "$(id -u)" = 0 ] || skip "needs root to reserve huge pages"
	[ -w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ] || skip "no 2 MiB hugetlb pool"
	export FAULTBENCH_STATE_DIR=$T/state
	mkdir -p "$T/out.d"
	before=$(sys_state "$T/out.d")
	bg_run run --mode uffd-stock --backing hugetlb --size 64M --reps 10000 --warmup 0 \
		--out "$T/out.d/r.json"
	wait_for 20 '[ -n "$(ls -A "$FAULTBENCH_STATE_DIR" 2>/dev/null)" ]' ||
		{ kill -KILL "$PID"; cat "$T/out"; skip "the run never reserved huge pages (pool in use?)"; }
	sleep 0.5
	[ "$(sys_state "$T/out.d")" != "$before" ] || fail "the run changed nothing to restore?"
	kill "-$1" "$PID"
	wait_exit "$PID" 20
	if [ "$1" = KILL ]; then
		[ "$RC" = 137 ] || fail "exit $RC after SIGKILL"
		[ -n "$(ls -A "$FAULTBENCH_STATE_DIR")" ] || fail "no ledger left to recover from"
		"$FB" probe >"$T/probe.out" 2>&1 || { cat "$T/probe.out"; fail "probe failed"; }
		grep -q 'gave back 32 huge pages' "$T/probe.out" || { cat "$T/probe.out"; fail "no word of the recovery"; }
	else
		validate "$T/out.d/r.json"
		[ "$(jget "$T/out.d/r.json" .status.state)" = interrupted ] || fail "not marked interrupted"
	fi
	rm -f "$T/out.d/r.json"
	after=$(sys_state "$T/out.d")
	[ "$after" = "$before" ] || fail "state after SIG$1: [$after], before: [$before]"
}

t_kill_mid_run_sigint_restores() { kill_mid_hugetlb_run INT; }
t_kill_mid_run_sigterm_restores() { kill_mid_hugetlb_run TERM; }
t_kill_mid_run_sigkill_restores() { kill_mid_hugetlb_run KILL; }

t_recovery_leaves_live_runs_alone() {
	# a ledger whose process is alive is not touched; one whose pid was
	# reused (another start time) is recovered
	local pool=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages nr
	[ "$(id -u)" = 0 ] || skip "needs root to change the pool"
	[ -w "$pool" ] || skip "no 2 MiB hugetlb pool"
	export FAULTBENCH_STATE_DIR=$T/state
	mkdir -p "$T/state"
	nr=$(cat "$pool")
	echo $((nr + 2)) >"$pool"
	[ "$(cat "$pool")" = $((nr + 2)) ] || { echo "$nr" >"$pool"; skip "the kernel would not add 2 pages"; }
	sleep 1000 & local live=$!
	printf '%s %s\n%s 1\n' "$live" "$(awk '{print $22}' /proc/$live/stat)" "$pool" >"$T/state/hugetlb.$live"
	printf '%s 1\n%s 1\n' "$live" "$pool" >"$T/state/hugetlb.1$live"
	"$FB" probe >/dev/null 2>&1
	kill "$live"
	[ -e "$T/state/hugetlb.$live" ] || { echo "$nr" >"$pool"; fail "the live run's ledger was taken"; }
	[ ! -e "$T/state/hugetlb.1$live" ] || { echo "$nr" >"$pool"; fail "the dead one's was not"; }
	[ "$(cat "$pool")" = $((nr + 1)) ] || { echo "$nr" >"$pool"; fail "pool $(cat "$pool"), expected $((nr + 1))"; }
	echo "$nr" >"$pool"
}

t_suite_recovers_a_killed_child() {
	# a configuration killed with SIGKILL (the suite's last resort after
	# --timeout) gives its pages back before the next one starts
	local before child
	[ "$(id -u)" = 0 ] || skip "needs root to reserve huge pages"
	[ -w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ] || skip "no 2 MiB hugetlb pool"
	export FAULTBENCH_STATE_DIR=$T/state
	before=$(sys_state "$T/set")
	printf '[h]\nmode: uffd-stock\nbacking: hugetlb\nsize: 64M\nreps: 10000\nwarmup: 0\n' >"$T/h.suite"
	bg_run suite "$T/h.suite" --out "$T/set"
	wait_for 20 '[ -n "$(ls -A "$FAULTBENCH_STATE_DIR" 2>/dev/null)" ]' ||
		{ # its run too, which would otherwise go on alone for 10000 repetitions
		  child=$(pgrep -P "$PID"); kill -KILL "$PID"
		  [ -z "$child" ] || { kill -TERM $child; wait_for 30 "! kill -0 $child 2>/dev/null"; }
		  cat "$T/out"; skip "the run never reserved huge pages"; }
	child=$(pgrep -P "$PID" | head -1)
	[ -n "$child" ] || fail "no child run found"
	kill -KILL "$child"
	wait_exit "$PID" 30
	expect_rc 1 "a suite whose configuration was killed"
	grep -q 'gave back 32 huge pages' "$T/out" "$T"/set/*.log 2>/dev/null ||
		{ cat "$T/out"; fail "the suite did not recover the killed run's pages"; }
	[ "$(sys_state "$T/set")" = "$before" ] || fail "state after: [$(sys_state "$T/set")], before: [$before]"
}
