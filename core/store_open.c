/*
 * store_open.c — opening a cache directory: vet what is there, create what
 * is not, and close it again.
 *
 * Design choices:
 * - A new cache gets typed_diskcache's schema text verbatim (schema.h), so
 *   that typed_diskcache (and anything comparing sqlite_master) sees its own
 *   layout.  lockfs's tables are added beside it.
 * - An existing file is inspected before anything is written: the magic
 *   header is read by hand, then the schema with PRAGMA query_only on.
 * - A cache on a network or FUSE filesystem is refused before anything is
 *   made there: SQLite's WAL cannot keep locks safe on them.
 * - SQLite's busy handler only sleeps in short steps up to a small budget;
 *   past it a statement returns -EAGAIN and the caller retries later, so a
 *   thread is never stuck for seconds behind clients spinning on a lock.
 *   Opening, which happens once, waits longer.
 */
#include "store_int.h"
#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* How long a statement waits on a busy database, while opening and after. */
#define OPEN_BUSY_BUDGET_USEC (10 * 1000 * 1000)
#define DEFAULT_BUSY_BUDGET_USEC 2000
#define BUSY_STEP_USEC 100

const char *store_refusal_text(enum store_refusal refusal)
{
	switch (refusal) {
	case STORE_ACCEPTED:
		return "accepted";
	case STORE_NOT_DIRECTORY:
		return "not a directory";
	case STORE_REMOTE_FS:
		return "on a network or FUSE filesystem, where SQLite's WAL cannot keep locks safe";
	case STORE_NOT_SQLITE:
		return "not an SQLite database";
	case STORE_CORRUPT:
		return "a corrupt SQLite database";
	case STORE_FOREIGN:
		return "an SQLite database that is not a typed_diskcache cache";
	case STORE_REVISION:
		return "a typed_diskcache cache of another revision (lockfs reads 000_init)";
	}
	return "refused";
}

/* SQLite's busy handler: sleep in BUSY_STEP_USEC steps until the budget is spent. */
static int on_busy(void *ctx, int attempts)
{
	struct sqlite_store *st = ctx;

	if ((unsigned)attempts * BUSY_STEP_USEC >= st->busy_budget_usec)
		return 0;
	usleep(BUSY_STEP_USEC);
	return 1;
}

static bool fs_is_remote(long type)
{
	switch ((unsigned long)type) {
	case NFS_SUPER_MAGIC:
	case SMB_SUPER_MAGIC:
	case 0xff534d42: /* CIFS */
	case 0xfe534d42: /* SMB2 */
	case V9FS_MAGIC:
	case 0x65735546: /* FUSE (also virtiofs) */
	case 0x00c36400: /* Ceph */
	case AFS_SUPER_MAGIC:
	case CODA_SUPER_MAGIC:
	case 0x01161970: /* GFS2 */
	case 0x7461636f: /* OCFS2 */
	case 0x0bd00bd0: /* Lustre */
	case 0x013111a8: /* IBRIX */
	case 0x6b414653: /* AFS (kafs) */
		return true;
	default:
		return false;
	}
}

/* Refuse a network or FUSE filesystem at path or, when missing, its nearest ancestor. */
static int check_local(const char *path, enum store_refusal *refusal)
{
	char probe[PATH_MAX];
	struct statfs sfs;

	snprintf(probe, sizeof(probe), "%s", path);
	while (statfs(probe, &sfs) < 0) {
		char *slash;

		if (errno != ENOENT)
			return -errno;
		slash = strrchr(probe, '/');
		if (!slash)
			snprintf(probe, sizeof(probe), ".");
		else if (slash == probe)
			probe[1] = '\0';
		else
			*slash = '\0';
	}
	if (fs_is_remote(sfs.f_type)) {
		*refusal = STORE_REMOTE_FS;
		return -EINVAL;
	}
	return 0;
}

/* mkdir -p with mode 0700 for every directory it makes. */
static int make_dirs(const char *dir, enum store_refusal *refusal)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = saved;
		if (!saved)
			break;
	}
	if (stat(dir, &sb) < 0)
		return -errno;
	if (!S_ISDIR(sb.st_mode)) {
		*refusal = STORE_NOT_DIRECTORY;
		return -EINVAL;
	}
	return 0;
}

