# faultbench suite / report / compare: suite files, result sets, tables,
# plots, interruption. The report's numbers are checked against the
# checked-in fixture (tests/fixtures/results-small), recomputed with jq.
source "${FB_ROOT:-$PWD}/tests/report_lib.sh"
INDEX_SCHEMA=${FB_ROOT:-$PWD}/results/schema-suite-index.json

t_parse_errors_name_file_line_field() {
	printf '# bad\n[m]\nmode: none\nsise: 4M\n' >"$T/a.suite"
	fbrun suite "$T/a.suite" --list
	expect_rc 2 "unknown field"
	grep -q "$T/a.suite:4: field 'sise': unknown field" "$T/out" || { cat "$T/out"; fail "unknown field: no file:line:field"; }

	printf '[m]\nmode: none\nsize: 64M 3X\n' >"$T/b.suite"
	fbrun suite "$T/b.suite"
	expect_rc 2 "bad size"
	grep -q "$T/b.suite:3: field 'size': --size: '3X'" "$T/out" || { cat "$T/out"; fail "bad value: no file:line:field"; }

	printf '[m]\nmode: none\noverlap: perhaps\n' >"$T/c.suite"
	fbrun suite "$T/c.suite"
	expect_rc 2 "bad yes/no"
	grep -q "$T/c.suite:3: field 'overlap'" "$T/out" || { cat "$T/out"; fail "bad flag value"; }

	printf '[m]\nmode: none not-a-mode\n' >"$T/d.suite"
	fbrun suite "$T/d.suite"
	expect_rc 2 "unknown mode"
	grep -q "$T/d.suite:2: field 'mode'" "$T/out" || { cat "$T/out"; fail "unknown mode"; }

	fbrun suite no-such-suite
	expect_rc 2 "missing suite"
	grep -q "no suite named 'no-such-suite'" "$T/out" || fail "missing suite not named"
}

t_shipped_suites_list() {
	local s modes m
	for s in quick ci paper; do
		fbrun suite "$s" --list
		expect_rc 0 "suite $s --list"
		grep -q "^# suite $s " "$T/out" || fail "$s: no header"
	done
	# quick runs every mode of this build, without naming them
	fbrun suite quick --list
	modes=$("$FB" run --mode help | awk 'NR > 1 { print $1 }')
	for m in $modes; do
		grep -q -- "--mode $m " "$T/out" || fail "quick does not run mode $m"
	done
}

t_tiny_suite_end_to_end() {
	local f n
	cat >"$T/tiny.suite" <<-'EOF'
	suite: tiny
	reps: 2
	warmup: 0
	size: 4M
	[m]
	mode: none uffd-stock not-in-this-build?
	[other]
	command: no-such-command
	EOF
	fbrun suite "$T/tiny.suite" --out "$T/set"
	expect_rc 0 "tiny suite"
	# not a terminal: one plain line per configuration
	n=$(grep -cE '^\[[0-9]/4\] ' "$T/out")
	[ "$n" -eq 4 ] || { cat "$T/out"; fail "$n progress lines, expected 4"; }
	"$FB" validate "$INDEX_SCHEMA" "$T/set/index.json" || fail "index.json does not match its schema"
	[ "$(jget "$T/set/index.json" .state)" = complete ] || fail "state not complete"
	[ "$(jget "$T/set/index.json" .counts.ok)" = 2 ] || fail "ok count"
	[ "$(jget "$T/set/index.json" .counts.skipped)" = 2 ] || fail "skipped count"
	jget "$T/set/index.json" '.host.fingerprint' >/dev/null
	jq -e '.configurations[] | select(.id == "m-not-in-this-build-anon-1v-4M")
		| .state == "skipped" and (.reason | test("not in this build")) and .file == null' \
		"$T/set/index.json" >/dev/null || fail "optional mode not skipped with a reason"
	jq -e '.configurations[] | select(.command == "no-such-command")
		| .state == "skipped" and (.reason | test("no .no-such-command. command"))' \
		"$T/set/index.json" >/dev/null || fail "unknown command not skipped with a reason"
	for f in $(jq -r '.configurations[] | select(.file) | .file' "$T/set/index.json"); do
		validate "$T/set/$f"
		[ "$(jget "$T/set/$f" .config.reps)" = 2 ] || fail "$f: suite reps not applied"
	done
	ls "$T/set" | grep -q '\.log$' && fail "logs kept for configurations that did not fail"

	fbrun suite "$T/tiny.suite" --out "$T/set2" --quiet
	expect_rc 0 "quiet"
	[ ! -s "$T/out" ] || { cat "$T/out"; fail "--quiet printed something"; }
	fbrun suite "$T/tiny.suite" --out "$T/set2"
	expect_rc 2 "reusing a result set directory"

	fbrun report "$T/set" --out "$T/rep"
	expect_rc 0 "report of the tiny set"
	[ -s "$T/rep/index.md" ] && [ -s "$T/rep/index.html" ] || fail "no index"
	[ -s "$T/rep/tables/rate-at-1-vcpu-anon-4M.csv" ] || { ls "$T/rep/tables"; fail "no rate table"; }
}

