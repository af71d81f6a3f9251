# shellcheck shell=bash
# tap.sh — TAP output for the shell tests: ok, is, like, note and the two
# counters that `finish` (in each test library) turns into the plan.

TESTS=0
FAILED=0

note() { printf '# %s\n' "$*"; }

ok() { # ok CONDITION_STATUS DESCRIPTION
	TESTS=$((TESTS + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TESTS - $2"
	else
		echo "not ok $TESTS - $2"
		FAILED=$((FAILED + 1))
	fi
}

is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		note "got:  '$1'"
		note "want: '$2'"
	fi
}

like() { # like GOT GLOB DESCRIPTION
	# shellcheck disable=SC2053
	if [[ $1 == $2 ]]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		note "got:  '$1'"
		note "want like: '$2'"
	fi
}
