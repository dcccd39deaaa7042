#!/usr/bin/env bats
# dibs_ivshmem suite: the guest driver for QEMU's ivshmem-doorbell device.
#
# Runs inside the test VM (tests/vm/) with DIBS_VM_IVSHMEM=1 (run.sh's
# default when this suite is on its list): the guest then has an
# ivshmem-doorbell device on a dibs-ivshmem-server of fabric 0xff42 (4 MiB,
# up to 4 peers, 2 vectors; this guest is the only peer) and two
# ivshmem-plain devices, on a region whose magic is "NOPE" and on one of
# layout version 1. Without them every test skips. Every test ends with no dibs module loaded.
#
# What dibs_ivshmem promises (kernel/dibs_ivshmem.c, uapi/ivshmem-layout.md):
#   - one dibs device "ivshmemN" of type "ivshmem" per ivshmem device whose
#     region has a valid version 2 header, on the header's fabric;
#   - a region with a bad header gets one log line naming the field and no
#     device; one of another layout version one line naming both versions;
#   - a DMB lives in the device's own partition; its token carries the
#     peer id (bits 63..48) and the slot (bits 31..16); a write with a
#     signal lands and raises the signal at the owner (here: itself);
#   - a software event to a gid that is up (here: its own) arrives as a sw
#     event with the sender's gid, in order, also past the mailbox's 16
#     slots; an unknown gid is unreachable;
#   - a DMB mapped into a process (/dev/dibs, tests/tools/dibs-mmap) pins
#     the driver; if the PCI device is unbound under the mapping (one as
#     the owner, one as the writer), one log line says so, the mappings'
#     pages are gone (a load or store raises SIGBUS, also once the
#     device is bound again), a mapping prepared
#     (DIBS_IOC_DMB_MAP) but not yet made fails its mmap() with ENODEV,
#     munmap() still works and then the driver unloads; the removal
#     released the buffer: the device bound again hands its slot out,
#     before the unmap and after it (uapi/README.md);
#   - maps, stores and unmaps in a loop (owner and writer) racing the
#     unbind end with ENODEV, and the slot is free in the next life.
#
# For CI time, the tests of probe and lifetimes run on every kernel
# (EVERY_KERNEL_TESTS: the header checks, a DMB held across revoke and
# detach, removal and unload under a mapping) and the rest, the data path
# and the mailbox, which use no kernel interface the others do not, on the
# newest Debian kernel only. On the debug kernel (KASAN, lockdep, kmemleak)
# a test costs ~45 s there, most of it loading and unloading the modules;
# it also runs the race of maps and unmaps against the removal
# (DEBUG_TOO_TESTS), where KASAN and lockdep are what sees a mistake.

load lib/dibs
load lib/expect
load lib/monitor

MM=$DIBS_REPO/tests/tools/dibs-mmap

IVS_FABRIC=0xff42
IVS_MODULES=(dibs_ivshmem dibs_loopback dibs)
UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
# the tests that run on every kernel, by their names (see above)
EVERY_KERNEL_TESTS='bad magic|an attached DMB|a mapped DMB pins'
# and those that run on the debug kernel as well as on the newest
DEBUG_TOO_TESTS='racing the removal'

# Once for the file: bats runs the file's top level again for each test.
setup_file() {
	export ON_NEWEST=0
	if dibs_on_newest_kernel; then
		ON_NEWEST=1
	fi
}

