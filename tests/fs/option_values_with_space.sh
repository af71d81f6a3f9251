#!/usr/bin/env bash
# `--timeout 1`, `--ttl 60` and `--tag a` (value as the next argument) work like
# `--timeout=1`, `--ttl=60` and `--tag=a`; a bad or missing value is refused with one
# line naming it.
. "$(dirname "$0")/lib.sh"

message=$("$LOCKFS" -f --timeout abc "$CACHE" "$MNT" 2>&1)
is $? 1 "--timeout abc: exit status 1"
is "$message" "lockfs: bad timeout 'abc': seconds >= 0, or inf" "--timeout abc: one line naming it"
message=$("$LOCKFS" -f --ttl 0 "$CACHE" "$MNT" 2>&1)
is $? 1 "--ttl 0: exit status 1"
is "$message" "lockfs: bad ttl '0': seconds > 0, or none" "--ttl 0: one line naming it"
message=$("$LOCKFS" -f "$CACHE" "$MNT" --tag 2>&1)
is $? 2 "--tag as the last argument: usage error, 2"
is "$message" "lockfs: option '--tag' needs a value" "--tag as the last argument: one line naming it"
[ ! -e "$CACHE" ]
ok $? "none of that created the cache"

mount_lockfs --timeout 1 --ttl 60 --tag b --tag a || exit 1
touch "$MNT/f"
is "$(xattr "$MNT/f" user.lock.tags)" "a,b" "--tag b --tag a: both tags"
ttl=$(xattr "$MNT/f" user.lock.ttl)
like "$ttl" "[0-9]*" "--ttl 60: the lock expires ($ttl s left)"
awk -v t="$ttl" 'BEGIN { exit !(t > 50 && t <= 60) }'
ok $? "in at most 60 seconds"
start=$(date +%s%N)
is "$("$FSOP" open "$MNT/f" w)" ETIMEDOUT "a blocked open times out"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -ge 900 ] && [ "$elapsed" -lt 5000 ]
ok $? "--timeout 1: after about 1 s, not the default 10 s (${elapsed} ms)"
finish
