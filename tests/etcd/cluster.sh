# cluster.sh — a three-member etcd cluster on 127.0.0.1 for the tests,
# started and stopped by them (sourced).  Ports come from ETCD_BASE_PORT
# (default: derived from the shell's pid): member i listens for clients on
# BASE+2i and for peers on BASE+2i+1.  Data lives in memory (/dev/shm) when
# it can, so that a write does not wait for a disk.
#
#   cluster_start DIR       start n1..n3; sets ETCD_URLS (comma-separated)
#   cluster_url I           member I's client URL
#   cluster_kill I          SIGKILL member I and wait for it to exit
#   cluster_restart I       start member I again on its data
#   cluster_leader          the index of the current leader
#   cluster_stop            stop every member and remove the data

ETCD_BASE_PORT=${ETCD_BASE_PORT:-$((20000 + ($$ % 2000) * 8))}
cluster_pids=()
cluster_dir=

cluster_url() { echo "http://127.0.0.1:$((ETCD_BASE_PORT + 2 * $1))"; }
cluster_peer() { echo "http://127.0.0.1:$((ETCD_BASE_PORT + 2 * $1 + 1))"; }

cluster_member_start() { # I STATE
	local i=$1 state=$2 initial=
	for j in 1 2 3; do initial+="${initial:+,}n$j=$(cluster_peer "$j")"; done
	etcd --name "n$i" --data-dir "$cluster_dir/n$i" \
		--listen-client-urls "$(cluster_url "$i")" --advertise-client-urls "$(cluster_url "$i")" \
		--listen-peer-urls "$(cluster_peer "$i")" --initial-advertise-peer-urls "$(cluster_peer "$i")" \
		--initial-cluster "$initial" --initial-cluster-token "lockfs-test-$$" \
		--initial-cluster-state "$state" --log-level error \
		>>"$cluster_dir/n$i.log" 2>&1 &
	cluster_pids[i]=$!
}

cluster_healthy() { # I: answers a linearizable read
	curl -s -m 1 -X POST -d '{"key":"AA=="}' "$(cluster_url "$1")/v3/kv/range" 2>/dev/null |
		grep -q '"header"'
}

# port_taken PORT: something listens on 127.0.0.1:PORT.
port_taken() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cluster_start() { # DIR
	local base=/dev/shm tries p free
	[ -d "$base" ] && [ -w "$base" ] || base=$1
	cluster_dir=$(mktemp -d "$base/lockfs-etcd.XXXXXX")
	# Another run (a second checkout's tests) may hold these ports: move on.
	for tries in $(seq 20); do
		free=1
		for p in $(seq "$((ETCD_BASE_PORT + 2))" "$((ETCD_BASE_PORT + 7))"); do
			port_taken "$p" && free=0
		done
		[ "$free" = 1 ] && break
		ETCD_BASE_PORT=$((ETCD_BASE_PORT + 997))
	done
	for i in 1 2 3; do cluster_member_start "$i" new; done
	ETCD_URLS="$(cluster_url 1),$(cluster_url 2),$(cluster_url 3)"
	# A busy machine (the other tests, sanitizers) may take a while: up to 60 s.
	local deadline=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$deadline" ]; do
		cluster_healthy 1 && cluster_healthy 2 && cluster_healthy 3 && return 0
		sleep 0.1
	done
	echo "Bail out! the etcd cluster did not come up within 60 s; its logs:"
	tail -5 "$cluster_dir"/n*.log | sed 's/^/# /'
	return 1
}

cluster_kill() { # I
	local pid=${cluster_pids[$1]}
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true # its status, 137, fails no script under set -e
	cluster_pids[$1]=
}

cluster_restart() { # I
	cluster_member_start "$1" existing
	for _ in $(seq 200); do cluster_healthy "$1" && return 0; sleep 0.1; done
	return 1
}

cluster_leader() {
	local i
	for i in 1 2 3; do
		[ -n "${cluster_pids[i]}" ] || continue
		curl -s -m 1 -X POST -d '{}' "$(cluster_url "$i")/v3/maintenance/status" 2>/dev/null |
			/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d.get("leader")==d["header"]["member_id"] else 1)' 2>/dev/null &&
			{ echo "$i"; return 0; }
	done
	return 1
}

cluster_stop() {
	local i
	for i in 1 2 3; do cluster_kill "$i"; done
	[ -n "$cluster_dir" ] && rm -rf "$cluster_dir"
	cluster_dir=
}
