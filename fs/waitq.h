/*
 * waitq.h — requests whose answer comes later, and every change of their state.
 *
 * Why a FIFO per key and no thread per waiter: a blocked open is a FUSE
 * request that the daemon simply does not answer yet.  It sits in its
 * key's queue (a few hundred bytes) and is answered by whichever thread
 * frees the lock, so a thousand waiters cost memory, not threads.
 * Requests that met a busy database sit in the retry list and are run
 * again by the watch thread.
 *
 * The states and their moves (request.h names them):
 *
 *   NEW --enqueue--> WAITING --decide--> DECIDED --(registered)--> answered
 *   NEW --retry_later--> RETRY --enqueue--> WAITING
 *   RETRY --finish (its handler answered)--> gone
 *   WAITING --interrupt (registered)--> PARKED --resume--> WAITING
 *   PARKED --a second passes--> gone
 *
 * A request's fate is decided exactly once, under the daemon's lock.  The
 * answer is sent at once when its interrupt callback is registered; before
 * that, the thread registering it sends it (waitq_registered), because
 * libfuse may run the callback inside fuse_req_interrupt_func, under its
 * own lock, where answering would free the request.
 *
 * The waitq never talks to FUSE itself: answers go through the reply
 * function given to waitq_init, and the clock is passed in.  That keeps it pure
 * code, tested on its own (tests/unit/test_waitq.c).
 */
#ifndef LOCKFS_WAITQ_H
#define LOCKFS_WAITQ_H

#include <stdbool.h>
#include <stdint.h>

#include "hmap.h"
#include "request.h"

enum waitq_place { WAITQ_PLACE_LEFT, WAITQ_PLACE_PARKED, WAITQ_PLACE_RESUMED };

struct queue {
	struct hmap_link link;
	char *key;
	struct request *head, *tail;
	unsigned waiting; /* WAITING entries */
};

/*
 * A short-lived note about what a thread just did with a key (see
 * waitq_note): an acquisition that failed, or a CREATE sent back through
 * LOOKUP and OPEN.
 */
struct thread_note {
	pid_t tid;
	uint64_t start; /* the thread's start time, 0 when unknown */
	uint64_t key_hash;
	int note;
	double when;
};

#define WAITQ_NOTES 64

struct waitq {
	struct hmap queues;  /* struct queue, by key */
	struct hmap by_fuse; /* held requests that have a FUSE request, by it */
	struct request *retry_head, *retry_tail;
	unsigned waiting; /* WAITING entries in all queues */
	unsigned parked;
	double next_deadline; /* no deadline passes before this (a lower bound) */
	struct thread_note notes[WAITQ_NOTES];
	unsigned next_note;
	void (*reply)(struct request *req, int result);
	void (*place)(void *ctx, struct request *req, enum waitq_place what); /* waitq_on_place */
	void *place_ctx;
};

/*
 * reply sends req's answer: result 0 grants its acquisition, else it is
 * that -errno.  It does not free req.
 */
void waitq_init(struct waitq *q, void (*reply)(struct request *req, int result));

/*
 * place is told what happens to the requests the waitq holds, and so to
 * their places in the cache's line of waiters (req->ticket): one is let go
 * (WAITQ_PLACE_LEFT, just before it is freed: answered, or a parked place
 * that lapsed; a grant gives its place up itself), parked (interrupted:
 * others pass it), or resumed.
 */
void waitq_on_place(struct waitq *q,
		    void (*place)(void *ctx, struct request *req, enum waitq_place what),
		    void *ctx);

/* Free every request still held, unanswered (the session is gone). */
void waitq_destroy(struct waitq *q);

/* The queue of key, or NULL. */
struct queue *waitq_find(const struct waitq *q, const char *key);

/* The first WAITING request of key's queue (parked places are skipped), or NULL. */
struct request *waitq_head(const struct waitq *q, const char *key);

/* Number of WAITING requests for key. */
unsigned waitq_waiting(const struct waitq *q, const char *key);

/* The parked place of thread tid in key's queue, or NULL. */
struct request *waitq_parked(const struct waitq *q, const char *key, pid_t tid);

