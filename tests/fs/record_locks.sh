#!/usr/bin/env bash
# fcntl record locks and OFD locks on lock files: F_SETLK conflicts answer
# EAGAIN, F_GETLK names the holder, the POSIX rule (closing any descriptor of
# the file releases the process's lock), OFD locks surviving that, conversions
# in place, EINTR for a signal, and Python's fcntl.lockf in a `none` directory
# and binding the open's hold in an `acquire` one.
. "$(dirname "$0")/lib.sh"
LOCKOP=${LOCKFS_LOCKOP:?LOCKFS_LOCKOP is not set}
mount_lockfs || exit 1
mkdir "$MNT/var"
is "$("$FSOP" setxattr "$MNT/var" user.lock.open none)" OK "a none directory"

# An open that takes nothing, then F_SETLK, then the POSIX rule.
"$LOCKOP" open 0 "$MNT/var/r" rwc + mark "$T/a" + await "$T/b" + setlk 0 w + mark "$T/c" \
	+ await "$T/d" + open 1 "$MNT/var/r" r + close 1 + mark "$T/e" + await "$T/f" >"$T/holder" &
holder=$!
wait_until test -e "$T/a"
is "$(ls "$MNT/var")" r "an open in a none directory shows the name"
is "$(xattr "$MNT/var/r" user.lock.count) $(xattr "$MNT/var/r" user.lock.owner)" "0 ENODATA" \
	"and holds nothing"
is "$(sql "SELECT count(*) FROM cache")" 0 "no row in the cache"
touch "$T/b"
wait_until test -e "$T/c"
is "$(xattr "$MNT/var/r" user.lock.bound) $(xattr "$MNT/var/r" user.lock.owner)" "posix posix:$holder" \
	"F_SETLK F_WRLCK: bound posix, owned by the process"
is "$("$LOCKOP" open 0 "$MNT/var/r" rw + setlk 0 w + setlk 0 r + getlk 0 r | tr '\n' ' ')" \
	"OK EAGAIN EAGAIN OK w pid=$holder " \
	"another process: F_SETLK write and read answer EAGAIN, F_GETLK names the holder"
is "$(waiters "$MNT/var/r")" 0 "and nobody waits"
touch "$T/d"
wait_until test -e "$T/e"
is "$(xattr "$MNT/var/r" user.lock.count)" 0 \
	"the holder opens and closes another descriptor: its lock is released (the POSIX rule)"
is "$("$LOCKOP" open 0 "$MNT/var/r" rw + getlk 0 w + setlk 0 w | tr '\n' ' ')" "OK OK unlocked OK " \
	"F_GETLK then finds it free and F_SETLK takes it"
touch "$T/f"
wait "$holder"
is "$(tr '\n' ' ' <"$T/holder")" "OK OK OK OK OK OK OK OK OK OK " "every call of the holder succeeded"
wait_until test ! -e "$MNT/var/r"
ok $? "the name goes when nothing holds or opens it"

# OFD locks belong to the description: they survive the process closing another fd.
"$LOCKOP" open 0 "$MNT/var/o" rwc + ofd 0 w + mark "$T/g" + await "$T/h" + open 1 "$MNT/var/o" r \
	+ close 1 + mark "$T/i" + await "$T/j" + close 0 + mark "$T/k" + await "$T/l" >"$T/ofd" &
holder=$!
wait_until test -e "$T/g"
is "$("$LOCKOP" open 0 "$MNT/var/o" rw + ofd 0 w + ofdgetlk 0 r | tr '\n' ' ')" "OK EAGAIN OK w pid=-1 " \
	"F_OFD_SETLK conflicts with EAGAIN; F_OFD_GETLK reports a write lock"
touch "$T/h"
wait_until test -e "$T/i"
is "$(xattr "$MNT/var/o" user.lock.count) $(xattr "$MNT/var/o" user.lock.bound)" "1 ofd" \
	"an OFD lock stays when its process closes another descriptor, and shows as ofd"
touch "$T/j"
wait_until test -e "$T/k"
wait_until test ! -e "$MNT/var/o"
ok $? "and goes with its description's last close"
touch "$T/l"
wait "$holder"

# Conversions change the lock in place.
"$LOCKOP" open 0 "$MNT/var/cv" rwc + setlk 0 r + mark "$T/m" + await "$T/n" + setlk 0 w \
	+ mark "$T/o" + await "$T/p" >/dev/null &
wait_until test -e "$T/m"
is "$(xattr "$MNT/var/cv" user.lock.mode)" shared "F_RDLCK: held shared"
touch "$T/n"
wait_until test -e "$T/o"
is "$(xattr "$MNT/var/cv" user.lock.mode) $(xattr "$MNT/var/cv" user.lock.count)" "exclusive 1" \
	"then F_WRLCK: exclusive, still one hold"

# A signal ends a blocked F_SETLKW or flock with EINTR, leaving no waiter.
is "$("$LOCKOP" open 0 "$MNT/var/cv" rw + alarm 300 + setlkw 0 w + alarm 300 + flock 0 ex | tr '\n' ' ')" \
	"OK OK EINTR OK EINTR " "F_SETLKW and flock interrupted by a signal answer EINTR"
is "$(waiters "$MNT/var/cv")" 0 "and leave no waiter"
touch "$T/p"
wait_jobs
wait_until test ! -e "$MNT/var/cv"

# F_SETLKW waits, without lockfs's timeout, and is granted at the release.
"$LOCKOP" open 0 "$MNT/var/w" rwc + setlk 0 w + mark "$T/q" + await "$T/r" >/dev/null &
wait_until test -e "$T/q"
"$LOCKOP" open 0 "$MNT/var/w" rw + setlkw 0 w + getlk 0 w >"$T/waiter" &
wait_until waiters_are "$MNT/var/w" 1
ok $? "F_SETLKW waits"
touch "$T/r"
wait_jobs
is "$(tr '\n' ' ' <"$T/waiter")" "OK OK OK unlocked " "and is granted when the holder exits"

# Python: fcntl.lockf in the none directory, and binding an open's lock elsewhere.
/usr/bin/python3 - "$MNT" "$FSOP" >"$T/py" <<'PYEOF'
import fcntl, os, subprocess, sys
mnt, fsop = sys.argv[1], sys.argv[2]
def attr(path, name):
    return subprocess.run([fsop, "getxattr", path, name], capture_output=True, text=True).stdout.split()[-1]
fd = os.open(mnt + "/var/py", os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("lockf", attr(mnt + "/var/py", "user.lock.bound"), attr(mnt + "/var/py", "user.lock.count"))
fcntl.lockf(fd, fcntl.LOCK_UN)
print("unlocked", attr(mnt + "/var/py", "user.lock.count"))
os.close(fd)
with open(mnt + "/acquired", "w") as f:
    print("opened", attr(mnt + "/acquired", "user.lock.count"))
    fcntl.lockf(f, fcntl.LOCK_EX)
    print("bound", attr(mnt + "/acquired", "user.lock.bound"), attr(mnt + "/acquired", "user.lock.count"))
PYEOF
is "$(tr '\n' ' ' <"$T/py")" "lockf posix 1 unlocked 0 opened 1 bound posix 1 " \
	"Python lockf: bound posix in a none directory; binds the open's hold in an acquire one"
wait_until test -z "$(ls -A "$MNT/var")" -a ! -e "$MNT/acquired"
ok $? "both released when Python closed them"
is "$(sql "SELECT count(*) FROM cache") $(hold_count)" "0 0" \
	"no row and no hold left"
finish