# A mode from `mode: all` that refuses a combination is skipped, the rest run.
t_wildcard_refusal_skipped() {
	printf '[m]\nmode: all\nuffd: per-vcpu\noverlap: yes\nvcpus: 2\nsize: 4M\nreps: 1\nwarmup: 0\n' >"$T/w.suite"
	fbrun suite "$T/w.suite" --out "$T/set"
	expect_rc 0 "wildcard suite"
	jq -e '.configurations[] | select(.id == "m-uffd-stock-anon-2v-4M")
		| .state == "skipped" and (.reason | test("does not take this configuration"))' \
		"$T/set/index.json" >/dev/null || fail "uffd-stock's refusal not recorded as a skip"
	[ "$(jq -r '.configurations[] | select(.id == "m-none-anon-2v-4M") | .state' "$T/set/index.json")" = ok ] ||
		fail "mode none did not run"
}

t_report_fixture_numbers() {
	local v col want got csv lat
	fbrun report "$FIXTURE" --out "$T/rep" --quiet
	expect_rc 0 "report of the fixture"
	csv=$T/rep/tables/rate-vs-vcpus-anon-2M.csv
	[ -s "$csv" ] || { ls "$T/rep/tables"; fail "no rate-vs-vcpus-anon-2M table"; }
	for v in 1 2; do
		for col in none uffd-stock; do
			f=$FIXTURE/rate-$col-anon-${v}v-2M.json
			want=$(jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not) | .aggregate.paging_rate_pps]
				| median / 1000' "$f")
			got=$(csv_get "$csv" "$col median_kpps" "$v")
			near "$got" "$want" || fail "$col at $v vCPUs: table says '$got', results say $want"
			# and the result's own summary agrees
			near "$got" "$(jq '.summary.paging_rate_pps.median / 1000' "$f")" || fail "summary differs"
			want=$(jq '[.runs[] | select(.warmup | not) | .aggregate.paging_rate_pps] | min / 1000' "$f")
			near "$(csv_get "$csv" "$col min_kpps" "$v")" "$want" || fail "$col min at $v"
			want=$(jq '[.runs[] | select(.warmup | not) | .aggregate.paging_rate_pps] | max / 1000' "$f")
			near "$(csv_get "$csv" "$col max_kpps" "$v")" "$want" || fail "$col max at $v"
			lat=$(jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not) | .fault_lat_ns.p99] | median / 1000' "$f")
			got=$(awk -F, -v m="$col" -v v="$v" '$1 == m && $3 == v { print $7 }' \
				"$T/rep/tables/latency-anon-2M.csv")
			near "$got" "$lat" || fail "$col p99 at $v: table '$got', results $lat"
		done
		want=$(jq -n --slurpfile a "$FIXTURE/rate-none-anon-${v}v-2M.json" \
			--slurpfile b "$FIXTURE/rate-uffd-stock-anon-${v}v-2M.json" \
			'$a[0].summary.paging_rate_pps.median / $b[0].summary.paging_rate_pps.median')
		near "$(csv_get "$csv" "none ratio_to_uffd-stock" "$v")" "$want" || fail "ratio at $v"
	done
	# Markdown and LaTeX carry the same table
	grep -q '^| vCPUs | none | uffd-stock |$' "$T/rep/tables/rate-vs-vcpus-anon-2M.md" || fail "md header"
	grep -q 'Host: .*Linux ' "$T/rep/tables/rate-vs-vcpus-anon-2M.md" || fail "no host line under the table"
	grep -q '\\toprule' "$T/rep/tables/rate-vs-vcpus-anon-2M.tex" || fail "no booktabs"
	grep -q '\$\\times\$' "$T/rep/tables/rate-vs-vcpus-anon-2M.tex" || fail "ratio not in LaTeX"
	# the one-vCPU group: its columns differ in --uffd, the default one is the reference
	grep -q '^| vCPUs | uffd-stock (uffd shared) | uffd-stock (uffd per-vcpu) |$' \
		"$T/rep/tables/rate-at-1-vcpu-anon-4M.md" || { cat "$T/rep/tables/rate-at-1-vcpu-anon-4M.md"; fail "variant columns"; }
	grep -q '| 20850 |' "$T/rep/tables/write-protect-cost.md" || fail "wpcost table"
	grep -q 'not-a-mode' "$T/rep/index.md" || fail "skipped configurations not listed"
}

