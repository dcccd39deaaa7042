#!/usr/bin/env bats
# The block benchmark alone (`bench/run.sh --only blk`): bench/driver.sh
# --blk into $DIBS_RESULTS/blk, dibs-blk against nbd-server over TCP with
# the counts of a full run. Kept out of tests/ like ivshmem-pair.bats.

load ../tests/lib/dibs

setup() {
	dibs_require_vm
	dibs_require_dibsctl
}

teardown() {
	unload_dibs
}

@test "bench: block part alone" {
	rm -rf "$DIBS_RESULTS/blk"
	"$DIBS_REPO/bench/driver.sh" --blk "$DIBS_RESULTS/blk"
	# the three ratios, each with a finite positive median
	jq -e '[.ratios.blk_seqread_vs_nbd_tcp, .ratios.blk_seqwrite_vs_nbd_tcp,
		.ratios.blk_randread_vs_nbd_tcp]
	       | all(. != null and .median > 0 and (.median | isinfinite | not))' \
		"$DIBS_RESULTS/blk/results.json"
}
