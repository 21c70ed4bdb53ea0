# The report's postcopy table and latency CDFs, from the hand-made results
# of tests/fixtures/postcopy/ (made by its make.sh: anon 4K and hugetlb 2M,
# plain and preempt, three repetitions and a wild warmup each); and
# bench/postcopy_table.sh around them. Needs no kernel feature.
source "${FB_ROOT:-$PWD}/tests/report_lib.sh"
PC=${FB_ROOT:-$PWD}/tests/fixtures/postcopy

# the median over a fixture's measured repetitions of a mode_data figure
pc_median() { # file jq-expression-on-mode_data
	jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not) | .mode_data | '"$2"'] | median' "$1"
}

# the CSV row of the postcopy table for a label, as NAME=VALUE lines
pc_row() { # csv label
	awk -v want="$2" 'NR == 1 { n = split($0, h, ","); next }
		{ if (substr($0, 1, 1) == "\"") { # quoted: the label holds commas
			e = index(substr($0, 2), "\""); label = substr($0, 2, e - 1); rest = substr($0, e + 3)
		  } else { label = $0; sub(/,.*/, "", label); rest = substr($0, length(label) + 2) }
		  if (label != want) next
		  split(rest, f, ","); for (i = 2; i <= n; i++) print h[i] "=" f[i - 1] }' "$1"
}

