/*
 * watch.c — the watch thread: everything that happens without a request.
 *
 * - Changes made elsewhere (Python, another mount, the sqlite3 shell) are
 *   seen as a new epoch of the store (store.h: read from SQLite's WAL
 *   index in memory, no system call).  The thread looks when the store's
 *   change descriptor says it was written (inotify on the cache's files), at most once per QUIET while they keep
 *   being written, and with PRAGMA data_version once a second as a safety
 *   net.  An idle daemon sleeps: one wake-up a second.  Only the keys waited for and the
 *   lock files the kernel knows are then read again: each waited key's lock
 *   is offered to its queue, and each known lock that is gone is announced.
 * - Expiry: the thread wakes at the earliest expiry among those keys.
 * - Deadlines: waiters past their timeout get ETIMEDOUT; parked places
 *   older than a second are dropped.
 * - Requests that met a busy database are run again, every millisecond.
 * - Expired lock rows are deleted once a second.
 */
#include "lockfs.h"
#include "instance.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define SETTLE 0.0003 /* seconds from a write to the WAL to its commit's new epoch, at most */
#define QUIET 0.002   /* seconds between two looks at the WAL while the cache is written */
#define RETRY_EVERY 0.001
#define SWEEP_EVERY 1.0 /* the sweep of expired locks, and the safety net's look */

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

static void drain_eventfd(int fd)
{
	uint64_t count;

	while (read(fd, &count, sizeof(count)) > 0)
		;
}

/* Milliseconds for poll, from seconds (rounded up, at most an hour). */
static int poll_ms(double seconds)
{
	if (seconds <= 0)
		return 0;
	if (seconds > 3600)
		seconds = 3600;
	return (int)ceil(seconds * 1000);
}

void watch_give_up_place(struct lockfs *fs, int64_t ticket)
{
	if (fs->leaving.count == fs->leaving.cap) {
		size_t cap = fs->leaving.cap ? fs->leaving.cap * 2 : 16;
		int64_t *tickets = realloc(fs->leaving.tickets, cap * sizeof(*tickets));

		if (!tickets) {
			/* Kept until this daemon stops (then every place of it goes). */
			lockfs_log(LOG_WARNING, "out of memory: a place in line stays until the stop");
			return;
		}
		fs->leaving.tickets = tickets;
		fs->leaving.cap = cap;
	}
	fs->leaving.tickets[fs->leaving.count++] = ticket;
	watch_poke(fs);
}

/*
 * What becomes of a held request's place in line.  Parking and resuming
 * are written at once (an interrupt is rare, and a place left standing
 * would hold up the others); when the database is busy they are skipped:
 * a parked place then blocks the line until it lapses, a resumed one may
 * be passed.
 */
static void place_changed(void *ctx, struct request *req, enum waitq_place what)
{
	struct lockfs *fs = ctx;

	if (what == WAITQ_PLACE_LEFT)
		lockfs_request_dropped(fs, req);
	else if (req->ticket &&
		 lock_park_place(fs->store, req->ticket, what == WAITQ_PLACE_PARKED) == 0) {
		fs->outside_change = true; /* others may go first now, or wait again */
		watch_poke(fs);
	}
}

/* Write the places given up; the line moved, so offer the locks again. */
static void give_up_places(struct lockfs *fs)
{
	if (!fs->leaving.count || lock_leave_line(fs->store, fs->leaving.tickets,
						  fs->leaving.count) < 0)
		return;
	fs->leaving.count = 0;
	fs->outside_change = true;
}

