#!/usr/bin/env bats
# dibsctl against the real kernel family, in the test VM (tests/vm/).
#
# The modules are loaded once for the file (dibs, dibs_loopback with its
# device "lo", dibs_sim); every test removes what it made (devices other
# than lo, DMBs granted from userspace) and must leave a clean kernel log.
# JSON is checked with python3 and compared with sysfs
# (/sys/class/dibs/DEV/...).
#
# Only what needs the kernel is here: parsing, usage errors, output
# formats, batch mode and the missing family are tests/unit/dibsctl.bats
# (host, fake library). Under TCG every process start and every test
# costs (bats' own setup and teardown are seconds): the tests keep their
# dibsctl and python3 calls few, skip bats' `run` where a plain call does,
# and a test checks several related things rather than one.

bats_require_minimum_version 1.5.0

load lib/dibs

NOFAM='Error: dibs netlink family not found: is the dibs module loaded?'
GID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
TOK_RE='0x[0-9a-f]{16}'

setup_file() {
	dibs_fresh_modules
}

teardown_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	dibs_load_sim
	dibs_mark
	TMP=$BATS_TEST_TMPDIR
	MON_PID=''
	NETNS=''
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local rc=0
	dibs_stop_bg "$MON_PID"
	[ -n "$NETNS" ] && ip netns del "$NETNS" 2>/dev/null
	dibs_remove_cli_state || rc=1
	dibs_no_kernel_problems || rc=1
	return $rc
}

# error_case STATUS MESSAGE ARG...: dibsctl exits STATUS with "Error:
# MESSAGE" as the first line on stderr and prints nothing on stdout.
error_case() {
	local want=$1 msg=$2 rc=0 err
	shift 2
	"$DIBSCTL" "$@" >"$TMP/ec.out" 2>"$TMP/ec.err" || rc=$?
	err=$(head -n 1 "$TMP/ec.err")
	if [ "$rc" -ne "$want" ] || [ -s "$TMP/ec.out" ] ||
	   [ "$err" != "Error: $msg" ]; then
		echo "dibsctl $*"
		echo "  want $want \"Error: $msg\""
		echo "  got $rc stdout \"$(cat "$TMP/ec.out")\" stderr \"$(cat "$TMP/ec.err")\""
		return 1
	fi
}

# start_monitor ARG...: dibsctl ARG... monitor in the background, output
# in $TMP/mon.out; returns once it demonstrably receives notifications.
start_monitor() {
	local i
	"$DIBSCTL" "$@" >"$TMP/mon.out" 2>"$TMP/mon.err" &
	MON_PID=$!
	for ((i = 0; i < 50; i++)); do
		dc dev add probe type loopback
		dc dev del probe
		grep -q probe "$TMP/mon.out" && return 0
		sleep 0.2
	done
	echo "the monitor never saw the probe device" >&2
	cat "$TMP/mon.err" >&2
	return 1
}

stop_monitor() {
	kill -TERM "$MON_PID"
	wait "$MON_PID"
	local rc=$?
	MON_PID=''
	return $rc
}

# ---- dev -------------------------------------------------------------------

@test "dibsctl: dev show plain and JSON agree with sysfs; filters; dev set state" {
	two_sims 7
	run dc dev show
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "$(dibs_devices | wc -l)" ]
	for d in $(dibs_devices); do
		re="^[0-9]+: $d: type $(dibs_dev_attr "$d" type) fabric $(dibs_dev_attr "$d" fabric_id) gid $(gid_of "$d") state up dmb-count [0-9]+ max-dmbs [0-9]+$"
		grep -Eq "$re" <<<"$output" || { echo "no line /$re/"; false; }
	done
	# abbreviations read the same
	[ "$(dc d s)" = "$output" ]
	dc -j dev show >"$TMP/j"
	dc -p dev show >"$TMP/p"
	python3 - "$TMP/j" "$TMP/p" <<'EOF'
