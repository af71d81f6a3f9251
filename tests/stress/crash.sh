#!/usr/bin/env bash
# The daemon is killed (SIGKILL) while 8 clients acquire and release; after
# fusermount3 -u and a remount the database is intact and shows exactly the locks
# the clients were told they hold, except that an operation in flight at the kill
# may have happened or not.  Repeated LOCKFS_STRESS_ROUNDS times (default 3).
. "$(dirname "$0")/../fs/lib.sh"
CLIENT=${LOCKFS_STRESS_CLIENT:?}
rounds=${LOCKFS_STRESS_ROUNDS:-3}

for round in $(seq "$rounds"); do
	mount_lockfs --timeout=inf || exit 1
	clients=()
	for c in $(seq 8); do
		id=$((round * 100 + c))
		"$CLIENT" crash "$MNT" "$T/log.$id" "$id" 600 &
		clients+=($!)
	done
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.5 + (r % 2000) / 1000 }')"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	for pid in "${clients[@]}"; do wait "$pid"; done
	fusermount3 -u "$MNT"
	ok $? "round $round: killed mid-run; fusermount3 -u cleans up"
	is "$(sql "PRAGMA integrity_check")" ok "round $round: integrity_check passes"
	is "$(sql "SELECT value FROM metadata WHERE key = 'count'")" "$(sql "SELECT count(*) FROM cache")" \
		"round $round: metadata count equals the rows"
	mount_lockfs --timeout=inf || exit 1
	out=$(/usr/bin/python3 - "$MNT" "$T" <<'PYEOF'
import glob, os, sys
mnt, tmp = sys.argv[1:]
expected, inflight, ops = {}, {}, 0
for log in glob.glob(os.path.join(tmp, "log.*")):
    pending = None
    for line in open(log):
        f = line.split()
        if f[0] == "B":
            pending = (f[1], f[2])
            expected.setdefault(f[1], 0)
        elif f[0] in "AR":
            expected[f[1]] = int(f[2])
            pending = None
            ops += 1
    if pending:
        inflight[pending[0]] = pending[1]
listed = set(os.listdir(mnt))
bad = []
for name in sorted(set(expected) | listed):
    want = expected.get(name)
    if want is None:
        bad.append("%s: listed but no client took it" % name)
        continue
    got = int(os.getxattr(os.path.join(mnt, name), "user.lock.count")) if name in listed else 0
    ok = {want}
    if name in inflight:
        ok.add(want + 1 if inflight[name] == "+" else want - 1)
    if got not in ok:
        bad.append("%s: count %d, expected %s" % (name, got, sorted(ok)))
print("ops=%d inflight=%d names=%d" % (ops, len(inflight), len(expected)))
for b in bad:
    print("BAD " + b)
PYEOF
)
	note "$(echo "$out" | head -1)"
	is "$(echo "$out" | grep -c '^BAD')" 0 "round $round: the locks are exactly what the clients were told"
	echo "$out" | grep '^BAD' | head -10 | sed 's/^/# /'
	[ "$(echo "$out" | head -1 | sed 's/ops=\([0-9]*\).*/\1/')" -gt 0 ]
	ok $? "round $round: the clients did work before the kill"
	unmount_lockfs
	assert_clean_exit
done
finish
