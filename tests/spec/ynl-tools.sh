#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prints the folder that holds the kernel's YNL tools (tools/net/ynl/) and
# netlink schemas (Documentation/netlink/), extracting the two from Debian's
# linux-source package the first time. They are build and test tools; none
# of their code is part of dibs.
#
#   ynl-tools.sh            print the folder, extracting when missing
#   DIBS_YNL_DIR=DIR        where to keep them (default: build/ynl in the
#                           repository, or /var/tmp/dibs-ynl when that is
#                           not writable)
#   DIBS_LINUX_SOURCE=TAR   the tarball (default: the newest
#                           /usr/src/linux-source-*.tar.xz)
#
# Exit status 0 with the folder on stdout, 1 with the reason on stderr.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

tarball=${DIBS_LINUX_SOURCE:-}
if [ -z "$tarball" ]; then
	tarball=$(printf '%s\n' /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
	[ -e "$tarball" ] || tarball=
fi
if [ -z "$tarball" ] || [ ! -r "$tarball" ]; then
	echo "ynl-tools: no linux-source tarball${tarball:+ $tarball} in /usr/src (apt-get install linux-source-6.12)" >&2
	exit 1
fi
top=$(basename "$tarball" .tar.xz)

dir=${DIBS_YNL_DIR:-}
if [ -z "$dir" ]; then
	dir=$repo/build/ynl
	if ! mkdir -p "$dir" 2>/dev/null || [ ! -w "$dir" ]; then
		dir=/var/tmp/dibs-ynl
	fi
fi
dir=$dir/$top

# The stamp names the tarball and its size and time, so an upgraded
# package is extracted anew.
stamp="$(basename "$tarball") $(stat -c '%s %Y' "$tarball")"
if [ -f "$dir/.extracted" ] && [ "$(cat "$dir/.extracted")" = "$stamp" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$(dirname "$dir")"
tmp=$(mktemp -d "$dir.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
threads=$(nproc 2>/dev/null || echo 1)
[ "$threads" -gt 4 ] && threads=4
if ! xz -T"$threads" -dc "$tarball" |
	tar -x -C "$tmp" --strip-components=1 \
		"$top/tools/net/ynl" "$top/Documentation/netlink"; then
	echo "ynl-tools: extracting tools/net/ynl and Documentation/netlink from $tarball failed" >&2
	exit 1
fi
echo "$stamp" >"$tmp/.extracted"

# Another run may have finished first: keep its copy, which may be in use.
if [ ! -f "$dir/.extracted" ] || [ "$(cat "$dir/.extracted")" != "$stamp" ]; then
	rm -rf "$dir"
	mv -T "$tmp" "$dir" 2>/dev/null || true
fi
if [ ! -f "$dir/.extracted" ]; then
	echo "ynl-tools: cannot create $dir" >&2
	exit 1
fi
echo "$dir"
