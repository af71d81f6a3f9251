# lib_mounts.sh — sourced after lib.sh by the tests of mounting itself, which
# may leave mounts other than lib.sh's own behind when lockfs misbehaves (a
# second daemon stacked on $MNT, a daemon in the background, a mount that a
# killed daemon left): their layers can be counted and trimmed, and at exit
# every mount under $T is detached before lib.sh's cleanup removes $T.

# layers DIR: how many lockfs mounts are stacked at DIR (a real path).
layers() {
	local point type count=0
	while read -r point type; do
		[ "$(printf '%b' "$point")" = "$1" ] && [ "$type" = fuse.lockfs ] && count=$((count + 1))
	done < <(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - \([^ ]*\) .*/\1 \2/p' /proc/self/mountinfo)
	echo "$count"
}

# source_of DIR: the source (lockfs: the cache directory) of the topmost lockfs mount at DIR.
source_of() {
	local point type source found=
	while read -r point type source; do
		[ "$(printf '%b' "$point")" = "$1" ] && [ "$type" = fuse.lockfs ] && found=$source
	done < <(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - \([^ ]*\) \([^ ]*\) .*/\1 \2 \3/p' /proc/self/mountinfo)
	printf '%b' "$found"
}

# layers_are DIR N: N lockfs mounts are stacked at DIR now (for wait_until).
layers_are() { [ "$(layers "$1")" = "$2" ]; }

# trim_layers DIR N: detach the topmost mounts at DIR until N lockfs mounts are left.
trim_layers() {
	local _
	for _ in $(seq 16); do
		[ "$(layers "$1")" -gt "$2" ] || return 0
		umount -l "$1"
	done
}

# mounts_under DIR: every mount point at or below DIR, the latest last.
mounts_under() {
	local point
	sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .*/\1/p' /proc/self/mountinfo | while read -r point; do
		point=$(printf '%b' "$point")
		case $point in "$1" | "$1"/*) printf '%s\n' "$point" ;; esac
	done
}

# sweep_mounts: detach every mount under $T, the latest first.
sweep_mounts() {
	local _ point
	for _ in $(seq 16); do
		point=$(mounts_under "$T" | tail -n 1)
		[ -n "$point" ] || return 0
		umount -l "$point"
	done
}

# cleanup_mounts: lib.sh's own unmount, a sweep, then lib.sh's cleanup (with our status).
cleanup_mounts() {
	local status=$?
	unmount_lockfs
	sweep_mounts
	(exit "$status")
	cleanup
}
trap cleanup_mounts EXIT
