#!/usr/bin/env bash
# `make check`: everything that tests the project, with one verdict.
#
#   1. userspace build (libdibsnl/, dibsctl/, once they exist)
#   2. host unit tests (tests/unit/)
#   3. per kernel (the installed Debian kernels and the debug kernel, built
#      from linux-source-6.12 by debug-kernel.sh): build the modules, boot
#      once, run the harness sanity suite and every VM suite (tests/*.bats);
#      a suite named *-pair.bats instead runs in two guests on one ivshmem
#      fabric (run-pair.sh), once per installed kernel tested
#   4. the harness self-test (selftest/selftest.sh), on one kernel, and the
#      KUnit suites on s390x (s390x-kunit.sh)
# and ends with one line alone, "N passed, N failed" (skipped tests are in
# neither), exiting 1 when anything failed. The VM boots of 3 and 4 run side
# by side (DIBS_VM_JOBS at a time); their reports print when all are done.
#
# Environment (make passes its variables through):
#   KERNELS   ABIs to test, "debug" for the debug kernel (default: every
#             installed kernel, see scripts/kernels.sh, and the debug kernel)
#   DEBUG_KERNEL  0: leave the debug kernel out of the default KERNELS
#   HOST_TESTS    0: skip the host unit tests
#   SUITES    VM suites to run (default: tests/*.bats)
#   SELFTEST  1/0: run the harness self-test (default 1, or 0 when SUITES
#             is given: a developer iterating on one suite wants speed)
#   S390X     1/0: build the s390x kernel and run KUnit on it under
#             qemu-system-s390x (s390x-kunit.sh; default 1, or 0 when SUITES
#             or KERNELS is given)
#   DIBS_VM_JOBS  VMs at once (default: host CPUs)
#   DIBS_VM_SMP   vCPUs of every boot (default: host CPUs / DIBS_VM_JOBS,
#             at least 1, and 2 for the debug kernel; see vm_smp)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
# shellcheck source=kernel-paths.sh
. "$here/kernel-paths.sh"
make=${MAKE:-make}

total_pass=0 total_fail=0
summary=()

# tally LABEL: reads count lines (see count-tap.sh) on stdin, adds them up
# and keeps a subtotal line (plus the failures) for the summary.
tally() {
	local label=$1 p=0 f=0 s=0 k v
	local fl=()
	while read -r k v; do
		case $k in
		passed) p=$v ;;
		failed) f=$v ;;
		skipped) s=$v ;;
		fail) fl+=("$v") ;;
		esac
	done
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("$label: $p passed, $f failed, $s skipped")
	for v in "${fl[@]}"; do summary+=("    FAIL: $v"); done
}

# fail_one LABEL WHY: a failure that is not a test result (a build, say).
fail_one() {
	tally "$1" <<<"$(printf 'passed 0\nfailed 1\nskipped 0\nfail %s' "$2")"
}

t_start=$(date +%s)
phase() { printf '\n==== %s  (+%d s)\n' "$*" "$(($(date +%s) - t_start))"; }

# ---- 1. userspace ----------------------------------------------------------
phase "userspace build"
if ! "$make" --no-print-directory -C "$repo" userspace; then
	fail_one "userspace build" "make userspace failed"
fi

# ---- 2. host unit tests ----------------------------------------------------
# (HOST_TESTS=0 skips them: `make check-debug` runs only the debug kernel.)
# Convention for tests/unit/: its Makefile (if any) builds the tests; then
# every *.bats file runs under bats and every other executable file directly
# in tests/unit/ is a test program. A program that prints TAP is counted test
# by test, any other counts as one test, passed when it exits 0.
phase "host unit tests"
unit=$repo/tests/unit
if [ "${HOST_TESTS:-1}" = 0 ]; then
	echo "(skipped: HOST_TESTS=0)"
