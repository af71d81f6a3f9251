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

# --- manual pages (manpage_renders.sh, lslockfs_manpage_renders.sh) ---

# page_renders PAGE TITLE: groff and man render PAGE without a warning (as
# lintian runs them) and its title is TITLE; $text gets the rendered page,
# without bold and underline.
page_renders() {
	local out
	if ! command -v groff >/dev/null || ! command -v man >/dev/null; then
		echo "Bail out! groff and man are missing (scripts/deps installs groff-base and man-db)"
		exit 1
	fi
	out=$(groff -ww -z -man "$1" 2>&1)
	is "$?/$out" "0/" "groff -ww -z -man: no warning"
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$1" 2>&1 >"$T/page.txt")
	is "$?/$out" "0/" "man -l renders it, and man --warnings (as lintian runs it) says nothing"
	text=$(sed 's/.\x08//g' "$T/page.txt")
	like "$text" "$2*" "the page is $2"
}

# page_sections PAGE WANT: PAGE's .SH sections, in order, are WANT (spaces as _).
page_sections() {
	local got
	got=$(sed -n 's/^\.SH //p' "$1" | tr -d '"' | tr ' ' _ | tr '\n' ' ')
	is "${got% }" "$2" "the sections, in order"
}

# page_version_and_sees PAGE SEE...: the .TH of PAGE names the project's version;
# SEE ALSO of $text names each SEE.
page_version_and_sees() {
	local page=$1 see th_version
	shift
	for see in "$@"; do
		sed -n '/^SEE ALSO/,$p' <<<"$text" | grep -qF "$see"
		ok $? "SEE ALSO names $see"
	done
	th_version=$(sed -n 's/^\.TH [^"]*"lockfs \([^"]*\)".*/\1/p' "$page")
	is "$th_version" "$LOCKFS_VERSION" "the page's .TH names the project's version"
}

# page_installed PAGE: meson install puts PAGE in MANDIR/man8; $installed gets its path.
page_installed() {
	local status
	install_to "$T/root" man
	ok $? "meson install --tags man --destdir"
	installed=$T/root$LOCKFS_PREFIX/$LOCKFS_MANDIR/man8/$(basename "$1")
	cmp -s "$1" "$installed"
	status=$?
	ok $status "meson install put doc/$(basename "$1") in $LOCKFS_PREFIX/$LOCKFS_MANDIR/man8"
	[ $status -eq 0 ] || sed 's/^/# /' "$T/install.log"
}
