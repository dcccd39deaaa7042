#!/usr/bin/env bats
# Host tests of dibsctl: no kernel family needed.
#
# Two binaries: dibsctl/dibsctl (the real one: every command that reaches
# the kernel fails here with "family not found", which is itself tested)
# and tests/unit/obj/dibsctl-fake, the same code linked against an in-memory
# fake of libdibsnl (tests/unit/dibsctl_fakenl.c) so that output, JSON and
# what the tool asks the library for can be checked.
#
# Run: make -C dibsctl check (or bats tests/unit/dibsctl.bats after
# make -C tests/unit dibsctl-progs). Set DIBSCTL_FUZZ_SEED to replay a fuzz run,
# DIBSCTL_FUZZ_N for another number of argument vectors (default 400).
#
# Another build of the same sources (tests/unit/s390x-unit: cross-built,
# run under qemu-user) is tested by setting DIBSCTL_REAL and DIBSCTL_FAKE
# to commands running it, and DIBSCTL_CROSS to what that build is: nothing
# is built then, and the tests of the host build's own products (rpath,
# install, man page, valgrind) skip, saying so.
#
# Word splitting of $args, $g, $r ... is meant: they hold argument lists.
# shellcheck disable=SC2086

bats_require_minimum_version 1.5.0

load ../lib/common

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
DIR=$REPO/dibsctl
REAL=${DIBSCTL_REAL:-$DIR/dibsctl}
FAKE=${DIBSCTL_FAKE:-$BATS_TEST_DIRNAME/obj/dibsctl-fake}
GID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
LO_GID=11121314-1516-1718-191a-1b1c1d1e1f20
SIM1_GID=33343536-3738-393a-3b3c-3d3e3f404142
NOFAM='Error: dibs netlink family not found: is the dibs module loaded?'

setup_file() {
	[ -n "${DIBSCTL_CROSS:-}" ] ||
		make -s -C "$BATS_TEST_DIRNAME" dibsctl-progs >&2
}

# host_build_only: the test is about the host build's products.
host_build_only() {
	[ -z "${DIBSCTL_CROSS:-}" ] ||
		skip "tests the host build, not the $DIBSCTL_CROSS one"
}

# no_genl_skip: qemu-user refuses generic netlink sockets (it cannot
# translate their payloads), so the real binary never asks for the family.
no_genl_skip() {
	if "$REAL" dev show 2>&1 | grep -q 'Protocol not supported'; then
		skip "no generic netlink socket here (qemu-user?)"
	fi
}

setup() {
	unset DIBSNL_FAKE_NOFAMILY DIBSNL_FAKE_UNPRIV DIBSNL_FAKE_TRACE \
		DIBSNL_FAKE_NTF DIBSNL_FAKE_NTF_MS
	TMP=$BATS_TEST_TMPDIR
}

# The real binary can reach a dibs family only where the module is loaded.
family_present() {
	"$REAL" dev show >/dev/null 2>&1
}

# json_check: stdin must be valid JSON.
json_check() {
	python3 -c 'import json, sys; json.load(sys.stdin)'
}

# usage_case STATUS MESSAGE ARG...: the real binary exits STATUS with
# "Error: MESSAGE" on stderr and one line after it, the hint
# 'try "dibsctl ... help"' (not the grammar), and nothing on stdout.
usage_case() {
	local want=$1 msg=$2
	shift 2
	run --separate-stderr "$REAL" "$@"
	if [ "$status" -ne "$want" ] || [ -n "$output" ] ||
	   [ "${stderr_lines[0]}" != "Error: $msg" ] ||
	   [ "${#stderr_lines[@]}" -ne 2 ] ||
	   [[ ${stderr_lines[1]} != 'try "dibsctl '*'help"' ]]; then
		echo "dibsctl $*"
		echo "  want status $want, \"Error: $msg\" and a try line"
		echo "  got status $status, stdout \"$output\""
		echo "  stderr: $stderr"
		return 1
	fi
}

# ---- build artefacts, version, man page, completion ----------------------

