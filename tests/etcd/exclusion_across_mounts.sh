#!/usr/bin/env bash
# Two daemons on one etcd cluster (two machines): shell clients through one
# mount and C clients through the other add to one counter under one lock;
# the count is exact, no two holds overlap, and each hold's generation (the
# lock key's create_revision) is larger than the one before.
. "$(dirname "$0")/lib.sh"
mount_etcd --timeout=inf || exit 1
mount_etcd_second --timeout=inf
ok $? "a second daemon mounts the same cluster"

echo 0 >"$T/counter"
shell_worker() {
	for _ in $(seq 25); do
		touch "$MNT/counter" || exit 1
		gen=$("$FSOP" getxattr "$MNT/counter" user.lock.generation | sed 's/^OK //')
		start=$(date +%s%N)
		n=$(cat "$T/counter")
		echo $((n + 1)) >"$T/counter"
		end=$(date +%s%N)
		echo "$gen $start $end" >>"$T/shell$1.log"
		rm "$MNT/counter" || exit 1
	done
}
shell_worker 1 &
shell_worker 2 &
"$COUNTER_CLIENT" "$MNT2/counter" "$T/counter" 25 "$T/c1.log" &
"$COUNTER_CLIENT" "$MNT2/counter" "$T/counter" 25 "$T/c2.log" &
wait_jobs
is $? 0 "every client finished"
is "$(cat "$T/counter")" 100 "the counter is exactly 100"
result=$("$CHECK_HOLDS" "$T"/shell*.log "$T"/c*.log)
ok $? "no two holds overlap and generations rise ($result)"
[ ! -e "$MNT/counter" ] && [ ! -e "$MNT2/counter" ]
ok $? "the lock is free at the end, seen from both mounts"
is "$(etcd_count "$PREFIX/locks/") $(etcd_count "$PREFIX/waiters/")" "0 0" \
	"no lock and no place is left in etcd"
stop_second
finish
