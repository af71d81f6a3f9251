#!/usr/bin/env bash
# scripts/package builds lockfs_VERSION_ARCH.deb (version from
# debian/changelog, the project's version) that lintian finds no error in;
# it holds /usr/bin/lockfs, /usr/bin/lslockfs, lockfs(8), lslockfs(8) and
# lockfs@.service and depends on
# fuse3.  Installed with dpkg -i, `mount -t fuse.lockfs CACHE MOUNTPOINT`
# mounts through mount.fuse3 with nothing more (no mount.fuse.lockfs), a
# lock taken with touch shows in getfattr and lslockfs (its statistics too),
# umount stops the daemon, the installed unit passes
# systemd-analyze verify, and dpkg --purge leaves the machine as it was
# (also when the test fails half-way).
#
# It takes about a minute (most of it the package build), so it runs in the
# plain build only, and alone.
. "$LOCKFS_SOURCE/tests/fs/lib.sh"

if [ "$LOCKFS_SANITIZE" != none ]; then
	echo "1..0 # SKIP the package is built and tested once, in the plain build"
	exit 0
fi
for tool in dpkg-buildpackage lintian; do
	if ! command -v $tool >/dev/null; then
		echo "Bail out! $tool is missing (scripts/deps installs it)"
		exit 1
	fi
done
# One run at a time on a machine (two builds' test runs, two checkouts):
# both would install and purge the same package.
exec 9>/tmp/lockfs-package-test.lock
if ! flock -w 300 9; then
	echo "Bail out! another run of this test held /tmp/lockfs-package-test.lock for 300 s"
	exit 1
fi
if dpkg-query -W -f='${Status}' lockfs 2>/dev/null | grep -q 'ok installed'; then
	echo "1..0 # SKIP a lockfs package is installed already; not replacing it"
	exit 0
fi

INSTALLED=0
purge() {
	if [ "$INSTALLED" = 1 ]; then
		dpkg --purge lockfs >"$T/purge.log" 2>&1
		INSTALLED=0
	fi
}
# lib.sh's cleanup with the package purged between unmounting and removing $T.
cleanup_and_purge() {
	local status=$?
	unmount_lockfs
	purge
	rm -rf "$T"
	exit $status
}
trap cleanup_and_purge EXIT
trap 'exit 143' TERM INT # meson's timeout: still purge (bash skips EXIT on a signal)

debian_before=$(cd "$LOCKFS_SOURCE" && find debian | sort)
start=$(date +%s)
"$LOCKFS_SOURCE/scripts/package" "$T/pkg" >"$T/deb" 2>"$T/package.log"
is $? 0 "scripts/package builds the package, lintian finds no error"
deb=$(tail -1 "$T/deb")
note "built in $(($(date +%s) - start)) s: $deb"
sed -n 's/^  \([EWIP]: \)/\1/p' "$T/package.log" | sed 's/^/# lintian: /'
[ -f "$deb" ] || { sed 's/^/# /' "$T/package.log" | tail -40; finish; }
like "$deb" "*/lockfs_${LOCKFS_VERSION}_*.deb" "named lockfs_${LOCKFS_VERSION}_ARCH.deb (debian/changelog has the project's version)"
is "$(cd "$LOCKFS_SOURCE" && find debian | sort)" "$debian_before" \
	"the build left the repository's debian/ as it was"
[ ! -e "$LOCKFS_SOURCE/obj-$(dpkg-architecture -qDEB_HOST_GNU_TYPE)" ]
ok $? "and made no build directory in the repository"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/lockfs ./usr/bin/lslockfs ./usr/share/man/man8/lockfs.8.gz \
	./usr/share/man/man8/lslockfs.8.gz ./usr/lib/systemd/system/lockfs@.service; do
	grep -qxF "$path" <<<"$contents"
	ok $? "the package holds ${path#.}"
done
grep -q 'sbin/mount' <<<"$contents"
is $? 1 "and no mount helper: mount.fuse3 runs lockfs from the system's PATH"
like "$(dpkg-deb -f "$deb" Depends)" "*fuse3*libfuse3-3*libsqlite3-0*" "Depends: fuse3 and the libraries"

