/*
 * store.c — lockfs's rows, transactions and directories in a typed_diskcache
 * cache.  Opening, vetting and creating the cache is store_open.c's.
 *
 * Design choices:
 * - One connection, prepared statements kept for its lifetime.  Callers
 *   serialise access; the connection is opened without SQLite's own mutex.
 * - Rows are replaced with UPDATE in place, never INSERT OR REPLACE, so the
 *   metadata triggers keep count and size true.
 * - Which transaction a call may run in is the caller's contract, checked
 *   with assert(): a write outside a write transaction is a bug to find, not
 *   an errno to hand up.
 */
#include "store_int.h"
#include "name.h"
#include "pickle.h"

#include <assert.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PICKLED_KEY_MAX (KEY_MAX_BYTES + 32)

/* The SQL of each statement, prepared on first use (prepared_statement). */
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
			     "WHERE cache_tag.cache_id = c.id ORDER BY tag.name)), h.note "
			     "FROM cache c LEFT JOIN lockfs_holder h ON h.cache_id = c.id "
			     "WHERE c.key = ?1 AND c.raw = 0",
	[SQL_SET_NOTE] = "UPDATE lockfs_holder SET note = ?2 WHERE cache_id = ?1",
	[SQL_HOLDS_GET] = "SELECT holds FROM lockfs_holder WHERE cache_id = ?1",
	[SQL_HOLDS_PUT] = "UPDATE lockfs_holder SET holds = ?2 WHERE cache_id = ?1",
	[SQL_HOLD_INSTANCES] = "SELECT c.key, h.holds FROM lockfs_holder h "
			       "JOIN cache c ON c.id = h.cache_id WHERE h.holds IS NOT NULL",
	[SQL_WAITER_ADD] = "INSERT INTO lockfs_waiter (key, host, pid, start_time) "
			   "VALUES (?1, ?2, ?3, ?4)",
	[SQL_WAITER_DELETE] = "DELETE FROM lockfs_waiter WHERE id = ?1",
	[SQL_WAITER_PARK] = "UPDATE lockfs_waiter SET parked = ?2 WHERE id = ?1",
	[SQL_WAITERS_OF] = "SELECT id, host, pid, start_time, parked FROM lockfs_waiter "
			   "WHERE key = ?1 ORDER BY id",
	[SQL_WAITERS_DELETE_INSTANCE] = "DELETE FROM lockfs_waiter WHERE host = ?1 AND pid = ?2 "
					"AND start_time = ?3",
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
	[SQL_BUMP_GENERATION] = "UPDATE lockfs_generation SET value = value + ?1 WHERE id = 1",
	[SQL_READ_GENERATION] = "SELECT value FROM lockfs_generation WHERE id = 1",
	/* CROSS JOIN: the holders first, else SQLite walks cache's expiry index. */
	[SQL_COUNT_HOLDERS] = "SELECT count(*) FROM lockfs_holder h CROSS JOIN cache c "
			      "ON c.id = h.cache_id AND c.key = h.key AND c.store_time = h.store_time "
			      "WHERE c.expire_time IS NULL OR c.expire_time > ?1",
	[SQL_DATA_VERSION] = "PRAGMA data_version",
	[SQL_ALL_ROWS] = "SELECT id, store_time, expire_time, mode, filepath IS NOT NULL, value, "
			 "length(value), key FROM cache WHERE raw = 0",
	[SQL_EXPIRED_ROWS] = "SELECT id, store_time, expire_time, mode, filepath IS NOT NULL, "
			     "value, length(value), key FROM cache "
			     "WHERE expire_time <= ?1 AND raw = 0",
	[SQL_DIR_GET] = "SELECT timeout, ttl, tags, open FROM lockfs_dir WHERE path = ?1",
	[SQL_DIR_PUT] = "INSERT INTO lockfs_dir (path, timeout, ttl, tags, open) "
			"VALUES (?1, ?2, ?3, ?4, ?5) "
			"ON CONFLICT (path) DO UPDATE SET timeout = excluded.timeout, "
			"ttl = excluded.ttl, tags = excluded.tags, open = excluded.open",
	[SQL_DIR_DELETE] = "DELETE FROM lockfs_dir WHERE path = ?1",
	[SQL_DIR_BELOW] = "SELECT path FROM lockfs_dir WHERE path > ?1 AND path < ?2 "
			  "ORDER BY path",
	[SQL_DIR_EXISTS] = "SELECT EXISTS (SELECT 1 FROM lockfs_dir WHERE path = ?1 OR "
			   "(path > ?2 AND path < ?3))",
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_BEGIN_READ] = "BEGIN DEFERRED",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
};

