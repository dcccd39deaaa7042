#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The ABI check: a field added to the public structs does not break a
# binary built before it. Builds abi-binary.c (beside this script)
# against include/dibsnl.h as it is (twice: bound to dibsnl_open@@DIBSNL_1.4
# and, as binaries linked before 1.4, to dibsnl_open@DIBSNL_1), then a
# "grown" library from these sources with a header whose extensible structs
# (dev, dmb, client, dev_new, dmb_filter, event, signal) each end in a new
# field, and runs both binaries against this library and the grown one,
# talking to a fake kernel (fakekernel.c, preloaded), under valgrind when
# it is there. The binaries check what they got and that the guard bytes
# after every struct they handed over are intact.
# Usage: check-abi.sh, run from libdibsnl/ after make all (its make check
# and tests/unit/libdibsnl.bats do)
set -eu

CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
t=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dep_cflags=$($PKG_CONFIG --cflags libmnl uuid)
dep_libs=$($PKG_CONFIG --libs libmnl uuid)
warn="-Wall -Wextra -Werror"

fail() {
	echo "check-abi: $*" >&2
	exit 1
}

# shellcheck disable=SC2086 # flag lists are meant to split
$CC $warn -std=gnu11 -shared -fPIC -I../uapi $dep_cflags \
	-o "$tmp/fakekernel.so" "$t/fakekernel.c" -ldl $dep_libs
for v in 1.4 1; do
	def=
	[ $v = 1 ] && def=-DABI_OPEN_1
	# shellcheck disable=SC2086
	$CC $warn -std=gnu11 $def -Iinclude -o "$tmp/abi-$v" \
		"$t/abi-binary.c" -L. -ldibsnl
	objdump -T "$tmp/abi-$v" | grep -q "(DIBSNL_$v)[[:space:]]*dibsnl_open$" ||
		fail "abi-$v does not bind dibsnl_open@DIBSNL_$v"
done

# The grown header: one field more at the end of each extensible struct.
mkdir -p "$tmp/grown/include"
awk '/^struct dibsnl_(dev|dmb|client|dev_new|dmb_filter|event|signal) [{]$/ {
		grow = 1 }
	grow && /^};/ { print "\tuint64_t abi_check_grown[4];"; grow = 0 }
	{ print }' include/dibsnl.h > "$tmp/grown/include/dibsnl.h"
n=$(grep -c abi_check_grown "$tmp/grown/include/dibsnl.h")
[ "$n" -eq 7 ] || fail "grew $n structs, not 7"
for f in src/*.c; do
	o=$tmp/grown/$(basename "$f" .c).o
	# shellcheck disable=SC2086
	$CC $warn -std=gnu11 -fPIC -fvisibility=hidden -D_GNU_SOURCE \
		-DDIBSNL_VERSION='"abi"' -I"$tmp/grown/include" -I../uapi \
		$dep_cflags -c -o "$o" "$f"
done
# shellcheck disable=SC2086
$CC -shared -Wl,-soname,libdibsnl.so.1 -Wl,--version-script,libdibsnl.map \
	-Wl,--no-undefined -o "$tmp/grown/libdibsnl.so.1" "$tmp"/grown/*.o \
	$dep_libs

vg=
if command -v valgrind >/dev/null 2>&1; then
	vg="valgrind -q --error-exitcode=99 --leak-check=full"
fi
for lib in "$PWD" "$tmp/grown"; do
	for v in 1.4 1; do
		what="abi-$v (built with dibsnl.h as it is) on $([ "$lib" = "$PWD" ] &&
			echo "this library" || echo "the grown library")"
		# shellcheck disable=SC2086
		LD_LIBRARY_PATH=$lib LD_PRELOAD=$tmp/fakekernel.so \
			$vg "$tmp/abi-$v" >/dev/null ||
			fail "$what: failed"
		echo "check-abi: $what: ok${vg:+ (valgrind clean)}"
	done
done
