#!/usr/bin/env bash
# The cluster's leader is killed (SIGKILL) while C clients of two mounts
# contend for one lock: operations pause for the election and resume, the
# counter stays exact, and no two holds overlap (each client logs its
# generation and hold interval; check_holds.py looks for overlaps).
. "$(dirname "$0")/lib.sh"
mount_etcd --timeout=inf --etcd-timeout=0.5 || exit 1
mount_etcd_second --timeout=inf --etcd-timeout=0.5

leader=$(cluster_leader)
ok $? "the cluster has a leader (member $leader)"
echo 0 >"$T/counter"
for i in 1 2; do
	"$COUNTER_CLIENT" "$MNT/counter" "$T/counter" 80 "$T/a$i.log" &
	"$COUNTER_CLIENT" "$MNT2/counter" "$T/counter" 80 "$T/b$i.log" &
done
rounds() { cat "$T"/a*.log "$T"/b*.log 2>/dev/null | wc -l; }
more_than() { [ "$(rounds)" -gt "$1" ]; }
wait_until more_than 40
cluster_kill "$leader"
before=$(rounds)
note "leader killed after $before rounds"
wait_until more_than $((before + 20))
ok $? "acquisitions and releases go on after the leader is gone"
wait_jobs
is $? 0 "every client finished"
is "$(cat "$T/counter")" 320 "the counter is exactly 320"
result=$("$CHECK_HOLDS" "$T"/a*.log "$T"/b*.log)
ok $? "no two holds overlap and generations rise ($result)"
gap=$(cat "$T"/a*.log "$T"/b*.log | sort -k2n |
	awk 'NR > 1 && $2 - end > max { max = $2 - end } { end = $3 } END { printf "%d", max / 1000000 }')
note "longest time without a holder: $gap ms"
no_lock_left() { [ -z "$(etcd_get "$PREFIX/locks/counter")" ]; }
wait_until no_lock_left
ok $? "no acquisition whose answer was lost is applied after its client moved on (the lock is free)"
touch "$MNT/after" && rm "$MNT2/after"
ok $? "a lock is taken and released after the election"
stop_second
finish
