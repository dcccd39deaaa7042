#!/usr/bin/env bats
# SMC-D's use of the in-kernel API (issue 15, item 11), with
# tests/kmod/dibs_smcd_client.ko: a client that keeps per-device state in
# dibs_set_priv() from add_dev() to del_dev() and uses it in handle_irq()
# and handle_event() without a NULL check, and that turns DMB buffers into
# pages with virt_to_page(), as net/smc/smc_ism.c and SMC-D's splice do.
#
# Each test registers DMBs (4 KiB up to 8 MiB) and writes them with
# signals, while loops in parallel add and delete devices, set them down
# and up, and unload and reload the client (each load registers its DMBs
# again, with devices there and events in flight). The client counts what
# SMC-D would crash on or corrupt, and logs its counters at every unload;
# the test adds them up and asserts: no bad magic (state used after del_dev
# freed it, or not from add_dev), no NULL priv in a callback, no DMB buffer
# outside the linear map, nothing read back through the pages that differs,
# irqs counted, every unload clean, nothing in the kernel log.
#
# dev_delay_ms (the client's parameter) stands in for the rest of SMC-D's
# add_dev()/del_dev() work and widens the windows a core that calls clients
# outside add_dev()..del_dev() leaves open.
#
# It runs on every kernel: on the debug kernel (tests/vm/debug/suites)
# KASAN, lockdep and kmemleak see what the client's checks cannot; on
# Debian's own kernels, several times faster, the loops get through more
# interleavings in the same time.
#
# Knobs: DIBS_SMCD_SECONDS (stress time per test; 4 on the debug kernel,
# recognised by /sys/kernel/debug/kmemleak, 8 elsewhere).

load lib/dibs

SC=/sys/kernel/debug/dibs_smcd_client
DELAY_MS=2

if dibs_on_debug_kernel; then
	RUN_SECONDS=${DIBS_SMCD_SECONDS:-4}
else
	RUN_SECONDS=${DIBS_SMCD_SECONDS:-8}
fi

# ---- helpers ---------------------------------------------------------------

# sc CMD...: one command to the SMC-D client.
sc() {
	echo "$*" >"$SC/ctl"
}

# tc_ask CMD...: one command to the test client (tc); its result on stdout.
tc_ask() {
	tc "$@" && cat "$TC/result"
}

sc_load() {
	dibs_insmod dibs_smcd_client dev_delay_ms=$DELAY_MS
}

# sc_unload: rmmod, retried while a command in flight holds the module.
sc_unload() {
	local i
	for ((i = 0; i < 50; i++)); do
		dibs_loaded dibs_smcd_client || return 0
		rmmod dibs_smcd_client 2>/dev/null && return 0
		sleep 0.1
	done
	rmmod dibs_smcd_client
}

# paused: the reload loop is between unload and setup; others wait.
paused() {
	[ -e "$PAUSE" ]
}

# forever CMD...: CMD... again and again until $STOP exists, in the
# background; its output is dropped (a changing world refuses a lot).
forever() {
	(
		while [ ! -e "$STOP" ]; do
			if paused; then
				sleep 0.05
				continue
			fi
			"$@" || true
		done
	) >/dev/null 2>&1 &
	PIDS+=("$!")
}

# reload_once SETUP: unload the client, load it again, SETUP its DMBs.
# Failures go to $ERRS.
reload_once() {
	local t0
	sleep 0.3
	t0=$(now_ms)
	touch "$PAUSE"
	sleep 0.1		# commands in flight finish
	sc_unload 2>>"$ERRS" || echo "rmmod dibs_smcd_client failed" >>"$ERRS"
	sc_load 2>>"$ERRS" || echo "insmod dibs_smcd_client failed" >>"$ERRS"
	"$1" >/dev/null 2>&1 || true
	rm -f "$PAUSE"
	echo $(($(now_ms) - t0)) >>"$BATS_TEST_TMPDIR/reloads"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# reload_loop SETUP: reload_once SETUP until $STOP exists, in the background.
reload_loop() {
	(
		while [ ! -e "$STOP" ]; do
			reload_once "$1"
		done
	) &
	PIDS+=("$!")
}

# stop_loops: stop the background loops; one that does not end within
# 60 s is stuck (in the kernel, most likely): named and failed.
stop_loops() {
	local pid i alive rc=0
	touch "$STOP"
	rm -f "$PAUSE"
	for ((i = 0; i < 600; i++)); do
		alive=0
		for pid in "${PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		((alive)) || break
		sleep 0.1
	done
	for pid in "${PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			echo "loop $pid did not stop: $(cat "/proc/$pid/wchan" 2>/dev/null)" >&2
			kill -9 "$pid" 2>/dev/null
			rc=1
		else
			wait "$pid" 2>/dev/null
		fi
	done
	PIDS=()
	return $rc
}

# state_batch FILE DEV...: a batch that sets every DEV down and up, 5 times.
state_batch() {
	local f=$1 d i
	shift
	: >"$f"
	for ((i = 0; i < 5; i++)); do
		for d in "$@"; do
			echo "dev set $d state down" >>"$f"
			echo "dev set $d state up" >>"$f"
		done
	done
}

# sc_totals: the client's counters, added up over every load since the mark
# (each unload logs "dibs_smcd_client: stats: NAME=VALUE ...").
sc_totals() {
	dibs_dmesg_since_mark | grep -o 'dibs_smcd_client: stats:.*' |
		tr ' ' '\n' |
		awk -F= 'NF == 2 { s[$1] += $2 } END { for (k in s) print k, s[k] }'
}

total() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$TOTALS"
}

