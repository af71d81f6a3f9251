#!/usr/bin/env bash
# Every refusal of a command line is one line on stderr that names what the user
# typed, with exit status 2 for usage errors and 1 for bad values; nothing is created
# or mounted.
. "$(dirname "$0")/lib.sh"

# refused STATUS GLOB DESCRIPTION ARGS...: lockfs ARGS exits STATUS with one line
# on stderr matching GLOB, and nothing on stdout.
refused() {
	local want=$1 glob=$2 description=$3 status
	shift 3
	"$LOCKFS" "$@" >"$T/out" 2>"$T/err"
	status=$?
	is "$status" "$want" "$description: exit status $want"
	is "$(wc -l <"$T/err")" 1 "$description: one line"
	like "$(cat "$T/err")" "$glob" "$description: names it"
	is "$(wc -c <"$T/out")" 0 "$description: nothing on stdout"
}

: >"$T/file"
refused 2 "lockfs: need CACHE_DIR and MOUNTPOINT*" "no arguments"
refused 2 "*MOUNTPOINT*'$CACHE'*" "no mountpoint" "$CACHE"
refused 2 "*unexpected argument 'extra'*" "an extra argument" "$CACHE" "$MNT" extra
refused 2 "*unknown option '--bogus'*" "an unknown option" --bogus "$CACHE" "$MNT"
refused 2 "*unknown option '--first'*" "two mistakes: the first is named" --first --second \
	"$CACHE" "$MNT" extra
refused 2 "*unknown option*bogus*" "an unknown -o option" -o bogus "$CACHE" "$MNT"
refused 2 "*missing argument*-o*" "-o without a value" "$CACHE" "$MNT" -o
refused 2 "*'--timeout' needs a value" "--timeout without a value" "$CACHE" "$MNT" --timeout
refused 1 "*bad timeout 'abc'*" "a bad timeout" --timeout=abc "$CACHE" "$MNT"
refused 1 "*bad timeout '-1'*" "a negative timeout" -o timeout=-1 "$CACHE" "$MNT"
refused 1 "*bad ttl 'abc'*" "a bad ttl" --ttl=abc "$CACHE" "$MNT"
refused 1 "lockfs: bad stats '$CACHE': on or off" \
	"--stats without a value takes the next argument, and names it" --stats "$CACHE" "$MNT"
refused 1 "lockfs: bad open mode '$CACHE': acquire, bound or none" \
	"--open without a value likewise" --open "$CACHE" "$MNT"
refused 1 "*bad tag in '--tag='*" "an empty tag after a good one" --tag=ok --tag= "$CACHE" "$MNT"
refused 1 "*bad tag in '--tag=a,,b'*" "an empty tag inside" --tag=ok --tag=a,,b "$CACHE" "$MNT"
refused 1 "*mountpoint $T/missing: No such file or directory" "a missing mountpoint" \
	"$CACHE" "$T/missing"
refused 1 "*mountpoint $T/file: Not a directory" "a mountpoint that is a file" "$CACHE" "$T/file"
refused 1 "lockfs: $T/file*" "a cache directory that is a file" "$T/file" "$MNT"
[ ! -e "$CACHE" ]
ok $? "none of that created the cache"
is_mounted
is $? 1 "nothing was mounted"
finish
