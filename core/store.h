/*
 * store.h — a typed_diskcache cache directory, as lockfs reads and writes it.
 *
 * The store owns the SQLite connection and every SQL statement lockfs runs.
 * It knows the typed_diskcache layout (cache, tag, cache_tag, metadata,
 * settings, version) and lockfs's own tables (lockfs_holder, lockfs_dir,
 * lockfs_generation); it knows nothing of lock rules, which live in lock.c.
 *
 * Keys are passed as UTF-8 text and pickled here.  All functions return 0
 * (or a count) on success and a negative errno on failure; -EAGAIN always
 * means "the database is busy, try again later", never a lock state.  A
 * struct store is not thread-safe: callers serialise access.  Each function
 * states the transaction it must (or must not) run in; calling it elsewhere
 * is a programmer error, caught by assert(), not an errno.
 */
#ifndef LOCKFS_STORE_H
#define LOCKFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "instance.h"

struct store;

/* Why an existing cache directory was refused (store_open returns -EINVAL). */
enum store_refusal {
	STORE_ACCEPTED = 0,
	STORE_NOT_DIRECTORY, /* the cache path exists and is not a directory */
	STORE_REMOTE_FS,     /* on NFS, SMB, 9p, FUSE...: WAL needs local memory */
	STORE_NOT_SQLITE,    /* cache.db is not an SQLite database */
	STORE_CORRUPT,       /* SQLite says the file is malformed */
	STORE_FOREIGN,       /* an SQLite database that is not a typed_diskcache cache */
	STORE_REVISION,      /* a typed_diskcache cache of another revision */
};

/* A short English phrase for a refusal, for the one-line message at the edge. */
const char *store_refusal_text(enum store_refusal refusal);

#define STORE_VALUE_MAX 512 /* longer values are never locks and are not copied */
#define STORE_TEXT_MAX 256

/* lockfs's record of who made a lock (lockfs_holder). */
struct store_holder {
	uint32_t uid, gid;
	int32_t pid;
	uint64_t start_time;
	int64_t generation;
	char comm[STORE_TEXT_MAX];
	char host[STORE_TEXT_MAX];
};

/* One row of the cache table, as far as lock rules need it. */
struct store_row {
	int64_t id;
	double store_time;
	bool expires;
	double expire_time;
	int mode;
	bool in_file;     /* the value lives in a file beside cache.db */
	bool value_null;  /* value IS NULL */
	size_t value_len; /* bytes in value; only copied when <= STORE_VALUE_MAX */
	uint8_t value[STORE_VALUE_MAX];
	bool has_holder; /* a lockfs_holder row whose key and store_time match */
	struct store_holder holder;
};

/* What lockfs writes for a lock it takes (the value is (owner, count)). */
struct store_lock {
	const char *owner;
	int64_t count;
	double store_time;
	bool expires;
	double expire_time;
	const char *tags; /* sorted, comma-separated; NULL or "" for none */
	const struct store_holder *holder;
};

/* lockfs_dir: a directory made with mkdir, and its policy values as text. */
struct store_dir {
	char timeout[32]; /* "" when not set */
	char ttl[32];
	char open[16]; /* what an open for writing does: "acquire", "bound", "none", or "" */
	char *tags; /* NULL when not set; owned by the caller after store_dir_get */
};

/*
 * Open the cache in dir, creating dir (mode 0700) and a new typed_diskcache
 * cache in it when missing.  An existing cache.db is checked without being
 * written; anything but a typed_diskcache 000_init cache is refused with
 * -EINVAL and *refusal set.  Other failures return -errno.
 */
int store_open(const char *dir, struct store **out, enum store_refusal *refusal);

/* Close the connection and free the store.  Accepts NULL. */
void store_close(struct store *st);

/* True when the cache's eviction_policy is not "none". */
bool store_may_evict(const struct store *st);

/*
 * A statement that meets a busy database waits inside SQLite in 100 us
 * steps for at most 2 ms, then returns -EAGAIN (at open: up to 10 s).
 */

/*
 * Test hook: called with an increasing step number before every statement
 * of a write transaction, COMMIT included.  NULL removes it.
 */
void store_set_fault_hook(struct store *st, void (*hook)(void *ctx, unsigned step), void *ctx);

