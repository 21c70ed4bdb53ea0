# The report's rates: the usable rate (setup plus touch) in the rate table
# and plots, the touch-only rate in its own table, and the marker and
# footnote of a run that asked for huge pages and got fewer.
source "${FB_ROOT:-$PWD}/tests/report_lib.sh"

# mapped FRACTION SHORT: a runs[].mapped object for a 2M run of the fixture
mapped_jq() {
	printf '{method: "pagemap_scan", reason: null, page_bytes: 2097152,
		huge_bytes: (%s * 2097152 | floor), base_bytes: ((1 - %s) * 2097152 | floor),
		huge_fraction: %s, pages_measured: 1, pages_present: 1, huge_short: %s,
		rate_page_bytes: (if %s then 4096 else 2097152 end), rate_unit: (if %s then "4K" else "2M" end)}' \
		"$1" "$1" "$1" "$2" "$2" "$2"
}

# The fixture made into a 2M experiment: none got its huge pages and has a
# usable rate (half its touch-only rate); uffd-stock got none and comes
# from a version without setup time. Needs no kernel feature.
t_report_fixture_marks_and_usable_rate() {
	local v f csv tcsv want got md
	mkdir "$T/set"
	for v in 1 2; do
		jq ".config.page_bytes = 2097152 | .runs[] |= (.mapped = $(mapped_jq 1 false)
			| .aggregate.paging_rate_usable_gibps = .aggregate.paging_rate_gibps / 2
			| .aggregate.paging_rate_usable_pps = .aggregate.paging_rate_pps / 2
			| .aggregate.setup_seconds = .aggregate.seconds
			| .aggregate.usable_seconds = 2 * .aggregate.seconds
			| .setup.populate_seconds = .aggregate.seconds)" \
			"$FIXTURE/rate-none-anon-${v}v-2M.json" >"$T/set/none-$v.json"
		jq ".config.page_bytes = 2097152 | .runs[] |= (.mapped = $(mapped_jq 0 true))" \
			"$FIXTURE/rate-uffd-stock-anon-${v}v-2M.json" >"$T/set/uffd-$v.json"
		validate "$T/set/none-$v.json"
		validate "$T/set/uffd-$v.json"
	done
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	md=$T/rep/tables/rate-vs-vcpus-anon-2M.md
	csv=${md%.md}.csv
	tcsv=$T/rep/tables/touch-rate-vs-vcpus-anon-2M.csv
	[ -s "$md" ] && [ -s "$tcsv" ] || { ls "$T/rep/tables"; fail "rate tables"; }
	for v in 1 2; do
		# usable rate where the file has it, touch-only where it has not
		want=$(jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not)
			| .aggregate.paging_rate_usable_gibps] | median' "$T/set/none-$v.json")
		near "$(csv_get "$csv" "none median_gibps" "$v")" "$want" || fail "none usable at $v: want $want"
		want=$(jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not)
			| .aggregate.paging_rate_gibps] | median' "$T/set/none-$v.json")
		near "$(csv_get "$tcsv" "none median_gibps" "$v")" "$want" || fail "none touch-only at $v"
		want=$(jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not)
			| .aggregate.paging_rate_gibps] | median' "$T/set/uffd-$v.json")
		near "$(csv_get "$csv" "uffd-stock median_gibps" "$v")" "$want" || fail "uffd-stock fallback at $v"
		# the marker on uffd-stock's cell, not on none's
		got=$(grep "^| $v |" "$md")
		echo "$got" | grep -Eq '^\| [0-9]+ \| [^|‡]+ \| [^|]+‡ \[' || fail "markers at $v: $got"
	done
	grep -q '^‡ uffd-stock: asked for 2M pages; the kernel mapped 0 % of the touched memory huge (vCPUs: 1, 2), so this rate counts 4K pages' \
		"$md" || { cat "$md"; fail "huge footnote"; }
	grep -q 'uffd-stock: touch time only (results of a version that did not record setup time)' "$md" ||
		fail "fallback footnote"
	grep -q 'rate = pages over setup plus touch time, the setup being none: populate; uffd-stock: no setup' "$md" &&
		fail "a column without setup time was given a setup"
	grep -q 'rate = pages over setup (populate) plus touch time' "$md" || { head -1 "$md"; fail "caption time"; }
	grep -q '^Touch-only throughput vs vCPUs: .*setup left out' "${tcsv%.csv}.md" || fail "touch-only caption"
	grep -q '\$\^\\ddagger\$' "${md%.md}.tex" || fail "marker not in LaTeX"
	grep -q '^| uffd-stock‡ | 1 |' "$T/rep/tables/latency-anon-2M.md" || fail "latency marker"
	grep -q '^| none | 1 |' "$T/rep/tables/latency-anon-2M.md" || fail "latency: none marked"
	grep -q 'so a first touch here mapped 4K pages, not one 2M page' \
		"$T/rep/tables/latency-anon-2M.md" || fail "latency footnote"
	# the plot's legend carries the marker too
	grep -q '"uffd-stock ‡"' "$T/rep/plots/data/rate-vs-vcpus-anon-2M.dat" || fail "plot legend"
}

# Files from before either figure existed: touch-only rates, no marker.
t_report_old_files_no_marker() {
	fbrun report "$FIXTURE" --out "$T/rep" --quiet
	expect_rc 0 "report of the fixture"
	if grep -l '‡' "$T/rep/tables/"*.md; then
		fail "a marker on files without mapped"
	fi
	grep -q 'touch time only (results of a version that did not record setup time)' \
		"$T/rep/tables/rate-vs-vcpus-anon-2M.md" || fail "no fallback footnote"
	# every caption says the image's zeros, the default too
	grep -q '^Paging rate until memory is usable vs vCPUs: anon 4K pages, 2M in all, seq write, no zero pages\.' \
		"$T/rep/tables/rate-vs-vcpus-anon-2M.md" || fail "zero fraction not in the caption"
}

# A real run: wp-unpop on thp maps 4K pages and its cell says so; none on
# thp got its huge pages and carries no marker.
t_report_wp_unpop_thp_marked() {
	need_thp
	mkdir "$T/set"
	run_ok_or_skip "$T/set/wp.json" --mode wp-unpop --backing thp --size 32M --reps 1 --warmup 0 ||
		return $?
	run_ok_or_skip "$T/set/none.json" --mode none --backing thp --size 32M --reps 1 --warmup 0 ||
		return $?
	jq -e '.runs[0].mapped.huge_short' "$T/set/wp.json" >/dev/null ||
		fail "wp-unpop not short: $(jq -c .runs[0].mapped "$T/set/wp.json")"
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	md=$T/rep/tables/rate-at-1-vcpu-thp-32M.md
	[ -s "$md" ] || { ls "$T/rep/tables"; fail "no rate table"; }
	grep -q '^‡ wp-unpop: asked for 2M pages; the kernel mapped 0 % of the touched memory huge (vCPUs: 1), so this rate counts 4K pages' \
		"$md" || { cat "$md"; fail "footnote"; }
	grep -Eq '^\| 1 \| [^|]+ \| [^|]+‡ \[' "$md" || { cat "$md"; fail "wp-unpop cell not marked"; }
	if jq -e '.runs[0].mapped.huge_short' "$T/set/none.json" >/dev/null; then
		skip "none on thp got $(jq .runs[0].mapped.huge_fraction "$T/set/none.json") of its memory huge here"
	fi
	grep -Eq '^\| 1 \| [^|‡]+ \|' "$md" || { cat "$md"; fail "none marked"; }
	grep -q '‡ none' "$md" && fail "a footnote for none"
	return 0
}
