/*
 * etcd_store_int.h — what the etcd store's files share; nothing else
 * includes it.
 *
 * etcd_store.c keeps the store's operations (transactions, rows,
 * directories, the line, holds) and opens and closes it;
 * etcd_request.c reads and writes keys (the range cache, transactions and
 * the telling apart of this store's own commits); etcd_lock_json.c is a
 * lock's JSON; etcd_session.c the session lease and the watch stream.
 */
#ifndef LOCKFS_ETCD_STORE_INT_H
#define LOCKFS_ETCD_STORE_INT_H

#include "backend.h"
#include "etcd_store.h"
#include "instance.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define NEW_ROW_ID    ((int64_t)1 << 62) /* ids of rows made in this transaction start here */
#define OWN_REVISIONS 64		 /* own commits remembered, to tell their events apart */
#define READ_CACHE    32		 /* range answers kept while the epoch holds */

/* A daemon with holds on a lock, and its session lease as it wrote it there. */
struct etcd_lease_of {
	struct instance instance;
	int64_t lease;
};

/* A lock as its JSON says. */
struct etcd_lock {
	char owner[STORE_TEXT_MAX];
	int64_t count;
	double acquired;
	bool expires;
	double expire_time;
	char *tags; /* NULL: none */
	uint8_t *note;
	size_t note_len;
	struct store_holder holder;
	struct store_holds holds;
	int64_t lease_ttl; /* the TTL its own lease was granted with (0: none) */
	struct etcd_lease_of *leases; /* "leases": the session lease of each daemon with holds */
	size_t lease_count;
	bool by_lockfs; /* written by a lockfs daemon ("instance"): holder and generation known */
};

/*
 * The spaces of P a change can be in.  Each has an epoch of its own, so
 * that another machine's lock leaves the policies and lines read before
 * good (a change elsewhere under P moves them all).
 */
enum etcd_space { SPACE_DIRS, SPACE_LOCKS, SPACE_WAITERS, SPACES };
#define SPACES_ALL ((1u << SPACES) - 1)

/* A range's answer, good while no other machine has changed anything in its spaces. */
struct cached_read {
	char *request; /* the range request's JSON text */
	char *key, *end;
	unsigned spaces; /* the spaces [key, end) touches */
	uint64_t epoch;	 /* theirs (etcd_spaces_epoch) when it was asked */
	uint64_t used; /* when last kept or served (etcd_store.cache_clock) */
	json_object *reply;
};

/* A lock key read (and perhaps written) in the open write transaction. */
struct entry {
	char *key;
	int64_t id;
	bool existed; /* the key was there when read */
	int64_t mod_revision, create_revision, lease;
	bool present; /* after this transaction's writes */
	bool dirty;
	bool recreate;	    /* a new lock over one that was there: a new create_revision */
	double read_expire; /* its expiry as read (0: none) */
	struct etcd_lock lock;
	char *read_value; /* the value as read (NULL: absent, or not read) */
	char *written;	  /* the JSON the commit puts, and the lease it puts it with */
	int64_t written_lease;
};

/* A line read in the open write transaction: no place may be put in it before the commit. */
struct line_guard {
	char *start, *end; /* the line's keys: [start, end) */
	int64_t revision;  /* the revision it was read at */
};

/* A write that is not a lock: a directory or a place in line. */
struct other_write {
	char *etcd_key;
	char *value; /* NULL: delete */
	bool session_lease;
	bool keep_lease;
	int64_t *revision_out; /* a new place: its id, after the commit */
	int64_t forget_id;     /* a place given up: forgotten after the commit */
};

/*
 * A lock key put by a transaction whose answer was lost and whose caller
 * was told it failed: once that transaction is known to have been applied,
 * the key is put back as it was (or deleted), if nothing changed it since.
 */
struct undo {
	char *etcd_key;
	char *value; /* before the transaction (NULL: the key was absent) */
	int64_t lease;
};

/* A place in line this store knows the key of: its own, or one seen in a line. */
struct waiter_id {
	int64_t id;
	char *etcd_key;
	bool own; /* added by this store: a place of ours not listed here is an orphan */
};

