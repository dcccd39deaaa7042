#!/usr/bin/env bats
# udev and systemd integration (systemd/), in the test VM (tests/vm/).
#
# The guest has no systemd as PID 1, so no unit starts here. What runs is
# everything under the units: the host's own systemd-udevd with the
# project's rules, and the script dibs-setup@.service runs. Where systemd is
# not the init system the rules run that script themselves (RUN+=, on
# "add"), so a configuration is applied end to end:
#   uevent -> systemd-udevd -> 70-dibs.rules -> dibs-setup --udev DEV -> dibsctl -b
# setup_file installs systemd/ into a prefix under the file's temporary
# directory ($SD_ROOT: usr/libexec/dibs/dibs-setup, etc/dibs/ for the
# configurations, the rules copied to /run/udev/rules.d) and starts udevd for
# the whole file, its debug log in $SD_ROOT/udevd.log (copied to the results
# at the end); teardown_file stops it and removes /run/udev. Every test
# starts and ends with no dibs module loaded and no configuration.
#
# The unit's sandbox is emulated where it matters: setpriv with the
# capability bounding sets the units declare.

bats_require_minimum_version 1.5.0

load lib/dibs

UDEVD=/lib/systemd/systemd-udevd
GID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
TOK_RE='0x[0-9a-f]{16}'
# Fixed gids for sim devices, so configurations can name their peers.
G1=11111111-2222-3333-4444-000000000001
G2=11111111-2222-3333-4444-000000000002
# A rules file of the test's own, matching on the uevent variables.
LOCAL_RULES=/run/udev/rules.d/71-dibs-test.rules

setup_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	unload_dibs
	export SD_ROOT=$BATS_FILE_TMPDIR/root
	# The guest runs chrooted into the host's /: without this, udevadm
	# ignores trigger, settle and control ("Running in chroot").
	export SYSTEMD_IGNORE_CHROOT=1
	export SETUP=$SD_ROOT/usr/libexec/dibs/dibs-setup
	export CONF_DIR=$SD_ROOT/etc/dibs
	# The same install as on a real system, into a prefix: the paths in
	# the rules and the script point into it (dibsctl: the tree's own).
	make -s -C "$DIBS_REPO/systemd" install PREFIX="$SD_ROOT/usr" \
		SBINDIR="$DIBS_REPO/dibsctl" SYSCONFDIR="$SD_ROOT/etc" \
		UDEVDIR="$SD_ROOT/udev" SYSTEMDUNITDIR="$SD_ROOT/units"
	[ -x "$SETUP" ]
	grep -q "RUN+=\"$SETUP --udev -- \$kernel\"" "$SD_ROOT/udev/rules.d/70-dibs.rules"

	mkdir -p /run/udev/rules.d
	cp "$SD_ROOT/udev/rules.d/70-dibs.rules" /run/udev/rules.d/
	# Debug logging to the file, not to the kernel log; fd 3 is bats'.
	SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=debug \
		"$UDEVD" >"$SD_ROOT/udevd.log" 2>&1 3>&- &
	echo $! >"$SD_ROOT/udevd.pid"
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S /run/udev/control ] && udevadm control --ping 2>/dev/null && return 0
		sleep 0.1
	done
	echo "systemd-udevd did not come up; its log:" >&2
	cat "$SD_ROOT/udevd.log" >&2
	return 1
}

