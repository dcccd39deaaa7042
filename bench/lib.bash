# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the benchmark scripts that run in a guest
# (bench/driver.sh, bench/ivshmem-pair.bats): raw numbers, nlbench output,
# the test client's in-kernel data bench.
#
# bench_raw_init OUTDIR: raw numbers go to OUTDIR/raw.txt from now on
# ("NAME REP VALUE" lines, "param NAME VALUE"; bench/report.py reads them).
# The caller sets TC (the test client's debugfs directory), DATA_LEN and
# DATA_KN (kbench's size and count) and r (the repetition) as it goes.

bench_raw_init() {
	mkdir -p "$1"
	raw=$1/raw.txt
	: >"$raw"
	t_start=$(date +%s)
}
log() { echo "bench: +$(($(date +%s) - t_start)) s: $*" >&2; }
rec() { echo "$*" >>"$raw"; }
param() { rec "param $1 $2"; }

# val KEY < nlbench output: the value of one "key value" line
val() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { exit !f }'; }

# tclient CMD...: a test client command; prints its result
tclient() {
	echo "$*" >"$TC/ctl" || { echo "bench: test client: $* failed" >&2; return 1; }
	cat "$TC/result"
}

# kbench DEV TOKEN NAME: the test client's bench of DATA_KN move_data()
# calls of DATA_LEN bytes from DEV into TOKEN, interleaved with as many
# in-kernel memcpy() calls; records kdata.NAME.* of repetition $r (medians
# of single calls: one timer interrupt or preempted vCPU moved the sums;
# means kept apart).
# shellcheck disable=SC2154 # r: the caller's repetition
kbench() {
	local sum_mv sum_mc med_mv med_mc min_mv min_mc
	read -r sum_mv sum_mc med_mv med_mc min_mv min_mc \
		< <(tclient bench "$1" "$2" "$DATA_LEN" "$DATA_KN")
	[ -n "$min_mc" ] || { echo "bench: test client bench: short result" >&2; return 1; }
	rec "kdata.$3.move_ns $r $med_mv"
	rec "kdata.$3.memcpy_ns $r $med_mc"
	rec "kdata.$3.move_min_ns $r $min_mv"
	rec "kdata.$3.memcpy_min_ns $r $min_mc"
	rec "kdata.$3.move_mean_ns $r $((sum_mv / DATA_KN))"
	rec "kdata.$3.memcpy_mean_ns $r $((sum_mc / DATA_KN))"
}
