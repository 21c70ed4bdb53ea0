# The fault anatomy (delivery, service, wake of each fault) and where the
# handler threads run (--handler-cpus, --wait spin).

# ncpus online, and the CPU vCPU 0 is pinned to in a result
online_cpus() { nproc --all; }

# Every fault message matched, nothing else: a run where each first touch
# is one uffd round trip.
all_matched() { # out.json
	jq -e '[.runs[] | .fault_anatomy.available and
		.fault_anatomy.matched == .counters.uffd_msgs and .fault_anatomy.unmatched == 0 and
		.fault_anatomy.delivery_ns.count == .fault_anatomy.matched and
		.fault_anatomy.wake_ns.count == .fault_anatomy.matched and
		.fault_anatomy.resumed_first <= .fault_anatomy.matched] | all' "$1" >/dev/null ||
		fail "every message must match one first touch: $(jq -c '[.runs[] | .fault_anatomy | del(.delivery_ns, .service_ns, .wake_ns)]' "$1") msgs $(jq -c '[.runs[].counters.uffd_msgs]' "$1")"
}

# The issue's check: with one vCPU the three parts' medians add up to the
# first-touch median within 15 %. Medians add only over one population of
# faults. Unpinned (--handler-cpus any) the scheduler moves the handler
# between the vCPU's CPU (a fault of ~8 us here) and the other one (~35 us),
# within and across repetitions, and the medians of such a mixture need not
# add. Across CPUs (other) each fault pays two idle wakes whose length moves
# with whatever else the host runs, for all parts of a fault at once: on a
# quiet host the medians add within 10 %, on a busy one they were 23 %
# apart. So the bound is checked beside the vCPU (same), one population on
# one CPU; everywhere the means must add up exactly, fault by fault.
t_one_vcpu_parts_add_up() {
	local out=$T/r.json sum lat hc
	run_ok_or_skip "$out" --mode uffd-stock --size 64M --reps 3 --handler-cpus same || return $?
	all_matched "$out"
	[ "$(jget "$out" '.runs[0].counters.uffd_msgs')" = 16384 ] || fail "one message per page"
	sum=$(jget "$out" '[.summary.fault_anatomy_delivery_p50_ns.median, .summary.fault_anatomy_service_p50_ns.median,
		.summary.fault_anatomy_wake_p50_ns.median] | add')
	lat=$(jget "$out" '.summary.fault_lat_p50_ns.median')
	awk -v s="$sum" -v l="$lat" 'BEGIN { exit !(s >= 0.85 * l && s <= 1.15 * l) }' ||
		fail "delivery + service + wake medians = $sum ns, first-touch median $lat ns: more than 15 % apart"
	for hc in any same other; do
		[ "$hc" != other ] || [ "$(online_cpus)" -ge 2 ] || continue
		run_ok_or_skip "$out" --mode uffd-stock --size 16M --reps 2 --handler-cpus "$hc" || return $?
		jq -e '[.runs[] | (.fault_anatomy.delivery_ns.mean + .fault_anatomy.service_ns.mean +
			.fault_anatomy.wake_ns.mean) / .fault_lat_ns.mean | . > 0.999 and . < 1.001] | all' "$out" >/dev/null ||
			fail "$hc: the parts' means must sum to the first-touch mean: $(jq -c '[.runs[] | [.fault_anatomy.delivery_ns.mean, .fault_anatomy.service_ns.mean, .fault_anatomy.wake_ns.mean, .fault_lat_ns.mean]]' "$out")"
	done
}

t_two_vcpus_two_readers_batched() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-stock --size 16M --vcpus 2 --readers 2 --batch 4 --reps 2 || return $?
	# several readers and batches: at most a handful lost (see harness/anatomy.h)
	jq -e '[.runs[] | .fault_anatomy | .matched + .unmatched == 4096 and .matched >= 4000] | all' "$out" >/dev/null ||
		fail "matched: $(jq -c '[.runs[].fault_anatomy | [.matched, .unmatched]]' "$out")"
}

t_zero_unreg_kernel_fills_unmatched() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode zero-unreg --size 16M --zero-fraction 0.5 --reps 2 || return $?
	# the zero pages took no round trip: no message, unmatched
	jq -e '[.runs[] | .fault_anatomy.matched == .counters.uffd_msgs and .fault_anatomy.unmatched > 0 and
		.fault_anatomy.matched + .fault_anatomy.unmatched == .aggregate.pages] | all' "$out" >/dev/null ||
		fail "zero-unreg: $(jq -c '[.runs[] | [.fault_anatomy.matched, .fault_anatomy.unmatched, .counters.uffd_msgs]]' "$out")"
}

