# Without root: what runs, what is skipped and why, and nothing half-done.
# Each test drops to nobody in a child (setpriv), as a user would run it.

# The situation the message is for: no privilege, the sysctl at 0,
# /dev/userfaultfd closed to nobody.
need_locked_uffd() {
	[ "$(cat /proc/sys/vm/unprivileged_userfaultfd 2>/dev/null)" = 0 ] ||
		skip "vm.unprivileged_userfaultfd is not 0 here"
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -r /dev/userfaultfd &&
		skip "nobody can open /dev/userfaultfd here"
	return 0
}

t_no_uffd_says_why_and_how_to_fix() {
	need_nobody
	need_locked_uffd
	# FAULTBENCH_TEST_NO_USER_MODE_ONLY: a kernel before 5.11, which has no
	# unprivileged way in at all
	as_nobody FAULTBENCH_TEST_NO_USER_MODE_ONLY=1 -- run --mode uffd-stock --size 4M --out "$T/r.json"
	expect_rc 77 "uffd-stock as nobody without userfaultfd"
	validate "$T/r.json"
	[ "$(jget "$T/r.json" .status.state)" = skipped ] || fail "not a skip"
	jget "$T/r.json" .status.reason >"$T/why"
	grep -q 'vm.unprivileged_userfaultfd=0' "$T/why" || fail "must name the sysctl: $(cat "$T/why")"
	grep -q '/dev/userfaultfd EACCES (file permissions)' "$T/why" || fail "must name /dev/userfaultfd: $(cat "$T/why")"
	grep -q 'fix: .*unprivileged_userfaultfd=1.*rw access to /dev/userfaultfd' "$T/why" ||
		fail "must say how to fix it: $(cat "$T/why")"
	grep -q 'UFFD_USER_MODE_ONLY' "$T/why" || fail "must mention UFFD_USER_MODE_ONLY"
	# every uffd mode says the same, none crashes or fails
	local m
	for m in zero-unreg wp-unpop memfault-exit; do
		as_nobody FAULTBENCH_TEST_NO_USER_MODE_ONLY=1 -- run --mode "$m" --size 4M --out "$T/$m.json"
		expect_rc 77 "$m as nobody without userfaultfd"
		jget "$T/$m.json" .status.reason | grep -q 'userfaultfd unavailable' || fail "$m: wrong reason"
	done
}

t_none_and_populate_run_without_uffd() {
	need_nobody
	local m
	for m in none populate; do
		as_nobody FAULTBENCH_TEST_NO_USER_MODE_ONLY=1 -- run --mode "$m" --size 8M --reps 1 --verify \
			--out "$T/$m.json"
		expect_rc 0 "$m as nobody"
		[ "$(jget "$T/$m.json" '.runs[-1].verify.ok')" = true ] || fail "$m not verified"
		[ "$(jq -r .host.root "$T/$m.json")" = false ] || fail "the result says root"
	done
}

t_user_mode_only_is_enough() {
	# with the sysctl at 0, UFFD_USER_MODE_ONLY (5.11+) still opens, and
	# every vCPU fault is a user-space one: the uffd modes run, verified
	need_nobody
	need_locked_uffd
	as_nobody -- probe --json
	[ "$(jq -r .userfaultfd.opened_with "$T/out")" = UFFD_USER_MODE_ONLY ] ||
		skip "UFFD_USER_MODE_ONLY does not open here: $(jq -c .userfaultfd "$T/out")"
	local m
	for m in uffd-stock zero-unreg wp-unpop memfault-exit; do
		as_nobody -- run --mode "$m" --size 8M --vcpus 2 --reps 1 --verify --out "$T/$m.json"
		expect_rc 0 "$m as nobody with UFFD_USER_MODE_ONLY"
		[ "$(jget "$T/$m.json" '.runs[-1].verify.ok')" = true ] || fail "$m not verified"
		[ "$(jget "$T/$m.json" .host.userfaultfd.opened_with)" = UFFD_USER_MODE_ONLY ] ||
			fail "$m: the result does not say how userfaultfd was opened"
	done
}

t_hugetlb_reservation_needs_root() {
	need_nobody
	local pool=/sys/kernel/mm/hugepages/hugepages-2048kB free
	[ -d "$pool" ] || skip "no 2 MiB hugetlb pool"
	free=$(cat "$pool/free_hugepages")
	[ "$free" -lt 8 ] || skip "the pool already has $free free pages: nothing to reserve"
	as_nobody FAULTBENCH_STATE_DIR="$T/state" -- run --mode uffd-stock --backing hugetlb --size 16M \
		--out "$T/r.json"
	expect_rc 77 "hugetlb as nobody with an empty pool"
	jget "$T/r.json" .status.reason | grep -q 'only root can raise vm.nr_hugepages' ||
		fail "must say it needs root: $(jq .status.reason "$T/r.json")"
	[ "$(jget "$T/r.json" .placement.hugepages_reserved)" = 0 ] || fail "says it reserved pages"
	[ ! -e "$T/state" ] || fail "a ledger was written for nothing"
	# and the pools are checked unchanged by fb_teardown
}
