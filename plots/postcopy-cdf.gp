# Postcopy fault latency CDFs on a log x axis: one line per configuration
# and class (urgent: the page came in answer to a request; stream: the
# background stream brought it). Data: one block per line headed by
# "us" "<configuration>: <class>", rows: upper bound of a histogram bucket
# in µs, fraction of that class's faults at or below it.
# Also set: nseries; lcs and dts, one word per line: its linetype's colour
# (the configuration) and dash type (1 urgent, 2 stream; stream lines are
# also thinner: a step line's dashes restart at each step and can look solid).
load plotdir.'/common.gp'
set xlabel 'fault latency, µs (log scale)'
set ylabel 'fraction of faults at or below'
set logscale x 10
set format x '%g'
set yrange [0:1.02]
set ytics 0.1
# many lines: the key below the plot, not over the curves
set key below
# (dt takes an expression only unparenthesised: "dt (...)" reads as a pattern)
plot for [i=0:nseries-1] datafile index i using 1:2 with steps \
	lc int(word(lcs, i + 1)) dt int(word(dts, i + 1)) lw (3 - int(word(dts, i + 1))) \
	title columnheader(2)