import json, os, sys
j = json.load(open(sys.argv[1]))
assert json.load(open(sys.argv[2])) == j
names = sorted(os.listdir("/sys/class/dibs"))
assert sorted(d["name"] for d in j) == names, (j, names)
def attr(d, a):
    return open(f"/sys/class/dibs/{d}/{a}").read().strip()
for d in j:
    assert d["gid"] == attr(d["name"], "gid"), d
    assert "0x%04x" % d["fabric"] == attr(d["name"], "fabric_id"), d
    assert d["type"] == attr(d["name"], "type"), d
    assert d["state"] == "up" and isinstance(d["index"], int)
    assert isinstance(d["mapped_dmb"], bool)
    for k in ("max_dmbs", "dmb_count", "parent_bus", "parent_name",
              "netns_id"):
        assert k in d, (k, d)
    assert "stats" not in d
EOF
	# filters, and the state the kernel keeps
	dc dev set simA state down
	run dc dev show state down
	[[ $output =~ ^[0-9]+:\ simA:\ .*\ state\ down\ dmb-count\ 0\ max-dmbs\ [0-9]+$ ]]
	[ "$(dc dev show type sim state up | cut -d' ' -f2)" = "simB:" ]
	[ "$(dc dev show fabric 7 | cut -d' ' -f2 | xargs)" = "simA: simB:" ]
	[ "$(dc -j dev show type loopback | jq -r '[.[].name] | join(" ")')" = lo ]
	dc dev set simA st u
	[[ $(dc dev show simA) == *" state up dmb-count 0 "* ]]
}

@test "dibsctl: dev show DEV by name and by index, -d and -s" {
	two_sims 7
	idx=$(dc dev show simB | cut -d: -f1)
	run dc dev show simB
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == "$idx: simB: type sim fabric 0x0007 gid $(gid_of simB) "* ]]
	[ "$(dc dev show "$idx")" = "$output" ]
	# the device with index 0 is named by name underneath
	lo_idx=$(dc dev show lo | cut -d: -f1)
	[ "$(dc dev show "$lo_idx")" = "$(dc dev show lo)" ]
	run dc -d -s dev show lo
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[1]} =~ ^"    mapped-dmb "(yes|no) ]]
	[[ ${lines[2]} =~ ^"    moves "[0-9]+" move-bytes "[0-9]+" signals "[0-9]+" move-errors "[0-9]+$ ]]
	[[ ${lines[3]} =~ ^"    dmbs-registered "[0-9]+" dmbs-unregistered "[0-9]+$ ]]
	dc -s -j dev show lo | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats"]
assert set(s) == {"moves", "move_bytes", "signals", "move_errors",
                  "dmbs_registered", "dmbs_unregistered"}, s'
}

@test "dibsctl: dev add and del, loopback and sim, with and without gid; -echo" {
	run dc dev add lo2 type loopback
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(dibs_dev_attr lo2 fabric_id)" = 0xffff ]
	g=01234567-89ab-cdef-0123-456789abcdef
	run dc -j -echo dev add simC type sim fabric 0x10 gid $g
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["name"] == "simC" and d["gid"] == sys.argv[2] and \
    d["fabric"] == 16 and d["type"] == "sim", d' "$output" $g
	[ "$(gid_of simC)" = $g ]
	[ "$(dibs_dev_attr simC fabric_id)" = 0x0010 ]
	# -echo prints what the kernel made, as dev show does
	run dc -echo dev add simD type sim fabric 0x10
	[ "$output" = "$(dc dev show simD)" ]
	dc dev del simD
	dc dev del simC
	dc dev del lo2
	[ ! -e /sys/class/dibs/simC ]
	[ ! -e /sys/class/dibs/lo2 ]
}

