#!/usr/bin/env bash
# While a touch waits on a held lock, ls, stat and touch of other names in the same
# directory answer at once, and the holder's rm goes through and hands the lock over.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=60 || exit 1

touch "$MNT/held"
touch "$MNT/held" &
waiter=$!
wait_until waiters_are "$MNT/held" 1
ok $? "the second touch is waiting"

start=$(date +%s%N)
is "$(ls "$MNT" | tr '\n' ' ')" "held " "ls answers"
is "$(stat -c '%F %a %U' "$MNT/held")" "regular file 644 root" "stat of the held lock answers"
touch "$MNT/other" && [ "$(xattr "$MNT/other" user.lock.count)" = 1 ]
ok $? "touch of another name answers"
rm "$MNT/other" && [ ! -e "$MNT/other" ]
ok $? "rm of another name answers"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 5000 ]
ok $? "none of them waited (${elapsed} ms)"

rm "$MNT/held"
ok $? "the holder's rm goes through"
wait "$waiter"
is $? 0 "the waiting touch then succeeds"
like "$(xattr "$MNT/held" user.lock.owner)" "*-*" "the lock is held again, by the waiter"
is "$(xattr "$MNT/held" user.lock.waiters)" 0 "nobody waits any more"
finish
