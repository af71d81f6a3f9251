/*
 * lock.h — the lock rules of lockfs over a typed_diskcache store.
 *
 * Every function decides one operation in one write transaction (or a plain
 * read), independent of how a caller waits: a caller that gets -EBUSY
 * decides for itself whether to queue, retry or give up.  Return values are
 * 0 or a negative errno:
 *   -EBUSY   the lock is held by someone else (or, with LOCK_REENTER_ONLY, free)
 *   -EEXIST  the key holds live data that is not a lock (or O_EXCL found it held)
 *   -ENOENT  there is no held lock by that name
 *   -EPERM   the caller may not do this to someone else's lock
 *   -ESTALE  compare-and-release found another generation
 *   -EAGAIN  the database is busy: nothing happened, try again
 * A refused operation changes nothing.  Nothing here prints.
 */
#ifndef LOCKFS_LOCK_H
#define LOCKFS_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "caller.h"
#include "clock.h"
#include "policy.h"
#include "store.h"

#define LOCK_OWNER_MAX 128

/* Everything lockfs shows about a held lock. */
struct lock_info {
	char owner[LOCK_OWNER_MAX]; /* "" for a SyncLock (owner unknown) */
	int64_t count;
	bool made_by_lockfs; /* a valid lockfs_holder row: generation and holder apply */
	struct store_holder holder;
	double acquired; /* store_time */
	bool expires;
	double expire_time;
	char *tags; /* sorted, comma-separated, "" for none; see lock_info_clear */
	uint8_t *note; /* what the holder wrote (NULL: nothing); see lock_info_clear */
	size_t note_len;
	enum store_binding binding; /* bound to an open file (SPEC §5), or STORE_BOUND_NONE */
	bool shared;                /* held shared: count is the number of holders */
	bool free;                  /* a free name shown because a handle is open on it */
};

/*
 * A bound hold (SPEC §5): a lock held for an open file description or a
 * process, not a thread, released when that closes.  Several shared holds
 * hold one lock together; an exclusive one holds it alone.
 */
struct lock_hold {
	enum store_binding binding;
	bool shared;
	uint64_t owner;                  /* the kernel's lock owner, or the description's id */
	const struct instance *instance; /* the daemon that answers for it */
};

/* What an acquisition got. */
struct lock_grant {
	int64_t count;      /* the hold count after it */
	int64_t generation; /* the lock's generation (0 when not made by lockfs) */
	bool fresh;         /* true when it took a free lock */
	bool expired;       /* ...that had expired (its holder's TTL ran out) */
	double acquired;    /* the row's store_time */
	bool expires;
	double expire_time;
};

/* A waiter to hand a released lock to, in the same transaction. */
struct lock_successor {
	const struct caller *who;
	const struct lock_hold *hold;  /* a bound hold, or NULL */
	const struct policy *defaults; /* the mount's; directories may override */
	int64_t ticket;                /* its place in line (lock_ticket), 0 for none */
};

/*
 * A place in the cache's one line of waiters (lockfs_waiter), which every
 * daemon of the cache honours: a free lock goes to the oldest waiter whose
 * daemon still runs, whichever mount it waits through.  An acquisition
 * without a place takes a free lock only when nobody waits; with one, only
 * when no older place is left.  typed_diskcache's own clients do not queue.
 */
struct lock_ticket {
	int64_t id;                      /* the place, 0 for none yet */
	bool take;                       /* on -EBUSY without a place: take one (id is set) */
	const struct instance *instance; /* the daemon the place belongs to */
};

enum lock_outcome_kind {
	LOCK_DECREMENTED, /* the owner's count went down; still held */
	LOCK_RELEASED,    /* the row is gone */
	LOCK_HANDED_OVER, /* the successor holds it now */
};

struct lock_outcome {
	enum lock_outcome_kind kind;
	bool broken;                     /* released by a permitted caller who was not the owner */
	char owner[LOCK_OWNER_MAX];      /* the owner before ("" for a SyncLock) */
	int64_t count;                   /* count before */
	double acquired;                 /* RELEASED, HANDED_OVER: when the lock was taken */
	struct lock_grant successor;     /* HANDED_OVER: what the successor got */
	int64_t generation; /* unlink: of the lock it decided on, even when its commit failed */
};

