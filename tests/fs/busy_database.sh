#!/usr/bin/env bash
# While another process holds SQLite's write lock, acquisitions are retried (and
# succeed afterwards), reads and other requests answer at once, and an interrupt
# still answers a deferred request at once.  An O_EXCL try-lock answers EAGAIN.
# A flock of a file closed meanwhile stays held, and goes when the writer commits.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
# -d: libfuse's debug log (in daemon.log) names every request the daemon receives and
# every answer it sends, so a test can see an acquisition held back unanswered.
mount_lockfs -d --timeout=30 || exit 1
touch "$MNT/present"
# A process holding a flock until told to exit (its exit closes the file).
"$LOCKOP" open 0 "$MNT/flocked" rc + flock 0 ex + mark "$T/flocked" + await "$T/exit" >/dev/null &
closer=$!
wait_until test -e "$T/flocked"

# deferred PID: lockfs has received an OPEN from process PID and not answered it.  While
# the database is locked, that is an acquisition waiting in the retry list.
deferred() {
	local unique
	unique=$(sed -n "s/^unique: \([0-9]*\), opcode: OPEN (14), .*, pid: $1\$/\1/p" \
		"$T/daemon.log" | tail -n 1)
	[ -n "$unique" ] && ! grep -q "^ *unique: $unique, \(success\|error\)" "$T/daemon.log"
}
# deferred_or_done PID: deferred, or PID has exited (then it never will be: stop waiting).
deferred_or_done() { deferred "$1" || ! kill -0 "$1" 2>/dev/null; }

# An outside writer holds the write lock until the test lets it commit (by creating
# $T/commit; 20 s at most), so that every check below runs while it is held.
cat >"$T/hold" <<HOLD
#!/bin/sh
for _ in \$(seq 2000); do [ -e "$T/commit" ] && exit 0; sleep 0.01; done
HOLD
chmod +x "$T/hold"
sqlite3 "$DB" >/dev/null <<SQL &
BEGIN IMMEDIATE;
UPDATE metadata SET value = value WHERE key = 'hits';
.shell touch $T/writing
.shell $T/hold
COMMIT;
SQL
writer=$!
wait_until test -e "$T/writing"

start=$(date +%s%N)
"$FSOP" open "$MNT/deferred" wc >"$T/deferred" &
acquirer=$!
wait_until deferred_or_done "$acquirer"
deferred "$acquirer"
ok $? "an acquisition meeting the locked database is deferred, not answered"
is "$(stat -c '%F %a %U' "$MNT/present")" "regular file 644 root" \
	"stat answers while the database is locked"
is "$(ls "$MNT" | tr '\n' ' ')" "flocked present " "ls answers"
is "$(xattr "$MNT/present" user.lock.count)" 1 "getxattr answers"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 2500 ]
ok $? "all of that at once, while the writer holds its lock (${elapsed} ms)"

is "$("$FSOP" open "$MNT/tried" wcx)" EAGAIN "an O_EXCL try-lock answers EAGAIN instead of waiting"

# A background job of a script ignores SIGINT unless told otherwise (env --default-signal).
env --default-signal=INT "$FSOP" open "$MNT/interrupted" wc >/dev/null &
interrupted=$!
wait_until deferred_or_done "$interrupted"
deferred "$interrupted"
ok $? "a second acquisition is deferred too"
start=$(date +%s%N)
kill -INT "$interrupted"
wait "$interrupted"
is $? 130 "an interrupted deferred acquisition returns"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 2000 ]
ok $? "at once after the signal (${elapsed} ms)"

touch "$T/exit"
wait "$closer"
ok $? "a process holding a flock exits while the database is locked (its calls succeeded)"
is "$(xattr "$MNT/flocked" user.lock.bound)" flock "its lock stays held meanwhile"

touch "$T/commit"
wait "$writer"
wait_until test ! -e "$MNT/flocked"
ok $? "once the writer commits, the closed file's lock is gone"
wait "$acquirer"
is "$(cat "$T/deferred")" OK "the deferred acquisition succeeds once the writer commits"
[ -e "$MNT/deferred" ] && [ ! -e "$MNT/interrupted" ] && [ ! -e "$MNT/tried" ]
ok $? "it holds its lock; the interrupted and the tried one hold none"
finish
