#!/usr/bin/env bash
# Six shell workers x 100 rounds of touch / read-increment-write a counter / rm: 600.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=inf || exit 1

echo 0 >"$T/counter"
worker() {
	for _ in $(seq 100); do
		touch "$MNT/counter.lock" || exit 1
		n=$(cat "$T/counter")
		echo $((n + 1)) >"$T/counter"
		rm "$MNT/counter.lock" || exit 1
	done
}
for _ in 1 2 3 4 5 6; do worker & done
wait_jobs
is $? 0 "every worker finished"
is "$(cat "$T/counter")" 600 "the counter is exactly 600"
[ ! -e "$MNT/counter.lock" ]
ok $? "the lock is free at the end"
is "$(sql "SELECT count(*) FROM cache")" 0 "no row is left"
finish
