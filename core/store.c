/*
 * store.c — the SQLite side of lockfs.
 *
 * Design choices:
 * - One connection, prepared statements kept for its lifetime.  Callers
 *   serialise access; the connection is opened without SQLite's own mutex.
 * - A new cache gets typed_diskcache's schema text verbatim, so that
 *   typed_diskcache (and anything comparing sqlite_master) sees its own
 *   layout.  lockfs's tables are added beside it.
 * - An existing file is inspected before anything is written: the magic
 *   header is read by hand, then the schema with PRAGMA query_only on.
 * - Rows are replaced with UPDATE in place, never INSERT OR REPLACE, so the
 *   metadata triggers keep count and size true.
 * - SQLite's busy handler only sleeps in short steps up to a small budget;
 *   past it a statement returns -EAGAIN and the caller retries later, so a
 *   thread is never stuck for seconds behind clients spinning on a lock.
 */
#include "store.h"
#include "name.h"
#include "pickle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define OPEN_BUSY_BUDGET_USEC (10 * 1000 * 1000)
#define DEFAULT_BUSY_BUDGET_USEC 2000
#define BUSY_STEP_USEC 100
/*
 * WAL pages after which a commit checkpoints (SQLite's default is 1000).
 * A checkpoint costs two fsyncs and the copy of every page changed, paid by
 * the request whose commit crosses the mark; lock rows touch the same few
 * pages over and over, so ten times fewer checkpoints cost a tenth of that,
 * for a WAL of at most about 40 MB.
 */
#define CHECKPOINT_PAGES "10000"
#define PICKLED_KEY_MAX (KEY_MAX_BYTES + 32)

enum stmt_id {
	SQL_GET_ROW,
	SQL_GET_ROW_TAGS,
	SQL_INSERT_ROW,
	SQL_UPDATE_ROW,
	SQL_SET_VALUE,
	SQL_SET_EXPIRY,
	SQL_DELETE_ROW,
	SQL_UNLINK_TAGS,
	SQL_INSERT_TAG,
	SQL_LINK_TAG,
	SQL_PUT_HOLDER,
	SQL_BUMP_GENERATION,
	SQL_READ_GENERATION,
	SQL_DATA_VERSION,
	SQL_ALL_ROWS,
	SQL_EXPIRED_ROWS,
	SQL_DIR_GET,
	SQL_DIR_PUT,
	SQL_DIR_DELETE,
	SQL_DIR_BELOW,
	SQL_DIR_EXISTS,
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_COUNT
};

