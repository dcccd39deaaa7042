#!/usr/bin/env bats
# dibs_ivshmem between two VMs: the same suite runs in two guests at once,
# A and B, each with an ivshmem-doorbell on one dibs-ivshmem-server (fabric
# 0xff42), started by tests/vm/run-pair.sh. The guests coordinate through
# a shared directory (a 9p export, tag "pair"), never through the fabric:
# put NAME VALUE publishes a value, get NAME waits for the other guest's.
# Each test is one step of a scenario, with a part for each role; outside
# run-pair.sh (no dibs_pair_role on the kernel command line) every test
# skips. The line "# run-pair: B2" below has run-pair.sh boot B again,
# as B2, after its QEMU was killed.
#
# What the fabric promises across VMs (uapi/ivshmem-layout.md):
#   - both devices are on the server's fabric; each reaches the other's
#     gid (query_remote_gid) and not a made-up one;
#   - B writes into A's DMB granted to B's gid, with a signal: A reads the
#     same bytes and its clients get the signal (doorbell -> A's vector 0);
#     writes to a DMB granted to another gid, past its end or to a revoked
#     token are refused as on the soft devices, nothing lands;
#   - software events cross in both directions (each guest's mailbox in
#     the other's partition): the receiver's monitor shows the code, the
#     data and the sender's gid;
#   - B attaches A's DMB granted to it (in-kernel attach_dmb(), through
#     dibs_test_client) and stores into it directly: A reads the bytes; a
#     revoked DMB no longer attaches;
#   - mapped DMBs (/dev/dibs, tests/tools/dibs-mmap): B maps A's DMB
#     granted to it and stores 1 MiB through the mapping, then raises a
#     signal without data; A sees the signal and reads the same bytes
#     through its own mapping of the DMB. B cannot map a DMB granted to
#     another gid, nor one A revoked; A's mappings (owner and writer) keep
#     the memory past a revoke, and the DMB's slot stays held until the
#     last unmap (then the next grant takes it again); a mapping pins
#     dibs_ivshmem;
#   - a block device over the fabric (dibs-blk, dibsblk/PROTOCOL.md): B
#     exports an 8 MiB file (tmpfs) to A's gid; A's dibs-blk client shows
#     it as /dev/nbd0 (nbd.ko), its session's DMBs mapped on both sides.
#     A reads B's bytes, writes random data with O_DIRECT at three offsets
#     (one write larger than a session's 15 slots) and reads it back; B's
#     file holds the same bytes there and its own elsewhere. A's client
#     stops cleanly (the NBD device goes, B's server hears BYE and keeps
#     serving); B's server stops cleanly. Exported read-only, the file
#     keeps its bytes: B's server refuses (EPERM) the write of a client
#     that kept its device writable (--writable); that client, killed
#     (SIGKILL) while idle, is found gone by B's server's idle probe
#     within seconds (its signal into the dead client's DMB is refused);
#   - B's driver going away is seen by A: a DIBS_DEV_EVENT for B's gid,
#     query says unreachable; A's DMB granted to B stays until revoked;
#   - B coming back: a token of its previous life is refused, never
#     written into its new buffers;
#   - a console over the fabric (uapi/dibs-console.md): B serves a login
#     shell (agetty --autologin, as dibs-console-getty@.service runs it) on
#     its ttyDIBS<n>, allowed to A's gid; A's `dibsctl console connect`
#     types `uname -n` and reads B's host name back, not its own; A
#     leaving hangs the tty up and B's login session ends;
#   - B's QEMU killed with SIGKILL with B's driver loaded (run-pair.sh
#     does it once B's suite is done; nothing shuts down in B): the server
#     marks B dead, A sees the event for B's gid; A's write to a DMB B
#     granted it just before is refused;
#   - B's next life in a new QEMU (run-pair.sh boots it as role B2 once
#     B's QEMU is gone; B2 takes part in the steps named "pair: B2: ...",
#     B does not): a new peer of the server; B2 has a new gid and is
#     reachable, B's gid is not; B2's DMB in the slot of B's last one has
#     a token of another peer id or generation, and A's write to B's
#     token is refused and lands nowhere, not in B2's DMB.
#
# run-pair: B2

load lib/dibs
load lib/expect
load lib/monitor
load lib/pair

