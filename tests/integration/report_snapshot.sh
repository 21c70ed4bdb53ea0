# The report's live-snapshot table and throughput plot, from real small
# `faultbench snapshot` runs of every strategy of this build (read from its
# --help): figures equal to the medians of the files, a line per strategy,
# nothing for sets without snapshot results, the other tables unchanged by
# snapshot files beside them, compare and gate not failing on them, and the
# suites' `strategy: all` rows.
source "${FB_ROOT:-$PWD}/tests/report_lib.sh"

# the registry's names, as `faultbench snapshot --help` lists them
snap_strategies() {
	"$FB" snapshot --help | awk '/^Strategies:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'
}

# every strategy, 16M, 1 vCPU, 3 repetitions into DIR (one file each), or a skip
snap_set() { # dir backing
	local list
	list=$(snap_strategies | paste -sd, -)
	[ -n "$list" ] || fail "snapshot --help lists no strategy"
	mkdir -p "$1"
	fbrun snapshot --quiet --strategy "$list" --backing "$2" --size 16M --vcpus 1 --workload random \
		--reps 3 --warmup 0 --warmup-ms 30 --recovery-ms 30 --out "$1/snap.json"
	[ "$RC" = 77 ] && skip "snapshot skipped here: $(cat "$T/out")"
	expect_rc 0 "snapshot --strategy $list"
}

