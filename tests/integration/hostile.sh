# Hostile input. Whatever a result file holds, `report`, `gate` and
# `compare` end with exit 2 and one line naming the file and the problem;
# never a signal, a hang or memory beyond harness/analysis/jsonload.h's limits. Each
# test corrupts a copy of the checked-in fixture (tests/fixtures/results-small).
# Last, the fuzzing seeds replayed, and a suite file that once took minutes.
FIXTURE=${FB_ROOT:-$PWD}/tests/fixtures/results-small
CORPUS=${FB_ROOT:-$PWD}/tests/fuzz/corpus/result
VICTIM=rate-none-anon-1v-2M.json
HOSTILE_TIMEOUT=60

# $T/good: two fixture results, no index. $T/bad: the same, for a test to
# spoil $T/bad/$VICTIM.
hsets() {
	local d
	for d in good bad; do
		mkdir -p "$T/$d"
		cp "$FIXTURE/$VICTIM" "$FIXTURE/rate-uffd-stock-anon-1v-2M.json" "$T/$d/"
	done
}

# the victim through a jq filter, compact (one line)
spoil() { # jq-filter
	jq -c "$1" "$FIXTURE/$VICTIM" >"$T/bad/$VICTIM" || fail "jq '$1' failed"
}

# the victim with the JSON value "HOLE" replaced by stdin
splice() { # jq-filter-that-puts-"HOLE"-somewhere
	local doc
	doc=$(jq -c "$1" "$FIXTURE/$VICTIM") || fail "jq '$1' failed"
	{ printf '%s' "${doc%%\"HOLE\"*}"; cat; printf '%s' "${doc#*\"HOLE\"}"; } >"$T/bad/$VICTIM"
}

# one command on the sets, bounded in time; rc in $RC, output in $T/out
hrun() { # command
	case $1 in
	report) timeout "$HOSTILE_TIMEOUT" "$FB" report "$T/bad" --out "$T/rep" --quiet ;;
	gate) timeout "$HOSTILE_TIMEOUT" "$FB" gate --baseline "$T/good" --current "$T/bad" ;;
	gate-self) timeout "$HOSTILE_TIMEOUT" "$FB" gate --baseline "$T/bad" --current "$T/bad" ;;
	compare) timeout "$HOSTILE_TIMEOUT" "$FB" compare "$T/good" "$T/bad" ;;
	esac >"$T/out" 2>&1
	RC=$?
	[ "$RC" -ne 124 ] || fail "$1 did not finish in ${HOSTILE_TIMEOUT}s"
	[ "$RC" -lt 128 ] || { cat "$T/out"; fail "$1 died of signal $((RC - 128))"; }
}

# report, gate and compare each exit 2 with one message that names the
# file ($2, default the victim) and holds every string given
hostile() { # "words" [file]
	local want=$1 file=${2:-$T/bad/$VICTIM} cmd
	for cmd in report gate compare; do
		hrun "$cmd"
		expect_rc 2 "$cmd: $want"
		grep -qF -- "$file" "$T/out" || { cat "$T/out"; fail "$cmd: the message must name $file"; }
		grep -qF -- "$want" "$T/out" || { cat "$T/out"; fail "$cmd: the message lacks '$want'"; }
		[ "$(wc -l <"$T/out")" -eq 1 ] || { cat "$T/out"; fail "$cmd: one line expected"; }
	done
}

t_truncated() {
	hsets
	head -c 3000 "$FIXTURE/$VICTIM" >"$T/bad/$VICTIM"
	hostile ":1:3000: truncated JSON"
}

t_truncated_mid_string() {
	hsets
	spoil . && head -c 200 "$T/bad/$VICTIM" >"$T/x" && mv "$T/x" "$T/bad/$VICTIM"
	hostile "truncated JSON"
}

t_empty_file() {
	hsets
	: >"$T/bad/$VICTIM"
	hostile "empty file"
}

t_white_space_only() {
	hsets
	printf ' \n\t\n' >"$T/bad/$VICTIM"
	hostile "empty file (only white space)"
}

t_directory_instead_of_file() {
	hsets
	rm "$T/bad/$VICTIM" && mkdir "$T/bad/$VICTIM"
	hostile "a directory, not a JSON file"
}

t_fifo_does_not_hang() {
	hsets
	rm "$T/bad/$VICTIM" && mkfifo "$T/bad/$VICTIM"
	hostile "a FIFO, not a JSON file"
}

