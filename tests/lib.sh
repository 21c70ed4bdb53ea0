# Helpers for integration tests. Each test is a function t_NAME that
# returns 0 (pass), 77 (skip: print "skip: reason" first) or anything else.
FB=${FB_BIN:-$PWD/faultbench}
SCHEMA=${FB_ROOT:-$PWD}/results/schema.json

fb_setup() {
	T=$(mktemp -d /tmp/fbtest.XXXXXX)
	HP_BEFORE=$(hp_state)
}

fb_teardown() {
	local after
	after=$(hp_state)
	rm -rf "$T"
	if [ "$after" != "$HP_BEFORE" ]; then
		echo "FAIL: huge page pools changed: before [$HP_BEFORE] after [$after]"
		return 1
	fi
}

# nr_hugepages of every pool size, one string
hp_state() {
	local f
	for f in /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages; do
		[ -r "$f" ] && printf '%s=%s ' "$(basename "$(dirname "$f")")" "$(cat "$f")"
	done
}

skip() { echo "skip: $*"; exit 77; }

# Ratios of two modes' speed hold for the real binary, not for one built
# with a sanitizer, which instruments every guest access.
need_plain_build() {
	case "${FB_BUILD:-build}" in
	build) ;;
	*) skip "speed ratios mean nothing in a sanitizer build ($FB_BUILD)" ;;
	esac
}
fail() { echo "FAIL: $*"; exit 1; }

# Run faultbench as nobody; output in $T/out, code in $RC. Extra
# environment goes first: as_nobody VAR=value ... -- args
as_nobody() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups "$FB" "$@" >"$T/out" 2>&1
	RC=$?
}

# Root, setpriv and a user nobody that can run $FB, or a skip
need_nobody() {
	[ "$(id -u)" = 0 ] || skip "needs root to drop to nobody"
	command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$FB" ||
		skip "nobody cannot execute $FB (a directory above it is not world-searchable)"
	chmod 777 "$T"
}

# THP the way the thp backing needs it, or a skip saying why not
need_thp() {
	local f=/sys/kernel/mm/transparent_hugepage/enabled
	[ -r "$f" ] || skip "no transparent huge pages on this kernel ($f missing)"
	grep -q '\[never\]' "$f" && skip "THP is disabled ($f = never)"
	return 0
}

# Every repetition's mode_data against results/schema.json's $defs/DEF
mode_data_schema() { # result.json DEF
	local r=$1 def=$2 s=$T/md-schema.json d=$T/md.json i n
	jq --arg name "$def" '{"$defs": .["$defs"], "$ref": ("#/$defs/" + $name)}' "$SCHEMA" >"$s"
	n=$(jget "$r" '.runs | length')
	for ((i = 0; i < n; i++)); do
		jq ".runs[$i].mode_data" "$r" >"$d"
		"$FB" validate "$s" "$d" || fail "runs[$i].mode_data does not match \$defs/$def"
	done
}

# jq over a result file; fails the test when jq fails
jget() { jq -er "$2" "$1" || fail "jq '$2' on $1 failed"; }

# run faultbench, keep stdout+stderr in $T/out, exit code in $RC
fbrun() {
	"$FB" "$@" >"$T/out" 2>&1
	RC=$?
	return 0
}

expect_rc() { # expected-code description
	[ "$RC" -eq "$1" ] || { cat "$T/out"; fail "$2: exit $RC, expected $1"; }
}

validate() { # file
	"$FB" validate "$SCHEMA" "$1" || fail "$1 does not match results/schema.json"
}

# A run that must pass here, or skip with the JSON's reason (exit 77).
run_ok_or_skip() { # out.json flags...
	local out=$1
	shift
	fbrun run --quiet --out "$out" "$@"
	if [ "$RC" -eq 77 ]; then
		validate "$out"
		echo "skip: $(jq -r .status.reason "$out")"
		return 77
	fi
	expect_rc 0 "faultbench run $*"
	validate "$out"
	[ "$(jget "$out" .status.state)" = ok ] || fail "state not ok"
}