@test "dibsctl: dev query says which gids a device reaches" {
	two_sims 7
	dc dev add simC type sim fabric 8
	run dc dev query simA remote-gid "$(gid_of simB)"
	[ "$status" -eq 0 ]
	[ "$output" = "dev simA remote-gid $(gid_of simB) reachable yes" ]
	run dc dev query simA remote-gid "$(gid_of simC)"
	[ "$status" -eq 0 ]
	[ "$output" = "dev simA remote-gid $(gid_of simC) reachable no" ]
	run dc -j dev query simA remote-gid "$(gid_of simB)"
	[ "$output" = "{\"dev\":\"simA\",\"remote_gid\":\"$(gid_of simB)\",\"reachable\":true}" ]
}

# ---- dmb -------------------------------------------------------------------

@test "dibsctl: grant, show, write, read, revoke a 1 MiB file on lo; JSON; client show" {
	head -c 1048576 /dev/urandom >"$TMP/in"
	run dc dmb grant dev lo remote-gid "$(gid_of lo)" size 1M
	[ "$status" -eq 0 ]
	[[ $output =~ ^token\ ($TOK_RE)$ ]]
	tok=${BASH_REMATCH[1]}
	run dc dmb show dev lo token "$tok"
	[ "$status" -eq 0 ]
	[[ $output =~ ^"token $tok dev lo client userspace remote-gid $(gid_of lo) size 1048576 sba "[0-9]+$ ]]
	[ "$(dc dmb show remote-gid "$(gid_of lo)")" = "$output" ]
	dc dmb write dev lo token "$tok" file "$TMP/in"
	dc dmb read dev lo token "$tok" file "$TMP/out"
	cmp "$TMP/in" "$TMP/out"
	dc dmb read dev lo token "$tok" offset 1000 length 70000 file - >"$TMP/part"
	cmp <(tail -c +1001 "$TMP/in" | head -c 70000) "$TMP/part"
	# without "file", into a pipe: a hexdump, not the raw bytes
	[ "$(dc dmb read dev lo token "$tok" length 16 | head -n 1 | cut -c1-10)" = "00000000  " ]
	run dc -s dmb show dev lo token "$tok"
	[[ ${lines[1]} =~ ^"    writes "[1-9][0-9]*" write-bytes 1048576 signals 0 refused 0"$ ]]

	# JSON: grant object, show array, read as hex; a decimal token
	run dc -j dmb grant dev lo remote-gid "$(gid_of lo)" size 4K
	[ "$status" -eq 0 ]
	tok2=$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["size"] == 4096 and d["client"] == "userspace" and d["dev"] == "lo"
assert d["remote_gid"] == sys.argv[2], d
print(d["token"])' "$output" "$(gid_of lo)")
	[[ $tok2 =~ ^$TOK_RE$ ]]
	dc dmb write dev lo token "$tok2" offset 8 data "Hi!"
	run dc -j dmb read dev lo token "$tok2" offset 8 length 3
	[ "$output" = "{\"token\":\"$tok2\",\"dev\":\"lo\",\"offset\":8,\"length\":3,\"data\":\"486921\"}" ]
	dec=$(python3 -c 'import sys; print(int(sys.argv[1], 16))' "$tok2")
	dc dmb show dev lo token "$dec" | grep -q "^token $tok2 "
	# the kernel counts both for the client
	run dc client show
	grep -Eq "^[0-9]+: userspace: dmb-count 2 devs lo:2$" <<<"$output"
	dc -j client show | python3 -c '
import json, sys
c = [x for x in json.load(sys.stdin) if x["name"] == "userspace"]
assert len(c) == 1 and c[0]["dmb_count"] == 2, c
assert [(d["name"], d["dmb_count"]) for d in c[0]["devs"]] == [("lo", 2)], c'

	dc dmb revoke dev lo token "$tok"
	dc dmb revoke dev lo token "$tok2"
	error_case 1 "no DMB with token $tok on dibs device \"lo\"" \
		dmb show dev lo token "$tok"
	run dc dmb show client userspace
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# write_200k PIECE_KIB: a 200 KiB write on sim is byte-exact and raises one
# signal; 96 KiB into a 64 KiB DMB lands up to the DMB's end. The data path
# in use (DIBSNL_DATA_PATH) shows in how many pieces the DMB was written:
# /dev/dibs moves 64 KiB a piece, a netlink request 32 KiB
# (DIBS_DATA_CHUNK_MAX). Needs simA and simB.
write_200k() {
	local piece=$1 tok
	tok=$(dc dmb grant dev simA remote-gid "$(gid_of simB)" size 256K |
	      awk '{ print $2 }')
	dc dmb write dev simB token "$tok" offset 4 file "$TMP/in" signal 3
	dc dmb read dev simA token "$tok" offset 4 length 204800 file "$TMP/out"
	cmp "$TMP/in" "$TMP/out"
	run dc -s dmb show dev simA token "$tok"
	[[ ${lines[1]} =~ ^"    writes $(((200 + piece - 1) / piece)) write-bytes 204800 signals 1 refused 0"$ ]]
	dc dmb revoke dev simA token "$tok"

	# The pieces up to the DMB's end land, the rest is refused, and no
	# signal is raised.
	tok=$(dc dmb grant dev simA remote-gid "$(gid_of simB)" size 64K |
	      awk '{ print $2 }')
	error_case 1 "offset and length do not fit in the DMB" \
		dmb write dev simB token "$tok" file "$TMP/in96" signal 1
	dc dmb read dev simA token "$tok" file "$TMP/out"
	cmp <(head -c 65536 "$TMP/in") "$TMP/out"
	run dc -s dmb show dev simA token "$tok"
	[[ ${lines[1]} =~ ^"    writes $((64 / piece)) write-bytes 65536 signals 0 refused 0"$ ]]
	dc dmb revoke dev simA token "$tok"
}

@test "dibsctl: a 200 KiB write on sim through /dev/dibs and over netlink" {
	[ -c /dev/dibs ]
	two_sims 7
	head -c 204800 /dev/urandom >"$TMP/in"
	head -c 98304 "$TMP/in" >"$TMP/in96"
	write_200k 64
	DIBSNL_DATA_PATH=netlink write_200k 32
}

# ---- /dev/dibs, the write path without netlink ------------------------------

IOC=$DIBS_REPO/tests/tools/dibs-ioctl

@test "/dev/dibs: a write lands, with dmb-write's errors for bad requests" {
	local tok idx
	two_sims 7
	tok=$(dc dmb grant dev simA remote-gid "$(gid_of simB)" size 4K |
	      awk '{ print $2 }')
	idx=$(dc -j dev show simB | jq ".[0].index")
	# one python3 for all requests: "REQUEST = RESULT" per line
	cat >"$TMP/ioc" <<EOF
simB $tok 10 hello signal 2 = ok
simB $tok 0 - signal 15 = ok
$idx $tok 0 x = ok
simA $tok 0 x = EACCES
simB 0x1234 0 x = ENOENT
nosuch $tok 0 x = ENODEV
99999 $tok 0 x = ENODEV
simB $tok 4095 xy = EINVAL
simB $tok 8388608 x = EINVAL
simB $tok 0 x flags 2 = EINVAL
simB $tok 0 x pad 1 = EINVAL
simB $tok 0 x signal 16 = EINVAL
simB $tok 0 x nul-less-name = EINVAL
simB $tok 0 x badptr = EFAULT
simB $tok 0 x len 2 = ok
EOF
	sed 's/ = .*//' "$TMP/ioc" | "$IOC" - >"$TMP/ioc.out"
	paste -d' ' <(sed 's/.* = //' "$TMP/ioc") "$TMP/ioc.out" >"$TMP/ioc.cmp"
	awk '$1 != $2 { bad = 1; print "line " NR ": want " $1 ", got " $2 }
	     END { exit bad }' "$TMP/ioc.cmp"
	[ "$(wc -l <"$TMP/ioc.out")" -eq 15 ]
	[ "$(dc dmb read dev simA token "$tok" offset 10 length 5 file -)" = hello ]
	dc dev set simB state down
	[ "$("$IOC" simB "$tok" 0 x)" = ENETDOWN ]
	dc dev set simB state up

	# Only the good writes count; the refused one shows on the DMB.
	run dc -s dmb show dev simA token "$tok"
	[[ ${lines[1]} =~ ^"    writes 4 write-bytes 8 signals 2 refused 1"$ ]]
	[ "$(dc dmb read dev simA token "$tok" length 2 file - | od -An -tx1)" = " 78 00" ]
}

@test "/dev/dibs: needs CAP_NET_ADMIN, acts in its opener's namespace, pins the module" {
	local tok refs
	two_sims 7
	tok=$(dc dmb grant dev simA remote-gid "$(gid_of simB)" size 4K |
	      awk '{ print $2 }')
	[ "$(setpriv --bounding-set=-net_admin "$IOC" simB "$tok" 0 x)" = EPERM ]
	# Opened with CAP_NET_ADMIN, written without: asked at every write.
	[ "$(printf '%s\n' "simB $tok 0 y drop net-admin" \
		"simB $tok 0 y drop nobody" | "$IOC" - | xargs)" = "EPERM EPERM" ]
	[ "$(dc dmb read dev simA token "$tok" length 1 file - | od -An -tx1)" = " 00" ]
	NETNS=dibs-cdev-$$
	ip netns add "$NETNS"
	[ "$(ip netns exec "$NETNS" "$IOC" simB "$tok" 0 x)" = ENODEV ]
	# dibsctl in that namespace writes over netlink or /dev/dibs alike:
	# the device is not there either way.
	run ip netns exec "$NETNS" "$DIBSCTL" dmb write dev simB token "$tok" data x
	[ "$status" -eq 1 ]
	[ "$output" = "Error: no such dibs device \"simB\"" ]

	refs=$(cat /sys/module/dibs/refcnt)
	exec 7<>/dev/dibs
	[ "$(cat /sys/module/dibs/refcnt)" -eq $((refs + 1)) ]
	exec 7>&-
	[ "$(cat /sys/module/dibs/refcnt)" -eq "$refs" ]
}

@test "dibsctl: on a sim fabric only the granted peer writes" {
	two_sims 7
	dc dev add simC type sim fabric 8
	tok=$(dc dmb grant dev simA remote-gid "$(gid_of simB)" size 64K |
	      awk '{ print $2 }')
	dc dmb write dev simB token "$tok" offset 100 data "hello, dibs" signal 1
	[ "$(dc dmb read dev simA token "$tok" offset 100 length 11 file -)" = "hello, dibs" ]
	error_case 1 "the DMB is not granted to the writing device" \
		dmb write dev simA token "$tok" data x
	error_case 1 "offset and length do not fit in the DMB" \
		dmb write dev simB token "$tok" offset 65535 data xy
	error_case 1 "no DMB with token $tok on the fabric of dibs device \"simC\"" \
		dmb write dev simC token "$tok" data x
	# without a length the read asks the DMB's size first
	error_case 1 "no DMB with token $tok on dibs device \"simB\"" \
		dmb read dev simB token "$tok" file -
	run dc -s -j dmb show dev simA
	python3 - "$output" "$tok" "$(gid_of simB)" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
assert len(d) == 1, d
d = d[0]
assert d["token"] == sys.argv[2] and d["remote_gid"] == sys.argv[3], d
assert d["dev"] == "simA" and d["client"] == "userspace" and d["size"] == 65536
assert d["owned"] is False and isinstance(d["sba"], int)
assert d["stats"]["writes"] >= 1 and d["stats"]["refused"] >= 1, d["stats"]
EOF
	dc dmb revoke dev simA token "$tok"
}

# ---- batch -----------------------------------------------------------------

@test "dibsctl: batch: an owned DMB lives as long as the batch" {
	cat >"$TMP/batch" <<EOF
# grant one that goes with the socket
dmb grant dev lo remote-gid $(gid_of lo) size 4K owned
dmb show client userspace
EOF
	run dc -b "$TMP/batch"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^token\ $TOK_RE$ ]]
	[[ ${lines[1]} == *" size 4096 sba "*" owned" ]]
	run dc dmb show client userspace
	[ -z "$output" ]
}

