/*
 * lslockfs.c — list the locks held in lockfs mounts, one line per lock,
 * the way lslocks(8) lists the kernel's file locks.
 *
 *   lslockfs [options] [MOUNTPOINT...]
 *
 * It reads what a lockfs mount shows and nothing else: the directory tree
 * (readdir) and each lock file's user.lock.* attributes.  It never opens a
 * cache, so it serves any store behind the mount and needs no more
 * permission than getfattr.  Without MOUNTPOINT it lists every fuse.lockfs
 * mount of /proc/self/mounts that the caller may enter (another user's
 * mount without allow_other is passed over); a MOUNTPOINT that is no
 * lockfs mount is refused before anything is listed.
 *
 * Why the walk moves its working directory, as fts(3) does: a key may be
 * 4000 bytes long and 2000 directories deep.  Paths from the mount's root
 * would make the kernel look every directory up again for every name
 * below it, and a descriptor per level could exhaust the process's limit.
 * So every name asked for is one component of the working directory, and
 * a directory is read whole and closed before the walk enters the next.
 * The walk goes back up with "..", or from the mount's root by the key
 * when ".." is not where it came from (a directory removed meanwhile).
 *
 * Why a lock is read twice: its attributes are separate requests, and the
 * lock can be released and taken by someone else between two of them.
 * The acquisition time is read first and last, and the lock is read again
 * when they differ, so a line never mixes two holders.  A lock that
 * vanishes meanwhile (ENOENT; ENODATA on owner or count) is left out
 * without a word.
 *
 * Output follows util-linux's libsmartcols, as lslocks prints it: aligned
 * columns, and on a terminal KEY and COMMAND cut to fit its width (never
 * with -u, never when stdout is no terminal); -r separates with one space
 * and writes blanks, backslashes and bytes outside printable ASCII as
 * \xHH; -J writes {"locks": [...]} with numbers as numbers (HELD and
 * EXPIRES in seconds) and null for what a lock does not have, and always
 * names the mount by default.  What a lock does not have is "-" in the table.  No
 * locks: no table (as lslocks), and an empty list in JSON.  Exit status as
 * util-linux tools: 0, or 1 on any error (usage errors too, as lslocks).
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <mntent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "lslockfs.h"

#ifndef LSLOCKFS_VERSION
#define LSLOCKFS_VERSION "unknown"
#endif

#define LOCKFS_FSTYPE	  "fuse.lockfs"
#define FUSE_SUPER_MAGIC  0x65735546
#define ATTR_MAX	  4096 /* longest attribute value read (all are short) */
#define READ_ATTEMPTS	  5    /* readings of one lock before taking the last */
#define MAX_COLUMNS	  64   /* -o entries, repeats allowed as in lslocks */
#define DEFAULT_TERMWIDTH 80

/* ---- columns ---------------------------------------------------------- */

enum column {
	COL_MOUNT,
	COL_KEY,
	COL_MODE,
	COL_BOUND,
	COL_COUNT,
	COL_OWNER,
	COL_PID,
	COL_COMMAND,
	COL_UID,
	COL_HELD,
	COL_EXPIRES,
	COL_WAITERS,
	COL_GENERATION,
	NCOLUMNS,
};

struct column_info {
	const char *name; /* header; lower-cased, the JSON field */
	bool right;	  /* right-aligned (numbers, durations) */
	bool truncatable; /* cut to fit the terminal unless -u */
	const char *help;
};

static const struct column_info column_infos[NCOLUMNS] = {
    [COL_MOUNT] = {"MOUNT", false, false, "mountpoint of the lockfs showing the lock"},
    [COL_KEY] = {"KEY", false, true, "key of the lock, as a path below its mount"},
    [COL_MODE] = {"MODE", false, false, "exclusive or shared"},
    [COL_BOUND] = {"BOUND", false, false, "how the lock is bound to an open file"},
    [COL_COUNT] = {"COUNT", true, false,
		   "how many times the owner holds it; shared: how many hold it"},
    [COL_OWNER] = {"OWNER", false, false,
		   "<pid>-<tid> of the owning thread; if bound, <BOUND>:<pid> or shared"},
    [COL_PID] = {"PID", true, false, "PID of the process that acquired it"},
    [COL_COMMAND] = {"COMMAND", false, true, "command of that process"},
    [COL_UID] = {"UID", true, false, "user ID of that process"},
    [COL_HELD] = {"HELD", true, false, "how long it has been held"},
    [COL_EXPIRES] = {"EXPIRES", true, false, "time left before it expires"},
    [COL_WAITERS] = {"WAITERS", true, false, "acquisitions waiting for it through this mount"},
    [COL_GENERATION] = {"GENERATION", true, false, "fencing token of the acquisition"},
};

/*
 * The default columns after MOUNT (which leads only when several mounts are
 * listed).  BOUND is left out, to keep the table narrow: a bound lock's
 * OWNER names its binding too.
 */
static const enum column default_columns[] = {
    COL_KEY, COL_MODE, COL_COUNT,   COL_OWNER,	 COL_PID,	 COL_COMMAND,
    COL_UID, COL_HELD, COL_EXPIRES, COL_WAITERS, COL_GENERATION,
};