/* Decide, without SQLite, whether path is missing or empty (new) or an SQLite file. */
static int classify_file(const char *path, bool *is_new, enum store_refusal *refusal)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat sb;
	int fd;
	ssize_t n;

	*is_new = false;
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT)
			return -errno;
		*is_new = true;
		return 0;
	}
	if (!S_ISREG(sb.st_mode)) {
		*refusal = STORE_NOT_SQLITE;
		return -EINVAL;
	}
	if (sb.st_size == 0) {
		*is_new = true;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic)) != 0) {
		*refusal = STORE_NOT_SQLITE;
		return -EINVAL;
	}
	return 0;
}
static int refusal_of_sqlite(int rc, enum store_refusal *refusal)
{
	if ((rc & 0xff) == SQLITE_NOTADB) {
		*refusal = STORE_NOT_SQLITE;
		return -EINVAL;
	}
	if ((rc & 0xff) == SQLITE_CORRUPT) {
		*refusal = STORE_CORRUPT;
		return -EINVAL;
	}
	return store_errno(rc);
}

/* 1 when the table exists, 0 when not, or a refusal for an unreadable file. */
static int has_table(sqlite3 *db, const char *name, enum store_refusal *refusal)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return refusal_of_sqlite(rc, refusal);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return refusal_of_sqlite(rc, refusal);
}

static int check_cache_columns(sqlite3 *db, enum store_refusal *refusal)
{
	static const char *const wanted[] = {"id",	    "key",	  "raw",   "store_time",
					     "access_time", "filepath",	  "value", "expire_time",
					     "mode",	    "access_count", "size"};
	unsigned found = 0;
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('cache')", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return refusal_of_sqlite(rc, refusal);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		for (unsigned i = 0; name && i < sizeof(wanted) / sizeof(wanted[0]); i++)
			if (strcmp(name, wanted[i]) == 0)
				found |= 1u << i;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return refusal_of_sqlite(rc, refusal);
	if (found != (1u << (sizeof(wanted) / sizeof(wanted[0]))) - 1) {
		*refusal = STORE_FOREIGN;
		return -EINVAL;
	}
	return 0;
}

static int check_revision(sqlite3 *db, enum store_refusal *refusal)
{
	sqlite3_stmt *s;
	int rc, rows = 0, matching = 0;

	rc = sqlite3_prepare_v2(db, "SELECT revision FROM version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return refusal_of_sqlite(rc, refusal);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *rev = (const char *)sqlite3_column_text(s, 0);

		rows++;
		matching += rev && strcmp(rev, TYPED_DISKCACHE_REVISION) == 0;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return refusal_of_sqlite(rc, refusal);
	if (rows == 0 || matching != rows) {
		*refusal = STORE_REVISION;
		return -EINVAL;
	}
	return 0;
}

static int check_integrity(sqlite3 *db, enum store_refusal *refusal)
{
	sqlite3_stmt *s;
	int rc, ok = 0;

	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return refusal_of_sqlite(rc, refusal);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(s, 0);

		ok = res && strcmp(res, "ok") == 0;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return refusal_of_sqlite(rc, refusal);
	if (!ok) {
		*refusal = STORE_CORRUPT;
		return -EINVAL;
	}
	return 0;
}

/* Is this file a typed_diskcache 000_init cache?  Reads only. */
static int check_layout(sqlite3 *db, enum store_refusal *refusal)
{
	static const char *const tables[] = {"version", "settings", "metadata",
					     "cache",   "tag",	    "cache_tag"};
	int rc;

	for (unsigned i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		rc = has_table(db, tables[i], refusal);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			*refusal = STORE_FOREIGN;
			return -EINVAL;
		}
	}
	rc = check_cache_columns(db, refusal);
	if (rc == 0)
		rc = check_revision(db, refusal);
	if (rc == 0)
		rc = check_integrity(db, refusal);
	return rc;
}