# Tables and captions are named in words: what the experiment is, not its
# config keys. Two experiments that differ in the zero fraction say so.
t_report_readable_names() {
	mkdir "$T/z"
	cp "$FIXTURE"/rate-*-anon-1v-2M.json "$T/z/"
	jq '.config.zero_fraction = 0.5' "$FIXTURE/rate-uffd-stock-anon-2v-2M.json" >"$T/z/half.json"
	fbrun report "$T/z" --out "$T/rep" --quiet
	expect_rc 0 "report of two zero fractions"
	[ -s "$T/rep/tables/rate-at-1-vcpu-anon-2M-no-zeros.md" ] &&
		[ -s "$T/rep/tables/rate-at-2-vcpus-anon-2M-half-zeros.md" ] &&
		[ -s "$T/rep/tables/latency-anon-2M-half-zeros.md" ] ||
		{ ls "$T/rep/tables"; fail "table names"; }
	grep -q '^Paging rate until memory is usable at 2 vCPUs: anon 4K pages, 2M in all, seq write, half the pages zero\.' \
		"$T/rep/tables/rate-at-2-vcpus-anon-2M-half-zeros.md" ||
		{ head -1 "$T/rep/tables/rate-at-2-vcpus-anon-2M-half-zeros.md"; fail "caption"; }
	grep -q 'no zero pages' "$T/rep/tables/rate-at-1-vcpu-anon-2M-no-zeros.md" || fail "no-zeros caption"
	if grep -rl 'zero_fraction' "$T/rep/tables" "$T/rep/index.md"; then
		fail "a config key in a name or caption"
	fi
	return 0
}

t_report_plots() {
	local p
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	fbrun report "$FIXTURE" --out "$T/rep"
	expect_rc 0 "report with plots"
	grep -qi "fail\|error\|warning" "$T/out" && { cat "$T/out"; fail "report complained"; }
	for p in rate-vs-vcpus-anon-2M latency-cdf-at-1-vcpu-anon-2M latency-cdf-at-2-vcpus-anon-2M \
		rate-at-1-vcpu-anon-4M latency-cdf-at-1-vcpu-anon-4M write-protect-cost; do
		[ -s "$T/rep/plots/$p.svg" ] || fail "no $p.svg"
		grep -q '<svg' "$T/rep/plots/$p.svg" || fail "$p.svg is not SVG"
		if [ -e "$T/rep/plots/$p.png" ]; then
			[ "$(head -c 4 "$T/rep/plots/$p.png" | tail -c 3)" = PNG ] || fail "$p.png is not PNG"
			grep -q "plots/$p.png" "$T/rep/index.html" || fail "$p.png not in index.html"
		else
			grep -q "SVG only" "$T/out" || fail "no $p.png and no reason"
		fi
	done
	# a gnuplot error fails the report
	printf '#!/bin/sh\n[ $# -ge 3 ] || exit 0\necho "line 3: undefined variable: nseries" >&2\nexit 1\n' >"$T/gp"
	chmod +x "$T/gp"
	FAULTBENCH_GNUPLOT=$T/gp "$FB" report "$FIXTURE" --out "$T/rep2" >"$T/out" 2>&1
	RC=$?
	expect_rc 1 "report with a failing gnuplot"
	grep -q "undefined variable" "$T/out" || fail "gnuplot's error not shown"
	# no gnuplot at all: tables still, and a note
	FAULTBENCH_GNUPLOT=/nonexistent/gnuplot "$FB" report "$FIXTURE" --out "$T/rep3" >"$T/out" 2>&1
	RC=$?
	expect_rc 0 "report without gnuplot"
	grep -q "gnuplot is not installed" "$T/rep3/index.md" || fail "no note without gnuplot"
	[ -s "$T/rep3/tables/rate-vs-vcpus-anon-2M.md" ] || fail "no tables without gnuplot"
}

