#!/usr/bin/env bats
# Smoke run of bench/ inside `make check`, so the benchmarks never rot: the
# driver runs every benchmark with small counts (bench/driver.sh --smoke)
# and the result must be well formed, every ratio present with finite,
# positive numbers (bench/check-results.sh), and the plot must draw. No
# target is asserted: timings under TCG on a shared machine are not stable.
# The full run is `make bench` (bench/bench.bats).

load lib/dibs

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	[ -x "$DIBS_REPO/bench/nlbench" ] || skip "bench/nlbench not built"
	[ -x "$DIBS_REPO/bench/conbench" ] || skip "bench/conbench not built"
	# a kernel built without them (the small debug kernel, say)
	[ -r /proc/slabinfo ] || skip "no /proc/slabinfo in this kernel"
	[ -d /sys/module/dummy ] || modprobe -n dummy 2>/dev/null ||
		skip "no dummy netdev module in this kernel"
	OUT=$DIBS_RESULTS/bench-smoke
}

teardown() {
	unload_dibs
}

@test "bench smoke: the driver runs every benchmark and leaves no module" {
	rm -rf "$OUT"
	run "$DIBS_REPO/bench/driver.sh" --smoke "$OUT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$OUT/results.json" ]
	for m in dibs dibs_loopback dibs_sim dibs_test_client dibs_console dummy; do
		! dibs_loaded "$m" || { echo "$m still loaded"; false; }
	done
}

@test "bench smoke: results.json has every ratio, finite and positive" {
	[ -f "$OUT/results.json" ] || skip "the driver test did not produce results"
	"$DIBS_REPO/bench/check-results.sh" "$OUT/results.json"
	# the checker can fail: a ratio taken away is reported
	local k
	for k in op_vs_rtt console_echo_vs_signal_rtt console_bulk_vs_pty; do
		jq --arg k "$k" 'del(.ratios[$k])' "$OUT/results.json" >"$OUT/broken.json"
		run "$DIBS_REPO/bench/check-results.sh" "$OUT/broken.json"
		[ "$status" -eq 1 ]
		[[ $output == *"$k"* ]]
	done
	# the console's figures come from the smoke counts (2 repetitions),
	# every byte checked
	jq -e '.params.CON_ECHO_N == "20" and .params.CON_BULK_BYTES == "262144"
		and (.ratios.console_echo_vs_signal_rtt.raw["con.echo_ns"] | length) == 2
		and (.ratios.console_bulk_vs_pty.raw["con.bulk_pty_ns"] | length) == 2' \
		"$OUT/results.json"
}

@test "bench smoke: the plot is drawn" {
	[ -f "$OUT/results.json" ] || skip "the driver test did not produce results"
	command -v gnuplot >/dev/null || skip "gnuplot not installed (make deps)"
	"$DIBS_REPO/bench/plot.sh" "$OUT/results.json" "$OUT/results.png"
	[ "$(head -c 8 "$OUT/results.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}
