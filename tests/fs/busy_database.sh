#!/usr/bin/env bash
# While another process holds SQLite's write lock, acquisitions are retried (and
# succeed afterwards), reads and other requests answer at once, and an interrupt
# still answers a deferred request at once.  An O_EXCL try-lock answers EAGAIN.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=30 || exit 1
touch "$MNT/present"

# An outside writer holds the write lock for 3 seconds.
sqlite3 "$DB" >/dev/null <<SQL &
BEGIN IMMEDIATE;
UPDATE metadata SET value = value WHERE key = 'hits';
.shell touch $T/writing
.shell sleep 3
COMMIT;
SQL
writer=$!
wait_until test -e "$T/writing"

start=$(date +%s%N)
"$FSOP" open "$MNT/deferred" wc >"$T/deferred" &
acquirer=$!
sleep 0.2
stat "$MNT/present" >/dev/null
ok $? "stat answers while the database is locked"
ls "$MNT" >/dev/null
ok $? "ls answers"
is "$(xattr "$MNT/present" user.lock.count)" 1 "getxattr answers"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 2500 ]
ok $? "all of that within the writer's 3 s (${elapsed} ms)"

is "$("$FSOP" open "$MNT/tried" wcx)" EAGAIN "an O_EXCL try-lock answers EAGAIN instead of waiting"

start=$(date +%s%N)
timeout -s INT 0.5 "$FSOP" open "$MNT/interrupted" wc >/dev/null
is $? 124 "an interrupted deferred acquisition returns"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 2000 ]
ok $? "at once after the signal (${elapsed} ms)"

wait "$writer"
wait "$acquirer"
is "$(cat "$T/deferred")" OK "the deferred acquisition succeeds once the writer commits"
[ -e "$MNT/deferred" ] && [ ! -e "$MNT/interrupted" ] && [ ! -e "$MNT/tried" ]
ok $? "it holds its lock; the interrupted and the tried one hold none"
finish