t_report_bad_input() {
	local f=rate-none-anon-1v-2M.json
	cp -r "$FIXTURE" "$T/bad"
	head -c 3000 "$FIXTURE/$f" >"$T/bad/$f"
	fbrun report "$T/bad" --out "$T/rep"
	expect_rc 2 "truncated result"
	grep -q "$T/bad/$f" "$T/out" || { cat "$T/out"; fail "truncated file not named"; }

	jq '.config.vcpus = "two"' "$FIXTURE/$f" >"$T/bad/$f"
	fbrun report "$T/bad" --out "$T/rep"
	expect_rc 2 "wrong type"
	grep -q "$T/bad/$f.*/config/vcpus" "$T/out" || { cat "$T/out"; fail "wrong type not named"; }

	jq 'del(.summary)' "$FIXTURE/$f" >"$T/bad/$f"
	fbrun compare "$FIXTURE" "$T/bad"
	expect_rc 2 "missing field (compare)"
	grep -q "$T/bad/$f.*summary" "$T/out" || { cat "$T/out"; fail "missing field not named"; }

	cp "$FIXTURE/$f" "$T/bad/$f"
	rm "$T/bad/rate-none-anon-2v-2M.json"
	fbrun report "$T/bad" --out "$T/rep"
	expect_rc 2 "file listed in the index is missing"
	grep -q "rate-none-anon-2v-2M.json" "$T/out" || { cat "$T/out"; fail "missing file not named"; }

	fbrun report "$T/nowhere"
	expect_rc 2 "no such directory"
}

t_compare() {
	fbrun compare "$FIXTURE" "$FIXTURE"
	expect_rc 0 "compare a set with itself"
	[ "$(grep -c '^| none\|^| uffd-stock' "$T/out")" -eq 6 ] || { cat "$T/out"; fail "not 6 rows"; }
	grep '^| none\|^| uffd-stock' "$T/out" | grep -v '+0.0%.*+0.0%' && fail "a set differs from itself"
	# a plain directory (no index) with two of the results
	mkdir "$T/b"
	cp "$FIXTURE"/rate-none-anon-*.json "$T/b/"
	fbrun compare "$FIXTURE" "$T/b"
	expect_rc 0 "compare with a plain directory"
	[ "$(grep -c '^| none' "$T/out")" -eq 2 ] || { cat "$T/out"; fail "not 2 matched rows"; }
	grep -q '^Only in A (4)' "$T/out" || { cat "$T/out"; fail "unmatched configurations not listed"; }
}

# Ctrl-C after the first configuration: the finished result stays, the index
# says interrupted, the exit is 130, and nothing half-written is left.
t_interrupt_keeps_finished() {
	local pid i
	printf '[m]\nmode: uffd-stock\nsize: 64M\nreps: 2\nvcpus: 1 2 1 2\n' >"$T/slow.suite"
	"$FB" suite "$T/slow.suite" --out "$T/set" >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 300); do
		[ "$(jq -r .counts.ok "$T/set/index.json" 2>/dev/null)" = 1 ] && break
		sleep 0.1
	done
	kill -INT "$pid"
	wait "$pid"
	RC=$?
	expect_rc 130 "interrupted suite"
	"$FB" validate "$INDEX_SCHEMA" "$T/set/index.json" || fail "index.json invalid"
	[ "$(jget "$T/set/index.json" .state)" = interrupted ] || fail "index not marked interrupted"
	[ "$(jget "$T/set/index.json" .counts.ok)" -ge 1 ] || fail "finished configuration lost"
	[ "$(jget "$T/set/index.json" .counts.pending)" -ge 1 ] || fail "nothing left pending?"
	validate "$T/set/m-uffd-stock-anon-1v-64M.json"
	ls "$T/set" | grep -q '\.tmp' && fail "temporary file left behind"
	grep -q "interrupted" "$T/out" || fail "no word of the interruption"
	# the finished part makes a report
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report of an interrupted set"
}

