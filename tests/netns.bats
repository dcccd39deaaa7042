#!/usr/bin/env bats
# Network namespace suite: dibs devices, DMBs and notifications per network
# namespace, driven through dibsctl -n and `dev set DEV netns`.
#
# Runs inside the test VM (tests/vm/), as root; /run is a tmpfs there, so
# `ip netns add` works. Every test starts with dibs, the loopback driver
# and dibs_sim loaded, two fresh namespaces and no sim device; every test
# ends with no dibs module loaded and its namespaces deleted.
#
# What the kernel promises (kernel/dibs_main.c, dibs_nl_*.c):
#   - a device is made in the namespace of the socket that asked for it;
#   - dumps, gets and notifications show only the caller's namespace's
#     devices and DMBs; the fabric itself ignores namespaces;
#   - `dev set DEV netns` moves a device (del in the old namespace, add in
#     the new one), DMBs and all;
#   - a namespace that goes away gives its devices back to init_net.

load lib/dibs
load lib/expect
load lib/monitor

UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
NS_MODULES=(dibs_sim dibs_loopback dibs)
FABRIC=0x0303

# ---- helpers ---------------------------------------------------------------

# in NS CMD...: dibsctl in namespace NS ("" for init_net).
in_ns() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		"$DIBSCTL" -n "$ns" "$@"
	else
		"$DIBSCTL" "$@"
	fi
}

# batch_in NS LINE...: dibsctl commands in one process (-b) in NS.
batch_in() {
	local ns=$1
	shift
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/batch"
	in_ns "$ns" -b "$BATS_TEST_TMPDIR/batch"
}

# gid DEV: the device's gid from sysfs (the class is not per namespace).
gid() {
	local g
	read -r g <"/sys/class/dibs/$1/gid" || return 1
	echo "$g"
}

# names NS: the device names NS's dump shows, sorted, space separated.
names() {
	in_ns "$1" -j dev show | jq -r '[.[].name] | sort | join(" ")'
}

# gid_in NS DEV: the device's gid as NS sees it.
gid_in() {
	in_ns "$1" -j dev show "$2" | jq -r '.[0].gid'
}

# wait_names NS WANT: until NS's dump shows exactly WANT (60 s at most).
wait_names() {
	local end=$((SECONDS + 60)) got
	while :; do
		got=$(names "$1")
		[ "$got" = "$2" ] && return 0
		((SECONDS < end)) || break
		nap 0.5
	done
	echo "namespace '${1:-init}' shows '$got', want '$2'" >&2
	return 1
}

# ---- setup -----------------------------------------------------------------

setup_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local m
	for m in "${NS_MODULES[@]}"; do
		dibs_ko "$m" >/dev/null || return 1
	done
	command -v ip >/dev/null || { echo "no ip(8)" >&2; return 1; }
	unload_dibs
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	unload_dibs
	dibs_mark
	nap_init
	load_dibs
	dibs_insmod dibs_sim
	# Fresh names per test: a namespace being torn down may linger.
	N1=dibs1-$BATS_TEST_NUMBER-$$
	N2=dibs2-$BATS_TEST_NUMBER-$$
	ip netns add "$N1"
	ip netns add "$N2"
	# shellcheck disable=SC2034 # lib/monitor's list of monitors
	MON_PIDS=()
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local m rc=0 ns
	mon_stop || rc=1
	unload_dibs || rc=1
	for ns in "$N1" "$N2"; do
		[ -e "/run/netns/$ns" ] || continue
		ip netns del "$ns" || rc=1
	done
	for m in "${NS_MODULES[@]}"; do
		if dibs_loaded "$m"; then
			echo "$m still loaded" >&2
			rc=1
		fi
	done
	dibs_no_kernel_problems || rc=1
	return $rc
}

# ---- one device per namespace ----------------------------------------------

