# Orderings physics demands, measured in the same test with wide margins.
# No absolute time thresholds: only ratios, and bounds a sleep imposes.

rate() { jq -er '.summary.paging_rate_pps.median' "$1"; }

t_populated_touch_beats_faulting() {
	need_plain_build
	run_ok_or_skip "$T/none.json" --mode none --size 64M --reps 3 || return $?
	run_ok_or_skip "$T/pop.json" --mode populate --size 64M --reps 3 || return $?
	# touching present pages costs no fault: at least 2x (typically 10x+)
	awk -v a="$(rate "$T/pop.json")" -v b="$(rate "$T/none.json")" 'BEGIN { exit !(a > 2 * b) }' ||
		fail "populate $(rate "$T/pop.json") pps is not 2x none $(rate "$T/none.json") pps"
	jq -e '.summary.populate_seconds.median > 0' "$T/pop.json" >/dev/null ||
		fail "populate time not reported"
}

t_kernel_fill_beats_uffd_round_trip() {
	need_plain_build
	run_ok_or_skip "$T/none.json" --mode none --size 32M --reps 3 || return $?
	run_ok_or_skip "$T/uffd.json" --mode uffd-stock --size 32M --reps 3 || return $?
	# a userspace round trip (two context switches and a copy) per fault
	awk -v a="$(rate "$T/none.json")" -v b="$(rate "$T/uffd.json")" 'BEGIN { exit !(a > 1.5 * b) }' ||
		fail "none $(rate "$T/none.json") pps is not 1.5x uffd-stock $(rate "$T/uffd.json") pps"
}

t_service_delay_bounds_rate() {
	# one handler sleeping 500 us per fault cannot serve 2000 faults/s
	run_ok_or_skip "$T/d.json" --mode uffd-stock --size 2M --reps 1 --warmup 0 --service-delay-us 500 ||
		return $?
	awk -v a="$(rate "$T/d.json")" 'BEGIN { exit !(a < 2000) }' ||
		fail "rate $(rate "$T/d.json") pps with a 500 us delay per fault"
	jq -e '.runs[0].service_ns.p50 >= 500000' "$T/d.json" >/dev/null ||
		fail "handler service time must include the delay"
}
