/*
 * store_int.h — what store.c and store_open.c share; nothing else includes it.
 *
 * The rest of lockfs holds a struct store * and sees only store.h.  Inside,
 * store_open.c opens, vets and creates the cache and closes the connection;
 * store.c runs every statement on rows, transactions and directories, each
 * prepared once on first use and kept in stmt[] until store_close;
 * store_holds.c keeps the bound holds of locks in their holder rows.
 */
#ifndef LOCKFS_STORE_INT_H
#define LOCKFS_STORE_INT_H

#include "store.h"

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

struct store {
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
	void (*fault_hook)(void *ctx, unsigned step);
	void *fault_ctx;
	unsigned fault_step;
};

/*
 * The negative errno for an SQLite result code, plain or extended: 0 for
 * OK, ROW and DONE, -EAGAIN for BUSY and LOCKED, -EIO for what has no errno.
 */
int store_errno(int rc);

/* The statement for id, prepared on first use; NULL when SQLite cannot (see errcode). */
sqlite3_stmt *store_statement(struct store *st, enum store_statement_id id);

/*
 * The statement for a write in the open write transaction, with id bound as
 * ?1 (a row's id); NULL when SQLite cannot prepare it (see errcode).
 */
sqlite3_stmt *store_write_statement(struct store *st, enum store_statement_id which, int64_t id);

/* Make a kept statement ready for its next use: rewound, its bindings cleared. */
void store_reset_statement(sqlite3_stmt *s);

/* Run a statement that returns no rows (after the fault hook), then reset it. */
int store_run_statement(struct store *st, sqlite3_stmt *s);

/* Bind an instance's host, pid and start time at index, index + 1, index + 2. */
void store_bind_instance(sqlite3_stmt *s, int index, const struct instance *in);

/* Move the holds of the old lockfs_hold table into the holder rows (store_holds.c). */
int store_holds_import(sqlite3 *db);

/* Run sql, one or more statements whose rows are not wanted: 0 or -errno. */
int store_exec(sqlite3 *db, const char *sql);

/* Find the WAL index's header for epochs (st->shm), or leave it NULL; stop using it. */
void store_map_wal_index(struct store *st);
void store_unmap_wal_index(struct store *st);

#endif
