#!/usr/bin/env bats
# Harness sanity, run in every VM boot next to the real suites: checks that
# the guest is the kernel the host meant to boot and that the environment the
# suites rely on (see tests/vm/guest-run.sh and tests/lib/dibs.bash) is there.
# A failure here means the harness is broken, not the project.

@test "harness: the VM runs the requested kernel ABI" {
	[ -n "$DIBS_ABI" ]
	[ "$(uname -r)" = "$DIBS_ABI" ]
}

@test "harness: the host root is mounted read-only over 9p" {
	run awk '$2 == "/" && $3 == "9p" { print $4 }' /proc/mounts
	[ "$status" -eq 0 ]
	[[ ",$output," == *,ro,* ]]
	run touch /.dibs-vm-write-probe
	[ "$status" -ne 0 ]
}

@test "harness: results share, /tmp and /run are writable" {
	local d
	for d in "$DIBS_RESULTS" /tmp /run; do
		touch "$d/.probe.$$"
		rm "$d/.probe.$$"
	done
}

@test "harness: repository and build tree are visible at host paths" {
	[ -f "$DIBS_REPO/tests/vm/run.sh" ]
	[ -d "$DIBS_BUILD" ]
}

@test "harness: /dev/fd, debugfs and module tools work" {
	[ "$(cat <(echo fd))" = fd ]
	grep -q ' /sys/kernel/debug debugfs ' /proc/mounts
	command -v insmod rmmod modprobe >/dev/null
	[ -f "/lib/modules/$DIBS_ABI/modules.dep" ]
}