# ivs_pci_count: how many ivshmem PCI devices (1af4:1110) the guest has.
ivs_pci_count() {
	local d n=0 v i
	for d in /sys/bus/pci/devices/*; do
		{ read -r v <"$d/vendor" && read -r i <"$d/device"; } || continue
		[ "$v:$i" = 0x1af4:0x1110 ] && n=$((n + 1))
	done
	echo "$n"
}

# grants_reach_slot GID SLOT WHEN: DMBs granted on ivshmem0 to GID until
# one takes slot SLOT, then all revoked. The driver hands out the lowest
# free slot, so a free SLOT is taken by one of the first SLOT+1 grants.
grants_reach_slot() {
	local out tok toks=() i rc=1
	for ((i = 0; i <= $2; i++)); do
		out=$(dc dmb grant dev ivshmem0 remote-gid "$1" size 8192) || break
		tok=${out#token }
		toks+=("$tok")
		if [ $((tok >> 16 & 0xffff)) = "$2" ]; then
			rc=0
			break
		fi
	done
	for tok in "${toks[@]}"; do
		dc dmb revoke dev ivshmem0 token "$tok" || rc=1
	done
	[ $rc = 0 ] || echo "slot $2 not handed out $3 (${#toks[@]} grants)" >&2
	return $rc
}

# grant_to_self: a DMB of 8 KiB on ivshmem0 granted to its own gid, for
# dibs-mmap in both roles; sets gid, pci (the PCI device), tok and slot
# (the token's slot) in the caller's locals
grant_to_self() {
	local out
	[ -x "$MM" ] || { echo "tests/tools/dibs-mmap not built" >&2; false; }
	read -r gid </sys/class/dibs/ivshmem0/gid
	pci=$(basename "$(readlink -f /sys/class/dibs/ivshmem0/device)")
	out=$(dc dmb grant dev ivshmem0 remote-gid "$gid" size 8192)
	tok=${out#token }
	slot=$((tok >> 16 & 0xffff))
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	[ "$(ivs_pci_count)" = 3 ] ||
		skip "no ivshmem devices (run.sh with DIBS_VM_IVSHMEM=1)"
	# before anything is loaded or marked: the last test's teardown left
	# no module, and this one's has nothing to check
	if [ "$ON_NEWEST" = 0 ] && ! [[ $BATS_TEST_DESCRIPTION =~ $EVERY_KERNEL_TESTS ]] &&
	   ! { [[ $BATS_TEST_DESCRIPTION =~ $DEBUG_TOO_TESTS ]] && dibs_on_debug_kernel; }; then
		IVS_SKIPPED=1
		skip "runs on the newest Debian kernel only (CI time; see the suite's head)"
	fi
	unload_dibs
	dibs_mark
	MON_PIDS=()
	HOLD_PID=''
	PREP_PID=''
	WR_PID=''
	nap_init
	load_dibs
	dibs_insmod dibs_ivshmem
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] && [ -z "${IVS_SKIPPED:-}" ] || return 0
	local rc=0
	exec 4>&- 5>&- 6>&-	# the touchers' and preparer's input, if left open
	local pid
	for pid in $HOLD_PID $PREP_PID $WR_PID; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	mon_stop || rc=1
	dibs_unload_and_check "${IVS_MODULES[@]}" || rc=1
	return $rc
}

@test "ivshmem: a device on the server's fabric; bad magic and old version refused" {
	local out log
	out=$(dc dev show)
	expect_eq "ivshmem devices" "$(grep -c ': type ivshmem ' <<<"$out")" 1
	grep -Eq "^[0-9]+: ivshmem0: type ivshmem fabric $IVS_FABRIC gid $UUID_RE state up dmb-count 0 max-dmbs [0-9]+$" <<<"$out" ||
		{ echo "no ivshmem0 line in: $out" >&2; false; }
	expect_eq "sysfs type" "$(dibs_dev_attr ivshmem0 type)" ivshmem
	# The parent is the PCI device.
	[ -e /sys/class/dibs/ivshmem0/device/vendor ]

	log=$(dibs_dmesg_since_mark)
	expect_eq "refusals" "$(grep -Ec ' ivshmem [0-9a-f:.]+: region refused: header field magic invalid$' <<<"$log")" 1
	expect_eq "old version" "$(grep -Ec ' ivshmem [0-9a-f:.]+: region refused: layout version 1, this driver speaks version 2 only$' <<<"$log")" 1
	expect_eq "refusal lines" "$(grep -c 'region refused' <<<"$log")" 2
	# One line: the driver core adds none for -ENODEV.
	expect_eq "probe failures" "$(grep -c 'probe with driver ivshmem failed' <<<"$log")" 0
	grep -Eq "ivshmem0: fabric $IVS_FABRIC, peer 0 of 4, generation [0-9]+, gid $UUID_RE$" <<<"$log" ||
		{ echo "no probe line in: $log" >&2; false; }

	# Unbinding removes the device again.
	rmmod dibs_ivshmem
	[ ! -e /sys/class/dibs/ivshmem0 ]
}

@test "ivshmem: a DMB of the device's own, written with a signal, read back" {
	local gid tok i sba out other
	read -r gid </sys/class/dibs/ivshmem0/gid
	mon_start signal

	out=$(dc dmb grant dev ivshmem0 remote-gid "$gid" size 8192)
	tok=${out#token }
	# Peer 0, slot 0 (the first DMB of a fresh partition).
	[[ $tok =~ ^0x0000[0-9a-f]{4}0000[0-9a-f]{4}$ ]] ||
		{ echo "token '$tok'" >&2; false; }
	sba=0
	dc dmb write dev ivshmem0 token "$tok" offset 5000 data hello signal 3
	expect_eq "read back" "$(dc dmb read dev ivshmem0 token "$tok" offset 5000 length 5 file -)" hello
	# The signal went through the doorbell, QEMU's eventfd and MSI-X
	# vector 0 back to this guest's handler.
	wait_for "$MON" "^\[signal\] dev ivshmem0 token $tok sba $sba mask 0x0008$"

	# Out of bounds and unknown tokens are refused as on the soft devices
	# (tests/dibsctl.bats, tests/sim.bats), nothing written.
	fails_with 1 "offset and length do not fit in the DMB" \
		dc dmb write dev ivshmem0 token "$tok" offset 8190 data xyz
	other=0x$(printf '%016x' $((tok + 1)))
	fails_with 1 "no DMB with token $other on the fabric of dibs device \"ivshmem0\"" \
		dc dmb write dev ivshmem0 token "$other" data x
	expect_eq "after refusals" "$(dc dmb read dev ivshmem0 token "$tok" offset 8187 length 5 file - | od -An -tx1 | tr -d ' ')" 0000000000
	dc dmb revoke dev ivshmem0 token "$tok"
	fails_with 1 "no DMB with token $tok on the fabric of dibs device \"ivshmem0\"" \
		dc dmb write dev ivshmem0 token "$tok" data late

	# A second DMB reuses slot 0 with a new use count: another token.
	out=$(dc dmb grant dev ivshmem0 remote-gid "$gid" size 100)
	[ "${out#token }" != "$tok" ]
	i=$(( ${out#token } >> 16 & 0xffff ))
	expect_eq "slot" "$i" 0
}

@test "ivshmem: software events to its own gid, in order, past the mailbox's size" {
	local gid nobody i z=0x0000000000000000 codes
	read -r gid </sys/class/dibs/ivshmem0/gid
	read -r nobody </proc/sys/kernel/random/uuid
	mon_start event

	dc dev event ivshmem0 remote-gid "$gid" subtype 0xc0de data 0x1122334455667788
	wait_for "$MON" "^\[event\] dev ivshmem0 type sw subtype 49374 gid $gid token $z time [0-9]+ data 0x1122334455667788$"

	# 20 more, one after another: the mailbox (16 slots) wraps. A send
	# that finds it full (the receiver's work not yet run) is tried again.
	for ((i = 1; i <= 20; i++)); do
		until dc dev event ivshmem0 remote-gid "$gid" subtype "$i" 2>"$BATS_TEST_TMPDIR/ev.err"; do
			grep -q 'too many events waiting' "$BATS_TEST_TMPDIR/ev.err" ||
				{ cat "$BATS_TEST_TMPDIR/ev.err" >&2; return 1; }
			nap 0.1
		done
	done
	wait_for "$MON" "^\[event\] dev ivshmem0 type sw subtype 20 "
	codes=$(sed -n 's/^\[event\] dev ivshmem0 type sw subtype \([0-9]*\) .*/\1/p' "$MON" | tr '\n' ' ')
	expect_eq "codes in order" "$codes" "49374 $(seq -s ' ' 1 20) "

	fails_with 1 "remote-gid $nobody is not reachable through dev \"ivshmem0\"" \
		dc dev event ivshmem0 remote-gid "$nobody" subtype 1
}

