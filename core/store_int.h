/*
 * store_int.h — what store.c and store_open.c share; nothing else includes it.
 *
 * The rest of lockfs holds a struct store * and sees only store.h.  Inside,
 * store_open.c opens, vets and creates the cache and closes the connection;
 * store.c runs every statement on rows, transactions and directories, each
 * prepared once on first use and kept in stmt[] until store_close.
 */
#ifndef LOCKFS_STORE_INT_H
#define LOCKFS_STORE_INT_H

#include "store.h"

#include <sqlite3.h>
#include <stdbool.h>

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

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[SQL_COUNT]; /* NULL until first used */
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

/* Run sql, one or more statements whose rows are not wanted: 0 or -errno. */
int store_exec(sqlite3 *db, const char *sql);

#endif