t_device_is_not_read() {
	hsets
	rm "$T/bad/$VICTIM" && ln -s /dev/zero "$T/bad/$VICTIM"
	hostile "a device, not a JSON file"
}

t_unreadable_symlink() {
	hsets
	rm "$T/bad/$VICTIM" && ln -s "$T/bad/$VICTIM" "$T/bad/$VICTIM"
	hostile "cannot open: Too many levels of symbolic links"
}

t_top_level_array() {
	hsets
	echo '[1, 2, 3]' >"$T/bad/$VICTIM"
	hostile "/: expected object, got array"
}

t_top_level_string() {
	hsets
	echo '"a result"' >"$T/bad/$VICTIM"
	hostile "/: expected object, got string"
}

t_top_level_null() {
	hsets
	echo 'null' >"$T/bad/$VICTIM"
	hostile "/: expected object, got null"
}

t_wrong_type() {
	hsets
	spoil '.config.vcpus = "two"'
	hostile "/config/vcpus: expected integer, got string"
}

t_wrong_type_deep() {
	hsets
	spoil '.runs[1].aggregate.paging_rate_pps = "fast"'
	hostile "/runs/1/aggregate/paging_rate_pps: expected number, got string"
}

t_wrong_type_container() {
	hsets
	spoil '.runs = {"0": .runs[0]}'
	hostile "/runs: expected array, got object"
}

t_missing_field() {
	hsets
	spoil 'del(.runs[0].aggregate)'
	hostile "/runs/0: missing required field 'aggregate'"
}

t_missing_top_field() {
	hsets
	spoil 'del(.config)'
	hostile "/: missing required field 'config'"
}

t_unknown_field() {
	hsets
	spoil '.config.color = "blue"'
	hostile "/config/color: unknown field"
}

t_number_overflows_to_inf() {
	hsets
	spoil '.runs[0].aggregate.paging_rate_pps = "HOLE"'
	sed -i 's/"HOLE"/1e999/' "$T/bad/$VICTIM"
	hostile "real number overflow near '1e999'"
}

t_nan_literal() {
	hsets
	spoil '.runs[0].aggregate.paging_rate_pps = "HOLE"'
	sed -i 's/"HOLE"/NaN/' "$T/bad/$VICTIM"
	hostile "invalid token near 'NaN'"
}

t_huge_integer() {
	hsets
	spoil '.config.seed = "HOLE"'
	sed -i 's/"HOLE"/123456789012345678901234567890/' "$T/bad/$VICTIM"
	hostile "too big integer"
}

t_integer_beyond_limit() {
	hsets
	spoil '.config.vcpus = 1e300'
	hostile "/config/vcpus: 1e+300 is greater than maximum 4096"
}

t_negative_count() {
	hsets
	spoil '.runs[0].counters.uffd_msgs = -1'
	hostile "/runs/0/counters/uffd_msgs: -1 is less than minimum 0"
}

t_negative_zero() {
	hsets
	spoil '.config.vcpus = "HOLE"'
	sed -i 's/"HOLE"/-0/' "$T/bad/$VICTIM"
	hostile "/config/vcpus: 0 is less than minimum 1"
}

t_fraction_for_integer() {
	hsets
	spoil '.runs[0].rep = 0.5'
	hostile "/runs/0/rep: expected integer, got number"
}

t_too_many_buckets() {
	hsets
	spoil '.runs[0].fault_lat_ns.buckets = [range(3000) | [., . + 1, 1]]'
	hostile "/runs/0/fault_lat_ns/buckets: has 3000 items, more than maxItems 2752"
}

t_bucket_not_a_triple() {
	hsets
	spoil '.runs[0].fault_lat_ns.buckets = [[1, 2]]'
	hostile "/runs/0/fault_lat_ns/buckets/0: has 2 items, fewer than minItems 3"
}

t_ten_million_buckets() {
	# 80 MB: over the size limit, refused before it is read
	hsets
	yes '[1,2,1]' | head -n 10000000 | paste -sd, | splice '.runs[0].fault_lat_ns.buckets = ["HOLE"]'
	hostile "larger than 64 MiB; not loaded"
}

t_ten_million_rates() {
	# 20 MB of numbers: under the size limit, over the value limit, which is
	# checked before anything is allocated for them
	hsets
	yes 1 | head -n 10000000 | paste -sd, | splice '.runs[0].vcpus = ["HOLE"]'
	hostile "/runs/0/vcpus/"
	grep -qF "more than 4194304 values in one file" "$T/out" || fail "must name the value limit"
}

