/*
 * store_int.h — what store.c and store_open.c share; nothing else includes it.
 *
 * The rest of lockfs holds a struct store * and sees only store.h; a
 * struct sqlite_store is the typed_diskcache store behind it.  Inside,
 * store_open.c opens, vets and creates the cache and closes the connection;
 * store.c runs every statement on rows, transactions and directories, each
 * prepared once on first use and kept in stmt[] until store_close;
 * store_holds.c keeps the bound holds of locks in their holder rows.
 */
#ifndef LOCKFS_STORE_INT_H
#define LOCKFS_STORE_INT_H

#include "backend.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* The statements store.c keeps prepared; their SQL is in store.c. */
enum store_statement_id {
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
	SQL_SET_NOTE,
	SQL_HOLDS_GET,
	SQL_HOLDS_PUT,
	SQL_HOLD_INSTANCES,
	SQL_COUNT_HOLDERS,
	SQL_WAITER_ADD,
	SQL_WAITER_DELETE,
	SQL_WAITER_PARK,
	SQL_WAITERS_OF,
	SQL_WAITERS_DELETE_INSTANCE,
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
	SQL_BEGIN_READ,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_COUNT
};

/* SQLite's WAL-index header: two copies of 48 bytes at the start of the -shm file. */
#define WAL_HEADER_BYTES 48
#define WAL_HEADER_CHANGE 8 /* u32: counts commits */
#define WAL_HEADER_INIT 12  /* u8: 1 once written */
#define WAL_INDEX_REGION 32768 /* the size of the WAL index's regions */

struct sqlite_store {
	struct store base; /* first: a struct store * is one of these */
	sqlite3 *db;
	char *path;
	/* Epochs (store.h): the WAL index's header, mapped read-only. */
	const volatile unsigned char *shm; /* NULL: epochs always change */
	uint8_t seen[WAL_HEADER_BYTES];    /* the header this connection last saw... */
	bool seen_valid;                   /* ...when it saw one it can vouch for */
	uint8_t write_start[WAL_HEADER_BYTES]; /* the header at BEGIN IMMEDIATE */
	int64_t changes_at_start;              /* sqlite3_total_changes64 then */
	uint64_t epoch;
	int64_t checked_version; /* PRAGMA data_version at the last cross-check */
	uint64_t checked_epoch;  /* ...and the epoch then */
	sqlite3_stmt *stmt[SQL_COUNT]; /* NULL until first used */
	/* Generations (store_next_generation): a block taken from lockfs_generation. */
	int64_t gen_next, gen_top; /* the next to give, the last of the block */
	uint64_t gen_epoch;        /* the epoch the block may be used in */
	bool gen_valid;            /* a committed block, usable while gen_epoch holds */
	bool gen_used;             /* this transaction gave one (or took the block) */
	bool may_evict;                /* eviction_policy is not "none" */
	bool in_write;                 /* between store_begin and commit or rollback */
	unsigned busy_budget_usec;     /* how long a statement waits on a busy database */
	int inotify; /* the cache directory's writes (change_fd), -1 until asked */
	struct checkpointer *checkpointer; /* store_checkpoint.c */
	void (*fault_hook)(void *ctx, unsigned step);
	void *fault_ctx;
	unsigned fault_step;
};

static inline struct sqlite_store *sqlite_of(struct store *base)
{
	return (struct sqlite_store *)base;
}

static inline const struct sqlite_store *sqlite_of_const(const struct store *base)
{
	return (const struct sqlite_store *)base;
}

extern const struct store_ops sqlite_store_ops;

