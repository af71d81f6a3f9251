#!/usr/bin/env bash
# lockfs(8) renders without a warning, documents every option `lockfs --help`
# lists and every section a reader looks for, names the project's version,
# and `meson install` puts it in MANDIR/man8.
. "$(dirname "$0")/tap.sh"

PAGE=$LOCKFS_SOURCE/doc/lockfs.8

if ! command -v groff >/dev/null || ! command -v man >/dev/null; then
	echo "Bail out! groff and man are missing (scripts/deps installs groff-base and man-db)"
	exit 1
fi

out=$(groff -ww -z -man "$PAGE" 2>&1)
is "$?/$out" "0/" "groff -ww -z -man: no warning"
out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$PAGE" 2>&1 >"$T/page.txt")
is "$?/$out" "0/" "man -l renders it, and man --warnings (as lintian runs it) says nothing"
# The rendered text, without bold and underline.
text=$(sed 's/.\x08//g' "$T/page.txt")
like "$text" "LOCKFS(8)*" "the page is lockfs(8)"

# Every section, in order.
want="NAME SYNOPSIS DESCRIPTION OPTIONS OPERATIONS EXTENDED_ATTRIBUTES WAITING BOUND_LOCKS POLICIES"
want="$want ERRORS EXIT_STATUS ENVIRONMENT FILES EXAMPLES NOTES BUGS SEE_ALSO"
got=$(sed -n 's/^\.SH //p' "$PAGE" | tr -d '"' | tr ' ' _ | tr '\n' ' ')
is "${got% }" "$want" "the sections, in order"

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
for see in 'lslockfs(8)' 'fusermount3(1)' 'flock(1)'; do
	sed -n '/^SEE ALSO/,$p' <<<"$text" | grep -qF "$see"
	ok $? "SEE ALSO names $see"
done

th_version=$(sed -n 's/^\.TH [^"]*"lockfs \([^"]*\)".*/\1/p' "$PAGE")
is "$th_version" "$LOCKFS_VERSION" "the page's .TH names the project's version"

install_to "$T/root" man
ok $? "meson install --tags man --destdir"
installed=$T/root$LOCKFS_PREFIX/$LOCKFS_MANDIR/man8/lockfs.8
cmp -s "$PAGE" "$installed"
status=$?
ok $status "meson install put doc/lockfs.8 in $LOCKFS_PREFIX/$LOCKFS_MANDIR/man8"
[ $status -eq 0 ] || sed 's/^/# /' "$T/install.log"
MANPATH=$T/root$LOCKFS_PREFIX/$LOCKFS_MANDIR man -w lockfs >"$T/where" 2>&1
is "$(cat "$T/where")" "$installed" "man finds the installed page"
finish
