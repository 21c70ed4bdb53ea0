# --mode postcopy: pages come from `faultbench postcopy-source`, a process of
# its own, over stream sockets; a fault thread requests faulted pages, and
# receivers install what arrives. The guest must hold the image, every page
# must arrive exactly once (account hook), faults are counted once each,
# deduplicated requests are counted, a lost, doubled or wrong page fails the
# run, no source process outlives it, and bad input is exit 2.

# No source process left behind, nor a handler process (--handler
# process): none running this build's binary (another checkout's runs on
# the same host are not ours to judge).
no_source_left() { # what
	local p left="" fb
	fb=$(readlink -f "$FB")
	for p in $(pgrep -f -- "faultbench (postcopy-source|handler )" || true); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$fb" ] && left="$left $p"
	done
	[ -z "$left" ] || { ps -o pid,args -p "${left# }"; fail "$1: source or handler process left:$left"; }
}

# runs[].mode_data against results/schema.json's $defs/mode_data_postcopy
mode_data_valid() { # file
	local s=$T/md.schema.json i n
	jq '{"$defs": .["$defs"], "$ref": "#/$defs/mode_data_postcopy"}' "$SCHEMA" >"$s"
	n=$(jq '.runs | length' "$1")
	for ((i = 0; i < n; i++)); do
		jq ".runs[$i].mode_data" "$1" >"$T/md.json"
		"$FB" validate "$s" "$T/md.json" || fail "runs[$i].mode_data does not match \$defs/mode_data_postcopy"
	done
}

# The contract's invariants, in every repetition.
invariants_hold() { # file
	jq -e '.runs | all(.mode_data as $m | .verify.ok and .counters.ioctl_errors == 0
		and $m.pages_precopy + $m.pages_stream + $m.pages_urgent == $m.pages_total
		and .counters.pages_copied + .counters.pages_zeroed == $m.pages_total
		and $m.eexist == 0
		and $m.requests_sent + $m.requests_deduped == .counters.uffd_msgs
		and $m.urgent_lat_ns.count + $m.stream_lat_ns.count == $m.fault_pages
		and $m.fault_pages <= .aggregate.touched_pages and $m.fault_pages >= $m.requests_sent
		and $m.pages_urgent + $m.requests_stale <= $m.requests_sent
		and ($m.blocktime_per_vcpu_ns | length) == (.vcpus | length)
		and all($m.blocktime_per_vcpu_ns[]; . >= $m.blocktime_ns)
		and $m.urgent_lat_ns.count == ([$m.urgent_lat_ns.buckets[]?[2]] | add // 0)
		and $m.stream_lat_ns.count == ([$m.stream_lat_ns.buckets[]?[2]] | add // 0))' "$1" >/dev/null ||
		fail "invariants: $(jq -c '[.runs[] | .mode_data | del(.urgent_lat_ns, .stream_lat_ns)]' "$1")"
}

t_postcopy_verified_and_accounted() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode postcopy --size 16M --vcpus 2 --reps 2 --warmup 0 \
		--workload random --zero-fraction 0.25 || return $?
	no_source_left "after the run"
	mode_data_valid "$out"
	invariants_hold "$out"
	jq -e '.config | .receivers == 1 and .preempt == false and .link == "unix"
		and .link_bw_bps == 0 and .link_delay_us == 0 and .precopy == 0' "$out" >/dev/null ||
		fail "config: $(jq -c .config "$out")"
	# every page arrived after switchover: its header, its bytes unless zero,
	# and one end mark (header + pc_end, 64 bytes) on the one connection
	jq -e '.runs | all(.mode_data as $m | $m.pages_zero > 0 and $m.pages_precopy == 0
		and .aggregate.touched_pages == $m.pages_total
		and $m.bytes_sent == $m.pages_total * 16 + ($m.pages_total - $m.pages_zero) * 4096 + 64
		and .counters.pages_zeroed == $m.pages_zero and $m.migration_ns > 0)' "$out" >/dev/null ||
		fail "pages and bytes: $(jq -c '[.runs[] | .mode_data | del(.urgent_lat_ns, .stream_lat_ns)]' "$out")"
}

