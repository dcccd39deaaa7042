#!/usr/bin/env bats
# tests/lib/common.bash, the helpers every suite loads: each one's
# documented meaning, and that a wait gives up with a message.

bats_require_minimum_version 1.5.0

load ../lib/common

setup() {
	nap_init
	F=$BATS_TEST_TMPDIR/f
}

@test "common: expect_eq passes on equal, says got and want otherwise" {
	expect_eq same a a
	run -1 expect_eq thing a b
	[ "$output" = "thing: got 'a', want 'b'" ]
}

@test "common: has_line matches whole lines only" {
	has_line $'one\ntwo three\nfour' 'two three'
	run -1 has_line $'one\ntwo three' two
	[[ $output == "no line 'two' in:"* ]]
}

@test "common: file_has, no_line and count_lines, a last line without newline" {
	printf 'a 1\nb 2\na 3' >"$F"
	file_has "$F" '^a 3$'
	run -1 file_has "$F" '^c'
	no_line "$F" '^c'
	run -1 no_line "$F" '^b'
	[ "$(count_lines "$F" '^a ')" = 2 ]
	[ "$(count_lines "$BATS_TEST_TMPDIR/none" x)" = 0 ]
	run -1 file_has "$BATS_TEST_TMPDIR/none" x
}

@test "common: wait_for sees lines written later, in pieces, COUNT of them" {
	(
		sleep 0.3
		printf 'ty'
		sleep 0.3
		printf 'pe 1 \n'
		sleep 0.3
		printf 'x type 1 y\n'
	) >"$F" &
	wait_for "$F" ' ?type 1 ' 2
	wait
	(sleep 0.3; echo hello >"$BATS_TEST_TMPDIR/later") &
	wait_for "$BATS_TEST_TMPDIR/later" '^hello$'
	wait
	printf 'no newline' >"$F"
	wait_for "$F" 'newline$'
	wait_for "$BATS_TEST_TMPDIR/none" x 0
}

@test "common: wait_for gives up after 60 s with the file on stderr" {
	printf 'x\n' >"$F"
	nap() { SECONDS=$((SECONDS + 30)); }
	run -1 wait_for "$F" x 2
	[[ $output == "1 of 2 lines matching 'x' in $F after 60 s:"* ]]
	[[ $output == *$'\nx' ]]
}

@test "common: wait_until polls a command, gives up after SECONDS" {
	(sleep 0.3; : >"$BATS_TEST_TMPDIR/flag") &
	wait_until 5 test -e "$BATS_TEST_TMPDIR/flag"
	wait
	SECONDS=0
	run -1 wait_until 1 false
	[ "$output" = "wait_until: 'false' did not succeed in 1 s" ]
	((SECONDS >= 1))
}

@test "common: outputs compares a command's output, on every try of wait_until" {
	outputs 'a b' echo a b
	run -1 outputs 'a b' echo a c
	[ -z "$output" ]
	run -1 outputs '' false
	echo 1 >"$F"
	(sleep 0.3; echo 2 >"$F") &
	wait_until 5 outputs 2 cat "$F"
	wait
	run -1 wait_until 1 outputs 3 cat "$F"
	[ "$output" = "wait_until: 'outputs 3 cat $F' did not succeed in 1 s" ]
}

@test "common: hex prints a string's bytes" {
	[ "$(hex 'Az~')" = 417a7e ]
	[ "$(hex '')" = '' ]
}
