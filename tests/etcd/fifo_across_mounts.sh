#!/usr/bin/env bash
# Waiters of both mounts are served first come, first served, by their
# places in etcd (P/waiters/KEY//..., ordered by create_revision): a
# release through one mount goes to the older waiter of the other.
. "$(dirname "$0")/lib.sh"
mount_etcd --timeout=30 || exit 1
mount_etcd_second --timeout=30

places() { etcd_count "$PREFIX/waiters/line//"; }
places_are() { [ "$(places)" = "$1" ]; }
waiting_pids=()
waiter() {
	( "$FSOP" open "$1/line" w >/dev/null && echo "$2" >>"$T/order" && rm "$1/line" ) &
	waiting_pids+=($!)
}

touch "$MNT/line"
waiter "$MNT2" second-mount
wait_until places_are 1
ok $? "the first waiter has a place in etcd"
waiter "$MNT" first-mount
wait_until places_are 2
ok $? "the second waiter has one after it"
is "$(waiters "$MNT/line") $(waiters "$MNT2/line")" "1 1" "one waiter through each mount"
rm "$MNT/line"
for pid in "${waiting_pids[@]}"; do wait "$pid"; done
is "$(tr '\n' ' ' <"$T/order")" "second-mount first-mount " \
	"a release through the first mount goes to the older waiter of the second"
is "$(places)" 0 "no place is left in etcd"
stop_second
finish