teardown_file() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local pid i rc=0
	pid=$(cat "$SD_ROOT/udevd.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			[ -d "/proc/$pid" ] || break
			[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
			sleep 0.1
		done
		[ $i -lt 100 ] || { echo "systemd-udevd ($pid) did not stop" >&2; rc=1; }
	fi
	rm -rf /run/udev
	cp "$SD_ROOT/udevd.log" "$DIBS_RESULTS/systemd-udevd.log" 2>/dev/null
	unload_dibs || rc=1
	return $rc
}

setup() {
	dibs_require_vm
	dibs_require_dibsctl
	unload_dibs
	rm -rf "$CONF_DIR"
	mkdir -p "$CONF_DIR"
	dibs_mark
	TMP=$BATS_TEST_TMPDIR
	MON_PID=''
	NETNS=''
}

teardown() {
	[ -n "${DIBS_IN_VM:-}" ] || return 0
	local rc=0
	dibs_stop_bg "$MON_PID"
	if [ -e "$LOCAL_RULES" ]; then
		rm -f "$LOCAL_RULES"
		udevadm control --reload
	fi
	unload_dibs || rc=1
	[ -n "$NETNS" ] && ip netns del "$NETNS" 2>/dev/null
	udevadm settle --timeout=30 || rc=1
	dibs_no_kernel_problems || rc=1
	return $rc
}

# ---- helpers ---------------------------------------------------------------

# conf DEV: the configuration of DEV, from standard input.
conf() {
	cat >"$CONF_DIR/$1.conf"
}

# props DEV: DEV's properties in the udev database, KEY=VALUE lines.
props() {
	udevadm info --query=property --path="/sys/class/dibs/$1"
}

# prop DEV KEY: one of them.
prop() {
	props "$1" | sed -n "s/^$2=//p"
}

# udev_done DEV...: udev has processed the devices (their database entries
# want the setup unit) and has nothing left in its queue, RUN programs
# included. (The database file is read directly: udevadm is slow to start
# under TCG.)
udev_done() {
	local d i
	for d in "$@"; do
		for ((i = 0; i < 100; i++)); do
			grep -qs '^E:SYSTEMD_WANTS=' "/run/udev/data/+dibs:$d" && break
			sleep 0.1
		done
		if [ $i -eq 100 ]; then
			echo "udev never recorded $d:" >&2
			udevadm info --path="/sys/class/dibs/$d" >&2
			return 1
		fi
	done
	udevadm settle --timeout=30
}

# udev_ran TEXT: a RUN program of udev said TEXT (a whole line of its
# output; udevd logs each as '<command>'(out|err) '<line>').
udev_ran() {
	grep -Fq -- "'$1'" "$SD_ROOT/udevd.log" && return 0
	echo "not in the udevd log: '$1'; what dibs-setup said:" >&2
	grep -F "'dibs-setup: " "$SD_ROOT/udevd.log" >&2
	return 1
}

# dmbs DEV: "TOKEN RGID LEN" for each DMB of DEV, in token order.
dmbs() {
	dc dmb show dev "$1" |
		awk '$1 == "token" { for (i = 1; i < NF; i++) { if ($i == "remote-gid") r = $(i + 1); if ($i == "size") l = $(i + 1) } print $2, r, l }' |
		sort
}

# check_props DEV TYPE FABRIC: the database entry of DEV has the kernel's
# variables, the systemd tag, the alias and the wanted setup unit.
check_props() {
	local dev=$1 p
	p=$(props "$dev")
	echo "$p"
	has_line "$p" "SUBSYSTEM=dibs"
	has_line "$p" "DIBS_TYPE=$2"
	has_line "$p" "DIBS_FABRIC_ID=$3"
	has_line "$p" "DIBS_FABRIC_ID=$(dibs_dev_attr "$dev" fabric_id)"
	has_line "$p" "DIBS_GID=$(gid_of "$dev")"
	[[ $p =~ (^|$'\n')DIBS_GID=$GID_RE($'\n'|$) ]]
	has_line "$p" "TAGS=:systemd:"
	has_line "$p" "CURRENT_TAGS=:systemd:"
	has_line "$p" "SYSTEMD_WANTS=dibs-setup@$dev.service"
	has_line "$p" "SYSTEMD_ALIAS=/sys/subsystem/dibs/devices/$dev"
	# the tag index systemd enumerates its devices from
	[ -e "/run/udev/tags/systemd/+dibs:$dev" ]
}

# ---- the rules -------------------------------------------------------------

@test "udev: dibs devices are tagged for systemd, want dibs-setup@DEV and carry type, fabric, gid" {
	# A rules file of one's own, as the rules' header shows, in place
	# (written whole, then renamed) and loaded before any dibs device
	# appears: udevd reloads its rules by itself too, at most every 3 s
	# while events are queued, and a worker busy at a reload finishes its
	# event with the rules it had.
	cat >"$LOCAL_RULES.tmp" <<-'EOF'
	SUBSYSTEM=="dibs", ENV{DIBS_FABRIC_ID}=="0x0101", ENV{DIBS_TYPE}=="sim", ENV{DIBS_TEST_MATCH}="fabric-101"
	SUBSYSTEM=="dibs", ENV{DIBS_GID}=="11111111-2222-3333-4444-000000000002", ENV{DIBS_TEST_MATCH}+="gid-2"
	EOF
	mv "$LOCAL_RULES.tmp" "$LOCAL_RULES"
	udevadm settle --timeout=30
	udevadm control --reload
	load_dibs
	dibs_insmod dibs_sim
	dc dev add x type loopback
	dc dev add s1 type sim fabric 0x101
	dc dev add s-2 type sim fabric 0x101 gid "$G2"
	dc dev add s3 type sim fabric 7
	udev_done lo x s1 s-2 s3
	check_props lo loopback 0xffff
	check_props x loopback 0xffff
	check_props s1 sim 0x0101
	check_props s-2 sim 0x0101
	check_props s3 sim 0x0007
	# udev's gid is the kernel's, as dibsctl shows it too
	[ "$(prop s1 DIBS_GID)" = "$(dc -j dev show s1 | jq -r '.[0].gid')" ]
	[ "$(prop s-2 DIBS_GID)" = "$G2" ]
	[ "$(prop lo DIBS_GID)" != "$(prop x DIBS_GID)" ]
	# the local rules matched on the variables
	if [ "$(prop s1 DIBS_TEST_MATCH)" != fabric-101 ] ||
		[ "$(prop s-2 DIBS_TEST_MATCH)" != "fabric-101 gid-2" ]; then
		echo "the local rules did not match; what udevd did:"
		grep -E 'RELOAD|reloading|rules\.d/7[01]-dibs|Worker|^(s1|s-2):' "$SD_ROOT/udevd.log"
		false
	fi
	[ -z "$(prop s3 DIBS_TEST_MATCH)" ]
	[ -z "$(prop x DIBS_TEST_MATCH)" ]
	# udevd read the rules without a complaint
	run ! grep -iE '(70|71)-dibs[a-z-]*\.rules.*(invalid|unknown|fail|error|ignor)' "$SD_ROOT/udevd.log"
	echo "$output"
}

# ---- setup through udev ----------------------------------------------------

@test "udev: new devices get DEV.conf applied; one with a bad line fails alone, naming FILE:LINE" {
	# s1: two DMBs for s2, which writes to s1
	conf s1 <<-EOF
	# DMBs for s2
	dmb grant dev s1 remote-gid $G2 size 64K

	  dmb grant dev s1 remote-gid $G2 size 1M   # the big one
	EOF
	# s2: no configuration
	# s-3: line 2 fails (in the kernel), line 3 never runs
	conf s-3 <<-EOF
	dmb grant dev s-3 remote-gid $G1 size 4K
	dev set nosuch state up
	dmb grant dev s-3 remote-gid $G1 size 8K
	EOF
	# s4, added after s-3, is set up all the same
	conf s4 <<-EOF
	dmb grant dev s4 remote-gid $G1 size 16K
	EOF
	load_dibs
	dibs_insmod dibs_sim
	dc dev add s2 type sim fabric 0x101 gid "$G2"
	dc dev add s1 type sim fabric 0x101 gid "$G1"
	dc dev add s-3 type sim fabric 0x101
	dc dev add s4 type sim fabric 0x101
	udev_done s2 s1 s-3 s4

	run dmbs s1
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} =~ ^$TOK_RE\ $G2\ (65536|1048576)$ ]]
	[[ ${lines[1]} =~ ^$TOK_RE\ $G2\ (65536|1048576)$ ]]
	[ "${lines[0]##* }" != "${lines[1]##* }" ]
	udev_ran "dibs-setup: s1 (sim, fabric 0x0101, gid $G1, from udev): applied 2 command(s) from $CONF_DIR/s1.conf"
	# the tokens of the grants are in the log too
	local tok
	for tok in "${lines[0]%% *}" "${lines[1]%% *}"; do
		udev_ran "dibs-setup: s1: token $tok"
	done

	[ -z "$(dmbs s2)" ]
	udev_ran "dibs-setup: s2: no $CONF_DIR/s2.conf, nothing to set up"

	local f=$CONF_DIR/s-3.conf g3
	g3=$(gid_of s-3)
	udev_ran "dibs-setup: s-3: $f:2: no such dibs device \"nosuch\""
	udev_ran "dibs-setup: s-3: $f:2: the line was: dev set nosuch state up"
	udev_ran "dibs-setup: s-3 (sim, fabric 0x0101, gid $g3, from udev): setup failed at line 2; 1 command(s) before it applied, the rest not run"
	[[ $(dmbs s-3) =~ ^$TOK_RE\ $G1\ 4096$ ]]

	[[ $(dmbs s4) =~ ^$TOK_RE\ $G1\ 16384$ ]]
	udev_ran "dibs-setup: s4 (sim, fabric 0x0101, gid $(gid_of s4), from udev): applied 1 command(s) from $CONF_DIR/s4.conf"

	# and the DMBs work: s2 writes, s1 reads
	tok=$(dmbs s1 | awk '$3 == 65536 { print $1 }')
	dc dmb write dev s2 token "$tok" offset 100 data hello
	[ "$(dc dmb read dev s1 token "$tok" offset 100 length 5 file -)" = hello ]
}

