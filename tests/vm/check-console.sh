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

# What counts as a kernel problem, and why:
#   Oops, general protection    faults in kernel code
#   BUG:, kernel BUG at         BUG()/BUG_ON() and the sanitizer/lockdep reports
#                               (6.1 prints BUG_ON as "invalid opcode", no Oops)
#   WARNING:                    WARN_ON(), lockdep splats, list corruption
#   KASAN, UBSAN:               sanitizer reports on debug kernels
#   refcount_t:                 refcount over/underflow (use after free)
#   Kernel panic                panics (qemu exits without a status then, too)
#   suspected memory leak       kmemleak on debug kernels
#   ODEBUG:, circular locking   debug-objects and lockdep reports (they come
#                               with WARNING: too; matched in case a kernel
#                               prints them alone)
#   INFO: task ... blocked      the hung-task detector: a deadlock
patterns='Oops|general protection|BUG:|kernel BUG at|WARNING:|KASAN|UBSAN:|refcount_t:|Kernel panic|suspected memory leak'
patterns+='|ODEBUG:|circular locking|INFO: task .* blocked'

hits=0
for f in "$@"; do
	[ -f "$f" ] || continue
	# -a: a console log can hold stray binary bytes; tr drops the CRs.
	if tr -d '\r' <"$f" | grep -a -n -E "$patterns" | sed "s|^|$f:|"; then
		hits=1
	fi
done
exit $hits
