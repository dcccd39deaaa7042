#!/usr/bin/env bats
# dibs_sim suite: simulated fabrics driven through dibsctl.
#
# Runs inside the test VM (tests/vm/), as root, with the modules built under
# $DIBS_BUILD and dibsctl on $DIBSCTL. Every test starts with dibs, the
# loopback driver and dibs_sim loaded and no sim device; every test ends
# with no dibs module loaded (teardown fails the test when an unload fails;
# unloading with devices and DMBs left is part of what is tested).
#
# What dibs_sim promises (kernel/dibs_sim.c):
#   - devices of one fabric reach each other (themselves too), devices of
#     different fabrics never; a device that is down is reachable by nobody;
#   - the fabric hands out tokens, random and unique in the fabric;
#   - only the DMB's remote gid may write into it (EACCES otherwise, counted
#     as "refused" on the DMB and as a move error on the writer); a token of
#     another fabric is unknown (ENOENT);
#   - a device that goes away (or down) raises a "disabled" event with its
#     gid at every peer that holds DMBs granted to it;
#   - /sys/kernel/debug/dibs_sim/<dev>/{fail_count,fail_errno} fail the
#     device's next moves;
#   - a software event (signal_event) reaches the device with the gid on
#     the fabric, in whatever network namespace, with the sender's gid.
#
# Under TCG every process start costs up to a second when the host is
# busy, and bats traces every command: the tests batch dibsctl commands
# (-b) and ask jq once per dump where they can, and avoid long shell loops.

load lib/dibs
load lib/expect
load lib/monitor

SIM_DEBUGFS=/sys/kernel/debug/dibs_sim
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
SIM_MODULES=(dibs_sim dibs_loopback dibs)

# ---- helpers ---------------------------------------------------------------

# batch LINE...: run dibsctl commands in one process (-b); output to stdout.
batch() {
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/batch"
	"$DIBSCTL" -b "$BATS_TEST_TMPDIR/batch"
}

# sim_add FABRIC NAME...: sim devices on FABRIC; G[NAME] is each one's gid.
declare -gA G
sim_add() {
	local fabric=$1 n lines=()
	shift
	for n in "$@"; do
		lines+=("dev add $n type sim fabric $fabric")
	done
	batch "${lines[@]}" || return 1
	for n in "$@"; do
		read -r "G[$n]" <"/sys/class/dibs/$n/gid" || return 1
		[[ ${G[$n]} =~ $UUID_RE ]] || { echo "gid of $n: '${G[$n]}'" >&2; return 1; }
	done
}


# dev_stats: "NAME dmb_count moves move_bytes signals move_errors
# dmbs_registered dmbs_unregistered", a line per device.
dev_stats() {
	dc -s -j dev show | jq -r '.[] | [.name, .dmb_count, .stats.moves,
		.stats.move_bytes, .stats.signals, .stats.move_errors,
		.stats.dmbs_registered, .stats.dmbs_unregistered] | join(" ")'
}

# dmb_stats: "TOKEN sba writes write_bytes signals refused", a line per DMB.
dmb_stats() {
	dc -s -j dmb show | jq -r '.[] | [.token, .sba, .stats.writes,
		.stats.write_bytes, .stats.signals, .stats.refused] | join(" ")'
}

# line_of TEXT WORD: the line of TEXT that starts with WORD and a blank.
line_of() {
	local l
	while IFS= read -r l; do
		[ "${l%% *}" = "$2" ] && { echo "$l"; return 0; }
	done <<<"$1"
	return 1
}

# read_hex DEV TOKEN OFFSET LEN: the DMB's bytes as hex (dmb read -j).
read_hex() {
	dc -j dmb read dev "$1" token "$2" offset "$3" length "$4" | jq -r .data
}

# zeros N: what read_hex prints for N zero bytes (hex STRING, from
# lib/common, for a string's).
zeros() {
	printf '%0*d\n' $(($1 * 2)) 0
}

# ---- setup -----------------------------------------------------------------

