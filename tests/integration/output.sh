# Result files: schema-valid, written whole or not at all, where asked.

t_default_path_under_results() {
	(cd "$T" && "$FB" run --mode none --size 4M --reps 1 --quiet) || fail "run failed"
	validate "$T/results/none-anon-1v-4M.json"
}

t_out_creates_directories() {
	fbrun run --mode none --size 4M --reps 1 --quiet --out "$T/a/b/c.json"
	expect_rc 0 "--out into new directories"
	validate "$T/a/b/c.json"
	ls "$T/a/b" | grep -q tmp && fail "temp file left behind"
	return 0
}

t_unwritable_out_fails_cleanly() {
	fbrun run --mode none --size 4M --reps 1 --quiet --out /proc/faultbench/x.json
	[ "$RC" -ne 0 ] || fail "writing under /proc must fail"
	grep -q -- "--out" "$T/out" || fail "the error must name --out"
}

t_probe_json_is_json() {
	"$FB" probe --json >"$T/p.json" || fail "probe --json failed"
	jq -e '.kernel.release and (.userfaultfd.features | type == "array") and (.modes | length > 0)' \
		"$T/p.json" >/dev/null || fail "probe --json lacks fields"
	"$FB" probe >"$T/p.txt" || fail "probe failed"
	grep -q "Modes × backings" "$T/p.txt" || fail "probe text lacks the mode table"
}

t_schema_rejects_a_broken_result() {
	local out=$T/r.json
	run_ok_or_skip "$out" --mode none --size 4M --reps 1 || return $?
	jq '.runs[0].aggregate.paging_rate_pps = "fast"' "$out" >"$T/bad1.json"
	jq 'del(.config.mode)' "$out" >"$T/bad2.json"
	jq '.status.state = "great"' "$out" >"$T/bad3.json"
	head -c 500 "$out" >"$T/bad4.json"
	for f in bad1 bad2 bad3 bad4; do
		"$FB" validate "$SCHEMA" "$T/$f.json" >"$T/v.out" 2>&1 && fail "$f passed validation"
	done
	"$FB" validate "$SCHEMA" "$T/bad1.json" 2>&1 | grep -q '/runs/0/aggregate/paging_rate_pps' ||
		fail "the error must give the path"
	return 0
}

t_skip_is_recorded() {
	# an impossible-here configuration still writes a schema-valid file with the reason
	local out=$T/r.json free
	free=$(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages 2>/dev/null || echo 0)
	[ "$free" = 0 ] || skip "1G pages are free here"
	fbrun run --mode none --backing hugetlb --hugepage-size 1G --size 4G --no-reserve-hugepages --out "$out"
	expect_rc 77 "no 1G pages"
	validate "$out"
	[ "$(jget "$out" '.runs | length')" = 0 ] || fail "a skipped run has no repetitions"
}