/* The column called name[0..len), any case; -1 when there is none. */
static int column_by_name(const char *name, size_t len)
{
	for (int c = 0; c < NCOLUMNS; c++)
		if (strlen(column_infos[c].name) == len &&
		    strncasecmp(column_infos[c].name, name, len) == 0)
			return c;
	return -1;
}

/* ---- memory ----------------------------------------------------------- */

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		err(EXIT_FAILURE, "cannot allocate memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		err(EXIT_FAILURE, "cannot allocate memory");
	return copy;
}

/* A growing string. */
struct text {
	char *data;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->data = xrealloc(t->data, t->cap);
	}
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
}

static void text_add_hex(struct text *t, unsigned char byte)
{
	char esc[5];

	snprintf(esc, sizeof(esc), "\\x%02x", byte);
	text_add(t, esc, 4);
}

/* ---- mounts ----------------------------------------------------------- */

/* The mounts to list, by mount point (absolute, as /proc/self/mounts names it). */
struct mount_list {
	char **points;
	size_t n;
};

struct mount_entry {
	char *point;
	bool is_lockfs;
};

/*
 * Read /proc/self/mounts into *entries (points decoded by getmntent).
 * Returns the number of entries, or a negative errno.
 */
static ssize_t mount_table_read(struct mount_entry **entries)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	size_t n = 0;

	*entries = NULL;
	if (!f)
		return -errno;
	while ((m = getmntent(f)) != NULL) {
		*entries = xrealloc(*entries, (n + 1) * sizeof(**entries));
		(*entries)[n].point = xstrdup(m->mnt_dir);
		(*entries)[n].is_lockfs = strcmp(m->mnt_type, LOCKFS_FSTYPE) == 0;
		n++;
	}
	endmntent(f);
	return (ssize_t)n;
}

static void mount_table_free(struct mount_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(entries[i].point);
	free(entries);
}

/* True when the topmost mount at entries[i].point is entries[i] itself. */
static bool mount_is_topmost(const struct mount_entry *entries, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (strcmp(entries[j].point, entries[i].point) == 0)
			return false;
	return true;
}

static bool mount_listed(const struct mount_list *list, const char *point)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->points[i], point) == 0)
			return true;
	return false;
}

static void mount_add(struct mount_list *list, const char *point)
{
	if (mount_listed(list, point))
		return;
	list->points = xrealloc(list->points, (list->n + 1) * sizeof(*list->points));
	list->points[list->n] = xstrdup(point);
	list->n++;
}

static void mount_list_free(struct mount_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->points[i]);
	free(list->points);
}

/*
 * Fill list with the mounts to show: each of paths[0..npaths) that is a
 * lockfs mount, or without paths every lockfs mount that is not covered by
 * another mount.  A path that is not one gets one line on stderr.  Returns
 * 0, or 1 when a path was refused or the mount table could not be read.
 */
static int mounts_choose(char **paths, int npaths, struct mount_list *list)
{
	struct mount_entry *entries;
	ssize_t n = mount_table_read(&entries);
	int status = 0;

	if (n < 0) {
		errno = (int)-n;
		warn("/proc/self/mounts");
		return 1;
	}
	if (npaths == 0)
		for (size_t i = 0; i < (size_t)n; i++)
			if (entries[i].is_lockfs && mount_is_topmost(entries, (size_t)n, i))
				mount_add(list, entries[i].point);
	for (int p = 0; p < npaths; p++) {
		char *real = realpath(paths[p], NULL);
		bool found = false;

		if (!real) {
			warn("%s", paths[p]);
			status = 1;
			continue;
		}
		for (size_t i = (size_t)n; i-- > 0;)
			if (strcmp(entries[i].point, real) == 0) {
				found = entries[i].is_lockfs; /* the topmost decides */
				break;
			}
		if (found) {
			mount_add(list, real);
		} else {
			warnx("%s: not a lockfs mount", paths[p]);
			status = 1;
		}
		free(real);
	}
	mount_table_free(entries, (size_t)n);
	return status;
}

/* ---- reading a lock ----------------------------------------------------- */

enum present {
	HAS_PID = 1 << 0,
	HAS_UID = 1 << 1,
	HAS_WAITERS = 1 << 2,
	HAS_GENERATION = 1 << 3,
	HAS_ACQUIRED = 1 << 4,
	HAS_EXPIRE = 1 << 5,
};

struct lock_row {
	size_t mount;  /* index in the mount list */
	char *key;     /* relative to the mount */
	char *mode;    /* NULL: exclusive (no user.lock.mode) */
	char *bound;   /* NULL: not bound to an open file (no user.lock.bound) */
	char *owner;   /* NULL: unknown (a SyncLock) */
	char *command; /* NULL: not made by lockfs */
	long long count, pid, uid, waiters, generation;
	double acquired, expire; /* Unix seconds */
	unsigned present;	 /* enum present */
};

static void lock_row_clear(struct lock_row *row)
{
	free(row->key);
	free(row->mode);
	free(row->bound);
	free(row->owner);
	free(row->command);
	memset(row, 0, sizeof(*row));
}

