#!/usr/bin/env bash
# lslockfs's options as lslocks spells them: -o chooses and orders the columns (any
# case; +LIST adds to the defaults; an unknown one is an error), --output-all (BOUND
# too, which is no default column and "-" for a lock an open took), -n drops
# the header, -r writes one space between values and blanks, backslashes and control
# characters as \xHH; on a terminal KEY is cut to fit its width, never with -u nor
# when stdout is no terminal.  Usage errors exit 1 as in util-linux; --help, --version.
. "$(dirname "$0")/lib.sh"
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}
mount_lockfs --timeout=5 || exit 1

long=key-$(printf '%s' {a..z} {a..z})-end # 60 bytes
touch "$MNT/my lock" "$MNT/$long" "$MNT/back\\slash"
touch "$MNT/$(printf 'new\nline')"

# run OPTIONS...: stdout, then "status N", then stderr.
run() {
	local out status
	out=$("$LSLOCKFS" "$@" 2>"$T/err")
	status=$?
	printf '%s\nstatus %s\n%s' "$out" "$status" "$(cat "$T/err")"
}

is "$(run -o KEY,COUNT "$MNT")" "KEY                                                          COUNT
back\\slash                                                       1
$long     1
my lock                                                          1
new\\x0aline                                                      1
status 0" "-o KEY,COUNT: those columns; a newline in a key shows as \\x0a, one line per lock"
is "$(run -o count,Key "$MNT" | head -n 2)" "COUNT KEY
    1 back\\slash" "-o takes names in any case, in the order given"
is "$(run -r -o +MOUNT "$MNT" | head -n 1)" \
	"KEY MODE COUNT OWNER PID COMMAND UID HELD EXPIRES WAITERS GENERATION MOUNT" \
	"-o +MOUNT adds MOUNT after the default columns"
is "$(run -r --output-all "$MNT" | head -n 1)" \
	"MOUNT KEY MODE BOUND COUNT OWNER PID COMMAND UID HELD EXPIRES WAITERS GENERATION" \
	"--output-all: every column"
is "$(run -r --output-all -o +KEY "$MNT" | head -n 1)" \
	"MOUNT KEY MODE BOUND COUNT OWNER PID COMMAND UID HELD EXPIRES WAITERS GENERATION KEY" \
	"--output-all -o +KEY: every column, then KEY again (as lslocks)"
is "$(run -r --output-all -o KEY "$MNT" | head -n 1)" "KEY" "the last -o without + replaces the columns"
is "$(run -o KEY,BOGUS "$MNT")" "
status 1
lslockfs: unknown column: BOGUS" "an unknown column: status 1, one line, nothing listed"
is "$(run -o KEY,,COUNT "$MNT")" "
status 1
lslockfs: empty column name in 'KEY,,COUNT'" "an empty column name: the list named"
is "$(run -o + "$MNT")" "
status 1
lslockfs: empty column name in '+'" "-o + alone: no column"

is "$(run -n -o KEY "$MNT")" "back\\slash
$long
my lock
new\\x0aline
status 0" "-n: no header line"
is "$(run -r -o KEY,COMMAND,EXPIRES "$MNT")" "KEY COMMAND EXPIRES
back\\x5cslash touch -
$long touch -
my\\x20lock touch -
new\\x0aline touch -
status 0" "-r: one space between values; space, backslash and newline as \\xHH"
# BOUND: a shared flock(1) lock, held while lslockfs runs, shows its binding; a lock
# touch took shows "-" (and is no default column).
owner=$(xattr "$MNT/my lock" user.lock.owner)
is "$(flock -s "$MNT/config" "$LSLOCKFS" -r -o KEY,BOUND,MODE,COUNT,OWNER "$MNT" 2>&1 |
	grep -E '^(KEY|config|my\\x20lock) ')" "KEY BOUND MODE COUNT OWNER
config flock shared 1 shared
my\x20lock - exclusive 1 $owner" \
	"-o KEY,BOUND,...: flock for a shared flock(1) lock (owner shared), - for a lock touch took"
wait_until test ! -e "$MNT/config"
ok $? "the flock lock is gone once flock(1) ends"
# A terminal 40 columns wide: KEY is cut to what is left beside COMMAND (7 = its header).
on_terminal() { # on_terminal COLUMNS ARGS...: run lslockfs on a pseudo-terminal
	local cols=$1
	shift
	script -qec "stty cols $cols; exec $LSLOCKFS $*" /dev/null </dev/null | tr -d '\r'
}
out=$(on_terminal 40 -o KEY,COMMAND "$MNT")
is "$(grep '^key-' <<<"$out")" "${long:0:32} touch" "on a 40-column terminal the long key is cut to 32 columns"
is "$(awk 'length > 40' <<<"$out")" "" "every line fits in 40 columns"
is "$(head -n 1 <<<"$out")" "KEY                              COMMAND" "the header is aligned with the cut column"
out=$(on_terminal 40 -u -o KEY,COMMAND "$MNT")
is "$(grep '^key-' <<<"$out")" "$long touch" "-u: never cut"
out=$(on_terminal 200 -o KEY,COMMAND "$MNT")
is "$(grep '^key-' <<<"$out")" "$long touch" "a terminal wide enough: nothing cut"
is "$("$LSLOCKFS" -o KEY,COMMAND "$MNT" | grep '^key-')" "$long touch" "stdout no terminal: nothing cut"
out=$(on_terminal 40 -r -o KEY,COMMAND "$MNT")
is "$(grep '^key-' <<<"$out")" "$long touch" "-r: never cut"

is "$(run -J -r "$MNT")" "
status 1
lslockfs: options --json and --raw cannot be combined" "-J and -r together: status 1"
is "$(run --bogus)" "
status 1
lslockfs: unrecognized option '--bogus'
Try 'lslockfs --help' for more information." "an unknown option: status 1 (as lslocks), two lines"
is "$(run -o)" "
status 1
lslockfs: option requires an argument -- 'o'
Try 'lslockfs --help' for more information." "-o without a list: status 1"

out=$(run --help)
like "$out" "
Usage:
 lslockfs \[options\] \[<mountpoint>...\]
*
Available output columns:
       MOUNT  *
         KEY  *
        MODE  *
       BOUND  *
       COUNT  *
       OWNER  *
         PID  *
     COMMAND  *
         UID  *
        HELD  *
     EXPIRES  *
     WAITERS  *
  GENERATION  *
status 0" "--help: usage and every column, status 0"
like "$(run -V)" "lslockfs from lockfs [0-9]*.[0-9]*.[0-9]*
status 0" "-V: the version, status 0"
finish