MM=$DIBS_REPO/tests/tools/dibs-mmap

IVS_FABRIC=0xff42
MADE_UP=01234567-89ab-cdef-0123-456789abcdef

setup_file() {
	pair_mount
	[ -n "$ROLE" ] && [ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
	load_dibs
	dibs_insmod dibs_ivshmem
}

teardown_file() {
	[ -n "${ROLE:-}" ] && [ -n "${DIBS_IN_VM:-}" ] || return 0
	umount "$PAIR_DIR"
	# B leaves with its driver loaded (its last step): run-pair.sh
	# kills its QEMU with SIGKILL once B's suite is done.
	[ "$ROLE" != B ] || return 0
	unload_dibs
	! dibs_loaded dibs_ivshmem
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	[ -n "$ROLE" ] || skip "not one of two guests (tests/vm/run-pair.sh)"
	# B2 (B's next life) takes part in the steps named "pair: B2: ..."
	[ "$ROLE" != B2 ] || [[ $BATS_TEST_DESCRIPTION == "pair: B2: "* ]] ||
		skip "a step without B2"
	[ -e /sys/class/dibs/ivshmem0 ] || dibs_insmod dibs_ivshmem
	dibs_mark
	nap_init
	MON_PIDS=()
	PIDS=()
}

teardown() {
	[ -n "${ROLE:-}" ] && [ -z "${BATS_TEST_SKIPPED:-}" ] || return 0
	local rc=0 p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	mon_stop || rc=1
	# what dibs-blk said, when the step failed
	[ -n "${BATS_TEST_COMPLETED:-}" ] ||
		tail -n 30 "$BATS_TEST_TMPDIR"/blk-* 2>/dev/null >&2
	dibs_no_kernel_problems || rc=1
	# A failed step: the other guest stops waiting for this one.
	if [ -z "${BATS_TEST_COMPLETED:-}" ] || [ $rc != 0 ]; then
		put abort 1
	fi
	return $rc
}

query() {
	dc dev query ivshmem0 remote-gid "$1"
}

@test "pair: both devices on one fabric, each reaches the other's gid" {
	local me other out
	me=$(my_gid)
	put gid "$me"
	other=$(get gid)
	[ "$other" != "$me" ]
	out=$(dc dev show ivshmem0)
	[[ $out == *": ivshmem0: type ivshmem fabric $IVS_FABRIC gid $me "* ]] ||
		{ echo "dev show: $out" >&2; false; }
	expect_eq "query other" "$(query "$other")" "dev ivshmem0 remote-gid $other reachable yes"
	expect_eq "query self" "$(query "$me")" "dev ivshmem0 remote-gid $me reachable yes"
	expect_eq "query made up" "$(query "$MADE_UP")" "dev ivshmem0 remote-gid $MADE_UP reachable no"
	# Done only when both have asked: the next step may take B away.
	put asked 1
	get asked >/dev/null
}

@test "pair: B writes 1 MiB with a signal into A's DMB; refused writes land nowhere" {
	local a b t1 t2 t3 sum
	if [ "$ROLE" = A ]; then a=$(my_gid); b=$(get gid); else a=$(get gid); b=$(my_gid); fi
	case $ROLE in
	A)
		mon_start signal
		grant ivshmem0 "$b" 1M
		t1=$TOK
		grant ivshmem0 "$a" 4K	# granted to A itself
		t2=$TOK
		grant ivshmem0 "$b" 4K
		t3=$TOK
		put tokens "$t1 $t2 $t3"
		sum=$(get written)
		expect_eq "bytes read back" "$(dc dmb read dev ivshmem0 token "$t1" file - | sha256sum)" "$sum"
		wait_for "$MON" "^\[signal\] dev ivshmem0 token $t1 sba [0-9]+ mask 0x0020$"
		expect_eq "non-zero bytes in A's own DMB" "$(dc dmb read dev ivshmem0 token "$t2" file - | tr -d '\0' | wc -c)" 0
		dc dmb revoke dev ivshmem0 token "$t2"
		dc dmb revoke dev ivshmem0 token "$t3"
		put revoked 1
		get late >/dev/null
		dc dmb revoke dev ivshmem0 token "$t1"
		;;
	B)
		read -r t1 t2 t3 < <(get tokens)
		head -c 1M /dev/urandom >"$BATS_TEST_TMPDIR/data"
		dc dmb write dev ivshmem0 token "$t1" file "$BATS_TEST_TMPDIR/data" signal 5
		fails_with 1 "the DMB is not granted to the writing device" \
			dc dmb write dev ivshmem0 token "$t2" data intruder
		fails_with 1 "offset and length do not fit in the DMB" \
			dc dmb write dev ivshmem0 token "$t1" offset $((1024 * 1024 - 2)) data xyz
		put written "$(sha256sum <"$BATS_TEST_TMPDIR/data")"
		get revoked >/dev/null
		fails_with 1 "no DMB with token $t3 on the fabric of dibs device \"ivshmem0\"" \
			dc dmb write dev ivshmem0 token "$t3" data late
		put late 1
		;;
	esac
}

