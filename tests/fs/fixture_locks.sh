#!/usr/bin/env bash
# A cache written by typed_diskcache shows exactly the held locks its manifest lists,
# with owners, counts, tags and expiry; live other data is never acquired or changed;
# an expired row of other data is acquirable.
. "$(dirname "$0")/lib.sh"
mkdir -p "$CACHE"
cp "$FIXTURES/locks/cache.db" "$DB"
chmod u+w "$DB"
mount_lockfs --timeout=1 || exit 1

# One line per lock of the manifest: key, owner, count, expires, tags.
/usr/bin/python3 - "$FIXTURES/locks/manifest.json" >"$T/expected" <<'PYEOF'
import json, sys
for e in json.load(open(sys.argv[1]))["entries"]:
    if e["is_lock"]:
        print("|".join([e["key"], e["owner"] or "", str(e["count"]),
                         "1" if e["expires"] else "0", ",".join(sorted(e["tags"]))]))
PYEOF
is "$(wc -l <"$T/expected")" 5 "the manifest lists five locks"
while IFS="|" read -r key owner count expires tags; do
	f=$MNT/$key
	[ -f "$f" ]
	ok $? "${key:0:40} is a lock file"
	is "$(xattr "$f" user.lock.owner)" "$owner" "${key:0:40}: owner '$owner'"
	is "$(xattr "$f" user.lock.count)" "$count" "${key:0:40}: count $count"
	if [ "$expires" = 1 ]; then
		like "$(xattr "$f" user.lock.expire)" "[0-9]*.[0-9]*" "${key:0:40}: expires"
	else
		is "$(xattr "$f" user.lock.expire)" ENODATA "${key:0:40}: never expires"
	fi
	is "$(xattr "$f" user.lock.tags)" "${tags:-ENODATA}" "${key:0:40}: tags '$tags'"
	is "$(xattr "$f" user.lock.generation)" ENODATA "${key:0:40}: not made by lockfs: no generation"
done <"$T/expected"

is "$(cd "$MNT" && find . -type f | sort | tr '\n' ' ')" \
	"$(cut -d"|" -f1 "$T/expected" | sed 's|^|./|' | sort | tr '\n' ' ')" \
	"the mount shows exactly the held locks, nothing else"
is "$(ls "$MNT/build")" 42 "build/42 shows as a path"

greeting() { sql "SELECT hex(value), store_time, mode, expire_time IS NULL FROM cache WHERE key = x'8005950c000000000000008c086772656574696e67942e'"; }
before=$(greeting)
is "$("$FSOP" open "$MNT/greeting" wc)" EEXIST "live other data refuses acquisition with EEXIST"
is "$("$FSOP" open "$MNT/pool" wc)" EEXIST "so does a semaphore"
is "$(greeting)" "$before" "and the data is unchanged"
is "$(sql "SELECT count(*) FROM cache WHERE mode = 2 OR value = x'80054b022e'")" 2 \
	"the text and the semaphore are both still there"

is "$("$FSOP" open "$MNT/stale" wc)" OK "an expired SyncLock is free: acquired"
is "$("$FSOP" open "$MNT/released-rlock" wc)" OK "an RLock with count 0 is free: acquired"
sql "UPDATE cache SET expire_time = 1 WHERE key = x'8005950c000000000000008c086772656574696e67942e'"
is "$("$FSOP" open "$MNT/greeting" wc)" OK "expired other data is acquirable"
is "$(sql "SELECT mode FROM cache WHERE key = x'8005950c000000000000008c086772656574696e67942e'")" 3 \
	"and now holds a lock value"
is "$(sql "SELECT count(*) FROM cache")" "$(sql "SELECT value FROM metadata WHERE key = 'count'")" \
	"metadata count equals the rows"
finish