t_report_postcopy_table() {
	local f csv md label row want got k s
	for f in "$PC"/*.json; do
		validate "$f"
	done
	s=$T/mode_data.schema.json
	jq '{"$defs": .["$defs"], "$ref": "#/$defs/mode_data_postcopy"}' "$SCHEMA" >"$s"
	jq '.runs[1].mode_data' "$PC/postcopy-anon-4K-plain.json" >"$T/md.json"
	"$FB" validate "$s" "$T/md.json" || fail "fixture mode_data does not match \$defs/mode_data_postcopy"
	fbrun report "$PC" --out "$T/rep" --quiet
	expect_rc 0 "report"
	csv=$T/rep/tables/postcopy.csv
	md=$T/rep/tables/postcopy.md
	[ -s "$csv" ] && [ -s "$md" ] && [ -s "$T/rep/tables/postcopy.tex" ] || { ls "$T/rep/tables"; fail "no postcopy table"; }
	# one row per configuration, smaller pages first, plain before preempt
	[ "$(tail -n +2 "$csv" | cut -d'"' -f2 | tr '\n' '|')" = \
		"anon 4K, plain|anon 4K, preempt|hugetlb 2M, plain|hugetlb 2M, preempt|" ] ||
		{ cat "$csv"; fail "rows or their order"; }
	for f in "$PC"/*.json; do
		label=$(jq -r '"\(.config.backing) \(if .config.page_bytes == 4096 then "4K" else "2M" end), \(if .config.preempt then "preempt" else "plain" end)"' "$f")
		row=$(pc_row "$csv" "$label")
		[ -n "$row" ] || fail "no row $label"
		for k in "reps 3" "preempt $(jq -r 'if .config.preempt then "yes" else "no" end' "$f")" \
			"link_bw_bps 10000000000" "backing $(jq -r .config.backing "$f")"; do
			set -- $k
			grep -qx "$1=$2" <<<"$row" || fail "$label: $1 is not $2: $row"
		done
		# every figure is the median over measured repetitions (the warmup's are 30-1000x off)
		for k in "urgent_mean_us .urgent_lat_ns.mean/1e3" "urgent_p50_us .urgent_lat_ns.p50/1e3" \
			"urgent_p99_us .urgent_lat_ns.p99/1e3" "urgent_faults .urgent_lat_ns.count" \
			"stream_p50_us .stream_lat_ns.p50/1e3" "stream_p99_us .stream_lat_ns.p99/1e3" \
			"blocktime_ms .blocktime_ns/1e6" \
			"blocktime_per_vcpu_ms (.blocktime_per_vcpu_ns|add/length/1e6)" \
			"migration_ms .migration_ns/1e6" "bytes_sent .bytes_sent" \
			"requests_sent .requests_sent" "requests_deduped .requests_deduped" \
			"eexist .eexist" "eagain .eagain"; do
			set -- $k
			want=$(pc_median "$f" "$2")
			got=$(sed -n "s/^$1=//p" <<<"$row")
			near "$got" "$want" || fail "$label: $1 is $got, the results' median $want"
		done
	done
	# the Markdown rows as a reader sees them (figures chosen in make.sh)
	for want in '| anon 4K, plain | 10209 | 8978 | 16318 | 1319 | 3949 | 8.48 | 57.2 | 247 | 265 | 26 | 15 | 3 | 0 |' \
		'| anon 4K, preempt | 547 | 502 | 878 | 1352 | 4145 | 0.380 | 2.56 | 247 | 265 | 28 | 16 | 4 | 1 |' \
		'| hugetlb 2M, preempt | 4807 | 4424 | 7700 | 2040 | 6324 | 4.00 | 27.0 | 247 | 264 | 32 | 18 | 6 | 1 |'; do
		grep -qxF "$want" "$md" || { cat "$md"; fail "md row: $want"; }
	done
	grep -q 'All rows: 256M guest, random write, unix link, 10 Gbit/s, 0 µs delay, precopy 0, 1 receiver, 2 vCPUs\.' "$md" ||
		fail "caption: what the rows share"
	grep -q '^## Postcopy$' "$T/rep/index.md" || fail "not in the index"
	grep -q 'tables/postcopy.csv' "$T/rep/index.md" || fail "no CSV link in the index"
}

# The CDF data: one block per configuration and class, each a CDF from 0
# to exactly 1, non-decreasing, with as many faults as the buckets hold.
t_report_postcopy_cdf() {
	local dat c
	fbrun report "$PC" --out "$T/rep" --quiet
	expect_rc 0 "report"
	dat=$T/rep/plots/data/postcopy-latency-cdf.dat
	[ -s "$dat" ] || fail "no CDF data"
	[ "$(grep -c '^"us" ' "$dat")" = 8 ] || { grep '^"us"' "$dat"; fail "not 8 series (4 configurations x 2 classes)"; }
	for want in 'anon 4K, plain: urgent' 'anon 4K, plain: stream' 'hugetlb 2M, preempt: urgent' \
		'hugetlb 2M, preempt: stream'; do
		grep -qxF "\"us\" \"$want\"" "$dat" || fail "no series $want"
	done
	awk '/^"us"/ { if (n && last != 1) bad = bad " " name " ends at " last; name = $0; n = 0; next }
		/^#/ || NF == 0 { next }
		{ if (n == 0 && $2 != 0) bad = bad " " name " starts at " $2
		  if (n && ($1 < x || $2 < last)) bad = bad " " name " decreases at " $1
		  x = $1; last = $2; n++ }
		END { if (last != 1) bad = bad " " name " ends at " last; if (bad) { print bad; exit 1 } }' "$dat" ||
		fail "not a CDF"
	# anon 4K plain's CDFs step at exactly the measured repetitions' buckets
	for c in urgent stream; do
		awk -v c="anon 4K, plain: $c" '/^"us"/ { s = $0; next } index(s, c) && NF == 2 && $2 > 0 { print $1 }' \
			"$dat" >"$T/steps"
		jq '[.runs[] | select(.warmup | not) | .mode_data.'$c'_lat_ns.buckets[][1]] | unique[] / 1000' \
			"$PC/postcopy-anon-4K-plain.json" >"$T/bounds"
		[ "$(wc -l <"$T/steps")" = "$(wc -l <"$T/bounds")" ] &&
			paste "$T/steps" "$T/bounds" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-5 * $2) exit 1 }' ||
			fail "$c: steps differ from the buckets"
	done
if command -v gnuplot >/dev/null; then
		[ -s "$T/rep/plots/postcopy-latency-cdf.svg" ] || [ -s "$T/rep/plots/postcopy-latency-cdf.png" ] ||
			fail "no CDF plot"
		grep -q 'postcopy-latency-cdf' "$T/rep/index.md" || fail "plot not in the index"
	fi
}

# A configuration where the stream brought every page (all precopied, say):
# no urgent latency (–, not 0), no urgent CDF; the label names what varies.
t_report_postcopy_no_urgent() {
	local f=$T/set/pc-precopy.json md
	mkdir "$T/set"
	cp "$PC/postcopy-anon-4K-plain.json" "$T/set/"
	jq '.config.precopy = 1 | .runs[].mode_data.urgent_lat_ns |= {count: 0, min: 0, mean: 0, p50: 0,
		p90: 0, p99: 0, p999: 0, max: 0, overflow: 0, buckets: []}' \
		"$PC/postcopy-anon-4K-plain.json" >"$f"
	validate "$f"
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	md=$T/rep/tables/postcopy.md
	grep -qF '| anon 4K, precopy 0, plain | 10209 |' "$md" || { cat "$md"; fail "the other row"; }
	grep -qF '| anon 4K, precopy 1, plain | – | – | – | 1319 |' "$md" || { cat "$md"; fail "no urgent faults must read –"; }
	grep -q 'All rows: 256M guest, random write, unix link, 10 Gbit/s, 0 µs delay, 1 receiver, 2 vCPUs\.' "$md" ||
		fail "caption: precopy varies, so it is not shared"
	[ "$(grep -c '^"us" ' "$T/rep/plots/data/postcopy-latency-cdf.dat")" = 3 ] || fail "an empty class got a CDF"
}

# Runs that differ in a setting the label does not name by default (here
# --handler process beside thread) are rows of their own, named by it; runs
# differing only in how they were measured (seed, reps) share a row.
t_report_postcopy_other_settings() {
	local md csv
	mkdir "$T/set"
	cp "$PC/postcopy-anon-4K-preempt.json" "$T/set/"
	jq '.config.handler = "process"' "$PC/postcopy-anon-4K-preempt.json" >"$T/set/process.json"
	jq '.config.seed = 7 | .config.reps = 5' "$PC/postcopy-anon-4K-preempt.json" >"$T/set/seed.json"
	validate "$T/set/process.json"
	validate "$T/set/seed.json"
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	md=$T/rep/tables/postcopy.md
	csv=$T/rep/tables/postcopy.csv
	[ "$(tail -n +2 "$csv" | cut -d'"' -f2 | tr '\n' '|')" = \
		"anon 4K, preempt, handler=process|anon 4K, preempt, handler=thread|" ] ||
		{ cat "$csv"; fail "rows: handler must split them, seed must not"; }
	# the thread row holds both files' repetitions: 6
	[ "$(pc_row "$csv" "anon 4K, preempt, handler=thread" | sed -n 's/^reps=//p')" = 6 ] || fail "merged repetitions"
	[ "$(pc_row "$csv" "anon 4K, preempt, handler=process" | sed -n 's/^reps=//p')" = 3 ] || fail "process repetitions"
}

# Files without postcopy runs: no postcopy section, the rest as before,
# also when postcopy results sit beside them.
t_report_postcopy_absent_from_old_files() {
	local set d
	for set in "$FIXTURE" "${FB_ROOT:-$PWD}/tests/fixtures/results-v1/round0"; do
		d=$T/rep-$(basename "$set")
		fbrun report "$set" --out "$d" --quiet
		expect_rc 0 "report of $set"
		! compgen -G "$d/tables/postcopy*" >/dev/null ||
			fail "$set: a postcopy table from files without postcopy runs"
		! compgen -G "$d/plots/*/postcopy*" >/dev/null || fail "$set: postcopy plot data"
		grep -qi 'postcopy' "$d/index.md" && fail "$set: postcopy in the index"
	done
	mkdir "$T/old" "$T/mixed"
	cp "$FIXTURE"/rate-*.json "$T/old/"
	cp "$FIXTURE"/rate-*.json "$PC"/*.json "$T/mixed/"
	fbrun report "$T/old" --out "$T/rep-old" --quiet
	expect_rc 0 "report of the old files"
	fbrun report "$T/mixed" --out "$T/rep-mixed" --quiet
	expect_rc 0 "report of old and postcopy files"
	# the old experiment's tables, named apart from the new ones (-seq), hold the same
	for f in "$T/rep-old/tables/"*.csv; do
		cmp "$f" "$T/rep-mixed/tables/${f##*/}" 2>/dev/null ||
			cmp "$f" "$T/rep-mixed/tables/$(basename "$f" .csv)-seq.csv" ||
			fail "${f##*/} changed when postcopy results came beside it"
	done
	[ "$(tail -n +2 "$T/rep-mixed/tables/postcopy.csv" | wc -l)" = 4 ] || fail "the postcopy table holds other runs"
}