t_many_vcpu_objects() {
	hsets
	spoil '.runs[0].vcpus = [range(5000) as $i | .runs[0].vcpus[0] | .vcpu = $i]'
	hostile "/runs/0/vcpus: has 5000 items, more than maxItems 4096"
}

t_not_utf8() {
	hsets
	spoil '.config.mode = "HOLE"'
	sed -i 's/"HOLE"/"no\xffne"/' "$T/bad/$VICTIM"
	hostile "not UTF-8: unable to decode byte 0xff"
}

t_not_utf8_key() {
	hsets
	spoil '.config.mode = "HOLE"'
	sed -i 's/"mode":"HOLE"/"mo\xc3de":"none"/' "$T/bad/$VICTIM"
	hostile "not UTF-8"
}

t_nul_escape() {
	hsets
	spoil '.config.mode = "HOLE"'
	sed -i 's/"HOLE"/"no\\u0000ne"/' "$T/bad/$VICTIM"
	hostile "a NUL byte"
}

t_nul_byte() {
	hsets
	spoil . && printf '\0' >>"$T/bad/$VICTIM"
	hostile "a NUL byte; JSON is text"
}

t_trailing_garbage() {
	hsets
	spoil . && echo ' {}' >>"$T/bad/$VICTIM"
	hostile "end of file expected"
}

t_duplicate_key() {
	hsets
	spoil '.config.mode = "HOLE"'
	sed -i 's/"mode":"HOLE"/"mode":"none","mode":"uffd-stock"/' "$T/bad/$VICTIM"
	hostile "duplicate object key"
}

t_deeply_nested() {
	hsets
	{ head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; } |
		splice '.runs[0].mode_data = {"x": "HOLE"}'
	hostile "nested deeper than 2048 levels"
}

t_deeply_nested_top() {
	hsets
	{ head -c 3000 /dev/zero | tr '\0' '{' | sed 's/{/{"a":/g'; echo 1; head -c 3000 /dev/zero | tr '\0' '}'; } \
		>"$T/bad/$VICTIM"
	hostile "nested deeper than 2048 levels"
}

# Odd but schema-valid: each command must simply work (gate may find a
# regression, exit 1, or, with one run a side, be inconclusive, exit 3).
t_valid_oddities_do_not_crash() {
	local cmd deep
	hsets
	deep=$(printf '%*s' 2000 '' | tr ' ' '[')$(printf '%*s' 2000 '' | tr ' ' ']')
	jq -c '.config.workload = ("w" * 100000) | .host.kernel["k\u00e9y/~0"] = "\u2603"
		| .runs[0].mode_data = {"x": "HOLE"} | .runs[].aggregate.paging_rate_pps = 1.7e308
		| .runs[0].fault_lat_ns.p50 = "ZERO" | .runs[1].fault_lat_ns.buckets = "BIG"' \
		"$FIXTURE/$VICTIM" | sed -e "s/\"HOLE\"/$deep/" -e 's/"ZERO"/-0.0/' \
		-e 's/"BIG"/[[9223372036854775807,9223372036854775807,9223372036854775807]]/' \
		>"$T/bad/$VICTIM" || fail "jq failed"
	"$FB" validate "$SCHEMA" "$T/bad/$VICTIM" || fail "the odd file must be schema-valid"
	for cmd in report gate-self compare; do
		hrun "$cmd"
		[ "$RC" -le 1 ] || { [ "$cmd" = gate-self ] && [ "$RC" -eq 3 ]; } ||
			{ cat "$T/out"; fail "$cmd: exit $RC on a valid file"; }
	done
}

# --- with an index (a suite's result set) ---

