#!/usr/bin/env bats
# dibs_console, the kernel side of the console over dibs
# (uapi/dibs-console.md), driven from the shell: the existing dibsctl plays
# a minimal terminal server on sim device simA (it grants C2S, sends HELLO
# and HANGUP with `dev event`, writes S2C with `dmb write`, reads C2S with
# `dmb read`, sees ACCEPT and REFUSE with `monitor`); the console serves
# ttyDIBS<n> on simB. In the test VM (tests/vm/).

bats_require_minimum_version 1.5.0

load lib/dibs

# Handshake codes: 0xDC0C0000 | version 1 << 12 | message << 8 | param.
HELLO15=$((0xDC0C110F))		# HELLO, C2S ring 2^15
ACCEPT15=$((0xDC0C120F))	# ACCEPT, S2C ring 2^15
REFUSE=$((0xDC0C1300))		# | reason
HANGUP=$((0xDC0C1400))		# | reason
DMB_LEN=$((4096 + 32768))

setup_file() {
	dibs_fresh_modules dibs_console
}

teardown_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	dibs_rmmod dibs_console
	unload_dibs
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	dibs_load_sim dibs_console
	dibs_mark
	TMP=$BATS_TEST_TMPDIR
	MON_PID=''
	CAT_PID=''
	dc dev add simA type sim fabric 5
	dc dev add simB type sim fabric 5
	A=$(gid_of simA)
	B=$(gid_of simB)
	CON=/sys/class/dibs/simB/console
	TTY=/dev/$(cat "$CON/tty")
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local rc=0 p
	for p in "$MON_PID" "$CAT_PID"; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	dibs_remove_cli_state || rc=1
	dibs_no_kernel_problems || rc=1
	return $rc
}

# le64 N / le16 N: N as little-endian bytes on stdout
le64() {
	local i s=''
	for i in 0 1 2 3 4 5 6 7; do
		s+=$(printf '\\x%02x' $((($1 >> (8 * i)) & 255)))
	done
	printf '%b' "$s"
}

le16() {
	printf '%b' "$(printf '\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8)))"
}

# s2c_put OFFSET [SIGNAL]: stdin into S2C at OFFSET from simA
s2c_put() {
	cat >"$TMP/put"
	dc dmb write dev simA token "$S2C" offset "$1" file "$TMP/put" \
		${2:+signal "$2"}
}

# c2s_u64 OFFSET: a 64-bit field of C2S, in decimal
c2s_u64() {
	dc dmb read dev simA token "$C2S" offset "$1" length 8 file - |
		od -An -tu8 | tr -d ' '
}

# tty_out_has_nul: the tty's reader got a NUL byte (a break, in raw mode)
tty_out_has_nul() {
	[ "$(tr -d '\0' <"$TMP/tty.out" | wc -c)" -lt "$(wc -c <"$TMP/tty.out")" ]
}

# start_event_monitor: `dibsctl monitor event` in the background, output in
# $TMP/mon.out, once it demonstrably receives events (a probe event from
# simA to itself with subtype 1).
start_event_monitor() {
	local i
	"$DIBSCTL" monitor event >"$TMP/mon.out" 2>"$TMP/mon.err" &
	MON_PID=$!
	for ((i = 0; i < 50; i++)); do
		dc dev event simA remote-gid "$A" subtype 1
		grep -q 'subtype 1 ' "$TMP/mon.out" && return 0
		sleep 0.2
	done
	echo "the monitor never saw the probe event" >&2
	cat "$TMP/mon.err" >&2
	return 1
}

# event_seen DEV SUBTYPE: the data of the first such event at DEV, printed
event_seen() {
	awk -v d="$1" -v s="$2" '$1 == "[event]" && $3 == d && $7 == s {
		for (i = 1; i < NF; i++) if ($i == "data") { print $(i + 1); f = 1; exit }
	} END { exit !f }' "$TMP/mon.out"
}

# handshake: enable the console for simA, grant C2S, HELLO, wait for ACCEPT;
# sets C2S and S2C (tokens).
handshake() {
	echo 1 >"$CON/enabled"
	echo "$A" >"$CON/allowed_gids"
	C2S=$(dc dmb grant dev simA remote-gid "$B" size "$DMB_LEN" |
	      awk '{ print $2 }')
	start_event_monitor
	dc dev event simA remote-gid "$B" subtype "$HELLO15" data "$C2S"
	wait_until 10 event_seen simA "$ACCEPT15" >/dev/null
	S2C=$(event_seen simA "$ACCEPT15")
	S2C=$(printf '0x%016x' "$S2C")
	[ "$(cat "$CON/state")" = connected ]
	[ "$(cat "$CON/peer_gid")" = "$A" ]
}

# open_tty: a session leader with the console as its controlling tty, in
# raw mode, copying what arrives to $TMP/tty.out. It says when it is ready
# with a file: the tty keeps its termios from one open to the next, so
# "-icanon" in `stty -a` may be a previous test's and prove nothing.
open_tty() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	setsid bash -c 'exec <"$1" || exit 2; stty raw -echo || exit 3
		: >"$3"; exec cat >"$2"' _ \
		"$TTY" "$TMP/tty.out" "$TMP/tty.ready" &
	CAT_PID=$!
	wait_until 10 test -e "$TMP/tty.ready"
}