/*
 * Write transactions: BEGIN IMMEDIATE (-EAGAIN when busy; it ends a read
 * transaction left open), COMMIT, ROLLBACK.  store_begin must not run inside
 * a write transaction, store_commit only inside one; a failed COMMIT rolls
 * back and returns -errno.  store_rollback may run at any time.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/*
 * Changes made elsewhere, for a thread that sleeps until there are some:
 * store_change_fd is a descriptor that becomes readable when the store may
 * have been written (by anyone, this store included), or -errno;
 * store_changes_drained reads what it says and is true when a write was
 * among it.  The epoch (below) then tells whose it was.
 */
int store_change_fd(struct store *st);
bool store_changes_drained(struct store *st);

/* Which store this is: "typed_diskcache" or "etcd". */
const char *store_backend_name(const struct store *st);

/*
 * A number that changes whenever another connection commits a change
 * (PRAGMA data_version).  A read transaction of its own, with file locks.
 */
int store_data_version(struct store *st, int64_t *version);

/*
 * How many lockfs_holder rows still belong to their cache row (same key and
 * store_time) and have not expired at now: the live locks lockfs made.
 */
int store_count_holders(struct store *st, double now, int64_t *count);

/*
 * Epochs: a number that changes whenever the cache may have changed without
 * this connection.  It is read from SQLite's WAL index, the shared memory
 * through which every connection learns of commits, without a system call
 * or a lock.  What a caller remembers of the cache (which names are free,
 * what a lock file shows) stays true while the epoch stays the same.  When
 * the WAL index cannot be read, every look starts a new epoch, so nothing
 * is ever trusted.
 *
 * store_epoch: the epoch now (it looks).
 * store_epoch_seen: the epoch of what this connection's last transaction
 *   saw: after a commit, the state it left (stamp what the write taught with
 *   it); after store_read_begin, the state its reads see.  A later
 *   store_epoch that differs means that state has moved on since.
 */
uint64_t store_epoch(struct store *st);
uint64_t store_epoch_seen(const struct store *st);

/* What a lock shows beyond its row: allocated by store_get_row, freed by store_text_clear. */
struct store_text {
	char *tags;    /* sorted, comma-separated, "" for none */
	uint8_t *note; /* what the holder wrote (NULL when nothing), at most STORE_NOTE_MAX */
	size_t note_len;
};

#define STORE_NOTE_MAX 4096

/*
 * Read the row of str key `key` (raw = 0), whatever its value or expiry,
 * with its holder (when valid).  With text non-NULL, also the row's tags
 * and its holder's note.  Returns 0, or -ENOENT when there is none.
 */
int store_get_row(struct store *st, const char *key, struct store_row *row,
		  struct store_text *text);

void store_text_clear(struct store_text *text);

/* Replace the note of row id's holder (len 0: none).  Only in a write transaction. */
int store_set_note(struct store *st, int64_t id, const uint8_t *note, size_t len);

/*
 * Group reads into one read transaction (BEGIN DEFERRED ... COMMIT): each
 * transaction costs file-lock system calls, so a request that reads several
 * times reads in one.  store_read_begin must not run inside a write
 * transaction; it returns 0 or -errno, and when it fails the reads still
 * work, each in a transaction of its own.  store_read_end ends the read
 * transaction, if one is open.
 */
int store_read_begin(struct store *st);
void store_read_end(struct store *st);

/*
 * Write lock over row id in place (id > 0: an UPDATE, as typed_diskcache
 * does) or as a new row (id == 0), with its tags and holder row.  Only in a
 * write transaction.  Returns the row id (> 0) or -errno.
 */
int64_t store_put_lock(struct store *st, const char *key, int64_t id, const struct store_lock *lock);

/* Set the (owner, count) value of row id.  Only in a write transaction. */
int store_set_count(struct store *st, int64_t id, const char *owner, int64_t count);

/* Set or clear the expiry of row id.  Only in a write transaction. */
int store_set_expiry(struct store *st, int64_t id, bool expires, double expire_time);

/* Replace the tags of row id.  Only in a write transaction. */
int store_set_tags(struct store *st, int64_t id, const char *tags);

/* Delete row id (its tags and holder go with it).  Only in a write transaction. */
int store_delete_row(struct store *st, int64_t id);

/*
 * Take the next generation: larger than every one given before in this
 * cache, by any connection (numbers may be skipped).  Only in a write
 * transaction.
 */
int store_next_generation(struct store *st, int64_t *generation);

/*
 * Call fn for every str-keyed row (raw = 0) whose key decodes; when
 * expired_before > 0 only rows with expire_time <= expired_before.  A
 * non-zero return from fn stops the walk and is returned.
 */
