#!/usr/bin/env bash
# Builds the project's kernel modules for one kernel ABI under build/<ABI>/:
#   kernel/  dibs.ko, dibs_loopback.ko, ...    (from kernel/)
#   kmod/    dibs_test_client.ko, ...          (from tests/kmod/)
#   uapi/    a copy of uapi/ (headers only), so that the relative include
#            paths of the sources (../uapi from kernel/) hold in the mirror
# The test modules link against the core's exports, so they are built second
# with the core's Module.symvers and its include/ directory.
#
#   build-modules.sh ABI
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
abi=${1:?usage: build-modules.sh ABI}
out=$repo/build/$abi
export DIBS_REPO=$repo

if [ ! -f "$repo/kernel/Kbuild" ] && [ ! -f "$repo/kernel/Makefile" ]; then
	echo "build-modules: no kernel/ sources: nothing to build for $abi" >&2
	exit 0
fi

mkdir -p "$out"
# One build per ABI at a time: colleagues share the tree.
exec 9>"$out/.lock"
flock 9

if [ -d "$repo/uapi" ]; then
	rsync -a --delete "$repo/uapi/" "$out/uapi/"
fi

"$here/kbuild.sh" "$abi" "$repo/kernel" "$out/kernel"

if [ -d "$repo/tests/kmod" ]; then
	"$here/kbuild.sh" "$abi" "$repo/tests/kmod" "$out/kmod" \
		KBUILD_EXTRA_SYMBOLS="$out/kernel/Module.symvers" \
		DIBS_INCLUDE="$out/kernel/include"
fi
