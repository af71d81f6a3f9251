/*
 * request.c — the life of a request: dispatch, interrupt, answer, retry.
 *
 * A request runs its handler under the daemon's lock.  What the handler
 * returns decides what happens next (request.h); this file is the only
 * one that turns a handler's errno into an answer, sends a busy request to
 * the retry list, and registers the interrupt callback of a held one.
 */
#include "lockfs.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>

struct request *request_new(fuse_req_t fuse, request_fn run, fuse_ino_t ino, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(fuse);
	struct request *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->run = run;
	req->fuse = fuse;
	req->uid = ctx->uid;
	req->gid = ctx->gid;
	req->tid = ctx->pid;
	req->ino = ino;
	req->arrived = clock_monotonic();
	req->deadline = INFINITY;
	if (name && !(req->name = strdup(name))) {
		free(req);
		return NULL;
	}
	return req;
}

/*
 * The file handle of an open: its description (what it took), and no page
 * cache, so every read asks for the status now.
 */
static struct fuse_file_info open_info(struct request *req, bool granted)
{
	struct fuse_file_info fi = req->fi;

	assert(req->handle);
	if (granted) {
		/* Its writes go to that acquisition's note. */
		req->handle->acquired = true;
		req->handle->generation = req->generation;
		if (req->bound)
			req->handle->holds |= HOLD_OPEN;
	}
	req->handle->appends = req->fi.flags & O_APPEND;
	fi.direct_io = 1;
	fi.keep_cache = 0;
	fi.fh = (uintptr_t)req->handle;
	return fi;
}

/* The kernel took the description (or never will: it stays the request's). */
static void handed_over(struct request *req, int rc)
{
	if (rc == 0) {
		req->handle_owned = false;
		handles_opened(req->handle);
	}
}

void request_reply_open(struct request *req, bool granted)
{
	struct fuse_file_info fi = open_info(req, granted);

	handed_over(req, fuse_reply_open(req->fuse, &fi));
}

void request_reply_create(struct request *req, const struct fuse_entry_param *e, bool granted)
{
	struct fuse_file_info fi = open_info(req, granted);

	handed_over(req, fuse_reply_create(req->fuse, e, &fi));
}

/* A held request's answer; the ends of waits are counted (ETIMEDOUT, EINTR). */
void request_reply(struct request *req, int result)
{
	struct lockfs *fs = fuse_req_userdata(req->fuse);

	if (result == -ETIMEDOUT)
		lockfs_count(fs, STATS_TIMEOUTS, 1);
	else if (result == -EINTR)
		lockfs_count(fs, STATS_INTERRUPTS, 1);
	if (result == 0 && req->handle_owned)
		request_reply_open(req, true);
	else
		fuse_reply_err(req->fuse, -result); /* a bound hold's success is 0 */
}

/*
 * Run req's handler and act on its result: answer an errno, keep a busy
 * request for a retry.  Returns true when the waitq took req or its FUSE
 * request (a registered req may be answered and gone already).
 */
static bool run(struct lockfs *fs, struct request *req)
{
	int rc = req->run(fs, req);

	if (rc == REQUEST_HELD)
		return true;
	if (rc == -EAGAIN) {
		if (waitq_retry_later(&fs->waitq, req) == 0)
			return true;
		rc = -ENOMEM;
	}
	if (rc <= 0)
		fuse_reply_err(req->fuse, -rc);
	return false;
}

/*
 * Interrupt callback.  libfuse may call it from inside
 * fuse_req_interrupt_func, under its own lock: the waitq then only decides,
 * and the registering thread answers (waitq_registered).
 */
static void on_interrupt(fuse_req_t fuse, void *data)
{
	struct lockfs *fs = data;

	pthread_mutex_lock(&fs->lock);
	waitq_interrupt(&fs->waitq, fuse, clock_monotonic());
	pthread_mutex_unlock(&fs->lock);
}

void request_dispatch(fuse_req_t fuse, struct request *req)
{
	struct lockfs *fs = fuse_req_userdata(fuse);
	struct request *held;

	if (!req) {
		fuse_reply_err(fuse, ENOMEM);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	held = NULL;
	if (run(fs, req)) {
		/* req itself, or the parked place that took its FUSE request over. */
		held = waitq_by_fuse(&fs->waitq, fuse);
		assert(held);
	}
	if (held != req) {
		lockfs_request_dropped(fs, req);
		request_free(req);
	}
	if (held)
		watch_poke(fs);
	pthread_mutex_unlock(&fs->lock);
	if (!held)
		return;
	fuse_req_interrupt_func(fuse, on_interrupt, fs);
	pthread_mutex_lock(&fs->lock);
	waitq_registered(&fs->waitq, held);
	pthread_mutex_unlock(&fs->lock);
}

void request_rerun(struct lockfs *fs, struct request *req)
{
	if (!run(fs, req))
		waitq_finish(&fs->waitq, req);
}

void lockfs_request_dropped(struct lockfs *fs, struct request *req)
{
	if (req->ticket) {
		watch_give_up_place(fs, req->ticket); /* answered without the lock */
		req->ticket = 0;
	}
	if (req->handle && req->handle_owned) {
		/* The kernel never got the description: nothing will release it. */
		lockfs_handle_release(fs, req->handle);
		req->handle = NULL;
	}
}
