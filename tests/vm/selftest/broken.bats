#!/usr/bin/env bats
# Harness self-test, VM side: makes the kernel warn and oops on purpose
# (selftest/broken/). Every test here passes; the run must still be judged
# FAILED by the host because of the console, which selftest.sh checks.
# Never part of the normal suites.

load ../../lib/dibs

BROKEN=/sys/kernel/debug/dibs_harness_broken

@test "selftest: the broken module loads" {
	insmod "$DIBS_BUILD/selftest/dibs_harness_broken.ko"
	[ -d "$BROKEN" ]
}

@test "selftest: provoke a kernel warning" {
	echo 1 >"$BROKEN/warn"
}

@test "selftest: provoke an oops (kills only the writer)" {
	run sh -c "echo 1 >$BROKEN/oops"
	[ "$status" -ne 0 ]
}
