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
	dibsctl() { "$DIBSCTL" "$@"; }
	step dibsctl dev show
	# A simulated fabric: two systems that share memory, one outsider.
	dibs_insmod dibs_sim
	step dibsctl dev add alpha type sim fabric 0x101
	step dibsctl dev add beta type sim fabric 0x101
	step dibsctl dev add gamma type sim fabric 0x202
	step dibsctl dev show
	beta_gid=$(cat /sys/class/dibs/beta/gid)
	step dibsctl dev query alpha remote-gid "$beta_gid"
	step dibsctl dev query gamma remote-gid "$beta_gid"
	mon=/tmp/demo-monitor.txt
	"$DIBSCTL" -t monitor > "$mon" 2>&1 &
	monpid=$!
	sleep 1
	echo
	echo "\$ dibsctl dmb grant dev alpha remote-gid $beta_gid size 64K"
	grant=$("$DIBSCTL" dmb grant dev alpha remote-gid "$beta_gid" size 64K)
	echo "$grant"
	token=$(echo "$grant" | grep -o '0x[0-9a-f]*' | head -n 1)
	step dibsctl dmb show
	step dibsctl dmb write dev beta token "$token" data "hello from beta" signal 3
	step dibsctl dmb write dev gamma token "$token" data "not allowed"
	step dibsctl dmb read dev alpha token "$token" length 15
	echo
	step dibsctl -s dmb show
	step dibsctl dev del beta
	step dibsctl dmb revoke dev alpha token "$token"
	sleep 1
	kill "$monpid" 2>/dev/null
	wait "$monpid" 2>/dev/null
	echo
	echo '# what "dibsctl -t monitor" printed meanwhile:'
	cat "$mon"
	step dibsctl client show
	dibs_rmmod dibs_sim
else
	echo
	echo "(dibsctl not built yet: 'dibsctl dev show' will run here)"
fi

echo
unload_dibs