@test "udev: trigger --action=add sets up a device that was there before (boot), change does not" {
	load_dibs
	udev_done lo
	[ -z "$(dmbs lo)" ]
	local g
	g=$(gid_of lo)
	conf lo <<-EOF
	dev set lo state up
	dmb grant dev lo remote-gid $g size 4K
	EOF
	# what systemd-udev-trigger.service does at boot
	udevadm trigger --action=add /sys/class/dibs/lo
	udevadm settle --timeout=30
	[[ $(dmbs lo) =~ ^$TOK_RE\ $g\ 4096$ ]]
	udev_ran "dibs-setup: lo (loopback, fabric 0xffff, gid $g, from udev): applied 2 command(s) from $CONF_DIR/lo.conf"
	# a change event keeps the database entry and applies nothing again
	udevadm trigger --action=change /sys/class/dibs/lo
	udevadm settle --timeout=30
	check_props lo loopback 0xffff
	run dmbs lo
	[ "${#lines[@]}" -eq 1 ]
}

# ---- the setup script, as dibs-setup@DEV.service runs it --------------------

@test "dibs-setup DEV: applies DEV.conf; a bad line exits 1 naming FILE:LINE; journal priorities" {
	load_dibs
	dc dev add x type loopback
	udev_done x
	local g f=$CONF_DIR/x.conf
	g=$(gid_of x)
	conf x <<-EOF
	dev set x state up
	dmb grant dev x remote-gid $g size 64K
	EOF
	run --separate-stderr "$SETUP" x
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ ${stderr_lines[0]} =~ ^dibs-setup:\ x:\ token\ $TOK_RE$ ]]
	[ "${stderr_lines[1]}" = "dibs-setup: x (loopback, fabric 0xffff, gid $g): applied 2 command(s) from $f" ]
	[ "$(dmbs x)" = "${stderr_lines[0]##* } $g 65536" ]

	# DIBS_CONF_DIR points elsewhere
	mkdir "$TMP/other"
	echo "dmb grant dev x remote-gid $g size 4K" >"$TMP/other/x.conf"
	run --separate-stderr env DIBS_CONF_DIR="$TMP/other" "$SETUP" x
	[ "$status" -eq 0 ]
	[ "${stderr_lines[1]}" = "dibs-setup: x (loopback, fabric 0xffff, gid $g): applied 1 command(s) from $TMP/other/x.conf" ]
	run dmbs x
	[ "${#lines[@]}" -eq 2 ]

	# a line dibsctl cannot parse, indented
	conf x <<-EOF
	dmb grant dev x remote-gid $g size 4K
	    dmb grant dev x remote-gid nonsense size 64K
	dmb grant dev x remote-gid $g size 8K
	EOF
	run --separate-stderr "$SETUP" x
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 4 ]
	[[ ${stderr_lines[0]} =~ ^dibs-setup:\ x:\ token\ $TOK_RE$ ]]
	[ "${stderr_lines[1]}" = "dibs-setup: x: $f:2: invalid remote-gid \"nonsense\": expected a uuid like 01234567-89ab-cdef-0123-456789abcdef" ]
	[ "${stderr_lines[2]}" = "dibs-setup: x: $f:2: the line was: dmb grant dev x remote-gid nonsense size 64K" ]
	[ "${stderr_lines[3]}" = "dibs-setup: x (loopback, fabric 0xffff, gid $g): setup failed at line 2; 1 command(s) before it applied, the rest not run" ]
	run dmbs x
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[*]} == *" $g 4096"* ]]
	[[ ${lines[*]} != *" $g 8192"* ]]

	# Under systemd the journal names the unit itself and reads "<3>" as
	# priority err.
	run --separate-stderr env JOURNAL_STREAM=8:12345 "$SETUP" x
	[ "$status" -eq 1 ]
	[[ ${stderr_lines[0]} =~ ^x:\ token\ $TOK_RE$ ]]
	[ "${stderr_lines[1]}" = "<3>x: $f:2: invalid remote-gid \"nonsense\": expected a uuid like 01234567-89ab-cdef-0123-456789abcdef" ]
	[ "${stderr_lines[3]}" = "<3>x (loopback, fabric 0xffff, gid $g): setup failed at line 2; 1 command(s) before it applied, the rest not run" ]
}

