#!/usr/bin/env bash
# lockfs@.service passes `systemd-analyze verify` (as the template and as the
# instance lockfs@run-locks.service, its man:lockfs(8) link included); it runs
# `lockfs -f` on the cache /var/lib/lockfs/INSTANCE (its StateDirectory=) at
# the unescaped instance path, stops with SIGTERM, restarts on failure, keeps
# out of every directive that would give it a mount namespace of its own, and
# `meson install` puts it in PREFIX/lib/systemd/system naming the installed
# lockfs.
. "$(dirname "$0")/tap.sh"

UNIT=$LOCKFS_UNIT
BIN=$LOCKFS_PREFIX/$LOCKFS_BINDIR/lockfs

if ! command -v systemd-analyze >/dev/null; then
	skip_all "systemd-analyze is missing (scripts/deps installs systemd)"
fi

# value KEY: the unit's KEY= values, one a line.
value() { sed -n "s/^$1=//p" "$UNIT"; }

is "$(value ExecStart)" "$BIN -f -o allow_other \$LOCKFS_OPTIONS %S/lockfs/%i %f" \
	"ExecStart runs the installed lockfs -f on %S/lockfs/%i (the cache) at %f (the mountpoint)"
is "$(value StateDirectory)" "lockfs/%i" "StateDirectory=lockfs/%i: ExecStart's cache, /var/lib/lockfs/INSTANCE"
is "$(value StateDirectoryMode)" "0700" "the cache directory is 0700, as lockfs makes one"
is "$(value Type)" "exec" "Type=exec: lockfs -f is the main process"
is "$(value KillSignal)" "SIGTERM" "KillSignal=SIGTERM: waiters get ENOTCONN, lockfs unmounts"
is "$(value Restart)" "on-failure" "Restart=on-failure"
is "$(value DevicePolicy)/$(value DeviceAllow)" "closed//dev/fuse rw" \
	"DevicePolicy=closed with DeviceAllow=/dev/fuse rw: /dev/fuse and the pseudo devices only"
is "$(value CapabilityBoundingSet)" "CAP_SYS_ADMIN" "CapabilityBoundingSet keeps CAP_SYS_ADMIN (mount, umount2) only"
like "$(value ExecStartPre)" "-/bin/mkdir -p %f" "ExecStartPre makes a missing mountpoint, failure ignored"
like "$(value ExecStartPost)" "*findmnt*fuse.lockfs*%f" "ExecStartPost waits for the mount"
like "$(value Documentation)" "*man:lockfs(8)*" "Documentation=man:lockfs(8)"

# Any of these gives the service its own mount namespace (or takes
# CAP_SYS_ADMIN, or hides /dev/fuse), where the mount would be invisible.
namespaced=$(grep -E '^(PrivateTmp|PrivateDevices|PrivateMounts|PrivateNetwork|PrivateIPC|PrivateUsers|ProtectSystem|ProtectHome|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|ProcSubset|ProtectHostname|ProtectClock|ReadOnlyPaths|ReadWritePaths|InaccessiblePaths|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|RootDirectory|RootImage|MountFlags|DynamicUser)=' "$UNIT")
is "$namespaced" "" "no directive that makes a mount namespace or hides /dev/fuse"

is "$(systemd-escape --path --template=lockfs@.service /run/locks)" "lockfs@run-locks.service" \
	"the instance for /run/locks is lockfs@run-locks.service"

# verify checks that ExecStart's program exists: the installed path does not
# exist until `meson install`, so point a copy at the built lockfs.  The man
# page is found through MANPATH.
mkdir -p "$T/units" "$T/man/man8"
cp "$LOCKFS_SOURCE/doc/lockfs.8" "$T/man/man8/"
sed "s|^ExecStart=$BIN |ExecStart=$LOCKFS_BIN |" "$UNIT" >"$T/units/lockfs@.service"
cp "$T/units/lockfs@.service" "$T/units/lockfs@run-locks.service"
for unit in lockfs@.service lockfs@run-locks.service; do
	out=$(cd "$T/units" && MANPATH=$T/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify "./$unit" 2>&1)
	is "$?/$out" "0/" "systemd-analyze verify $unit: no complaint"
done
out=$(cd "$T/units" && SYSTEMD_LOG_COLOR=0 systemd-analyze security --offline=yes \
	./lockfs@.service 2>/dev/null | grep 'Overall exposure')
note "systemd-analyze security: ${out#→ }"

install_to "$T/root" systemd,runtime
status=$?
ok $status "meson install --tags systemd,runtime --destdir"
[ $status -eq 0 ] || sed 's/^/# /' "$T/install.log"
installed=$T/root$LOCKFS_PREFIX/lib/systemd/system/lockfs@.service
cmp -s "$UNIT" "$installed"
ok $? "meson install put lockfs@.service in $LOCKFS_PREFIX/lib/systemd/system"
[ -x "$T/root$BIN" ]
ok $? "and the lockfs its ExecStart names, $BIN"
finish
