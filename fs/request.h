/*
 * request.h — one FUSE request, from its arrival to its answer.
 *
 * Every operation that reads or changes the cache arrives as a struct
 * request: the FUSE handle, who asks, the arguments, and the handler that
 * runs it (a function pointer, so the operations table names what runs).
 * Most requests are answered by their handler at once.  The others stay
 * requests until waitq.c decides them: one that met a busy database waits
 * in the retry list, an acquisition that must wait sits in its lock's
 * queue, and an interrupted acquisition keeps its place for a second
 * (parked) without a FUSE request.
 *
 * A handler runs under the daemon's lock and returns REQUEST_ANSWERED (it
 * sent a reply with data), REQUEST_HELD (the waitq holds the request now),
 * or the result of a reply without data: 0 or a negative errno, which
 * request.c sends — except -EAGAIN, the busy database, which sends the
 * request to the retry list.
 */
#ifndef LOCKFS_REQUEST_H
#define LOCKFS_REQUEST_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "caller.h"
#include "lock.h"
#include "hmap.h"

struct lockfs;
struct request;
struct queue;

typedef int (*request_fn)(struct lockfs *fs, struct request *req);

#define REQUEST_ANSWERED 1
#define REQUEST_HELD 2

enum request_state {
	REQUEST_NEW,     /* running for the first time, in no list */
	REQUEST_RETRY,   /* in the retry list: the database was busy */
	REQUEST_WAITING, /* an acquisition queued behind its lock's holder */
	REQUEST_PARKED,  /* a kept place: interrupted and answered, no FUSE request */
	REQUEST_DECIDED, /* its answer is set; sent once its interrupt callback is in place */
};

struct request {
	request_fn run;
	fuse_req_t fuse; /* NULL once answered (parked) */
	uid_t uid;
	gid_t gid;
	pid_t tid;      /* the calling thread */
	fuse_ino_t ino; /* the target, or the parent for name operations */
	char *name;     /* a name or an attribute name */
	char *value;    /* setxattr's value */
	size_t size;    /* setxattr value length; read, getxattr and listxattr buffer size */
	off_t offset;
	int flags; /* open flags, or setattr's to_set */
	struct stat attr; /* setattr: the values asked for */
	struct fuse_file_info fi;
	double arrived; /* monotonic seconds */
	struct handle *handle; /* the open description it opens (owned) or acts on */
	bool handle_owned;     /* ...an open's new one, not handed to the kernel yet */
	bool bound;            /* it asks for a bound hold (below), not for an open's lock */
	struct lock_hold hold;
	bool nonblocking;      /* flock LOCK_NB, F_SETLK: a conflict is answered, never waited */
	int64_t aim; /* the generation of the lock an unlink or change is for (lock.h) */

	/* While the waitq holds it (waitq.c changes these). */
	enum request_state state;
	bool registered; /* its interrupt callback is in place */
	int result;      /* once decided: 0 granted, or -errno */
	int64_t generation; /* once granted: the acquisition's generation (0: not made by lockfs) */
	double deadline; /* monotonic seconds, INFINITY for none */
	double parked_until;
	int64_t ticket;    /* its place in the cache's line of waiters (lock.h), 0 for none */
	char *key;         /* an acquisition that waits: its lock, who and deadline are known */
	struct caller who; /* ...who asks */
	struct queue *queue;
	struct request *prev, *next; /* in its key's queue or the retry list */
	struct hmap_link by_fuse;
};

/*
 * A new request for FUSE handle fuse that run will handle; it copies name
 * when given.  NULL when out of memory.
 */
struct request *request_new(fuse_req_t fuse, request_fn run, fuse_ino_t ino, const char *name);

/*
 * Free a request and what it owns.  Accepts NULL.  A request that still
 * owns a place in line or a new description goes through
 * lockfs_request_dropped first.
 */
static inline void request_free(struct request *req)
{
	if (!req)
		return;
	free(req->name);
	free(req->value);
	free(req->key);
	free(req);
}

/*
 * Run a new request (NULL: answer ENOMEM) under the daemon's lock; a
 * request that stays held gets its interrupt callback.
 */
void request_dispatch(fuse_req_t fuse, struct request *req);

/* Run a request of the retry list again (the daemon's lock held). */
void request_rerun(struct lockfs *fs, struct request *req);

/*
 * Answer an open: granted tells whether it acquired the lock (then
 * req->generation is the acquisition's).  The one reply of an OPEN,
 * whether it waited or not.
 */
void request_reply_open(struct request *req, bool granted);

/* Answer a CREATE with the new file's entry e; granted: it acquired (req->generation). */
void request_reply_create(struct request *req, const struct fuse_entry_param *e, bool granted);

/*
 * Send req's answer (the waitq's reply function): result 0 grants its
 * acquisition (an open's reply, or success for a bound hold), else it is
 * that -errno.  req stays allocated.
 */
void request_reply(struct request *req, int result);

#endif
