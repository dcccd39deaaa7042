#!/usr/bin/env bats
# The cross-VM benchmarks of `make bench` (issue 16): bench/run.sh runs this
# suite in two guests on one dibs-ivshmem-server through
# tests/vm/run-pair.sh. It lives under bench/, not tests/: make check runs
# every tests/*-pair.bats, and this one is long. B measures and writes
# $DIBS_RESULTS/pair-bench/{raw.txt,results.json} (bench/report.py --pair),
# which bench/run.sh copies to bench/results-pair.json.
#
#   cross-VM move_data: B's move_data() into A's DMB (the shared region),
#     1 MiB and 64 KiB, interleaved one by one with an in-guest memcpy()
#     of the same size (the test client's bench, as bench/driver.sh does
#     on the soft devices);
#   cross-VM signal round trip: B writes with a signal into A's DMB, A's
#     client (`nlbench echo`) answers with a write with a signal into B's
#     DMB, B (`nlbench ping`) times until that signal arrives; a bare genl
#     round trip in B before each. Both sides watch their DMB on /dev/dibs
#     (xsignal.*); then again with both waiting for the "signal"
#     notification instead (NLBENCH_WAIT=netlink, xsignal_nl.*).
# The guests coordinate through the shared directory (tests/lib/pair.bash).

load ../tests/lib/dibs
load ../tests/lib/expect
load ../tests/lib/pair
load lib

NLB=$DIBS_REPO/bench/nlbench
TC=/sys/kernel/debug/dibs_test_client
REPS=5
DATA_KN=100		# move_data + memcpy pairs per repetition and size
SIZES="1048576 65536"
PING_WARM=20
PING_N=200		# round trips per repetition

setup_file() {
	pair_mount
	[ -n "$ROLE" ] && [ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
	load_dibs
	dibs_insmod dibs_ivshmem
	dibs_insmod dibs_test_client
}

teardown_file() {
	[ -n "${ROLE:-}" ] && [ -n "${DIBS_IN_VM:-}" ] || return 0
	umount "$PAIR_DIR"
	unload_dibs
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	[ -n "$ROLE" ] || skip "not one of two guests (tests/vm/run-pair.sh)"
	nap_init
}

teardown() {
	[ -n "${ROLE:-}" ] || return 0
	# A failed step: the other guest stops waiting for this one.
	[ -n "${BATS_TEST_COMPLETED:-}" ] || put abort 1
}

@test "pair bench: cross-VM move_data and signal round trips" {
	local me other tok t ta tb s size echo_pid total=$((PING_WARM + REPS * PING_N))
	local out=$DIBS_RESULTS/pair-bench
	me=$(my_gid)
	put gid "$me"
	other=$(get gid)
	# B's data bench takes minutes under TCG: the waits below are long.
	PAIR_WAIT=900
	case $ROLE in
	A)
		tok=""
		for size in $SIZES; do
			grant ivshmem0 "$other" "$size"
			t=$TOK
			tok="$tok $size:$t"
		done
		put tokens "${tok# }"
		# B's DMB for our answers, once B has done the data bench.
		tb=$(get tb)
		grant ivshmem0 "$other" 4096
		ta=$TOK
		for how in watch netlink; do
			NLBENCH_WAIT=$how "$NLB" echo ivshmem0 "$ta" "$tb" "$total" \
				>"$BATS_TEST_TMPDIR/echo" 2>&1 &
			echo_pid=$!
			wait_for "$BATS_TEST_TMPDIR/echo" '^ready$'
			grep -qx "wait $how" "$BATS_TEST_TMPDIR/echo"
			put "ta_$how" "$ta"
			get "done_$how" >/dev/null
			wait "$echo_pid" || { cat "$BATS_TEST_TMPDIR/echo" >&2; false; }
			grep -qx "echo_count $total" "$BATS_TEST_TMPDIR/echo"
		done
		put finished 1
		;;
	B)
		rm -rf "$out"
		bench_raw_init "$out"
		param reps "$REPS"
		param kernel "$(uname -r)"
		param DATA_KN "$DATA_KN"
		param sizes "${SIZES// /,}"
		param PING_N "$PING_N"
		param accel "tcg,thread=multi (run-pair.sh)"
		tok=$(get tokens)
		log "cross-VM move_data (${SIZES// /, } bytes, $DATA_KN x $REPS)"
		for r in $(seq "$REPS"); do
			for t in $tok; do
				DATA_LEN=${t%%:*}
				kbench ivshmem0 "${t#*:}" "ivs_$DATA_LEN"
			done
		done
		grant ivshmem0 "$other" 4096
		tb=$TOK
		put tb "$tb"
		for how in watch netlink; do
			key=xsignal
			[ "$how" = netlink ] && key=xsignal_nl
			ta=$(get "ta_$how")
			log "cross-VM signal round trips ($PING_N x $REPS, $how)"
			s=$(NLBENCH_WAIT=$how "$NLB" ping ivshmem0 "$tb" "$ta" "$PING_WARM")
			grep -qx "wait $how" <<<"$s"
			for r in $(seq "$REPS"); do
				s=$(NLBENCH_WAIT=$how "$NLB" ping ivshmem0 "$tb" "$ta" "$PING_N")
				rec "$key.rtt_ns $r $(val rtt_median_ns <<<"$s")"
				rec "$key.ping_ns $r $(val ping_median_ns <<<"$s")"
				rec "$key.rtt_min_ns $r $(val rtt_min_ns <<<"$s")"
				rec "$key.ping_min_ns $r $(val ping_min_ns <<<"$s")"
				rec "$key.ping_mean_ns $r $(val ping_ns <<<"$s")"
			done
			put "done_$how" 1
		done
		get finished >/dev/null
		log "report"
		/usr/bin/python3 "$DIBS_REPO/bench/report.py" --pair "$out"
		"$DIBS_REPO/bench/check-results.sh" --pair "$out/results.json"
		;;
	esac
}
