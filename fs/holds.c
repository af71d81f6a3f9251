/*
 * holds.c — locks that die with their holder (SPEC §5): flock(2), fcntl
 * and lockf record locks, OFD locks, and what closing a file releases.
 *
 * The kernel sends flock(2) to .flock with the open file description as
 * lock owner, and fcntl/lockf/OFD locks to .setlk with the process (or,
 * for OFD locks, the description) as owner.  Every close() of any
 * descriptor sends FLUSH with the closing process's owner: its record
 * locks on that file go (the POSIX rule).  The last close of a description
 * sends RELEASE, after close() has returned: whatever is bound to that
 * description goes then.  Record locks cannot be told apart when they are
 * taken; one that survives its own process's close is an OFD lock, and
 * the cache learns so then.
 *
 * Bound requests queue in the same line as opens and are answered by
 * whoever frees the lock; a blocking one waits without a timeout, as the
 * kernel's own locks do, and an interrupt answers EINTR.
 */
#include "ops.h"
#include "instance.h"
#include "name.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>

#define RECORD_BINDINGS (1u << STORE_BOUND_POSIX | 1u << STORE_BOUND_OFD)
#define CLOSED_RETRY_BUSY 0.001 /* seconds: a closed description's holds, the store busy */
#define CLOSED_RETRY 1.0        /* ...the store out of reach */

static struct handle *handle_of(const struct request *req)
{
	return (struct handle *)(uintptr_t)req->fi.fh;
}

/* After a release of a hold: successors, tree, log (ops_released), and shared joiners. */
static void hold_released(struct lockfs *fs, const struct request *req, const char *key,
			  const struct lock_outcome *out, struct request *head)
{
	memo_touched(&fs->memo, key);
	ops_released(fs, req, key, out, head);
	if (out->kind != LOCK_RELEASED)
		lockfs_offer_to_head(fs, key); /* shared holders may join the one handed over */
}

/* Give up (instance, owner)'s holds of key whose binding is in bindings.  0 or -errno. */
static int unbind(struct lockfs *fs, const struct request *req, const char *key, uint64_t owner,
		  unsigned bindings)
{
	struct lock_successor next;
	struct lock_outcome out;
	struct request *head = ops_successor(fs, key, &next);
	int rc = lock_unbind(fs->store, key, instance_self(), owner, bindings, head ? &next : NULL,
			     &out);

	if (rc == 0)
		hold_released(fs, req, key, &out, head);
	return rc == -ENOENT ? 0 : rc;
}

/*
 * Bind the lock that this description's own open took (`( flock 9; work )
 * 9>lock`): it is now released at the description's last close.  1 when
 * bound, 0 when there is nothing to bind, or -errno.
 */
static int bind_open_lock(struct lockfs *fs, struct request *req, struct handle *handle)
{
	struct caller who;
	int rc;

	if (!handle->acquired || (handle->holds & HOLD_OPEN))
		return 0;
	who = ops_caller(fs, req);
	rc = lock_bind(fs->store, handle->key, handle->generation, &who, &req->hold);
	memo_touched(&fs->memo, handle->key);
	if (rc == -ESTALE || rc == -EBUSY)
		return 0; /* released or bound meanwhile: an acquisition of its own */
	return rc < 0 ? rc : 1;
}

/*
 * Take req->hold on its description's key: bind the open's own lock,
 * acquire, or queue (a try answers its conflict errno).
 */
static int take_hold(struct lockfs *fs, struct request *req, int conflict)
{
	struct handle *handle = handle_of(req);
	struct lock_grant grant;
	int rc;

	if (handle->holds & HOLD_OPEN)
		return 0; /* its open holds the lock for it already */
	if (ops_shadowed(fs, handle->key, req))
		return -EAGAIN; /* a closed file's hold for this owner goes first */
	rc = bind_open_lock(fs, req, handle);
	if (rc != 0) {
		if (rc > 0)
			ops_carry(fs, handle, &req->hold);
		return rc < 0 ? rc : 0;
	}
	rc = ops_acquire_hold(fs, req, handle->key, req->nonblocking, &grant);
	if (rc == -EBUSY) {
		fuse_reply_err(req->fuse, conflict); /* -EAGAIN from a handler means "later" */
		return REQUEST_ANSWERED;
	}
	if (rc == 0)
		ops_carry(fs, handle, &req->hold);
	return rc;
}