t_uffd_minor_matched() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-minor --backing memfd --size 16M --reps 2 || return $?
	all_matched "$out"
}

t_memfault_exit_anatomy() {
	local out=$T/r.json exit
	for exit in sigbus bitmap; do
		run_ok_or_skip "$out" --mode memfault-exit --exit "$exit" --size 16M --reps 2 || return $?
		# the vCPU resolves its own faults: each exit is one matched fault
		jq -e '[.runs[] | .fault_anatomy.matched == .mode_data.exits and .fault_anatomy.matched == 4096
			and .counters.uffd_msgs == 0 and .handlers.cpus_seen == []] | all' "$out" >/dev/null ||
			fail "$exit: $(jq -c '[.runs[] | [.fault_anatomy.matched, .mode_data.exits, .handlers.cpus_seen]]' "$out")"
	done
}

t_no_anatomy_without_latency_or_handlers() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-stock --size 4M --reps 1 --latency off || return $?
	jq -e '.runs[0] | has("fault_anatomy") | not' "$out" >/dev/null || fail "--latency off recorded an anatomy"
	jq -e '.runs[0].handlers.threads | length == 1' "$out" >/dev/null || fail "handlers not recorded"
	run_ok_or_skip "$out" --mode none --size 4M --reps 1 || return $?
	jq -e '.runs[0] | (has("fault_anatomy") or has("handlers")) | not' "$out" >/dev/null ||
		fail "mode none has no handlers"
	jq -e '.placement | has("handler_cpus") | not' "$out" >/dev/null || fail "mode none placed handlers"
}

t_handler_cpus_same() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-stock --size 16M --reps 2 --handler-cpus same || return $?
	all_matched "$out"
	# pinned to the vCPU's CPU, and seen there only
	jq -e '.placement.handler_cpus == [.runs[0].vcpus[0].cpu] and
		([.runs[] | .handlers.cpus_seen == [.vcpus[0].cpu] and .handlers.policy == "same"
		 and .handlers.threads[0].reads_on_vcpu_cpus == .handlers.threads[0].reads] | all)' "$out" >/dev/null ||
		fail "same: $(jq -c '[.placement.handler_cpus, [.runs[] | [.vcpus[0].cpu, .handlers.cpus_seen]]]' "$out")"
}

t_handler_cpus_same_per_vcpu_uffds() {
	local out=$T/r.json
	[ "$(online_cpus)" -ge 2 ] || skip "needs 2 CPUs"
	run_ok_or_skip "$out" --mode uffd-stock --size 16M --vcpus 2 --uffd per-vcpu --reps 1 --handler-cpus same || return $?
	# handler i serves vCPU i's uffd: on vCPU i's CPU
	jq -e '.placement.handler_cpus == [.runs[0].vcpus[].cpu]' "$out" >/dev/null ||
		fail "per-vCPU: $(jq -c '[.placement.handler_cpus, [.runs[0].vcpus[].cpu]]' "$out")"
}

t_handler_cpus_other() {
	local out=$T/r.json
	[ "$(online_cpus)" -ge 2 ] || skip "needs 2 CPUs"
	run_ok_or_skip "$out" --mode uffd-stock --size 16M --reps 2 --handler-cpus other || return $?
	all_matched "$out"
	# where the handlers ran is disjoint from where the vCPU ran
	jq -e '([.runs[] | .vcpus[0].cpu as $v | (.handlers.cpus_seen | length > 0 and all(. != $v))
		and .handlers.threads[0].reads_on_vcpu_cpus == 0] | all) and
		(.runs[0].vcpus[0].cpu as $v | .placement.handler_cpus | all(. != $v))' "$out" >/dev/null ||
		fail "other: $(jq -c '[.placement.handler_cpus, [.runs[] | [.vcpus[0].cpu, .handlers.cpus_seen]]]' "$out")"
}

t_handler_cpus_other_none_left_skips() {
	local out=$T/r.json n
	n=$(online_cpus)
	fbrun run --quiet --out "$out" --mode uffd-stock --size 4M --vcpus "$n" --reps 1 --handler-cpus other
	expect_rc 77 "--handler-cpus other with a vCPU on every CPU"
	validate "$out"
	jq -e '.status.state == "skipped" and (.status.reason | test("handler-cpus other") and test("none is left"))' \
		"$out" >/dev/null || fail "skip reason: $(jq -c .status "$out")"
	# a mode without handlers runs anyway
	run_ok_or_skip "$out" --mode none --size 4M --vcpus "$n" --reps 1 --handler-cpus other || return $?
}

