#!/usr/bin/env bats
# dibs-blk (dibsblk/): a block device over dibs, in the test VM. Server
# and client run on two sim devices of one fabric (simA the server's,
# simB and simC clients'); the client shows the export as /dev/nbdN
# through the kernel's NBD driver (Debian's nbd.ko). The export is a file
# on the guest's tmpfs, or in one test a loop device on such a file.

bats_require_minimum_version 1.5.0

load lib/dibs

BLK=$DIBS_REPO/dibsblk/dibs-blk
MiB=$((1024 * 1024))

setup_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
	dibs_load_sim
	modprobe nbd nbds_max=4 2>/dev/null || true
	modprobe ext4 2>/dev/null || true
	# the client's NBD socket is TCP over loopback where lo is up
	ip link set lo up
}

teardown_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	[ -x "$BLK" ] || skip "dibsblk/dibs-blk not built"
	[ -b /dev/nbd1 ] || skip "no /dev/nbd1: modprobe nbd failed"
	dibs_load_sim
	dibs_mark
	SRV_PID='' CLI_PIDS=() SRV_GID='' LOOP='' BLK_RUN=()
	EXP=$BATS_TEST_TMPDIR/export.img
	"$DIBSCTL" dev add simA type sim fabric 7
	"$DIBSCTL" dev add simB type sim fabric 7
	"$DIBSCTL" dev add simC type sim fabric 7
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local rc=0 p
	# what the programs said, when the test failed
	[ -n "${BATS_TEST_COMPLETED:-}" ] ||
		tail -n 40 "$BATS_TEST_TMPDIR"/srv "$BATS_TEST_TMPDIR"/cli-* >&2
	for p in "${CLI_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	stop_server
	[ -z "$LOOP" ] || losetup -d "$LOOP" || rc=1
	if [ -e /run/netns/dibsblk-srv ]; then
		ip netns exec dibsblk-srv "$DIBSCTL" dev set simA netns 1 2>/dev/null
		ip netns del dibsblk-srv
	fi
	ip link set lo up
	umount "$BATS_TEST_TMPDIR/mnt" 2>/dev/null
	dibs_remove_cli_state || rc=1
	dibs_no_kernel_problems || rc=1
	return $rc
}

# start_blk_server ARG...: on simA, exporting $EXP to any gid unless ARG has
# --allow, run through BLK_RUN (a command prefix) if set; log in
# $BATS_TEST_TMPDIR/srv (the log may hold an earlier server's lines: wait
# for one more "serving")
start_blk_server() {
	local log=$BATS_TEST_TMPDIR/srv served

	[[ " $* " == *" --allow "* ]] || set -- "$@" --allow any
	served=$(count_lines "$log" '^dibs-blk server: serving')
	"${BLK_RUN[@]}" "$BLK" server --dev simA --export "$EXP" -v -v "$@" >>"$log" 2>&1 &
	SRV_PID=$!
	wait_for "$log" '^dibs-blk server: serving' $((served + 1))
}

stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=''
}

