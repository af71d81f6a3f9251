#!/usr/bin/env bash
# A mountpoint left by a killed lockfs ("Transport endpoint is not connected") is
# detached and mounted again, with a one-line notice naming it; the locks held
# before are still held.  A path below such a mount keeps its plain refusal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_mounts.sh"

# serving_or_gone: a lockfs mount is at the mountpoint and answers, or the daemon has
# exited (for wait_until).  Between detaching the dead mount and mounting, the plain
# directory answers too: that is not serving yet.
serving_or_gone() { { [ "$(layers "$MNT")" -ge 1 ] && stat "$MNT"; } || ! kill -0 "$DAEMON_PID"; }

mount_lockfs || exit 1
touch "$MNT/held"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
like "$(LC_ALL=C stat "$MNT" 2>&1)" "*Transport endpoint is not connected*" \
	"after kill -9 the mountpoint gives ENOTCONN"
is "$(layers "$MNT")" 1 "and mountinfo still shows the lockfs mount there"

message=$("$LOCKFS" -f "$T/other" "$MNT/sub" 2>&1)
is $? 1 "a path below the dead mount: exit status 1"
is "$message" "lockfs: mountpoint $MNT/sub: Transport endpoint is not connected" \
	"with today's one line"
[ ! -e "$T/other" ] && is_mounted
ok $? "and neither the other cache nor the mount was touched"

: >"$T/daemon.log"
"$LOCKFS" -f "$CACHE" "$MNT" 2>>"$T/daemon.log" &
DAEMON_PID=$!
wait_until serving_or_gone
kill -0 "$DAEMON_PID" 2>/dev/null && stat "$MNT" >/dev/null 2>&1
ok $? "lockfs mounted again over the dead mount"
is "$(layers "$MNT")" 1 "one lockfs mount at the mountpoint"
is "$(grep -c "detached" "$T/daemon.log")" 1 "one notice"
like "$(grep "detached" "$T/daemon.log")" \
	"lockfs: mountpoint $MNT: detached a killed lockfs (Transport endpoint is not connected)*" \
	"naming the mountpoint and what was wrong"
is "$(ls "$MNT")" held "the lock held before the kill is shown"
is "$(xattr "$MNT/held" user.lock.count)" 1 "still held once"
is "$("$FSOP" unlink "$MNT/held")" OK "and released through the new mount"
finish
