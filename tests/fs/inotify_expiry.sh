#!/usr/bin/env bash
# inotifywait -e delete_self on a lock file returns when the lock expires, and when
# a process outside the mount deletes it.
. "$(dirname "$0")/lib.sh"
mount_lockfs || exit 1

# watch_deletion NAME: inotifywait -e delete_self on $MNT/NAME in the background, its event in
# $T/NAME.event; returns once inotifywait says (on stderr) that its watch is in place.
watch_deletion() {
	inotifywait -t 20 -e delete_self "$MNT/$1" >"$T/$1.event" 2>"$T/$1.watch" &
	watcher=$!
	wait_until grep -q "Watches established" "$T/$1.watch"
}

touch "$MNT/expiring"
watch_deletion expiring
start=$(date +%s%N)
setfattr -n user.lock.ttl -v 1 "$MNT/expiring"
wait "$watcher"
status=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$status" 0 "inotifywait returned an event"
like "$(cat "$T/expiring.event")" "*DELETE_SELF*" "the event is DELETE_SELF"
[ "$elapsed" -lt 10000 ]
ok $? "soon after the expiry (${elapsed} ms)"
[ ! -e "$MNT/expiring" ]
ok $? "the lock is gone"

touch "$MNT/outside"
watch_deletion outside
key=$(/usr/bin/python3 -c 'import pickle; print(pickle.dumps("outside", protocol=5).hex())')
sql "DELETE FROM cache WHERE key = x'$key'"
wait "$watcher"
is $? 0 "a delete from outside the mount wakes the watcher"
like "$(cat "$T/outside.event")" "*DELETE_SELF*" "with DELETE_SELF"
finish
