# shellcheck shell=bash
# dibsctl assertions shared by the VM suites: each prints what it got and
# what it wanted on stderr and returns non-zero, so a bare call inside
# @test fails the test with a message that says why. The generic ones
# (expect_eq, file_has, wait_for...) are in lib/common, which lib/dibs loads.
#
#   load lib/expect          from tests/*.bats (after lib/dibs)

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