/* --- statements --------------------------------------------------------- */

int store_errno(int rc)
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

int store_exec(sqlite3 *db, const char *sql)
{
	return store_errno(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

sqlite3_stmt *store_statement(struct sqlite_store *st, enum store_statement_id id)
{
	if (!st->stmt[id] &&
	    sqlite3_prepare_v3(st->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[id],
			       NULL) != SQLITE_OK)
		return NULL;
	return st->stmt[id];
}

/* Step a statement, letting the fault hook run first inside write transactions. */
static int step_statement(struct sqlite_store *st, sqlite3_stmt *s)
{
	if (st->in_write && st->fault_hook)
		st->fault_hook(st->fault_ctx, st->fault_step++);
	return sqlite3_step(s);
}

void store_reset_statement(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int store_run_statement(struct sqlite_store *st, sqlite3_stmt *s)
{
	int rc = step_statement(st, s);

	store_reset_statement(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_errno(rc);
}

sqlite3_stmt *store_write_statement(struct sqlite_store *st, enum store_statement_id which, int64_t id)
{
	sqlite3_stmt *s = store_statement(st, which);

	assert(st->in_write);
	if (s)
		sqlite3_bind_int64(s, 1, id);
	return s;
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

void sqlite_store_set_fault_hook(struct store *base, void (*hook)(void *ctx, unsigned step), void *ctx)
{
	struct sqlite_store *st = sqlite_of(base);

	st->fault_hook = hook;
	st->fault_ctx = ctx;
	st->fault_step = 0;
}

/* --- transactions ------------------------------------------------------- */

/* --- epochs -------------------------------------------------------------- */

/*
 * The WAL index (cache.db-shm) is the shared memory through which every
 * connection of the cache, in any process and any SQLite version, learns
 * of commits: a writer rewrites its header (two copies, the second first)
 * with every commit, and readers compare the two copies to see a whole
 * one.  Its layout is part of SQLite's cross-process protocol, so it does
 * not change between versions.  lockfs only reads it, from a read-only
 * mapping of its own.
 */
void store_map_wal_index(struct sqlite_store *st)
{
	sqlite3_file *file = NULL;
	void volatile *region = NULL;

	/*
	 * SQLite's own mapping, through its VFS: opening the -shm file here and
	 * closing it again would drop every POSIX lock this process holds on it,
	 * SQLite's included.  Region 0 stays mapped until the connection closes.
	 */
	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
	    !file || !file->pMethods || file->pMethods->iVersion < 2 || !file->pMethods->xShmMap)
		return;
	if (file->pMethods->xShmMap(file, 0, WAL_INDEX_REGION, 0, &region) == SQLITE_OK && region)
		st->shm = region;
}

void store_unmap_wal_index(struct sqlite_store *st)
{
	st->shm = NULL; /* the mapping is SQLite's: it unmaps it when the connection closes */
}

/* Copy a whole header (both copies equal, written), as SQLite's readers do. */
static bool read_wal_header(const struct sqlite_store *st, uint8_t out[WAL_HEADER_BYTES])
{
	uint8_t second[WAL_HEADER_BYTES];

	if (!st->shm)
		return false;
	for (size_t i = 0; i < WAL_HEADER_BYTES; i++)
		out[i] = st->shm[i];
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (size_t i = 0; i < WAL_HEADER_BYTES; i++)
		second[i] = st->shm[WAL_HEADER_BYTES + i];
	return memcmp(out, second, WAL_HEADER_BYTES) == 0 && out[WAL_HEADER_INIT] == 1;
}

static uint32_t commits_of(const uint8_t header[WAL_HEADER_BYTES])
{
	uint32_t change;

	memcpy(&change, header + WAL_HEADER_CHANGE, sizeof(change));
	return change;
}

/* Look at the header: a new one (or none) starts a new epoch. */
static void observe(struct sqlite_store *st)
{
	uint8_t now[WAL_HEADER_BYTES];

	if (read_wal_header(st, now) && st->seen_valid && memcmp(now, st->seen, sizeof(now)) == 0)
		return;
	st->epoch++;
	st->seen_valid = read_wal_header(st, st->seen);
}

uint64_t sqlite_store_epoch(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);

	observe(st);
	return st->epoch;
}

uint64_t sqlite_store_epoch_seen(const struct store *base)
{
	const struct sqlite_store *st = sqlite_of_const(base);

	return st->epoch;
}

/*
 * After this connection's COMMIT: the epoch goes on only if nobody else
 * committed since BEGIN.  A transaction that changed rows wrote frames and
 * counted one commit in the header; one that changed nothing left the
 * header as it was, so any change seen now is another's (which may have
 * come in right after our COMMIT, and would pass for ours as "+1").
 */
static void observe_own_commit(struct sqlite_store *st)
{
	uint8_t now[WAL_HEADER_BYTES];
	bool wrote = sqlite3_total_changes64(st->db) != st->changes_at_start;

	if (st->seen_valid && read_wal_header(st, now) &&
	    (wrote ? commits_of(now) == commits_of(st->write_start) + 1
		   : memcmp(now, st->write_start, sizeof(now)) == 0)) {
		memcpy(st->seen, now, sizeof(now));
		return;
	}
	st->seen_valid = false; /* the next look starts a new epoch */
}

int sqlite_store_read_begin(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_BEGIN_READ);

	assert(!st->in_write);
	/* Before the first read: the reads see this state or a later one. */
	observe(st);
	return s ? store_run_statement(st, s) : store_errno(sqlite3_errcode(st->db));
}

void sqlite_store_read_end(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s;

	if (st->in_write || sqlite3_get_autocommit(st->db))
		return;
	s = store_statement(st, SQL_COMMIT);
	if (s)
		store_run_statement(st, s);
}

int sqlite_store_begin(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_BEGIN);
	int rc;

	assert(!st->in_write);
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite_store_read_end(&st->base); /* a write starts from a fresh snapshot */
	rc = store_run_statement(st, s);
	if (rc < 0)
		return rc;
	st->in_write = true;
	/* Holding the write lock: nobody commits until this transaction ends. */
	observe(st);
	memcpy(st->write_start, st->seen, sizeof(st->write_start));
	st->changes_at_start = sqlite3_total_changes64(st->db);
	return 0;
}

int sqlite_store_commit(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_COMMIT);
	int rc;

	assert(st->in_write);
	rc = s ? store_run_statement(st, s) : store_errno(sqlite3_errcode(st->db));
	if (rc < 0) {
		sqlite_store_rollback(&st->base);
		return rc;
	}
	st->in_write = false;
	observe_own_commit(st);
	if (st->gen_used) {
		/* The block stays usable while the epoch does (nobody else commits). */
		st->gen_valid = st->seen_valid;
		st->gen_epoch = st->epoch;
		st->gen_used = false;
	}
	return 0;
}