@test "pair: software events from B to A's gid and from A to B's" {
	local me other code
	me=$(my_gid)
	other=$(get gid)
	# A sends 0xa, B sends 0xb, each with its role in the data.
	if [ "$ROLE" = A ]; then code=10; else code=11; fi
	mon_start event
	put evready 1
	get evready >/dev/null
	dc dev event ivshmem0 remote-gid "$other" subtype "$code" data "0x$code"
	# The other's event, with the other's gid as the sender.
	wait_for "$MON" "^\[event\] dev ivshmem0 type sw subtype $((21 - code)) gid $other token 0x0000000000000000 time [0-9]+ data 0x$((21 - code))$"
	put evseen 1
	get evseen >/dev/null
	expect_eq "sw events" "$(count_lines "$MON" '^\[event\] .* type sw ')" 1
}

@test "pair: B stores into A's DMB through an attachment; A reads it" {
	local b t
	case $ROLE in
	A)
		b=$(get gid)
		grant ivshmem0 "$b" 4K
		t=$TOK
		put atttok "$t"
		get stored >/dev/null
		expect_eq "stored by B" "$(dc dmb read dev ivshmem0 token "$t" offset 100 length 6 file -)" direct
		dc dmb revoke dev ivshmem0 token "$t"
		put attrevoked 1
		get attdone >/dev/null
		;;
	B)
		load_test_client
		t=$(get atttok)
		tc attach ivshmem0 "$t"
		expect_eq "attached" "$(cat "$TC/result")" "$t 4096 $((t >> 16 & 0xffff))"
		tc mwrite "$t" 100 direct
		put stored 1
		get attrevoked >/dev/null
		# Revoked: no new attachment; the old one is let go.
		if tc attach ivshmem0 "$t" 2>/dev/null; then
			echo "a revoked DMB attached" >&2
			false
		fi
		tc detach ivshmem0 "$t"
		unload_test_client
		put attdone 1
		;;
	esac
}

