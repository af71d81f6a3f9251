#!/usr/bin/env bash
# 16 processes, C clients and shell clients mixed, take one lock in turn and
# increment a shared counter: nothing is lost.
. "$(dirname "$0")/../fs/lib.sh"
CLIENT=${LOCKFS_STRESS_CLIENT:?}
c_rounds=${LOCKFS_STRESS_C_ROUNDS:-150}
sh_rounds=${LOCKFS_STRESS_SH_ROUNDS:-25}
mount_lockfs --timeout=inf || exit 1

echo 0 >"$T/counter"
shell_client() {
	for _ in $(seq "$sh_rounds"); do
		touch "$MNT/counter.lock" || exit 1
		n=$(cat "$T/counter")
		echo $((n + 1)) >"$T/counter"
		rm "$MNT/counter.lock" || exit 1
	done
}
pids=()
for _ in $(seq 8); do
	"$CLIENT" count "$MNT" "$T/counter" "$c_rounds" &
	pids+=($!)
	shell_client &
	pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
is "$status" 0 "all 16 clients finished"
is "$(cat "$T/counter")" $((8 * c_rounds + 8 * sh_rounds)) "the counter lost nothing"
is "$(sql "SELECT count(*) FROM cache")" 0 "the lock is free at the end"
finish
