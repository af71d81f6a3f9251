#!/usr/bin/env bash
# lslockfs prints one line per held lock with its holder's details read from the
# lock file's attributes: owner, pid, command, uid, the count after re-entry, the
# generation, the waiters while a process waits, the time left with a TTL; nested
# keys as paths below the mount.  No locks: no output, status 0.
. "$(dirname "$0")/lib.sh"
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}
mount_lockfs --timeout=20 || exit 1

out=$("$LSLOCKFS" "$MNT" 2>"$T/err")
is $? 0 "no locks: status 0"
is "$out" "" "no locks: nothing printed (as lslocks)"
is "$(cat "$T/err")" "" "and nothing on stderr"

touch "$MNT/deploy" &
touch_pid=$!
wait $touch_pid
mkdir -p "$MNT/build/nightly"
touch "$MNT/build/nightly/42" &
nested_pid=$!
wait $nested_pid
"$FSOP" open "$MNT/counter" wc + open "$MNT/counter" w >"$T/fsop.out" &
fsop_pid=$!
wait $fsop_pid
is "$(cat "$T/fsop.out")" "OK
OK" "fsop took counter twice from one thread"
gen_deploy=$(xattr "$MNT/deploy" user.lock.generation)
gen_nested=$(xattr "$MNT/build/nightly/42" user.lock.generation)
gen_counter=$(xattr "$MNT/counter" user.lock.generation)

# Columns as wide as their widest value or header; OWNER and PID widths follow the pids.
owner_width=5 pid_width=3
for pid in $touch_pid $nested_pid $fsop_pid; do
	[ $((2 * ${#pid} + 1)) -gt $owner_width ] && owner_width=$((2 * ${#pid} + 1))
	[ ${#pid} -gt $pid_width ] && pid_width=${#pid}
done
out=$("$LSLOCKFS" -o KEY,MODE,COUNT,OWNER,PID,COMMAND,UID,EXPIRES,WAITERS,GENERATION "$MNT" 2>"$T/err")
is $? 0 "status 0"
is "$out" "$(printf '%-16s %-9s %5s %-*s %*s %-7s %3s %7s %7s %10s\n' \
	KEY MODE COUNT $owner_width OWNER $pid_width PID COMMAND UID EXPIRES WAITERS GENERATION \
	build/nightly/42 exclusive 1 $owner_width "$nested_pid-$nested_pid" $pid_width "$nested_pid" touch 0 - 0 "$gen_nested" \
	counter exclusive 2 $owner_width "$fsop_pid-$fsop_pid" $pid_width "$fsop_pid" fsop 0 - 0 "$gen_counter" \
	deploy exclusive 1 $owner_width "$touch_pid-$touch_pid" $pid_width "$touch_pid" touch 0 - 0 "$gen_deploy")" \
	"the table: one aligned line per lock, sorted by key, numbers right-aligned"
is "$(cat "$T/err")" "" "nothing on stderr"
[ "$gen_deploy" -lt "$gen_nested" ] && [ "$gen_nested" -lt "$gen_counter" ]
ok $? "generations are the acquisitions' fencing tokens ($gen_deploy < $gen_nested < $gen_counter)"

out=$("$LSLOCKFS" -r "$MNT")
is "$(head -n 1 <<<"$out")" "KEY MODE COUNT OWNER PID COMMAND UID HELD EXPIRES WAITERS GENERATION" \
	"the default columns, in lslocks' order of ideas"
like "$(sed -n 2p <<<"$out")" "build/nightly/42 exclusive 1 $nested_pid-$nested_pid $nested_pid touch 0 [0-9]s - 0 $gen_nested" \
	"HELD counts seconds since the acquisition"

# A process that waits shows in WAITERS; when the lock is broken it becomes the holder.
touch "$MNT/deploy" &
waiter_pid=$!
wait_until waiters_are "$MNT/deploy" 1
ok $? "a second touch waits for deploy"
is "$("$LSLOCKFS" -r -n -o KEY,WAITERS,PID "$MNT")" "build/nightly/42 0 $nested_pid
counter 0 $fsop_pid
deploy 1 $touch_pid" "WAITERS is 1 on deploy while it waits"
rm "$MNT/deploy"
wait $waiter_pid
is $? 0 "the waiter got deploy once it was broken"
gen_waiter=$(xattr "$MNT/deploy" user.lock.generation)
is "$("$LSLOCKFS" -r -n -o KEY,OWNER,PID,COMMAND,WAITERS,GENERATION "$MNT" | grep '^deploy ')" \
	"deploy $waiter_pid-$waiter_pid $waiter_pid touch 0 $gen_waiter" \
	"the waiter is the new holder, with a new generation"
[ "$gen_waiter" -gt "$gen_counter" ]
ok $? "larger than every generation before ($gen_waiter)"

# Re-entry raises COUNT; an rm by the owner's thread would lower it (README), the table follows.
"$FSOP" open "$MNT/again" wc + open "$MNT/again" w + open "$MNT/again" w >/dev/null
is "$("$LSLOCKFS" -r -n -o KEY,COUNT "$MNT" | grep '^again ')" "again 3" "three opens by one thread: COUNT 3"

# A TTL: EXPIRES counts down, HELD counts up; without one EXPIRES is "-".
setfattr -n user.lock.ttl -v 125 "$MNT/counter"
like "$("$LSLOCKFS" -r -n -o KEY,EXPIRES "$MNT" | grep '^counter ')" "counter 2m[45]s" \
	"a TTL of 125 s shows as 2m5s left"
is "$("$LSLOCKFS" -r -n -o KEY,EXPIRES "$MNT" | grep '^again ')" "again -" "no TTL: EXPIRES is -"
setfattr -n user.lock.ttl -v 3 "$MNT/counter"
like "$("$LSLOCKFS" -r -n -o KEY,EXPIRES "$MNT" | grep '^counter ')" "counter [123]s" "a TTL of 3 s: seconds left"
lock_gone() { [ ! -e "$MNT/counter" ]; }
wait_until lock_gone
ok $? "the lock expires"
is "$("$LSLOCKFS" -r -n -o KEY "$MNT")" "again
build/nightly/42
deploy" "and is no longer listed"

# Every lock of the mount, at any depth, and nothing else (directories are no locks).
mkdir -p "$MNT/empty/dir"
touch "$MNT/build/top"
is "$("$LSLOCKFS" -r -n -o KEY "$MNT")" "$(cd "$MNT" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)" \
	"KEY lists exactly the lock files find sees"
finish
