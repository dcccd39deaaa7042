#!/usr/bin/env bats
# Harness self-test, VM side: the helpers of tests/lib/dibs.bash that every
# suite may lean on, against the real modules. Runs in the self-test boot
# only (one kernel), before broken.bats.

load ../../lib/dibs

setup() {
	dibs_mark
}

teardown() {
	unload_dibs
}

@test "lib: unload_dibs with nothing loaded is fine" {
	unload_dibs
	unload_test_client
}

@test "lib: load_dibs loads the core and the loopback device, idempotently" {
	load_dibs
	load_dibs
	dibs_loaded dibs
	dibs_loaded dibs_loopback
	[ "$(dibs_devices)" = lo ]
	[ "$(dibs_dev_attr lo fabric_id)" = 0xffff ]
}

@test "lib: load_test_client loads the core first if needed" {
	load_test_client
	dibs_loaded dibs
	dibs_loaded dibs_test_client
	[ -d /sys/kernel/debug/dibs_test_client ]
	unload_test_client
	[ ! -d /sys/module/dibs_test_client ]
	dibs_loaded dibs
}

@test "lib: unload_dibs takes clients, soft devices and the core down" {
	load_dibs
	load_test_client
	if [ -f "$DIBS_BUILD/kernel/dibs_sim.ko" ]; then dibs_insmod dibs_sim; fi
	unload_dibs
	local m
	for m in dibs_test_client dibs_sim dibs_loopback dibs; do
		[ ! -d "/sys/module/$m" ]
	done
}

@test "lib: dibs_ko names built modules and fails on others" {
	[ "$(dibs_ko dibs)" = "$DIBS_BUILD/kernel/dibs.ko" ]
	[ "$(dibs_ko dibs_test_client)" = "$DIBS_BUILD/kmod/dibs_test_client.ko" ]
	run dibs_ko no_such_module
	[ "$status" -ne 0 ]
}

@test "lib: dibs_no_kernel_problems passes a clean log and flags a warning" {
	load_dibs
	unload_dibs
	dibs_no_kernel_problems
	# A fake kernel log: a real WARNING line would fail this whole boot.
	dmesg() { echo "$DIBS_MARK"; echo "WARNING: CPU: 0 PID: 1 at fake.c:1 f"; }
	run dibs_no_kernel_problems
	[ "$status" -ne 0 ]
	[[ $output == *"WARNING: CPU: 0 PID: 1 at fake.c:1 f"* ]]
}