# bench/postcopy_table.sh: parses, exits cleanly when the binary has no
# postcopy mode, and, given one (a stand-in that writes the fixtures),
# prints our figures beside QEMU's.
t_postcopy_table_script() {
	local script=${FB_ROOT:-$PWD}/bench/postcopy_table.sh fake=$T/fakefb out
	bash -n "$script" || fail "does not parse"
	if command -v shellcheck >/dev/null; then
		shellcheck "$script" || fail "shellcheck"
	fi
	"$FB" run --mode help | awk '$1 == "postcopy"' | grep -q . ||
		{
			OUT=$T/none FB_BIN=$FB bash "$script" >"$T/out" 2>&1 || { cat "$T/out"; fail "no-mode path: exit $?"; }
			grep -q 'has no postcopy mode' "$T/out" || { cat "$T/out"; fail "no-mode message"; }
			[ ! -e "$T/none" ] || fail "no-mode path made a result directory"
		}
	cat >"$fake" <<EOF
#!/usr/bin/env bash
# faultbench with a postcopy mode that writes the fixtures
if [ "\$1 \$2 \$3" = "run --mode help" ]; then
	"$FB" run --mode help
	echo "postcopy       stand-in"
	exit 0
fi
if [ "\$1" = run ]; then
	b= p=plain o=
	while [ \$# -gt 0 ]; do
		case \$1 in --backing) b=\$2 ;; --preempt) p=preempt ;; --out) o=\$2 ;; esac
		shift
	done
	cp "$PC"/postcopy-\$b-*-\$p.json "\$o"
	exit 0