@test "dibs-setup DEV: no file, no device, bad names, bad usage" {
	load_dibs
	run --separate-stderr "$SETUP" y
	[ "$status" -eq 0 ]
	[ "$stderr" = "dibs-setup: y: no $CONF_DIR/y.conf, nothing to set up" ]

	echo 'dev set ghost state up' | conf ghost
	run --separate-stderr "$SETUP" ghost
	[ "$status" -eq 1 ]
	[ "$stderr" = "dibs-setup: ghost: no such dibs device (not in /sys/class/dibs): $CONF_DIR/ghost.conf not applied" ]

	# there is something of that name, but nothing dibsctl could read
	mkdir "$CONF_DIR/lo.conf"
	run --separate-stderr "$SETUP" lo
	[ "$status" -eq 1 ]
	[ "$stderr" = "dibs-setup: lo: $CONF_DIR/lo.conf: cannot read it" ]

	local bad
	for bad in ../lo 'a b' '' . x/y; do
		run --separate-stderr "$SETUP" "$bad"
		[ "$status" -eq 2 ]
		[ "$stderr" = "dibs-setup: invalid device name \"$bad\"" ]
	done
	run --separate-stderr "$SETUP"
	[ "$status" -eq 2 ]
	[ "$stderr" = "usage: dibs-setup [--udev] [--console | --no-console] [--] DEV" ]
	run --separate-stderr "$SETUP" lo x
	[ "$status" -eq 2 ]
	run --separate-stderr "$SETUP" --bogus lo
	[ "$status" -eq 2 ]
	run --separate-stderr "$SETUP" --console --no-console lo
	[ "$status" -eq 2 ]
	# a device name may start with "-"; "--" ends the options
	run --separate-stderr "$SETUP" -- -lo
	[ "$status" -eq 0 ]
	[ "$stderr" = "dibs-setup: -lo: no $CONF_DIR/-lo.conf, nothing to set up" ]
}

