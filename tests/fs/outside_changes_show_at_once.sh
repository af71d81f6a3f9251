#!/usr/bin/env bash
# What the daemon remembers of names never hides a change made elsewhere: a lock
# taken, released or re-entered by another client shows at the very next lookup,
# also for names the daemon itself has just looked up, taken or released.
. "$(dirname "$0")/lib.sh"
mount_lockfs || exit 1

pickled() { /usr/bin/python3 -c 'import pickle, sys; print(pickle.dumps(sys.argv[1], protocol=5).hex())' "$1"; }
owner_count() { /usr/bin/python3 -c 'import pickle, sys; print(pickle.dumps((sys.argv[1], int(sys.argv[2])), protocol=5).hex())' "$1" "$2"; }

# A lock the daemon took and just showed, deleted by another client.
touch "$MNT/taken"
is "$(stat -c %s "$MNT/taken" >/dev/null && xattr "$MNT/taken" user.lock.count)" 1 "taken and shown"
sql "DELETE FROM cache WHERE key = x'$(pickled taken)'"
is "$("$FSOP" open "$MNT/taken" r)" ENOENT "deleted elsewhere: gone at the next lookup"

# A name just looked up and found free, then taken by a SyncLock elsewhere.
is "$("$FSOP" open "$MNT/free" r)" ENOENT "a free name"
sql "INSERT INTO cache (key, raw, store_time, access_time, mode) VALUES (x'$(pickled free)', 0, strftime('%s','now'), strftime('%s','now'), 0)"
is "$(xattr "$MNT/free" user.lock.count)" 1 "taken elsewhere: shown at the next lookup"
is "$("$FSOP" open "$MNT/free" wcx)" EEXIST "and held against this mount"

# A name the daemon took and released, then taken elsewhere by an RLock.
touch "$MNT/cycled" && rm "$MNT/cycled"
is "$("$FSOP" open "$MNT/cycled" r)" ENOENT "released through the mount"
sql "INSERT INTO cache (key, raw, store_time, access_time, value, mode) VALUES (x'$(pickled cycled)', 0, strftime('%s','now'), strftime('%s','now'), x'$(owner_count 1-1 3)', 3)"
is "$(xattr "$MNT/cycled" user.lock.owner) $(xattr "$MNT/cycled" user.lock.count)" "1-1 3" \
	"taken elsewhere right after: its owner and count show"

# A lock the daemon holds, re-entered elsewhere (its count changes under it).
touch "$MNT/counted"
is "$(xattr "$MNT/counted" user.lock.count)" 1 "held once"
sql "UPDATE cache SET value = x'$(owner_count 9-9 5)' WHERE key = x'$(pickled counted)'"
is "$(xattr "$MNT/counted" user.lock.owner) $(xattr "$MNT/counted" user.lock.count)" "9-9 5" \
	"the new owner and count show at once"
like "$(cat "$MNT/counted")" "*count: 5*" "and in the status text"

# Many rounds: a lock released elsewhere between two of this mount's lookups.
lost=0
for i in $(seq 50); do
	touch "$MNT/round" || lost=$((lost + 1))
	stat "$MNT/round" >/dev/null || lost=$((lost + 1))
	sql "DELETE FROM cache WHERE key = x'$(pickled round)'"
	[ -e "$MNT/round" ] && lost=$((lost + 1))
done
is "$lost" 0 "50 rounds: every outside release seen at the next lookup"

# Watching the cache never costs SQLite its locks: the daemon still holds its
# shared lock on the WAL index (byte 128 of cache.db-shm), without which the
# next client to open the cache would reset the shared memory under it.
shm_inode=$(stat -c %i "$CACHE/cache.db-shm")
grep -q " READ $DAEMON_PID [0-9a-f:]*:$shm_inode 128 128\$" /proc/locks
ok $? "the daemon keeps SQLite's lock on the WAL index"
sql "SELECT count(*) FROM cache" >/dev/null
touch "$MNT/after" && [ -e "$MNT/after" ]
ok $? "and serves on after another client came and went"
finish