fi
exec "$FB" "\$@"
EOF
	chmod +x "$fake"
	out=$T/res
	OUT=$out FB_BIN=$fake SIZE=256M bash "$script" >"$T/table" 2>"$T/err" || { cat "$T/err"; fail "exit $?"; }
	grep -q '^+ .*run --mode postcopy --backing hugetlb --size 256M .*--workload random --access write .*--link-bw 10G .*--preempt' \
		"$T/err" || { cat "$T/err"; fail "commands not printed"; }
	[ -s "$out/report/tables/postcopy.md" ] || fail "no report"
	grep -qxF '| 4K | plain | 10.68 | 10.2 | 8.98 / 16.3 | 1.32 | 20 | 8.48 |' "$T/table" || { cat "$T/table"; fail "4K plain row"; }
	grep -qxF '| 4K | preempt | 0.57 | 0.547 | 0.502 / 0.878 | 1.35 | 21 | 0.380 |' "$T/table" || { cat "$T/table"; fail "4K preempt row"; }
	grep -qxF '| 2M | preempt | about 5 | 4.81 | 4.42 / 7.70 | 2.04 | 23 | 4.00 |' "$T/table" || { cat "$T/table"; fail "2M preempt row"; }
	grep -q 'ours 4K 18.7×, 2M 2.1×' "$T/table" || { cat "$T/table"; fail "ratios"; }
	grep -q "Guest: ours 256M, QEMU's 20 GB" "$T/table" || fail "setup differences"
	# an existing OUT is refused before anything runs
	OUT=$out FB_BIN=$fake bash "$script" >/dev/null 2>"$T/err" && fail "reused an existing OUT"
	grep -q 'exists' "$T/err" || fail "no message for an existing OUT"
}
