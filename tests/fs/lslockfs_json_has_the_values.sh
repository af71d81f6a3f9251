#!/usr/bin/env bash
# lslockfs --json prints one JSON object {"locks": [...]}: lower-case field names,
# numbers as numbers, null for what a lock does not have, keys as they are (quotes,
# backslashes and newlines escaped by JSON, not by lslockfs); no locks: an empty list.
# BOUND, not a default field, is "flock" for a flock(2) lock and null for one touch took.
. "$(dirname "$0")/lib.sh"
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
mount_lockfs --timeout=20 || exit 1

# summary FILE: one line per lock, held and expires reduced to their type and range.
summary() {
	/usr/bin/python3 - "$1" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
print("top-level keys:", sorted(doc))
for lock in doc["locks"]:
    held, expires = lock.pop("held"), lock.pop("expires")
    print(json.dumps(lock, sort_keys=True, ensure_ascii=False),
          "held:", type(held).__name__, 0 <= held < 60,
          "expires:", expires if expires is None else (type(expires).__name__, 100 < expires <= 125))
PYEOF
}

"$LSLOCKFS" --json "$MNT" >"$T/empty.json" 2>"$T/err"
is $? 0 "no locks: status 0"
/usr/bin/python3 -c 'import json,sys; assert json.load(sys.stdin) == {"locks": []}' <"$T/empty.json"
ok $? "no locks: {\"locks\": []}"
is "$(cat "$T/err")" "" "nothing on stderr"

touch "$MNT/deploy" &
touch_pid=$!
wait $touch_pid
setfattr -n user.lock.ttl -v 125 "$MNT/deploy"
odd=$(printf 'q"uo\\te\nline')
"$FSOP" open "$MNT/$odd" wc + open "$MNT/$odd" w >/dev/null &
fsop_pid=$!
wait $fsop_pid
gen_deploy=$(xattr "$MNT/deploy" user.lock.generation)
gen_odd=$(xattr "$MNT/$odd" user.lock.generation)

"$LSLOCKFS" --json "$MNT" >"$T/locks.json" 2>"$T/err"
is $? 0 "status 0"
/usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/locks.json"
ok $? "--json parses"
is "$(cat "$T/err")" "" "nothing on stderr"
is "$(summary "$T/locks.json")" "top-level keys: ['locks']
{\"command\": \"touch\", \"count\": 1, \"generation\": $gen_deploy, \"key\": \"deploy\", \"mode\": \"exclusive\", \"mount\": \"$MNT\", \"owner\": \"$touch_pid-$touch_pid\", \"pid\": $touch_pid, \"uid\": 0, \"waiters\": 0} held: float True expires: ('float', True)
{\"command\": \"fsop\", \"count\": 2, \"generation\": $gen_odd, \"key\": \"q\\\"uo\\\\te\\nline\", \"mode\": \"exclusive\", \"mount\": \"$MNT\", \"owner\": \"$fsop_pid-$fsop_pid\", \"pid\": $fsop_pid, \"uid\": 0, \"waiters\": 0} held: float True expires: None" \
	"every default field with its value and type, the key as it is, null without a TTL"

# -o chooses the fields; a waiter shows as a number.
touch "$MNT/deploy" &
waiter_pid=$!
wait_until waiters_are "$MNT/deploy" 1
"$LSLOCKFS" -J -o key,waiters,generation "$MNT" >"$T/some.json"
is "$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["locks"])' <"$T/some.json")" \
	"[{'key': 'deploy', 'waiters': 1, 'generation': $gen_deploy}, {'key': 'q\"uo\\\\te\\nline', 'waiters': 0, 'generation': $gen_odd}]" \
	"-o chooses and orders the fields; waiters 1 while a process waits"
rm "$MNT/deploy"
wait $waiter_pid
is $? 0 "the waiter got the lock"

# BOUND, asked for: how a lock is bound to an open file, null for one an open took
# (deploy, now held by the waiter's touch).
"$LOCKOP" open 0 "$MNT/flocked" rc + flock 0 ex + mark "$T/held" + await "$T/go" >"$T/holder" &
holder_pid=$!
wait_until test -e "$T/held"
"$LSLOCKFS" -J -o key,bound,mode,owner "$MNT" >"$T/bound.json"
is "$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["locks"][:2])' <"$T/bound.json")" \
	"[{'key': 'deploy', 'bound': None, 'mode': 'exclusive', 'owner': '$waiter_pid-$waiter_pid'}, {'key': 'flocked', 'bound': 'flock', 'mode': 'exclusive', 'owner': 'flock:$holder_pid'}]" \
	"-o +bound: \"flock\" for a flock(2) lock (its owner flock:PID), null for a lock touch took"
touch "$T/go"
wait $holder_pid
is "$(tr '\n' ' ' <"$T/holder")" "OK OK OK OK " "the flock holder's calls all succeeded"
wait_until test ! -e "$MNT/flocked"
ok $? "its exit released the flock lock"

# The layout is libsmartcols', as lslocks -J prints it.
"$LSLOCKFS" -J -o key,count "$MNT/" >"$T/layout.json"
is "$(cat "$T/layout.json")" '{
   "locks": [
      {
         "key": "deploy",
         "count": 1
      },{
         "key": "q\"uo\\te\nline",
         "count": 2
      }
   ]
}' "the text is laid out as lslocks -J lays it out"
finish
