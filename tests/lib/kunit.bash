# shellcheck shell=bash
# The KUnit suites of tests/kmod/dibs_kunit.ko and how one suite's KTAP is
# judged: shared by tests/kunit.bats (in the x86 VMs) and
# tests/vm/s390x-kunit.sh (the same suites on s390x), so both count the
# same cases the same way.

# What a KUnit run loads, in load order.
KU_MODULES=(dibs dibs_loopback dibs_sim dibs_kunit)
# The KUnit suites of dibs_kunit.ko and their numbers of cases.
declare -gA KU_CASES=(
	[dibs_policy]=12
	[dibs_client_slots]=7
	[dibs_token_table]=7
	[dibs_sba_index]=7
	[dibs_mapped_dmb]=4
	[dibs_sw_event]=3
)

# ku_check_ktap SUITE KTAP: KTAP (one suite's results, as
# /sys/kernel/debug/kunit/SUITE/results has them) shows all of SUITE's cases,
# all "ok", none skipped, and the suite's own "ok". Case result lines are
# indented once (four spaces).
ku_check_ktap() {
	local suite=$1 ktap=$2 want=${KU_CASES[$1]:-} plan ran=0 bad=0 line
	if [ -z "$want" ]; then
		echo "KUnit suite $suite is not in KU_CASES (tests/lib/kunit.bash)" >&2
		return 1
	fi
	if [ ! -s "$ktap" ]; then
		echo "no results for KUnit suite $suite (did dibs_kunit load?)" >&2
		return 1
	fi
	plan=$(sed -n 's/^    1\.\.\([0-9]*\)$/\1/p' "$ktap")
	while IFS= read -r line; do
		case $line in
		"    ok "[0-9]*" # SKIP"*)
			ran=$((ran + 1)); bad=$((bad + 1)) ;;
		"    ok "[0-9]*)
			ran=$((ran + 1)) ;;
		"    not ok "[0-9]*)
			ran=$((ran + 1)); bad=$((bad + 1)) ;;
		esac
	done <"$ktap"
	if [ "$plan" != "$want" ] || [ "$ran" -ne "$want" ] || [ "$bad" -ne 0 ] ||
		! grep -qx "ok 1 $suite" "$ktap"; then
		printf 'KUnit suite %s: plan %s, %d cases ran, %d not ok or skipped; want %d, all ok\n' \
			"$suite" "${plan:-none}" "$ran" "$bad" "$want" >&2
		cat "$ktap" >&2
		return 1
	fi
}