# a jq filter applied to every result file of a set, in place
snap_jq_all() { # dir filter
	local f
	for f in "$1"/*.json; do
		jq "$2" "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	done
}

# the median over a file's repetitions of a jq expression on each run (null: left out)
snap_median() { # file expr
	jq -r "$JQ_MEDIAN"' [.runs[] | '"$2"' | select(. != null)] | if length == 0 then "" else median end' "$1"
}

# the CSV row of a strategy (the set has one configuration) as NAME=VALUE lines
snap_row() { # csv strategy
	awk -F, -v want="$2" 'NR == 1 { n = split($0, h, ","); next }
		$8 == want { for (i = 1; i <= n; i++) print h[i] "=" $i }' "$1"
}

t_report_snapshot_table() {
	local f st row got want k csv
	snap_set "$T/set" anon
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	csv=$T/rep/tables/snapshot.csv
	[ -s "$csv" ] && [ -s "$T/rep/tables/snapshot.md" ] && [ -s "$T/rep/tables/snapshot.tex" ] ||
		{ ls "$T/rep/tables"; fail "no snapshot table"; }
	[ "$(tail -n +2 "$csv" | wc -l)" = "$(snap_strategies | wc -l)" ] || { cat "$csv"; fail "not a row per strategy"; }
	for st in $(snap_strategies); do
		f=$T/set/snap-$st.json
		[ -s "$f" ] || fail "no result for $st"
		row=$(snap_row "$csv" "$st")
		[ -n "$row" ] || { cat "$csv"; fail "no row for $st"; }
		for k in "backing anon" "size 16M" "vCPUs 1" "workload random" "reps 3"; do
			set -- $k
			grep -qx "$1=$2" <<<"$row" || fail "$st: $1 is not $2: $row"
		done
		# each figure is the median over the file's repetitions, as jq computes it
		while IFS='|' read -r k expr; do
			want=$(snap_median "$f" "$expr")
			got=$(awk -v k="$k=" 'index($0, k) == 1 { print substr($0, length(k) + 1) }' <<<"$row")
			if [ -z "$want" ]; then
				[ -z "$got" ] || fail "$st: $k is '$got' where no repetition has one"
			else
				near "$got" "$want" || fail "$st: $k is $got, the file's median $want"
			fi
		done <<-'EOF'
		snapshot (ms)|.snapshot_seconds * 1e3
		pause (ms)|.pause_seconds * 1e3
		slowdown (×)|if .writes_per_second.during > 0 then .writes_per_second.before / .writes_per_second.during else null end
		p99 write (µs)|if .write_lat_ns.count > 0 then .write_lat_ns.p99 / 1e3 else null end
		extra memory (MiB)|.extra_memory_peak_bytes / 1048576
		sink (MiB)|.sink_bytes / 1048576
		fork (ms/GiB)|.strategy_data.fork_ns_per_gib | if . then . / 1e6 else null end
		EOF
	done
	grep -q '^## Live snapshots$' "$T/rep/index.md" || fail "not in the index"
	grep -q 'tables/snapshot.csv' "$T/rep/index.md" || fail "no CSV link in the index"
}

# The plot's data: a block per strategy, named so, time strictly increasing,
# crossing T0 (writes before and after it), throughput never negative.
t_report_snapshot_plot() {
	local dat names
	snap_set "$T/set" anon
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	dat=$(ls "$T/rep/plots/data"/snapshot-timeline-1-*.dat 2>/dev/null | head -1)
	[ -s "$dat" ] || { ls -R "$T/rep/plots"; fail "no plot data"; }
	! ls "$T/rep/plots/data"/snapshot-timeline-2-* >/dev/null 2>&1 || fail "one configuration, more than one plot"
	names=$(sed -n 's/^"ms from start" "\(.*\)"$/\1/p' "$dat" | sort | tr '\n' ' ')
	[ "$names" = "$(snap_strategies | sort | tr '\n' ' ')" ] || fail "plot lines '$names', not one per strategy"
	awk '/^"ms from start"/ { if (blk && !(n > 2 && neg && pos)) bad = bad " " blk; blk = $4; n = 0; neg = pos = 0; prev = ""; next }
		NF == 2 { if (prev != "" && $1 <= prev) { print "time not increasing in " blk ": " prev " then " $1; exit 1 }
			  if ($2 < 0) { print "negative throughput in " blk; exit 1 }
			  prev = $1; n++; if ($1 < 0) neg = 1; else pos = 1 }
		END { if (blk && !(n > 2 && neg && pos)) bad = bad " " blk
		      if (bad != "") { print "lines without samples on both sides of the start:" bad; exit 1 } }' "$dat" ||
		fail "plot data"
	# files before timeline.start_seconds: aligned at T0, still drawn
	snap_jq_all "$T/set" 'del(.runs[].timeline.start_seconds)'
	fbrun report "$T/set" --out "$T/rep-old" --quiet
	expect_rc 0 "report of files without start_seconds"
	[ "$(grep -c '^"ms from start"' "$T/rep-old/plots/data/$(basename "$dat")")" = "$(snap_strategies | wc -l)" ] ||
		fail "files without start_seconds: not one line per strategy"
	if command -v gnuplot >/dev/null; then
		[ -s "$T/rep/plots/$(basename "${dat%.dat}").png" ] || [ -s "$T/rep/plots/$(basename "${dat%.dat}").svg" ] ||
			fail "gnuplot is here but drew no snapshot plot"
	fi
}

# A set without snapshot results gets no snapshot table, plot or heading;
# with them beside it, every other table is byte for byte what it was, and
# compare and gate still run (saying what they left out).
t_report_snapshot_absent_and_beside() {
	local f na
	fbrun report "$FIXTURE" --out "$T/plain" --quiet
	expect_rc 0 "report of a set without snapshots"
	ls "$T/plain/tables" "$T/plain/plots" | grep -q snapshot && fail "a snapshot file for a set without snapshots"
	grep -qi 'snapshot' "$T/plain/index.md" && fail "the index speaks of snapshots"
	# the same run results without the index, then with snapshot files too
	# (both directories named "set": the tables' host line names the set)
	mkdir -p "$T/a/set" "$T/b/set"
	for f in "$FIXTURE"/*.json; do
		[ "$(basename "$f")" = index.json ] || cp "$f" "$T/a/set/"
	done
	cp "$T/a/set"/*.json "$T/b/set/"
	snap_set "$T/b/set" anon
	fbrun report "$T/a/set" --out "$T/ra" --quiet
	expect_rc 0 "report a"
	fbrun report "$T/b/set" --out "$T/rb" --quiet
	expect_rc 0 "report with snapshots beside"
	for f in "$T/ra/tables"/*; do
		cmp -s "$f" "$T/rb/tables/$(basename "$f")" || fail "$(basename "$f") changed by snapshot files beside it"
	done
	[ -s "$T/rb/tables/snapshot.md" ] || fail "no snapshot table in the mixed set"
	fbrun compare "$T/a/set" "$T/b/set"
	expect_rc 0 "compare with snapshot files"
	# B has A's files of other commands (the fixture's wpcost) and the snapshots
	na=$(sed -n 's/^Not compared: \([0-9]*\) files* in A .*/\1/p' "$T/out")
	grep -q "Not compared: $((${na:-0} + $(snap_strategies | wc -l))) files* in B" "$T/out" ||
		{ cat "$T/out"; fail "compare does not say what it left out"; }
	fbrun gate --baseline "$T/a/set" --current "$T/b/set"
	# one run a side: inconclusive (3) is the verdict; 2 would be bad input
	expect_rc 3 "gate on a set with snapshot files"
	grep -q '^verdict: inconclusive' "$T/out" || { cat "$T/out"; fail "gate gave no verdict"; }
}

