#!/usr/bin/env bash
# Five waiters on one lock get it in the order they queued.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=60 || exit 1

touch "$MNT/q"
for i in 1 2 3 4 5; do
	( "$FSOP" open "$MNT/q" w >/dev/null && echo "$i" >>"$T/order" && rm "$MNT/q" ) &
	wait_until waiters_are "$MNT/q" "$i"
	ok $? "waiter $i is queued (user.lock.waiters = $i)"
done
rm "$MNT/q"
wait_jobs
is "$(tr '\n' ' ' <"$T/order")" "1 2 3 4 5 " "they got the lock first come, first served"
[ ! -e "$MNT/q" ]
ok $? "the last one released it"
finish