void sqlite_store_rollback(struct store *base)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_ROLLBACK);

	st->in_write = false;
	if (st->gen_used) {
		st->gen_valid = false; /* a block taken here was never written */
		st->gen_used = false;
	}
	if (s && !sqlite3_get_autocommit(st->db))
		store_run_statement(st, s);
}

int sqlite_store_count_holders(struct store *base, double now, int64_t *count)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_COUNT_HOLDERS);
	int rc;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_double(s, 1, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(s, 0);
	store_reset_statement(s);
	return rc == SQLITE_ROW ? 0 : store_errno(rc);
}

int sqlite_store_data_version(struct store *base, int64_t *version)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_DATA_VERSION);
	int rc;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int64(s, 0);
	store_reset_statement(s);
	if (rc != SQLITE_ROW)
		return store_errno(rc);
	/*
	 * Cross-check the epochs: another connection committed (the version
	 * moved) while the header did not change.  Then the mapping does not
	 * show the WAL index SQLite uses (the -shm file was replaced under
	 * everyone): stop trusting it.
	 */
	observe(st);
	if (*version != st->checked_version && st->epoch == st->checked_epoch)
		store_unmap_wal_index(st);
	st->checked_version = *version;
	st->checked_epoch = st->epoch;
	return 0;
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

/* Columns 16 (tags) and 17 (the holder's note, when the holder counts) of SQL_GET_ROW_TAGS. */
static int read_text_columns(sqlite3_stmt *s, const struct store_row *row, struct store_text *text)
{
	const unsigned char *tags = sqlite3_column_text(s, 16);
	const void *note = sqlite3_column_blob(s, 17);
	size_t note_len = (size_t)sqlite3_column_bytes(s, 17);

	text->tags = strdup(tags ? (const char *)tags : "");
	if (!text->tags)
		return -ENOMEM;
	if (!row->has_holder || !note || !note_len)
		return 0;
	if (note_len > STORE_NOTE_MAX)
		note_len = STORE_NOTE_MAX; /* written by someone else: shown up to the limit */
	text->note = malloc(note_len);
	if (!text->note)
		return -ENOMEM;
	memcpy(text->note, note, note_len);
	text->note_len = note_len;
	return 0;
}