/* The value of attribute name of path into buf; its length, or a negative errno. */
static int attr_read(const char *path, const char *name, char *buf, size_t cap)
{
	ssize_t len = lgetxattr(path, name, buf, cap - 1);

	if (len < 0)
		return -errno;
	buf[len] = '\0';
	return (int)len;
}

static bool parse_integer(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return *s && !*end && errno == 0;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return *s && !*end && errno == 0 && isfinite(*out);
}

/* Reads the attributes of one lock file, remembering the last one asked for. */
struct lock_reader {
	const char *path; /* the lock file's name in the working directory */
	const char *attr; /* the attribute that failed */
	char buf[ATTR_MAX];
};

/*
 * Read attribute attr; 1 when present (its text in r->buf), 0 when absent,
 * or a negative errno.  A required attribute that is absent is -ENOENT:
 * the file is no lock (any more).
 */
static int reader_get(struct lock_reader *r, const char *attr, bool required)
{
	int rc = attr_read(r->path, attr, r->buf, sizeof(r->buf));

	r->attr = attr;
	if (rc == -ENODATA)
		return required ? -ENOENT : 0;
	return rc < 0 ? rc : 1;
}

/* Read a number attribute into *value, setting flag in *present when it is there. */
static int reader_number(struct lock_reader *r, const char *attr, long long *value,
			 unsigned *present, unsigned flag)
{
	int rc = reader_get(r, attr, false);

	if (rc <= 0)
		return rc;
	if (!parse_integer(r->buf, value))
		return -EBADMSG;
	*present |= flag;
	return 0;
}

static int reader_time(struct lock_reader *r, const char *attr, double *value, unsigned *present,
		       unsigned flag)
{
	int rc = reader_get(r, attr, false);

	if (rc <= 0)
		return rc;
	if (!parse_seconds(r->buf, value))
		return -EBADMSG;
	*present |= flag;
	return 0;
}

/* Read a text attribute into a new string (*value NULL when absent or empty). */
static int reader_string(struct lock_reader *r, const char *attr, char **value)
{
	int rc = reader_get(r, attr, false);

	if (rc > 0 && r->buf[0])
		*value = xstrdup(r->buf);
	return rc < 0 ? rc : 0;
}

/*
 * One reading of every attribute of the lock at r->path into row.  Owner
 * and count make a lock file: without them it was released meanwhile.
 */
static int lock_read_once(struct lock_reader *r, struct lock_row *row)
{
	unsigned *has = &row->present;
	int rc;

	rc = reader_time(r, "user.lock.acquired", &row->acquired, has, HAS_ACQUIRED);
	if (rc == 0)
		rc = reader_get(r, "user.lock.owner", true);
	if (rc > 0 && r->buf[0])
		row->owner = xstrdup(r->buf);
	if (rc > 0)
		rc = reader_get(r, "user.lock.count", true);
	if (rc > 0)
		rc = parse_integer(r->buf, &row->count) ? 0 : -EBADMSG;
	if (rc == 0)
		rc = reader_string(r, "user.lock.mode", &row->mode);
	if (rc == 0)
		rc = reader_string(r, "user.lock.bound", &row->bound);
	if (rc == 0)
		rc =
		    reader_number(r, "user.lock.generation", &row->generation, has, HAS_GENERATION);
	if (rc == 0)
		rc = reader_time(r, "user.lock.expire", &row->expire, has, HAS_EXPIRE);
	if (rc == 0)
		rc = reader_number(r, "user.lock.waiters", &row->waiters, has, HAS_WAITERS);
	if (rc == 0)
		rc = reader_number(r, "user.lock.uid", &row->uid, has, HAS_UID);
	if (rc == 0)
		rc = reader_number(r, "user.lock.pid", &row->pid, has, HAS_PID);
	if (rc == 0)
		rc = reader_string(r, "user.lock.comm", &row->command);
	return rc;
}

/*
 * Read the lock file name of the working directory into row.  Returns 0;
 * -ENOENT when it vanished; another negative errno with *failed_attr
 * naming the attribute.
 */
static int lock_read(const char *name, struct lock_row *row, const char **failed_attr)
{
	struct lock_reader r = {.path = name, .attr = NULL};
	int rc = 0;

	for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
		unsigned again_present = 0;
		double again = 0;

		lock_row_clear(row);
		rc = lock_read_once(&r, row);
		if (rc == 0)
			rc = reader_time(&r, "user.lock.acquired", &again, &again_present,
					 HAS_ACQUIRED);
		if (rc < 0)
			break;
		/* The same acquisition from first to last: one holder's line. */
		if (again_present == (row->present & HAS_ACQUIRED) && again == row->acquired)
			break;
	}
	*failed_attr = r.attr;
	if (rc < 0)
		lock_row_clear(row);
	return rc;
}

/* ---- walking a mount ---------------------------------------------------- */

struct listing {
	const struct mount_list *mounts;
	bool found_by_scan; /* no MOUNTPOINT given: every lockfs mount was taken */
	int root_fd;	    /* the root of the mount being walked */
	struct lock_row *rows;
	size_t n, cap;
	int status; /* 1 once anything failed */
};

