#!/usr/bin/env bash
# Bound holds die with the daemon that answers for them: a lockfs killed with
# SIGKILL and started again releases its bound holds and keeps the locks taken
# by opens; a second mount of the cache releases a killed mount's bound holds
# (also while the killed daemon is a zombie), and its own waiter is granted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_mounts.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
MNT2=$T/mnt2
mkdir -p "$MNT2"

mount_lockfs || exit 1
touch "$MNT/kept"
"$LOCKOP" open 0 "$MNT/bound" rc + flock 0 ex + mark "$T/held" + await "$T/never" >/dev/null &
holder=$!
wait_until test -e "$T/held"
is "$(hold_count)" 1 "a bound hold is recorded in the cache"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
is "$(sql "SELECT count(*) FROM cache")" 2 "the daemon is killed: both locks are still rows"
{ kill -KILL "$holder"; wait "$holder"; } 2>/dev/null
umount -l "$MNT" # the dead mount (lockfs would detach it too: killed_mount_remounted)

mount_lockfs || exit 1
is "$(ls "$MNT")" kept "started again: the bound lock is released, the touch lock kept"
is "$(xattr "$MNT/kept" user.lock.count)" 1 "still held once"
is "$(sql "SELECT count(*) FROM cache") $(hold_count)" "1 0" \
	"one row and no hold left in the cache"

# Two mounts: the second one's daemon dies while its client holds a bound lock.
mount_second "$CACHE" "$MNT2"
ok $? "a second daemon mounts the same cache"
"$LOCKOP" open 0 "$MNT2/shared" rc + flock 0 ex + mark "$T/held2" + await "$T/never" >/dev/null &
holder=$!
wait_until test -e "$T/held2"
"$LOCKOP" open 0 "$MNT/shared" rc + flock 0 ex + mark "$T/granted" >"$T/waiter" &
waiter=$!
wait_until waiters_are "$MNT/shared" 1
ok $? "a flock through the first mount waits for it"
is "$("$LOCKOP" open 0 "$MNT/shared" r + flock 0 exnb)" "OK
EAGAIN" "and a LOCK_NB there is refused: the two daemons agree"
start=$(date +%s%N)
kill_second
wait_until test -e "$T/granted"
ok $? "the running daemon released the killed one's bound hold (scripts/bench times it)"
note "after $(( ($(date +%s%N) - start) / 1000000 )) ms"
wait "$waiter"
is "$(tr '\n' ' ' <"$T/waiter")" "OK OK OK " "and its waiter was granted"
{ kill -KILL "$holder"; wait "$holder"; } 2>/dev/null
stop_second
umount -l "$MNT2" 2>/dev/null
is "$(ls "$MNT")" kept "the touch lock is still held"

# A killed daemon whose parent does not reap it (a zombie: its /proc entry stays, with
# its start time) is dead all the same.  Its parent here is a sleep that never waits.
sh -c '"$0" -f "$1" "$2" 2>>"$3" & echo $! >"$4"; exec sleep 1000' \
	"$LOCKFS" "$CACHE" "$MNT2" "$T/daemon3.log" "$T/zombie.pid" &
reaper=$!
wait_until grep -q " $MNT2 fuse.lockfs " /proc/mounts
zombie=$(cat "$T/zombie.pid")
"$LOCKOP" open 0 "$MNT2/z" rc + flock 0 ex + mark "$T/held3" + await "$T/never" >/dev/null &
holder=$!
wait_until test -e "$T/held3"
"$LOCKOP" open 0 "$MNT/z" rc + flock 0 ex + mark "$T/granted3" >"$T/waiter3" &
waiter=$!
wait_until waiters_are "$MNT/z" 1
kill -KILL "$zombie"
wait_until grep -q '^State:.Z' "/proc/$zombie/status"
ok $? "the killed daemon is a zombie"
wait_until test -e "$T/granted3"
ok $? "and the running daemon released its bound hold all the same"
wait "$waiter"
{ kill -KILL "$holder" "$reaper"; wait "$holder" "$reaper"; } 2>/dev/null
umount -l "$MNT2" 2>/dev/null
finish