int sqlite_store_get_row(struct store *base, const char *key, struct store_row *row,
		  struct store_text *text)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, text ? SQL_GET_ROW_TAGS : SQL_GET_ROW);
	uint8_t pickled[PICKLED_KEY_MAX];
	size_t len = strlen(key);
	ssize_t n;
	int rc;

	if (text)
		memset(text, 0, sizeof(*text));
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
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
		if (text && read_text_columns(s, row, text) < 0)
			rc = SQLITE_NOMEM;
	}
	store_reset_statement(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW && text)
		store_text_clear(text);
	return rc == SQLITE_ROW ? 0 : store_errno(rc);
}

int sqlite_store_set_note(struct store *base, int64_t id, const uint8_t *note, size_t len)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_write_statement(st, SQL_SET_NOTE, id);

	assert(len <= STORE_NOTE_MAX);
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	if (len)
		sqlite3_bind_blob(s, 2, note, (int)len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 2);
	return store_run_statement(st, s);
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

static int put_holder(struct sqlite_store *st, const char *key, int64_t id, double store_time,
		      const struct store_holder *h)
{
	sqlite3_stmt *s = store_statement(st, SQL_PUT_HOLDER);
	int rc;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	rc = bind_key(s, 2, key);
	if (rc < 0) {
		store_reset_statement(s);
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
	return store_run_statement(st, s);
}

int64_t sqlite_store_put_lock(struct store *base, const char *key, int64_t id, const struct store_lock *lock)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, id ? SQL_UPDATE_ROW : SQL_INSERT_ROW);
	int rc;

	assert(st->in_write);
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	rc = id ? (sqlite3_bind_int64(s, 1, id), 0) : bind_key(s, 1, key);
	if (rc == 0)
		rc = bind_owner(s, 3, lock->owner, lock->count);
	if (rc < 0) {
		store_reset_statement(s);
		return rc;
	}
	sqlite3_bind_double(s, 2, lock->store_time);
	bind_expiry(s, 4, lock->expires, lock->expire_time);
	rc = store_run_statement(st, s);
	if (rc < 0)
		return rc;
	if (!id)
		id = sqlite3_last_insert_rowid(st->db);
	rc = sqlite_store_set_tags(&st->base, id, lock->tags);
	if (rc == 0 && lock->holder)
		rc = put_holder(st, key, id, lock->store_time, lock->holder);
	return rc < 0 ? rc : id;
}

int sqlite_store_set_count(struct store *base, int64_t id, const char *owner, int64_t count)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_write_statement(st, SQL_SET_VALUE, id);
	int rc;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	rc = bind_owner(s, 2, owner, count);
	if (rc < 0) {
		store_reset_statement(s);
		return rc;
	}
	return store_run_statement(st, s);
}

