#!/usr/bin/env bash
# Locks written by typed_diskcache have no holder details: lslockfs shows "-" in the
# table and null in JSON for them, the owner of a SyncRLock, "-" for a SyncLock's
# unknown owner, HELD and EXPIRES in days, hours and minutes, and UTF-8 keys as they are.
. "$(dirname "$0")/lib.sh"
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}
mkdir -p "$CACHE"
cp "$FIXTURES/locks/cache.db" "$DB"
chmod u+w "$DB"
# Acquisition times (and one expiry) relative to now, as an outside client could write them.
now=$(date +%s)
sql "UPDATE cache SET store_time = $now - 183700 WHERE key = x'8005950c000000000000008c086275696c642f3432942e'; -- build/42: 2d3h1m40s
     UPDATE cache SET store_time = $now - 600, expire_time = $now + 7300
       WHERE key = x'8005950a000000000000008c066465706c6f79942e'; -- deploy: 10m, expires in 2h1m40s
     UPDATE cache SET store_time = $now - 45 WHERE length(key) > 255; -- the 255-byte key: 45s
     UPDATE cache SET store_time = $now - 3725 WHERE key = x'8005950b000000000000008c076e696768746c79942e'; -- nightly: 1h2m5s
     UPDATE cache SET store_time = $now - 345600
       WHERE key = x'80059516000000000000008c12c3bc6ec3af636f64652dd0bad0bbd18ed187942e'; -- ünïcode-ключ: 4d"
mount_lockfs --timeout=1 || exit 1
long=$(printf 'k%.0s' $(seq 255))

out=$(LC_ALL=C.UTF-8 "$LSLOCKFS" -o KEY,COUNT,OWNER,PID,COMMAND,UID,HELD,EXPIRES,WAITERS,GENERATION "$MNT" 2>"$T/err")
is $? 0 "status 0"
is "$(cat "$T/err")" "" "nothing on stderr"
rows=$(sed "s/$long/LONG/" <<<"$out" | tr -s ' ')
is "$(sed -n 2p <<<"$rows")" "build/42 1 - - - - 2d3h - 0 -" "a SyncLock held 2 days 3 hours: owner, pid, command, uid, generation are -"
like "$(sed -n 3p <<<"$rows")" "deploy 1 - - - - 10m* 2h1m 0 -" "a SyncLock with an expiry: HELD 10m, EXPIRES 2h1m"
like "$(sed -n 4p <<<"$rows")" "LONG 1 - - - - 4[5-9]s - 0 -" "a 255-byte key is shown whole when stdout is no terminal; HELD 45s"
is "$(sed -n 5p <<<"$rows")" "nightly 2 3618-3618 - - - 1h2m - 0 -" "a SyncRLock taken twice: its owner, COUNT 2, HELD 1h2m"
is "$(sed -n 6p <<<"$rows")" "ünïcode-ключ 1 - - - - 4d - 0 -" "a UTF-8 key is shown as it is; HELD 4d"
is "$(wc -l <<<"$rows")" 6 "five locks, no data rows (semaphore, released RLock, text, bytes)"

# The columns line up by display width: a UTF-8 key takes as many cells as characters.
col_of() { # col_of TEXT LINE: the display column where TEXT starts in LINE
	/usr/bin/python3 -c 'import sys; print(sys.argv[2].index(sys.argv[1]))' "$1" "$2"
}
header=$(head -n 1 <<<"$out")
is "$(col_of 1 "$(grep '^ünïcode' <<<"$out")")" "$(($(col_of COUNT "$header") + 4))" \
	"COUNT is right-aligned under its header after a UTF-8 key"

# -r writes every byte outside printable ASCII as \xHH, as lslocks -r does.
is "$("$LSLOCKFS" -r -n -o KEY,OWNER "$MNT" | grep '^\\')" '\xc3\xbcn\xc3\xafcode-\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87 -' \
	"-r: UTF-8 bytes as \\xHH, the unknown owner as -"

"$LSLOCKFS" --json "$MNT" >"$T/locks.json"
is "$(/usr/bin/python3 - "$T/locks.json" <<'PYEOF'
import json, sys
for lock in json.load(open(sys.argv[1], encoding="utf-8"))["locks"]:
    key = lock["key"] if len(lock["key"]) < 20 else "LONG%d" % len(lock["key"])
    held = lock["held"]
    print(key, lock["owner"], lock["count"], lock["pid"], lock["command"], lock["uid"],
          lock["generation"], lock["waiters"], lock["mode"],
          "held-%d" % (held // 60),
          None if lock["expires"] is None else 7200 < lock["expires"] <= 7300)
PYEOF
)" "build/42 None 1 None None None None 0 exclusive held-3061 None
deploy None 1 None None None None 0 exclusive held-10 True
LONG255 None 1 None None None None 0 exclusive held-0 None
nightly 3618-3618 2 None None None None 0 exclusive held-62 None
ünïcode-ключ None 1 None None None None 0 exclusive held-5760 None" \
	"JSON: null for owner, pid, command, uid and generation where the lock has none"
finish