t_term_stops_child() {
	local pid i
	printf '[m]\nmode: uffd-stock\nsize: 256M\nreps: 5\nvcpus: 1\n' >"$T/slow.suite"
	"$FB" suite "$T/slow.suite" --out "$T/set" >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		[ -e "$T/set/m-uffd-stock-anon-1v-256M.log" ] && break
		sleep 0.05
	done
	sleep 0.3
	kill -TERM "$pid"
	wait "$pid"
	RC=$?
	expect_rc 143 "SIGTERM"
	[ "$(jq -r '.configurations[0].state' "$T/set/index.json")" = interrupted ] || fail "not interrupted"
	# the runner passed the signal on: its child is gone too
	sleep 0.2
	pgrep -f "run .*--out $T/set/" >/dev/null && fail "child still running"
	return 0
}

# Another tool's JSON in a plain directory (Google Benchmark's, from `make
# micro`) is tabled, not refused; a broken result beside it still is.
t_report_other_json() {
	mkdir "$T/m"
	cat >"$T/m/micro.json" <<-'EOF2'
	{"context": {"library_build_type": "release"},
	 "benchmarks": [
	  {"name": "bm_copy/4096", "run_type": "iteration", "iterations": 1000,
	   "real_time": 2.5, "cpu_time": 2.4, "time_unit": "us", "items_per_second": 400000},
	  {"name": "bm_hugetlb", "run_type": "iteration", "iterations": 0, "real_time": 0,
	   "cpu_time": 0, "time_unit": "ns", "error_occurred": true,
	   "error_message": "no free huge pages"}]}
	EOF2
	fbrun report "$T/m" --out "$T/rep"
	expect_rc 0 "report of a Google Benchmark file"
	grep -q '| bm_copy/4096 | 2.50 us | 2.40 us | 1000 | 400000 |' "$T/rep/tables/micro-benchmarks.md" ||
		{ cat "$T/rep/tables/micro-benchmarks.md"; fail "micro table"; }
	grep -q 'skipped: no free huge pages' "$T/rep/tables/micro-benchmarks.md" || fail "error not shown"
	jq '.config.vcpus = "two"' "$FIXTURE/rate-none-anon-1v-2M.json" >"$T/m/r.json"
	fbrun report "$T/m" --out "$T/rep"
	expect_rc 2 "a broken result beside it"
	grep -q "$T/m/r.json" "$T/out" || fail "broken result not named"
}

# --timeout: a configuration that runs too long fails, and the suite goes on.
t_timeout() {
	printf '[m]\nmode: uffd-stock\nsize: 256M\nreps: 5\n[n]\nmode: none\nsize: 4M\nreps: 1\n' >"$T/t.suite"
	fbrun suite "$T/t.suite" --out "$T/set" --timeout 1
	expect_rc 1 "a timed-out configuration"
	jq -e '.configurations[0] | .state == "failed" and (.reason | test("timed out after 1 s"))' \
		"$T/set/index.json" >/dev/null || { cat "$T/out"; fail "timeout not recorded"; }
	[ "$(jq -r '.configurations[1].state' "$T/set/index.json")" = ok ] || fail "suite did not go on"
	[ "$(jget "$T/set/index.json" .state)" = complete ] || fail "state"
}

# the report reads what `faultbench wpcost` really writes (results[] by THP
# and way, the reference's figures beside them), not only strategies[]
t_report_wpcost_from_a_real_run() {
	mkdir "$T/w"
	fbrun wpcost --size 64M --thp off --ways default,unpopulated --quiet --out "$T/w/wpcost.json"
	[ "$RC" -eq 77 ] && skip "$(jq -r '.status.reason // "no userfaultfd"' "$T/w/wpcost.json" 2>/dev/null)"
	expect_rc 0 "wpcost"
	fbrun report "$T/w" --out "$T/rep" --quiet
	expect_rc 0 "report of a wpcost file"
	grep -q '^| THP off, default | ' "$T/rep/tables/write-protect-cost.md" &&
		grep -q '^| THP off, unpopulated | ' "$T/rep/tables/write-protect-cost.md" ||
		{ cat "$T/rep/tables/write-protect-cost.md"; fail "no rows for the two ways"; }
	grep -q '| 20850 |$' "$T/rep/tables/write-protect-cost.md" || fail "the reference's WP_UNPOPULATED total is missing"
}