# tc_refused TEXT CMD...: the command fails, its error message has TEXT.
tc_refused() {
	local want=$1
	shift
	if tc "$@" 2>"$BATS_TEST_TMPDIR/tc.err"; then
		echo "'$*' succeeded" >&2
		return 1
	fi
	grep -q "$want" "$BATS_TEST_TMPDIR/tc.err" ||
		{ echo "'$*': $(cat "$BATS_TEST_TMPDIR/tc.err"), expected $want" >&2; return 1; }
}

@test "ivshmem: an attached DMB: stores land, a revoked one stays held until detached" {
	local tok idx idx2
	load_test_client
	IVS_MODULES=(dibs_test_client "${IVS_MODULES[@]}")
	tc reg ivshmem0 8192
	read -r tok idx <"$TC/result"
	expect_eq "first slot" "$idx" 0
	tc attach ivshmem0 "$tok"
	expect_eq "attached" "$(cat "$TC/result")" "$tok 8192 0"
	# A store through the attachment is what the owner reads; a
	# move_data() is what the attachment shows: one buffer.
	tc mwrite "$tok" 10 mapped
	tc read "$tok" 10 6
	expect_eq "owner reads" "$(cat "$TC/result")" "$(hex mapped)"
	tc write ivshmem0 "$tok" 20 moved
	tc mread "$tok" 20 5
	expect_eq "attachment reads" "$(cat "$TC/result")" "$(hex moved)"
	# A token of another use of the slot never attaches.
	tc_refused 'No such file' attach ivshmem0 "0x$(printf '%016x' $((tok + 1)))"

	# Revoked while attached: gone for the fabric, the buffer held.
	tc unreg ivshmem0 "$tok"
	tc_refused 'No such file' attach ivshmem0 "$tok"
	tc_refused 'No such file' write ivshmem0 "$tok" 0 late
	tc mwrite "$tok" 0 still
	tc mread "$tok" 0 5
	expect_eq "held buffer" "$(cat "$TC/result")" "$(hex still)"
	tc reg ivshmem0 8192
	read -r _ idx2 <"$TC/result"
	expect_eq "slot while held" "$idx2" 1
	# Detached: the slot and buffer come back, zeroed.
	tc detach ivshmem0 "$tok"
	tc_refused 'No such file' detach ivshmem0 "$tok"
	tc reg ivshmem0 8192
	read -r tok idx <"$TC/result"
	expect_eq "slot after detach" "$idx" 0
	tc read "$tok" 0 5
	expect_eq "zeroed" "$(cat "$TC/result")" 0000000000
}

