#!/usr/bin/env bash
# Lists the kernel ABIs the harness can build for and boot, oldest first, one a
# line. An ABI counts only when all three parts are installed: headers to build
# against, a vmlinuz to boot, and a module tree (the initramfs takes the virtio
# and 9p modules from it). The running kernel is irrelevant: it is not a target.
#
#   kernels.sh           every usable ABI
#   kernels.sh --newest  only the newest one (what `make demo` boots)
set -euo pipefail

abis=()
for hdr in /usr/src/linux-headers-*; do
	[ -d "$hdr" ] || continue
	abi=${hdr#/usr/src/linux-headers-}
	# Debian splits headers into <abi> and <version>-common; the latter
	# alone cannot build modules and has no vmlinuz of its own.
	case $abi in *-common) continue ;; esac
	[ -f "/boot/vmlinuz-$abi" ] || continue
	[ -f "/lib/modules/$abi/modules.dep" ] || continue
	abis+=("$abi")
done

[ ${#abis[@]} -gt 0 ] || exit 0
if [ "${1:-}" = "--newest" ]; then
	printf '%s\n' "${abis[@]}" | sort -V | tail -n 1
else
	printf '%s\n' "${abis[@]}" | sort -V
fi