static void listing_add(struct listing *l, struct lock_row *row)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->rows = xrealloc(l->rows, l->cap * sizeof(*l->rows));
	}
	l->rows[l->n++] = *row;
}

/* Say that the path (mount point, key, attribute) failed with error; remember it. */
static void listing_fail(struct listing *l, size_t mount, const char *key, const char *attr,
			 int error)
{
	const char *point = l->mounts->points[mount];

	errno = error;
	if (attr)
		warn("%s/%s: %s", point, key, attr);
	else if (*key)
		warn("%s/%s", point, key);
	else
		warn("%s", point);
	l->status = 1;
}

/* Did error say that what was asked for was released or removed meanwhile? */
static bool gone(int error)
{
	return error == ENOENT || error == ENODATA || error == ENOTDIR;
}

struct dir_entry {
	char *name;
	unsigned char type;
};

/* The key of name in directory dir ("" for the root). */
static char *key_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), nlen = strlen(name);
	char *key = xrealloc(NULL, dlen + nlen + 2);

	if (dlen) {
		memcpy(key, dir, dlen);
		key[dlen++] = '/';
	}
	memcpy(key + dlen, name, nlen + 1);
	return key;
}

/* Read the working directory whole into *entries; their number, or a negative errno. */
static ssize_t dir_read(struct dir_entry **entries)
{
	DIR *dir = opendir(".");
	struct dirent *d;
	size_t n = 0;
	ssize_t rc;

	*entries = NULL;
	if (!dir)
		return -errno;
	for (errno = 0; (d = readdir(dir)) != NULL; errno = 0) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		*entries = xrealloc(*entries, (n + 1) * sizeof(**entries));
		(*entries)[n].name = xstrdup(d->d_name);
		(*entries)[n].type = d->d_type;
		n++;
	}
	rc = errno ? -errno : (ssize_t)n;
	closedir(dir);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			free((*entries)[i].name);
		free(*entries);
		*entries = NULL;
	}
	return rc;
}

/*
 * Make the subdirectory name of the working directory the working
 * directory, *st its status.  Returns 0; 1 when it is on another device (a
 * mount below, not walked); or a negative errno.
 */
