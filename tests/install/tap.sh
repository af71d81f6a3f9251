# shellcheck shell=bash
# tap.sh — sourced by the tests of what `meson install` and packaging put on
# a machine that do not mount anything: TAP output (tests/tap.sh, as
# tests/fs/lib.sh), a temporary directory removed on exit, and `finish`.

set -u

T=$(mktemp -d /tmp/lockfs-test.XXXXXX)
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

# skip_all REASON: the whole test does not apply here.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# install_to DESTDIR TAGS: `meson install --tags TAGS` of this build into
# DESTDIR, without rebuilding; its output goes to $T/install.log.
install_to() {
	meson install -C "${LOCKFS_BUILD:?LOCKFS_BUILD is not set}" --no-rebuild --quiet \
		--destdir "$1" --tags "$2" >"$T/install.log" 2>&1
}

finish() {
	echo "1..$TESTS"
	[ "$FAILED" -eq 0 ]
	exit $?
}

trap 'rm -rf "$T"' EXIT
