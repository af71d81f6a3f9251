#!/usr/bin/env bash
# Shared and bound holds across two machines: shared holders of both mounts
# hold together, an exclusive request waits for all of them, and both
# mounts show the same attributes (mode, count, owner, how it is bound) and
# the same F_GETLK conflict, read from etcd.
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
wait_until test -z "$(etcd_get "$PREFIX/locks/config")"
ok $? "no lock is left in etcd"
finish