# Nothing of the package may be on the machine already: dpkg would take it
# over, and dpkg --purge would then remove what was there before.
present=
for path in $contents; do
	[ -f "${path#.}" ] && present="$present ${path#.}"
done
if [ -n "$present" ]; then
	note "already on this machine:$present"
	ok 1 "the package's files are not on the machine before dpkg -i"
	finish
fi

INSTALLED=1 # before: a signal during dpkg -i runs the trap right after it
dpkg -i "$deb" >"$T/install.log" 2>&1
status=$?
is $status 0 "dpkg -i installs it"
[ $status -eq 0 ] || sed 's/^/# /' "$T/install.log"
is "$(command -v lockfs)" /usr/bin/lockfs "lockfs is /usr/bin/lockfs"
like "$(lockfs --version)" "lockfs $LOCKFS_VERSION *" "lockfs --version"
if grep -rqs 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d; then
	note "dpkg excludes /usr/share/man on this machine: man page not checked"
else
	grep -qxF /usr/share/man/man8/lockfs.8.gz <<<"$(man -aw lockfs 2>&1)"
	ok $? "man finds the installed page"
	man -l /usr/share/man/man8/lockfs.8.gz >/dev/null 2>&1
	ok $? "and renders it"
fi
if command -v systemd-analyze >/dev/null; then
	# The installed unit, as the template and as the instance for /run/locks;
	# its man:lockfs(8) is the installed page.
	unit=/usr/lib/systemd/system/lockfs@.service
	out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$unit" 2>&1)
	is "$?/$out" "0/" "systemd-analyze verify $unit"
	mkdir "$T/units" && cp "$unit" "$T/units/lockfs@run-locks.service"
	out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$T/units/lockfs@run-locks.service" 2>&1)
	is "$?/$out" "0/" "systemd-analyze verify lockfs@run-locks.service"
fi

# mount(8) runs mount.fuse3 (as /sbin/mount.fuse, for the type fuse.*),
# which runs `lockfs CACHE MOUNTPOINT -o OPTIONS` with no PATH of ours.
env -i /bin/mount -t fuse.lockfs -o timeout=5 "$CACHE" "$MNT" 2>"$T/mount.log" 9>&-
is $? 0 "mount -t fuse.lockfs CACHE MOUNTPOINT, with an empty environment"
[ -s "$T/mount.log" ] && sed 's/^/# /' "$T/mount.log"
is_mounted
ok $? "mounted as fuse.lockfs"
pid=$(pgrep -xf "lockfs $CACHE $MNT -o .*" | head -1)
[ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe")" = /usr/bin/lockfs ]
ok $? "served by /usr/bin/lockfs in the background"
touch "$MNT/deploy"
is $? 0 "touch takes a lock"
is "$(getfattr --absolute-names --only-values -n user.lock.count "$MNT/deploy")" 1 \
	"getfattr reads its count"
is "$(getfattr --absolute-names --only-values -n user.lock.comm "$MNT/deploy")" touch \
	"and its holder"
is "$(/usr/bin/lslockfs -r -n -o KEY,COUNT,COMMAND "$MNT" 2>&1)" "deploy 1 touch" \
	"the packaged lslockfs lists it"
is "$(/usr/bin/lslockfs --stats -r -n "$MNT" 2>&1 | grep -E ' (acquisitions|holds) ')" \
	"$MNT acquisitions 1
$MNT holds 1" "and shows the daemon's statistics"

rm "$MNT/deploy"
is $? 0 "rm releases it"
umount "$MNT"
is $? 0 "umount"
wait_until test ! -d "/proc/$pid"
ok $? "the daemon exited"

purge
[ ! -e /usr/bin/lockfs ] && [ ! -e /usr/lib/systemd/system/lockfs@.service ] &&
	! dpkg-query -W -f='${Status}' lockfs 2>/dev/null | grep -q 'ok installed'
ok $? "dpkg --purge removes it again"
finish