static const char *const sql_text[SQL_COUNT] = {
	/* One statement per read: each is its own read transaction (two file locks). */
	[SQL_GET_ROW] = "SELECT c.id, c.store_time, c.expire_time, c.mode, c.filepath IS NOT NULL, "
			"c.value, length(c.value), h.key, h.store_time, h.uid, h.gid, h.pid, "
			"h.start_time, h.comm, h.host, h.generation "
			"FROM cache c LEFT JOIN lockfs_holder h ON h.cache_id = c.id "
			"WHERE c.key = ?1 AND c.raw = 0",
	[SQL_GET_ROW_TAGS] = "SELECT c.id, c.store_time, c.expire_time, c.mode, "
			     "c.filepath IS NOT NULL, c.value, length(c.value), h.key, "
			     "h.store_time, h.uid, h.gid, h.pid, h.start_time, h.comm, h.host, "
			     "h.generation, (SELECT group_concat(name, ',') FROM (SELECT tag.name "
			     "FROM cache_tag JOIN tag ON tag.id = cache_tag.tag_id "
			     "WHERE cache_tag.cache_id = c.id ORDER BY tag.name)) "
			     "FROM cache c LEFT JOIN lockfs_holder h ON h.cache_id = c.id "
			     "WHERE c.key = ?1 AND c.raw = 0",
	[SQL_INSERT_ROW] = "INSERT INTO cache (key, raw, store_time, access_time, filepath, value, "
			   "expire_time, mode, access_count, size) "
			   "VALUES (?1, 0, ?2, ?2, NULL, ?3, ?4, 3, 0, 0)",
	[SQL_UPDATE_ROW] = "UPDATE cache SET store_time = ?2, access_time = ?2, filepath = NULL, "
			   "value = ?3, expire_time = ?4, mode = 3, access_count = 0, size = 0 "
			   "WHERE id = ?1",
	[SQL_SET_VALUE] = "UPDATE cache SET value = ?2, mode = 3 WHERE id = ?1",
	[SQL_SET_EXPIRY] = "UPDATE cache SET expire_time = ?2 WHERE id = ?1",
	[SQL_DELETE_ROW] = "DELETE FROM cache WHERE id = ?1",
	[SQL_UNLINK_TAGS] = "DELETE FROM cache_tag WHERE cache_id = ?1",
	[SQL_INSERT_TAG] = "INSERT OR IGNORE INTO tag (name) VALUES (?1)",
	[SQL_LINK_TAG] = "INSERT OR IGNORE INTO cache_tag (cache_id, tag_id) "
			 "SELECT ?1, id FROM tag WHERE name = ?2",
	[SQL_PUT_HOLDER] = "INSERT OR REPLACE INTO lockfs_holder (cache_id, key, store_time, uid, "
			   "gid, pid, start_time, comm, host, generation) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	/* Two statements: UPDATE ... RETURNING costs several times more. */
	[SQL_BUMP_GENERATION] = "UPDATE lockfs_generation SET value = value + 1 WHERE id = 1",
	[SQL_READ_GENERATION] = "SELECT value FROM lockfs_generation WHERE id = 1",
	[SQL_DATA_VERSION] = "PRAGMA data_version",
	[SQL_ALL_ROWS] = "SELECT id, store_time, expire_time, mode, filepath IS NOT NULL, value, "
			 "length(value), key FROM cache WHERE raw = 0",
	[SQL_EXPIRED_ROWS] = "SELECT id, store_time, expire_time, mode, filepath IS NOT NULL, "
			     "value, length(value), key FROM cache "
			     "WHERE expire_time <= ?1 AND raw = 0",
	[SQL_DIR_GET] = "SELECT timeout, ttl, tags FROM lockfs_dir WHERE path = ?1",
	[SQL_DIR_PUT] = "INSERT INTO lockfs_dir (path, timeout, ttl, tags) VALUES (?1, ?2, ?3, ?4) "
			"ON CONFLICT (path) DO UPDATE SET timeout = excluded.timeout, "
			"ttl = excluded.ttl, tags = excluded.tags",
	[SQL_DIR_DELETE] = "DELETE FROM lockfs_dir WHERE path = ?1",
	[SQL_DIR_BELOW] = "SELECT path FROM lockfs_dir WHERE path > ?1 AND path < ?2 "
			  "ORDER BY path",
	[SQL_DIR_EXISTS] = "SELECT EXISTS (SELECT 1 FROM lockfs_dir WHERE path = ?1 OR "
			   "(path > ?2 AND path < ?3))",
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
};

