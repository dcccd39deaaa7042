#!/usr/bin/env bats
# Foundation suite: the dibs core, the loopback driver and the in-kernel
# client API, driven through tests/kmod/dibs_test_client.ko (a client that
# uses the API the way SMC-D does, commanded through debugfs).
#
# Runs inside the test VM (tests/vm/), as root, with the modules built under
# $DIBS_BUILD (kernel/ and kmod/). Every test starts and ends with no dibs
# module loaded; teardown fails the test if an unload fails or the kernel
# logged a problem.
#
# The client's debugfs files (see tests/kmod/dibs_test_client.c):
#   ctl      one command per write; the write fails with the command's errno
#   result   output of the last successful command
#   devices  "add NAME" / "del NAME", in order
#   dmbs     "TOKEN DEV LEN IDX RGID" per DMB the client holds
#   attached "TOKEN DEV LEN IDX" per mapped remote DMB
#   irqs     "COUNT LAST_IDX LAST_MASK LAST_DEV"
#   status   "registered 0|1", "id N", "dev NAME gid GID fabric 0xFFFF mapped 0|1"
#
# Under TCG every fork+exec costs, so the helpers read files with bash
# builtins; external tools are used only where they do real work.

load lib/dibs

UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
# What this suite loads, clients first; none may stay loaded after a test.
FD_MODULES=(dibs_test_client dibs_loopback dibs)

# strerror() texts, as bash prints them for a failed write.
declare -gA FD_ERRMSG=(
	[EINVAL]='Invalid argument'
	[ENOENT]='No such file or directory'
	[ENOSPC]='No space left on device'
	[EBUSY]='Device or resource busy'
	[EACCES]='Permission denied'
	[ENODEV]='No such device'
	[EALREADY]='Operation already in progress'
	[ENETUNREACH]='Network is unreachable'
)

# ---- helpers (a bare "! cmd" does not fail a bats test; these do) ----------

# fd_load MODULE...: load each from the build tree, in the order given.
fd_load() {
	local m
	for m in "$@"; do
		dibs_insmod "$m" || return 1
	done
}

# fd_get FILE: the whole file in REPLY, without its last newline.
fd_get() {
	REPLY=
	IFS= read -r -d '' REPLY <"$1" || true
	REPLY=${REPLY%$'\n'}
}

# fd_is FILE WANT: the file holds exactly WANT (plus a final newline).
fd_is() {
	fd_get "$1"
	[ "$REPLY" = "$2" ] && return 0
	printf '%s:\n  got  "%s"\n  want "%s"\n' "$1" "$REPLY" "$2" >&2
	return 1
}

# fd_has_line FILE LINE: some line of FILE is exactly LINE.
fd_has_line() {
	local l
	while IFS= read -r l; do
		[ "$l" = "$2" ] && return 0
	done <"$1"
	fd_get "$1"
	printf '%s has no line "%s":\n%s\n' "$1" "$2" "$REPLY" >&2
	return 1
}

# fd_no_line REGEX FILE: no line of FILE matches REGEX.
fd_no_line() {
	local l
	while IFS= read -r l; do
		if [[ $l =~ $1 ]]; then
			printf '%s: unexpected line "%s"\n' "$2" "$l" >&2
			return 1
		fi
	done <"$2"
}

# fd_lines_are FILE N: FILE has N lines.
fd_lines_are() {
	local -a lines
	mapfile -t lines <"$1"
	[ "${#lines[@]}" -eq "$2" ] && return 0
	echo "$1: ${#lines[@]} lines, want $2" >&2
	return 1
}

# fd_class_is NAME...: /sys/class/dibs holds exactly these devices.
fd_class_is() {
	local -a have=()
	local d
	for d in /sys/class/dibs/*; do
		[ -e "$d" ] && have+=("${d##*/}")
	done
	[ "${have[*]}" = "$*" ] && return 0
	echo "/sys/class/dibs: '${have[*]}', want '$*'" >&2
	return 1
}

# fd_uuid: a fresh random uuid in REPLY.
fd_uuid() {
	read -r REPLY </proc/sys/kernel/random/uuid
}

# fd_hex STRING: its bytes as lower-case hex in HEX.
fd_hex() {
	local s=$1 c i
	HEX=
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%02x' "'${s:i:1}"
		HEX+=$c
	done
}

