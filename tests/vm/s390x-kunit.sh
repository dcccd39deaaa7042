#!/usr/bin/env bash
# The KUnit suites on s390x, big-endian, where ISM lives: Debian's
# linux-source-6.12 cross-built for s390 (debug-kernel.sh --s390x, cached),
# the project's modules and dibs_kunit.ko cross-built against it W=1 (a
# warning fails), booted under qemu-system-s390x (TCG) from a tiny
# initramfs (the s390x busybox of the sysroot, s390x/init), each suite
# judged by the same rules as tests/kunit.bats (tests/lib/kunit.bash); then
# the s390x dibsctl (s390x-userspace.sh) drives the s390x kernel over
# netlink (s390x/netlink.sh), values chosen so a swapped byte order shows.
#
#   s390x-kunit.sh     TAP on stdout, one line a check, named "s390x: ...";
#                      the report (build and boot) on stderr
#
# Without the cross compiler, qemu-system-s390x or the s390x busybox it
# reports one skipped test saying what is missing (make deps installs them).
# The console log stays in build/s390x/kunit/console.log.
# S390X_QEMU_TIMEOUT: seconds before the guest is killed (default 300).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/kunit.bash
. "$repo/tests/lib/kunit.bash"
# shellcheck source=kernel-paths.sh
. "$here/kernel-paths.sh"
out=$repo/build/s390x/kunit
busybox=$repo/build/s390x/sysroot/bin/busybox

skip_all() {
	echo "1..1"
	echo "ok 1 - s390x: KUnit # SKIP $*"
	exit 0
}
command -v s390x-linux-gnu-gcc >/dev/null ||
	skip_all "no s390x-linux-gnu-gcc (package gcc-s390x-linux-gnu; make deps)"
qemu=$(command -v qemu-system-s390x) ||
	skip_all "no qemu-system-s390x (package qemu-system-misc; make deps)"
[ -x "$busybox" ] ||
	skip_all "no s390x busybox in build/s390x/sysroot (tests/vm/s390x-sysroot.sh; make deps)"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - s390x: $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - s390x: $*"; }
finish() { echo "1..$n"; [ $failed -eq 0 ]; exit; }

# ---- kernel and modules ------------------------------------------------------
if ! abi=$("$here/debug-kernel.sh" --s390x); then
	not_ok "kernel build (tests/vm/debug-kernel.sh --s390x; see its log)"
	finish
fi
ok "kernel $abi built from linux-source-6.12"
if ! "$here/build-modules.sh" "$abi" >&2; then
	not_ok "modules for $abi build W=1 without a warning (build/$abi/*/build.log)"
	finish
fi
ok "modules for $abi build W=1 without a warning"
mods=()
# dibs_console too: netlink.sh runs a console session on big-endian.
for m in "${KU_MODULES[@]}" dibs_console; do
	f=$(find "$repo/build/$abi" -name "$m.ko" | head -n 1)
	[ -n "$f" ] || { not_ok "$m.ko was built for $abi"; finish; }
	mods+=("$f")
done
# The modules are s390x objects, big-endian: what the test is about.
if file -L "${mods[0]}" | grep -q 'ELF 64-bit MSB relocatable, IBM S/390'; then
	ok "the modules are 64-bit big-endian s390x objects"
else
	not_ok "the modules are 64-bit big-endian s390x objects: $(file -L "${mods[0]}")"
fi

# The s390x dibsctl, libdibsnl and their libraries, for netlink.sh.
if "$here/s390x-userspace.sh" >"$repo/build/s390x/build.log" 2>&1; then
	ok "libdibsnl and dibsctl cross-built"
else
	not_ok "libdibsnl and dibsctl cross-built (build/s390x/build.log)"
	tail -n 20 "$repo/build/s390x/build.log" >&2
	finish
fi

# ---- initramfs -----------------------------------------------------------------
rm -rf "$out"
stage=$out/stage
mkdir -p "$stage/bin" "$stage/lib/dibs" "$stage/dev" "$stage/proc" "$stage/sys"
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$here/s390x/init" "$stage/init"
cp "$here/s390x/netlink.sh" "$stage/netlink.sh"
sysroot=$repo/build/s390x/sysroot
mkdir -p "$stage/lib/s390x-linux-gnu"
cp -L "$sysroot/lib/ld64.so.1" "$stage/lib/"
libs=("$repo/build/s390x/libdibsnl/libdibsnl.so.1")
for l in libc.so.6 libmnl.so.0 libuuid.so.1; do
	libs+=("$(find "$sysroot/usr/lib/s390x-linux-gnu" "$sysroot/lib/s390x-linux-gnu" -name "$l" 2>/dev/null | head -n 1)")
