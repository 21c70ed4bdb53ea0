#!/usr/bin/env bash
# Copies a paper-suite result set's report into docs/paper/: the Markdown
# tables and PNG plots, and a README.md that is the report's index with the
# command, date, host and wall time on top. Only what docs/ keeps is linked.
#   ./faultbench suite paper            # writes results/paper-<time>/
#   ./faultbench report results/latest
#   bash bench/paper_docs.sh results/latest
set -euo pipefail
cd "$(dirname "$0")/.."
set_dir=${1:?usage: bash bench/paper_docs.sh RESULT_SET}
rep=$set_dir/report
out=docs/paper
[ -f "$rep/index.md" ] || { echo "no report in $rep: run ./faultbench report $set_dir first" >&2; exit 2; }
[ -f "$set_dir/index.json" ] || { echo "$set_dir/index.json missing: not a suite's result set" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out/tables" "$out/plots"
cp "$rep"/tables/*.md "$out/tables/"
cp "$rep"/plots/*.png "$out/plots/"

started=$(jq -r '.started // empty' "$set_dir/index.json")
ended=$(jq -r '.ended // empty' "$set_dir/index.json")
counts=$(jq -r '.counts | to_entries | map(select(.value > 0 and .key != "total"))
	| map("\(.value) \(.key)") | join(", ")' "$set_dir/index.json")
wall=""
[ -n "$started" ] && [ -n "$ended" ] && wall=$(( $(date -d "$ended" +%s) - $(date -d "$started" +%s) ))
{
	echo "# The paper suite on this machine"
	echo
	echo "Every table and plot below comes from one run of the paper suite"
	echo "(\`bench/suites/paper.suite\`: references 003, 000 and 001 at full size, and"
	echo "the latency of every mode), repeatable with:"
	echo
	echo '```'
	echo './faultbench suite paper && ./faultbench report results/latest'
	echo "bash bench/paper_docs.sh results/latest"
	echo '```'
	echo
	echo "Run from ${started:-?} to ${ended:-?}; configurations: $counts${wall:+; wall time $((wall / 60)) min $((wall % 60)) s}."
	echo "The host line below names the machine; its figures are this machine's, not a"
	echo "claim about yours. Rows beyond the host's CPUs are oversubscribed and marked."
	echo
	# the report's index without its links to files docs/ does not keep
	sed -e '1,/^Host: /{/^# /d}' -e '/^Files: \[Markdown\]/d' -e '/^\[SVG\](/d' "$rep/index.md"
} >"$out/README.md"
echo "wrote $out/README.md, $(ls "$out/tables" | wc -l) tables, $(ls "$out/plots" | wc -l) plots"
