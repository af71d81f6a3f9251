/*
 * lock_int.h — what the files of the lock rules share (lock.c, bound.c);
 * nothing else includes it.
 *
 * Every operation reads its row and classifies it first (lock_load_row),
 * decides inside one write transaction, and ends it with lock_end_write.
 */
#ifndef LOCKFS_LOCK_INT_H
#define LOCKFS_LOCK_INT_H

#include "lock.h"

enum row_class {
	ROW_ABSENT, /* no row */
	ROW_FREE,   /* expired (any value), or an RLock with count <= 0 */
	ROW_HELD,   /* a live lock */
	ROW_OTHER,  /* live data that is not a lock */
};

struct lock_row {
	enum row_class class;
	struct store_row row;
	char owner[LOCK_OWNER_MAX];
	int64_t count;
};

/* Read and classify key's row; with text non-NULL, its tags and note too (store_text_clear). */
int lock_load_row(struct store *st, const char *key, double now, struct lock_row *lr,
		  struct store_text *text);

/* A free row that is free because its TTL ran out. */
static inline bool lock_row_expired(const struct lock_row *lr, double now)
{
	return lr->class == ROW_FREE && lr->row.expires && lr->row.expire_time <= now;
}

/* Owner: same "<tgid>-<tid>" and, for a lock made by lockfs, the same start time. */
bool lock_row_owned_by(const struct lock_row *lr, const struct caller *who);

/* The owner, root, or the lock's uid. */
bool lock_row_permits(const struct lock_row *lr, const struct caller *who);

/* End a write transaction: commit after success, roll back after rc < 0. */
int lock_end_write(struct store *st, int rc);

/*
 * Write a fresh lock for who over row id (0: a new row), with the TTL and
 * tags in force in its directory: (owner, 1), or bound to hold when given.
 * Fills grant, and info when given.
 */
int lock_write_fresh(struct store *st, const char *key, int64_t id, const struct caller *who,
		     const struct lock_hold *hold, const struct policy *defaults, double now,
		     struct lock_grant *grant, struct lock_info *info);

/* The oldest unparked place of a running daemon in key's line (0: none); dead ones go. */
int lock_oldest_in_line(struct store *st, const char *key, int64_t *oldest);

/* May ticket take key's free lock?  0, -EBUSY (an older place waits), or -errno. */
int lock_may_take(struct store *st, const char *key, const struct lock_ticket *ticket);

/*
 * The lock of lr goes: to next when given and its place is the oldest in
 * line (in the same transaction), else the row is deleted.
 */
int lock_let_go(struct store *st, const char *key, const struct lock_row *lr,
		const struct lock_successor *next, double now, struct lock_outcome *outcome);

/* Is owner the owner string of a bound lock (see bound.c)? */
bool lock_owner_is_bound(const char *owner);

/* The binding of a held row lr and whether it is held shared (STORE_BOUND_NONE: not bound). */
int lock_binding_of(struct store *st, const struct lock_row *lr, enum store_binding *binding,
		    bool *shared);

/* The owner string of a bound lock: one no thread can have ("flock:4242", "shared"). */
void lock_bound_owner(const struct lock_hold *hold, const struct caller *who, char *out,
		      size_t cap);

/*
 * Add hold (taken by who) to row id, whose holder row must exist and whose
 * holds are *holds as read in this transaction (NULL: none, as a fresh
 * holder row has).  Returns id or -errno.
 */
int64_t lock_add_hold(struct store *st, int64_t id, struct store_holds *holds,
		      const struct lock_hold *hold, const struct caller *who);

#endif
