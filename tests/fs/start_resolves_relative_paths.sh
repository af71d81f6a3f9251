#!/usr/bin/env bash
# scripts/start takes a relative MOUNTPOINT and LOCKFS_CACHE from the directory it is
# run in (not from the repository it changes to), prints a stop command that works as
# printed from anywhere (also for a name with a space), and refuses to start twice on
# one mountpoint.  LOCKFS_BIN (set by meson) spares it the release build.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_mounts.sh"

# A copy of the repository's script, so that a path taken from the wrong directory
# lands in $T, never in the source tree.
mkdir -p "$T/repo/scripts" "$T/work"
cp "$LOCKFS_SOURCE/scripts/start" "$T/repo/scripts/start"

# started MOUNTPOINT CACHE DESCRIPTION: run start in $T/work; stop it as it says.
started() {
	local output status hint
	output=$(cd "$T/work" && LOCKFS_CACHE=$2 "$T/repo/scripts/start" "$1" 2>&1)
	status=$?
	is "$status" 0 "$3: start exits 0"
	is "$(layers "$T/work/$1")" 1 "$3: lockfs is mounted at \$PWD/$1"
	is "$(source_of "$T/work/$1")" "$(realpath -m "$T/work/$2")" "$3: with the cache \$PWD/$2"
	[ -f "$T/work/$2/cache.db" ]
	ok $? "$3: the cache was created there"
	is "$(find "$T/repo" -mindepth 1 | sort | tr '\n' ' ')" "$T/repo/scripts $T/repo/scripts/start " \
		"$3: nothing was made beside the script"

	message=$(cd "$T/work" && LOCKFS_CACHE=$2 "$T/repo/scripts/start" "$1" 2>&1)
	is $? 1 "$3: starting it again fails"
	like "$message" "lockfs: mountpoint $T/work/$1: already a lockfs mount*" "$3: saying why"
	is "$(layers "$T/work/$1")" 1 "$3: still one lockfs mount"

	hint=$(printf '%s\n' "$output" | sed -n 's/.*(stop: \(.*\))$/\1/p')
	like "$hint" "fusermount3 -u *" "$3: a stop command is printed ($hint)"
	(cd / && bash -c "$hint")
	is $? 0 "$3: it works as printed, from another directory"
	is "$(layers "$T/work/$1")" 0 "$3: and unmounts lockfs"
}

started mylocks relcache "relative paths"
started "my locks" "../work/my cache" "relative paths with spaces and .."
finish