static int flock_description(struct lockfs *fs, struct request *req)
{
	struct handle *handle = handle_of(req);
	int op = req->flags & (LOCK_SH | LOCK_EX | LOCK_UN);
	int rc;

	if (!handle)
		return -EBADF;
	req->handle = handle;
	handle->flock_owner = req->fi.lock_owner;
	if (op == LOCK_UN || ((handle->holds & HOLD_FLOCK) && handle->flock_shared != (op == LOCK_SH))) {
		/* Unlock; or a conversion, which drops the old lock before it queues for the new. */
		rc = unbind(fs, req, handle->key, handle->flock_owner, 1u << STORE_BOUND_FLOCK);
		if (rc < 0)
			return rc;
		handle->holds &= ~(unsigned)HOLD_FLOCK;
		if (op == LOCK_UN)
			return 0;
	}
	if (handle->holds & HOLD_FLOCK)
		return 0; /* the same lock again */
	req->bound = true;
	req->hold = (struct lock_hold){.binding = STORE_BOUND_FLOCK,
				       .shared = op == LOCK_SH,
				       .owner = handle->flock_owner,
				       .instance = instance_self()};
	req->nonblocking = req->flags & LOCK_NB;
	return take_hold(fs, req, EWOULDBLOCK);
}

static int setlk_description(struct lockfs *fs, struct request *req)
{
	struct handle *handle = handle_of(req);
	int type = req->flags;

	if (!handle)
		return -EBADF;
	req->handle = handle;
	if (type == F_UNLCK)
		return unbind(fs, req, handle->key, req->fi.lock_owner, RECORD_BINDINGS);
	req->bound = true;
	req->hold = (struct lock_hold){.binding = STORE_BOUND_POSIX,
				       .shared = type == F_RDLCK,
				       .owner = req->fi.lock_owner,
				       .instance = instance_self()};
	return take_hold(fs, req, EAGAIN);
}

static int getlk_description(struct lockfs *fs, struct request *req)
{
	struct handle *handle = handle_of(req);
	struct lock_hold hold = {.binding = STORE_BOUND_POSIX,
				 .shared = req->flags == F_RDLCK,
				 .owner = req->fi.lock_owner,
				 .instance = instance_self()};
	struct lock_conflict conflict;
	struct flock answer = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
	int rc;

	if (!handle)
		return -EBADF;
	if (handle->holds & HOLD_OPEN)
		rc = 0; /* its own open holds it */
	else
		rc = lock_conflict(fs->store, handle->key, &hold, &conflict);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		/* Lock files have no bytes to share: a conflict is a whole-file lock. */
		answer.l_type = conflict.shared ? F_RDLCK : F_WRLCK;
		answer.l_pid = conflict.pid;
	}
	fuse_reply_lock(req->fuse, &answer);
	return REQUEST_ANSWERED;
}

/* FLUSH: a process closed a descriptor of this file; its record locks on it go. */
static int flush_description(struct lockfs *fs, struct request *req)
{
	struct handle *handle = handle_of(req);
	struct lock_successor next;
	struct lock_outcome out;
	struct request *head;
	struct caller who;
	int rc;

	if (!handle || !handles_record_holds_on(&fs->handles, handle->key))
		return 0; /* no record lock here: nothing to do, no database */
	who = ops_caller(fs, req);
	head = ops_successor(fs, handle->key, &next);
	rc = lock_flush(fs->store, handle->key, instance_self(), req->fi.lock_owner, who.tgid,
			head ? &next : NULL, &out);
	if (rc == 0)
		hold_released(fs, req, handle->key, &out, head);
	return rc == -ENOENT ? 0 : rc;
}

/*
 * Try the closed descriptions again soon when the store was busy, in a
 * second when out of reach; not later than a try already planned, unless
 * that try is the one that just failed.
 */
static void retry_closed_after(struct lockfs *fs, int rc, bool planned)
{
	double at = clock_monotonic() + (rc == -EAGAIN ? CLOSED_RETRY_BUSY : CLOSED_RETRY);

	fs->closed_retry_at = planned ? fmin(at, fs->closed_retry_at) : at;
	watch_poke(fs);
}

/*
 * Give up every hold bound to a description.  0, or -errno with the holds
 * given up so far cleared from the handle (a retry goes on from there).
 */
static int release_description_holds(struct lockfs *fs, const struct request *req,
				     struct handle *handle)
{
	int rc;

