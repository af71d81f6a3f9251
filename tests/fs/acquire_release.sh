#!/usr/bin/env bash
# touch, ": >" and open(O_WRONLY|O_CREAT) acquire; rm releases; rm of a free name is ENOENT.
. "$(dirname "$0")/lib.sh"
mount_lockfs || exit 1

touch "$MNT/deploy"
ok $? "touch of a free name succeeds"
[ -f "$MNT/deploy" ]
ok $? "the lock file exists"
is "$(xattr "$MNT/deploy" user.lock.count)" 1 "count is 1"
is "$(sql "SELECT count(*) FROM cache")" 1 "one row in the cache"
is "$(sql "SELECT mode FROM cache")" 3 "stored as a pickled (owner, count), mode 3"

rm "$MNT/deploy"
ok $? "rm succeeds"
[ ! -e "$MNT/deploy" ]
ok $? "the lock file is gone"
is "$(sql "SELECT count(*) FROM cache")" 0 "the row is deleted"
is "$(sql "SELECT value FROM metadata WHERE key = 'count'")" 0 "metadata count is 0"

: >"$MNT/redirect"
ok $? ": > acquires"
is "$(xattr "$MNT/redirect" user.lock.count)" 1 ": > took count 1"

is "$("$FSOP" open "$MNT/opened" wc)" OK "open(O_WRONLY|O_CREAT) acquires"
is "$(xattr "$MNT/opened" user.lock.count)" 1 "open took count 1"
is "$(sql "SELECT count(*) FROM cache")" 2 "two rows now"

is "$("$FSOP" unlink "$MNT/never-held")" ENOENT "unlink of a free name is ENOENT"
rm "$MNT/never-held" 2>/dev/null
is $? 1 "rm of a free name fails"

is "$("$FSOP" unlink "$MNT/redirect" + unlink "$MNT/opened")" "OK
OK" "both released"
is "$(ls -A "$MNT")" "" "nothing left"
finish
