#!/usr/bin/env bash
# `make bench`: the full benchmark run on one kernel (default: the newest,
# scripts/kernels.sh --newest), in the VMs of the test harness.
#
#   bench/run.sh [--only single|pair|blk] [ABI]
#
# single: boots the VM with bench/bench.bats alone (results under
# build/bench/<ABI>/), copies the guest's results.json to bench/ and draws
# bench/results.png from it, then prints the ratio table.
# pair: the cross-VM figures, bench/ivshmem-pair.bats in two guests on one
# dibs-ivshmem-server (tests/vm/run-pair.sh, files under
# build/bench/pair-<ABI>/); guest B's results.json goes to
# bench/results-pair.json and its ratio table is printed.
# Both by default, single first; the run fails when either does.
# blk: the block benchmark alone (bench/blk.bats, driver.sh --blk; files
# under build/bench/blk-<ABI>/), its ratio table printed; bench/results.json
# is left as it is.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
only=''
if [ "${1:-}" = --only ]; then
	only=${2:?usage: bench/run.sh [--only single|pair|blk] [ABI]}
	case $only in single|pair|blk) ;; *) echo "bench: --only: \"$only\" is not single, pair or blk" >&2; exit 2 ;; esac
	shift 2
fi
abi=${1:-$("$repo/scripts/kernels.sh" --newest)}
[ -n "$abi" ] || { echo "bench: no kernel found (make deps)" >&2; exit 1; }

# table RESULTS.json: its ratio table (bench/report.py)
table() {
	/usr/bin/python3 - "$1" "$here" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
from report import table
print(table(json.load(open(sys.argv[1]))))
PY
}

start=$(date +%s)
rc=0
if [ "$only" = blk ]; then
	out=$repo/build/bench/blk-$abi
	"$repo/tests/vm/run.sh" --out "$out" "$abi" "$here/blk.bats" || rc=1
	if [ -f "$out/results/blk/results.json" ]; then
		table "$out/results/blk/results.json"
	else
		echo "bench: no block results (see $out)" >&2
		rc=1
	fi
	echo "bench: $(($(date +%s) - start)) s wall; $out/results/blk/results.json"
	exit $rc
fi
if [ "$only" != pair ]; then
	out=$repo/build/bench/$abi
	"$repo/tests/vm/run.sh" --out "$out" "$abi" "$here/bench.bats"
	res=$out/results/bench
	cp "$res/results.json" "$here/results.json"
	"$here/plot.sh" "$here/results.json" "$here/results.png"
	table "$here/results.json"
fi
if [ "$only" != single ]; then
	out=$repo/build/bench/pair-$abi
	# B's data bench and round trips take minutes under TCG.
	DIBS_SUITE_TIMEOUT=${DIBS_SUITE_TIMEOUT:-1200} \
	DIBS_VM_TIMEOUT=${DIBS_VM_TIMEOUT:-1500} \
		"$repo/tests/vm/run-pair.sh" --out "$out" "$abi" \
		"$here/ivshmem-pair.bats" || rc=1
	if [ -f "$out/B/results/pair-bench/results.json" ]; then
		cp "$out/B/results/pair-bench/results.json" "$here/results-pair.json"
		echo "cross-VM (two guests, ivshmem):"
		table "$here/results-pair.json"
	else
		echo "bench: no cross-VM results (see $out)" >&2
		rc=1
	fi
fi
echo "bench: $(($(date +%s) - start)) s wall; bench/results.json, bench/results.png, bench/results-pair.json"
exit $rc
