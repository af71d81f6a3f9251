#!/usr/bin/env bash
# A waiter gets the lock when the holder releases it, when it expires, and when a
# process outside the mount deletes its row.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=30 || exit 1

# grab NAME: wait for the lock in the background, recording the outcome in $T/NAME.out
grab() { ( "$FSOP" open "$MNT/$1" w >"$T/$1.out" ) & }

touch "$MNT/released"
grab released
wait_until waiters_are "$MNT/released" 1
rm "$MNT/released"
wait_jobs
is "$(cat "$T/released.out")" OK "released by its holder: the waiter gets it"

touch "$MNT/expiring"
setfattr -n user.lock.ttl -v 1 "$MNT/expiring"
grab expiring
wait_until waiters_are "$MNT/expiring" 1
ok $? "a waiter queues behind an expiring lock"
wait_jobs
is "$(cat "$T/expiring.out")" OK "expired: the waiter gets it"
[ -z "$(xattr "$MNT/expiring" user.lock.expire | grep -v ENODATA)" ]
ok $? "the waiter's lock does not inherit the expiry"

touch "$MNT/outside"
grab outside
wait_until waiters_are "$MNT/outside" 1
key=$(/usr/bin/python3 -c 'import pickle; print(pickle.dumps("outside", protocol=5).hex())')
sql "DELETE FROM cache WHERE key = x'$key'"
wait_jobs
is "$(cat "$T/outside.out")" OK "deleted outside the mount: the waiter gets it"
is "$(sql "SELECT count(*) FROM cache WHERE key = x'$key'")" 1 "and holds it in the cache"
finish
