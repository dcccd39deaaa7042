#!/usr/bin/env bats
# Signals read from /dev/dibs (DIBS_IOC_DMB_WATCH, read(), poll()) through
# libdibsnl's dibsnl_dmb_watch() and dibsnl_watch_read(), in the test VM.
# The tool is tests/tools/dibs-watch (its usage at its top): a script of
# watch/unwatch/read/close/run lines on stdin, one line out for each.
#
# The modules are loaded per test file; every test removes what it made
# and must leave a clean kernel log; the last one unloads everything.

bats_require_minimum_version 1.5.0

load lib/dibs

DW=$DIBS_REPO/tests/tools/dibs-watch
NS=dibs-watch-ns

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
	[ -x "$DW" ] || skip "tests/tools/dibs-watch not built"
	dibs_load_sim
	dibs_mark
	BG_PIDS=()
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local rc=0 p
	exec 5>&-
	for p in "${BG_PIDS[@]}"; do dibs_stop_bg "$p"; done
	ip netns del "$NS" 2>/dev/null
	dibs_remove_cli_state || rc=1
	dibs_no_kernel_problems || rc=1
	return $rc
}

# tok_for DEV WRITER: a 4 KiB DMB on DEV for WRITER's gid; sets TOK
tok_for() {
	grant "$1" "$(gid_of "$2")" 4K
}

# sig DEV TOKEN IDX: the script line of a one-byte write from DEV with
# signal IDX
sig() {
	echo "run $DIBSCTL dmb write dev $1 token $2 data x signal $3 >/dev/null"
}

# dw_start: dibs-watch in the background, its script fed by dw_send LINE
# (on fd 5, a fifo) and its output in $BATS_TEST_TMPDIR/dw
dw_start() {
	mkfifo "$BATS_TEST_TMPDIR/dw.in"
	"$DW" <"$BATS_TEST_TMPDIR/dw.in" >"$BATS_TEST_TMPDIR/dw" 3>&- &
	BG_PIDS+=($!)
	exec 5>"$BATS_TEST_TMPDIR/dw.in"
}

dw_send() {
	printf '%s\n' "$1" >&5
}

# dw_wait N ERE: until the background tool's output has N lines matching ERE
dw_wait() {
	for _ in {1..100}; do
		[ "$(grep -cE "$2" "$BATS_TEST_TMPDIR/dw")" -ge "$1" ] && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/dw" >&2
	return 1
}

@test "watch: a watched DMB's signals are read from /dev/dibs, coalesced" {
	local tok
	tok_for lo lo
	tok=$TOK
	# loopback raises its signals in the writer's call: each is there
	# once the write returned
	run "$DW" <<-EOF
		watch 1 lo $tok
		read 1 0
		$(sig lo "$tok" 3)
		read 1 5000
		$(sig lo "$tok" 0)
		$(sig lo "$tok" 15)
		read 1 5000
		unwatch 1 lo $tok
		$(sig lo "$tok" 1)
		read 1 0
		unwatch 1 lo $tok
	EOF
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "watch: ok" ]
	[ "${lines[1]}" = "events 0" ]
	[ "${lines[3]}" = "events 1 $tok/0x8" ]
	[ "${lines[6]}" = "events 1 $tok/0x8001" ]
	[ "${lines[7]}" = "unwatch: ok" ]
	[ "${lines[9]}" = "events 0" ]
	[ "${lines[10]}" = "unwatch: ENOENT: this handle does not watch that DMB (or its watch ended)" ]
}

@test "watch: sim signals wake a blocked reader; notifications go on too" {
	local tok tok2
	two_sims 9
	tok_for simA simB
	tok=$TOK
	tok_for simA simB
	tok2=$TOK
	# a reader blocked in read(): sim signals come from a work item
	dw_start
	dw_send "watch 1 simA $tok"
	dw_send "watch 1 simA $tok2"
	dw_wait 2 '^watch: ok$'
	dw_send "read 1 20000"
	sleep 0.5
	dc dmb write dev simB token "$tok2" data y signal 6
	dw_wait 1 '^events'
	[ "$(sed -n 3p "$BATS_TEST_TMPDIR/dw")" = "events 1 $tok2/0x40" ]
	# its end of input ends it, and its handle: the DMBs are free again
	exec 5>&-
	wait "${BG_PIDS[0]}"
	BG_PIDS=()
	# the "signal" notification still reaches its listeners (dibs-mmap
	# waits for it), and the watch gets the same signal
	run "$DIBS_REPO/tests/tools/dibs-mmap" write simB "$tok" 0 z remote signal 0x2
	[ "${lines[0]}" = "signal 0x2" ]
	run "$DW" <<-EOF
		watch 1 simA $tok
		$(sig simB "$tok" 4)
		read 1 5000
	EOF
	[ "${lines[0]}" = "watch: ok" ]
	[ "${lines[2]}" = "events 1 $tok/0x10" ]
}

