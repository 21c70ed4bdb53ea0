# Huge pages: reserved only when needed, given back on every exit path, and a
# skip with the reason when the kernel will not give enough.

hp_nr() { cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages; }

need_root_hugetlb() {
	[ -w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ] ||
		skip "needs root and a 2M hugetlb pool to change vm.nr_hugepages"
}

t_reserves_and_gives_back() {
	need_root_hugetlb
	local before out=$T/r.json
	before=$(hp_nr)
	run_ok_or_skip "$out" --mode none --backing hugetlb --size 64M --reps 2 || return $?
	[ "$(hp_nr)" = "$before" ] || fail "nr_hugepages $(hp_nr), was $before"
	local reserved free
	reserved=$(jget "$out" .placement.hugepages_reserved)
	free=$(jget "$out" '.host.hugetlb[] | select(.page_bytes == 2097152) | .free')
	# it reserved exactly the deficit
	[ $((free + reserved)) -ge 32 ] || fail "reserved $reserved with $free free, needed 32"
}

t_short_grant_skips_and_restores() {
	need_root_hugetlb
	local before out=$T/r.json
	before=$(hp_nr)
	# the kernel is allowed to grant only 3 pages in all: 16 are needed
	FAULTBENCH_TEST_HUGETLB_CAP=$((before + 3)) "$FB" run --mode uffd-stock --backing hugetlb \
		--size 32M --reps 1 --out "$out" >"$T/out" 2>&1
	RC=$?
	[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)" -ge 16 ] &&
		[ "$before" -ge 16 ] && skip "the pool already has 16 free pages"
	expect_rc 77 "a short grant"
	validate "$out"
	[ "$(jget "$out" .status.state)" = skipped ] || fail "state must be skipped"
	jget "$out" .status.reason | grep -q 'could reserve only' || fail "reason: $(jq .status.reason "$out")"
	[ "$(hp_nr)" = "$before" ] || fail "nr_hugepages $(hp_nr), was $before"
}

t_no_reserve_skips_with_reason() {
	local out=$T/r.json free
	free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
	[ "$free" -lt 512 ] || skip "the pool has $free free pages already"
	fbrun run --mode none --backing hugetlb --size 1G --no-reserve-hugepages --out "$out"
	expect_rc 77 "--no-reserve-hugepages with an empty pool"
	jget "$out" .status.reason | grep -q 'no-reserve-hugepages' || fail "reason must name the flag"
}

t_sigterm_mid_run_restores() { killed_mid_run_restores TERM; }
# a crash (here a SIGSEGV from outside) gives the pages back, then dies of it
t_sigsegv_mid_run_restores() {
	killed_mid_run_restores SEGV
	[ "$RC" -eq 139 ] || fail "a SIGSEGV must still kill the process (exit $RC, expected 139)"
}

killed_mid_run_restores() { # signal
	need_root_hugetlb
	local before pid i
	ulimit -c 0 # a crash on purpose leaves no core file behind
	before=$(hp_nr)
	# slow on purpose: 1 ms per fault, 64 faults per rep, many reps
	"$FB" run --mode uffd-stock --backing hugetlb --size 128M --service-delay-us 1000 \
		--reps 1000 --out "$T/r.json" >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		[ "$(hp_nr)" != "$before" ] && break
		sleep 0.05
	done
	[ "$(hp_nr)" != "$before" ] || { kill $pid; skip "could not observe a reservation"; }
	sleep 0.3
	kill -"$1" $pid
	wait $pid
	RC=$?
	[ "$RC" -ne 0 ] || fail "a killed run must not exit 0"
	[ "$(hp_nr)" = "$before" ] || fail "after SIG$1 nr_hugepages is $(hp_nr), was $before"
	if [ "$1" = TERM ]; then
		# a stop: what finished is kept, whole, and marked (interrupt.sh has more)
		validate "$T/r.json"
		[ "$(jget "$T/r.json" .status.state)" = interrupted ] || fail "not marked interrupted"
	else
		[ ! -e "$T/r.json" ] || fail "a crashed run left a result file"
	fi
	ls "$T" | grep -q tmp && fail "a killed run left a temp file"
	return 0
}