@test "pair: B maps A's DMB, stores 1 MiB, signals; A reads it through its mapping" {
	local a b t t2 out hold slot
	if [ "$ROLE" = A ]; then a=$(my_gid); b=$(get gid); else a=$(get gid); b=$(my_gid); fi
	[ -x "$MM" ] || { echo "tests/tools/dibs-mmap not built" >&2; false; }
	case $ROLE in
	A)
		mon_start signal
		grant ivshmem0 "$b" 1M
		t=$TOK
		grant ivshmem0 "$a" 4K	# granted to A itself
		t2=$TOK
		put maptoks "$t $t2"
		out=$(get mapsum)
		wait_for "$MON" "^\[signal\] dev ivshmem0 token $t sba [0-9]+ mask 0x0004$"
		# The owner's view: the region's pages B stored into.
		expect_eq "bytes through A's mapping" "$("$MM" dump ivshmem0 "$t" | sha256sum)" "$out"
		dc dmb revoke dev ivshmem0 token "$t"
		put maprevoked 1
		# Owner and writer (A's own device, the gid t2 is granted to)
		# mapped across a revoke: both still share the memory.
		out=$("$MM" revoke ivshmem0 "$t2" ivshmem0)
		expect_eq "revoke with mappings" "$out" $'dmb-get after revoke: ENOENT\nafter revoke: owner+writer'
		# Unmapped, both slots are free again (lowest first): t's, which
		# B had mapped, comes back.
		slot=$((t >> 16 & 0xffff))
		grant ivshmem0 "$b" 4K
		t=$TOK
		expect_eq "slot after the mappings" $((t >> 16 & 0xffff)) "$slot"
		# A mapping pins the driver, and holds the slot past a revoke
		# until it is unmapped.
		"$MM" hold ivshmem0 "$t" >"$BATS_TEST_TMPDIR/hold" 3>&- &
		hold=$!
		PIDS+=("$hold")
		wait_for "$BATS_TEST_TMPDIR/hold" '^mapped$'
		if rmmod dibs_ivshmem 2>/dev/null; then
			echo "dibs_ivshmem unloaded under a mapping" >&2
			false
		fi
		dc dmb revoke dev ivshmem0 token "$t"
		grant ivshmem0 "$b" 4K
		t2=$TOK
		[ $((t2 >> 16 & 0xffff)) != "$slot" ] ||
			{ echo "slot $slot reused while mapped" >&2; false; }
		kill -TERM "$hold"
		wait "$hold" || true
		dc dmb revoke dev ivshmem0 token "$t2"
		grant ivshmem0 "$b" 4K
		t=$TOK
		expect_eq "slot after unmap" $((t >> 16 & 0xffff)) "$slot"
		dc dmb revoke dev ivshmem0 token "$t"
		get mapdone >/dev/null
		;;
	B)
		read -r t t2 < <(get maptoks)
		head -c 1M /dev/urandom >"$BATS_TEST_TMPDIR/data"
		expect_eq "put" "$("$MM" put ivshmem0 "$t" "$BATS_TEST_TMPDIR/data" remote signal 4)" ok
		put mapsum "$(sha256sum <"$BATS_TEST_TMPDIR/data")"
		out=$("$MM" write ivshmem0 "$t2" 0 intruder remote) && false
		expect_eq "map of A's own DMB" "$out" "error: map: EACCES: the DMB is not granted to the writing device"
		get maprevoked >/dev/null
		out=$("$MM" write ivshmem0 "$t" 0 late remote) && false
		expect_eq "map after revoke" "$out" "error: map: ENOENT: no DMB with this token on the writer's fabric"
		put mapdone 1
		;;
	esac
}

# digest: the sha256 of standard input, the hex digits alone.
digest() {
	sha256sum | cut -d' ' -f1
}

# same_blocks FILE1 FILE2 OFF N: the N 4 KiB blocks from block OFF are equal.
same_blocks() {
	expect_eq "blocks $3+$4 of $1" \
		"$(dd if="$1" bs=4K skip="$3" count="$4" status=none | digest)" \
		"$(dd if="$2" bs=4K skip="$3" count="$4" status=none | digest)"
}

# stop_ok WHAT PID: SIGTERM to PID (the step's one background program),
# which exits with status 0.
stop_ok() {
	local st=0

	kill -TERM "$2"
	wait "$2" || st=$?
	PIDS=()
	expect_eq "$1's exit status" "$st" 0
}

# blk_client LOG MODE ARG...: A's dibs-blk client of B's export ($blk,
# server gid $b) on /dev/nbd0, log in LOG, in PIDS, its pid in pid; once
# nbd0 is connected and LOG says "connected (8 MiB, MODE)".
blk_client() {
	local log=$1 mode=$2

	shift 2
	"$blk" client --dev ivshmem0 --server "$b" --nbd /dev/nbd0 \
		--timeout 10 "$@" >"$log" 2>&1 3>&- &
	pid=$!
	PIDS+=("$pid")
	wait_until 30 test -e /sys/block/nbd0/pid
	file_has "$log" "^dibs-blk client: server $b: connected \(8388608 bytes, $mode, 31 slots\)$" ||
		{ cat "$log" >&2; false; }
}