static int dir_enter(const char *name, dev_t dev, struct stat *st)
{
	int fd = open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		rc = -errno;
	else if (st->st_dev != dev)
		rc = 1;
	else if (fchdir(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * Make the directory key of the mount, *expected, the working directory
 * again after one of its subdirectories was walked: ".." when that is it,
 * else key from the mount's root (the subdirectory was removed meanwhile,
 * or the directory was removed and made again).  Returns 0, -ENOENT when
 * the directory is gone, or another negative errno.
 */
static int dir_return(int root_fd, const char *key, const struct stat *expected)
{
	struct stat st;

	if (chdir("..") == 0 && stat(".", &st) == 0 && st.st_dev == expected->st_dev &&
	    st.st_ino == expected->st_ino)
		return 0;
	if (fchdir(root_fd) < 0)
		return -errno;
	if (*key && chdir(key) < 0)
		return gone(errno) ? -ENOENT : -errno;
	return 0;
}

static int walk(struct listing *l, size_t m, const struct stat *here, const char *dir_key);

/* Add the lock file name (key) of the working directory to l, unless it vanished. */
static void walk_lock(struct listing *l, size_t m, const char *key, const char *name)
{
	struct lock_row row = {0};
	const char *attr;
	int rc = lock_read(name, &row, &attr);

	if (rc == 0) {
		row.mount = m;
		row.key = xstrdup(key);
		listing_add(l, &row);
	} else if (!gone(-rc)) {
		listing_fail(l, m, key, attr, -rc);
	}
}

/*
 * Add the locks below the subdirectory name (key) of the working
 * directory (dir_key, *here) to l, and come back.  Returns 0; -ENOENT when
 * the working directory vanished meanwhile; another negative errno when
 * the walk of the mount cannot go on (said once, where it happened).
 */
static int walk_subdir(struct listing *l, size_t m, const struct stat *here, const char *dir_key,
		       const char *key, const char *name)
{
	struct stat st;
	int rc = dir_enter(name, here->st_dev, &st);

	if (rc < 0 && !gone(-rc))
		listing_fail(l, m, key, NULL, -rc);
	if (rc != 0)
		return 0;
	rc = walk(l, m, &st, key);
	if (rc < 0)
		return rc;
	rc = dir_return(l->root_fd, dir_key, here);
	if (rc < 0 && rc != -ENOENT)
		listing_fail(l, m, dir_key, NULL, -rc);
	return rc;
}

/*
 * Add every lock in the working directory, the directory dir_key of mount
 * m whose status is *here, and below it to l.  Entries that vanished
 * meanwhile, with their directory too, are passed over.  Returns 0, or a
 * negative errno when the walk of the mount cannot go on.
 */
static int walk(struct listing *l, size_t m, const struct stat *here, const char *dir_key)
{
	struct dir_entry *entries;
	ssize_t n = dir_read(&entries);
	int rc = 0;

	if (n < 0 && !(gone((int)-n) && *dir_key))
		listing_fail(l, m, dir_key, NULL, (int)-n);
	for (ssize_t i = 0; i < n; i++) {
		const char *name = entries[i].name;
		char *key = key_join(dir_key, name);
		unsigned char type = entries[i].type;
		struct stat st;

		if (rc == 0 && type == DT_UNKNOWN) {
			if (lstat(name, &st) == 0)
				type = S_ISDIR(st.st_mode)   ? DT_DIR
				       : S_ISREG(st.st_mode) ? DT_REG
							     : DT_UNKNOWN;
			else if (!gone(errno))
				listing_fail(l, m, key, NULL, errno);
		}
		if (rc == 0 && type == DT_DIR)
			rc = walk_subdir(l, m, here, dir_key, key, name);
		else if (rc == 0 && type == DT_REG)
			walk_lock(l, m, key, name);
		free(key);
		free(entries[i].name);
	}
	free(entries);
	return rc == -ENOENT ? 0 : rc;
}

/* List the locks of every mount in l->mounts. */
static void list_locks(struct listing *l)
{
	for (size_t m = 0; m < l->mounts->n; m++) {
		const char *point = l->mounts->points[m];
		int fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct statfs sfs;
		struct stat st;

		if (fd < 0 && errno == EACCES && l->found_by_scan)
			continue; /* another user's mount without allow_other: not ours to see */
		if (fd < 0 || fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0 || fchdir(fd) < 0) {
			listing_fail(l, m, "", NULL, errno);
		} else if (sfs.f_type != FUSE_SUPER_MAGIC) {
			warnx("%s: not a lockfs mount", point); /* covered by another mount */
			l->status = 1;
		} else {
			l->root_fd = fd;
			walk(l, m, &st, "");
		}
		if (fd >= 0)
			close(fd);
	}
}

static int row_order(const void *a, const void *b)
{
	const struct lock_row *x = a, *y = b;

	if (x->mount != y->mount)
		return x->mount < y->mount ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* ---- values ------------------------------------------------------------ */

/* A duration as 5s, 3m12s, 2h, 1h5m, 4d, 4d2h: the two largest units, zeros left out. */
void format_duration(long long seconds, char *out, size_t cap)
{
	static const struct {
		long long size;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t u = 0;

	if (seconds < 0)
		seconds = 0;
	while (u + 1 < sizeof(units) / sizeof(units[0]) && seconds < units[u].size)
		u++;
	if (u + 1 == sizeof(units) / sizeof(units[0]) ||
	    seconds % units[u].size < units[u + 1].size)
		snprintf(out, cap, "%lld%c", seconds / units[u].size, units[u].unit);
	else
		snprintf(out, cap, "%lld%c%lld%c", seconds / units[u].size, units[u].unit,
			 seconds % units[u].size / units[u + 1].size, units[u + 1].unit);
}

static double held_seconds(const struct lock_row *r, double now)
{
	return now > r->acquired ? now - r->acquired : 0;
}

static double left_seconds(const struct lock_row *r, double now)
{
	return r->expire > now ? r->expire - now : 0;
}

/*
 * The text of column c of row r for the table: a row's string, or one
 * formatted into buf; NULL when the lock does not have it.
 */
static const char *cell_text(const struct listing *l, const struct lock_row *r, enum column c,
			     double now, char *buf, size_t cap)
{
	switch (c) {
	case COL_MOUNT:
		return l->mounts->points[r->mount];
	case COL_KEY:
		return r->key;
	case COL_MODE:
		return r->mode ? r->mode : "exclusive";
	case COL_BOUND:
		return r->bound;
	case COL_OWNER:
		return r->owner;
	case COL_COMMAND:
		return r->command;
	case COL_COUNT:
		snprintf(buf, cap, "%lld", r->count);
		return buf;
	case COL_PID:
		snprintf(buf, cap, "%lld", r->pid);
		return r->present & HAS_PID ? buf : NULL;
	case COL_UID:
		snprintf(buf, cap, "%lld", r->uid);
		return r->present & HAS_UID ? buf : NULL;
	case COL_WAITERS:
		snprintf(buf, cap, "%lld", r->waiters);
		return r->present & HAS_WAITERS ? buf : NULL;
	case COL_GENERATION:
		snprintf(buf, cap, "%lld", r->generation);
		return r->present & HAS_GENERATION ? buf : NULL;
	case COL_HELD:
		format_duration((long long)floor(held_seconds(r, now)), buf, cap);
		return r->present & HAS_ACQUIRED ? buf : NULL;
	case COL_EXPIRES:
		format_duration((long long)ceil(left_seconds(r, now)), buf, cap);
		return r->present & HAS_EXPIRE ? buf : NULL;
	default:
		return NULL;
	}
}

/* Does column c hold a JSON number? */
static bool column_is_number(enum column c)
{
	return column_infos[c].right;
}

/* ---- encodings ---------------------------------------------------------- */

/*
 * s for a terminal, as libsmartcols shows it: control characters, bytes
 * that are no printable character of the locale, and a backslash before
 * 'x' as \xHH.  Returns the display width.
 */
static size_t encode_for_terminal(const char *s, struct text *out)
{
	mbstate_t state;
	size_t width = 0;

	memset(&state, 0, sizeof(state));
	while (*s) {
		unsigned char byte = (unsigned char)*s;
		wchar_t wc;
		size_t len;

		if (byte < 0x20 || byte == 0x7f || (byte == '\\' && s[1] == 'x')) {
			text_add_hex(out, byte);
			width += 4, s++;
			continue;
		}
		len = mbrtowc(&wc, s, MB_CUR_MAX, &state);
		if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
			memset(&state, 0, sizeof(state));
			text_add_hex(out, byte);
			width += 4, s++;
		} else if (!iswprint((wint_t)wc) || wcwidth(wc) < 0) {
			for (size_t i = 0; i < len; i++)
				text_add_hex(out, (unsigned char)s[i]);
			width += 4 * len, s += len;
		} else {
			text_add(out, s, len);
			width += (size_t)wcwidth(wc), s += len;
		}
	}
	return width;
}

/* s for -r, as lslocks -r writes it: blanks, '\' and all but printable ASCII as \xHH. */
static void encode_raw(const char *s, struct text *out)
{
	for (; *s; s++) {
		unsigned char byte = (unsigned char)*s;

		if (byte <= 0x20 || byte >= 0x7f || byte == '\\')
			text_add_hex(out, byte);
		else
			text_add(out, s, 1);
	}
}

void terminal_string(const char *s, FILE *out)
{
	struct text t = {0};

	encode_for_terminal(s, &t);
	if (t.data)
		fputs(t.data, out);
	free(t.data);
}

void raw_string(const char *s, FILE *out)
{
	struct text t = {0};

	encode_raw(s, &t);
	if (t.data)
		fputs(t.data, out);
	free(t.data);
}

/* The length of the UTF-8 character at s (1-4), or 0 when it is not one. */
static size_t utf8_char_len(const unsigned char *s)
{
	size_t len = s[0] < 0x80		    ? 1
		     : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
		     : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		     : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
						    : 0;

	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((len == 3 && s[0] == 0xe0 && s[1] < 0xa0) ||
	    (len == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
	    (len == 4 && s[0] == 0xf0 && s[1] < 0x90) || (len == 4 && s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

/* s as a JSON string; a byte that is not UTF-8 becomes U+FFFD. */
void json_string(const char *s, FILE *out)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t len = utf8_char_len(p);

		if (len == 0) {
			fputs("\\ufffd", out);
			p++;
		} else if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p++);
		} else if (*p == '\n') {
			fputs("\\n", out), p++;
		} else if (*p == '\t') {
			fputs("\\t", out), p++;
		} else if (*p < 0x20) {
			fprintf(out, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, len, out);
			p += len;
		}
	}
	fputc('"', out);
}

/* The bytes of terminal text s whose display width is at most width; *used gets that width. */
static size_t cut_to_width(const char *s, size_t width, size_t *used)
{
	mbstate_t state;
	size_t bytes = 0;

	memset(&state, 0, sizeof(state));
	*used = 0;
	while (s[bytes]) {
		wchar_t wc;
		size_t len = mbrtowc(&wc, s + bytes, MB_CUR_MAX, &state);
		int w;

		if (len == (size_t)-1 || len == (size_t)-2 || len == 0)
			break; /* cannot happen: the text was encoded */
		w = wcwidth(wc);
		if (*used + (size_t)(w > 0 ? w : 0) > width)
			break;
		*used += (size_t)(w > 0 ? w : 0);
		bytes += len;
	}
	return bytes;
}

/* ---- output ------------------------------------------------------------- */

struct output {
	enum column columns[MAX_COLUMNS];
	size_t ncolumns;
	bool json, raw, noheadings, notruncate;
};

static void print_json(const struct listing *l, const struct output *o, double now)
{
	char buf[64];

	fputs("{\n   \"locks\": [", stdout);
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_row *r = &l->rows[i];

		fputs(i ? ",{\n" : "\n      {\n", stdout);
		for (size_t k = 0; k < o->ncolumns; k++) {
			enum column c = o->columns[k];
			const char *value = cell_text(l, r, c, now, buf, sizeof(buf));
			char name[16];
			size_t j;

			for (j = 0; column_infos[c].name[j] && j + 1 < sizeof(name); j++)
				name[j] = (char)(column_infos[c].name[j] | 0x20);
			name[j] = '\0';
			printf("         \"%s\": ", name);
			if (!value)
				fputs("null", stdout);
			else if (c == COL_HELD)
				printf("%.3f", held_seconds(r, now));
			else if (c == COL_EXPIRES)
				printf("%.3f", left_seconds(r, now));
			else if (column_is_number(c))
				fputs(value, stdout);
			else
				json_string(value, stdout);
			fputs(k + 1 < o->ncolumns ? ",\n" : "\n", stdout);
		}
		fputs("      }", stdout);
	}
	fputs(l->n ? "\n   ]\n}\n" : "]\n}\n", stdout);
}

static void print_raw(const struct listing *l, const struct output *o, double now)
{
	struct text line = {0};
	char buf[64];

	if (!o->noheadings) {
		for (size_t k = 0; k < o->ncolumns; k++) {
			if (k)
				text_add(&line, " ", 1);
			encode_raw(column_infos[o->columns[k]].name, &line);
		}
		printf("%s\n", line.data);
	}
	for (size_t i = 0; i < l->n; i++) {
		line.len = 0;
		for (size_t k = 0; k < o->ncolumns; k++) {
			const char *value =
			    cell_text(l, &l->rows[i], o->columns[k], now, buf, sizeof(buf));
			if (k)
				text_add(&line, " ", 1);
			encode_raw(value ? value : "-", &line);
		}
		printf("%s\n", line.data);
	}
	free(line.data);
}

/* The width of the terminal on stdout: its size, else $COLUMNS, else 80. */
static size_t terminal_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	long long cols;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env && parse_integer(env, &cols) && cols > 0 && cols <= INT_MAX)
		return (size_t)cols;
	return DEFAULT_TERMWIDTH;
}

