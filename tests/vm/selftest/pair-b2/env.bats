#!/usr/bin/env bats
# For harness.bats only: a suite with the line below, which has run-pair.sh
# boot B again as B2 once B's QEMU is gone. The stand-in qemu runs nothing
# of it (it writes 01-env.tap itself, hence the name).
#
# run-pair: B2

@test "pair-b2: a stand-in" {
	skip "only run-pair.sh reads this file"
}