static void *watch_main(void *arg)
{
	struct lockfs *fs = arg;
	struct recheck r = {0};
	double next_sweep = clock_monotonic() + SWEEP_EVERY, quiet_until = 0;
	bool first = true, written = false, settling = false;

	pthread_mutex_lock(&fs->lock);
	while (!fs->stopping) {
		double now = clock_monotonic(), wall = clock_wall(), wait;
		uint64_t epoch = store_epoch(fs->store);
		struct pollfd fds[2] = {
			{.fd = fs->watch_event, .events = POLLIN},
			{.fd = fs->watch_changes, .events = POLLIN},
		};
		int nfds;

		if (epoch != fs->epoch) {
			fs->epoch = epoch;
			fs->outside_change = true;
			settling = false;
		} else if (written) {
			/* Our own commit, or another's not finished yet: look again soon. */
			settling = true;
			quiet_until = now + SETTLE;
		} else if (settling && now >= quiet_until) {
			settling = false;
			quiet_until = now + QUIET; /* it was ours */
		}
		written = false;
		give_up_places(fs);
		if (fs->handles.closed && now >= fs->closed_retry_at)
			holds_retry_closed(fs);
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
			/* Bound holds of daemons that are gone (SPEC §5.3: within 2 s). */
			if (lock_release_dead(fs->store, NULL, NULL) > 0)
				fs->outside_change = true;

			next_sweep = now + SWEEP_EVERY;
			if (swept > 0) {
				fs->outside_change = true; /* the tree and known nodes changed */
				lockfs_count(fs, STATS_EXPIRIES, (uint64_t)swept);
			}
		}

		wait = next_sweep - now;
		if (fs->waitq.retry_head || fs->outside_change || fs->leaving.count)
			wait = RETRY_EVERY;
		if (fs->expiry_known)
			wait = fmin(wait, fs->next_expiry - wall);
		if (fs->handles.closed)
			wait = fmin(wait, fs->closed_retry_at - now);
		wait = fmin(wait, fs->waitq.next_deadline - now);
		/*
		 * A write to the WAL that brought no new epoch is our own commit
		 * or another's not finished yet: the epoch is looked at again
		 * after SETTLE, and if it still has not changed, the WAL is not
		 * listened to until QUIET has passed (the epoch is looked at then
		 * in any case).  So another's commit is seen within SETTLE, and
		 * our own commits wake this thread at most twice per QUIET.
		 */
		nfds = now >= quiet_until ? 2 : 1;
		if (nfds == 1)
			wait = fmin(wait, quiet_until - now);
		pthread_mutex_unlock(&fs->lock);
		poll(fds, (nfds_t)nfds, poll_ms(wait));
		pthread_mutex_lock(&fs->lock);
		if (fds[0].revents)
			drain_eventfd(fs->watch_event);
		if (nfds == 2 && fds[1].revents)
			written = store_changes_drained(fs->store);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

void watch_poke(struct lockfs *fs)
{
	uint64_t one = 1;

	if (fs->watch_started && write(fs->watch_event, &one, sizeof(one)) < 0)
		return; /* the counter is full: the thread is awake anyway */
}

static void close_watch_fds(struct lockfs *fs)
{
	if (fs->watch_event >= 0)
		close(fs->watch_event);
	fs->watch_changes = fs->watch_event = -1;
}

int watch_start(struct lockfs *fs)
{
	int rc;

	fs->watch_changes = -1;
	fs->watch_event = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rc = fs->watch_event < 0 ? -errno : store_change_fd(fs->store);
	if (rc >= 0) {
		fs->watch_changes = rc;
		rc = 0;
	}
	if (rc == 0) {
		/* What daemons that died left bound to their clients' files goes first. */
		lock_release_dead(fs->store, NULL, NULL);
		store_data_version(fs->store, &fs->data_version);
		fs->epoch = store_epoch(fs->store);
		waitq_on_place(&fs->waitq, place_changed, fs);
		fs->watch_started = true; /* before the thread: it pokes itself */
		rc = -pthread_create(&fs->watch_thread, NULL, watch_main, fs);
	}
	if (rc < 0) {
		fs->watch_started = false;
		close_watch_fds(fs);
	}
	return rc;
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
	close_watch_fds(fs);
	/* This daemon's places in line go with it (others would skip them anyway). */
	pthread_mutex_lock(&fs->lock);
	if (fs->handles.closed)
		holds_retry_closed(fs); /* a last try: what it cannot give up goes as at any stop */
	waitq_on_place(&fs->waitq, NULL, NULL);
	fs->leaving.count = 0;
	lock_leave_line_all(fs->store, instance_self());
	pthread_mutex_unlock(&fs->lock);
	free(fs->leaving.tickets);
	fs->leaving.tickets = NULL;
}