# tc_fails ERRNO CMD...: the command must fail with exactly that errno.
tc_fails() {
	local want=$1 msg err
	shift
	msg=${FD_ERRMSG[$want]:?"tc_fails: add $want to FD_ERRMSG"}
	# Without the file, the shell's own ENOENT would look like an answer.
	[ -e "$TC/ctl" ] || { echo "no $TC/ctl" >&2; return 1; }
	err=$BATS_TEST_TMPDIR/tc.err
	if tc "$@" 2>"$err"; then
		echo "'$*' succeeded, expected $want" >&2
		return 1
	fi
	fd_get "$err"
	[[ $REPLY == *"$msg"* ]] && return 0
	echo "'$*' failed with '$REPLY', expected $want ($msg)" >&2
	return 1
}

# tc_reg DEV LEN [RGID]: register a DMB; sets TOK and IDX.
tc_reg() {
	tc reg "$@" || return 1
	read -r TOK IDX <"$TC/result"
	[[ $TOK =~ ^0x[0-9a-f]{16}$ ]] || { echo "bad token '$TOK'" >&2; return 1; }
	[[ $IDX =~ ^[0-9]+$ ]] || { echo "bad idx '$IDX'" >&2; return 1; }
}

# tc_expect_read TOKEN OFFSET STRING: the DMB holds STRING at OFFSET.
tc_expect_read() {
	fd_hex "$3"
	tc read "$1" "$2" "${#3}" || return 1
	fd_is "$TC/result" "$HEX"
}

# tc_expect_mread TOKEN OFFSET STRING: the same, seen through a mapping.
tc_expect_mread() {
	fd_hex "$3"
	tc mread "$1" "$2" "${#3}" || return 1
	fd_is "$TC/result" "$HEX"
}

# tc_expect_zero TOKEN OFFSET LEN: the DMB holds zero bytes there (read in
# pieces: the client reads at most 2048 bytes at a time).
tc_expect_zero() {
	local off=$2 end=$(($2 + $3)) n want
	while [ "$off" -lt "$end" ]; do
		n=$((end - off > 2048 ? 2048 : end - off))
		printf -v want '%*s' $((n * 2)) ''
		tc read "$1" "$off" "$n" || return 1
		fd_is "$TC/result" "${want// /0}" || return 1
		off=$((off + n))
	done
}

# irq_read: the client's interrupt record in IRQ_COUNT, IRQ_IDX, IRQ_MASK.
# shellcheck disable=SC2034 # IRQ_IDX is for tests that want it
irq_read() {
	read -r IRQ_COUNT IRQ_IDX IRQ_MASK _ <"$TC/irqs"
}

# fd_no_dmesg TEXT: the kernel said nothing containing TEXT in this test.
fd_no_dmesg() {
	local hits
	hits=$(dibs_dmesg_since_mark | grep -F -- "$1") || true
	[ -z "$hits" ] || { echo "kernel log: $hits" >&2; return 1; }
}

# ---- setup -----------------------------------------------------------------

setup_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local m
	for m in "${FD_MODULES[@]}"; do
		dibs_ko "$m" >/dev/null || return 1
	done
	# A previous suite may have left modules behind: start from nothing.
	unload_dibs
}

setup() {
	dibs_require_vm
	grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
		mount -t debugfs none /sys/kernel/debug
	unload_dibs
	dibs_mark
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	dibs_unload_and_check "${FD_MODULES[@]}"
}

# ---- module life cycle -----------------------------------------------------

@test "foundation: core and loopback load, unload and load again" {
	local _
	for _ in 1 2 3; do
		fd_load dibs
		[ -d /sys/class/dibs ]
		fd_class_is
		fd_load dibs_loopback
		fd_class_is lo
		fd_load dibs_test_client
		fd_has_line "$TC/status" 'registered 1'
		rmmod dibs_test_client
		[ ! -e "$TC" ]
		rmmod dibs_loopback
		fd_class_is
		rmmod dibs
		[ ! -e /sys/class/dibs ]
	done
	# The core cannot go while a driver uses it.
	fd_load dibs dibs_loopback
	run rmmod dibs
	[ "$status" -ne 0 ]
	dibs_loaded dibs
	fd_class_is lo
}

