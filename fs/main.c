/*
 * main.c — the lockfs command: options, checks, mounting and stopping.
 *
 * Everything that can be refused is refused before anything is created or
 * mounted, each time with one line on stderr naming what the user typed:
 * bad options (exit 2 for usage, 1 for bad values), a missing or
 * non-directory mountpoint, a mountpoint that is a live lockfs mount, one
 * that is the cache directory or above it (the daemon would open its cache
 * through its own mount and wait on itself forever), an unusable cache
 * (exit 1).  Paths are compared as real paths; the cache directory may not
 * exist yet, so its nearest existing ancestor is resolved and the rest is
 * taken as written.
 *
 * A mountpoint left behind by a killed lockfs (ENOTCONN, and mountinfo says
 * fuse.lockfs) is detached and mounted again, with a notice.  A cache this
 * run created is removed again when anything fails before serving starts;
 * an existing one is never touched.
 *
 * On SIGTERM, SIGINT or SIGHUP (even when started with them ignored) every
 * waiting acquisition is answered ENOTCONN, then the filesystem is
 * unmounted and lockfs exits 0.
 */
#include "lockfs.h"
#include "etcd_cli.h"
#include "name.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

extern char **environ;

#define LOCKFS_VERSION "0.1.0"

/* Exit statuses; PREPARED_DONE: --help or --version did everything. */
enum exit_code { PREPARED_DONE = -1, EXIT_OK = 0, EXIT_BAD = 1, EXIT_USAGE = 2 };

struct cli {
	char *timeout;
	char *ttl;
	char *open; /* --open: what an open for writing does at the root */
	char *stats; /* --stats: on or off */
	struct etcd_cli etcd; /* --etcd, --etcd-prefix, --etcd-timeout, --session-ttl */
	char *tags;    /* joined with ',' */
	char *bad_tag; /* the first --tag or -o tag option refused on its own, as typed */
	char *positional[2];
	int positional_count;
	bool foreground, debug, help, version, usage_error;
};

enum { KEY_TAG, KEY_FOREGROUND, KEY_DEBUG, KEY_HELP, KEY_VERSION };

static const struct fuse_opt cli_spec[] = {
	{"--timeout=%s", offsetof(struct cli, timeout), 0},
	{"timeout=%s", offsetof(struct cli, timeout), 0},
	{"--ttl=%s", offsetof(struct cli, ttl), 0},
	{"ttl=%s", offsetof(struct cli, ttl), 0},
	{"--open=%s", offsetof(struct cli, open), 0},
	{"open=%s", offsetof(struct cli, open), 0},
	{"--stats=%s", offsetof(struct cli, stats), 0},
	{"stats=%s", offsetof(struct cli, stats), 0},
	{"--etcd=%s", offsetof(struct cli, etcd.urls), 0},
	{"etcd=%s", offsetof(struct cli, etcd.urls), 0},
	{"--etcd-prefix=%s", offsetof(struct cli, etcd.prefix), 0},
	{"etcd-prefix=%s", offsetof(struct cli, etcd.prefix), 0},
	{"--etcd-timeout=%s", offsetof(struct cli, etcd.timeout), 0},
	{"etcd-timeout=%s", offsetof(struct cli, etcd.timeout), 0},
	{"--session-ttl=%s", offsetof(struct cli, etcd.session_ttl), 0},
	{"session-ttl=%s", offsetof(struct cli, etcd.session_ttl), 0},
	FUSE_OPT_KEY("--tag=", KEY_TAG),
	FUSE_OPT_KEY("tag=", KEY_TAG),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: lockfs [OPTIONS] CACHE_DIR MOUNTPOINT\n"
		"       lockfs [OPTIONS] --etcd=URL[,URL...] MOUNTPOINT\n"
		"\n"
		"Show the locks of a typed_diskcache cache, or of an etcd v3 cluster, as\n"
		"files: creating a file acquires the lock of that name, unlinking it\n"
		"releases it.\n"
		"\n"
		"  --timeout=S, -o timeout=S  how long an acquisition waits, in seconds;\n"
		"                             0 = do not wait, inf = forever (default 10)\n"
		"  --ttl=S, -o ttl=S          expiry of new locks in seconds, none = never\n"
		"                             (default none)\n"
		"  --open=MODE, -o open=MODE  what an open for writing does at the root:\n"
		"                             acquire (held until rm), bound (held until\n"
		"                             the last close), none (flock/fcntl only)\n"
		"                             (default acquire)\n"
		"  --tag=T, -o tag=T          a tag for new locks (repeatable)\n"
		"  --stats=on|off, -o stats=  keep statistics, shown in the root's\n"
		"                             user.lockfs.stats (default on)\n"
		"  --etcd=URL[,URL...]        keep the locks in this etcd cluster (its\n"
		"                             members' client URLs; -o etcd=URL+URL)\n"
		"  --etcd-prefix=P            the cluster's keys for lockfs (default /lockfs)\n"
		"  --etcd-timeout=S           how long one request to etcd may take (default 1)\n"
		"  --session-ttl=S            how long after this daemon is gone its bound\n"
		"                             locks are released (default 10)\n"
		"  -f                         stay in the foreground, log to stderr\n"
		"  -d                         debug log (implies -f)\n"
		"  -o allow_other, ...        FUSE mount options\n"
		"  -h, --help                 this text\n"
		"  -V, --version              the version\n");
}

