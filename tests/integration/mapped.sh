# The page size the kernel really mapped (runs[].mapped), the rates counted
# in it, and the rate until guest memory is usable (setup included).

# jq: a and b agree to 1e-8 (the file keeps 10 significant digits)
near() { printf '(((%s) - (%s)) | fabs) <= 1e-8 * ([(%s), (%s)] | map(fabs) | max)' "$1" "$2" "$1" "$2"; }

# THP the way the thp backing needs it, or a skip saying why not
need_thp() {
	local f=/sys/kernel/mm/transparent_hugepage/enabled
	[ -r "$f" ] || skip "no transparent huge pages on this kernel ($f missing)"
	grep -q '\[never\]' "$f" && skip "THP is disabled ($f = never)"
	return 0
}

# a run that asked for 2M pages, got 4K PTEs, and says so everywhere
t_wp_unpop_on_thp_maps_base_pages() {
	need_thp
	local out=$T/wp.json
	run_ok_or_skip "$out" --mode wp-unpop --backing thp --size 64M --reps 2 --warmup 0 || return $?
	jq -e '.runs | all(.mapped.method != "none" and .mapped.huge_fraction == 0 and .mapped.huge_short
		and .mapped.rate_unit == "4K" and .mapped.rate_page_bytes == 4096
		and .mapped.huge_bytes == 0 and .mapped.base_bytes == 4096 * .aggregate.touched_pages)' \
		"$out" >/dev/null || fail "mapped: $(jq -c '.runs[0].mapped' "$out")"
	# one 4K page per first touch: GiB/s from 4K, not from the 2M asked
	jq -e ".runs | all(.aggregate | $(near '.paging_rate_gibps' '.paging_rate_pps * 4096 / 1073741824'))" \
		"$out" >/dev/null || fail "GiB/s not from 4K pages: $(jq -c '.runs[0].aggregate' "$out")"
	jq -e '.summary.mapped_huge_fraction.median == 0' "$out" >/dev/null || fail "summary huge fraction"
	# the summary line says it too
	"$FB" run --mode wp-unpop --backing thp --size 64M --reps 1 --warmup 0 --out "$T/wp2.json" >"$T/line" 2>&1 ||
		fail "second run: $(cat "$T/line")"
	grep -q 'asked for 2M pages, kernel mapped 0% huge; rates per 4K page' "$T/line" ||
		fail "summary line: $(cat "$T/line")"
}

t_none_on_thp_maps_huge_pages() {
	need_thp
	local out=$T/none.json
	run_ok_or_skip "$out" --mode none --backing thp --size 64M --reps 2 --warmup 0 || return $?
	jq -e '.runs | all(.mapped.method != "none" and .mapped.huge_fraction > 0.9)' "$out" >/dev/null ||
		fail "THP is on, yet the kernel mapped $(jq -c '[.runs[].mapped.huge_fraction]' "$out") huge"
	# all huge: rates in 2M pages, as asked
	jq -e '.runs | all(.mapped.huge_fraction < 1 or (.mapped.rate_unit == "2M" and (.mapped.huge_short | not)))' \
		"$out" >/dev/null || fail "unit: $(jq -c '.runs[0].mapped' "$out")"
	jq -e ".runs | all(.mapped.huge_fraction < 1 or (.aggregate | $(near '.paging_rate_gibps' '.paging_rate_pps * 2097152 / 1073741824')))" \
		"$out" >/dev/null || fail "GiB/s: $(jq -c '.runs[0].aggregate' "$out")"
}

# UFFDIO_COPY fills an anon THP range with 4K PTEs: 512 per 2M touched
t_uffd_copy_on_thp_counts_4k_pages() {
	need_thp
	local out=$T/u.json
	run_ok_or_skip "$out" --mode uffd-stock --backing thp --size 32M --reps 1 --warmup 0 || return $?
	jq -e '.runs[0].mapped | .huge_fraction == 0 and .rate_unit == "4K" and .base_bytes == 32 * 1048576' \
		"$out" >/dev/null || fail "mapped: $(jq -c '.runs[0].mapped' "$out")"
	jq -e ".runs[0].aggregate | $(near '.paging_rate_pps' '512 * .pages / .seconds') and
		$(near '.paging_rate_gibps' '.pages * 2097152 / .seconds / 1073741824')" "$out" >/dev/null ||
		fail "rates: $(jq -c '.runs[0].aggregate' "$out")"
}

