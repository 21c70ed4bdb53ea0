# Shared style for faultbench plots, loaded by the other scripts.
# `faultbench report` runs each script with these set (gnuplot -e):
#   termkind  pngcairo | png | svg      outfile   the image to write
#   datafile  the data the report wrote plotdir   this directory
#   title1    what is plotted           title2    host and kernel
# To re-plot by hand, e.g.:
#   gnuplot -e "termkind='pngcairo'; outfile='x.png'; plotdir='plots'; \
#     datafile='results/latest/report/plots/data/rate-vs-vcpus-anon-128M.dat'; nseries=3; \
#     ylabel='k pages/s'; xtics='1,2'; xlog=0; title1='t'; title2='host'" plots/rate.gp
set encoding utf8
if (termkind eq 'svg') {
	set terminal svg size 960,600 dynamic noenhanced font 'sans,13' background rgb 'white'
} else {
	if (termkind eq 'pngcairo') {
		set terminal pngcairo size 960,600 noenhanced font 'sans,11' background rgb 'white'
	} else {
		set terminal png size 960,600 noenhanced
	}
}
set output outfile

# Okabe-Ito colours: distinct for the common colour-vision deficiencies
# and on grey-scale print; each line also has its own point shape, and
# lines 6 to 8 a dash pattern (6's sky blue is close to 1's blue).
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.3
set linetype 2 lc rgb '#D55E00' lw 2 pt 5 ps 1.3
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 1.5
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.5
set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 1.5
set linetype 6 lc rgb '#56B4E9' lw 2 pt 15 ps 1.5 dt 2
set linetype 7 lc rgb '#000000' lw 2 pt 3 ps 1.3 dt 4
set linetype 8 lc rgb '#999999' lw 2 pt 2 ps 1.3 dt 5
set linetype cycle 8

set title title1."\n".title2
set border 3
set tics nomirror out
set grid ytics lc rgb '#dddddd' lw 1 dt 1
set key noenhanced