# ---- monitor ---------------------------------------------------------------

@test "dibsctl: monitor -j prints a scripted sequence in order" {
	start_monitor -j monitor
	: >"$TMP/mark"
	dc dev add simM type sim fabric 9
	dc dev add simN type sim fabric 9
	tok=$(dc dmb grant dev simM remote-gid "$(gid_of simN)" size 4K |
	      awk '{ print $2 }')
	dc dmb write dev simN token "$tok" data hi signal 2
	wait_for "$TMP/mon.out" '"object":"signal"'
	dc dmb revoke dev simM token "$tok"
	dc dev set simM state down
	dc dev del simM
	dc dev del simN
	wait_for "$TMP/mon.out" '"action":"del".*"name":"simN"'
	stop_monitor
	python3 - "$TMP/mon.out" "$tok" <<'EOF'
import json, sys
tok = sys.argv[2]
got = []
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("name") == "probe":
        continue
    what = (o["object"], o.get("action"))
    if o["object"] == "dev":
        got.append(what + (o["name"], o["state"]))
    elif o["object"] == "dmb":
        assert o["token"] == tok and o["dev"] == "simM", o
        got.append(what)
    elif o["object"] == "signal":
        assert o["token"] == tok and o["mask"] & (1 << 2), o
        got.append(what)
    elif o["object"] == "event":
        assert o["dev"] == "simM" and o["type"] == "dev" and \
            o["subtype"] == "disabled", o
        got.append(what)
    else:
        got.append(what)
want = [("dev", "add", "simM", "up"), ("dev", "add", "simN", "up"),
        ("dmb", "add"), ("signal", None), ("dmb", "del"),
        ("dev", "change", "simM", "down"), ("event", None),
        ("dev", "del", "simM", "down"), ("dev", "del", "simN", "up")]
assert got == want, "\n".join(map(str, got))
EOF
	[ ! -s "$TMP/mon.err" ]
}