@test "foundation: lo has a gid, fabric 0xffff and a uevent udev can match" {
	local gid
	fd_load dibs dibs_loopback
	fd_class_is lo
	fd_get /sys/class/dibs/lo/gid
	gid=$REPLY
	[[ $gid =~ $UUID_RE ]]
	[ "$gid" != 00000000-0000-0000-0000-000000000000 ]
	fd_is /sys/class/dibs/lo/fabric_id 0xffff
	fd_is /sys/class/dibs/lo/type loopback

	fd_has_line /sys/class/dibs/lo/uevent "DIBS_GID=$gid"
	fd_has_line /sys/class/dibs/lo/uevent DIBS_FABRIC_ID=0xffff
	fd_has_line /sys/class/dibs/lo/uevent DIBS_TYPE=loopback

	# The client sees the same device through the in-kernel API.
	fd_load dibs_test_client
	fd_has_line "$TC/status" "dev lo gid $gid fabric 0xffff mapped 1"
	tc query lo "$gid"
	fd_uuid
	tc_fails ENETUNREACH query lo "$REPLY"

	# A new lo gets a new random gid.
	rmmod dibs_test_client dibs_loopback
	fd_load dibs_loopback
	fd_get /sys/class/dibs/lo/gid
	[[ $REPLY =~ $UUID_RE ]]
	[ "$REPLY" != "$gid" ]
}

# ---- add_dev / del_dev -----------------------------------------------------

@test "foundation: the client gets add_dev for a device that exists" {
	fd_load dibs dibs_loopback dibs_test_client
	fd_is "$TC/devices" "add lo"
	fd_lines_are "$TC/status" 3
	fd_has_line "$TC/status" 'registered 1'
	fd_no_line '^dev [^l]' "$TC/status"
}

@test "foundation: the client gets add_dev for a later device, del_dev when it goes" {
	fd_load dibs dibs_test_client
	fd_is "$TC/devices" ""
	fd_no_line '^dev ' "$TC/status"
	tc_fails ENODEV reg lo 4096

	fd_load dibs_loopback
	fd_is "$TC/devices" "add lo"
	fd_no_line '^dev [^l]' "$TC/status"
	fd_lines_are "$TC/status" 3

	rmmod dibs_loopback
	fd_is "$TC/devices" $'add lo\ndel lo'
	fd_no_line '^dev ' "$TC/status"
	tc_fails ENODEV reg lo 4096

	# And again: the device is offered anew.
	fd_load dibs_loopback
	fd_is "$TC/devices" $'add lo\ndel lo\nadd lo'
	tc_reg lo 4096
	tc unreg lo "$TOK"
}

# ---- the data path ---------------------------------------------------------

@test "foundation: DMB register, write, signal, read back, unregister" {
	local gid
	fd_load dibs dibs_loopback dibs_test_client
	fd_get /sys/class/dibs/lo/gid
	gid=$REPLY
	fd_is "$TC/irqs" "0 0 0x0000 -"

	tc_reg lo 4096
	[ "$IDX" -lt 5000 ]
	fd_is "$TC/dmbs" "$TOK lo 4096 $IDX $gid"
	# A new DMB is zeroed.
	tc_expect_zero "$TOK" 0 4096

	# A write without a signal lands and raises no interrupt.
	tc write lo "$TOK" 0 quiet
	tc_expect_read "$TOK" 0 quiet
	irq_read
	[ "$IRQ_COUNT" = 0 ]

	# With signal index 3: the owner's handle_irq gets the DMB's index
	# and bit 3 in the mask.
	tc write lo "$TOK" 100 hello 3
	tc_expect_read "$TOK" 100 hello
	tc reads "$TOK" 100 5
	fd_is "$TC/result" hello
	fd_is "$TC/irqs" "1 $IDX 0x0008 lo"

	tc write lo "$TOK" 4091 tail! 15
	tc_expect_read "$TOK" 4091 tail!
	fd_is "$TC/irqs" "2 $IDX 0x8000 lo"
	tc write lo "$TOK" 200 zero 0
	fd_is "$TC/irqs" "3 $IDX 0x0001 lo"

	# The mask is 16 bits wide: index 16 is refused, nothing is written.
	tc_fails EINVAL write lo "$TOK" 300 nope 16
	tc_expect_zero "$TOK" 300 4
	irq_read
	[ "$IRQ_COUNT" = 3 ]

	# The earlier bytes are all still there.
	tc_expect_read "$TOK" 0 quiet
	tc_expect_read "$TOK" 100 hello

	tc unreg lo "$TOK"
	fd_is "$TC/dmbs" ""
	# Gone for the client and for the fabric.
	tc_fails ENOENT unreg lo "$TOK"
	tc_fails ENOENT write lo "$TOK" 0 late 1
	irq_read
	[ "$IRQ_COUNT" = 3 ]
}

