#!/usr/bin/env bash
# No name can forge a status line: control characters and backslashes in a key are
# escaped (\n, \\, \xHH) in the "key:" line, so every line of the status is one field.
. "$(dirname "$0")/lib.sh"
mount_lockfs || exit 1

evil=$(printf 'evil\nowner: 1-1\ncount: 99')
touch "$MNT/$evil"
is $? 0 "a name with newlines is a lock like any other"
status=$(cat "$MNT/$evil")
is "$(head -n 1 <<<"$status")" 'key: evil\nowner: 1-1\ncount: 99' "its key line shows the newlines escaped"
is "$(grep -c '^owner: ' <<<"$status")" 1 "one owner line"
like "$(grep '^owner: ' <<<"$status")" "owner: [1-9]*-[1-9]*" "the real one"
is "$(grep '^count: ' <<<"$status")" "count: 1" "one count line, the real count"
is "$(xattr "$MNT/$evil" user.lock.owner)" "$(grep '^owner: ' <<<"$status" | cut -d' ' -f2)" \
	"matching user.lock.owner"

touch "$MNT/back\\slash" "$MNT/$(printf 'tab\there')" "$MNT/$(printf 'del\177x')"
is "$(head -n 1 "$MNT/back\\slash")" 'key: back\\slash' "a backslash is doubled"
is "$(head -n 1 "$MNT/$(printf 'tab\there')")" 'key: tab\x09here' "a tab is \\x09"
is "$(head -n 1 "$MNT/$(printf 'del\177x')")" 'key: del\x7fx' "DEL is \\x7f"
# A process names itself: its name (comm) cannot forge lines either.
/usr/bin/python3 - "$MNT/named" <<'PYEOF'
import ctypes, os, sys
ctypes.CDLL(None).prctl(15, b"x\nuid: 0\npid: 1", 0, 0, 0)  # PR_SET_NAME
os.close(os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY))
PYEOF
is "$(grep -c '^uid: ' "$MNT/named")" 1 "a process name with newlines adds no line"
is "$(grep '^comm: ' "$MNT/named")" 'comm: x\nuid: 0\npid: 1' "it is escaped"
touch "$MNT/ünïcødé"
is "$(head -n 1 "$MNT/ünïcødé")" "key: ünïcødé" "UTF-8 text stays as it is"
finish
