# shellcheck shell=bash
# Sourced by the harness scripts: where the files of one kernel ABI are.
#
#   kernel_paths ABI   sets KERNEL_IMAGE (what qemu boots), KERNEL_MODDIR
#                      (modules.dep, modules.builtin, the modules),
#                      KERNEL_KDIR (the tree modules are built against) and
#                      KERNEL_MAKE_ARGS (an array: ARCH= and CROSS_COMPILE=
#                      for a cross-built kernel, else empty)
#
# A Debian kernel's files are where its packages put them. The debug kernel
# (release *-dibs-debug, see debug-kernel.sh) and the s390x kernel
# (*-dibs-s390x, debug-kernel.sh --s390x) live in their build caches: they are
# never installed into /boot or /lib/modules, where a boot loader or a
# package hook could pick them up.
_kernel_paths_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

kernel_paths() {
	local abi=$1 dir
	case $abi in
	*-dibs-debug | *-dibs-s390x)
		case $abi in
		*-dibs-s390x) dir=$("$_kernel_paths_here/debug-kernel.sh" --s390x --dir) ;;
		*) dir=$("$_kernel_paths_here/debug-kernel.sh" --dir) ;;
		esac
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
	# The make arguments a module build for this kernel needs: the s390x
	# kernel is cross-built.
	KERNEL_MAKE_ARGS=()
	case $abi in
	*-dibs-s390x) KERNEL_MAKE_ARGS=(ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-) ;;
	esac
}

# is_debug_kernel ABI: the debug kernel wants different boot parameters.
is_debug_kernel() {
	case $1 in *-dibs-debug) return 0 ;; esac
	return 1
}
