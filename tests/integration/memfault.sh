# memfault-exit: vCPUs resolve their own faults (SIGBUS or presence-bitmap
# exits). Every variant verifies contents and read checksums, and the counters
# prove each page was resolved exactly once, by the vCPU that took the exit,
# never by the stock handler path.

# mode_data against results/schema.json's $defs/mode_data_memfault_exit
mf_schema() { # result.json
	mode_data_schema "$1" mode_data_memfault_exit
}

# Runs memfault-exit with verification and checks, for every repetition:
# exits = vCPU resolves + EEXIST, handler messages = handler resolves + EEXIST,
# all resolves = touched pages (+ pages only the emulation thread read).
mf_case() { # flags...
	local out=$T/r.json
	run_ok_or_skip "$out" --mode memfault-exit --reps 2 --warmup 0 --verify "$@" || return $?
	jq -e '.runs | all(
		.verify.ok and .counters.ioctl_errors == 0
		and .mode_data.exits == .mode_data.vcpu_resolved + .mode_data.vcpu_eexist
		and .mode_data.vcpu_resolved == .mode_data.vcpu_copies + .mode_data.vcpu_zeropages
		and .mode_data.handler_msgs == .mode_data.handler_resolved + .mode_data.handler_eexist
		and .mode_data.handler_msgs == .counters.uffd_msgs
		and .mode_data.vcpu_resolved + .mode_data.handler_resolved
			== .aggregate.touched_pages + .mode_data.emulation_untouched_pages
		and .counters.pages_copied + .counters.pages_zeroed
			== .mode_data.vcpu_resolved + .mode_data.handler_resolved
		and (.mode_data.exits_per_vcpu | add) == .mode_data.exits
		and (.mode_data.exits_per_vcpu | length) == (.vcpus | length))' "$out" >/dev/null ||
		fail "counters do not add up: $(jq -c '[.runs[] | {counters, mode_data, touched: .aggregate.touched_pages}]' "$out")"
	mf_schema "$out"
}

# No emulation thread: every vCPU fault was the vCPU's own exit, and the
# handlers read nothing. This is what fails if the mode silently takes the
# stock uffd path.
no_fallback() { # result.json
	jq -e '.runs | all(
		.mode_data.exits > 0 and .mode_data.handler_msgs == 0 and .counters.uffd_msgs == 0
		and .mode_data.vcpu_resolved == .aggregate.touched_pages
		and .mode_data.exits >= .aggregate.touched_pages)' "$1" >/dev/null ||
		fail "vCPU faults took the stock path: $(jq -c '[.runs[] | {uffd_msgs: .counters.uffd_msgs, mode_data}]' "$1")"
}

# Disjoint slices: each vCPU took exactly one exit per page of its own.
own_exits() { # result.json
	jq -e '.runs | all(. as $r | [range(.vcpus | length)]
		| all($r.mode_data.exits_per_vcpu[.] == $r.vcpus[.].pages))' "$1" >/dev/null ||
		fail "exits per vCPU != its pages: $(jq -c '[.runs[] | [.mode_data.exits_per_vcpu, [.vcpus[].pages]]]' "$1")"
}

variant() { # exit access
	mf_case --exit "$1" --size 16M --vcpus 2 --access "$2" --workload random || return $?
	no_fallback "$T/r.json"
	own_exits "$T/r.json"
}
t_sigbus_write() { variant sigbus write; }
t_sigbus_read() { variant sigbus read; }
t_sigbus_read_then_write() { variant sigbus read-then-write; }
t_bitmap_write() { variant bitmap write; }
t_bitmap_read() { variant bitmap read; }
t_bitmap_read_then_write() { variant bitmap read-then-write; }

t_no_fallback_to_stock_path() {
	# the same run under uffd-stock does read one message per page, so the
	# zero above is the exit path at work, not a counter that never moves
	local out=$T/r.json e
	for e in sigbus bitmap; do
		mf_case --exit $e --size 8M --vcpus 2 --zero-fraction 0.3 || return $?
		no_fallback "$out"
		jq -e '.runs | all(.mode_data.vcpu_zeropages > 0 and .mode_data.exit == "'$e'")' "$out" >/dev/null ||
			fail "$e: zero pages should be ZEROPAGEd by the vCPU: $(jq -c '.runs[0].mode_data' "$out")"
	done
	run_ok_or_skip "$out" --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 || return $?
	[ "$(jget "$out" '.runs[0].counters.uffd_msgs')" = 2048 ] || fail "uffd-stock must read 2048 messages"
}

# Two vCPUs race for the same pages: a page is resolved once, by whoever
# wins; the loser's COPY ends in EEXIST and is counted, never lost or doubled.
storm() { # exit workload
	mf_case --exit "$1" --size 16M --vcpus 2 --overlap --workload "$2" --access read-then-write \
		--zero-fraction 0.2 --reps 3 || return $?
	no_fallback "$T/r.json"
	jq -e '.runs | all(.aggregate.touched_pages == 4096 and .mode_data.vcpu_resolved == 4096
		and .counters.pages_copied + .counters.pages_zeroed == 4096
		and .counters.eexist == .mode_data.vcpu_eexist
		and .verify.pages_checked == 4096)' "$T/r.json" >/dev/null ||
		fail "$1/$2: pages lost or doubled: $(jq -c '[.runs[] | .mode_data]' "$T/r.json")"
}
t_sigbus_storm_overlap_random() { storm sigbus random; }
t_sigbus_storm_overlap_seq() { storm sigbus seq; }
t_bitmap_storm_overlap_random() { storm bitmap random; }
t_bitmap_storm_overlap_seq() { storm bitmap seq; }

