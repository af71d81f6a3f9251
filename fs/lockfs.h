/*
 * lockfs.h — the daemon's state, shared by its modules.
 *
 * One mutex (lockfs.lock) guards everything here: the store connection, the
 * inode table, the directory tree and the waiting requests.  It is taken by
 * the FUSE loop thread for each request, by the watch thread for its
 * periodic work, and by FUSE interrupt callbacks.  Nothing waits while
 * holding it except SQLite's short busy steps (a few milliseconds at most).
 *
 * Lock order: libfuse's request lock (held around interrupt callbacks) ->
 * lockfs.lock -> libfuse's session lock (taken by fuse_reply_*).  So
 * fuse_req_interrupt_func, which takes the request lock, is never called
 * with lockfs.lock held.
 */
#ifndef LOCKFS_LOCKFS_H
#define LOCKFS_LOCKFS_H

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "caller.h"
#include "clock.h"
#include "dir.h"
#include "etcd_store.h"
#include "handles.h"
#include "lock.h"
#include "memo.h"
#include "nodes.h"
#include "notify.h"
#include "policy.h"
#include "request.h"
#include "stats.h"
#include "store.h"
#include "tree.h"
#include "waitq.h"

struct options {
	char *cache_dir;    /* NULL when the locks are in etcd */
	struct etcd_options etcd; /* etcd.prefix non-NULL: in etcd (SPEC §6) */
	char *source;       /* what is served, for the log: the cache or the cluster */
	char *mountpoint;
	struct policy defaults; /* --timeout, --ttl, --tag */
	bool foreground;
	bool stats; /* keep statistics (--stats=on, the default) */
};

struct lockfs {
	pthread_mutex_t lock;
	struct store *store;
	struct fuse_session *session;
	struct options opts;
	uid_t uid; /* the daemon's: owner of directories and of locks not made by lockfs */
	gid_t gid;
	double started; /* wall clock: the times of directories */

	struct caller_cache *callers;
	struct nodes nodes;
	struct tree tree;
	struct waitq waitq;
	struct notifier notifier;
	struct memo memo;
	struct handles handles;
	struct stats stats; /* counted when opts.stats */
	struct {
		pid_t tid; /* a compare-and-release refused ESTALE to this thread... */
		fuse_ino_t ino; /* ...for this file: the kernel asks once more (not counted) */
	} refused;
	struct {
		char *dir;             /* the directory last asked about... */
		enum policy_open mode; /* ...what an open for writing does there... */
		uint64_t epoch;        /* ...in this epoch of the store (0: forgotten) */
	} open_modes;

	struct {
		int64_t *tickets; /* places in line to give up (lock_leave_line) */
		size_t count, cap;
	} leaving;

	uint64_t epoch;       /* the store's epoch the tree and known nodes were last true in */
	int64_t data_version; /* last PRAGMA data_version seen (the cross-check of epochs) */
	bool expiry_known;    /* a waited or known lock expires... */
	double next_expiry;   /* ...at this wall-clock time at the earliest */
	bool outside_change;  /* someone else wrote: re-check waited and known keys */
	double closed_retry_at; /* monotonic: when to try handles.closed again */
	bool stopping;

	pthread_t watch_thread;
	int watch_event;   /* eventfd: wakes the watch thread */
	int watch_changes; /* the store's change descriptor (store_change_fd), not ours to close */
	bool watch_started;
};

/* The FUSE operations table (ops.c). */
const struct fuse_lowlevel_ops *lockfs_operations(void);

/*
 * Offer key's lock to the first waiter of its queue (ops.c), lockfs.lock
 * held: an acquisition on that waiter's behalf, answered at once when it
 * succeeds; repeated while a waiter's acquisition fails for good.
 */
void lockfs_offer_to_head(struct lockfs *fs, const char *key);

/*
 * A request leaves for good (answered, or its parked place lapsed;
 * lockfs.lock held): its place in line goes, and the description it was
 * opening, if the kernel never got it, is released (request.c).
 */
void lockfs_request_dropped(struct lockfs *fs, struct request *req);

/*
 * The last close of a description (RELEASE; lockfs.lock held): the holds
 * bound to it go, and the handle is freed (ops.c).
 */
void lockfs_handle_release(struct lockfs *fs, struct handle *handle);

/*
 * Give up the holds of closed descriptions kept on handles.closed
 * (holds.c; lockfs.lock held): the watch thread calls it once
 * closed_retry_at has come.
 */
void holds_retry_closed(struct lockfs *fs);

/* Count n events of kind c, and record durations (lockfs.lock held). */
static inline void lockfs_count(struct lockfs *fs, enum stats_counter c, uint64_t n)
{
	if (fs->opts.stats)
		stats_count(&fs->stats, c, n);
}

static inline void lockfs_time(struct lockfs *fs, struct stats_times *times, double seconds)
{
	if (fs->opts.stats)
		stats_time(times, seconds);
}

/* Start and stop the watch thread (watch.c). */
int watch_start(struct lockfs *fs);
void watch_stop(struct lockfs *fs);

/* Wake the watch thread (lockfs.lock held). */
void watch_poke(struct lockfs *fs);

/*
 * Give up a place in the cache's line of waiters (lockfs.lock held): its
 * request was answered without the lock.  The watch thread writes it.
 */
void watch_give_up_place(struct lockfs *fs, int64_t ticket);

/* A waited or known lock expires at `when` (wall clock): wake then (lockfs.lock held). */
void watch_expiry_hint(struct lockfs *fs, bool expires, double when);

/* Log a line: stderr in the foreground, syslog in the background (log.c). */
void lockfs_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lockfs_log_to_syslog(bool on);

#endif
