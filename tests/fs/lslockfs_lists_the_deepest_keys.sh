#!/usr/bin/env bash
# A key as long and deep as lockfs allows (3999 bytes, 2000 components) is listed whole,
# and the walk comes back up from it to list the locks after it; keys beside it at
# every depth are listed too.
. "$(dirname "$0")/lib.sh"
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}
mount_lockfs --timeout=5 || exit 1

deep=$(printf 'a/%.0s' $(seq 1999))a
is "${#deep}" 3999 "the key is 3999 bytes"
mkdir -p "$MNT/${deep%/a}"
touch "$MNT/$deep" "$MNT/a/a/a/beside" "$MNT/before" "$MNT/z"
ok $? "the locks are taken"

out=$("$LSLOCKFS" -r -n -o KEY,COUNT,COMMAND "$MNT" 2>"$T/err")
is $? 0 "status 0"
is "$(cat "$T/err")" "" "nothing on stderr"
is "$(sed "s|^$deep |DEEP |" <<<"$out")" "DEEP 1 touch
a/a/a/beside 1 touch
before 1 touch
z 1 touch" "the deepest key whole, and every lock around it"
finish
