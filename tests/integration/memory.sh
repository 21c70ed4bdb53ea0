# Memory: a run holds one guest's worth, is refused before it maps anything
# when that will not fit, and records what it held.

mem_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# A sanitizer's shadow memory is resident too, and goes with the guest's
# unmap: the RSS figures are the plain build's.
need_plain_rss() {
	case "${FB_BUILD:-build}" in
	build) ;;
	*) skip "a sanitizer's shadow memory is in the RSS ($FB_BUILD)" ;;
	esac
}

# A guest as large as all of RAM (a multiple of 2M) is within --size's limit
# but can never fit MemAvailable once page tables and the harness are added.
t_refused_beyond_memavailable() {
	local size=$(( $(mem_kb MemTotal) / 2048 * 2 ))M
	(cd "$T" && "$FB" run --mode uffd-stock --vcpus 2 --size "$size" --out "$T/never.json" \
		>"$T/out" 2>&1)
	RC=$?
	expect_rc 2 "--size $size (all of RAM)"
	for w in "--size $size" "--vcpus 2" needs "GiB" "MemAvailable is" "--allow-overcommit"; do
		grep -qF -- "$w" "$T/out" || { cat "$T/out"; fail "message lacks '$w'"; }
	done
	[ "$(wc -l <"$T/out")" -eq 1 ] || { cat "$T/out"; fail "one line, please"; }
	[ ! -e "$T/never.json" ] || fail "a refused run wrote a result"
}

# What the harness adds to a 1G guest: at most 2 % (it used to be 100 %, a
# full copy of the guest as the source image), measured from the process's
# peak RSS, and within the estimate made before the run.
t_harness_bytes_within_two_percent() {
	need_plain_rss
	[ "$(mem_kb MemAvailable)" -gt $((2 * 1024 * 1024)) ] || skip "needs 2 GiB of MemAvailable"
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-stock --vcpus 2 --size 1G --reps 2 --warmup 0 || return $?
	local guest harness rss peak needed est
	guest=$(jget "$out" .memory.guest_bytes)
	harness=$(jget "$out" .memory.harness_bytes)
	rss=$(jget "$out" .memory.guest_rss_bytes)
	peak=$(jget "$out" .memory.peak_rss_bytes)
	needed=$(jget "$out" .memory.needed_bytes)
	est=$(jget "$out" .memory.estimate.harness_bytes)
	[ "$guest" -eq $((1024 * 1024 * 1024)) ] || fail "guest_bytes $guest"
	# every page was written: the whole guest was resident
	[ "$rss" -ge $((guest * 99 / 100)) ] || fail "guest_rss_bytes $rss of $guest"
	[ "$harness" -gt 0 ] && [ "$harness" -eq $((peak - rss)) ] || fail "harness_bytes $harness, peak $peak, guest $rss"
	[ $((harness * 50)) -le "$guest" ] || fail "harness_bytes $harness is more than 2 % of $guest"
	[ "$needed" -ge $((guest + est)) ] || fail "needed_bytes $needed < guest + harness estimate"
	jq -e '[.runs[].verify.ok] | all' "$out" >/dev/null || fail "not verified"
}

# The modes that copy from the image keep only their pools: memfault-exit,
# where every vCPU resolves its own faults, too.
t_memfault_holds_pools_not_a_copy() {
	need_plain_rss
	local out=$T/r.json
	run_ok_or_skip "$out" --mode memfault-exit --exit bitmap --vcpus 2 --size 256M --reps 1 --warmup 0 || return $?
	local guest harness pools
	guest=$(jget "$out" .memory.guest_bytes)
	harness=$(jget "$out" .memory.harness_bytes)
	pools=$(jget "$out" .memory.estimate.pool_bytes)
	[ "$pools" -eq $((3 * 1024 * 1024)) ] || fail "pool_bytes $pools: one handler and two vCPUs, 1 MiB each"
	[ "$harness" -lt $((guest / 4)) ] || fail "harness_bytes $harness for a $guest guest: a copy of it?"
}

# hugetlb pages are in the pool, not in the RSS nor in what MemAvailable
# must supply.
t_hugetlb_guest_from_the_pool() {
	need_plain_rss
	[ -w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ] ||
		skip "needs root and a 2M hugetlb pool to change vm.nr_hugepages"
	local out=$T/r.json
	run_ok_or_skip "$out" --mode uffd-stock --backing hugetlb --size 256M --reps 1 --warmup 0 || return $?
	local guest hp needed rss
	guest=$(jget "$out" .memory.guest_bytes)
	hp=$(jget "$out" .memory.hugetlb_bytes)
	needed=$(jget "$out" .memory.needed_bytes)
	rss=$(jget "$out" .memory.guest_rss_bytes)
	[ "$hp" -eq "$guest" ] || fail "hugetlb_bytes $hp, guest $guest"
	[ "$needed" -lt "$guest" ] || fail "needed_bytes $needed counts the hugetlb guest"
	[ "$rss" -lt $((guest / 10)) ] || fail "guest_rss_bytes $rss: hugetlb pages are not RSS"
}

# A skipped run held nothing: no memory object.
t_skipped_run_has_no_memory() {
	local out=$T/r.json
	fbrun run --mode uffd-minor --backing anon --size 4M --quiet --out "$out"
	expect_rc 77 "uffd-minor on anon"
	validate "$out"
	[ "$(jq 'has("memory")' "$out")" = false ] || fail "a skipped run has a memory object"
}
