#!/usr/bin/env bash
# lockfs(8) renders without a warning, documents every option `lockfs --help`
# lists and every section a reader looks for, names the project's version,
# and `meson install` puts it in MANDIR/man8.
. "$(dirname "$0")/tap.sh"

PAGE=$LOCKFS_SOURCE/doc/lockfs.8

page_renders "$PAGE" "LOCKFS(8)"
page_sections "$PAGE" "NAME SYNOPSIS DESCRIPTION OPTIONS OPERATIONS EXTENDED_ATTRIBUTES WAITING \
BOUND_LOCKS MANY_MACHINES POLICIES ERRORS EXIT_STATUS ENVIRONMENT FILES EXAMPLES NOTES BUGS SEE_ALSO"

# Every option the program lists (its usage text is the truth) is on the page.
options=$("$LOCKFS_BIN" --help | grep -oE '^ +-[-a-zA-Z]+(, -[-a-zA-Z]+)*' | grep -oE -- '-[-a-zA-Z]+')
[ -n "$options" ]
ok $? "lockfs --help lists options"
# An option that README.md does not document either is work in progress
# (the README is the reference): noted, not failed.
missing=
for option in $options; do
	pattern="(^|[^-a-zA-Z])$option([^-a-zA-Z=]|=|$)"
	grep -qE -- "$pattern" <<<"$text" && continue
	if grep -qE -- "$pattern" "$LOCKFS_SOURCE/README.md"; then
		missing="$missing $option"
	else
		note "lockfs --help lists $option, which neither README.md nor the page documents yet"
	fi
done
is "$missing" "" "every option of lockfs --help that README.md documents is on the page"

for errno in ETIMEDOUT EINTR EEXIST ESTALE EPERM EFBIG ENOENT ENAMETOOLONG EILSEQ \
	ENOTCONN ECONNABORTED EAGAIN; do
	sed -n '/^ERRORS/,/^EXIT STATUS/p' <<<"$text" | grep -qw "$errno"
	ok $? "ERRORS lists $errno"
done
for table in lockfs_holder lockfs_dir lockfs_waiter lockfs_generation; do
	sed -n '/^FILES/,/^EXAMPLES/p' <<<"$text" | grep -qw "$table"
	ok $? "FILES names the table $table"
done
page_version_and_sees "$PAGE" 'lslockfs(8)' 'fusermount3(1)' 'flock(1)'
page_installed "$PAGE"
MANPATH=$T/root$LOCKFS_PREFIX/$LOCKFS_MANDIR man -w lockfs >"$T/where" 2>&1
is "$(cat "$T/where")" "$installed" "man finds the installed page"
finish
