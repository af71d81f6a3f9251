#!/usr/bin/env bash
# Answers lost on the way back: the daemon reaches etcd through a proxy
# that, on demand, lets requests through and throws their answers away.
#  - Lost once, or late past --etcd-timeout: the daemon settles the
#    transaction at once (its fence) and answers as if nothing was lost,
#    for an acquisition, a release and a place in line.
#  - Lost for longer than three timeouts: the operation fails with EIO.  An
#    acquisition carried out all the same must not stay held: the client
#    told EIO tries again and holds the lock once (count 1, not a second
#    count on a lock it was told it did not get), and its rm frees it; with
#    nobody asking again, it is put back within a second or two, even
#    when the putting back is itself lost without being carried out.  A
#    settling whose own answer is lost is recognised by the next one.  A
#    release carried out all the same stays done, and a compare-and-release
#    of its generation then says so (ENOENT).
. "$(dirname "$0")/lib.sh"

start_proxy
ok $? "the proxy listens"

# Named twice, as two members: a request sent again goes to "the other".
ETCD_URLS=http://127.0.0.1:$PROXY_PORT,http://127.0.0.1:$PROXY_PORT mount_etcd --timeout=5 --etcd-timeout=0.3 || exit 1
touch "$MNT/lost" && rm "$MNT/lost"
ok $? "a lock is taken and released through the proxy"

create_revision() {
	etcdctl --endpoints="$ETCD_URLS" get "$1" -w json |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["kvs"][0]["create_revision"])'
}
touch "$CONTROL/lose-next-txn"
touch "$MNT/once"
ok $? "an acquisition whose answer was lost once is settled and granted"
[ ! -e "$CONTROL/lose-next-txn" ]
ok $? "...its answer was lost (the proxy took the order)"
is "$(xattr "$MNT/once" user.lock.count)" 1 "...it holds the lock once"
is "$(xattr "$MNT/once" user.lock.generation)" "$(create_revision "$PREFIX/locks/once")" \
	"...its generation is the key's create_revision"
touch "$CONTROL/lose-next-txn"
rm "$MNT/once"
ok $? "a release whose answer was lost once is settled and done"
[ ! -e "$CONTROL/lose-next-txn" ] && [ -z "$(etcd_get "$PREFIX/locks/once")" ]
ok $? "...its answer was lost, and the lock is free"

# A place in line whose answer was lost once: settled as put, it is kept
# (not put again under another key), and its waiter gets the lock.
revision_now() {
	etcdctl --endpoints="$ETCD_URLS" get / -w json |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["header"]["revision"])'
}
places_put_since() { # REVISION: the places of that line put since then
	timeout 2 etcdctl --endpoints="$ETCD_URLS" watch --prefix --rev="$1" "$PREFIX/waiters/line//" |
		awk 'put { print; put = 0 } $0 == "PUT" { put = 1 }' | sort -u | grep -c .
}
touch "$MNT/line"
before=$(revision_now)
# The request that puts a place in that line (the line's prefix is 27
# bytes, so its base64 starts every key's under it).
printf '"request_put":{"key":"%s' "$(printf '%s' "$PREFIX/waiters/line//" | base64 -w0)" \
	>"$CONTROL/lose-next-txn"