@test "dibsctl: monitor plain lines, word filters, -t, SIGTERM and SIGINT" {
	start_monitor -t monitor dev
	dc dev add simM type sim fabric 9
	dc dmb grant dev lo remote-gid "$(gid_of lo)" size 4K
	dc dev del simM
	wait_for "$TMP/mon.out" '\[dev,del\] [0-9]+: simM:'
	stop_monitor
	grep -Eq "^\[[0-9T:.+-]+\] \[dev,add\] [0-9]+: simM: type sim fabric 0x0009 gid $GID_RE state up dmb-count 0 max-dmbs [0-9]+$" "$TMP/mon.out"
	[ "$(grep -c '\[dmb,' "$TMP/mon.out")" -eq 0 ]
	start_monitor monitor dmb dev
	tok=$(dc dmb grant dev lo remote-gid "$(gid_of lo)" size 4K | awk '{ print $2 }')
	wait_for "$TMP/mon.out" "^\[dmb,add\] token $tok dev lo client userspace "
	kill -INT "$MON_PID"
	wait "$MON_PID"
	MON_PID=''
}

# ---- errors ----------------------------------------------------------------

@test "dibsctl: the kernel's refusals: exact statuses and messages" {
	lg=$(gid_of lo)
	# usage errors (2) need no kernel: tests/unit/dibsctl.bats has them
	# the kernel (1), with its extack
	error_case 1 'no such dibs device "nosuch"' dev show nosuch
	error_case 1 'no such dibs device "nosuch"' dmb grant dev nosuch remote-gid "$lg" size 4K
	error_case 1 'no such dibs device "4294967295"' dev del 4294967295
	error_case 1 'a dibs device of that name exists' dev add lo type loopback
	error_case 1 'sim devices need a fabric id' dev add simX type sim
	error_case 1 'fabric 0xffff is the loopback fabric' \
		dev add simX type sim fabric 0xffff
	error_case 1 "device names use letters, digits, '_', '-' and '.'" \
		dev add 'a b' type loopback
	error_case 1 'the gid must not be all zeros' \
		dev add simX type sim fabric 3 gid 00000000-0000-0000-0000-000000000000
	error_case 1 'no DMB with token 0x0000000000001234 on dibs device "lo"' \
		dmb revoke dev lo token 0x1234
	error_case 1 'no DMB granted from userspace with token 0x0000000000001234 on dibs device "lo"' \
		dmb read dev lo token 0x1234 length 1 file -
	error_case 1 'no dibs client "nosuch"' dmb show client nosuch
	[ ! -e /sys/class/dibs/simX ]
}

