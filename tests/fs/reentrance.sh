#!/usr/bin/env bash
# The same thread re-enters (count 2), and releases step by step.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=5 || exit 1

out=$("$FSOP" open "$MNT/r" wc + open "$MNT/r" w + getxattr "$MNT/r" user.lock.count \
	+ unlink "$MNT/r" + getxattr "$MNT/r" user.lock.count + unlink "$MNT/r" + open "$MNT/r" r)
is "$out" "OK
OK
OK 2
OK
OK 1
OK
ENOENT" "open twice: count 2; unlink: count 1, file still there; unlink: gone"

out=$("$FSOP" open "$MNT/r2" wc + open "$MNT/r2" wc + open "$MNT/r2" w + read "$MNT/r2")
like "$out" "OK
OK
OK
OK key: r2;owner: *;count: 3;*" "three opens by one thread: count 3 in the status"
finish
