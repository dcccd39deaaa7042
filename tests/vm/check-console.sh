#!/usr/bin/env bash
# Scans kernel output (the VM's console log, the guest's dmesg) for signs that
# the kernel went wrong. A test run whose tests all pass still fails when one
# of these shows up: a WARN or an oops in a module is a bug even if the
# userspace view looked fine.
#
#   check-console.sh FILE...
#
# Prints each hit as "FILE:LINE: text" and exits 1 when there is any.
set -euo pipefail

# What counts as a kernel problem, and why: kernel-problems.sh.
# shellcheck source-path=SCRIPTDIR source=kernel-problems.sh
. "$(dirname "$0")/kernel-problems.sh"

hits=0
for f in "$@"; do
	[ -f "$f" ] || continue
	# -a: a console log can hold stray binary bytes; tr drops the CRs.
	if tr -d '\r' <"$f" | grep -a -n -E "$KERNEL_PROBLEMS" | sed "s|^|$f:|"; then
		hits=1
	fi
done
exit $hits
