/*
 * waitq.h — requests whose answer comes later.
 *
 * Why a FIFO per key and no thread per waiter: a blocked open is a FUSE
 * request that the daemon simply does not answer yet.  It sits in its
 * key's queue as a struct pending (a few hundred bytes) and is answered by
 * whichever thread frees the lock, so a thousand waiters cost memory, not
 * threads.  Requests that met a busy database sit in the retry list and
 * are run again by the watch thread.
 *
 * A pending's fate is decided exactly once (waitq_decide), under the
 * daemon's lock: granted, timed out, interrupted, or refused.  The answer is
 * sent at once when the request's interrupt callback is registered;
 * before that, the thread registering it sends it (waitq_registered).
 * An interrupted acquisition leaves a parked place in its queue for one
 * second, which the same thread resumes if it asks again.
 */
#ifndef LOCKFS_WAITQ_H
#define LOCKFS_WAITQ_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>

#include "caller.h"
#include "hmap.h"
#include "policy.h"

struct lockfs;
struct op;
struct queue;

enum pending_state {
	PENDING_NEW,     /* in no list yet */
	PENDING_RETRY,   /* waiting to run again: the database was busy */
	PENDING_WAITING, /* an acquisition queued behind the lock's holder */
	PENDING_PARKED,  /* a kept place: its request was interrupted */
	PENDING_DECIDED, /* answered, or to be answered by the registering thread */
};

struct pending {
	struct op *op; /* the request and its arguments (owned) */
	enum pending_state state;
	bool registered; /* its interrupt callback is in place */
	int result;      /* once decided: 0 granted, or -errno */
	bool acquire;    /* an acquisition (OPEN for writing) */
	double deadline; /* monotonic seconds; INFINITY for none */
	double parked_until;
	pid_t tid;            /* the asking thread, to resume a parked place */
	struct caller who;    /* acquisitions: who asks */
	char *key;            /* acquisitions: the lock */
	struct queue *queue;
	struct pending *prev, *next; /* in the key's queue or the retry list */
	struct hmap_link by_req;
};

struct queue {
	struct hmap_link link;
	char *key;
	struct pending *head, *tail;
	unsigned waiting; /* PENDING_WAITING entries */
};

/*
 * A short-lived note about a thread and a key (see waitq_note): an
 * acquisition that just failed, or a CREATE sent back through OPEN.
 */
struct waitq_failure {
	pid_t tid;
	uint64_t key_hash;
	int note;
	double when;
};

#define WAITQ_FAILURES 64

struct waitq {
	struct hmap queues; /* by key */
	struct waitq_failure failures[WAITQ_FAILURES];
	unsigned next_failure;
	struct hmap by_req; /* pendings that hold a request */
	struct pending *retry_head, *retry_tail;
	unsigned waiting;      /* PENDING_WAITING entries in all queues */
	unsigned parked;
	double next_deadline; /* no deadline passes before this (a lower bound) */
};

void waitq_init(struct waitq *q);
void waitq_destroy(struct waitq *q);

/* A new pending for op (which it takes over).  NULL when out of memory. */
struct pending *waitq_new(struct op *op);

/* Free a pending that is in no list. */
void waitq_free(struct pending *p);

/* The queue of key, or NULL; waitq_queue_for creates it. */
struct queue *waitq_find(struct waitq *q, const char *key);
struct queue *waitq_queue_for(struct waitq *q, const char *key);

/*
 * Put p (new, or from the retry list) at the tail of its key's queue, or
 * a new p in the retry list.
 */
int waitq_enqueue(struct waitq *q, struct pending *p);
void waitq_retry_later(struct waitq *q, struct pending *p);

/* Remove p from every list and free it: its request was answered already. */
void waitq_finish(struct waitq *q, struct pending *p);

/* First PENDING_WAITING entry of a queue (parked places are skipped), or NULL. */
struct pending *waitq_head(const struct queue *queue);

/* The parked place of thread tid in queue, or NULL. */
struct pending *waitq_parked(const struct queue *queue, pid_t tid);

/* The pending that holds req, or NULL. */
struct pending *waitq_by_req(struct waitq *q, fuse_req_t req);

/* Number of PENDING_WAITING entries for key. */
unsigned waitq_waiting(struct waitq *q, const char *key);

/*
 * Decide p: remove it from its list, then answer it now (registered) or
 * leave the answer to the thread registering it.  result 0 grants an
 * acquisition (answered as a successful open).
 */
void waitq_decide(struct waitq *q, struct pending *p, int result);

/* Turn an interrupted waiting acquisition into a parked place until `until`. */
void waitq_park(struct waitq *q, struct pending *p, double until);

/* Give a parked place a new request (op, taken over): it waits again. */
void waitq_resume(struct waitq *q, struct pending *p, struct op *op);

/*
 * Mark p registered; when it was decided meanwhile, answer and free it.
 * Returns true when p is gone.
 */
bool waitq_registered(struct waitq *q, struct pending *p);

/*
 * Notes about what a thread just did with a key, kept for one second:
 * - a negative errno: its acquisition failed.  coreutils touch sets the
 *   times when its open fails; the "renewal" of a lock by the very thread
 *   that failed to get it must fail the same way, or touch reports success
 *   for a lock it does not hold.
 * - WAITQ_CREATING: its CREATE met a busy database and was answered ESTALE
 *   (CREATE must not wait: the kernel holds the directory meanwhile); its
 *   next LOOKUP of the key is answered as if the lock existed, so that the
 *   kernel sends an OPEN, which may wait.
 * waitq_note records (replacing an earlier note of tid for key);
 * waitq_recall returns the note, or 0; waitq_unnote drops it.
 */
#define WAITQ_CREATING 1
void waitq_note(struct waitq *q, pid_t tid, const char *key, int note, double now);
int waitq_recall(struct waitq *q, pid_t tid, const char *key, double now);
void waitq_unnote(struct waitq *q, pid_t tid, const char *key);

/* Answer a decided pending's request and free it (the reply for `result`). */
void waitq_answer(struct pending *p);

#endif
