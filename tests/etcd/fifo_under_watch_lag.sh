#!/usr/bin/env bash
# A daemon that has not heard yet of another machine's waiter still lets it
# go first: its acquisition's commit is guarded on the lock's line as it
# read it, so a place put there meanwhile makes it decide again and queue.
# Both mounts reach etcd through the proxy, which holds their watch
# streams back while a waiter of the second mount queues and the first
# mount releases and asks again.
. "$(dirname "$0")/lib.sh"

start_proxy
ok $? "the proxy listens"
CLUSTER_URLS=$ETCD_URLS
ETCD_URLS=http://127.0.0.1:$PROXY_PORT
mount_etcd --timeout=30 || exit 1
mount_etcd_second --timeout=30
ok $? "a second mount"
ETCD_URLS=$CLUSTER_URLS

places() { etcd_count "$PREFIX/waiters/k//"; }
places_are() { [ "$(places)" = "$1" ]; }
ordered() { [ "$(grep -c . "$T/order" 2>/dev/null)" = "$1" ]; }
taker() { ( "$FSOP" open "$1/k" wc >>"$T/taker.out" 2>&1 && echo "$2" >>"$T/order" && rm "$1/k" ) & }

wait_until eval '[ "$(grep -c . "$CONTROL/watching" 2>/dev/null)" -ge 2 ]'
ok $? "the watches run"
touch "$MNT/k"
ok $? "the first mount holds k (and keeps its empty line, read meanwhile)"
touch "$CONTROL/mute-watch"
taker "$MNT2" second-mount
wait_until places_are 1
ok $? "a waiter of the second mount has a place in etcd, unheard of by the first mount"
rm "$MNT/k"
taker "$MNT" first-mount
# Taken, or queued (a place of its own); the second mount's waiter has not
# heard that k is free.
wait_until eval 'ordered 1 || places_are 2'
ok $? "the first mount's new taker has decided"
rm "$CONTROL/mute-watch"
wait_until ordered 2
ok $? "both takers got k in turn"
is "$(tr '\n' ' ' <"$T/order")" "second-mount first-mount " \
	"the older waiter of the second mount went first"
wait_until places_are 0
ok $? "no place is left in etcd"
stop_second
finish