@test "foundation: signals reach the right DMB's index" {
	local tok1 idx1 tok2 idx2
	fd_load dibs dibs_loopback dibs_test_client
	tc_reg lo 64
	tok1=$TOK idx1=$IDX
	tc_reg lo 64
	tok2=$TOK idx2=$IDX
	[ "$tok1" != "$tok2" ]
	[ "$idx1" != "$idx2" ]

	tc write lo "$tok2" 0 two 7
	fd_is "$TC/irqs" "1 $idx2 0x0080 lo"
	tc write lo "$tok1" 0 one 2
	fd_is "$TC/irqs" "2 $idx1 0x0004 lo"
	tc_expect_read "$tok1" 0 one
	tc_expect_read "$tok2" 0 two
	tc unreg_all
	fd_is "$TC/result" "2 0"
}

@test "foundation: move_data out of bounds is refused" {
	fd_load dibs dibs_loopback dibs_test_client
	tc_reg lo 4096

	# The last bytes are fine.
	tc write lo "$TOK" 4093 abc
	tc_expect_read "$TOK" 4093 abc
	# One byte too far, at the end, past the end, and offsets whose sum
	# with the length wraps around 32 bits.
	tc_fails EINVAL write lo "$TOK" 4094 XYZ
	tc_fails EINVAL write lo "$TOK" 4096 X
	tc_fails EINVAL write lo "$TOK" 8192 X 1
	tc_fails EINVAL write lo "$TOK" 4294967295 XY
	tc_fails EINVAL write lo "$TOK" 4294967294 XYZ 2
	# Nothing of the refused writes landed, nor was signalled.
	tc_expect_read "$TOK" 4093 abc
	tc_expect_zero "$TOK" 0 4093
	irq_read
	[ "$IRQ_COUNT" = 0 ]
	tc unreg lo "$TOK"
}

@test "foundation: move_data to an unknown token is refused" {
	local tok
	fd_load dibs dibs_loopback dibs_test_client
	tc_fails ENOENT write lo 0x1 0 nobody
	tc_fails ENOENT write lo 0 0 nobody 1

	tc_reg lo 4096
	# A token next to a real one is still unknown.
	printf -v tok '0x%016x' $((TOK ^ 1))
	tc_fails ENOENT write lo "$tok" 0 nobody 1
	irq_read
	[ "$IRQ_COUNT" = 0 ]
	tc_expect_zero "$TOK" 0 4096

	# A DMB granted to another gid is known, but lo may not write it.
	fd_uuid
	tc_reg lo 4096 "$REPLY"
	fd_has_line "$TC/dmbs" "$TOK lo 4096 $IDX $REPLY"
	tc_fails EACCES write lo "$TOK" 0 intruder 1
	tc_expect_zero "$TOK" 0 8
	irq_read
	[ "$IRQ_COUNT" = 0 ]
	tc unreg_all
	fd_is "$TC/result" "2 0"
}

@test "foundation: DMB lengths the driver cannot give are refused" {
	fd_load dibs dibs_loopback dibs_test_client
	tc_fails EINVAL reg lo 0
	tc_fails EINVAL reg lo 0x800001
	# A DMB is one physically contiguous block: 4 MiB at most, not the
	# 8 MiB the netlink API allows.
	tc_fails EINVAL reg lo 0x800000
	tc_fails EINVAL reg lo 0x400001
	tc_reg lo 1
	tc write lo "$TOK" 0 x
	tc_fails EINVAL write lo "$TOK" 0 xy
	tc_reg lo 0x400000
	tc write lo "$TOK" 0x3ffffc last
	tc_expect_read "$TOK" 0x3ffffc last
	fd_lines_are "$TC/dmbs" 2
}

# ---- capacity and leaks ----------------------------------------------------