@test "ivshmem: a full mailbox refuses an event with ENOBUFS, loses none sent" {
	local gid irq sent err codes
	load_test_client
	IVS_MODULES=(dibs_test_client "${IVS_MODULES[@]}")
	read -r gid </sys/class/dibs/ivshmem0/gid
	mon_start event
	# The receiver drains its mailbox from a work item queued on the CPU
	# that takes its vector 0. Make that CPU 0 and send from CPU 0 with
	# preemption off (the test client's burst): nothing drains before the
	# burst ends, so the 17th event finds the 16 slots full.
	irq=$(awk -F: '/dibs_ivshmem-signal/ { gsub(/ /, "", $1); print $1; exit }' /proc/interrupts)
	[ -n "$irq" ]
	echo 1 >"/proc/irq/$irq/smp_affinity"
	taskset -c 0 bash -c "printf 'events ivshmem0 %s 20\n' '$gid' >'$TC/ctl'"
	read -r sent err <"$TC/result"
	expect_eq "sent, then" "$sent $err" "16 -105"

	# The 16 arrive in order, and only they; then the mailbox takes more.
	wait_for "$MON" "^\[event\] dev ivshmem0 type sw subtype 16 "
	dc dev event ivshmem0 remote-gid "$gid" subtype 99
	wait_for "$MON" "^\[event\] dev ivshmem0 type sw subtype 99 "
	codes=$(sed -n 's/^\[event\] dev ivshmem0 type sw subtype \([0-9]*\) .*/\1/p' "$MON" | tr '\n' ' ')
	expect_eq "codes in order" "$codes" "$(seq -s ' ' 1 16) 99 "
}

