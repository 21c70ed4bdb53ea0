# --events unmap,remove,remap,fork: mid-run an events thread changes the
# guest's layout and uffd-stock's handler threads follow. Each event must
# reach the handlers once, with its range; the remapped pages are served at
# their new address and checked there; the fork child's pages are served
# from its own uffd and checked by the child; nothing is lost (the resolve
# accounting counts the remapped pages), no child is left behind, a handler
# that ignores a REMAP fails the run, and what events cannot do is exit 2.

# mode_data against results/schema.json's $defs/mode_data_uffd_stock
ev_schema() { # result.json
	mode_data_schema "$1" mode_data_uffd_stock
}

# No process of this test's runs is left: a fork child has the parent's
# command line, and every run here names its own --out under $T.
ev_no_child() {
	local left
	left=$(pgrep -f -- "--out $T/" || true)
	[ -z "$left" ] || fail "processes left behind: $(ps -o pid,ppid,stat,args -p "${left//$'\n'/,}")"
}

# Every repetition: verified, each requested event taken once with a
# latency, the resolve accounting holding with the remapped pages, and no
# fault where none may be.
ev_check() { # result.json events(comma list)
	local r=$1 evs=$2 e n
	ev_schema "$r"
	n=$(awk -F, '{print NF}' <<<"$evs")
	for e in ${evs//,/ }; do
		jq -e --arg e "$e" 'all(.runs[]; .mode_data.events[$e].count == 1
			and .mode_data.events[$e].latency_ns > 0)' "$r" >/dev/null ||
			fail "$e: $(jq -c --arg e "$e" '[.runs[].mode_data.events[$e]]' "$r")"
	done
	jq -e --argjson n "$n" 'all(.runs[]; .verify.ok and .counters.ioctl_errors == 0
		and .mode_data.events.faults_dropped == 0 and .mode_data.events.faults_untranslated == 0
		and .counters.uffd_events == $n + (.mode_data.events.remap.old_range_unmap_messages // 0)
		and .counters.pages_copied + .counters.pages_zeroed ==
			.aggregate.touched_pages + (.mode_data.events.remap.pages_touched_at_new_address // 0)
		and .counters.uffd_msgs == .counters.pages_copied + .counters.pages_zeroed + .counters.eexist
		and .mode_data.events.faults_eagain_event_pending <= .mode_data.events.faults_eagain
		and .mode_data.events.faults_eagain <= .counters.eagain)' "$r" >/dev/null ||
		fail "counts: $(jq -c '[.runs[] | {v: .verify.ok, c: .counters, t: .aggregate.touched_pages, e: .mode_data.events}]' "$r")"
	jq -e --arg evs "$evs" '.config.events == ($evs | split(","))' "$r" >/dev/null ||
		fail "config.events is $(jq -c .config.events "$r"), not [$evs]"
	ev_no_child
}

# each event alone
t_events_each() {
	local e r
	for e in unmap remove remap fork; do
		r=$T/$e.json
		run_ok_or_skip "$r" --mode uffd-stock --size 8M --vcpus 2 --reps 2 --warmup 0 --events $e ||
			return $?
		ev_check "$r" $e
		# the other kinds are not in mode_data
		jq -e --arg e "$e" 'all(.runs[]; (.mode_data.events | keys - ["trigger", "trigger_resolved",
			"faults_eagain", "faults_eagain_event_pending", "faults_dropped",
			"faults_untranslated"]) == [$e])' "$r" >/dev/null ||
			fail "$e: mode_data has $(jq -c '.runs[0].mode_data.events | keys' "$r")"
	done
}

# all four together, two readers, random order: the remap at its new
# address, the child's pages served from its uffd and checked by the child
t_events_all() {
	local r=$T/all.json
	run_ok_or_skip "$r" --mode uffd-stock --size 16M --vcpus 2 --readers 2 --workload random \
		--reps 2 --warmup 1 --events unmap,remove,remap,fork || return $?
	ev_check "$r" unmap,remove,remap,fork
	jq -e 'all(.runs[]; .mode_data.events.remap.verified and .mode_data.events.remap.pages_touched_at_new_address == 16
		and .mode_data.events.fork.child_pages_checked == 64 and .mode_data.events.fork.child_bad_pages == 0
		and .mode_data.events.fork.child_exit_status == 0 and .mode_data.events.fork.child_faults > 0
		and .mode_data.events.fork.child_faults == .mode_data.events.fork.child_pages_copied
			+ .mode_data.events.fork.child_pages_zeroed + .mode_data.events.fork.child_eexist)' "$r" >/dev/null ||
		fail "$(jq -c '[.runs[].mode_data.events | {remap, fork}]' "$r")"
}

