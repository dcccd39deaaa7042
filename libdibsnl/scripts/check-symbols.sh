#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shared library exports exactly the functions include/dibsnl.h
# declares, each at the version node libdibsnl.map lists it in (DIBSNL_1,
# later additions in later nodes), and the map lists the same.
# Usage: check-symbols.sh LIBRARY  (run from libdibsnl/)
set -eu

lib=${1:-libdibsnl.so.1.0.0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# dibsnl_name( at the start of a declaration, after the return type
sed -n 's/^[a-z].*[ *]\(dibsnl_[a-z_]*\)(.*/\1/p' include/dibsnl.h |
	sort -u > "$tmp/header"
sed -n 's/^[[:space:]]*\(dibsnl_[a-z_]*\);.*/\1/p' libdibsnl.map |
	sort -u > "$tmp/map"
nm -D --defined-only "$lib" | awk '{ print $3 }' | grep -v '^DIBSNL_[0-9.]*$' |
	sort -u > "$tmp/exported"

status=0
if ! diff -u "$tmp/header" "$tmp/map"; then
	echo "check-symbols: libdibsnl.map and dibsnl.h differ" >&2
	status=1
fi
# name@@NODE for each function of the map, by the node it is listed in; a
# function listed in several nodes (a new version of it) is the default
# (@@) at the last of them and a compat symbol (name@NODE) at the others.
awk '/^DIBSNL_[0-9.]+ *[{]/ { node = $1 }
	/^[[:space:]]*dibsnl_[a-z_]*;/ { sub(/^[[:space:]]*/, ""); sub(/;.*/, "");
		if ($0 in last) compat[$0 "@" last[$0]] = 1
		last[$0] = node }
	END { for (f in last) print f "@@" last[f]
		for (c in compat) print c }' libdibsnl.map | sort -u > "$tmp/want"
if ! diff -u "$tmp/want" "$tmp/exported"; then
	echo "check-symbols: $lib exports other symbols" >&2
	status=1
fi
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
if [ "$soname" != libdibsnl.so.1 ]; then
	echo "check-symbols: SONAME is '$soname'" >&2
	status=1
fi
[ $status -eq 0 ] && echo "check-symbols: $(wc -l < "$tmp/header") functions, at $(sed -n 's/.*@@//p' "$tmp/want" | sort -u | paste -sd, -), compat $(grep -v @@ "$tmp/want" | paste -sd, -), SONAME $soname"
exit $status
