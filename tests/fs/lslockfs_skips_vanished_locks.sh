#!/usr/bin/env bash
# Locks that are released while lslockfs lists them (and directories that vanish with
# their last lock) are left out without a word: while other processes take and release
# locks as fast as they can, every listing exits 0, prints nothing on stderr, and each
# line it prints is one whole lock.
. "$(dirname "$0")/lib.sh"
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}
mount_lockfs --timeout=5 || exit 1
touch "$MNT/steady"

# churn N: take and release N's locks, flat and nested, and remove their directories
# (lslockfs may be inside one then), until $T/stop exists.
churn() {
	until [ -e "$T/stop" ]; do
		mkdir -p "$MNT/dir$1/sub"
		touch "$MNT/flat$1" "$MNT/dir$1/sub/deep"
		rm -f "$MNT/flat$1" "$MNT/dir$1/sub/deep"
		rmdir "$MNT/dir$1/sub" "$MNT/dir$1"
	done 2>/dev/null
}
for n in 1 2 3 4; do churn $n & done

bad_status=0 stderr_lines=0 bad_lines=0 seen=0
for _ in $(seq 40); do
	out=$("$LSLOCKFS" -r -n -o KEY,COUNT,OWNER,PID,COMMAND,GENERATION "$MNT" 2>"$T/err")
	[ $? -eq 0 ] || bad_status=$((bad_status + 1))
	stderr_lines=$((stderr_lines + $(wc -l <"$T/err")))
	[ -s "$T/err" ] && sed 's/^/# /' "$T/err" | head -3
	while read -r key count owner pid command generation; do
		[ -n "$key" ] || continue
		case $key in flat* | dir*/sub/deep) seen=$((seen + 1)) ;; esac
		[[ $key =~ ^(steady|flat[1-4]|dir[1-4]/sub/deep)$ && $count == 1 &&
			$owner == "$pid-$pid" && $command == touch && $generation =~ ^[0-9]+$ ]] ||
			{ bad_lines=$((bad_lines + 1)); note "bad line: $key $count $owner $pid $command $generation"; }
	done <<<"$out"
done
touch "$T/stop"
wait_jobs

is "$bad_status" 0 "every listing exited 0"
is "$stderr_lines" 0 "and printed nothing on stderr"
is "$bad_lines" 0 "every line is a whole lock, with one holder's details"
[ "$seen" -gt 0 ]
ok $? "the churning locks were listed while held ($seen times)"
is "$("$LSLOCKFS" -r -n -o KEY "$MNT")" "steady" "afterwards only the steady lock is left"
finish