@test "netns: each namespace sees its own device; a console exchange across them" {
	local g1 g2 t t1 t2 sba1 sba2 m1 m2 m0 out
	in_ns "$N1" dev add s1 type sim fabric $FABRIC
	in_ns "$N2" dev add s2 type sim fabric $FABRIC
	g1=$(gid s1)
	g2=$(gid s2)
	[[ $g1 =~ $UUID_RE ]]
	[[ $g2 =~ $UUID_RE ]]

	# Each sees its own, init_net neither (only lo, made at load there).
	expect_eq "$N1 devices" "$(names "$N1")" s1
	expect_eq "$N2 devices" "$(names "$N2")" s2
	expect_eq "init devices" "$(names "")" lo
	out=$(in_ns "$N1" dev show)
	[[ $out =~ ^[0-9]+:\ s1:\ type\ sim\ fabric\ $FABRIC\ gid\ $g1\ state\ up\ dmb-count\ 0\ max-dmbs\ [0-9]+$ ]] ||
		{ echo "$N1: $out" >&2; return 1; }
	expect_eq "s2 gid in $N2" "$(in_ns "$N2" -j dev show s2 | jq -r '.[0].gid')" "$g2"
	# Gets by name do not cross namespaces either.
	fails_with 1 "" in_ns "$N1" dev show s2
	fails_with 1 "" in_ns "$N2" dev show s1
	fails_with 1 "" dc dev show s1
	fails_with 1 "" dc dev del s2

	# The fabric ignores namespaces: they reach each other.
	expect_eq "s1 -> s2" "$(in_ns "$N1" dev query s1 remote-gid "$g2")" \
		"dev s1 remote-gid $g2 reachable yes"
	expect_eq "s2 -> s1" "$(in_ns "$N2" dev query s2 remote-gid "$g1")" \
		"dev s2 remote-gid $g1 reachable yes"

	mon_start -n "$N1" dmb signal
	m1=$MON
	mon_start -n "$N2" dmb signal
	m2=$MON
	mon_start dmb signal
	m0=$MON

	# Each side grants the other a DMB, as a console would.
	grant -n "$N1" s1 "$g2" 4K
	t1=$TOK
	grant -n "$N2" s2 "$g1" 4K
	t2=$TOK
	# Each namespace sees only its own DMB.
	read -r t sba1 < <(in_ns "$N1" -j dmb show | jq -r '[.[] | .token, .sba] | join(" ")')
	expect_eq "$N1 DMBs" "$t" "$t1"
	read -r t sba2 < <(in_ns "$N2" -j dmb show | jq -r '[.[] | .token, .sba] | join(" ")')
	expect_eq "$N2 DMBs" "$t" "$t2"
	expect_eq "init DMBs" "$(dc -j dmb show)" "[]"
	fails_with 1 "" dc dmb show token "$t1"

	# Each writes into the other's DMB from its own namespace, and signals.
	in_ns "$N2" dmb write dev s2 token "$t1" data "hello from s2" signal 2
	in_ns "$N1" dmb write dev s1 token "$t2" offset 16 data "hello from s1" signal 9
	wait_for "$m1" "^\[signal\] dev s1 token $t1 sba $sba1 mask 0x0004$"
	wait_for "$m2" "^\[signal\] dev s2 token $t2 sba $sba2 mask 0x0200$"
	# The reply on the same channel.
	in_ns "$N2" dmb write dev s2 token "$t1" offset 100 data ack signal 3
	wait_for "$m1" "^\[signal\] dev s1 token $t1 sba $sba1 mask 0x0008$"

	# Each reads its own DMB and finds the other's bytes.
	out=$(batch_in "$N1" "dmb read dev s1 token $t1 length 13 file -" "dmb read dev s1 token $t1 offset 100 length 3 file -")
	expect_eq "s1 reads" "$out" "hello from s2ack"
	expect_eq "s2 reads" "$(in_ns "$N2" dmb read dev s2 token "$t2" offset 16 length 13 file -)" "hello from s1"
	# Nobody reads or writes a DMB through a device of another namespace.
	fails_with 1 "" in_ns "$N2" dmb read dev s1 token "$t1" length 1
	fails_with 1 "" dc dmb write dev s2 token "$t1" data x
	# Counters follow the DMB into its namespace.
	expect_eq "t1 stats" "$(in_ns "$N1" -s -j dmb show token "$t1" | jq -c '.[0].stats | [.writes, .signals, .refused]')" \
		"[2,2,0]"

	mon_stop
	# Every monitor saw its own namespace only.
	expect_eq "$N1 signals" "$(count_lines "$m1" '^\[signal\]')" 2
	expect_eq "$N2 signals" "$(count_lines "$m2" '^\[signal\]')" 1
	file_has "$m1" "^\[dmb,add\] token $t1 dev s1 "
	file_has "$m2" "^\[dmb,add\] token $t2 dev s2 "
	no_line "$m1" "$t2| s2|mark2-|mark3-"
	no_line "$m2" "$t1| s1|mark1-|mark3-"
	no_line "$m0" "$t1|$t2| s1| s2|^\[signal\]|mark1-|mark2-"
}

