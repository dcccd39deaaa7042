#!/usr/bin/env bash
# What `make demo` shows: runs inside the test VM (newest kernel), loads the
# dibs modules and shows what exists. The host prints this script's output.
# Environment: see tests/lib/dibs.bash.
set -uo pipefail

# shellcheck source=../lib/dibs.bash disable=SC1091
. "$DIBS_REPO/tests/lib/dibs.bash"

step() { printf '\n$ %s\n' "$*"; "$@"; }

echo "dibs demo on $(uname -r)"
load_dibs || exit 1

step ls -l /sys/class/dibs/
for dev in $(dibs_devices); do
	echo
	echo "device $dev:"
	for attr in gid fabric_id; do
		if [ -r "/sys/class/dibs/$dev/$attr" ]; then
			printf '  %-10s %s\n' "$attr" "$(dibs_dev_attr "$dev" "$attr")"
		else
			printf '  %-10s (no such attribute)\n' "$attr"
		fi
	done
done

echo
echo '$ lsmod | grep dibs'
lsmod | grep dibs
echo
echo '$ dmesg | grep dibs'
# Not the kernel command line, which names the harness's paths.
dmesg | grep -i dibs | grep -v -e 'ommand line' -e 'harness_'

# ---- dibsctl ---------------------------------------------------------------
# Once dibsctl/ builds, the demo shows the control plane too. The harness puts
# dibsctl/ on PATH (and libdibsnl/ on LD_LIBRARY_PATH) in the VM.
if [ -x "$DIBSCTL" ]; then
	echo
	echo '$ dibsctl dev show'
	"$DIBSCTL" dev show
else
	echo
	echo "(dibsctl not built yet: 'dibsctl dev show' will run here)"
fi

echo
unload_dibs
