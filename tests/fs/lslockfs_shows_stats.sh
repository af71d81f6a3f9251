#!/usr/bin/env bash
# lslockfs --stats shows each mount's user.lockfs.stats: a table (a MOUNT line, one line
# per counter, a line per distribution with its quantiles), -r "MOUNT NAME VALUE" lines,
# -J {"stats": [...]} with the mount first.  A mount with --stats=off, or a path that is
# no lockfs mount, is one line on stderr and status 1; the others are still shown.
. "$(dirname "$0")/lib.sh"
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}
mount_lockfs --timeout=5 || exit 1

touch "$MNT/a"
rm "$MNT/a"
touch "$MNT/b"

"$LSLOCKFS" --stats "$MNT" >"$T/table" 2>"$T/err"
is $? 0 "--stats: status 0"
is "$(cat "$T/err")" "" "nothing on stderr"
like "$(head -n 1 "$T/table")" "MOUNT $MNT  (up *s)" "a MOUNT line with the uptime"
is "$(sed -n '2,12p' "$T/table" | awk '{print $1, $2}')" "acquisitions 2
releases 1
breaks 1
expiries 0
renewals 0
waits 0
timeouts 0
interrupts 0
compare_release_refusals 0
holds 1
waiters 0" "one line per counter, with its value"
like "$(sed -n 13p "$T/table")" "  wait_seconds * 0  p50 -  p90 -  p99 -" "no wait yet: no quantile"
like "$(sed -n 14p "$T/table")" "  hold_seconds * 1  p50 *s  p90 *s  p99 *s" \
	"one hold timed: its quantiles, with a unit"
is "$(wc -l <"$T/table")" 14 "and nothing else"

is "$("$LSLOCKFS" --stats -r "$MNT" | sed -n '1p;4p;19p')" "MOUNT NAME VALUE
$MNT acquisitions 2
$MNT hold_seconds.count 1" "-r: a heading, then MOUNT NAME VALUE, nested names with a dot"
is "$("$LSLOCKFS" --stats -r -n "$MNT" | head -n 1 | cut -d' ' -f2)" "started" "-r -n: no heading"
like "$("$LSLOCKFS" --stats -n "$MNT" | head -n 1)" "MOUNT $MNT  (up *" \
	"-n keeps the table's line naming the mount"
"$LSLOCKFS" --stats -o KEY "$MNT" >"$T/out" 2>"$T/err"
is "$?/$(cat "$T/out")/$(cat "$T/err")" "1//lslockfs: options --stats and --output cannot be combined" \
	"--stats refuses -o: it shows no columns"

"$LSLOCKFS" --stats -J "$MNT" >"$T/json"
is "$(/usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
s = doc["stats"][0]
print(len(doc["stats"]), list(s)[:3], s["acquisitions"], s["holds"], s["hold_seconds"]["count"],
      s["wait_seconds"]["p50"])' "$T/json")" \
	"1 ['mount', 'started', 'uptime'] 2 1 1 None" "-J: one object per mount, the mount first, numbers as numbers"

# A second mount without statistics, and a path that is no lockfs mount.
CACHE2=$T/cache2
MNT2=$T/mnt2
mkdir -p "$MNT2"
"$LOCKFS" -f --stats=off "$CACHE2" "$MNT2" 2>>"$T/daemon2.log" &
SECOND_PID=$!
wait_until grep -q " $MNT2 fuse.lockfs " /proc/mounts
"$LSLOCKFS" --stats -r -n "$MNT2" "$MNT" >"$T/out" 2>"$T/err"
is $? 1 "a mount with --stats=off: status 1"
is "$(cat "$T/err")" "lslockfs: $MNT2: no statistics (lockfs --stats=off, or too old)" \
	"one line naming it"
is "$(grep -c "^$MNT acquisitions 2$" "$T/out")" 1 "the other mount is still shown"
"$LSLOCKFS" --stats "$T" >"$T/out" 2>"$T/err"
is "$?/$(cat "$T/out")" "1/" "a path that is no lockfs mount: status 1, nothing shown"
is "$(cat "$T/err")" "lslockfs: $T: not a lockfs mount" "one line naming it"
fusermount3 -u "$MNT2"
wait $SECOND_PID
is $? 0 "the second daemon exits 0"
SECOND_PID=
finish
