#!/usr/bin/env bash
# Builds one directory of out-of-tree kernel modules against one kernel ABI.
#
#   kbuild.sh ABI SRC DEST [extra make arguments...]
#   KDIR=TREE kbuild.sh ...   build against TREE instead of
#                             /usr/src/linux-headers-ABI
#
# kbuild writes its objects next to the sources (M=), and we target several
# kernels from one tree, so the sources are mirrored into DEST (one per ABI)
# and built there; the source tree stays clean. rsync keeps file times, so a
# second build of an unchanged tree is incremental. W=1 turns on the extra
# warnings, and any warning at all (compiler or modpost) fails the build: a
# warning on one kernel is usually a bug on the other.
set -euo pipefail

if [ $# -lt 3 ]; then
	echo "usage: $0 ABI SRC DEST [make args...]" >&2
	exit 2
fi
abi=$1 src=$2 dest=$3
shift 3
# The tree to build against: a Debian kernel's headers package, unless the
# caller names another (KDIR=; the test harness does for its own kernels,
# tests/vm/kernel-paths.sh).
kdir=${KDIR:-/usr/src/linux-headers-$abi}

[ -d "$kdir" ] || { echo "kbuild: no headers for $abi ($kdir)" >&2; exit 1; }
[ -d "$src" ] || { echo "kbuild: no source directory $src" >&2; exit 1; }

# Build outputs are never copied from the source (a developer may have run
# make there) and, being excluded, rsync --delete leaves ours in place.
outputs=('*.o' '*.ko' '*.mod' '*.mod.c' '.*.cmd' '*.a' '*.symvers'
	 'modules.order' '.tmp_versions' '.cache.mk' '*.dwo' 'build.log' '.lock')
excl=()
for pat in "${outputs[@]}"; do excl+=(--exclude="$pat"); done
mkdir -p "$dest"
# Colleagues share the tree: one build per destination at a time.
exec 8>"$dest/.lock"
flock 8
# --copy-unsafe-links: kernel/include/uapi links to the top-level uapi/,
# outside the mirrored tree.
rsync -a --copy-unsafe-links --delete "${excl[@]}" "$src/" "$dest/"
dest=$(cd "$dest" && pwd)

log=$dest/build.log
if ! make -C "$kdir" M="$dest" W=1 -j"$(nproc)" "$@" modules >"$log" 2>&1; then
	echo "kbuild: build of $src for $abi failed; log $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi
# Case-insensitive: modpost reports problems as "WARNING: modpost: ...".
if grep -i 'warning:' "$log" >&2; then
	echo "kbuild: warnings building $src for $abi (full log $log)" >&2
	exit 1
fi
mods=$(cd "$dest" && find . -name '*.ko' -printf '%P\n' | sort | tr '\n' ' ' | sed 's/ $//')
echo "kbuild: $abi: ${src#"${DIBS_REPO:-$PWD}/"} -> ${mods:-no modules}"
