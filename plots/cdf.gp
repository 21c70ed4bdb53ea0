# First-touch latency CDF on a log x axis, one line per mode. Data: one
# block per mode headed by "us" "<mode label>", rows: upper bound of a
# histogram bucket in µs, fraction of faults at or below it.
# Also set: nseries.
load plotdir.'/common.gp'
set xlabel 'first-touch latency, µs (log scale)'
set ylabel 'fraction of first touches at or below'
set logscale x 10
set format x '%g'
set yrange [0:1.02]
set ytics 0.1
set key bottom right box opaque
plot for [i=0:nseries-1] datafile index i using 1:2 with steps title columnheader(2)
