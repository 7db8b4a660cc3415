# Fine-tuning thief plot (docs/security.md): test accuracy against the
# fraction of the training set the thief holds, per lock, next to training
# from scratch on the same subset.
# python3 scripts/finetune_dat.py finetune.json > finetune.dat
# gnuplot -e "datafile='finetune.dat'; outfile='docs/img/finetune.svg'; original=89.59" scripts/plot_finetune.gp
if (!exists("datafile")) datafile = 'finetune.dat'
if (!exists("outfile")) outfile = 'finetune.svg'
if (!exists("chance")) chance = 10
# original: the unlocked float model's accuracy (%), drawn as a reference line.
if (!exists("original")) original = NaN
stats datafile using 1 nooutput
ncols = STATS_columns
set terminal svg size 720,420 dynamic font "sans,12"
set output outfile
set title "kgmac: fine-tuning thief vs. training from scratch (Fashion-MNIST MLP)"
set xlabel "training data held by the thief (%)"
set ylabel "test accuracy (%)"
set logscale x 2
set xtics (1, 2, 5, 10)
set xrange [0.8:12.5]
set yrange [0:100]
set grid
set key bottom right
# Column 1: percent; column 2: scratch; the others: one thief each.
plot datafile using 1:2 with linespoints lw 3 lc rgb "black" pt 7 title columnheader(2), \
     for [i=3:ncols] datafile using 1:i with linespoints lw 2 pt (i+2) title columnheader(i), \
     original with lines dt 3 lw 2 lc rgb "red" title sprintf("original model (%.2f%%)", original), \
     chance with lines dt 2 lc rgb "gray" title "chance (10%)"
