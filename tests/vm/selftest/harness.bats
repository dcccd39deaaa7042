#!/usr/bin/env bats
# Harness self-test, host side (no VM boot): the pieces that decide whether a
# run passed. run.sh is driven with a stand-in for qemu (stub-qemu) that
# fakes what a guest leaves behind, so its verdicts are checked in seconds.

VM=$BATS_TEST_DIRNAME/..
SCRIPTS=$BATS_TEST_DIRNAME/../../../scripts

setup() {
	ABI=$("$SCRIPTS/kernels.sh" | head -n 1)
	OUT=$BATS_TEST_TMPDIR/out
	SUITE=$BATS_TEST_DIRNAME/env.bats
}

tap() { printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/t.tap"; }

@test "count-tap: passes, failures and skips" {
	tap 1..4 'ok 1 a' 'ok 2 b # skip why' 'not ok 3 c' '# detail' 'ok 4 d'
	run "$VM/count-tap.sh" "$BATS_TEST_TMPDIR/t.tap"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'passed 2' ]
	[ "${lines[1]}" = 'failed 1' ]
	[ "${lines[2]}" = 'skipped 1' ]
	[ "${lines[3]}" = 'fail t.tap: 3 c' ]
}

@test "count-tap: tests the plan promised but never reported fail" {
	tap 1..5 'ok 1 a' 'ok 2 b'
	run "$VM/count-tap.sh" "$BATS_TEST_TMPDIR/t.tap"
	[ "${lines[0]}" = 'passed 2' ]
	[ "${lines[1]}" = 'failed 3' ]
}

@test "count-tap: a missing or empty TAP file is a failure" {
	run "$VM/count-tap.sh" "$BATS_TEST_TMPDIR/none.tap"
	[ "${lines[1]}" = 'failed 1' ]
	: >"$BATS_TEST_TMPDIR/t.tap"
	run "$VM/count-tap.sh" "$BATS_TEST_TMPDIR/t.tap"
	[ "${lines[1]}" = 'failed 1' ]
}

@test "check-console: a clean boot log passes" {
	printf '%s\n' '[    0.000000] Linux version 6.1.0' 'dibs-vm: guest finished, status 0' \
		>"$BATS_TEST_TMPDIR/c.log"
	run "$VM/check-console.sh" "$BATS_TEST_TMPDIR/c.log"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "check-console: every kind of kernel problem is caught" {
	local line
	for line in \
		'[   12.3] WARNING: CPU: 1 PID: 99 at dibs_main.c:10 f+0x1/0x2 [dibs]' \
		'[   12.3] BUG: kernel NULL pointer dereference, address: 0000000000000000' \
		'[   12.3] Oops: 0000 [#1] PREEMPT SMP NOPTI' \
		'[   12.3] kernel BUG at drivers/dibs/dibs_main.c:42!' \
		'[   12.3] general protection fault, probably for non-canonical address' \
		'[   12.3] BUG: KASAN: slab-use-after-free in dibs_dev_del' \
		'[   12.3] refcount_t: underflow; use-after-free.' \
		'[   12.3] UBSAN: array-index-out-of-bounds in dibs_ops.c:7:3' \
		'[   12.3] Kernel panic - not syncing: Fatal exception' \
		'[   12.3] kmemleak: 2 new suspected memory leaks'; do
		printf '[    1.0] fine\r\n%s\r\n' "$line" >"$BATS_TEST_TMPDIR/c.log"
		run "$VM/check-console.sh" "$BATS_TEST_TMPDIR/c.log"
		[ "$status" -eq 1 ] || { echo "not caught: $line"; return 1; }
		[[ $output == *":2:$line" ]] || { echo "reported as: $output"; return 1; }
	done
}

@test "kbuild: a compiler warning fails the build" {
	[ -n "$ABI" ] || skip "no kernel found"
	mkdir -p "$BATS_TEST_TMPDIR/w"
	printf 'obj-m += w.o\n' >"$BATS_TEST_TMPDIR/w/Kbuild"
	cat >"$BATS_TEST_TMPDIR/w/w.c" <<'C'
#include <linux/module.h>
static int __init w_init(void) { int unused; return 0; }
module_init(w_init);
MODULE_DESCRIPTION("harness self-test: has a warning");
MODULE_LICENSE("GPL");
C
	run "$SCRIPTS/kbuild.sh" "$ABI" "$BATS_TEST_TMPDIR/w" "$BATS_TEST_TMPDIR/w-out"
	[ "$status" -ne 0 ]
	[[ $output == *"unused variable"* ]]
}

# run.sh with the stand-in qemu; STUB_* tell it what to fake.
stub_run() {
	QEMU=$BATS_TEST_DIRNAME/stub-qemu run "$VM/run.sh" --out "$OUT" "$ABI" "$SUITE"
}

@test "run.sh: a clean run that reported status 0 passes" {
	[ -n "$ABI" ] || skip "no kernel found"
	STUB_STATUS=0 stub_run
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == *": 2 passed, 0 failed, 0 skipped" ]]
	grep -qx 'tap_failed 0' "$OUT/summary"
}

