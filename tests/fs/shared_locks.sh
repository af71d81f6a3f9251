#!/usr/bin/env bash
# Shared locks: any number of shared holders together; an exclusive request
# waits for all of them; a later shared request waits behind that exclusive
# waiter (writers never starve); flock conversions drop the old lock first.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
mount_lockfs || exit 1
F=$MNT/config

# hold NAME OP: a process that opens F, flocks it with OP, marks NAME and waits for NAME.go.
hold() {
	"$LOCKOP" open 0 "$F" rc + flock 0 "$2" + mark "$T/$1" + await "$T/$1.go" >"$T/$1.out" &
	echo $! >"$T/$1.pid"
}
count_is() { [ "$(xattr "$F" user.lock.count)" = "$1" ]; }

hold s1 sh
hold s2 sh
wait_until test -e "$T/s1" -a -e "$T/s2"
ok $? "two shared holders at once"
is "$(xattr "$F" user.lock.mode) $(xattr "$F" user.lock.count) $(xattr "$F" user.lock.owner)" \
	"shared 2 shared" "mode shared, count 2, owner 'shared'"
is "$("$LOCKOP" open 0 "$F" r + flock 0 exnb + flock 0 shnb | tr '\n' ' ')" "OK EAGAIN OK " \
	"LOCK_EX|LOCK_NB is refused with EWOULDBLOCK; LOCK_SH|LOCK_NB joins"

hold x ex
wait_until waiters_are "$F" 1
ok $? "an exclusive request waits for the shared holders"
hold s3 sh
wait_until waiters_are "$F" 2
ok $? "a later shared request waits behind the exclusive waiter"
is "$("$LOCKOP" open 0 "$F" r + flock 0 shnb | tr '\n' ' ')" "OK EAGAIN " \
	"and LOCK_SH|LOCK_NB is refused meanwhile"

touch "$T/s1.go"
wait_until count_is 1
is "$(xattr "$F" user.lock.count) $(waiters "$F")" "1 2" "one shared holder gone: the writer still waits"
[ ! -e "$T/x" ]
ok $? "and has not been told it holds"
touch "$T/s2.go"
wait_until test -e "$T/x"
ok $? "the last shared holder gone: the writer is granted"
is "$(xattr "$F" user.lock.mode) $(xattr "$F" user.lock.owner)" "exclusive flock:$(cat "$T/x.pid")" \
	"held exclusive by the writer's process"
[ ! -e "$T/s3" ]
ok $? "the later shared request still waits"
touch "$T/x.go"
wait_until test -e "$T/s3"
ok $? "and is granted when the writer releases"
is "$(xattr "$F" user.lock.mode) $(xattr "$F" user.lock.count)" "shared 1" "held shared once"
touch "$T/s3.go"
wait_jobs
for p in s1 s2 x s3; do
	is "$(tr '\n' ' ' <"$T/$p.out")" "OK OK OK OK " "$p: every call succeeded"
done
wait_until mount_is_empty
ok $? "nothing left"

# flock conversions: shared to exclusive and back, by one description.
is "$("$LOCKOP" open 0 "$F" rc + flock 0 sh + flock 0 ex + flock 0 sh + flock 0 un | tr '\n' ' ')" \
	"OK OK OK OK OK " "flock sh, ex, sh, un on one description"
"$LOCKOP" open 0 "$F" rc + flock 0 sh + mark "$T/c1" + await "$T/c1.go" + flock 0 ex + mark "$T/c2" \
	+ await "$T/c2.go" >"$T/c.out" &
wait_until test -e "$T/c1"
hold d sh
wait_until test -e "$T/d"
touch "$T/c1.go"
wait_until waiters_are "$F" 1
is "$(xattr "$F" user.lock.count) $(xattr "$F" user.lock.mode)" "1 shared" \
	"converting to exclusive beside another reader: the old lock is dropped, the request waits"
touch "$T/d.go"
wait_until test -e "$T/c2"
is "$(xattr "$F" user.lock.mode) $(xattr "$F" user.lock.count)" "exclusive 1" \
	"granted when the other reader goes"
touch "$T/c2.go"
wait_jobs
wait_until mount_is_empty
is "$(sql "SELECT count(*) FROM cache") $(hold_count)" "0 0" \
	"no row and no hold left"
finish
