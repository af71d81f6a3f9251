#!/usr/bin/env bash
# Shared and bound holds across two machines: shared holders of both mounts
# hold together, an exclusive request waits for all of them, and both
# mounts show the same attributes (mode, count, owner, how it is bound) and
# the same F_GETLK conflict, read from etcd.  A shared lock outlives the
# daemon of its first holder once that holder is gone: stopped or killed,
# that daemon takes with it no lock another machine still holds.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
mount_etcd || exit 1
mount_etcd_second || exit 1

# hold NAME MOUNT OP: a process that opens config there, flocks it with OP,
# marks NAME and waits for NAME.go.
hold() {
	"$LOCKOP" open 0 "$2/config" rc + flock 0 "$3" + mark "$T/$1" + await "$T/$1.go" \
		>"$T/$1.out" &
	echo $! >"$T/$1.pid"
}
# seen MOUNT: mode, count, owner and binding of config through that mount.
seen() {
	local a
	for a in mode count owner bound; do xattr "$1/config" "user.lock.$a"; done | tr '\n' ' '
}

hold s1 "$MNT" sh
hold s2 "$MNT2" sh
wait_until test -e "$T/s1" -a -e "$T/s2"
ok $? "a shared holder through each mount, at once"
is "$(seen "$MNT")" "shared 2 shared flock " "the first mount: mode shared, count 2, bound by flock"
is "$(seen "$MNT2")" "shared 2 shared flock " "the second mount sees the same"
is "$("$LOCKOP" open 0 "$MNT/config" r + flock 0 exnb + flock 0 shnb | tr '\n' ' ')" "OK EAGAIN OK " \
	"LOCK_EX|LOCK_NB is refused, LOCK_SH|LOCK_NB joins"
conflict=$("$LOCKOP" open 0 "$MNT2/config" r + getlk 0 w | tr '\n' ' ')
[ "$conflict" = "OK OK r pid=$(cat "$T/s1.pid") " ] || [ "$conflict" = "OK OK r pid=$(cat "$T/s2.pid") " ]
ok $? "F_GETLK for a write lock names a shared holder, of either mount ($conflict)"

hold x "$MNT2" ex
wait_until waiters_are "$MNT2/config" 1
ok $? "an exclusive request through the second mount waits for both"
touch "$T/s1.go" "$T/s2.go"
wait_until test -e "$T/x"
ok $? "both shared holders gone: it is granted"
is "$(seen "$MNT")" "exclusive 1 flock:$(cat "$T/x.pid") flock " \
	"the first mount: held exclusive by its process, bound by flock"
is "$("$LOCKOP" open 0 "$MNT/config" r + getlk 0 r | tr '\n' ' ')" "OK OK w pid=$(cat "$T/x.pid") " \
	"F_GETLK through the other mount names the exclusive holder"
touch "$T/x.go"
wait_jobs
for p in s1 s2 x; do
	is "$(tr '\n' ' ' <"$T/$p.out")" "OK OK OK OK " "$p: every call succeeded"
done
no_key() { [ -z "$(etcd_get "$PREFIX/locks/$1")" ]; }
wait_until no_key config
ok $? "no lock is left in etcd"

lease_of() { etcdctl --endpoints="$ETCD_URLS" get "$PREFIX/locks/$1" -w fields | sed -n 's/^"Lease" : //p'; }
count_is() { [ "$(xattr "$MNT/$1" user.lock.count)" = "$2" ]; }
same_lease() { [ -n "$(lease_of "$1")" ] && [ "$(lease_of "$1")" = "$(lease_of "$2")" ]; }

# outlives GONE: a shared lock taken first through the second mount, joined
# through the first; the second mount's holder closes, and its daemon goes
# by GONE (a command); the first mount's holder still holds, alone.
outlives() {
	local f=$1 gone=$2
	"$LOCKOP" open 0 "$MNT2/$f" rc + flock 0 sh + mark "$T/$f.a" + await "$T/$f.a.go" >/dev/null &
	wait_until test -e "$T/$f.a"
	"$LOCKOP" open 0 "$MNT/$f" rc + flock 0 sh + mark "$T/$f.b" + await "$T/$f.b.go" >/dev/null &
	wait_until test -e "$T/$f.b"
	is "$(xattr "$MNT/$f" user.lock.count)" 2 "$f: shared by a holder of each mount"
	touch "$T/$f.a.go"
	wait_until count_is "$f" 1
	ok $? "$f: the second mount's holder closed: one holder left, of the first mount"
	wait_until same_lease "$f" own
	ok $? "$f: the lock rides on the lease of the daemon whose holder is left"
	$gone
	is "$(xattr "$MNT/$f" user.lock.count) $(xattr "$MNT/$f" user.lock.mode)" "1 shared" \
		"$f: the other daemon gone, the lock is still held"
	is "$("$LOCKOP" open 0 "$MNT/$f" r + flock 0 exnb | tr '\n' ' ')" "OK EAGAIN " \
		"$f: ...and an exclusive try is refused"
	touch "$T/$f.b.go"
	wait_until test ! -e "$MNT/$f"
	ok $? "$f: its holder closes: the lock is gone"
}
# The first daemon's session lease, as a lock of its own that rides on it.
"$LOCKOP" open 0 "$MNT/own" rc + flock 0 ex + mark "$T/own" + await "$T/own.go" >/dev/null &
wait_until test -e "$T/own"
ok $? "a flock of the first mount, riding on its daemon's lease"

outlives stopped stop_second
mount_etcd_second --session-ttl=2 || exit 1
expire_second() { kill_second; sleep 3; }
outlives killed expire_second
touch "$T/own.go"
wait_jobs
finish