# tty_hung_up: the tty's reader died of SIGHUP (status 129)
tty_hung_up() {
	local rc=0
	wait "$CAT_PID" || rc=$?
	CAT_PID=''
	[ "$rc" -eq 129 ] || { echo "reader exited $rc, not by SIGHUP" >&2; return 1; }
}

@test "console: sysfs defaults, allowed_gids parsing and errors" {
	[ "$(cat "$CON/enabled")" = 0 ]
	[ "$(cat "$CON/state")" = disabled ]
	[ -z "$(cat "$CON/allowed_gids")" ]
	[ -z "$(cat "$CON/peer_gid")" ]
	[ -c "$TTY" ]
	[[ $TTY =~ ^/dev/ttyDIBS[0-9]+$ ]]

	echo "$A, $B" >"$CON/allowed_gids"
	[ "$(cat "$CON/allowed_gids")" = "$A"$'\n'"$B" ]
	run -1 bash -c "echo '$A nonsense' >$CON/allowed_gids"
	[[ $output == *"Invalid argument"* ]]
	[ "$(cat "$CON/allowed_gids")" = "$A"$'\n'"$B" ]
	run -1 bash -c "printf '$A %.0s' {1..17} >$CON/allowed_gids"
	[[ $output == *"Argument list too long"* ]]
	printf "$A %.0s" {1..16} >"$CON/allowed_gids"
	[ "$(wc -l <"$CON/allowed_gids")" -eq 16 ]
	echo >"$CON/allowed_gids"
	[ -z "$(cat "$CON/allowed_gids")" ]

	echo 1 >"$CON/enabled"
	[ "$(cat "$CON/state")" = idle ]
	echo 0 >"$CON/enabled"
	[ "$(cat "$CON/state")" = disabled ]
}

@test "console: HELLO -> ACCEPT, bytes both ways, window size, break, unload refused, HANGUP" {
	handshake
	# The console attached to C2S: magic first.
	[ "$(dc dmb read dev simA token "$C2S" length 4 file -)" = DCN1 ]
	open_tty

	# server -> tty: bytes into S2C's ring, then prod with signal 0
	printf 'hello from A' | s2c_put 4096 0
	le64 12 | s2c_put 8 0
	wait_until 10 grep -q 'hello from A' "$TMP/tty.out"

	# tty -> server: C2S's ring and prod
	printf 'reply from B' >"$TTY"
	wait_until 10 outputs 12 c2s_u64 8
	[ "$(dc dmb read dev simA token "$C2S" offset 4096 length 12 file -)" = "reply from B" ]

	# window size: rows, cols, then ctl_seq with signal 2
	le16 40 | s2c_put 24
	le16 132 | s2c_put 26
	printf '\x01\0\0\0' | s2c_put 28 2
	wait_until 10 outputs "40 132" stty -F "$TTY" size

	# break: flags bit 1 toggled, ctl_seq again with signal 2; in raw
	# mode (-ignbrk -brkint -parmrk) the line discipline reads it as NUL
	run ! tty_out_has_nul
	printf '\x02\0\0\0' | s2c_put 4
	printf '\x02\0\0\0' | s2c_put 28 2
	wait_until 10 tty_out_has_nul

	# an open tty holds the module
	run ! rmmod dibs_console
	dibs_loaded dibs_console

	# HANGUP reason 1 from the server: SIGHUP to the tty's session
	dc dev event simA remote-gid "$B" subtype $((HANGUP | 1)) data "$C2S"
	tty_hung_up
	wait_until 10 outputs idle cat "$CON/state"
	[ -z "$(cat "$CON/peer_gid")" ]
	# S2C is gone: the server's writes fail
	run ! dc dmb write dev simA token "$S2C" data x
}

@test "console: a gid not allowed gets REFUSE 1, a disabled console REFUSE 2" {
	local tok
	dc dev add simC type sim fabric 5
	echo 1 >"$CON/enabled"
	echo "$A" >"$CON/allowed_gids"
	start_event_monitor
	tok=$(dc dmb grant dev simC remote-gid "$B" size "$DMB_LEN" |
	      awk '{ print $2 }')
	dc dev event simC remote-gid "$B" subtype "$HELLO15" data "$tok"
	wait_until 10 event_seen simC $((REFUSE | 1)) >/dev/null
	[ "$(cat "$CON/state")" = idle ]

	echo 0 >"$CON/enabled"
	dc dev event simA remote-gid "$B" subtype "$HELLO15" data "$tok"
	wait_until 10 event_seen simA $((REFUSE | 2)) >/dev/null
	[ "$(cat "$CON/state")" = disabled ]
	run ! event_seen simA "$ACCEPT15"
	run ! event_seen simC "$ACCEPT15"
	# nothing granted by the console
	[ -z "$(dc dmb show dev simB)" ]
}

@test "console: deleting the device mid-session hangs up and tells the server" {
	handshake
	open_tty
	dc dev del simB
	tty_hung_up
	wait_until 10 event_seen simA $((HANGUP | 3)) >/dev/null
	[ "$(printf '0x%016x' "$(event_seen simA $((HANGUP | 3)))")" = "$S2C" ]
	[ ! -e "$TTY" ]
	# The module goes cleanly once the tty is closed.
	dibs_rmmod dibs_console
	dibs_insmod dibs_console
}