/*
 * Narrow the truncatable columns, widest first, down to their minimum
 * (the header's width) until the line fits the terminal.
 */
static void fit_widths(const struct output *o, size_t *widths, const size_t *minimum)
{
	size_t total = o->ncolumns - 1, limit = terminal_width();

	for (size_t k = 0; k < o->ncolumns; k++)
		total += widths[k];
	while (total > limit) {
		size_t widest = o->ncolumns;

		for (size_t k = 0; k < o->ncolumns; k++)
			if (column_infos[o->columns[k]].truncatable && widths[k] > minimum[k] &&
			    (widest == o->ncolumns || widths[k] > widths[widest]))
				widest = k;
		if (widest == o->ncolumns)
			break;
		widths[widest]--;
		total--;
	}
}

/* Print one cell of width width; the last column is not padded on the right. */
static void print_cell(const char *text, size_t text_width, size_t width, bool right, bool last)
{
	size_t used = text_width, bytes = strlen(text);

	if (text_width > width)
		bytes = cut_to_width(text, width, &used);
	if (right)
		printf("%*s", (int)(width - used), "");
	fwrite(text, 1, bytes, stdout);
	if (!right && !last)
		printf("%*s", (int)(width - used), "");
	if (!last)
		fputc(' ', stdout);
}

