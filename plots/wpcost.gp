# Write-protect cost of an empty range, per protect strategy: two bars per
# strategy (the write-protect ioctl, and the pre-fault it needed), log y
# axis because the strategies differ by orders of magnitude.
# Data rows: "<strategy>" wp_us prefault_us (from `faultbench wpcost`).
load plotdir.'/common.gp'
set ylabel 'time, µs (log scale)'
set xlabel 'protect strategy'
set logscale y 10
set format y '%g'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.9
set xtics scale 0
set key top right box opaque
# a zero pre-fault has no bar on a log axis: plotted as missing
plot datafile using ($2 > 0 ? $2 : NaN):xtic(1) title 'UFFDIO_WRITEPROTECT', \
     '' using ($3 > 0 ? $3 : NaN) title 'pre-fault'