t_handler_cpus_list() {
	local out=$T/r.json last
	last=$(( $(online_cpus) - 1 ))
	run_ok_or_skip "$out" --mode uffd-stock --size 8M --vcpus 1 --handlers 2 --reps 1 --handler-cpus "$last,0" || return $?
	jq -e --argjson l "$last" '.placement.handler_cpus == [$l, 0] and .config.handler_cpus == "\($l),0"
		and .runs[0].handlers.policy == "list" and
		(.runs[0].handlers.cpus_seen | all(. == 0 or . == $l))' "$out" >/dev/null ||
		fail "list: $(jq -c '[.placement.handler_cpus, .runs[0].handlers]' "$out")"
}

t_wait_spin() {
	local out=$T/r.json where=other
	[ "$(online_cpus)" -ge 2 ] || where=any
	run_ok_or_skip "$out" --mode uffd-stock --size 16M --reps 2 --wait spin --handler-cpus $where || return $?
	all_matched "$out"
	jq -e '.config.wait == "spin" and ([.runs[] | .handlers.wait == "spin" and .verify.ok
		and .counters.empty_reads == 0] | all)' "$out" >/dev/null ||
		fail "spin: $(jq -c '[.config.wait, [.runs[].counters.empty_reads]]' "$out")"
	# other uffd modes spin too
	run_ok_or_skip "$out" --mode zero-unreg --size 8M --zero-fraction 0.5 --reps 1 --wait spin --handler-cpus $where || return $?
}

t_wait_spin_on_a_vcpus_cpu_warns() {
	local out=$T/r.json
	"$FB" run --out "$out" --mode uffd-stock --size 4M --reps 1 --wait spin --handler-cpus same >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" = 77 ] && skip "$(jq -r .status.reason "$out")"
	expect_rc 0 "same + spin"
	grep -q "warning: --wait spin: handler 0 spins on CPU .*where vCPU 0 runs" "$T/err" ||
		{ cat "$T/err"; fail "no warning for a handler spinning on its vCPU's CPU"; }
	all_matched "$out"
	"$FB" run --quiet --out "$out" --mode uffd-stock --size 4M --reps 1 --wait spin --handler-cpus same 2>"$T/err"
	[ ! -s "$T/err" ] || fail "--quiet must silence the warning"
}

t_suite_takes_spin_and_handler_cpus() {
	local dir=$T/set
	printf '[spin]\nmode: uffd-stock\nsize: 4M\nreps: 1\nwarmup: 0\nwait: poll spin\nhandler-cpus: any same\n' >"$T/s.suite"
	"$FB" suite "$T/s.suite" --out "$dir" >"$T/out" 2>&1 || { cat "$T/out"; fail "suite with wait: spin"; }
	[ "$(ls "$dir"/*.json | grep -vc index.json)" = 4 ] || fail "expected 4 configurations"
	jq -e -s '[.[] | select(.config) | .config.wait + "/" + .config.handler_cpus] | sort ==
		["poll/any", "poll/same", "spin/any", "spin/same"]' "$dir"/*.json >/dev/null ||
		fail "configurations: $(jq -c -s '[.[] | select(.config) | [.config.wait, .config.handler_cpus]]' "$dir"/*.json)"
	# and the report reads the new fields
	"$FB" report "$dir" --out "$T/rep" >"$T/out" 2>&1 || { cat "$T/out"; fail "report of a set with the anatomy"; }
}

t_files_without_the_new_fields() {
	local f
	mkdir -p "$T/old" "$T/new"
	run_ok_or_skip "$T/new/u.json" --mode uffd-stock --size 4M --reps 3 || return $?
	run_ok_or_skip "$T/new/n.json" --mode none --size 4M --reps 3 || return $?
	# as written before --handler-cpus and the anatomy existed
	for f in u n; do
		jq 'del(.config.handler_cpus, .placement.handler_cpus) | .runs |= map(del(.handlers, .fault_anatomy))
			| .summary |= with_entries(select(.key | startswith("fault_anatomy") | not))' \
			"$T/new/$f.json" >"$T/old/$f.json"
		validate "$T/old/$f.json"
	done
	# they ran as --handler-cpus any: the same configurations as today's
	"$FB" gate --baseline "$T/old" --current "$T/new" >"$T/out" 2>&1
	RC=$?
	[ "$RC" -ne 2 ] || { cat "$T/out"; fail "gate could not pair older files with new ones"; }
	"$FB" report "$T/old" --out "$T/rep" >"$T/out" 2>&1 || { cat "$T/out"; fail "report of older files"; }
}
