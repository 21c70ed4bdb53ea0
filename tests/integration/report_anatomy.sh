# The report's fault anatomy: a table and stacked bars of where a fault's
# time goes, for the configurations that measured it.
source "${FB_ROOT:-$PWD}/tests/report_lib.sh"

# hist P50: a runs[].fault_anatomy histogram (no buckets) with that median
hist_jq() {
	printf '{count: 100, min: %s, mean: %s, p50: %s, p90: %s, p99: %s, p999: %s, max: %s, overflow: 0}' \
		"$1" "$1" "$1" "$1" "$1" "$1" "$1"
}

# anatomy D S W: a fault_anatomy object whose parts have those medians (ns),
# all 100 first touches matched, 40 of them with the vCPU running first
anatomy_jq() {
	printf '{available: true, delivery_ns: %s, service_ns: %s, wake_ns: %s, matched: 100,
		unmatched: 0, resumed_first: 40}' "$(hist_jq "$1")" "$(hist_jq "$2")" "$(hist_jq "$3")"
}

# From the checked-in set: uffd-stock with an anatomy (a different one per
# repetition), none without. Needs no kernel feature.
t_report_anatomy_fixture() {
	local v f csv row want
	mkdir "$T/set"
	cp "$FIXTURE"/rate-none-anon-*v-2M.json "$T/set/"
	for v in 1 2; do
		f=$T/set/uffd-$v.json
		jq ".runs |= [to_entries[] | .value.fault_anatomy = (if .key % 2 == 0
			then $(anatomy_jq 3000 2000 1000) else $(anatomy_jq 5000 4000 0) end) | .value]" \
			"$FIXTURE/rate-uffd-stock-anon-${v}v-2M.json" >"$f"
		validate "$f"
	done
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	csv=$T/rep/tables/fault-anatomy.csv
	[ -s "$csv" ] && [ -s "$T/rep/tables/fault-anatomy.md" ] || { ls "$T/rep/tables"; fail "no anatomy table"; }
	[ "$(grep -c '^none,' "$csv")" = 0 ] || fail "a configuration without anatomy has a row"
	for v in 1 2; do
		f=$T/set/uffd-$v.json
		row=$(awk -F, -v v="$v" '$1 == "uffd-stock" && $4 == v' "$csv")
		[ -n "$row" ] || { cat "$csv"; fail "no uffd-stock row at $v vCPUs"; }
		IFS=, read -r _ _ mem vc reps del srv wake sum ft matched unmatched resumed short <<<"$row"
		[ "$mem" = "anon 4K" ] || fail "memory '$mem'"
		want=$(jq '[.runs[] | select(.warmup | not)] | length' "$f")
		[ "$reps" = "$want" ] || fail "repetitions $reps, want $want"
		for part in delivery service wake; do
			want=$(jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not)
				| .fault_anatomy.'$part'_ns.p50] | median / 1000' "$f")
			case $part in delivery) got=$del ;; service) got=$srv ;; wake) got=$wake ;; esac
			near "$got" "$want" || fail "$part at $v: table $got, results $want"
		done
		near "$sum" "$(awk -v a="$del" -v b="$srv" -v c="$wake" 'BEGIN { print a + b + c }')" ||
			fail "sum $sum"
		want=$(jq "$JQ_MEDIAN"' [.runs[] | select(.warmup | not) | .fault_lat_ns.p50] | median / 1000' "$f")
		near "$ft" "$want" || fail "first touch $ft, want $want"
		want=$(jq '[.runs[] | select(.warmup | not)] | length * 100' "$f")
		[ "$matched" = "$want" ] && [ "$unmatched" = 0 ] || fail "matched $matched unmatched $unmatched"
		[ "$short" = no ] || fail "huge_short '$short'"
		grep -q "^| uffd-stock | anon 4K | $v | .* | 100 % | 40 % |$" "$T/rep/tables/fault-anatomy.md" ||
			{ cat "$T/rep/tables/fault-anatomy.md"; fail "md row at $v"; }
	done
	grep -q '^Where a fault.s time goes' "$T/rep/index.md" || fail "not in the index"
	grep -qF '"uffd-stock\n2 vCPUs" ' "$T/rep/plots/data/fault-anatomy.dat" || fail "plot data"
	if command -v gnuplot >/dev/null; then
		[ -s "$T/rep/plots/fault-anatomy.svg" ] || [ -s "$T/rep/plots/fault-anatomy.png" ] ||
			fail "no stacked-bar plot"
	fi
	# a set without any anatomy has no such table
	fbrun report "$FIXTURE" --out "$T/rep2" --quiet
	expect_rc 0 "report without anatomy"
	[ ! -e "$T/rep2/tables/fault-anatomy.md" ] || fail "an anatomy table from files without one"
	grep -q 'Where a fault' "$T/rep2/index.md" && fail "an anatomy section from files without one"
	return 0
}

# A real run: uffd-stock with one vCPU; the table shows what its JSON says.
t_report_anatomy_uffd_stock() {
	local f=$T/set/u.json csv row del srv wake ft
	mkdir "$T/set"
	run_ok_or_skip "$f" --mode uffd-stock --size 32M --vcpus 1 --reps 2 --warmup 0 || return $?
	jq -e '.runs[0].fault_anatomy.available' "$f" >/dev/null ||
		skip "no fault anatomy here: $(jq -r '.runs[0].fault_anatomy.reason // "absent"' "$f")"
	fbrun report "$T/set" --out "$T/rep" --quiet
	expect_rc 0 "report"
	csv=$T/rep/tables/fault-anatomy.csv
	row=$(awk -F, '$1 == "uffd-stock" && $4 == 1' "$csv")
	[ -n "$row" ] || { cat "$csv"; fail "no row"; }
	IFS=, read -r _ _ _ _ _ del srv _ _ ft matched _ _ _ <<<"$row"
	near "$del" "$(jq "$JQ_MEDIAN"' [.runs[].fault_anatomy.delivery_ns.p50] | median / 1000' "$f")" ||
		fail "delivery $del"
	near "$srv" "$(jq "$JQ_MEDIAN"' [.runs[].fault_anatomy.service_ns.p50] | median / 1000' "$f")" ||
		fail "service $srv"
	near "$ft" "$(jq "$JQ_MEDIAN"' [.runs[].fault_lat_ns.p50] | median / 1000' "$f")" || fail "first touch $ft"
	[ "$matched" = "$(jq '[.runs[].fault_anatomy.matched] | add' "$f")" ] || fail "matched $matched"
	# every first touch of uffd-stock is a fault with a message
	[ "$matched" -gt 0 ] && [ "$matched" = "$(jq '[.runs[].aggregate.pages] | add' "$f")" ] ||
		fail "matched $matched of $(jq '[.runs[].aggregate.pages] | add' "$f") first touches"
}