# ---- moving devices --------------------------------------------------------

@test "netns: dev set netns moves a device; notifications stay in their namespace" {
	local g3 idx tok m0 m1 m2 pid out _
	batch_in "" "dev add s3 type sim fabric $FABRIC" "dev add s4 type sim fabric $FABRIC"
	in_ns "$N2" dev add s5 type sim fabric $FABRIC
	g3=$(gid s3)
	idx=$(dc -j dev show s3 | jq '.[0].index')
	grant s3 "$(gid s4)" 4K
	tok=$TOK
	dc dmb write dev s4 token "$tok" data moved
	expect_eq "init before" "$(names "")" "lo s3 s4"

	# The monitors start after s3, s4 and s5 exist: what they see of those
	# is the moves alone.
	mon_start -n "$N1" dmb
	m1=$MON
	mon_start -n "$N2" dmb
	m2=$MON
	mon_start dmb
	m0=$MON

	# By name: s3 leaves init_net and shows up in N1, the same device.
	dc dev set s3 netns "$N1"
	expect_eq "init after" "$(names "")" "lo s4"
	expect_eq "$N2 after" "$(names "$N2")" "s5"
	read -r out < <(in_ns "$N1" -j dev show | jq -r '[.[] | .name, .index, .gid] | join(" ")')
	expect_eq "$N1 after" "$out" "s3 $idx $g3"
	wait_for "$m0" "^\[dev,del\] $idx: s3: type sim fabric $FABRIC gid $g3 "
	wait_for "$m1" "^\[dev,add\] $idx: s3: type sim fabric $FABRIC gid $g3 "
	fails_with 1 "" dc dev show s3
	fails_with 1 "" dc dev set s3 state down
	# Its DMB went with it, bytes and all.
	expect_eq "init DMBs" "$(dc -j dmb show)" "[]"
	expect_eq "$N1 DMBs" "$(in_ns "$N1" -j dmb show | jq -r '[.[].token] | join(" ")')" "$tok"
	# s4 (init_net) still writes into it: the fabric is not namespaced.
	out=$(in_ns "$N1" dmb read dev s3 token "$tok" length 5 file -)
	dc dmb write dev s4 token "$tok" offset 5 data again
	out+=$(in_ns "$N1" dmb read dev s3 token "$tok" offset 5 length 5 file -)
	expect_eq "moved DMB" "$out" movedagain

	# What happens to s3 now is news in N1 only.
	batch_in "$N1" "dev set s3 state down" "dev set s3 state up"
	wait_for "$m1" "^\[dev,change\] $idx: s3: .* state down dmb-count [0-9]+ max-dmbs [0-9]+$"
	wait_for "$m1" "^\[dev,change\] $idx: s3: .* state up dmb-count [0-9]+ max-dmbs [0-9]+$"

	# By pid: from N1 into the namespace of a process in N2, then back
	# to init_net by pid 1.
	nsenter --net="/run/netns/$N2" sleep 120 3>&- &
	pid=$!
	out=$((SECONDS + 60))
	while [ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ]; do
		((SECONDS < out)) || { echo "nsenter never entered $N2" >&2; return 1; }
		nap 0.2
	done
	in_ns "$N1" dev set s3 netns "$pid"
	kill "$pid"
	wait "$pid" || true
	expect_eq "$N1 after pid move" "$(names "$N1")" ""
	expect_eq "$N2 after pid move" "$(names "$N2")" "s3 s5"
	wait_for "$m1" "^\[dev,del\] $idx: s3: "
	wait_for "$m2" "^\[dev,add\] $idx: s3: "
	in_ns "$N2" dev set s3 netns 1
	expect_eq "init at the end" "$(names "")" "lo s3 s4"
	wait_for "$m2" "^\[dev,del\] $idx: s3: "
	wait_for "$m0" "^\[dev,add\] $idx: s3: "
	expect_eq "DMB home again" "$(dc -j dmb show | jq -r '[.[].token] | join(" ")')" "$tok"
	# A move to where the device is is no news; a namespace that does not
	# exist is refused.
	dc dev set s3 netns 1
	fails_with 1 "" dc dev set s3 netns no-such-ns-$$
	fails_with 1 "" dc dev set s3 netns 999999

	# Settle init_net's monitor with a marker (N1's and N2's saw their last
	# news above: notifications are queued as they happen), then judge.
	dc dev add endmark type loopback
	wait_for "$m0" "^\[dev,add\] [0-9]+: endmark: "
	mon_stop

	# init_net saw s3 leave and come back (once: the no-op move is no
	# news), nothing of N1's or N2's own.
	expect_eq "init s3 lines" "$(count_lines "$m0" '^\[dev,[a-z]+\] [0-9]+: s3: ')" 2
	no_line "$m0" " s5:|state down|mark1-|mark2-"
	# N1 saw s3 arrive, change twice and leave; never s4, s5, nor the
	# other namespaces' markers.
	expect_eq "$N1 s3 lines" "$(count_lines "$m1" '^\[dev,[a-z]+\] [0-9]+: s3: ')" 4
	no_line "$m1" " s4:| s5:|endmark|mark2-|mark3-"
	# N2 saw s3 arrive and leave, never s4, s5 (made before), nor N1's
	# state changes.
	expect_eq "$N2 s3 lines" "$(count_lines "$m2" '^\[dev,[a-z]+\] [0-9]+: s3: ')" 2
	no_line "$m2" " s4:| s5:|state down|endmark|mark1-|mark3-"
}

