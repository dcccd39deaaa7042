# shellcheck shell=bash
# Helpers for the bats suites that run in the test VM (see tests/vm/).
#
#   load lib/dibs            from tests/*.bats
#
# The harness (tests/vm/guest-run.sh) exports:
#   DIBS_REPO     repository root (same path as on the host)
#   DIBS_BUILD    modules built for the running kernel: kernel/*.ko, kmod/*.ko
#   DIBS_ABI      the running kernel's ABI
#   DIBS_RESULTS  a writable directory that survives the VM
#   DIBS_IN_VM    1
# Every helper returns non-zero with a message on stderr when it fails, so a
# bare call inside @test fails the test.

# The generic helpers (expect_eq, wait_for, wait_until, ...): lib/common.
# shellcheck source-path=SCRIPTDIR source=common.bash
. "${BASH_SOURCE[0]%/*}/common.bash"
# KERNEL_PROBLEMS, what dibs_no_kernel_problems looks for.
# shellcheck source=../vm/kernel-problems.sh
. "${BASH_SOURCE[0]%/*}/../vm/kernel-problems.sh"

DIBS_REPO=${DIBS_REPO:-$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)}
DIBS_BUILD=${DIBS_BUILD:-$DIBS_REPO/build/$(uname -r)}

# Core modules in load order; unload goes the other way.
DIBS_CORE_MODULES=(dibs dibs_loopback)
# Modules that depend on the core and are not loaded by default: the
# console client, device drivers.
DIBS_SOFT_MODULES=(dibs_console dibs_sim dibs_ivshmem)

# dibs_ko NAME: path of a built module, from the core's or the tests' tree.
dibs_ko() {
	local d
	for d in "$DIBS_BUILD/kernel" "$DIBS_BUILD/kmod"; do
		[ -f "$d/$1.ko" ] && { echo "$d/$1.ko"; return 0; }
	done
	echo "dibs_ko: $1.ko not built under $DIBS_BUILD (run make)" >&2
	return 1
}

# dibs_built_with FLAG: the core was built with -DFLAG, a feature
# kernel/Kbuild found in the kernel's headers (kernel/dibs_compat.h).
dibs_built_with() {
	grep -qs -- "-D$1\b" "$DIBS_BUILD/kernel/.dibs_netlink.o.cmd"
}

# dibs_kernel_has_mcast_cap: the running kernel can refuse to let a
# listener join a genetlink group (GENL_MCAST_CAP_NET_ADMIN), as its own
# headers say: asked apart from the build, so that a Kbuild feature test
# that misses the flag fails a test. Without headers: what the build found.
dibs_kernel_has_mcast_cap() {
	local h
	h=/lib/modules/$(uname -r)/source/include/net/genetlink.h
	[ -r "$h" ] || { dibs_built_with DIBS_HAVE_MCAST_CAP; return; }
	grep -q 'define GENL_MCAST_CAP_NET_ADMIN' "$h"
}

# dibs_loaded NAME: the module is in the kernel.
dibs_loaded() {
	[ -d "/sys/module/$1" ]
}

# dibs_insmod NAME [PARAM=VALUE...]: load one built module.
dibs_insmod() {
	local name=$1 ko
	shift
	ko=$(dibs_ko "$name") || return 1
	insmod "$ko" "$@" || { echo "dibs_insmod: insmod $ko $* failed" >&2; return 1; }
	dibs_loaded "$name" || { echo "dibs_insmod: $name not in /sys/module" >&2; return 1; }
}