# ---- the units' privileges -------------------------------------------------

# readable_by_all DEV: DEV.conf as the units need it: mode 0644 in
# directories anyone can search.
readable_by_all() {
	chmod 0644 "$CONF_DIR/$1.conf"
	local d=$CONF_DIR
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}

# as_setup_unit CMD...: CMD with the privileges of dibs-setup@.service:
# DynamicUser=yes (an unprivileged uid), AmbientCapabilities= and
# CapabilityBoundingSet=CAP_NET_ADMIN, NoNewPrivileges=yes.
as_setup_unit() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		--bounding-set=-all,+net_admin --inh-caps=-all,+net_admin \
		--ambient-caps=-all,+net_admin --no-new-privs "$@"
}

# as_console_unit DEV CMD...: CMD with the privileges of
# dibs-setup-console@DEV.service: uid 0 with no capability (empty bounding,
# inheritable and ambient sets, so none after exec; NoNewPrivileges=yes),
# in a mount namespace of its own where /sys is read-only but for
# /sys/class/dibs/DEV/console (ProtectKernelTunables=yes with
# ReadWritePaths=; systemd, too, mounts the directory the symlink leads
# to). Not emulated: the rest of the sandbox, which takes away, not gives.
as_console_unit() {
	unshare --mount --propagation private sh -c '
		d=$(realpath "/sys/class/dibs/$1/console") || exit 125
		mount --bind "$d" "$d" && mount -o remount,bind,ro /sys || exit 125
		shift
		exec setpriv --bounding-set=-all --inh-caps=-all \
			--ambient-caps=-all --no-new-privs "$@"' sh "$@"
}

