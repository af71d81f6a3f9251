#!/usr/bin/env bash
# Breaking: a permitted caller who is not the owner breaks a lock (same uid, or root);
# another uid gets EPERM.  Other users act through system programs (setpriv + python3).
. "$(dirname "$0")/lib.sh"
mount_lockfs -o allow_other --timeout=5 || exit 1

PY=/usr/bin/python3
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# pyop OP PATH [ARGS]: an operation as a plain program would do it; prints OK or the errno name.
pyop() {
	"$PY" - "$@" <<'PYEOF'
import errno, os, sys
op, path, *rest = sys.argv[1:]
try:
    if op == "create":
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
    elif op == "unlink":
        os.unlink(path)
    elif op == "settags":
        os.setxattr(path, "user.lock.tags", rest[0].encode())
    elif op == "renew":
        os.utime(path)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PYEOF
}

touch "$MNT/roots"
is "$(as_nobody bash -c "$(declare -f pyop); PY=$PY; pyop unlink '$MNT/roots'")" EPERM \
	"another uid cannot break root's lock"
is "$(as_nobody bash -c "$(declare -f pyop); PY=$PY; pyop settags '$MNT/roots' x")" EPERM \
	"another uid cannot change its tags"
is "$(as_nobody bash -c "$(declare -f pyop); PY=$PY; pyop renew '$MNT/roots'")" EPERM \
	"another uid cannot renew it"
[ -e "$MNT/roots" ]
ok $? "root's lock is still held"

is "$(as_nobody bash -c "$(declare -f pyop); PY=$PY; pyop create '$MNT/nobodys'")" OK \
	"another uid can acquire a lock"
is "$(stat -c %u "$MNT/nobodys")" 65534 "the lock file belongs to its holder's uid"
is "$(xattr "$MNT/nobodys" user.lock.uid)" 65534 "user.lock.uid is the holder's"
is "$(as_nobody bash -c "$(declare -f pyop); PY=$PY; pyop unlink '$MNT/nobodys'")" OK \
	"another process of the same uid breaks it"
[ ! -e "$MNT/nobodys" ]
ok $? "and it is gone"

as_nobody bash -c "$(declare -f pyop); PY=$PY; pyop create '$MNT/again'" >/dev/null
rm "$MNT/again"
ok $? "root breaks anyone's lock"
[ ! -e "$MNT/again" ]
ok $? "and it is gone"
grep -q "lock again held by .* broken by uid 0" "$T/daemon.log"
ok $? "the break is logged"
finish
