#!/usr/bin/env bats
# Installing the project, on the build host: `make install` into a DESTDIR
# (the exact list of files), the units through systemd-analyze verify, the
# installed library through pkg-config, `make uninstall`, and the DKMS tree
# (`make dkms`) built by dkms for an installed kernel. DKMS runs on private
# trees under the test's temporary directory (--sourcetree, --dkmstree, its
# own signing key): /usr/src and /var/lib/dkms are not touched.
#
# Needs pkg-config, systemd (systemd-analyze, systemd.pc), udev (udev.pc),
# dkms and kernel headers: tests/vm/install-deps.sh installs them.

bats_require_minimum_version 1.5.0

load ../lib/common

REPO=${DIBS_REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	local log=$BATS_FILE_TMPDIR/install.log
	make -s -C "$REPO" install DESTDIR="$ROOT" PREFIX=/usr >"$log" 2>&1 || {
		cat "$log" >&2
		return 1
	}
}

# files DIR: every file and symlink under DIR, sorted: "f MODE PATH" or
# "l PATH -> TARGET".
files() {
	find "$1" \( -type f -printf 'f %m %P\n' \) -o \( -type l -printf 'l %P -> %l\n' \) |
		sort
}

pc_dir() {
	local d
	d=$(pkg-config --variable="$2" "$1") && [ -n "$d" ] || {
		echo "pkg-config $1 has no $2: install its package (see tests/vm/install-deps.sh)" >&2
		return 1
	}
	echo "${d#/}"
}

# The version the installed dibsctl reports: DKMS's must be the same.
project_version() {
	env LD_LIBRARY_PATH="$ROOT/usr/lib" "$ROOT/usr/sbin/dibsctl" -V | awk '{ print $2 }'
}

# ---- make install / uninstall ----------------------------------------------

