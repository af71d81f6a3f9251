#!/usr/bin/env bash
# A flock lock rides on its daemon's session lease: when that daemon (its
# machine) is killed, etcd drops the lock after the session TTL and the
# other mount's waiter gets it.  The killed daemon's fence stays until a
# daemon of its host (same boot, same pid namespace) mounts again, which
# deletes it.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
mount_etcd --timeout=inf || exit 1
mount_etcd_second --session-ttl=2

"$LOCKOP" open 1 "$MNT2/job" rc + flock 1 ex + mark "$T/held" + await "$T/never" >"$T/holder.out" 2>&1 &
holder=$!
wait_until [ -e "$T/held" ]
ok $? "a client holds job with flock through the second mount"
lease=$(etcdctl --endpoints="$ETCD_URLS" get "$PREFIX/locks/job" -w fields | sed -n 's/^"Lease" : //p')
[ -n "$lease" ] && [ "$lease" != 0 ]
ok $? "its lock rides on the second daemon's session lease"
"$LOCKOP" open 1 "$MNT/job" rc + flock 1 ex + mark "$T/taken" >"$T/waiter.out" 2>&1 &
wait_until waiters_are "$MNT/job" 1
ok $? "a client of the first mount waits for it"
kill_second
start=$(date +%s%N)
wait_until [ -e "$T/taken" ]
ok $? "after the second daemon is killed, the waiter gets the lock"
note "released $(( ($(date +%s%N) - start) / 1000000 )) ms after the kill (session TTL 2 s)"
is "$(tr '\n' ' ' <"$T/waiter.out")" "OK OK OK " "the waiter's open and flock succeeded"
kill "$holder" 2>/dev/null
wait_jobs
fences="$PREFIX/daemons/$(hostname) "
dead=$(etcdctl --endpoints="$ETCD_URLS" get --prefix --keys-only "$fences" | grep -v -e "^$" -e "^$fences$DAEMON_PID ")
[ -n "$dead" ]
ok $? "the killed daemon's fence is still in etcd (${dead#$PREFIX/daemons/})"
gone_pid=$(sh -c 'echo $$')
foreign="$fences$gone_pid 1 another-boot.1"
etcdctl --endpoints="$ETCD_URLS" put "$foreign" open >/dev/null
fusermount3 -uz "$MNT2" 2>/dev/null
mount_etcd_second
ok $? "a daemon of the same host mounts again"
is "$(etcdctl --endpoints="$ETCD_URLS" get --keys-only "$dead" | grep -c .)" 0 \
	"...and deletes the killed daemon's fence"
is "$(etcdctl --endpoints="$ETCD_URLS" get --keys-only "$foreign" | grep -c .)" 1 \
	"a fence of another boot or pid namespace stays, its pid gone here or not"
is "$(etcd_count "$fences")" 3 "...and so do the fences of the two running daemons"
finish
