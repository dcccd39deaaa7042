#!/usr/bin/env bash
# The s390x sysroot tests/unit/s390x-unit builds against and runs in
# (QEMU_LD_PREFIX): build/s390x/sysroot/, the s390x packages below from
# Debian's archive, unpacked with dpkg-deb -x. The host's dpkg is not
# touched (no dpkg --add-architecture): apt runs with its own state under
# build/s390x/apt/, asking for s390x alone.
#
#   s390x-sysroot.sh     make it unless it is there with the same packages
#                        (quick, no network, when it is)
#   s390x-sysroot.sh -f  make it again
#
# libc6 makes it a root qemu-user can run the programs in (ld64.so.1, libc);
# the cross compiler links against its own libc6-dev-s390x-cross.
# busybox-static gives the s390x KUnit guest its /init's tools
# (tests/vm/s390x-kunit.sh).
set -euo pipefail

pkgs=(libmnl-dev libmnl0 uuid-dev libuuid1 libc6 busybox-static)

repo=$(cd "$(dirname "$0")/../.." && pwd)
top=$repo/build/s390x
root=$top/sysroot
apt=$top/apt
stamp=$root/.done

if [ "${1:-}" != -f ] && [ -f "$stamp" ] &&
   [ "$(cat "$stamp")" = "${pkgs[*]}" ]; then
	exit 0
fi

echo "s390x-sysroot: fetching ${pkgs[*]} (s390x) into build/s390x/sysroot"
rm -rf "$root" "$apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
: >"$apt/status"
opts=(-q -o APT::Architecture=s390x -o APT::Architectures::=s390x
      -o Dir::State::Lists="$apt/lists" -o Dir::State::status="$apt/status"
      -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 || {
	cat "$apt/update.log" >&2
	exit 1
}
(cd "$apt/debs" && apt-get "${opts[@]}" download "${pkgs[@]/%/:s390x}")
mkdir -p "$root"
for deb in "$apt/debs"/*.deb; do
	dpkg-deb -x "$deb" "$root"
done
# the package indexes are 18 MB and of no more use
rm -rf "$apt/lists" "$apt/cache"
echo "${pkgs[*]}" >"$stamp"
