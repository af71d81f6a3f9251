#!/usr/bin/env bash
# On etcd a lock's generation is its key's create_revision: it rises with
# every acquisition, through either mount.  Compare-and-release refuses a
# stale generation and changes nothing; a lock with a TTL has a lease of
# its own, is renewed (a keepalive of that lease) by touch -c through the
# other mount, and goes when nobody renews it.  Each daemon's fence is
# under P/daemons/.
. "$(dirname "$0")/lib.sh"
mount_etcd || exit 1
mount_etcd_second
ok $? "a second daemon mounts the same cluster"

generation() { xattr "$1" user.lock.generation; }
create_revision() {
	etcdctl --endpoints="$ETCD_URLS" get "$PREFIX/locks/$1" -w fields |
		sed -n 's/^"CreateRevision" : //p'
}
lease_of() {
	etcdctl --endpoints="$ETCD_URLS" get "$PREFIX/locks/$1" -w fields | sed -n 's/^"Lease" : //p'
}

touch "$MNT/g"
g1=$(generation "$MNT2/g")
is "$g1" "$(create_revision g)" "the generation is the key's create_revision"
is "$(lease_of g)" 0 "a lock taken by touch without TTL has no lease"
rm "$MNT2/g"
touch "$MNT2/g"
g2=$(generation "$MNT/g")
[ "$g2" -gt "$g1" ]
ok $? "a later acquisition through the other mount has a larger generation ($g1 < $g2)"
is "$(etcd_get "$PREFIX/locks/g" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["owner"] != "", d["count"], d["comm"])')" \
	"True 1 touch" "the lock's JSON says its owner, count and command"

is "$("$FSOP" setxattr "$MNT/g" user.lock.release "$g1")" ESTALE \
	"compare-and-release with a stale generation is ESTALE"
is "$(generation "$MNT2/g")" "$g2" "and the lock is still held, unchanged"
is "$("$FSOP" setxattr "$MNT/g" user.lock.release "$g2")" OK \
	"compare-and-release with the current generation releases"
[ ! -e "$MNT/g" ] && [ ! -e "$MNT2/g" ] && [ -z "$(etcd_get "$PREFIX/locks/g")" ]
ok $? "the lock is gone from both mounts and from etcd"
is "$(etcd_count "$PREFIX/daemons/") $(etcd_count "$PREFIX/fences/")" "2 0" \
	"each daemon's fence is a key under P/daemons/, outside the watched range"

mkdir "$MNT/short"
setfattr -n user.lock.ttl -v 3 "$MNT/short"
is "$(xattr "$MNT2/short" user.lock.ttl)" 3 "a directory's TTL is seen through the other mount"
touch "$MNT/short/t"
[ "$(lease_of short/t)" != 0 ]
ok $? "a lock with a TTL has a lease of its own"
first=$(xattr "$MNT/short/t" user.lock.expire)
lease=$(lease_of short/t)
sleep 1.2
touch -c "$MNT2/short/t"
second=$(xattr "$MNT/short/t" user.lock.expire)
is "$(lease_of short/t)" "$lease" "the renewal is a keepalive of the lock's own lease"
/usr/bin/python3 -c "import sys; sys.exit(0 if float('$second') > float('$first') + 1 else 1)"
ok $? "touch -c through the other mount renews it ($first -> $second)"
wait_until [ ! -e "$MNT2/short/t" ]
ok $? "unrenewed, it expires"
key_gone() { [ -z "$(etcd_get "$PREFIX/locks/$1")" ]; }
wait_until key_gone short/t
ok $? "and etcd drops its key"
touch "$MNT/own" && setfattr -n user.lock.ttl -v 30 "$MNT/own"
ok $? "a lock given a TTL of its own where none is in force"
expire=$(xattr "$MNT/own" user.lock.expire) lease=$(lease_of own)
touch -c "$MNT2/own"
ok $? "touch -c of it through the other mount succeeds"
is "$(xattr "$MNT/own" user.lock.expire) $(lease_of own)" "$expire $lease" \
	"...and leaves its expiry and lease as they were (no TTL in force to renew by)"
rm "$MNT/own"

# A lock another etcd client wrote, with only owner and count: a lock not
# made by lockfs, as a typed_diskcache SyncLock is in a cache.
etcdctl --endpoints="$ETCD_URLS" put "$PREFIX/locks/ext" '{"owner":"ext-1","count":1}' >/dev/null
wait_until test -e "$MNT/ext"
ok $? "another client's lock shows"
is "$(cat "$MNT/ext")" "$(printf 'key: ext\nowner: ext-1\ncount: 1')" \
	"its status has the lines that apply, no holder, no time, no generation"
is "$(xattr "$MNT/ext" user.lock.acquired) $(xattr "$MNT/ext" user.lock.pid) $(xattr "$MNT/ext" user.lock.generation)" \
	"ENODATA ENODATA ENODATA" "acquired, pid and generation have no value"
setfattr -n user.lock.tags -v t "$MNT2/ext" && is "$(xattr "$MNT/ext" user.lock.tags)" t "tags set on it"
value=$(etcd_get "$PREFIX/locks/ext")
[[ $value != *'"instance"'* && $value != *'"pid"'* ]]
ok $? "lockfs wrote it back as another client's lock ($value)"
is "$("$FSOP" open "$MNT2/ext" wcx)" EEXIST "it is held: an exclusive create through the other mount fails"
etcdctl --endpoints="$ETCD_URLS" del "$PREFIX/locks/ext" >/dev/null
wait_until test ! -e "$MNT/ext"
ok $? "deleted by its client, it goes"
stop_second
finish