@test "watch: refusals name the reason" {
	local tok toks=() i
	tok_for lo lo
	tok=$TOK
	run "$DW" <<-EOF
		watch 1 nodev $tok
		watch 1 lo 0x1234
		watch 1 lo $tok
		watch 1 lo $tok
		watch 2 lo $tok
		close 1
		watch 2 lo $tok
	EOF
	[ "${lines[0]}" = "watch: ENODEV: no such dibs device" ]
	[ "${lines[1]}" = "watch: ENOENT: no DMB granted from userspace with this token on the device" ]
	[ "${lines[2]}" = "watch: ok" ]
	[ "${lines[3]}" = "watch: EBUSY: the DMB is watched already, by this or another handle" ]
	[ "${lines[4]}" = "${lines[3]}" ]
	# closing the file ends its watches: another may watch now
	[ "${lines[6]}" = "watch: ok" ]

	# 64 DMBs a file, then ENOSPC
	for i in {1..65}; do
		echo "dmb grant dev lo remote-gid $(gid_of lo) size 4K"
	done >"$BATS_TEST_TMPDIR/batch"
	mapfile -t toks < <(dc -b "$BATS_TEST_TMPDIR/batch" | awk '{ print $2 }')
	[ "${#toks[@]}" -eq 65 ]
	run "$DW" < <(for i in "${toks[@]}"; do echo "watch 1 lo $i"; done)
	[ "$(grep -c '^watch: ok$' <<<"$output")" -eq 64 ]
	[ "${lines[64]}" = "watch: ENOSPC: this handle watches 64 DMBs already" ]

	# without CAP_NET_ADMIN, or without /dev/dibs
	run setpriv --bounding-set=-net_admin "$DW" <<<"watch 1 lo $tok"
	[ "${lines[0]}" = "watch: EPERM: watching a DMB needs CAP_NET_ADMIN (and access to /dev/dibs)" ]
	run env DIBSNL_DATA_PATH=netlink "$DW" <<<"watch 1 lo $tok"
	[[ ${lines[0]} == "watch: EOPNOTSUPP: /dev/dibs is not used "* ]]
}

@test "watch: it ends with its DMB, its device or its namespace, reported once" {
	local tok a b c
	tok_for lo lo
	tok=$TOK
	run "$DW" <<-EOF
		watch 1 lo $tok
		$(sig lo "$tok" 2)
		run $DIBSCTL dmb revoke dev lo token $tok >/dev/null
		read 1 5000
		read 1 0
		unwatch 1 lo $tok
	EOF
	printf '%s\n' "${lines[@]}"
	[ "${lines[0]}" = "watch: ok" ]
	[ "${lines[3]}" = "events 1 $tok/0x4/ended" ]
	[ "${lines[4]}" = "events 0" ]
	[ "${lines[5]}" = "unwatch: ENOENT: this handle does not watch that DMB (or its watch ended)" ]

	# a device deleted, and a device moved to another namespace
	two_sims 9
	dc dev add simC type sim fabric 9
	tok_for simA simB
	a=$TOK
	tok_for simA simB
	b=$TOK
	tok_for simC simB
	c=$TOK
	ip netns add "$NS"
	run "$DW" <<-EOF
		watch 1 simA $a
		watch 1 simA $b
		watch 1 simC $c
		run $DIBSCTL dev set simC netns $NS >/dev/null
		read 1 5000
		run $DIBSCTL dev del simA >/dev/null
		read 1 5000
		read 1 0
	EOF
	printf '%s\n' "${lines[@]}"
	[ "${lines[2]}" = "watch: ok" ]
	[ "${lines[4]}" = "events 1 $c/0x0/ended" ]
	[ "${lines[6]}" = "events 2 $a/0x0/ended $b/0x0/ended" ]
	[ "${lines[7]}" = "events 0" ]
	dc -n "$NS" dev del simC
}

@test "watch: watch, unwatch and close race signals, a revoke, a removal, an unload" {
	local tok round storm_end churn_end out=$BATS_TEST_TMPDIR
	two_sims 9
	for round in revoke remove unload; do
		[ -e /sys/class/dibs/simA ] || dc dev add simA type sim fabric 9
		tok_for simA simB
		tok=$TOK
		"$DW" storm simB "$tok" 30 >"$out/storm" 3>&- &
		BG_PIDS+=($!)
		"$DW" churn simA "$tok" 30 >"$out/churn" 3>&- &
		BG_PIDS+=($!)
		sleep 2
		# the race, and how the storm and the churn must end
		case $round in
		revoke)
			dc dmb revoke dev simA token "$tok"
			storm_end=ENOENT churn_end=ENOENT
			;;
		remove)
			dc dev del simA
			storm_end=ENOENT churn_end=ENODEV
			;;
		unload)
			# every sim device goes, the writer's too, watches open
			dibs_rmmod dibs_sim
			storm_end='(ENOENT|ENODEV)' churn_end=ENODEV
			;;
		esac
		wait "${BG_PIDS[@]}"
		BG_PIDS=()
		# the counts, in the TAP output: how much raced
		echo "# $round: $(cat "$out/storm"); $(cat "$out/churn")" >&3
		[[ $(cat "$out/storm") =~ ^"storm: "[1-9][0-9]*" signals, then "$storm_end$ ]]
		[[ $(cat "$out/churn") =~ ^"churn: "[1-9][0-9]*" watches, "[0-9]+" events, then "$churn_end$ ]]
	done
	# the driver comes back: nothing of the old devices is left in the way
	dibs_load_sim
	two_sims 9
	dc dev del simA
	dc dev del simB
}
