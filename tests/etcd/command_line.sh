#!/usr/bin/env bash
# The etcd backend's options: a bad URL, prefix, timeout or session TTL, a
# cluster that does not answer, and etcd options without --etcd are each
# refused with one line naming what was typed, before anything is mounted;
# a member that is down at mount time does not stop the mount, nor does a
# proxy set in the environment.
. "$(dirname "$0")/lib.sh"

refused() { # DESCRIPTION WANTED-GLOB ARGS...
	local what=$1 want=$2 out status
	shift 2
	out=$("$LOCKFS" "$@" 2>&1)
	status=$?
	[ "$status" -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ $out == $want ]] &&
		! is_mounted
	ok $? "$what is refused with one line ($out)"
}
refused "an URL that is not http" "*bad etcd URL 'ftp://x:1'*" --etcd=ftp://x:1 "$MNT"
refused "an URL without a host" "*bad etcd URL 'http://:2379'*" --etcd=http://:2379 "$MNT"
refused "an URL without a port" "*bad etcd URL 'http://127.0.0.1'*" --etcd=http://127.0.0.1 "$MNT"
refused "a port past 65535" "*bad etcd URL 'http://h:99999'*" --etcd=http://h:99999 "$MNT"
refused "an empty URL" "*bad etcd URLs 'http://h:1,,': an empty URL*" --etcd=http://h:1,, "$MNT"
refused "a timeout with an exponent" "*bad etcd timeout '1e1'*" --etcd="$ETCD_URLS" --etcd-timeout=1e1 "$MNT"
refused "a comma between URLs inside -o" "*'$(cluster_url 2)' in -o looks like another etcd URL*'+'*" \
	-o "etcd=$(cluster_url 1),$(cluster_url 2)" "$MNT"
refused "a port that is not a number" "*bad etcd URL 'http://h:23x'*" --etcd="$(cluster_url 1),http://h:23x" "$MNT"
refused "a prefix without a leading /" "*bad etcd prefix 'locks'*" --etcd="$ETCD_URLS" --etcd-prefix=locks "$MNT"
refused "a zero timeout" "*bad etcd timeout '0'*" --etcd="$ETCD_URLS" --etcd-timeout=0 "$MNT"
refused "a session TTL under 2 s" "*bad session ttl '1'*" --etcd="$ETCD_URLS" --session-ttl=1 "$MNT"
refused "--etcd-prefix without --etcd" "*--etcd-prefix is for the etcd backend*" --etcd-prefix=/x "$T/cache" "$MNT"
"$LOCKFS" --etcd-prefix=/x "$T/cache" "$MNT" 2>/dev/null
is $? 2 "an etcd option without --etcd is a usage error (status 2)"
refused "a cache directory beside --etcd" "*unexpected argument '$T/cache'*" --etcd="$ETCD_URLS" "$T/cache" "$MNT"
refused "a cluster that does not answer" "*etcd at 'http://127.0.0.1:9': no member answered within 0.3 s*" \
	--etcd=http://127.0.0.1:9 --etcd-timeout=0.3 "$MNT"
refused "a peer URL" "*etcd at '$(cluster_peer 1)': not an etcd client URL (HTTP 404; a peer port?)" \
	--etcd="$(cluster_peer 1)" "$MNT"
refused "a peer URL after a client URL" \
	"*etcd at '$(cluster_peer 2)': not an etcd client URL (HTTP 404; a peer port?)" \
	--etcd="$(cluster_url 1),$(cluster_peer 2)" "$MNT"
refused "a peer URL inside -o" "*etcd at '$(cluster_peer 3)': not an etcd client URL (HTTP 404; a peer port?)" \
	-o "etcd=$(cluster_url 1)+$(cluster_peer 3)" etcd "$MNT"
