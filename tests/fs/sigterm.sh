#!/usr/bin/env bash
# SIGTERM while a process waits: the waiter gets ENOTCONN, the daemon unmounts and
# exits 0, and a remount shows the locks still held.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=inf || exit 1

touch "$MNT/kept" "$MNT/also"
"$FSOP" open "$MNT/kept" w >"$T/waiter" &
waiter=$!
wait_until waiters_are "$MNT/kept" 1
ok $? "a process is waiting"
fusermount3 -u "$MNT" 2>/dev/null
is $? 1 "fusermount3 -u is refused while someone waits"
kill -TERM "$DAEMON_PID"
wait "$waiter"
is "$(cat "$T/waiter")" ENOTCONN "the waiter got ENOTCONN"
wait "$DAEMON_PID"
is $? 0 "the daemon exited 0"
DAEMON_PID=
is_mounted
is $? 1 "the filesystem is unmounted"
mount_lockfs || exit 1
is "$(ls "$MNT" | tr '\n' ' ')" "also kept " "a remount shows the held locks"
is "$(xattr "$MNT/kept" user.lock.count)" 1 "still held once"
finish