@test "dibsctl: an unprivileged user can show devices but not DMBs, nor grant" {
	local tok
	command -v setpriv >/dev/null || skip "no setpriv"
	nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all)
	tok=$(dc dmb grant dev lo remote-gid "$(gid_of lo)" size 4K |
	      awk '{ print $2 }')
	run "${nobody[@]}" "$DIBSCTL" dev show
	[ "$status" -eq 0 ]
	[ "$output" = "$(dc dev show)" ]
	run "${nobody[@]}" "$DIBSCTL" -j client show
	[ "$status" -eq 0 ]
	# DMB tokens are secrets: neither the dump nor one DMB by its token
	run --separate-stderr "${nobody[@]}" "$DIBSCTL" dmb show
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "Error: showing DMBs needs CAP_NET_ADMIN" ]
	run --separate-stderr "${nobody[@]}" "$DIBSCTL" dmb show dev lo token "$tok"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "Error: showing DMBs needs CAP_NET_ADMIN" ]
	run --separate-stderr "${nobody[@]}" "$DIBSCTL" dmb grant dev lo \
		remote-gid "$(gid_of lo)" size 4K
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "Error: Operation not permitted (CAP_NET_ADMIN is needed)" ]
	run --separate-stderr "${nobody[@]}" "$DIBSCTL" dev add x type loopback
	[ "$status" -eq 1 ]
	[[ $stderr == "Error: Operation not permitted"* ]]
}