/* The held request of FUSE request fuse, or NULL. */
struct request *waitq_by_fuse(const struct waitq *q, fuse_req_t fuse);

/*
 * Queue req (NEW or RETRY, with req->key, who and deadline set) at the tail
 * of its key's queue.  0, or -ENOMEM (req is unchanged).
 */
int waitq_enqueue(struct waitq *q, struct request *req);

/*
 * req (NEW) met a busy database: keep it in the retry list.  A RETRY one
 * stays where it is.  0, or -ENOMEM (req is unchanged).
 */
int waitq_retry_later(struct waitq *q, struct request *req);

/* A held request's handler answered it: out of every list, and freed. */
void waitq_finish(struct waitq *q, struct request *req);

/*
 * Decide req (RETRY or WAITING): result 0 grants its acquisition, else it
 * fails with that -errno.  Answered now when registered, else by
 * waitq_registered.
 */
void waitq_decide(struct waitq *q, struct request *req, int result);

/*
 * The FUSE request fuse was interrupted at time now.  A registered WAITING
 * acquisition is answered EINTR and parked until now + 1 s; any other held
 * request is decided -EINTR.  Unknown or decided requests are left alone.
 */
void waitq_interrupt(struct waitq *q, fuse_req_t fuse, double now);

/*
 * Give parked place `parked` the FUSE request of fresh (a new request of
 * the same thread for the same lock, which stays the caller's to free,
 * without it): it waits again, with its old place and deadline.  0, or
 * -ENOMEM (nothing changed).
 */
int waitq_resume(struct waitq *q, struct request *parked, struct request *fresh);

/*
 * req's interrupt callback is in place.  When it was decided meanwhile, it
 * is answered (and freed) now: returns true.
 */
bool waitq_registered(struct waitq *q, struct request *req);

/*
 * At time now: registered waiters and retries past their deadline are
 * decided -ETIMEDOUT; parked places older than a second go.
 */
void waitq_expire(struct waitq *q, double now);

/* Stopping: decide every held request with result; drop parked places. */
void waitq_answer_all(struct waitq *q, int result);

/*
 * Call rerun once for each registered request in the retry list, in order.
 * rerun may answer it (then waitq_finish), keep it (it stays), or queue it.
 */
void waitq_run_retries(struct waitq *q, void (*rerun)(void *ctx, struct request *req),
		       void *ctx);

/*
 * The keys that have a queue, copied (the caller frees each and the array,
 * NULL-terminated), so that the caller may change queues while it walks
 * them.  NULL when out of memory.
 */
char **waitq_keys(const struct waitq *q);
void waitq_keys_free(char **keys);

/*
 * Notes about what a thread just did with a key:
 * - a negative errno: its acquisition by open failed.  coreutils touch sets
 *   the times when its open fails; that "renewal" of a lock by the very
 *   thread that failed to get it must fail the same way, or touch reports
 *   success for a lock it does not hold.  Kept until the thread opens the
 *   lock again, for at most WAITQ_FAILED_SECONDS: touch's next requests
 *   may wait behind others that long while the store does not answer.
 *   The thread is told by its tid and start time (start, 0 when unknown:
 *   then for one second), so that a tid used again is not taken for it.
 * - WAITQ_CREATING: its CREATE could not take the lock (held, waited for,
 *   or a busy database) and was answered ESTALE (CREATE must not wait: the
 *   kernel holds the directory meanwhile); its next LOOKUP of the key is
 *   answered as if the lock existed, so that the kernel sends an OPEN,
 *   which may wait.  Kept for one second.
 * waitq_note records (replacing an earlier note of tid for key);
 * waitq_recall returns the note, or 0, for a request of the thread that
 * arrived at `arrived`; waitq_unnote drops it.
 */
#define WAITQ_CREATING 1
#define WAITQ_FAILED_SECONDS 60.0
void waitq_note(struct waitq *q, pid_t tid, uint64_t start, const char *key, int note,
		double now);
int waitq_recall(const struct waitq *q, pid_t tid, uint64_t start, const char *key,
		 double arrived);
void waitq_unnote(struct waitq *q, pid_t tid, const char *key);

#endif