# ---- a namespace goes away -------------------------------------------------

@test "netns: dev set with a state and a namespace it cannot move to changes nothing" {
	local out
	batch_in "" "dev add s6 type sim fabric $FABRIC"
	# No process 999999: no such namespace; the state stays as it was.
	fails_with 1 "no such network namespace" dc dev set s6 state down netns 999999
	expect_eq "state after a refused move" "$(dc -j dev show s6 | jq -r '.[0].state')" up
	# Both at once, when both are allowed.
	dc dev set s6 state down netns "$N1"
	expect_eq "names" "$(names "")" "lo"
	read -r out < <(in_ns "$N1" -j dev show s6 | jq -r '.[0] | .name + " " + .state')
	expect_eq "s6 in $N1" "$out" "s6 down"
	in_ns "$N1" dev del s6
}

@test "netns: deleting a namespace returns its devices to init_net" {
	local g1 g3 tok m0 out
	in_ns "$N1" dev add s1 type sim fabric $FABRIC
	in_ns "$N2" dev add s2 type sim fabric $FABRIC
	dc dev add s3 type sim fabric $FABRIC
	dc dev set s3 netns "$N1"
	g1=$(gid s1)
	g3=$(gid s3)
	grant -n "$N1" s1 "$(gid s2)" 4K
	tok=$TOK
	in_ns "$N2" dmb write dev s2 token "$tok" data survivor
	expect_eq "init before" "$(names "")" lo
	expect_eq "$N1 before" "$(names "$N1")" "s1 s3"

	mon_start dmb
	m0=$MON
	ip netns del "$N1"
	[ ! -e "/run/netns/$N1" ]
	# The namespace dies asynchronously (cleanup_net): wait for the dump.
	wait_names "" "lo s1 s3"
	expect_eq "$N2 unchanged" "$(names "$N2")" s2
	wait_for "$m0" "^\[dev,add\] [0-9]+: s1: type sim fabric $FABRIC gid $g1 state up .*$"
	wait_for "$m0" "^\[dev,add\] [0-9]+: s3: type sim fabric $FABRIC gid $g3 state up .*$"
	# Still the same devices, on the fabric; the DMB came along: visible,
	# readable and writable from init_net.
	expect_eq "s2 -> s1" "$(in_ns "$N2" dev query s2 remote-gid "$g1")" \
		"dev s2 remote-gid $g1 reachable yes"
	expect_eq "init DMBs" "$(dc -j dmb show | jq -r '[.[].token] | join(" ")')" "$tok"
	out=$(dc dmb read dev s1 token "$tok" length 8 file -)
	in_ns "$N2" dmb write dev s2 token "$tok" data "still ok"
	out+=$(dc dmb read dev s1 token "$tok" length 8 file -)
	expect_eq "DMB bytes" "$out" "survivorstill ok"
	batch_in "" "dmb revoke dev s1 token $tok" "dev del s1" "dev del s3"
	expect_eq "init at the end" "$(names "")" lo
}

