#!/usr/bin/env bash
# Builds (or finds in its cache) the debug kernel the VM suites also run on:
# Debian's linux-source-6.12, `make tinyconfig` plus the fragment
# tests/vm/debug/dibs-debug.config (KASAN, kmemleak, lockdep, atomic-sleep
# checks, debug objects, failslab, KUnit, and only what the harness needs).
#
#   debug-kernel.sh            build if needed; print the kernel's ABI (release)
#   debug-kernel.sh --dir      print the cache directory of the current
#                              fragment, build nothing
#
# The build is cached under $DIBS_DEBUG_CACHE (default
# /var/cache/dibs/debug-kernel), keyed by a hash of the fragment, the
# linux-source package version and this recipe, so a later run on the same
# machine (another clone included) reuses it. The cache directory holds
#   vmlinuz                       the bzImage
#   tree/                         the configured, built tree: the "headers"
#                                 modules are built against (Module.symvers)
#   root/lib/modules/<release>/   modules.dep, modules.builtin (all built in)
#   release                       the kernel release, e.g. 6.12.57-dibs-debug
# From scratch this takes ~8 minutes on 2 cores; older cache entries are
# removed after a successful build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/debug/dibs-debug.config
tarball=/usr/src/linux-source-6.12.tar.xz
cache=${DIBS_DEBUG_CACHE:-/var/cache/dibs/debug-kernel}
# Bump when the steps below change what gets built.
recipe=1

[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing (package linux-source-6.12)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$({ cat "$fragment"; echo "linux-source-6.12 $srcver"; echo "recipe $recipe"; } |
	sha256sum | cut -c1-16)
dir=$cache/$key

if [ "${1:-}" = --dir ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$dir/done" ]; then
	cat "$dir/release"
	exit 0
fi

start=$(date +%s)
log=$cache/$key.log
echo "debug-kernel: building $key from linux-source-6.12 $srcver (~8 min; log $log)" >&2
rm -rf "$dir"
mkdir -p "$dir/tree"
tree=$dir/tree
xz -T0 -dc "$tarball" | tar -x -C "$tree" --strip-components=1

kmake() { make -C "$tree" ARCH=x86_64 "$@" >>"$log" 2>&1; }
: >"$log"
kmake tinyconfig
"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$fragment" >>"$log" 2>&1
kmake olddefconfig

# Kconfig drops what it cannot satisfy without a word: check the fragment's
# every demand against the result.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$tree/.config" || {
			echo "debug-kernel: $line did not stick: $(grep -E "^(# )?${line%%=*}[= ]" "$tree/.config" || echo absent)" >&2
			bad=1
		} ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$tree/.config"; then
			echo "debug-kernel: $opt should be off: $(grep "^$opt=" "$tree/.config")" >&2
			bad=1
		fi ;;
	esac
done <"$fragment"
[ $bad -eq 0 ] || { echo "debug-kernel: the fragment does not hold (see above)" >&2; exit 1; }

if ! kmake -j"$(nproc)" bzImage modules; then
	echo "debug-kernel: build failed; the end of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
kmake modules_install INSTALL_MOD_PATH="$dir/root"
release=$(make -s -C "$tree" ARCH=x86_64 kernelrelease)
cp "$tree/arch/x86/boot/bzImage" "$dir/vmlinuz"
echo "$release" >"$dir/release"
touch "$dir/done"

# Older builds of other fragments are of no more use.
for old in "$cache"/*/; do
	[ "${old%/}" = "$dir" ] || rm -rf "${old%/}" "${old%/}.log"
done
echo "debug-kernel: $release built in $(($(date +%s) - start)) s" >&2
echo "$release"
