#!/usr/bin/env bats
# dibs-ivshmem-server on the build host: QEMU's ivshmem client-server
# protocol as tests/tools/ivshmem-peer (a stand-in for the ivshmem-doorbell
# device) sees it, the region's header and peer table
# (uapi/ivshmem-layout.md), departures, misbehaving clients, the command
# line, and what is left after SIGTERM. When qemu-system-x86_64 is there, a
# real ivshmem-doorbell device joins too.

bats_require_minimum_version 1.5.0

load ../lib/common

REPO=${DIBS_REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
SERVER=$REPO/ivshmem-server/dibs-ivshmem-server
PEER=$REPO/tests/tools/ivshmem-peer

setup_file() {
	local log=$BATS_FILE_TMPDIR/build.log

	make -s -C "$REPO/ivshmem-server" >"$log" 2>&1 || {
		cat "$log" >&2
		return 1
	}
}

setup() {
	SOCK=$BATS_TEST_TMPDIR/ivs.sock
	SLOG=$BATS_TEST_TMPDIR/server.log
	SPID=
	PEERS=()
}

teardown() {
	local p
	for p in "${PEERS[@]}"; do
		kill "$(cat "$BATS_TEST_TMPDIR/$p.pid")" 2>/dev/null || :
	done
	[ -z "$SPID" ] || kill "$SPID" 2>/dev/null || :
	wait 2>/dev/null || :
}

# start_server ARG...: in the background, until it listens.
start_server() {
	"$SERVER" --socket "$SOCK" "$@" 2>"$SLOG" 3>&- &
	SPID=$!
	wait_for "$SLOG" "listening on $SOCK"
}

# start_peer NAME: a peer whose commands go to fd $NAME_fd (a fifo) and
# whose output is in $BATS_TEST_TMPDIR/NAME.out. Returns when it has its
# region (the -1 message).
start_peer() {
	local n=$1 d=$BATS_TEST_TMPDIR
	mkfifo "$d/$n.in"
	"$PEER" "$SOCK" <"$d/$n.in" >"$d/$n.out" 2>&1 3>&- &
	echo $! >"$d/$n.pid"
	eval "exec {${n}_fd}>\"\$d/\$n.in\""
	PEERS+=("$n")
	wait_for "$d/$n.out" '^msg -1 fd$'
}

# to NAME COMMAND...: a command to peer NAME.
to() {
	local fd=${1}_fd
	echo "${*:2}" >&"${!fd}"
}

# ask NAME COMMAND REGEX: the command, and wait for its answer.
ask() {
	to "$1" "$2"
	wait_for "$BATS_TEST_TMPDIR/$1.out" "$3"
}

# quit NAME: the peer disconnects.
quit() {
	local fd=${1}_fd
	to "$1" quit
	eval "exec ${!fd}>&-"
	wait "$(cat "$BATS_TEST_TMPDIR/$1.pid")" 2>/dev/null || :
}

# refused_peer NAME REGEX: a client the server refuses: it connects, is
# closed without a message, and the server logs one more REGEX line.
refused_peer() {
	local pid out=$BATS_TEST_TMPDIR/$1.out n

	n=$(count_lines "$SLOG" "$2")
	"$PEER" "$SOCK" < <(sleep 5) >"$out" 3>&- &
	pid=$!
	wait_for "$SLOG" "$2" $((n + 1))
	wait_for "$out" '^eof$'
	wait "$pid"
	[ "$(cat "$out")" = eof ]
}

# msgs NAME: the protocol messages peer NAME received, one per line.
msgs() {
	grep '^msg ' "$BATS_TEST_TMPDIR/$1.out" || :
}

# field NAME KEY: a field of the peer's last "header" line.
field() {
	grep '^header ' "$BATS_TEST_TMPDIR/$1.out" | tail -n 1 |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ---- the protocol ------------------------------------------------------------

@test "ivshmem-server: three peers join and leave, messages in QEMU's order" {
	start_server --fabric-id 0xff00 --size 1M --max-peers 4 --vectors 2
	start_peer a
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 0 fd$'
	start_peer b
	wait_for "$BATS_TEST_TMPDIR/b.out" '^msg 1 fd$'
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 1 fd$'
	start_peer c
	# c's own eventfds are the last thing it gets
	wait_for "$BATS_TEST_TMPDIR/c.out" '^msg 2 fd$'
	sleep 0.2
	[ "$(msgs c)" = "$(printf 'msg %s\n' 0 2 '-1 fd' '0 fd' '0 fd' '1 fd' '1 fd' '2 fd' '2 fd')" ]
	[ "$(msgs b)" = "$(printf 'msg %s\n' 0 1 '-1 fd' '0 fd' '0 fd' '1 fd' '1 fd' '2 fd' '2 fd')" ]
	[ "$(msgs a)" = "$(printf 'msg %s\n' 0 0 '-1 fd' '0 fd' '0 fd' '1 fd' '1 fd' '2 fd' '2 fd')" ]

	# b leaves: a and c get a disconnect notice, a number without an fd
	quit b
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 1$'
	wait_for "$BATS_TEST_TMPDIR/c.out" '^msg 1$'
	quit a
	wait_for "$BATS_TEST_TMPDIR/c.out" '^msg 0$'
	[ "$(msgs c | tail -n 2)" = "$(printf 'msg %s\n' 1 0)" ]
	[ "$(msgs a | tail -n 1)" = "msg 1" ]
	quit c
	wait_for "$SLOG" 'peer 2 left \(generation 1\): connection closed'
	grep -q 'peer 1 left (generation 1): connection closed' "$SLOG"
	grep -q 'peer 0 left (generation 1): connection closed' "$SLOG"
}

@test "ivshmem-server: the eventfds connect the right peer and vector" {
	start_server --fabric-id 0xff00 --size 1M --vectors 3
	start_peer a
	start_peer b
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 1 fd$'
	ask a "ring 1 2" '^rang 1 2$'
	wait_for "$BATS_TEST_TMPDIR/b.out" '^doorbell 2$'
	ask b "ring 0 0" '^rang 0 0$'
	wait_for "$BATS_TEST_TMPDIR/a.out" '^doorbell 0$'
	ask a sync '^sync$'
	ask b sync '^sync$'
	# nobody got a doorbell it was not rung with
	[ "$(grep -c '^doorbell' "$BATS_TEST_TMPDIR/a.out")" = 1 ]
	[ "$(grep -c '^doorbell' "$BATS_TEST_TMPDIR/b.out")" = 1 ]
}

# ---- the region ----------------------------------------------------------------

@test "ivshmem-server: the header in the mapped region" {
	start_server --fabric-id 0xff42 --size 4M --max-peers 8 --vectors 3 \
		--dmbs-per-peer 100
	start_peer a
	ask a header '^header '
	[ "$(field a magic)" = 0x53424944 ]
	[ "$(field a version)" = 2 ]
	[ "$(field a header_size)" = 4096 ]
	[ "$(field a fabric_id)" = 0xff42 ]
	[ "$(field a vectors)" = 3 ]
	[ "$(field a region_size)" = 4194304 ]
	[ "$(field a max_peers)" = 8 ]
	[ "$(field a peer_count)" = 1 ]
	[ "$(field a peer_table_offset)" = 4096 ]
	[ "$(field a peer_entry_size)" = 64 ]
	[ "$(field a dmbs_per_peer)" = 100 ]
	# 8 entries of 64 bytes fill part of one page after the header
	[ "$(field a partitions_offset)" = 8192 ]
	# (4M - 8K) / 8 = 523264, rounded down to pages
	[ "$(field a partition_size)" = 520192 ]
	# 100 bits: two words, one cache line; 100 descriptors after it
	[ "$(field a summary_offset)" = 0 ]
	[ "$(field a desc_offset)" = 64 ]
	[ "$(field a desc_size)" = 64 ]
	# 8 event mailboxes after the descriptors: a line of 8 pending bits,
	# then 8 x (128 + 16 slots x 32) bytes; the data area on the next page
	[ "$(field a event_summary_offset)" = $((64 + 100 * 64)) ]
	[ "$(field a mbox_offset)" = $((64 + 100 * 64 + 64)) ]
	[ "$(field a mbox_size)" = 640 ]
	[ "$(field a mbox_slots)" = 16 ]
	[ "$(field a data_offset)" = 12288 ]
	[ "$(field a data_size)" = $((520192 - 12288)) ]
	# the fd's size is the region's: QEMU takes BAR2's size from it
	[ "$(stat -L -c %s "/proc/$SPID/fd/$(find /proc/$SPID/fd -lname '/memfd:dibs-ivshmem*' -printf '%f\n' | head -n 1)")" = 4194304 ]

	start_peer b
	ask a header '^header .*peer_count=2'
	quit b
	wait_for "$SLOG" 'peer 1 left'
	ask a header '^header .*peer_count=1 '
}

@test "ivshmem-server: a departed peer is marked dead; the others get the notice and a doorbell" {
	start_server --fabric-id 0xff00 --size 1M --max-peers 2 --vectors 2
	start_peer a
	start_peer b
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 1 fd$'
	ask a "peer 0" '^peer 0 '
	ask a "peer 1" '^peer 1 '
	grep -qx 'peer 0 srv_state=1 generation=1' "$BATS_TEST_TMPDIR/a.out"
	grep -qx 'peer 1 srv_state=1 generation=1' "$BATS_TEST_TMPDIR/a.out"
	! grep -q '^doorbell' "$BATS_TEST_TMPDIR/a.out"

	quit b
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 1$'
	# vector 1 (PEERS): the table changed
	wait_for "$BATS_TEST_TMPDIR/a.out" '^doorbell 1$'
	ask a "peer 1" '^peer 1 srv_state=2'
	grep -qx 'peer 1 srv_state=2 generation=1' "$BATS_TEST_TMPDIR/a.out"

	# a was told 1 left, and QEMU cannot take an id it saw leave back
	# (dibs-ivshmem-server(8)): not handed out while a is there
	refused_peer x 'each free peer id left while a connected peer watched'
	# a, still there, was neither disconnected nor rung again
	[ "$(grep -c '^doorbell' "$BATS_TEST_TMPDIR/a.out")" = 1 ]
	! grep -q '^eof' "$BATS_TEST_TMPDIR/a.out"
	ask a "peer 1" '^peer 1 srv_state=2'

	# once nobody who saw them leave is there, the ids come back, each
	# with its next generation
	quit a
	wait_for "$SLOG" 'peer 0 left'
	start_peer c
	[ "$(msgs c | sed -n 2p)" = "msg 0" ]
	start_peer d
	[ "$(msgs d | sed -n 2p)" = "msg 1" ]
	ask c "peer 0" '^peer 0 srv_state=1 generation=2$'
	ask c "peer 1" '^peer 1 srv_state=1 generation=2$'
}

@test "ivshmem-server: ids in turn, none a connected peer saw leave, a full fabric refuses" {
	start_server --fabric-id 0xff00 --size 1M --max-peers 3
	start_peer a
	start_peer b
	start_peer c
	[ "$(msgs c | sed -n 2p)" = "msg 2" ]
	# full: connected, then closed without a message
	refused_peer x 'all 3 peer ids are taken'
	# b and c saw 0 leave: it stays unused while either is there
	quit a
	wait_for "$SLOG" 'peer 0 left'
	refused_peer y 'each free peer id left while a connected peer watched'
	quit b
	wait_for "$SLOG" 'peer 1 left'
	refused_peer z 'each free peer id left while a connected peer watched'
	# and the one still there did not notice
	ask c sync '^sync$'
	! grep -q '^eof' "$BATS_TEST_TMPDIR/c.out"
	# c saw both leave; once it is gone too, the ids come back, in turn
	# from after the last one given (2)
	quit c
	wait_for "$SLOG" 'peer 2 left'
	start_peer d
	[ "$(msgs d | sed -n 2p)" = "msg 0" ]
	start_peer e
	[ "$(msgs e | sed -n 2p)" = "msg 1" ]
	# d and e joined after c left: nobody there saw 2 leave
	start_peer f
	[ "$(msgs f | sed -n 2p)" = "msg 2" ]
}

@test "ivshmem-server: a client that sends bytes is dropped, the others keep working" {
	start_server --fabric-id 0xff00 --size 1M --max-peers 4
	start_peer a
	start_peer b
	start_peer c
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 2 fd$'
	to b send
	wait_for "$BATS_TEST_TMPDIR/b.out" '^eof$'
	wait_for "$SLOG" 'peer 1 left \(generation 1\): it sent data'
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 1$'
	wait_for "$BATS_TEST_TMPDIR/c.out" '^msg 1$'
	ask a "peer 1" '^peer 1 srv_state=2 '
	# a and c still reach each other, and a newcomer reaches them
	ask a "ring 2 0" '^rang 2 0$'
	wait_for "$BATS_TEST_TMPDIR/c.out" '^doorbell 0$'
	start_peer d
	wait_for "$BATS_TEST_TMPDIR/a.out" '^msg 3 fd$'
	ask d "ring 0 1" '^rang 0 1$'
	wait_for "$BATS_TEST_TMPDIR/a.out" '^doorbell 1$'
	kill -0 "$SPID"
}

@test "ivshmem-server: departures and refusals leak no file descriptor" {
	local before n
	start_server --fabric-id 0xff00 --size 1M --max-peers 3 --vectors 4
	before=$(ls "/proc/$SPID/fd" | wc -l)
	start_peer a
	start_peer b
	start_peer c
	# 1 connection + 4 eventfds each
	[ "$(ls "/proc/$SPID/fd" | wc -l)" -eq $((before + 15)) ]
	"$PEER" "$SOCK" < <(sleep 5) >"$BATS_TEST_TMPDIR/full.out" 3>&- &
	n=$!
	wait_for "$BATS_TEST_TMPDIR/full.out" '^eof$'
	wait "$n"
	to b send
	wait_for "$BATS_TEST_TMPDIR/b.out" '^eof$'
	quit a
	quit c
	wait_for "$SLOG" 'peer 2 left'
	wait_for "$SLOG" 'peer 0 left'
	[ "$(ls "/proc/$SPID/fd" | wc -l)" -eq "$before" ]
}

@test "ivshmem-server: a client cannot resize the region" {
	start_server --fabric-id 0xff00 --size 1M
	start_peer a
	ask a truncate '^truncate '
	grep -qx 'truncate EPERM' "$BATS_TEST_TMPDIR/a.out"
}

# ---- the command line ----------------------------------------------------------

# refused ARG... -- WORD: the server exits 1 with one line on stderr that
# names WORD, and leaves no socket behind.
refused() {
	local args=() want
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	want=$2
	run --separate-stderr "$SERVER" "${args[@]}"
	echo "args: ${args[*]}; status $status; stderr: $stderr"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ $stderr == "dibs-ivshmem-server: "*"$want"* ]]
	[ ! -e "$SOCK" ]
}