# `strategy: all` in a suite is one configuration per strategy of the
# registry, each writing its one file; quick's and paper's rows expand so,
# and a small suite runs, indexes and reports them.
t_report_snapshot_suite() {
	local want s
	want=$(snap_strategies | sort | tr '\n' ' ')
	for s in quick paper; do
		fbrun suite "$s" --list
		expect_rc 0 "suite $s --list"
		[ "$(grep -o -- '--strategy [a-z0-9-]*' "$T/out" | awk '{ print $2 }' | sort -u | tr '\n' ' ')" = "$want" ] ||
			{ cat "$T/out"; fail "$s: the snapshot rows are not every strategy"; }
	done
	cat >"$T/s.suite" <<-'EOF'
	suite: snaptest
	[snap]
	command: snapshot
	strategy: all
	size: 16M
	vcpus: 1
	workload: random
	reps: 3
	warmup: 0
	warmup-ms: 30
	recovery-ms: 30
	EOF
	fbrun suite "$T/s.suite" --out "$T/suite" --quiet
	expect_rc 0 "the suite"
	jq -e --argjson n "$(snap_strategies | wc -l)" '.counts.ok == $n and .counts.failed == 0
		and ([.configurations[] | .command == "snapshot" and (.file | type) == "string"] | all)' \
		"$T/suite/index.json" >/dev/null || fail "index: $(jq -c .counts "$T/suite/index.json")"
	fbrun report "$T/suite" --out "$T/rep" --quiet
	expect_rc 0 "report of the suite"
	[ "$(tail -n +2 "$T/rep/tables/snapshot.csv" | cut -d, -f8 | sort | tr '\n' ' ')" = "$want" ] ||
		{ cat "$T/rep/tables/snapshot.csv"; fail "the suite's report: not a row per strategy"; }
}

# bench/snapshot_table.sh, small: shellcheck clean, prints each command it
# runs, a table row per strategy and configuration (8 configurations: two
# sizes, anon and thp, 1 and 2 vCPUs), the results in the fresh OUT it was
# given; a size that is no size, or an OUT that exists, is refused.
t_snapshot_table_script() {
	local script=${FB_ROOT:-$PWD}/bench/snapshot_table.sh n
	if command -v shellcheck >/dev/null; then
		shellcheck "$script" || fail "shellcheck"
	fi
	need_thp
	FB_BIN=$FB SIZES="16M 32M" REPS=1 OUT=$T/bt bash "$script" >"$T/table" 2>"$T/err"
	RC=$?
	[ "$RC" = 0 ] || { cat "$T/err" "$T/table"; fail "snapshot_table.sh: exit $RC"; }
	n=$(snap_strategies | wc -l)
	[ "$(grep -c '^+ .* snapshot --strategy ' "$T/err")" = 8 ] || { cat "$T/err"; fail "not 8 printed snapshot commands"; }
	[ "$(grep -c '^| \(anon\|thp\) |' "$T/table")" = $((8 * n)) ] || { cat "$T/table"; fail "not $((8 * n)) table rows"; }
	[ "$(grep -c '^| \(anon\|thp\) | [^|]* | 32M |' "$T/table")" = $((4 * n)) ] || { cat "$T/table"; fail "not $((4 * n)) rows of 32M"; }
	[ "$(find "$T/bt" -maxdepth 1 -name 'snapshot-*.json' | wc -l)" = $((8 * n)) ] || fail "not a result file per strategy and configuration"
	FB_BIN=$FB SIZE=16M REPS=1 OUT=$T/bt bash "$script" >/dev/null 2>&1
	[ $? = 2 ] || fail "an OUT that exists must be refused"
	FB_BIN=$FB SIZES="16M lots" REPS=1 OUT=$T/bt2 bash "$script" >/dev/null 2>"$T/err2"
	[ $? = 2 ] || fail "SIZES 'lots' must be refused"
	grep -q "SIZES: 'lots'" "$T/err2" || fail "the error must name SIZES: $(cat "$T/err2")"
}

