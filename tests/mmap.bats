#!/usr/bin/env bats
# Mapped DMBs on /dev/dibs (DIBS_IOC_DMB_MAP, mmap) and signals without
# data (DIBS_IOC_DMB_SIGNAL), through libdibsnl's dibsnl_dmb_map(), in the
# test VM. The tool is tests/tools/dibs-mmap (its usage at its top).
#
# The modules are loaded per test file; every test removes what it made
# and must leave a clean kernel log; the last one unloads everything.

bats_require_minimum_version 1.5.0

load lib/dibs

MM=$DIBS_REPO/tests/tools/dibs-mmap

setup_file() {
	dibs_fresh_modules
}

teardown_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	[ -x "$MM" ] || skip "tests/tools/dibs-mmap not built"
	dibs_load_sim
	dibs_mark
	HOLD_PID=''
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local rc=0
	dibs_stop_bg "$HOLD_PID"
	dibs_remove_cli_state || rc=1
	dibs_no_kernel_problems || rc=1
	return $rc
}

# grant_token DEV WRITER [SIZE]: a DMB on DEV for WRITER's gid; prints its token
grant_token() {
	dc dmb grant dev "$1" remote-gid "$(gid_of "$2")" size "${3:-8K}" |
		awk '{ print $2 }'
}

# hold ARG...: `dibs-mmap hold ARG...` in the background, once it mapped
hold() {
	local i
	"$MM" hold "$@" >"$BATS_TEST_TMPDIR/hold" 3>&- &
	HOLD_PID=$!
	for i in {1..100}; do
		grep -q '^mapped$' "$BATS_TEST_TMPDIR/hold" && return 0
		grep -q '^error' "$BATS_TEST_TMPDIR/hold" && break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/hold" >&2
	return 1
}

unhold() {
	kill -TERM "$HOLD_PID"
	wait "$HOLD_PID" || true
	HOLD_PID=''
}

@test "mmap: the owner reads what a write put there, and writes in place" {
	local tok
	tok=$(grant_token lo lo)
	dc dmb write dev lo token "$tok" offset 4090 data "across a page"
	[ "$("$MM" read lo "$tok" 4090 13)" = "across a page" ]
	[ "$("$MM" write lo "$tok" 100 "from the owner")" = ok ]
	[ "$(dc dmb read dev lo token "$tok" file - offset 100 length 14)" = "from the owner" ]
	# the sim fabric: the owner simA, the writer simB over netlink
	two_sims 9
	tok=$(grant_token simA simB 4K)
	dc dmb write dev simB token "$tok" offset 7 data "sim bytes"
	[ "$("$MM" read simA "$tok" 7 9)" = "sim bytes" ]
	# not a userspace DMB of that device
	run "$MM" read simB "$tok" 0 1
	[ "$status" -eq 1 ]
	[ "$output" = "error: map: ENOENT: no DMB granted from userspace with this token on the device" ]
}

@test "mmap: a writer maps the remote DMB, stores, signals without data" {
	local tok
	tok=$(grant_token lo lo)
	run "$MM" write lo "$tok" 8 "loopback stores" remote signal 0x5
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "signal 0x5" ]
	[ "$(dc dmb read dev lo token "$tok" file - offset 8 length 15)" = "loopback stores" ]
	# two signals, no data: the DMB's counters say so
	run dc -s dmb show dev lo token "$tok"
	[[ ${lines[1]} =~ ^"    writes 2 write-bytes 0 signals 2 refused 0"$ ]]

	two_sims 9
	tok=$(grant_token simA simB)
	run "$MM" write simB "$tok" 4096 "second page" remote signal 0x8000
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "signal 0x8000" ]
	[ "$(dc dmb read dev simA token "$tok" file - offset 4096 length 11)" = "second page" ]
}

