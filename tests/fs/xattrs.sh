#!/usr/bin/env bash
# Extended attributes of lock files: values, writable ones, errors, absence.
. "$(dirname "$0")/lib.sh"
mount_lockfs --timeout=5 || exit 1
L=$MNT/lock

out=$("$FSOP" open "$L" wc + getxattr "$L" user.lock.owner)
like "$out" "OK
OK [0-9]*-[0-9]*" "owner is <tgid>-<tid> of the acquiring thread"
fsop_pid=$(sql "SELECT pid FROM lockfs_holder")
is "$(xattr "$L" user.lock.owner)" "$fsop_pid-$fsop_pid" "owner matches the holder's pid (single-threaded)"
is "$(xattr "$L" user.lock.count)" 1 "count"
gen1=$(xattr "$L" user.lock.generation)
like "$gen1" "[1-9]*" "generation is a positive number"
is "$(xattr "$L" user.lock.uid)" 0 "uid"
is "$(xattr "$L" user.lock.gid)" 0 "gid"
is "$(xattr "$L" user.lock.pid)" "$fsop_pid" "pid"
is "$(xattr "$L" user.lock.comm)" fsop "comm"
is "$(xattr "$L" user.lock.host)" "$(hostname)" "host"
is "$(xattr "$L" user.lock.waiters)" 0 "waiters is present and 0"
like "$(xattr "$L" user.lock.acquired)" "[0-9]*.[0-9]*" "acquired is Unix seconds"
is "$(xattr "$L" user.lock.expire)" ENODATA "no expiry: expire is absent"
is "$(xattr "$L" user.lock.ttl)" ENODATA "no expiry: ttl is absent"
is "$(xattr "$L" user.lock.tags)" ENODATA "no tags: tags is absent"
is "$("$FSOP" listxattr "$L")" "OK user.lock.owner,user.lock.count,user.lock.generation,user.lock.acquired,user.lock.waiters,user.lock.uid,user.lock.gid,user.lock.pid,user.lock.comm,user.lock.host,user.lock.mode" \
	"listxattr lists exactly the present attributes"

setfattr -n user.lock.ttl -v 100 "$L"
ok $? "setting ttl"
ttl=$(xattr "$L" user.lock.ttl)
like "$ttl" "9[0-9].*" "ttl counts down from 100 ($ttl)"
now=$(date +%s)
expire=$(xattr "$L" user.lock.expire)
[ "${expire%.*}" -ge $((now + 95)) ] && [ "${expire%.*}" -le $((now + 101)) ]
ok $? "expire is now + 100 ($expire)"
is "$(sql "SELECT CAST(expire_time AS INTEGER) FROM cache")" "${expire%.*}" "expire_time is in the row"
touch -c "$L"
ok $? "touch -c where no TTL is in force succeeds"
is "$(xattr "$L" user.lock.expire)" "$expire" "...and leaves the lock's own expiry as it was"
setfattr -x user.lock.ttl "$L"
ok $? "removing ttl"
is "$(xattr "$L" user.lock.expire)" ENODATA "the expiry is cleared"
is "$(sql "SELECT expire_time IS NULL FROM cache")" 1 "and expire_time is NULL"

setfattr -n user.lock.tags -v "prod,ci,prod" "$L"
ok $? "setting tags"
is "$(xattr "$L" user.lock.tags)" "ci,prod" "tags come back sorted, without duplicates"
is "$(sql "SELECT group_concat(name) FROM (SELECT tag.name FROM cache_tag JOIN tag ON tag.id = tag_id ORDER BY tag.name)")" \
	"ci,prod" "and are linked through tag and cache_tag"
setfattr -x user.lock.tags "$L"
is "$(xattr "$L" user.lock.tags)" ENODATA "removing tags empties the set"

for bad in abc -5 0 "" 1e3; do
	is "$("$FSOP" setxattr "$L" user.lock.ttl "$bad")" EINVAL "ttl '$bad' is EINVAL"
done
is "$("$FSOP" setxattr "$L" user.lock.tags "a,,b")" EINVAL "an empty tag is EINVAL"
is "$("$FSOP" setxattr "$L" user.lock.tags "$(printf 'x%.0s' $(seq 101))")" EINVAL \
	"a tag over 100 bytes is EINVAL"
is "$("$FSOP" setxattr "$L" user.lock.release "12x")" EINVAL "a malformed generation is EINVAL"
is "$("$FSOP" setxattr "$L" user.unknown x)" ENOTSUP "an unknown name is ENOTSUP on set"
is "$("$FSOP" setxattr "$L" user.lock.nonsense x)" ENOTSUP "an unknown lock name is ENOTSUP on set"
is "$("$FSOP" getxattr "$L" user.unknown)" ENODATA "an unknown name is ENODATA on get"
is "$("$FSOP" getxattr "$L" user.lock.release)" ENODATA "release is write-only"
is "$("$FSOP" setxattr "$L" user.lock.count 5)" EPERM "a read-only attribute cannot be set"
is "$(xattr "$L" user.lock.count)" 1 "and nothing changed"

# Compare-and-release with the generation.
rm "$L"
touch "$L"
gen2=$(xattr "$L" user.lock.generation)
[ "$gen2" -gt "$gen1" ]
ok $? "a new acquisition has a larger generation ($gen1 < $gen2)"
is "$("$FSOP" setxattr "$L" user.lock.release "$gen1")" ESTALE "releasing an old generation is ESTALE"
[ -e "$L" ]
ok $? "and the lock is still held"
is "$("$FSOP" setxattr "$L" user.lock.release "$gen2")" OK "releasing the current generation works"
[ ! -e "$L" ]
ok $? "and the lock is gone"
finish