/* One --tag value on its own: not empty, and each of its comma-separated tags valid. */
static bool tag_option_valid(const char *value)
{
	char *canonical;
	int rc;

	if (!*value)
		return false;
	rc = policy_parse_tags(value, strlen(value), &canonical);
	free(canonical); /* NULL when refused */
	return rc == 0;
}

/* Name what is wrong with the command line: the first mistake only, so one line. */
static void refuse_usage(struct cli *cli, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static void refuse_usage(struct cli *cli, const char *format, ...)
{
	va_list ap;

	if (!cli->usage_error) {
		va_start(ap, format);
		fputs("lockfs: ", stderr);
		vfprintf(stderr, format, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	cli->usage_error = true;
}

static int on_option(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct cli *cli = data;
	const char *value;
	char *joined;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (cli->positional_count == 2) {
			refuse_usage(cli, "unexpected argument '%s' after CACHE_DIR and MOUNTPOINT",
				     arg);
			return 0;
		}
		cli->positional[cli->positional_count++] = strdup(arg);
		return 0;
	case KEY_TAG:
		value = strchr(arg, '=') + 1;
		if (!cli->bad_tag && !tag_option_valid(value))
			cli->bad_tag = strdup(arg);
		if (!*value)
			value = ","; /* an empty tag: refused by read_policy */
		if (asprintf(&joined, "%s%s%s", cli->tags ? cli->tags : "", cli->tags ? "," : "",
			     value) < 0)
			return -1;
		free(cli->tags);
		cli->tags = joined;
		return 0;
	case KEY_FOREGROUND:
		cli->foreground = true;
		return 0;
	case KEY_DEBUG:
		cli->debug = cli->foreground = true;
		return fuse_opt_add_arg(out, "-odebug");
	case KEY_HELP:
		cli->help = true;
		return 0;
	case KEY_VERSION:
		cli->version = true;
		return 0;
	default:
		if (arg[0] == '-') {
			refuse_usage(cli, "unknown option '%s' (see lockfs --help)", arg);
			return 0;
		}
		if (strncmp(arg, "http://", 7) == 0 || strncmp(arg, "https://", 8) == 0) {
			/* "-o etcd=URL,URL": the comma ended the option. */
			refuse_usage(cli, "'%s' in -o looks like another etcd URL: inside -o, "
					  "separate them with '+'", arg);
			return 0;
		}
		return 1; /* a FUSE -o option: fuse_session_new checks it */
	}
}

/* Turn the option values into the mount's default policy; print what is wrong. */
static int read_policy(const struct cli *cli, struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->timeout = 10;
	if (cli->timeout && policy_parse_timeout(cli->timeout, strlen(cli->timeout), &p->timeout)) {
		fprintf(stderr, "lockfs: bad timeout '%s': seconds >= 0, or inf\n", cli->timeout);
		return -1;
	}
	if (cli->open && policy_parse_open(cli->open, strlen(cli->open), &p->open)) {
		fprintf(stderr, "lockfs: bad open mode '%s': acquire, bound or none\n", cli->open);
		return -1;
	}
	if (cli->ttl && policy_parse_ttl(cli->ttl, strlen(cli->ttl), &p->has_ttl, &p->ttl)) {
		fprintf(stderr, "lockfs: bad ttl '%s': seconds > 0, or none\n", cli->ttl);
		return -1;
	}
	if (cli->bad_tag || policy_parse_tags(cli->tags ? cli->tags : "",
					      cli->tags ? strlen(cli->tags) : 0, &p->tags)) {
		fprintf(stderr, "lockfs: bad tag in '%s': non-empty text of at most %d bytes\n",
			cli->bad_tag ? cli->bad_tag : cli->tags, TAG_MAX_BYTES);
		return -1;
	}
	return 0;
}

/* --stats=on|off (default on); print what is wrong. */
static int read_stats(const struct cli *cli, bool *on)
{
	*on = !cli->stats || strcmp(cli->stats, "on") == 0;
	if (cli->stats && !*on && strcmp(cli->stats, "off") != 0) {
		fprintf(stderr, "lockfs: bad stats '%s': on or off\n", cli->stats);
		return -1;
	}
	return 0;
}

/*
 * The real path of path: realpath() of its longest leading part that
 * resolves, then the rest as written with "." and ".." folded (what does
 * not exist yet cannot be a symlink; what lies below a dead mount cannot be
 * looked at).  A relative path starts at the working directory.  Returns a
 * string the caller frees, or NULL with errno set.
 */
static char *resolve_path(const char *path)
{
	char *work = NULL, *real = NULL, *out = NULL, *cwd, *part, *save;
	size_t cut;

	if (path[0] == '/') {
		work = strdup(path);
	} else if ((cwd = getcwd(NULL, 0))) {
		if (asprintf(&work, "%s/%s", cwd, path) < 0)
			work = NULL;
		free(cwd);
	}
	if (!work)
		return NULL;
	for (cut = strlen(work);; cut--) {
		char saved = work[cut];

		work[cut] = '\0';
		real = realpath(cut ? work : "/", NULL);
		work[cut] = saved;
		if (real || cut == 0)
			break;
		while (cut > 0 && work[cut - 1] != '/')
			cut--; /* the loop's cut-- then steps over the '/' */
	}
	if (!real)
		goto out;
	out = malloc(strlen(real) + strlen(work + cut) + 2);
	if (!out)
		goto out;
	strcpy(out, real);
	for (part = strtok_r(work + cut, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			char *slash = strrchr(out, '/');

			slash[slash == out] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
			continue;
		}
		if (strcmp(out, "/") != 0)
			strcat(out, "/");
		strcat(out, part);
	}
out:
	free(real);
	free(work);
	return out;
}

/* Decode mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape_mountinfo(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * True when the topmost mount at real (an absolute path without symlinks) is
 * a lockfs mount: the last line of /proc/self/mountinfo with that mount
 * point has the filesystem type fuse.lockfs.
 */
static bool is_lockfs_mount(const char *real)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *field, *save, *separator;
	size_t cap = 0;
	bool lockfs = false;

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE ... */
		separator = strstr(line, " - ");
		if (!separator)
			continue;
		*separator = '\0';
		field = strtok_r(line, " ", &save);
		for (int i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		unescape_mountinfo(field);
		if (strcmp(field, real) != 0)
			continue;
		field = strtok_r(separator + 3, " ", &save);
		lockfs = field && strcmp(field, "fuse.lockfs") == 0;
	}
	free(line);
	fclose(f);
	return lockfs;
}

enum mountpoint_state { MOUNTPOINT_USABLE, MOUNTPOINT_KILLED_LOCKFS, MOUNTPOINT_REFUSED };

/*
 * A mountpoint inside a lockfs mount (a directory of its locks): refused,
 * with why, for a mount there would hide that mount's locks below it.
 */
static bool inside_lockfs(const char *typed, const char *real)
{
	char *above = strdup(real), *slash;
	bool inside = false;

	while (above && !inside && (slash = strrchr(above, '/')) && slash != above) {
		*slash = '\0';
		inside = is_lockfs_mount(above);
	}
	if (inside)
		fprintf(stderr,
			"lockfs: mountpoint %s: inside the lockfs mount %s (it would hide the "
			"locks below it)\n",
			typed, above);
	free(above);
	return inside;
}

/*
 * Check the mountpoint as typed; *real gets its real path (the caller frees
 * it).  A live lockfs mount is refused (a second daemon would stack on the
 * first); one left by a killed lockfs (stat says ENOTCONN, mountinfo says
 * fuse.lockfs) is MOUNTPOINT_KILLED_LOCKFS, for the caller to detach.
 * Prints why it refuses.
 */
static enum mountpoint_state check_mountpoint(const char *typed, char **real)
{
	struct stat sb;
	int err = 0;

	if (stat(typed, &sb) < 0)
		err = errno;
	else if (!S_ISDIR(sb.st_mode))
		err = ENOTDIR;
	*real = err == 0 || err == ENOTCONN ? resolve_path(typed) : NULL;
	if ((err == 0 || err == ENOTCONN) && !*real)
		err = errno;
	else if (err == ENOTCONN && is_lockfs_mount(*real))
		return MOUNTPOINT_KILLED_LOCKFS;
	if (err) {
		fprintf(stderr, "lockfs: mountpoint %s: %s\n", typed, strerror(err));
		return MOUNTPOINT_REFUSED;
	}
	if (is_lockfs_mount(*real)) {
		fprintf(stderr,
			"lockfs: mountpoint %s: already a lockfs mount (unmount it first)\n",
			typed);
		return MOUNTPOINT_REFUSED;
	}
	return inside_lockfs(typed, *real) ? MOUNTPOINT_REFUSED : MOUNTPOINT_USABLE;
}

/*
 * Refuse a mountpoint that is the cache directory or a directory above it:
 * the daemon opens its cache after mounting, before it serves, so it would
 * reach the cache through its own mount and wait on itself for ever (and
 * so would every process that looked).  A mountpoint below the cache
 * directory is fine.  Arguments: as typed and as real paths.
 */
static int check_apart(const char *cache, const char *cache_real, const char *mountpoint,
		       const char *mountpoint_real)
{
	size_t len = strlen(mountpoint_real);

	if (strcmp(cache_real, mountpoint_real) == 0) {
		fprintf(stderr,
			"lockfs: mountpoint %s is the cache directory %s: lockfs would wait on "
			"itself\n",
			mountpoint, cache);
		return -1;
	}
	if (strcmp(mountpoint_real, "/") == 0 ||
	    (strncmp(cache_real, mountpoint_real, len) == 0 && cache_real[len] == '/')) {
		fprintf(stderr,
			"lockfs: mountpoint %s holds the cache directory %s: lockfs would wait on "
			"itself\n",
			mountpoint, cache);
		return -1;
	}
	return 0;
}

/* Detach the mount at real: umount2(MNT_DETACH) as root, fusermount3 -uz otherwise. */
static int detach_mount(const char *real)
{
	char *argv[] = {"fusermount3", "-uz", "--", (char *)real, NULL};
	pid_t pid;
	int rc, status;

	if (geteuid() == 0)
		return umount2(real, MNT_DETACH) < 0 ? -errno : 0;
	rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc)
		return -rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

/*
 * Detach what killed lockfs daemons left at the mountpoint (one layer at a
 * time), say so once, and check what is then there like any mountpoint.
 */
static int take_over_mountpoint(const char *typed, char **real)
{
	enum mountpoint_state state = MOUNTPOINT_KILLED_LOCKFS;
	int rc;

	for (int layer = 0; state == MOUNTPOINT_KILLED_LOCKFS; layer++) {
		rc = layer < 16 ? detach_mount(*real) : -ELOOP;
		if (rc < 0) {
			fprintf(stderr,
				"lockfs: mountpoint %s: cannot detach the killed lockfs mounted "
				"there: %s\n",
				typed, strerror(-rc));
			return -1;
		}
		if (layer == 0)
			fprintf(stderr,
				"lockfs: mountpoint %s: detached a killed lockfs (Transport "
				"endpoint is not connected); mounting again\n",
				typed);
		free(*real);
		state = check_mountpoint(typed, real);
	}
	return state == MOUNTPOINT_USABLE ? 0 : -1;
}

/*
 * What this run creates of its cache, to take back when it never serves.
 * Looked at before check_cache, which creates what is missing.
 */
struct cache_birth {
	char *dir;	 /* the cache directory's real path, when this run makes cache.db */
	size_t kept_len; /* the leading part of dir that existed: directories below are new */
};

/* Fill birth for the cache directory dir (a real path); -1 when out of memory. */
static int note_cache_birth(const char *dir, struct cache_birth *birth)
{
	struct stat sb;
	char *probe = strdup(dir), *db = NULL;
	int rc = -1;

	if (!probe)
		goto out;
	while (lstat(probe, &sb) < 0 && errno == ENOENT) {
		char *slash = strrchr(probe, '/');

		slash[slash == probe] = '\0'; /* dir is absolute: stops at "/" */
	}
	birth->kept_len = strlen(probe);
	if (birth->kept_len == strlen(dir)) {
		if (asprintf(&db, "%s/cache.db", dir) < 0) {
			db = NULL;
			goto out;
		}
		if (lstat(db, &sb) == 0 || errno != ENOENT) {
			rc = 0; /* a cache.db was there: never ours to remove */
			goto out;
		}
	}
	birth->dir = strdup(dir);
	rc = birth->dir ? 0 : -1;
out:
	free(db);
	free(probe);
	return rc;
}

/* Remove what note_cache_birth found new: the cache's files, then the new directories. */
static void remove_new_cache(const struct cache_birth *birth)
{
	static const char *const files[] = {"cache.db", "cache.db-wal", "cache.db-shm",
					    "cache.db-journal"};
	char path[PATH_MAX];

	if (!birth->dir)
		return;
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", birth->dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s", birth->dir);
	while (strlen(path) > birth->kept_len && rmdir(path) == 0) {
		char *slash = strrchr(path, '/');

		slash[slash == path] = '\0';
	}
}