int sqlite_store_set_expiry(struct store *base, int64_t id, bool expires, double expire_time)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_write_statement(st, SQL_SET_EXPIRY, id);

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	bind_expiry(s, 2, expires, expire_time);
	return store_run_statement(st, s);
}

int sqlite_store_set_tags(struct store *base, int64_t id, const char *tags)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *unlink = store_statement(st, SQL_UNLINK_TAGS);
	sqlite3_stmt *insert = store_statement(st, SQL_INSERT_TAG);
	sqlite3_stmt *link = store_statement(st, SQL_LINK_TAG);
	int rc;

	assert(st->in_write);
	if (!unlink || !insert || !link)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_int64(unlink, 1, id);
	rc = store_run_statement(st, unlink);
	for (const char *p = tags; rc == 0 && p && *p;) {
		const char *comma = strchr(p, ',');
		int len = comma ? (int)(comma - p) : (int)strlen(p);

		sqlite3_bind_text(insert, 1, p, len, SQLITE_TRANSIENT);
		rc = store_run_statement(st, insert);
		if (rc == 0) {
			sqlite3_bind_int64(link, 1, id);
			sqlite3_bind_text(link, 2, p, len, SQLITE_TRANSIENT);
			rc = store_run_statement(st, link);
		}
		p = comma ? comma + 1 : p + len;
	}
	return rc;
}

int sqlite_store_delete_row(struct store *base, int64_t id)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_write_statement(st, SQL_DELETE_ROW, id);

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	return store_run_statement(st, s);
}

/*
 * Why generations come in blocks: the counter's row is a page of its own,
 * and writing it at every acquisition costs a WAL frame.  So a connection
 * takes GENERATION_BLOCK numbers at once (the row keeps the last of them)
 * and gives them out, one per acquisition, only while nobody else has
 * committed since its own last commit: the epoch tells (store.h).  Any
 * other commit (another mount taking its own block, or anything else)
 * ends the block, and the next acquisition takes a new one above whatever
 * the row holds then.  So every generation given is larger than every one
 * given before it in this cache, by any connection; numbers of a block
 * left unused are skipped.
 */
#define GENERATION_BLOCK 64

int sqlite_store_next_generation(struct store *base, int64_t *generation)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *bump, *read;
	int rc;

	assert(st->in_write);
	if (st->gen_valid && st->seen_valid && st->gen_epoch == st->epoch &&
	    st->gen_next <= st->gen_top) {
		*generation = st->gen_next++;
		st->gen_used = true;
		return 0;
	}
	bump = store_statement(st, SQL_BUMP_GENERATION);
	read = store_statement(st, SQL_READ_GENERATION);
	if (!bump || !read)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_int64(bump, 1, GENERATION_BLOCK);
	rc = store_run_statement(st, bump);
	if (rc < 0)
		return rc;
	rc = step_statement(st, read);
	if (rc == SQLITE_ROW) {
		st->gen_top = sqlite3_column_int64(read, 0);
		*generation = st->gen_top - GENERATION_BLOCK + 1;
		st->gen_next = *generation + 1;
		st->gen_valid = false; /* usable once committed */
		st->gen_used = true;
	}
	store_reset_statement(read);
	return rc == SQLITE_ROW ? 0 : store_errno(rc);
}

int sqlite_store_for_each_row(struct store *base, double expired_before, store_row_fn fn, void *ctx)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, expired_before > 0 ? SQL_EXPIRED_ROWS : SQL_ALL_ROWS);
	struct store_row row;
	char key[KEY_MAX_BYTES + 1];
	int rc, stop = 0;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
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
	store_reset_statement(s);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

/* --- directories -------------------------------------------------------- */

