#!/usr/bin/env bash
# An unusable cache is refused before mounting, with one line naming the file and the
# reason, exit status 1, and the file left byte-identical.
. "$(dirname "$0")/lib.sh"

# refused DESCRIPTION WANT_IN_MESSAGE: lockfs must refuse $CACHE and leave $DB alone.
refused() {
	local before after message status
	before=$(sha256sum "$DB")
	message=$("$LOCKFS" -f "$CACHE" "$MNT" 2>&1)
	status=$?
	after=$(sha256sum "$DB")
	is "$status" 1 "$1: exit status 1"
	is "$(printf '%s\n' "$message" | wc -l)" 1 "$1: one line"
	like "$message" "*$DB*$2*" "$1: names the file and the reason"
	is "$after" "$before" "$1: cache.db is byte-identical"
	is_mounted
	is $? 1 "$1: nothing is mounted"
}

mkdir -p "$CACHE"
sqlite3 "$DB" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('x')"
refused "a foreign SQLite database" "not a typed_diskcache cache"

printf 'just some text\n' >"$DB"
refused "a file that is not SQLite" "not an SQLite database"

cp "$FIXTURES/locks/cache.db" "$DB"
chmod u+w "$DB"
sqlite3 "$DB" "UPDATE version SET revision = '001_future'"
refused "another typed_diskcache revision" "another revision"

# A cache directory on another FUSE mount (here: a lockfs mount) is refused too.
rm -f "$DB"
mount_lockfs || exit 1
mkdir "$MNT/sub"
mkdir -p "$T/mnt2"
message=$("$LOCKFS" -f "$MNT/sub" "$T/mnt2" 2>&1)
is $? 1 "a cache on a FUSE filesystem: exit status 1"
like "$message" "*$MNT/sub*FUSE*" "names the directory and says why"
grep -q " $T/mnt2 " /proc/mounts
is $? 1 "nothing is mounted"
is "$(ls -A "$MNT/sub")" "" "nothing was written there"
finish
