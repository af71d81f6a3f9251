#!/usr/bin/env bash
# Names: too long, not UTF-8; refused operations; writes and truncation accepted.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=2 || exit 1

long=$(printf 'n%.0s' $(seq 256))
is "$("$FSOP" open "$MNT/$long" wc)" ENAMETOOLONG "a 256-byte name is ENAMETOOLONG"
ok255=$(printf 'k%.0s' $(seq 255))
is "$("$FSOP" open "$MNT/$ok255" wc)" OK "a 255-byte name is fine"
is "$("$FSOP" open "$MNT/$(printf 'bad\xff')" wc)" EILSEQ "a name that is not UTF-8 is EILSEQ"
is "$("$FSOP" open "$MNT/ünïcode-ключ" wc)" OK "UTF-8 names work"
is "$(sql "SELECT count(*) FROM cache")" 2 "only the valid names were acquired"

touch "$MNT/l"
is "$("$FSOP" chmod "$MNT/l")" EPERM "chmod is EPERM"
is "$("$FSOP" chown "$MNT/l" 1000)" EPERM "chown is EPERM"
is "$("$FSOP" rename "$MNT/l" "$MNT/m")" EPERM "rename is EPERM"
is "$("$FSOP" link "$MNT/l" "$MNT/m")" EPERM "link is EPERM"
is "$("$FSOP" symlink "$MNT/l" "$MNT/m")" EPERM "symlink is EPERM"
is "$("$FSOP" mkfifo "$MNT/f")" EPERM "mkfifo is EPERM"
is "$("$FSOP" open "$MNT/w" wc + write "$MNT/w" "hello")" "OK
OK" "the owner writes: accepted"
echo $$ >"$MNT/shell" && [ "$(xattr "$MNT/shell" user.lock.count)" = 1 ]
ok $? "echo \$\$ > lock works"
is "$("$FSOP" truncate "$MNT/l" 0)" OK "truncate is accepted"
like "$(cat "$MNT/l")" "key: l*" "and changes nothing"
is "$(xattr "$MNT/l" user.lock.count)" 1 "count unchanged"
finish
