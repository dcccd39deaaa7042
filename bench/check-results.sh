#!/usr/bin/env bash
# check-results.sh [--pair] RESULTS.json: is it a well-formed bench result?
# Every ratio of the issue present, with finite positive min <= median <=
# max, one value per repetition and raw numbers; the dump curve with a
# point per count. --pair: the cross-VM result (bench/ivshmem-pair.bats),
# its own ratios and no dump curve. Says nothing about targets. Exit 1
# with the reasons otherwise. (One jq run: under TCG every process start
# counts.)
set -euo pipefail
pair=false
if [ "${1:-}" = --pair ]; then
	pair=true
	shift
fi
f=${1:?usage: check-results.sh [--pair] RESULTS.json}

ratios='dump_scaling dev_show_vs_ip op_vs_rtt batch_vs_rtt kernel_data_loopback
	kernel_data_sim user_data_loopback user_data_sim user_data_sim_netlink
	user_data_floor user_mmap_loopback user_mmap_sim user_mmap_words_loopback
	user_mmap_words_sim user_mmap_read_loopback
	signal_p50_vs_rtt signal_p99_vs_rtt console_echo_vs_signal_rtt
	console_bulk_vs_pty kernel_bytes_per_dmb
	kernel_bytes_per_dmb_loopback dibsctl_rss'
# dibs-blk against NBD over TCP: only in a full run (driver.sh skips it in
# --smoke)
if ! $pair && [ "$(jq -r '.params.smoke' "$f" 2>/dev/null)" = 0 ]; then
	ratios+=' blk_seqread_vs_nbd_tcp blk_seqwrite_vs_nbd_tcp blk_randread_vs_nbd_tcp'
fi
$pair && ratios='cross_vm_data_1024k cross_vm_data_64k cross_vm_signal_rtt_vs_2rtt
	cross_vm_signal_rtt_vs_rtt'

# shellcheck disable=SC2016 # a jq program
bad=$(jq -r --arg ratios "$ratios" --argjson pair "$pair" '
	def num: type == "number" and (isinfinite | not) and (isnan | not) and . > 0;
	(.params.reps | tonumber) as $reps
	| (if $pair then 0 else .params.dump_counts | split(",") | length end) as $ncounts
	| . as $r
	| ([$ratios | splits("[ \t\n]+") | select(length > 0)]
	   | map(. as $k | $r.ratios[$k] as $e
		 | select(($e != null
			   and ($e.min | num) and ($e.median | num) and ($e.max | num)
			   and $e.min <= $e.median and $e.median <= $e.max
			   and ($e.reps | length) == $reps
			   and all($e.reps[]; num)
			   and ($e.raw | length) > 0
			   and ($e.met == null or ($e.met | type) == "boolean")) | not)
		 | "ratio \($k) missing or malformed: \($e | del(.raw)? // null | tojson)")[]),
	  (select($pair | not)
	   | select(((.dump_curve | length) == $ncounts
		  and all(.dump_curve[]; (.median | num) and .min <= .median
			  and .median <= .max and (.raw_ns | length) > 0)) | not)
	   | "dump_curve malformed")' "$f") || {
	echo "check-results: $f is not a bench result (jq failed)" >&2
	exit 1
}
if [ -n "$bad" ]; then
	while IFS= read -r line; do
		echo "check-results: $line" >&2
	done <<<"$bad"
	exit 1
fi
