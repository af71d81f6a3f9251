/*
 * main.c — the lockfs command: options, checks, mounting and stopping.
 *
 * Everything that can be refused is refused before anything is mounted:
 * bad options (exit 2 for usage, 1 for bad values), a missing or
 * non-directory mountpoint, an unusable cache (exit 1, one line naming the
 * file and the reason).  On SIGTERM or SIGINT every waiting acquisition is
 * answered ENOTCONN, then the filesystem is unmounted and lockfs exits 0.
 */
#include "lockfs.h"
#include "name.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define LOCKFS_VERSION "0.1.0"

/* Exit statuses; PREPARED_DONE: --help or --version did everything. */
enum exit_code { PREPARED_DONE = -1, EXIT_OK = 0, EXIT_BAD = 1, EXIT_USAGE = 2 };

struct cli {
	char *timeout;
	char *ttl;
	char *tags; /* joined with ',' */
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
		"\n"
		"Show the locks of a typed_diskcache cache as files: creating a file acquires\n"
		"the lock of that name, unlinking it releases it.\n"
		"\n"
		"  --timeout=S, -o timeout=S  how long an acquisition waits, in seconds;\n"
		"                             0 = do not wait, inf = forever (default 10)\n"
		"  --ttl=S, -o ttl=S          expiry of new locks in seconds, none = never\n"
		"                             (default none)\n"
		"  --tag=T, -o tag=T          a tag for new locks (repeatable)\n"
		"  -f                         stay in the foreground, log to stderr\n"
		"  -d                         debug log (implies -f)\n"
		"  -o allow_other, ...        FUSE mount options\n"
		"  -h, --help                 this text\n"
		"  -V, --version              the version\n");
}

static int on_option(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct cli *cli = data;
	const char *value;
	char *joined;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (cli->positional_count == 2) {
			fprintf(stderr, "lockfs: unexpected argument '%s'\n", arg);
			cli->usage_error = true;
			return 0;
		}
		cli->positional[cli->positional_count++] = strdup(arg);
		return 0;
	case KEY_TAG:
		value = strchr(arg, '=') + 1;
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
			fprintf(stderr, "lockfs: unknown option '%s'\n", arg);
			cli->usage_error = true;
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
	if (cli->ttl && policy_parse_ttl(cli->ttl, strlen(cli->ttl), &p->has_ttl, &p->ttl)) {
		fprintf(stderr, "lockfs: bad ttl '%s': seconds > 0, or none\n", cli->ttl);
		return -1;
	}
	if (policy_parse_tags(cli->tags ? cli->tags : "", cli->tags ? strlen(cli->tags) : 0,
			      &p->tags)) {
		fprintf(stderr, "lockfs: bad tag in '%s': non-empty text of at most %d bytes\n",
			cli->tags, TAG_MAX_BYTES);
		return -1;
	}
	return 0;
}

/* Open (creating if needed) and check the cache, then close it again. */
static int check_cache(const char *dir, char **absolute)
{
	enum store_refusal why;
	struct store *st;
	int rc = store_open(dir, &st, &why);

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
	*absolute = realpath(dir, NULL);
	if (!*absolute) {
		fprintf(stderr, "lockfs: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int check_mountpoint(const char *path, char **absolute)
{
	struct stat sb;

	if (stat(path, &sb) < 0) {
		fprintf(stderr, "lockfs: mountpoint %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "lockfs: mountpoint %s: %s\n", path, strerror(ENOTDIR));
		return -1;
	}
	*absolute = realpath(path, NULL);
	if (!*absolute) {
		fprintf(stderr, "lockfs: mountpoint %s: %s\n", path, strerror(errno));
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

/* Mount, serve until stopped, unmount.  The session exists already. */
static int serve(struct lockfs *fs)
{
	enum store_refusal why;
	int rc, status = EXIT_BAD;

	if (fuse_set_signal_handlers(fs->session) < 0)
		goto out_session;
	if (fuse_session_mount(fs->session, fs->opts.mountpoint) < 0)
		goto out_signals;
	if (fuse_daemonize(fs->opts.foreground) < 0)
		goto out_unmount;
	lockfs_log_to_syslog(!fs->opts.foreground);
	rc = store_open(fs->opts.cache_dir, &fs->store, &why);
	if (rc < 0) {
		lockfs_log(LOG_ERR, "%s/cache.db: %s", fs->opts.cache_dir,
			   rc == -EINVAL ? store_refusal_text(why) : strerror(-rc));
		goto out_unmount;
	}
	rc = start_threads(fs);
	if (rc < 0) {
		lockfs_log(LOG_ERR, "cannot start: %s", strerror(-rc));
		goto out_threads;
	}
	lockfs_log(LOG_INFO, "serving %s on %s", fs->opts.cache_dir, fs->opts.mountpoint);
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

/* path made absolute against the working directory (it may not exist yet). */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	return asprintf(&out, "%s/%s", cwd, path) < 0 ? NULL : out;
}

/* Parse and check everything: 0 to go on, PREPARED_DONE, or an exit status (it printed why). */
static int prepare(struct cli *cli, struct fuse_args *args, struct lockfs *fs)
{
	char *named;
	int rc;

	if (fuse_opt_parse(args, cli, cli_spec, on_option) < 0 || cli->usage_error) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cli->help) {
		usage(stdout);
		return PREPARED_DONE;
	}
	if (cli->version) {
		printf("lockfs %s (libfuse %s, SQLite %s)\n", LOCKFS_VERSION, fuse_pkgversion(),
		       sqlite3_libversion());
		return PREPARED_DONE;
	}
	if (cli->positional_count != 2) {
		fprintf(stderr, "lockfs: need CACHE_DIR and MOUNTPOINT\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (read_policy(cli, &fs->opts.defaults) < 0 ||
	    check_mountpoint(cli->positional[1], &fs->opts.mountpoint) < 0)
		return EXIT_BAD;
	named = absolute_path(cli->positional[0]);
	rc = named ? add_mount_names(args, named) : -1;
	free(named);
	if (rc < 0)
		return EXIT_BAD;
	/* Checks every -o option before anything is created or mounted. */
	fs->session = fuse_session_new(args, lockfs_operations(),
				       sizeof(struct fuse_lowlevel_ops), fs);
	if (!fs->session)
		return EXIT_USAGE; /* libfuse said which option it did not know */
	if (check_cache(cli->positional[0], &fs->opts.cache_dir) < 0)
		return EXIT_BAD;
	fs->opts.foreground = cli->foreground;
	return 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct cli cli = {0};
	struct lockfs fs;
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
	fs.callers = caller_cache_new(64);

	status = prepare(&cli, &args, &fs);
	if (status == 0)
		status = serve(&fs);
	else if (status == PREPARED_DONE)
		status = EXIT_OK;

	if (fs.session)
		fuse_session_destroy(fs.session);
	waitq_destroy(&fs.waitq);
	memo_destroy(&fs.memo);
	tree_destroy(&fs.tree);
	nodes_destroy(&fs.nodes);
	caller_cache_free(fs.callers);
	store_close(fs.store);
	pthread_mutex_destroy(&fs.lock);
	policy_clear(&fs.opts.defaults);
	free(fs.opts.cache_dir);
	free(fs.opts.mountpoint);
	free(cli.positional[0]);
	free(cli.positional[1]);
	free(cli.timeout);
	free(cli.ttl);
	free(cli.tags);
	fuse_opt_free_args(&args);
	return status;
}