@test "privileges: dibs-setup and dibsctl monitor need CAP_NET_ADMIN only (netns moves included)" {
	command -v setpriv >/dev/null || skip "no setpriv"
	load_dibs
	dibs_insmod dibs_sim
	dc dev add s1 type sim fabric 9
	udev_done s1
	NETNS=dibs-sd$$
	ip netns add "$NETNS" || skip "cannot create a network namespace"
	conf s1 <<-EOF
	dev set s1 state down
	dev set s1 state up
	dmb grant dev s1 remote-gid $G2 size 4K
	dev set s1 netns $NETNS
	EOF
	# dibs-setup@.service: DynamicUser=yes (an unprivileged uid), with
	# AmbientCapabilities= and CapabilityBoundingSet=CAP_NET_ADMIN,
	# NoNewPrivileges=yes; it reads DEV.conf as any user does
	readable_by_all s1
	run --separate-stderr as_setup_unit "$SETUP" s1
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ ${stderr_lines[-1]} == "dibs-setup: s1 (sim, fabric 0x0009, gid "*"): applied 4 command(s) from $CONF_DIR/s1.conf" ]]
	run dc dev show s1
	[ "$status" -ne 0 ]
	run dc -n "$NETNS" dmb show dev s1
	[[ $output =~ ^token\ $TOK_RE\ dev\ s1\ client\ userspace\ remote-gid\ $G2\ size\ 4096 ]]
	dc -n "$NETNS" dev set s1 netns $$

	# without it, the first line already fails
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		--bounding-set=-all --inh-caps=-all --no-new-privs "$SETUP" s1
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "dibs-setup: s1: $CONF_DIR/s1.conf:1: Operation not permitted (CAP_NET_ADMIN is needed)" ]

	# dibs-monitor.service: DynamicUser=yes, AmbientCapabilities= and
	# CapabilityBoundingSet=CAP_NET_ADMIN; no -t, the journal stamps lines
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		--bounding-set=-all,+net_admin --inh-caps=-all,+net_admin \
		--ambient-caps=-all,+net_admin --no-new-privs "$DIBSCTL" monitor \
		>"$TMP/mon.out" 2>"$TMP/mon.err" &
	MON_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		dc dev add "m$i" type loopback
		grep -q "^\[dev,add\] [0-9]*: m[0-9]*: " "$TMP/mon.out" && break
		sleep 0.2
	done
	cat "$TMP/mon.out" "$TMP/mon.err"
	grep -Eq "^\[dev,add\] [0-9]+: m[0-9]+: type loopback fabric 0xffff gid $GID_RE " "$TMP/mon.out"
	dc dmb grant dev lo remote-gid "$(gid_of lo)" size 4K
	for ((i = 0; i < 50; i++)); do
		grep -q '^\[dmb,add\] token ' "$TMP/mon.out" && break
		sleep 0.2
	done
	grep -Eq "^\[dmb,add\] token $TOK_RE dev lo client userspace " "$TMP/mon.out"
	[ ! -s "$TMP/mon.err" ]
}

