#!/usr/bin/env bats
# The full benchmark run of `make bench` (bench/run.sh boots the VM with
# this suite alone): bench/driver.sh with the issue's counts, into
# $DIBS_RESULTS/bench, which bench/run.sh copies back to bench/.

load ../tests/lib/dibs

setup() {
	dibs_require_vm
	dibs_require_dibsctl
}

teardown() {
	unload_dibs
}

@test "bench: full run" {
	rm -rf "$DIBS_RESULTS/bench"
	"$DIBS_REPO/bench/driver.sh" "$DIBS_RESULTS/bench"
	"$DIBS_REPO/bench/check-results.sh" "$DIBS_RESULTS/bench/results.json"
}
