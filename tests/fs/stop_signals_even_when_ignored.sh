#!/usr/bin/env bash
# SIGTERM, SIGINT and SIGHUP each stop the daemon, even when it was started with all
# three ignored (`trap '' INT; lockfs ... &` from a script): the waiter gets ENOTCONN,
# the filesystem is unmounted, the daemon exits 0.
. "$(dirname "$0")/lib.sh"

# daemon_gone: the daemon has exited (for wait_until).
daemon_gone() { ! kill -0 "$DAEMON_PID"; }

for signal in TERM INT HUP; do
	# As a script starts it: the shell passes its ignored signals on.
	(
		trap '' INT TERM HUP
		exec "$LOCKFS" -f --timeout=inf "$CACHE" "$MNT" 2>>"$T/daemon.log"
	) &
	DAEMON_PID=$!
	wait_until is_mounted
	ok $? "SIG$signal: mounted with SIGINT, SIGTERM and SIGHUP ignored"
	touch "$MNT/held-$signal"
	"$FSOP" open "$MNT/held-$signal" w >"$T/waiter" &
	waiter=$!
	wait_until waiters_are "$MNT/held-$signal" 1
	ok $? "SIG$signal: a process is waiting"
	kill -"$signal" "$DAEMON_PID"
	wait_until daemon_gone
	ok $? "SIG$signal: the daemon stopped"
	unmount_lockfs # what is left to do after a failure; records the exit status
	is "$DAEMON_STATUS" 0 "SIG$signal: it exited 0"
	wait "$waiter"
	is "$(cat "$T/waiter")" ENOTCONN "SIG$signal: the waiter got ENOTCONN"
	is_mounted
	is $? 1 "SIG$signal: the filesystem is unmounted"
done
if grep -q -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T/daemon.log"; then
	ok 1 "no sanitizer report"
	sed 's/^/# /' "$T/daemon.log" | head -60
else
	ok 0 "no sanitizer report"
fi
finish