# judge [irqs]: unload the client cleanly and judge its counters (irqs > 0
# too when asked); every failed assertion is named before the test fails.
judge() {
	local rc=0 k
	sc_unload || echo "rmmod dibs_smcd_client failed" >>"$ERRS"
	TOTALS=$BATS_TEST_TMPDIR/totals
	sc_totals >"$TOTALS"
	note "$(sort "$TOTALS" | awk '{ printf "%s=%s ", $1, $2 }')"
	if [ -s "$ERRS" ]; then
		echo "load/unload: $(sort "$ERRS" | uniq -c | tr '\n' ';')" >&2
		rc=1
	fi
	for k in bad_magic null_priv nonlinear mismatch; do
		if [ "$(total "$k")" != 0 ]; then
			echo "$k: $(total "$k") (want 0)" >&2
			rc=1
		fi
	done
	if [ "${1:-}" = irqs ] && [ "$(total irqs)" -le 0 ]; then
		echo "irqs: $(total irqs) (want > 0)" >&2
		rc=1
	fi
	dibs_no_kernel_problems || rc=1
	return $rc
}

# finish: stop the loops, then judge, irqs included.
finish() {
	local rc=0 r
	stop_loops || rc=1
	r=$BATS_TEST_TMPDIR/reloads
	[ -s "$r" ] || echo 0 >"$r"
	note "$(wc -l <"$r") reloads, $(awk '{ s += $1 } END { printf "%d", s / NR }' "$r") ms each"
	sleep 0.2
	judge irqs || rc=1
	if [ "$(total registered)" -le 0 ]; then
		echo "registered: 0 (want > 0)" >&2
		rc=1
	fi
	return $rc
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	unload_dibs
	dibs_mark
	load_dibs
	dibs_insmod dibs_sim
	PIDS=()
	STOP=$BATS_TEST_TMPDIR/stop
	PAUSE=$BATS_TEST_TMPDIR/pause
	ERRS=$BATS_TEST_TMPDIR/errs
	: >"$ERRS"
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	[ ${#PIDS[@]} -eq 0 ] || stop_loops
	dibs_unload_and_check dibs_smcd_client dibs_test_client dibs_sim \
		dibs_loopback dibs
}

# ---- loopback --------------------------------------------------------------

LO_DEVS=(lo lo1 lo2 lo3)

# The DMBs of one load: small ones on every device, 1 MiB and 8 MiB (past
# what kmalloc gives, so kvzalloc would hand out vmalloc memory) on lo.
lo_dmbs() {
	local d
	sc reg lo 1 8388608
	sc reg lo 1 1048576
	for d in "${LO_DEVS[@]}"; do
		sc reg "$d" 2 4096
		sc reg "$d" 1 65536
	done
}

lo_write() {
	local d
	for d in "${LO_DEVS[@]}"; do
		paused && return 0
		sc write "$d" 3
	done
}

# A device the client is offered, holds DMBs on and writes, then loses.
lo_churn() {
	dc dev add loc type loopback
	sc reg loc 2 16384
	sc write loc 3
	dc dev del loc
}

@test "smcd: loopback, writes with signals while devices come, go, go down and the client reloads" {
	local d
	for d in "${LO_DEVS[@]:1}"; do
		dc dev add "$d" type loopback
	done
	state_batch "$BATS_TEST_TMPDIR/state.b" "${LO_DEVS[@]}"
	sc_load
	lo_dmbs || true		# big ones may be refused; counted

	forever lo_write
	forever dc -force -b "$BATS_TEST_TMPDIR/state.b"
	forever lo_churn
	reload_loop lo_dmbs
	sleep "$RUN_SECONDS"
	finish
}

# ---- sim -------------------------------------------------------------------

SIM_PEERS=(s1 s2 s3 s4)
# s9 comes and goes; DMBs granted to it outlive it, so that its going away
# is an event at their owners. Its first gid:
S9_GID=0b1c3e9a-5d7f-4a21-9e6b-1234567890ab

# s9_back PEER...: s9 again, with a new gid (the old one is refused while
# DMBs are granted to it), and a test client DMB granted to it on each PEER.
s9_back() {
	local g d
	dc dev add s9 type sim fabric 7 || return 1
	g=$(gid_of s9)
	for d in "$@"; do
		echo "reg $d 4096 $g" >"$TC/ctl" || return 1
	done
}

# The DMBs of one load on every peer, granted to s0 (which writes them),
# with 1 MiB and 8 MiB ones on s1.
sim_dmbs() {
	local g d
	g=$(gid_of s0)
	sc reg s1 1 8388608 "$g"
	sc reg s1 1 1048576 "$g"
	for d in "${SIM_PEERS[@]}"; do
		sc reg "$d" 2 4096 "$g"
		sc reg "$d" 1 65536 "$g"
	done
}

sim_write() {
	sc write s0 3
	paused && return 0
	echo "write s0 $TC_TOKEN 0 x 1" >"$TC/ctl"
}

# A peer that comes and goes, with DMBs of both clients granted to s0, and
# s9, whose going away is an event at every peer holding DMBs for it.
sim_churn() {
	local g
	g=$(gid_of s0)
	dc dev add sc type sim fabric 7
	sc reg sc 2 16384 "$g"
	echo "reg sc 4096 $g" >"$TC/ctl"
	sc write s0 2
	dc dev del sc
	s9_back s1
	dc dev del s9
}

@test "smcd: sim, writes with signals while peers come, go, go down and the client reloads" {
	local d g
	dc dev add s0 type sim fabric 7
	for d in "${SIM_PEERS[@]}"; do
		dc dev add "$d" type sim fabric 7
	done
	g=$(gid_of s0)
	# The test client holds DMBs granted to s0 and s9 on every peer: s0
	# down and s9 gone are events at all of them, for every client.
	load_test_client
	for d in "${SIM_PEERS[@]}"; do
		tc_ask reg "$d" 4096 "$g" >/dev/null
		tc_ask reg "$d" 4096 "$S9_GID" >/dev/null
	done
	TC_TOKEN=$(tc_ask reg s1 4096 "$g" | cut -d' ' -f1)
	state_batch "$BATS_TEST_TMPDIR/state.b" s0 "${SIM_PEERS[@]}"
	sc_load
	sim_dmbs || true	# big ones may be refused; counted

	forever sim_write
	forever dc -force -b "$BATS_TEST_TMPDIR/state.b"
	forever sim_churn
	reload_loop sim_dmbs
	sleep "$RUN_SECONDS"
	finish
	# s0 went down again and again: SMC-D's event path ran.
	[ "$(total events)" -gt 0 ] || { echo "events: 0 (want > 0)" >&2; false; }
}

# ---- sim: register and unregister while events are on their way -----------

# blocked_in PID REGEX: wait (up to 10 s) until task PID sleeps in a kernel
# function matching REGEX.
blocked_in() {
	local i
	for ((i = 0; i < 500; i++)); do
		grep -Eq "$2" "/proc/$1/stack" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

# race_round CMD: the client's CMD (client_register or client_unregister)
# right after "dev del s9" releases the core's device lock, while s9's
# peers are told it went away. The client's blocker holds the removal in
# its del_dev() (with the device lock held), CMD queues behind it, then
# both go on. Return: 0 if it went that way, 1 if not (noted).
race_round() {
	local del cmd why='' spin=2
	[ "$1" = client_register ] || spin=4
	echo 1 >"$SC/hold"
	"$DIBSCTL" dev del s9 &
	del=$!
	blocked_in "$del" sc_blocker_del_dev || why+=" del-not-held"
	sc "$1" &
	cmd=$!
	blocked_in "$cmd" 'dibs_(un)?register_client' || why+=" $1-not-queued"
	echo "$spin" >"$SC/hold"	# go on; the blocker's handle_event() spins
	wait "$del" "$cmd" || why+=" failed"
	echo 0 >"$SC/hold"
	[ -z "$why" ] || echo "$1:$why" >>"$BATS_TEST_TMPDIR/missed"
	s9_back "${SIM_PEERS[@]}"
	[ -z "$why" ]
}

@test "smcd: sim, the client registers and unregisters while a removed peer's events are on their way" {
	local d n=0
	# No lo: the client's add_dev()s (20 ms each here) start with a peer.
	dibs_rmmod dibs_loopback
	for d in "${SIM_PEERS[@]}"; do
		dc dev add "$d" type sim fabric 7
	done
	dc dev add s9 type sim fabric 7 gid "$S9_GID"
	load_test_client
	# Every peer holds a DMB granted to s9: its removal is an event at
	# each, for every client.
	for d in "${SIM_PEERS[@]}"; do
		tc_ask reg "$d" 4096 "$S9_GID" >/dev/null
	done
	dibs_insmod dibs_smcd_client dev_delay_ms=20 blocker=1
	for _ in 1 2 3; do
		sc client_unregister
		race_round client_register && n=$((n + 1))
		race_round client_unregister && n=$((n + 1))
		sc client_register
	done
	touch "$BATS_TEST_TMPDIR/missed"
	note "$n of 6 (un)registrations raced as planned;" \
		"missed: $(tr '\n' ';' <"$BATS_TEST_TMPDIR/missed" 2>/dev/null)"
	judge
	((n == 6)) || { echo "only $n of 6 races were set up" >&2; false; }
}
