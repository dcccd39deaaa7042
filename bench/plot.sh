#!/usr/bin/env bash
# plot.sh RESULTS.json OUT.png: the scaling curve of the DMB dump (time per
# DMB against DMB count, log-log, min..max bars) and the ratio table, side
# by side, with gnuplot.
set -euo pipefail
in=${1:?usage: plot.sh RESULTS.json OUT.png}
png=${2:?usage: plot.sh RESULTS.json OUT.png}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not installed (make deps)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jq -r '.dump_curve[] | "\(.dmbs) \(.median) \(.min) \(.max)"' "$in" >"$tmp/curve.dat"
jq -r '.dump_curve[] | "\(.dmbs) \(.rss_kib | max / 1024)"' "$in" >"$tmp/rss.dat"

# The table: one gnuplot label per cell, written by one jq run.
# shellcheck disable=SC2016 # a jq program
jq -r '
	def f: if . >= 1000 then (. | floor | tostring)
	       elif . >= 10 then ((. * 10 | round) / 10 | tostring)
	       else ((. * 1000 | round) / 1000 | tostring) end;
	def lab($t; $x; $y; $extra): "set label \"\($t)\" at screen \($x),\($y) \($extra)";
	lab("ratio"; 0.52; 0.90; "font \",11\""),
	lab("min"; 0.745; 0.90; "right font \",11\""),
	lab("median"; 0.82; 0.90; "right font \",11\""),
	lab("max"; 0.885; 0.90; "right font \",11\""),
	lab("target"; 0.90; 0.90; "font \",11\""),
	(.ratios | length) as $n | ([0.06, 0.84 / ($n + 0.5)] | min) as $step
	| (.ratios | to_entries | to_entries[]
	 | (0.84 - $step * .key) as $y | .value.key as $k | .value.value as $e
	 | (if $e.met == null then "black" elif $e.met then "#007000" else "#c00000" end) as $c
	 | (if $e.met == null then "" elif $e.met then "met" else "MISSED" end) as $m
	 | (if $e.target then "\($e.target.op) \($e.target.value)" else "-" end) as $t
	 | lab(if $e.unit == "ratio" then $k else "\($k) (\($e.unit))" end;
	       0.52; $y; "tc rgb \"\($c)\""),
	   lab($e.min | f; 0.745; $y; "right"),
	   lab($e.median | f; 0.82; $y; "right"),
	   lab($e.max | f; 0.885; $y; "right"),
	   lab("\($t) \($m)"; 0.90; $y; "tc rgb \"\($c)\""))' "$in" >"$tmp/table.gp"

# one row of the table per ratio, at least 32 px each
rows=$(jq '.ratios | length' "$in")
height=$((rows * 40 > 640 ? rows * 40 : 640))
kernel=$(jq -r '.params.kernel' "$in")
smoke=$(jq -r '.params.smoke' "$in")
title="dibs benchmarks, $kernel (qemu TCG)"
[ "$smoke" = 1 ] && title="$title, SMOKE run (small counts)"

gnuplot <<GP
set terminal pngcairo size 1400,$height font "sans,10" noenhanced
set output "$png"
set multiplot title "$title" font ",13"
set size 0.48,0.9
set origin 0.0,0.03
set logscale xy
set grid
set xlabel "DMBs"
set ylabel "ns per DMB (dibsctl -j dmb show, whole process)"
set y2label "peak RSS, MiB"
set y2tics
set logscale y2
set ytics nomirror
set key top right
plot "$tmp/curve.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "time per DMB (median, min..max)", \
     "$tmp/rss.dat" using 1:2 axes x1y2 with linespoints dt 2 pt 6 title "dibsctl peak RSS"
unset logscale
unset xlabel; unset ylabel; unset y2label; unset y2tics; unset grid; unset key
set size 0.5,0.9
set origin 0.5,0.03
set border 0
unset xtics; unset ytics
set xrange [0:1]; set yrange [0:1]
load "$tmp/table.gp"
plot 2 notitle
unset multiplot
GP
