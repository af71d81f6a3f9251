#!/usr/bin/env bash
# When mounting fails, a cache that this run created is removed again (cache.db, its
# -wal and -shm files, and the directories this run made); an existing cache is never
# touched.  Mounting is made to fail by running lockfs as nobody, who may not open
# /dev/fuse nor write to the root-owned mountpoint.
. "$(dirname "$0")/lib.sh"

NOBODY=65534
# as_nobody COMMAND...: run it as nobody (uid and gid 65534, no other groups).
as_nobody() { setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups "$@"; }

# The binary may live where nobody cannot reach it (root's home): use a copy.
cp "$LOCKFS" "$T/lockfs"
chmod 755 "$T/lockfs"
OPEN=$T/open # where nobody may create caches
mkdir "$OPEN"
chown "$NOBODY:$NOBODY" "$OPEN"

# failed DESCRIPTION CACHE: lockfs as nobody fails to mount, after checking the cache.
failed() {
	local message status
	message=$(as_nobody "$T/lockfs" -f "$2" "$MNT" 2>&1)
	status=$?
	is "$status" 1 "$1: exit status 1"
	like "$message" "*fuse*" "$1: mounting failed ($message)"
	is_mounted
	is $? 1 "$1: nothing is mounted"
}

failed "a new cache in new directories" "$OPEN/new/deeper/cache"
is "$(ls -A "$OPEN")" "" "its files and every directory it made are gone"

mkdir "$OPEN/empty"
chown "$NOBODY:$NOBODY" "$OPEN/empty"
failed "a new cache in an existing directory" "$OPEN/empty"
[ -d "$OPEN/empty" ] && [ -z "$(ls -A "$OPEN/empty")" ]
ok $? "its files are gone, the directory is kept"

mkdir "$OPEN/old"
cp "$FIXTURES/locks/cache.db" "$OPEN/old/cache.db"
chown -R "$NOBODY:$NOBODY" "$OPEN/old"
chmod u+w "$OPEN/old/cache.db"
rows=$(sqlite3 "$OPEN/old/cache.db" "SELECT count(*) FROM cache")
failed "an existing cache" "$OPEN/old"
is "$(sqlite3 "$OPEN/old/cache.db" "SELECT count(*) FROM cache")" "$rows" \
	"the existing cache is kept with its $rows rows"
# The first run added lockfs's tables; from now on lockfs only reads it.
before=$(sha256sum "$OPEN/old/cache.db")
failed "an existing cache again" "$OPEN/old"
is "$(sha256sum "$OPEN/old/cache.db")" "$before" "the existing cache.db is byte-identical"

cd "$OPEN" || exit 1
failed "a new cache by a relative path" "relative/cache"
[ ! -e "$OPEN/relative" ]
ok $? "its files and directories are gone"
finish