@test "pair: dibs-blk: A's /dev/nbd0 is B's exported file; O_DIRECT writes land in it" {
	local a b log pid want off n got prev t0
	local blk=$DIBS_REPO/dibsblk/dibs-blk exp=$BATS_TEST_TMPDIR/export.img
	local orig=$BATS_TEST_TMPDIR/orig.img
	if [ "$ROLE" = A ]; then a=$(my_gid); b=$(get gid); else a=$(get gid); b=$(my_gid); fi
	[ -x "$blk" ] || { echo "dibsblk/dibs-blk not built" >&2; false; }
	log=$BATS_TEST_TMPDIR/blk-$ROLE
	case $ROLE in
	A)
		modprobe nbd nbds_max=2
		[ -b /dev/nbd0 ] || { echo "no /dev/nbd0 after modprobe nbd" >&2; false; }
		# the client's NBD socket: TCP over loopback
		ip link set lo up
		want=$(get blkserving)
		# the session's DMBs are mapped on both sides, as on soft
		# devices (no ", not mapped" after the mode)
		blk_client "$log" read-write
		expect_eq "size of /dev/nbd0" "$(blockdev --getsize64 /dev/nbd0)" 8388608
		expect_eq "B's file read through /dev/nbd0" \
			"$(dd if=/dev/nbd0 bs=1M iflag=direct status=none | digest)" "$want"
		# Three writes of random bytes, each a run of O_DIRECT 4 KiB
		# requests, read back the same way: the first block, 2 MiB
		# from 1 MiB + 12 KiB (not aligned to a 128 KiB slot), the last
		# 256 KiB.
		: >"$BATS_TEST_TMPDIR/ranges"
		while read -r off n; do
			head -c $((n * 4096)) /dev/urandom >"$BATS_TEST_TMPDIR/src"
			dd if="$BATS_TEST_TMPDIR/src" of=/dev/nbd0 bs=4K \
				seek="$off" oflag=direct status=none
			got=$(dd if=/dev/nbd0 bs=4K count="$n" skip="$off" iflag=direct status=none | digest)
			expect_eq "read back $off+$n" "$got" "$(digest <"$BATS_TEST_TMPDIR/src")"
			echo "$off $n $got" >>"$BATS_TEST_TMPDIR/ranges"
		done <<-EOF
			0 1
			259 512
			1984 64
		EOF
		put blkranges "$(cat "$BATS_TEST_TMPDIR/ranges")"
		get blkchecked >/dev/null
		# A clean stop: the NBD device goes, B is told (BYE).
		stop_ok "client" "$pid"
		[ ! -e /sys/block/nbd0/pid ] || { echo "/dev/nbd0 still connected" >&2; false; }
		put blkstopped 1
		# B exports the file read-only: a client that keeps its device
		# writable (--writable) has its write refused by B's server.
		get blkro >/dev/null
		blk_client "$log.ro" read-only --writable
		expect_eq "nbd0 read-only" "$(cat /sys/block/nbd0/ro)" 0
		if dd if=/dev/zero of=/dev/nbd0 bs=4K count=1 seek=5 oflag=direct status=none; then
			echo "a write to a read-only export succeeded" >&2
			false
		fi
		# Killed while idle, the client says nothing more: B's server
		# finds it gone when its probe's signal is refused. The NBD
		# device stays set up for the dead client until nbd-client -d
		# frees it (dibs-blk(8)).
		kill -KILL "$pid"
		wait "$pid" || true
		PIDS=()
		put blkrokilled 1
		nbd-client -d /dev/nbd0 >/dev/null
		wait_until 10 test ! -e /sys/block/nbd0/pid
		put blkrodone 1
		get blkdone >/dev/null
		;;
	B)
		head -c $((8 * 1024 * 1024)) /dev/urandom >"$exp"
		cp "$exp" "$orig"
		"$blk" server --dev ivshmem0 --export "$exp" --allow "$a" -v \
			>"$log" 2>&1 3>&- &
		pid=$!
		PIDS+=("$pid")
		wait_for "$log" "^dibs-blk server: serving .* \(8388608 bytes, read-write\) on ivshmem0, gid $b$"
		put blkserving "$(digest <"$exp")"
		# 31 slots: each peer's share of the region holds a 3.9 MiB DMB
		wait_for "$log" "^dibs-blk server: client $a: connected \(31 slots\)$"
		# What A wrote and read back is in B's file, byte for byte; the
		# blocks between (in 4 KiB blocks, 2048 in all) are B's own.
		got=$(get blkranges)
		expect_eq "ranges" "$(wc -l <<<"$got")" 3
		prev=0
		while read -r off n want; do
			expect_eq "B's file at $off+$n" \
				"$(dd if="$exp" bs=4K count="$n" skip="$off" status=none | digest)" "$want"
			((off <= prev)) || same_blocks "$exp" "$orig" "$prev" $((off - prev))
			prev=$((off + n))
		done <<<"$got"
		((prev >= 2048)) || same_blocks "$exp" "$orig" "$prev" $((2048 - prev))
		put blkchecked 1
		get blkstopped >/dev/null
		# The server outlives its client's session, and stops cleanly.
		wait_for "$log" "^dibs-blk server: client $a: disconnected$"
		kill -0 "$pid" || { echo "the server exited with its client" >&2; false; }
		stop_ok "server" "$pid"
		file_has "$log" "^dibs-blk server: stopped$"
		# The same file read-only: A's write is refused (EPERM, errno
		# 1, in the request's line), the file keeps its bytes.
		want=$(digest <"$exp")
		"$blk" server --dev ivshmem0 --export "$exp" --allow "$a" \
			--read-only -v -v >"$log.ro" 2>&1 3>&- &
		pid=$!
		PIDS+=("$pid")
		wait_for "$log.ro" "^dibs-blk server: serving .* \(8388608 bytes, read-only\) on ivshmem0, gid $b$"
		put blkro 1
		get blkrokilled >/dev/null
		t0=$SECONDS
		wait_for "$log.ro" "^dibs-blk server: client $a: gone \(signal refused\)$"
		echo "# B: the killed client's session dropped $((SECONDS - t0)) s after A killed it" >&3
		((SECONDS - t0 <= 15)) || { echo "dropped after $((SECONDS - t0)) s" >&2; false; }
		get blkrodone >/dev/null
		file_has "$log.ro" " type 1 .*: 1$" || { cat "$log.ro" >&2; false; }
		no_line "$log.ro" " type 1 .*: 0$"
		expect_eq "B's read-only file" "$(digest <"$exp")" "$want"
		stop_ok "read-only server" "$pid"
		put blkdone 1
		;;
	esac
}

