#!/usr/bin/env bash
# An rm whose commit is decided again acts on the lock it was for, and on
# no other.  The rm's commit never reaches etcd and times out; meanwhile
# the other mount breaks that lock and takes the name again.  Settled as
# not carried out, the rm is decided again: its lock is gone, so it is
# done, and the other mount's new lock stays (a root rm decided afresh
# would break it).  A TTL set by root is decided again the same way: it
# never lands on the new lock, which would expire under its holder, and
# fails with ENOENT, for the lock it was for is gone.
. "$(dirname "$0")/lib.sh"

start_proxy
ok $? "the proxy listens"

CLUSTER_URLS=$ETCD_URLS
ETCD_URLS=http://127.0.0.1:$PROXY_PORT mount_etcd --etcd-timeout=5 || exit 1
ETCD_URLS=$CLUSTER_URLS
mount_etcd_second
ok $? "a second mount, straight on the cluster"

touch "$MNT/k"
first=$(xattr "$MNT/k" user.lock.generation)
touch "$CONTROL/stall-next-txn"
rm "$MNT/k" 2>"$T/rm.err" &
rm_job=$!
stalled() { [ ! -e "$CONTROL/stall-next-txn" ]; }
wait_until stalled
ok $? "the rm's commit was sent, and never arrives"
rm "$MNT2/k" && touch "$MNT2/k"
ok $? "meanwhile the other mount breaks that lock and takes the name"
second=$(xattr "$MNT2/k" user.lock.generation)
[ "$second" -gt "$first" ]
ok $? "...a new lock ($first, then $second)"
wait "$rm_job"
is $? 0 "the rm is done: the lock it was for is gone"
is "$(xattr "$MNT2/k" user.lock.generation)" "$second" "the other mount's lock is still held"
[ -n "$(etcd_get "$PREFIX/locks/k")" ]
ok $? "...and its key is in etcd"
rm "$MNT2/k"
ok $? "its holder releases it"

touch "$MNT/t"
first=$(xattr "$MNT/t" user.lock.generation)
touch "$CONTROL/stall-next-txn"
setfattr -n user.lock.ttl -v 1 "$MNT/t" 2>"$T/ttl.err" &
ttl_job=$!
wait_until stalled
ok $? "a TTL's commit was sent, and never arrives"
rm "$MNT2/t" && touch "$MNT2/t"
ok $? "meanwhile the other mount breaks that lock and takes the name"
second=$(xattr "$MNT2/t" user.lock.generation)
wait "$ttl_job"
is "$? $(cat "$T/ttl.err")" \
	"1 setfattr: $MNT/t: No such file or directory" "the setfattr fails: the lock it was for is gone"
is "$(xattr "$MNT2/t" user.lock.expire)" ENODATA "the other mount's new lock ($second) has no expiry"
is "$(xattr "$MNT2/t" user.lock.generation)" "$second" "...and is still held"
rm "$MNT2/t"
ok $? "its holder releases it"
stop_second
finish