@test "version: VERSION is the one version: dibsctl -V, libdibsnl, DKMS" {
	local v r=$BATS_TEST_TMPDIR/root
	v=$(cat "$REPO/VERSION")
	[[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ "$(env LD_LIBRARY_PATH="$ROOT/usr/lib" "$ROOT/usr/sbin/dibsctl" -V)" = "dibsctl $v (libdibsnl $v)" ]
	grep -qx "Version: $v" "$ROOT/usr/lib/pkgconfig/libdibsnl.pc"
	# the repository's dkms.conf agrees, and make dkms writes VERSION
	grep -qx "PACKAGE_VERSION=\"$v\"" "$REPO/kernel/dkms.conf"
	make -s -C "$REPO" dkms DESTDIR="$r" >/dev/null
	grep -qx "PACKAGE_VERSION=\"$v\"" "$r/usr/src/dibs-$v/dkms.conf"
}

@test "install: DESTDIR=... PREFIX=/usr installs exactly these files" {
	local udev unit
	udev=$(pc_dir udev udevdir)
	unit=$(pc_dir systemd systemdsystemunitdir)
	# modules-load.d only as an example: nothing is loaded at every boot
	# unless the administrator copies it
	sort >"$BATS_TEST_TMPDIR/expected" <<-EOF
	f 644 etc/dibs/lo.conf.example
	f 644 etc/dibs/ivshmem.conf.example
	f 644 etc/dibs/blk.conf.example
	f 644 $udev/rules.d/70-dibs.rules
	f 644 $unit/dibs-setup@.service
	f 644 $unit/dibs-setup-console@.service
	f 644 $unit/dibs-monitor.service
	f 644 $unit/dibs-ivshmem-server@.service
	f 644 $unit/dibs-blk-server@.service
	f 644 $unit/dibs-console-getty@.service
	f 644 usr/share/doc/dibs/examples/modules-load.d/dibs.conf
	f 755 usr/sbin/dibsctl
	f 755 usr/sbin/dibs-ivshmem-server
	f 755 usr/sbin/dibs-blk
	f 755 usr/libexec/dibs/dibs-setup
	f 755 usr/lib/libdibsnl.so.1.0.0
	l usr/lib/libdibsnl.so.1 -> libdibsnl.so.1.0.0
	l usr/lib/libdibsnl.so -> libdibsnl.so.1
	f 644 usr/lib/libdibsnl.a
	f 644 usr/lib/pkgconfig/libdibsnl.pc
	f 644 usr/include/dibsnl.h
	f 644 usr/share/man/man8/dibsctl.8
	f 644 usr/share/man/man8/dibs-ivshmem-server.8
	f 644 usr/share/man/man8/dibs-blk.8
	f 644 usr/share/man/man5/dibs.conf.5
	f 644 usr/share/man/man3/libdibsnl.3
	f 644 usr/share/bash-completion/completions/dibsctl
	EOF
	files "$ROOT" >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

@test "install: the installed files name the installed paths" {
	local udev unit
	udev=$(pc_dir udev udevdir)
	unit=$(pc_dir systemd systemdsystemunitdir)
	# nothing left to fill in (in text files: a program's machine code
	# can hold such bytes)
	run grep -rlIE '@[A-Z]+@' "$ROOT"
	[ "$status" -eq 1 ]
	grep -qx 'ACTION=="add", TEST!="/run/systemd/system", RUN+="/usr/libexec/dibs/dibs-setup --udev -- $kernel"' \
		"$ROOT/$udev/rules.d/70-dibs.rules"
	grep -qx 'ExecStart=/usr/libexec/dibs/dibs-setup --no-console -- %i' "$ROOT/$unit/dibs-setup@.service"
	grep -qx 'ConditionPathExists=/etc/dibs/%i.conf' "$ROOT/$unit/dibs-setup@.service"
	grep -qx 'ExecStart=/usr/libexec/dibs/dibs-setup --console -- %i' "$ROOT/$unit/dibs-setup-console@.service"
	grep -qx 'ConditionPathExists=/etc/dibs/%i.conf' "$ROOT/$unit/dibs-setup-console@.service"
	# dibs_console before the console lines, whichever came first at boot
	grep -qx 'Wants=modprobe@dibs_console.service' "$ROOT/$unit/dibs-setup-console@.service"
	grep -qx 'After=modprobe@dibs_console.service' "$ROOT/$unit/dibs-setup-console@.service"
	grep -qx 'ExecStart=/usr/sbin/dibsctl monitor' "$ROOT/$unit/dibs-monitor.service"
	grep -qx 'ExecStart=/usr/sbin/dibs-ivshmem-server --socket /run/dibs-ivshmem/%i/socket $DIBS_IVSHMEM_ARGS' \
		"$ROOT/$unit/dibs-ivshmem-server@.service"
	grep -qx 'EnvironmentFile=/etc/dibs/ivshmem-%i.conf' "$ROOT/$unit/dibs-ivshmem-server@.service"
	grep -qx 'ExecStart=/usr/sbin/dibs-blk server $DIBS_BLK_ARGS' "$ROOT/$unit/dibs-blk-server@.service"
	grep -qx 'EnvironmentFile=/etc/dibs/blk-%i.conf' "$ROOT/$unit/dibs-blk-server@.service"
	grep -qx 'TTYPath=/dev/%I' "$ROOT/$unit/dibs-console-getty@.service"
	grep -qxF "ExecStart=-/sbin/agetty -L -o '-p -- \\\\u' - vt220" "$ROOT/$unit/dibs-console-getty@.service"
	grep -qx 'BindsTo=dev-%i.device' "$ROOT/$unit/dibs-console-getty@.service"
	grep -qx 'conf_dir=${DIBS_CONF_DIR:-/etc/dibs}' "$ROOT/usr/libexec/dibs/dibs-setup"
	grep -qx 'dibsctl=${DIBSCTL:-/usr/sbin/dibsctl}' "$ROOT/usr/libexec/dibs/dibs-setup"
	sh -n "$ROOT/usr/libexec/dibs/dibs-setup"
	[ "$(grep -v '^#' "$ROOT/usr/share/doc/dibs/examples/modules-load.d/dibs.conf")" = $'dibs\ndibs_loopback' ]
	grep -qx 'prefix=/usr' "$ROOT/usr/lib/pkgconfig/libdibsnl.pc"
	# the installed dibsctl finds the library in the system's path, not
	# through the build tree's rpath
	run readelf -d "$ROOT/usr/sbin/dibsctl"
	[[ $output == *"Shared library: [libdibsnl.so.1]"* ]]
	[[ $output != *RPATH* && $output != *RUNPATH* ]]
	[[ $(env LD_LIBRARY_PATH="$ROOT/usr/lib" "$ROOT/usr/sbin/dibsctl" -V) =~ ^dibsctl\ [0-9]+\.[0-9]+\.[0-9]+\ \(libdibsnl\ [0-9]+\.[0-9]+\.[0-9]+\)$ ]]
}

@test "install: the units pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze (apt-get install systemd)"
	# verify checks that ExecStart= programs exist, so install for real
	# into a prefix, the units too, and let man(1) find the man page.
	local p=$BATS_TEST_TMPDIR/p
	run make -s -C "$REPO" install PREFIX="$p/usr" SYSCONFDIR="$p/etc" \
		UDEVDIR="$p/udev" SYSTEMDUNITDIR="$p/units"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "ExecStart=$p/usr/libexec/dibs/dibs-setup --no-console -- %i" "$p/units/dibs-setup@.service"
	run env MANPATH="$p/usr/share/man" systemd-analyze verify \
		"$p/units/dibs-setup@lo.service" "$p/units/dibs-setup@s-1.service" \
		"$p/units/dibs-setup-console@s-1.service" \
		"$p/units/dibs-monitor.service" "$p/units/dibs-ivshmem-server@fab0.service" \
		"$p/units/dibs-blk-server@disk0.service" \
		"$p/units/dibs-console-getty@ttyDIBS0.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# and it does complain: a unit whose program is not there
	sed "s|^ExecStart=$p/usr/sbin/|ExecStart=$p/none/|" "$p/units/dibs-monitor.service" \
		>"$p/units/dibs-broken.service"
	run systemd-analyze verify --man=no "$p/units/dibs-broken.service"
	[ "$status" -ne 0 ]
	[[ $output == *"$p/none/dibsctl"* ]]
}

@test "dibs.conf(5): renders cleanly, names the installed paths, the units and the udev properties" {
	local man=$ROOT/usr/share/man/man5/dibs.conf.5 unit udev text
	unit=$(pc_dir systemd systemdsystemunitdir)
	udev=$(pc_dir udev udevdir)
	run groff -man -ww -z "$man"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	if command -v man >/dev/null; then
		run --separate-stderr env MANWIDTH=80 man --warnings=w -l "$man"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
	fi
	text=$(groff -man -Tutf8 "$man" 2>/dev/null | col -bx | tr -s ' \n' ' ')
	for s in NAME SYNOPSIS DESCRIPTION "UDEV PROPERTIES" "SYSTEMD UNITS" FILES "SEE ALSO"; do
		[[ $text == *" $s "* ]] || { echo "no section $s"; false; }
	done
	for w in /etc/dibs/DEV.conf /etc/dibs/lo.conf.example \
		 "/$udev/rules.d/70-dibs.rules" "/$unit/dibs-setup@.service" \
		 "/$unit/dibs-setup-console@.service" \
		 "/$unit/dibs-monitor.service" /usr/libexec/dibs/dibs-setup \
		 /usr/share/doc/dibs/examples/modules-load.d/dibs.conf \
		 DIBS_TYPE DIBS_FABRIC_ID DIBS_GID SYSTEMD_WANTS SYSTEMD_ALIAS \
		 DIBS_CONF_DIR DIBSCTL modprobe@dibs.service CAP_NET_ADMIN \
		 "smcd(8)" "dibsctl(8)"; do
		[[ $text == *"$w"* ]] || { echo "dibs.conf(5) does not name $w"; false; }
	done
	# every property the rules set or describe is documented
	for w in $(grep -oE '\b(DIBS_[A-Z_]+|SYSTEMD_[A-Z]+)\b' "$ROOT/$udev/rules.d/70-dibs.rules" | sort -u); do
		[[ $text == *"$w"* ]] || { echo "dibs.conf(5) does not name $w"; false; }
	done
	# both units point at it, and dibsctl(8) does
	grep -q '^Documentation=.*man:dibs.conf(5)' "$ROOT/$unit/dibs-setup@.service"
	grep -q '^Documentation=.*man:dibs.conf(5)' "$ROOT/$unit/dibs-setup-console@.service"
	grep -q '^Documentation=.*man:dibs.conf(5)' "$ROOT/$unit/dibs-monitor.service"
	groff -man -Tutf8 "$REPO/dibsctl/dibsctl.8" 2>/dev/null | col -bx | grep -q 'dibs.conf(5)'
}

# unit_value UNIT KEY: the values of KEY= in UNIT, one a line.
unit_value() {
	sed -n "s/^$2=//p" "$1"
}

# seconds VALUE: a systemd time span of s, min or plain seconds.
seconds() {
	case $1 in
	*min) echo $((${1%min} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}

@test "units: dibs-monitor after modprobe@dibs, a start limit that trips, no -t; CAP_NET_ADMIN kept" {
	local u=$ROOT/$(pc_dir systemd systemdsystemunitdir)/dibs-monitor.service
	local restart interval burst
	[ "$(unit_value "$u" Wants)" = modprobe@dibs.service ]
	[[ " $(unit_value "$u" After) " == *" modprobe@dibs.service "* ]]
	# the journal stamps every line: no timestamps of dibsctl's own
	[ "$(unit_value "$u" ExecStart)" = "/usr/sbin/dibsctl monitor" ]
	# joining the multicast groups needs CAP_NET_ADMIN
	[ "$(unit_value "$u" AmbientCapabilities)" = CAP_NET_ADMIN ]
	[ "$(unit_value "$u" CapabilityBoundingSet)" = CAP_NET_ADMIN ]
	[ "$(unit_value "$u" DynamicUser)" = yes ]
	# Restarted every RestartSec after a failure, but not for ever: the
	# start limit (in [Unit], where systemd reads it) must trip, i.e.
	# StartLimitBurst + 1 starts fit into StartLimitIntervalSec.
	[ "$(unit_value "$u" Restart)" = on-failure ]
	restart=$(seconds "$(unit_value "$u" RestartSec)")
	interval=$(seconds "$(unit_value "$u" StartLimitIntervalSec)")
	burst=$(unit_value "$u" StartLimitBurst)
	[ "$restart" -gt 0 ] && [ "$burst" -gt 0 ]
	[ $((burst * restart)) -lt "$interval" ]
	sed -n '/^\[Unit\]/,/^\[/p' "$u" | grep -qx "StartLimitIntervalSec=.*"
	sed -n '/^\[Unit\]/,/^\[/p' "$u" | grep -qx "StartLimitBurst=.*"
}

@test "units: systemd-analyze security finds no more exposure than the jobs need" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze (apt-get install systemd)"
	local unit u
	unit=$ROOT/$(pc_dir systemd systemdsystemunitdir)
	# dibs-setup@: not root but a dynamic user with CAP_NET_ADMIN only;
	# what is left (netlink, CAP_NET_ADMIN, the host's network and user
	# namespace) is what the dibs admin operations need: 1.1 of 10
	u=$unit/dibs-setup@.service
	[ "$(unit_value "$u" DynamicUser)" = yes ]
	[ "$(unit_value "$u" AmbientCapabilities)" = CAP_NET_ADMIN ]
	[ "$(unit_value "$u" CapabilityBoundingSet)" = CAP_NET_ADMIN ]
	for u in dibs-setup@.service dibs-monitor.service; do
		run systemd-analyze security --offline=true --threshold=11 "$unit/$u"
		[ "$status" -eq 0 ] || { echo "$u: ${lines[-1]}"; false; }
	done
	# dibs-setup-console@: uid 0 (the console's sysfs files are root's)
	# without any capability, /sys read-only but for the console's
	# directory, no socket, no signals: 0.7 of 10
	u=$unit/dibs-setup-console@.service
	[ "$(unit_value "$u" CapabilityBoundingSet)" = "" ]
	grep -qx 'CapabilityBoundingSet=' "$u"
	[ -z "$(unit_value "$u" User)$(unit_value "$u" DynamicUser)$(unit_value "$u" AmbientCapabilities)" ]
	[ "$(unit_value "$u" ReadWritePaths)" = -/sys/class/dibs/%i/console ]
	[ "$(unit_value "$u" ProtectKernelTunables)" = yes ]
	[ "$(unit_value "$u" RestrictAddressFamilies)" = none ]
	run systemd-analyze security --offline=true --threshold=8 "$u"
	[ "$status" -eq 0 ] || { echo "$u: ${lines[-1]}"; false; }
	# Apart from what it is there for, it is as locked down as
	# dibs-setup@: the settings of that unit's sandbox are all here.
	local key
	while IFS= read -r key; do
		case $key in
		DynamicUser=* | AmbientCapabilities=* | CapabilityBoundingSet=* | \
			RestrictAddressFamilies=* | ExecStart=*) continue ;;
		esac
		grep -qxF -- "$key" "$u" || { echo "dibs-setup-console@ lacks $key"; false; }
	done < <(sed -n '/^\[Service\]/,$p' "$unit/dibs-setup@.service" | grep -v '^#' | grep '=')
	# and the threshold bites: the same unit as root is above it
	sed '/^DynamicUser=/d; /^AmbientCapabilities=/d' "$unit/dibs-setup@.service" \
		>"$BATS_TEST_TMPDIR/root@.service"
	run systemd-analyze security --offline=true --threshold=11 \
		"$BATS_TEST_TMPDIR/root@.service"
	[ "$status" -ne 0 ]
}