@test "pair: B goes away and comes back: A sees it go, old tokens stay dead" {
	local a b b2 ta tb tb2 out
	if [ "$ROLE" = A ]; then a=$(my_gid); b=$(get gid); else a=$(get gid); b=$(my_gid); fi
	case $ROLE in
	A)
		mon_start event
		grant ivshmem0 "$b" 8K
		ta=$TOK
		tb=$(get tb)
		dc dmb write dev ivshmem0 token "$tb" data before
		put wrote 1
		get gone >/dev/null
		# The driver of B went away: an event for its gid, within seconds.
		wait_for "$MON" "^\[event\] dev ivshmem0 type dev subtype disabled gid $b "
		expect_eq "query gone" "$(query "$b")" "dev ivshmem0 remote-gid $b reachable no"
		fails_with 1 "no DMB with token $tb on the fabric of dibs device \"ivshmem0\"" \
			dc dmb write dev ivshmem0 token "$tb" data gone
		# A's DMB for B stays until revoked.
		out=$(dc -j dmb show token "$ta" | jq -r '.[0].remote_gid')
		expect_eq "DMB for B" "$out" "$b"
		dc dmb revoke dev ivshmem0 token "$ta"
		put checked 1

		read -r b2 tb2 < <(get back)
		expect_eq "query new B" "$(query "$b2")" "dev ivshmem0 remote-gid $b2 reachable yes"
		expect_eq "query old B" "$(query "$b")" "dev ivshmem0 remote-gid $b reachable no"
		# A token of B's previous life is refused, not written into the
		# DMB that took its slot; the new token works.
		fails_with 1 "no DMB with token $tb on the fabric of dibs device \"ivshmem0\"" \
			dc dmb write dev ivshmem0 token "$tb" offset 100 data stale
		dc dmb write dev ivshmem0 token "$tb2" data fresh
		put wrote2 1
		;;
	B)
		grant ivshmem0 "$a" 8K
		tb=$TOK
		put tb "$tb"
		get wrote >/dev/null
		expect_eq "A's write" "$(dc dmb read dev ivshmem0 token "$tb" file - length 6)" before
		rmmod dibs_ivshmem
		put gone 1
		get checked >/dev/null

		dibs_insmod dibs_ivshmem
		b2=$(my_gid)
		[ "$b2" != "$b" ]
		grant ivshmem0 "$a" 8K
		tb2=$TOK
		# The same slot as before, with another token.
		expect_eq "slot" $((tb2 >> 16 & 0xffff)) $((tb >> 16 & 0xffff))
		[ "$tb2" != "$tb" ] || { echo "token $tb issued again" >&2; false; }
		put back "$b2 $tb2"
		get wrote2 >/dev/null
		expect_eq "new DMB" "$(dc dmb read dev ivshmem0 token "$tb2" file - length 5)" fresh
		expect_eq "stale write" "$(dc dmb read dev ivshmem0 token "$tb2" file - offset 100 length 5 | od -An -tx1 | tr -d ' ')" 0000000000
		dc dmb revoke dev ivshmem0 token "$tb2"
		;;
	esac
}