@test "ivshmem-server: bad command lines are refused, naming the argument" {
	local ok=(--socket "$SOCK" --size 1M)
	refused "${ok[@]}" --fabric-id 0x1234 -- '--fabric-id "0x1234": must be 0xff00..0xfffe, the fabric ids SMC reserves for virtual ISM'
	refused "${ok[@]}" --fabric-id 0xffff -- '--fabric-id "0xffff"'
	refused "${ok[@]}" --fabric-id 0xfeff -- '--fabric-id "0xfeff"'
	refused "${ok[@]}" --fabric-id ff00x -- '--fabric-id "ff00x"'
	refused "${ok[@]}" --fabric-id '' -- '--fabric-id ""'
	refused --socket "$SOCK" --fabric-id 0xff00 --size 3M -- '--size "3M": must be a power of two'
	refused --socket "$SOCK" --fabric-id 0xff00 --size 0 -- '--size "0"'
	refused --socket "$SOCK" --fabric-id 0xff00 --size 1X -- '--size "1X"'
	refused --socket "$SOCK" --fabric-id 0xff00 --size 2048G -- '--size "2048G"'
	refused --socket "$SOCK" --fabric-id 0xff00 --size -1M -- '--size "-1M"'
	refused --socket "$SOCK" --fabric-id 0xff00 --size 64K --max-peers 64 -- '--size 65536: too small for 64 peers'
	refused --fabric-id 0xff00 --size 1M -- 'missing --socket PATH'
	refused --socket "$SOCK" --size 1M -- 'missing --fabric-id ID'
	refused --socket "$SOCK" --fabric-id 0xff00 -- 'missing --size SIZE'
	refused --socket "" --fabric-id 0xff00 --size 1M -- '--socket "": must not be empty'
	refused --socket "/tmp/$(printf 'x%.0s' {1..120})" --fabric-id 0xff00 --size 1M -- 'longer than a UNIX socket path can be'
	refused "${ok[@]}" --fabric-id 0xff00 --frobnicate -- 'unknown option --frobnicate'
	refused "${ok[@]}" --fabric-id 0xff00 -x -- 'unknown option -x'
	refused "${ok[@]}" --fabric-id -- 'option --fabric-id needs an argument'
	refused "${ok[@]}" --fabric-id 0xff00 --vectors 1 -- '--vectors "1": must be 2..64'
	refused "${ok[@]}" --fabric-id 0xff00 --vectors 65 -- '--vectors "65"'
	refused "${ok[@]}" --fabric-id 0xff00 --max-peers 1 -- '--max-peers "1": must be 2..4096'
	refused "${ok[@]}" --fabric-id 0xff00 --dmbs-per-peer 0 -- '--dmbs-per-peer "0": must be 1..65535'
	refused "${ok[@]}" --fabric-id 0xff00 --group no-such-group-here -- '--group "no-such-group-here": no such group'
	refused "${ok[@]}" --fabric-id 0xff00 extra -- 'unexpected argument "extra"'
}

