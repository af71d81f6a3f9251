/*
 * watch.c — the watch thread: everything that happens without a request.
 *
 * - Changes made elsewhere (Python, another mount, the sqlite3 shell) are
 *   seen as a new epoch of the store (store.h: read from SQLite's WAL
 *   index in memory, no system call), looked at every 2 ms while anything
 *   is waited for or known to the kernel, with PRAGMA data_version once a
 *   second as a safety net.  Only the keys waited for and the
 *   lock files the kernel knows are then read again: each waited key's lock
 *   is offered to its queue, and each known lock that is gone is announced.
 * - Expiry: the thread wakes at the earliest expiry among those keys.
 * - Deadlines: waiters past their timeout get ETIMEDOUT; parked places
 *   older than a second are dropped.
 * - Requests that met a busy database are run again, every millisecond.
 * - Expired lock rows are deleted once a second.
 */
#include "lockfs.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define POLL_BUSY 0.002  /* seconds between data_version polls while watching */
#define POLL_IDLE 0.100  /* ... when nothing is waited for or known */
#define RETRY_EVERY 0.001
#define SWEEP_EVERY 1.0

struct recheck {
	struct lockfs *fs;
	unsigned known; /* lock files the kernel knows */
};

void watch_expiry_hint(struct lockfs *fs, bool expires, double when)
{
	if (expires && (!fs->expiry_known || when < fs->next_expiry)) {
		fs->expiry_known = true;
		fs->next_expiry = when;
		watch_poke(fs);
	}
}

/* Read a known lock file again; announce it when its lock is gone or changed hands. */
static int recheck_node(void *ctx, struct node *node)
{
	struct recheck *r = ctx;
	struct lockfs *fs = r->fs;
	struct lock_info info;
	bool same;
	int rc;

	if (node->is_dir || !node->named || !node->held)
		return 0;
	rc = lock_inspect(fs->store, node->path, &info);
	if (rc == -EAGAIN) {
		fs->outside_change = true; /* look again next round */
		return 0;
	}
	same = rc == 0 && info.acquired == node->store_time;
	if (!same)
		notifier_deleted(&fs->notifier, node->parent, node->ino, node->name);
	node->held = rc == 0;
	if (rc == 0) {
		node->store_time = info.acquired;
		node->expires = info.expires;
		node->expire_time = info.expire_time;
		watch_expiry_hint(fs, info.expires, info.expire_time);
		r->known++;
		lock_info_clear(&info);
	}
	return 0;
}

/* Offer each waited lock to its queue; learn when the ones still held expire. */
static int recheck_queue(void *ctx, struct hmap_link *link)
{
	struct recheck *r = ctx;
	struct queue *queue = hmap_entry(link, struct queue, link);
	struct lock_info info;

	if (!queue->waiting)
		return 0;
	if (lock_inspect(r->fs->store, queue->key, &info) == 0) {
		watch_expiry_hint(r->fs, info.expires, info.expire_time);
		lock_info_clear(&info);
	}
	return 0;
}

/* Offer every waited lock to its queue (which may free queues: walk a copy of their keys). */
static void offer_all(struct lockfs *fs)
{
	char **keys = waitq_keys(&fs->waitq);

	if (!keys) {
		fs->outside_change = true; /* out of memory: try again next round */
		return;
	}
	for (char **k = keys; *k; k++)
		lockfs_offer_to_head(fs, *k);
	waitq_keys_free(keys);
}

static void recheck(struct lockfs *fs, struct recheck *r)
{
	memset(r, 0, sizeof(*r));
	r->fs = fs;
	fs->expiry_known = false;
	tree_invalidate(&fs->tree);
	offer_all(fs);
	hmap_for_each(&fs->waitq.queues, recheck_queue, r);
	nodes_for_each(&fs->nodes, recheck_node, r);
}

static void rerun(void *ctx, struct request *req)
{
	request_rerun(ctx, req);
}

static void deadline_in(struct timespec *ts, double seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (seconds > 3600)
		seconds = 3600;
	if (seconds < 0)
		seconds = 0;
	ts->tv_sec += (time_t)seconds;
	ts->tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void *watch_main(void *arg)
{
	struct lockfs *fs = arg;
	struct recheck r = {0};
	double next_sweep = clock_monotonic() + SWEEP_EVERY;
	bool first = true;

	pthread_mutex_lock(&fs->lock);
	while (!fs->stopping) {
		double now = clock_monotonic(), wall = clock_wall(), wait;
		uint64_t epoch = store_epoch(fs->store);
		struct timespec until;

		if (epoch != fs->epoch) {
			fs->epoch = epoch;
			fs->outside_change = true;
		}
		if (first || fs->outside_change || (fs->expiry_known && fs->next_expiry <= wall)) {
			first = false;
			fs->outside_change = false;
			recheck(fs, &r);
		}
		if (now >= fs->waitq.next_deadline)
			waitq_expire(&fs->waitq, now);
		if (fs->waitq.retry_head)
			waitq_run_retries(&fs->waitq, rerun, fs);
		if (now >= next_sweep) {
			int64_t version;
			int swept;

			/* The safety net under epochs: SQLite's own count of outside commits. */
			if (store_data_version(fs->store, &version) == 0 && version != fs->data_version) {
				fs->data_version = version;
				fs->outside_change = true;
			}
			swept = lock_sweep_expired(fs->store, wall);

			next_sweep = now + SWEEP_EVERY;
			if (swept > 0)
				fs->outside_change = true; /* the tree and known nodes changed */
		}

		wait = fs->waitq.waiting || r.known || fs->nodes.by_ino.count ? POLL_BUSY : POLL_IDLE;
		if (fs->waitq.retry_head || fs->outside_change)
			wait = RETRY_EVERY;
		if (fs->expiry_known)
			wait = fmin(wait, fs->next_expiry - wall);
		wait = fmin(wait, fs->waitq.next_deadline - now);
		deadline_in(&until, wait);
		pthread_cond_timedwait(&fs->watch_wake, &fs->lock, &until);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

void watch_poke(struct lockfs *fs)
{
	pthread_cond_signal(&fs->watch_wake);
}

int watch_start(struct lockfs *fs)
{
	pthread_condattr_t attr;
	int rc;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&fs->watch_wake, &attr);
	pthread_condattr_destroy(&attr);
	store_data_version(fs->store, &fs->data_version);
	fs->epoch = store_epoch(fs->store);
	rc = pthread_create(&fs->watch_thread, NULL, watch_main, fs);
	if (rc)
		return -rc;
	fs->watch_started = true;
	return 0;
}

void watch_stop(struct lockfs *fs)
{
	if (!fs->watch_started)
		return;
	pthread_mutex_lock(&fs->lock);
	fs->stopping = true;
	watch_poke(fs);
	pthread_mutex_unlock(&fs->lock);
	pthread_join(fs->watch_thread, NULL);
	fs->watch_started = false;
	pthread_cond_destroy(&fs->watch_wake);
}
