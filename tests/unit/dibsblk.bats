#!/usr/bin/env bats
# dibs-blk's parts that need no kernel (dibsblk/common.c, the client's
# argument checks), built here against the tree's libdibsnl.

bats_require_minimum_version 1.5.0

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

@test "dibs-blk client: --nbd must name an NBD device, before anything is set up" {
	local blk=$REPO/dibsblk/dibs-blk gid=0d6c0000-0000-4000-8000-000000000001 b
	make -s -C "$REPO/dibsblk"
	run -1 "$blk" client --dev x --server "$gid" --nbd /dev/null
	[ "$output" = "dibs-blk client: --nbd /dev/null: not a block device" ]
	run -1 "$blk" client --dev x --server "$gid" --nbd "$BATS_TEST_TMPDIR/nbd9"
	[ "$output" = "dibs-blk client: --nbd $BATS_TEST_TMPDIR/nbd9: No such file or directory (modprobe nbd?)" ]
	# a block device of another driver, where the machine has one
	for b in /sys/block/*; do
		b=${b##*/}
		[[ $b != nbd* && -b /dev/$b ]] || continue
		run -1 "$blk" client --dev x --server "$gid" --nbd "/dev/$b"
		[ "$output" = "dibs-blk client: --nbd /dev/$b: $b is not an NBD device (/dev/nbdN)" ]
		break
	done
}

@test "dibs-blk: usage errors exit 2 and name the problem, bad values exit 1" {
	local blk=$REPO/dibsblk/dibs-blk gid=0d6c0000-0000-4000-8000-000000000001
	make -s -C "$REPO/dibsblk"
	run -2 "$blk" server --dev x
	[ "${lines[0]}" = "dibs-blk server: --dev and --export are required" ]
	[ "${lines[1]}" = "usage: dibs-blk server --dev DEV --export PATH --allow GID|any" ]
	# no export is served to the fabric by default
	run -2 "$blk" server --dev x --export /dev/null
	[ "${lines[0]}" = "dibs-blk server: --allow is required: a client's gid (repeatable), or any" ]
	run -2 "$blk" server --dev x --export /dev/null --allow any --allow "$gid"
	[ "${lines[0]}" = "dibs-blk server: --allow any and --allow GID: one or the other" ]
	run -2 "$blk" server --dev x --export /dev/null --allow any extra
	[ "${lines[0]}" = "dibs-blk server: unexpected argument 'extra'" ]
	run -2 "$blk" client --dev x --server "$gid"
	[ "${lines[0]}" = "dibs-blk client: --dev, --server and --nbd are required" ]
	[ "${lines[1]}" = "usage: dibs-blk client --dev DEV --server GID --nbd /dev/nbdN" ]
	run -2 "$blk" client --bogus
	[ "${lines[0]}" = "dibs-blk client: unrecognized option '--bogus'" ]
	run -2 "$blk" frobnicate
	[ "$output" = "usage: dibs-blk server|client [OPTION]... (unknown command)" ]
	# a value the option cannot take is an error, not a usage error
	run -1 "$blk" client --dev x --server not-a-gid --nbd /dev/nbd0
	[ "$output" = "dibs-blk client: --server not-a-gid: not a gid (uuid text)" ]
	run -1 "$blk" server --dev x --export /dev/null --allow not-a-gid
	[ "$output" = "dibs-blk server: --allow not-a-gid: not a gid (uuid text)" ]
	run -1 "$blk" server --dev x --export /dev/null --allow any --max-clients 0
	[ "$output" = "dibs-blk server: --max-clients 0: at least 1" ]
}
