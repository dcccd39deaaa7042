#!/usr/bin/env bash
# The harness's own test: proves it fails what it must fail.
#
#   selftest.sh [--host-only] [ABI]
#
# 1. Host side, no VM (harness.bats): TAP counting, the console detector,
#    the warnings gate of scripts/kbuild.sh, and run.sh's verdicts with a stand-in
#    qemu (no status, timeout, console hit, clean run).
# 2. One real boot of ABI (default: the oldest discovered kernel) that runs
#    env.bats, lib.bats (the helpers of tests/lib/dibs.bash against the real
#    modules; its tests count like any other) and last broken.bats: a
#    deliberately broken module (broken/) warns and oopses while every bats
#    test passes. The self-test passes only if run.sh judged that run FAILED,
#    for those console lines, and the guest still reported.
#
# Prints count lines like count-tap.sh (passed/failed/skipped/fail ...) on
# stdout for check.sh; the human-readable report goes to stderr.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
host_only=0
[ "${1:-}" = --host-only ] && { host_only=1; shift; }
abi=${1:-$("$repo/scripts/kernels.sh" | head -n 1)}

pass=0 fail=0 skip=0
fails=()

# 1. Host-side harness tests.
tmp=$(mktemp -d)
tap=$tmp/harness.tap
bats --tap "$here/selftest/harness.bats" >"$tap" 2>&1
counts=$("$here/count-tap.sh" "$tap")
grep -E '^(not ok|#)' "$tap" | head -n 60 >&2
pass=$((pass + $(echo "$counts" | awk '$1=="passed"{print $2}')))
fail=$((fail + $(echo "$counts" | awk '$1=="failed"{print $2}')))
skip=$((skip + $(echo "$counts" | awk '$1=="skipped"{print $2}')))
while IFS= read -r l; do fails+=("${l#fail }"); done < <(echo "$counts" | grep '^fail ')
echo "harness self-test (host): $pass passed, $fail failed" >&2

# 2. The broken module in a real boot.
if [ $host_only -eq 0 ]; then
	out=$repo/build/vm/$abi/selftest
	verdict=''
	if ! "$repo/scripts/kbuild.sh" "$abi" "$here/selftest/broken" "$repo/build/$abi/selftest" >&2; then
		verdict="cannot build the broken module for $abi"
	else
		sum=$tmp/summary
		report=$("$here/run.sh" --out "$out" --summary "$sum" "$abi" \
			"$here/selftest/env.bats" "$here/selftest/lib.bats" \
			"$here/selftest/broken.bats" 2>&1)
		rc=$?
		while IFS= read -r l; do echo "   | $l"; done <<<"$report" >&2
		if [ -f "$sum" ]; then
			# The boot's own tests count as tests.
			pass=$((pass + $(awk '$1=="passed"{print $2}' "$sum")))
			fail=$((fail + $(awk '$1=="tap_failed"{print $2}' "$sum")))
			while IFS= read -r l; do fails+=("self-test VM: ${l#fail }"); done \
				< <(grep -E '^fail [0-9]+-[a-z]+\.tap: ' "$sum")
		fi
		if [ ! -f "$sum" ]; then
			verdict="run.sh did not run (exit $rc)"
		elif [ $rc -eq 0 ]; then
			verdict="run.sh passed a run whose kernel warned and oopsed"
		elif grep -qE '^fail [0-9]+-(env|broken)\.tap: ' "$sum"; then
			verdict="env/broken tests failed in the self-test VM: the verdict proves nothing"
		elif ! grep -q '^fail kernel problem on the console' "$sum"; then
			verdict="run.sh failed the run, but not for the console lines"
		elif ! echo "$report" | grep -q 'WARNING:.*dibs_harness_broken'; then
			verdict="the detector did not report the broken module's WARNING line"
		elif ! echo "$report" | grep -qE 'Oops|BUG:'; then
			verdict="the detector did not report the oops"
		elif grep -q '^fail no status' "$sum"; then
			verdict="the guest did not survive the oops to report a status"
		fi
	fi
	if [ -z "$verdict" ]; then
		pass=$((pass + 1))
		echo "harness self-test (VM, $abi): PASS - the broken run was judged failed for its console" >&2
	else
		fail=$((fail + 1))
		fails+=("harness self-test (VM, $abi): $verdict")
		echo "harness self-test (VM, $abi): FAIL - $verdict" >&2
	fi
fi

rm -rf "$tmp"
echo "passed $pass"
echo "failed $fail"
echo "skipped $skip"
for f in "${fails[@]}"; do echo "fail $f"; done
