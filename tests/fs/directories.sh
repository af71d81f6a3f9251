#!/usr/bin/env bash
# mkdir, nested keys, rmdir ENOTEMPTY, per-directory policies inherited by
# subdirectories, and keys with '/' written outside the mount shown as paths.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=5 || exit 1

mkdir "$MNT/jobs"
ok $? "mkdir"
[ -d "$MNT/jobs" ]
ok $? "the directory exists"
is "$(sql "SELECT path FROM lockfs_dir WHERE path != ''")" jobs "it is kept in lockfs_dir"
mkdir -p "$MNT/jobs/nightly/db" && [ -d "$MNT/jobs/nightly" ] && [ -d "$MNT/jobs/nightly/db" ]
ok $? "mkdir -p of nested directories"
touch "$MNT/jobs/nightly/db/backup" && [ "$(ls "$MNT/jobs/nightly/db")" = backup ]
ok $? "a lock in a nested directory"
key=$(/usr/bin/python3 -c 'import pickle; print(pickle.dumps("jobs/nightly/db/backup", protocol=5).hex())')
is "$(sql "SELECT count(*) FROM cache WHERE key = x'$key'")" 1 "its key is the path"
rmdir "$MNT/jobs/nightly/db" 2>/dev/null
is $? 1 "rmdir of a directory holding a lock fails"
is "$("$FSOP" rmdir "$MNT/jobs/nightly/db")" ENOTEMPTY "with ENOTEMPTY"
is "$("$FSOP" rmdir "$MNT/jobs")" ENOTEMPTY "a directory with directories below is ENOTEMPTY"
rm "$MNT/jobs/nightly/db/backup"
rmdir "$MNT/jobs/nightly/db" "$MNT/jobs/nightly" && [ ! -e "$MNT/jobs/nightly" ] &&
	[ "$(sql "SELECT group_concat(path) FROM lockfs_dir WHERE path != ''")" = jobs ]
ok $? "rmdir once empty"

# Policies: set on a directory, inherited below, nearest wins.
setfattr -n user.lock.ttl -v 300 "$MNT/jobs"
setfattr -n user.lock.tags -v "batch" "$MNT/jobs"
mkdir "$MNT/jobs/urgent"
setfattr -n user.lock.tags -v "urgent,batch" "$MNT/jobs/urgent"
setfattr -n user.lock.timeout -v 0.5 "$MNT/jobs/urgent"
is "$(xattr "$MNT/jobs" user.lock.ttl)" 300 "a directory shows its ttl"
is "$(xattr "$MNT/jobs/urgent" user.lock.ttl)" ENODATA "and only its own settings"
is "$(xattr "$MNT/jobs/urgent" user.lock.tags)" "batch,urgent" "tags are sorted"
touch "$MNT/jobs/a" "$MNT/jobs/urgent/b"
is "$(xattr "$MNT/jobs/a" user.lock.tags)" batch "a lock takes its directory's tags"
like "$(xattr "$MNT/jobs/urgent/b" user.lock.ttl)" "29[0-9]*" "and inherits the ttl from above"
is "$(xattr "$MNT/jobs/urgent/b" user.lock.tags)" "batch,urgent" "the nearest tags win"
start=$(date +%s%N)
is "$("$FSOP" open "$MNT/jobs/urgent/b" w)" ETIMEDOUT "the directory's timeout applies"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -ge 400 ] && [ "$elapsed" -lt 4000 ]
ok $? "after about 0.5 s, not the mount's 5 s (${elapsed} ms)"
is "$("$FSOP" setxattr "$MNT/jobs" user.lock.timeout abc)" EINVAL "a bad timeout is EINVAL"
is "$("$FSOP" setxattr "$MNT/jobs" user.lock.owner x)" ENOTSUP "lock attributes are not for directories"
setfattr -x user.lock.ttl "$MNT/jobs"
is "$(xattr "$MNT/jobs" user.lock.ttl)" ENODATA "removing a directory setting"
is "$("$FSOP" listxattr "$MNT/jobs")" "OK user.lock.tags" "listxattr lists the directory's settings"
setfattr -n user.lock.tags -v root-tag "$MNT"
touch "$MNT/top"
is "$(xattr "$MNT/top" user.lock.tags)" root-tag "the root directory takes settings too"

# Keys with '/' written outside the mount appear as paths; implicit directories vanish.
sql "INSERT INTO cache (key, raw, store_time, access_time, mode) VALUES
     (x'$(/usr/bin/python3 -c 'import pickle; print(pickle.dumps("build/42", protocol=5).hex())')', 0, 1, 1, 0)"
[ -d "$MNT/build" ] && [ -f "$MNT/build/42" ]
ok $? "key build/42 from outside shows at once as the file 42 in the directory build"
is "$(ls "$MNT/build")" 42 "listing shows it"
rm "$MNT/build/42"
[ ! -e "$MNT/build" ]
ok $? "a directory held up only by locks vanishes with the last of them"
is "$(ls "$MNT" | tr '\n' ' ')" "jobs top " "the root lists what is left"
# Values are kept to the microsecond: a tiny TTL is not "never".
is "$("$FSOP" setxattr "$MNT/jobs" user.lock.ttl 0.0001)" OK "a TTL of 0.0001 s is accepted"
is "$(xattr "$MNT/jobs" user.lock.ttl)" 0.0001 "and kept as written"
is "$("$FSOP" setxattr "$MNT/jobs" user.lock.ttl 0.0000001)" EINVAL "one below a microsecond is EINVAL"
finish