# ---- devices made in a namespace -------------------------------------------

@test "netns: a device made in a namespace is announced there only" {
	local m0 m1 out
	# N1's monitor first: its marker is made in N1.
	mon_start -n "$N1"
	m1=$MON
	mon_start
	m0=$MON
	batch_in "$N1" "dev add x1 type sim fabric $FABRIC" "dev add x2 type loopback" \
		"dev del x1" "dev del x2"
	wait_for "$m1" "^\[dev,del\] [0-9]+: x2: "
	dc dev add endmark type loopback
	wait_for "$m0" "^\[dev,add\] [0-9]+: endmark: "
	mon_stop
	# N1 saw each device come and go once.
	expect_eq "N1's x1 lines" "$(count_lines "$m1" '^\[dev,(add|del)\] [0-9]+: x1: ')" 2
	expect_eq "N1's x2 lines" "$(count_lines "$m1" '^\[dev,(add|del)\] [0-9]+: x2: ')" 2
	# init_net saw nothing of them: not even an add and a del while the
	# device is made in init_net before it is moved.
	no_line "$m0" " x1: | x2: |mark1-"
}

# ---- module unload ---------------------------------------------------------

@test "netns: rmmod with devices in several namespaces is clean" {
	local m1 t out ns
	in_ns "$N1" dev add s1 type sim fabric $FABRIC
	in_ns "$N2" dev add s2 type sim fabric $FABRIC
	dc dev add s3 type sim fabric $FABRIC
	in_ns "$N1" dev add l1 type loopback
	in_ns "$N2" dev add l2 type loopback
	grant -n "$N1" s1 "$(gid s2)" 64K
	in_ns "$N2" dmb write dev s2 token "$TOK" data x signal 1
	grant -n "$N2" s2 "$(gid s3)" 4K
	grant s3 "$(gid s1)" 4K
	grant -n "$N1" l1 "$(gid l1)" 4K
	in_ns "$N2" dev set s2 state down
	mon_start -n "$N1" dmb
	m1=$MON

	rmmod dibs_sim
	[ ! -d /sys/module/dibs_sim ]
	expect_eq "$N1 after" "$(names "$N1")" l1
	expect_eq "$N2 after" "$(names "$N2")" l2
	expect_eq "init after" "$(names "")" lo
	for ns in "$N1" "$N2" ""; do
		out=$(in_ns "$ns" -j dmb show | jq -r '[.[].dev] | join(" ")')
		case $ns in
		"$N1") expect_eq "DMBs in $ns" "$out" l1 ;;
		*) expect_eq "DMBs in '$ns'" "$out" "" ;;
		esac
	done
	# N1's monitor saw its own device go, its DMB first.
	wait_for "$m1" "^\[dev,del\] [0-9]+: s1: "
	file_has "$m1" "^\[dmb,del\] token 0x[0-9a-f]+ dev s1 "
	no_line "$m1" " s2:| s3:| dev s2 | dev s3 "

	# The loopback devices in the namespaces go with their module, the
	# core with the namespaces still there.
	mon_stop
	rmmod dibs_loopback
	expect_eq "$N1 empty" "$(names "$N1")" ""
	expect_eq "$N2 empty" "$(names "$N2")" ""
	rmmod dibs
	[ ! -e /sys/class/dibs ]
	out=$(dibs_dmesg_since_mark)
	[[ $out != *"left behind"* && $out != *"unregistering DMB"* ]] ||
		{ echo "kernel log: $out" >&2; return 1; }
	# And the namespaces can go after the module.
	ip netns del "$N1"
	ip netns del "$N2"
}