# gone SECS PID: PID has exited within SECS seconds.
gone() {
	local end=$((SECONDS + $1))
	while kill -0 "$2" 2>/dev/null; do
		((SECONDS < end)) || return 1
		nap 0.2
	done
}

# stamp WHAT: when this guest reached WHAT, into the run's results (the
# console step's phases; the two guests' clocks differ).
stamp() {
	echo "$EPOCHREALTIME $1" >>"$DIBS_RESULTS/pair-console.$ROLE.times"
}

@test "pair: a login shell on B's console, reached from A, says B's name" {
	local a b out err tty getty srv rc i=0
	# A's transcript stays with the run's results.
	out=$DIBS_RESULTS/pair-console.out err=$DIBS_RESULTS/pair-console.err
	case $ROLE in
	A)
		b=$(get console)
		stamp start
		hostname dibs-pair-a
		mkfifo "$BATS_TEST_TMPDIR/in"
		dc console connect dev ivshmem0 remote-gid "$b" linger 1 \
			<"$BATS_TEST_TMPDIR/in" >"$out" 2>"$err" 3>&- &
		srv=$!
		PIDS+=("$srv")
		exec 5>"$BATS_TEST_TMPDIR/in"
		# What the login printed before A attached went nowhere (no
		# server, no output): press Enter until the shell's prompt
		# comes, as a person at the terminal would.
		# (grep: the prompt is a last line without a newline)
		while ! grep -qF -- '# ' "$out"; do
			if ! kill -0 "$srv" 2>/dev/null || ((i++ >= 450)); then
				echo "no prompt from B's login shell; stderr:" >&2
				cat "$err" "$out" >&2
				exec 5>&-
				return 1
			fi
			((i % 5 != 1)) || printf '\r' >&5
			nap 0.2
		done
		stamp prompt
		printf 'uname -n\r' >&5
		# The answer on a line of its own (the prompt names B too).
		wait_for "$out" $'(^|\r)dibs-pair-b\r?$'
		stamp answer
		no_line "$out" dibs-pair-a
		expect_eq "A's own name" "$(uname -n)" dibs-pair-a
		# End of input: after 1 s of quiet the server hangs up.
		exec 5>&-
		gone 20 "$srv" || { echo "console connect did not end" >&2; false; }
		rc=0
		wait "$srv" || rc=$?
		expect_eq "connect's exit status" "$rc" 0
		stamp ended
		put consoled 1
		;;
	B)
		a=$(get gid)
		stamp start
		hostname dibs-pair-b
		dibs_insmod dibs_console
		dc console enable dev ivshmem0 allow "$a"
		tty=$(cat /sys/class/dibs/ivshmem0/console/tty)
		# The getty of dibs-console-getty@.service (no systemd here),
		# logging root in without a password. Root's home is the host's
		# (the read-only 9p root): an empty one in the getty's own mount
		# namespace keeps the host's dotfiles (slow under TCG) out.
		# shellcheck disable=SC2016 # expanded by the inner sh
		setsid -w unshare -m sh -c \
			'mount -t tmpfs none /root && exec agetty -L -a root "$1" vt220' \
			_ "$tty" </dev/null >/dev/null 2>&1 3>&- &
		getty=$!
		PIDS+=("$getty")
		put console "$(my_gid)"
		stamp getty
		get consoled >/dev/null
		stamp consoled
		# A's hangup ended the login session: getty, login and shell.
		gone 20 "$getty" || { echo "the login on $tty outlived the session" >&2; false; }
		stamp gone
		expect_eq "state after" "$(cat /sys/class/dibs/ivshmem0/console/state)" idle
		dc console disable dev ivshmem0
		dibs_rmmod dibs_console
		stamp unloaded
		;;
	esac
}