@test "install: pkg-config builds a program against the installed library, and it runs" {
	export PKG_CONFIG_PATH=$ROOT/usr/lib/pkgconfig
	export PKG_CONFIG_SYSROOT_DIR=$ROOT
	run pkg-config --cflags --libs libdibsnl
	echo "$output"
	[[ $output == *"-I$ROOT/usr/include"* ]]
	[[ $output == *"-L$ROOT/usr/lib -ldibsnl"* ]]
	# shellcheck disable=SC2046 # pkg-config's words are meant to split
	run cc -Wall -Wextra -Werror -o "$BATS_TEST_TMPDIR/dibs-list" \
		"$REPO/libdibsnl/examples/dibs-list.c" $(pkg-config --cflags --libs libdibsnl)
	echo "$output"
	[ "$status" -eq 0 ]
	run readelf -d "$BATS_TEST_TMPDIR/dibs-list"
	[[ $output == *"Shared library: [libdibsnl.so.1]"* ]]
	# This machine has no dibs module: the program links, loads the
	# installed library, asks the kernel and says so.
	[ ! -d /sys/module/dibs ] || skip "the dibs module is loaded here"
	run --separate-stderr env LD_LIBRARY_PATH="$ROOT/usr/lib" "$BATS_TEST_TMPDIR/dibs-list"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "dibs-list: dibs netlink family not found (is the dibs module loaded?)" ]
	# and without the library it does not start at all
	! ldconfig -p | grep -q libdibsnl || skip "libdibsnl is installed on this machine"
	run -127 env -u LD_LIBRARY_PATH "$BATS_TEST_TMPDIR/dibs-list"
	[ "$status" -eq 127 ]
	[[ $output == *"libdibsnl.so.1: cannot open shared object file"* ]]
}

