#!/usr/bin/env bash
# Read-only opens never acquire and never wait; O_RDONLY|O_CREAT of a free name (as
# flock(1) opens) succeeds and holds nothing; an open for writing without O_CREAT of a
# free name is ENOENT.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=30 || exit 1

is "$("$FSOP" open "$MNT/free" r)" ENOENT "O_RDONLY of a free name is ENOENT"
is "$("$FSOP" open "$MNT/free" rc)" OK "O_RDONLY|O_CREAT of a free name succeeds (holding nothing)"
[ ! -e "$MNT/free" ]
ok $? "and once it is closed, the name is gone again"
is "$("$FSOP" open "$MNT/free" w)" ENOENT "O_WRONLY without O_CREAT of a free name is ENOENT"
cat "$MNT/free" 2>/dev/null
is $? 1 "cat of a free name fails"
is "$(sql "SELECT count(*) FROM cache")" 0 "nothing was acquired"

touch "$MNT/held"
start=$(date +%s%N)
out=$(setsid "$FSOP" open "$MNT/held" r + read "$MNT/held")
elapsed=$((($(date +%s%N) - start) / 1000000))
like "$out" "OK
OK key: held;*" "another process reads a held lock's status"
[ "$elapsed" -lt 10000 ]
ok $? "reading did not wait (${elapsed} ms)"
# Its size is the length of the status text that reading it returns.
is "$(stat -c '%F %a %U %s' "$MNT/held")" "regular file 644 root $(wc -c <"$MNT/held")" \
	"stat of a held lock works"
is "$(xattr "$MNT/held" user.lock.count)" 1 "reading did not change the count"
finish