/* The typed_diskcache store's operations (store_open.c gathers them in a table). */
void sqlite_store_close(struct store *base);
bool sqlite_store_may_evict(const struct store *base);
void sqlite_store_set_fault_hook(struct store *base, void (*hook)(void *ctx, unsigned step), void *ctx);
int sqlite_store_begin(struct store *base);
int sqlite_store_commit(struct store *base);
void sqlite_store_rollback(struct store *base);
int sqlite_store_read_begin(struct store *base);
void sqlite_store_read_end(struct store *base);
uint64_t sqlite_store_epoch(struct store *base);
uint64_t sqlite_store_epoch_seen(const struct store *base);
int sqlite_store_data_version(struct store *base, int64_t *version);
int sqlite_store_change_fd(struct store *base);
bool sqlite_store_changes_drained(struct store *base);
int sqlite_store_get_row(struct store *base, const char *key, struct store_row *row, struct store_text *text);
int64_t sqlite_store_put_lock(struct store *base, const char *key, int64_t id, const struct store_lock *lock);
int sqlite_store_set_count(struct store *base, int64_t id, const char *owner, int64_t count);
int sqlite_store_set_expiry(struct store *base, int64_t id, bool expires, double expire_time);
int sqlite_store_set_tags(struct store *base, int64_t id, const char *tags);
int sqlite_store_set_note(struct store *base, int64_t id, const uint8_t *note, size_t len);
int sqlite_store_delete_row(struct store *base, int64_t id);
int sqlite_store_next_generation(struct store *base, int64_t *generation);
int sqlite_store_for_each_row(struct store *base, double expired_before, store_row_fn fn, void *ctx);
int sqlite_store_count_holders(struct store *base, double now, int64_t *count);
int sqlite_store_dir_get(struct store *base, const char *path, struct store_dir *dir);
int sqlite_store_dir_put(struct store *base, const char *path, const struct store_dir *dir);
int sqlite_store_dir_delete(struct store *base, const char *path);
int sqlite_store_dir_for_each_below(struct store *base, const char *path, store_dir_fn fn, void *ctx);
int sqlite_store_dir_kept(struct store *base, const char *path);
int sqlite_store_waiter_add(struct store *base, const char *key, const struct instance *in, int64_t *id);
int sqlite_store_waiter_delete(struct store *base, int64_t id);
int sqlite_store_waiter_park(struct store *base, int64_t id, bool parked);
int sqlite_store_waiters_delete_instance(struct store *base, const struct instance *in);
int sqlite_store_waiters_of(struct store *base, const char *key, store_waiter_fn fn, void *ctx);
int sqlite_store_holds_read(struct store *base, int64_t cache_id, struct store_holds *out);
int sqlite_store_holds_write(struct store *base, int64_t cache_id, const struct store_holds *l);
int sqlite_store_hold_instances(struct store *base, store_hold_instance_fn fn, void *ctx);

/*
 * The negative errno for an SQLite result code, plain or extended: 0 for
 * OK, ROW and DONE, -EAGAIN for BUSY and LOCKED, -EIO for what has no errno.
 */
int store_errno(int rc);

/* The statement for id, prepared on first use; NULL when SQLite cannot (see errcode). */
sqlite3_stmt *store_statement(struct sqlite_store *st, enum store_statement_id id);

/*
 * The statement for a write in the open write transaction, with id bound as
 * ?1 (a row's id); NULL when SQLite cannot prepare it (see errcode).
 */
sqlite3_stmt *store_write_statement(struct sqlite_store *st, enum store_statement_id which, int64_t id);

/* Make a kept statement ready for its next use: rewound, its bindings cleared. */
void store_reset_statement(sqlite3_stmt *s);

/* Run a statement that returns no rows (after the fault hook), then reset it. */
int store_run_statement(struct sqlite_store *st, sqlite3_stmt *s);

/* Bind an instance's host, pid and start time at index, index + 1, index + 2. */
void store_bind_instance(sqlite3_stmt *s, int index, const struct instance *in);

/* Move the holds of the old lockfs_hold table into the holder rows (store_holds.c). */
int store_holds_import(sqlite3 *db);

/* Run sql, one or more statements whose rows are not wanted: 0 or -errno. */
int store_exec(sqlite3 *db, const char *sql);

/*
 * WAL pages after which the WAL is copied back into the database (SQLite's
 * autocheckpoint default is 1000): lock rows change the same few pages over
 * and over, so fewer checkpoints copy fewer pages, for a WAL of at most
 * about 40 MB.
 */
#define CHECKPOINT_PAGES 10000

/*
 * Checkpoint st's WAL from a thread of its own rather than in the commit
 * that fills it (store_checkpoint.c): 0 or -ENOMEM.  Detach stops the
 * thread; it is called by sqlite_store_close, before the connection closes.
 */
int store_checkpointer_attach(struct sqlite_store *st);
void store_checkpointer_detach(struct sqlite_store *st);

/*
 * The name of the VFS lockfs's connection opens the cache with: the
 * default one, writing each transaction's WAL frames in one call
 * (store_vfs.c).  NULL when it cannot be registered: then the default.
 */
#define STORE_VFS_NAME "lockfs"
const char *store_vfs_name(void);

/* Find the WAL index's header for epochs (st->shm), or leave it NULL; stop using it. */
void store_map_wal_index(struct sqlite_store *st);
void store_unmap_wal_index(struct sqlite_store *st);

#endif
