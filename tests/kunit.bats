#!/usr/bin/env bats
# KUnit suite: the core's pure logic, tested from inside the kernel by
# tests/kmod/dibs_kunit.ko (token table, sba index allocation, client slots,
# netlink policies, mapped DMBs, software events). Only kernels with KUnit
# run it (the debug kernel, tests/vm/debug-kernel.sh); on Debian's stock
# kernels every test skips, since /sys/kernel/debug/kunit does not exist
# there.
#
# The KUnit suites run when dibs_kunit.ko is loaded, all of them at once,
# so setup_file loads dibs, dibs_loopback, dibs_sim and dibs_kunit once,
# keeps each suite's KTAP (/sys/kernel/debug/kunit/<suite>/results, gone
# with the module) and unloads everything. The tests then judge one suite
# each: every case "ok", none skipped, and as many cases as the module
# has, so a suite that silently ran nothing (or lost a case) fails.

load lib/dibs
load lib/kunit

KU_DEBUGFS=/sys/kernel/debug/kunit
# ku_dir: where setup_file keeps what it saw (the KTAP of each suite, the
# log of the load and unload, the kernel log since the mark).
ku_dir() {
	echo "$BATS_FILE_TMPDIR/kunit"
}

# ku_have_kunit: the running kernel has KUnit with its debugfs results.
ku_have_kunit() {
	[ -d "$KU_DEBUGFS" ]
}

# ku_run: load everything, save each suite's results, unload everything.
# Failures are written to $(ku_dir)/errors for the tests to report.
ku_run() {
	local dir m s errors
	dir=$(ku_dir)
	errors=$dir/errors
	mkdir -p "$dir"
	: >"$errors"
	unload_dibs 2>>"$errors" || echo "unload before the run failed" >>"$errors"
	dibs_mark
	for m in "${KU_MODULES[@]}"; do
		if ! dibs_insmod "$m" 2>>"$errors"; then
			echo "loading $m failed" >>"$errors"
			break
		fi
	done
	for s in "${!KU_CASES[@]}"; do
		if [ -r "$KU_DEBUGFS/$s/results" ]; then
			cat "$KU_DEBUGFS/$s/results" >"$dir/$s.ktap"
		fi
	done
	unload_dibs 2>>"$errors" || echo "unloading failed" >>"$errors"
	for m in "${KU_MODULES[@]}"; do
		if dibs_loaded "$m"; then
			echo "$m still loaded" >>"$errors"
		fi
	done
	dibs_dmesg_since_mark >"$dir/dmesg"
	dibs_no_kernel_problems 2>>"$errors" ||
		echo "the kernel reported problems (above)" >>"$errors"
	# Kept for whoever reads the run afterwards.
	if [ -n "${DIBS_RESULTS:-}" ]; then
		mkdir -p "$DIBS_RESULTS/kunit"
		cp "$dir"/*.ktap "$dir/dmesg" "$DIBS_RESULTS/kunit/" 2>/dev/null || true
	fi
}

setup_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
		mount -t debugfs none /sys/kernel/debug
	ku_have_kunit || return 0
	ku_run
}

setup() {
	dibs_require_vm
	ku_have_kunit ||
		skip "kernel without KUnit ($KU_DEBUGFS missing): runs on the debug kernel (tests/vm/debug-kernel.sh)"
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local m rc=0
	for m in "${KU_MODULES[@]}"; do
		if dibs_loaded "$m"; then
			echo "$m still loaded" >&2
			rc=1
		fi
	done
	return $rc
}

# ku_check SUITE: the KTAP this boot saved for SUITE shows all its cases ok.
ku_check() {
	ku_check_ktap "$1" "$(ku_dir)/$1.ktap" || {
		cat "$(ku_dir)/errors" >&2
		return 1
	}
}

@test "kunit: dibs_kunit loads, runs its suites and everything unloads cleanly" {
	local errors
	errors="$(ku_dir)/errors"
	[ -f "$errors" ] || { echo "setup_file did not run the suites" >&2; return 1; }
	if [ -s "$errors" ]; then
		cat "$errors" >&2
		return 1
	fi
	# Each suite announced itself and its verdict in the kernel log.
	local s
	for s in "${!KU_CASES[@]}"; do
		grep -q "# Subtest: $s\$" "$(ku_dir)/dmesg" ||
			{ echo "kernel log has no KUnit suite $s" >&2; return 1; }
	done
}

@test "kunit: dibs_policy (op table, attribute policies, device names)" {
	ku_check dibs_policy
}

@test "kunit: dibs_client_slots (slots, add_dev/del_dev, busy clients)" {
	ku_check dibs_client_slots
}

@test "kunit: dibs_token_table (unique tokens, lookup, scopes, leftovers, late registers)" {
	ku_check dibs_token_table
}

@test "kunit: dibs_sba_index (lowest free, wanted, max, reuse, lengths)" {
	ku_check dibs_sba_index
}

@test "kunit: dibs_mapped_dmb (attach/detach outlive owner and device)" {
	ku_check dibs_mapped_dmb
}

@test "kunit: dibs_sw_event (signal_event of loopback and sim: delivery, order, refusals)" {
	ku_check dibs_sw_event
}
