#!/usr/bin/env bats
# Netlink suite: the generic netlink family "dibs" (uapi/README.md), driven
# through libdibsnl by tests/tools/dibsnl-probe and checked against sysfs,
# the in-kernel test client (tests/kmod/) and libnl's genl-ctrl-list.
#
# Runs inside the test VM (tests/vm/), as root, with the modules built under
# $DIBS_BUILD. Every test starts and ends with no dibs module loaded and no
# process of its own left; teardown fails the test if an unload fails or the
# kernel logged a warning.
#
# An exec costs a lot under TCG, so each test runs one "dibsnl-probe serve"
# as a coprocess and sends it its commands (p, pe, pf below); every command
# still gets a netlink socket of its own. The tool prints one line per
# object (see the top of its source):
#   dev    INDEX NAME TYPE GID FABRIC STATE MAX_DMBS DMB_COUNT MAPPED
#   dmb    TOKEN DEV_INDEX DEV_NAME CLIENT_ID CLIENT RGID LEN IDX owned|-
#   client ID NAME DMB_COUNT [DEV_INDEX:DMB_COUNT...]
# and a failure as "error ENAME: EXTACK". Monitors and processes that hold
# a grant run as processes of their own.

load lib/dibs

PROBE=$DIBS_REPO/tests/tools/dibsnl-probe
NL_MODULES=(dibs_test_client dibs_sim dibs_loopback dibs)
# An unprivileged user: uid/gid nobody, no groups, hence no capabilities.
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
GID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
TOK_RE='0x[0-9a-f]{16}'
DMB_LEN_MAX=$((8 << 20))
# The suite is about the netlink family: libdibsnl's writes go over
# netlink here, not through /dev/dibs (tests/dibsctl.bats covers that).
export DIBSNL_DATA_PATH=netlink

# ---- running helpers quietly --------------------------------------------------

# bats runs a DEBUG trap before every command of a test, to know where it
# failed; under TCG that trap costs far more than most commands. The
# helpers below (each a one-line wrapper "name() { q name_ ...; }") run
# without it: they report their own failures, and bats still names the
# test line that called them.
Q_DEPTH=0
DEBUG_TRAP=''

# q CMD...: CMD with the DEBUG trap off; its status. Inside, errexit does
# not apply: the helpers check every step themselves.
q() {
	trap - DEBUG
	local q_rc=0
	Q_DEPTH=$((Q_DEPTH + 1))
	"$@" || q_rc=$?
	Q_DEPTH=$((Q_DEPTH - 1))
	[ "$Q_DEPTH" -gt 0 ] || eval "$DEBUG_TRAP"
	return $q_rc
}

# ---- the probe server --------------------------------------------------------

# p_start [PREFIX...]: this test's "dibsnl-probe serve", run through PREFIX
# (e.g. "${NOBODY[@]}").
p_start() {
	coproc PSRV { exec 3>&- "$@" "$PROBE" serve; }
}

# p_stop: end the server (EOF on its stdin).
p_stop() {
	local in=${PSRV[1]:-} out=${PSRV[0]:-} pid=${PSRV_PID:-}
	[ -n "$pid" ] || return 0
	[ -z "$in" ] || exec {in}>&-
	wait "$pid" 2>/dev/null || true
	[ -z "$out" ] || exec {out}<&-
	unset PSRV_PID
}

