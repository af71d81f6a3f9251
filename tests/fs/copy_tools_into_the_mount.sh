#!/usr/bin/env bash
# chmod and chown to the values a lock file already has succeed, so cp -a, tar -x and
# rsync --inplace copy small files in; real changes of mode or owner stay EPERM.
. "$(dirname "$0")/lib.sh"
mount_lockfs || exit 1

touch "$MNT/plain"
chmod 644 "$MNT/plain"
is $? 0 "chmod to the mode it has (644) succeeds"
is "$("$FSOP" chmod "$MNT/plain")" EPERM "chmod to another mode is EPERM"
is "$(stat -c %a "$MNT/plain")" 644 "the mode is unchanged"
chown "$(id -u):$(id -g)" "$MNT/plain"
is $? 0 "chown to the owner it has succeeds"
is "$("$FSOP" chown "$MNT/plain" 65534)" EPERM "chown to another user is EPERM"
is "$(stat -c %u "$MNT/plain")" "$(id -u)" "the owner is unchanged"

mkdir -p "$T/src/tree"
echo config >"$T/src/app.conf"
echo inner >"$T/src/tree/inner"
chmod 644 "$T/src/app.conf" "$T/src/tree/inner"
cp -a "$T/src/app.conf" "$MNT/copied"
is $? 0 "cp -a of a 644 file succeeds"
is "$(getfattr --absolute-names --only-values -n user.lock.note "$MNT/copied")" config "with its content as the note"
tar -C "$T/src" -cf "$T/files.tar" app.conf
tar -C "$MNT" -xf "$T/files.tar"
is $? 0 "tar -x of a 644 file succeeds"
is "$(getfattr --absolute-names --only-values -n user.lock.note "$MNT/app.conf")" config "with its content"
rsync -a --inplace "$T/src/tree/inner" "$MNT/synced"
is $? 0 "rsync -a --inplace succeeds"
is "$(getfattr --absolute-names --only-values -n user.lock.note "$MNT/synced")" inner "with its content"
rsync -a "$T/src/tree/inner" "$MNT/renamed" 2>/dev/null
isnt_zero=$?
[ "$isnt_zero" -ne 0 ] && [ ! -e "$MNT/renamed" ]
ok $? "plain rsync (a temporary file, then rename) is refused and leaves nothing"
finish
