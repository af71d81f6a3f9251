#!/usr/bin/env bash
# A mountpoint that is the cache directory or any directory above it is refused
# before anything is created or mounted (the daemon would open its cache through its
# own mount and wait on itself): exit 1, one line naming what was typed.  Paths are
# compared as real paths (symlinks, "..", relative paths, a cache directory that does
# not exist yet).  A mountpoint inside the cache directory stays allowed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_mounts.sh"

# refused CACHE MOUNTPOINT DESCRIPTION: lockfs refuses at once with one line naming both
# as typed; nothing is mounted.  (A lockfs that mounts anyway hangs on itself: the
# timeout ends it, and the sweep detaches what it left.)
refused() {
	local message status
	message=$(timeout -s KILL 5 "$LOCKFS" -f "$1" "$2" 2>&1)
	status=$?
	sweep_mounts
	is "$status" 1 "$3: exit status 1"
	is "$(printf '%s\n' "$message" | wc -l)" 1 "$3: one line"
	like "$message" "lockfs: mountpoint $2 *cache directory $1: lockfs would wait on itself" \
		"$3: names the mountpoint and the cache directory as typed"
}

mkdir -p "$T/a" "$T/existing"
ln -s "$T/a" "$T/link"

refused "$T/existing" "$T/existing" "the cache directory itself"
[ ! -e "$T/existing/cache.db" ]
ok $? "the cache directory itself: no cache.db was created"
refused "$T/a/c" "$T/a" "the directory above a new cache directory"
refused "$T/a/new/deeper/c" "$T/a" "a directory further above a new cache directory"
[ -z "$(ls -A "$T/a")" ]
ok $? "the refused runs created nothing in the mountpoint"
refused "$T/link/c" "$T/a" "a cache directory reached through a symlink"
refused "$T/a/c" "$T/link" "a mountpoint reached through a symlink"
refused "$T/a" "$T/link/" "the cache directory through a symlink, with a trailing slash"
refused "$T/a/missing/../c" "$T/a" "a cache directory with .. after a missing directory"
refused "$T/existing/../a/c" "$T/a/./" "both with . and .."
cd "$T/a" || exit 1
refused "c" "." "relative: the working directory above the cache directory"
refused "../a/c" "../a" "relative: the same through .."
cd "$T" || exit 1
[ -z "$(ls -A "$T/a")" ] && [ -z "$(ls -A "$T/existing")" ]
ok $? "none of the refused runs created anything"

# Inside the cache directory is fine: the cache is not under the mount.
MNT=$CACHE/mnt
mkdir -p "$MNT"
mount_lockfs || exit 1
is "$("$FSOP" open "$MNT/held" wc)" OK "a mountpoint inside the cache directory serves"
is "$(xattr "$MNT/held" user.lock.count)" 1 "and the lock is held"
is "$(sql "SELECT count(*) FROM cache")" 1 "and written to the cache"
finish
