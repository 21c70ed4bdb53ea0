# vCPU write throughput around a live snapshot's start (0): one line per
# strategy of one configuration. The start is T0 for every strategy but
# precopy, whose T0 is its final pause, after its passes. Data: one block
# per strategy headed by "ms from start" "<strategy>", rows: ms from the
# snapshot's start, M writes/s summed over the
# vCPUs (runs[].timeline of `faultbench snapshot`, first repetition).
# Also set: nseries.
load plotdir.'/common.gp'
set xlabel 'time from the snapshot''s start, ms (precopy: T0 is its final pause)'
set ylabel 'vCPU writes, M/s (all vCPUs)'
set yrange [0:*]
set arrow from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#666666'
set key top right box opaque
plot for [i=0:nseries-1] datafile index i using 1:2 with lines lw 2 title columnheader(2)
