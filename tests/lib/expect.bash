# shellcheck shell=bash
# Assertions and waits shared by the VM suites: each prints what it got and
# what it wanted on stderr and returns non-zero, so a bare call inside
# @test fails the test with a message that says why.
#
#   load lib/expect          from tests/*.bats (after lib/dibs)

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || { echo "$1: got '$2', want '$3'" >&2; return 1; }
}

# fails_with STATUS MESSAGE CMD...: the command fails with that exit status
# and says "Error: MESSAGE" on stderr.
fails_with() {
	local want_rc=$1 msg=$2 rc=0 err
	shift 2
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	if [ "$rc" != "$want_rc" ]; then
		echo "'$*' exited $rc, want $want_rc; it said: $err" >&2
		return 1
	fi
	if [[ $err != *"Error: $msg"* ]]; then
		echo "'$*' said '$err', want 'Error: $msg'" >&2
		return 1
	fi
}

# file_has FILE REGEX: a line of FILE matches (no process started).
file_has() {
	local l
	while IFS= read -r l; do
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

# count_lines FILE REGEX: how many lines of FILE match.
count_lines() {
	local l n=0
	while IFS= read -r l; do
		[[ $l =~ $2 ]] && n=$((n + 1))
	done <"$1"
	echo "$n"
}

# nap_init: the FIFO nap reads from, one per test (setup).
nap_init() {
	mkfifo "$BATS_TEST_TMPDIR/nap" || return 1
	exec {NAP_FD}<>"$BATS_TEST_TMPDIR/nap"
}

# nap SECONDS: sleep without starting a process (a read from a FIFO
# nobody writes; call nap_init in setup).
nap() {
	read -r -t "$1" -u "$NAP_FD" _ || true
}

# wait_for FILE REGEX: until a line of FILE matches (60 s at most).
wait_for() {
	local end=$((SECONDS + 60))
	while ((SECONDS < end)); do
		file_has "$1" "$2" && return 0
		nap 0.2
	done
	file_has "$1" "$2" && return 0
	echo "no line matching '$2' in $1 after 60 s:" >&2
	cat "$1" >&2
	return 1
}
