#!/usr/bin/env bash
# Builds (or reuses) the initramfs that boots one kernel ABI in the test VM and
# prints its path.
#
#   mkinitramfs.sh ABI [OUTDIR]     default OUTDIR: <repo>/build/vm/<ABI>
#
# The image is tiny on purpose: static busybox, our /init, and just the
# modules the guest needs before it can reach the host's root over 9p
# (virtio-pci transport, 9p client and filesystem). Everything else -- bash,
# bats, kmod, the modules under test -- comes from the host's / after the
# guest mounts it. The image is cached and rebuilt only when an input is newer.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
abi=${1:?usage: mkinitramfs.sh ABI [OUTDIR]}
outdir=${2:-$repo/build/vm/$abi}
# shellcheck source=kernel-paths.sh
. "$here/kernel-paths.sh"
kernel_paths "$abi"
moddir=$KERNEL_MODDIR
busybox=/bin/busybox
image=$outdir/initramfs.cpio.gz

[ -f "$moddir/modules.dep" ] || { echo "mkinitramfs: no $moddir/modules.dep" >&2; exit 1; }
[ -x "$busybox" ] || { echo "mkinitramfs: $busybox missing (busybox-static)" >&2; exit 1; }

# Reuse the cached image unless one of its inputs changed since.
if [ -f "$image" ]; then
	fresh=1
	for input in "$here/init" "$0" "$busybox" "$moddir/modules.dep" \
		"$moddir/modules.builtin"; do
		[ "$input" -nt "$image" ] && fresh=0
	done
	if [ $fresh -eq 1 ]; then echo "$image"; exit 0; fi
fi

# What the guest must load: the PCI transport for virtio, the 9p transport
# and the 9p filesystem; and where the kernel has it, virtio-rng (run.sh
# gives the guest the host's entropy, so that the kernel's random pool is
# ready before any test runs: see run.sh; the debug kernel's configuration
# leaves it out). Whatever the kernel has built in is skipped and the rest
# is ordered by modules.dep, so no kernel's layout is hard-coded here.
wanted=(virtio_pci 9pnet_virtio 9p)
optional=(virtio_rng)

declare -A path_of deps_of builtin loaded
norm() { local n=${1##*/}; n=${n%%.ko*}; echo "${n//-/_}"; }
while IFS= read -r line; do
	mod=${line%%:*}
	name=$(norm "$mod")
	path_of[$name]=$mod
	deps_of[$name]=${line#*:}
done <"$moddir/modules.dep"
if [ -f "$moddir/modules.builtin" ]; then
	while IFS= read -r mod; do builtin[$(norm "$mod")]=1; done <"$moddir/modules.builtin"
fi

order=()
# Depth first: a module goes into the list only after everything it needs.
resolve() {
	local name=$1 dep
	[ -n "${builtin[$name]:-}" ] && return 0
	[ -n "${loaded[$name]:-}" ] && return 0
	if [ -z "${path_of[$name]:-}" ]; then
		echo "mkinitramfs: $abi has no module $name and it is not built in" >&2
		exit 1
	fi
	loaded[$name]=1
	for dep in ${deps_of[$name]}; do resolve "$(norm "$dep")"; done
	order+=("$name")
}
for m in "${wanted[@]}"; do resolve "$m"; done
for m in "${optional[@]}"; do
	[ -n "${path_of[$m]:-}" ] && resolve "$m"
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/dibs-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules,etc}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$here/init" "$stage/init"
# The kernel opens /dev/console for init before anything is mounted; without
# the node it warns and /init starts with no stdio (it recovers by itself
# after mounting devtmpfs, so this is only a nicety when not root).
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true

# busybox insmod cannot read compressed modules: store them plain.
for name in "${order[@]}"; do
	src=$moddir/${path_of[$name]}
	dst=$stage/lib/modules/$name.ko
	case $src in
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
	echo "$name" >>"$stage/etc/modules"
done
touch "$stage/etc/modules"

mkdir -p "$outdir"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet | gzip -1) >"$image.$$.tmp"
# Runs for one ABI may race here (make check boots kernels in parallel):
# each writes its own file and the rename is atomic.
mv "$image.$$.tmp" "$image"
echo "mkinitramfs: $abi: ${order[*]:-(all built in)}" >&2
echo "$image"
