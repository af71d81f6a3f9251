#!/usr/bin/env bash
# A mountpoint that is a live lockfs mount is refused (a second daemon would stack on
# the first): exit 1, one line naming the mountpoint as typed, nothing created, the
# first mount untouched.  So is a directory inside a lockfs mount.  Other
# mounts there are not refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_mounts.sh"

# refused DESCRIPTION MOUNTPOINT LOCKFS_ARGS...: lockfs refuses MOUNTPOINT (the last
# argument) at once; a lockfs that mounts anyway is ended by the timeout and its layer
# detached again, so that $MNT keeps serving for the next case.
refused() {
	local description=$1 typed=$2 message status
	shift 2
	message=$(timeout -s KILL 5 "$LOCKFS" "$@" 2>&1)
	status=$?
	is "$(layers "$MNT")" 1 "$description: one lockfs mount at the mountpoint"
	trim_layers "$MNT" 1
	is "$status" 1 "$description: exit status 1"
	is "$(printf '%s\n' "$message" | wc -l)" 1 "$description: one line"
	like "$message" "lockfs: mountpoint $typed: already a lockfs mount*" \
		"$description: names the mountpoint as typed"
}

mount_lockfs || exit 1
touch "$MNT/held"
ln -s "$MNT" "$T/link"

refused "another cache" "$MNT" -f "$T/other" "$MNT"
[ ! -e "$T/other" ]
ok $? "another cache: the other cache was not created"
refused "the same cache, as a daemon (scripts/start twice)" "$MNT" "$CACHE" "$MNT"
refused "through a symlink" "$T/link" -f "$T/other" "$T/link"
cd "$T" || exit 1
refused "a relative path" "mnt/" -f other "mnt/"
[ ! -e "$T/other" ]
ok $? "no cache was created by any of them"
mkdir "$MNT/sub"
message=$(timeout -s KILL 5 "$LOCKFS" -f "$T/other" "$MNT/sub" 2>&1)
is "$?: $message" "1: lockfs: mountpoint $MNT/sub: inside the lockfs mount $MNT (it would hide the locks below it)" \
	"a directory inside a lockfs mount is refused, with one line saying why"
is "$(layers "$MNT/sub")" 0 "...nothing is mounted there"
rmdir "$MNT/sub"
is "$(ls "$MNT")" held "the first mount still serves"
is "$(xattr "$MNT/held" user.lock.count)" 1 "its lock still held once"

# A mountpoint with another filesystem mounted on it is fine.
mkdir "$T/tmpfs"
mount -t tmpfs lockfs-test "$T/tmpfs"
ok $? "a tmpfs on another mountpoint"
"$LOCKFS" -f "$T/cache3" "$T/tmpfs" 2>>"$T/daemon.log" &
other=$!
wait_until layers_are "$T/tmpfs" 1
ok $? "lockfs mounts over the tmpfs"
fusermount3 -u "$T/tmpfs"
ok $? "and unmounts"
wait "$other"
is $? 0 "that daemon exited 0"
umount "$T/tmpfs"
finish
