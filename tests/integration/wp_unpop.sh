# wp-unpop: WP_ASYNC + WP_UNPOPULATED dirty tracking, rounds of
# write / PAGEMAP_SCAN + re-protect, each checked exact; no uffd message ever.
# And `faultbench wpcost`: the reference's protect-cost table.

wu_validate_mode_data() { # result.json
	jq '{"$defs": ."$defs", "$ref": "#/$defs/mode_data_wp_unpop"}' "$SCHEMA" >"$T/md.schema.json"
	jq '.runs[0].mode_data' "$1" >"$T/md.json"
	"$FB" validate "$T/md.schema.json" "$T/md.json" || fail "mode_data does not match \$defs/mode_data_wp_unpop"
}

wu_case() { # backing extra-flags...
	local b=$1 out=$T/r.json size=16M
	shift
	case $b in thp | hugetlb | memfd-hugetlb) size=64M ;; esac
	run_ok_or_skip "$out" --mode wp-unpop --backing "$b" --size "$size" --vcpus 2 --reps 2 --warmup 0 \
		--verify --wp-rounds 4 "$@" || return $?
	wu_validate_mode_data "$out"
	jq -e '[.runs[] | .verify.ok and .counters.uffd_msgs == 0 and .counters.uffd_events == 0
		and .counters.copy_ioctls == 0 and .mode_data.rounds_done == 4 and .mode_data.all_exact
		and .mode_data.residual_checked and .mode_data.residual_dirty_pages == 0
		and .mode_data.wp_unpopulated_effective
		and ([.mode_data.rounds[] | .exact and .lost_pages == 0 and .extra_pages == 0] | all)
		and ([.mode_data.rounds[1:][] | .expected_pages > 0 and .write_ns > 0] | all)] | all' "$out" >/dev/null ||
		fail "$b: $(jq -c '.runs[0] | {counters, md: (.mode_data | del(.features))}' "$out")"
}

t_anon() { wu_case anon; }
t_thp() { wu_case thp; }
t_shmem() { wu_case shmem; }
t_memfd() { wu_case memfd; }
t_hugetlb() { wu_case hugetlb --hugepage-size 2M; }
t_memfd_hugetlb() { wu_case memfd-hugetlb --hugepage-size 2M; }
t_random_read_then_write() { wu_case anon --workload random --access read-then-write; }
t_zipf_revisits() { wu_case anon --workload zipf:0.99; }

t_round0_is_the_vcpus_writes() {
	# round 0 reports exactly the pages the vCPUs wrote: all of them with
	# writes, none with reads (a read of a marker maps a protected page)
	wu_case anon || return $?
	[ "$(jget "$T/r.json" '.runs[0].mode_data.rounds[0].expected_pages')" = 4096 ] || fail "round 0 must expect 4096"
	wu_case anon --access read || return $?
	jq -e '.runs[0].mode_data.rounds[0] | .expected_pages == 0 and .dirty_pages == 0' "$T/r.json" >/dev/null ||
		fail "reads dirtied pages: $(jq -c '.runs[0].mode_data.rounds[0]' "$T/r.json")"
}

t_one_round() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode wp-unpop --size 8M --reps 1 --warmup 0 --wp-rounds 1 || return $?
	jq -e '.runs[0].mode_data | .rounds_done == 1 and .all_exact and (.rounds | length) == 1' "$out" >/dev/null ||
		fail "$(jq -c '.runs[0].mode_data' "$out")"
}

t_matrix_counts_no_messages() {
	# the matrix skips its resolve check when uffd_msgs is 0: make sure that
	# is because the kernel filled every page, not because nothing ran
	local out=$T/r.json
	run_ok_or_skip "$out" --mode wp-unpop --size 16M --vcpus 2 --reps 1 --warmup 0 || return $?
	jq -e '.runs[0] | .counters.uffd_msgs == 0 and .aggregate.touched_pages == 4096
		and .fault_lat_ns.count == 4096 and .rusage.minflt >= 4096' "$out" >/dev/null ||
		fail "$(jq -c '.runs[0] | {counters, aggregate, rusage}' "$out")"
}

# ---- faultbench wpcost ----------------------------------------------------

t_wpcost_output() {
	local out=$T/wc.json schema=${FB_ROOT:-$PWD}/results/schema-wpcost.json
	fbrun wpcost --size 64M --reps 2 --out "$out"
	if [ "$RC" -eq 77 ]; then
		"$FB" validate "$schema" "$out" || fail "skip output does not match schema-wpcost.json"
		skip "$(jq -r .status.reason "$out")"
	fi
	expect_rc 0 "faultbench wpcost"
	"$FB" validate "$schema" "$out" || fail "$out does not match results/schema-wpcost.json"
	[ "$(jget "$out" '.results | length')" = 8 ] || fail "expected 2 THP settings x 4 ways"
	for w in default preread populate unpopulated; do
		jq -e --arg w "$w" '[.results[] | select(.way == $w)] | length == 2' "$out" >/dev/null ||
			fail "way $w missing"
		grep -q "| off | $w |" "$T/out" || fail "table row for THP off, $w missing"
	done
	jq -e '[.results[] | select(.state == "ok") | (.reps | length) == 2] | all' "$out" >/dev/null ||
		fail "each way that ran has 2 reps"
	# what physics demands, THP off: faulting 16K pages in costs more than
	# protecting an empty range; markers and pre-faulted ptes need page
	# tables, an empty protect none
	jq -e '[.results[] | select(.thp == "off" and .state == "ok") | {key: .way, value: .median}] | from_entries
		| (.preread.total_us > .default.total_us) and (.populate.total_us > .default.total_us)
		and (.preread.prefault_us > .default.prefault_us)
		and (.unpopulated.vmpte_delta_kib > .default.vmpte_delta_kib)
		and (.preread.vmpte_delta_kib > .default.vmpte_delta_kib)' "$out" >/dev/null ||
		fail "orderings: $(jq -c '[.results[] | {thp, way, median}]' "$out")"
}

t_wpcost_one_way_thp_off() {
	local out=$T/wc.json
	fbrun wpcost --size 8M --thp off --ways unpopulated --out "$out" --quiet
	[ "$RC" -eq 77 ] && skip "$(jq -r .status.reason "$out")"
	expect_rc 0 "wpcost --ways unpopulated --thp off"
	jq -e '.results | length == 1 and .[0].way == "unpopulated" and .[0].thp == "off"' "$out" >/dev/null ||
		fail "$(jq -c .results "$out")"
	[ "$(jget "$out" .config.size_rule)" = "--size" ] || fail "size_rule"
}

t_wpcost_bad_flags() {
	local args
	while IFS='|' read -r flag args; do
		# shellcheck disable=SC2086
		fbrun wpcost $args --out "$T/x.json"
		expect_rc 2 "wpcost $args"
		grep -q -- "$flag" "$T/out" || { cat "$T/out"; fail "wpcost $args: message must name $flag"; }
		[ ! -e "$T/x.json" ] || fail "bad input must not write a result"
	done <<-EOF
	--thp|--thp maybe
	--size|--size 3M
	--size|--size lots
	--reps|--reps 0
	--reps|--reps
	--ways|--ways default,foo
	--ways|--ways preread,preread
	--bogus|--bogus
	EOF
}