@test "foundation: the 5001st DMB is refused with ENOSPC and nothing leaks" {
	local high
	fd_load dibs dibs_loopback dibs_test_client

	tc fill lo 5001 16
	fd_is "$TC/result" "5000 -28"
	fd_lines_are "$TC/dmbs" 5000
	tc_fails ENOSPC reg lo 16

	# Tokens and indexes are unique; indexes within 0..4999; tokens look
	# random (about half have the top bit set, none is 0).
	# (one awk pass: it prints only the count of high tokens when all is
	# well, a line per problem otherwise)
	run awk '
		seen_tok[$1]++ { print "duplicate token " $1 }
		seen_idx[$4]++ { print "duplicate index " $4 }
		$4 >= 5000 { print "index out of range: " $0 }
		$1 == "0x0000000000000000" { print "token 0: " $0 }
		$1 ~ /^0x[89a-f]/ { high++ }
		END { print "high " high + 0 }' "$TC/dmbs"
	[ "$status" -eq 0 ]
	[[ $output =~ ^high\ ([0-9]+)$ ]]
	high=${BASH_REMATCH[1]}
	[ "$high" -gt 2000 ]
	[ "$high" -lt 3000 ]

	# Every DMB still works at full capacity.
	read -r TOK _ < <(tail -n 1 "$TC/dmbs")
	tc write lo "$TOK" 0 last 9
	tc_expect_read "$TOK" 0 last
	irq_read
	[ "$IRQ_MASK" = 0x0200 ]

	tc unreg_all
	fd_is "$TC/result" "5000 0"
	fd_is "$TC/dmbs" ""

	# All capacity is back.
	tc fill lo 5000 16
	fd_is "$TC/result" "5000 0"

	# Unloading the client with 5000 DMBs releases them all: a new
	# client finds the whole capacity free.
	rmmod dibs_test_client
	fd_load dibs_test_client
	fd_is "$TC/dmbs" ""
	tc fill lo 5001 16
	fd_is "$TC/result" "5000 -28"
	tc unreg_all
	fd_is "$TC/result" "5000 0"

	rmmod dibs_test_client
	rmmod dibs_loopback
	[ -d /sys/class/dibs ]
	fd_class_is
	rmmod dibs
	[ ! -e /sys/class/dibs ]
	# The client released everything itself: the core had nothing to
	# clean up behind it.
	fd_no_dmesg 'left behind'
}

# ---- client registration ---------------------------------------------------

@test "foundation: client unregister with DMBs is refused (EBUSY), then works" {
	local tok1 tok2
	fd_load dibs dibs_loopback dibs_test_client
	tc_reg lo 4096
	tok1=$TOK
	tc_reg lo 4096
	tok2=$TOK

	tc_fails EBUSY client_unregister
	# Nothing changed: still registered, no del_dev, DMBs usable.
	fd_has_line "$TC/status" 'registered 1'
	fd_is "$TC/devices" "add lo"
	fd_lines_are "$TC/dmbs" 2
	tc write lo "$tok1" 8 still 4
	tc_expect_read "$tok1" 8 still
	irq_read
	[ "$IRQ_MASK" = 0x0010 ]

	tc unreg lo "$tok1"
	tc_fails EBUSY client_unregister
	tc unreg lo "$tok2"
	tc client_unregister
	fd_has_line "$TC/status" 'registered 0'
	fd_is "$TC/devices" $'add lo\ndel lo'
	fd_no_line '^dev ' "$TC/status"
	tc_fails EALREADY client_unregister
	tc_fails ENODEV reg lo 4096

	# Registered again: lo is offered again and works.
	tc client_register
	fd_get "$TC/result"
	[[ $REPLY =~ ^[0-7]$ ]]
	fd_has_line "$TC/status" 'registered 1'
	fd_is "$TC/devices" $'add lo\ndel lo\nadd lo'
	tc_fails EALREADY client_register
	tc_reg lo 4096
	tc write lo "$TOK" 0 again 1
	tc_expect_read "$TOK" 0 again
}

@test "foundation: rmmod dibs_loopback while the client holds DMBs is clean" {
	local tok
	fd_load dibs dibs_loopback dibs_test_client
	tc fill lo 10 4096
	fd_is "$TC/result" "10 0"
	tc_reg lo 65536
	tok=$TOK
	tc attach lo "$tok"
	tc write lo "$tok" 0 bye 5
	fd_lines_are "$TC/dmbs" 11

	rmmod dibs_loopback
	# The client got del_dev and released everything it held on lo
	# itself; the core found nothing left behind.
	fd_is "$TC/devices" $'add lo\ndel lo'
	fd_is "$TC/dmbs" ""
	fd_is "$TC/attached" ""
	fd_class_is
	fd_no_dmesg 'left behind'
	tc_fails ENOENT read "$tok" 0 3
	# The client stays registered and usable with a new device.
	fd_has_line "$TC/status" 'registered 1'
	fd_load dibs_loopback
	tc_reg lo 4096
	tc write lo "$TOK" 0 hi 1
	tc_expect_read "$TOK" 0 hi
	# And the client can go first, then the rest.
	rmmod dibs_test_client
	rmmod dibs_loopback
	rmmod dibs
}

