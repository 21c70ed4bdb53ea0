# Bad input: exit 2, a message naming the flag and what it accepts, and
# nothing written or reserved.

bad() { # "expected words" flags...
	local want=$1
	shift
	(cd "$T" && "$FB" run --out "$T/never.json" "$@" >"$T/out" 2>&1)
	RC=$?
	expect_rc 2 "faultbench run $*"
	for w in $want; do
		grep -qF -- "$w" "$T/out" || { cat "$T/out"; fail "message for '$*' lacks '$w'"; }
	done
	[ ! -e "$T/never.json" ] || fail "'$*' wrote a result"
	[ ! -e "$T/results" ] || fail "'$*' created results/"
}

t_unknown_flag() { bad "--bogus" --bogus; }
t_missing_value() { bad "--size" --size; }
t_positional() { bad "extra" extra; }
t_mode() { bad "--mode none, populate, uffd-stock" --mode nope; }
t_backing() { bad "--backing anon, thp, hugetlb, shmem, memfd" --backing disk; }
t_pin() { bad "--pin compact, scatter, none" --pin everywhere; }
t_access() { bad "--access write, read, read-then-write" --access exec; }
t_touch() { bad "--touch word, line, page" --touch bogus; }
t_uffd() { bad "--uffd shared, per-vcpu" --uffd many; }
t_wait() { bad "--wait poll, epoll, spin" --wait sleep; }
t_handler_cpus() { bad "--handler-cpus same, other, any 0,2-3" --handler-cpus near; }
t_handler_cpus_offline() { bad "--handler-cpus 4095 not online" --handler-cpus 0,4095; }
t_handler_cpus_backwards() { bad "--handler-cpus backwards" --handler-cpus 1-0; }
t_handler_cpus_unpinned_vcpus() { bad "--handler-cpus same --pin none" --mode uffd-stock --handler-cpus same --pin none; }
t_populate() { bad "--populate write, read" --populate both; }
t_latency() { bad "--latency on, off" --latency maybe; }
t_numa() { bad "--numa local, interleave, node:N" --numa far; }
t_workload() { bad "--workload seq, random, stride:N, zipf:THETA" --workload scan; }
t_workload_arg() { bad "--workload stride:N" --workload stride:0; }
t_vcpus_zero() { bad "--vcpus 1 4096" --vcpus 0; }
t_vcpus_huge() { bad "--vcpus" --vcpus 100000; }
t_vcpus_negative() { bad "--vcpus" --vcpus -3; }
t_size_suffix() { bad "--size" --size 12Q; }
t_size_overflow() { bad "--size" --size 99999999999999999999; }
t_size_overflow_suffix() { bad "--size" --size 18014398509481984K; }
t_size_per_vcpu_overflow() { bad "--size" --size 8T --per-vcpu --vcpus 4096 --allow-overcommit; }
t_size_beyond_ram() { bad "--allow-overcommit" --size 64T; }
t_hugetlb_size_multiple() { bad "--size 3M 2M" --backing hugetlb --size 3M; }
t_hugepage_size() { bad "--hugepage-size 2M, 1G" --hugepage-size 4M; }
t_zero_fraction() { bad "--zero-fraction" --zero-fraction 2; }
t_zero_fraction_nan() { bad "--zero-fraction" --zero-fraction nan; }
t_reps_zero() { bad "--reps" --reps 0; }
t_batch() { bad "--batch" --batch 5000; }
t_timeout() { bad "--fault-timeout" --fault-timeout 0; }
t_per_vcpu_and_overlap() { bad "--per-vcpu --overlap" --per-vcpu --overlap; }
t_handlers_and_readers() { bad "--handlers --readers" --handlers 2 --readers 2; }
t_handlers_divide() { bad "--handlers 3" --mode uffd-stock --uffd per-vcpu --vcpus 2 --handlers 3; }
t_overlap_per_vcpu_uffd() { bad "--uffd per-vcpu --overlap" --mode uffd-stock --uffd per-vcpu --overlap --vcpus 2; }
t_inject_kind() { bad "--inject corrupt-copy:PAGE" --inject explode:1; }
t_inject_page() { bad "--inject: page 99999999 is outside" --mode uffd-stock --inject corrupt-copy:99999999 --size 4M; }
t_inject_no_resolver() { bad "--inject: mode none resolves no faults" --mode none --inject corrupt-copy:1 --size 4M; }
t_slice_too_small() { bad "--size" --size 4K --vcpus 2; }
t_unknown_command() {
	"$FB" frobnicate >"$T/out" 2>&1; RC=$?
	expect_rc 2 "unknown command"
	grep -q "probe, run, validate" "$T/out" || fail "must list the commands"
}
t_probe_bad_flag() {
	"$FB" probe --yaml >"$T/out" 2>&1; RC=$?
	expect_rc 2 "probe --yaml"
	grep -q -- "--json" "$T/out" || fail "must list --json"
}
t_help_is_not_an_error() {
	"$FB" run --help >"$T/out" 2>&1; RC=$?
	expect_rc 0 "run --help"
	grep -q -- "--service-delay-us" "$T/out" || fail "help must list the flags"
	"$FB" run --mode help >"$T/out" 2>&1; RC=$?
	expect_rc 0 "--mode help"
	grep -q "uffd-stock" "$T/out" || fail "--mode help must list the modes"
}
t_harness_memory_bound() { bad "access sequences" --size 2T --vcpus 1 --per-vcpu --allow-overcommit --mode uffd-stock; }

# the table in README.md's Reliability section: every row must be exit 2
t_readme_table_inputs() {
	bash "$FB_ROOT/tests/bad_inputs.sh" "$FB" >"$T/table" 2>&1 || { cat "$T/table"; fail "a README bad input is not exit 2"; }
	grep -q '^[0-9]* inputs, [0-9]* rejected with exit 2$' "$T/table" || fail "no summary line"
}
