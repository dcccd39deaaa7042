#!/usr/bin/env bats
# dibs-blk's parts that need no kernel (dibsblk/common.c), built here
# against the tree's libdibsnl.

load ../lib/common

REPO=${DIBS_REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}

@test "dibs-blk: the signal filter drops only other devices' signals" {
	local libs
	make -s -C "$REPO/libdibsnl" libdibsnl.a
	read -ra libs < <(pkg-config --libs libmnl uuid)
	cc -D_GNU_SOURCE -std=gnu11 -Wall -Wextra -Werror \
		-I"$REPO/dibsblk" -I"$REPO/libdibsnl/include" -I"$REPO/uapi" \
		-o "$BATS_TEST_TMPDIR/filter" \
		"$REPO/tests/unit/dibsblk/filter_test.c" "$REPO/dibsblk/common.c" \
		"$REPO/libdibsnl/libdibsnl.a" "${libs[@]}"
	run "$BATS_TEST_TMPDIR/filter"
	echo "$output"
	[ "$status" = 0 ]
	# own device's signal, any other message and an unknown layout pass;
	# another device's signal does not (also one differing in byte 1)
	[ "$output" = "$(printf '%s\n' own-signal other-event other-layout)" ]
}
