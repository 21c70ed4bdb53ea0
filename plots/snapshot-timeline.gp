# vCPU write throughput around a live snapshot's start (T0 = 0): one line
# per strategy of one configuration. Data: one block per strategy headed by
# "ms from T0" "<strategy>", rows: ms from T0, M writes/s summed over the
# vCPUs (runs[].timeline of `faultbench snapshot`, first repetition).
# Also set: nseries.
load plotdir.'/common.gp'
set xlabel 'time from snapshot start T0, ms'
set ylabel 'vCPU writes, M/s (all vCPUs)'
set yrange [0:*]
set arrow from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#666666'
set key top right box opaque
plot for [i=0:nseries-1] datafile index i using 1:2 with lines lw 2 title columnheader(2)
