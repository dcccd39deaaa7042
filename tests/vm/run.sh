#!/usr/bin/env bash
# Boots one kernel ABI in qemu (TCG) and runs bats suites in it, all in one
# boot (the boot is the expensive part), or the demo. Then judges the run.
#
#   run.sh [--demo] [--out DIR] [--build DIR] [--summary FILE] ABI [SUITE...]
#
#   --demo       run tests/vm/demo.sh instead of suites; print its output
#   --out DIR    where the run's files go (default <repo>/build/vm/<ABI>):
#                  console.log   the whole serial console
#                  qemu.log      qemu's own messages
#                  results/      the guest's TAP files, dmesg, demo.log
#                  summary       counts (see count-tap.sh) plus harness failures,
#                                and "tap_failed N": failed tests alone
#   --build DIR  the built modules the guest sees as $DIBS_BUILD
#                (default <repo>/build/<ABI>)
#   --summary FILE  a copy of the summary, made before the next run into
#                the same DIR (a colleague's, say) may replace it
#
# A run fails when a test fails, when the kernel console shows a warning,
# oops or the like (check-console.sh), when the guest never reports a status
# (panic, hang, crash) or when it exceeds its time limit.
# Time limits: the guest stops a suite after DIBS_SUITE_TIMEOUT seconds (900;
# 2700 on the debug kernel) and goes on with the next; qemu is killed after DIBS_VM_TIMEOUT seconds,
# by default 300 + DIBS_SUITE_TIMEOUT per suite: the backstop for a kernel
# that hangs. (Under TCG a suite of a few dozen tests takes minutes.)
# Other knobs (environment): DIBS_VM_MEM in MiB (1536), DIBS_VM_SMP (2),
# DIBS_VM_CPU (qemu64), DIBS_VM_APPEND (extra kernel parameters),
# DIBS_VM_ACCEL (the -accel option, tcg), QEMU (qemu-system-x86_64),
# DIBS_VM_QEMU_ARGS (extra qemu arguments, split at blanks).
# DIBS_VM_IVSHMEM=1 gives the guest three ivshmem devices: an ivshmem-doorbell
# (2 vectors) on a dibs-ivshmem-server started here for the run (fabric
# 0xff42, 4 MiB, log in <out>/ivshmem-server.log), and two ivshmem-plain on
# 1 MiB files, one whose header has a bad magic, one whose header is of
# layout version 1 (a server of an older release). Default: 1 when
# tests/ivshmem.bats is among the suites, else 0.
# Every guest has a virtio-rng device (the host's /dev/urandom): without
# one, under TCG, the kernel's random pool got ready 20 to 70 s into the
# run, in the middle of a suite, and the static key it flips then is
# patched into code other vCPUs are running; once, a vCPU hit the
# patch's int3 in urandom_read_iter (an oops, the run lost). With it the
# pool is ready while the initramfs loads its modules.
# DIBS_VM_KILL_AT_END=1: once the guest has written its status into the
# results share, the guest waits and this script kills qemu with SIGKILL
# (as a host kills a VM that hangs: no shutdown runs in the guest, its
# devices simply vanish); the status is then read from the share.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

mode=bats out='' build='' summary_copy=''
while [ $# -gt 0 ]; do
	case $1 in
	--demo) mode=demo; shift ;;
	--out) out=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--summary) summary_copy=$2; shift 2 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
abi=${1:?usage: run.sh [--demo] [--out DIR] [--build DIR] [--summary FILE] ABI [SUITE...]}
shift
out=${out:-$repo/build/vm/$abi}
build=${build:-$repo/build/$abi}
qemu=${QEMU:-qemu-system-x86_64}

# Kernel parameters cannot carry spaces and the guest mounts these paths.
case "$repo$out$build" in *[[:space:]]*)
	echo "run.sh: paths with white space are not supported: $repo" >&2; exit 2 ;;
esac
# shellcheck source=kernel-paths.sh
. "$here/kernel-paths.sh"
kernel_paths "$abi"
[ -f "$KERNEL_IMAGE" ] || { echo "run.sh: no $KERNEL_IMAGE for $abi" >&2; exit 2; }
# KASAN, lockdep and kmemleak under TCG: the fuzzer's 100 000 messages and
# the stress run alone take ~25 minutes there.
if is_debug_kernel "$abi"; then
	suite_timeout=${DIBS_SUITE_TIMEOUT:-2700}