enum lock_flags {
	LOCK_EXCLUSIVE = 1,    /* O_EXCL: -EEXIST when held by anyone, the caller too */
	LOCK_REENTER_ONLY = 2, /* only re-enter; a free lock is -EBUSY (others queue for it) */
};

/*
 * Acquire key for who: a free, expired or free-RLock row becomes
 * (owner, 1) with a new generation, and the TTL and tags in force in its
 * directory (defaults: the mount's); the owner's own lock gets count + 1.
 * A free lock with others in line is -EBUSY unless ticket is the oldest
 * place (ticket NULL: no place); a place that gets the lock is given up in
 * the same transaction.  When info is given it receives the lock as it now
 * is (lock_info_clear).
 */
int lock_acquire(struct store *st, const char *key, const struct caller *who,
		 const struct policy *defaults, unsigned flags, struct lock_ticket *ticket,
		 struct lock_grant *grant, struct lock_info *info);

/*
 * Give up places in line (their acquisitions were answered otherwise), or
 * every place of a daemon instance (it stops).  Each in its own transaction.
 */
int lock_leave_line(struct store *st, const int64_t *tickets, size_t count);
int lock_leave_line_all(struct store *st, const struct instance *instance);

/*
 * Bound holds (SPEC §5, bound.c).  Returns as above; -EBUSY while the lock
 * is held against hold (a place in line taken when ticket->take).
 *
 * lock_acquire_bound: acquire key for hold of who: a free lock becomes
 *   bound to it; a shared hold joins shared ones when no older place
 *   waits; a hold of the same owner asks again: the same mode changes
 *   nothing, exclusive becomes shared at once, shared becomes exclusive
 *   only alone.
 * lock_bind: the lock an open acquired (its generation) becomes bound to
 *   hold, count unchanged (one holder when shared); -ESTALE when key is no
 *   longer that acquisition, -EBUSY when bound already.
 * lock_unbind: give up the holds of (instance, owner) whose binding is in
 *   the mask `bindings` (bits 1 << binding); the lock goes (to next) when
 *   no hold is left; -ENOENT when there was none.
 * lock_flush: a process closed a descriptor of key (its owner, pid): its
 *   POSIX holds go (the POSIX rule); holds it took with another owner
 *   survive and are OFD locks.
 * lock_conflict: 1 and who when key is held against hold (F_GETLK), 0 when
 *   not.
 * lock_release_dead: give up the holds of daemon instances that are gone;
 *   released is told each key whose lock went.  Returns how many keys.
 */
struct lock_conflict {
	bool shared;
	int32_t pid; /* 0 when unknown */
};
typedef void (*lock_released_fn)(void *ctx, const char *key);

int lock_acquire_bound(struct store *st, const char *key, const struct caller *who,
		       const struct policy *defaults, const struct lock_hold *hold,
		       struct lock_ticket *ticket, struct lock_grant *grant);
int lock_bind(struct store *st, const char *key, int64_t generation, const struct caller *who,
	      const struct lock_hold *hold);
int lock_unbind(struct store *st, const char *key, const struct instance *instance,
		uint64_t owner, unsigned bindings, const struct lock_successor *next,
		struct lock_outcome *outcome);
int lock_flush(struct store *st, const char *key, const struct instance *instance,
	       uint64_t owner, int32_t pid, const struct lock_successor *next,
	       struct lock_outcome *outcome);
int lock_conflict(struct store *st, const char *key, const struct lock_hold *hold,
		  struct lock_conflict *conflict);
int lock_release_dead(struct store *st, lock_released_fn released, void *ctx);

/*
 * Park a place (its request was interrupted and may come back within a
 * second: others pass it meanwhile) or take it up again.  In its own
 * transaction.
 */
int lock_park_place(struct store *st, int64_t ticket, bool parked);

/*
 * unlink: the owner lowers the count (the lock goes at 0); a permitted
 * caller who is not the owner breaks it whatever its count; when the lock
 * goes and next is given, next holds it instead (same transaction) if its
 * place is the oldest in line; else it is released for the older one.
 */
int lock_unlink(struct store *st, const char *key, const struct caller *who,
		const struct lock_successor *next, struct lock_outcome *outcome);

