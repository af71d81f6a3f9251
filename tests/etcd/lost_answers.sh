#!/usr/bin/env bash
# An answer lost on the way back: the daemon reaches etcd through a proxy
# that, on demand, lets requests through and throws their answers away.  An
# acquisition carried out by etcd whose answer was lost, and which the
# daemon could not settle in time, fails with EIO; it must not stay held.
# The client that was told EIO tries again and takes the lock once (count
# 1, not a second count on a lock it was told it did not get), and its rm
# leaves the lock free.
. "$(dirname "$0")/lib.sh"

PROXY_PORT=$ETCD_BASE_PORT
CUT=$T/cut
/usr/bin/python3 "$(dirname "$0")/cutting_proxy.py" "$PROXY_PORT" "$((ETCD_BASE_PORT + 2))" "$CUT" &
PROXY_PID=$!
stop_proxy() {
	local status=$?
	kill "$PROXY_PID" 2>/dev/null
	(exit $status)
	cleanup
}
trap stop_proxy EXIT
wait_until port_taken "$PROXY_PORT"
ok $? "the proxy listens"

ETCD_URLS=http://127.0.0.1:$PROXY_PORT mount_etcd --timeout=5 --etcd-timeout=0.3 || exit 1
touch "$MNT/lost" && rm "$MNT/lost"
ok $? "a lock is taken and released through the proxy"

# The client: open (told EIO while answers are lost), wait for the go, open
# again until it is answered, then report the count it holds and rm.
cat >"$T/client.py" <<'EOF'
import errno, os, sys, time
path, go, log = sys.argv[1:4]
def opened():
    return os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
with open(log, "w", buffering=1) as out:
    try:
        os.close(opened())
        out.write("first: taken\n")
    except OSError as e:
        out.write("first: %s\n" % errno.errorcode[e.errno])
    while not os.path.exists(go):
        time.sleep(0.01)
    while True:
        try:
            fd = opened()
            break
        except OSError as e:
            if e.errno != errno.EIO:
                raise
    out.write("count: %s\n" % os.getxattr(fd, "user.lock.count").decode())
    os.close(fd)
    os.unlink(path)
    out.write("released\n")
EOF
touch "$CUT"
/usr/bin/python3 "$T/client.py" "$MNT/lost" "$T/go" "$T/client.log" &
client=$!
first_answered() { grep -q '^first:' "$T/client.log"; }
wait_until first_answered
is "$(sed -n 's/^first: //p' "$T/client.log")" EIO "the acquisition whose answer was lost fails with EIO"
held_in_etcd() { [ -n "$(etcd_get "$PREFIX/locks/lost")" ]; }
held_in_etcd
ok $? "etcd carried it out all the same (the lock key is there)"

rm "$CUT"
touch "$T/go"
wait "$client"
is $? 0 "the client took the lock on a later try and released it"
is "$(sed -n 's/^count: //p' "$T/client.log")" 1 "it holds the lock once, not twice"
no_lock_left() { [ -z "$(etcd_get "$PREFIX/locks/lost")" ]; }
no_lock_left
ok $? "its rm left the lock free"
touch "$MNT/lost" && rm "$MNT/lost"
ok $? "the lock is taken and released again"

# Told EIO, then nothing else written: the lock is put back all the same,
# at the daemon's next write (here another lock's).
touch "$CUT"
touch "$MNT/lost" 2>"$T/touch.err"
ok $((!$?)) "touch fails while answers are lost"
like "$(cat "$T/touch.err")" "*Input/output error*" "...with EIO"
held_in_etcd
ok $? "etcd carried it out all the same"
rm "$CUT"
touch "$MNT/other" && rm "$MNT/other"
ok $? "another lock is taken and released"
no_lock_left
ok $? "the lost acquisition was put back: the lock is free"
finish
