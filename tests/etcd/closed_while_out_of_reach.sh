#!/usr/bin/env bash
# A file closed while the cluster cannot be reached: the lock bound to the
# file stays held meanwhile (nobody else can take it), and it is given up
# as soon as the cluster answers again — not
# when the daemon's session lease runs out (60 s here), nor at its stop.
# Both kinds of bound hold: flock(2), and an open in a directory whose
# opens are bound; and a record lock whose owner waits in line meanwhile.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}

start_proxy
ok $? "the proxy listens"
# Named twice, as two members: a request sent again goes to "the other".
ETCD_URLS=http://127.0.0.1:$PROXY_PORT,http://127.0.0.1:$PROXY_PORT \
	mount_etcd --etcd-timeout=0.3 --session-ttl=60 || exit 1
mount_etcd_second || exit 1
ok $? "two mounts: the first through the proxy"

mkdir "$MNT/bound" && setfattr -n user.lock.open -v bound "$MNT/bound"
ok $? "a directory whose opens are bound"

given_up_later() { [ "$(grep -c "a closed file's hold is given up once" "$T/daemon.log")" = "$1" ]; }
given_up() { [ "$(grep -c "a closed file's hold is given up$" "$T/daemon.log")" = "$1" ]; }
# logged N "LINE": the daemon's log has LINE N times.
logged() { [ "$(grep -c -- "$2" "$T/daemon.log")" = "$1" ]; }

# close_out_of_reach FILE WHAT: FILE is held through the first mount by fd
# 9 of this shell; close fd 9 while the proxy lets nothing through.
close_out_of_reach() {
	local file=$1 what=$2
	flock -n "$MNT2/$file" true
	is $? 1 "$what: held through one mount, the other cannot take it"
	echo 0 >"$CONTROL/swallow-txn" # the next txn is never carried out; then all is cut
	exec 9>&-
	wait_until given_up_later "$3"
	ok $? "$what: the daemon could not give the hold up, and says it will"
	[ ! -e "$CONTROL/swallow-txn" ] && [ -e "$CUT" ]
	ok $? "$what: ...its release was never carried out (the proxy took the order)"
	wait_until logged "$3" "etcd at '.*': no member answers within 0.3 s; what cannot wait fails with EIO"
	ok $? "$what: the log says that no member answers"
	[ -n "$(etcd_get "$PREFIX/locks/$file")" ]
	ok $? "$what: the lock is still held in etcd meanwhile"
	flock -n "$MNT2/$file" true
	is $? 1 "$what: ...and the other mount cannot take it"
	rm "$CUT"
	wait_until flock -n "$MNT2/$file" true
	ok $? "$what: once the cluster answers, the hold is given up and the other mount takes it"
	[ -z "$(etcd_get "$PREFIX/locks/$file")" ]
	ok $? "$what: ...no lock is left in etcd"
	logged "$3" "etcd at '.*': a member answers again$"
	ok $? "$what: ...and the log says that a member answers again"
}

exec 9>"$MNT/flocked"
flock 9
ok $? "flock taken through the first mount"
is "$(xattr "$MNT/flocked" user.lock.bound)" flock "...bound to the file"
close_out_of_reach flocked "flock" 1

exec 9>"$MNT/bound/opened"
ok $? "an open for writing in the bound directory"
is "$(xattr "$MNT/bound/opened" user.lock.bound)" open "...holds the lock while the file is open"
close_out_of_reach bound/opened "bound open" 2

grep -q "a closed file's hold is given up$" "$T/daemon.log"
ok $? "the daemon says when it gave a closed file's hold up"
exec 9>"$MNT/flocked" && flock -n 9 && exec 9>&-
ok $? "the first mount takes and gives up locks again"

# A process waits to turn its shared record lock exclusive (another process
# shares it) and closes another descriptor of the file while the cluster
# cannot be reached: its shared hold is kept for the retry.  The other
# process then lets go as soon as the cluster answers.  The waiter, of the
# same owner as the kept hold, is granted only once that hold is given up,
# and the lock it is granted stays its own (given to it before, it would
# have been released by the retry).
mkdir "$MNT/none" && setfattr -n user.lock.open -v none "$MNT/none"
"$LOCKOP" open 0 "$MNT/none/rec" rwc + setlk 0 r + mark "$T/q1" + await "$T/q2" + setlk 0 u \
	+ await "$T/q3" >"$T/sharer" &
sharer=$!
wait_until test -e "$T/q1"
/usr/bin/python3 - "$MNT/none/rec" "$T" >"$T/upgrader" 2>&1 <<'PYEOF' &
import fcntl, os, sys, threading, time
path, t = sys.argv[1], sys.argv[2]
def mark(name):
    open(os.path.join(t, name), "w").close()
def wait(name):
    while not os.path.exists(os.path.join(t, name)):
        time.sleep(0.005)
first = os.open(path, os.O_RDWR)
fcntl.lockf(first, fcntl.LOCK_SH)
second = os.open(path, os.O_RDWR)
def upgrade():
    fcntl.lockf(second, fcntl.LOCK_EX)
    mark("p-exclusive")
waiter = threading.Thread(target=upgrade)
waiter.start()
mark("p1")
wait("p2")
try:
    os.close(first)
except OSError as e:
    print("close", e.errno)
mark("p-closed")
waiter.join()
wait("p3")
print("done")
PYEOF
upgrader=$!
wait_until test -e "$T/p1" && wait_until waiters_are "$MNT/none/rec" 1
ok $? "record locks: one process shares, the other waits to make its share exclusive"
echo 0 >"$CONTROL/swallow-txn"
touch "$T/p2"
wait_until test -e "$T/p-closed" && wait_until given_up_later 3
ok $? "record locks: it closes another descriptor while nothing gets through; its hold is kept"
rm "$CUT"
touch "$T/q2"
wait_until test -e "$T/p-exclusive"
ok $? "record locks: once the cluster answers and the sharer lets go, the waiter is granted"
wait_until given_up 3
ok $? "record locks: ...and the closed descriptor's hold is given up"
is "$(xattr "$MNT/none/rec" user.lock.mode) $(xattr "$MNT/none/rec" user.lock.count) $(xattr "$MNT/none/rec" user.lock.owner)" \
	"exclusive 1 posix:$upgrader" "record locks: the lock is the waiter's, exclusive, one hold"
is "$("$LOCKOP" open 0 "$MNT2/none/rec" rw + setlk 0 w + setlk 0 r | tr '\n' ' ')" "OK EAGAIN EAGAIN " \
	"record locks: ...and another process cannot take it, through either mount"
touch "$T/q3" "$T/p3"
wait "$sharer" "$upgrader"
wait_until test ! -e "$MNT2/none/rec"
ok $? "record locks: the name goes once both processes are gone"
finish