static void print_table(const struct listing *l, const struct output *o, double now)
{
	size_t ncells = (l->n + 1) * o->ncolumns;
	struct text *cells = xrealloc(NULL, ncells * sizeof(*cells));
	size_t *cell_widths = xrealloc(NULL, ncells * sizeof(*cell_widths));
	size_t widths[MAX_COLUMNS], minimum[MAX_COLUMNS];
	char buf[64];

	memset(cells, 0, ncells * sizeof(*cells));
	/* Row 0 is the header. */
	for (size_t k = 0; k < o->ncolumns; k++) {
		const char *name = column_infos[o->columns[k]].name;

		text_add(&cells[k], name, strlen(name));
		cell_widths[k] = strlen(name);
		minimum[k] = o->noheadings ? 1 : cell_widths[k];
		widths[k] = o->noheadings ? 0 : cell_widths[k];
	}
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < o->ncolumns; k++) {
			size_t at = (i + 1) * o->ncolumns + k;
			const char *value =
			    cell_text(l, &l->rows[i], o->columns[k], now, buf, sizeof(buf));

			cell_widths[at] = encode_for_terminal(value ? value : "-", &cells[at]);
			if (!cells[at].data)
				text_add(&cells[at], "", 0);
			if (cell_widths[at] > widths[k])
				widths[k] = cell_widths[at];
		}
	if (!o->notruncate && isatty(STDOUT_FILENO))
		fit_widths(o, widths, minimum);
	for (size_t i = o->noheadings ? 1 : 0; i <= l->n; i++) {
		for (size_t k = 0; k < o->ncolumns; k++) {
			size_t at = i * o->ncolumns + k;

			print_cell(cells[at].data, cell_widths[at], widths[k],
				   column_infos[o->columns[k]].right, k + 1 == o->ncolumns);
		}
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < ncells; i++)
		free(cells[i].data);
	free(cells);
	free(cell_widths);
}

/* ---- command line ------------------------------------------------------- */

static void usage(void)
{
	fputs("\nUsage:\n"
	      " lslockfs [options] [<mountpoint>...]\n"
	      "\nList the locks held in lockfs mounts (by default in every one).\n"
	      "\nOptions:\n"
	      " -J, --json             use JSON output format\n"
	      " -n, --noheadings       don't print headings\n"
	      " -o, --output <list>    define which output columns to use (+<list> adds)\n"
	      "     --output-all       output all columns\n"
	      " -r, --raw              use the raw output format\n"
	      " -u, --notruncate       don't truncate text in columns\n"
	      "     --stats            show each mount's statistics instead of its locks\n"
	      "\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n"
	      "\nAvailable output columns:\n",
	      stdout);
	for (int c = 0; c < NCOLUMNS; c++)
		printf(" %11s  %s\n", column_infos[c].name, column_infos[c].help);
	fputs("\nMOUNT is shown by default when several mounts are listed, and always in JSON;\n"
	      "BOUND only when asked for (-o +BOUND).\n"
	      "\nFor more details see lslockfs(8).\n",
	      stdout);
}