@test "version: -V prints dibsctl's and libdibsnl's version, both from VERSION" {
	want=$(cat "$REPO/VERSION")
	[[ $want =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$REAL" -V
	[ "$status" -eq 0 ]
	[ "$output" = "dibsctl $want (libdibsnl $want)" ]
	run "$REAL" -Version
	[ "$output" = "dibsctl $want (libdibsnl $want)" ]
	# no version of their own in the Makefiles
	! grep -nE '^VERSION.*[0-9]+\.[0-9]+' "$DIR/Makefile" "$REPO/libdibsnl/Makefile"
}

@test "build: the in-tree binary finds libdibsnl through \$ORIGIN" {
	host_build_only
	run readelf -d "$REAL"
	[[ $output == *'$ORIGIN/../libdibsnl'* ]]
	env -u LD_LIBRARY_PATH "$REAL" -V
}

@test "build: gids are parsed and formatted by libdibsnl, not by dibsctl" {
	# The symbols of the host build (a cross build's $REAL is a command
	# that runs it under qemu-user, not a file nm reads).
	if [ -z "${DIBSCTL_CROSS:-}" ]; then
		run nm -D --undefined-only "$REAL"
		[[ $output == *" dibsnl_gid_parse"* && $output == *" dibsnl_gid_format"* ]]
		# no parser or formatter of its own beside them
		run nm --defined-only "$DIR"/obj/*.o
		[ "$status" -eq 0 ]
		! grep -Ei ' [a-z_]*(parse_gid|format_gid|gid_parse|gid_format)' <<<"$output"
	fi
	# and the library's rules are dibsctl's: upper case in, lower case out
	run "$FAKE" dev query sim0 remote-gid "${SIM1_GID^^}"
	[ "$output" = "dev sim0 remote-gid $SIM1_GID reachable yes" ]
}

@test "man page renders with groff -ww and man -l without warnings" {
	host_build_only
	run groff -man -ww -z "$DIR/dibsctl.8"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	if command -v man >/dev/null; then
		run --separate-stderr env MANWIDTH=80 man --warnings=w -l "$DIR/dibsctl.8"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS OUTPUT \
			 "JSON OUTPUT" "BATCH MODE" "EXIT STATUS" EXAMPLES "SEE ALSO"; do
			grep -qx "$s" <<<"$output" || { echo "no section $s"; false; }
		done
	fi
}

@test "man page documents every command and JSON key" {
	man=$(groff -man -Tutf8 "$DIR/dibsctl.8" 2>/dev/null | col -bx |
	      tr -s ' ')
	for c in "dev show" "dev add" "dev del" "dev set" "dev query" "dev event" \
		 "dmb show" "dmb grant" "dmb revoke" "dmb write" "dmb read" \
		 "client show" "monitor"; do
		grep -q "^ $c" <<<"$man" || { echo "no command $c"; false; }
	done
	# every key the fake's output carries
	keys=$({ "$FAKE" -s -j dev show; "$FAKE" -s -j dmb show
		 "$FAKE" -j client show; } |
	       python3 -c '
import json, sys
keys = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k); walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
for line in sys.stdin:
    walk(json.loads(line))
print(" ".join(sorted(keys)))')
	for k in $keys; do
		grep -qw -- "$k" <<<"$man" || { echo "key $k undocumented"; false; }
	done
}

@test "make install puts binary, man page and completion under DESTDIR" {
	host_build_only
	make -s -C "$DIR" install DESTDIR="$TMP/root" PREFIX=/usr >&2
	[ -x "$TMP/root/usr/sbin/dibsctl" ]
	[ -f "$TMP/root/usr/share/man/man8/dibsctl.8" ]
	[ -f "$TMP/root/usr/share/bash-completion/completions/dibsctl" ]
	run readelf -d "$TMP/root/usr/sbin/dibsctl"
	[[ $output != *RUNPATH* && $output != *RPATH* ]]
	[[ $output == *libdibsnl.so.1* ]]
}

@test "bash completion: objects, commands, keywords, live devices, tokens, clients, gids" {
	mkdir -p "$TMP/bin"
	ln -s "$FAKE" "$TMP/bin/dibsctl"
	run env PATH="$TMP/bin:$PATH" bash -c '
		. "$1"
		comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
			 _dibsctl; echo "${COMPREPLY[*]}"; }
		comp dibsctl ""
		comp dibsctl dm ""
		comp dibsctl d s ""
		comp dibsctl dmb grant dev lo ""
		comp dibsctl dev add x type ""
		comp dibsctl -j monitor ""
		comp dibsctl dev show lo ""
		comp dibsctl dev show type ""
		comp dibsctl monitor dmb dev ""
		comp dibsctl dmb show dev lo ""
		comp dibsctl dmb read dev lo token 1 ""
		comp dibsctl -ec
		comp dibsctl co ""
		comp dibsctl console enable dev lo allow x ""
		comp dibsctl console connect dev ""' _ "$DIR/bash-completion/dibsctl"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "dev dmb client monitor console help" ]
	[ "${lines[1]}" = "show grant revoke write read help" ]
	[ "${lines[2]}" = "lo sim0 sim1 dev type fabric state" ]
	[ "${lines[3]}" = "remote-gid size owned" ]
	[ "${lines[4]}" = "loopback sim" ]
	[ "${lines[5]}" = "all dev dmb client event signal help" ]
	[ "${lines[6]}" = "type fabric state" ]
	[ "${lines[7]}" = "loopback sim ivshmem" ]
	[ "${lines[8]}" = "all dev dmb client event signal help lo sim0 sim1" ]
	[ "${lines[9]}" = "token client remote-gid" ]
	[ "${lines[10]}" = "offset length file" ]
	[ "${lines[11]}" = "-echo" ]
	[ "${lines[12]}" = "show connect enable disable help" ]
	[ "${lines[13]}" = "allow" ]
	[ "${lines[14]}" = "lo sim0 sim1" ]
	# tokens (of the DEV given, but any for a write: the DMB is remote),
	# client names and the gids within reach, from dibsctl itself
	run env PATH="$TMP/bin:$PATH" bash -c '
		. "$1"
		comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
			 _dibsctl; echo "[${COMPREPLY[*]}]"; }
		comp dibsctl dmb revoke dev lo token ""
		comp dibsctl dmb revoke dev sim0 token ""
		comp dibsctl dmb write dev sim0 token 0x
		comp dibsctl dmb show client ""
		comp dibsctl dmb grant dev lo remote-gid 3
		comp dibsctl dev query sim0 remote-gid ""
		comp dibsctl dev add x gid ""' _ "$DIR/bash-completion/dibsctl"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[0x0000000000001000]" ]
	[ "${lines[1]}" = "[]" ]
	[ "${lines[2]}" = "[0x0000000000001000]" ]
	[ "${lines[3]}" = "[smc-d userspace]" ]
	[ "${lines[4]}" = "[$SIM1_GID]" ]
	[ "${lines[5]}" = "[$LO_GID 22232425-2627-2829-2a2b-2c2d2e2f3031 $SIM1_GID]" ]
	# a new device's gid is the user's to choose: nothing offered
	[ "${lines[6]}" = "[]" ]
	# a failing dibsctl gives no device names, and no error
	run env PATH="$TMP/bin:$PATH" DIBSNL_FAKE_NOFAMILY=1 bash -c '
		. "$1"; COMP_WORDS=(dibsctl dev show ""); COMP_CWORD=3
		_dibsctl; echo "[${COMPREPLY[*]}]"' _ "$DIR/bash-completion/dibsctl"
	[ "$status" -eq 0 ]
	[ "$output" = "[dev type fabric state]" ]
}

# ---- help at every level -------------------------------------------------

@test "help: every level prints its grammar on stdout and exits 0" {
	check() {
		run --separate-stderr "$REAL" "$@"
		[ "$status" -eq 0 ] && [ -z "$stderr" ] &&
			[[ ${lines[0]} == "Usage: dibsctl $want"* ]] ||
			{ echo "dibsctl $*: $status '${lines[0]}' '$stderr'"; return 1; }
	}
	want='[ OPTIONS ] OBJECT'
	check help
	check -h
	check --help
	want='dev show'
	check dev help
	want='dmb show'
	check dmb help
	check dmb he
	want='client show'
	check client help
	want='monitor ['
	check monitor help
	check monitor dev help
	want='dev show [ [ dev ] DEV ]'
	check dev show help
	want='dev add NAME type'
	check dev add help
	want='dev del DEV'
	check dev del help
	want='dev set DEV'
	check dev set help
	check dev set lo help
	want='dev query DEV'
	check dev query help
	want='dmb grant dev DEV'
	check dmb grant help
	check dmb grant dev lo help
	want='dmb write dev DEV'
	check dmb write help
	want='dmb read dev DEV'
	check dmb read help
	want='dmb revoke dev DEV'
	check dmb rev help
	want='client show'
	check client show help
}

@test "help: object help lists every command; options grammar on top" {
	run "$REAL" dev help
	for c in show add del set query event; do
		[[ $output == *"dibsctl dev $c"* ]]
	done
	[[ $output == *"where  DEV   := { NAME | INDEX }"* ]]
	run "$REAL" dmb help
	for c in show grant revoke write read; do
		[[ $output == *"dibsctl dmb $c"* ]]
	done
	run "$REAL" help
	[[ $output == *"-n[etns] NETNS"* && $output == *"-b[atch] FILE"* ]]
	# 80 columns
	for o in "" dev dmb client monitor; do
		run "$REAL" $o help
		[ "$(grep -c '.\{81\}' <<<"$output")" -eq 0 ]
	done
}

# ---- prefixes -------------------------------------------------------------

@test "prefix: unique, exact and preferred prefixes are accepted" {
	family_present && skip "a dibs family is present"
	no_genl_skip
	for args in "d s" "de sh" "dev show" "dm s" "dmb sh" "c s" "cl" \
		    "dev" "dmb" "client" "m" "mon all" "monitor d s"; do
		run --separate-stderr "$REAL" $args
		[ "$status" -eq 1 ] && [ "$stderr" = "$NOFAM" ] ||
			{ echo "dibsctl $args: $status $stderr"; false; }
	done
}

@test "prefix: ambiguous and unknown prefixes are usage errors naming them" {
	usage_case 2 'ambiguous command "r" for "dmb": "revoke", "read"' dmb r
	usage_case 2 'ambiguous command "re" for "dmb": "revoke", "read"' dmb re
	usage_case 2 'unknown object "x"' x
	usage_case 2 'unknown object "devices"' devices
	usage_case 2 'unknown command "shows" for "dev"' dev shows
	usage_case 2 'unknown command "S" for "dev"' dev S
	usage_case 2 'unknown keyword "z" for "dmb grant"' dmb grant z
	usage_case 2 'unknown keyword "" for "dmb grant"' dmb grant ""
	usage_case 2 'unknown object ""' ""
	usage_case 2 'unknown keyword "x" for "monitor"' monitor x
	usage_case 2 'unknown option "-x"' -x dev show
	usage_case 2 'unknown option "-"' - dev show
}

# ---- usage errors ---------------------------------------------------------

@test "usage: an error names the help of its level, in one line" {
	run --separate-stderr "$REAL" dev del
	[ "$status" -eq 2 ]
	[ "$stderr" = 'Error: a DEV is needed
try "dibsctl dev del help"' ]
	run --separate-stderr "$REAL" dev bogus
	[ "$stderr" = 'Error: unknown command "bogus" for "dev"
try "dibsctl dev help"' ]
	run --separate-stderr "$REAL" monitor bogus
	[ "$stderr" = 'Error: unknown keyword "bogus" for "monitor"
try "dibsctl monitor help"' ]
	run --separate-stderr "$REAL" bogus
	[ "$stderr" = 'Error: unknown object "bogus"
try "dibsctl help"' ]
	run --separate-stderr "$REAL" -x
	[ "$stderr" = 'Error: unknown option "-x"
try "dibsctl help"' ]
	# the hint works: it prints that level's grammar
	run --separate-stderr "$REAL" dev del help
	[ "$status" -eq 0 ]
	[ "$output" = "Usage: dibsctl dev del DEV
$(sed -n '/^where  DEV /,$p' <<<"$("$REAL" dev help)")" ]
	# a -force batch of bad lines: three lines of stderr per bad line
	printf 'dev del\ndmb grant dev lo\nbogus\n' >"$TMP/batch"
	run --separate-stderr "$FAKE" -force -b "$TMP/batch"
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 9 ]
	[[ $stderr != *Usage* ]]
	[ "${stderr_lines[4]}" = 'try "dibsctl dmb grant help"' ]
}


@test "usage: missing values, keywords and arguments" {
	usage_case 2 'an OBJECT is needed'
	usage_case 2 'an OBJECT is needed' -j
	usage_case 2 'option "-b" needs an argument' -b
	usage_case 2 'option "-n" needs an argument' -n
	usage_case 2 '"size" needs a value' \
		dmb grant dev lo remote-gid $LO_GID size
	usage_case 2 '"dev" needs a value' dmb show dev
	usage_case 2 '"dev" is needed' dmb grant remote-gid $LO_GID size 4K
	usage_case 2 '"remote-gid" is needed' dmb grant dev lo size 4K
	usage_case 2 '"size" is needed' dmb grant dev lo remote-gid $LO_GID
	usage_case 2 '"token" is needed' dmb revoke dev lo
	usage_case 2 '"data" or "file" is needed' dmb write dev lo token 1
	usage_case 2 'only one of "data" and "file" may be given' \
		dmb write dev lo token 1 data x file /dev/null
	usage_case 2 '"type" is needed' dev add x
	usage_case 2 'a NAME for the new device is needed' dev add
	usage_case 2 'a DEV is needed' dev del
	usage_case 2 'a DEV is needed' dev set
	usage_case 2 '"state" or "netns" is needed' dev set lo
	usage_case 2 '"remote-gid" is needed' dev query lo
	usage_case 2 'a DEV is needed' dev event
	usage_case 2 '"remote-gid" is needed' dev event lo subtype 1
	usage_case 2 '"subtype" is needed' dev event lo remote-gid $LO_GID
	usage_case 2 '"subtype" is given twice' \
		dev event lo remote-gid $LO_GID subtype 1 subtype 2
	usage_case 2 '"data" needs a value' \
		dev event lo remote-gid $LO_GID subtype 1 data
	usage_case 2 'invalid subtype "0x100000000": at most 4294967295 (0xffffffff)' \
		dev event lo remote-gid $LO_GID subtype 0x100000000
	usage_case 2 'invalid subtype "-1": expected a decimal or 0x-prefixed hex number' \
		dev event lo remote-gid $LO_GID subtype -1
	usage_case 2 'invalid data "0x1ffffffffffffffff": larger than 64 bits' \
		dev event lo remote-gid $LO_GID subtype 1 data 0x1ffffffffffffffff
	usage_case 2 'invalid data "4K": expected a decimal or 0x-prefixed hex number' \
		dev event lo remote-gid $LO_GID subtype 1 data 4K
	usage_case 2 'invalid remote-gid "1": expected a uuid like 01234567-89ab-cdef-0123-456789abcdef' \
		dev event lo remote-gid 1 subtype 1
	usage_case 2 'unknown keyword "type" for "dev event"' \
		dev event lo remote-gid $LO_GID type sw subtype 1
	usage_case 2 'unexpected argument "b": the DEV is "a"' dev show a b
	usage_case 2 'unexpected argument "x"' client show x
	usage_case 2 '"token" is given twice' dmb show token 1 token 2
	usage_case 2 '"owned" is given twice' \
		dmb grant dev lo remote-gid $LO_GID size 1 owned owned
	usage_case 2 '-b FILE takes no OBJECT on the command line ("dev")' \
		-b /dev/null dev show
}

@test "usage: bad gids" {
	for g in xyz "" 01234567-89ab-cdef-0123-456789abcde \
		 01234567-89ab-cdef-0123-456789abcdef0 \
		 0123456789abcdef0123456789abcdef \
		 0123456g-89ab-cdef-0123-456789abcdef; do
		usage_case 2 "invalid remote-gid \"$g\": expected a uuid like 01234567-89ab-cdef-0123-456789abcdef" \
			dmb grant dev lo remote-gid "$g" size 4K
	done
	usage_case 2 'invalid gid "xyz": expected a uuid like 01234567-89ab-cdef-0123-456789abcdef' \
		dev add x type sim gid xyz
	usage_case 2 'invalid remote-gid "1": expected a uuid like 01234567-89ab-cdef-0123-456789abcdef' \
		dev query lo remote-gid 1
}

@test "usage: bad sizes" {
	g="dmb grant dev lo remote-gid $LO_GID size"
	usage_case 2 'invalid size "0": a DMB has at least 1 byte' $g 0
	usage_case 2 'invalid size "0K": a DMB has at least 1 byte' $g 0K
	usage_case 2 'invalid size "8388609": at most 8M (8388608 bytes)' $g 8388609
	usage_case 2 'invalid size "9M": at most 8M (8388608 bytes)' $g 9M
	usage_case 2 'invalid size "1G": at most 8M (8388608 bytes)' $g 1G
	usage_case 2 'invalid size "99999999999999999999999": at most 8M (8388608 bytes)' \
		$g 99999999999999999999999
	for s in 4Q -1 4.5K K 4KB " 4" 0x abc; do
		usage_case 2 "invalid size \"$s\": expected a number with an optional K, M or G suffix" \
			$g "$s"
	done
}

@test "usage: bad tokens, offsets, lengths, signal indices" {
	r="dmb read dev lo token"
	for t in zz deadbeef 0x 0xg -1 ""; do
		usage_case 2 "invalid token \"$t\": expected 0x and hex digits, or a decimal number" \
			$r "$t"
	done
	usage_case 2 'invalid token "0x1ffffffffffffffff": larger than 64 bits' \
		$r 0x1ffffffffffffffff
	usage_case 2 'invalid token "18446744073709551616": larger than 64 bits' \
		$r 18446744073709551616
	usage_case 2 'invalid offset "8M": at most 8388607' $r 1 offset 8M
	usage_case 2 'invalid offset "x": expected a number (decimal or 0x hex, K or M suffix)' \
		$r 1 offset x
	usage_case 2 'invalid length "0": at least 1' $r 1 length 0
	usage_case 2 'invalid length "9M": at most 8388608' $r 1 length 9M
	usage_case 2 'offset 4096 and length 8388608 reach past the largest DMB (8M)' \
		$r 1 offset 4K length 8M
	w="dmb write dev lo token 1 data x signal"
	usage_case 2 'invalid signal index "16": expected 0 .. 15' $w 16
	usage_case 2 'invalid signal index "-1": expected 0 .. 15' $w -1
	usage_case 2 'invalid signal index "a": expected 0 .. 15' $w a
}

@test "usage: bad devices, names, types, states, fabric ids, netns" {
	usage_case 2 'invalid DEV "aaaaaaaaaaaaaaaa": device names have at most 15 characters' \
		dev show aaaaaaaaaaaaaaaa
	usage_case 2 'invalid DEV "99999999999": device index larger than 32 bits' \
		dev del 99999999999
	usage_case 2 'invalid dev "": a device name or index is needed' \
		dmb show dev ""
	usage_case 2 'invalid device name "123": all digits would read as an index' \
		dev add 123 type sim
	usage_case 2 'invalid device name "aaaaaaaaaaaaaaaa": 1 to 15 characters' \
		dev add aaaaaaaaaaaaaaaa type sim
	usage_case 2 'unknown device type "foo": expected loopback or sim' \
		dev add x type foo
	usage_case 2 'invalid fabric "0x10000": expected a fabric id 0 .. 0xffff, decimal or 0x hex' \
		dev add x type sim fabric 0x10000
	usage_case 2 'invalid fabric "65536": expected a fabric id 0 .. 0xffff, decimal or 0x hex' \
		dev add x type sim fabric 65536
	usage_case 2 'invalid state "sideways": expected up or down' \
		dev set lo state sideways
	usage_case 2 'invalid netns "a/b": a name under /run/netns or a process id' \
		dev set lo netns a/b
	usage_case 2 'invalid client name "": 1 to 63 characters' \
		dmb show client ""
}

@test "usage: argument parsing comes before any kernel access" {
	# a usage error stays exit 2 even without the family
	run --separate-stderr env DIBSNL_FAKE_NOFAMILY=1 "$FAKE" dmb grant dev lo size 0
	[ "$status" -eq 2 ]
	[[ ${stderr_lines[0]} == 'Error: invalid size "0"'* ]]
}

# ---- no family ------------------------------------------------------------

@test "no family: commands that need the kernel fail with exit 1" {
	family_present && skip "a dibs family is present"
	no_genl_skip
	for args in "dev show" "-j dev show" "dev show lo" "dev del lo" \
		    "dmb show" "client show" "monitor" "dev query lo remote-gid $LO_GID" \
		    "dmb grant dev lo remote-gid $LO_GID size 4K" \
		    "dev add x type sim" "dev set lo state up"; do
		run --separate-stderr "$REAL" $args
		[ "$status" -eq 1 ] && [ "$stderr" = "$NOFAM" ] && [ -z "$output" ] ||
			{ echo "dibsctl $args: $status '$stderr' '$output'"; false; }
	done
}

@test "-n NETNS: missing, invalid and existing namespaces" {
	run --separate-stderr "$REAL" -n dibsctl-no-such-ns dev show
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: cannot open network namespace "dibsctl-no-such-ns": No such file or directory' ]
	run --separate-stderr "$REAL" -n ../etc dev show
	[ "$status" -eq 2 ]
	[ "$stderr" = 'Error: invalid network namespace name "../etc"' ]
	[ "$(id -u)" -eq 0 ] && command -v ip >/dev/null || skip "needs root and ip"
	ns=dibsctl-t$$
	ip netns add "$ns" || skip "cannot create a network namespace"
	run "$FAKE" -n "$ns" dev show
	ip netns del "$ns"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0: lo: type loopback fabric 0xffff gid $LO_GID state up dmb-count 1 max-dmbs 5000" ]
	run "$FAKE" -n $$ dev show
	[ "$status" -eq 0 ]
}

# ---- output against the fake library ---------------------------------------

@test "dev show: plain lines, -d and -s" {
	run "$FAKE" dev show
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "0: lo: type loopback fabric 0xffff gid $LO_GID state up dmb-count 1 max-dmbs 5000" ]
	[ "${lines[2]}" = "2: sim1: type sim fabric 0x0007 gid $SIM1_GID state up dmb-count 0 max-dmbs 5000" ]
	run "$FAKE" -d -s dev show sim1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "2: sim1: type sim fabric 0x0007 gid $SIM1_GID state up dmb-count 0 max-dmbs 5000" ]
	[ "${lines[1]}" = "    mapped-dmb no parent-bus dibs_sim parent-name sim2" ]
	[ "${lines[2]}" = "    moves 30 move-bytes 12288 signals 0 move-errors 0" ]
	[ "${lines[3]}" = "    dmbs-registered 0 dmbs-unregistered 0" ]
}

@test "dev show: JSON and pretty JSON are valid and carry the keys" {
	for o in -j -p "-j -s" "-p -d -s"; do
		"$FAKE" $o dev show | json_check
	done
	run "$FAKE" -s -j dev show lo
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	python3 - "$output" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
assert isinstance(d, list) and len(d) == 1, d
lo = d[0]
want = {"index": 0, "name": "lo", "type": "loopback", "fabric": 65535,
        "gid": "11121314-1516-1718-191a-1b1c1d1e1f20", "state": "up",
        "max_dmbs": 5000, "dmb_count": 1, "mapped_dmb": True,
        "parent_bus": None, "parent_name": None, "netns_id": None}
for k, v in want.items():
    assert lo[k] == v, (k, lo[k], v)
assert lo["stats"]["moves"] == 10 and lo["stats"]["move_bytes"] == 4096
assert set(lo["stats"]) == {"moves", "move_bytes", "signals", "move_errors",
                            "dmbs_registered", "dmbs_unregistered"}
EOF
	run "$FAKE" -p dev show lo
	[ "${lines[0]}" = "[" ]
	[ "${lines[1]}" = "    {" ]
	[ "${lines[2]}" = '        "index": 0,' ]
}

@test "dev: names and indexes reach the library the right way" {
	export DIBSNL_FAKE_TRACE=1
	run --separate-stderr "$FAKE" dev show 2
	[[ $stderr == *"dev_get index=2"* ]]
	[[ ${lines[0]} == "2: sim1:"* ]]
	# index 0 cannot be sent as an index: it is looked up by name
	run --separate-stderr "$FAKE" dev show 0
	[ "$status" -eq 0 ]
	[[ $stderr == *"dev_get name=lo"* ]]
	run --separate-stderr "$FAKE" dev show dev sim0
	[[ $stderr == *"dev_get name=sim0"* ]]
	run --separate-stderr "$FAKE" dev set 1 state down
	[ "$status" -eq 0 ]
	[[ $stderr == *"dev_set index=1 state=0 pid=0 fd=none"* ]]
	run --separate-stderr "$FAKE" dev set sim0 state u
	[[ $stderr == *"dev_set name=sim0 state=1 pid=0 fd=none"* ]]
	run --separate-stderr "$FAKE" dev set sim0 netns $$
	[[ $stderr == *"dev_set name=sim0 state=-1 pid=$$ fd=none"* ]]
	# state and netns together: one request, all or nothing
	run --separate-stderr "$FAKE" dev set sim0 state down netns $$
	[[ $stderr == *"dev_set name=sim0 state=0 pid=$$ fd=none"* ]]
	run --separate-stderr "$FAKE" dev add x type l fabric 0x10
	[[ $stderr == *"dev_new name=x type=loopback fabric=0x0010 gid=default"* ]]
	run --separate-stderr "$FAKE" dev add x type sim gid $LO_GID
	[[ $stderr == *"dev_new name=x type=sim fabric=default:0x0000 gid=given"* ]]
}

@test "dev: errors from the library and the kernel" {
	# ENODEV: the kernel says "no such dibs device", dibsctl which one
	run --separate-stderr "$FAKE" dev show nope
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: no such dibs device "nope"' ]
	run --separate-stderr "$FAKE" dev show 7
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: no such dibs device "7"' ]
	for args in "dev del nope" "dev set nope state up" \
		    "dev query nope remote-gid $LO_GID" "dmb show dev nope" \
		    "dmb show dev nope token 1" "dmb revoke dev nope token 1" \
		    "dmb grant dev nope remote-gid $LO_GID size 4K" \
		    "dmb write dev nope token 1 data x" \
		    "dmb read dev nope token 1" "dmb read dev nope token 1 length 1"; do
		run --separate-stderr "$FAKE" $args
		[ "$status" -eq 1 ] &&
			[ "$stderr" = 'Error: no such dibs device "nope"' ] ||
			{ echo "dibsctl $args: $status $stderr"; false; }
	done
	run --separate-stderr "$FAKE" dev add lo type loopback
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: device name "lo" is taken' ]
	run --separate-stderr env DIBSNL_FAKE_UNPRIV=1 "$FAKE" dev del sim0
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: Operation not permitted (CAP_NET_ADMIN is needed)' ]
	run --separate-stderr "$FAKE" dev set sim0 netns dibsctl-no-such-ns
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: cannot open network namespace "dibsctl-no-such-ns": No such file or directory' ]
}

@test "dev add: silent, with -echo the new device as dev show prints it; dev query" {
	run "$FAKE" dev add sim9 type sim
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$FAKE" -j dev add sim9 type sim fabric 7
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$FAKE" -echo dev add sim9 type sim fabric 7
	[ "$status" -eq 0 ]
	[ "$output" = "3: sim9: type sim fabric 0x0007 gid 44454647-4849-4a4b-4c4d-4e4f50515253 state up dmb-count 0 max-dmbs 5000" ]
	run "$FAKE" -e -j dev add sim9 type sim fabric 7
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["name"]=="sim9" and d["fabric"]==7 and d["index"]==3, d' "$output"
	# -echo on a command that makes nothing prints what it always does
	run "$FAKE" -echo dev show lo
	[ "$output" = "$("$FAKE" dev show lo)" ]
	run "$FAKE" dev query sim0 remote-gid $SIM1_GID
	[ "$output" = "dev sim0 remote-gid $SIM1_GID reachable yes" ]
	run "$FAKE" dev query lo remote-gid $SIM1_GID
	[ "$status" -eq 0 ]
	[ "$output" = "dev lo remote-gid $SIM1_GID reachable no" ]
	run "$FAKE" -j dev q sim0 r $SIM1_GID
	[ "$output" = "{\"dev\":\"sim0\",\"remote_gid\":\"$SIM1_GID\",\"reachable\":true}" ]
}

@test "dev event: what the library is asked; refusals name dev and gid" {
	run --separate-stderr env DIBSNL_FAKE_TRACE=1 "$FAKE" dev event sim0 \
		remote-gid ${SIM1_GID^^} subtype 0xc0de data 0xffffffffffffffff
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ $stderr == *"fakenl: event_signal name=sim0 subtype=49374 data=0xffffffffffffffff"* ]]
	# data defaults to 0; abbreviated keywords; a device by index
	run --separate-stderr env DIBSNL_FAKE_TRACE=1 "$FAKE" dev ev 1 r $SIM1_GID s 7
	[ "$status" -eq 0 ]
	[[ $stderr == *"event_signal index=1 subtype=7 data=0x0"* ]]
	run --separate-stderr "$FAKE" dev event lo remote-gid $SIM1_GID subtype 1
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: remote-gid $SIM1_GID is not reachable through dev \"lo\" (no such device on its fabric, or it is down)" ]
	run --separate-stderr "$FAKE" dev event nope remote-gid $SIM1_GID subtype 1
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: no such dibs device "nope"' ]
	run --separate-stderr env DIBSNL_FAKE_UNPRIV=1 "$FAKE" dev event sim0 \
		remote-gid $SIM1_GID subtype 1
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: Operation not permitted (CAP_NET_ADMIN is needed)' ]
}

@test "dmb show: plain, -d -s, filters, JSON" {
	run "$FAKE" dmb show
	[ "$output" = "token 0x0000000000001000 dev lo client smc-d remote-gid $LO_GID size 16384 sba 0" ]
	run "$FAKE" -d -s dmb
	[ "${lines[1]}" = "    dev-index 0 client-id 0" ]
	[ "${lines[2]}" = "    writes 3 write-bytes 300 signals 0 refused 0" ]
	run "$FAKE" dmb show client userspace
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$FAKE" -j dmb show client userspace
	[ "$output" = "[]" ]
	run "$FAKE" dmb show token 0x1000
	[ "${#lines[@]}" -eq 1 ]
	run --separate-stderr "$FAKE" dmb show token 0x2000
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: no DMB with token 0x0000000000002000" ]
	run --separate-stderr "$FAKE" dmb show dev sim0 token 4096
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: no DMB with token 0x0000000000001000 on dibs device "sim0"' ]
	run --separate-stderr "$FAKE" dmb show dev lo token 4096 client userspace
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: no DMB with token 0x0000000000001000 of client "userspace" on dibs device "lo"' ]
	run --separate-stderr "$FAKE" dmb show client nosuch
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: no dibs client "nosuch"' ]
	# ENOENT: the token and where it was looked for
	run --separate-stderr "$FAKE" dmb revoke dev sim0 token 0x1000
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: no DMB with token 0x0000000000001000 on dibs device "sim0"' ]
	run --separate-stderr "$FAKE" dmb read dev sim0 token 0x1000
	[ "$stderr" = 'Error: no DMB with token 0x0000000000001000 on dibs device "sim0"' ]
	run --separate-stderr "$FAKE" dmb read dev sim0 token 0x1000 length 1
	[ "$stderr" = 'Error: no DMB granted from userspace with token 0x0000000000001000 on dibs device "sim0"' ]
	run --separate-stderr "$FAKE" dmb write dev sim0 token 0x1000 data x
	[ "$stderr" = 'Error: no DMB with token 0x0000000000001000 on the fabric of dibs device "sim0"' ]
	run "$FAKE" -s -j dmb show dev lo token 4096
	python3 - "$output" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])[0]
want = {"token": "0x0000000000001000", "dev": "lo", "dev_index": 0,
        "client": "smc-d", "client_id": 0, "size": 16384, "sba": 0,
        "owned": False, "remote_gid": "11121314-1516-1718-191a-1b1c1d1e1f20"}
for k, v in want.items():
    assert d[k] == v, (k, d[k], v)
assert d["stats"] == {"writes": 3, "write_bytes": 300, "signals": 0,
                      "refused": 0}, d["stats"]
EOF
}

@test "output: plain words are the JSON keys ('-' for '_'), each field once" {
	for args in "dev show" "dmb show" "client show"; do
		"$FAKE" -d -s $args >"$TMP/plain"
		"$FAKE" -d -s -j $args >"$TMP/json"
		python3 - "$TMP/plain" "$TMP/json" "$args" <<'EOF'
import json, re, sys
plain = open(sys.argv[1]).read().rstrip("\n").split("\n")
objs = json.load(open(sys.argv[2]))
# one object: its first line and the indented lines under it
recs = []
for line in plain:
    if line.startswith("    "):
        recs[-1] += " " + line.strip()
    else:
        recs.append(line)
assert len(recs) == len(objs), (recs, objs)
def flat(o, into):
    for k, v in o.items():
        if isinstance(v, dict):
            flat(v, into)
        else:
            into[k] = v
    return into
flags = {"owned"}
for rec, obj in zip(recs, objs):
    j = flat(obj, {})
    words = rec.split()
    # "INDEX: NAME:" (dev, client) is the index (or id) and the name
    m = re.match(r"(\d+): (\S+): (.*)", rec)
    if m:
        idk = "index" if "index" in j else "id"
        assert int(m.group(1)) == j[idk] and m.group(2) == j["name"], rec
        words = m.group(3).split()
    seen = []
    i = 0
    while i < len(words):
        w = words[i]
        key = w.replace("-", "_")
        assert "_" not in w, ("a plain word with '_'", w)
        assert key in j, ("plain word without a JSON key", w, sorted(j))
        if w in flags:
            assert j[key] is True, (w, j[key])
            i += 1
        else:
            v, jv = words[i + 1], j[key]
            if isinstance(jv, bool):
                assert v == ("yes" if jv else "no"), (w, v, jv)
            elif isinstance(jv, int):
                assert int(v, 0) == jv, (w, v, jv)
            elif w == "devs":
                pass        # "lo:1,...": checked by the client tests
            else:
                assert v == jv, (w, v, jv)
            i += 2
        seen.append(w)
    assert len(seen) == len(set(seen)), ("a field twice", seen)
EOF
	done
}

@test "output: a dmb show line reads back as dmb grant arguments" {
	line=$("$FAKE" dmb show)
	read -r -a w <<<"$line"
	# token T dev D client C remote-gid G size N sba S
	[ "${w[2]}" = dev ] && [ "${w[6]}" = remote-gid ] && [ "${w[8]}" = size ]
	run "$FAKE" -echo dmb grant "${w[@]:2:2}" "${w[@]:6:4}"
	[ "$status" -eq 0 ]
	[[ $output == "token 0x0000000000010000 dev lo client userspace remote-gid $LO_GID size 16384 sba "[0-9]* ]]
	run "$FAKE" -echo dmb grant dev lo remote-gid $LO_GID size 4K owned
	[[ $output == *" size 4096 sba "[0-9]*" owned" ]]
	# and the token, dev pair revokes it
	run --separate-stderr env DIBSNL_FAKE_TRACE=1 "$FAKE" dmb revoke "${w[@]:2:2}" "${w[@]:0:2}"
	[[ $stderr == *"dmb_revoke name=lo token=0x1000"* ]]
}

@test "filters: dev show type, fabric, state; dmb show remote-gid" {
	names() { "$FAKE" "$@" | awk '{ print $2 }' | tr -d : | xargs; }
	[ "$(names dev show type sim)" = "sim0 sim1" ]
	[ "$(names dev show type loopback)" = "lo" ]
	[ "$(names dev show fabric 7)" = "sim0 sim1" ]
	[ "$(names dev show fabric 0xffff)" = "lo" ]
	[ "$(names dev show state up type sim fabric 0x7)" = "sim0 sim1" ]
	[ "$(names dev show state up)" = "lo sim0 sim1" ]
	[ "$(names dev show dev sim1 type sim)" = "sim1" ]
	# a filter that matches nothing is no error
	run --separate-stderr "$FAKE" dev show state down
	[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
	run "$FAKE" -j dev show sim0 type loopback
	[ "$status" -eq 0 ] && [ "$output" = "[]" ]
	run "$FAKE" dev show type ivshmem
	[ "$status" -eq 0 ] && [ -z "$output" ]
	usage_case 2 'invalid fabric "0x10000": expected a fabric id 0 .. 0xffff, decimal or 0x hex' \
		dev show fabric 0x10000
	usage_case 2 'invalid state "sideways": expected up or down' \
		dev show state sideways
	usage_case 2 'invalid type "": a device type such as loopback or sim, 1 to 31 characters' \
		dev show type ""
	usage_case 2 '"type" is given twice' dev show type sim type sim
	usage_case 2 '"state" needs a value' dev show state
	usage_case 2 'unexpected argument "sim0": the DEV is "lo"' dev show lo sim0

	run "$FAKE" dmb show remote-gid $LO_GID
	[ "${#lines[@]}" -eq 1 ] && [[ $output == "token 0x0000000000001000 "* ]]
	run "$FAKE" dmb show remote-gid $SIM1_GID
	[ "$status" -eq 0 ] && [ -z "$output" ]
	run "$FAKE" -j dmb show client smc-d remote-gid $SIM1_GID
	[ "$output" = "[]" ]
	run --separate-stderr "$FAKE" dmb show dev lo token 0x1000 remote-gid $SIM1_GID
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: no DMB with token 0x0000000000001000 for remote-gid $SIM1_GID on dibs device \"lo\"" ]
	usage_case 2 'invalid remote-gid "x": expected a uuid like 01234567-89ab-cdef-0123-456789abcdef' \
		dmb show remote-gid x
}

@test "monitor dev DEV: only what names the device, by name or index" {
	export DIBSNL_FAKE_NTF=$NTF_ALL DIBSNL_FAKE_NTF_END=1
	mon() { "$FAKE" monitor "$@" 2>/dev/null | cut -d' ' -f1-3 | xargs -d '\n' printf '%s|'; }
	[ "$(mon dev lo)" = "[dmb,add] token 0x0000000000001000|[signal] dev lo|[dmb,del] token 0x0000000000001000|" ]
	[ "$(mon dev new0)" = "[dev,add] 9: new0:|[dev,change] 9: new0:|[event] dev new0|[dev,del] 9: new0:|" ]
	# by index, also after the name is gone
	[ "$(mon dev 9)" = "[dev,add] 9: new0:|[dev,change] 9: new0:|[event] dev new0|[dev,del] 9: new0:|[event] dev 9|" ]
	# OBJECT words with it; "dev" before an OBJECT is the object
	[ "$(mon dmb dev lo)" = "[dmb,add] token 0x0000000000001000|[dmb,del] token 0x0000000000001000|" ]
	[ "$(mon dev dmb)" = "[dev,add] 9: new0:|[dev,change] 9: new0:|[dmb,add] token 0x0000000000001000|[dmb,del] token 0x0000000000001000|[dev,del] 9: new0:|" ]
	[ "$(mon dev dev 9 signal)" = "[dev,add] 9: new0:|[dev,change] 9: new0:|[dev,del] 9: new0:|" ]
	run --separate-stderr "$FAKE" -j monitor dev lo
	[ "${#lines[@]}" -eq 3 ]
	python3 -c 'import json, sys; [json.loads(l) for l in sys.argv[1].splitlines()]' "$output"
	usage_case 2 'invalid dev "": a device name or index is needed' monitor dev ""
	usage_case 2 '"dev" is given twice' monitor dev a dev b
	usage_case 2 'invalid dev "aaaaaaaaaaaaaaaa": device names have at most 15 characters' \
		monitor dev aaaaaaaaaaaaaaaa
}

@test "client show: plain and JSON" {
	run "$FAKE" client show
	[ "${lines[0]}" = "0: smc-d: dmb-count 1 devs lo:1" ]
	[ "${lines[1]}" = "1: userspace: dmb-count 0" ]
	run "$FAKE" -j client
	[ "$output" = '[{"id":0,"name":"smc-d","dmb_count":1,"devs":[{"index":0,"name":"lo","dmb_count":1}]},{"id":1,"name":"userspace","dmb_count":0,"devs":[]}]' ]
}

@test "an interrupted dump: all printed, then the library's error, status 1" {
	run --separate-stderr env DIBSNL_FAKE_DUMP_INTR=1 "$FAKE" client show
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "0: smc-d: dmb-count 1 devs lo:1" ]
	[ "${lines[1]}" = "1: userspace: dmb-count 0" ]
	[ "$stderr" = 'Error: dump interrupted: devices or DMBs changed while it ran, the result may be inconsistent' ]
	run --separate-stderr env DIBSNL_FAKE_DUMP_INTR=1 "$FAKE" -j dmb show
	[ "$status" -eq 1 ]
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d) == 1, d' "$output"
	[[ $stderr == 'Error: dump interrupted: '* ]]
}

@test "dmb grant prints the token; -j the DMB; owned reaches the library" {
	run "$FAKE" dmb grant dev lo remote-gid $LO_GID size 4K
	[ "$status" -eq 0 ]
	[ "$output" = "token 0x0000000000010000" ]
	run "$FAKE" -j dmb g d lo r $LO_GID s 0x10 o
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["token"]=="0x0000000000010000" and d["size"]==16 and d["owned"] is True and d["client"]=="userspace", d' "$output"
	run --separate-stderr env DIBSNL_FAKE_UNPRIV=1 "$FAKE" dmb grant dev lo remote-gid $LO_GID size 4K
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: Operation not permitted (CAP_NET_ADMIN is needed)' ]
	[ -z "$output" ]
}

@test "grant, show, write, read, revoke a 1 MiB file in one batch" {
	head -c 1048576 /dev/urandom >"$TMP/in"
	cat >"$TMP/batch" <<EOF
dmb grant dev lo remote-gid $LO_GID size 1M
dmb show dev lo token 0x10000
dmb write dev lo token 0x10000 file $TMP/in signal 15
dmb read dev lo token 0x10000
dmb revoke dev lo token 0x10000
EOF
	DIBSNL_FAKE_TRACE=1 "$FAKE" -b "$TMP/batch" >"$TMP/out" 2>"$TMP/err"
	head -n 2 "$TMP/out" >"$TMP/head"
	[ "$(sed -n 1p "$TMP/head")" = "token 0x0000000000010000" ]
	[ "$(sed -n 2p "$TMP/head")" = "token 0x0000000000010000 dev lo client userspace remote-gid $LO_GID size 1048576 sba 1" ]
	# not raw bytes into a file: a hexdump (of random bytes: no repeats)
	[ "$(wc -l <"$TMP/out")" -eq $((2 + 65536 + 1)) ]
	[ "$(tail -n 1 "$TMP/out")" = 00100000 ]
	! grep -qv '^[0-9a-f]\{8\}\( \|$\)' <(tail -n +3 "$TMP/out")
	grep -q "dmb_write name=lo token=0x10000 offset=0 len=1048576 signal=15" "$TMP/err"
	grep -q "dmb_read name=lo token=0x10000 offset=0 len=1048576" "$TMP/err"
	grep -q "dmb_revoke name=lo token=0x10000" "$TMP/err"
	[ "$(grep -c 'fakenl: open' "$TMP/err")" -eq 1 ]
}

@test "dmb write: data bytes, offsets, stdin, empty data with a signal" {
	cat >"$TMP/batch" <<'EOF'
dmb grant dev lo remote-gid 11121314-1516-1718-191a-1b1c1d1e1f20 size 64
dmb write dev lo token 0x10000 offset 4 data "hello world"
dmb write dev lo token 0x10000 offset 0x20 data "" signal 3
dmb write dev lo token 0x10000 offset 40 file -
dmb read dev lo token 0x10000 offset 4 length 11 file -
dmb read dev lo token 0x10000 offset 40 length 5 file -
EOF
	run --separate-stderr env DIBSNL_FAKE_TRACE=1 "$FAKE" -b "$TMP/batch" <<<"stdin"
	[ "$status" -eq 0 ]
	[ "$output" = "token 0x0000000000010000
hello worldstdin" ]
	[[ $stderr == *"offset=4 len=11 signal=-1"* ]]
	[[ $stderr == *"offset=32 len=0 signal=3"* ]]
	[[ $stderr == *"offset=40 len=6 signal=-1"* ]]
	# the fabric's range check comes back as the kernel's message
	cat >"$TMP/batch" <<'EOF'
dmb grant dev lo remote-gid 11121314-1516-1718-191a-1b1c1d1e1f20 size 8
dmb write dev lo token 0x10000 offset 4 data "hello world"
EOF
	run --separate-stderr "$FAKE" -b "$TMP/batch"
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "Error: offset 4 + length 11 is beyond the DMB (8)" ]
	[ "${stderr_lines[1]}" = "Command failed $TMP/batch:2" ]
	# a file over 8 MiB is refused before anything is sent
	truncate -s 8M "$TMP/big"
	run --separate-stderr "$FAKE" dmb write dev lo token 1 offset 1 file "$TMP/big"
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: \"$TMP/big\" is larger than the largest DMB (8388607 bytes)" ]
	run --separate-stderr "$FAKE" dmb write dev lo token 1 file "$TMP/nonexistent"
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: cannot open \"$TMP/nonexistent\": No such file or directory" ]
	run --separate-stderr "$FAKE" dmb write dev lo token 1 file "$TMP"
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: cannot read \"$TMP\": Is a directory" ]
}

@test "dmb read: a hexdump on a terminal and in a pipe; raw bytes only to file PATH or -" {
	cat >"$TMP/batch" <<'EOF'
dmb grant dev lo remote-gid 11121314-1516-1718-191a-1b1c1d1e1f20 size 64
dmb write dev lo token 0x10000 offset 16 data "Hello, DIBS!"
EOF
	cp "$TMP/batch" "$TMP/batch2"
	cp "$TMP/batch" "$TMP/batch3"
	echo 'dmb read dev lo token 0x10000' >>"$TMP/batch"
	cat >"$TMP/dump" <<'EOF'
token 0x0000000000010000
00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
00000010  48 65 6c 6c 6f 2c 20 44  49 42 53 21 00 00 00 00  |Hello, DIBS!....|
00000020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000040
EOF
	# into a pipe: the same hexdump as on a terminal
	"$FAKE" -b "$TMP/batch" | cat >"$TMP/pipe"
	diff -u "$TMP/dump" "$TMP/pipe"
	if command -v script >/dev/null; then
		script -qec "$FAKE -b $TMP/batch" /dev/null | tr -d '\r' >"$TMP/tty"
		diff -u "$TMP/dump" "$TMP/tty"
	fi
	# raw bytes where asked: a file, or standard output by "file -"
	cat >>"$TMP/batch3" <<EOF
dmb read dev lo token 0x10000 offset 16 file $TMP/raw
dmb read dev lo token 0x10000 offset 16 length 5 file -
EOF
	printf 'old contents, longer than the DMB: to be truncated.....................' >"$TMP/raw"
	run "$FAKE" -b "$TMP/batch3"
	[ "$status" -eq 0 ]
	[ "$output" = "token 0x0000000000010000
Hello" ]
	cmp "$TMP/raw" <(printf 'Hello, DIBS!'; head -c 36 /dev/zero)
	echo 'dmb read dev lo token 0x10000 offset 16 length 5' >>"$TMP/batch2"
	run "$FAKE" -j -b "$TMP/batch2"
	[ "${lines[1]}" = '{"token":"0x0000000000010000","dev":"lo","offset":16,"length":5,"data":"48656c6c6f"}' ]
	usage_case 2 '"file -" writes raw bytes: not with -json' \
		-j dmb read dev lo token 1 file -
	usage_case 2 '"file" is given twice' dmb read dev lo token 1 file a file b
	run --separate-stderr "$FAKE" dmb read dev lo token 0x1000 file "$TMP/x"
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: the DMB belongs to client smc-d" ]
	[ ! -e "$TMP/x" ]	# a refused read makes no file
	printf 'dmb grant dev lo remote-gid %s size 8\ndmb read dev lo token 0x10000 file %s\n' \
		"$LO_GID" "$TMP/no/such/dir" >"$TMP/batch4"
	run --separate-stderr "$FAKE" -b "$TMP/batch4"
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "Error: cannot open \"$TMP/no/such/dir\": No such file or directory" ]
}

@test "dmb revoke: a DMB of another client is refused with its owner" {
	run --separate-stderr "$FAKE" dmb revoke dev lo token 0x1000
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: the DMB belongs to client smc-d" ]
}

# ---- batch ---------------------------------------------------------------

@test "batch: comments, blank lines, quotes, stdin" {
	cat >"$TMP/batch" <<'EOF'
# devices
   dev show lo   # the loopback

d s "sim0"
EOF
	run "$FAKE" -b "$TMP/batch"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[1]} == "1: sim0:"* ]]
	run "$FAKE" -batch - <"$TMP/batch"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	run "$FAKE" -b /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "batch: the first failing line stops it unless -force" {
	cat >"$TMP/batch" <<'EOF'
dev show lo
dev show nope
dev bogus
dev show sim0
EOF
	run --separate-stderr "$FAKE" -b "$TMP/batch"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "${stderr_lines[0]}" = 'Error: no such dibs device "nope"' ]
	[ "${stderr_lines[1]}" = "Command failed $TMP/batch:2" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	run --separate-stderr "$FAKE" -force -b "$TMP/batch"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[1]} == "1: sim0:"* ]]
	[[ $stderr == *"Command failed $TMP/batch:2"* ]]
	[[ $stderr == *'Error: unknown command "bogus" for "dev"'* ]]
	[[ $stderr == *"Command failed $TMP/batch:3"* ]]
	run --separate-stderr "$FAKE" -b - <<<'dev show "unterminated'
	[ "$status" -eq 1 ]
	[ "$stderr" = 'Error: unterminated " quote
Command failed -:1' ]
	run --separate-stderr "$FAKE" -b "$TMP/none"
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: cannot open batch file \"$TMP/none\": No such file or directory" ]
}

@test "batch: the real binary reports the missing family per line" {
	family_present && skip "a dibs family is present"
	no_genl_skip
	printf 'dev show\nclient show\n' >"$TMP/batch"
	run --separate-stderr "$REAL" -force -b "$TMP/batch"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$NOFAM
Command failed $TMP/batch:1
$NOFAM
Command failed $TMP/batch:2" ]
}

# ---- monitor -------------------------------------------------------------

NTF_ALL="dev-add dev-change dmb-add event signal client-add dmb-del client-del dev-del event"

# mon_run SIGNAL ARGS...: run the fake monitor until it has printed (so it
# is in its loop, signals blocked), a moment more, then signal it.
mon_run() {
	local sig=$1 pid i
	shift
	"$FAKE" "$@" >"$TMP/mon.out" 2>"$TMP/mon.err" &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$TMP/mon.out" ] && break
		sleep 0.1
	done
	sleep 0.3
	kill -"$sig" "$pid"
	# qemu-user (the s390x run) can lose a signal that comes during a
	# blocking call: say it again each second, and give up after 10 s
	# rather than hang the whole run.
	for ((i = 1; i <= 100; i++)); do
		running "$pid" || break
		((i % 10)) || kill -"$sig" "$pid" 2>/dev/null
		sleep 0.1
	done
	if running "$pid"; then
		kill -KILL "$pid"
		echo "monitor still running 10 s after SIG$sig" >&2
		return 1
	fi
	wait "$pid"
}

# running PID: the process is there and not a zombie waiting for wait.
running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

@test "monitor: one line per notification, in order, exit 0 on SIGINT" {
	export DIBSNL_FAKE_NTF=$NTF_ALL
	mon_run INT monitor
	diff -u - "$TMP/mon.out" <<EOF
[dev,add] 9: new0: type sim fabric 0x0007 gid 22232425-2627-2829-2a2b-2c2d2e2f3031 state up dmb-count 0 max-dmbs 5000
[dev,change] 9: new0: type sim fabric 0x0007 gid 22232425-2627-2829-2a2b-2c2d2e2f3031 state up dmb-count 0 max-dmbs 5000
[dmb,add] token 0x0000000000001000 dev lo client smc-d remote-gid $LO_GID size 16384 sba 0
[event] dev new0 type dev subtype disabled gid $SIM1_GID token 0x0000000000001000 time 42 data 0xabc
[signal] dev lo token 0x0000000000001000 sba 0 mask 0x0004
[client,add] 1: userspace: dmb-count 0
[dmb,del] token 0x0000000000001000 dev lo client smc-d remote-gid $LO_GID size 16384 sba 0
[client,del] 1: userspace: dmb-count 0
[dev,del] 9: new0: type sim fabric 0x0007 gid 22232425-2627-2829-2a2b-2c2d2e2f3031 state up dmb-count 0 max-dmbs 5000
[event] dev 9 type dev subtype disabled gid $SIM1_GID token 0x0000000000001000 time 42 data 0xabc
EOF
	[ ! -s "$TMP/mon.err" ]
}

@test "monitor: SIGTERM ends it with 0; words filter; groups joined" {
	export DIBSNL_FAKE_NTF=$NTF_ALL DIBSNL_FAKE_TRACE=1
	mon_run TERM monitor dmb signal
	[ "$(wc -l <"$TMP/mon.out")" -eq 3 ]
	grep -q '^\[signal\]' "$TMP/mon.out"
	grep -q 'subscribe groups=0x3' "$TMP/mon.err"
	mon_run TERM monitor dev
	[ "$(wc -l <"$TMP/mon.out")" -eq 3 ]
	grep -q 'subscribe groups=0x1' "$TMP/mon.err"
	mon_run TERM monitor s
	[ "$(cat "$TMP/mon.out")" = "[signal] dev lo token 0x0000000000001000 sba 0 mask 0x0004" ]
	grep -q 'subscribe groups=0x2' "$TMP/mon.err"
}

@test "monitor -j: one valid JSON object per line; -t timestamps" {
	export DIBSNL_FAKE_NTF=$NTF_ALL
	mon_run INT -t -j monitor
	python3 - "$TMP/mon.out" <<'EOF'
import json, re, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
kinds = [(o["object"], o.get("action")) for o in objs]
assert kinds == [("dev", "add"), ("dev", "change"), ("dmb", "add"),
                 ("event", None), ("signal", None), ("client", "add"),
                 ("dmb", "del"), ("client", "del"), ("dev", "del"),
                 ("event", None)], kinds
for o in objs:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}",
                        o["timestamp"]), o["timestamp"]
ev = objs[3]
assert ev["dev"] == "new0" and ev["type"] == "dev" and \
    ev["subtype"] == "disabled" and ev["data"] == 0xabc, ev
assert objs[9]["dev"] is None and objs[9]["dev_index"] == 9
assert objs[4] ["mask"] == 4 and objs[4]["token"] == "0x0000000000001000"
EOF
	mon_run INT -t monitor dev
	grep -Eq '^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}[+-][0-9]{4}\] \[dev,add\] 9: new0:' "$TMP/mon.out"
}

@test "dmb show and monitor refused: the error names CAP_NET_ADMIN" {
	local args
	for args in "dmb show" "dmb show dev lo" "dmb show dev lo token 0x1000" \
		    "-j dmb show"; do
		run --separate-stderr env DIBSNL_FAKE_UNPRIV=1 "$FAKE" $args
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$stderr" = 'Error: showing DMBs needs CAP_NET_ADMIN' ]
	done
	for args in "" "dev" "signal"; do
		run --separate-stderr env DIBSNL_FAKE_UNPRIV=1 "$FAKE" monitor $args
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$stderr" = 'Error: monitoring needs CAP_NET_ADMIN' ]
	done
	# devices and clients stay open to anyone
	DIBSNL_FAKE_UNPRIV=1 "$FAKE" dev show lo
	DIBSNL_FAKE_UNPRIV=1 "$FAKE" client show
}

@test "monitor: lost events warn and go on" {
	export DIBSNL_FAKE_NTF="dev-add enobufs dev-del"
	mon_run INT monitor
	[ "$(wc -l <"$TMP/mon.out")" -eq 2 ]
	[ "$(cat "$TMP/mon.err")" = "Warning: events lost: the receive buffer overflowed" ]
}

@test "monitor: exits 0 when its reader goes away (EPIPE)" {
	export DIBSNL_FAKE_NTF="dev-add dev-add dev-add dev-add dev-add" \
	       DIBSNL_FAKE_NTF_MS=100
	run bash -c '"$1" monitor | head -n 1; echo "status ${PIPESTATUS[0]}"' _ "$FAKE"
	[ "${lines[0]}" = "[dev,add] 9: new0: type sim fabric 0x0007 gid 22232425-2627-2829-2a2b-2c2d2e2f3031 state up dmb-count 0 max-dmbs 5000" ]
	[ "${lines[1]}" = "status 0" ]
}

# ---- robustness ----------------------------------------------------------

@test "valgrind: the fake-backed tool has no memory errors or leaks" {
	host_build_only
	command -v valgrind >/dev/null || skip "no valgrind"
	head -c 100000 /dev/urandom >"$TMP/in"
	cat >"$TMP/batch" <<EOF
dev show
dmb grant dev lo remote-gid $LO_GID size 128K
dmb write dev lo token 0x10000 file $TMP/in
dmb read dev lo token 0x10000 length 100000
dmb show
client show
dev add x type sim
dev bogus
EOF
	vg() {
		valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect "$@"
	}
	rc=0
	vg "$FAKE" -s -d -force -b "$TMP/batch" >/dev/null || rc=$?
	[ "$rc" -eq 1 ]
	rc=0
	vg "$FAKE" -p -s -force -b "$TMP/batch" >/dev/null || rc=$?
	[ "$rc" -eq 1 ]
	# valgrind itself in the background (a function would run in a
	# subshell that ignores the signal); signalled once it has printed
	# everything, so that it is surely in its poll loop
	DIBSNL_FAKE_NTF="$NTF_ALL" valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$FAKE" -j -t monitor >"$TMP/vg.out" &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[ "$(wc -l <"$TMP/vg.out")" -eq 10 ] && break
		sleep 0.1
	done
	kill -TERM $pid
	wait $pid
}

@test "monitor: a sw event's subtype is its number, plain and JSON" {
	export DIBSNL_FAKE_NTF="sw-event event"
	mon_run INT monitor event
	diff -u - "$TMP/mon.out" <<EOF
[event] dev sim1 type sw subtype 1 gid 22232425-2627-2829-2a2b-2c2d2e2f3031 token 0x0000000000000000 time 43 data 0x2a
[event] dev 9 type dev subtype disabled gid $SIM1_GID token 0x0000000000001000 time 42 data 0xabc
EOF
	export DIBSNL_FAKE_NTF=sw-event
	mon_run INT -j monitor
	python3 -c '
import json, sys
e = json.loads(open(sys.argv[1]).readline())
assert (e["object"], e["type"], e["subtype"], e["data"], e["dev"]) == \
    ("event", "sw", "1", 42, "sim1"), e' "$TMP/mon.out"
}

@test "fuzz: a few hundred random argument vectors never crash" {
	seed=${DIBSCTL_FUZZ_SEED:-20251122}
	echo "# fuzz seed $seed (replay: DIBSCTL_FUZZ_SEED=$seed)" >&3
	RANDOM=$seed
	vocab=(dev dmb client monitor help show add del set query grant revoke
	       write read d s r re g w h m c a x "" "\"" "-" "--" -j -p -d -s -t
	       -f -V -force -json -b -n -x -- type loopback sim l fabric gid
	       state up down netns remote-gid token size owned offset length
	       data file signal all event subtype lo sim0 sim1 0 1 2 15 16 -1 4K 8M 9M
	       0x 0x10000 0xffffffffffffffff 99999999999999999999 1.5 K
	       "$LO_GID" "$SIM1_GID" 01234567-89ab-cdef-0123-456789abcdeg
	       /dev/null /nonexistent "$TMP" "a b" "%s%n%x" "é" $'\x01\xff'
	       aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)
	real=1
	family_present && real=0
	n=0 bad=0
	while [ $n -lt "${DIBSCTL_FUZZ_N:-400}" ]; do
		argv=()
		len=$((RANDOM % 9))
		for ((i = 0; i < len; i++)); do
			argv+=("${vocab[RANDOM % ${#vocab[@]}]}")
		done
		n=$((n + 1))
		for bin in "$FAKE" "$REAL"; do
			[ "$bin" = "$REAL" ] && [ $real -eq 0 ] && continue
			# a monitor of the fake ends after its notifications
			rc=0
			DIBSNL_FAKE_NTF="dev-add event" DIBSNL_FAKE_NTF_END=1 \
				timeout --preserve-status -s TERM -k 5 10 \
				"$bin" "${argv[@]}" </dev/null >/dev/null 2>&1 ||
				rc=$?
			case $rc in
			0 | 1 | 2) ;;
			*) bad=1 ;;
			esac
			if [ $bad -eq 1 ]; then
				printf 'crash (exit %s) in %s:' "$rc" "${bin##*/}"
				printf ' [%q]' "${argv[@]}"
				echo
				return 1
			fi
		done
	done
}

# ---- console: the sysfs side against a fake tree (DIBSCTL_SYSFS) ----------

# fake_console_tree: sim0 with a console directory as dibs_console makes
# it, lo without one (the module does not serve it).
fake_console_tree() {
	local c=$TMP/sys/class/dibs/sim0/console
	mkdir -p "$c" "$TMP/sys/class/dibs/lo"
	echo 0 >"$c/enabled"
	: >"$c/allowed_gids"
	echo ttyDIBS0 >"$c/tty"
	echo disabled >"$c/state"
	: >"$c/peer_gid"
	export DIBSCTL_SYSFS=$TMP/sys
}

@test "console enable/disable: write allowed_gids and enabled" {
	fake_console_tree
	local c=$TMP/sys/class/dibs/sim0/console
	run -0 "$REAL" console enable dev sim0 allow "$SIM1_GID" allow "$LO_GID"
	[ "$(cat "$c/enabled")" = 1 ]
	[ "$(cat "$c/allowed_gids")" = "$(printf '%s\n%s' "$SIM1_GID" "$LO_GID")" ]
	run -0 "$REAL" console disable dev sim0
	[ "$(cat "$c/enabled")" = 0 ]
	# disable keeps the allowed gids: enabling again needs them anyway
	[ -s "$c/allowed_gids" ]
}

@test "console show: plain and JSON from sysfs" {
	fake_console_tree
	run -0 "$REAL" console enable dev sim0 allow "$SIM1_GID"
	run -0 "$REAL" console show
	[ "$output" = "sim0: enabled yes tty ttyDIBS0 state disabled allowed-gids $SIM1_GID" ]
	run -0 "$REAL" -j console show
	[ "$(jq -r '.[0].dev, .[0].enabled, .[0].peer_gid, .[0].allowed_gids[0]' <<<"$output")" = \
		"$(printf 'sim0\ntrue\nnull\n%s' "$SIM1_GID")" ]
	[ "$(jq length <<<"$output")" = 1 ]
	run -0 "$REAL" -j console show dev sim0
	[ "$(jq -r .tty <<<"$output")" = ttyDIBS0 ]
}

@test "console: errors name the argument and the reason" {
	fake_console_tree
	run -1 "$REAL" console enable dev lo allow "$SIM1_GID"
	[[ "$output" == *'dev "lo" has no console: is the module dibs_console loaded?'* ]]
	run -1 "$REAL" console disable dev nosuch
	[[ "$output" == *'no such dibs device "nosuch"'* ]]
	run -2 "$REAL" console enable dev sim0
	[[ "$output" == *'at least one "allow GID" is needed'* ]]
	run -2 "$REAL" console enable dev sim0 allow nogid
	[[ "$output" == *'nogid'* ]]
	run -2 "$REAL" console connect dev sim0
	[[ "$output" == *'"remote-gid" is needed'* ]]
	run -2 "$REAL" console connect remote-gid "$SIM1_GID"
	[[ "$output" == *'"dev" is needed'* ]]
	run -2 "$REAL" console connect dev sim0 remote-gid "$SIM1_GID" linger 9999
	[[ "$output" == *linger* ]]
	# nothing was written by the refused commands
	[ "$(cat "$TMP/sys/class/dibs/sim0/console/enabled")" = 0 ]
}
