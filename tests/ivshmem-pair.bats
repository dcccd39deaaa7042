#!/usr/bin/env bats
# dibs_ivshmem between two VMs: the same suite runs in two guests at once,
# A and B, each with an ivshmem-doorbell on one dibs-ivshmem-server (fabric
# 0xff42), started by tests/vm/run-pair.sh. The guests coordinate through
# a shared directory (a 9p export, tag "pair"), never through the fabric:
# put NAME VALUE publishes a value, get NAME waits for the other guest's.
# Each test is one step of a scenario, with a part for each role; outside
# run-pair.sh (no dibs_pair_role on the kernel command line) every test
# skips.
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
#   - B's driver going away is seen by A: a DIBS_DEV_EVENT for B's gid,
#     query says unreachable; A's DMB granted to B stays until revoked;
#   - B coming back: a token of its previous life is refused, never
#     written into its new buffers;
#   - B's QEMU killed with SIGKILL with B's driver loaded (run-pair.sh
#     does it once B's suite is done; nothing shuts down in B): the server
#     marks B dead, A sees the event for B's gid.

load lib/dibs
load lib/expect
load lib/monitor
load lib/pair

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
	# B leaves with its driver loaded (the last test): run-pair.sh
	# kills its QEMU with SIGKILL once B's suite is done.
	[ "$ROLE" = A ] || return 0
	unload_dibs
	! dibs_loaded dibs_ivshmem
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	[ -n "$ROLE" ] || skip "not one of two guests (tests/vm/run-pair.sh)"
	[ -e /sys/class/dibs/ivshmem0 ] || dibs_insmod dibs_ivshmem
	dibs_mark
	nap_init
	MON_PIDS=()
}

teardown() {
	[ -n "${ROLE:-}" ] || return 0
	local rc=0
	mon_stop || rc=1
	dibs_no_kernel_problems || rc=1
	# A failed step: the other guest stops waiting for this one.
	if [ -z "${BATS_TEST_COMPLETED:-}" ] || [ $rc != 0 ]; then
		put abort 1
	fi
	return $rc
}

# grant RGID SIZE: a DMB on this guest's device; its token in TOK.
grant() {
	local out
	out=$(dc dmb grant dev ivshmem0 remote-gid "$1" size "$2") || return 1
	TOK=${out#token }
}

query() {
	dc dev query ivshmem0 remote-gid "$1"
}

TC=/sys/kernel/debug/dibs_test_client

# tc CMD...: one command to dibs_test_client.
tc() {
	printf '%s\n' "$*" >"$TC/ctl"
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
		grant "$b" 1M && t1=$TOK
		grant "$a" 4K && t2=$TOK	# granted to A itself
		grant "$b" 4K && t3=$TOK
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
		grant "$b" 4K && t=$TOK
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

@test "pair: B goes away and comes back: A sees it go, old tokens stay dead" {
	local a b b2 ta tb tb2 out
	if [ "$ROLE" = A ]; then a=$(my_gid); b=$(get gid); else a=$(get gid); b=$(my_gid); fi
	case $ROLE in
	A)
		mon_start event
		grant "$b" 8K && ta=$TOK
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
		grant "$a" 8K && tb=$TOK
		put tb "$tb"
		get wrote >/dev/null
		expect_eq "A's write" "$(dc dmb read dev ivshmem0 token "$tb" file - length 6)" before
		rmmod dibs_ivshmem
		put gone 1
		get checked >/dev/null

		dibs_insmod dibs_ivshmem
		b2=$(my_gid)
		[ "$b2" != "$b" ]
		grant "$a" 8K && tb2=$TOK
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

@test "pair: B's QEMU is killed (SIGKILL) with its driver loaded: A sees it go" {
	local b ta out
	case $ROLE in
	A)
		read -r b _ < <(get back)
		mon_start event
		grant "$b" 4K && ta=$TOK
		put watching 1
		# B's suite ends here; run-pair.sh kills B's QEMU with SIGKILL
		# (nothing unloads in B) and the server marks it dead and
		# rings us.
		wait_for "$MON" "^\[event\] dev ivshmem0 type dev subtype disabled gid $b "
		expect_eq "query gone" "$(query "$b")" "dev ivshmem0 remote-gid $b reachable no"
		out=$(dc -j dmb show token "$ta" | jq -r '.[0].remote_gid')
		expect_eq "DMB for B" "$out" "$b"
		dc dmb revoke dev ivshmem0 token "$ta"
		;;
	B)
		get watching >/dev/null
		dibs_loaded dibs_ivshmem
		;;
	esac
}