# Another HTTP server: Python's answers a POST 501, without JSON.
web_port=$((ETCD_BASE_PORT + 1)) # below the members' ports
/usr/bin/python3 -m http.server --bind 127.0.0.1 "$web_port" >/dev/null 2>&1 &
web=$!
wait_until port_taken "$web_port"
refused "an HTTP server that is not etcd" \
	"*etcd at 'http://127.0.0.1:$web_port': not an etcd client URL (HTTP 501)" \
	--etcd="$(cluster_url 1),http://127.0.0.1:$web_port" --etcd-timeout=0.5 "$MNT"
kill "$web" && wait "$web" 2>/dev/null
(cd "$T" && "$LOCKFS" etcd "$MNT" -o timeout=2 >"$T/out" 2>&1)
is "$?: $(cat "$T/out")" "2: lockfs: source 'etcd' needs -o etcd=URL[+URL...] (or --etcd=URL)" \
	"fstab's source 'etcd' without etcd= is a usage error, not a cache named etcd"
[ ! -e "$T/cache" ] && [ ! -e "$T/etcd" ] && ! is_mounted
ok $? "no cache directory was made, nothing mounted"

# reaches NAME: a lock taken through the mount is in the cluster.
reaches() { touch "$MNT/$1" && [ -n "$(etcd_get "$PREFIX/locks/$1")" ]; }
# stop_mount NAME: release it, unmount, and the daemon exits cleanly.
stop_mount() {
	rm "$MNT/$1"
	unmount_lockfs
	assert_clean_exit
}

cluster_kill 1
# The first member is down, the cluster is not electing (on a busy machine
# an election can outlast the mount's timeout, which is not what this is about).
wait_until cluster_leader >/dev/null
mount_etcd -o etcd-timeout=2 || exit 1
ok 0 "a mount whose first member is down mounts"
reaches up
ok $? "and its locks reach the cluster"
stop_mount up

# What mount(8) runs for "etcd MNT fuse.lockfs etcd=URL+URL,etcd-prefix=P" in fstab.
"$LOCKFS" -f etcd "$MNT" -o "etcd=$(cluster_url 2)+$(cluster_url 3),etcd-prefix=$PREFIX" 2>>"$T/daemon.log" &
DAEMON_PID=$!
wait_until is_mounted
ok $? "the fstab form mounts: source etcd, -o etcd=URL+URL,etcd-prefix=P"
reaches fstab
ok $? "and serves the same cluster"
stop_mount fstab

# A proxy in the environment (as on many a desktop) is not for the members.
http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
	mount_etcd -o etcd-timeout=2 || exit 1
ok 0 "a mount with http_proxy set to a port where nothing listens mounts"
reaches proxied
ok $? "and its locks reach the cluster directly"
stop_mount proxied

# scripts/start with --etcd: no cache directory, the cluster named in its line.
out=$(LOCKFS_BIN=$LOCKFS LOCKFS_CACHE=$T/startcache \
	"${LOCKFS_SOURCE:?LOCKFS_SOURCE is not set}/scripts/start" "$MNT" --etcd="$ETCD_URLS" \
	--etcd-prefix="$PREFIX" 2>&1)
is "$?: $out" "0: lockfs: etcd at $ETCD_URLS mounted on $MNT (stop: fusermount3 -u $MNT)" \
	"scripts/start mounts the etcd backend and says so"
reaches started && [ ! -e "$T/startcache" ]
ok $? "its locks reach the cluster, and no cache directory was made"
rm "$MNT/started" && fusermount3 -u "$MNT"
ok $? "and it stops as it says"
out=$(LOCKFS_BIN=$LOCKFS LOCKFS_CACHE=$T/startcache \
	"$LOCKFS_SOURCE/scripts/start" "$MNT" --etcd "$ETCD_URLS" --etcd-prefix="$PREFIX" 2>&1)
is "$?: $out" "0: lockfs: etcd at $ETCD_URLS mounted on $MNT (stop: fusermount3 -u $MNT)" \
	"scripts/start takes --etcd URL as two words too"
reaches started && [ ! -e "$T/startcache" ] && rm "$MNT/started" && fusermount3 -u "$MNT"
ok $? "...and its locks reach the cluster, with no cache directory made"
finish