@test "console lines: dibs-setup@ runs the other lines, dibs-setup-console@ the console ones, as uid 0 without capabilities" {
	command -v setpriv >/dev/null || skip "no setpriv"
	local units=$SD_ROOT/units f=$CONF_DIR/s1.conf g1 p
	# what the emulation below stands for: the units as installed
	grep -qx "ExecStart=$SETUP --no-console -- %i" "$units/dibs-setup@.service"
	grep -qx 'Wants=dibs-setup-console@%i.service' "$units/dibs-setup@.service"
	p=$units/dibs-setup-console@.service
	grep -qx "ExecStart=$SETUP --console -- %i" "$p"
	grep -qx 'Requires=dibs-setup@%i.service' "$p"
	grep -qx 'After=dibs-setup@%i.service' "$p"
	grep -qx 'CapabilityBoundingSet=' "$p"
	grep -qx 'ReadWritePaths=-/sys/class/dibs/%i/console' "$p"
	grep -qx 'ProtectKernelTunables=yes' "$p"
	run grep -E '^(User|DynamicUser|AmbientCapabilities)=' "$p"
	[ "$status" -eq 1 ]

	dibs_load_sim dibs_console
	dc dev add s1 type sim fabric 9 gid "$G1"
	udev_done s1
	g1="sim, fabric 0x0009, gid $G1"
	conf s1 <<-EOF
	# s2 reaches s1's console
	dmb grant dev s1 remote-gid $G2 size 4K
	  console enable dev s1 allow $G2 allow 11111111-2222-3333-4444-000000000003
	dev set s1 state up
	EOF
	readable_by_all s1

	# All lines with dibs-setup@'s privileges: the console line fails.
	run --separate-stderr as_setup_unit "$SETUP" s1
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${stderr_lines[1]}" = "dibs-setup: s1: $f:3: dev \"s1\": cannot open /sys/class/dibs/s1/console/allowed_gids: Permission denied" ]
	[ "$(cat /sys/class/dibs/s1/console/enabled)" = 0 ]

	# Step 1, dibs-setup@s1: the other lines, the console line left out.
	run --separate-stderr as_setup_unit "$SETUP" --no-console s1
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "${stderr_lines[-1]}" = "dibs-setup: s1 ($g1): applied 2 command(s) from $f; its 1 console command(s) next, in dibs-setup-console@s1" ]
	[ "$(cat /sys/class/dibs/s1/console/enabled)" = 0 ]
	run dmbs s1
	[ "${#lines[@]}" -eq 2 ]

	# Step 2, dibs-setup-console@s1: the console line only, as uid 0 with
	# no capability (the console's store functions check none) and /sys
	# read-only but for the console's directory.
	run --separate-stderr as_console_unit s1 "$SETUP" --console s1
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$stderr" = "dibs-setup: s1 ($g1): applied 1 console command(s) from $f" ]
	[ "$(cat /sys/class/dibs/s1/console/enabled)" = 1 ]
	[ "$(cat /sys/class/dibs/s1/console/allowed_gids)" = "$G2
11111111-2222-3333-4444-000000000003" ]
	run dmbs s1
	[ "${#lines[@]}" -eq 2 ]
	# what that process was: uid 0, no capability, the rest of /sys
	# read-only (a change uevent, were it written, does nothing here)
	run --separate-stderr as_console_unit s1 sh -c \
		'id -u; sed -n "s/^Cap\(Prm\|Eff\|Bnd\|Amb\):\t//p" /proc/self/status; echo change >/sys/class/dibs/s1/uevent'
	echo "$output $stderr"
	[ "$status" -ne 0 ]
	[ "$output" = "0
0000000000000000
0000000000000000
0000000000000000
0000000000000000" ]
	[[ $stderr == *"/sys/class/dibs/s1/uevent: Read-only file system"* ]]

	# A console line that fails stops step 2, naming the file and line;
	# the lines before it stay applied, the rest do not run.
	conf s1 <<-EOF
	dev set s1 state up
	console disable dev s1
	console enable dev nosuch allow $G2
	console enable dev s1 allow $G2
	EOF
	run --separate-stderr as_console_unit s1 "$SETUP" --console s1
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	[ "${stderr_lines[0]}" = "dibs-setup: s1: $f:3: no such dibs device \"nosuch\"" ]
	[ "${stderr_lines[1]}" = "dibs-setup: s1: $f:3: the line was: console enable dev nosuch allow $G2" ]
	[ "${stderr_lines[2]}" = "dibs-setup: s1 ($g1): console setup failed at line 3; 1 console command(s) before it applied, the rest not run" ]
	[ "$(cat /sys/class/dibs/s1/console/enabled)" = 0 ]

	# A failing line in step 1: no console line runs (the unit of step 2
	# requires step 1's), and the message says so.
	conf s1 <<-EOF
	console enable dev s1 allow $G2
	dev set nosuch state up
	EOF
	run --separate-stderr as_setup_unit "$SETUP" --no-console s1
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "dibs-setup: s1: $f:2: no such dibs device \"nosuch\"" ]
	[ "${stderr_lines[2]}" = "dibs-setup: s1 ($g1): setup failed at line 2; 0 command(s) before it applied, the rest not run, no console command run" ]
}
