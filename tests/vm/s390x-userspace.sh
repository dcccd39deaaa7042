#!/usr/bin/env bash
# Cross-builds libdibsnl and dibsctl for s390x with Debian's
# gcc-s390x-linux-gnu, against libmnl and libuuid of the s390x sysroot
# (s390x-sysroot.sh), with the projects' own Makefiles and all output under
# build/s390x/ (O=, and the shared library's name): the source tree's host
# build is left alone. Used by tests/unit/s390x-unit (the unit tests under
# qemu-user) and tests/vm/s390x-kunit.sh (dibsctl in the s390x guest).
#
#   s390x-userspace.sh    build; the make output goes to stdout
#
# Leaves build/s390x/libdibsnl/libdibsnl.so.1.0.0,
# build/s390x/dibsctl/dibsctl-installed and the unit test programs
# build/s390x/unit/{test-libdibsnl,test-dibsctl,dibsctl-fake}
# (tests/unit/Makefile).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cross=s390x-linux-gnu
out=$repo/build/s390x
sysroot=$out/sysroot
multiarch=$sysroot/usr/lib/$cross
lib=$out/libdibsnl
ctl=$out/dibsctl

export PKG_CONFIG_LIBDIR=$multiarch/pkgconfig:$sysroot/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$sysroot
mk() { make -s -j"$(nproc)" CC="$cross-gcc" AR="$cross-ar" "$@"; }

mk -C "$repo/libdibsnl" O="$lib" REALNAME="$lib/libdibsnl.so.1.0.0" \
	"$lib/libdibsnl.so.1.0.0"
ln -sf libdibsnl.so.1.0.0 "$lib/libdibsnl.so.1"
ln -sf libdibsnl.so.1.0.0 "$lib/libdibsnl.so"
ln -sfn "$repo/libdibsnl/include" "$lib/include"
# LIBDIBSNL=$lib: headers through the link, the s390x library
mk -C "$repo/dibsctl" O="$ctl" LIBDIBSNL="$lib" \
	LDFLAGS="-Wl,-rpath,$lib -Wl,-rpath-link,$multiarch" \
	"$ctl/dibsctl-installed"
mk -C "$repo/tests/unit" O="$out/unit" LIB_O="$lib" CTL_O="$ctl" \
	LIBDIBSNL="$lib" LDFLAGS="-Wl,-rpath-link,$multiarch" \
	"$out/unit/test-libdibsnl" "$out/unit/test-dibsctl" \
	"$out/unit/dibsctl-fake"
