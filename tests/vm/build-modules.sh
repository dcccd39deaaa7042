#!/usr/bin/env bash
# Builds what the VM suites load for one kernel ABI, under build/<ABI>/:
#   kernel/, uapi/  the project's modules (scripts/build-modules.sh, the
#                   production build), against this ABI's tree
#                   (kernel-paths.sh: the debug and s390x kernels have their
#                   own)
#   kmod/           the test modules, dibs_test_client.ko, ... (from
#                   tests/kmod/), with the core's Module.symvers and its
#                   include/ directory
#
#   build-modules.sh ABI
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
abi=${1:?usage: build-modules.sh ABI}
out=$repo/build/$abi
export DIBS_REPO=$repo

# shellcheck source=kernel-paths.sh
. "$here/kernel-paths.sh"
kernel_paths "$abi"
export KDIR=$KERNEL_KDIR

"$repo/scripts/build-modules.sh" "$abi" "${KERNEL_MAKE_ARGS[@]}"

if [ -d "$repo/tests/kmod" ]; then
	mkdir -p "$out"
	# One build per ABI at a time: colleagues share the tree.
	exec 9>"$out/.lock"
	flock 9
	"$repo/scripts/kbuild.sh" "$abi" "$repo/tests/kmod" "$out/kmod" \
		"${KERNEL_MAKE_ARGS[@]}" \
		KBUILD_EXTRA_SYMBOLS="$out/kernel/Module.symvers" \
		DIBS_INCLUDE="$out/kernel/include"
fi
