#!/usr/bin/env bash
# lslockfs(8) renders without a warning, documents every option and every column that
# `lslockfs --help` lists, names the project's version, and `meson install` puts it in
# MANDIR/man8 beside lockfs(8).
. "$(dirname "$0")/tap.sh"

PAGE=$LOCKFS_SOURCE/doc/lslockfs.8
LSLOCKFS=${LOCKFS_LSLOCKFS:?LOCKFS_LSLOCKFS is not set}

page_renders "$PAGE" "LSLOCKFS(8)"
page_sections "$PAGE" "NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT_COLUMNS STATISTICS EXIT_STATUS EXAMPLES SEE_ALSO"

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
page_version_and_sees "$PAGE" 'lockfs(8)' 'lslocks(8)'
page_installed "$PAGE"
finish