@test "uninstall: DESTDIR=... leaves no file, except an administrator's configuration" {
	local r=$BATS_TEST_TMPDIR/root
	make -s -C "$REPO" install DESTDIR="$r" PREFIX=/usr >/dev/null
	[ -n "$(files "$r")" ]
	echo "dev set lo state up" >"$r/etc/dibs/lo.conf"
	run make -s -C "$REPO" uninstall DESTDIR="$r" PREFIX=/usr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(files "$r")" = "f 644 etc/dibs/lo.conf" ]
	rm "$r/etc/dibs/lo.conf"
	make -s -C "$REPO" uninstall DESTDIR="$r" PREFIX=/usr
	[ -z "$(files "$r")" ]
	# the directories of our own are gone as well
	[ ! -e "$r/etc/dibs" ]
	[ ! -e "$r/usr/libexec/dibs" ]
	[ ! -e "$r/usr/share/doc/dibs" ]
}

# ---- what packagers expect ---------------------------------------------------

@test "packaging: -Werror only with WERROR=1, which make check sets" {
	local d
	# (make check exports WERROR=1 to the tests as well: not here)
	for d in libdibsnl dibsctl ivshmem-server dibsblk tests/tools bench; do
		run env -u WERROR make -s -n -B -C "$REPO/$d"
		[ "$status" -eq 0 ]
		[[ $output == *"-Wall -Wextra"* ]] || { echo "$d: no -Wall -Wextra"; false; }
		[[ $output != *-Werror* ]] || { echo "$d: -Werror without WERROR=1"; false; }
		run make -s -n -B -C "$REPO/$d" WERROR=1
		[[ $output == *-Werror* ]] || { echo "$d: no -Werror with WERROR=1"; false; }
	done
	# make check passes WERROR=1 on to what it runs (stubs here)
	mkdir -p "$BATS_TEST_TMPDIR/vm"
	printf '#!/bin/sh\necho "WERROR=$WERROR"\n' >"$BATS_TEST_TMPDIR/vm/check.sh"
	printf '#!/bin/sh\n:\n' >"$BATS_TEST_TMPDIR/vm/install-deps.sh"
	chmod +x "$BATS_TEST_TMPDIR/vm/"*.sh
	run env -u WERROR make -s -C "$REPO" check VM="$BATS_TEST_TMPDIR/vm"
	[ "$output" = "WERROR=1" ]
}

