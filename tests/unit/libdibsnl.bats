#!/usr/bin/env bats
# libdibsnl host tests of the build products: the public header alone, the
# exported symbols and soname, the ABI across a grown struct, install +
# pkg-config + the example program.
# The unit tests proper are libdibsnl-unit.sh (one TAP line per case).
# Runs on the build host; needs libmnl-dev, uuid-dev, pkg-config.

load ../lib/common

REPO=${DIBS_REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
LIB=$REPO/libdibsnl

setup_file() {
	local log=$BATS_FILE_TMPDIR/build.log

	make -s -C "$LIB" all >"$log" 2>&1 || {
		cat "$log" >&2
		return 1
	}
}

@test "libdibsnl: the public header compiles alone" {
	run make -s -C "$LIB" check-header
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "libdibsnl: exports exactly dibsnl.h's functions at their version nodes" {
	cd "$LIB"
	run ./scripts/check-symbols.sh libdibsnl.so.1.0.0
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "libdibsnl: a field added to the public structs does not break a binary built before it" {
	# tests/unit/libdibsnl-abi/check-abi.sh says what it builds and runs
	cd "$LIB"
	run "$REPO/tests/unit/libdibsnl-abi/check-abi.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	# both bindings of dibsnl_open, on both libraries
	[ "$(grep -c ': ok' <<<"$output")" -eq 4 ]
}

@test "libdibsnl: the unit tests pass under ASan and UBSan" {
	# library and tests rebuilt instrumented (obj-asan/); any report aborts
	run make -s -C "$LIB" check-asan
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^1\.\.[1-9]' <<<"$output"
	! grep -q '^not ok' <<<"$output"
}

@test "libdibsnl: libdibsnl(3) renders cleanly and states the ABI rules" {
	local text
	run groff -man -ww -z "$LIB/libdibsnl.3"
	echo "$output"
	[ "$status" -eq 0 ] && [ -z "$output" ]
	text=$(groff -man -Tutf8 "$LIB/libdibsnl.3" 2>/dev/null | col -bx |
		tr -s ' \n' ' ')
	[[ $text == *"dibsnl_open@DIBSNL_1 for binaries linked before 1.4"* ]]
	[[ $text == *"n_devs_all"* ]]
	[[ $text == *"Every call written against the 1.0 API compiles unchanged"* ]]
}

@test "libdibsnl: install, pkg-config and the example" {
	local root=$BATS_TEST_TMPDIR/root
	run make -s -C "$LIB" install DESTDIR="$root" PREFIX=/usr
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$root/usr/include/dibsnl.h" ]
	[ -f "$root/usr/share/man/man3/libdibsnl.3" ]
	[ -f "$root/usr/lib/libdibsnl.so.1.0.0" ]
	[ "$(readlink "$root/usr/lib/libdibsnl.so.1")" = libdibsnl.so.1.0.0 ]
	[ -L "$root/usr/lib/libdibsnl.so" ]

	export PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
	export PKG_CONFIG_SYSROOT_DIR=$root
	# the project's version, not the shared object's numbering
	[ "$(pkg-config --modversion libdibsnl)" = "$(cat "$LIB/../VERSION")" ]
	# shellcheck disable=SC2046 # pkg-config's words are meant to split
	run cc -Wall -Wextra -Werror -o "$BATS_TEST_TMPDIR/dibs-list" \
		"$LIB/examples/dibs-list.c" \
		$(pkg-config --cflags --libs libdibsnl)
	echo "$output"
	[ "$status" -eq 0 ]

	# Without the dibs module: a clear message, exit 1, nothing leaked.
	if [ ! -d /sys/module/dibs ]; then
		run env LD_LIBRARY_PATH="$root/usr/lib" \
			"$BATS_TEST_TMPDIR/dibs-list"
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"is the dibs module loaded?"* ]]
	fi
}
