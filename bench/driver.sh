#!/usr/bin/env bash
# The benchmarks of bench/, run inside the test VM (bench/bench.bats for
# `make bench`, tests/bench-smoke.bats for `make check`).
#
#   driver.sh [--smoke | --blk] OUTDIR
#
# Every figure is a ratio of two things measured side by side, repetition
# by repetition, in this one run: absolute times under TCG on a shared
# machine mean little. Raw numbers go to OUTDIR/raw.txt ("NAME REP VALUE"
# lines, "param NAME VALUE" for the sizes used), slab and meminfo snapshots
# next to it; bench/report.py turns them into OUTDIR/results.json.
# --smoke: the same benchmarks with small counts, in seconds.
# --blk: the block benchmark alone (blk.bash), with the full counts
# (BLK_REPS repetitions, default 5); report.py --blk makes its results.json
# (bench/blk.bats, `bench/run.sh --only blk`). BLK_SECS (seconds per fio
# job, 3) and BLK_QD (its queue depth, 4) may be set for either run.
#
# Needs root, the modules built for the running kernel ($DIBS_BUILD), the
# dummy module of the running kernel, dibsctl, bench/nlbench,
# bench/conbench, jq, python3.
# Leaves every module unloaded.
set -euo pipefail

smoke=0 blk_only=0
case ${1:-} in
--smoke) smoke=1; shift ;;
--blk) blk_only=1; shift ;;
esac
out=${1:?usage: driver.sh [--smoke | --blk] OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export DIBS_REPO=${DIBS_REPO:-$repo}
# shellcheck source=../tests/lib/dibs.bash
. "$repo/tests/lib/dibs.bash"
# shellcheck source=lib.bash
. "$here/lib.bash"
# shellcheck source=blk.bash
. "$here/blk.bash"
# shellcheck source=console.bash
. "$here/console.bash"

NLB=$here/nlbench
DC=$DIBSCTL
TC=/sys/kernel/debug/dibs_test_client
PY=/usr/bin/python3

if [ $smoke = 1 ]; then
	REPS=2
	DUMP_COUNTS="100 1000"
	OP_N=50 BATCH_N=100 DATA_KN=10 DATA_UN=5 SIG_N=10 DEVS_N=20
	# The memory figure is a difference of two /proc/slabinfo snapshots:
	# with 200 grants, frees left over from the phases before (socket
	# buffers, RCU callbacks) outweighed them and made it negative on 6.1.
	MEM_N=2000
	MEM_LO_N=2000
	SETTLE=1
	CON_ECHO_N=20 CON_BULK_BYTES=262144 CON_BULK_N=3
else
	REPS=5
	DUMP_COUNTS="1000 3000 10000 30000 100000"
	OP_N=2000 BATCH_N=10000 DATA_KN=200 DATA_UN=200 SIG_N=200 DEVS_N=1000
	MEM_N=10000
	MEM_LO_N=4000	# a loopback device holds at most 5000
	SETTLE=1	# seconds before a slab snapshot
	BLK_MB=64 BLK_SECS=${BLK_SECS:-3} BLK_QD=${BLK_QD:-4}
	CON_ECHO_N=200 CON_BULK_BYTES=4194304 CON_BULK_N=5
fi
DATA_LEN=65536
MEM_LEN=4096

bench_raw_init "$out"

gid_of() { cat "/sys/class/dibs/$1/gid"; }
# dev_field DEV KEY: one key of `dibsctl -j dev show DEV` (an object, or
# an array of one).
dev_field() {
	$DC -j dev show "$1" | jq --arg k "$2" 'if type == "array" then .[0] else . end | .[$k]'
}

cleanup() {
	blk_cleanup
	[ -d "$TC" ] && echo unreg_all >"$TC/ctl" 2>/dev/null
	dibs_rmmod dummy >/dev/null 2>&1 || true
	unload_dibs || true
}
trap cleanup EXIT
trap 'echo "bench: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

if [ $blk_only = 1 ]; then
	REPS=${BLK_REPS:-5}
	unload_dibs
	load_dibs
	dibs_insmod dibs_sim
	param smoke 0
	param blk_only 1
	param reps "$REPS"
	param kernel "$(uname -r)"
	log "block ($BLK_SECS s jobs x $REPS)"
	blk_bench
	log "report"
	"$PY" "$here/report.py" --blk "$out"
	exit 0
fi

unload_dibs
load_dibs
dibs_insmod dibs_sim
dibs_insmod dibs_test_client
modprobe dummy numdummies=0
[ -d "$TC" ] || { echo "bench: no $TC (debugfs?)" >&2; exit 1; }

param smoke $smoke
param reps $REPS
param kernel "$(uname -r)"
for p in OP_N BATCH_N DATA_KN DATA_UN SIG_N DEVS_N MEM_N MEM_LO_N DATA_LEN MEM_LEN; do
	param "$p" "${!p}"
done
param dump_counts "${DUMP_COUNTS// /,}"

"$NLB" rtt 50 >/dev/null	# warm up

# ---- op cost: grant + revoke pair against a bare genl round trip ----------
# Interleaved one by one (nlbench op-vs-rtt): the figure is the ratio of the
# medians of single pairs and single round trips. Measured as two blocks of
# OP_N each, a change of load between the blocks moved it from 2.7 to 5.
log "op cost ($OP_N pairs x $REPS)"
$DC dev add bo type sim fabric 10
for r in $(seq "$REPS"); do
	s=$("$NLB" op-vs-rtt bo "$OP_N")
	rec "op.rtt_ns $r $(val rtt_median_ns <<<"$s")"
	rec "op.pair_ns $r $(val grant_revoke_median_ns <<<"$s")"
	rec "op.rtt_min_ns $r $(val rtt_min_ns <<<"$s")"
	rec "op.pair_min_ns $r $(val grant_revoke_min_ns <<<"$s")"
	rec "op.rtt_mean_ns $r $(val rtt_ns <<<"$s")"
	rec "op.pair_mean_ns $r $(val grant_revoke_ns <<<"$s")"
done
$DC dev del bo

# ---- batch: N "dmb grant" lines through dibsctl -b against N round trips --
log "batch grants ($BATCH_N lines x $REPS)"
batch=$(mktemp)
for r in $(seq "$REPS"); do
	$DC dev add bg type sim fabric 11
	g=$(gid_of bg)
	awk -v n="$BATCH_N" -v l="dmb grant dev bg remote-gid $g size 4K" \
		'BEGIN { for (i = 0; i < n; i++) print l }' >"$batch"
	rec "batch.dibsctl_ns $r $("$NLB" exec 1 "$DC" -b "$batch" | val exec_ns)"
	rec "batch.rtt_ns $r $("$NLB" rtt "$BATCH_N" | val rtt_total_ns)"
	n=$(dev_field bg dmb_count)
	[ "$n" = "$BATCH_N" ] || { echo "bench: bg holds $n DMBs, not $BATCH_N" >&2; exit 1; }
	$DC dev del bg
done
rm -f "$batch"

# ---- data paths: in-kernel move_data and userspace dmb-write vs memcpy ----
log "data paths ($DATA_LEN-byte writes x $REPS)"
$DC dev add sa type sim fabric 2
$DC dev add sb type sim fabric 2
tok_lo=$(tclient reg lo "$DATA_LEN" | cut -d' ' -f1)
tok_sim=$(tclient reg sa "$DATA_LEN" "$(gid_of sb)" | cut -d' ' -f1)
# kdata.*: the test client's medians of single calls (kbench, lib.bash).
# udata.*: libdibsnl's dmb-write, through /dev/dibs; sim_nl the same forced
# over netlink. write0: one dmb-write of no data, the fixed cost of a write.
ubench() {	# ubench OWNER WRITER NAME: medians of single writes, as kbench
	local s
	s=$("$NLB" write "$1" "$2" "$DATA_LEN" "$DATA_UN")
	rec "udata.$3.write_ns $r $(val write_median_ns <<<"$s")"
	rec "udata.$3.write_mean_ns $r $(val write_ns <<<"$s")"
	rec "udata.$3.write_min_ns $r $(val write_min_ns <<<"$s")"
}
# mdata.*: a writer's memcpy (and a copy in 8-byte words) into its mapping
# of the remote DMB, and the owner's memcpy out of its own mapping (nlbench
# mmap), medians.
mbench() {	# mbench OWNER WRITER NAME
	local s
	s=$("$NLB" mmap "$1" "$2" "$DATA_LEN" "$DATA_KN")
	rec "mdata.$3.write_ns $r $(val mmap_write_median_ns <<<"$s")"
	rec "mdata.$3.write_min_ns $r $(val mmap_write_min_ns <<<"$s")"
	rec "mdata.$3.write_words_ns $r $(val mmap_write_words_median_ns <<<"$s")"
	rec "mdata.$3.signal_ns $r $(val mmap_signal_median_ns <<<"$s")"
	rec "mdata.$3.read_ns $r $(val mmap_read_median_ns <<<"$s")"
	rec "mdata.$3.read_min_ns $r $(val mmap_read_min_ns <<<"$s")"
}
for r in $(seq "$REPS"); do
	kbench lo "$tok_lo" lo
	kbench sb "$tok_sim" sim
	ubench lo lo lo
	ubench sa sb sim
	DIBSNL_DATA_PATH=netlink ubench sa sb sim_nl
	rec "udata.sim.write0_ns $r $("$NLB" write0 sa sb "$OP_N" | val write0_median_ns)"
	mbench lo lo lo
	mbench sa sb sim
done
tclient unreg_all >/dev/null

# ---- signal latency: write-with-signal until the owner sees it, vs a ------
# round trip; seen through a watch on /dev/dibs (signal.*) and through the
# "signal" notification (signal_nl.*), alternating
log "signal latency ($SIG_N signals x $REPS, watched and by notification)"
for r in $(seq "$REPS"); do
	for how in watch netlink; do
		key=signal
		[ "$how" = netlink ] && key=signal_nl
		# a round trip before each signal
		s=$(NLBENCH_WAIT=$how "$NLB" signal sa sb "$SIG_N")
		rec "$key.rtt_ns $r $(val rtt_median_ns <<<"$s")"
		rec "$key.p50_ns $r $(val signal_p50_ns <<<"$s")"
		rec "$key.p99_ns $r $(val signal_p99_ns <<<"$s")"
	done
done
$DC dev del sa
$DC dev del sb

# ---- console over dibs: echo vs a signal round trip, bulk vs a pty pair ---
# (console.bash)
log "console ($CON_ECHO_N echoes, $CON_BULK_N x $CON_BULK_BYTES bytes x $REPS)"
console_bench

# ---- dibsctl dev show over N sim devices vs ip link show over N dummies ---
log "dev show ($DEVS_N devices x $REPS)"
batch=$(mktemp)
seq -f "dev add bs%g type sim fabric 3" 0 $((DEVS_N - 1)) >"$batch"
$DC -b "$batch"
seq -f "link add bd%g type dummy" 0 $((DEVS_N - 1)) >"$batch"
ip -b "$batch"
n=$($DC -j dev show | jq length)
m=$(ip -j link show | jq length)
param devshow_dibs_devices "$n"
param devshow_links "$m"
for r in $(seq "$REPS"); do
	rec "devshow.dibsctl_ns $r $("$NLB" exec 1 "$DC" -j dev show | val exec_ns)"
	rec "devshow.ip_ns $r $("$NLB" exec 1 ip -j link show | val exec_ns)"
done
dibs_rmmod dummy
seq -f "dev del bs%g" 0 $((DEVS_N - 1)) >"$batch"
$DC -b "$batch"
rm -f "$batch"

# ---- memory: slab bytes per granted DMB beyond its buffer -----------------
# Before each snapshot every cache is shrunk: that flushes the per-CPU
# slabs, whose free objects /proc/slabinfo would count as active.
slab_snapshot() {
	local f
	sleep "$SETTLE"
	for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f" 2>/dev/null || true; done
	cat /proc/slabinfo >"$out/slab.$1"
	cat /proc/meminfo >"$out/meminfo.$1"
}
log "memory ($MEM_N grants of $MEM_LEN bytes x $REPS)"
for r in $(seq "$REPS"); do
	$DC dev add bm type sim fabric 12
	"$NLB" grant bm 1 "$MEM_LEN" >/dev/null	# first-use allocations
	slab_snapshot "$r.before"
	"$NLB" grant bm "$MEM_N" "$MEM_LEN" >/dev/null
	slab_snapshot "$r.after"
	$DC dev del bm
done
# The same on a loopback device: the core's share is the same, the driver's
# is what an upstream-like device needs (sim keeps more per DMB: its
# per-device table, fabric-wide tokens, its own signal queue).
log "memory, loopback ($MEM_LO_N grants of $MEM_LEN bytes x $REPS)"
for r in $(seq "$REPS"); do
	$DC dev add bml type loopback
	"$NLB" grant bml 1 "$MEM_LEN" >/dev/null
	slab_snapshot "lo.$r.before"
	"$NLB" grant bml "$MEM_LO_N" "$MEM_LEN" >/dev/null
	slab_snapshot "lo.$r.after"
	$DC dev del bml
done

# ---- dump scaling: dibsctl -j dmb show at growing DMB counts --------------
log "dump scaling ($DUMP_COUNTS DMBs x $REPS)"
# A sim device holds max_dmbs DMBs (16384): the larger counts take
# several devices of one fabric, filled in turn (bd0, bd1, ...).
$DC dev add bd0 type sim fabric 13
per_dev=$(dev_field bd0 max_dmbs)
for r in $(seq "$REPS"); do
	s=$("$NLB" exec 1 "$DC" -j dmb show)
	rec "dump.0.ns $r $(val exec_ns <<<"$s")"
done
have=0 ndev=1
for n in $DUMP_COUNTS; do
	while [ "$have" -lt "$n" ]; do
		dev=$(( have / per_dev ))
		if [ "$dev" -ge "$ndev" ]; then
			$DC dev add "bd$dev" type sim fabric 13
			ndev=$((dev + 1))
		fi
		k=$(( (dev + 1) * per_dev - have ))
		[ "$k" -le $((n - have)) ] || k=$((n - have))
		res=$(tclient fill "bd$dev" "$k" 64)
		[ "${res% *}" = "$k" ] || { echo "bench: fill $n on bd$dev: $res" >&2; exit 1; }
		have=$((have + k))
	done
	got=$($DC -j dmb show | jq length)
	[ "$got" = "$n" ] || { echo "bench: dump shows $got DMBs, not $n" >&2; exit 1; }
	for r in $(seq "$REPS"); do
		s=$("$NLB" exec 1 "$DC" -j dmb show)
		rec "dump.$n.ns $r $(val exec_ns <<<"$s")"
		rec "dump.$n.rss_kib $r $(val exec_maxrss_kib <<<"$s")"
	done
done
tclient unreg_all >/dev/null
for dev in $(seq 0 $((ndev - 1))); do
	$DC dev del "bd$dev"
done

# ---- block: dibs-blk vs nbd-server over TCP loopback (blk.bash) ----------
# Not in --smoke: fio and two NBD devices took 270 s of a loaded 2-CPU
# machine even with 4 MiB jobs, too much for make check's budget.
if [ $smoke = 0 ]; then
	log "block ($BLK_SECS s jobs x $REPS)"
	blk_bench
fi

log "report"
"$PY" "$here/report.py" "$out"