# p ARGS...: one command. Sets OUT (its output lines, joined by newlines),
# RC (its exit status) and ERR (its error line); returns non-zero, with the
# error on stderr, when it failed.
p() { q p_ "$@"; }
p_() {
	local IFS=$'\t' line first=1
	OUT='' RC='' ERR=''
	printf '%s\n' "$*" >&"${PSRV[1]}" || {
		echo "dibsnl-probe server gone" >&2
		return 1
	}
	while IFS= read -r line <&"${PSRV[0]}"; do
		if [[ $line == $'\x1e'* ]]; then
			line=${line:1}
			RC=${line%%$'\t'*}
			ERR=${line#*$'\t'}
			[ "$RC" = 0 ] && return 0
			echo "dibsnl-probe $*: exit $RC: $ERR" >&2
			return 1
		fi
		if ((first)); then
			OUT=$line
			first=0
		else
			OUT+=$'\n'$line
		fi
	done
	echo "dibsnl-probe server gone" >&2
	return 1
}

# pe ERRNO ARGS...: the command fails with exactly ERRNO; ERRMSG is the
# extack text that came with it.
pe() { q pe_ "$@"; }
pe_() {
	local want=$1
	shift
	if p_ "$@" 2>/dev/null; then
		echo "dibsnl-probe $*: succeeded, expected $want" >&2
		return 1
	fi
	if [ "$RC" != 1 ] || [[ ! $ERR =~ ^error\ ([A-Z0-9]+):\ ?(.*)$ ]]; then
		echo "dibsnl-probe $*: exit $RC, '$ERR'" >&2
		return 1
	fi
	if [ "${BASH_REMATCH[1]}" != "$want" ]; then
		echo "dibsnl-probe $*: '$ERR', expected $want" >&2
		return 1
	fi
	ERRMSG=${BASH_REMATCH[2]}
}

# pf ERRNO ARGS...: as pe, and the kernel said why (an extack message).
pf() { q pf_ "$@"; }
pf_() {
	pe_ "$@" || return 1
	[ -n "$ERRMSG" ] || {
		echo "dibsnl-probe ${*:2}: $1 without an extack message" >&2
		return 1
	}
}

# pout WANT ARGS...: the command succeeds and prints exactly WANT.
pout() { q pout_ "$@"; }
pout_() {
	local want=$1
	shift
	p_ "$@" || return 1
	expect_eq "dibsnl-probe $*" "$OUT" "$want"
}

# ---- other helpers -------------------------------------------------------------

# errmsg_has TEXT: the last refusal's extack contains TEXT.
errmsg_has() {
	[[ $ERRMSG == *"$1"* ]] || {
		echo "extack '$ERRMSG' does not say '$1'" >&2
		return 1
	}
}

# words LINE: the array W holds its words (W[0] the first).
words() {
	read -r -a W <<<"$1"
}

# sysattr DEV ATTR: V is the device's sysfs attribute.
sysattr() {
	read -r V <"/sys/class/dibs/$1/$2"
}

# gidof DEV: G is the device's gid (sysfs).
gidof() {
	read -r G <"/sys/class/dibs/$1/gid"
}

# devidx DEV: DI is the device's index (dev-get).
devidx() { q devidx_ "$@"; }
devidx_() {
	p_ dev "$1" || return 1
	words "$OUT"
	DI=${W[0]}
}

# dmbcount DEV: DC is the device's DMB count (dev-get).
dmbcount() { q dmbcount_ "$@"; }
dmbcount_() {
	p_ dev "$1" || return 1
	words "$OUT"
	DC=${W[7]}
}

# probe_grant ARGS...: dmb-grant; sets DMB (the dmb line), TOK and IDX.
probe_grant() { q probe_grant_ "$@"; }
probe_grant_() {
	p_ grant "$@" || return 1
	DMB=$OUT
	words "$DMB"
	TOK=${W[0]} IDX=${W[7]}
	[[ $TOK =~ ^$TOK_RE$ ]] || { echo "bad token in '$DMB'" >&2; return 1; }
	[[ $IDX =~ ^[0-9]+$ ]] || { echo "bad index in '$DMB'" >&2; return 1; }
}

# newgid: G is a random gid.
newgid() {
	read -r G </proc/sys/kernel/random/uuid
}

# xs N [CHAR]: S is N times CHAR (default x).
xs() {
	printf -v S '%*s' "$1" ''
	S=${S// /${2:-x}}
}

nl_load() {
	local m
	for m in "$@"; do
		dibs_insmod "$m" || return 1
	done
}

# sim_fabric FABRIC NAME...: sim devices on one fabric.
sim_fabric() { q sim_fabric_ "$@"; }
sim_fabric_() {
	local fabric=$1 n
	shift
	dibs_loaded dibs_sim || dibs_insmod dibs_sim || return 1
	for n in "$@"; do
		p_ dev-new "$n" sim fabric "$fabric" || return 1
	done
}

# sysdevs: SYSDEVS is the names in the dibs class, space-separated, sorted.
sysdevs() { q sysdevs_; }
sysdevs_() {
	local d
	SYSDEVS=''
	for d in /sys/class/dibs/*; do
		[ ! -e "$d" ] || SYSDEVS+="${SYSDEVS:+ }${d##*/}"
	done
}

# dumpnames: NAMES is the names "devs" dumps, in its order.
dumpnames() { q dumpnames_; }
dumpnames_() {
	local line
	p_ devs || return 1
	NAMES=''
	while read -r line; do
		words "$line"
		[ -z "$line" ] || NAMES+="${NAMES:+ }${W[1]}"
	done <<<"$OUT"
}

# kernel_at_least MAJOR MINOR
kernel_at_least() {
	local rel maj min
	read -r rel </proc/sys/kernel/osrelease
	maj=${rel%%.*}
	min=${rel#*.}
	min=${min%%[!0-9]*}
	((maj > $1 || (maj == $1 && min >= $2)))
}

# tc_id: TCID is the test client's id (its debugfs status).
tc_id() { q tc_id_; }
tc_id_() {
	local k v
	TCID=''
	while read -r k v; do
		[ "$k" != id ] || TCID=$v
	done <"$TC/status"
	[[ $TCID =~ ^[0-7]$ ]] || { echo "no id in $TC/status" >&2; return 1; }
}

# ---- background processes --------------------------------------------------------

# Killed in teardown.
BG_PIDS=()

# bg_start FILE CMD...: CMD in the background, stdout to FILE, stderr to
# FILE.err; sets BG_PID.
bg_start() {
	local file=$1
	shift
	"$@" >"$file" 2>"$file.err" 3>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# wait_lines FILE N: FILE has N lines or more (10 s at most); LINES holds
# them.
wait_lines() { q wait_lines_ "$@"; }
wait_lines_() {
	local i
	for ((i = 0; i < 200; i++)); do
		LINES=()
		# (the background process may not have made it yet)
		[ ! -e "$1" ] || mapfile -t LINES <"$1"
		[ ${#LINES[@]} -lt "$2" ] || return 0
		p_ sleep 50 || return 1
	done
	echo "$1 has fewer than $2 lines:" >&2
	cat "$1" "$1.err" >&2
	return 1
}

# probe_mon_start FILE ARGS...: "dibsnl-probe monitor ARGS" in the background,
# once it has subscribed. MON_PID is its pid.
probe_mon_start() {
	local file=$1
	shift
	bg_start "$file" "$PROBE" monitor "$@"
	MON_PID=$BG_PID
	wait_lines "$file" 1 || return 1
	expect_eq "monitor's first line" "${LINES[0]}" ready
}

# probe_mon_wait FILE N: the monitor printed N notifications (or more); MON
# holds them all, one an element, and MONS them joined by newlines.
probe_mon_wait() { q probe_mon_wait_ "$@"; }
probe_mon_wait_() {
	local l
	wait_lines_ "$1" $(($2 + 1)) || return 1
	MON=("${LINES[@]:1}")
	MONS=''
	for l in "${MON[@]}"; do
		MONS+="${MONS:+$'\n'}$l"
	done
}

# probe_mon_end FILE: the monitor (MON_PID) ended by itself, successfully; MON
# and MONS as for probe_mon_wait.
probe_mon_end() { q probe_mon_end_ "$@"; }
probe_mon_end_() {
	local rc=0
	wait "$MON_PID" || rc=$?
	[ $rc -eq 0 ] || {
		echo "monitor exit $rc:" >&2
		cat "$1" "$1.err" >&2
		return 1
	}
	probe_mon_wait_ "$1" 0
}

# ---- setup -------------------------------------------------------------------------

setup_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local m
	for m in "${NL_MODULES[@]}"; do
		dibs_ko "$m" >/dev/null || return 1
	done
	[ -x "$PROBE" ] || {
		echo "$PROBE not built: run make userspace" >&2
		return 1
	}
	unload_dibs
}

setup() {
	dibs_require_vm
	DEBUG_TRAP=$(trap -p DEBUG)
	unload_dibs
	dibs_mark
	BG_PIDS=()
	p_start
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local pid
	p_stop
	for pid in "${BG_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	dibs_unload_and_check "${NL_MODULES[@]}"
}

# ---- 1. devices ----------------------------------------------------------------------

# check_dump: every line of the dev dump agrees with sysfs and with dev-get
# by name and by index; indexes and names are unique. N: the lines.
check_dump() { q check_dump_; }
check_dump_() {
	local dump line name idx seen=' '
	N=0
	p_ devs || return 1
	dump=$OUT
	while read -r line; do
		N=$((N + 1))
		words "$line"
		idx=${W[0]} name=${W[1]}
		[[ $idx =~ ^[1-9][0-9]*$ ]] || { echo "index of: $line" >&2; return 1; }
		[[ $seen != *" $idx "* && $seen != *" $name "* ]] || {
			echo "twice: $line" >&2
			return 1
		}
		seen+="$idx $name "
		[ -d "/sys/class/dibs/$name" ] || { echo "no sysfs: $line" >&2; return 1; }
		sysattr "$name" type
		expect_eq "$name type" "${W[2]}" "$V" || return 1
		sysattr "$name" gid
		expect_eq "$name gid" "${W[3]}" "$V" || return 1
		sysattr "$name" fabric_id
		expect_eq "$name fabric" "${W[4]}" "$V" || return 1
		expect_eq "$name state" "${W[5]}" up || return 1
		[ "${W[6]}" -gt 0 ] || { echo "max DMBs: $line" >&2; return 1; }
		expect_eq "$name DMBs" "${W[7]}" 0 || return 1
		expect_eq "$name mapped" "${W[8]}" 1 || return 1
		pout_ "$line" dev "$name" || return 1
		pout_ "$line" dev "@$idx" || return 1
	done <<<"$dump"
}

@test "netlink: dev dump and dev-get by name and by index agree with sysfs" {
	local g2
	nl_load dibs dibs_loopback
	newgid
	g2=$G
	p dev-new lo2 loopback gid "$g2"
	sim_fabric 0x0101 s1 s3
	sim_fabric 0x0102 s2

	# Each device once, as sysfs sees it, and as dev-get by name and by
	# index see it; and every device of the class.
	check_dump
	expect_eq "dumped devices" "$N" 5
	sysdevs
	expect_eq "devices" "$SYSDEVS" "lo lo2 s1 s2 s3"

	# What was asked for at creation is what the device has.
	p dev lo2
	[[ $OUT =~ ^[0-9]+\ lo2\ loopback\ $g2\ 0xffff\ up\  ]]
	p dev lo
	[[ $OUT =~ ^[0-9]+\ lo\ loopback\ $GID_RE\ 0xffff\ up\  ]]
	p dev s1
	[[ $OUT =~ ^[0-9]+\ s1\ sim\ $GID_RE\ 0x0101\ up\  ]]
	p dev s2
	[[ $OUT =~ ^[0-9]+\ s2\ sim\ $GID_RE\ 0x0102\ up\  ]]

	# remote-query: loopback reaches itself, sim devices their fabric.
	gidof lo
	pout reachable query lo "$G"
	pout unreachable query lo "$g2"
	gidof s3
	pout reachable query s1 "$G"
	gidof s2
	pout unreachable query s1 "$G"

	# Devices that do not exist.
	pf ENODEV dev nosuch
	errmsg_has "no such dibs device"
	pf ENODEV dev @99999
	pf ENODEV query nosuch "$g2"
}

# ---- 2. dev-new / dev-del --------------------------------------------------------------

@test "netlink: dev-new and dev-del of loopback devices, and their refusals" {
	local line g3 idx
	nl_load dibs dibs_loopback
	p dev-new lo2 loopback
	line=$OUT
	[[ $line =~ ^[0-9]+\ lo2\ loopback\ $GID_RE\ 0xffff\ up\ [0-9]+\ 0\ 1$ ]]
	words "$line"
	gidof lo2
	expect_eq "lo2 gid" "${W[3]}" "$G"
	gidof lo
	[ "${W[3]}" != "$G" ]
	pout "$line" dev lo2
	newgid
	g3=$G
	p dev-new lo3 loopback gid "$g3" fabric 0xffff
	words "$OUT"
	expect_eq "lo3 gid" "${W[3]}" "$g3"
	gidof lo3
	expect_eq "lo3 sysfs gid" "$G" "$g3"

	# A name that is taken.
	pf EEXIST dev-new lo loopback
	errmsg_has "exists"
	pf EEXIST dev-new lo2 loopback
	# Names must be plain words.
	pf EINVAL dev-new bad/name loopback
	errmsg_has "letters, digits"
	pf EINVAL dev-new . loopback
	pf EINVAL dev-new "a b" loopback
	# One byte too long: the library refuses it, and so does the kernel's
	# policy when a raw request sends it (NAME 2, TYPE 3).
	pf EINVAL dev-new 0123456789abcdef loopback
	pf EINVAL raw 2 2:3031323334353637383961626364656600 3:6c6f6f706261636b00
	# Types nobody registered: sim is not loaded yet.
	pf EOPNOTSUPP dev-new x1 nosuchtype
	errmsg_has "unknown device type"
	pf EOPNOTSUPP dev-new x1 sim fabric 7
	# Loopback devices live on fabric 0xffff only; a gid is never zero.
	pf EINVAL dev-new x1 loopback fabric 0x0101
	errmsg_has "0xffff"
	pf EINVAL dev-new x1 loopback gid 00000000-0000-0000-0000-000000000000
	errmsg_has "zeros"
	# None of the refused ones exists.
	sysdevs
	expect_eq "devices" "$SYSDEVS" "lo lo2 lo3"
	dumpnames
	expect_eq "dumped" "$NAMES" "lo lo2 lo3"

	# dev-del by name and by index.
	p dev-del lo2
	[ ! -e /sys/class/dibs/lo2 ]
	pf ENODEV dev lo2
	devidx lo3
	idx=$DI
	p dev-del "@$idx"
	[ ! -e /sys/class/dibs/lo3 ]
	pf ENODEV dev-del lo2
	errmsg_has "no such dibs device"
	pf ENODEV dev-del "@$idx"
	pf ENODEV dev-del nosuch

	# The name is free again, and "lo" itself is a soft device too.
	p dev-new lo2 loopback
	[ -e /sys/class/dibs/lo2 ]
	p dev-del lo
	[ ! -e /sys/class/dibs/lo ]
	dumpnames
	expect_eq "dumped" "$NAMES" lo2
}

# ---- 3. the data path ----------------------------------------------------------------

@test "netlink: grant, dmb-get, write with a signal, read back, revoke" {
	local gl loidx mon line tok big
	nl_load dibs dibs_loopback
	gidof lo
	gl=$G
	devidx lo
	loidx=$DI
	mon=$BATS_TEST_TMPDIR/signal
	probe_mon_start "$mon" signal count 1 timeout 20000

	probe_grant lo "$gl" 4096
	tok=$TOK line=$DMB
	[[ $DMB =~ ^$TOK_RE\ $loidx\ lo\ [0-7]\ userspace\ $gl\ 4096\ $IDX\ -$ ]]
	# dmb-get (do) and the dumps, with every filter, say the same.
	pout "$DMB" dmb lo "$tok"
	pout "$DMB" dmb "@$loidx" "$tok"
	pout "$DMB" dmbs
	pout "$DMB" dmbs dev lo
	pout "$DMB" dmbs client userspace
	pout "$DMB" dmbs dev "@$loidx" client userspace
	pf ENOENT dmbs client dibs_test
	errmsg_has "no dibs client"
	pf ENODEV dmbs dev nosuch
	dmbcount lo
	expect_eq "lo DMB count" "$DC" 1
	words "$DMB"
	pout "${W[3]} userspace 1 $loidx:1" clients

	# lo writes into its own DMB, raising signal 3: one signal-ntf with
	# the token, the DMB's index and mask bit 3.
	p write lo "$tok" 100 hello signal 3
	probe_mon_end "$mon"
	expect_eq "signal" "$MONS" "signal $loidx $tok $IDX 0x8"
	pout hello read lo "$tok" 100 5
	pout 000068656c6c6f0000 readx lo "$tok" 98 9
	pout 00000000 readx lo "$tok" 0 4

	# More than one netlink message of data each way.
	probe_grant lo "$gl" 65536
	big=$TOK
	p fill lo "$big" 1000 40000 7
	pout ok verify lo "$big" 1000 40000 7
	# (a mismatch is exit status 1; RC says which it was)
	p verify lo "$big" 1000 40000 8 2>/dev/null || true
	[ "$RC" = 1 ]
	[[ $OUT =~ ^mismatch\ at\ 1[0-9]{3}$ ]]
	p revoke lo "$big"

	# Revoked: gone for dmb-get, the dump, the data path.
	pout "$line" dmbs
	p revoke lo "$tok"
	pf ENOENT dmb lo "$tok"
	errmsg_has "no DMB with this token"
	pout "" dmbs
	pf ENOENT revoke lo "$tok"
	pf ENOENT read lo "$tok" 0 1
	pf ENOENT write lo "$tok" 0 late
	dmbcount lo
	expect_eq "lo DMB count" "$DC" 0
	words "$line"
	pout "${W[3]} userspace 0" clients
}

# ---- 4. owned grants -------------------------------------------------------------------

@test "netlink: an owned grant goes with its socket, a plain one stays" {
	local gl held out pid
	nl_load dibs dibs_loopback
	gidof lo
	gl=$G

	# The granting command ends: its socket closes, the DMB goes.
	probe_grant lo "$gl" 4096 owned
	[[ $DMB == *" owned" ]]
	pf ENOENT dmb lo "$TOK"
	pout "" dmbs

	# Without "owned" it outlives the socket.
	probe_grant lo "$gl" 4096
	held=$TOK
	[[ $DMB == *" -" ]]
	pout "$DMB" dmb lo "$held"

	# A process killed with SIGKILL while it holds an owned grant.
	out=$BATS_TEST_TMPDIR/hold
	bg_start "$out" "$PROBE" grant lo "$gl" 8192 owned hold
	pid=$BG_PID
	wait_lines "$out" 1
	words "${LINES[0]}"
	TOK=${W[0]}
	[[ $TOK =~ ^$TOK_RE$ ]]
	pout "${LINES[0]}" dmb lo "$TOK"
	[[ ${LINES[0]} == *" 8192 "*" owned" ]]
	p dmbs
	expect_eq "DMBs while held" "$OUT" "$DMB"$'\n'"${LINES[0]}"
	kill -9 "$pid"
	wait "$pid" || true
	pf ENOENT dmb lo "$TOK"
	pout "$DMB" dmbs
	dmbcount lo
	expect_eq "lo DMB count" "$DC" 1
	# The one that stayed still works.
	p write lo "$held" 0 kept
	pout kept read lo "$held" 0 4
}

@test "netlink: dmb-add of an owned grant says it is owned" {
	local mon
	nl_load dibs dibs_loopback
	mon=$BATS_TEST_TMPDIR/mgmt
	probe_mon_start "$mon" mgmt count 2 timeout 20000
	gidof lo
	probe_grant lo "$G" 4096 owned
	probe_mon_end "$mon"
	# The notification is the dmb-get reply: OWNED included.
	expect_eq "dmb-add" "${MON[0]}" "dmb-add $DMB"
	[[ ${MON[1]} == "dmb-del $TOK "* ]]
}

# ---- 5. refusals -------------------------------------------------------------------------

@test "netlink: refused writes, revokes and grants carry the right errno and an extack" {
	local gl tok other ts tctok h15 h17
	nl_load dibs dibs_loopback
	gidof lo
	gl=$G
	probe_grant lo "$gl" 4096
	tok=$TOK

	# Out of bounds: the last bytes fit, one more does not.
	p write lo "$tok" 4093 abc
	pf EINVAL write lo "$tok" 4094 XYZ
	errmsg_has "do not fit"
	pf EINVAL write lo "$tok" 4096 X signal 1
	pf EINVAL write lo "$tok" 4294967294 X
	pf EINVAL read lo "$tok" 4090 7
	errmsg_has "do not fit"
	pout "...abc" read lo "$tok" 4090 6
	# A signal index beyond the 16-bit mask: the policy refuses it.
	pf ERANGE write lo "$tok" 0 X signal 16
	errmsg_has "out of range"

	# Unknown tokens.
	pf ENOENT write lo 0x1 0 nobody
	errmsg_has "no DMB with this token"
	printf -v other '0x%016x' $((tok ^ 1))
	pf ENOENT write lo "$other" 0 nobody signal 2

	# A writer that was not granted: lo writes a DMB granted to another gid.
	newgid
	probe_grant lo "$G" 4096
	other=$TOK
	pf EACCES write lo "$other" 0 intruder
	errmsg_has "not granted"
	pout 0000000000000000 readx lo "$other" 0 8

	# The same on a sim fabric: s1 grants to s2; s3 may not write, s2
	# may, lo (another fabric) does not even find the token.
	sim_fabric 0x0101 s1 s2 s3
	gidof s2
	probe_grant s1 "$G" 4096
	ts=$TOK
	pf EACCES write s3 "$ts" 0 intruder
	errmsg_has "not granted"
	p write s2 "$ts" 0 granted
	pf ENOENT write lo "$ts" 0 stranger
	pout "granted." read s1 "$ts" 0 8

	# A DMB of another client: not ours to revoke or read.
	load_test_client
	tc_id
	printf 'reg lo 4096\n' >"$TC/ctl"
	read -r tctok _ <"$TC/result"
	[[ $tctok =~ ^$TOK_RE$ ]]
	p dmb lo "$tctok"
	[[ $OUT =~ ^$tctok\ [0-9]+\ lo\ $TCID\ dibs_test\ $gl\ 4096\  ]]
	pf EBUSY revoke lo "$tctok"
	if kernel_at_least 6 2; then
		errmsg_has 'the DMB belongs to dibs client "dibs_test"'
	else
		# 6.1 has no formatted extack messages.
		errmsg_has "the DMB belongs to another dibs client"
	fi
	pf ENOENT read lo "$tctok" 0 4
	mapfile -t LINES <"$TC/dmbs"
	[ ${#LINES[@]} -eq 1 ]
	printf 'unreg lo %s\n' "$tctok" >"$TC/ctl"

	# Grant lengths outside 1..8 MiB: the policy refuses them.
	pf ERANGE grant lo "$gl" 0
	errmsg_has "out of range"
	pf ERANGE grant lo "$gl" $((DMB_LEN_MAX + 1))
	# Within them, a soft device backs a DMB with one physically
	# contiguous block (clients take virt_to_page() of it): 8 MiB is more
	# than the page allocator hands out in one piece, 4 MiB is its most.
	pf EINVAL grant lo "$gl" $DMB_LEN_MAX
	errmsg_has "the device refused this DMB length"
	probe_grant lo "$gl" $((4 << 20))
	p revoke lo "$TOK"
	pf ENODEV grant nosuch "$gl" 4096

	# A gid of 15 or 17 bytes, which the library never sends (DEV_NAME 3,
	# RGID 6, LEN 7); then the same with 16 bytes is fine.
	xs 30 1
	h15=$S
	xs 34 1
	h17=$S
	pf ERANGE raw 7 3:6c6f00 "6:$h15" 7:00100000
	pf ERANGE raw 7 3:6c6f00 "6:$h17" 7:00100000
	# An attribute the op has no policy for (OFFSET 10): strictly refused.
	pf EINVAL raw 7 3:6c6f00 "6:${h15}11" 7:00100000 10:00000000
	pout ok raw 7 3:6c6f00 "6:${h15}11" 7:00100000
	p dmbs dev lo
	mapfile -t LINES <<<"$OUT"
	[ ${#LINES[@]} -eq 3 ]
}

# ---- 6. permissions ------------------------------------------------------------------------

@test "netlink: an unprivileged user can dump devices but not DMBs, nor change anything" {
	local gl devs dmbs clients lo2 k v uid='' caps=''
	nl_load dibs dibs_loopback
	gidof lo
	gl=$G
	probe_grant lo "$gl" 4096
	p dev-new lo2 loopback
	p dev lo2
	lo2=$OUT
	p devs
	devs=$OUT
	p dmbs
	dmbs=$OUT
	p clients
	clients=$OUT

	p_stop
	p_start "${NOBODY[@]}"
	p sleep 0
	# Really without privileges.
	while read -r k v _; do
		case $k in
		Uid:) uid=$v ;;
		CapEff:) caps=$v ;;
		esac
	done <"/proc/$PSRV_PID/status"
	expect_eq "uid" "$uid" 65534
	expect_eq "capabilities" "$caps" 0000000000000000

	# Devices and clients read the same as for root.
	pout "$devs" devs
	pout "$lo2" dev lo2
	pout "$clients" clients
	pout reachable query lo "$gl"

	# DMBs (their tokens) are CAP_NET_ADMIN's: dump and get alike.
	pe EPERM dmbs
	pe EPERM dmbs dev lo
	pe EPERM dmb lo "$TOK"
	pe EPERM dmb-stats lo "$TOK"

	# Every op that changes something is refused.
	pe EPERM dev-new lo3 loopback
	pe EPERM dev-del lo2
	pe EPERM dev-set lo down
	pe EPERM grant lo "$gl" 4096
	pe EPERM revoke lo "$TOK"
	pe EPERM write lo "$TOK" 0 nobody signal 1
	pe EPERM read lo "$TOK" 0 4
	pe EPERM event lo "$gl" 1
	pe EPERM raw 2 2:6c6f3300 3:6c6f6f706261636b00

	# And nothing changed.
	p_stop
	p_start
	pout "$devs" devs
	pout "$dmbs" dmbs
	pout 000000000000 readx lo "$TOK" 0 6
	[ ! -e /sys/class/dibs/lo3 ]
}

# ---- 7. the mgmt group -----------------------------------------------------------------------

@test "netlink: a mgmt subscriber sees devices, DMBs and clients come and go, in order" {
	local mon dev2 want
	nl_load dibs dibs_loopback
	mon=$BATS_TEST_TMPDIR/mgmt
	probe_mon_start "$mon" mgmt count 6 timeout 30000

	p dev-new lo2 loopback
	dev2=$OUT
	words "$dev2"
	probe_grant lo2 "${W[3]}" 4096
	p revoke lo2 "$TOK"
	p dev-del lo2
	load_test_client
	tc_id
	unload_test_client
	probe_mon_end "$mon"

	printf -v want '%s\n' "dev-add $dev2" "dmb-add $DMB" "dmb-del $DMB" \
		"dev-del $dev2" "client-add $TCID dibs_test" \
		"client-del $TCID dibs_test"
	expect_eq "notifications" "$MONS" "${want%$'\n'}"
}

@test "netlink: mgmt reports state changes, the fabric event and DMBs a device takes along" {
	local mon dev2 g2 idx2 tok1 tok2 want
	nl_load dibs dibs_loopback
	p dev-new lo2 loopback
	dev2=$OUT
	words "$dev2"
	idx2=${W[0]} g2=${W[3]}
	mon=$BATS_TEST_TMPDIR/mgmt
	probe_mon_start "$mon" mgmt timeout 30000

	p dev-set lo2 down
	probe_mon_wait "$mon" 2
	printf -v want '%s\n' "dev-change ${dev2/ up / down }" \
		"event $idx2 1 1 $g2 0x0000000000000000"
	expect_eq "down" "$MONS" "${want%$'\n'}"
	pout "${dev2/ up / down }" dev lo2
	# A device that is down takes no grants and no writes.
	pf ENETDOWN grant lo2 "$g2" 4096
	errmsg_has "down"
	p dev-set lo2 down
	p dev-set lo2 up
	probe_mon_wait "$mon" 3
	expect_eq "up" "${MON[2]}" "dev-change $dev2"

	# Deleting a device with DMBs: each DMB's dmb-del, then dev-del.
	probe_grant lo2 "$g2" 4096
	tok1=$TOK
	probe_grant lo2 "$g2" 8192
	tok2=$TOK
	p dev-del lo2
	probe_mon_wait "$mon" 8
	[ ${#MON[@]} -eq 8 ]
	[[ ${MON[3]} == "dmb-add $tok1 "* ]]
	[[ ${MON[4]} == "dmb-add $tok2 "* ]]
	[[ ${MON[5]} == "dmb-del $tok1 "* || ${MON[5]} == "dmb-del $tok2 "* ]]
	[[ ${MON[6]} == "dmb-del $tok1 "* || ${MON[6]} == "dmb-del $tok2 "* ]]
	[ "${MON[5]}" != "${MON[6]}" ]
	expect_eq "dev-del" "${MON[7]}" "dev-del $dev2"
}

# ---- 8. libnl's view ---------------------------------------------------------------------------

# genl_family NAME: the family's block of "genl-ctrl-list -d": HEAD (its
# first line), OPS (op ids), ADMIN, DUMPS (ids with those flags), DOITS (how
# many ops have a doit), MCGRPS (multicast group names).
genl_family() { q genl_family_ "$@"; }
genl_family_() {
	local line id flags
	HEAD='' OPS='' ADMIN='' DUMPS='' DOITS=0 MCGRPS=''
	while read -r line; do
		if [ -z "$HEAD" ]; then
			HEAD=$line
		elif [[ $line =~ ^op\ .*\((0x[0-9a-f]+)\)\ \<(.*)\>$ ]]; then
			id=${BASH_REMATCH[1]} flags=,${BASH_REMATCH[2]},
			OPS+="$id "
			[[ $flags != *,admin_perm,* ]] || ADMIN+="$id "
			[[ $flags != *,has_dump,* ]] || DUMPS+="$id "
			[[ $flags != *,has_doit,* ]] || DOITS=$((DOITS + 1))
		elif [[ $line =~ ^grp\ ([a-z-]+)\ \(0x[0-9a-f]+\)$ ]]; then
			MCGRPS+="${BASH_REMATCH[1]} "
		fi
	done < <(genl-ctrl-list -d | awk -v f="$1" '/^0x/ { sel = $2 == f } sel')
	[ -n "$HEAD" ] || { echo "genl-ctrl-list has no family $1" >&2; return 1; }
}

@test "netlink: event-signal reaches the gid's device; refusals carry errno and extack" {
	local mon ga gb gl ib il h
	nl_load dibs dibs_loopback
	sim_fabric 0x0505 sa sb
	gidof sa
	ga=$G
	gidof sb
	gb=$G
	gidof lo
	gl=$G
	devidx sb
	ib=$DI
	devidx lo
	il=$DI
	mon=$BATS_TEST_TMPDIR/mgmt
	probe_mon_start "$mon" mgmt timeout 30000

	# At the receiver, type 2 (sw) with the code and the sender's gid.
	p event sa "$gb" 0xc0de 0x1122334455667788
	probe_mon_wait "$mon" 1
	expect_eq "sim event" "$MONS" "event $ib 2 49374 $ga 0x0000000000000000"
	p event lo "$gl" 7
	probe_mon_wait "$mon" 2
	expect_eq "loopback event" "${MON[1]}" "event $il 2 7 $gl 0x0000000000000000"

	# Another fabric's gid (lo's), nobody's, a loopback's other gids.
	pf ENETUNREACH event sa "$gl" 1
	errmsg_has "not reachable"
	newgid
	pf ENETUNREACH event sa "$G" 1
	pf ENETUNREACH event lo "$ga" 1
	pf ENODEV event nope "$ga" 1
	# A sender that is down sends nothing; a receiver that is down is
	# unreachable.
	p dev-set sa down
	pf ENETDOWN event sa "$gb" 1
	errmsg_has "down"
	p dev-set sa up
	p dev-set sb down
	pf ENETUNREACH event sa "$gb" 1
	p dev-set sb up
	# The request is parsed strictly: TYPE (2) is not one of its
	# attributes, and SUBTYPE (3) is required; REMOTE_GID is 10.
	printf -v h '%02x%02x%02x%02x' $((ib & 255)) $((ib >> 8 & 255)) \
		$((ib >> 16 & 255)) $((ib >> 24))
	pe EINVAL raw 21 "1:$h" 2:02000000 "10:${gb//-/}" 3:07000000
	pe EINVAL raw 21 "1:$h" "10:${gb//-/}"
	# Nothing more arrived than the two events and what the state changes
	# raise (a dev-change each, a disabled event each time down).
	probe_mon_wait "$mon" 8
	expect_eq "sw events" "$(grep -cE '^event [0-9]+ 2 ' <<<"$MONS")" 2
}

@test "netlink: genl-ctrl-list shows the family with its 12 ops and both groups" {
	command -v genl-ctrl-list >/dev/null || skip "libnl-utils not installed"
	dibs_insmod dibs
	genl_family dibs
	[[ $HEAD =~ ^0x[0-9a-f]{4}\ dibs\ version\ 1$ ]]
	expect_eq "ops" "$OPS" "0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0a 0x0b 0x15 "
	# Admin: dev-new, dev-del, dev-set, dmb-grant/-revoke/-write/-read,
	# event-signal.
	expect_eq "admin ops" "$ADMIN" "0x02 0x03 0x04 0x07 0x08 0x09 0x0a 0x15 "
	# Dumps: dev-get, dmb-get, client-get; doit: all but client-get.
	expect_eq "dump ops" "$DUMPS" "0x01 0x06 0x0b "
	expect_eq "doit ops" "$DOITS" 11
	expect_eq "groups" "$MCGRPS" "mgmt signal "
}

# ---- 9. unload while in use ----------------------------------------------------------------------

@test "netlink: unloading the modules under a subscriber and granted DMBs is clean" {
	local mon hold gl tokl tokh toks s1 pid
	nl_load dibs dibs_loopback
	sim_fabric 0x0101 s1
	gidof lo
	gl=$G
	probe_grant lo "$gl" 4096
	tokl=$TOK
	gidof s1
	probe_grant s1 "$G" 4096
	toks=$TOK
	p dev s1
	s1=$OUT
	hold=$BATS_TEST_TMPDIR/hold
	bg_start "$hold" "$PROBE" grant lo "$gl" 4096 owned hold
	pid=$BG_PID
	wait_lines "$hold" 1
	words "${LINES[0]}"
	tokh=${W[0]}
	mon=$BATS_TEST_TMPDIR/mon
	probe_mon_start "$mon" mgmt signal timeout 60000

	# The driver goes: the core's userspace client gets del_dev and lets
	# go of both DMBs on lo, the owned one too; then lo goes.
	rmmod dibs_loopback
	[ ! -e /sys/class/dibs/lo ]
	probe_mon_wait "$mon" 3
	[[ ${MON[0]} == "dmb-del $tokl "* || ${MON[0]} == "dmb-del $tokh "* ]]
	[[ ${MON[1]} == "dmb-del $tokl "* || ${MON[1]} == "dmb-del $tokh "* ]]
	[ "${MON[0]}" != "${MON[1]}" ]
	[[ ${MON[2]} =~ ^dev-del\ [0-9]+\ lo\ loopback\  ]]

	rmmod dibs_sim
	probe_mon_wait "$mon" 5
	[[ ${MON[3]} == "dmb-del $toks "* ]]
	# The dev object as before, with no DMB left.
	words "$s1"
	expect_eq "DMB count of s1 while it had one" "${W[7]}" 1
	W[7]=0
	expect_eq "s1 goes" "${MON[4]}" "dev-del ${W[*]}"

	# A socket does not pin the family's module.
	rmmod dibs
	[ ! -e /sys/class/dibs ]
	[ ! -e /sys/module/dibs ]
	pe ENOENT devs
	kill -0 "$MON_PID"
	# The process that held the owned grant closes its socket now.
	kill -9 "$pid"
	wait "$pid" || true

	# A new instance of the family: the old subscriber hears nothing of it.
	nl_load dibs dibs_loopback
	gidof lo
	probe_grant lo "$G" 4096
	p write lo "$TOK" 0 x signal 1
	p sleep 1000
	kill -0 "$MON_PID"
	probe_mon_wait "$mon" 5
	expect_eq "notifications" "${#MON[@]}" 5
}

# ---- 10. statistics ----------------------------------------------------------------------------------

# expect_dev_stats DEV WANT: the device's statistics are WANT, "moves move_bytes
# signals move_errors dmbs_registered dmbs_unregistered".
expect_dev_stats() { q expect_dev_stats_ "$@"; }
expect_dev_stats_() {
	p_ dev-stats "$1" || return 1
	words "$OUT"
	expect_eq "$1 stats" "${W[1]} ${W[3]} ${W[5]} ${W[7]} ${W[9]} ${W[11]}" "$2"
}

# expect_dmb_stats DEV TOKEN WANT: the DMB's statistics are WANT, "writes
# write_bytes signals refused".
expect_dmb_stats() { q expect_dmb_stats_ "$@"; }
expect_dmb_stats_() {
	p_ dmb-stats "$1" "$2" || return 1
	words "$OUT"
	expect_eq "DMB $2 stats" "${W[1]} ${W[3]} ${W[5]} ${W[7]}" "$3"
}

@test "netlink: device and DMB statistics count writes, bytes, signals and refusals" {
	local gl tok other ts m100 m37
	nl_load dibs dibs_loopback
	gidof lo
	gl=$G
	xs 100
	m100=$S
	xs 37 y
	m37=$S
	expect_dev_stats lo "0 0 0 0 0 0"

	probe_grant lo "$gl" 4096
	tok=$TOK
	expect_dmb_stats lo "$tok" "0 0 0 0"
	p write lo "$tok" 0 "$m100" times 5
	p write lo "$tok" 200 "$m100" signal 2 times 2
	expect_dev_stats lo "7 700 2 0 1 0"
	expect_dmb_stats lo "$tok" "7 700 2 0"

	# Out of bounds: an error of the writer, not a refusal by the fabric.
	pf EINVAL write lo "$tok" 4090 "$m100"
	expect_dev_stats lo "7 700 2 1 1 0"
	expect_dmb_stats lo "$tok" "7 700 2 0"

	# Not granted: refused, counted on both sides.
	newgid
	probe_grant lo "$G" 4096
	other=$TOK
	pf EACCES write lo "$other" 0 "$m37"
	pf EACCES write lo "$other" 0 "$m37" signal 4
	expect_dev_stats lo "7 700 2 3 2 0"
	expect_dmb_stats lo "$other" "0 0 0 2"
	expect_dmb_stats lo "$tok" "7 700 2 0"
	p revoke lo "$other"
	expect_dev_stats lo "7 700 2 3 2 1"

	# sim: moves count on the writer's device, the DMB on the owner's.
	sim_fabric 0x0101 s1 s2 s3
	gidof s2
	probe_grant s1 "$G" 4096
	ts=$TOK
	p write s2 "$ts" 0 "$m37" signal 1 times 3
	p write s2 "$ts" 100 "$m100"
	expect_dev_stats s2 "4 211 3 0 0 0"
	expect_dev_stats s1 "0 0 0 0 1 0"
	expect_dmb_stats s1 "$ts" "4 211 3 0"
	pf EACCES write s3 "$ts" 0 "$m37"
	pf EACCES write s3 "$ts" 0 "$m37" signal 1
	expect_dev_stats s3 "0 0 0 2 0 0"
	expect_dmb_stats s1 "$ts" "4 211 3 2"
	# An injected fabric failure is the writer's error only.
	echo 1 >/sys/kernel/debug/dibs_sim/s2/fail_count
	pe EIO write s2 "$ts" 0 "$m37"
	p write s2 "$ts" 0 "$m37"
	expect_dev_stats s2 "5 248 3 1 0 0"
	expect_dmb_stats s1 "$ts" "5 248 3 2"
	expect_dev_stats s1 "0 0 0 0 1 0"
}

# tokhex TOKEN: H is the u64 TOKEN in hex as a raw request carries it
# (little endian).
tokhex() {
	local be i
	printf -v be '%016x' "$1"
	H=
	for ((i = 14; i >= 0; i -= 2)); do
		H+=${be:i:2}
	done
}

@test "netlink: dmb-write writes its data pieces in order, the signal with the last" {
	local tok
	nl_load dibs dibs_loopback
	gidof lo
	probe_grant lo "$G" 4096
	tok=$TOK
	tokhex "$tok"
	# Raw requests (DEV_NAME 3, TOKEN 1, OFFSET 10, DATA 11, SIGNAL_IDX
	# 12): three pieces at 100, the middle one unaligned (5 bytes).
	pout ok raw 9 3:6c6f00 "1:$H" 10:64000000 11:616263 11:6465666768 \
		11:69 12:03000000
	pout "abcdefghi" read lo "$tok" 100 9
	# One move_data per piece; one signal.
	expect_dmb_stats lo "$tok" "3 9 1 0"
	expect_dev_stats lo "3 9 1 0 1 0"

	# An empty piece among others: refused before anything is written.
	pf EINVAL raw 9 3:6c6f00 "1:$H" 10:00000000 11:7878 11: 11:7979
	errmsg_has "empty data piece"
	pout "...." read lo "$tok" 0 4
	# A range beyond 4 GiB, and one beyond the largest DMB (8 MiB):
	# refused as a whole, move_data never called (no move error).
	pf EINVAL raw 9 3:6c6f00 "1:$H" 10:feffffff 11:7878 11:7979
	errmsg_has "do not fit in any DMB"
	pf EINVAL raw 9 3:6c6f00 "1:$H" 10:feff7f00 11:7878 11:7979 \
		12:01000000
	errmsg_has "do not fit in any DMB"
	expect_dmb_stats lo "$tok" "3 9 1 0"
	expect_dev_stats lo "3 9 1 0 1 0"

	# The DMB's end only move_data knows: a piece beyond it ends the
	# request; the pieces before it stay written, no signal is raised.
	pf EINVAL raw 9 3:6c6f00 "1:$H" 10:fa0f0000 11:616263 11:64656667 \
		12:01000000
	errmsg_has "do not fit in the DMB"
	pout "abc..." read lo "$tok" 4090 6
	expect_dmb_stats lo "$tok" "4 12 1 0"
	expect_dev_stats lo "4 12 1 1 1 0"

	# A lone empty piece is still a signal without data.
	pout ok raw 9 3:6c6f00 "1:$H" 10:00000000 11: 12:02000000
	expect_dmb_stats lo "$tok" "5 12 2 0"
}
