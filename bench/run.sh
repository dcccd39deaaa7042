#!/usr/bin/env bash
# `make bench`: the full benchmark run on one kernel (default: the newest,
# tests/vm/kernels.sh --newest), in the VM of the test harness.
#
#   bench/run.sh [ABI]
#
# Boots the VM with bench/bench.bats alone (results under
# build/bench/<ABI>/), copies the guest's results.json to bench/ and draws
# bench/results.png from it, then prints the ratio table.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
abi=${1:-$("$repo/tests/vm/kernels.sh" --newest)}
[ -n "$abi" ] || { echo "bench: no kernel found (make deps)" >&2; exit 1; }
out=$repo/build/bench/$abi

start=$(date +%s)
"$repo/tests/vm/run.sh" --out "$out" "$abi" "$here/bench.bats"
res=$out/results/bench
cp "$res/results.json" "$here/results.json"
"$here/plot.sh" "$here/results.json" "$here/results.png"
/usr/bin/python3 - "$here/results.json" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1].rsplit("/", 1)[0])
from report import table
print(table(json.load(open(sys.argv[1]))))
PY
echo "bench: $(($(date +%s) - start)) s wall; bench/results.json, bench/results.png"