static void format_modified_at(char *out, size_t cap)
{
	struct timeval tv;
	struct tm tm;
	char date[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, cap, "%s.%06ld", date, (long)tv.tv_usec);
}

static int create_layout(sqlite3 *db)
{
	char modified_at[64];
	sqlite3_stmt *s = NULL;
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < sizeof(typed_diskcache_schema) / sizeof(char *); i++)
		rc = store_exec(db, typed_diskcache_schema[i]);
	if (rc < 0)
		return rc;
	format_modified_at(modified_at, sizeof(modified_at));
	rc = store_errno(sqlite3_prepare_v2(db,
					 "INSERT INTO settings (id, \"key\", value, modified_at) "
					 "VALUES (?1, ?2, ?3, ?4)",
					 -1, &s, NULL));
	for (unsigned i = 0; rc == 0 && i < sizeof(new_cache_settings) / sizeof(new_cache_settings[0]); i++) {
		sqlite3_bind_int(s, 1, (int)i + 1);
		sqlite3_bind_text(s, 2, new_cache_settings[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, new_cache_settings[i][1], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, modified_at, -1, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_errno(sqlite3_errcode(db));
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return rc;
}

/* Create typed_diskcache's layout unless another process just did. */
static int create_or_check(sqlite3 *db, enum store_refusal *refusal)
{
	int rc = store_exec(db, "BEGIN IMMEDIATE");

	if (rc < 0)
		return rc;
	rc = has_table(db, "version", refusal);
	if (rc == 0)
		rc = create_layout(db);
	else if (rc == 1)
		rc = 0;
	if (rc == 0)
		rc = store_exec(db, "COMMIT");
	if (rc < 0) {
		store_exec(db, "ROLLBACK");
		return rc;
	}
	return check_layout(db, refusal);
}

static bool is_plain_word(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '_' && *s != '-')
			return false;
	return true;
}

/*
 * Apply the cache's sqlite_* settings as typed_diskcache does, limited to the
 * pragmas it defines and to plain values.  journal_mode is always WAL.
 *
 * Three per-connection settings differ: lockfs checkpoints every
 * CHECKPOINT_PAGES pages, from a thread of its own (store_checkpoint.c);
 * it never spills a transaction's pages to the WAL before its commit
 * (cache_spill: its transactions change a few pages, and store_vfs.c
 * gathers a transaction's frames until the commit); and it does not
 * memory-map the database
 * (typed_diskcache maps 64 MiB).  Every page lockfs touches is a lock row's,
 * changed again and again, so it lives in the WAL; SQLite looks a page up
 * in the WAL before the map, and with the map it does so for every page of
 * every statement instead of finding it in its cache.
 */
static int apply_settings(struct sqlite_store *st)
{
	static const char *const allowed[] = {"auto_vacuum", "cache_size", "synchronous"};
	sqlite3_stmt *s;
	int rc;

	rc = store_exec(st->db, "PRAGMA journal_mode = WAL");
	if (rc == 0)
		rc = store_exec(st->db, "PRAGMA synchronous = NORMAL");
	if (rc == 0)
		rc = store_exec(st->db, "PRAGMA foreign_keys = ON");
	if (rc == 0)
		rc = store_exec(st->db, "PRAGMA mmap_size = 0");
	if (rc == 0)
		rc = store_exec(st->db, "PRAGMA cache_spill = OFF");
	if (rc < 0)
		return rc;
	rc = sqlite3_prepare_v2(st->db, "SELECT \"key\", value FROM settings", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_errno(rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		const char *raw = (const char *)sqlite3_column_text(s, 1);
		char value[64], sql[160];
		size_t len;

		if (!key || !raw)
			continue;
		if (strcmp(key, "eviction_policy") == 0) {
			st->may_evict = strcmp(raw, "\"none\"") != 0;
			continue;
		}
		if (strncmp(key, "sqlite_", 7) != 0)
			continue;
		len = strlen(raw);
		if (len >= 2 && raw[0] == '"' && raw[len - 1] == '"')
			snprintf(value, sizeof(value), "%.*s", (int)(len - 2), raw + 1);
		else
			snprintf(value, sizeof(value), "%s", raw);
		for (unsigned i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
			if (strcmp(key + 7, allowed[i]) != 0 || !is_plain_word(value))
				continue;
			snprintf(sql, sizeof(sql), "PRAGMA %s = %s", allowed[i], value);
			store_exec(st->db, sql);
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

/* 1 when table has column, 0 when not, or -errno. */
static int has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *s;
	int rc, found = 0;

	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &s,
				NULL);
	if (rc != SQLITE_OK)
		return store_errno(rc);
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	found = rc == SQLITE_ROW;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : store_errno(rc);
}

/*
 * Add lockfs's tables where missing, and the columns later versions added
 * to them (a cache lockfs used before keeps its rows).
 */
static int add_lockfs_tables(sqlite3 *db)
{
	static const char *const tables[] = {"lockfs_holder", "lockfs_dir", "lockfs_waiter",
					     "lockfs_generation"};
	enum store_refusal ignored;
	bool missing = false;
	int rc;

	for (unsigned i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		rc = has_table(db, tables[i], &ignored);
		if (rc < 0)
			return rc;
		missing |= rc == 0;
	}
	if (!missing) {
		rc = has_column(db, "lockfs_holder", "note");
		if (rc == 1)
			rc = has_column(db, "lockfs_dir", "open");
		if (rc == 1)
			rc = has_column(db, "lockfs_holder", "holds");
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	rc = store_exec(db, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = store_exec(db, lockfs_schema);
	if (rc == 0 && has_column(db, "lockfs_holder", "note") == 0)
		rc = store_exec(db, "ALTER TABLE lockfs_holder ADD COLUMN note BLOB");
	if (rc == 0 && has_column(db, "lockfs_dir", "open") == 0)
		rc = store_exec(db, "ALTER TABLE lockfs_dir ADD COLUMN open TEXT");
	if (rc == 0 && has_column(db, "lockfs_holder", "holds") == 0) {
		/* Bound holds lived in a table of their own before they moved into the holder. */
		rc = store_exec(db, "ALTER TABLE lockfs_holder ADD COLUMN holds TEXT");
		if (rc == 0 && has_table(db, "lockfs_hold", &ignored) == 1)
			rc = store_holds_import(db);
		if (rc == 0)
			rc = store_exec(db, "DROP TABLE IF EXISTS lockfs_hold");
	}
	if (rc == 0)
		rc = store_exec(db, "COMMIT");
	if (rc < 0)
		store_exec(db, "ROLLBACK");
	return rc;
}

/*
 * SQLite's process-wide settings, made before its first use: no memory
 * statistics, so that its allocations take no global mutex (lockfs never
 * asks for them).  Too late once SQLite is in use; then nothing changes.
 */
static void configure_sqlite(void)
{
	static bool configured;

	if (configured)
		return;
	configured = true;
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *dir, struct store **out, enum store_refusal *refusal)
{
	struct sqlite_store *st;
	bool is_new;
	int rc;

	configure_sqlite();
	*out = NULL;
	*refusal = STORE_ACCEPTED;
	rc = check_local(dir, refusal);
	if (rc == 0)
		rc = make_dirs(dir, refusal);
	if (rc < 0)
		return rc;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->base.ops = &sqlite_store_ops;
	st->inotify = -1;
	st->busy_budget_usec = OPEN_BUSY_BUDGET_USEC;
	if (asprintf(&st->path, "%s/cache.db", dir) < 0) {
		st->path = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	rc = classify_file(st->path, &is_new, refusal);
	if (rc < 0)
		goto fail;
	rc = sqlite3_open_v2(st->path, &st->db,
			     SQLITE_OPEN_READWRITE | (is_new ? SQLITE_OPEN_CREATE : 0) |
				     SQLITE_OPEN_NOMUTEX,
			     store_vfs_name());
	if (rc != SQLITE_OK) {
		rc = store_errno(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_handler(st->db, on_busy, st);
	if (is_new) {
		rc = store_exec(st->db, "PRAGMA journal_mode = WAL");
		if (rc == 0)
			rc = create_or_check(st->db, refusal);
	} else {
		rc = store_exec(st->db, "PRAGMA query_only = 1");
		if (rc == 0)
			rc = check_layout(st->db, refusal);
		if (rc == 0)
			rc = store_exec(st->db, "PRAGMA query_only = 0");
	}
	if (rc == 0)
		rc = apply_settings(st);
	if (rc == 0)
		rc = add_lockfs_tables(st->db);
	if (rc == 0)
		rc = store_checkpointer_attach(st);
	if (rc < 0)
		goto fail;
	store_map_wal_index(st);
	st->busy_budget_usec = DEFAULT_BUSY_BUDGET_USEC;
	*out = &st->base;
	return 0;
fail:
	sqlite_store_close(&st->base);
	return rc;
}

void sqlite_store_close(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);

	if (!st)
		return;
	store_checkpointer_detach(st);
	for (int i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	store_unmap_wal_index(st);
	if (st->inotify >= 0)
		close(st->inotify);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

bool sqlite_store_may_evict(const struct store *base)
{
	const struct sqlite_store *st = sqlite_of_const(base);

	return st->may_evict;
}

/*
 * Writes to the cache directory (cache.db, its WAL and -shm) by anyone,
 * this connection included: an inotify watch, made on first use.
 */
int sqlite_store_change_fd(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);
	char *dir, *slash;

	if (st->inotify >= 0)
		return st->inotify;
	dir = strdup(st->path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	st->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (st->inotify >= 0 &&
	    inotify_add_watch(st->inotify, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE) < 0) {
		close(st->inotify);
		st->inotify = -1;
	}
	free(dir);
	return st->inotify >= 0 ? st->inotify : -errno;
}

/* Read every queued event: true when one was about the database or its WAL. */
bool sqlite_store_changes_drained(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool relevant = false;
	ssize_t n;

	if (st->inotify < 0)
		return false;
	while ((n = read(st->inotify, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if ((ev->mask & IN_Q_OVERFLOW) ||
			    (ev->len && strncmp(ev->name, "cache.db", 8) == 0))
				relevant = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return relevant;
}

const struct store_ops sqlite_store_ops = {
	.name = "typed_diskcache",
	.close = sqlite_store_close,
	.may_evict = sqlite_store_may_evict,
	.set_fault_hook = sqlite_store_set_fault_hook,
	.begin = sqlite_store_begin,
	.commit = sqlite_store_commit,
	.rollback = sqlite_store_rollback,
	.read_begin = sqlite_store_read_begin,
	.read_end = sqlite_store_read_end,
	.epoch = sqlite_store_epoch,
	.epoch_seen = sqlite_store_epoch_seen,
	.data_version = sqlite_store_data_version,
	.change_fd = sqlite_store_change_fd,
	.changes_drained = sqlite_store_changes_drained,
	.get_row = sqlite_store_get_row,
	.put_lock = sqlite_store_put_lock,
	.set_count = sqlite_store_set_count,
	.set_expiry = sqlite_store_set_expiry,
	.set_tags = sqlite_store_set_tags,
	.set_note = sqlite_store_set_note,
	.delete_row = sqlite_store_delete_row,
	.next_generation = sqlite_store_next_generation,
	.for_each_row = sqlite_store_for_each_row,
	.count_holders = sqlite_store_count_holders,
	.dir_get = sqlite_store_dir_get,
	.dir_put = sqlite_store_dir_put,
	.dir_delete = sqlite_store_dir_delete,
	.dir_for_each_below = sqlite_store_dir_for_each_below,
	.dir_kept = sqlite_store_dir_kept,
	.waiter_add = sqlite_store_waiter_add,
	.waiter_delete = sqlite_store_waiter_delete,
	.waiter_park = sqlite_store_waiter_park,
	.waiters_delete_instance = sqlite_store_waiters_delete_instance,
	.waiters_of = sqlite_store_waiters_of,
	.holds_read = sqlite_store_holds_read,
	.holds_write = sqlite_store_holds_write,
	.hold_instances = sqlite_store_hold_instances,
};