@test "pair: B's QEMU is killed (SIGKILL) with its driver loaded: A sees it go" {
	local a b ta tb out
	case $ROLE in
	A)
		read -r b _ < <(get back)
		mon_start event
		grant ivshmem0 "$b" 4K
		ta=$TOK
		put watching 1
		tb=$(get lasttok)
		dc dmb write dev ivshmem0 token "$tb" data alive
		put wrote4 1
		# B's suite ends here; run-pair.sh kills B's QEMU with SIGKILL
		# (nothing unloads in B) and the server marks it dead and
		# rings us.
		wait_for "$MON" "^\[event\] dev ivshmem0 type dev subtype disabled gid $b "
		expect_eq "query gone" "$(query "$b")" "dev ivshmem0 remote-gid $b reachable no"
		fails_with 1 "no DMB with token $tb on the fabric of dibs device \"ivshmem0\"" \
			dc dmb write dev ivshmem0 token "$tb" data dead
		out=$(dc -j dmb show token "$ta" | jq -r '.[0].remote_gid')
		expect_eq "DMB for B" "$out" "$b"
		dc dmb revoke dev ivshmem0 token "$ta"
		;;
	B)
		a=$(get gid)
		get watching >/dev/null
		# B's last DMB, left granted to A: its token is tried again
		# against B's next life (B2).
		grant ivshmem0 "$a" 8K
		tb=$TOK
		put lasttok "$tb"
		get wrote4 >/dev/null
		expect_eq "A's write" "$(dc dmb read dev ivshmem0 token "$tb" file - length 5)" alive
		dibs_loaded dibs_ivshmem
		;;
	esac
}

# tok_field TOKEN SHIFT: 16 bits of a dibs_ivshmem token (48 the owner's
# peer id, 32 its generation, 16 the slot; uapi/linux/dibs_ivshmem.h).
tok_field() {
	echo $(($1 >> $2 & 0xffff))
}

@test "pair: B2: B's next QEMU: new generation and gid, B's token stays dead" {
	local a b b2 tb tb2 got
	case $ROLE in
	A)
		read -r b _ < <(get back)
		tb=$(get lasttok)
		# B2 boots once B's QEMU is gone and B's run has ended.
		got=$(PEER=B2 PAIR_WAIT=180 get back2)
		read -r b2 tb2 <<<"$got"
		[ -n "$tb2" ] || { echo "B2 published '$got'" >&2; false; }
		[ "$b2" != "$b" ] || { echo "B2 has B's gid $b" >&2; false; }
		expect_eq "query B2" "$(query "$b2")" "dev ivshmem0 remote-gid $b2 reachable yes"
		expect_eq "query B" "$(query "$b")" "dev ivshmem0 remote-gid $b reachable no"
		# B2 is another peer, or B's id in a later generation (tokens
		# say whose and which generation); its DMB is in the slot of
		# B's.
		[ "$(tok_field "$tb2" 48).$(tok_field "$tb2" 32)" != \
		  "$(tok_field "$tb" 48).$(tok_field "$tb" 32)" ] ||
			{ echo "B2's token $tb2 has the peer id and generation of B's $tb" >&2; false; }
		expect_eq "B2's slot" "$(tok_field "$tb2" 16)" "$(tok_field "$tb" 16)"
		fails_with 1 "no DMB with token $tb on the fabric of dibs device \"ivshmem0\"" \
			dc dmb write dev ivshmem0 token "$tb" offset 100 data stale
		dc dmb write dev ivshmem0 token "$tb2" data fresh
		put wrote5 1
		PEER=B2 get b2done >/dev/null
		;;
	B)
		skip "B's QEMU was killed: B2 is its next life"
		;;
	B2)
		a=$(get gid)
		grant ivshmem0 "$a" 8K
		tb2=$TOK
		put back2 "$(my_gid) $tb2"
		get wrote5 >/dev/null
		expect_eq "A's write" "$(dc dmb read dev ivshmem0 token "$tb2" file - length 5)" fresh
		expect_eq "stale write" "$(dc dmb read dev ivshmem0 token "$tb2" file - offset 100 length 5 | od -An -tx1 | tr -d ' ')" 0000000000
		dc dmb revoke dev ivshmem0 token "$tb2"
		put b2done 1
		;;
	esac
}
