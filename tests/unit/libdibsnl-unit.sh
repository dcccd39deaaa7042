#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libdibsnl unit tests, one TAP line per case: builds the test program
# (tests/unit/Makefile: obj/test-libdibsnl) and runs it, under valgrind when
# it is installed (any valgrind error: exit 99). Arguments select cases by
# name (substring). No dibs module needed: the kernel cases use nlctrl.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
make -s -C "$here" obj/test-libdibsnl >&2

if command -v valgrind >/dev/null 2>&1 && [ "${DIBSNL_NO_VALGRIND:-}" != 1 ]; then
	exec valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=all "$here/obj/test-libdibsnl" "$@"
fi
exec "$here/obj/test-libdibsnl" "$@"