elif [ -d "$unit" ]; then
	counts=$(
		p=0 f=0 s=0
		if [ -f "$unit/Makefile" ] && ! "$make" --no-print-directory -C "$unit" >&2; then
			f=$((f + 1)); echo "fail tests/unit: make failed"
		fi
		tmp=$(mktemp -d)
		for t in "$unit"/*; do
			[ -f "$t" ] || continue
			name=${t##*/}
			if [[ $t == *.bats ]]; then
				bats --tap "$t" >"$tmp/$name.tap" 2>&1
			elif [ -x "$t" ]; then
				(cd "$unit" && "$t") >"$tmp/$name.out" 2>&1
				rc=$?
				if grep -qE '^(not )?ok [0-9]' "$tmp/$name.out"; then
					cp "$tmp/$name.out" "$tmp/$name.tap"
					if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$tmp/$name.out"; then
						f=$((f + 1)); echo "fail $name: exited $rc"
					fi
				elif [ $rc -eq 0 ]; then
					p=$((p + 1))
				else
					f=$((f + 1)); echo "fail $name: exited $rc"
					tail -n 20 "$tmp/$name.out" >&2
				fi
			else
				continue
			fi
			echo "  ran tests/unit/$name" >&2
		done
		if compgen -G "$tmp/*.tap" >/dev/null; then
			c=$("$here/count-tap.sh" "$tmp"/*.tap)
			echo "$c" | grep '^fail '
			# Show failed tests with their diagnostics.
			cat "$tmp"/*.tap | awk '/^not ok /{p=1} /^ok /{p=0} p' | head -n 60 >&2
			p=$((p + $(echo "$c" | awk '$1=="passed"{print $2}')))
			f=$((f + $(echo "$c" | awk '$1=="failed"{print $2}')))
			s=$((s + $(echo "$c" | awk '$1=="skipped"{print $2}')))
		fi
		rm -rf "$tmp"
		printf 'passed %s\nfailed %s\nskipped %s\n' "$p" "$f" "$s"
	)
	tally "host unit tests" <<<"$counts"
else
	echo "(no tests/unit/ yet)"
fi

# ---- 3. kernels ------------------------------------------------------------
mapfile -t found < <("$repo/scripts/kernels.sh")
if [ -n "${KERNELS:-}" ]; then
	read -r -a kernels <<<"$KERNELS"
else
	kernels=("${found[@]}" debug)
	[ "${DEBUG_KERNEL:-1}" = 0 ] && kernels=("${found[@]}")
fi
# "debug" stands for the debug kernel (debug-kernel.sh): built here, or
# found in its cache, and then run like the installed ones.
for i in "${!kernels[@]}"; do
	[ "${kernels[$i]}" = debug ] || continue
	phase "debug kernel: build (cached; ~8 min from scratch)"
	if dbg=$("$here/debug-kernel.sh"); then
		kernels[$i]=$dbg
		found+=("$dbg")
	else
		fail_one "debug kernel" "build failed (tests/vm/debug-kernel.sh)"
		unset "kernels[$i]"
	fi
done
kernels=("${kernels[@]}")
if [ -n "${SUITES:-}" ]; then
	read -r -a suites <<<"$SUITES"
else
	suites=()
	for s in tests/*.bats; do [ -f "$s" ] && suites+=("$s"); done
fi
# Two-guest suites go to run-pair.sh, not into every boot.
pair_suites=()
for i in "${!suites[@]}"; do
	case ${suites[$i]} in *-pair.bats)
		pair_suites+=("${suites[$i]}")
		unset "suites[$i]" ;;
	esac
done
suites=("${suites[@]}")
# SUITES naming only two-guest suites: no boot of each kernel for them.
only_pairs=0
[ -n "${SUITES:-}" ] && [ ${#suites[@]} -eq 0 ] && [ ${#pair_suites[@]} -gt 0 ] && only_pairs=1
# The harness sanity suite goes first into every boot: if the VM is not
# what the suites expect, that shows before their failures do.
case " ${suites[*]} " in
*" tests/vm/selftest/env.bats "*) ;;
*) suites=(tests/vm/selftest/env.bats "${suites[@]}") ;;
esac

[ ${#kernels[@]} -gt 0 ] || fail_one "kernels" "no kernel found (see scripts/kernels.sh)"
ready=()
for abi in "${kernels[@]}"; do
	if ! printf '%s\n' "${found[@]}" | grep -qxF -- "$abi"; then
		fail_one "$abi" "not an installed kernel (have: ${found[*]})"
		continue
	fi
	phase "$abi: build"
	if ! "$here/build-modules.sh" "$abi"; then
		fail_one "$abi" "module build failed"
		continue
	fi
	ready+=("$abi")
done

selftest=${SELFTEST:-}
[ -n "$selftest" ] || { [ -n "${SUITES:-}" ] && selftest=0 || selftest=1; }
# The s390x KUnit run: by default only in a full run (no KERNELS, no SUITES).
s390x=${S390X:-}
[ -n "$s390x" ] || { [ -n "${SUITES:-}${KERNELS:-}" ] && s390x=0 || s390x=1; }

# ---- 4. the VM runs, side by side --------------------------------------------
# TCG runs a bats suite on about one host CPU whatever -smp says (the suites
# are sequential), so the boots of the kernels and the self-test's boot run
# in parallel, DIBS_VM_JOBS at a time (default: the host's CPUs). Each run's
# report is kept and printed when all are done, in order.
max_jobs=${DIBS_VM_JOBS:-$(nproc)}
# vCPUs per boot. Under TCG each vCPU is a host thread, and a vCPU that
# waits for another (a spinlock's holder, an IPI's target) spins while that
# one is not scheduled. Two 2-vCPU guests on a 2-CPU host ran foundation and
# netlink.bats in 190 s each, two 1-vCPU guests in 111 s, one 2-vCPU guest
# alone in 100 s. So the installed kernels boot with host CPUs / VMs at once
# vCPUs (1 on 2 CPUs). The debug kernel keeps 2: races are hunted there
# (KASAN, lockdep), with its kernel code running on two CPUs at once; beside
# a 1-vCPU guest that cost it 8% (netns.bats 167 s, against 154 s with 1).
# DIBS_VM_SMP, when set, is what every boot gets.
vm_smp() {
	local n
	if [ -n "${DIBS_VM_SMP:-}" ]; then
		echo "$DIBS_VM_SMP"
	elif is_debug_kernel "$1"; then
		echo 2
	else
		n=$(($(nproc) / max_jobs))
		echo $((n > 0 ? n : 1))
	fi
}
# Reports and summaries of this check alone: colleagues may boot the same
# kernels into the same build/vm/<abi>/ meanwhile.
work=$(mktemp -d)
# On an interrupt, take the whole process group down with us: the VMs run
# in the background, where a non-interactive shell leaves SIGINT ignored.
trap 'trap - INT TERM; kill 0' INT TERM
trap 'rm -rf "$work"' EXIT
slot() { while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n; done; }

if [ ${#ready[@]} -gt 0 ]; then
	phase "VM suites: ${suites[*]}${pair_suites[*]:+ (two guests: ${pair_suites[*]})}"
fi
t0=$(date +%s)
# The debug kernel's run is the longest (KASAN under TCG): it boots first.
boots=()
for abi in "${ready[@]}"; do
	if is_debug_kernel "$abi"; then boots=("$abi" "${boots[@]}"); else boots+=("$abi"); fi
done
# Under KASAN, lockdep and kmemleak a TCG guest runs several times slower:
# unless SUITES is given, the debug kernel runs the suites listed in
# debug/suites (those that drive the kernel's own code paths hardest).
debug_suites=(tests/vm/selftest/env.bats)
while read -r s _; do
	case $s in '' | '#'*) continue ;; esac
	case " ${suites[*]} " in *" $s "*) debug_suites+=("$s") ;; esac
done <"$here/debug/suites"
[ -n "${SUITES:-}" ] && debug_suites=("${suites[@]}")
# The installed (not debug) kernels of this run, the newest first.
installed=()
for abi in "${ready[@]}"; do
	is_debug_kernel "$abi" || installed=("$abi" "${installed[@]}")
done
# Suites whose subject does not change with the kernel (the CLI, the units,
# the bench harness) run on one Debian kernel only, the newest of this run,
# unless SUITES names them: listed in one-kernel-suites.
newest=${installed[0]:-}
once=()
if [ -z "${SUITES:-}" ]; then
	while read -r s _; do
		case $s in '' | '#'*) continue ;; esac
		once+=("$s")
	done <"$here/one-kernel-suites"
fi
# suites_for ABI: the suites that ABI's boot runs, one a line.
suites_for() {
	local s
	if is_debug_kernel "$1"; then
		printf '%s\n' "${debug_suites[@]}"
		return
	fi
	for s in "${suites[@]}"; do
		if [ "$1" != "$newest" ] && printf '%s\n' "${once[@]}" | grep -qxF -- "$s"; then
			continue
		fi
		echo "$s"
	done
}
[ "$only_pairs" = 1 ] && boots=()
for abi in "${boots[@]}"; do
	slot
	mapfile -t run_suites < <(suites_for "$abi")
	smp=$(vm_smp "$abi")
	echo "booting $abi (${#run_suites[@]} suites, $smp vCPUs)"
	(DIBS_VM_SMP=$smp "$here/run.sh" --summary "$work/$abi.summary" "$abi" "${run_suites[@]}" \
		>"$work/$abi.report" 2>&1
	 echo $? >"$work/$abi.rc") &
done
# The s390x kernel: built (or cached), its KUnit run under qemu-system-s390x.
if [ "$s390x" = 1 ]; then
	slot
	echo "s390x: kernel, modules and KUnit under qemu-system-s390x"
	"$here/s390x-kunit.sh" >"$work/s390x.tap" 2>"$work/s390x.report" &
fi
# The two-guest suites: on every installed kernel tested, the newest
# first; on the debug kernel when it is the only one.
pair_abis=("${installed[@]}")
[ ${#pair_abis[@]} -gt 0 ] || pair_abis=("${ready[@]:0:1}")
for abi in "${pair_abis[@]}"; do
	for s in "${pair_suites[@]}"; do
		slot
		n=$(basename "$s" .bats)-$abi
		echo "booting $abi twice for $s"
		("$here/run-pair.sh" --out "$repo/build/vm/$n" \
			--summary "$work/$n.summary" "$abi" "$s" >"$work/$n.report" 2>&1
		 echo $? >"$work/$n.rc") &
	done
done
if [ "$selftest" = 1 ] && [ ${#kernels[@]} -gt 0 ]; then
	slot
	echo "booting ${kernels[0]} for the harness self-test"
	DIBS_VM_SMP=$(vm_smp "${kernels[0]}") "$here/selftest/selftest.sh" "${kernels[0]}" >"$work/selftest.counts" \
		2>"$work/selftest.report" &
fi
wait
[ ${#ready[@]} -gt 0 ] && echo "VM runs done in $(($(date +%s) - t0)) s"

for abi in "${ready[@]}"; do
	[ "$only_pairs" = 1 ] && break
	phase "$abi: VM report"
	cat "$work/$abi.report"
	if [ -f "$work/$abi.summary" ]; then
		tally "$abi" <"$work/$abi.summary"
	else
		fail_one "$abi" "run.sh could not run the VM (exit $(cat "$work/$abi.rc"))"
	fi
done

if [ "$s390x" = 1 ]; then
	phase "s390x: KUnit"
	cat "$work/s390x.report"
	grep -E '^(not ok|ok .*# SKIP)' "$work/s390x.tap"
	tally "s390x KUnit" < <("$here/count-tap.sh" "$work/s390x.tap")
fi
if [ ${#pair_suites[@]} -gt 0 ] && [ ${#pair_abis[@]} -eq 0 ]; then
	fail_one "${pair_suites[*]}" "no kernel to run it on"
fi
for abi in "${pair_abis[@]}"; do
	for s in "${pair_suites[@]}"; do
		b=$(basename "$s" .bats)
		n=$b-$abi
		phase "$b on $abi: two-guest report"
		cat "$work/$n.report"
		if [ -f "$work/$n.summary" ]; then
			tally "$b ($abi, two guests)" <"$work/$n.summary"
		else
			fail_one "$n" "run-pair.sh could not run the VMs (exit $(cat "$work/$n.rc"))"
		fi
	done
done

# ---- 5. harness self-test ----------------------------------------------------
if [ "$selftest" = 1 ]; then
	phase "harness self-test"
	if [ ${#kernels[@]} -gt 0 ]; then
		cat "$work/selftest.report"
		counts=$(cat "$work/selftest.counts")
	else
		counts=$("$here/selftest/selftest.sh" --host-only)
	fi
	tally "harness self-test" <<<"$counts"
fi

# ---- verdict ---------------------------------------------------------------
phase "summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
