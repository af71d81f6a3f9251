#!/usr/bin/env bash
# O_CREAT|O_EXCL is a try-lock: a free name is acquired, a held one fails EEXIST at once.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=30 || exit 1

is "$("$FSOP" open "$MNT/job" wcx)" OK "O_EXCL on a free name acquires"
start=$(date +%s%N)
is "$("$FSOP" open "$MNT/job" wcx)" EEXIST "O_EXCL on a held name is EEXIST"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 10000 ]
ok $? "EEXIST came without waiting for the 30 s timeout (${elapsed} ms)"
(set -C; : >"$MNT/job") 2>/dev/null
is $? 1 "set -C; : > on a held lock fails"
(set -C; : >"$MNT/other") 2>/dev/null && [ "$(xattr "$MNT/other" user.lock.count)" = 1 ]
ok $? "set -C; : > on a free name acquires"
is "$(xattr "$MNT/job" user.lock.count)" 1 "the held lock still has count 1"
finish