@test "ivshmem-server: --help and --version" {
	run "$SERVER" --help
	[ "$status" -eq 0 ]
	[[ $output == "Usage: dibs-ivshmem-server --socket PATH --fabric-id ID --size SIZE"* ]]
	run "$SERVER" -V
	[ "$status" -eq 0 ]
	[[ $output =~ ^dibs-ivshmem-server\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

# ---- the socket, and leaving -----------------------------------------------------

@test "ivshmem-server: the socket is 0600, or 0660 with --group" {
	start_server --fabric-id 0xff00 --size 1M
	[ "$(stat -c %a "$SOCK")" = 600 ]
	kill "$SPID"
	wait "$SPID"
	local g
	g=$(id -gn)
	start_server --fabric-id 0xff00 --size 1M --group "$g"
	[ "$(stat -c '%a %G' "$SOCK")" = "660 $g" ]
}

@test "ivshmem-server: a stale socket is replaced, a live server's or a file refused" {
	# a socket file nobody listens on, as a killed server leaves it
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
	[ -S "$SOCK" ]
	start_server --fabric-id 0xff00 --size 1M
	start_peer a
	# a second server on the same socket
	run --separate-stderr "$SERVER" --socket "$SOCK" --fabric-id 0xff01 --size 1M
	[ "$status" -eq 1 ]
	[ "$stderr" = "dibs-ivshmem-server: --socket $SOCK: another server is listening there" ]
	ask a sync '^sync$'
	! grep -q '^eof' "$BATS_TEST_TMPDIR/a.out"
	# a file that is not a socket is never removed
	local f=$BATS_TEST_TMPDIR/file
	echo keep >"$f"
	run --separate-stderr "$SERVER" --socket "$f" --fabric-id 0xff01 --size 1M
	[ "$status" -eq 1 ]
	[ "$stderr" = "dibs-ivshmem-server: --socket $f: exists and is not a socket" ]
	[ "$(cat "$f")" = keep ]
}

@test "ivshmem-server: tells systemd it is ready (NOTIFY_SOCKET) once it listens" {
	local ns=$BATS_TEST_TMPDIR/notify out=$BATS_TEST_TMPDIR/notified
	notify_listen "$ns" "$out"
	export NOTIFY_SOCKET=$ns
	start_server --fabric-id 0xff00 --size 1M
	unset NOTIFY_SOCKET
	wait_for "$out" '^READY=1$'
	# it was listening by then
	start_peer a
}

@test "ivshmem-server: SIGTERM leaves nothing behind" {
	local shm_before fds
	shm_before=$(ls -A /dev/shm)
	start_server --fabric-id 0xff00 --size 1M
	start_peer a
	start_peer b
	# the region is a memfd, not a file anyone could find
	[ "$(ls -A /dev/shm)" = "$shm_before" ]
	fds=$(find "/proc/$SPID/fd" -lname '/memfd:dibs-ivshmem*' | wc -l)
	[ "$fds" -eq 1 ]
	local rc=0
	kill -TERM "$SPID"
	wait "$SPID" || rc=$?
	SPID=
	[ "$rc" -eq 0 ]
	[ ! -e "$SOCK" ]
	[ "$(ls -A /dev/shm)" = "$shm_before" ]
	grep -q 'Terminated: exiting' "$SLOG"
	# the peers see the server go
	wait_for "$BATS_TEST_TMPDIR/a.out" '^eof$'
	wait_for "$BATS_TEST_TMPDIR/b.out" '^eof$'
}

# ---- QEMU's own client -------------------------------------------------------------

# hmp LINE: a command to the QEMU monitor of the test below.
hmp() {
	echo "$1" >&"$qin"
}

@test "ivshmem-server: QEMU's ivshmem-doorbell joins, and its guest sees the header in BAR2" {
	command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
	local d=$BATS_TEST_TMPDIR qout=$BATS_TEST_TMPDIR/qemu.out qpid bar2 qin
	start_server --fabric-id 0xff07 --size 1M --vectors 2
	start_peer a
	mkfifo "$d/qemu.in"
	# No disk: the firmware assigns the BARs, finds nothing to boot and
	# waits; the monitor reads guest-physical memory meanwhile.
	timeout 60 qemu-system-x86_64 -machine pc,accel=tcg -nodefaults \
		-display none -serial none -monitor stdio \
		-chardev socket,path="$SOCK",id=ivs \
		-device ivshmem-doorbell,chardev=ivs,vectors=2 \
		<"$d/qemu.in" >"$qout" 2>&1 3>&- &
	qpid=$!
	exec {qin}>"$d/qemu.in"
	# QEMU is peer 1: a gets its eventfds, one per vector
	wait_for "$SLOG" 'peer 1 joined \(generation 1\)'
	wait_for "$d/a.out" '^msg 1 fd$'
	[ "$(msgs a | grep -c '^msg 1 fd$')" = 2 ]

	local i
	for ((i = 0; i < 40; i++)); do
		hmp "info pci"
		sleep 0.5
		bar2=$(tr -d '\r' <"$qout" | grep -A8 'PCI device 1af4:1110' |
			sed -n 's/.*BAR2: 64 bit prefetchable memory at \(0x[0-9a-f]*\) .*/\1/p' |
			grep -v '^0xffffffff' | tail -n 1)
		[ -z "$bar2" ] || [ "$bar2" = 0x0 ] || break
	done
	echo "BAR2 at $bar2"
	[ -n "$bar2" ]
	hmp "xp /4wx $bar2"
	# magic, version, header_size, fabric_id | vectors << 16
	wait_for "$qout" "^0*${bar2#0x}: 0x53424944 0x00000002 0x00001000 0x0002ff07"
	hmp quit
	exec {qin}>&-
	wait "$qpid" || :
	# QEMU leaving is a departure like any other
	wait_for "$SLOG" 'peer 1 left \(generation 1\): connection closed'
	wait_for "$d/a.out" '^msg 1$'
	ask a "peer 1" '^peer 1 srv_state=2 generation=1$'
	# and it complained about nothing the server sent
	! tr -d '\r' <"$qout" | grep -i 'ivshmem\|eventfd\|error'
}
