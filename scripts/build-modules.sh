#!/usr/bin/env bash
# Builds the project's kernel modules (kernel/: dibs.ko, dibs_loopback.ko,
# ...) for one kernel ABI under build/<ABI>/:
#   kernel/  the modules, from a mirror of kernel/ (kbuild.sh)
#   uapi/    a copy of uapi/ (headers only), so that the relative include
#            paths of the sources (../uapi from kernel/) hold in the mirror
#
#   build-modules.sh ABI [extra make arguments...]
#   KDIR=TREE build-modules.sh ...   build against TREE (see kbuild.sh)
#
# `make` runs it for every installed kernel; the test harness
# (tests/vm/build-modules.sh) runs it and then builds its test modules
# against the result.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
abi=${1:?usage: build-modules.sh ABI [make args...]}
shift
out=$repo/build/$abi
export DIBS_REPO=$repo

if [ ! -f "$repo/kernel/Kbuild" ] && [ ! -f "$repo/kernel/Makefile" ]; then
	echo "build-modules: no kernel/ sources: nothing to build for $abi" >&2
	exit 0
fi

mkdir -p "$out"
# One build per ABI at a time: colleagues share the tree.
exec 9>"$out/.lock.modules"
flock 9

if [ -d "$repo/uapi" ]; then
	rsync -a --delete "$repo/uapi/" "$out/uapi/"
fi

"$here/kbuild.sh" "$abi" "$repo/kernel" "$out/kernel" "$@"