typedef int (*store_row_fn)(void *ctx, const char *key, size_t key_len, const struct store_row *row);
int store_for_each_row(struct store *st, double expired_before, store_row_fn fn, void *ctx);

/*
 * lockfs_dir: read (-ENOENT when absent), write (creating), delete.  Writing
 * and deleting only in a write transaction.
 */
int store_dir_get(struct store *st, const char *path, struct store_dir *dir);
int store_dir_put(struct store *st, const char *path, const struct store_dir *dir);
int store_dir_delete(struct store *st, const char *path);

/*
 * Call fn for every lockfs_dir path strictly below path ("" is the root).
 * A non-zero return from fn stops the walk and is returned.
 */
typedef int (*store_dir_fn)(void *ctx, const char *path);
int store_dir_for_each_below(struct store *st, const char *path, store_dir_fn fn, void *ctx);

/* 1 when path (not the root) or a path below it is in lockfs_dir, 0 when not, or -errno. */
int store_dir_kept(struct store *st, const char *path);

/* Free what store_dir_get allocated. */
void store_dir_clear(struct store_dir *dir);

/*
 * lockfs_waiter: the cache's one first-come, first-served order of the
 * acquisitions that wait, of every daemon (mount) of the cache.  A row is
 * a place in line: its id orders it (a new row's id is above every row's
 * there), its instance says whose it is.  Adding and deleting only in a
 * write transaction.
 */
struct store_waiter {
	int64_t id;
	struct instance instance;
	bool parked; /* kept for a request that was interrupted: skipped until it returns */
};

int store_waiter_add(struct store *st, const char *key, const struct instance *in, int64_t *id);
int store_waiter_delete(struct store *st, int64_t id);
int store_waiter_park(struct store *st, int64_t id, bool parked);
int store_waiters_delete_instance(struct store *st, const struct instance *in);

/* Call fn for key's waiters, oldest first; a non-zero return stops and is returned. */
typedef int (*store_waiter_fn)(void *ctx, const struct store_waiter *w);
int store_waiters_of(struct store *st, const char *key, store_waiter_fn fn, void *ctx);

/*
 * The bound holds of a lock (SPEC §5), each bound to an open file
 * description or a process of a client, and answered for by one daemon
 * instance; kept in the lock's lockfs_holder row (store_holds.c), so they
 * go with it.  A hold's id numbers it among its lock's holds (a later hold
 * gets a larger one; a number may come back after a hold goes).  Writes
 * only in a write transaction; adding to a row without a holder is
 * -ENOENT.
 */
enum store_binding {
	STORE_BOUND_NONE = 0,
	STORE_BOUND_FLOCK, /* flock(2): the open file description */
	STORE_BOUND_POSIX, /* fcntl/lockf record lock: the process */
	STORE_BOUND_OFD,   /* open file description record lock */
	STORE_BOUND_OPEN,  /* an open in a "bound" directory: the description */
};

struct store_hold {
	int64_t id;
	enum store_binding binding;
	bool shared;
	uint64_t owner; /* the kernel's lock owner, or the description's id */
	struct instance instance;
	int32_t pid; /* the process that took it */
	uint32_t uid, gid;
	char comm[STORE_TEXT_MAX];
};

const char *store_binding_name(enum store_binding binding);

/* A lock's holds in memory, oldest first; the caller frees items. */
struct store_holds {
	struct store_hold *items;
	size_t count, cap;
};

/* Read row cache_id's holds into *out (none without a holder row): 0 or -errno. */
int store_holds_read(struct store *st, int64_t cache_id, struct store_holds *out);

/*
 * Add h (its id chosen) to row cache_id's holds, which are *holds as read
 * in this transaction (NULL: it has none, as a fresh holder row): *holds
 * gains it, and the row is written once, without reading it again.
 */
int store_hold_add(struct store *st, int64_t cache_id, struct store_holds *holds,
		   const struct store_hold *h);

/* Write *holds as row cache_id's holds, those whose id is 0 (given up) left out. */
int store_holds_write(struct store *st, int64_t cache_id, const struct store_holds *holds);

/* Call fn for each (key, instance) that has bound holds; non-zero stops and is returned. */
typedef int (*store_hold_instance_fn)(void *ctx, const char *key, const struct instance *in);
int store_hold_instances(struct store *st, store_hold_instance_fn fn, void *ctx);

#endif