@test "ivshmem: a mapped DMB pins the driver; unbound under it, SIGBUS, its slot released" {
	local gid tok slot pci
	grant_to_self
	# The toucher loads and stores once per line on fd 4; it unmaps at
	# the end of its input. Started first: it must not inherit fd 4.
	mkfifo "$BATS_TEST_TMPDIR/go"
	"$MM" touch ivshmem0 "$tok" <"$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/hold" 3>&- &
	HOLD_PID=$!
	exec 4>"$BATS_TEST_TMPDIR/go"
	wait_for "$BATS_TEST_TMPDIR/hold" '^mapped$'
	# A second mapping of it only prepared (DIBS_IOC_DMB_MAP), its mmap()
	# at a line on fd 5: after the removal.
	mkfifo "$BATS_TEST_TMPDIR/go5"
	"$MM" prepare ivshmem0 "$tok" <"$BATS_TEST_TMPDIR/go5" >"$BATS_TEST_TMPDIR/prep" 3>&- 4>&- &
	PREP_PID=$!
	exec 5>"$BATS_TEST_TMPDIR/go5"
	wait_for "$BATS_TEST_TMPDIR/prep" '^prepared$'
	# And one in the writer's role (the DMB is granted to our own gid):
	# its toucher reads fd 6.
	mkfifo "$BATS_TEST_TMPDIR/go6"
	"$MM" touch ivshmem0 "$tok" remote <"$BATS_TEST_TMPDIR/go6" >"$BATS_TEST_TMPDIR/wr" 3>&- 4>&- 5>&- &
	WR_PID=$!
	exec 6>"$BATS_TEST_TMPDIR/go6"
	wait_for "$BATS_TEST_TMPDIR/wr" '^mapped$'
	touched hold 4 1 "read ok, write ok"
	touched wr 6 1 "read ok, write ok"
	if rmmod dibs_ivshmem 2>/dev/null; then
		echo "dibs_ivshmem unloaded under a mapping" >&2
		false
	fi
	echo "$pci" >/sys/bus/pci/drivers/ivshmem/unbind
	[ ! -e /sys/class/dibs/ivshmem0 ]
	expect_eq "removal line" "$(dibs_dmesg_since_mark | grep -Ec " ivshmem $pci: 3 DMBs still mapped by userspace at removal: their pages are gone, their buffers released$")" 1
	# The prepared one is not made any more: ENODEV, and its file closes.
	echo >&5
	exec 5>&-
	wait "$PREP_PID" ||
		{ echo "preparer exited $?: $(cat "$BATS_TEST_TMPDIR/prep")" >&2; false; }
	PREP_PID=''
	expect_eq "mmap of a mapping prepared before the removal" "$(tail -n 1 "$BATS_TEST_TMPDIR/prep")" "mmap: ENODEV"
	# The BAR's pages are gone from both processes.
	touched hold 4 2 "read SIGBUS, write SIGBUS"
	touched wr 6 2 "read SIGBUS, write SIGBUS"
	echo "$pci" >/sys/bus/pci/drivers/ivshmem/bind
	[ -e /sys/class/dibs/ivshmem0 ]
	# The same BAR in the device's next life: still not the old mapping's.
	touched hold 4 3 "read SIGBUS, write SIGBUS"
	read -r gid </sys/class/dibs/ivshmem0/gid
	# The removal let go of the old mapping's hold, before its unmap: the
	# slot is free in the device's next life.
	grants_reach_slot "$gid" "$slot" "after the rebind"
	# Their input ends: the touchers unmap and exit 0.
	exec 4>&- 6>&-
	wait "$HOLD_PID" ||
		{ echo "toucher exited $?: $(cat "$BATS_TEST_TMPDIR/hold")" >&2; false; }
	HOLD_PID=''
	wait "$WR_PID" ||
		{ echo "writer's toucher exited $?: $(cat "$BATS_TEST_TMPDIR/wr")" >&2; false; }
	WR_PID=''
	expect_eq "toucher's end" "$(tail -n 1 "$BATS_TEST_TMPDIR/hold")" unmapped
	expect_eq "writer's toucher's end" "$(tail -n 1 "$BATS_TEST_TMPDIR/wr")" unmapped
	# The unmaps let go of nothing a second time: a count below 0 would
	# hold the slot once its next DMB is revoked.
	grants_reach_slot "$gid" "$slot" "after the unmap"
	# Nothing pins the driver any more.
	rmmod dibs_ivshmem
}