setup_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local m
	for m in "${SIM_MODULES[@]}"; do
		dibs_ko "$m" >/dev/null || return 1
	done
	unload_dibs
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	file_has /proc/mounts ' /sys/kernel/debug debugfs '
	unload_dibs
	dibs_mark
	nap_init
	load_dibs
	dibs_insmod dibs_sim
	G=()
	# shellcheck disable=SC2034 # lib/monitor's list of monitors
	MON_PIDS=()
	EV_NS=''
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local rc=0
	mon_stop || rc=1
	if [ -n "$EV_NS" ] && [ -e "/run/netns/$EV_NS" ]; then
		ip netns del "$EV_NS" || rc=1
	fi
	dibs_unload_and_check "${SIM_MODULES[@]}" || rc=1
	return $rc
}

# ---- reachability ----------------------------------------------------------

@test "sim: reachability matrix of two fabrics, and a device that is down" {
	local -A fab=([A]=0x0101 [B]=0x0101 [C]=0x0101 [D]=0x0202)
	local x y phase cmds=() want=() out l
	sim_add 0x0101 A B C
	sim_add 0x0202 D
	out=$(dc dev show)
	for x in A B C D; do
		[[ $out =~ (^|$'\n')[0-9]+:\ $x:\ type\ sim\ fabric\ ${fab[$x]}\ gid\ ${G[$x]}\ state\ up\ dmb-count\ 0\ max-dmbs\ [0-9]+($'\n'|$) ]] ||
			{ echo "no line for $x in: $out" >&2; return 1; }
		read -r l <"/sys/class/dibs/$x/fabric_id"
		expect_eq "sysfs fabric_id of $x" "$l" "${fab[$x]}"
	done
	# Four random gids, all different.
	expect_eq "distinct gids" "$(printf '%s\n' "${G[@]}" | sort -u | wc -l)" 4

	# Every ordered pair, self included; then B down: nobody reaches B, B
	# itself included, the rest is unchanged; then B up again.
	for phase in up down up; do
		if [ $phase = down ]; then
			cmds+=("dev set B state down")
		elif [ ${#cmds[@]} -gt 0 ]; then
			cmds+=("dev set B state up")
		fi
		for x in A B C D; do
			for y in A B C D; do
				cmds+=("dev query $x remote-gid ${G[$y]}")
				if [ "${fab[$x]}" = "${fab[$y]}" ] &&
					{ [ $phase = up ] || [ "$y" != B ]; }; then
					want+=("dev $x remote-gid ${G[$y]} reachable yes")
				else
					want+=("dev $x remote-gid ${G[$y]} reachable no")
				fi
			done
		done
	done
	out=$(batch "${cmds[@]}")
	expect_eq "query matrix" "$out" "$(printf '%s\n' "${want[@]}")"

	# The same in JSON, a device that is down, and a gid nobody has.
	dc dev set C state down
	out=$(batch "dev query A remote-gid ${G[B]}" "dev query D remote-gid ${G[A]}" \
		"dev query A remote-gid ${G[C]}" "dev query A remote-gid 01234567-89ab-cdef-0123-456789abcdef" \
		"dev show C")
	read -r l < <(dc -j dev query A remote-gid "${G[B]}" | jq -c '[.dev, .remote_gid, .reachable]')
	expect_eq "json query" "$l" "[\"A\",\"${G[B]}\",true]"
	want=("dev A remote-gid ${G[B]} reachable yes"
		"dev D remote-gid ${G[A]} reachable no"
		"dev A remote-gid ${G[C]} reachable no"
		"dev A remote-gid 01234567-89ab-cdef-0123-456789abcdef reachable no")
	expect_eq "queries" "$(head -n 4 <<<"$out")" "$(printf '%s\n' "${want[@]}")"
	[[ $(tail -n 1 <<<"$out") =~ ^[0-9]+:\ C:\ type\ sim\ fabric\ 0x0101\ .*\ state\ down\ dmb-count\ 0\ max-dmbs\ [0-9]+$ ]]
}

# ---- the data path ---------------------------------------------------------

@test "sim: only the granted device writes; signals, refusals and their counters" {
	local tok sba out
	sim_add 0x0101 A B C
	sim_add 0x0202 D
	mon_start signal

	grant A "${G[B]}" 4K
	tok=$TOK
	out=$(dmb_stats)
	sba=$(line_of "$out" "$tok" | cut -d' ' -f2)
	[[ $sba =~ ^[0-9]+$ ]]
	expect_eq "dmb show" "$(dc dmb show dev A)" \
		"token $tok dev A client userspace remote-gid ${G[B]} size 4096 sba $sba"
	expect_eq "fresh DMB" "$(read_hex A "$tok" 0 16)" "$(zeros 16)"

	# B, the granted device, writes and signals: the bytes land in A's DMB
	# and A's userspace owner gets the signal.
	dc dmb write dev B token "$tok" offset 100 data hello signal 5
	expect_eq "read back" "$(dc dmb read dev A token "$tok" offset 100 length 5 file -)" hello
	wait_for "$MON" "^\[signal\] dev A token $tok sba $sba mask 0x0020$"

	# C is on the fabric but not granted: refused with EACCES, nothing
	# lands, no signal. Nor may A write its own DMB.
	fails_with 1 "the DMB is not granted to the writing device" \
		dc dmb write dev C token "$tok" offset 100 data HELLO signal 6
	fails_with 1 "the DMB is not granted to the writing device" \
		dc dmb write dev A token "$tok" offset 0 data self
	expect_eq "after refusal" "$(read_hex A "$tok" 0 105)" "$(zeros 100)$(hex hello)"

	# D is on another fabric: A's token does not exist there, not even for
	# a DMB granted to D's gid.
	fails_with 1 "no DMB with token $tok on the fabric of dibs device \"D\"" \
		dc dmb write dev D token "$tok" data far signal 1
	grant A "${G[D]}" 64
	fails_with 1 "no DMB with token $TOK on the fabric of dibs device \"D\"" \
		dc dmb write dev D token "$TOK" data far signal 1
	expect_eq "cross-fabric DMB" "$(read_hex A "$TOK" 0 3)" "$(zeros 3)"
	dc dmb revoke dev A token "$TOK"

	# A second signal from B shows that C's never arrived: its mask would
	# have been delivered, or coalesced into this one.
	dc dmb write dev B token "$tok" offset 200 data x signal 7
	wait_for "$MON" "^\[signal\] dev A token $tok sba $sba mask 0x0080$"
	mon_stop
	expect_eq "signal lines" "$(count_lines "$MON" '^\[signal\]')" 2

	# The DMB counts B's two writes and the refusals of the two writers
	# on its fabric (C, A), not D's unknown token.
	has_line "$(dmb_stats)" "$tok $sba 2 6 2 2"
	has_line "$(dc -s dmb show token "$tok")" '    writes 2 write-bytes 6 signals 2 refused 2'
	# The writers' counters: name dmbs moves bytes signals errors reg unreg.
	out=$(dev_stats)
	has_line "$out" "A 1 0 0 0 1 2 1"
	has_line "$out" "B 0 2 6 2 0 0 0"
	has_line "$out" "C 0 0 0 0 1 0 0"
	has_line "$out" "D 0 0 0 0 2 0 0"
	has_line "$(dc -s dev show C)" '    moves 0 move-bytes 0 signals 0 move-errors 1'

	# Ranges are checked against the DMB: the last byte is fine, one more
	# is EINVAL and counts as a move error, not as a refusal.
	dc dmb write dev B token "$tok" offset 4095 data z
	fails_with 1 "offset and length do not fit in the DMB" \
		dc dmb write dev B token "$tok" offset 4095 data zz
	has_line "$(dmb_stats)" "$tok $sba 3 7 2 2"
	has_line "$(dev_stats)" "B 0 3 7 2 1 0 0"
}

# ---- scale -----------------------------------------------------------------

@test "sim: 10000 grants, a full dump, revoke all" {
	local n=10000 out start=$SECONDS
	local toks=$BATS_TEST_TMPDIR/tokens dump=$BATS_TEST_TMPDIR/dump
	# lap WHAT: how long WHAT took, into the TAP output (TCG is slow).
	lap() {
		echo "# $1: $((SECONDS - start)) s" >&3
		start=$SECONDS
	}
	sim_add 0x0101 A B
	# Not a shell loop: bats traces every command of a test.
	yes "dmb grant dev A remote-gid ${G[B]} size 1K" | head -n $n >"$BATS_TEST_TMPDIR/grants"
	lap "setup"
	dc -b "$BATS_TEST_TMPDIR/grants" >"$toks"
	lap "$n grants in one batch"

	# n lines "token 0x<16 hex digits>", all different; random: about half
	# have the top bit set.
	out=$(awk '$1 == "token" && length($2) == 18 && $2 ~ /^0x[0-9a-f]+$/ { n++ }
		seen[$2]++ { dup++ } $2 ~ /^0x[89a-f]/ { high++ }
		END { print NR, n + 0, dup + 0, (high > 4500 && high < 5500) }' "$toks")
	expect_eq "tokens: lines, well-formed, duplicates, random" "$out" "$n $n 0 1"
	lap "checking the tokens"

	# The full dump has every one, with the tokens the grants printed, all
	# granted to B, each with its own signal buffer index.
	dc -j dmb show >"$dump"
	lap "dump of $n DMBs"
	out=$(jq -r --rawfile t "$toks" '[length,
		(([.[].token] | sort) == ($t | split("\n") | map(select(. != "") | ltrimstr("token ")) | sort)),
		([.[].remote_gid] | unique | join(",")), ([.[].sba] | unique | length),
		([.[] | select(.dev == "A" and .client == "userspace" and .size == 1024)] | length)] | join(" ")' "$dump")
	expect_eq "dump" "$out" "$n true ${G[B]} $n $n"
	has_line "$(dev_stats)" "A $n 0 0 0 0 $n 0"
	out=$(dc dev show A)
	[[ $out =~ ^[0-9]+:\ A:\ .*\ state\ up\ dmb-count\ $n\ max-dmbs\ 16384$ ]]
	read -r out < <(dc -j client show | jq -c '.[] | select(.name == "userspace") | [.dmb_count, [.devs[] | [.name, .dmb_count]]]')
	expect_eq "client show" "$out" "[$n,[[\"A\",$n]]]"
	# One of them, from the middle, works.
	TOK=$(sed -n "$((n / 2))s/^token //p" "$toks")
	dc dmb write dev B token "$TOK" offset 1000 data middle signal 0
	expect_eq "middle DMB" "$(dc dmb read dev A token "$TOK" offset 1000 length 6 file -)" middle
	lap "checking the dump"

	sed 's/^token /dmb revoke dev A token /' "$toks" >"$BATS_TEST_TMPDIR/revokes"
	dc -b "$BATS_TEST_TMPDIR/revokes"
	lap "$n revokes in one batch"

	out=$(batch "dmb show" "dev show A" "client show")
	[[ $out =~ ^[0-9]+:\ A:\ .*\ state\ up\ dmb-count\ 0\ max-dmbs\ 16384$'\n'[0-9]+:\ userspace:\ dmb-count\ 0(\ devs\ A:0)?$ ]] ||
		{ echo "after revoke: $out" >&2; return 1; }
	expect_eq "dump after revoke" "$(dc -j dmb show)" "[]"
	out=$(dev_stats)
	has_line "$out" "A 0 0 0 0 0 $n $n"
	has_line "$out" "B 0 1 6 1 0 0 0"
	# The tokens are gone for the fabric too.
	fails_with 1 "no DMB with token $TOK on the fabric of dibs device \"B\"" \
		dc dmb write dev B token "$TOK" data late
	lap "checking it is all gone"
}

# ---- dumps -----------------------------------------------------------------

@test "sim: client show lists 1000 devices, each holding one DMB" {
	local n=1000 out
	local t=$BATS_TEST_TMPDIR
	sim_add 0x0101 P
	seq -f "dev add s%.0f type sim fabric 0x0101" 1 $n >"$t/devs"
	seq -f "dmb grant dev s%.0f remote-gid ${G[P]} size 4K" 1 $n >"$t/grants"
	dc -b "$t/devs"
	dc -b "$t/grants" >/dev/null
	# 1000 device nests do not fit one message: the kernel continues the
	# client in the next ones, the library merges them into one client.
	dc -j client show >"$t/clients"
	out=$(jq -r '[.[] | select(.name == "userspace")] | [length, .[0].dmb_count,
		(.[0].devs | length),
		([.[0].devs[] | select(.dmb_count == 1 and (.name | test("^s[0-9]+$")))] | length),
		([.[0].devs[].name] | unique | length)] | join(" ")' "$t/clients")
	expect_eq "client show -j: clients, dmbs, devs, devs with 1 DMB, distinct" \
		"$out" "1 $n $n $n $n"
	out=$(dc client show | awk -F' devs ' '/^[0-9]+: userspace: / {
		n++; print n, $1, split($2, d, ","), d[1] }')
	[[ $out =~ ^1\ [0-9]+:\ userspace:\ dmb-count\ $n\ $n\ s1:1$ ]] ||
		{ echo "client show: '$out'" >&2; return 1; }
	# A socket of its own: the first part of the dump is a small skb.
	out=$("$DIBS_REPO/tests/tools/dibsnl-probe" clients |
		awk '$2 == "userspace" { n++; c = $3; d = NF - 3 } END { print n, c, d }')
	expect_eq "probe clients: lines, dmbs, devs" "$out" "1 $n $n"
}

@test "sim: a dmb dump while DMBs come and go is complete or flagged interrupted" {
	local t=$BATS_TEST_TMPDIR i rc out churn intr=0 whole=0
	sim_add 0x0101 A B C
	# 600 DMBs that stay, on A and C: the dump passes B in between.
	{
		yes "dmb grant dev A remote-gid ${G[B]} size 1K" | head -n 300
		yes "dmb grant dev C remote-gid ${G[B]} size 1K" | head -n 300
	} >"$t/stable"
	dc -b "$t/stable" | sed 's/^token //' >"$t/toks"
	# B's DMBs come (granted owned) and go (their socket closes), without end.
	yes "dmb grant dev B remote-gid ${G[A]} size 1K owned" | head -n 200 >"$t/churn"
	# churn_stop: the loop ends after its current batch.
	churn_stop() {
		touch "$t/stop"
		wait $churn || true
	}
	(while [ ! -e "$t/stop" ]; do "$DIBSCTL" -b "$t/churn" >/dev/null 2>&1; done) 3>&- &
	churn=$!
	# Each dump is whole (status 0, every stable DMB once) or says it was
	# interrupted (status 1); never short without a word. Go on until one
	# was interrupted: the churn overlapped and the flag came through.
	for ((i = 1; i <= 30 && (intr == 0 || i <= 2); i++)); do
		rc=0
		dc -j dmb show >"$t/dump" 2>"$t/err" || rc=$?
		if [ $rc -eq 1 ] &&
		   grep -qx 'Error: dump interrupted: .*' "$t/err"; then
			intr=$((intr + 1))
			continue
		fi
		[ $rc -eq 0 ] && [ ! -s "$t/err" ] ||
			{ echo "dump $i: status $rc:" >&2; cat "$t/err" >&2; churn_stop; return 1; }
		out=$(jq -r --rawfile t "$t/toks" '[.[].token] as $d |
			(($t | split("\n") | map(select(. != ""))) - $d | length),
			($d | length) - ($d | unique | length)' "$t/dump" | paste -sd' ')
		[ "$out" = "0 0" ] ||
			{ echo "dump $i: whole but stable DMBs missing, duplicates: $out" >&2; churn_stop; return 1; }
		whole=$((whole + 1))
	done
	churn_stop
	echo "# dumps: $whole whole, $intr interrupted" >&3
	[ $intr -gt 0 ] || { echo "no dump of $((i - 1)) was flagged interrupted" >&2; return 1; }
}

# ---- a device goes away ----------------------------------------------------

@test "sim: deleting a device raises the fabric event at peers holding DMBs for it" {
	local tokb tokc sba
	sim_add 0x0101 A B C
	sim_add 0x0202 D
	mon_start event dmb
	grant A "${G[B]}" 4K
	tokb=$TOK
	# C holds a DMB too, but for A: it is not told about B.
	grant C "${G[A]}" 4K
	tokc=$TOK
	dc dmb write dev B token "$tokb" data before signal 1

	dc dev del B
	[ ! -e /sys/class/dibs/B ]
	[ ! -e "$SIM_DEBUGFS/B" ]
	fails_with 1 "" dc dev show B
	wait_for "$MON" "^\[dev,del\] [0-9]+: B: type sim fabric 0x0101 gid ${G[B]} "
	wait_for "$MON" "^\[event\] dev A type dev subtype disabled gid ${G[B]} token 0x0000000000000000 time [0-9]+ data 0x0$"
	# Once settled (a marker after it), that is the only event: none at C,
	# none at D.
	dc dev add mark type loopback
	wait_for "$MON" "^\[dev,add\] [0-9]+: mark: "
	expect_eq "event lines" "$(count_lines "$MON" '^\[event\]')" 1

	# A's DMB for B stays, with its bytes, until it is revoked; C may not
	# write it in B's place.
	sba=$(dc -j dmb show token "$tokb" | jq '.[0].sba')
	out=$(batch "dmb show dev A" "dmb read dev A token $tokb length 6 file -")
	expect_eq "A's DMB" "$out" \
		"token $tokb dev A client userspace remote-gid ${G[B]} size 4096 sba $sba"$'\n'before
	fails_with 1 "the DMB is not granted to the writing device" \
		dc dmb write dev C token "$tokb" data x
	dc dmb revoke dev A token "$tokb"
	wait_for "$MON" "^\[dmb,del\] token $tokb dev A "
	out=$(dc dmb show)
	[[ $out =~ ^token\ $tokc\ dev\ C\ client\ userspace\ remote-gid\ ${G[A]}\ [^$'\n']*$ ]] ||
		{ echo "left: $out" >&2; return 1; }

	# The same through "state down": C's own clients get the core's event,
	# A (holding a DMB for C) the fabric's; A's DMB stays.
	grant A "${G[C]}" 64
	dc dev set C state down
	wait_for "$MON" "^\[event\] dev C type dev subtype disabled gid ${G[C]} "
	wait_for "$MON" "^\[event\] dev A type dev subtype disabled gid ${G[C]} "
	[ -n "$(dc dmb show token "$TOK")" ]
	mon_stop
}

# ---- software events -------------------------------------------------------

@test "sim: a software event reaches the gid's device in another namespace" {
	local mon nobody z=0x0000000000000000
	EV_NS=dibs-ev-$$
	sim_add 0x0303 A B
	read -r nobody </proc/sys/kernel/random/uuid
	ip netns add "$EV_NS"
	dc dev set B netns "$EV_NS"
	mon_start -n "$EV_NS" event
	mon=$MON

	# A, in the initial namespace, to B in EV_NS: B's listeners see the
	# code, the data and A's gid. (Loopback and the errnos: netlink.bats.)
	dc dev event A remote-gid "${G[B]}" subtype 0xc0de data 0x1122334455667788
	wait_for "$mon" "^\[event\] dev B type sw subtype 49374 gid ${G[A]} token $z time [0-9]+ data 0x1122334455667788$"

	# Refused: nobody's gid, a sender that is down, a caller without
	# CAP_NET_ADMIN.
	fails_with 1 "remote-gid $nobody is not reachable through dev \"A\"" \
		dc dev event A remote-gid "$nobody" subtype 1
	dc dev set A state down
	fails_with 1 "dev \"A\" is down: it sends no events" \
		dc dev event A remote-gid "${G[B]}" subtype 1
	dc dev set A state up
	fails_with 1 "Operation not permitted (CAP_NET_ADMIN is needed)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$DIBSCTL" dev event A remote-gid "${G[B]}" subtype 2
	# B got its one event, once.
	dc -n "$EV_NS" dev add mark type loopback
	wait_for "$mon" "^\[dev,add\] [0-9]+: mark: "
	expect_eq "sw events at B" "$(count_lines "$mon" '^\[event\] .* type sw ')" 1
	mon_stop
	ip netns del "$EV_NS"
}

# ---- fault injection -------------------------------------------------------

@test "sim: injected move_data failures fail writes with the chosen errno" {
	local tok v out
	sim_add 0x0101 A B
	grant A "${G[B]}" 4K
	tok=$TOK
	[ -d "$SIM_DEBUGFS/B" ]
	read -r v <"$SIM_DEBUGFS/B/fail_count"
	expect_eq "fail_count default" "$v" 0
	read -r v <"$SIM_DEBUGFS/B/fail_errno"
	expect_eq "fail_errno default" "$v" 5
	# Only a real errno is taken: 0 would turn a failure into success.
	for v in 0 4096 -1; do
		if echo "$v" 2>/dev/null >"$SIM_DEBUGFS/B/fail_errno"; then
			echo "fail_errno took $v" >&2
			return 1
		fi
	done
	expect_eq "fail_errno unchanged" "$(cat "$SIM_DEBUGFS/B/fail_errno")" 5

	echo 1 >"$SIM_DEBUGFS/B/fail_count"
	echo 28 >"$SIM_DEBUGFS/B/fail_errno"
	fails_with 1 "No space left on device" \
		dc dmb write dev B token "$tok" data first signal 2
	read -r v <"$SIM_DEBUGFS/B/fail_count"
	expect_eq "fail_count used up" "$v" 0
	expect_eq "nothing landed" "$(read_hex A "$tok" 0 5)" "$(zeros 5)"
	# A move error of B's; not a refusal of the DMB's (EACCES only).
	has_line "$(dev_stats)" "B 0 0 0 0 1 0 0"
	out=$(line_of "$(dmb_stats)" "$tok")
	[[ $out =~ ^$tok\ [0-9]+\ 0\ 0\ 0\ 0$ ]] || { echo "DMB stats: $out" >&2; return 1; }

	# The next write goes through.
	dc dmb write dev B token "$tok" data second signal 2
	expect_eq "second landed" "$(dc dmb read dev A token "$tok" length 6 file -)" second
	has_line "$(dc -s dev show B)" '    moves 1 move-bytes 6 signals 1 move-errors 1'

	# Two failures with the default errno (EIO), then success; the knob
	# is the writer's: A's writes into B's DMB are not affected.
	echo 5 >"$SIM_DEBUGFS/B/fail_errno"
	echo 2 >"$SIM_DEBUGFS/B/fail_count"
	grant B "${G[A]}" 64
	dc dmb write dev A token "$TOK" data fromA
	fails_with 1 "Input/output error" dc dmb write dev B token "$tok" data third
	fails_with 1 "Input/output error" dc dmb write dev B token "$tok" data third
	dc dmb write dev B token "$tok" data third
	expect_eq "third landed" "$(dc dmb read dev A token "$tok" length 6 file -)" thirdd
	out=$(dev_stats)
	has_line "$out" "B 1 2 11 1 3 1 0"
	has_line "$out" "A 1 1 5 0 0 1 0"
}

# ---- device life cycle -----------------------------------------------------

@test "sim: duplicate gid on a fabric and fabric 0xffff are refused; dev del" {
	local gid=01234567-89ab-cdef-0123-456789abcdef out idx g rc
	sim_add 0x0101 A
	# The same gid on the same fabric: EEXIST, and no device is left; in
	# upper case it is the same gid. The driver says which name or gid is
	# taken (the core's dev-new leaves its message alone).
	for g in "${G[A]}" "${G[A]^^}"; do
		fails_with 1 "a device with this gid is on the fabric" \
			dc dev add A2 type sim fabric 257 gid "$g"
		[ ! -e /sys/class/dibs/A2 ]
	done
	# On another fabric the gid is free; a gid of our choosing works.
	batch "dev add A3 type sim fabric 0x0202 gid ${G[A]}" \
		"dev add E type sim fabric 0x0101 gid $gid"
	read -r out </sys/class/dibs/A3/gid
	expect_eq "A3 gid" "$out" "${G[A]}"
	read -r out </sys/class/dibs/E/gid
	expect_eq "E gid" "$out" "$gid"
	# The name A2 was free all along.
	batch "dev add A2 type sim fabric 0x0101" "dev del A2"
	out=$(batch "dev query A remote-gid $gid" "dev query A3 remote-gid ${G[A]}" "dev query A remote-gid ${G[A]}")
	expect_eq "queries" "$out" "dev A remote-gid $gid reachable yes
dev A3 remote-gid ${G[A]} reachable yes
dev A remote-gid ${G[A]} reachable yes"

	# A name that exists; the loopback fabric is not for sim devices; sim
	# needs a fabric; 0 is an ordinary fabric.
	fails_with 1 "a dibs device of that name exists" dc dev add A type sim fabric 0x0303
	fails_with 1 "fabric 0xffff is the loopback fabric" dc dev add F type sim fabric 0xffff
	fails_with 1 "fabric 0xffff is the loopback fabric" dc dev add F type sim fabric 65535
	fails_with 1 "sim devices need a fabric id" dc dev add F type sim
	[ ! -e /sys/class/dibs/F ]
	dc dev add F type sim fabric 0
	read -r out </sys/class/dibs/F/fabric_id
	expect_eq "F fabric" "$out" 0x0000

	# dev del of a sim device: gone from the dump, sysfs and debugfs, its
	# DMBs with it; its gid is free on the fabric again.
	grant A "$gid" 4K
	dc dev del A
	[ ! -e /sys/class/dibs/A ]
	[ ! -e "$SIM_DEBUGFS/A" ]
	expect_eq "devices" "$(dc -j dev show | jq -r '[.[].name] | sort | join(" ")')" "A3 E F lo"
	fails_with 1 "" dc dev del A
	fails_with 1 "" dc dmb show token "$TOK"
	dc dev add A type sim fabric 0x0101 gid "${G[A]}"
	out=$(batch "dev query E remote-gid ${G[A]}" "dmb show dev A")
	expect_eq "A again" "$out" "dev E remote-gid ${G[A]} reachable yes"
	# By index too.
	idx=$(dc -j dev show E | jq '.[0].index')
	dc dev del "$idx"
	[ ! -e /sys/class/dibs/E ]
	# The loopback device "lo" is not a sim device and stays.
	[ -e /sys/class/dibs/lo ]
}

@test "sim: a deleted device's gid stays refused while DMBs are granted to it" {
	local gone tok idx out
	sim_add 0x0101 A B
	gone=${G[B]}
	idx=$(dc -j dev show B | jq '.[0].index')
	grant A "$gone" 4K
	tok=$TOK
	dc dev del B
	# A's DMB is still granted to B's gid: a new device with that gid
	# would write into it. Refused until the owner revokes it.
	fails_with 1 "DMBs on the fabric are still granted to this gid: revoke them first" \
		dc dev add B2 type sim fabric 0x0101 gid "$gone"
	[ ! -e /sys/class/dibs/B2 ]
	# On another fabric the gid has no grants.
	batch "dev add X type sim fabric 0x0202 gid $gone" "dev del X"
	dc dmb revoke dev A token "$tok"
	dc dev add B2 type sim fabric 0x0101 gid "$gone"
	fails_with 1 "" dc dmb write dev B2 token "$tok" data x
	# Indexes are not reused soon, as ifindex: B2 is not B again.
	out=$(dc -j dev show B2 | jq '.[0].index')
	((out > idx)) || { echo "B2 has index $out, B had $idx" >&2; return 1; }
}

@test "sim: rmmod dibs_sim with devices, DMBs and pending faults is clean" {
	local out
	sim_add 0x0101 A B
	sim_add 0x0202 C D
	grant A "${G[B]}" 64K
	dc dmb write dev B token "$TOK" data pending signal 3
	# The last grant is owned: it goes with dibsctl's socket, so three
	# DMBs stay, one of them 4 MiB.
	out=$(batch "dmb grant dev B remote-gid ${G[A]} size 1" \
		"dmb grant dev C remote-gid ${G[D]} size 4M" \
		"dmb grant dev D remote-gid ${G[C]} size 4K owned" \
		"dev set D state down")
	echo 5 >"$SIM_DEBUGFS/A/fail_count"
	expect_eq "DMBs before" "$(dc -j dmb show | jq length)" 3

	rmmod dibs_sim
	[ ! -d /sys/module/dibs_sim ]
	[ ! -e "$SIM_DEBUGFS" ]
	[ ! -e /sys/class/dibs/A ]
	[ ! -e /sys/class/dibs/B ]
	[ ! -e /sys/class/dibs/C ]
	[ ! -e /sys/class/dibs/D ]
	out=$(batch "dev show" "dmb show" "client show")
	[[ $out =~ ^[0-9]+:\ lo:\ [^$'\n']*$'\n'[0-9]+:\ userspace:\ dmb-count\ 0$ ]] ||
		{ echo "after rmmod: $out" >&2; return 1; }
	# The userspace client released its DMBs; nothing was left behind.
	out=$(dibs_dmesg_since_mark)
	[[ $out != *"left behind"* && $out != *"unregistering DMB"* ]] ||
		{ echo "kernel log: $out" >&2; return 1; }

	# The type is gone with the module ...
	fails_with 1 "" dc dev add A type sim fabric 0x0101
	[ ! -e /sys/class/dibs/A ]
	# ... and back with it; the same gids are free again.
	dibs_insmod dibs_sim
	batch "dev add A type sim fabric 0x0101 gid ${G[A]}" \
		"dev add B type sim fabric 0x0101 gid ${G[B]}"
	expect_eq "A -> B" "$(dc dev query A remote-gid "${G[B]}")" "dev A remote-gid ${G[B]} reachable yes"
	# And out again, while a signal may be pending.
	grant A "${G[B]}" 4K
	dc dmb write dev B token "$TOK" data last signal 15
	rmmod dibs_sim
	[ ! -e /sys/class/dibs/A ]
}
