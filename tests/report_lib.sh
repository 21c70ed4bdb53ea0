# Helpers for the tests of `faultbench report` (tests/integration/suite.sh,
# report_*.sh): the checked-in result set, and reading its tables back.
FIXTURE=${FB_ROOT:-$PWD}/tests/fixtures/results-small

# median of a JSON array of numbers, as the result summary computes it
JQ_MEDIAN='def median: sort | if length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;'

# csv_get FILE COLUMN-HEADER FIRST-COLUMN-VALUE
csv_get() {
	awk -F, -v col="$2" -v row="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
		NR > 1 && $1 == row && c { print $c }' "$1"
}

# near A B: equal to 1e-3 relative (the CSV has 4 decimals)
near() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
		exit !(a != "" && d <= 1e-3 * (m > 1 ? m : 1)) }'
}
