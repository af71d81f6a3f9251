#!/usr/bin/env bash
# Options, --help, --version, exit codes (2 usage, 1 bad values) before anything is
# mounted, and mounting from /etc/fstab syntax through mount.fuse3 (type fuse.lockfs).
. "$(dirname "$0")/lib.sh"

out=$("$LOCKFS" --help)
is $? 0 "--help exits 0"
like "$out" "usage: lockfs*CACHE_DIR MOUNTPOINT*--timeout*" "and prints the usage"
out=$("$LOCKFS" --version)
is $? 0 "--version exits 0"
like "$out" "lockfs [0-9]*" "and prints the version"

"$LOCKFS" >/dev/null 2>&1
is $? 2 "no arguments: usage error, 2"
"$LOCKFS" a b c >/dev/null 2>&1
is $? 2 "an extra argument: 2"
"$LOCKFS" --bogus "$CACHE" "$MNT" >/dev/null 2>&1
is $? 2 "an unknown option: 2"
"$LOCKFS" -o bogus "$CACHE" "$MNT" >/dev/null 2>&1
is $? 2 "an unknown -o option: 2"
for bad in --timeout=abc --timeout=-1 --ttl=0 --ttl=abc --tag= --tag=a,,b; do
	msg=$("$LOCKFS" "$bad" "$CACHE" "$MNT" 2>&1)
	is $? 1 "$bad: exit 1"
	is "$(printf '%s\n' "$msg" | wc -l)" 1 "$bad: one line"
done
msg=$("$LOCKFS" "$CACHE" "$T/missing" 2>&1)
is $? 1 "a missing mountpoint: exit 1"
like "$msg" "*$T/missing*No such file*" "and says so"
: >"$T/file"
"$LOCKFS" "$CACHE" "$T/file" >/dev/null 2>&1
is $? 1 "a mountpoint that is a file: exit 1"
[ ! -e "$CACHE" ]
ok $? "none of that created the cache"
is_mounted
is $? 1 "nothing was mounted"

# fstab: "CACHE_DIR MOUNTPOINT fuse.lockfs timeout=1,tag=fstab 0 0" makes mount(8) run
# mount.fuse3 like this; mount.fuse3 runs lockfs from PATH (mount(8) itself resets
# PATH to the system directories, where an installed lockfs lives).
PATH=$(dirname "$LOCKFS"):$PATH mount.fuse3 "$CACHE" "$MNT" -t lockfs -o timeout=1,tag=fstab
is $? 0 "mount.fuse3 mounts it with fstab's fields"
is_mounted
ok $? "mounted as fuse.lockfs"
pid=$(pgrep -f "lockfs $CACHE $MNT" | head -1)
[ -n "$pid" ] && [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = 1 ]
ok $? "lockfs went to the background"
touch "$MNT/f"
is "$(xattr "$MNT/f" user.lock.tags)" fstab "the options reached lockfs (tag)"
start=$(date +%s%N)
is "$("$FSOP" open "$MNT/f" w)" ETIMEDOUT "a blocked open times out"
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 5000 ]
ok $? "after the fstab timeout of 1 s, not the default 10 s (${elapsed} ms)"
umount "$MNT" && ! is_mounted
ok $? "umount"
wait_until test ! -d "/proc/$pid"
ok $? "the background daemon exited"
finish
