# shellcheck shell=bash
# What counts as a kernel problem in a kernel log: one extended regular
# expression, KERNEL_PROBLEMS, for check-console.sh (the VM's console log
# and dmesg, after the run) and lib/dibs's dibs_no_kernel_problems (after
# each test). Sourced, so that a per-test check starts no process for it.
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
# Plain words and ".*" only: grep -E and awk (mawk) read it alike.
# shellcheck disable=SC2034 # used by the files that source this one
KERNEL_PROBLEMS='Oops|general protection|BUG:|kernel BUG at|WARNING:|KASAN|UBSAN:|refcount_t:|Kernel panic|suspected memory leak'
KERNEL_PROBLEMS+='|ODEBUG:|circular locking|INFO: task .* blocked'
