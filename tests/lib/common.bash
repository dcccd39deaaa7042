# shellcheck shell=bash
# Generic helpers for every bats suite, on the build host (tests/unit/*.bats)
# and in the test VM (tests/*.bats, through lib/dibs): no module, device or
# dibsctl knowledge here. One name, one meaning: a suite does not define a
# helper of the same name.
#
#   load ../lib/common       from tests/unit/*.bats
#   load lib/dibs            from tests/*.bats (lib/dibs loads this file)
#
# Assertions print what they got and what they wanted on stderr and return
# non-zero, so a bare call inside @test fails the test with a message that
# says why. Waits poll and give up (with a message) after a fixed time:
#
#   expect_eq WHAT GOT WANT        GOT = WANT
#   has_line TEXT LINE             one line of TEXT is exactly LINE
#   file_has FILE REGEX            a line of FILE matches (quiet; no process)
#   no_line FILE REGEX             no line of FILE matches
#   count_lines FILE REGEX         prints how many lines of FILE match
#   wait_for FILE REGEX [COUNT]    until COUNT (default 1) lines match (60 s)
#   wait_until SECONDS CMD...      until CMD succeeds, polled every 0.1 s
#   outputs WANT CMD...            CMD prints exactly WANT (a wait_until CMD)
#   nap_init / nap SECONDS         sleep without starting a process
#   hex STRING                     the bytes of STRING in lowercase hex
#   notify_listen SOCK OUT         systemd's end of sd_notify(), in the
#                                  background: SOCK's first datagram in OUT
#   note TEXT...                   "# TEXT" in the TAP output (bats fd 3)
#
# REGEX is a POSIX extended regular expression (bash's =~, as grep -E).

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || { echo "$1: got '$2', want '$3'" >&2; return 1; }
}

# has_line TEXT LINE: TEXT has LINE as one of its lines, exactly.
has_line() {
	[[ $'\n'$1$'\n' == *$'\n'"$2"$'\n'* ]] && return 0
	echo "no line '$2' in:" >&2
	echo "$1" >&2
	return 1
}

# file_has FILE REGEX: a line of FILE matches; a FILE that does not exist
# (yet) has none. The last line counts even without its newline.
file_has() {
	local l
	[ -e "$1" ] || return 1
	while IFS= read -r l || [ -n "$l" ]; do
		[[ $l =~ $2 ]] && return 0
	done <"$1"
	return 1
}

# no_line FILE REGEX: no line of FILE matches.
no_line() {
	if file_has "$1" "$2"; then
		echo "$1 has a line matching '$2':" >&2
		cat "$1" >&2
		return 1
	fi
}

# count_lines FILE REGEX: how many lines of FILE match (0 when FILE does
# not exist).
count_lines() {
	local l n=0
	if [ -e "$1" ]; then
		while IFS= read -r l || [ -n "$l" ]; do
			[[ $l =~ $2 ]] && n=$((n + 1))
		done <"$1"
	fi
	echo "$n"
}

# nap_init: the FIFO nap reads from, one per test (call it in setup).
nap_init() {
	mkfifo "$BATS_TEST_TMPDIR/nap" || return 1
	exec {NAP_FD}<>"$BATS_TEST_TMPDIR/nap"
}

# nap SECONDS: sleep; without starting a process (a read from a FIFO nobody
# writes) once nap_init ran, with sleep(1) before.
nap() {
	if [ -n "${NAP_FD:-}" ]; then
		read -r -t "$1" -u "$NAP_FD" _ || true
	else
		sleep "$1"
	fi
}

# wait_for FILE REGEX [COUNT]: until COUNT (default 1) lines of FILE match,
# 60 s at most; then prints FILE on stderr and fails. FILE need not exist
# yet. It is read once, as it grows (polled every 0.1 s), not from the start
# on every poll: a long log does not slow the poll down.
wait_for() {
	local want=${3:-1} end=$((SECONDS + 60)) n=0 fd='' l part=''
	((want > 0)) || return 0
	while :; do
		if [ -z "$fd" ] && [ -e "$1" ]; then
			exec {fd}<"$1" || return 1
		fi
		if [ -n "$fd" ]; then
			# at the end, read keeps a line without its newline in l
			while IFS= read -r -u "$fd" l; do
				l=$part$l
				part=''
				if [[ $l =~ $2 ]] && ((++n >= want)); then
					exec {fd}<&-
					return 0
				fi
			done
			part+=$l
			# a last line still without its newline counts, as in grep
			if [ -n "$part" ] && [[ $part =~ $2 ]] && ((n + 1 >= want)); then
				exec {fd}<&-
				return 0
			fi
		fi
		((SECONDS < end)) || break
		nap 0.1
	done
	[ -z "$fd" ] || exec {fd}<&-
	echo "$n of $want lines matching '$2' in $1 after 60 s:" >&2
	cat "$1" >&2
	return 1
}

# wait_until SECONDS CMD...: until CMD succeeds, polled every 0.1 s for
# SECONDS at most. CMD's words are expanded once, by the caller: a value
# that must be read again on every try needs a function, such as outputs.
wait_until() {
	local secs=$1 n=$(($1 * 10))
	shift
	until "$@"; do
		if ((n-- <= 0)); then
			echo "wait_until: '$*' did not succeed in $secs s" >&2
			return 1
		fi
		nap 0.1
	done
}

# outputs WANT CMD...: CMD succeeds and prints WANT (one trailing newline
# dropped, as $(...) does). Quiet on a mismatch: a wait_until condition,
# `wait_until 10 outputs idle cat "$CON/state"`, runs CMD on every try.
outputs() {
	local want=$1 got
	shift
	got=$("$@") && [ "$got" = "$want" ]
}

# notify_listen SOCK OUT: in the background, a unix datagram socket SOCK
# that takes one message (as systemd's NOTIFY_SOCKET does) and writes it to
# OUT with a newline; gone after 20 s without one. Returns once SOCK is
# there.
notify_listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
print(s.recv(4096).decode(), flush=True)
' "$1" >"$2" 2>&1 3>&- &
	wait_until 5 test -S "$1"
}

# hex STRING: the bytes of STRING as lowercase hex digits, no separators.
hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
	echo
}

# note TEXT...: a "# TEXT" line in the TAP output (bats' fd 3).
note() {
	echo "# $*" >&3
}