static void try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", program_invocation_short_name);
}

/*
 * Parse an -o list into columns; false (with a message naming typed, the
 * option's value as given) on an unknown or empty name.
 */
static bool parse_columns(const char *list, const char *typed, enum column *columns, size_t *n)
{
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		int c = column_by_name(p, len);

		if (c < 0 && len == 0) {
			warnx("empty column name in '%s'", typed);
			return false;
		}
		if (c < 0) {
			warnx("unknown column: %.*s", (int)len, p);
			return false;
		}
		if (*n == MAX_COLUMNS) {
			warnx("too many columns specified, the limit is %d columns", MAX_COLUMNS);
			return false;
		}
		columns[(*n)++] = (enum column)c;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

/* Flush stdout and say so when it failed, as util-linux's close_stdout does. */
static int close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return 1;
		warn("write error");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_OUTPUT_ALL = CHAR_MAX + 1, OPT_STATS };
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'J'},
	    {"noheadings", no_argument, NULL, 'n'},
	    {"output", required_argument, NULL, 'o'},
	    {"output-all", no_argument, NULL, OPT_OUTPUT_ALL},
	    {"raw", no_argument, NULL, 'r'},
	    {"notruncate", no_argument, NULL, 'u'},
	    {"stats", no_argument, NULL, OPT_STATS},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct output o = {.ncolumns = 0};
	enum column chosen[MAX_COLUMNS];
	size_t nchosen = 0;
	bool extend = true, all = false, stats = false, columns_given = false;
	struct mount_list mounts = {0};
	struct listing l = {.mounts = &mounts};
	struct timespec now;
	double seconds;
	int opt, status;

	setlocale(LC_CTYPE, "");		 /* characters and their widths; numbers stay C */
	argv[0] = program_invocation_short_name; /* getopt's messages say "lslockfs:" */
	while ((opt = getopt_long(argc, argv, "Jno:ruhV", options, NULL)) != -1) {
		switch (opt) {
		case 'J':
			o.json = true;
			break;
		case 'n':
			o.noheadings = true;
			break;
		case 'o': /* the last -o counts; +LIST adds to the defaults or to all */
			extend = optarg[0] == '+';
			nchosen = 0;
			columns_given = true;
			if (!parse_columns(optarg + extend, optarg, chosen, &nchosen))
				return EXIT_FAILURE;
			break;
		case OPT_OUTPUT_ALL:
			all = true;
			columns_given = true;
			break;
		case OPT_STATS:
			stats = true;
			break;
		case 'r':
			o.raw = true;
			break;
		case 'u':
			o.notruncate = true;
			break;
		case 'h':
			usage();
			return close_stdout();
		case 'V':
			printf("%s from lockfs %s\n", program_invocation_short_name,
			       LSLOCKFS_VERSION);
			return close_stdout();
		default:
			try_help();
			return EXIT_FAILURE;
		}
	}
	if (o.json && o.raw) {
		warnx("options --json and --raw cannot be combined");
		return EXIT_FAILURE;
	}
	if (stats && columns_given) {
		warnx("options --stats and --output cannot be combined");
		return EXIT_FAILURE;
	}

	status = mounts_choose(argv + optind, argc - optind, &mounts);
	if (status != 0)
		goto out;
	if (stats) {
		status = stats_print(mounts.points, mounts.n, optind == argc,
				     o.json  ? FORMAT_JSON
				     : o.raw ? FORMAT_RAW
					     : FORMAT_TABLE,
				     o.noheadings);
		status |= close_stdout();
		goto out;
	}

	if (extend && all) {
		for (int c = 0; c < NCOLUMNS; c++)
			o.columns[o.ncolumns++] = (enum column)c;
	} else if (extend) {
		if (mounts.n > 1 || o.json)
			o.columns[o.ncolumns++] = COL_MOUNT;
		for (size_t k = 0; k < sizeof(default_columns) / sizeof(default_columns[0]); k++)
			o.columns[o.ncolumns++] = default_columns[k];
	}
	for (size_t k = 0; k < nchosen && o.ncolumns < MAX_COLUMNS; k++)
		o.columns[o.ncolumns++] = chosen[k];

	l.found_by_scan = optind == argc;
	list_locks(&l);
	if (l.n > 1)
		qsort(l.rows, l.n, sizeof(*l.rows), row_order);
	clock_gettime(CLOCK_REALTIME, &now);
	seconds = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (o.json)
		print_json(&l, &o, seconds);
	else if (o.raw && l.n > 0) /* as lslocks: no locks, no table */
		print_raw(&l, &o, seconds);
	else if (l.n > 0)
		print_table(&l, &o, seconds);
	status = l.status | close_stdout();
	for (size_t i = 0; i < l.n; i++)
		lock_row_clear(&l.rows[i]);
	free(l.rows);
out:
	mount_list_free(&mounts);
	return status;
}