@test "ivshmem: maps and unmaps racing the removal leave its slot free" {
	local gid tok slot pci f n
	grant_to_self
	# Two processes map, store and unmap in a loop, one as the owner and
	# one in the writer's role, while the device is unbound under them:
	# a mapping's hold is dropped by its unmap or by the removal, never
	# by both and never by neither.
	"$MM" churn ivshmem0 "$tok" >"$BATS_TEST_TMPDIR/own" 3>&- &
	HOLD_PID=$!
	"$MM" churn ivshmem0 "$tok" remote >"$BATS_TEST_TMPDIR/wr" 3>&- &
	WR_PID=$!
	# Both churning (a busy debug kernel took over a second to start one),
	# then a second more of it.
	wait_for "$BATS_TEST_TMPDIR/own" '^mapped$'
	wait_for "$BATS_TEST_TMPDIR/wr" '^mapped$'
	nap 1
	echo "$pci" >/sys/bus/pci/drivers/ivshmem/unbind
	# A map that comes after the removal took the DMB but before the
	# device went finds no such DMB (ENOENT, as a write would); one after
	# finds no device (ENODEV). The debug kernel has seen both.
	for f in own wr; do
		wait_for "$BATS_TEST_TMPDIR/$f" '^churn: '
		grep -Eq '^churn: [1-9][0-9]* maps, [0-9]+ SIGBUS, then map: (ENODEV|ENOENT)$' \
			"$BATS_TEST_TMPDIR/$f" ||
			{ echo "$f: $(cat "$BATS_TEST_TMPDIR/$f")" >&2; false; }
	done
	wait "$HOLD_PID" "$WR_PID"
	HOLD_PID='' WR_PID=''
	n=$(dibs_dmesg_since_mark | grep -Ec " ivshmem $pci: [0-9]+ DMBs still mapped by userspace at removal: their pages are gone, their buffers released$") || true
	# which of the two let go of the holds depends on the interleaving
	echo "# owner's $(tail -n 1 "$BATS_TEST_TMPDIR/own"); writer's $(tail -n 1 "$BATS_TEST_TMPDIR/wr"); removal lines naming mappings: $n" >&3
	echo "$pci" >/sys/bus/pci/drivers/ivshmem/bind
	[ -e /sys/class/dibs/ivshmem0 ]
	read -r gid </sys/class/dibs/ivshmem0/gid
	grants_reach_slot "$gid" "$slot" "after maps raced the removal"
	rmmod dibs_ivshmem
}