@test "packaging: MULTIARCH=1 installs the library in the multiarch directory" {
	local r=$BATS_TEST_TMPDIR/root triplet
	triplet=$(cc -print-multiarch)
	[ -n "$triplet" ]
	run make -s -C "$REPO" install DESTDIR="$r" PREFIX=/usr MULTIARCH=1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cd "$r" && find usr/lib -name 'libdibsnl*' | sort)" = \
"usr/lib/$triplet/libdibsnl.a
usr/lib/$triplet/libdibsnl.so
usr/lib/$triplet/libdibsnl.so.1
usr/lib/$triplet/libdibsnl.so.1.0.0
usr/lib/$triplet/pkgconfig/libdibsnl.pc" ]
	grep -qx "libdir=/usr/lib/$triplet" "$r/usr/lib/$triplet/pkgconfig/libdibsnl.pc"
	# LIBDIR= still names any directory
	make -s -C "$REPO/libdibsnl" install DESTDIR="$r" PREFIX=/usr LIBDIR=/usr/lib64
	[ -f "$r/usr/lib64/libdibsnl.so.1.0.0" ]
	grep -qx "libdir=/usr/lib64" "$r/usr/lib64/pkgconfig/libdibsnl.pc"
	make -s -C "$REPO" uninstall DESTDIR="$r" PREFIX=/usr MULTIARCH=1
	[ -z "$(find "$r/usr/lib/$triplet" -name 'libdibsnl*')" ]
}