# Snapshot files are checked against results/schema-snapshot.json as run
# files are against results/schema.json: one with a field of the wrong
# type is refused (exit 2) naming the file and the field; one without the
# fields later versions added (as an earlier version wrote it) still loads.
t_report_snapshot_schema_checked() {
	local f
	mkdir -p "$T/set"
	fbrun snapshot --quiet --strategy stop-copy,fork --size 16M --vcpus 1 --reps 2 --warmup 0 \
		--warmup-ms 20 --recovery-ms 10 --out "$T/set/snap.json"
	expect_rc 0 "snapshot"
	jq -e '.status | has("wp_pages_left")' "$T/set/snap-fork.json" >/dev/null || fail "no wp_pages_left to take out"
	jq -e '.summary | has("fork_seconds_per_gib")' "$T/set/snap-fork.json" >/dev/null || fail "no fork_seconds_per_gib to take out"
	cp -r "$T/set" "$T/bad"
	jq '.runs[1].sink_bytes = "16M"' "$T/set/snap-fork.json" >"$T/bad/snap-fork.json"
	fbrun report "$T/bad" --out "$T/rb" --quiet
	expect_rc 2 "report of a snapshot file with a string for a number"
	grep -q "snap-fork.json: /runs/1/sink_bytes: expected integer" "$T/out" ||
		fail "the error must name the file and the field: $(cat "$T/out")"
	# the same through a suite's index, whose entry says command snapshot
	cat >"$T/s.suite" <<-'EOS'
	suite: snapschema
	[snap]
	command: snapshot
	strategy: fork
	size: 16M
	vcpus: 1
	reps: 1
	warmup: 0
	warmup-ms: 20
	recovery-ms: 10
	EOS
	fbrun suite "$T/s.suite" --out "$T/suite" --quiet
	expect_rc 0 "the suite"
	f=$(jq -r '.configurations[0].file' "$T/suite/index.json")
	{ [ "$(jq -r '.configurations[0].command' "$T/suite/index.json")" = snapshot ] && [ -s "$T/suite/$f" ]; } ||
		fail "the suite's snapshot file: $(jq -c '.configurations[0]' "$T/suite/index.json")"
	jq '.summary.sink_bytes.n = -1' "$T/suite/$f" >"$T/f" && mv "$T/f" "$T/suite/$f"
	fbrun report "$T/suite" --out "$T/rbi" --quiet
	expect_rc 2 "report of an indexed snapshot file with a negative count"
	grep -q "$f: /summary/sink_bytes/n" "$T/out" || fail "indexed: $(cat "$T/out")"
	# an earlier version's shape: without the fields added since
	mkdir -p "$T/old"
	for f in "$T/set"/*.json; do
		jq 'del(.status.wp_pages_left) | del(.summary.fork_seconds_per_gib)' "$f" >"$T/old/$(basename "$f")"
	done
	fbrun report "$T/old" --out "$T/ro" --quiet
	expect_rc 0 "report of snapshot files without the newer fields"
	[ "$(tail -n +2 "$T/ro/tables/snapshot.csv" | wc -l)" = 2 ] || fail "not a row per strategy"
	fbrun compare "$T/old" "$T/set"
	expect_rc 0 "compare of old and new snapshot files"
}

# the report of $T/set (a thp set) into DIR has the page column PAGE in
# every row
page_column_is() { # dir page
	fbrun report "$T/set" --out "$1" --quiet
	expect_rc 0 "report ($2)"
	[ "$(grep -cF "| thp | $2 | 16M |" "$1/tables/snapshot.md")" = "$(snap_strategies | wc -l)" ] ||
		{ cat "$1/tables/snapshot.md"; fail "the page column is not '$2' in every row"; }
}

# The page column says what the kernel really mapped: a THP configuration
# whose guest was not all on 2M pages at T0 shows how much was; one that
# was, or a file without `mapped`, shows the page size alone.
t_report_snapshot_page_mapped() {
	need_thp
	snap_set "$T/set" thp
	if jq -e -s '[.[].runs[].mapped.at_start.huge_fraction] | all(. == 1)' "$T/set"/*.json >/dev/null; then
		page_column_is "$T/rep" 2M
	fi
	snap_jq_all "$T/set" '.runs[].mapped.at_start.huge_fraction = 0.5'
	page_column_is "$T/rep2" "2M (50% huge at T0)"
	grep -q '2M (50\\% huge at T0)' "$T/rep2/tables/snapshot.tex" || fail "LaTeX: the % is not escaped"
	snap_jq_all "$T/set" 'del(.runs[].mapped)'
	page_column_is "$T/rep3" 2M
}