t_hugetlb_maps_huge_pages() {
	local out=$T/h.json
	run_ok_or_skip "$out" --mode none --backing hugetlb --size 32M --reps 1 --warmup 0 || return $?
	jq -e '.runs[0].mapped | .huge_fraction == 1 and .huge_bytes == 32 * 1048576 and .base_bytes == 0
		and .rate_unit == "2M" and (.huge_short | not)' "$out" >/dev/null ||
		fail "mapped: $(jq -c '.runs[0].mapped' "$out")"
	# as before: one 2M page per touch
	jq -e ".runs[0].aggregate | $(near '.paging_rate_pps' '.pages / .seconds') and
		$(near '.paging_rate_gibps' '.paging_rate_pps * 2097152 / 1073741824')" "$out" >/dev/null ||
		fail "rates: $(jq -c '.runs[0].aggregate' "$out")"
}

# 4K pages asked and mapped: the rates mean what they always meant, and
# overlapping vCPUs still count each one's first touches
t_base_pages_keep_their_rates() {
	local out=$T/a.json
	run_ok_or_skip "$out" --mode none --size 16M --vcpus 2 --overlap --reps 1 --warmup 0 || return $?
	jq -e '.runs[0].mapped | .huge_fraction == 0 and .rate_unit == "4K" and (.huge_short | not)
		and .pages_present == .pages_measured' "$out" >/dev/null ||
		fail "mapped: $(jq -c '.runs[0].mapped' "$out")"
	jq -e '.runs[0].aggregate | .pages == 2 * .touched_pages' "$out" >/dev/null ||
		fail "overlap: pages must count per vCPU"
	jq -e ".runs[0].aggregate | $(near '.paging_rate_pps' '.pages / .seconds') and
		$(near '.paging_rate_gibps' '.paging_rate_pps * 4096 / 1073741824')" "$out" >/dev/null ||
		fail "rates: $(jq -c '.runs[0].aggregate' "$out")"
	jq -e ".runs[0].vcpus | all($(near '.paging_rate_pps' '.pages / .seconds'))" "$out" >/dev/null ||
		fail "per-vCPU rates: $(jq -c '.runs[0].vcpus' "$out")"
}

# The usable rate counts the populate: it takes more time, so it is lower
t_populate_usable_rate_includes_setup() {
	local out=$T/p.json par=$T/pp.json
	run_ok_or_skip "$out" --mode populate --size 64M --reps 2 --warmup 0 || return $?
	jq -e ".runs | all(.aggregate.setup_seconds >= .setup.populate_seconds and
		.aggregate.setup_seconds > 0 and
		.aggregate.paging_rate_usable_pps < .aggregate.paging_rate_pps and
		.aggregate.paging_rate_usable_gibps < .aggregate.paging_rate_gibps and
		(.aggregate | $(near '.usable_seconds' '.setup_seconds + .seconds')) and
		(.aggregate | $(near '.paging_rate_usable_pps' '.pages / .usable_seconds')))" "$out" >/dev/null ||
		fail "usable: $(jq -c '.runs[0].aggregate, .runs[0].setup' "$out")"
	jq -e '.summary.paging_rate_usable_pps.median < .summary.paging_rate_pps.median' "$out" >/dev/null ||
		fail "summary: usable rate not below the touch-only rate"
	# parallel populate happens on the vCPUs before the barrier: setup too
	run_ok_or_skip "$par" --mode populate --size 64M --vcpus 2 --populate-parallel --reps 1 --warmup 0 ||
		return $?
	jq -e '.runs[0] | .aggregate.setup_seconds >= .setup.populate_seconds and .setup.populate_seconds > 0
		and ([.vcpus[].prepare_seconds] | max) <= .aggregate.setup_seconds' "$par" >/dev/null ||
		fail "parallel: $(jq -c '.runs[0].aggregate, .runs[0].setup' "$par")"
}

# wp-unpop's write-protect of the empty region is setup the user waits for
t_writeprotect_counts_as_setup() {
	local out=$T/w.json
	run_ok_or_skip "$out" --mode wp-unpop --size 16M --reps 1 --warmup 0 || return $?
	jq -e '.runs[0] | .aggregate.setup_seconds >= .mode_data.writeprotect_seconds + .setup.register_seconds
		and .aggregate.paging_rate_usable_pps < .aggregate.paging_rate_pps' "$out" >/dev/null ||
		fail "setup: $(jq -c '.runs[0].aggregate, .runs[0].mode_data.writeprotect_seconds' "$out")"
}

# files from before `mapped` existed still validate and report
t_old_files_still_load() {
	local d=$FB_ROOT/tests/fixtures/results-small
	jq -e '[.runs[] | has("mapped")] | any | not' "$d"/rate-none-anon-1v-2M.json >/dev/null ||
		skip "the fixture has mapped already"
	for f in "$d"/*-*.json; do
		[ "$(jq -r .schema.name "$f")" = faultbench-result ] && validate "$f"
	done
	cp -r "$d" "$T/set"
	fbrun report "$T/set"
	expect_rc 0 "report of files without mapped"
}