@test "mmap: only the granted gid's device maps a remote DMB" {
	local tok
	two_sims 9
	dc dev add simC type sim fabric 9
	tok=$(grant_token simA simB)
	run "$MM" write simC "$tok" 0 x remote
	[ "$status" -eq 1 ]
	[ "$output" = "error: map: EACCES: the DMB is not granted to the writing device" ]
	run "$MM" write simA "$tok" 0 x remote	# the owner is not the writer
	[ "${lines[0]}" = "error: map: EACCES: the DMB is not granted to the writing device" ]
	run "$MM" write lo "$tok" 0 x remote	# another fabric
	[ "${lines[0]}" = "error: map: ENOENT: no DMB with this token on the writer's fabric" ]
	dc dev set simB state down
	run "$MM" write simB "$tok" 0 x remote
	[ "${lines[0]}" = "error: map: ENETDOWN: the writing device is down" ]
	dc dev set simB state up
	# nothing landed
	[ "$(dc dmb read dev simA token "$tok" file - length 1 | od -An -tx1)" = " 00" ]
	# without /dev/dibs: an error, or with FALLBACK the write path
	run env DIBSNL_DATA_PATH=netlink "$MM" write simB "$tok" 0 x remote
	[[ ${lines[0]} == "error: map: EOPNOTSUPP: /dev/dibs is not used "* ]]
	run env DIBSNL_DATA_PATH=netlink "$MM" fallback simB "$tok"
	[[ ${lines[0]} == "fallback: /dev/dibs is not used "* ]]
	[ "$("$MM" fallback simB "$tok")" = mapped ]
}

@test "mmap: a mapping keeps the DMB's memory past a revoke, until unmapped" {
	local tok
	tok=$(grant_token lo lo)
	run "$MM" revoke lo "$tok" lo
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "dmb-get after revoke: ENOENT" ]
	[ "${lines[1]}" = "after revoke: owner+writer" ]
	[ -z "$(dc dmb show client userspace)" ]

	# a mapped remote DMB outlives its revoke and both devices: its
	# toucher loads and stores once per line on fd 4, unmaps at the end
	two_sims 9
	tok=$(grant_token simA simB)
	mkfifo "$BATS_TEST_TMPDIR/go"
	"$MM" touch simB "$tok" remote <"$BATS_TEST_TMPDIR/go" \
		>"$BATS_TEST_TMPDIR/hold" 3>&- &
	HOLD_PID=$!
	exec 4>"$BATS_TEST_TMPDIR/go"
	wait_for "$BATS_TEST_TMPDIR/hold" '^mapped$'
	dc dmb revoke dev simA token "$tok"
	dc dev del simB
	dc dev del simA
	touched hold 4 1 "read ok, write ok"
	exec 4>&-
	wait "$HOLD_PID"
	HOLD_PID=''
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/hold")" = unmapped ]
}

@test "mmap: needs CAP_NET_ADMIN, as every /dev/dibs ioctl" {
	local tok
	tok=$(grant_token lo lo)
	run setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
		"$MM" read lo "$tok" 0 1
	[ "$status" -eq 1 ]
	[[ $output == "error: map: EPERM: mapping a DMB needs CAP_NET_ADMIN"* ]]
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MM" write lo "$tok" 0 x remote
	[ "$status" -eq 1 ]
	[[ $output == "error: map: EPERM: "* ]]
}

@test "mmap: a live mapping pins the module; unmapped, everything unloads" {
	local tok refs
	tok=$(grant_token lo lo)
	refs=$(cat /sys/module/dibs/refcnt)
	hold lo "$tok"		# the handle and its fd are closed
	[ "$(cat /sys/module/dibs/refcnt)" -eq $((refs + 1)) ]
	run rmmod dibs
	[ "$status" -ne 0 ]
	dc dmb revoke dev lo token "$tok"
	# the soft driver goes; the mapping's memory stays until unmapped
	dibs_rmmod dibs_loopback dibs_sim
	unhold
	[ "$(cat /sys/module/dibs/refcnt)" -eq 0 ]
	dibs_unload_and_check dibs
}
