# lib.sh — sourced by every filesystem test: a private cache and mountpoint
# in a temporary directory, a lockfs daemon in the foreground, TAP output,
# and a cleanup that always unmounts (even when the test dies).
#
# Each test ends with `finish`, which unmounts, asserts that the daemon
# exited 0 without a sanitizer report, prints the plan and sets the status.

set -u

LOCKFS=${LOCKFS_BIN:?LOCKFS_BIN is not set}
FSOP=${LOCKFS_FSOP:?LOCKFS_FSOP is not set}
FIXTURES=${LOCKFS_FIXTURES:?LOCKFS_FIXTURES is not set}

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/fuse ]; then
	if [ "${LOCKFS_ALLOW_SKIP:-0}" = 1 ]; then
		echo "1..0 # SKIP filesystem tests need root and /dev/fuse"
		exit 0
	fi
	echo "Bail out! filesystem tests need root and /dev/fuse (LOCKFS_ALLOW_SKIP=1 skips them)"
	exit 1
fi

T=$(mktemp -d /tmp/lockfs-test.XXXXXX)
chmod 755 "$T"
CACHE=$T/cache
MNT=$T/mnt
DB=$CACHE/cache.db
mkdir -p "$MNT"
DAEMON_PID=
DAEMON_STATUS=
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

is_mounted() { grep -q " $MNT fuse.lockfs " /proc/mounts; }

# mount_lockfs [OPTIONS...]: start lockfs -f on $CACHE at $MNT and wait for the mount.
mount_lockfs() {
	"$LOCKFS" -f "$@" "$CACHE" "$MNT" 2>>"$T/daemon.log" &
	DAEMON_PID=$!
	for _ in $(seq 200); do
		is_mounted && return 0
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			note "lockfs exited before mounting:"
			sed 's/^/# /' "$T/daemon.log"
			return 1
		fi
		sleep 0.05
	done
	note "lockfs did not mount within 10 s"
	return 1
}

# unmount_lockfs: unmount (SIGTERM if the kernel refuses), wait, record the exit status.
unmount_lockfs() {
	if [ -z "$DAEMON_PID" ]; then
		# A daemon that is not ours (started through mount): just unmount.
		is_mounted && { fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT"; }
		return 0
	fi
	if is_mounted && ! fusermount3 -u "$MNT" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
	fi
	for _ in $(seq 200); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		note "lockfs did not stop; killing it"
		kill -KILL "$DAEMON_PID" 2>/dev/null
	fi
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_STATUS=$?
	is_mounted && fusermount3 -uz "$MNT" 2>/dev/null
	DAEMON_PID=
	return 0
}

# The daemon stopped with status 0 and no sanitizer complaint.
assert_clean_exit() {
	is "$DAEMON_STATUS" 0 "lockfs exited with status 0"
	if grep -q -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T/daemon.log"; then
		ok 1 "no sanitizer report"
		sed 's/^/# /' "$T/daemon.log" | head -60
	else
		ok 0 "no sanitizer report"
	fi
}

finish() {
	if [ -n "$DAEMON_PID" ]; then
		unmount_lockfs
		assert_clean_exit
	fi
	echo "1..$TESTS"
	[ "$FAILED" -eq 0 ]
	exit $?
}

# A second daemon: mount_second CACHE MOUNTPOINT [OPTIONS...] starts lockfs -f there
# (its log in $T/daemon2.log) and waits for the mount; SECOND_PID is its pid.
# kill_second stops it with SIGKILL; stop_second (cleanup calls it) with SIGTERM.
SECOND_PID=
SECOND_MNT=
mount_second() {
	local cache=$1
	SECOND_MNT=$2
	shift 2
	"$LOCKFS" -f "$@" "$cache" "$SECOND_MNT" 2>>"$T/daemon2.log" &
	SECOND_PID=$!
	wait_until grep -q " $SECOND_MNT fuse.lockfs " /proc/mounts
}
kill_second() {
	{ kill -KILL "$SECOND_PID"; wait "$SECOND_PID"; } 2>/dev/null
	SECOND_PID=
}
stop_second() {
	[ -n "$SECOND_PID" ] && kill -TERM "$SECOND_PID" 2>/dev/null && wait "$SECOND_PID" 2>/dev/null
	[ -n "$SECOND_MNT" ] && grep -q " $SECOND_MNT fuse.lockfs " /proc/mounts && fusermount3 -uz "$SECOND_MNT"
	SECOND_PID=
	return 0
}

cleanup() {
	local status=$?
	stop_second
	unmount_lockfs
	rm -rf "$T"
	exit $status
}
trap cleanup EXIT

# sql QUERY: ask the cache as an outside client would.
sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }

# hold_count: the bound holds recorded in the cache (a line each in lockfs_holder.holds).
hold_count() { sql "SELECT coalesce(sum(length(holds) - length(replace(holds, char(10), ''))), 0) FROM lockfs_holder"; }

# wait_until COMMAND...: poll (10 ms) until it succeeds, at most 20 s.
wait_until() {
	for _ in $(seq 2000); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.01
	done
	return 1
}

# xattr FILE NAME: the value, or the errno name.
xattr() { "$FSOP" getxattr "$1" "$2" | sed 's/^OK //'; }

# waiters FILE: user.lock.waiters, or "" when the file is gone.
waiters() { "$FSOP" getxattr "$1" user.lock.waiters | sed -n 's/^OK //p'; }

# wait_jobs: wait for the test's background jobs (not the daemons); status of the last.
wait_jobs() {
	local status=0 pid
	for pid in $(jobs -p); do
		[ "$pid" = "$DAEMON_PID" ] || [ "$pid" = "$SECOND_PID" ] && continue
		wait "$pid"
		status=$?
	done
	return $status
}

# waiters_are FILE N: user.lock.waiters of FILE is N now (use with wait_until).
waiters_are() { [ "$(waiters "$1")" = "$2" ]; }

# mount_is_empty: the mount's root lists nothing (use with wait_until).
mount_is_empty() { [ -z "$(ls -A "$MNT")" ]; }
