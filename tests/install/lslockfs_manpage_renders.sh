#!/usr/bin/env bash
# lslockfs(8) renders without a warning, documents every option and every column that
# `lslockfs --help` lists, names the project's version, and `meson install` puts it in
# MANDIR/man8 beside lockfs(8).
. "$(dirname "$0")/tap.sh"

PAGE=$LOCKFS_SOURCE/doc/lslockfs.8
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}

if ! command -v groff >/dev/null || ! command -v man >/dev/null; then
	echo "Bail out! groff and man are missing (scripts/deps installs groff-base and man-db)"
	exit 1
fi

out=$(groff -ww -z -man "$PAGE" 2>&1)
is "$?/$out" "0/" "groff -ww -z -man: no warning"
out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$PAGE" 2>&1 >"$T/page.txt")
is "$?/$out" "0/" "man -l renders it, and man --warnings says nothing"
text=$(sed 's/.\x08//g' "$T/page.txt")
like "$text" "LSLOCKFS(8)*" "the page is lslockfs(8)"

want="NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT_COLUMNS STATISTICS EXIT_STATUS EXAMPLES SEE_ALSO"
got=$(sed -n 's/^\.SH //p' "$PAGE" | tr -d '"' | tr ' ' _ | tr '\n' ' ')
is "${got% }" "$want" "the sections, in order"

"$LSLOCKFS" --help >"$T/help"
options=$(grep -oE '^ +-[-a-zA-Z]+(, -[-a-zA-Z]+)*' "$T/help" | grep -oE -- '-[-a-zA-Z]+')
columns=$(sed -n '/^Available output columns:/,/^$/p' "$T/help" | awk 'NR > 1 && NF > 1 {print $1}')
[ -n "$options" ] && [ "$(wc -w <<<"$columns")" -ge 10 ]
ok $? "lslockfs --help lists options and columns"
missing=
for option in $options; do
	sed -n '/^OPTIONS/,/^OUTPUT COLUMNS/p' <<<"$text" |
		grep -qE -- "(^|[^-a-zA-Z])$option([^-a-zA-Z]|$)" || missing="$missing $option"
done
is "$missing" "" "OPTIONS documents every option of lslockfs --help"
missing=
for column in $columns; do
	sed -n '/^OUTPUT COLUMNS/,/^STATISTICS/p' <<<"$text" | grep -qE "^       $column( |$)" ||
		missing="$missing $column"
done
is "$missing" "" "OUTPUT COLUMNS documents every column of lslockfs --help"
for see in 'lockfs(8)' 'lslocks(8)'; do
	sed -n '/^SEE ALSO/,$p' <<<"$text" | grep -qF "$see"
	ok $? "SEE ALSO names $see"
done
th_version=$(sed -n 's/^\.TH [^"]*"lockfs \([^"]*\)".*/\1/p' "$PAGE")
is "$th_version" "$LOCKFS_VERSION" "the page's .TH names the project's version"

install_to "$T/root" man
ok $? "meson install --tags man --destdir"
installed=$T/root$LOCKFS_PREFIX/$LOCKFS_MANDIR/man8/lslockfs.8
cmp -s "$PAGE" "$installed"
ok $? "meson install put doc/lslockfs.8 in $LOCKFS_PREFIX/$LOCKFS_MANDIR/man8"
finish
