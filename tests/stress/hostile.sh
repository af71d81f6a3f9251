#!/usr/bin/env bash
# Several processes send a seeded random sequence of operations, many malformed, for
# a fixed time: the daemon never crashes, every operation gets a documented errno,
# and at the end the listing equals the held locks in the database and metadata.count
# equals the rows.
. "$(dirname "$0")/../fs/lib.sh"
CLIENT=${LOCKFS_STRESS_CLIENT:?}
seconds=${LOCKFS_STRESS_SECONDS:-15}
mount_lockfs --timeout=0.2 || exit 1
mkdir "$MNT/d1" "$MNT/d2"

clients=()
for seed in 11 22 33 44; do
	"$CLIENT" hostile "$MNT" "$seed" "$seconds" >"$T/hostile.$seed" 2>&1 &
	clients+=($!)
done
status=0
for pid in "${clients[@]}"; do wait "$pid" || status=1; done
is "$status" 0 "every operation got success or a documented errno"
cat "$T"/hostile.* | sed 's/^/# /'
total=$(cat "$T"/hostile.* | sed -n 's/^operations=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
[ "${total:-0}" -gt 1000 ]
ok $? "the clients made $total operations"
kill -0 "$DAEMON_PID"
ok $? "the daemon is still running"

sleep 6 # every TTL a client could set (at most 5 s) has run out
sql "SELECT hex(key), hex(value), mode, expire_time FROM cache WHERE raw = 0" >"$T/rows"
listing=$(cd "$MNT" && find . -type f | sed 's|^\./||' | sort)
held=$(/usr/bin/python3 - "$T/rows" <<'PYEOF'
import pickle, sys, time
now = time.time()
for line in open(sys.argv[1]):
    key, value, mode, expire = line.rstrip("\n").split("|")
    try:
        name = pickle.loads(bytes.fromhex(key))
    except Exception:
        continue
    if not isinstance(name, str) or (expire and float(expire) <= now):
        continue
    if mode == "0" and not value:
        pass
    elif mode == "3":
        v = pickle.loads(bytes.fromhex(value))
        if not (isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) and v[1] > 0):
            continue
    else:
        continue
    parts = name.split("/")
    if any(p in ("", ".", "..") or len(p.encode()) > 255 for p in parts):
        continue
    print(name)
PYEOF
)
is "$listing" "$(echo "$held" | sort)" "the listing equals the held locks in the database"
note "held at the end: $(echo "$held" | grep -c .)"
is "$(sql "SELECT value FROM metadata WHERE key = 'count'")" "$(sql "SELECT count(*) FROM cache")" \
	"metadata count equals the rows"
is "$(sql "PRAGMA integrity_check")" ok "integrity_check passes"
finish
