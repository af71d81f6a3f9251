#!/usr/bin/env bash
# A blocked acquisition fails ETIMEDOUT after the mount's timeout; timeout=0 does not wait.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=1 || exit 1

touch "$MNT/busy"
start=$(date +%s%N)
out=$("$FSOP" open "$MNT/busy" wc)
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$out" ETIMEDOUT "a blocked open fails ETIMEDOUT"
[ "$elapsed" -ge 900 ]
ok $? "it waited for the timeout first (${elapsed} ms)"
touch "$MNT/busy" 2>"$T/err"
is $? 1 "a blocked touch fails"
like "$(cat "$T/err")" "*Connection timed out*" "touch reports the timeout"
is "$(xattr "$MNT/busy" user.lock.waiters)" 0 "no waiter is left behind"
is "$(xattr "$MNT/busy" user.lock.count)" 1 "the holder still holds it once"
unmount_lockfs
assert_clean_exit

mount_lockfs --timeout=0 || exit 1
start=$(date +%s%N)
is "$("$FSOP" open "$MNT/busy" w)" ETIMEDOUT "with timeout=0 a held lock fails at once"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 5000 ]
ok $? "without waiting (${elapsed} ms)"
finish