int sqlite_store_dir_get(struct store *base, const char *path, struct store_dir *dir)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_DIR_GET);
	int rc;

	memset(dir, 0, sizeof(*dir));
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		copy_text(dir->timeout, sizeof(dir->timeout), sqlite3_column_text(s, 0));
		copy_text(dir->ttl, sizeof(dir->ttl), sqlite3_column_text(s, 1));
		copy_text(dir->open, sizeof(dir->open), sqlite3_column_text(s, 3));
		if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
			dir->tags = strdup((const char *)sqlite3_column_text(s, 2));
			if (!dir->tags)
				rc = SQLITE_NOMEM;
		}
	}
	store_reset_statement(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return rc == SQLITE_ROW ? 0 : store_errno(rc);
}

int sqlite_store_dir_put(struct store *base, const char *path, const struct store_dir *dir)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_DIR_PUT);

	assert(st->in_write);
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	bind_text_or_null(s, 2, dir->timeout);
	bind_text_or_null(s, 3, dir->ttl);
	if (dir->tags)
		sqlite3_bind_text(s, 4, dir->tags, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 4);
	bind_text_or_null(s, 5, dir->open);
	return store_run_statement(st, s);
}

int sqlite_store_dir_delete(struct store *base, const char *path)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_DIR_DELETE);

	assert(st->in_write);
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	return store_run_statement(st, s);
}

int sqlite_store_dir_for_each_below(struct store *base, const char *path, store_dir_fn fn, void *ctx)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_DIR_BELOW);
	char low[KEY_MAX_BYTES + 2], high[KEY_MAX_BYTES + 2];
	int rc, stop = 0;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
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
	store_reset_statement(s);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

int sqlite_store_dir_kept(struct store *base, const char *path)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_DIR_EXISTS);
	char low[KEY_MAX_BYTES + 2], high[KEY_MAX_BYTES + 2];
	int rc, kept = 0;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	snprintf(low, sizeof(low), "%s/", path);
	snprintf(high, sizeof(high), "%s0", path);
	sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, low, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, high, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		kept = sqlite3_column_int(s, 0);
	store_reset_statement(s);
	return rc == SQLITE_ROW ? kept : store_errno(rc);
}

/* --- waiters ------------------------------------------------------------- */

void store_bind_instance(sqlite3_stmt *s, int index, const struct instance *in)
{
	sqlite3_bind_text(s, index, in->host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, index + 1, in->pid);
	sqlite3_bind_int64(s, index + 2, (sqlite3_int64)in->start_time);
}

int sqlite_store_waiter_add(struct store *base, const char *key, const struct instance *in, int64_t *id)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_WAITER_ADD);
	int rc;

	assert(st->in_write);
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	rc = bind_key(s, 1, key);
	if (rc < 0) {
		store_reset_statement(s);
		return rc;
	}
	store_bind_instance(s, 2, in);
	rc = store_run_statement(st, s);
	if (rc == 0)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int sqlite_store_waiter_delete(struct store *base, int64_t id)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_write_statement(st, SQL_WAITER_DELETE, id);

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	return store_run_statement(st, s);
}

int sqlite_store_waiter_park(struct store *base, int64_t id, bool parked)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_write_statement(st, SQL_WAITER_PARK, id);

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_int(s, 2, parked);
	return store_run_statement(st, s);
}

int sqlite_store_waiters_of(struct store *base, const char *key, store_waiter_fn fn, void *ctx)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_WAITERS_OF);
	struct store_waiter w;
	int rc, stop = 0;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	rc = bind_key(s, 1, key);
	if (rc < 0) {
		store_reset_statement(s);
		return rc;
	}
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&w, 0, sizeof(w));
		w.id = sqlite3_column_int64(s, 0);
		copy_text(w.instance.host, sizeof(w.instance.host), sqlite3_column_text(s, 1));
		w.instance.pid = sqlite3_column_int(s, 2);
		w.instance.start_time = (uint64_t)sqlite3_column_int64(s, 3);
		w.parked = sqlite3_column_int(s, 4) != 0;
		stop = fn(ctx, &w);
	}
	store_reset_statement(s);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

int sqlite_store_waiters_delete_instance(struct store *base, const struct instance *in)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_WAITERS_DELETE_INSTANCE);

	assert(st->in_write);
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	store_bind_instance(s, 1, in);
	return store_run_statement(st, s);
}

