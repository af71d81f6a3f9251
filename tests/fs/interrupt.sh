#!/usr/bin/env bash
# A signal answers a blocked acquisition at once and leaves no hold behind; a program
# that retries after EINTR within a second keeps its place in the queue.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=60 || exit 1

touch "$MNT/held"
start=$(date +%s%N)
timeout -s INT 1 touch "$MNT/held"
status=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$status" 124 "timeout -s INT stopped the blocked touch"
[ "$elapsed" -lt 5000 ]
ok $? "at once after the signal (${elapsed} ms)"
is "$(xattr "$MNT/held" user.lock.waiters)" 0 "no waiter is left"
is "$(xattr "$MNT/held" user.lock.count)" 1 "the holder still holds it once"
rm "$MNT/held"
sleep 0.2
[ ! -e "$MNT/held" ]
ok $? "released: the interrupted touch did not get it"

# Python retries open() after EINTR (PEP 475): first in line, interrupted, keeps its place.
touch "$MNT/line"
/usr/bin/python3 - "$MNT/line" "$T/order" <<'PYEOF' &
import os, signal, sys
signal.signal(signal.SIGUSR1, lambda *_: None)
os.close(os.open(sys.argv[1], os.O_WRONLY))
with open(sys.argv[2], "a") as f:
    f.write("python\n")
os.unlink(sys.argv[1])
PYEOF
first=$!
wait_until waiters_are "$MNT/line" 1
( "$FSOP" open "$MNT/line" w >/dev/null && echo second >>"$T/order" && rm "$MNT/line" ) &
wait_until waiters_are "$MNT/line" 2
kill -USR1 "$first"
sleep 0.3
is "$(waiters "$MNT/line")" 2 "the interrupted program is waiting again"
rm "$MNT/line"
wait_jobs
is "$(tr '\n' ' ' <"$T/order")" "python second " "it kept its place ahead of the second waiter"

# ... and its deadline: interrupted after 0.5 s of a 1 s timeout, it times out at 1 s.
unmount_lockfs
assert_clean_exit
mount_lockfs --timeout=1 || exit 1
touch "$MNT/deadline"
/usr/bin/python3 - "$MNT/deadline" >"$T/deadline" <<'PYEOF' &
import errno, os, signal, sys, time
signal.signal(signal.SIGUSR1, lambda *_: None)
start = time.monotonic()
try:
    os.open(sys.argv[1], os.O_WRONLY)
    print("acquired")
except OSError as e:
    print(errno.errorcode[e.errno], int((time.monotonic() - start) * 1000))
PYEOF
waiter=$!
wait_until waiters_are "$MNT/deadline" 1
sleep 0.5
kill -USR1 "$waiter"
wait "$waiter"
read -r err ms <"$T/deadline"
is "$err" ETIMEDOUT "the retried open still times out"
[ "$ms" -ge 800 ] && [ "$ms" -lt 1400 ]
ok $? "at the original deadline, not a fresh one (${ms} ms)"
finish
