# shellcheck shell=bash
# Monitors for the VM suites: `dibsctl monitor dev WORDS...` in the
# background, started so that nothing it should print is missed, and
# stopped with a check that it exited cleanly. Needs lib/dibs (dc, and
# lib/common's file_has and nap). setup() sets MON_PIDS=(),
# teardown() calls mon_stop.

# mon_start [-n NS] WORDS...: `dibsctl [-n NS] monitor dev WORDS...` in the
# background into $MON (monitor.N in the test's directory); returns once it
# demonstrably listens: it printed the add of a marker device
# (mark<N>-<try>, made in NS and deleted again). A monitor that was not yet
# listening misses an add, so markers are added until one is seen.
MON_PIDS=()
mon_start() {
	local n=$((${#MON_PIDS[@]} + 1)) ns=() try i mark
	if [ "${1:-}" = -n ]; then
		[ -z "$2" ] || ns=(-n "$2")
		shift 2
	fi
	MON=$BATS_TEST_TMPDIR/monitor.$n
	# dibsctl itself, not a function around it: $! must be its pid.
	"$DIBSCTL" "${ns[@]}" monitor dev "$@" >"$MON" 2>&1 3>&- &
	MON_PIDS+=($!)
	for try in {1..20}; do
		mark=mark$n-$try
		dc "${ns[@]}" dev add "$mark" type loopback || return 1
		for i in {1..10}; do
			if file_has "$MON" "^\[dev,add\] [0-9]+: $mark: "; then
				dc "${ns[@]}" dev del "$mark"
				return
			fi
			nap 0.3
		done
		dc "${ns[@]}" dev del "$mark" || return 1
	done
	echo "monitor $n never printed a marker device:" >&2
	cat "$MON" >&2
	return 1
}

# mon_stop: end every monitor this test started; each must exit 0.
mon_stop() {
	local pid rc=0
	for pid in "${MON_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || continue
		wait "$pid" || { echo "monitor $pid exited $?" >&2; rc=1; }
	done
	MON_PIDS=()
	return $rc
}