# Two vCPUs walk the same pages in the same order over a slow link: the
# second fault on a page finds it requested, and is not asked for again.
t_postcopy_requests_deduplicated() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode postcopy --size 4M --vcpus 2 --overlap --reps 1 --warmup 0 \
		--link-bw 200M || return $?
	invariants_hold "$out"
	jq -e '.runs[0].mode_data | .requests_deduped > 0 and .requests_sent > 0' "$out" >/dev/null ||
		fail "no deduplicated request: $(jq -c '.runs[0].mode_data | del(.urgent_lat_ns, .stream_lat_ns)' "$out")"
}

t_postcopy_preempt_paced_receivers() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode postcopy --size 16M --reps 2 --warmup 0 --workload random \
		--preempt --receivers 2 --link-bw 2G --link-delay-us 20 || return $?
	no_source_left "after the run"
	mode_data_valid "$out"
	invariants_hold "$out"
	jq -e '.config | .receivers == 2 and .preempt and .link_bw_bps == 2000000000
		and .link_delay_us == 20' "$out" >/dev/null || fail "config: $(jq -c .config "$out")"
	# the emulated queue is as deep as the socket's send buffer; three
	# connections (two stream, one urgent) end with a 64-byte mark each; the
	# source acts on a request 20 us after it arrives, so no urgent fault is
	# resolved sooner
	jq -e '.runs | all(.mode_data as $m | $m.link_queue_bytes > 0 and $m.pages_urgent > 0
		and $m.urgent_lat_ns.min >= 20000
		and $m.bytes_sent == ($m.pages_stream + $m.pages_urgent) * 4112 + 3 * 64)' "$out" >/dev/null ||
		fail "$(jq -c '[.runs[] | .mode_data | del(.urgent_lat_ns, .stream_lat_ns)]' "$out")"
}

# --link tcp, and a precopy pass: its pages are in before the vCPUs start,
# and neither they nor their bytes count after switchover
t_postcopy_tcp_precopy() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode postcopy --size 16M --vcpus 2 --reps 1 --warmup 0 \
		--workload random --link tcp --precopy 0.5 || return $?
	invariants_hold "$out"
	jq -e '.config.link == "tcp" and .config.precopy == 0.5 and (.runs[0].mode_data as $m
		| $m.pages_precopy > $m.pages_total / 4 and $m.pages_precopy < $m.pages_total * 3 / 4
		and $m.bytes_sent == ($m.pages_total - $m.pages_precopy) * 4112 + 64
		and $m.urgent_lat_ns.count + $m.stream_lat_ns.count <= $m.pages_total - $m.pages_precopy)' \
		"$out" >/dev/null || fail "$(jq -c '.runs[0].mode_data | del(.urgent_lat_ns, .stream_lat_ns)' "$out")"
}

# hugetlb has no UFFDIO_ZEROPAGE: zero pages travel as a header and are
# installed by copying a page of zeros
t_postcopy_hugetlb() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode postcopy --backing hugetlb --size 32M --vcpus 2 --reps 1 \
		--warmup 0 --workload random --zero-fraction 0.5 --preempt || return $?
	invariants_hold "$out"
	jq -e '.runs[0] | .mode_data.pages_zero > 0 and .counters.pages_zeroed == 0
		and .counters.pages_copied == .mode_data.pages_total' "$out" >/dev/null ||
		fail "$(jq -c '.runs[0] | {counters, m: (.mode_data | del(.urgent_lat_ns, .stream_lat_ns))}' "$out")"
}

