# Where a fault's time goes: one stacked bar per mode, memory and vCPU
# count (delivery, service and wake medians on top of each other, µs), and
# the first-touch median as a point beside it: with one vCPU the stack
# should reach about that high.
# Data rows: "<label>" delivery service wake first_touch, the label one
# line per part (\n). Also set: nbars, nlines (the most lines of a label).
load plotdir.'/common.gp'
set ylabel 'µs (median of each repetition''s median)'
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.6
set xrange [-0.6:nbars-0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set xtics scale 0
# labels are stacked lines, not rotated: make room below for the longest
set bmargin nlines + 2
if (nbars > 6) { set xtics font ',8' }
set key outside right top
plot datafile using 2:xtic(1) title 'delivery' lt 1, \
     '' using 3 title 'service' lt 2, \
     '' using 4 title 'wake' lt 3, \
     '' using 0:5 with points pt 9 ps 2 lc rgb '#000000' title 'first-touch median'
