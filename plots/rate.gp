# Paging rate (or throughput) vs vCPUs, one line per mode, error bars from
# the minimum to the maximum repetition. Data: one block per mode, separated
# by two blank lines, each headed by "vcpus" "<mode label>" "min" "max",
# then rows: vcpus median min max.
# Also set: nseries (blocks), ylabel, xtics ('1,2,4'), xlog (1: log2 x axis),
# ylog (1: log10 y axis, when the medians span orders of magnitude).
load plotdir.'/common.gp'
set xlabel 'vCPUs (threads faulting concurrently)'
set ylabel ylabel
if (xlog) { set logscale x 2 }
eval 'set xtics ('.xtics.')'
set offsets graph 0.04, graph 0.04, graph 0.05, 0
if (ylog) { set logscale y 10; set format y '%g' } else { set yrange [0:*] }
set key top left box opaque
plot for [i=0:nseries-1] datafile index i using 1:2:3:4 with yerrorlines title columnheader(2)
