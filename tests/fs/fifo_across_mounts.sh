#!/usr/bin/env bash
# Two mounts of one cache serve their waiters in one first-come, first-served order,
# kept in the cache: a release through either mount goes to the oldest waiter of
# any mount, and the places of a daemon that died are skipped and cleared.
. "$(dirname "$0")/lib.sh"
MNT2=$T/mnt2
mkdir -p "$MNT2"
mount_lockfs --timeout=30 || exit 1
mount_second "$CACHE" "$MNT2" --timeout=30
ok $? "a second daemon mounts the same cache"

places() { sql "SELECT count(*) FROM lockfs_waiter WHERE parked = 0"; }
places_are() { [ "$(places)" = "$1" ]; }

# waiter MOUNT NAME: take MOUNT/line, write NAME to the order file, release.
waiting_pids=()
waiter() {
	( "$FSOP" open "$1/line" w >/dev/null && echo "$2" >>"$T/order" && rm "$1/line" ) &
	waiting_pids+=($!)
}
# wait_waiters: every waiter has taken its turn (not the second daemon, a job too).
wait_waiters() {
	local pid
	for pid in "${waiting_pids[@]}"; do wait "$pid"; done
	waiting_pids=()
}

touch "$MNT/line"
waiter "$MNT2" second-mount
wait_until places_are 1
waiter "$MNT" first-mount
wait_until places_are 2
is "$(waiters "$MNT/line") $(waiters "$MNT2/line")" "1 1" "one waiter through each mount"
rm "$MNT/line"
wait_waiters
is "$(tr '\n' ' ' <"$T/order")" "second-mount first-mount " \
	"a release through the first mount goes to the older waiter of the second"
is "$(places)" 0 "no place is left in line"
[ ! -e "$MNT/line" ] && [ ! -e "$MNT2/line" ]
ok $? "and no lock"

# A daemon killed while its waiter waits: its place stays, but nobody waits in it.
: >"$T/order"
touch "$MNT/line"
"$FSOP" open "$MNT2/line" w >"$T/orphan" 2>&1 &
orphan=$!
wait_until places_are 1
kill_second
wait "$orphan"
is "$(cat "$T/orphan")" ECONNABORTED "the waiter of a killed daemon gets ECONNABORTED"
is "$(places)" 1 "its place is still in the cache"
waiter "$MNT" after-the-dead
wait_until places_are 2
rm "$MNT/line"
wait_waiters
is "$(tr '\n' ' ' <"$T/order")" "after-the-dead " "the dead daemon's place is skipped"
is "$(places)" 0 "and cleared"
stop_second
finish
