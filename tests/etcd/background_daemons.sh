#!/usr/bin/env bash
# Daemons that go to the background (no -f) answer for their locks under
# their own pid: a flock lock held through one is not taken for a dead
# daemon's by the other, and keeps excluding the other mount's clients.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
"$LOCKFS" --etcd="$ETCD_URLS" --etcd-prefix="$PREFIX" "$MNT" 2>>"$T/daemon.log"
is $? 0 "the first daemon goes to the background"
"$LOCKFS" --etcd="$ETCD_URLS" --etcd-prefix="$PREFIX" --session-ttl=2 "$MNT2" 2>>"$T/daemon2.log"
is $? 0 "so does the second"
SECOND_MNT=$MNT2 # unmounted by the cleanup
wait_until is_mounted && wait_until grep -q " $MNT2 fuse.lockfs " /proc/mounts
ok $? "both are mounted"

"$LOCKOP" open 1 "$MNT2/job" rc + flock 1 ex + mark "$T/held" + await "$T/done" >"$T/holder.out" 2>&1 &
holder=$!
wait_until [ -e "$T/held" ]
ok $? "a client holds job with flock through the second mount"
instance=$(etcd_get "$PREFIX/locks/job" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["instance"].split()[1])')
pgrep -f "lockfs --etcd=.* $MNT2\$" | grep -qx "$instance"
ok $? "its lock names the second daemon's own pid ($instance)"
sleep 2.5 # past the first daemon's once-a-second look for dead daemons, past the session TTL
[ -n "$(etcd_get "$PREFIX/locks/job")" ]
ok $? "the lock is still in etcd"
is "$("$LOCKOP" open 1 "$MNT/job" rc + flock 1 exnb | tail -1)" EAGAIN \
	"a client of the first mount cannot take it"
touch "$T/done"
wait "$holder"
is "$("$LOCKOP" open 1 "$MNT/job" rc + flock 1 exnb | tail -1)" OK "once released, it can"
fusermount3 -u "$MNT2"
fusermount3 -u "$MNT"
finish
