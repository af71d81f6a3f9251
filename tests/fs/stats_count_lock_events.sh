#!/usr/bin/env bash
# The root's user.lockfs.stats is one JSON object counting what the mount did since it
# started: acquisitions, releases (a shell's rm of a lock its touch took is a break),
# waits, timeouts, interrupts, renewals, compare-and-release refusals and expiries; the
# locks held and the requests waiting now; quantiles of wait and hold times (null until
# there is one).  It is listed, read-only, and absent with --stats=off.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=1 || exit 1

stats() { getfattr --absolute-names --only-values -n user.lockfs.stats "$MNT"; }
# fields NAME...: those fields of the stats, space-separated ("null" for none).
fields() {
	stats | /usr/bin/python3 -c '
import json, sys
doc = json.load(sys.stdin)
out = []
for name in sys.argv[1:]:
    value = doc
    for part in name.split("."):
        value = value[part]
    out.append("null" if value is None else str(value))
print(" ".join(out))' "$@"
}
fields_are() { # fields_are WANT NAME...: wait_until's condition
	local want=$1
	shift
	[ "$(fields "$@")" = "$want" ]
}

/usr/bin/python3 -c 'import json,sys; d = json.loads(sys.argv[1]); assert isinstance(d, dict)' "$(stats)"
ok $? "user.lockfs.stats is one JSON object"
is "$(stats | /usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))')" \
	"started uptime acquisitions releases breaks expiries renewals waits timeouts interrupts compare_release_refusals holds waiters wait_seconds hold_seconds" \
	"its fields, in order"
is "$(fields acquisitions releases holds waiters wait_seconds.count wait_seconds.p50 hold_seconds.p99)" \
	"0 0 0 0 0 null null" "a new mount: nothing counted, no quantile"
like "$(getfattr -d -m - "$MNT" 2>/dev/null)" "*user.lockfs.stats=*" "getfattr -d lists it on the root"
"$FSOP" getxattr "$MNT" user.lockfs.stats >/dev/null
mkdir "$MNT/dir"
is "$("$FSOP" getxattr "$MNT/dir" user.lockfs.stats)" ENODATA "only the root has it"

touch "$MNT/a"
rm "$MNT/a"
is "$(fields acquisitions releases breaks holds hold_seconds.count)" "1 1 1 0 1" \
	"touch then rm: one acquisition, one release (a break: rm is not the owner touch was)"

# A waiter: one wait, then the lock is handed over (an acquisition and a release).
touch "$MNT/b"
"$FSOP" open "$MNT/b" w >"$T/waiter" &
waiter=$!
wait_until waiters_are "$MNT/b" 1
is "$(fields waits waiters holds)" "1 1 1" "one wait, one waiter now, one lock held"
rm "$MNT/b"
wait $waiter
is "$(cat "$T/waiter")" "OK" "the waiter got the lock"
is "$(fields acquisitions releases waits waiters wait_seconds.count)" "3 2 1 0 1" \
	"handed over: 3 acquisitions, 2 releases, 1 wait timed"
/usr/bin/python3 -c 'import sys; p = [float(x) for x in sys.argv[1:]]; assert 0 < p[0] <= p[1] <= p[2] < 60, p' \
	$(fields wait_seconds.p50 wait_seconds.p90 wait_seconds.p99)
ok $? "wait quantiles: 0 < p50 <= p90 <= p99"

# A timeout (the mount's, 1 s) and an interrupt.
is "$("$FSOP" open "$MNT/b" w)" ETIMEDOUT "a second acquisition of b times out"
is "$(fields timeouts waits)" "1 2" "one timeout, after a wait"
touch "$MNT/b" 2>/dev/null
is "$?/$(fields timeouts waits)" "1/2 3" "touch timing out: one more (its setattr after the failed open is no other)"
env --default-signal=INT touch "$MNT/b" &
blocked=$!
wait_until waiters_are "$MNT/b" 1
kill -INT $blocked
wait $blocked
is "$(fields interrupts waits waiters)" "1 4 0" "SIGINT: one interrupt"

# Renewals, a refused compare-and-release, an expiry.
# A renewal moves an expiry: touch's own setattr on a lock it took where a TTL is in force,
# touch -c there, user.lock.ttl; touch -c where no TTL is in force changes nothing.
setfattr -n user.lock.ttl -v 60 "$MNT/dir"
touch "$MNT/dir/c"
is "$(fields renewals)" "1" "touch of a lock where a TTL is in force: one renewal"
touch -c "$MNT/dir/c"
touch -c "$MNT/b"
setfattr -n user.lock.ttl -v 60 "$MNT/b"
is "$(fields renewals)" "3" "then touch -c there and user.lock.ttl: three; touch -c without a TTL: none"
generation=$(xattr "$MNT/b" user.lock.generation)
setfattr -n user.lock.release -v $((generation + 1)) "$MNT/b" 2>/dev/null
is "$(fields compare_release_refusals holds)" "1 2" "another generation: one refusal (the kernel asks twice), b still held"
touch "$MNT/short"
setfattr -n user.lock.ttl -v 0.05 "$MNT/short"
wait_until fields_are "1 2" expiries holds
ok $? "the expired lock is counted once and no longer held"

# Read-only, and unchanged by a failed write.
setfattr -n user.lockfs.stats -v '{}' "$MNT" 2>"$T/err"
is $? 1 "setting user.lockfs.stats fails"
like "$(cat "$T/err")" "*Operation not permitted*" "EPERM"
setfattr -x user.lockfs.stats "$MNT" 2>/dev/null
is $? 1 "removing it fails"
is "$(fields acquisitions)" "5" "the counters are as they were (a, b, b's waiter, dir/c, short)"
unmount_lockfs
assert_clean_exit

mount_lockfs --stats=off || exit 1
is "$("$FSOP" getxattr "$MNT" user.lockfs.stats)" ENODATA "--stats=off: no user.lockfs.stats"
is "$(getfattr -d -m - "$MNT" 2>&1)" "" "nor listed"
unmount_lockfs
assert_clean_exit

"$LOCKFS" --stats=maybe "$T/cache2" "$T/mnt2" 2>"$T/err"
is $? 1 "--stats=maybe is refused"
is "$(cat "$T/err")" "lockfs: bad stats 'maybe': on or off" "in one line naming it"
[ ! -e "$T/cache2/cache.db" ]
ok $? "and creates no cache"
finish