done
if ! cp -L "${libs[@]}" "$stage/lib/s390x-linux-gnu/" ||
   ! cp "$repo/build/s390x/dibsctl/dibsctl-installed" "$stage/bin/dibsctl"; then
	not_ok "the initramfs has dibsctl and its libraries"
	finish
fi
cp "${mods[@]}" "$stage/lib/dibs/"
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"

# ---- boot ------------------------------------------------------------------------
kernel_paths "$abi"
console=$out/console.log
timeout=${S390X_QEMU_TIMEOUT:-300}
start=$(date +%s)
# The guest powers off at the end; on a hang the timeout kills qemu.
# The console is SCLP's line-mode console (the kernel's sclp console,
# CONFIG_SCLP_CONSOLE): -nographic would give the VT220 one, which the
# kernel is not built for.
timeout "$timeout" "$qemu" -machine s390-ccw-virtio -cpu max -smp 1 -m 512 \
	-nodefaults -display none -no-reboot \
	-chardev stdio,id=con0,signal=off -device sclplmconsole,chardev=con0 \
	-kernel "$KERNEL_IMAGE" -initrd "$out/initramfs.cpio.gz" -append "panic=-1" \
	</dev/null >"$console" 2>&1
rc=$?
echo "s390x-kunit: guest ran $(($(date +%s) - start)) s, qemu exit $rc, console $console" >&2
tr -d '\r' <"$console" >"$console.txt"
if grep -q '^dibs-s390x: done$' "$console.txt" && [ $rc -ne 124 ]; then
	ok "the guest booted, ran the suites and powered off ($(grep -m1 '^dibs-s390x: up' "$console.txt" | cut -d' ' -f3-))"
else
	not_ok "the guest booted, ran the suites and powered off (qemu exit $rc; tail of $console:)"
	tail -n 30 "$console.txt" >&2
fi
# Only a guest that came up and finished can vouch for what it did not print.
if ! grep -q '^dibs-s390x: up' "$console.txt"; then
	not_ok "every module loaded and unloaded (the guest never came up)"
elif grep '^dibs-s390x: error' "$console.txt" >&2 ||
	! grep -q '^dibs-s390x: done$' "$console.txt"; then
	not_ok "every module loaded and unloaded"
else
	ok "every module loaded and unloaded"
fi
problems=$(grep -E '(WARNING:|BUG:|Oops|Kernel panic|Call Trace:|UBSAN:|general protection)' "$console.txt")
if [ -n "$problems" ]; then
	not_ok "no kernel problem on the console"
	echo "$problems" | head -n 20 >&2
elif ! grep -q '^dibs-s390x: done$' "$console.txt"; then
	not_ok "no kernel problem on the console (the guest did not finish)"
else
	ok "no kernel problem on the console"
fi

# ---- dibsctl against the s390x kernel (s390x/netlink.sh) --------------------------
want=$(grep -c '^check "' "$here/s390x/netlink.sh")
seen=0
while IFS= read -r line; do
	seen=$((seen + 1))
	name=${line#dibs-s390x: check }
	case $name in
	*": ok") ok "netlink: ${name%: ok}" ;;
	*) not_ok "netlink: ${name%%: FAIL*}"
	   echo "# seen: ${name#*: FAIL }" ;;
	esac
done < <(grep '^dibs-s390x: check ' "$console.txt")
[ "$seen" -eq "$want" ] ||
	not_ok "netlink: $seen of the $want checks of s390x/netlink.sh reported"

# ---- the suites, judged as tests/kunit.bats judges them ---------------------------
for s in "${!KU_CASES[@]}"; do
	ktap=$out/$s.ktap
	sed -n "/^dibs-s390x: begin $s\$/,/^dibs-s390x: end $s\$/p" "$console.txt" |
		sed -e '1d' -e '$d' | grep -v '^\[ *[0-9]*\.[0-9]*\]' >"$ktap"
	if ku_check_ktap "$s" "$ktap"; then
		ok "KUnit suite $s: all ${KU_CASES[$s]} cases ok"
	else
		not_ok "KUnit suite $s: all ${KU_CASES[$s]} cases ok"
	fi
done
finish