# $T/bad as a copy of the whole fixture set, index included
iset() {
	mkdir -p "$T/good" "$T/bad"
	cp "$FIXTURE"/* "$T/good/"
	cp "$FIXTURE"/* "$T/bad/"
}

t_index_truncated() {
	iset
	head -c 500 "$FIXTURE/index.json" >"$T/bad/index.json"
	hostile "truncated JSON" "$T/bad/index.json"
}

t_index_is_a_directory() {
	iset
	rm "$T/bad/index.json" && mkdir "$T/bad/index.json"
	hostile "a directory" "$T/bad/index.json"
}

t_index_wrong_type() {
	iset
	jq '.configurations[2].state = 7' "$FIXTURE/index.json" >"$T/bad/index.json"
	hostile "/configurations/2/state: 7 is not one of" "$T/bad/index.json"
}

t_index_file_escapes() {
	iset
	jq '.configurations[0].file = "../../etc/passwd"' "$FIXTURE/index.json" >"$T/bad/index.json"
	hostile "file '../../etc/passwd' is not a plain file name" "$T/bad/index.json"
}

t_index_empty_file_name() {
	iset
	jq '.configurations[0].file = ""' "$FIXTURE/index.json" >"$T/bad/index.json"
	hostile "file '' is not a plain file name" "$T/bad/index.json"
}

t_index_names_one_file_many_times() {
	iset
	jq '.configurations = [range(5000) as $i | .configurations[0] | .id = "c\($i)"]' \
		"$FIXTURE/index.json" >"$T/bad/index.json"
	hostile "configurations 'c0' and 'c1' both name file '$VICTIM'" "$T/bad/index.json"
}

t_index_too_many_configurations() {
	iset
	jq '.configurations = [range(20001) as $i | .configurations[0] | .id = "c\($i)" | .file = null]' \
		"$FIXTURE/index.json" >"$T/bad/index.json"
	hostile "/configurations: has 20001 items, more than maxItems 20000" "$T/bad/index.json"
}

t_index_missing_result() {
	iset
	rm "$T/bad/$VICTIM"
	hostile "cannot open: No such file or directory"
}

t_index_result_spoiled() {
	iset
	jq '.status.state = "great"' "$FIXTURE/$VICTIM" >"$T/bad/$VICTIM"
	hostile "/status/state: 'great' is not one of ok, skipped, failed, interrupted"
}

t_index_other_command_truncated() {
	iset
	head -c 50 "$FIXTURE/wp-cost-wpcost.json" >"$T/bad/wp-cost-wpcost.json"
	hostile "truncated JSON" "$T/bad/wp-cost-wpcost.json"
}

t_other_json_odd_shapes() {
	# another tool's JSON is read unchecked: odd shapes are left out, not
	# fatal (exit 1 at most: gnuplot may find nothing to plot)
	local cmd
	hsets
	echo '{"strategies": [1, "x", {"name": 5}, {"name": "a", "wp_us": "slow"}, {"name": "b", "wp_us": {"median": 3}}],
	       "benchmarks": [null, {"name": "n", "real_time": "x", "iterations": 1e300}]}' >"$T/bad/other.json"
	for cmd in report compare; do
		hrun "$cmd"
		[ "$RC" -le 1 ] || { cat "$T/out"; fail "$cmd: exit $RC"; }
	done
}

# Every file of the fuzzing seed corpus, alone in a set: exit 0, 1, 2 or
# (gate, inconclusive) 3, never a signal (the fuzzer runs these and more
# under ASan; this is the normal build).
t_fuzz_corpus_replay() {
	local f n=0
	[ -d "$CORPUS" ] || skip "no $CORPUS"
	mkdir -p "$T/good"
	cp "$FIXTURE/$VICTIM" "$T/good/"
	for f in "$CORPUS"/*; do
		rm -rf "$T/bad" && mkdir -p "$T/bad" && cp "$f" "$T/bad/$VICTIM"
		for cmd in report gate compare; do
			hrun "$cmd"
			[ "$RC" -le 2 ] || { [ "$cmd" = gate ] && [ "$RC" -eq 3 ]; } ||
				{ cat "$T/out"; fail "$cmd on $(basename "$f"): exit $RC"; }
		done
		timeout "$HOSTILE_TIMEOUT" "$FB" validate "$SCHEMA" "$T/bad/$VICTIM" >"$T/out" 2>&1
		RC=$?
		[ "$RC" -eq 0 ] || [ "$RC" -eq 2 ] || { cat "$T/out"; fail "validate on $(basename "$f"): exit $RC"; }
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "empty corpus"
}

# A suite file is parsed in time linear in its configurations: 5120 with
# one id (repeated values) once took minutes, each new -dupN rescanning all.
t_suite_repeated_values() {
	{
		printf '[m]\nmode: none\nsize: 4M\nvcpus:'
		printf ' 1%.0s' $(seq 256)
		printf '\nwarmup:'
		printf ' 0%.0s' $(seq 20)
		printf '\n'
	} >"$T/rep.suite"
	timeout "$HOSTILE_TIMEOUT" "$FB" suite "$T/rep.suite" --list >"$T/out" 2>&1
	RC=$?
	expect_rc 0 "5120 repeated configurations"
	grep -q -- '-dup5120	' "$T/out" || fail "the last repeat must be -dup5120"
	[ "$(cut -f1 "$T/out" | sort | uniq -d | wc -l)" -eq 0 ] || fail "ids must be unique"
}
