#!/usr/bin/env bats
# Console over dibs end to end (uapi/dibs-console.md): dibs_console serves
# ttyDIBS<n> on sim device simB; `dibsctl console connect` on simA of the
# same fabric is the terminal server. In the test VM (tests/vm/), one
# kernel (tests/vm/one-kernel-suites).

bats_require_minimum_version 1.5.0

load lib/dibs

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
	PIDS=()
	dc dev add simA type sim fabric 7
	dc dev add simB type sim fabric 7
	A=$(dibs_dev_attr simA gid)
	B=$(dibs_dev_attr simB gid)
	TTY=/dev/$(cat /sys/class/dibs/simB/console/tty)
	dc console enable dev simB allow "$A"
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local rc=0 p
	tmux -L dibs-console kill-server 2>/dev/null || true
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	dibs_remove_cli_state || rc=1
	dibs_no_kernel_problems || rc=1
	return $rc
}

# tty_run CMD: run sh -c CMD in a new session with the console's tty as its
# controlling terminal and stdin/stdout/stderr. The tty keeps its termios
# from one open to the next, as a serial line does: a test's "stty raw"
# would outlive it, so every session starts from stty sane, and a test
# waits for a ready-file its command writes, never for the tty's modes.
tty_run() {
	setsid -c sh -c "stty sane; $1" <"$TTY" >"$TTY" 2>&1 &
	PIDS+=($!)
}

console_connect() {
	dc console connect dev simA remote-gid "$B" "$@"
}

@test "a shell on the tty: commands run and their output comes back" {
	tty_run 'exec sh -i'
	run -0 --separate-stderr console_connect linger 2 \
		<<<'echo "hello-$((6 * 7))"; tty'
	[[ "$output" == *hello-42* ]]
	[[ "$output" == *"$TTY"* ]]
	# the session's DMBs went with it; the console is idle again
	wait_until 5 grep -qx idle /sys/class/dibs/simB/console/state
	[ "$(dc -j dmb show client userspace | jq length)" = 0 ]
}

@test "console show reads what enable wrote; a gid not allowed is refused" {
	run -0 dc -j console show dev simB
	[ "$(jq -r '.enabled, .allowed_gids[0], .tty' <<<"$output")" = \
		"$(printf 'true\n%s\n%s' "$A" "${TTY#/dev/}")" ]
	dc dev add simC type sim fabric 7
	run -1 dc console connect dev simC remote-gid "$B" </dev/null
	[[ "$output" == *"refused the connection: this gid is not allowed"* ]]
	# a console not enabled refuses too, naming why
	dc console disable dev simB
	run -1 console_connect </dev/null
	[[ "$output" == *"refused the connection: no console is enabled"* ]]
	[ "$(dc -j dmb show client userspace | jq length)" = 0 ]
}

@test "the console's device deleted mid-session ends it, nothing left" {
	tty_run 'exec sh -i'
	mkfifo "$TMP/in"
	console_connect <"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
	local srv=$!
	PIDS+=($srv)
	# fd 3 is bats' own: the session's stdin is held open on fd 5
	exec 5>"$TMP/in"
	echo 'echo ready-$((1 + 1))' >&5
	wait_until 20 grep -q ready-2 "$TMP/out"
	dc dev del simB
	local rc=0
	wait_until 10 bash -c "! kill -0 $srv 2>/dev/null" || rc=1
	exec 5>&-
	[ $rc = 0 ]
	local st=0
	wait "$srv" || st=$?
	[ $st -ne 0 ]
	grep -Eq 'disabled|hung up|gone|went away' "$TMP/err"
	[ "$(dc -j dmb show | jq length)" = 0 ]
	[ "$(dc -j client show | jq '[.[] | select(.name == "userspace") | .dmb_count] | add // 0')" = 0 ]
}

# got_all FILE: FILE holds 10 MiB
got_all() {
	[ "$(stat -c %s "$1")" -ge $((10 << 20)) ]
}

@test "10 MiB each way through the console arrive intact" {
	head -c 10M /dev/urandom >"$TMP/src"
	# to the tty: raw and no echo there, cat into a file. The server's
	# stdin stays open until all arrived: a hangup discards what the tty
	# has not yet handed to its reader, as a serial line's does.
	tty_run "stty raw -echo && : >'$TMP/ready1' && exec cat >'$TMP/got'"
	wait_until 5 test -e "$TMP/ready1"
	{
		cat "$TMP/src"
		wait_until 600 got_all "$TMP/got" ||
			echo "got $(stat -c %s "$TMP/got") bytes" >&3
	} | console_connect linger 1
	[ "$(sha256sum <"$TMP/got")" = "$(sha256sum <"$TMP/src")" ]
	# from the tty: written once a byte from the server says go; the
	# server reads everything the console wrote before its linger ends
	tty_run "stty raw -echo && : >'$TMP/ready2' && head -c 1 >/dev/null &&
		exec cat '$TMP/src'"
	wait_until 5 test -e "$TMP/ready2"
	printf g | console_connect linger 10 >"$TMP/back"
	[ "$(sha256sum <"$TMP/back")" = "$(sha256sum <"$TMP/src")" ]
}

# tmux_has TEXT: the pane shows TEXT
tmux_has() {
	tmux -L dibs-console capture-pane -p -t c | grep -qF -- "$1"
}

@test "tmux: a person connects, types, resizes, leaves with Ctrl-]" {
	command -v tmux >/dev/null || skip "no tmux"
	tty_run 'exec sh -i'
	export TMUX_TMPDIR=$TMP
	tmux -L dibs-console new-session -d -s c -x 100 -y 30 sh
	tmux -L dibs-console send-keys -t c \
		"PS1='local\$ '; stty -g >$TMP/before; $DIBSCTL console connect dev simA remote-gid $B log $TMP/log; echo rc=\$?; stty -g >$TMP/after" Enter
	wait_until 10 tmux_has 'Escape character is ^]'
	tmux -L dibs-console send-keys -t c 'echo "tmux-$((2 + 3))"; stty size' Enter
	wait_until 10 tmux_has 'tmux-5'
	wait_until 10 tmux_has '30 100'
	# raw mode while attached: the local terminal echoes nothing itself
	[ "$(stty -F "$(tmux -L dibs-console display -p -t c '#{pane_tty}')" -a |
		grep -o -- '-icanon')" = -icanon ]
	tmux -L dibs-console resize-window -t c -x 90 -y 25
	tmux -L dibs-console send-keys -t c 'stty size' Enter
	wait_until 10 tmux_has '25 90'
	tmux -L dibs-console send-keys -t c C-]
	wait_until 10 test -s "$TMP/after"
	tmux_has 'Disconnected from the console'
	tmux_has 'rc=0'
	[ "$(cat "$TMP/before")" = "$(cat "$TMP/after")" ]
	grep -q tmux-5 "$TMP/log"
	wait_until 5 grep -qx idle /sys/class/dibs/simB/console/state
}
