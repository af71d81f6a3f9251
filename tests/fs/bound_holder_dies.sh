#!/usr/bin/env bash
# A bound lock lives exactly as long as its open file description: kill -9 of
# the holder hands it to the next waiter, in arrival order (an open, then a
# flock); dup and fork keep it until the last descriptor closes.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
mount_lockfs || exit 1

"$LOCKOP" open 0 "$MNT/x" rc + flock 0 ex + mark "$T/held" + await "$T/never" >/dev/null &
holder=$!
wait_until test -e "$T/held"
is "$(xattr "$MNT/x" user.lock.pid)" "$holder" "the holder's pid is recorded"

# First an open that acquires (this is an acquire directory), then a flock(1).
( "$FSOP" open "$MNT/x" w >"$T/open"; echo open >>"$T/order" ) &
wait_until waiters_are "$MNT/x" 1
flock "$MNT/x" sh -c "echo flock >>$T/order" &
wait_until waiters_are "$MNT/x" 2
ok $? "an open and a flock wait, in that order"

kill -KILL "$holder"
wait "$holder" 2>/dev/null
wait_until test -s "$T/order"
is "$(cat "$T/order")" open "kill -9 of the holder: the first waiter, the open, is granted"
is "$(cat "$T/open")" OK "its open succeeds"
is "$(xattr "$MNT/x" user.lock.bound)" ENODATA "its lock is not bound (the open took it)"
is "$(waiters "$MNT/x")" 1 "the flock still waits"
rm "$MNT/x"
wait_jobs
is "$(tr '\n' ' ' <"$T/order")" "open flock " "after rm the flock is granted"
wait_until mount_is_empty
ok $? "and nothing is left when it ends"

# dup: the lock stays until the last descriptor of the description closes.
"$LOCKOP" open 0 "$MNT/d" rc + flock 0 ex + dup 0 1 + close 0 + mark "$T/dup1" + await "$T/dup2" \
	+ close 1 + mark "$T/dup3" + await "$T/dup4" >"$T/dup" &
wait_until test -e "$T/dup1"
is "$(xattr "$MNT/d" user.lock.count)" 1 "dup, then close of the first fd: still held"
touch "$T/dup2"
wait_until test -e "$T/dup3"
wait_until test ! -e "$MNT/d"
ok $? "close of the last fd releases it, the process still running"
touch "$T/dup4"
wait_jobs
is "$(tr '\n' ' ' <"$T/dup")" "OK OK OK OK OK OK OK OK OK " "every call of the dup holder succeeded"

# fork: a child holding the descriptor keeps the lock after the parent closes it.
exec 8<>"$MNT/f"
flock 8
sleep 1000 &
child=$!
exec 8>&-
is "$(xattr "$MNT/f" user.lock.count)" 1 "fork: the parent closed its fd, the child keeps the lock"
flock -n "$MNT/f" true
is $? 1 "and it still excludes others"
kill "$child"
wait "$child" 2>/dev/null
wait_until test ! -e "$MNT/f"
ok $? "the child's exit releases it"

# A lock the description's own open took, bound by flock, dies with the holder too.
( exec 7>"$MNT/opened"; flock 7; touch "$T/bound"; exec sleep 1000 ) &
holder=$!
wait_until test -e "$T/bound"
is "$(xattr "$MNT/opened" user.lock.bound) $(xattr "$MNT/opened" user.lock.count)" "flock 1" \
	"an open's lock bound by flock: count stays 1"
kill -KILL "$holder"
wait "$holder" 2>/dev/null
wait_until test ! -e "$MNT/opened"
ok $? "kill -9 releases it"
is "$(sql "SELECT count(*) FROM cache") $(hold_count)" "0 0" \
	"no row and no hold left in the cache"
finish
