#!/usr/bin/env bash
# Counts the results in TAP files, as bats --tap writes them.
#
#   count-tap.sh FILE...
#
# Prints, one a line:
#   passed N
#   failed N
#   skipped N
#   fail <what failed>          one line per failure
# "ok ... # skip" counts as skipped, "not ok ... # TODO" too (TAP says a TODO
# failure is expected). Tests the plan ("1..N") promised but that never
# reported -- a crashed or killed suite -- count as failed, and so does a file
# with no plan at all.
set -euo pipefail

pass=0 fail=0 skip=0
fails=()
for f in "$@"; do
	name=${f##*/}
	if [ ! -s "$f" ]; then
		fail=$((fail + 1)); fails+=("$name: no TAP output")
		continue
	fi
	plan='' seen=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		[0-9]*..[0-9]*)
			[ -z "$plan" ] && plan=${line#*..} ;;
		'ok '*)
			seen=$((seen + 1))
			shopt -s nocasematch
			if [[ $line == *'# skip'* ]]; then skip=$((skip + 1)); else pass=$((pass + 1)); fi
			shopt -u nocasematch ;;
		'not ok '*)
			seen=$((seen + 1))
			shopt -s nocasematch
			if [[ $line == *'# todo'* ]]; then
				skip=$((skip + 1))
			else
				fail=$((fail + 1)); fails+=("$name: ${line#not ok }")
			fi
			shopt -u nocasematch ;;
		esac
	done <"$f"
	plan=${plan%% *}
	if [ -z "$plan" ]; then
		fail=$((fail + 1)); fails+=("$name: no TAP plan (suite did not run)")
	elif [ "$seen" -lt "$plan" ]; then
		fail=$((fail + plan - seen))
		fails+=("$name: $((plan - seen)) of $plan tests never reported")
	fi
done

echo "passed $pass"
echo "failed $fail"
echo "skipped $skip"
for f in "${fails[@]}"; do echo "fail $f"; done