touch "$MNT/line" & # another process: it waits in line
waiter=$!
placed() { [ ! -e "$CONTROL/lose-next-txn" ] && [ "$(etcd_count "$PREFIX/waiters/line//")" = 1 ]; }
wait_until placed
ok $? "a place in line whose answer was lost once is there"
sleep 0.5 # past its settling
rm "$MNT/line"
wait "$waiter"
ok $? "...and its waiter got the lock when it was released"
is "$(etcd_count "$PREFIX/waiters/line//")" 0 "...leaving no place behind"
is "$(places_put_since $((before + 1)))" 1 "...settled as put: one place was put, not a second one"
rm "$MNT/line"

# An answer that does not come in time on a kept connection: the request
# was written, so it is settled, never sent again as if it had not been.
touch "$CONTROL/hold-next-txn"
touch "$MNT/slow"
ok $? "an acquisition whose answer did not come in time is settled and granted"
[ ! -e "$CONTROL/hold-next-txn" ]
ok $? "...its answer was held back (the proxy took the order)"
is "$(xattr "$MNT/slow" user.lock.count)" 1 "...it holds the lock once"
rm "$MNT/slow"

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
touch "$MNT/lost" && rm "$MNT/lost" # its name and line are known: only the commit goes out
touch "$CONTROL/cut-at-next-txn" # the cut starts with the operation's own commit
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

# Told EIO, then nothing else asked of the daemon: the lock is put back all
# the same, within a second or two.
touch "$CONTROL/cut-at-next-txn" # the cut starts with the operation's own commit
touch "$MNT/lost" 2>"$T/touch.err"
ok $((!$?)) "touch fails while answers are lost"
like "$(cat "$T/touch.err")" "*Input/output error*" "...with EIO"
held_in_etcd
ok $? "etcd carried it out all the same"
rm "$CUT"
wait_until no_lock_left
ok $? "the lost acquisition was put back: the lock is free"

# The same, and then the putting back is itself in doubt: its request
# times out without having been carried out, and no member answers the
# settling that follows.  Once they answer again, it is settled as not
# carried out, and put back then: the lock does not stay held.
touch "$CONTROL/cut-at-next-txn"
touch "$MNT/lost" 2>/dev/null
ok $((!$?)) "touch fails while answers are lost (again)"
held_in_etcd
ok $? "etcd carried it out all the same"
echo 1 >"$CONTROL/swallow-txn" # the settling goes through, the putting back never arrives
rm "$CUT"
swallowed() { [ ! -e "$CONTROL/swallow-txn" ]; }
wait_until swallowed
ok $? "the putting back was sent, and never arrived"
# The daemon gives up on it for now, as when no member answers: a write
# asked of it next (one at a time) fails.
touch "$MNT/probe" 2>/dev/null
ok $((!$?)) "...and the daemon gave up settling it for now (a write fails)"
held_in_etcd
ok $? "...so the lock is still there"
rm "$CUT"
wait_until no_lock_left
ok $? "settled as not carried out, it is put back again: the lock is free"

# An acquisition that never arrives, and then a settling of it whose own
# answer is lost after it moved the fence, with no member answering the
# rest of that settling.  The next settling finds the fence where the lost
# one put it: not carried out, and the daemon goes on.
echo 0 >"$CONTROL/swallow-txn"
touch "$MNT/lost" 2>/dev/null
ok $((!$?)) "touch fails while its acquisition is lost on the way"
touch "$CONTROL/cut-at-next-txn" # the settling of it goes through, its answer does not
rm "$CUT"
settling_lost() { [ ! -e "$CONTROL/cut-at-next-txn" ]; }
wait_until settling_lost
ok $? "a settling of it was sent, and its answer lost"
touch "$MNT/probe" 2>/dev/null
ok $((!$?)) "...and the daemon gave up settling it for now (a write fails)"
rm "$CUT"
touch "$MNT/after" 2>"$T/after.err" && rm "$MNT/after"
ok $? "a lock is taken and released once members answer again" || cat "$T/after.err" >&2
[ -z "$(etcd_get "$PREFIX/locks/lost")" ]
ok $? "...and the acquisition that never arrived holds nothing"

touch "$MNT/release"
generation=$(xattr "$MNT/release" user.lock.generation)
touch "$CONTROL/cut-at-next-txn" # the cut starts with the operation's own commit
rm "$MNT/release" 2>"$T/rm.err"
ok $((!$?)) "rm fails while answers are lost"
like "$(cat "$T/rm.err")" "*Input/output error*" "...with EIO"
gone() { [ -z "$(etcd_get "$PREFIX/locks/release")" ]; }
gone
ok $? "etcd carried it out all the same (the lock key is gone)"
rm "$CUT"
setfattr -n user.lock.release -v "$generation" "$MNT/release" 2>"$T/release.err"
like "$(cat "$T/release.err")" "*No such file or directory*" \
	"a compare-and-release of its generation says it is gone"
touch "$MNT/other" && rm "$MNT/other"
gone
ok $? "the daemon's next write leaves the release done (nothing put back)"
finish