struct etcd_store {
	struct store base;
	struct etcd_options opts;
	struct etcd_client *client; /* the caller's (callers serialise) */
	char *prefix;
	char self[INSTANCE_HOST_MAX + 64]; /* this daemon: "host pid start" */
	uint64_t nonce;
	/* The open write transaction. */
	bool in_write;
	bool foreign_lease; /* ...it puts a lock on another daemon's session lease */
	/* The bound holds of the lock the last read outside a transaction found. */
	struct store_holds read_holds;
	int64_t read_holds_id;
	struct entry *entries;
	size_t entry_count, entry_cap;
	struct other_write *writes;
	size_t write_count, write_cap;
	struct line_guard *lines;
	size_t line_count, line_cap;
	int64_t **generation_out;
	size_t generation_count, generation_cap;
	/* Places in line this store has seen, by id. */
	struct waiter_id *waiter_ids;
	size_t waiter_id_count, waiter_id_cap;
	struct cached_read cache[READ_CACHE];
	uint64_t cache_clock; /* the least recently used answer makes room */
	/* Session lease, renewed by the keepalive thread. */
	_Atomic int64_t lease;
	/* Epochs and the watch. */
	_Atomic uint64_t epoch; /* any change of another's */
	_Atomic uint64_t space_epoch[SPACES];
	_Atomic bool watching;
	uint64_t epoch_seen;
	int64_t own[OWN_REVISIONS];
	unsigned own_next;
	unsigned in_flight;		 /* transactions sent and not yet answered */
	int64_t deferred[OWN_REVISIONS]; /* events seen meanwhile: ours or not? */
	unsigned deferred_spaces[OWN_REVISIONS]; /* ...and the spaces they were in */
	unsigned deferred_count;
	bool deferred_overflow;
	pthread_mutex_t own_lock;
	int event_fd;
	int64_t start_revision;
	/* The fence every transaction is guarded on (etcd_txn). */
	char *fence_key;
	int64_t fence_revision;
	uint64_t fence_seq;  /* marks written to the fence */
	bool in_doubt;	     /* a transaction's answer was lost, and not settled yet */
	char doubt_mark[64]; /* ...the mark it writes to the fence */
	uint64_t doubt_seq;  /* ...and its number: settlings are numbered after it */
	struct undo *undo;   /* ...what its caller was told did not happen */
	size_t undo_count;
	int64_t undo_revision; /* the revision it was applied at (0: not known to be) */
	bool doubt_of_put_back; /* the transaction in doubt puts back undo's last key */
	/* Threads. */
	volatile bool stop;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	pthread_t keepalive_thread, watch_thread;
	bool keepalive_started, watch_started;
};

static inline struct etcd_store *etcd_of(struct store *base)
{
	return (struct etcd_store *)base;
}

/* --- etcd_request.c ------------------------------------------------------ */

typedef int (*etcd_kv_fn)(void *ctx, const char *key, json_object *kv);

/* JSON text pieces: bytes as base64, an int64 as etcd writes it (a string). */
json_object *etcd_json_base64(const void *data, size_t n);
json_object *etcd_json_int(int64_t v);

/* The key after every key that starts with prefix (etcd's range_end for a prefix). */
char *etcd_prefix_end(const char *prefix);

/* Call path with obj as its body (consumed). */
int etcd_post(struct etcd_client *c, const char *path, json_object *obj, bool repeatable,
	      json_object **reply);

/* The errno a lock operation reports for a cluster that did not answer. */
int etcd_unreachable(int rc);

/* Forget what may have changed: the answers whose range covers key (NULL: all). */
void etcd_cache_forget(struct etcd_store *es, const char *key);

/* The spaces [key, end) touches (end NULL: key alone); SPACES_ALL for any other key. */
unsigned etcd_spaces_of(const struct etcd_store *es, const char *key, const char *end);

/* The epochs of the spaces in mask, together: it changes when any of them moves. */
uint64_t etcd_spaces_epoch(struct etcd_store *es, unsigned mask);

/* Another's change in the spaces of mask: their epochs and the epoch move on, and the daemon wakes. */
void etcd_moved(struct etcd_store *es, unsigned mask);

/*
 * Range over [key, end) (end NULL: key alone); *reply holds "kvs".  While
 * the watch runs and no other machine has changed anything since, the
 * answer kept from an earlier range (or this store's own commit) serves:
 * a write decided on it is still guarded by its revisions.
 */
int etcd_range(struct etcd_store *es, const char *key, const char *end, bool by_create,
	       int64_t limit, json_object **reply);

/*
 * After this store's commit: what it wrote to a lock key is that key's
 * answer, as of epoch, the locks' epoch before the commit was sent (a
 * change of another's that the watch told of meanwhile then voids it).
 */
void etcd_cache_written(struct etcd_store *es, const char *key, const struct entry *e,
			int64_t revision, uint64_t epoch);

/* Each kv of a range reply: fn(ctx, key text, kv); non-zero stops and is returned. */
int etcd_each_kv(json_object *reply, etcd_kv_fn fn, void *ctx);

/* A kv's value, decoded (malloc'd), or NULL. */
char *etcd_kv_text(json_object *kv);

/* A kv's value, decoded and parsed (NULL when it is not JSON). */
json_object *etcd_kv_value(json_object *kv);

/* "P/space/name" (malloc'd), or NULL. */
char *etcd_key(const struct etcd_store *es, const char *space, const char *name);

