#!/usr/bin/env bash
# Runs inside the test VM, chrooted into the host's / (see init): sets up the
# environment the suites rely on and runs what the host asked for.
#
#   guest-run.sh REPO RESULTS
#
# RESULTS/run.env (written by run.sh on the host) says what to run:
#   DIBS_MODE=bats  run every file of DIBS_SUITES with bats, one TAP file each
#   DIBS_MODE=demo  run tests/vm/demo.sh, its output into RESULTS/demo.log
# Exit status: 0 all passed, 1 something failed, 2 the harness itself broke.
set -u

repo=$1 results=$2
# shellcheck source=/dev/null
. "$results/run.env" || { echo "dibs-vm: no $results/run.env"; exit 2; }

# The contract with the suites and tests/lib/dibs.bash.
export DIBS_REPO=$repo          # repository root, same path as on the host
export DIBS_BUILD              # <repo>/build/<abi>: kernel/, kmod/ under it
export DIBS_ABI                # the kernel ABI this VM runs
export DIBS_RESULTS=$results   # writable, survives the VM (host path too)
export DIBS_IN_VM=1
# Userspace hook: once libdibsnl/ and dibsctl/ build, the guest finds them
# here without installing anything.
export PATH=$repo/dibsctl:$PATH
export LD_LIBRARY_PATH=$repo/libdibsnl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

cd "$repo" || exit 2
echo "dibs-vm: $(uname -r) up after $(cut -d' ' -f1 /proc/uptime) s"

# The debug kernel's modules.dep lives in its build cache (kernel-paths.sh),
# not in the host's /lib/modules: put it where modprobe and depmod look.
moddir=/lib/modules/$(uname -r)
if [ ! -d "$moddir" ] && [ -d "${DIBS_MODDIR:-}" ]; then
	mount -t tmpfs -o mode=0755,size=1m dibs-modules /lib/modules &&
		mkdir "$moddir" && mount --bind "$DIBS_MODDIR" "$moddir" ||
		{ echo "dibs-vm: cannot show $DIBS_MODDIR as $moddir"; exit 2; }
fi

# Debug kernel: kmemleak judges what the run leaks, not what the boot did.
kmemleak=/sys/kernel/debug/kmemleak
if [ -w "$kmemleak" ]; then
	echo clear >"$kmemleak"
fi

rc=0
case $DIBS_MODE in
bats)
	command -v bats >/dev/null || { echo "dibs-vm: bats not installed"; exit 2; }
	n=0
	for suite in "${DIBS_SUITES[@]}"; do
		n=$((n + 1))
		# The TAP file name keeps the order and says which suite it is.
		base=$(printf '%02d-%s' "$n" "$(basename "$suite" .bats)")
		echo "$suite" >"$results/$base.suite"
		echo "dibs-vm: running $suite"
		start=$(date +%s)
		timeout -k 5 "$DIBS_SUITE_TIMEOUT" bats --tap "$suite" \
			>"$results/$base.tap" 2>"$results/$base.stderr"
		src=$?
		echo "$src" >"$results/$base.rc"
		echo "dibs-vm: $suite exit $src in $(($(date +%s) - start)) s"
		[ $src -eq 0 ] || rc=1
	done
	;;
demo)
	bash "$repo/tests/vm/demo.sh" >"$results/demo.log" 2>&1 || rc=1
	;;
*)
	echo "dibs-vm: unknown DIBS_MODE '$DIBS_MODE'"
	rc=2
	;;
esac

# kmemleak reports an object only on its second scan and never one younger
# than 5 s: wait, scan twice, keep the report (the host fails the run on it).
if [ -w "$kmemleak" ]; then
	sleep 6
	echo scan >"$kmemleak"
	echo scan >"$kmemleak"
	cat "$kmemleak" >"$results/kmemleak.txt"
	echo "dibs-vm: kmemleak: $(grep -c '^unreferenced object' "$results/kmemleak.txt") suspected leaks"
fi

# The host scans this too: a test may have lowered the console log level.
dmesg >"$results/dmesg.txt" 2>&1
echo "$rc" >"$results/guest-status"
exit $rc
