# lib.sh — sourced by every etcd backend test: the filesystem tests' library
# (TAP, a private temporary directory, cleanup that always unmounts), a
# three-member etcd cluster on 127.0.0.1 of the test's own (cluster.sh),
# and two lockfs daemons on it that stand for two machines.
#
#   mount_etcd [OPTIONS...]         the first daemon, on $MNT
#   mount_etcd_second [OPTIONS...]  the second, on $MNT2 (SECOND_PID)
#   etcd_get KEY                    a key's value, as any etcd client sees it

. "$(dirname "${BASH_SOURCE[0]}")/../fs/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"

if ! command -v etcd >/dev/null; then
	echo "Bail out! etcd is not installed (scripts/test installs etcd-server)"
	exit 1
fi

MNT2=$T/mnt2
mkdir -p "$MNT2"
PREFIX=/lockfs-test
COUNTER_CLIENT=${LOCKFS_COUNTER_CLIENT:?LOCKFS_COUNTER_CLIENT is not set}
CHECK_HOLDS="$(dirname "${BASH_SOURCE[0]}")/check_holds.py"
export ETCDCTL_API=3

cleanup() {
	local status=$?
	stop_second
	unmount_lockfs
	cluster_stop
	rm -rf "$T"
	exit $status
}
trap cleanup EXIT

cluster_start "$T" || exit 1

mount_etcd() {
	"$LOCKFS" -f --etcd="$ETCD_URLS" --etcd-prefix="$PREFIX" "$@" "$MNT" 2>>"$T/daemon.log" &
	DAEMON_PID=$!
	if ! wait_until is_mounted; then
		note "lockfs did not mount:"
		sed 's/^/# /' "$T/daemon.log"
		return 1
	fi
}

mount_etcd_second() {
	SECOND_MNT=$MNT2
	"$LOCKFS" -f --etcd="$ETCD_URLS" --etcd-prefix="$PREFIX" "$@" "$MNT2" 2>>"$T/daemon2.log" &
	SECOND_PID=$!
	wait_until grep -q " $MNT2 fuse.lockfs " /proc/mounts
}

etcd_get() { etcdctl --endpoints="$ETCD_URLS" get --print-value-only "$1"; }
etcd_count() { etcdctl --endpoints="$ETCD_URLS" get --prefix --keys-only "$1" | grep -c .; }

# wait_jobs: as the filesystem tests', but the cluster's members are jobs too.
wait_jobs() {
	local status=0 pid
	for pid in $(jobs -p); do
		[ "$pid" = "$DAEMON_PID" ] || [ "$pid" = "$SECOND_PID" ] && continue
		[[ " ${cluster_pids[*]} " == *" $pid "* ]] && continue
		wait "$pid"
		status=$?
	done
	return $status
}

# start_proxy: cutting_proxy.py on $ETCD_BASE_PORT in front of the first
# member, told by files in $CONTROL ($CUT ends a cut); stopped on exit.
start_proxy() {
	PROXY_PORT=$ETCD_BASE_PORT
	CONTROL=$T/proxy
	CUT=$CONTROL/cut
	mkdir -p "$CONTROL"
	/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/cutting_proxy.py" "$PROXY_PORT" \
		"$((ETCD_BASE_PORT + 2))" "$CONTROL" &
	PROXY_PID=$!
	trap stop_proxy EXIT
	wait_until port_taken "$PROXY_PORT"
}
stop_proxy() {
	local status=$?
	kill "$PROXY_PID" 2>/dev/null
	(exit $status)
	cleanup
}
