#!/usr/bin/env bash
# A file closed while the cluster cannot be reached: the lock bound to the
# file stays held meanwhile (nobody else can take it), and it is given up
# as soon as the cluster answers again — not
# when the daemon's session lease runs out (60 s here), nor at its stop.
# Both kinds of bound hold: flock(2), and an open in a directory whose
# opens are bound.
. "$(dirname "$0")/lib.sh"

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
	[ -n "$(etcd_get "$PREFIX/locks/$file")" ]
	ok $? "$what: the lock is still held in etcd meanwhile"
	flock -n "$MNT2/$file" true
	is $? 1 "$what: ...and the other mount cannot take it"
	rm "$CUT"
	wait_until flock -n "$MNT2/$file" true
	ok $? "$what: once the cluster answers, the hold is given up and the other mount takes it"
	[ -z "$(etcd_get "$PREFIX/locks/$file")" ]
	ok $? "$what: ...no lock is left in etcd"
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
finish
