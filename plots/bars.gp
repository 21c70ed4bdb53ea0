# One bar per mode at a single vCPU count (e.g. the zero-unreg dd-style
# experiment), a bar from the minimum to the maximum repetition (drawn as a
# capped line: yerrorbars leave a gap at the median), the median on top.
# Data rows: "<mode label>" median min max. Also set: nbars, ylabel,
# ylog (1: log10 y axis, when the medians span orders of magnitude).
load plotdir.'/common.gp'
set ylabel ylabel
set xlabel 'mode'
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.6
set xrange [-0.6:nbars-0.4]
if (ylog) { set logscale y 10; set format y '%g' } else { set yrange [0:*]; set offsets 0, 0, graph 0.12, 0 }
set xtics scale 0
# long labels side by side would overlap
if (nbars > 3) { set xtics rotate by -20 left }
plot datafile using 0:2:($0+1):xtic(1) with boxes lc variable notitle, \
     '' using 0:3:(0):($4-$3) with vectors heads size 0.04,90 lc rgb '#000000' lw 1.5 notitle, \
     '' using 0:4:(sprintf('%.3g', $2)) with labels offset 0,0.9 notitle
