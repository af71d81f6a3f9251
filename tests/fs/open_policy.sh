#!/usr/bin/env bash
# What an open does, per directory (user.lock.open, inherited; --open for the
# root): acquire (a lock kept until rm), bound (released at the last close:
# Python's `with open(...)`), none (nothing; only flock/fcntl lock).  A
# read-only create of a free name (flock(1)'s open) acquires nowhere.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}

message=$("$LOCKFS" -f --open=sometimes "$CACHE" "$MNT" 2>&1)
is "$?:$message" "1:lockfs: bad open mode 'sometimes': acquire, bound or none" \
	"a bad --open is refused in one line naming it"
mount_lockfs --open=bound || exit 1

# The root's opens are bound: Python's with-block holds exactly for the block.
( /usr/bin/python3 - "$MNT" "$FSOP" "$T" >"$T/py" <<'PYEOF'
import os, subprocess, sys, time
mnt, fsop, t = sys.argv[1:4]
def attr(name):
    return subprocess.run([fsop, "getxattr", mnt + "/job", name], capture_output=True, text=True).stdout.split()[-1]
with open(mnt + "/job", "w") as f:
    print(attr("user.lock.count"), attr("user.lock.bound"))
    open(t + "/inside", "w").close()
    while not os.path.exists(t + "/go"):
        time.sleep(0.01)
PYEOF
) &
wait_until test -e "$T/inside"
"$FSOP" open "$MNT/job" w >"$T/second" &
wait_until waiters_are "$MNT/job" 1
ok $? "a second open for writing waits"
touch "$T/go"
wait_until test -s "$T/second"
is "$(cat "$T/second")" OK "and is granted when the with-block closes the file"
wait_jobs
is "$(cat "$T/py")" "1 open" "inside the block: held once, bound 'open'"
wait_until mount_is_empty
ok $? "both released by their closes"

# The same thread opening twice waits for itself in a bound directory.
is "$("$LOCKOP" open 0 "$MNT/self" wc + alarm 300 + open 1 "$MNT/self" w | tr '\n' ' ')" "OK OK EINTR " \
	"a second open of a held name by the same thread waits (here until a signal)"
exec 9>"$MNT/shell"
is "$(xattr "$MNT/shell" user.lock.bound)" open "exec 9>lock holds while fd 9 is open"
exec 9>&-
wait_until test ! -e "$MNT/shell"
ok $? "and releases at exec 9>&-"

# none: opens acquire nothing; the name shows while open; flock still locks.
mkdir -p "$MNT/var/sub"
is "$("$FSOP" setxattr "$MNT/var" user.lock.open none)" OK "user.lock.open none on a directory"
is "$("$FSOP" setxattr "$MNT/var" user.lock.open sometimes)" EINVAL "a bad value is EINVAL"
is "$(xattr "$MNT/var" user.lock.open)" none "and changes nothing"
"$LOCKOP" open 0 "$MNT/var/sub/n" wc + mark "$T/n" + await "$T/n.go" + flock 0 ex + mark "$T/n2" \
	+ await "$T/n2.go" >"$T/n.out" &
wait_until test -e "$T/n"
is "$(ls "$MNT/var/sub") $(xattr "$MNT/var/sub/n" user.lock.count)" "n 0" \
	"an open below it (inherited) shows the name and holds nothing"
is "$("$FSOP" open "$MNT/var/sub/n" w)" OK "another open for writing is not held up"
touch "$T/n.go"
wait_until test -e "$T/n2"
is "$(xattr "$MNT/var/sub/n" user.lock.count) $(xattr "$MNT/var/sub/n" user.lock.bound)" "1 flock" \
	"flock on it locks"
touch "$T/n2.go"
wait_jobs
wait_until test ! -e "$MNT/var/sub/n"
ok $? "gone when closed"

# acquire below a bound root, and a read-only create of a free name.
mkdir "$MNT/keep"
is "$("$FSOP" setxattr "$MNT/keep" user.lock.open acquire)" OK "user.lock.open acquire"
touch "$MNT/keep/stays"
is "$(xattr "$MNT/keep/stays" user.lock.count)" 1 "touch there takes a lock that outlives it"
"$LOCKOP" open 0 "$MNT/keep/free" rc + mark "$T/r" + await "$T/r.go" >/dev/null &
wait_until test -e "$T/r"
is "$(ls "$MNT/keep" | tr '\n' ' ')" "free stays " "O_RDONLY|O_CREAT of a free name shows it while open"
is "$(xattr "$MNT/keep/free" user.lock.count) $(cat "$MNT/keep/free" | head -2 | tr '\n' ' ')" \
	"0 key: keep/free count: 0 " "and holds nothing"
touch "$T/r.go"
wait_jobs
wait_until test ! -e "$MNT/keep/free"
ok $? "gone when closed"
rm "$MNT/keep/stays"
is "$(sql "SELECT count(*) FROM cache") $(hold_count)" "0 0" \
	"no row and no hold left"
finish