# ---- mapped DMBs -----------------------------------------------------------

@test "foundation: mapped DMB attach/detach with a reference count" {
	fd_load dibs dibs_loopback dibs_test_client
	fd_no_line '^dev lo .* mapped 0$' "$TC/status"
	tc_fails ENOENT attach lo 0x1
	fd_uuid
	tc_reg lo 4096 "$REPLY"
	tc_fails EACCES attach lo "$TOK"
	tc unreg lo "$TOK"

	tc_reg lo 4096
	tc attach lo "$TOK"
	fd_is "$TC/result" "$TOK 4096 $IDX"
	fd_is "$TC/attached" "$TOK lo 4096 $IDX"

	# A store through the mapping is what the owner reads, and what
	# move_data writes is what the mapping shows: one buffer.
	tc mwrite "$TOK" 10 mapped
	tc_expect_read "$TOK" 10 mapped
	tc write lo "$TOK" 20 moved 6
	tc_expect_mread "$TOK" 20 moved
	irq_read
	[ "$IRQ_MASK" = 0x0040 ]
	tc_fails EINVAL mwrite "$TOK" 4095 xy
	tc_fails EINVAL mread "$TOK" 4090 7

	# Two mappings; the owner unregisters while both exist.
	tc attach lo "$TOK"
	fd_lines_are "$TC/attached" 2
	tc unreg lo "$TOK"
	fd_is "$TC/dmbs" ""
	# The DMB is gone for the fabric ...
	tc_fails ENOENT write lo "$TOK" 0 late
	tc_fails ENOENT attach lo "$TOK"
	# ... but the mappings keep the buffer alive and intact.
	tc_expect_mread "$TOK" 10 mapped
	tc mwrite "$TOK" 0 still
	tc_expect_mread "$TOK" 0 still

	tc detach lo "$TOK"
	fd_lines_are "$TC/attached" 1
	tc_expect_mread "$TOK" 20 moved
	tc detach lo "$TOK"
	fd_is "$TC/attached" ""
	tc_fails ENOENT detach lo "$TOK"
	tc_fails ENOENT mread "$TOK" 0 1

	# The index came back: the device can be filled completely.
	tc fill lo 5000 16
	fd_is "$TC/result" "5000 0"
}

@test "foundation: a mapped DMB outlives neither its device nor the client" {
	fd_load dibs dibs_loopback dibs_test_client
	tc_reg lo 4096
	tc attach lo "$TOK"
	tc unreg lo "$TOK"
	# Only the mapping holds the buffer now; unloading the client detaches
	# it, unloading the driver frees the device.
	rmmod dibs_test_client
	rmmod dibs_loopback
	fd_no_dmesg 'left behind'
}

# ---- the command interface itself ------------------------------------------

@test "foundation: malformed test client commands are refused with EINVAL" {
	local gid before
	fd_load dibs dibs_loopback dibs_test_client
	fd_get /sys/class/dibs/lo/gid
	gid=$REPLY
	tc_reg lo 64
	tc read "$TOK" 0 1
	fd_get "$TC/result"
	before=$REPLY

	tc_fails EINVAL bogus
	tc_fails EINVAL ''
	tc_fails EINVAL reg
	tc_fails EINVAL reg lo
	tc_fails EINVAL reg lo 4k
	tc_fails EINVAL reg lo -1
	tc_fails EINVAL reg lo 0x100000000
	tc_fails EINVAL reg lo 4096 not-a-uuid
	tc_fails EINVAL reg lo 4096 "$gid" extra
	tc_fails EINVAL unreg lo 12z
	tc_fails EINVAL write lo "$TOK" 0
	tc_fails EINVAL write lo "$TOK" x abc
	tc_fails EINVAL write lo "$TOK" 0 abc 1 extra
	tc_fails EINVAL write lo "$TOK" 0 abc one
	tc_fails EINVAL read "$TOK" 0 99999
	tc_fails EINVAL read "$TOK" 60 5
	tc_fails EINVAL fill lo ten 16
	tc_fails EINVAL query lo "${gid}0"
	tc_fails EINVAL unreg_all now
	tc_fails ENODEV reg eth0 4096
	tc_fails ENOENT unreg lo 0x1
	tc_fails ENOENT read 0x1 0 1
	# Nothing of that changed the state or the last result.
	fd_lines_are "$TC/dmbs" 1
	fd_is "$TC/result" "$before"
	fd_has_line "$TC/status" 'registered 1'
}
