#!/usr/bin/env bash
# Builds (or finds in its cache) the project's own test kernels, from
# Debian's linux-source-6.12, `make tinyconfig` plus a config fragment:
#
#   debug (default)  x86_64, the debug kernel the VM suites also run on:
#                    tests/vm/debug/dibs-debug.config (KASAN, kmemleak,
#                    lockdep, atomic-sleep checks, debug objects, failslab,
#                    KUnit, and only what the harness needs)
#   --s390x          s390x, big-endian, cross-built with gcc-s390x-linux-gnu
#                    for the KUnit suites under qemu-system-s390x
#                    (tests/vm/s390x/dibs-s390x.config, s390x-kunit.sh)
#
#   debug-kernel.sh [--s390x]          build if needed; print the release
#   debug-kernel.sh [--s390x] --dir    print the cache directory of the
#                                      current fragment, build nothing
#
# The build is cached under $DIBS_DEBUG_CACHE (default
# /var/cache/dibs/debug-kernel; $DIBS_S390X_CACHE, /var/cache/dibs/s390x-kernel),
# keyed by a hash of the fragment, the linux-source package version and this
# recipe, so a later run on the same machine (another clone included) reuses
# it. The cache directory holds
#   vmlinuz                       the bzImage
#   tree/                         the configured, built tree: the "headers"
#                                 modules are built against (Module.symvers)
#   root/lib/modules/<release>/   modules.dep, modules.builtin (all built in)
#   release                       the kernel release, e.g. 6.12.57-dibs-debug
# From scratch the debug kernel takes ~8 minutes on 2 cores, the s390x one
# ~6; older cache entries of the same flavour are removed after a successful
# build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz
if [ "${1:-}" = --s390x ]; then
	shift
	name=s390x-kernel
	fragment=$here/s390x/dibs-s390x.config
	cache=${DIBS_S390X_CACHE:-/var/cache/dibs/s390x-kernel}
	karch=(ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-)
	image=arch/s390/boot/bzImage
else
	name=debug-kernel
	fragment=$here/debug/dibs-debug.config
	cache=${DIBS_DEBUG_CACHE:-/var/cache/dibs/debug-kernel}
	karch=(ARCH=x86_64)
	image=arch/x86/boot/bzImage
fi
# Bump when the steps below change what gets built.
recipe=1

[ -f "$tarball" ] || { echo "$name: $tarball missing (package linux-source-6.12)" >&2; exit 1; }
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
echo "$name: building $key from linux-source-6.12 $srcver (several minutes; log $log)" >&2
rm -rf "$dir"
mkdir -p "$dir/tree"
tree=$dir/tree
xz -T0 -dc "$tarball" | tar -x -C "$tree" --strip-components=1

kmake() { make -C "$tree" "${karch[@]}" "$@" >>"$log" 2>&1; }
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
			echo "$name: $line did not stick: $(grep -E "^(# )?${line%%=*}[= ]" "$tree/.config" || echo absent)" >&2
			bad=1
		} ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$tree/.config"; then
			echo "$name: $opt should be off: $(grep "^$opt=" "$tree/.config")" >&2
			bad=1
		fi ;;
	esac
done <"$fragment"
[ $bad -eq 0 ] || { echo "$name: the fragment does not hold (see above)" >&2; exit 1; }

if ! kmake -j"$(nproc)" bzImage modules; then
	echo "$name: build failed; the end of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
kmake modules_install INSTALL_MOD_PATH="$dir/root"
release=$(make -s -C "$tree" "${karch[@]}" kernelrelease)
cp "$tree/$image" "$dir/vmlinuz"
echo "$release" >"$dir/release"
touch "$dir/done"

# Older builds of other fragments are of no more use.
for old in "$cache"/*/; do
	[ "${old%/}" = "$dir" ] || rm -rf "${old%/}" "${old%/}.log"
done
echo "$name: $release built in $(($(date +%s) - start)) s" >&2
echo "$release"