@test "dibsctl: an unprivileged monitor is refused (GENL_MCAST_CAP_NET_ADMIN)" {
	local g
	command -v setpriv >/dev/null || skip "no setpriv"
	dibs_kernel_has_mcast_cap ||
		skip "$(uname -r) has no GENL_MCAST_CAP_NET_ADMIN: anyone may listen"
	dibs_built_with DIBS_HAVE_MCAST_CAP	# kernel/Kbuild found it too
	for g in dev signal; do
		run --separate-stderr timeout 5 setpriv --reuid=nobody \
			--regid=nogroup --clear-groups --inh-caps=-all \
			"$DIBSCTL" monitor "$g"
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$stderr" = "Error: monitoring needs CAP_NET_ADMIN" ]
	done
}

@test "dibsctl: -n NETNS and dev set netns" {
	command -v ip >/dev/null || skip "no ip"
	NETNS=dibs-t$$
	ip netns add "$NETNS" || skip "cannot create a network namespace"
	two_sims 7
	dc dev set simA netns "$NETNS"
	run dc dev show
	[[ $output != *' simA: '* ]]
	run dc -n "$NETNS" dev show
	[ "$status" -eq 0 ]
	grep -q ' simA: type sim ' <<<"$output"
	[[ $output != *' simB: '* ]]
	# and back, by the pid of a process in the first namespace
	dc -n "$NETNS" dev set simA netns $$
	dc dev show simA
}