else
	suite_timeout=${DIBS_SUITE_TIMEOUT:-900}
fi

# The guest sees the host's / at the same paths, except where it mounts its
# own filesystems; only the repository is brought back from under those.
guest_visible() {
	case $1 in
	"$repo" | "$repo"/*) return 0 ;;
	/tmp | /tmp/* | /run | /run/* | /dev/* | /proc/* | /sys/*)
		echo "run.sh: $1 is hidden in the guest (tmpfs or kernel fs there);" \
			"put it in the repository or elsewhere" >&2
		return 1 ;;
	esac
}

# Suites as absolute paths; the guest sees the host tree at the same place.
suites=()
for s in "$@"; do
	case $s in /*) ;; *) s=$PWD/$s ;; esac
	[ -f "$s" ] || { echo "run.sh: no suite $s" >&2; exit 2; }
	s=$(cd "$(dirname "$s")" && pwd)/$(basename "$s")
	guest_visible "$s" || exit 2
	suites+=("$s")
done

ivshmem=${DIBS_VM_IVSHMEM:-0}
for s in "${suites[@]}"; do
	[ "$(basename "$s")" != ivshmem.bats ] || ivshmem=${DIBS_VM_IVSHMEM:-1}
done

vm_timeout=${DIBS_VM_TIMEOUT:-$((300 + suite_timeout * ${#suites[@]}))}

mkdir -p "$out"
out=$(cd "$out" && pwd)
mkdir -p "$build"
build=$(cd "$build" && pwd)
guest_visible "$build" || exit 2
# Colleagues share the tree: two runs into one directory would trample each
# other's results, so the second waits for the first.
exec 9>"$out/.lock"
flock 9
rm -f "$out/summary"

initrd=$("$here/mkinitramfs.sh" "$abi" "$repo/build/vm/$abi")

results=$out/results
console=$out/console.log
rm -rf "$results"
mkdir -p "$results"
: >"$console"
{
	printf 'DIBS_MODE=%q\n' "$mode"
	printf 'DIBS_ABI=%q\n' "$abi"
	printf 'DIBS_BUILD=%q\n' "$build"
	printf 'DIBS_MODDIR=%q\n' "$KERNEL_MODDIR"
	printf 'DIBS_SUITE_TIMEOUT=%q\n' "$suite_timeout"
	printf 'DIBS_SUITES=('
	[ ${#suites[@]} -eq 0 ] || printf ' %q' "${suites[@]}"
	printf ' )\n'
} >"$results/run.env"

# loglevel=7: warnings (level 4) must reach the console even if a distro
# default hides them. panic=-1 + -no-reboot: a panic ends qemu at once,
# with no status, which counts as a failure.
append="console=ttyS0 loglevel=7 panic=-1 harness_repo=$repo harness_results=$results"
kill_at_end=${DIBS_VM_KILL_AT_END:-}
[ -z "$kill_at_end" ] || append+=" harness_hold=1"
# The debug kernel: with ACPI IRQ routing its boot takes ~50 s instead of
# ~20 s under TCG; kasan_multi_shot reports every KASAN hit, not just the
# first (after which lockdep is off too).
if is_debug_kernel "$abi"; then
	append+=" acpi=noirq kasan_multi_shot"
fi
append+=" ${DIBS_VM_APPEND:-}"

# shellcheck disable=SC2206 # split at blanks, as documented
qemu_extra=(${DIBS_VM_QEMU_ARGS:-})
ivs_pid=''
if [ "$ivshmem" = 1 ]; then
	ivs_server=$repo/ivshmem-server/dibs-ivshmem-server
	[ -x "$ivs_server" ] || { echo "run.sh: no $ivs_server (make userspace)" >&2; exit 2; }
	ivs_sock=$out/ivshmem.sock ivs_log=$out/ivshmem-server.log
	rm -f "$ivs_sock"
	"$ivs_server" --socket "$ivs_sock" --fabric-id 0xff42 --size 4M \
		--max-peers 4 --vectors 2 2>"$ivs_log" 9>&- &
	ivs_pid=$!
	for _ in $(seq 50); do [ -S "$ivs_sock" ] && break; sleep 0.1; done
	[ -S "$ivs_sock" ] || { echo "run.sh: ivshmem server did not start:" >&2; cat "$ivs_log" >&2; kill "$ivs_pid"; exit 2; }
	# A region that is not ours: "NOPE" where the magic goes, then zeros.
	printf NOPE >"$out/ivshmem-bad"
	truncate -s 1M "$out/ivshmem-bad"
	# One of layout version 1: the magic, then version 1 (le32).
	printf 'DIBS\001\000\000\000' >"$out/ivshmem-v1"
	truncate -s 1M "$out/ivshmem-v1"
	qemu_extra+=(-chardev "socket,path=$ivs_sock,id=ivs0"
		-device "ivshmem-doorbell,chardev=ivs0,vectors=2"
		-object "memory-backend-file,id=ivsbad,mem-path=$out/ivshmem-bad,size=1M,share=on"
		-device "ivshmem-plain,memdev=ivsbad"
		-object "memory-backend-file,id=ivsv1,mem-path=$out/ivshmem-v1,size=1M,share=on"
		-device "ivshmem-plain,memdev=ivsv1")
fi

start=$(date +%s)
set +e
# --foreground keeps qemu in our process group, so that Ctrl-C or killing
# make check ends it too; the trap covers a TERM sent to this script alone.
timeout --foreground -k 10 "$vm_timeout" "$qemu" \
	-accel "${DIBS_VM_ACCEL:-tcg}" -machine pc -cpu "${DIBS_VM_CPU:-qemu64}" -smp "${DIBS_VM_SMP:-2}" -m "${DIBS_VM_MEM:-1536}" \
	-nodefaults -display none -no-reboot \
	-serial "file:$console" \
	-kernel "$KERNEL_IMAGE" -initrd "$initrd" -append "$append" \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-device virtio-rng-pci \
	"${qemu_extra[@]}" \
	</dev/null >"$out/qemu.log" 2>&1 &
qpid=$!
trap 'kill "$qpid" ${ivs_pid:+"$ivs_pid"} 2>/dev/null; exit 130' INT TERM HUP
killer=''
if [ -n "$kill_at_end" ]; then
	# qemu is timeout's child. The guest syncs and unmounts the share
	# right after it writes its status: give it 2 s.
	(
		while [ ! -e "$results/guest-status" ] && kill -0 "$qpid" 2>/dev/null; do
			sleep 1
		done
		sleep 2
		pkill -KILL -P "$qpid"
	) &
	killer=$!
fi
if [ -n "$killer" ]; then
	# (no "Killed" job notice for the kill we asked for)
	wait "$qpid" 2>/dev/null
	qrc=$?
	wait "$killer" 2>/dev/null || true
else
	wait "$qpid"
	qrc=$?
fi
trap - INT TERM HUP
if [ -n "$ivs_pid" ]; then
	kill "$ivs_pid" 2>/dev/null
	wait "$ivs_pid" 2>/dev/null
fi
set -e
elapsed=$(($(date +%s) - start))

# qemu exits with (status << 1) | 1 when the guest writes the isa-debug-exit
# port; the guest adds 0x20 to its status (see init), so 65, 67, 69 are its
# verdicts and anything else means it never got to say.
extra=()
status=''
if [ -n "$kill_at_end" ] && [ $qrc -eq 137 ] &&
	status=$(cat "$results/guest-status" 2>/dev/null) &&
	[[ $status =~ ^[0-9]+$ ]]; then
	echo "   qemu killed with SIGKILL after the guest's status ($status), as asked" >>"$out/qemu.log"
	[ "$status" -le 1 ] || extra+=("guest harness error (status $status), see $console")
elif [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	status=''
	extra+=("VM timed out after ${vm_timeout} s (killed)")
elif [ $qrc -ge 65 ] && [ $qrc -le 127 ] && [ $((qrc % 2)) -eq 1 ]; then
	status=$(((qrc - 1) / 2 - 0x20))
	[ "$status" -eq 2 ] && extra+=("guest harness error (status 2), see $console")
elif killed=$(grep -m1 'terminating on signal' "$out/qemu.log"); then
	# qemu exits 0 on SIGTERM: say who stopped it, not "panic".
	extra+=("no status from the guest: qemu was stopped (${killed#qemu-system-x86_64: })")
else
	extra+=("no status from the guest (qemu exit $qrc: panic, crash or qemu error)")
fi

# The console first; the guest's own dmesg catches what a lowered log level
# may have kept off the console, and is only read when the console is clean.
if ! hits=$("$here/check-console.sh" "$console") ||
	! hits=$("$here/check-console.sh" "$results/dmesg.txt"); then
	extra+=("kernel problem on the console ($(echo "$hits" | wc -l) lines)")
fi

# The debug kernel's kmemleak report, written by the guest after the run.
leaks=0
if [ -s "$results/kmemleak.txt" ]; then
	leaks=$(grep -c '^unreferenced object' "$results/kmemleak.txt" || true)
	extra+=("kmemleak: $leaks suspected leaks (see $results/kmemleak.txt)")
fi

# One expected TAP file per suite, in order: a suite the VM never reached
# has no file and counts as failed.
taps=()
n=0
for s in "${suites[@]}"; do
	n=$((n + 1))
	taps+=("$results/$(printf '%02d-%s' "$n" "$(basename "$s" .bats)").tap")
done
if [ "$mode" = bats ] && [ ${#taps[@]} -gt 0 ]; then
	counts=$("$here/count-tap.sh" "${taps[@]}")
elif [ "$mode" = bats ]; then
	counts=$(printf 'passed 0\nfailed 0\nskipped 0')
elif [ "$status" = 0 ]; then
	counts=$(printf 'passed 1\nfailed 0\nskipped 0')
else
	counts=$(printf 'passed 0\nfailed 1\nskipped 0\nfail demo.sh failed')
fi
pass=$(echo "$counts" | awk '$1=="passed"{print $2}')
fail=$(echo "$counts" | awk '$1=="failed"{print $2}')
skip=$(echo "$counts" | awk '$1=="skipped"{print $2}')
tapfail=$fail

# bats failing without a failed test: a syntax error, a broken setup_file...
for t in "${taps[@]}"; do
	rcf=${t%.tap}.rc
	[ -f "$rcf" ] || continue
	src=$(cat "$rcf")
	if [ "$src" != 0 ] && ! grep -q '^not ok ' "$t"; then
		extra+=("${t##*/}: bats exited $src with no failed test (see ${rcf%.rc}.stderr)")
	fi