# reads, line touches and zero pages: the child and the remap owner see the
# image (zero pages by ZEROPAGE in the child too); one reader, one vCPU
t_events_read_zero() {
	local r=$T/read.json
	run_ok_or_skip "$r" --mode uffd-stock --size 8M --vcpus 1 --access read --touch line \
		--zero-fraction 0.5 --reps 1 --warmup 0 --events remap,fork || return $?
	ev_check "$r" remap,fork
	jq -e '.runs[0].mode_data.events | .remap.verified and .fork.child_pages_zeroed > 0
		and .fork.child_pages_copied > 0' "$r" >/dev/null ||
		fail "$(jq -c '.runs[0].mode_data.events' "$r")"
}

# a handler that takes the REMAP but keeps translating the old address: the
# remapped page cannot be served, and the run fails at once (no hang, no
# child left)
t_events_ignore_remap_fails() {
	local r=$T/ign.json
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --events remap,fork \
		--inject ignore-remap:0 --fault-timeout 5 --quiet --out "$r"
	[ "$RC" -eq 77 ] && skip "$(jq -r .status.reason "$r")"
	expect_rc 1 "--inject ignore-remap"
	validate "$r"
	jq -e '.status.state == "failed" and (.status.reason | test("EFAULT"))' "$r" >/dev/null ||
		fail "$(jq -c .status "$r")"
	ev_no_child
}

# a wrong page served at the remapped range's new address fails the check
# there; a wrong page in the fork child fails the child's own check (the
# child faults on it, or copies it from the parent who did). 8M over 2
# vCPUs: 2048 slice pages, the event area from 2048, the remap range from
# 2080; the child reads every 32nd slice page.
t_events_wrong_pages_fail() {
	local r=$T/bad.json
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --events remap \
		--inject corrupt-copy:2080 --quiet --out "$r"
	[ "$RC" -eq 77 ] && skip "$(jq -r .status.reason "$r")"
	expect_rc 1 "--events remap --inject corrupt-copy:2080"
	jq -e '.status.reason | test("remapped page 2080 at its new address")' "$r" >/dev/null ||
		fail "$(jq -c .status "$r")"
	fbrun run --mode uffd-stock --size 8M --vcpus 2 --reps 1 --warmup 0 --events fork \
		--inject corrupt-copy:2016 --quiet --out "$r"
	expect_rc 1 "--events fork --inject corrupt-copy:2016"
	jq -e '.status.reason | test("fork: the child exited.*1 wrong .first: page 2016")' "$r" >/dev/null ||
		fail "$(jq -c .status "$r")"
	ev_no_child
}

# without CAP_SYS_PTRACE the kernel refuses EVENT_FORK: a skip that says so;
# the other events run unprivileged
t_events_fork_unprivileged_skips() {
	local r
	need_nobody
	r=$T/nobody.json
	as_nobody -- run --mode uffd-stock --size 4M --reps 1 --warmup 0 --events fork --quiet --out "$r"
	expect_rc 77 "--events fork as nobody"
	validate "$r"
	jq -e '.status.state == "skipped" and (.status.reason | test("EVENT_FORK") and test("CAP_SYS_PTRACE"))' \
		"$r" >/dev/null || fail "$(jq -c .status "$r")"
	r=$T/nobody2.json
	as_nobody -- run --mode uffd-stock --size 4M --reps 1 --warmup 0 --events unmap,remove,remap \
		--quiet --out "$r"
	[ "$RC" -eq 77 ] && skip "as nobody: $(jq -r .status.reason "$r")"
	expect_rc 0 "--events unmap,remove,remap as nobody"
	ev_check "$r" unmap,remove,remap
}

t_events_bad_inputs() {
	local a
	for a in "--events bogus" "--events unmap,,fork" "--events ," "--mode zero-unreg --events unmap" \
		"--handler process --events fork" "--uffd per-vcpu --events remap" \
		"--backing memfd --events remove" "--resolve move --events unmap" \
		"--inject ignore-remap:0" "--events unmap --inject ignore-remap:0"; do
		# shellcheck disable=SC2086
		fbrun run --mode uffd-stock --size 4M $a --quiet --out "$T/b.json"
		expect_rc 2 "$a"
		grep -q -- '--events\|--inject ignore-remap' "$T/out" || fail "$a: message names no flag: $(cat "$T/out")"
		[ ! -e "$T/b.json" ] || fail "$a: wrote a result"
	done
	# the help names it
	fbrun run --help
	grep -q -- '--events LIST' "$T/out" || fail "run --help has no --events"
}