@test "packaging: pkg-config --cflags adds no stray -I; --static adds libmnl, libuuid" {
	export PKG_CONFIG_PATH=$ROOT/usr/lib/pkgconfig
	# dibsnl.h includes neither libmnl's nor libuuid's headers: their
	# flags (-I/usr/include/uuid) are not the library's users' business
	run pkg-config --cflags libdibsnl
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run pkg-config --libs libdibsnl
	[ "$(echo $output)" = "-ldibsnl" ]
	run pkg-config --static --libs libdibsnl
	[ "$(echo $output)" = "-ldibsnl -lmnl -luuid" ]
	# a prefix outside the compiler's search path gets its -I
	make -s -C "$REPO/libdibsnl" install DESTDIR="$BATS_TEST_TMPDIR/o" PREFIX=/opt/dibs
	run env PKG_CONFIG_PATH="$BATS_TEST_TMPDIR/o/opt/dibs/lib/pkgconfig" \
		pkg-config --cflags libdibsnl
	[ "$(echo $output)" = "-I/opt/dibs/include" ]
}

# ---- DKMS ------------------------------------------------------------------

@test "dkms: make dkms DESTDIR=... installs a source tree of real files" {
	local r=$BATS_TEST_TMPDIR/root v
	v=$(project_version)
	run make -s -C "$REPO" dkms DESTDIR="$r"
	echo "$output"
	[ "$status" -eq 0 ]
	# kernel/include/uapi is a symlink in the repository: here it is not
	[ -L "$REPO/kernel/include/uapi" ]
	[ -z "$(find "$r" -type l)" ]
	local exp
	exp=$(cd "$REPO/kernel" &&
		printf "f 644 usr/src/dibs-$v/%s\\n" Kbuild Makefile dkms.conf *.c *.h \
			include/linux/dibs.h include/uapi/linux/dibs.h \
			include/uapi/linux/dibs_ioctl.h \
			include/uapi/linux/dibs_ivshmem.h \
			include/uapi/linux/dibs_console.h | sort)
	[ "$(files "$r")" = "$exp" ]
	cmp "$REPO/uapi/linux/dibs.h" "$r/usr/src/dibs-$v/include/uapi/linux/dibs.h"
	cmp "$REPO/uapi/linux/dibs_ioctl.h" \
		"$r/usr/src/dibs-$v/include/uapi/linux/dibs_ioctl.h"
	grep -qx "PACKAGE_VERSION=\"$v\"" "$r/usr/src/dibs-$v/dkms.conf"
}