# dibs_rmmod NAME...: unload those that are loaded, in the order given, with
# one rmmod (every test's setup and teardown unloads: under TCG each process
# costs a tenth of a second); a module that is not loaded is fine, an rmmod
# that fails is not.
dibs_rmmod() {
	local m loaded=()
	for m in "$@"; do
		dibs_loaded "$m" && loaded+=("$m")
	done
	[ ${#loaded[@]} -gt 0 ] || return 0
	rmmod "${loaded[@]}" && return 0
	echo "dibs_rmmod: rmmod ${loaded[*]} failed" >&2
	return 1
}

# load_dibs: the core and the loopback driver (one device, "lo"). Modules
# already loaded are left alone, so a test can call it twice.
load_dibs() {
	local m
	for m in "${DIBS_CORE_MODULES[@]}"; do
		dibs_loaded "$m" || dibs_insmod "$m" || return 1
	done
}

# DIBS_TEST_MODULES: names of the test client modules that were built
# (tests/kmod/), found once as the suite loads this file.
DIBS_TEST_MODULES=()
for _ko in "$DIBS_BUILD"/kmod/*.ko; do
	[ -f "$_ko" ] || continue
	_ko=${_ko##*/}
	DIBS_TEST_MODULES+=("${_ko%.ko}")
done
unset _ko

# unload_dibs: every dibs module, clients first, then soft devices, then
# the core. Not loaded is fine.
unload_dibs() {
	local order=("${DIBS_TEST_MODULES[@]}" "${DIBS_SOFT_MODULES[@]}") i
	for ((i = ${#DIBS_CORE_MODULES[@]} - 1; i >= 0; i--)); do
		order+=("${DIBS_CORE_MODULES[i]}")
	done
	dibs_rmmod "${order[@]}"
}

# dibs_unload_and_check MODULE...: how a test ends: unload every dibs
# module, then fail (reason on stderr) when one of MODULE... is still
# loaded or the kernel log since dibs_mark shows a problem (a WARN or an
# oops fails the run anyway; this names the test).
dibs_unload_and_check() {
	local m rc=0
	unload_dibs || rc=1
	for m in "$@"; do
		if dibs_loaded "$m"; then
			echo "$m still loaded" >&2
			rc=1
		fi
	done
	dibs_no_kernel_problems || rc=1
	return $rc
}

# load_test_client [NAME [PARAM=VALUE...]]: a test client module from
# tests/kmod/ (default dibs_test_client); loads the core first if needed.
load_test_client() {
	local name=${1:-dibs_test_client}
	[ $# -gt 0 ] && shift
	dibs_loaded dibs || dibs_insmod dibs || return 1
	dibs_insmod "$name" "$@"
}

# unload_test_client [NAME]: not loaded is fine.
unload_test_client() {
	dibs_rmmod "${1:-dibs_test_client}"
}

# dibs_devices: names of the devices in the dibs class, one a line.
dibs_devices() {
	local d
	for d in /sys/class/dibs/*; do
		[ -e "$d" ] && echo "${d##*/}"
	done
	return 0
}

# dibs_dev_attr DEV ATTR: a sysfs attribute of a dibs device.
dibs_dev_attr() {
	cat "/sys/class/dibs/$1/$2"
}

# dibs_on_newest_kernel: the guest runs the newest installed Debian kernel
# (scripts/kernels.sh --newest), where make check runs what does not change
# with the kernel (tests/vm/one-kernel-suites says why).
dibs_on_newest_kernel() {
	[ "$(uname -r)" = "$("$DIBS_REPO/scripts/kernels.sh" --newest)" ]
}

# dibs_on_debug_kernel: the guest runs the debug kernel (KASAN, lockdep,
# kmemleak; tests/vm/debug-kernel.sh), recognised by kmemleak's debugfs file.
# A TCG guest runs several times slower there: suites scale their counts
# down or run their lifetime tests only.
dibs_on_debug_kernel() {
	[ -e /sys/kernel/debug/kmemleak ]
}

# gid_of DEV: the gid of a dibs device, as sysfs prints it.
gid_of() {
	dibs_dev_attr "$1" gid
}

# TC: the debugfs directory of dibs_test_client (tests/kmod/).
TC=/sys/kernel/debug/dibs_test_client

# tc CMD...: one command to the test client (a write to $TC/ctl); fails
# like the write did. Its answer, if any, is in $TC/result.
tc() {
	printf '%s\n' "$*" >"$TC/ctl"
}

# two_sims FABRIC: sim devices simA and simB on sim fabric FABRIC.
two_sims() {
	dc dev add simA type sim fabric "$1" &&
		dc dev add simB type sim fabric "$1"
}

# dc ARG...: the dibsctl under test ($DIBSCTL, see dibs_require_dibsctl).
dc() {
	"$DIBSCTL" "$@"
}

# grant [-n NS] DEV RGID SIZE [WORD...]: `dibsctl dmb grant` of a DMB of
# SIZE on DEV to RGID (in network namespace NS, none if NS is empty), WORDs
# such as "owned" added; sets TOK to the token printed, which must be one.
grant() {
	local ns=() out
	if [ "$1" = -n ]; then
		[ -z "$2" ] || ns=(-n "$2")
		shift 2
	fi
	out=$(dc "${ns[@]}" dmb grant dev "$1" remote-gid "$2" size "$3" "${@:4}") ||
		return 1
	TOK=${out#token }
	[[ $TOK =~ ^0x[0-9a-f]{16}$ ]] && return 0
	echo "grant printed '$out'" >&2
	return 1
}

# dibs_load_sim [MODULE...]: load_dibs, dibs_sim and each MODULE (a client
# such as dibs_console); what is loaded already stays.
dibs_load_sim() {
	local m
	load_dibs || return 1
	for m in dibs_sim "$@"; do
		dibs_loaded "$m" || dibs_insmod "$m" || return 1
	done
}

# dibs_fresh_modules [MODULE...]: how a suite's setup_file starts: every
# dibs module unloaded, then dibs_load_sim MODULE...; outside the VM nothing.
dibs_fresh_modules() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
	dibs_load_sim "$@"
}

# dibs_stop_bg PID: end a test's background process (SIGTERM) and reap
# it; an empty PID is nothing to do. Its exit status does not matter.
dibs_stop_bg() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# touched OUT FD N WANT: a line to a toucher's input (fd FD; a
# `tests/tools/dibs-mmap touch` reading it); its N-th report, in
# $BATS_TEST_TMPDIR/OUT, must read "touch N: WANT".
touched() {
	echo >&"$2"
	wait_for "$BATS_TEST_TMPDIR/$1" "^touch $3: "
	expect_eq "$1's touch $3" "$(grep "^touch $3: " "$BATS_TEST_TMPDIR/$1")" "touch $3: $4"
}

# dibs_remove_cli_state: remove every device but lo and every DMB granted
# from userspace (what a dibsctl-driven test leaves), through dibsctl.
dibs_remove_cli_state() {
	local d tok
	dibs_loaded dibs || return 0
	for d in $(dibs_devices); do
		[ "$d" = lo ] || "$DIBSCTL" dev del "$d" || return 1
	done
	"$DIBSCTL" dmb show client userspace | while read -r _ tok _ d _; do
		"$DIBSCTL" dmb revoke dev "$d" token "$tok" || exit 1
	done
}

# dibs_mark: a marker in the kernel log; dibs_dmesg_since_mark prints what
# the kernel logged after it (per test: call dibs_mark in setup()).
dibs_mark() {
	DIBS_MARK="dibs-test: mark ${BATS_TEST_NUMBER:-0} $$ $RANDOM"
	echo "$DIBS_MARK" >/dev/kmsg
}

# dibs_dmesg_since_mark [ERE]: the lines after the mark, only those that
# match ERE when one is given.
dibs_dmesg_since_mark() {
	dmesg | awk -v m="${DIBS_MARK:?call dibs_mark first}" -v re="${1:-}" \
		'f && $0 ~ re { print } index($0, m) { f = 1 }'
}

# dibs_no_kernel_problems: nothing since the mark that the harness would
# fail the whole run for (the patterns of tests/vm/check-console.sh), so the
# failure points at the test that caused it. One dmesg and one awk: every
# test's teardown runs it.
dibs_no_kernel_problems() {
	local hits
	hits=$(dibs_dmesg_since_mark "$KERNEL_PROBLEMS")
	[ -z "$hits" ] && return 0
	printf '%s\n' "$hits" >&2
	echo "dibs_no_kernel_problems: the kernel reported the lines above" >&2
	return 1
}

# dibs_require_vm: skip the test unless it runs in the test VM, where
# loading modules is safe.
dibs_require_vm() {
	[ -n "${DIBS_IN_VM:-}" ] || skip "runs only in the test VM (make check)"
}

# dibsctl and libdibsnl, once they build: the harness puts dibsctl/ on PATH
# and libdibsnl/ on LD_LIBRARY_PATH in the VM. dibs_require_dibsctl skips
# a test while the tool does not exist yet.
DIBSCTL=${DIBSCTL:-$DIBS_REPO/dibsctl/dibsctl}
dibs_require_dibsctl() {
	[ -x "$DIBSCTL" ] || skip "dibsctl not built"
}