	if (handle->holds & HOLD_FLOCK) {
		rc = unbind(fs, req, handle->key, handle->flock_owner, 1u << STORE_BOUND_FLOCK);
		if (rc < 0)
			return rc;
		handle->holds &= ~(unsigned)HOLD_FLOCK;
	}
	while (handle->record_count) {
		rc = unbind(fs, req, handle->key, handle->record_owners[handle->record_count - 1],
			    RECORD_BINDINGS);
		if (rc < 0)
			return rc;
		handle->record_count--;
	}
	handle->holds &= ~(unsigned)HOLD_RECORD;
	if (handle->holds & HOLD_OPEN) {
		rc = unbind(fs, req, handle->key, handle->id, 1u << STORE_BOUND_OPEN);
		if (rc < 0)
			return rc;
		handle->holds &= ~(unsigned)HOLD_OPEN;
	}
	return 0;
}

/* Give up a closed description's holds and free it: 0, or -errno (kept as it is). */
static int give_up_closed(struct lockfs *fs, const struct request *req, struct handle *handle)
{
	int rc = release_description_holds(fs, req, handle);

	if (rc == 0) {
		if (handle->warned)
			lockfs_log(LOG_INFO, "lock %s: a closed file's hold is given up", handle->key);
		handles_close(&fs->handles, handle);
	}
	return rc;
}

/*
 * The description is closed: its holds go now, or, when the store cannot
 * give them up yet (busy, or out of reach), the handle is kept and the
 * watch thread tries again (holds_retry_closed).  A close is never
 * refused, and a lock never outlives it for longer than the store takes
 * to answer again.
 */
static void close_description(struct lockfs *fs, const struct request *req, struct handle *handle)
{
	bool planned = fs->handles.closed != NULL;
	int rc = give_up_closed(fs, req, handle);

	if (rc == 0)
		return;
	if (rc != -EAGAIN) {
		lockfs_log(LOG_WARNING, "lock %s: a closed file's hold is given up once the store answers (%s)",
			   handle->key, strerror(-rc));
		handle->warned = true;
	}
	handles_keep_closed(&fs->handles, handle);
	retry_closed_after(fs, rc, planned);
}

void lockfs_handle_release(struct lockfs *fs, struct handle *handle)
{
	close_description(fs, NULL, handle);
}

/* RELEASE: the description's last close, after close() returned (its answer is not seen). */
static int release_description(struct lockfs *fs, struct request *req)
{
	struct handle *handle = handle_of(req);

	if (!handle)
		return 0;
	if (req->fi.flock_release)
		handle->flock_owner = req->fi.lock_owner;
	close_description(fs, req, handle);
	return 0;
}

void holds_retry_closed(struct lockfs *fs)
{
	int rc = 0;

	/* Oldest first, until one fails; that one goes to the end, so none blocks the rest for good. */
	while (fs->handles.closed) {
		char key[KEY_MAX_BYTES + 1];

		snprintf(key, sizeof(key), "%s", fs->handles.closed->key);
		rc = give_up_closed(fs, NULL, fs->handles.closed);
		if (rc < 0)
			break;
		lockfs_offer_to_head(fs, key); /* a waiter of the same owner waited for this */
	}
	if (rc < 0) {
		handles_requeue_closed(&fs->handles);
		retry_closed_after(fs, rc, false);
	}
}

void holds_flock(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	struct request *req = request_new(fuse, flock_description, ino, NULL);

	if (req) {
		req->fi = *fi;
		req->flags = op;
	}
	request_dispatch(fuse, req);
}

void holds_setlk(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock,
		 int sleep)
{
	struct request *req = request_new(fuse, setlk_description, ino, NULL);

	if (req) {
		req->fi = *fi;
		req->flags = lock->l_type;
		req->nonblocking = !sleep;
	}
	request_dispatch(fuse, req);
}

void holds_getlk(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock)
{
	struct request *req = request_new(fuse, getlk_description, ino, NULL);

	if (req) {
		req->fi = *fi;
		req->flags = lock->l_type;
	}
	request_dispatch(fuse, req);
}

void holds_flush(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct request *req = request_new(fuse, flush_description, ino, NULL);

	if (req)
		req->fi = *fi;
	request_dispatch(fuse, req);
}

void holds_release(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct request *req = request_new(fuse, release_description, ino, NULL);

	if (req)
		req->fi = *fi;
	request_dispatch(fuse, req);
}