/* typed_diskcache's schema, revision 000_init, exactly as it writes it. */
static const char *const typed_diskcache_schema[] = {
	"CREATE TABLE version (\n"
	"\tid INTEGER NOT NULL, \n"
	"\trevision VARCHAR(100) NOT NULL, \n"
	"\tPRIMARY KEY (id)\n"
	")",
	"CREATE TABLE settings (\n"
	"\tid INTEGER NOT NULL, \n"
	"\t\"key\" VARCHAR(32) NOT NULL, \n"
	"\tvalue JSON NOT NULL, \n"
	"\tmodified_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT settings_key UNIQUE (\"key\")\n"
	")",
	"CREATE TABLE metadata (\n"
	"\tid INTEGER NOT NULL, \n"
	"\t\"key\" VARCHAR(32) NOT NULL, \n"
	"\tvalue INTEGER DEFAULT 0 NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT metadata_key UNIQUE (\"key\")\n"
	")",
	"CREATE TABLE cache (\n"
	"\tid INTEGER NOT NULL, \n"
	"\t\"key\" BLOB NOT NULL, \n"
	"\traw BOOLEAN NOT NULL, \n"
	"\tstore_time FLOAT NOT NULL, \n"
	"\taccess_time FLOAT NOT NULL, \n"
	"\tfilepath VARCHAR, \n"
	"\tvalue BLOB, \n"
	"\texpire_time FLOAT DEFAULT NULL, \n"
	"\tmode INTEGER DEFAULT 0 NOT NULL, \n"
	"\taccess_count INTEGER DEFAULT 0 NOT NULL, \n"
	"\tsize INTEGER DEFAULT 0 NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT cache_key_raw UNIQUE (\"key\", raw)\n"
	")",
	"CREATE INDEX cache_expire_time ON cache (expire_time)",
	"CREATE INDEX cache_access_count ON cache (access_count)",
	"CREATE INDEX cache_store_time ON cache (store_time)",
	"CREATE INDEX cache_access_time ON cache (access_time)",
	"CREATE TABLE tag (\n"
	"\tname VARCHAR(100) NOT NULL, \n"
	"\tid INTEGER NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT tag_name UNIQUE (name)\n"
	")",
	"CREATE TABLE cache_tag (\n"
	"\tid INTEGER NOT NULL, \n"
	"\tcache_id INTEGER NOT NULL, \n"
	"\ttag_id INTEGER NOT NULL, \n"
	"\tPRIMARY KEY (id), \n"
	"\tCONSTRAINT cache_tag_cache_id_tag_id UNIQUE (cache_id, tag_id), \n"
	"\tCONSTRAINT cache_tag_cache_id_fkey FOREIGN KEY(cache_id) REFERENCES cache (id) "
	"ON DELETE CASCADE, \n"
	"\tCONSTRAINT cache_tag_tag_id_fkey FOREIGN KEY(tag_id) REFERENCES tag (id) "
	"ON DELETE CASCADE\n"
	")",
	"CREATE TRIGGER metadata_count_insert AFTER INSERT ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value + 1 WHERE key = \"count\"; END",
	"CREATE TRIGGER metadata_count_delete AFTER DELETE ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value - 1 WHERE key = \"count\"; END",
	"CREATE TRIGGER metadata_size_insert AFTER INSERT ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value + NEW.size WHERE key = \"size\"; END",
	"CREATE TRIGGER metadata_size_update AFTER UPDATE ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value + NEW.size - OLD.size WHERE key = \"size\"; END",
	"CREATE TRIGGER metadata_size_delete AFTER DELETE ON cache FOR EACH ROW BEGIN UPDATE "
	"metadata SET value = value - OLD.size WHERE key = \"size\"; END",
	"INSERT INTO version (id, revision) VALUES (1, '000_init')",
	"INSERT INTO metadata (id, \"key\", value) VALUES (1, 'count', 0), (2, 'size', 0), "
	"(3, 'hits', 0), (4, 'misses', 0)",
};

/* The settings rows of a new cache: typed_diskcache's defaults, no eviction. */
static const char *const new_settings[][2] = {
	{"statistics", "false"},
	{"eviction_policy", "\"none\""},
	{"size_limit", "1073741824"},
	{"cull_limit", "10"},
	{"serialized_disk",
	 "[\"typed_diskcache.implement.disk.main.Disk\", {\"min_file_size\": 32768}]"},
	{"sqlite_auto_vacuum", "\"FULL\""},
	{"sqlite_cache_size", "8192"},
	{"sqlite_journal_mode", "\"WAL\""},
	{"sqlite_mmap_size", "67108864"},
	{"sqlite_synchronous", "\"NORMAL\""},
};

static const char *const lockfs_schema =
	"CREATE TABLE IF NOT EXISTS lockfs_holder (\n"
	"\tcache_id INTEGER PRIMARY KEY REFERENCES cache (id) ON DELETE CASCADE,\n"
	"\tkey BLOB NOT NULL,\n"
	"\tstore_time FLOAT NOT NULL,\n"
	"\tuid INTEGER NOT NULL,\n"
	"\tgid INTEGER NOT NULL,\n"
	"\tpid INTEGER NOT NULL,\n"
	"\tstart_time INTEGER NOT NULL,\n"
	"\tcomm TEXT NOT NULL,\n"
	"\thost TEXT NOT NULL,\n"
	"\tgeneration INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS lockfs_dir (\n"
	"\tpath TEXT PRIMARY KEY,\n"
	"\ttimeout TEXT,\n"
	"\tttl TEXT,\n"
	"\ttags TEXT\n"
	");\n"
	"CREATE TABLE IF NOT EXISTS lockfs_generation (\n"
	"\tid INTEGER PRIMARY KEY CHECK (id = 1),\n"
	"\tvalue INTEGER NOT NULL\n"
	");\n"
	"INSERT OR IGNORE INTO lockfs_generation (id, value) VALUES (1, 0);\n"
	"INSERT OR IGNORE INTO lockfs_dir (path) VALUES ('');\n";

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[SQL_COUNT];
	bool may_evict;
	bool in_write;
	unsigned busy_budget_usec;
	void (*fault_hook)(void *ctx, unsigned step);
	void *fault_ctx;
	unsigned fault_step;
};

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

