# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Two guests on one dibs fabric (tests/vm/run-pair.sh): the guest's role
# and the shared directory through which the two coordinate, never through
# the fabric. Used by tests/ivshmem-pair.bats and bench/ivshmem-pair.bats.
#
#   pair_role      A, B or B2 (B's next life, booted once B's QEMU is
#                  killed) from the kernel command line, "" outside a pair
#   pair_mount     sets ROLE and PEER (B for A; A for B and B2), mounts the
#                  shared directory (9p tag "pair") on PAIR_DIR; nothing
#                  outside a pair's guest
#   put NAME VALUE publish VALUE under NAME for the other guest
#   get NAME       the other guest's value of NAME, once it is there
#                  (PEER=B2 get NAME: B2's, from A)
#   my_gid         this guest's ivshmem0 gid

PAIR_DIR=/run/dibs-pair

pair_role() {
	local w
	for w in $(</proc/cmdline); do
		case $w in dibs_pair_role=A | dibs_pair_role=B | dibs_pair_role=B2)
			echo "${w#*=}" ;;
		esac
	done
}

pair_mount() {
	ROLE=$(pair_role)
	export ROLE
	[ -n "$ROLE" ] && [ -n "${DIBS_IN_VM:-}" ] || return 0
	if [ "$ROLE" = A ]; then PEER=B; else PEER=A; fi
	export PEER
	mkdir -p "$PAIR_DIR"
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 pair "$PAIR_DIR"
}

# put NAME VALUE: atomic (written aside, then renamed).
put() {
	printf '%s\n' "$2" >"$PAIR_DIR/$1.$ROLE.tmp" &&
		mv "$PAIR_DIR/$1.$ROLE.tmp" "$PAIR_DIR/$1.$ROLE"
}

# get NAME: waits 120 s at most (PAIR_WAIT); fails at once when the other
# guest published "abort" (it failed a step). Needs nap_init.
get() {
	local f=$PAIR_DIR/$1.$PEER end=$((SECONDS + ${PAIR_WAIT:-120}))
	while [ ! -f "$f" ]; do
		if [ -f "$PAIR_DIR/abort.$PEER" ]; then
			echo "get $1: guest $PEER failed a step" >&2
			return 1
		fi
		if ((SECONDS >= end)); then
			echo "get $1: guest $PEER did not publish it in ${PAIR_WAIT:-120} s" >&2
			return 1
		fi
		nap 0.2
	done
	cat "$f"
}

my_gid() {
	cat /sys/class/dibs/ivshmem0/gid
}
