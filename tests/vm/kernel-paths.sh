# shellcheck shell=bash
# Sourced by the harness scripts: where the files of one kernel ABI are.
#
#   kernel_paths ABI   sets KERNEL_IMAGE (what qemu boots), KERNEL_MODDIR
#                      (modules.dep, modules.builtin, the modules) and
#                      KERNEL_KDIR (the tree modules are built against)
#
# A Debian kernel's files are where its packages put them. The debug kernel
# (release *-dibs-debug, see debug-kernel.sh) lives in its build cache: it is
# never installed into /boot or /lib/modules, where a boot loader or a
# package hook could pick it up.
_kernel_paths_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

kernel_paths() {
	local abi=$1 dir
	case $abi in
	*-dibs-debug)
		dir=$("$_kernel_paths_here/debug-kernel.sh" --dir)
		KERNEL_IMAGE=$dir/vmlinuz
		KERNEL_MODDIR=$dir/root/lib/modules/$abi
		KERNEL_KDIR=$dir/tree
		;;
	*)
		KERNEL_IMAGE=/boot/vmlinuz-$abi
		KERNEL_MODDIR=/lib/modules/$abi
		KERNEL_KDIR=/usr/src/linux-headers-$abi
		;;
	esac
}

# is_debug_kernel ABI: the debug kernel wants different boot parameters.
is_debug_kernel() {
	case $1 in *-dibs-debug) return 0 ;; esac
	return 1
}