# start_client DEV NBD ARG...: a client of SRV_GID (default simA's gid); log
# in $BATS_TEST_TMPDIR/cli-DEV; returns
# once the kernel's NBD device names this client as the one that set it up
start_client() {
	local dev=$1 nbd=$2 log=$BATS_TEST_TMPDIR/cli-$1 i
	shift 2
	"$BLK" client --dev "$dev" --server "${SRV_GID:-$(gid_of simA)}" --nbd "$nbd" \
		--timeout 3 "$@" >>"$log" 2>&1 &
	CLI_PIDS+=($!)
	for i in {1..100}; do
		[ "$(cat "/sys/block/${nbd#/dev/}/pid" 2>/dev/null)" = "$!" ] &&
			return 0
		sleep 0.1
	done
	cat "$log" >&2
	return 1
}

# granted DEV: DEV has a DMB (a client's CPL: granted after it subscribed
# to the server's events, before its first HELLO)
granted() {
	[ -n "$("$DIBSCTL" dmb show dev "$1")" ]
}

sum() {
	sha256sum | cut -d' ' -f1
}

# slots_agree DEV: the server's last session and DEV's client say they
# use the same number of slots, 31 or 15 (PROTOCOL.md); printed as a TAP
# comment
slots_agree() {
	local srv cli
	srv=$(sed -n 's/^dibs-blk server: client .*: connected (\([0-9]*\) slots)$/\1/p' \
		"$BATS_TEST_TMPDIR/srv" | tail -n 1)
	cli=$(sed -n 's/^dibs-blk client: server .*: connected (.*, \([0-9]*\) slots)$/\1/p' \
		"$BATS_TEST_TMPDIR/cli-$1" | tail -n 1)
	echo "# slots: server $srv, client $cli" >&3
	[[ $srv =~ ^(31|15)$ ]] && [ "$srv" = "$cli" ]
}

@test "dibsblk: ext4 on the client's device, fsck clean, files equal on the export" {
	local mnt=$BATS_TEST_TMPDIR/mnt f
	truncate -s $((32 * MiB)) "$EXP"
	start_blk_server
	start_client simB /dev/nbd0
	grep -q 'NBD socket: TCP over loopback' "$BATS_TEST_TMPDIR/cli-simB"
	# both sides use the slots the client offered: 31 where sim grants
	# its 3.9 MiB CPL, 15 where memory was too fragmented for one block
	slots_agree simB
	mkfs.ext4 -q -F /dev/nbd0
	mkdir "$mnt"
	mount /dev/nbd0 "$mnt"
	head -c $((4 * MiB)) /dev/urandom >"$BATS_TEST_TMPDIR/big"
	cp "$BATS_TEST_TMPDIR/big" "$mnt/big"
	for f in 1 2 3 4 5; do
		echo "small file $f" >"$mnt/small$f"
	done
	sync
	umount "$mnt"
	fsck.ext4 -f -n /dev/nbd0
	# the device reads as the export holds it
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	kill -TERM "${CLI_PIDS[0]}"
	wait "${CLI_PIDS[0]}"
	CLI_PIDS=()
	stop_server
	# the server's file, without the client
	fsck.ext4 -f -n "$EXP"
	[ "$(debugfs -R "cat /big" "$EXP" 2>/dev/null | sum)" = "$(sum <"$BATS_TEST_TMPDIR/big")" ]
	[ "$(debugfs -R "cat /small3" "$EXP" 2>/dev/null)" = "small file 3" ]
	# flushes reached the server, as fdatasync on the export
	grep -q ' type 3 ' "$BATS_TEST_TMPDIR/srv"
}

@test "dibsblk: O_DIRECT writes and reads at random offsets match a reference" {
	local ref=$BATS_TEST_TMPDIR/ref i off n
	head -c $((8 * MiB)) /dev/urandom >"$EXP"
	cp "$EXP" "$ref"
	start_blk_server
	# with lo down the client falls back to a unix socketpair
	ip link set lo down
	start_client simB /dev/nbd0
	grep -q 'NBD socket: unix socketpair' "$BATS_TEST_TMPDIR/cli-simB"
	head -c $((4 * MiB)) /dev/urandom >"$BATS_TEST_TMPDIR/src"
	for i in {1..8}; do
		off=$((RANDOM % 1500))			# in 4 KiB blocks
		n=$((1 + RANDOM % 64))			# 4 KiB .. 256 KiB
		# one of 4 MiB: more than all 31 slots
		[ "$i" -ne 1 ] || { off=0; n=1024; }
		dd if="$BATS_TEST_TMPDIR/src" of=/dev/nbd0 bs=4K count=$n \
			seek=$off oflag=direct status=none
		dd if="$BATS_TEST_TMPDIR/src" of="$ref" bs=4K count=$n \
			seek=$off conv=notrunc status=none
	done
	# FUA: a write with O_DSYNC on a device that has FUA
	dd if="$BATS_TEST_TMPDIR/src" of=/dev/nbd0 bs=4K count=1 seek=7 \
		oflag=direct,dsync status=none
	dd if="$BATS_TEST_TMPDIR/src" of="$ref" bs=4K count=1 seek=7 \
		conv=notrunc status=none
	grep -q ' type 1 fua ' "$BATS_TEST_TMPDIR/srv"
	for i in {1..8}; do
		off=$((RANDOM % 1900))
		n=$((1 + RANDOM % 64))
		[ "$(dd if=/dev/nbd0 bs=4K skip=$off count=$n iflag=direct status=none | sum)" = \
		  "$(dd if="$ref" bs=4K skip=$off count=$n status=none | sum)" ]
	done
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$ref")" ]
	# requests up to 4 MiB: reads larger than all 31 slots (3.9 MiB) go
	# through a buffer in the client
	echo 4096 >/sys/block/nbd0/queue/max_sectors_kb
	[ "$(dd if=/dev/nbd0 bs=4M iflag=direct status=none | sum)" = "$(sum <"$ref")" ]
	[ "$(sum <"$EXP")" = "$(sum <"$ref")" ]
}

@test "dibsblk: a read-only export refuses writes" {
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	local before
	before=$(sum <"$EXP")
	start_blk_server --read-only
	start_client simB /dev/nbd0
	[ "$(cat /sys/block/nbd0/ro)" = 1 ]
	run -1 dd if=/dev/zero of=/dev/nbd0 bs=4K count=1 oflag=direct status=none
	# a client that marks the device writable anyway: the server says EPERM
	start_client simC /dev/nbd1 --writable
	[ "$(cat /sys/block/nbd1/ro)" = 0 ]
	run -1 dd if=/dev/zero of=/dev/nbd1 bs=4K count=1 oflag=direct status=none
	[[ $output == *"Input/output error"* ]]
	grep -q ' type 1 .*: 1$' "$BATS_TEST_TMPDIR/srv"	# EPERM
	[ "$(sum <"$EXP")" = "$before" ]
	# reads still work
	[ "$(dd if=/dev/nbd1 bs=1M iflag=direct status=none | sum)" = "$before" ]
}

@test "dibsblk: only the gids --allow names are served" {
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	start_blk_server --allow "$(gid_of simB)"
	run -1 "$BLK" client --dev simC --server "$(gid_of simA)" --nbd /dev/nbd1 \
		--timeout 3
	[[ $output == *"--server $(gid_of simA): refused: this device's gid is not allowed" ]]
	grep -q "^dibs-blk server: client $(gid_of simC): refused: not allowed (--allow)$" \
		"$BATS_TEST_TMPDIR/srv"
	[ ! -e /sys/block/nbd1/pid ]
	start_client simB /dev/nbd0
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	# the server back with another --allow: simB's client, refused while it
	# asks for a new session, says so once (not at every HELLO)
	stop_server
	start_blk_server --allow "$(gid_of simC)"
	wait_for "$BATS_TEST_TMPDIR/cli-simB" \
		"^dibs-blk client: server $(gid_of simA): refused: this device's gid is not allowed; asking again every second$"
	sleep 3
	[ "$(count_lines "$BATS_TEST_TMPDIR/cli-simB" 'refused')" = 1 ]
	kill -0 "${CLI_PIDS[0]}"
}

# The unit is not started under systemd here (the guest has none); what it
# adds to the server is checked piece by piece: Type=notify, and the
# capabilities it leaves (CapabilityBoundingSet=, NoNewPrivileges=).
@test "dibsblk: with only its unit's capabilities the server says READY=1 and serves" {
	local ns=$BATS_TEST_TMPDIR/notify out=$BATS_TEST_TMPDIR/notified
	local unit=$DIBS_REPO/systemd/dibs-blk-server@.service.in caps c
	local bound=-all mask=0
	local -A bit=([CAP_DAC_OVERRIDE]=1 [CAP_NET_ADMIN]=12)
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
	[ -n "$caps" ]
	for c in $caps; do
		[ -n "${bit[$c]:-}" ] || { echo "$c: not in this test's table" >&2; false; }
		bound+=,+${c#CAP_}
		mask=$((mask | 1 << bit[$c]))
	done
	grep -qx 'NoNewPrivileges=yes' "$unit"
	BLK_RUN=(setpriv --bounding-set "${bound,,}" --inh-caps -all --no-new-privs)
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	notify_listen "$ns" "$out"
	export NOTIFY_SOCKET=$ns
	start_blk_server
	unset NOTIFY_SOCKET
	wait_for "$out" '^READY=1$'
	# root, but with those capabilities alone
	[ "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$SRV_PID/status")" = "$(printf %016x "$mask")" ]
	[ "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' "/proc/$SRV_PID/status")" = 1 ]
	# and it serves, its DMBs mapped
	start_client simB /dev/nbd0
	grep -q "^dibs-blk server: client $(gid_of simB): connected ([0-9]* slots)$" \
		"$BATS_TEST_TMPDIR/srv"
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	io_check /dev/nbd0
}

@test "dibsblk: the server never writes past the export's end" {
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	local before
	before=$(sum <"$EXP")
	start_blk_server
	# a client that shows a device larger than the export
	start_client simB /dev/nbd0 --size 5M
	# one 8 KiB write across the end, one beyond it
	run -1 dd if=/dev/zero of=/dev/nbd0 bs=8K count=1 seek=$((4 * MiB - 4096)) \
		oflag=direct,seek_bytes status=none
	run -1 dd if=/dev/zero of=/dev/nbd0 bs=4K count=1 seek=1100 oflag=direct status=none
	[ "$(stat -c %s "$EXP")" -eq $((4 * MiB)) ]
	[ "$(sum <"$EXP")" = "$before" ]
	grep -q ' type 1 .*: 28$' "$BATS_TEST_TMPDIR/srv"	# ENOSPC
}

@test "dibsblk: kill -9 of the server fails the client's I/O, a restart recovers" {
	local t0 t1 ddpid st=0
	truncate -s $((32 * MiB)) "$EXP"
	start_blk_server
	start_client simB /dev/nbd0
	dd if=/dev/urandom of=/dev/nbd0 bs=64K count=512 oflag=direct \
		status=none 2>"$BATS_TEST_TMPDIR/dd.err" &
	ddpid=$!
	wait_for "$BATS_TEST_TMPDIR/srv" ' type 1 ' 20
	kill -KILL "$SRV_PID"
	wait "$SRV_PID" || true
	SRV_PID=''
	t0=$(date +%s)
	wait "$ddpid" || st=$?
	t1=$(date +%s)
	[ "$st" -ne 0 ]
	grep -q 'Input/output error' "$BATS_TEST_TMPDIR/dd.err"
	[ $((t1 - t0)) -le 15 ]
	# while the server is away, I/O fails at once
	run -1 dd if=/dev/nbd0 of=/dev/null bs=4K count=1 skip=100 iflag=direct status=none
	[[ $output == *"Input/output error"* ]]
	# a new server: the client finds it by itself
	start_blk_server
	wait_for "$BATS_TEST_TMPDIR/cli-simB" 'server .*: connected' 2
	head -c $MiB /dev/urandom >"$BATS_TEST_TMPDIR/src"
	dd if="$BATS_TEST_TMPDIR/src" of=/dev/nbd0 bs=64K seek=32 oflag=direct status=none
	[ "$(dd if=/dev/nbd0 bs=64K skip=32 count=16 iflag=direct status=none | sum)" = \
	  "$(sum <"$BATS_TEST_TMPDIR/src")" ]
	[ "$(dd if="$EXP" bs=64K skip=32 count=16 status=none | sum)" = \
	  "$(sum <"$BATS_TEST_TMPDIR/src")" ]
}

@test "dibsblk: an idle client finds a killed server gone, and its restart back before the next request" {
	local cli=$BATS_TEST_TMPDIR/cli-simB t0
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	start_blk_server
	start_client simB /dev/nbd0
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	kill -KILL "$SRV_PID"
	wait "$SRV_PID" || true
	SRV_PID=''
	t0=$SECONDS
	# no request: the client's probe of its idle session finds it
	wait_for "$cli" "server $(gid_of simA): gone \(signal refused\): I/O fails with EIO until it is back"
	echo "# found gone $((SECONDS - t0)) s after the kill" >&3
	((SECONDS - t0 <= 15))
	start_blk_server
	wait_for "$cli" "^dibs-blk client: server .*: connected \(" 2
	# the first request after the restart is served, none failed
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	io_check /dev/nbd0
}

@test "dibsblk: a REFUSE of an earlier HELLO is ignored, one without a token is not" {
	# REFUSE (3), set-up failed (4): 0xDC0B0000 | version 1 << 12 | 3 << 8 | 4
	local refuse=$((0xDC0B1304)) srv b c st=0
	srv=$(gid_of simA)
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	# no server yet: both clients say HELLO every second
	"$BLK" client --dev simB --server "$srv" --nbd /dev/nbd0 --timeout 30 \
		>>"$BATS_TEST_TMPDIR/cli-simB" 2>&1 &
	b=$!
	CLI_PIDS+=("$b")
	"$BLK" client --dev simC --server "$srv" --nbd /dev/nbd1 --timeout 30 \
		>>"$BATS_TEST_TMPDIR/cli-simC" 2>&1 &
	c=$!
	CLI_PIDS+=("$c")
	# each listens for the server's answers once its CPL is granted
	wait_until 10 granted simB
	wait_until 10 granted simC
	# from the server's gid: to B naming a token that is not its HELLO's
	# (an earlier HELLO's CPL), to C with none (a server before tokens)
	"$DIBSCTL" dev event simA remote-gid "$(gid_of simB)" subtype "$refuse" data 12345
	"$DIBSCTL" dev event simA remote-gid "$(gid_of simC)" subtype "$refuse"
	wait "$c" || st=$?
	[ "$st" = 1 ]
	grep -q "^dibs-blk client: --server $srv: refused: the server failed to set up the session$" \
		"$BATS_TEST_TMPDIR/cli-simC"
	sleep 1
	kill -0 "$b"
	# B is still asking, and the server it finds serves it
	start_blk_server
	for _ in {1..100}; do
		[ "$(cat /sys/block/nbd0/pid 2>/dev/null)" = "$b" ] && break
		sleep 0.1
	done
	[ "$(cat /sys/block/nbd0/pid)" = "$b" ]
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
}

@test "dibsblk: a client that dies leaves the server serving another" {
	local dead
	head -c $((8 * MiB)) /dev/urandom >"$EXP"
	start_blk_server
	start_client simB /dev/nbd0
	start_client simC /dev/nbd1
	wait_for "$BATS_TEST_TMPDIR/srv" 'client .*: connected' 2
	dd if=/dev/nbd0 of=/dev/null bs=64K count=16 iflag=direct status=none
	[ "$(cat /sys/block/nbd0/backend)" = "dibs-blk $(gid_of simA)" ]
	dead=${CLI_PIDS[0]}
	kill -KILL "$dead"
	wait "$dead" || true
	CLI_PIDS=("${CLI_PIDS[1]}")
	# its device stays set up, failing I/O at once
	run -1 dd if=/dev/nbd0 of=/dev/null bs=4K count=1 iflag=direct status=none
	[[ $output == *"Input/output error"* ]]
	[ "$(cat /sys/block/nbd0/pid)" = "$dead" ]
	head -c $MiB /dev/urandom >"$BATS_TEST_TMPDIR/src"
	dd if="$BATS_TEST_TMPDIR/src" of=/dev/nbd1 bs=64K seek=8 oflag=direct status=none
	[ "$(dd if="$EXP" bs=64K skip=8 count=16 status=none | sum)" = \
	  "$(sum <"$BATS_TEST_TMPDIR/src")" ]
	kill -0 "$SRV_PID"
	# the dead client comes back on its device: it clears what the dead one
	# left there, and a new session replaces the old
	start_client simB /dev/nbd0
	grep -q "cleared what pid $dead (dibs-blk .*), which is gone" \
		"$BATS_TEST_TMPDIR/cli-simB"
	[ "$(dd if=/dev/nbd0 bs=64K skip=8 count=16 iflag=direct status=none | sum)" = \
	  "$(sum <"$BATS_TEST_TMPDIR/src")" ]
	# a live client's device is not taken
	run -1 "$BLK" client --dev simC --server "$(gid_of simA)" --nbd /dev/nbd0 \
		--timeout 3
	[[ $output == *"--nbd /dev/nbd0: in use (set up by pid ${CLI_PIDS[1]})"* ]]
}

@test "dibsblk: a client killed while idle frees its place within seconds" {
	local dead t0
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	start_blk_server --max-clients 1
	start_client simB /dev/nbd0
	dead=${CLI_PIDS[0]}
	kill -KILL "$dead"
	wait "$dead" || true
	CLI_PIDS=()
	t0=$SECONDS
	# the server's only place is the dead client's until it probes it
	run -1 "$BLK" client --dev simC --server "$(gid_of simA)" --nbd /dev/nbd1
	[[ $output == *": refused: too many clients" ]]
	wait_for "$BATS_TEST_TMPDIR/srv" "client $(gid_of simB): gone \(signal refused\)"
	echo "# dropped $((SECONDS - t0)) s after the kill" >&3
	((SECONDS - t0 <= 15))
	start_client simC /dev/nbd1
	[ "$(dd if=/dev/nbd1 bs=64K iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	# the probes of the live client's idle session (the server's, the
	# client's) do not end it
	sleep 7
	[ "$(count_lines "$BATS_TEST_TMPDIR/srv" 'gone')" = 1 ]
	[ "$(count_lines "$BATS_TEST_TMPDIR/cli-simC" 'connected \(')" = 1 ]
	[ "$(count_lines "$BATS_TEST_TMPDIR/cli-simC" 'gone')" = 0 ]
	dd if=/dev/nbd1 of=/dev/null bs=64K count=1 iflag=direct status=none
}

# io_check NBD: 1 MiB of random bytes written at 1 MiB + 8 KiB through
# NBD (O_DIRECT), read back through it, and found on the export
io_check() {
	head -c $MiB /dev/urandom >"$BATS_TEST_TMPDIR/src"
	dd if="$BATS_TEST_TMPDIR/src" of="$1" bs=4K seek=258 oflag=direct status=none
	[ "$(dd if="$1" bs=4K skip=258 count=256 iflag=direct status=none | sum)" = \
	  "$(sum <"$BATS_TEST_TMPDIR/src")" ]
	[ "$(dd if="$EXP" bs=4K skip=258 count=256 status=none | sum)" = \
	  "$(sum <"$BATS_TEST_TMPDIR/src")" ]
}

@test "dibsblk: a block device exported: its size, its bytes, a flush reaches its store" {
	local got
	modprobe loop 2>/dev/null || true
	[ -e /dev/loop-control ] || skip "no loop driver (modprobe loop)"
	head -c $((8 * MiB)) /dev/urandom >"$EXP"
	LOOP=$(losetup --find --show "$EXP")
	EXP=$LOOP start_blk_server
	grep -q "^dibs-blk server: serving $LOOP (8388608 bytes, read-write) on simA" \
		"$BATS_TEST_TMPDIR/srv"
	start_client simB /dev/nbd0
	[ "$(blockdev --getsize64 /dev/nbd0)" = $((8 * MiB)) ]
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	# 1 MiB at 1 MiB + 8 KiB, then a flush (conv=fsync): the server's
	# pwrite lands in the loop device's page cache, its fdatasync() on
	# the flush writes it through to the file behind the loop device
	head -c $MiB /dev/urandom >"$BATS_TEST_TMPDIR/src"
	dd if="$BATS_TEST_TMPDIR/src" of=/dev/nbd0 bs=4K seek=258 oflag=direct \
		conv=fsync status=none
	grep -q ' type 3 .*: 0$' "$BATS_TEST_TMPDIR/srv"	# the flush
	got=$(dd if=/dev/nbd0 bs=4K skip=258 count=256 iflag=direct status=none | sum)
	[ "$got" = "$(sum <"$BATS_TEST_TMPDIR/src")" ]
	[ "$(dd if="$EXP" bs=4K skip=258 count=256 status=none | sum)" = "$got" ]
}

@test "dibsblk: without mappings (DIBSNL_DATA_PATH=netlink) both ends copy" {
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	DIBSNL_DATA_PATH=netlink start_blk_server
	DIBSNL_DATA_PATH=netlink start_client simB /dev/nbd0
	grep -q "^dibs-blk server: client .*: connected ([0-9]* slots, not mapped)$" \
		"$BATS_TEST_TMPDIR/srv"
	grep -q "^dibs-blk client: server .*: connected (.* slots, not mapped)$" \
		"$BATS_TEST_TMPDIR/cli-simB"
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	io_check /dev/nbd0
}

@test "dibsblk: a server in another network namespace serves a client here" {
	local gid
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	gid=$(gid_of simA)
	SRV_GID=$gid
	ip netns add dibsblk-srv
	"$DIBSCTL" dev set simA netns dibsblk-srv
	run -1 "$DIBSCTL" dev show simA
	"$BLK" server --dev simA --export "$EXP" --allow "$(gid_of simB)" -v \
		>"$BATS_TEST_TMPDIR/srv" 2>&1 &
	SRV_PID=$!
	# not there: the device is in the other namespace
	wait "$SRV_PID" || true
	grep -q "^dibs-blk server: --dev simA: " "$BATS_TEST_TMPDIR/srv"
	# appended, not truncated: wait_for may have the log open already,
	# and would read on from where the first server's line ended
	ip netns exec dibsblk-srv "$BLK" server --dev simA --export "$EXP" \
		--allow "$(gid_of simB)" -v >>"$BATS_TEST_TMPDIR/srv" 2>&1 &
	SRV_PID=$!
	wait_for "$BATS_TEST_TMPDIR/srv" "^dibs-blk server: serving .* on simA, gid $gid$"
	start_client simB /dev/nbd0
	grep -q "^dibs-blk server: client $(gid_of simB): connected" "$BATS_TEST_TMPDIR/srv"
	echo "# $(grep -o 'connected (.*)' "$BATS_TEST_TMPDIR/srv")" >&3
	[ "$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | sum)" = "$(sum <"$EXP")" ]
	io_check /dev/nbd0
}

@test "dibsblk: a stopped or traced client keeps its device" {
	local pid ddpid
	head -c $((4 * MiB)) /dev/urandom >"$EXP"
	start_blk_server
	start_client simB /dev/nbd0
	pid=${CLI_PIDS[0]}
	# a read waits while the client is stopped, and completes after
	dd if=/dev/nbd0 of=/dev/null bs=64K count=1 iflag=direct status=none
	kill -STOP "$pid"
	dd if=/dev/nbd0 of="$BATS_TEST_TMPDIR/got" bs=64K count=64 \
		iflag=direct status=none &
	ddpid=$!
	sleep 1
	kill -CONT "$pid"
	wait "$ddpid"
	[ "$(sum <"$BATS_TEST_TMPDIR/got")" = "$(sum <"$EXP")" ]
	# strace attaches and detaches (ptrace interrupts every thread)
	if command -v strace >/dev/null; then
		timeout -s INT 2 strace -q -f -p "$pid" -o /dev/null || true
	fi
	kill -0 "$pid"
	[ "$(cat /sys/block/nbd0/pid)" = "$pid" ]
	head -c $MiB /dev/urandom >"$BATS_TEST_TMPDIR/src"
	dd if="$BATS_TEST_TMPDIR/src" of=/dev/nbd0 bs=64K oflag=direct status=none
	[ "$(dd if="$EXP" bs=64K count=16 status=none | sum)" = \
	  "$(sum <"$BATS_TEST_TMPDIR/src")" ]
}
