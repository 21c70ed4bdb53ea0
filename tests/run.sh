#!/usr/bin/env bash
# Runs every test and ends with one line: "N passed, N failed, N skipped".
#   unit tests:        $FB_BUILD/tests/test_* (cmocka, TAP output)
#   integration tests: tests/integration/*.sh, each defining t_* functions
# A test that cannot run here is skipped with its reason, never passed.
# TESTS=pattern runs only the integration tests whose name matches.
set -u
cd "$(dirname "$0")/.."
export FB_BUILD=${FB_BUILD:-build}
export FB_BIN=${FB_BIN:-$PWD/faultbench}
export FB_ROOT=$PWD
pass=0 fail=0 skip=0
failed=()

count_tap() { # name-prefix < tap-output
	local line name
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*|"ok "*"# skip"*)
			skip=$((skip + 1)); echo "$1: $line" ;;
		"ok "*)
			pass=$((pass + 1)); echo "$1: $line" ;;
		"not ok "*)
			fail=$((fail + 1)); failed+=("$1: ${line#not ok }"); echo "$1: $line" ;;
		"#"*)
			echo "$1: $line" ;;
		esac
	done
}

echo "== unit tests"
for t in "$FB_BUILD"/tests/test_*; do
	[ -x "$t" ] && [ "${t%.d}" = "$t" ] || continue
	name=$(basename "$t")
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1); rc=$?
	count_tap "$name" <<<"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' <<<"$out"; then
		fail=$((fail + 1)); failed+=("$name: exited $rc without a TAP failure (crash?)")
		echo "$name: not ok - exited $rc"; tail -5 <<<"$out" | sed 's/^/#   /'
	fi
done

echo "== integration tests"
for f in tests/integration/*.sh; do
	for fn in $(bash -c "source tests/lib.sh; source $f; declare -F" | awk '{print $3}' | grep '^t_'); do
		name="$(basename "$f" .sh)/${fn#t_}"
		[ -n "${TESTS:-}" ] && ! grep -Eq -- "$TESTS" <<<"$name" && continue
		start=$(date +%s)
		out=$(bash -c "source tests/lib.sh; source $f; fb_setup; $fn; rc=\$?; fb_teardown; exit \$rc" 2>&1 </dev/null)
		rc=$?
		secs=$(( $(date +%s) - start ))
		case $rc in
		0)  pass=$((pass + 1)); echo "ok - $name (${secs}s)" ;;
		77) skip=$((skip + 1)); echo "ok - $name # SKIP $(grep '^skip: ' <<<"$out" | tail -1 | cut -c7-)" ;;
		*)  fail=$((fail + 1)); failed+=("$name")
		    echo "not ok - $name (exit $rc, ${secs}s)"; tail -25 <<<"$out" | sed 's/^/#   /' ;;
		esac
	done
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "== failed"
	printf '  %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