static int errno_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EAGAIN;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	default:
		return -EIO;
	}
}

static int on_busy(void *ctx, int attempts)
{
	struct store *st = ctx;

	if ((unsigned)attempts * BUSY_STEP_USEC >= st->busy_budget_usec)
		return 0;
	usleep(BUSY_STEP_USEC);
	return 1;
}

static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	if (!st->stmt[id] &&
	    sqlite3_prepare_v3(st->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[id],
			       NULL) != SQLITE_OK)
		return NULL;
	return st->stmt[id];
}

/* Step a statement, letting the fault hook run first inside write transactions. */
static int step(struct store *st, sqlite3_stmt *s)
{
	if (st->in_write && st->fault_hook)
		st->fault_hook(st->fault_ctx, st->fault_step++);
	return sqlite3_step(s);
}

/* Run a statement that returns no rows, then reset it. */
static int run(struct store *st, sqlite3_stmt *s)
{
	int rc = step(st, s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : errno_of(rc);
}

static void finish(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int bind_key(sqlite3_stmt *s, int index, const char *key)
{
	uint8_t buf[PICKLED_KEY_MAX];
	size_t len = strlen(key);
	ssize_t n;

	if (len > KEY_MAX_BYTES)
		return -ENAMETOOLONG;
	n = pickle_encode_str(key, len, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return sqlite3_bind_blob(s, index, buf, (int)n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -ENOMEM;
}

static int bind_text_or_null(sqlite3_stmt *s, int index, const char *text)
{
	if (!text || !*text)
		return sqlite3_bind_null(s, index);
	return sqlite3_bind_text(s, index, text, -1, SQLITE_TRANSIENT);
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
	snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

/* --- opening ------------------------------------------------------------ */

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

static int exec(sqlite3 *db, const char *sql)
{
	return errno_of(sqlite3_exec(db, sql, NULL, NULL, NULL));
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
	return errno_of(rc);
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
		matching += rev && strcmp(rev, "000_init") == 0;
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
		rc = exec(db, typed_diskcache_schema[i]);
	if (rc < 0)
		return rc;
	format_modified_at(modified_at, sizeof(modified_at));
	rc = errno_of(sqlite3_prepare_v2(db,
					 "INSERT INTO settings (id, \"key\", value, modified_at) "
					 "VALUES (?1, ?2, ?3, ?4)",
					 -1, &s, NULL));
	for (unsigned i = 0; rc == 0 && i < sizeof(new_settings) / sizeof(new_settings[0]); i++) {
		sqlite3_bind_int(s, 1, (int)i + 1);
		sqlite3_bind_text(s, 2, new_settings[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, new_settings[i][1], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, modified_at, -1, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : errno_of(sqlite3_errcode(db));
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return rc;
}

/* Create typed_diskcache's layout unless another process just did. */
static int create_or_check(sqlite3 *db, enum store_refusal *refusal)
{
	int rc = exec(db, "BEGIN IMMEDIATE");

	if (rc < 0)
		return rc;
	rc = has_table(db, "version", refusal);
	if (rc == 0)
		rc = create_layout(db);
	else if (rc == 1)
		rc = 0;
	if (rc == 0)
		rc = exec(db, "COMMIT");
	if (rc < 0) {
		exec(db, "ROLLBACK");
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
 */
static int apply_settings(struct store *st)
{
	static const char *const allowed[] = {"auto_vacuum", "cache_size", "mmap_size",
					      "synchronous"};
	sqlite3_stmt *s;
	int rc;

	rc = exec(st->db, "PRAGMA journal_mode = WAL");
	if (rc == 0)
		rc = exec(st->db, "PRAGMA synchronous = NORMAL");
	if (rc == 0)
		rc = exec(st->db, "PRAGMA foreign_keys = ON");
	if (rc == 0)
		rc = exec(st->db, "PRAGMA wal_autocheckpoint = " CHECKPOINT_PAGES);
	if (rc < 0)
		return rc;
	rc = sqlite3_prepare_v2(st->db, "SELECT \"key\", value FROM settings", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return errno_of(rc);
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
			exec(st->db, sql);
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : errno_of(rc);
}

static int add_lockfs_tables(sqlite3 *db)
{
	static const char *const tables[] = {"lockfs_holder", "lockfs_dir", "lockfs_generation"};
	enum store_refusal ignored;
	bool missing = false;
	int rc;

	for (unsigned i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		rc = has_table(db, tables[i], &ignored);
		if (rc < 0)
			return rc;
		missing |= rc == 0;
	}
	if (!missing)
		return 0;
	rc = exec(db, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = exec(db, lockfs_schema);
	if (rc == 0)
		rc = exec(db, "COMMIT");
	if (rc < 0)
		exec(db, "ROLLBACK");
	return rc;
}

int store_open(const char *dir, struct store **out, enum store_refusal *refusal)
{
	struct store *st;
	bool is_new;
	int rc;

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
			     NULL);
	if (rc != SQLITE_OK) {
		rc = errno_of(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_handler(st->db, on_busy, st);
	if (is_new) {
		rc = exec(st->db, "PRAGMA journal_mode = WAL");
		if (rc == 0)
			rc = create_or_check(st->db, refusal);
	} else {
		rc = exec(st->db, "PRAGMA query_only = 1");
		if (rc == 0)
			rc = check_layout(st->db, refusal);
		if (rc == 0)
			rc = exec(st->db, "PRAGMA query_only = 0");
	}
	if (rc == 0)
		rc = apply_settings(st);
	if (rc == 0)
		rc = add_lockfs_tables(st->db);
	if (rc < 0)
		goto fail;
	st->busy_budget_usec = DEFAULT_BUSY_BUDGET_USEC;
	*out = st;
	return 0;
fail:
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

bool store_may_evict(const struct store *st)
{
	return st->may_evict;
}

void store_set_fault_hook(struct store *st, void (*hook)(void *ctx, unsigned step), void *ctx)
{
	st->fault_hook = hook;
	st->fault_ctx = ctx;
	st->fault_step = 0;
}

/* --- transactions ------------------------------------------------------- */

int store_read_begin(struct store *st)
{
	return st->in_write ? -EINVAL : exec(st->db, "BEGIN DEFERRED");
}

void store_read_end(struct store *st)
{
	if (!st->in_write && !sqlite3_get_autocommit(st->db))
		exec(st->db, "COMMIT");
}

int store_begin(struct store *st)
{
	sqlite3_stmt *s = stmt(st, SQL_BEGIN);
	int rc;

	if (st->in_write)
		return -EINVAL;
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	store_read_end(st); /* a write starts from a fresh snapshot */
	rc = run(st, s);
	if (rc == 0)
		st->in_write = true;
	return rc;
}

int store_commit(struct store *st)
{
	sqlite3_stmt *s = stmt(st, SQL_COMMIT);
	int rc;

	if (!st->in_write)
		return -EINVAL;
	rc = s ? run(st, s) : errno_of(sqlite3_errcode(st->db));
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	st->in_write = false;
	return 0;
}

void store_rollback(struct store *st)
{
	sqlite3_stmt *s = stmt(st, SQL_ROLLBACK);

	st->in_write = false;
	if (s && !sqlite3_get_autocommit(st->db))
		run(st, s);
}

int store_data_version(struct store *st, int64_t *version)
{
	sqlite3_stmt *s = stmt(st, SQL_DATA_VERSION);
	int rc;

	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int64(s, 0);
	finish(s);
	return rc == SQLITE_ROW ? 0 : errno_of(rc);
}

/* --- rows --------------------------------------------------------------- */

/* Fill row from columns 0..6 of SQL_GET_ROW / SQL_ALL_ROWS. */
static void read_row_columns(sqlite3_stmt *s, struct store_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(s, 0);
	row->store_time = sqlite3_column_double(s, 1);
	row->expires = sqlite3_column_type(s, 2) != SQLITE_NULL;
	row->expire_time = row->expires ? sqlite3_column_double(s, 2) : 0;
	row->mode = sqlite3_column_int(s, 3);
	row->in_file = sqlite3_column_int(s, 4) != 0;
	row->value_null = sqlite3_column_type(s, 5) == SQLITE_NULL;
	row->value_len = (size_t)sqlite3_column_int64(s, 6);
	if (!row->value_null && row->value_len <= STORE_VALUE_MAX) {
		const void *blob = sqlite3_column_blob(s, 5);

		row->value_len = (size_t)sqlite3_column_bytes(s, 5);
		if (blob && row->value_len <= STORE_VALUE_MAX)
			memcpy(row->value, blob, row->value_len);
	}
}

/*
 * Fill row->holder from columns 7..15 of SQL_GET_ROW(_TAGS): it counts only
 * when its key and store_time are the row's (pickled is the row's key).
 */
static void read_holder_columns(sqlite3_stmt *s, const uint8_t *pickled, size_t pickled_len,
				struct store_row *row)
{
	const void *hkey = sqlite3_column_blob(s, 7);
	struct store_holder *h = &row->holder;

	row->has_holder = hkey && (size_t)sqlite3_column_bytes(s, 7) == pickled_len &&
			  memcmp(hkey, pickled, pickled_len) == 0 &&
			  sqlite3_column_double(s, 8) == row->store_time;
	memset(h, 0, sizeof(*h));
	if (!row->has_holder)
		return;
	h->uid = (uint32_t)sqlite3_column_int64(s, 9);
	h->gid = (uint32_t)sqlite3_column_int64(s, 10);
	h->pid = sqlite3_column_int(s, 11);
	h->start_time = (uint64_t)sqlite3_column_int64(s, 12);
	copy_text(h->comm, sizeof(h->comm), sqlite3_column_text(s, 13));
	copy_text(h->host, sizeof(h->host), sqlite3_column_text(s, 14));
	h->generation = sqlite3_column_int64(s, 15);
}

int store_get_row(struct store *st, const char *key, struct store_row *row, char **tags)
{
	sqlite3_stmt *s = stmt(st, tags ? SQL_GET_ROW_TAGS : SQL_GET_ROW);
	uint8_t pickled[PICKLED_KEY_MAX];
	size_t len = strlen(key);
	ssize_t n;
	int rc;

	if (tags)
		*tags = NULL;
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	if (len > KEY_MAX_BYTES)
		return -ENAMETOOLONG;
	n = pickle_encode_str(key, len, pickled, sizeof(pickled));
	if (n < 0)
		return (int)n;
	sqlite3_bind_blob(s, 1, pickled, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_row_columns(s, row);
		read_holder_columns(s, pickled, (size_t)n, row);
		if (tags) {
			const unsigned char *text = sqlite3_column_text(s, 16);

			*tags = strdup(text ? (const char *)text : "");
			if (!*tags)
				rc = SQLITE_NOMEM;
		}
	}
	finish(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return rc == SQLITE_ROW ? 0 : errno_of(rc);
}

static int bind_owner(sqlite3_stmt *s, int index, const char *owner, int64_t count)
{
	uint8_t buf[STORE_VALUE_MAX];
	ssize_t n = pickle_encode_owner(owner, strlen(owner), count, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return sqlite3_bind_blob(s, index, buf, (int)n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -ENOMEM;
}

static void bind_expiry(sqlite3_stmt *s, int index, bool expires, double expire_time)
{
	if (expires)
		sqlite3_bind_double(s, index, expire_time);
	else
		sqlite3_bind_null(s, index);
}

static int put_holder(struct store *st, const char *key, int64_t id, double store_time,
		      const struct store_holder *h)
{
	sqlite3_stmt *s = stmt(st, SQL_PUT_HOLDER);
	int rc;

	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	rc = bind_key(s, 2, key);
	if (rc < 0) {
		finish(s);
		return rc;
	}
	sqlite3_bind_double(s, 3, store_time);
	sqlite3_bind_int64(s, 4, h->uid);
	sqlite3_bind_int64(s, 5, h->gid);
	sqlite3_bind_int(s, 6, h->pid);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)h->start_time);
	sqlite3_bind_text(s, 8, h->comm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 9, h->host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 10, h->generation);
	return run(st, s);
}

int64_t store_put_lock(struct store *st, const char *key, int64_t id, const struct store_lock *lock)
{
	sqlite3_stmt *s = stmt(st, id ? SQL_UPDATE_ROW : SQL_INSERT_ROW);
	int rc;

	if (!st->in_write)
		return -EINVAL;
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	rc = id ? (sqlite3_bind_int64(s, 1, id), 0) : bind_key(s, 1, key);
	if (rc == 0)
		rc = bind_owner(s, 3, lock->owner, lock->count);
	if (rc < 0) {
		finish(s);
		return rc;
	}
	sqlite3_bind_double(s, 2, lock->store_time);
	bind_expiry(s, 4, lock->expires, lock->expire_time);
	rc = run(st, s);
	if (rc < 0)
		return rc;
	if (!id)
		id = sqlite3_last_insert_rowid(st->db);
	rc = store_set_tags(st, id, lock->tags);
	if (rc == 0 && lock->holder)
		rc = put_holder(st, key, id, lock->store_time, lock->holder);
	return rc < 0 ? rc : id;
}

int store_set_count(struct store *st, int64_t id, const char *owner, int64_t count)
{
	sqlite3_stmt *s = stmt(st, SQL_SET_VALUE);
	int rc;

	if (!st->in_write)
		return -EINVAL;
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	rc = bind_owner(s, 2, owner, count);
	if (rc < 0) {
		finish(s);
		return rc;
	}
	return run(st, s);
}

int store_set_expiry(struct store *st, int64_t id, bool expires, double expire_time)
{
	sqlite3_stmt *s = stmt(st, SQL_SET_EXPIRY);

	if (!st->in_write)
		return -EINVAL;
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	bind_expiry(s, 2, expires, expire_time);
	return run(st, s);
}

int store_set_tags(struct store *st, int64_t id, const char *tags)
{
	sqlite3_stmt *unlink = stmt(st, SQL_UNLINK_TAGS);
	sqlite3_stmt *insert = stmt(st, SQL_INSERT_TAG);
	sqlite3_stmt *link = stmt(st, SQL_LINK_TAG);
	int rc;

	if (!st->in_write)
		return -EINVAL;
	if (!unlink || !insert || !link)
		return errno_of(sqlite3_errcode(st->db));
	sqlite3_bind_int64(unlink, 1, id);
	rc = run(st, unlink);
	for (const char *p = tags; rc == 0 && p && *p;) {
		const char *comma = strchr(p, ',');
		int len = comma ? (int)(comma - p) : (int)strlen(p);

		sqlite3_bind_text(insert, 1, p, len, SQLITE_TRANSIENT);
		rc = run(st, insert);
		if (rc == 0) {
			sqlite3_bind_int64(link, 1, id);
			sqlite3_bind_text(link, 2, p, len, SQLITE_TRANSIENT);
			rc = run(st, link);
		}
		p = comma ? comma + 1 : p + len;
	}
	return rc;
}

int store_delete_row(struct store *st, int64_t id)
{
	sqlite3_stmt *s = stmt(st, SQL_DELETE_ROW);

	if (!st->in_write)
		return -EINVAL;
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	return run(st, s);
}

int store_next_generation(struct store *st, int64_t *generation)
{
	sqlite3_stmt *bump = stmt(st, SQL_BUMP_GENERATION);
	sqlite3_stmt *read = stmt(st, SQL_READ_GENERATION);
	int rc;

	if (!st->in_write)
		return -EINVAL;
	if (!bump || !read)
		return errno_of(sqlite3_errcode(st->db));
	rc = run(st, bump);
	if (rc < 0)
		return rc;
	rc = step(st, read);
	if (rc == SQLITE_ROW)
		*generation = sqlite3_column_int64(read, 0);
	finish(read);
	return rc == SQLITE_ROW ? 0 : errno_of(rc);
}

int store_for_each_row(struct store *st, double expired_before, store_row_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(st, expired_before > 0 ? SQL_EXPIRED_ROWS : SQL_ALL_ROWS);
	struct store_row row;
	char key[KEY_MAX_BYTES + 1];
	int rc, stop = 0;

	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	if (expired_before > 0)
		sqlite3_bind_double(s, 1, expired_before);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const uint8_t *pickled = sqlite3_column_blob(s, 7);
		struct pickle_value v;

		if (!pickled ||
		    pickle_decode(pickled, (size_t)sqlite3_column_bytes(s, 7), &v) < 0 ||
		    v.kind != PICKLE_STR || v.text_len > KEY_MAX_BYTES)
			continue;
		memcpy(key, v.text, v.text_len);
		key[v.text_len] = '\0';
		read_row_columns(s, &row);
		stop = fn(ctx, key, v.text_len, &row);
	}
	finish(s);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : errno_of(rc);
}

/* --- directories -------------------------------------------------------- */

int store_dir_get(struct store *st, const char *path, struct store_dir *dir)
{
	sqlite3_stmt *s = stmt(st, SQL_DIR_GET);
	int rc;

	memset(dir, 0, sizeof(*dir));
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		copy_text(dir->timeout, sizeof(dir->timeout), sqlite3_column_text(s, 0));
		copy_text(dir->ttl, sizeof(dir->ttl), sqlite3_column_text(s, 1));
		if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
			dir->tags = strdup((const char *)sqlite3_column_text(s, 2));
			if (!dir->tags)
				rc = SQLITE_NOMEM;
		}
	}
	finish(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return rc == SQLITE_ROW ? 0 : errno_of(rc);
}

int store_dir_put(struct store *st, const char *path, const struct store_dir *dir)
{
	sqlite3_stmt *s = stmt(st, SQL_DIR_PUT);

	if (!st->in_write)
		return -EINVAL;
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	bind_text_or_null(s, 2, dir->timeout);
	bind_text_or_null(s, 3, dir->ttl);
	if (dir->tags)
		sqlite3_bind_text(s, 4, dir->tags, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 4);
	return run(st, s);
}

int store_dir_delete(struct store *st, const char *path)
{
	sqlite3_stmt *s = stmt(st, SQL_DIR_DELETE);

	if (!st->in_write)
		return -EINVAL;
	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	return run(st, s);
}

int store_dir_for_each_below(struct store *st, const char *path, store_dir_fn fn, void *ctx)
{
	sqlite3_stmt *s = stmt(st, SQL_DIR_BELOW);
	char low[KEY_MAX_BYTES + 2], high[KEY_MAX_BYTES + 2];
	int rc, stop = 0;

	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	if (*path) {
		/* Paths below "a" sort between "a/" and "a0" ('0' follows '/'). */
		snprintf(low, sizeof(low), "%s/", path);
		snprintf(high, sizeof(high), "%s0", path);
	} else {
		snprintf(low, sizeof(low), "%s", "");
		snprintf(high, sizeof(high), "%s", "\xf4\x90");
	}
	sqlite3_bind_text(s, 1, low, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, high, -1, SQLITE_TRANSIENT);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = fn(ctx, (const char *)sqlite3_column_text(s, 0));
	finish(s);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : errno_of(rc);
}

int store_dir_kept(struct store *st, const char *path)
{
	sqlite3_stmt *s = stmt(st, SQL_DIR_EXISTS);
	char low[KEY_MAX_BYTES + 2], high[KEY_MAX_BYTES + 2];
	int rc, kept = 0;

	if (!s)
		return errno_of(sqlite3_errcode(st->db));
	snprintf(low, sizeof(low), "%s/", path);
	snprintf(high, sizeof(high), "%s0", path);
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, low, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, high, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		kept = sqlite3_column_int(s, 0);
	finish(s);
	return rc == SQLITE_ROW ? kept : errno_of(rc);
}

void store_dir_clear(struct store_dir *dir)
{
	free(dir->tags);
	dir->tags = NULL;
}
