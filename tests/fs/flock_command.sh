#!/usr/bin/env bash
# flock(1) on lock files: two commands exclude each other and leave nothing
# behind; -n fails at once while the lock is held, -w gives up after its
# time; the `9>` idiom holds exactly while fd 9 is open; -s holders share.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
mount_lockfs || exit 1

# Two flock(1) commands on one name, started together: never inside at once.
for i in 1 2 3; do
	flock "$MNT/deploy" sh -c "echo in >>$T/log; sleep 0.2; echo out >>$T/log" &
done
wait_jobs
is "$(tr '\n' ' ' <"$T/log")" "in out in out in out " "three flock commands ran one at a time"
# The kernel reports a last close after close() returns: poll for the release.
wait_until mount_is_empty
is "$(ls -A "$MNT")" "" "nothing is left in the directory"
is "$(sql "SELECT count(*) FROM cache")" 0 "and no row in the cache"

# Inside flock(1): a bound lock, seen by a typed_diskcache client as held by one owner.
inside=$(flock "$MNT/seen" sh -c "
	printf '%s|%s|%s|%s\n' \"\$(getfattr --absolute-names --only-values -n user.lock.bound $MNT/seen)\" \
		\"\$(getfattr --absolute-names --only-values -n user.lock.mode $MNT/seen)\" \
		\"\$(getfattr --absolute-names --only-values -n user.lock.owner $MNT/seen)\" \"\$\$\"
	sqlite3 $DB 'SELECT hex(value) FROM cache'")
IFS='|' read -r bound mode owner shpid <<<"$(head -1 <<<"$inside")"
is "$bound $mode" "flock exclusive" "inside flock(1): user.lock.bound flock, mode exclusive"
like "$owner" "flock:[0-9]*" "the owner names the taking process"
row=$(/usr/bin/python3 -c 'import pickle, sys; print(pickle.loads(bytes.fromhex(sys.argv[1])))' \
	"$(tail -1 <<<"$inside")")
is "$row" "('$owner', 1)" "the cache row is the pickled (owner, 1) a SyncLock reads as held"
wait_until mount_is_empty
ok $? "released when flock(1) ends"

# A holder that stays until told to go.
"$LOCKOP" open 0 "$MNT/busy" rc + flock 0 ex + mark "$T/held" + await "$T/go" >"$T/holder" &
holder=$!
wait_until test -e "$T/held"
flock -n "$MNT/busy" true
is $? 1 "flock -n exits 1 at once while the lock is held"
start=$(date +%s%N)
flock -w 1 "$MNT/busy" true
status=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "flock -w 1 gave up after $ms ms"
is "$status" 1 "flock -w 1 exits 1 while the lock stays held"
[ "$ms" -ge 900 ]
ok $? "after waiting about its second"
is "$(waiters "$MNT/busy")" 0 "and leaves no waiter behind"
is "$(xattr "$MNT/busy" user.lock.count)" 1 "the holder still holds"
touch "$T/go"
wait "$holder"
is "$(tr '\n' ' ' <"$T/holder")" "OK OK OK OK " "the holder's calls all succeeded"
wait_until mount_is_empty
ok $? "its exit released the lock"

# The `9>` idiom: the open acquires, flock binds the hold to fd 9.
( flock 9
  echo "$(xattr "$MNT/job" user.lock.count) $(xattr "$MNT/job" user.lock.bound)" >"$T/job"
  flock -n "$MNT/job" true; echo "$?" >>"$T/job"
) 9>"$MNT/job"
is "$(tr '\n' ' ' <"$T/job")" "1 flock 1 " "( flock 9; ... ) 9>lock: held once, bound, excluding others"
wait_until mount_is_empty
ok $? "released when fd 9 closes"

# By hand with exec.
exec 9>"$MNT/manual"
flock 9
is "$(xattr "$MNT/manual" user.lock.bound)" flock "exec 9>lock; flock 9: bound"
exec 9>&-
wait_until test ! -e "$MNT/manual"
ok $? "exec 9>&- releases it"

# Shared: two flock -s at once; an exclusive flock -n fails meanwhile.
flock -s "$MNT/config" sh -c "touch $T/s1; until [ -e $T/done ]; do sleep 0.01; done" &
flock -s "$MNT/config" sh -c "touch $T/s2; until [ -e $T/done ]; do sleep 0.01; done" &
wait_until test -e "$T/s1" -a -e "$T/s2"
ok $? "two flock -s holders are inside together"
is "$(xattr "$MNT/config" user.lock.mode) $(xattr "$MNT/config" user.lock.count)" "shared 2" \
	"user.lock.mode shared, count 2"
flock -n "$MNT/config" true
is $? 1 "an exclusive flock -n fails while they hold"
touch "$T/done"
wait_jobs
wait_until mount_is_empty
is "$(sql "SELECT count(*) FROM cache")" 0 "nothing left after the shared holders end"
finish