/* Make the change descriptor readable. */
void etcd_wake(struct etcd_store *es);

/*
 * A transaction (req consumed), guarded also on this store's fence
 * (P/daemons/INSTANCE), which it moves.  When its answer is lost, the fence
 * tells whether it was applied, and moving it makes sure it will not be
 * later: the answer is then made up (succeeded, its revision), or -EAGAIN
 * when it was not applied.  -ETIMEDOUT, -EIO: no answer, or still in doubt
 * (the next transaction settles it first).
 */
int etcd_txn(struct etcd_store *es, json_object *req, json_object **reply);

/*
 * Settle the transaction in doubt: 1 applied (*revision its revision), 0
 * not (and now never), or -errno when no answer came within three timeouts.
 */
int etcd_settle(struct etcd_store *es, int64_t *revision);

/* Put this store's fence (at open): 0 or -errno. */
int etcd_fence(struct etcd_store *es);

/*
 * The watch saw a change in spaces made at revision: true when it is
 * another's (so far as known now; while a write of ours is in flight it is
 * judged when that is answered, and its spaces moved then).
 */
bool etcd_foreign_change(struct etcd_store *es, int64_t revision, unsigned spaces);

/*
 * A transaction's parts: a guard that key is unchanged since mod_revision
 * (existed) or still absent; a put (with lease, 0 for none, or keeping the
 * key's own); a delete.
 */
void etcd_txn_compare(json_object *compares, const char *key, bool existed, int64_t mod_revision);
/* A guard that no key in [key, end) was put or made after revision. */
void etcd_txn_compare_range(json_object *compares, const char *key, const char *end,
			    int64_t revision);
void etcd_txn_put(json_object *ops, const char *key, const char *value, int64_t lease,
		  bool keep_lease);
void etcd_txn_delete(json_object *ops, const char *key);

/* --- etcd_lock_json.c ---------------------------------------------------- */

/* Free what a lock holds and zero it. */
void etcd_lock_clear(struct etcd_lock *l);

/* obj's text field into out (cap bytes, "" when absent). */
void etcd_copy_field(json_object *obj, const char *field, char *out, size_t cap);

/* Read a lock's JSON (NULL or not a lock: -EINVAL). */
int etcd_lock_from_json(json_object *obj, struct etcd_lock *l);

/* The JSON text of a lock (malloc'd), with the nonce of the write. */
char *etcd_lock_to_json(const struct etcd_store *es, const struct etcd_lock *l, uint64_t nonce);

/* A lock as a typed_diskcache row, which is how the rules read every lock. */
int etcd_lock_to_row(const struct etcd_lock *l, int64_t id, int64_t generation,
		     struct store_row *row);

/* A lock's tags and note, as store_get_row gives them (store_text_clear). */
int etcd_lock_text(const struct etcd_lock *l, struct store_text *text);

/* A daemon as lock values and keys name it: "HOST PID START" (malloc'd; NULL: no memory). */
char *etcd_instance_text(const struct instance *in);

/* The lock's oldest live hold (the one that answers for it), or NULL. */
const struct store_hold *etcd_lock_first_hold(const struct etcd_lock *l);

/* The session lease the lock's "leases" gives for daemon in (0: not known). */
int64_t etcd_lock_lease_of(const struct etcd_lock *l, const struct instance *in);

/* --- etcd_session.c ------------------------------------------------------ */

/* The TTL of a lock's own lease: etcd drops the key a second after it expires. */
int64_t etcd_lease_ttl(double seconds);

/* A new lease of ttl seconds for a lock: 0 or -errno (-EIO: no member answered). */
int etcd_grant_lease(struct etcd_store *es, int64_t ttl, int64_t *lease);

/* Renew lease to the TTL it was granted with: 1 renewed, 0 gone, or -errno. */
int etcd_keep_alive(struct etcd_client *c, int64_t lease);

/* Is lease still granted (time left), without renewing it: 1 yes, 0 gone, or -errno. */
int etcd_lease_alive(struct etcd_client *c, int64_t lease);

/* The daemon's session lease, over client c: 0 or -errno. */
int etcd_grant_session(struct etcd_client *c, unsigned ttl, int64_t *lease);

/*
 * Renew the session every third of its TTL.  A lease etcd no longer knows
 * (this machine was cut off for longer than the TTL) is replaced: what
 * rode on it is gone already, and the watch tells the rest of lockfs.
 */
void *etcd_keepalive_main(void *arg);

/*
 * Watch P for as long as the store runs: changes of others move the epoch
 * and wake the change descriptor; a broken stream starts again where it
 * stopped (from now, when etcd has compacted that far).
 */
void *etcd_watch_main(void *arg);

#endif
