#!/usr/bin/env bash
# Without MOUNTPOINT lslockfs lists every lockfs mount of /proc/self/mounts, keys
# relative to their mount, with a MOUNT column only when there are several; given
# MOUNTPOINTs it lists those.  A path that is no lockfs mount is refused with status 1
# and one line, before anything is listed; a dead mount is an error, the others are
# still listed.
. "$(dirname "$0")/lib.sh"
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}
MNT2=$T/mnt2
CACHE2=$T/cache2
mkdir -p "$MNT2"
mount_lockfs --timeout=5 || exit 1
touch "$MNT/one"
mkdir -p "$MNT/d"
touch "$MNT/d/deep"

# alone "MOUNT..." COMMAND...: run COMMAND in a private mount namespace whose only lockfs
# mounts are the MOUNTs (newline-separated): other lockfs mounts on this machine are
# detached there, and only there.
alone() {
	KEEP=$1 unshare -m --propagation private bash -c '
		shift
		for _ in 1 2 3 4 5 6 7 8; do # stacked mounts come off one by one
			detached=0
			while read -r _ point type _; do
				[ "$type" = fuse.lockfs ] || continue
				point=$(printf "%b" "$point")
				grep -qxF -- "$point" <<<"$KEEP" && continue
				umount -l "$point" 2>/dev/null && detached=1
			done < <(cat /proc/self/mounts)
			[ $detached = 0 ] && break
		done
		exec "$@"' _ "$@"
}

# run COMMAND...: stdout, then "status N", then stderr.
run() {
	local out status
	out=$("$@" 2>"$T/err")
	status=$?
	printf '%s\nstatus %s\n%s' "$out" "$status" "$(cat "$T/err")"
}

is "$(run alone "$MNT" "$LSLOCKFS" -o KEY)" "KEY
d/deep
one
status 0" "no MOUNTPOINT: the only lockfs mount is found, keys relative to it, no MOUNT column"
like "$(alone "$MNT" "$LSLOCKFS" -r | head -n 1)" "KEY MODE *" "the default columns start with KEY"

mount_second "$CACHE2" "$MNT2" --timeout=5
ok $? "a second lockfs is mounted, on another cache"
touch "$MNT2/two"

is "$(run alone "$MNT
$MNT2" "$LSLOCKFS" -r | cut -d' ' -f1-3)" "MOUNT KEY MODE
$MNT d/deep exclusive
$MNT one exclusive
$MNT2 two exclusive
status 0" "two mounts: MOUNT leads, each key relative to its own mount"
out=$("$LSLOCKFS" -r -n -o MOUNT,KEY 2>/dev/null)
is "$(grep -F -e "$MNT " -e "$MNT2 " <<<"$out")" "$MNT d/deep
$MNT one
$MNT2 two" "among all of this machine's lockfs mounts, both are listed"

is "$(run "$LSLOCKFS" -o KEY "$MNT2")" "KEY
two
status 0" "MOUNTPOINT chooses one mount: no MOUNT column"
is "$(run "$LSLOCKFS" -r -o MOUNT,KEY "$MNT2/")" "MOUNT KEY
$MNT2 two
status 0" "-o MOUNT shows it for one mount too; a trailing slash is the same mount"
is "$(cd "$T" && run "$LSLOCKFS" -r -n -o MOUNT,KEY mnt2 "$MNT")" "$MNT2 two
$MNT d/deep
$MNT one
status 0" "relative MOUNTPOINTs; mounts in the order given, MOUNT shown as a real path"
is "$(run "$LSLOCKFS" -r -o KEY "$MNT" "$MNT/")" "KEY
d/deep
one
status 0" "the same mount twice is listed once"

is "$(run "$LSLOCKFS" "$T")" "
status 1
lslockfs: $T: not a lockfs mount" "a directory that is no mount: status 1, one line"
is "$(run "$LSLOCKFS" /proc)" "
status 1
lslockfs: /proc: not a lockfs mount" "a mount of another type: status 1, one line"
is "$(run "$LSLOCKFS" "$MNT/d")" "
status 1
lslockfs: $MNT/d: not a lockfs mount" "a directory inside a lockfs mount is no mount"
is "$(run "$LSLOCKFS" "$T/nowhere")" "
status 1
lslockfs: $T/nowhere: No such file or directory" "a missing path: status 1, one line"
is "$(run "$LSLOCKFS" "$MNT" "$T")" "
status 1
lslockfs: $T: not a lockfs mount" "one bad MOUNTPOINT among good ones: refused before anything is listed"

# Another user cannot enter a mount made without allow_other: a scan passes over it, a
# MOUNTPOINT naming it is an error.
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
is "$(run alone "$MNT" "${as_nobody[@]}" "$LSLOCKFS")" "
status 0" "no MOUNTPOINT, and the only mount is another user's: nothing listed, status 0"
is "$(run "${as_nobody[@]}" "$LSLOCKFS" "$MNT")" "
status 1
lslockfs: $MNT: Permission denied" "naming another user's mount: status 1, one line"

# A lockfs whose daemon died: its mount is an error, the others are still listed.
kill_second
is "$(run alone "$MNT
$MNT2" "$LSLOCKFS" -r -n -o MOUNT,KEY)" "$MNT d/deep
$MNT one
status 1
lslockfs: $MNT2: Transport endpoint is not connected" "a dead mount: one line on stderr, status 1, the live mount listed"
finish