t_postcopy_lost_page_fails() {
	local out=$T/r.json start
	start=$(date +%s)
	fbrun run --mode postcopy --size 8M --vcpus 2 --reps 1 --warmup 0 --inject drop-copy:5 \
		--fault-timeout 1 --out "$out"
	expect_rc 1 "a page the source never sends"
	[ $(( $(date +%s) - start )) -lt 30 ] || fail "the watchdog took too long"
	validate "$out"
	jget "$out" .status.reason | grep -q 'watchdog: vCPU 0 .* page 5 ' ||
		fail "reason must name vCPU 0 and page 5: $(jq .status.reason "$out")"
	no_source_left "after a lost page"
}

t_postcopy_lost_precopy_page_fails() {
	local out=$T/r.json
	fbrun run --mode postcopy --size 8M --reps 1 --warmup 0 --precopy 1 --inject drop-copy:7 \
		--fault-timeout 1 --out "$out"
	expect_rc 1 "a precopy page the source never sends"
	jget "$out" .status.reason | grep -q 'precopy pass stalled' || fail "reason: $(jq .status.reason "$out")"
	no_source_left "after a lost precopy page"
}

t_postcopy_duplicate_page_fails_accounting() {
	local out=$T/r.json
	fbrun run --mode postcopy --size 8M --vcpus 2 --reps 1 --warmup 0 --inject duplicate-copy:3 --out "$out"
	expect_rc 1 "a page sent twice"
	jget "$out" .status.reason | grep -q 'lost or duplicated' || fail "reason: $(jq .status.reason "$out")"
	no_source_left "after a duplicated page"
}

t_postcopy_wrong_page_fails_verify() {
	local out=$T/r.json
	fbrun run --mode postcopy --size 8M --reps 1 --warmup 0 --inject corrupt-copy:100 --out "$out"
	expect_rc 1 "a page with another page's bytes"
	[ "$(jget "$out" '.runs[0].verify.first_bad_page')" = 100 ] || fail "first bad page must be 100"
	no_source_left "after a wrong page"
}

# Run faultbench in the background, SIGKILL its child whose command line
# matches PATTERN once it runs (0.3 s in), and wait: RC gets the exit code,
# KILLED the pid.
kill_child_mid_run() { # pattern what faultbench-args...
	local pat=$1 what=$2 pid i
	shift 2
	"$FB" "$@" >"$T/out" 2>&1 &
	pid=$!
	KILLED=""
	for ((i = 0; i < 100; i++)); do
		KILLED=$(pgrep -P "$pid" -f "$pat" || true)
		[ -n "$KILLED" ] && break
		sleep 0.1
	done
	[ -n "$KILLED" ] || { kill "$pid"; wait "$pid"; fail "no $what under faultbench"; }
	sleep 0.3
	kill -9 "$KILLED"
	wait "$pid"
	RC=$?
}

# The source dies mid-run: the run fails at once, saying so, and it is reaped.
t_postcopy_source_killed_fails() {
	local out=$T/r.json
	kill_child_mid_run postcopy-source "source process" run --mode postcopy --size 8M --reps 1 \
		--warmup 0 --link-bw 8M --quiet --out "$out"
	expect_rc 1 "a source killed mid-run"
	jget "$out" .status.reason | grep -q 'source process (pid [0-9]*) was killed by SIGKILL' ||
		fail "reason: $(jq .status.reason "$out")"
	no_source_left "after a killed source"
}

t_postcopy_bad_inputs() {
	local a
	for a in "--preempt" "--receivers 2" "--link tcp" "--link-bw 10G" "--link-delay-us 5" "--precopy 0.5"; do
		# shellcheck disable=SC2086
		fbrun run --mode uffd-stock $a
		expect_rc 2 "$a without postcopy"
		grep -q -- "${a%% *} without postcopy" "$T/out" || fail "$a: message: $(cat "$T/out")"
	done
	for a in "--receivers 0" "--receivers 65" "--link udp" "--link-bw fast" "--link-bw 10X" \
		"--link-bw -1G" "--link-bw 100" "--link-delay-us -1" "--precopy 1.5" "--uffd per-vcpu --vcpus 2" \
		"--handler-exec /bin/true" "--service-delay-us 10" "--resolve move" "--inject kill-handler:1"; do
		# shellcheck disable=SC2086
		fbrun run --mode postcopy --size 4M $a
		expect_rc 2 "postcopy $a"
		grep -q -- "${a%% *}" "$T/out" || fail "$a: the message does not name the flag: $(cat "$T/out")"
	done
	fbrun postcopy-source
	expect_rc 2 "postcopy-source without connections"
}

