#!/usr/bin/env bash
# lockfs@.service's commands, run as systemd runs them with the unit's
# hardening that can be had without systemd (its CapabilityBoundingSet= and
# NoNewPrivileges=, through setpriv): ExecStartPre makes the mountpoint,
# ExecStart mounts with the cache in the StateDirectory and LOCKFS_OPTIONS
# applied, ExecStartPost returns once the mount answers, other users can take
# locks (allow_other), KillSignal stops it with waiters answered ENOTCONN and
# exit 0, and after a SIGKILL the same commands (Restart=on-failure) mount
# again over the dead mount, with the held locks still held.
. "$LOCKFS_SOURCE/tests/fs/lib.sh"

UNIT=$LOCKFS_UNIT
if ! command -v systemd-escape >/dev/null; then
	skip_reason="systemd-escape is missing (scripts/deps installs systemd)"
	echo "1..0 # SKIP $skip_reason"
	exit 0
fi

value() { sed -n "s/^$1=//p" "$UNIT"; }

# A mountpoint that does not exist yet: the unit makes it.
MNT=$T/svc/locks
INSTANCE=$(systemd-escape --path "$MNT")
STATE=$T/state # %S, /var/lib for the system's units
CACHE=$STATE/lockfs/$INSTANCE

# expand LINE: the unit's specifiers and $$ as systemd expands them, the
# values quoted for the shell that runs the line.
expand() {
	local s=$1 i f S
	i=$(printf '%q' "$INSTANCE")
	f=$(printf '%q' "$(systemd-escape --unescape --path "$INSTANCE")")
	S=$(printf '%q' "$STATE")
	s=${s//%%/$'\x01'}
	s=${s//%i/"$i"}
	s=${s//%f/"$f"}
	s=${s//%S/"$S"}
	s=${s//$'\x01'/%}
	printf '%s' "${s//'$$'/'$'}"
}

# command_of KEY: the command line of KEY= in the array cmd; ignore=1 for a "-" prefix.
command_of() {
	local line
	line=$(expand "$(value "$1")")
	ignore=0
	if [[ $line == -* ]]; then
		ignore=1
		line=${line#-}
	fi
	eval "cmd=($line)"
}

# The hardening setpriv can apply: the bounding set and no_new_privs.
bounding=-all
for cap in $(value CapabilityBoundingSet); do
	cap=${cap#CAP_}
	bounding="$bounding,+${cap,,}"
done
hardening=(--bounding-set "$bounding" --inh-caps -all)
[ "$(value NoNewPrivileges)" = yes ] && hardening+=(--no-new-privs)
note "setpriv ${hardening[*]}"

# start_unit: StateDirectory, ExecStartPre, ExecStart (in the background,
# DAEMON_PID), ExecStartPost; the status of ExecStartPost, 0 once started.
start_unit() {
	install -d -m 0755 "$STATE/lockfs"
	install -d -m "$(value StateDirectoryMode)" "$CACHE"
	command_of ExecStartPre
	"${cmd[@]}" 2>>"$T/daemon.log" || [ "$ignore" = 1 ] || return 1
	command_of ExecStart
	# The unit names the installed lockfs; this test runs the built one.
	[ "${cmd[0]}" = "$LOCKFS_PREFIX/$LOCKFS_BINDIR/lockfs" ] && cmd[0]=$LOCKFS_BIN
	setpriv "${hardening[@]}" "${cmd[@]}" 2>>"$T/daemon.log" &
	DAEMON_PID=$!
	# ExecStartPost, ended (as systemd ends it) when the main process exits.
	command_of ExecStartPost
	timeout 20 "${cmd[@]}" &
	local post=$!
	while kill -0 "$post" 2>/dev/null; do
		if ! running "$DAEMON_PID"; then
			kill "$post" 2>/dev/null
			wait "$post"
			return 1
		fi
		sleep 0.05
	done
	wait "$post"
}

# running PID: the process exists and has not exited (a zombie has).
running() { [ -e "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }

export LOCKFS_OPTIONS="--timeout=30 --tag=unit"
start_unit
is $? 0 "ExecStartPre, ExecStart and ExecStartPost succeed: started"
is_mounted
ok $? "the instance $INSTANCE is mounted at $MNT"
if ! is_mounted; then
	sed 's/^/# /' "$T/daemon.log"
	finish
fi
[ -f "$CACHE/cache.db" ] && [ "$(stat -c %a "$CACHE")" = 700 ]
ok $? "its cache is %S/lockfs/%i, mode 0700"
is "$(tr '\0' ' ' <"/proc/$DAEMON_PID/cmdline")" \
	"$LOCKFS_BIN -f -o allow_other --timeout=30 --tag=unit $CACHE $MNT " \
	"lockfs runs in the foreground with LOCKFS_OPTIONS split into arguments"
is "$(sed -n 's/^CapBnd:\t//p' "/proc/$DAEMON_PID/status")" 0000000000200000 \
	"the daemon's bounding set is CAP_SYS_ADMIN alone"
is "$(sed -n 's/^NoNewPrivs:\t//p' "/proc/$DAEMON_PID/status")" 1 "and it has no_new_privs"

touch "$MNT/deploy"
is $? 0 "root takes a lock"
is "$(xattr "$MNT/deploy" user.lock.tags)" unit "with the tag from LOCKFS_OPTIONS"
setpriv --reuid=65534 --regid=65534 --clear-groups touch "$MNT/nobody"
is $? 0 "another user takes a lock (allow_other)"
is "$(xattr "$MNT/nobody" user.lock.uid)" 65534 "the daemon sees that user as its holder"

# Stop as systemd stops it: KillSignal while an acquisition waits.
"$FSOP" open "$MNT/deploy" w >"$T/waiter.out" 2>&1 &
waiter=$!
wait_until waiters_are "$MNT/deploy" 1
ok $? "an acquisition waits"
kill -s "$(value KillSignal)" "$DAEMON_PID"
wait "$waiter"
is "$(cat "$T/waiter.out")" ENOTCONN "KillSignal: the waiter is answered ENOTCONN"
wait "$DAEMON_PID"
DAEMON_STATUS=$?
DAEMON_PID=
assert_clean_exit
is_mounted
is $? 1 "and the mount is gone"

# Restart=on-failure after a crash: the same commands over the dead mount.
start_unit
is $? 0 "started again"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
stat "$MNT" >/dev/null 2>&1
is $? 1 "SIGKILL leaves a dead mount"
: >"$T/daemon.log"
start_unit
is $? 0 "the restart's commands start it again"
is "$(grep -c " $MNT fuse.lockfs " /proc/mounts)" 1 "one live mount: the dead one was detached"
is "$(xattr "$MNT/deploy" user.lock.count)" 1 "the lock taken before the crash is still held"
finish
