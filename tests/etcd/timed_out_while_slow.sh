#!/usr/bin/env bash
# A touch whose wait timed out reports the timeout even when the daemon is
# slow to serve what touch does next: coreutils touch sets the times when
# its open fails, and that "renewal" by the thread that just failed to get
# the lock must fail too.  Here the daemon's cleanup after the timeout (the
# place in line given up) meets a request the cluster never answers, so
# touch's next request waits for the daemon for the length of a timeout
# (2 s), well past a second.  Then the same while no member answers.
. "$(dirname "$0")/lib.sh"

start_proxy
ok $? "the proxy listens"
ETCD_URLS=http://127.0.0.1:$PROXY_PORT,http://127.0.0.1:$PROXY_PORT \
	mount_etcd --etcd-timeout=2 --timeout=3 || exit 1
mount_etcd_second || exit 1
ok $? "two mounts: the first through the proxy, its acquisitions waiting 3 s"

mkdir "$MNT2/d" && touch "$MNT2/d/job"
ok $? "the lock d/job is taken through the second mount"
owner=$(xattr "$MNT2/d/job" user.lock.owner)

# The place in line is made at once; the next transaction, the place given
# up when the wait times out, is never carried out.  touch's path walk
# (d, then job) waits meanwhile.
touch "$MNT/d/job" 2>"$T/touch.err" &
toucher=$!
in_line() { [ "$(etcd_count "$PREFIX/waiters/$1/")" = 1 ]; }
wait_until in_line d/job
ok $? "a touch through the first mount waits in line"
touch "$CONTROL/stall-next-txn"
wait "$toucher"
status=$?
[ "$status" != 0 ]
ok $? "the touch fails (status $status)"
grep -q "Connection timed out" "$T/touch.err"
ok $? "...with the timeout (it says: $(cat "$T/touch.err"))"
[ ! -e "$CONTROL/stall-next-txn" ]
ok $? "...and the daemon's cleanup met the stalled transaction meanwhile"
is "$(xattr "$MNT2/d/job" user.lock.owner)" "$owner" "the lock is still the second mount's"
rm "$MNT2/d/job"
ok $? "...which releases it"

# The same with every member killed while the touch waits, and started
# again 7 s later: what touch does next waits for the cluster, and is
# answered long after the second.
touch "$MNT2/d/job"
owner=$(xattr "$MNT2/d/job" user.lock.owner)
(touch "$MNT/d/job" && echo GOT-IT) >"$T/touch.out" 2>&1 &
toucher=$!
wait_until in_line d/job
for i in 1 2 3; do cluster_kill "$i"; done
sleep 7
for i in 1 2 3; do cluster_member_start "$i" existing; done
wait "$toucher"
status=$?
[ "$status" != 0 ] && ! grep -q GOT-IT "$T/touch.out" && grep -q "Connection timed out" "$T/touch.out"
ok $? "a touch that timed out while no member answered fails with the timeout (status $status: $(cat "$T/touch.out"))"
wait_until cluster_healthy 1
is "$(xattr "$MNT2/d/job" user.lock.owner)" "$owner" "...and the lock is still the second mount's"
rm "$MNT2/d/job"
finish