# dkms_private CMD ARG...: dkms on the test's own trees and signing key.
dkms_private() {
	env mok_signing_key="$DK/mok.key" mok_certificate="$DK/mok.pub" \
		dkms "$@" --sourcetree "$DK/src" --dkmstree "$DK/tree"
}

@test "dkms: add, build for an installed kernel, remove" {
	command -v dkms >/dev/null || skip "no dkms (apt-get install dkms)"
	local abi v m
	abi=$("$REPO/scripts/kernels.sh" --newest)
	[ -n "$abi" ] || skip "no kernel headers installed"
	v=$(project_version)
	DK=$BATS_TEST_TMPDIR/dkms
	mkdir -p "$DK/tree"
	make -s -C "$REPO" dkms DESTDIR="$DK/root"
	mv "$DK/root/usr/src" "$DK/src"
	local before
	before=$(ls -A /var/lib/dkms 2>/dev/null)

	run dkms_private add -m dibs -v "$v"
	echo "$output"
	[ "$status" -eq 0 ]
	run dkms_private build -m dibs -v "$v" -k "$abi"
	echo "$output"
	[ "$status" -eq 0 ]
	run --separate-stderr dkms_private status -m dibs -v "$v"
	[ "$output" = "dibs/$v, $abi, x86_64: built" ]
	for m in dibs dibs_loopback dibs_sim; do
		ko=$(echo "$DK/tree/dibs/$v/$abi/x86_64/module/$m.ko"*)
		[ -f "$ko" ]
		[[ $(modinfo -F vermagic "$ko") == "$abi "* ]]
		[ "$(modinfo -F name "$ko")" = "$m" ]
	done
	[ "$(modinfo -F depends "$DK/tree/dibs/$v/$abi/x86_64/module/dibs_sim.ko"*)" = dibs ]

	run dkms_private remove -m dibs -v "$v" --all
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$DK/tree/dibs" ]
	# nothing of this in the system's DKMS state
	[ "$(ls -A /var/lib/dkms 2>/dev/null)" = "$before" ]
}

@test "dkms: a copy of kernel/ with its symlink fails to build and says why" {
	command -v dkms >/dev/null || skip "no dkms (apt-get install dkms)"
	local abi v
	abi=$("$REPO/scripts/kernels.sh" --newest)
	[ -n "$abi" ] || skip "no kernel headers installed"
	v=$(project_version)
	DK=$BATS_TEST_TMPDIR/dkms
	mkdir -p "$DK/tree" "$DK/src"
	cp -r "$REPO/kernel" "$DK/src/dibs-$v"
	[ -L "$DK/src/dibs-$v/include/uapi" ]
	dkms_private add -m dibs -v "$v" >/dev/null
	run dkms_private build -m dibs -v "$v" -k "$abi"
	echo "$output"
	[ "$status" -ne 0 ]
	tail -n 1 "$DK/tree/dibs/$v/build/make.log" |
		grep -qx 'dibs: include/uapi/linux/dibs.h is missing: install the sources with make dkms'
	dkms_private remove -m dibs -v "$v" --all >/dev/null
}
