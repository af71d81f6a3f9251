#!/usr/bin/env bash
# 500 processes blocked on one lock cost no threads: the daemon keeps at most 16,
# user.lock.waiters reads 500, and all 500 get the lock in turn once it is released.
. "$(dirname "$0")/lib.sh"
N=${LOCKFS_WAITERS:-500}
mount_lockfs --timeout=inf || exit 1

touch "$MNT/hot"
for i in $(seq "$N"); do
	( "$FSOP" open "$MNT/hot" w >/dev/null && echo "$i" >>"$T/got" && rm "$MNT/hot" ) &
done
wait_until waiters_are "$MNT/hot" "$N"
ok $? "user.lock.waiters reads $N"
threads=$(ls "/proc/$DAEMON_PID/task" | wc -l)
[ "$threads" -le 16 ]
ok $? "the daemon has $threads threads (at most 16)"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$DAEMON_PID/status")
note "daemon RSS with $N waiters: ${rss} kB"
rm "$MNT/hot"
wait_jobs
is "$(wc -l <"$T/got")" "$N" "all $N waiters got the lock"
is "$(sort -n "$T/got" | uniq | wc -l)" "$N" "each exactly once"
[ ! -e "$MNT/hot" ]
ok $? "and the last one released it"
finish
