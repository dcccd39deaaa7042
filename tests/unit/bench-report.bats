#!/usr/bin/env bats
# bench/report.py --pair and bench/check-results.sh --pair on a raw.txt
# written here: the cross-VM ratios are the right quotients of the raw
# medians, the signal round trip is held against two genl round trips
# (issue 16's form, with its target) and against one (no target), and the
# checker refuses a result that lacks one of them.

setup() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	OUT=$BATS_TEST_TMPDIR/pair
	mkdir -p "$OUT"
	{
		echo "param reps 2"
		echo "param sizes 1048576,65536"
		echo "param DATA_KN 100"
		echo "param PING_N 200"
		for r in 1 2; do
			echo "kdata.ivs_65536.move_ns $r 1000"
			echo "kdata.ivs_65536.memcpy_ns $r 900"
			echo "kdata.ivs_1048576.move_ns $r 16000"
			echo "kdata.ivs_1048576.memcpy_ns $r 16000"
		done
		# rep 1: 300 us against 50 us; rep 2: 280 us against 40 us
		echo "xsignal.rtt_ns 1 50000"
		echo "xsignal.ping_ns 1 300000"
		echo "xsignal.rtt_ns 2 40000"
		echo "xsignal.ping_ns 2 280000"
	} >"$OUT/raw.txt"
}

# ratio NAME FIELD: one field of a ratio in the result
ratio() {
	jq -c -r --arg k "$1" ".ratios[\$k].$2" "$OUT/results.json"
}

@test "bench report --pair: the signal round trip against two genl round trips and one" {
	run python3 "$REPO/bench/report.py" --pair "$OUT"
	echo "$output"
	[ "$status" -eq 0 ]
	# 300/(2*50) = 3, 280/(2*40) = 3.5: median 3.25, over the target
	[ "$(ratio cross_vm_signal_rtt_vs_2rtt reps)" = "[3,3.5]" ]
	[ "$(ratio cross_vm_signal_rtt_vs_2rtt median)" = 3.25 ]
	[ "$(ratio cross_vm_signal_rtt_vs_2rtt target.value)" = 3 ]
	[ "$(ratio cross_vm_signal_rtt_vs_2rtt met)" = false ]
	# the stricter form: 6 and 7, no target
	[ "$(ratio cross_vm_signal_rtt_vs_rtt median)" = 6.5 ]
	[ "$(ratio cross_vm_signal_rtt_vs_rtt target)" = null ]
	[ "$(ratio cross_vm_signal_rtt_vs_rtt met)" = null ]
	[ "$(ratio cross_vm_data_64k median)" = 0.9 ]
	[ "$(ratio cross_vm_data_1024k median)" = 1 ]
	[[ $output == *"cross_vm_signal_rtt_vs_2rtt"*"<= 3"*"NO"* ]]
	"$REPO/bench/check-results.sh" --pair "$OUT/results.json"
}

@test "bench check-results --pair: a result without the issue's round-trip ratio is refused" {
	python3 "$REPO/bench/report.py" --pair "$OUT" >/dev/null
	jq 'del(.ratios.cross_vm_signal_rtt_vs_2rtt)' "$OUT/results.json" >"$OUT/broken.json"
	run "$REPO/bench/check-results.sh" --pair "$OUT/broken.json"
	[ "$status" -eq 1 ]
	[[ $output == *"cross_vm_signal_rtt_vs_2rtt missing or malformed"* ]]
}
