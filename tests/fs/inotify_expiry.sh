#!/usr/bin/env bash
# inotifywait -e delete_self on a lock file returns when the lock expires, and when
# a process outside the mount deletes it.
. "$(dirname "$0")/lib.sh"
mount_lockfs || exit 1

touch "$MNT/expiring"
setfattr -n user.lock.ttl -v 1 "$MNT/expiring"
start=$(date +%s%N)
out=$(inotifywait -q -t 20 -e delete_self "$MNT/expiring")
status=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$status" 0 "inotifywait returned an event"
like "$out" "*DELETE_SELF*" "the event is DELETE_SELF"
[ "$elapsed" -lt 10000 ]
ok $? "soon after the expiry (${elapsed} ms)"
[ ! -e "$MNT/expiring" ]
ok $? "the lock is gone"

touch "$MNT/outside"
inotifywait -q -t 20 -e delete_self "$MNT/outside" >"$T/event" &
watcher=$!
sleep 0.5
key=$(/usr/bin/python3 -c 'import pickle; print(pickle.dumps("outside", protocol=5).hex())')
sql "DELETE FROM cache WHERE key = x'$key'"
wait "$watcher"
is $? 0 "a delete from outside the mount wakes the watcher"
like "$(cat "$T/event")" "*DELETE_SELF*" "with DELETE_SELF"
finish
