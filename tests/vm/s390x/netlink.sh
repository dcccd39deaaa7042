#!/bin/sh
# Run by the s390x guest's /init after the KUnit suites, with dibs,
# dibs_loopback and dibs_sim loaded: the s390x dibsctl (libdibsnl, libmnl)
# against the s390x kernel, so every netlink attribute makes the trip
# through a big-endian kernel and library. Values are chosen so a swapped
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

out=$(dibsctl dmb revoke dev s0 token "$tok" 2>&1 &&
      dibsctl dev del s0 2>&1 && dibsctl dev del s1 2>&1)
check "dmb revoke, dev del" $? "$out"
