#!/usr/bin/env bash
# Installs everything the build and the tests need, from Debian's archive only.
# Idempotent: when every package is already installed (and the s390x sysroot
# made) it returns in well under a second without touching apt.
set -euo pipefail

# Build and test tools for the host side (libsystemd-dev: the daemons'
# sd_notify()). bc .. dwarves build the project's
# own kernels (tests/vm/debug-kernel.sh) from linux-source-6.12; the two
# lines after them cross-build and run the s390x tests (qemu-user for the
# unit tests, qemu-system-misc's qemu-system-s390x for the KUnit run); the
# last one is dibsblk's (tests/dibsblk.bats: mkfs.ext4 and fsck; make bench:
# nbd-server and nbd-client over TCP to compare with, fio to measure).
host_pkgs=(build-essential pkg-config libmnl-dev uuid-dev libsystemd-dev bats jq valgrind
	   qemu-system-x86 busybox-static cpio kmod xz-utils rsync
	   python3 python3-yaml libnl-utils groff man-db
	   linux-source-6.12 python3-jsonschema
	   systemd udev dkms gnuplot-nox tmux
	   bc bison flex libelf-dev libssl-dev dwarves
	   gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user-static file
	   qemu-system-misc
	   e2fsprogs nbd-server nbd-client fio)

# Two kernels are supported: Debian 12's default (6.1) and its 6.12 backport.
# The metapackages pull the current ABI; the harness discovers it from
# /usr/src/linux-headers-* and never pins a version.
kernel_pkgs=(linux-image-amd64 linux-headers-amd64
	     linux-image-6.12-amd64 linux-headers-6.12-amd64)

missing=()
for p in "${host_pkgs[@]}" "${kernel_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages: ${missing[*]} (run as root to install)" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# INITRD=No: the VM harness builds its own initramfs; the distro hook
	# only costs time.
	INITRD=No apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The s390x libraries tests/unit/s390x-unit builds against, unpacked under
# build/s390x/sysroot, not installed: a no-op once they are there.
"$(dirname "$0")/s390x-sysroot.sh"