t_bitmap_emulation_thread() {
	local out=$T/r.json
	mf_case --exit bitmap --emulation-thread --size 16M --vcpus 2 --reps 3 || return $?
	jq -e '.runs | all(.mode_data.emulation_thread and .mode_data.exits > 0)
		and ([.[].mode_data.emulation_reads] | add) > 0
		and ([.[].mode_data.handler_msgs] | add) > 0' "$out" >/dev/null ||
		fail "the emulation thread's reads must fault into the handler: $(jq -c '[.runs[].mode_data]' "$out")"
}

t_bitmap_emulation_thread_overlap_zipf() {
	# zipf leaves pages untouched: those the emulation thread reads are
	# resolved too, and accounted apart from the touched ones
	mf_case --exit bitmap --emulation-thread --size 16M --vcpus 2 --overlap --workload zipf:0.99 \
		--access read-then-write --reps 3
}

t_sigbus_emulation_thread_rejected() {
	fbrun run --mode memfault-exit --exit sigbus --emulation-thread --size 8M --out "$T/r.json"
	expect_rc 2 "--exit sigbus --emulation-thread"
	grep -q 'needs --exit bitmap' "$T/out" || fail "message: $(cat "$T/out")"
}

t_per_vcpu_uffds() {
	mf_case --exit sigbus --size 8M --vcpus 2 --uffd per-vcpu && no_fallback "$T/r.json" || return $?
	mf_case --exit bitmap --size 8M --vcpus 2 --uffd per-vcpu --emulation-thread || return $?
	fbrun run --mode memfault-exit --size 8M --vcpus 2 --uffd per-vcpu --overlap --out "$T/r.json"
	expect_rc 2 "--uffd per-vcpu --overlap"
}

t_backings() {
	# sigbus runs on every backing in the matrix; bitmap here
	local b rc
	for b in shmem memfd thp memfd-hugetlb; do
		mf_case --exit bitmap --backing $b --size 32M --vcpus 2 --reps 1
		rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 77 ] || return $rc
		[ $rc -eq 77 ] || no_fallback "$T/r.json"
	done
}

t_service_delay_paid_by_vcpu() {
	mf_case --exit sigbus --size 1M --vcpus 2 --service-delay-us 100 && no_fallback "$T/r.json"
}

t_inject_corrupt_fails_verify() {
	local e out=$T/r.json
	for e in sigbus bitmap; do
		fbrun run --mode memfault-exit --exit $e --size 8M --vcpus 2 --reps 1 --warmup 0 \
			--inject corrupt-copy:100 --out "$out"
		expect_rc 1 "$e: a corrupted page"
		[ "$(jget "$out" '.runs[0].verify.first_bad_page')" = 100 ] || fail "$e: first bad page must be 100"
	done
}

t_inject_duplicate_fails_accounting() {
	local e out=$T/r.json
	for e in sigbus bitmap; do
		fbrun run --mode memfault-exit --exit $e --size 8M --vcpus 2 --reps 1 --warmup 0 \
			--inject duplicate-copy:3 --out "$out"
		expect_rc 1 "$e: a duplicated resolve"
		jget "$out" .status.reason | grep -q 'lost or duplicated' || fail "$e: reason: $(jq .status.reason "$out")"
	done
}

t_inject_drop_trips_watchdog() {
	# a vCPU that cannot resolve its page waits (in its SIGBUS handler, or
	# on the uffd); the watchdog names it, and teardown gets it out alive
	local e out=$T/r.json
	for e in sigbus bitmap; do
		fbrun run --mode memfault-exit --exit $e --size 8M --vcpus 2 --reps 1 --warmup 0 \
			--inject drop-copy:5 --fault-timeout 1 --out "$out"
		expect_rc 1 "$e: a dropped page"
		jget "$out" .status.reason | grep -q 'watchdog: vCPU 0 .* page 5 ' ||
			fail "$e: reason must name vCPU 0 and page 5: $(jq .status.reason "$out")"
	done
}

t_foreign_sigbus_is_not_swallowed() {
	# A SIGBUS that is not a vCPU's uffd exit (here: kill -BUS while the
	# vCPUs sit in slow exits, 20 ms each) must kill the process as it would
	# without our handler, not be taken for an exit and ignored.
	local pid i
	"$FB" run --mode memfault-exit --exit sigbus --size 4M --vcpus 2 --service-delay-us 20000 \
		--reps 100 --out "$T/r.json" >"$T/out" 2>&1 &
	pid=$!
	# vCPU threads exist once the touch phase is near (main + 2 vCPUs + handler)
	for i in $(seq 100); do
		[ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -ge 4 ] && break
		sleep 0.02
	done
	sleep 0.3
	kill -BUS $pid
	wait $pid
	RC=$?
	[ "$RC" -eq $((128 + 7)) ] || { cat "$T/out"; fail "after kill -BUS: exit $RC, expected 135 (killed by SIGBUS)"; }
	[ ! -e "$T/r.json" ] || fail "a killed run left a result file"
	return 0
}