@test "run.sh: no status from the guest (a panic) fails the run" {
	[ -n "$ABI" ] || skip "no kernel found"
	STUB_STATUS=none stub_run
	[ "$status" -ne 0 ]
	[[ $output == *"no status from the guest"* ]]
	grep -q '^failed 1$' "$OUT/summary"
}

@test "run.sh: a console warning fails a run whose tests passed" {
	[ -n "$ABI" ] || skip "no kernel found"
	STUB_STATUS=0 STUB_CONSOLE='WARNING: CPU: 0 PID: 1 at x.c:1 f' stub_run
	[ "$status" -ne 0 ]
	[[ $output == *"kernel problem on the console"* ]]
	[[ $output == *"WARNING: CPU: 0 PID: 1 at x.c:1 f"* ]]
}

@test "run.sh: a run over its time limit is killed and fails" {
	[ -n "$ABI" ] || skip "no kernel found"
	DIBS_VM_TIMEOUT=2 STUB_STATUS=hang stub_run
	[ "$status" -ne 0 ]
	[[ $output == *"timed out after 2 s"* ]]
}

@test "run.sh: a suite that never reported counts as failed" {
	[ -n "$ABI" ] || skip "no kernel found"
	STUB_STATUS=1 STUB_NO_TAP=1 stub_run
	[ "$status" -ne 0 ]
	grep -q 'no TAP output' "$OUT/summary"
}

# run-pair.sh with the stand-in qemu for both guests.
stub_pair() {
	[ -x "$VM/../../ivshmem-server/dibs-ivshmem-server" ] ||
		skip "dibs-ivshmem-server not built (make userspace)"
	QEMU=$BATS_TEST_DIRNAME/stub-qemu run "$VM/run-pair.sh" --out "$OUT" "$ABI" "$SUITE"
}

@test "run-pair.sh: two clean guests pass, their counts added up" {
	[ -n "$ABI" ] || skip "no kernel found"
	STUB_STATUS=0 stub_pair
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == *": 4 passed, 0 failed, 0 skipped" ]]
	[ -f "$OUT/A/summary" ] && [ -f "$OUT/B/summary" ]
}

@test "run-pair.sh: a suite with '# run-pair: B2' boots B again, as B2, after B" {
	[ -n "$ABI" ] || skip "no kernel found"
	SUITE=$BATS_TEST_DIRNAME/pair-b2/env.bats
	STUB_STATUS=0 STUB_CONSOLE='stub: role B2' STUB_CONSOLE_ROLE=B2 stub_pair
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == *": 6 passed, 0 failed, 0 skipped" ]]
	[ -f "$OUT/B2/summary" ]
	grep -qx 'stub: role B2' "$OUT/B2/console.log"
	! grep -q 'stub: role' "$OUT/B/console.log"
	# without the line: two guests only
	SUITE=$BATS_TEST_DIRNAME/env.bats
	STUB_STATUS=0 stub_pair
	[ ! -e "$OUT/B2" ]
}

@test "run-pair.sh: a kernel problem on one guest's console fails the pair" {
	[ -n "$ABI" ] || skip "no kernel found"
	STUB_STATUS=0 STUB_CONSOLE='BUG: kernel NULL pointer dereference' STUB_CONSOLE_ROLE=B stub_pair
	[ "$status" -ne 0 ]
	grep -qx 'fail B: kernel problem on the console (1 lines)' "$OUT/summary"
	grep -qx 'failed 1' "$OUT/summary"
	grep -qx 'passed 4' "$OUT/summary"
}
