# The gate as CI runs it: .ci/examples/gate.sh on the ci suite, and the
# regression bench/gate_proof.sh builds to prove it. The proof itself takes
# an hour (README: Does the gate tell a regression from noise?); these check
# that what it runs still works.

# .ci/examples/gate.sh with OLD and NEW the same build and too few rounds:
# the gate runs round 1, learns the suite's number of gated comparisons m,
# and stops inconclusive (exit 3), naming the rounds it needs. One round of
# the ci suite, both sides, and the report of it.
t_example_inconclusive_with_too_few_rounds() {
	local out=$T/ci m need ok
	OLD=$FB NEW=$FB OUT=$out SKIP_TEST=1 ROUNDS=5 bash "$FB_ROOT/.ci/examples/gate.sh" >"$T/out" 2>&1
	RC=$?
	expect_rc 3 "gate.sh with 5 rounds"
	"$FB" validate "$FB_ROOT/results/schema-gate.json" "$out/gate.json" || fail "gate.json: schema"
	[ "$(jget "$out/gate.json" .verdict)" = inconclusive ] || fail "verdict not inconclusive"
	[ -d "$out/a0" ] && [ -d "$out/b0" ] && [ ! -e "$out/a1" ] ||
		{ ls "$out"; fail "expected round 1 of both sides only"; }
	[ -s "$out/gate.md" ] || fail "no Markdown summary"
	ls "$out"/b0/report/tables/*.md >/dev/null 2>&1 || fail "no report of the B side"
	m=$(jget "$out/gate.json" .family_size)
	# the fewest rounds n with 2^-n * m < 0.05 (Holm's first step)
	need=$(awk -v m="$m" 'BEGIN { for (n = 1; m / 2 ^ n >= 0.05; n++); print n }')
	grep -q "give $need or more rounds" "$out/gate.json" ||
		{ jq -r .reason "$out/gate.json"; fail "the reason does not ask for $need rounds (m = $m)"; }
	# every configuration ran: then m is the 22 that the CI examples and the
	# README state (a host that skips some, e.g. without hugetlb pages, has fewer)
	ok=$(jq '[.configurations[] | select(.state == "ok")] | length' "$out/b0/index.json") ||
		fail "index.json of the B side"
	if [ "$ok" = "$(jq '.configurations | length' "$out/b0/index.json")" ]; then
		[ "$m" = 22 ] || fail "all $ok configurations ran but m = $m; the examples and README say 22"
	fi
	[ "$need" -le "${ROUNDS_EXAMPLE:-12}" ] || fail "m = $m needs $need rounds, more than the examples' 12"
}

# The proof's regression still applies to harness/uffd.c and compiles.
t_proof_patch_applies_and_builds() {
	command -v git >/dev/null || skip "no git to apply bench/gate_proof.patch"
	cp -r "$FB_ROOT/harness" "$FB_ROOT/workloads" "$T/" || fail "copy"
	(cd "$T" && git apply "$FB_ROOT/bench/gate_proof.patch") ||
		fail "bench/gate_proof.patch no longer applies to harness/uffd.c"
	grep -q CLOCK_THREAD_CPUTIME_ID "$T/harness/uffd.c" || fail "the patch did not change uffd.c"
	# shellcheck disable=SC2046
	cc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$T/harness" -I"$T/workloads" \
		$(pkg-config --cflags hwloc numa jansson 2>/dev/null) -c -o "$T/uffd.o" "$T/harness/uffd.c" ||
		fail "the patched uffd.c does not compile"
}
