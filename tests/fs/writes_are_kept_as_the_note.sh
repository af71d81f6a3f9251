#!/usr/bin/env bash
# What a holder writes to its lock file is kept as the lock's note (user.lock.note and
# a "note:" status line), up to 4096 bytes; past that the write fails EFBIG and keeps
# nothing, so mv of a bigger file into the mount fails and keeps its source.
. "$(dirname "$0")/lib.sh"
mount_lockfs || exit 1

# The classic: echo $$ > lock records the pid.
echo 4242 >"$MNT/job"
is "$(xattr "$MNT/job" user.lock.count)" 1 "echo > acquires"
is "$(getfattr --absolute-names --only-values -n user.lock.note "$MNT/job" | od -An -c | tr -s ' ')" \
	" 4 2 4 2 \\n" "user.lock.note is exactly what was written"
like "$(cat "$MNT/job")" "*
note: 4242" "the status text ends with a note line (echo's newline ends the line)"
echo 7 >"$MNT/job"
is "$(getfattr --absolute-names --only-values -n user.lock.note "$MNT/job")" 7 "a second echo > replaces the note (O_TRUNC cuts it)"
is "$(xattr "$MNT/job" user.lock.count)" 2 "and re-enters the lock"
echo more >>"$MNT/job"
is "$(getfattr --absolute-names --only-values -n user.lock.note "$MNT/job" | tr '\n' ' ')" "7 more " ">> appends"
is "$(xattr "$MNT/job" user.lock.count)" 3 "(one more hold)"
is "$("$FSOP" truncate "$MNT/job" 0)" OK "truncate(2) to 0"
is "$(xattr "$MNT/job" user.lock.note)" ENODATA "empties the note"
is "$(xattr "$MNT/job" user.lock.count)" 3 "and changes nothing else"
is "$(sql "SELECT count(*) FROM lockfs_holder WHERE note IS NOT NULL")" 0 "no note is left in the cache"

# 4096 bytes fit; one more is EFBIG and keeps nothing of that write.
head -c 4096 /dev/zero | tr '\0' a >"$T/fits"
cp "$T/fits" "$MNT/full"
is $? 0 "a 4096-byte file copies in"
is "$(getfattr --absolute-names --only-values -n user.lock.note "$MNT/full" | wc -c)" 4096 "all of it is the note"
is "$("$FSOP" write "$MNT/over" "$(head -c 4097 /dev/zero | tr '\0' b)")" EFBIG "a 4097-byte write fails EFBIG"
is "$(xattr "$MNT/over" user.lock.note)" ENODATA "and keeps nothing"

# mv of a small file works (its content is the note); of a big one fails and keeps it.
echo report >"$T/small"
mv "$T/small" "$MNT/small"
is $? 0 "mv of a small file into the mount succeeds"
is "$(getfattr --absolute-names --only-values -n user.lock.note "$MNT/small")" report "its content is the note"
head -c 10000 /dev/urandom >"$T/report.txt"
sum=$(md5sum <"$T/report.txt")
mv "$T/report.txt" "$MNT/report" 2>"$T/mv.err"
is $? 1 "mv of a 10 kB file into the mount fails"
like "$(cat "$T/mv.err")" "*File too large*" "saying why"
is "$(md5sum <"$T/report.txt" 2>/dev/null)" "$sum" "and the file is still where it was, unchanged"

# A handle whose lock was released writes nowhere.
exec 8>"$MNT/gone"
rm "$MNT/gone"
echo late >&8 2>/dev/null
is $? 1 "writing through a handle whose lock was released fails"
exec 8>&-
is "$("$FSOP" open "$MNT/gone" r)" ENOENT "and takes nothing"

# Notes are shown safely: control characters and backslashes are escaped.
printf 'a\\b\001\nc' >"$MNT/odd"
is "$(tail -n 1 "$MNT/odd")" 'note: a\\b\x01\nc' "control characters and backslashes in the note are escaped"
finish
