# Key-sensitivity plot (docs/results.md): accuracy against wrong sign-key bits.
# gnuplot -e "datafile='sweep.dat'; outfile='docs/img/key_sensitivity.svg'; chance=10" scripts/plot_keysweep.gp
if (!exists("datafile")) datafile = 'sweep.dat'
if (!exists("outfile")) outfile = 'key_sensitivity.svg'
if (!exists("chance")) chance = 10
set terminal svg size 720,420 dynamic font "sans,12"
set output outfile
set title "kgmac: Fashion-MNIST accuracy vs. wrong sign-key bits (right AES key)"
set xlabel "wrong sign-key bits (of R*C)"
set ylabel "test accuracy (%)"
set logscale x 2
set xrange [0.7:*]
set yrange [0:100]
set grid
set key top right
# x = 0 cannot sit on a log axis: the right-key point is drawn at x = 0.8.
plot datafile using ($1 == 0 ? 0.8 : $1):2:3:4 with yerrorlines lw 2 pt 7 title "mean (min..max over keys)", \
     chance with lines dt 2 lc rgb "gray" title "chance (10%)"