/*
 * Open (creating if needed) and check the cache at real (typed as dir, which
 * the messages name), then close it again.
 */
static int check_cache(const char *dir, const char *real, char **absolute)
{
	enum store_refusal why;
	struct store *st;
	int rc = store_open(real, &st, &why);

	if (rc == -EINVAL) {
		fprintf(stderr, "lockfs: %s%s: refused: %s\n", dir,
			why == STORE_NOT_DIRECTORY || why == STORE_REMOTE_FS ? "" : "/cache.db",
			store_refusal_text(why));
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "lockfs: %s/cache.db: %s\n", dir, strerror(-rc));
		return -1;
	}
	if (store_may_evict(st))
		fprintf(stderr,
			"lockfs: warning: %s/cache.db has an eviction policy; typed_diskcache "
			"clients may evict held locks when it grows past its size_limit\n",
			dir);
	store_close(st);
	*absolute = realpath(real, NULL);
	if (!*absolute) {
		fprintf(stderr, "lockfs: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Name the mount after its cache: "CACHE_DIR on MOUNTPOINT type fuse.lockfs". */
static int add_mount_names(struct fuse_args *args, const char *cache_dir)
{
	char *opts = NULL;
	int rc = fuse_opt_add_opt(&opts, "subtype=lockfs");
	char *fsname;

	if (rc == 0 && asprintf(&fsname, "fsname=%s", cache_dir) > 0) {
		rc = fuse_opt_add_opt_escaped(&opts, fsname);
		free(fsname);
	}
	if (rc == 0)
		rc = fuse_opt_add_arg(args, "-o");
	if (rc == 0)
		rc = fuse_opt_add_arg(args, opts);
	free(opts);
	return rc;
}

/* Stopping: every waiting request gets ENOTCONN (not EINTR, which programs retry). */
static void answer_all(struct lockfs *fs)
{
	pthread_mutex_lock(&fs->lock);
	fs->stopping = true;
	waitq_answer_all(&fs->waitq, -ENOTCONN);
	pthread_mutex_unlock(&fs->lock);
}

/* Start the helper threads with the stop signals blocked, so they reach the loop. */
static int start_threads(struct lockfs *fs)
{
	sigset_t block, old;
	int rc;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = notifier_start(&fs->notifier, fs->session);
	if (rc == 0)
		rc = watch_start(fs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/*
 * Let SIGTERM, SIGINT and SIGHUP stop the session.  libfuse installs its
 * handler only where the disposition is SIG_DFL, and a shell starts
 * `lockfs ... &` with SIGINT ignored (`trap '' TERM` ignores more), so set
 * them to SIG_DFL first, blocked meanwhile so that none is fatal or lost,
 * and leave them unblocked whatever the caller's mask was.
 */
static int catch_stop_signals(struct fuse_session *se)
{
	static const int stop[] = {SIGTERM, SIGINT, SIGHUP};
	struct sigaction default_action = {.sa_handler = SIG_DFL};
	sigset_t block, old;
	int rc;

	sigemptyset(&default_action.sa_mask);
	sigemptyset(&block);
	for (unsigned i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		sigaddset(&block, stop[i]);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < sizeof(stop) / sizeof(stop[0]); i++) {
		sigaction(stop[i], &default_action, NULL);
		sigdelset(&old, stop[i]);
	}
	rc = fuse_set_signal_handlers(se);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/*
 * Mount, serve until stopped, unmount.  The session exists already.
 * *served: the loop ran (a cache this run made may hold locks from then on).
 */
static int serve(struct lockfs *fs, bool *served)
{
	enum store_refusal why;
	int rc, status = EXIT_BAD;

	if (catch_stop_signals(fs->session) < 0)
		goto out_session;
	if (fuse_session_mount(fs->session, fs->opts.mountpoint) < 0)
		goto out_signals;
	if (fuse_daemonize(fs->opts.foreground) < 0)
		goto out_unmount;
	lockfs_log_to_syslog(!fs->opts.foreground);
	if (fs->opts.etcd.prefix)
		rc = store_open_etcd(&fs->opts.etcd, &fs->store, NULL, 0);
	else
		rc = store_open(fs->opts.cache_dir, &fs->store, &why);
	if (rc < 0) {
		lockfs_log(LOG_ERR, "%s%s: %s", fs->opts.source,
			   fs->opts.etcd.prefix ? "" : "/cache.db",
			   rc == -EINVAL && !fs->opts.etcd.prefix ? store_refusal_text(why)
								  : strerror(-rc));
		goto out_unmount;
	}
	rc = start_threads(fs);
	if (rc < 0) {
		lockfs_log(LOG_ERR, "cannot start: %s", strerror(-rc));
		goto out_threads;
	}
	lockfs_log(LOG_INFO, "serving %s on %s", fs->opts.source, fs->opts.mountpoint);
	*served = true;
	rc = fuse_session_loop(fs->session);
	answer_all(fs);
	/* libfuse reports the stop signal as the loop's result. */
	status = rc == 0 || rc == SIGTERM || rc == SIGINT || rc == SIGHUP ? EXIT_OK : EXIT_BAD;
	lockfs_log(LOG_INFO, "stopped serving %s", fs->opts.mountpoint);
out_threads:
	watch_stop(fs);
	notifier_stop(&fs->notifier);
out_unmount:
	fuse_session_unmount(fs->session);
out_signals:
	fuse_remove_signal_handlers(fs->session);
out_session:
	return status;
}

/*
 * Copy argv into args, joining "--timeout 5" into "--timeout=5" (likewise
 * --ttl and --tag), which libfuse's option parser does not do.  -1, having
 * said so, when such an option is the last argument.
 */
static int join_option_values(int argc, char *argv[], struct fuse_args *args)
{
	static const char *const spaced[] = {"--timeout",      "--ttl",        "--tag",
					     "--open",         "--stats",      "--etcd",
					     "--etcd-prefix",  "--etcd-timeout", "--session-ttl"};
	bool options_ended = false;

	for (int i = 0; i < argc; i++) {
		char *joined = NULL;
		int rc;

		if (i > 0 && !options_ended && strcmp(argv[i], "--") == 0) {
			options_ended = true;
		} else if (i > 0 && !options_ended && strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			if (fuse_opt_add_arg(args, argv[i++]) < 0)
				return -1; /* and the next argument is -o's, verbatim */
		} else if (i > 0 && !options_ended) {
			for (unsigned k = 0; k < sizeof(spaced) / sizeof(spaced[0]); k++) {
				if (strcmp(argv[i], spaced[k]) != 0)
					continue;
				if (i + 1 == argc) {
					fprintf(stderr, "lockfs: option '%s' needs a value\n",
						argv[i]);
					return -1;
				}
				if (asprintf(&joined, "%s=%s", argv[i], argv[i + 1]) < 0)
					return -1;
				i++;
				break;
			}
		}
		rc = fuse_opt_add_arg(args, joined ? joined : argv[i]);
		free(joined);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* From fstab, mount(8) passes the source field first: "etcd" or "etcd:...". */
static bool is_etcd_source(const char *source)
{
	return strcmp(source, "etcd") == 0 || strncmp(source, "etcd:", 5) == 0;
}

/* prepare() for the etcd backend: one MOUNTPOINT, and a cluster that answers. */
static int prepare_etcd(struct cli *cli, struct fuse_args *args, struct lockfs *fs)
{
	const char *mountpoint = cli->positional[cli->positional_count - 1];
	const char *source = cli->positional[0];
	enum mountpoint_state state;

	if (cli->positional_count == 0 ||
	    (cli->positional_count == 2 && !is_etcd_source(source))) {
		if (cli->positional_count == 0)
			fprintf(stderr, "lockfs: need a MOUNTPOINT (see lockfs --help)\n");
		else
			fprintf(stderr,
				"lockfs: unexpected argument '%s': with --etcd, give only "
				"MOUNTPOINT (or, from fstab, the source 'etcd')\n",
				source);
		return EXIT_USAGE;
	}
	fs->opts.source = etcd_cli_source(&cli->etcd, &fs->opts.etcd);
	state = check_mountpoint(mountpoint, &fs->opts.mountpoint);
	if (!fs->opts.source || state == MOUNTPOINT_REFUSED || add_mount_names(args, fs->opts.source) < 0)
		return EXIT_BAD;
	fs->session = fuse_session_new(args, lockfs_operations(),
				       sizeof(struct fuse_lowlevel_ops), fs);
	if (!fs->session)
		return EXIT_USAGE; /* libfuse said which option it did not know */
	if (state == MOUNTPOINT_KILLED_LOCKFS &&
	    take_over_mountpoint(mountpoint, &fs->opts.mountpoint) < 0)
		return EXIT_BAD;
	if (etcd_cli_check(&cli->etcd, &fs->opts.etcd) < 0)
		return EXIT_BAD;
	fs->opts.foreground = cli->foreground;
	stats_init(&fs->stats, clock_wall());
	return 0;
}

/*
 * Parse and check everything, and create the cache if missing (noted in
 * *birth): 0 to go on, PREPARED_DONE, or an exit status (it printed why).
 */
static int prepare(int argc, char *argv[], struct cli *cli, struct fuse_args *args,
		   struct lockfs *fs, struct cache_birth *birth)
{
	const char *cache, *mountpoint;
	char *cache_real = NULL;
	enum mountpoint_state state;
	int status = EXIT_BAD, rc;

	/* Usage errors: on_option, join_option_values or libfuse said which. */
	if (join_option_values(argc, argv, args) < 0 ||
	    fuse_opt_parse(args, cli, cli_spec, on_option) < 0 || cli->usage_error)
		return EXIT_USAGE;
	if (cli->help) {
		usage(stdout);
		return PREPARED_DONE;
	}
	if (cli->version) {
		printf("lockfs %s (libfuse %s, SQLite %s)\n", LOCKFS_VERSION, fuse_pkgversion(),
		       sqlite3_libversion());
		return PREPARED_DONE;
	}
	/* Values first: "--stats CACHE MNT" took CACHE as the value, and should say so. */
	if (read_policy(cli, &fs->opts.defaults) < 0 || read_stats(cli, &fs->opts.stats) < 0)
		return EXIT_BAD;
	rc = etcd_cli_read(&cli->etcd, &fs->opts.etcd);
	if (rc < 0)
		return rc == -2 ? EXIT_USAGE : EXIT_BAD;
	if (fs->opts.etcd.prefix)
		return prepare_etcd(cli, args, fs);
	if (cli->positional_count != 2) {
		if (cli->positional_count == 1)
			fprintf(stderr, "lockfs: need a MOUNTPOINT after CACHE_DIR '%s'\n",
				cli->positional[0]);
		else
			fprintf(stderr,
				"lockfs: need CACHE_DIR and MOUNTPOINT (see lockfs --help)\n");
		return EXIT_USAGE;
	}
	cache = cli->positional[0];
	mountpoint = cli->positional[1];
	/* fstab's source "etcd" with its etcd= option forgotten: not a cache to make. */
	if (is_etcd_source(cache) && access(cache, F_OK) != 0) {
		fprintf(stderr, "lockfs: source '%s' needs -o etcd=URL[+URL...] (or --etcd=URL)\n",
			cache);
		return EXIT_USAGE;
	}
	state = check_mountpoint(mountpoint, &fs->opts.mountpoint);
	if (state == MOUNTPOINT_REFUSED)
		return EXIT_BAD;
	cache_real = resolve_path(cache);
	if (!cache_real) {
		fprintf(stderr, "lockfs: %s: %s\n", cache, strerror(errno));
		return EXIT_BAD;
	}
	if (check_apart(cache, cache_real, mountpoint, fs->opts.mountpoint) < 0 ||
	    add_mount_names(args, cache_real) < 0)
		goto out;
	/* Checks every -o option before anything is created or mounted. */
	fs->session = fuse_session_new(args, lockfs_operations(),
				       sizeof(struct fuse_lowlevel_ops), fs);
	if (!fs->session) {
		status = EXIT_USAGE; /* libfuse said which option it did not know */
		goto out;
	}
	if (state == MOUNTPOINT_KILLED_LOCKFS &&
	    take_over_mountpoint(mountpoint, &fs->opts.mountpoint) < 0)
		goto out;
	if (note_cache_birth(cache_real, birth) < 0) {
		fprintf(stderr, "lockfs: %s: %s\n", cache, strerror(ENOMEM));
		goto out;
	}
	if (check_cache(cache, cache_real, &fs->opts.cache_dir) < 0)
		goto out;
	fs->opts.source = strdup(fs->opts.cache_dir);
	if (!fs->opts.source)
		goto out;
	fs->opts.foreground = cli->foreground;
	stats_init(&fs->stats, clock_wall());
	status = 0;
out:
	free(cache_real);
	return status;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct cache_birth birth = {0};
	struct cli cli = {0};
	struct lockfs fs;
	bool served = false;
	int status;

	memset(&fs, 0, sizeof(fs));
	fs.uid = geteuid();
	fs.gid = getegid();
	fs.started = clock_wall();
	pthread_mutex_init(&fs.lock, NULL);
	nodes_init(&fs.nodes);
	tree_init(&fs.tree);
	waitq_init(&fs.waitq, request_reply);
	memo_init(&fs.memo);
	handles_init(&fs.handles);
	fs.callers = caller_cache_new(64);

	status = prepare(argc, argv, &cli, &args, &fs, &birth);
	if (status == 0)
		status = serve(&fs, &served);
	else if (status == PREPARED_DONE)
		status = EXIT_OK;

	if (fs.session)
		fuse_session_destroy(fs.session);
	waitq_destroy(&fs.waitq);
	memo_destroy(&fs.memo);
	handles_destroy(&fs.handles);
	free(fs.open_modes.dir);
	tree_destroy(&fs.tree);
	nodes_destroy(&fs.nodes);
	caller_cache_free(fs.callers);
	store_close(fs.store);
	if (status != EXIT_OK && !served)
		remove_new_cache(&birth); /* after its last connection is closed */
	pthread_mutex_destroy(&fs.lock);
	policy_clear(&fs.opts.defaults);
	free(birth.dir);
	free(fs.opts.cache_dir);
	free(fs.opts.source);
	free(fs.opts.mountpoint);
	etcd_cli_clear(&cli.etcd, &fs.opts.etcd);
	free(cli.positional[0]);
	free(cli.positional[1]);
	free(cli.timeout);
	free(cli.ttl);
	free(cli.open);
	free(cli.stats);
	free(cli.tags);
	free(cli.bad_tag);
	fuse_opt_free_args(&args);
	return status;
}