/*
 * The same unlink decided again after its commit met -EAGAIN: it acts on
 * the lock of generation aim (outcome->generation of the first decision)
 * and on no other; -ESTALE when that lock is gone (released, broken or
 * taken again meanwhile), where a plain unlink would break the new one.
 */
int lock_unlink_again(struct store *st, const char *key, const struct caller *who, int64_t aim,
		      const struct lock_successor *next, struct lock_outcome *outcome);

/*
 * Compare-and-release: release key (whatever its count) only if its
 * generation is still `generation`; else -ESTALE.  Needs permission.
 */
int lock_release_generation(struct store *st, const char *key, const struct caller *who,
			    int64_t generation, const struct lock_successor *next,
			    struct lock_outcome *outcome);

/*
 * Changes of a held lock (renew, TTL, tags, the note's size) take an aim,
 * as the unlink decided again does: *aim is 0 the first time and receives
 * the generation of the lock decided on (0 for one not made by lockfs),
 * even when the commit fails; passed back when the change is decided again
 * after -EAGAIN, it acts on that lock only, and is -ESTALE when that lock
 * is gone (released, broken or taken again meanwhile): the change was for
 * a lock that no longer exists.  aim NULL: none.
 *
 * Renew: expiry = now + the TTL in force in key's directory (defaults: the
 * mount's), or none.  The owner or a permitted caller.  No write when
 * nothing would change.  Returns 1 when a TTL moved the expiry, 0 when
 * none is in force, or -errno.
 */
int lock_renew(struct store *st, const char *key, const struct caller *who,
	       const struct policy *defaults, int64_t *aim);

/* Set expiry to now + seconds, or clear it (has_ttl false).  Needs permission. */
int lock_set_ttl(struct store *st, const char *key, const struct caller *who, int64_t *aim,
		 bool has_ttl, double seconds);

/* Replace the tag set with canonical tags.  Needs permission. */
int lock_set_tags(struct store *st, const char *key, const struct caller *who, int64_t *aim,
		  const char *tags);

/* Read the lock key: 0 held (info filled), -ENOENT, -EEXIST (live other data). */
int lock_inspect(struct store *st, const char *key, struct lock_info *info);

/* Free what lock_inspect allocated. */
void lock_info_clear(struct lock_info *info);

/*
 * The note: what a lock's holder writes to its file, kept with the lock
 * (lockfs_holder.note) up to STORE_NOTE_MAX bytes.  lock_write_note writes
 * len bytes at offset (LOCK_NOTE_APPEND: at the end) for the handle that
 * took generation `generation`:
 * -ESTALE when key is no longer that acquisition, -EFBIG past the limit
 * (nothing is kept), -EPERM for a lock not made by lockfs.  lock_cut_note
 * truncates (or zero-extends) the note to size for the owner or a
 * permitted caller, aimed as the changes above; for anyone else, or a
 * lock not made by lockfs, it changes nothing and succeeds (truncate is
 * accepted without effect).
 */
#define LOCK_NOTE_APPEND UINT64_MAX /* an offset: at the note's end */
int lock_write_note(struct store *st, const char *key, int64_t generation, uint64_t offset,
		    const void *data, size_t len);
int lock_cut_note(struct store *st, const char *key, const struct caller *who, int64_t *aim,
		  uint64_t size);

/*
 * Write the status text of a lock file (one "name: value" line each) to
 * buf, NUL-terminated.  Returns its full length, which may exceed cap - 1
 * (as snprintf does); buf may be NULL when cap is 0.
 */
int lock_format_status(const char *key, const struct lock_info *info, unsigned waiters,
		       char *buf, size_t cap);

/*
 * How many live locks lockfs made are held in the cache now, by any mount:
 * one query over lockfs's holder rows, however many other rows the cache
 * has (typed_diskcache's own SyncLocks are not among them).  0 or -errno.
 */
int lock_count_made(struct store *st, int64_t *count);

/* Delete expired lock rows (other data stays).  Returns how many, or -errno. */
int lock_sweep_expired(struct store *st, double now);

/*
 * Call fn for every live held lock whose key can be shown as a path.  A
 * non-zero return from fn stops the walk and is returned.
 */
typedef int (*lock_each_fn)(void *ctx, const char *key, size_t key_len, bool expires,
			    double expire_time);
int lock_for_each_held(struct store *st, lock_each_fn fn, void *ctx);

#endif
