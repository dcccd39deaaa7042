#!/bin/sh
# Run by the s390x guest's /init after the KUnit suites, with dibs,
# dibs_loopback, dibs_sim and dibs_console loaded: the s390x dibsctl
# (libdibsnl, libmnl) against the s390x kernel, so every netlink attribute
# makes the trip through a big-endian kernel and library, and a console
# session its rings. Values are chosen so a swapped
# byte order shows: fabric 0x1234 (u16), a gid of 16 distinct bytes, a DMB
# of 0x1100 bytes, an offset of 0x102, signal bit 3 (u64 mask).
# Prints one line per check, "dibs-s390x: check NAME: ok" or
# "dibs-s390x: check NAME: FAIL what was seen"; the host turns them into TAP.

G0=00112233-4455-6677-8899-aabbccddeeff
G1=01234567-89ab-cdef-0123-456789abcdef

check() {	# check NAME CONDITION-STATUS DETAIL
	if [ "$2" = 0 ]; then
		echo "dibs-s390x: check $1: ok"
	else
		echo "dibs-s390x: check $1: FAIL $3"
	fi
}

out=$(dibsctl dev add s0 type sim fabric 0x1234 gid $G0 2>&1 &&
      dibsctl dev add s1 type sim fabric 0x1234 gid $G1 2>&1)
check "dev add: two sim devices on fabric 0x1234" $? "$out"

show=$(dibsctl dev show s1 2>&1)
echo "$show" | grep -q ": s1: type sim fabric 0x1234 gid $G1 state up "
check "dev show: fabric (u16) and gid as given" $? "$show"

sysgid=$(cat /sys/class/dibs/s1/gid 2>&1)
[ "$sysgid" = "$G1" ]
check "the kernel's sysfs gid is the one netlink carried" $? "$sysgid"

idx=$(echo "$show" | sed -n 's/^\([0-9]*\): s1: .*/\1/p')
byidx=$(dibsctl dev show "$idx" 2>&1)
echo "$byidx" | grep -q "^$idx: s1: "
check "dev show INDEX: the u32 index names the same device" $? "$byidx"

q=$(dibsctl dev query s1 remote-gid $G0 2>&1)
echo "$q" | grep -q "reachable yes"
check "dev query: the peer's gid is reachable" $? "$q"

tok=$(dibsctl dmb grant dev s0 remote-gid $G1 size 4352 2>&1)
tok=${tok#token }
case $tok in
0x*) rc=0 ;;
*) rc=1 ;;
esac
check "dmb grant: a token" $rc "$tok"

dmb=$(dibsctl dmb show dev s0 token "$tok" 2>&1)
echo "$dmb" | grep -q "^token $tok dev s0 .*remote-gid $G1 size 4352 "
check "dmb show: token (u64), remote gid and size (u32) as granted" $? "$dmb"

w=$(dibsctl dmb write dev s1 token "$tok" offset 258 data big-endian signal 3 2>&1)
check "dmb write: from the granted gid's device, offset 0x102, signal 3" $? "$w"

st=$(dibsctl -s dmb show dev s0 token "$tok" 2>&1)
echo "$st" | grep -q "writes 1 write-bytes 10 signals 1 "
check "dmb show -s: the write and its signal counted (u64 stats)" $? "$st"

r=$(dibsctl dmb read dev s0 token "$tok" offset 258 length 10 file - 2>&1)
[ "$r" = big-endian ]
check "dmb read: the bytes at offset 0x102" $? "$r"

# The console (dibs_console) on big-endian: a shell on s1's tty, reached
# from s0 by `dibsctl console connect` over the same fabric. Its ring
# indexes are little-endian on the wire (uapi/dibs-console.md): the
# console's prod in C2S (the server's DMB, 4 KiB header + 32 KiB ring)
# must read so, low byte first.
out=$(dibsctl console enable dev s1 allow $G0 2>&1)
check "console enable: s1's console for s0's gid" $? "$out"
tty=/dev/$(cat /sys/class/dibs/s1/console/tty)
setsid sh -c "exec sh -i <$tty >$tty 2>&1" &
shpid=$!
mkdir -p /tmp
mkfifo /tmp/con.in
dibsctl console connect dev s0 remote-gid $G1 linger 1 \
	</tmp/con.in >/tmp/con.out 2>/tmp/con.err &
cpid=$!
# a server that ended early makes the writes fail, not this script die
trap '' PIPE
exec 5>/tmp/con.in
# The prompt went nowhere before the server attached: type the command
# until its answer comes (20 s at most).
i=0
while [ $i -lt 20 ] && kill -0 $cpid 2>/dev/null &&
	! grep -q '^s390x-42' /tmp/con.out; do
	# shellcheck disable=SC2016 # for the shell on the tty to expand
	printf 'echo s390x-$((6 * 7))\r' >&5
	sleep 1
	i=$((i + 1))
done
grep -q '^s390x-42' /tmp/con.out
check "console connect: the shell on ttyDIBS answers through the rings" $? \
	"$(cat /tmp/con.err /tmp/con.out)"

c2s=$(dibsctl dmb show dev s0 | sed -n 's/^token \(0x[0-9a-f]*\) .* size 36864 .*/\1/p')
prod=$(dibsctl dmb read dev s0 token "$c2s" offset 8 length 8 file - | od -An -tx1 | tr -d ' \n')
case $prod in
0000*) rc=1 ;;
????000000000000) rc=0 ;;
*) rc=1 ;;
esac
check "console: the console's prod in C2S is little-endian" $rc "C2S $c2s prod bytes $prod"

# The shell leaves, then the server at the end of its input.
printf 'exit\r' >&5
exec 5>&-
i=0
while kill -0 $cpid 2>/dev/null && [ $i -lt 20 ]; do
	sleep 1
	i=$((i + 1))
done
wait $cpid
check "console connect ends at the end of its input" $? "$(cat /tmp/con.err)"
kill -9 $shpid 2>/dev/null
out=$(dibsctl console disable dev s1 2>&1)
check "console disable" $? "$out"

out=$(dibsctl dmb revoke dev s0 token "$tok" 2>&1 &&
      dibsctl dev del s0 2>&1 && dibsctl dev del s1 2>&1)
check "dmb revoke, dev del" $? "$out"