done
# Each harness verdict (timeout, no status, console hits...) is one failure.
fail=$((fail + ${#extra[@]}))
{
	echo "passed $pass"
	echo "failed $fail"
	echo "skipped $skip"
	echo "tap_failed $tapfail"
	echo "$counts" | grep '^fail ' || true
	for e in "${extra[@]}"; do echo "fail $e"; done
} >"$out/summary"
[ -z "$summary_copy" ] || cp "$out/summary" "$summary_copy"

# The report.
boot=$(sed -n 's/.*dibs-vm: .* up after \([0-9.]*\) s.*/\1/p' "$console" | head -n 1)
echo "== $abi: $mode run, ${elapsed} s wall, guest up after ${boot:-?} s (console: $console)"
if [ "$mode" = demo ] && [ -f "$results/demo.log" ]; then
	cat "$results/demo.log"
fi
for t in "${taps[@]}"; do
	[ -f "$t" ] || continue
	# Failed tests with bats' diagnostics under them, trimmed.
	awk '/^not ok /{p=1; c=0} /^(ok|not ok) /&&!/^not ok /{p=0} p&&c<25{print "   " $0; c++}' "$t"
done
grep '^fail ' "$out/summary" | sed 's/^fail /   FAIL: /' || true
for t in "${taps[@]}"; do
	if [ "$(cat "${t%.tap}.rc" 2>/dev/null)" = 124 ]; then
		echo "   NOTE: ${t##*/}: stopped by the suite time limit (${suite_timeout} s)"
	fi
done
if [ -n "${hits:-}" ]; then
	echo "   kernel console lines:"
	echo "$hits" | head -n 40 | sed 's/^/     /'
fi
if [ "$leaks" != 0 ]; then
	echo "   kmemleak report:"
	head -n 40 "$results/kmemleak.txt" | sed 's/^/     /'
fi
if [ -z "$status" ]; then
	echo "   last console lines:"
	tail -n 15 "$console" | tr -d '\r' | sed 's/^/     /'
fi
echo "   $abi: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
