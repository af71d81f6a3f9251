/*
 * backend.h — what a store must do for the lock rules: the backend
 * interface behind store.h.
 *
 * lock.c, bound.c, policy.c and dir.c decide every operation over the calls
 * of store.h, which reach one of two stores through this table:
 * - a typed_diskcache cache (store.c, store_holds.c, store_open.c): one
 *   SQLite connection; a write transaction is BEGIN IMMEDIATE;
 * - an etcd v3 cluster (etcd_store.c, over etcd_client.c): a write
 *   transaction is read, decide, then one etcd transaction guarded on
 *   every lock key it read, and -EAGAIN when another changed one meanwhile.
 * The contract of each operation is the one store.h gives its wrapper; only
 * the stores include this header.
 */
#ifndef LOCKFS_BACKEND_H
#define LOCKFS_BACKEND_H

#include "store.h"

struct store_ops {
	const char *name; /* "typed_diskcache" or "etcd" */
	void (*close)(struct store *st);
	bool (*may_evict)(const struct store *st);
	void (*set_fault_hook)(struct store *st, void (*hook)(void *ctx, unsigned step), void *ctx);
	/* Transactions and epochs. */
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	int (*read_begin)(struct store *st);
	void (*read_end)(struct store *st);
	uint64_t (*epoch)(struct store *st);
	uint64_t (*epoch_seen)(const struct store *st);
	int (*data_version)(struct store *st, int64_t *version);
	int (*change_fd)(struct store *st);
	bool (*changes_drained)(struct store *st);
	/* Lock rows. */
	int (*get_row)(struct store *st, const char *key, struct store_row *row,
		       struct store_text *text);
	int64_t (*put_lock)(struct store *st, const char *key, int64_t id,
			    const struct store_lock *lock);
	int (*set_count)(struct store *st, int64_t id, const char *owner, int64_t count);
	int (*set_expiry)(struct store *st, int64_t id, bool expires, double expire_time);
	int (*set_tags)(struct store *st, int64_t id, const char *tags);
	int (*set_note)(struct store *st, int64_t id, const uint8_t *note, size_t len);
	int (*delete_row)(struct store *st, int64_t id);
	int (*next_generation)(struct store *st, int64_t *generation);
	int (*for_each_row)(struct store *st, double expired_before, store_row_fn fn, void *ctx);
	int (*count_holders)(struct store *st, double now, int64_t *count);
	/* Kept directories and their policies. */
	int (*dir_get)(struct store *st, const char *path, struct store_dir *dir);
	int (*dir_put)(struct store *st, const char *path, const struct store_dir *dir);
	int (*dir_delete)(struct store *st, const char *path);
	int (*dir_for_each_below)(struct store *st, const char *path, store_dir_fn fn, void *ctx);
	int (*dir_kept)(struct store *st, const char *path);
	/* The line of waiters. */
	int (*waiter_add)(struct store *st, const char *key, const struct instance *in,
			  int64_t *id);
	int (*waiter_delete)(struct store *st, int64_t id);
	int (*waiter_park)(struct store *st, int64_t id, bool parked);
	int (*waiters_delete_instance)(struct store *st, const struct instance *in);
	int (*waiters_of)(struct store *st, const char *key, store_waiter_fn fn, void *ctx);
	/* Bound holds. */
	int (*holds_read)(struct store *st, int64_t cache_id, struct store_holds *out);
	int (*holds_write)(struct store *st, int64_t cache_id, const struct store_holds *holds);
	int (*hold_instances)(struct store *st, store_hold_instance_fn fn, void *ctx);
};

/*
 * A lock's holds as text, one line per hold, as both stores keep them
 * (store_holds.c): encode (*text malloc'd, NULL for none; holds with id 0
 * left out), decode (lines that do not parse passed over), and append h
 * with the next id.  0 or -ENOMEM.
 */
int store_holds_encode(const struct store_holds *holds, char **text);
int store_holds_decode(const char *text, struct store_holds *out);
int store_holds_append(struct store_holds *holds, const struct store_hold *h);

/* Every store begins with this. */
struct store {
	const struct store_ops *ops;
};

#endif