# --handler process: the fault thread and the receivers run in
# `faultbench handler`, which took the uffd with the handshake. The same
# flags give the same verified guest, the same invariants, and the same
# figures that do not depend on timing (pages by origin, zero pages, bytes).
pc_same_as_thread() { # file-thread file-process
	local f='[.runs[] | .mode_data | {pages_total, pages_precopy, pages_zero, bytes_sent,
		blocktime_measured}]'
	[ "$(jq -c "$f" "$1")" = "$(jq -c "$f" "$2")" ] ||
		fail "thread vs process: $(jq -c "$f" "$1") vs $(jq -c "$f" "$2")"
}

t_postcopy_handler_process_matches_thread() {
	local h a=(--mode postcopy --size 16M --vcpus 2 --reps 2 --warmup 0 --workload random
		--zero-fraction 0.25 --preempt --receivers 2 --precopy 0.3 --link-bw 2G)
	for h in thread process; do
		run_ok_or_skip "$T/$h.json" "${a[@]}" --handler "$h" || return $?
		no_source_left "after the run (--handler $h)"
		mode_data_valid "$T/$h.json"
		invariants_hold "$T/$h.json"
	done
	jq -e '.config.handler == "process" and (.runs | all(.mode_data as $m
		| $m.pages_precopy > 0 and $m.pages_urgent > 0 and $m.pages_zero > 0
		and $m.migration_ns > 0 and $m.requests_sent > 0))' "$T/process.json" >/dev/null ||
		fail "process: $(jq -c '[.config.handler, (.runs[] | .mode_data | del(.urgent_lat_ns, .stream_lat_ns))]' "$T/process.json")"
	pc_same_as_thread "$T/thread.json" "$T/process.json"
}

t_postcopy_handler_process_hugetlb() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode postcopy --backing hugetlb --size 32M --vcpus 2 --reps 1 \
		--warmup 0 --workload random --zero-fraction 0.5 --preempt --handler process || return $?
	no_source_left "after the run"
	invariants_hold "$out"
	jq -e '.runs[0] | .mode_data.pages_zero > 0 and .counters.pages_zeroed == 0
		and .counters.pages_copied == .mode_data.pages_total' "$out" >/dev/null ||
		fail "$(jq -c '.runs[0] | {counters, m: (.mode_data | del(.urgent_lat_ns, .stream_lat_ns))}' "$out")"
}

# A page the source never sends still fails by the watchdog, and nothing is
# left behind.
t_postcopy_handler_process_lost_page_fails() {
	local out=$T/r.json
	fbrun run --mode postcopy --size 8M --vcpus 2 --reps 1 --warmup 0 --inject drop-copy:5 \
		--fault-timeout 1 --handler process --out "$out"
	expect_rc 1 "a page the source never sends (--handler process)"
	jget "$out" .status.reason | grep -q 'watchdog: vCPU 0 .* page 5 ' ||
		fail "reason must name vCPU 0 and page 5: $(jq .status.reason "$out")"
	no_source_left "after a lost page"
}

# The handler process dies mid-run: the run fails, naming it, without
# hanging, and the source and the handler are both reaped.
t_postcopy_handler_process_killed_fails() {
	local out=$T/r.json
	kill_child_mid_run "faultbench handler" "handler process" run --mode postcopy --size 8M \
		--reps 1 --warmup 0 --link-bw 8M --fault-timeout 2 --handler process --quiet --out "$out"
	expect_rc 1 "a handler process killed mid-run"
	jget "$out" .status.reason | grep -q "handler process .*(pid $KILLED) was killed by SIGKILL" ||
		fail "reason: $(jq .status.reason "$out")"
	no_source_left "after a killed handler process"
}
