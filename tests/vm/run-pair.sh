#!/usr/bin/env bash
# Two guests on one dibs fabric: a dibs-ivshmem-server and two boots of one
# kernel ABI (run.sh each), both with an ivshmem-doorbell on the server's
# socket, running the same suite in two roles, A and B.
#
#   run-pair.sh [--out DIR] [--summary FILE] ABI SUITE
#
#   --out DIR      the run's files (default <repo>/build/vm/pair-<ABI>):
#                    A/, B/, B2/   each guest's run.sh --out (console.log,
#                                  results/, summary; B2/ only below)
#                    shared/       the guests' common directory (below)
#                    ivshmem-server.log, summary (the two summaries added
#                                  up, each failure prefixed with its role)
#   --summary FILE a copy of that summary (as run.sh --summary)
#
# A guest learns its role and the common directory from two kernel
# parameters, dibs_pair_role=A|B|B2 and dibs_pair_tag=pair: the directory is a
# writable 9p export with that mount tag (tests/lib/pair.bash mounts it).
# The guests coordinate only through it, never through the fabric.
#
# Each guest is a TCG guest with one vCPU online but -smp maxcpus=2 and
# -accel tcg,thread=multi: only then does QEMU translate the guest's atomic
# instructions into host atomics (CF_PARALLEL), which the fabric's shared
# words need between two QEMU processes (uapi/ivshmem-layout.md, "Atomics").
#
# B's QEMU does not shut down: once B's suite is done and its status is in
# its results share, run.sh kills it with SIGKILL (DIBS_VM_KILL_AT_END), so
# the suite's last step sees a guest vanish as a killed VM does.
#
# B's next life: a suite with the line "# run-pair: B2" gets a third boot
# once B's QEMU is gone, role B2 (dibs_pair_role=B2, out/B2/), on the same
# server socket: a new QEMU, a new peer (the next id in turn, 2). It runs
# the same suite, A still running its own; the suite's steps say which of
# them B2 takes part in. B2 shuts down as A does. (Not B's id again: A saw
# B leave, and the server holds such an id back while A is connected, since
# QEMU 7.2's ivshmem-doorbell, which frees that peer's eventfd array on the
# disconnect notice, writes into the freed array when the id comes back: A's
# QEMU crashed, SIGSEGV, before the server held ids back.)
#
# The run fails when any guest's run.sh does (a failed test, a kernel
# problem on its console, no status, its time limit). Time limits: each
# guest's suite DIBS_SUITE_TIMEOUT (default 300 s here), qemu
# DIBS_VM_TIMEOUT (default 420 s).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

out='' summary_copy=''
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--summary) summary_copy=$2; shift 2 ;;
	-*) echo "run-pair.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: run-pair.sh [--out DIR] [--summary FILE] ABI SUITE" >&2; exit 2; }
abi=$1 suite=$2
out=${out:-$repo/build/vm/pair-$abi}

server=$repo/ivshmem-server/dibs-ivshmem-server
[ -x "$server" ] || { echo "run-pair.sh: no $server (make userspace)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 8>"$out/.lock"
flock 8
rm -f "$out/summary"
shared=$out/shared
rm -rf "$shared" "$out/A" "$out/B" "$out/B2" "$out/B2.summary"
mkdir -p "$shared"
roles=(A B)
again=''
if grep -qx '# run-pair: B2' "$suite"; then
	again=1
	roles+=(B2)
fi

# One initramfs for both boots, built before they start.
"$here/mkinitramfs.sh" "$abi" "$repo/build/vm/$abi" >/dev/null

sock=$out/ivshmem.sock
rm -f "$sock"
"$server" --socket "$sock" --fabric-id 0xff42 --size 16M --max-peers 4 \
	--vectors 2 2>"$out/ivshmem-server.log" 8>&- &
spid=$!
trap 'kill "$spid" 2>/dev/null' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "run-pair.sh: ivshmem server did not start:" >&2; cat "$out/ivshmem-server.log" >&2; exit 2; }

# guest ROLE KILL: run.sh for one guest of the pair; KILL: its QEMU is
# killed with SIGKILL once its suite is done (run.sh DIBS_VM_KILL_AT_END).
guest() {
	DIBS_VM_KILL_AT_END=$2 \
	DIBS_VM_IVSHMEM=0 \
	DIBS_VM_ACCEL=tcg,thread=multi DIBS_VM_SMP=1,maxcpus=2 \
	DIBS_SUITE_TIMEOUT=${DIBS_SUITE_TIMEOUT:-300} \
	DIBS_VM_TIMEOUT=${DIBS_VM_TIMEOUT:-420} \
	DIBS_VM_APPEND="${DIBS_VM_APPEND:-} dibs_pair_role=$1 dibs_pair_tag=pair" \
	DIBS_VM_QEMU_ARGS="${DIBS_VM_QEMU_ARGS:-} -chardev socket,path=$sock,id=ivs0
		-device ivshmem-doorbell,chardev=ivs0,vectors=2
		-virtfs local,path=$shared,mount_tag=pair,security_model=none,multidevs=remap" \
		"$here/run.sh" --out "$out/$1" --summary "$out/$1.summary" \
		"$abi" "$suite" >"$out/$1.report" 2>&1 8>&-
}

start=$(date +%s)
pids=()
guest A '' &
pids+=($!)
# B's QEMU is killed with SIGKILL once its suite is done: its last step is
# A seeing B go without any shutdown in B. Then, if the suite asks, B's
# next life on the same socket.
(
	guest B 1 || true
	[ -z "$again" ] || guest B2 ''
) &
pids+=($!)
for p in "${pids[@]}"; do wait "$p" || true; done
elapsed=$(($(date +%s) - start))
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
trap - EXIT

# The summaries added up; a guest without one failed to run at all.
p=0 f=0 s=0 t=0
fails=()
for role in "${roles[@]}"; do
	sf=$out/$role.summary
	if [ ! -f "$sf" ]; then
		f=$((f + 1)); fails+=("$role: run.sh did not run the VM (see $out/$role.report)")
		continue
	fi
	while read -r k v; do
		case $k in
		passed) p=$((p + v)) ;;
		failed) f=$((f + v)) ;;
		skipped) s=$((s + v)) ;;
		tap_failed) t=$((t + v)) ;;
		fail) fails+=("$role: $v") ;;
		esac
	done <"$sf"
done
{
	echo "passed $p"
	echo "failed $f"
	echo "skipped $s"
	echo "tap_failed $t"
	for v in "${fails[@]}"; do echo "fail $v"; done
} >"$out/summary"
[ -z "$summary_copy" ] || cp "$out/summary" "$summary_copy"

echo "== $abi: two guests on one fabric${again:+ (B booted again as B2)}, ${elapsed} s wall ($suite)"
for role in "${roles[@]}"; do
	sed "s/^/   $role| /" "$out/$role.report"
done
echo "   pair $abi: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
