/*
 * ops.c — the FUSE operations table and the lock handlers.
 *
 * The table at the end tells the story: each entry wraps its arguments in
 * a struct request naming the handler that runs it (request.h).  The
 * handlers of files and locks live here; extended attributes are in
 * xattr.c, directory listings in listing.c.
 *
 * Two rules shape CREATE and OPEN.  CREATE never waits: the kernel holds
 * the directory's lock meanwhile, so a waiting CREATE would freeze every
 * ls, touch and rm there.  A CREATE that finds the lock held answers
 * ESTALE (EEXIST under O_EXCL), and the kernel looks the name up again and
 * sends an OPEN, which may wait.  And the access mode decides: an open for
 * writing acquires, a read-only open never does.
 */
#include "ops.h"
#include "name.h"
#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* --- names and attributes ----------------------------------------------- */

int ops_key_of(struct lockfs *fs, fuse_ino_t dir, const char *name, char *out, size_t cap)
{
	struct node *parent = nodes_get(&fs->nodes, dir);
	int rc;

	if (!parent)
		return -ENOENT;
	if (!parent->is_dir)
		return -ENOTDIR;
	rc = name_check_component(name, strlen(name));
	if (rc == -EINVAL)
		return -ENOENT;
	if (rc < 0)
		return rc;
	rc = name_join(parent->path, name, strlen(name), out, cap);
	return rc < 0 ? rc : 0;
}

struct caller ops_caller(struct lockfs *fs, const struct request *req)
{
	struct caller who;

	caller_identify(fs->callers, req->tid, req->uid, req->gid, &who);
	return who;
}

/*
 * Has another connection written since the daemon last looked (a new
 * epoch)?  Then the tree is stale now, not in a few milliseconds: rebuild
 * it, and let the watch thread re-check waiters and known files.
 */
static void notice_outside_writes(struct lockfs *fs)
{
	uint64_t epoch = store_epoch(fs->store);

	if (epoch != fs->epoch) {
		fs->epoch = epoch;
		fs->outside_change = true;
		tree_invalidate(&fs->tree);
		watch_poke(fs);
	}
}

int ops_dir_exists(struct lockfs *fs, const char *path)
{
	if (*path)
		notice_outside_writes(fs);
	return dir_exists(fs->store, &fs->tree, path, clock_wall());
}

static void set_time(struct timespec *ts, double t)
{
	ts->tv_sec = (time_t)t;
	ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
}

static void dir_attr(struct lockfs *fs, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFDIR | 01777;
	st->st_nlink = 2;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = 4096;
	st->st_blksize = 4096;
	set_time(&st->st_mtim, fs->started);
	st->st_ctim = st->st_atim = st->st_mtim;
}

static void file_attr(struct lockfs *fs, const char *key, fuse_ino_t ino,
		      const struct lock_info *info, struct stat *st)
{
	unsigned waiters = waitq_waiting(&fs->waitq, key);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_uid = info->made_by_lockfs ? info->holder.uid : fs->uid;
	st->st_gid = info->made_by_lockfs ? info->holder.gid : fs->gid;
	st->st_size = lock_format_status(key, info, waiters, NULL, 0);
	st->st_blksize = 4096;
	set_time(&st->st_mtim, info->free ? fs->started : info->acquired);
	st->st_ctim = st->st_atim = st->st_mtim;
}

/* What a free name shows while a description is open on it: count 0, no holder. */
static void free_info(struct lock_info *info)
{
	memset(info, 0, sizeof(*info));
	info->free = true;
}

/* Remember what the kernel's node of a lock file last showed. */
static void node_saw(struct lockfs *fs, struct node *node, const struct lock_info *info)
{
	node->held = info && !info->free;
	if (!node->held)
		return;
	node->store_time = info->acquired;
	node->expires = info->expires;
	node->expire_time = info->expire_time;
	watch_expiry_hint(fs, info->expires, info->expire_time);
}

static void fill_entry(struct fuse_entry_param *e, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = st->st_ino;
	e->attr = *st;
	e->attr_timeout = 0;
	e->entry_timeout = 0;
}

/*
 * The kernel's entry for lock file key in directory parent, as info shows
 * it: its node (one more lookup), what the node saw, and its attributes.
 * -ENOMEM when no node could be made.
 */
static int lock_entry(struct lockfs *fs, fuse_ino_t parent, const char *key,
		      const struct lock_info *info, struct fuse_entry_param *e)
{
	struct node *node = nodes_lookup(&fs->nodes, parent, key, false);
	struct stat st;

	if (!node)
		return -ENOMEM;
	node_saw(fs, node, info);
	file_attr(fs, key, node->ino, info, &st);
	fill_entry(e, &st);
	return 0;
}

int ops_node_attr(struct lockfs *fs, struct node *node, struct stat *st)
{
	struct lock_info info;
	int rc;

	if (node->is_dir) {
		rc = ops_dir_exists(fs, node->path);
		if (rc <= 0)
			return rc < 0 ? rc : -ENOENT;
		dir_attr(fs, node->ino, st);
		return 0;
	}
	rc = ops_inspect(fs, node->path, &info);
	if (rc < 0)
		return rc;
	node_saw(fs, node, &info);
	file_attr(fs, node->path, node->ino, &info, st);
	lock_info_clear(&info);
	return 0;
}

int ops_inspect(struct lockfs *fs, const char *key, struct lock_info *info)
{
	int rc = lock_inspect(fs->store, key, info);

	if ((rc == -ENOENT || rc == -EEXIST) && handles_open_on(&fs->handles, key)) {
		free_info(info); /* shown while a description is open on it */
		return 0;
	}
	return rc == -EEXIST ? -ENOENT : rc;
}

/* --- lookup and getattr --------------------------------------------------- */

/* This thread's CREATE met a busy database: show the name so that its OPEN takes the lock. */
static int creating_entry(struct lockfs *fs, struct request *req, const char *key)
{
	struct node *node = nodes_lookup(&fs->nodes, req->ino, key, false);
	struct fuse_entry_param e;
	struct stat st;

	if (!node)
		return -ENOMEM;
	memset(&st, 0, sizeof(st));
	st.st_ino = node->ino;
	st.st_mode = S_IFREG | 0644;
	st.st_nlink = 1;
	st.st_uid = req->uid;
	st.st_gid = req->gid;
	fill_entry(&e, &st);
	fuse_reply_entry(req->fuse, &e);
	return REQUEST_ANSWERED;
}

static int lookup(struct lockfs *fs, struct request *req)
{
	char key[KEY_MAX_BYTES + 1];
	struct lock_info info;
	struct fuse_entry_param e;
	struct stat st;
	struct node *node;
	int rc = ops_key_of(fs, req->ino, req->name, key, sizeof(key));

	if (rc < 0)
		return rc;
	rc = lock_inspect(fs->store, key, &info);
	if ((rc == -ENOENT || rc == -EEXIST) && handles_open_on(&fs->handles, key)) {
		free_info(&info); /* shown while a description is open on it */
		rc = lock_entry(fs, req->ino, key, &info, &e);
		if (rc < 0)
			return rc;
		fuse_reply_entry(req->fuse, &e);
		return REQUEST_ANSWERED;
	}
	if (rc == 0) {
		memo_held(&fs->memo, key, store_epoch_seen(fs->store), &info);
		rc = lock_entry(fs, req->ino, key, &info, &e);
		lock_info_clear(&info);
		if (rc < 0)
			return rc;
		fuse_reply_entry(req->fuse, &e);
		return REQUEST_ANSWERED;
	}
	if (rc == -ENOENT &&
	    waitq_recall(&fs->waitq, req->tid, 0, key, req->arrived) == WAITQ_CREATING)
		return creating_entry(fs, req, key);
	if (rc != -ENOENT && rc != -EEXIST)
		return rc;
	rc = ops_dir_exists(fs, key);
	if (rc == 0)
		memo_free(&fs->memo, key, store_epoch_seen(fs->store), true);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOENT;
	node = nodes_lookup(&fs->nodes, req->ino, key, true);
	if (!node)
		return -ENOMEM;
	dir_attr(fs, node->ino, &st);
	fill_entry(&e, &st);
	fuse_reply_entry(req->fuse, &e);
	return REQUEST_ANSWERED;
}

/*
 * A name the daemon knows in this epoch, answered without SQLite: a held
 * lock not yet expired, or a free name that is no directory.  Returns
 * REQUEST_ANSWERED, or 0 when the cache must be asked.
 */
static int lookup_remembered(struct lockfs *fs, struct request *req)
{
	char key[KEY_MAX_BYTES + 1];
	const struct memo_entry *known;
	struct fuse_entry_param e;

	if (ops_key_of(fs, req->ino, req->name, key, sizeof(key)) < 0)
		return 0;
	known = memo_get(&fs->memo, key, store_epoch(fs->store));
	if (!known || !known->known)
		return 0;
	if (known->held) {
		if (known->info.expires && known->info.expire_time <= clock_wall())
			return 0;
		if (lock_entry(fs, req->ino, key, &known->info, &e) < 0)
			return 0;
		fuse_reply_entry(req->fuse, &e);
		return REQUEST_ANSWERED;
	}
	if (!known->not_dir || handles_open_on(&fs->handles, key) ||
	    waitq_recall(&fs->waitq, req->tid, 0, key, req->arrived) == WAITQ_CREATING)
		return 0;
	fuse_reply_err(req->fuse, ENOENT);
	return REQUEST_ANSWERED;
}

/* LOOKUP reads the row and maybe the directories: in one read transaction. */
static int lookup_name(struct lockfs *fs, struct request *req)
{
	int rc = lookup_remembered(fs, req);

	if (rc == REQUEST_ANSWERED)
		return rc;
	store_read_begin(fs->store);
	rc = lookup(fs, req);
	store_read_end(fs->store);
	return rc;
}

static int getattr_node(struct lockfs *fs, struct request *req)
{
	struct node *node = nodes_get(&fs->nodes, req->ino);
	struct stat st;
	int rc = node ? ops_node_attr(fs, node, &st) : -ENOENT;

	if (rc < 0)
		return rc;
	fuse_reply_attr(req->fuse, &st, 0);
	return REQUEST_ANSWERED;
}

/* --- acquiring ------------------------------------------------------------ */

static int take(struct lockfs *fs, struct request *req, const char *key, const struct caller *who,
		unsigned flags, struct lock_ticket *ticket, struct lock_grant *grant,
		struct lock_info *info);

enum acquire_how {
	ACQUIRE_CREATE, /* a CREATE: never waits (the kernel holds the directory) */
	ACQUIRE_TRY,    /* flock LOCK_NB, F_SETLK: a holder is an answer, not a wait */
	ACQUIRE_WAIT,   /* an open, flock, F_SETLKW: waits in line */
};

/* The daemon now holds a fresh lock on key (or a new count): keep the tree and node true. */
static void note_granted(struct lockfs *fs, const char *key, const struct lock_grant *grant)
{
	struct node *node = nodes_find(&fs->nodes, key);

	memo_touched(&fs->memo, key); /* its status changed: its writer may tell it */
	if (strchr(key, '/'))
		memo_forget_dirs(&fs->memo, key);
	if (grant->fresh) {
		tree_add(&fs->tree, key, grant->expires, grant->expire_time);
		lockfs_count(fs, STATS_ACQUISITIONS, 1);
	}
	if (grant->expired)
		lockfs_count(fs, STATS_EXPIRIES, 1);
	if (node && !node->is_dir) {
		node->held = true;
		node->store_time = grant->acquired;
		node->expires = grant->expires;
		node->expire_time = grant->expire_time;
	}
	watch_expiry_hint(fs, grant->expires, grant->expire_time);
}

static void note_released(struct lockfs *fs, const char *key)
{
	struct node *node = nodes_find(&fs->nodes, key);

	memo_free(&fs->memo, key, store_epoch_seen(fs->store), false);
	tree_remove(&fs->tree, key);
	if (node && !node->is_dir)
		node->held = false;
}

/* Grant a waiter whose acquisition just committed. */
void ops_carry(struct lockfs *fs, struct handle *handle, const struct lock_hold *hold)
{
	if (handles_carry(&fs->handles, handle, hold->binding, hold->shared, hold->owner) < 0)
		lockfs_log(LOG_WARNING, "lock %s: out of memory: a record lock stays until the stop",
			   handle->key);
}

static void grant_waiter(struct lockfs *fs, struct request *waiter, const struct lock_grant *grant)
{
	note_granted(fs, waiter->key, grant);
	lockfs_time(fs, &fs->stats.wait, clock_monotonic() - waiter->arrived);
	waiter->generation = grant->generation;
	waiter->ticket = 0; /* its place in line went with the grant */
	if (waiter->bound && waiter->handle && !waiter->handle_owned)
		ops_carry(fs, waiter->handle, &waiter->hold); /* flock, fcntl: the description */
	waitq_decide(&fs->waitq, waiter, 0);
}

bool ops_shadowed(struct lockfs *fs, const char *key, const struct request *req)
{
	return req->bound &&
	       handles_closed_owner(&fs->handles, key, req->hold.binding, req->hold.owner);
}

void lockfs_offer_to_head(struct lockfs *fs, const char *key)
{
	struct request *head;

	while ((head = waitq_head(&fs->waitq, key)) && !ops_shadowed(fs, key, head)) {
		struct lock_ticket ticket = {.id = head->ticket, .instance = instance_self()};
		bool shared = head->bound && head->hold.shared;
		struct lock_grant grant;
		int rc = take(fs, head, key, &head->who, 0, &ticket, &grant, NULL);

		if (rc == 0) {
			grant_waiter(fs, head, &grant);
			if (shared)
				continue; /* the next may share it too */
			return;
		}
		if (rc == -EBUSY)
			return;
		if (rc == -EAGAIN || rc == -EIO) {
			/* Busy, or no etcd member answered: the head keeps waiting. */
			fs->outside_change = true; /* the watch thread offers it again */
			return;
		}
		waitq_decide(&fs->waitq, head, rc); /* -EEXIST: data appeared under the name */
	}
}

/* The timeout in force for key's directory. */
static int timeout_for(struct lockfs *fs, const char *key, double *timeout)
{
	char dir[KEY_MAX_BYTES + 1];
	struct policy policy;
	int rc;

	name_dir_of(key, dir, sizeof(dir));
	rc = policy_resolve(fs->store, dir, &fs->opts.defaults, &policy);
	if (rc == 0) {
		*timeout = policy.timeout;
		policy_clear(&policy);
	}
	return rc;
}

/*
 * A CREATE found the lock taken, its place taken by waiters (of this or
 * another mount of the cache), or the database busy.  Never wait in
 * CREATE: the kernel holds the directory meanwhile.  ESTALE sends the
 * kernel back through LOOKUP and OPEN, and OPEN may wait; a note makes this
 * thread's LOOKUP show the name even if the lock is free just then (see
 * waitq_note).  Under O_EXCL a taken lock is EEXIST and a busy database
 * EAGAIN.
 */
static int create_refused(struct lockfs *fs, struct request *req, const char *key, int rc,
			  unsigned flags)
{
	if (rc == -EBUSY && (flags & LOCK_REENTER_ONLY))
		lockfs_offer_to_head(fs, key); /* free but queued for: give it to the queue first */
	if (flags & LOCK_EXCLUSIVE) {
		/* Answered here: -EAGAIN from a handler would mean "retry later". */
		fuse_reply_err(req->fuse, rc == -EBUSY ? EEXIST : EAGAIN);
		return REQUEST_ANSWERED;
	}
	waitq_note(&fs->waitq, req->tid, 0, key, WAITQ_CREATING, clock_monotonic());
	return -ESTALE;
}

/*
 * Take the lock of key for req, or queue req for it (may_wait: an OPEN).
 * Returns 0 when taken (grant and, when given, info filled; the caller
 * answers), REQUEST_ANSWERED, REQUEST_HELD, or -errno.
 */
/* Take the lock of key for req: a bound hold when req asks for one, else an open's lock. */
static int take(struct lockfs *fs, struct request *req, const char *key, const struct caller *who,
		unsigned flags, struct lock_ticket *ticket, struct lock_grant *grant,
		struct lock_info *info)
{
	if (req->bound)
		return lock_acquire_bound(fs->store, key, who, &fs->opts.defaults, &req->hold, ticket,
					  grant);
	return lock_acquire(fs->store, key, who, &fs->opts.defaults, flags, ticket, grant, info);
}

/*
 * Is fresh the parked request's call made again?  An open by an open (each
 * open has a description of its own, a bound one too); a flock or record
 * lock by one through the same description, for the same owner and mode
 * (the parked one's description may be closed and gone since).
 */
static bool resumes(const struct request *parked, const struct request *fresh)
{
	bool open = !fresh->bound || fresh->hold.binding == STORE_BOUND_OPEN;

	if (parked->bound != fresh->bound || parked->hold.binding != fresh->hold.binding)
		return false;
	return open || (parked->handle == fresh->handle && parked->hold.owner == fresh->hold.owner &&
			parked->hold.shared == fresh->hold.shared);
}

/*
 * Take the lock of key for req (how: a CREATE, which never waits; a try,
 * which never waits either; or a wait, in line), or queue req for it.
 * Returns 0 when taken (grant and, when given, info filled; the caller
 * answers), REQUEST_ANSWERED, REQUEST_HELD, -EBUSY for a try that met a
 * holder, or -errno.  Opens wait up to the timeout in force; bound holds
 * of flock and fcntl wait without one, as the kernel's own locks do.
 */
static int acquire(struct lockfs *fs, struct request *req, const char *key, unsigned flags,
		   enum acquire_how how, struct lock_grant *grant, struct lock_info *info)
{
	struct lock_ticket ticket = {.id = req->ticket, .instance = instance_self()};
	struct request *parked = NULL;
	bool known = req->key != NULL; /* a re-run that kept who and deadline */
	bool timed = !req->bound || req->hold.binding == STORE_BOUND_OPEN;
	double timeout = INFINITY, deadline = INFINITY;
	struct caller who;
	int rc;

	if (how == ACQUIRE_WAIT && req->state == REQUEST_NEW)
		parked = waitq_parked(&fs->waitq, key, req->tid);
	if (parked && resumes(parked, req) && waitq_resume(&fs->waitq, parked, req) == 0) {
		/* Back within a second of an interrupt: same place, same deadline. */
		lockfs_offer_to_head(fs, key);
		return REQUEST_HELD;
	}
	if (how == ACQUIRE_WAIT) {
		/* Known before trying, so that a place in line is taken only by one that waits. */
		if (!known && timed && timeout_for(fs, key, &timeout) < 0)
			return -EAGAIN; /* the policy could not be read: try it all again */
		deadline = known ? req->deadline : req->arrived + timeout;
		ticket.take = clock_monotonic() < deadline;
	}
	who = known ? req->who : ops_caller(fs, req);
	if (waitq_waiting(&fs->waitq, key))
		flags |= LOCK_REENTER_ONLY; /* first come, first served */
	rc = take(fs, req, key, &who, flags, &ticket, grant, info);
	req->ticket = ticket.id;
	if (rc == 0) {
		note_granted(fs, key, grant);
		return 0;
	}
	if (rc != -EBUSY && rc != -EAGAIN)
		return rc;
	if (how == ACQUIRE_CREATE)
		return create_refused(fs, req, key, rc, flags);
	if (rc == -EAGAIN)
		return rc;
	if (how == ACQUIRE_TRY)
		return -EBUSY;
	if (!ticket.take) {
		lockfs_count(fs, STATS_TIMEOUTS, 1); /* a timeout of 0, or past it */
		return -ETIMEDOUT;
	}
	if (!known) {
		req->key = strdup(key);
		if (!req->key)
			return -ENOMEM;
		req->who = who;
		req->deadline = deadline;
	}
	if (waitq_enqueue(&fs->waitq, req) < 0)
		return -EAGAIN; /* out of memory for a queue: try again later, in line */
	lockfs_count(fs, STATS_WAITS, 1);
	if (flags & LOCK_REENTER_ONLY)
		lockfs_offer_to_head(fs, key); /* the lock may be free with others queued first */
	return REQUEST_HELD;
}

/*
 * O_TRUNC of an open that re-entered its lock (">", the kernel passes it
 * to OPEN and CREATE): the note starts empty again.  The lock is held by now: a failure to cut is logged,
 * not answered.
 */
static void cut_note_on_open(struct lockfs *fs, struct request *req, const char *key,
			     const struct lock_grant *grant)
{
	struct caller who;
	int rc;

	if (!(req->fi.flags & O_TRUNC) || grant->fresh) /* a fresh lock has no note */
		return;
	who = ops_caller(fs, req);
	rc = lock_cut_note(fs->store, key, &who, NULL, 0);
	memo_touched(&fs->memo, key);
	if (rc < 0 && rc != -ENOENT)
		lockfs_log(LOG_WARNING, "lock %s: the note of an O_TRUNC open was not cut: %s", key,
			   strerror(-rc));
}

/* What an open for writing does in key's directory (SPEC §5.1), remembered per epoch. */
static int open_mode_of(struct lockfs *fs, const char *key, enum policy_open *mode)
{
	char dir[KEY_MAX_BYTES + 1];
	uint64_t epoch = store_epoch(fs->store);
	struct policy policy;
	char *copy;
	int rc;

	name_dir_of(key, dir, sizeof(dir));
	if (fs->open_modes.epoch == epoch && fs->open_modes.dir &&
	    strcmp(fs->open_modes.dir, dir) == 0) {
		*mode = fs->open_modes.mode;
		return 0;
	}
	rc = policy_resolve(fs->store, dir, &fs->opts.defaults, &policy);
	if (rc < 0)
		return rc;
	*mode = policy.open;
	policy_clear(&policy);
	copy = strdup(dir);
	if (copy) {
		free(fs->open_modes.dir);
		fs->open_modes.dir = copy;
		fs->open_modes.mode = *mode;
		fs->open_modes.epoch = epoch;
	}
	return 0;
}

/* The description an open makes (req owns it until the kernel takes it). */
static int open_description(struct lockfs *fs, struct request *req, const char *key)
{
	if (req->handle)
		return 0;
	req->handle = handles_open(&fs->handles, key);
	if (!req->handle)
		return -ENOMEM;
	req->handle_owned = true;
	return 0;
}

/* Ask for the hold that an open in a "bound" directory takes: its description's. */
static void bind_to_description(struct request *req)
{
	req->bound = true;
	req->hold = (struct lock_hold){.binding = STORE_BOUND_OPEN,
				       .owner = req->handle->id,
				       .instance = instance_self()};
}

static int open_node(struct lockfs *fs, struct request *req)
{
	struct node *node = nodes_get(&fs->nodes, req->ino);
	enum policy_open mode = POLICY_OPEN_ACQUIRE;
	struct lock_grant grant;
	struct lock_info info;
	int rc;

	if (!node)
		return -ENOENT;
	if (node->is_dir)
		return -EISDIR;
	rc = open_description(fs, req, node->path);
	if (rc == 0 && (req->fi.flags & O_ACCMODE) != O_RDONLY)
		rc = open_mode_of(fs, node->path, &mode);
	if (rc < 0)
		return rc;
	if ((req->fi.flags & O_ACCMODE) == O_RDONLY || mode == POLICY_OPEN_NONE) {
		/* Reading never acquires and never waits; nor does an open where opens take nothing. */
		if (!handles_open_on(&fs->handles, node->path)) {
			rc = lock_inspect(fs->store, node->path, &info);
			if (rc < 0)
				return rc == -EEXIST ? -ENOENT : rc;
			lock_info_clear(&info);
		}
		request_reply_open(req, false);
		return REQUEST_ANSWERED;
	}
	waitq_unnote(&fs->waitq, req->tid, node->path); /* a CREATE sent back here is served */
	if (mode == POLICY_OPEN_BOUND)
		bind_to_description(req);
	rc = acquire(fs, req, node->path, 0, ACQUIRE_WAIT, &grant, NULL);
	if (rc < 0 && rc != -EAGAIN) /* -EAGAIN: tried again later */
		waitq_note(&fs->waitq, req->tid, ops_caller(fs, req).start_time, node->path, rc,
			   clock_monotonic());
	if (rc != 0)
		return rc;
	req->generation = grant.generation;
	if (!req->bound)
		cut_note_on_open(fs, req, node->path, &grant);
	request_reply_open(req, true);
	return REQUEST_ANSWERED;
}

/* A CREATE that takes nothing (read-only, or where opens take nothing): the name as it is. */
static int create_description(struct lockfs *fs, struct request *req, const char *key)
{
	struct fuse_entry_param e;
	struct lock_info info;
	int rc = ops_inspect(fs, key, &info);

	if (rc == -ENOENT) {
		free_info(&info); /* shown from now on, while the description is open */
		rc = 0;
	}
	if (rc < 0)
		return rc;
	rc = lock_entry(fs, req->ino, key, &info, &e);
	lock_info_clear(&info);
	if (rc < 0)
		return rc;
	request_reply_create(req, &e, false);
	return REQUEST_ANSWERED;
}

static int create_lock(struct lockfs *fs, struct request *req)
{
	char key[KEY_MAX_BYTES + 1];
	enum policy_open mode = POLICY_OPEN_ACQUIRE;
	struct fuse_entry_param e;
	struct lock_grant grant;
	struct lock_info info;
	int rc = ops_key_of(fs, req->ino, req->name, key, sizeof(key));

	if (rc == 0)
		rc = open_description(fs, req, key);
	if (rc == 0 && (req->fi.flags & O_ACCMODE) != O_RDONLY)
		rc = open_mode_of(fs, key, &mode);
	if (rc < 0)
		return rc;
	if ((req->fi.flags & O_ACCMODE) == O_RDONLY || mode == POLICY_OPEN_NONE)
		return create_description(fs, req, key); /* flock(1) opens O_RDONLY|O_CREAT */
	if (mode == POLICY_OPEN_BOUND)
		bind_to_description(req);
	rc = acquire(fs, req, key, (req->fi.flags & O_EXCL) ? LOCK_EXCLUSIVE : 0, ACQUIRE_CREATE,
		     &grant, req->bound ? NULL : &info);
	if (rc != 0)
		return rc;
	if (req->bound) {
		rc = lock_inspect(fs->store, key, &info);
		if (rc < 0)
			free_info(&info);
	} else {
		memo_held(&fs->memo, key, store_epoch_seen(fs->store), &info);
	}
	rc = lock_entry(fs, req->ino, key, &info, &e);
	lock_info_clear(&info);
	if (!req->bound)
		cut_note_on_open(fs, req, key, &grant);
	if (rc < 0)
		return rc; /* the lock stays held: rm releases it */
	req->generation = grant.generation;
	request_reply_create(req, &e, true);
	return REQUEST_ANSWERED;
}

int ops_acquire_hold(struct lockfs *fs, struct request *req, const char *key, bool nonblocking,
		     struct lock_grant *grant)
{
	return acquire(fs, req, key, 0, nonblocking ? ACQUIRE_TRY : ACQUIRE_WAIT, grant, NULL);
}

/* --- releasing ------------------------------------------------------------ */

struct request *ops_successor(struct lockfs *fs, const char *key, struct lock_successor *next)
{
	struct request *head = waitq_head(&fs->waitq, key);

	memset(next, 0, sizeof(*next));
	if (head && ops_shadowed(fs, key, head))
		head = NULL; /* it keeps its place; offered once the closed hold is given up */
	if (head) {
		next->who = &head->who;
		next->defaults = &fs->opts.defaults;
		next->ticket = head->ticket;
		next->hold = head->bound ? &head->hold : NULL;
	}
	return head;
}

void ops_released(struct lockfs *fs, const struct request *req, const char *key,
		  const struct lock_outcome *out, struct request *head)
{
	if (out->kind != LOCK_DECREMENTED) {
		lockfs_count(fs, STATS_RELEASES, 1);
		lockfs_time(fs, &fs->stats.hold, clock_wall() - out->acquired);
	}
	if (out->kind == LOCK_HANDED_OVER)
		grant_waiter(fs, head, &out->successor);
	else if (out->kind == LOCK_RELEASED)
		note_released(fs, key);
	if (out->broken) {
		lockfs_count(fs, STATS_BREAKS, 1);
		lockfs_log(LOG_INFO, "lock %s held by %s (count %lld) broken by uid %u pid %d",
			   key, out->owner[0] ? out->owner : "a SyncLock", (long long)out->count,
			   (unsigned)req->uid, (int)req->tid);
	}
}

static int unlink_lock(struct lockfs *fs, struct request *req)
{
	char key[KEY_MAX_BYTES + 1];
	struct lock_successor next;
	struct lock_outcome out;
	struct request *head;
	struct caller who;
	int rc = ops_key_of(fs, req->ino, req->name, key, sizeof(key));

	if (rc < 0)
		return rc;
	who = ops_caller(fs, req);
	head = ops_successor(fs, key, &next);
	if (req->aim) {
		rc = lock_unlink_again(fs->store, key, &who, req->aim, head ? &next : NULL, &out);
		if (rc == -ESTALE) {
			/*
			 * The lock it was for is gone: by its own first commit (the
			 * lock went, its successor's grant did not), or released or
			 * broken meanwhile.  Done; what is left is offered on.
			 */
			memo_touched(&fs->memo, key);
			fs->outside_change = true; /* what the tree shows of it is looked at again */
			lockfs_offer_to_head(fs, key);
			return 0;
		}
	} else {
		rc = lock_unlink(fs->store, key, &who, head ? &next : NULL, &out);
	}
	if (rc == -EAGAIN && out.generation)
		req->aim = out.generation; /* decided again later: on this lock, never on the next */
	if (rc == -ENOENT && ops_dir_exists(fs, key) == 1)
		rc = -EISDIR;
	if (rc < 0)
		return rc;
	ops_released(fs, req, key, &out, head);
	return 0;
}

/* --- setattr and read ----------------------------------------------------- */

/*
 * chmod and chown: a lock file's mode and owner are the lock's, so only
 * "changes" to the values it has already succeed (cp -p, tar and rsync set
 * them as a matter of course).  0, or -EPERM for a real change.
 */
static int unchanged_mode_and_owner(const struct request *req, const struct stat *now)
{
	int to_set = req->flags;

	if ((to_set & FUSE_SET_ATTR_MODE) && (req->attr.st_mode & 07777) != (now->st_mode & 07777))
		return -EPERM;
	if ((to_set & FUSE_SET_ATTR_UID) && req->attr.st_uid != now->st_uid)
		return -EPERM;
	if ((to_set & FUSE_SET_ATTR_GID) && req->attr.st_gid != now->st_gid)
		return -EPERM;
	return 0;
}

static int setattr_node(struct lockfs *fs, struct request *req)
{
	struct node *node = nodes_get(&fs->nodes, req->ino);
	int to_set = req->flags;
	struct caller who;
	struct stat st;
	bool times;
	int rc;

	if (!node)
		return -ENOENT;
	who = ops_caller(fs, req);
	times = !node->is_dir && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
					     FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW));
	/* touch after its open failed: the same answer, before the store is asked. */
	rc = times ? waitq_recall(&fs->waitq, req->tid, who.start_time, node->path, req->arrived)
		   : 0;
	if (rc < 0)
		return rc;
	rc = ops_node_attr(fs, node, &st);
	if (rc == 0)
		rc = unchanged_mode_and_owner(req, &st);
	if (rc < 0)
		return rc;
	if (times) {
		/* touch -c: renew, expiry = now + the TTL in force. */
		rc = lock_renew(fs->store, node->path, &who, &fs->opts.defaults, &req->aim);
		if (rc == -ESTALE)
			rc = -ENOENT; /* decided again: the lock it renewed is gone */
		if (rc == 1) {
			lockfs_count(fs, STATS_RENEWALS, 1); /* a TTL moved the expiry */
			rc = 0;
		}
		memo_touched(&fs->memo, node->path);
		if (rc < 0)
			return rc;
	}
	if (!node->is_dir && (to_set & FUSE_SET_ATTR_SIZE)) {
		/* truncate, and the O_TRUNC of "echo $$ > lock": cuts the note. */
		rc = lock_cut_note(fs->store, node->path, &who, &req->aim,
				   (uint64_t)req->attr.st_size);
		memo_touched(&fs->memo, node->path);
		if (rc == -ESTALE)
			rc = -ENOENT; /* decided again: the lock whose note it cut is gone */
		if (rc < 0)
			return rc;
	}
	rc = ops_node_attr(fs, node, &st);
	if (rc < 0)
		return rc;
	fuse_reply_attr(req->fuse, &st, 0);
	return REQUEST_ANSWERED;
}

/*
 * write: what the holder writes is the lock's note, through the handle
 * that acquired it (echo $$ > lock records the pid).  Past STORE_NOTE_MAX
 * bytes the write fails EFBIG and keeps nothing, so that mv or cp of a real
 * file into the mount fails instead of losing it.
 */
static int write_note(struct lockfs *fs, struct request *req)
{
	struct handle *handle = (struct handle *)(uintptr_t)req->fi.fh;
	struct node *node = nodes_get(&fs->nodes, req->ino);
	int rc;

	if (!node || node->is_dir)
		return node ? -EISDIR : -ENOENT;
	if (!handle || !handle->acquired)
		return -EBADF;
	rc = lock_write_note(fs->store, node->path, handle->generation,
			     handle->appends ? LOCK_NOTE_APPEND : (uint64_t)req->offset, req->value,
			     req->size);
	memo_touched(&fs->memo, node->path);
	if (rc < 0)
		return rc;
	fuse_reply_write(req->fuse, req->size);
	return REQUEST_ANSWERED;
}

static int read_status(struct lockfs *fs, struct request *req)
{
	struct node *node = nodes_get(&fs->nodes, req->ino);
	struct lock_info info;
	unsigned waiters;
	char *text = NULL;
	int len = 0, rc;

	if (!node)
		return -ENOENT;
	rc = ops_inspect(fs, node->path, &info);
	if (rc == -EAGAIN)
		return rc;
	if (rc == 0) {
		/* A lock released meanwhile reads as empty. */
		waiters = waitq_waiting(&fs->waitq, node->path);
		len = lock_format_status(node->path, &info, waiters, NULL, 0);
		text = malloc((size_t)len + 1);
		if (text)
			lock_format_status(node->path, &info, waiters, text, (size_t)len + 1);
		lock_info_clear(&info);
		if (!text)
			return -ENOMEM;
	}
	if (req->offset >= len)
		fuse_reply_buf(req->fuse, NULL, 0);
	else
		fuse_reply_buf(req->fuse, text + req->offset,
			       (size_t)len - (size_t)req->offset < req->size
				       ? (size_t)len - (size_t)req->offset
				       : req->size);
	free(text);
	return REQUEST_ANSWERED;
}

/* --- directories ------------------------------------------------------------ */

static int make_dir(struct lockfs *fs, struct request *req)
{
	char key[KEY_MAX_BYTES + 1];
	struct fuse_entry_param e;
	struct node *node;
	struct stat st;
	struct caller who = {.uid = req->uid, .gid = req->gid};
	int rc = ops_key_of(fs, req->ino, req->name, key, sizeof(key));

	if (rc == 0 && ops_dir_exists(fs, key) == 1)
		rc = -EEXIST;
	if (rc == 0)
		rc = dir_make(fs->store, key, &who);
	memo_forget(&fs->memo, key);
	fs->open_modes.epoch = 0;
	if (rc < 0)
		return rc;
	node = nodes_lookup(&fs->nodes, req->ino, key, true);
	if (!node)
		return -ENOMEM;
	dir_attr(fs, node->ino, &st);
	fill_entry(&e, &st);
	fuse_reply_entry(req->fuse, &e);
	return REQUEST_ANSWERED;
}

static int remove_dir(struct lockfs *fs, struct request *req)
{
	char key[KEY_MAX_BYTES + 1];
	struct caller who = {.uid = req->uid, .gid = req->gid};
	int rc = ops_key_of(fs, req->ino, req->name, key, sizeof(key));

	fs->open_modes.epoch = 0;
	return rc < 0 ? rc : dir_remove(fs->store, key, &who);
}

/* --- the table ------------------------------------------------------------- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* No readdirplus, no writeback cache: every answer comes fresh from the cache. */
	conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_WRITEBACK_CACHE |
				  FUSE_CAP_EXPORT_SUPPORT);
}

static void op_lookup(fuse_req_t fuse, fuse_ino_t parent, const char *name)
{
	request_dispatch(fuse, request_new(fuse, lookup_name, parent, name));
}

static void op_forget(fuse_req_t fuse, fuse_ino_t ino, uint64_t nlookup)
{
	struct lockfs *fs = fuse_req_userdata(fuse);

	pthread_mutex_lock(&fs->lock);
	nodes_forget(&fs->nodes, ino, nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(fuse);
}

static void op_forget_multi(fuse_req_t fuse, size_t count, struct fuse_forget_data *forgets)
{
	struct lockfs *fs = fuse_req_userdata(fuse);

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < count; i++)
		nodes_forget(&fs->nodes, forgets[i].ino, forgets[i].nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(fuse);
}

static void op_getattr(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi)
{
	request_dispatch(fuse, request_new(fuse, getattr_node, ino, NULL));
}

static void op_setattr(fuse_req_t fuse, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct request *req = request_new(fuse, setattr_node, ino, NULL);

	if (req) {
		req->flags = to_set;
		req->attr = *attr;
	}
	request_dispatch(fuse, req);
}

static void op_open(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct request *req = request_new(fuse, open_node, ino, NULL);

	if (req)
		req->fi = *fi;
	request_dispatch(fuse, req);
}

static void op_create(fuse_req_t fuse, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct request *req = request_new(fuse, create_lock, parent, name);

	if (req)
		req->fi = *fi;
	request_dispatch(fuse, req);
}

static void op_read(fuse_req_t fuse, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct request *req = request_new(fuse, read_status, ino, NULL);

	if (req) {
		req->size = size;
		req->offset = off;
	}
	request_dispatch(fuse, req);
}

static void op_write(fuse_req_t fuse, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct request *req = request_new(fuse, write_note, ino, NULL);

	if (req && size > STORE_NOTE_MAX) {
		fuse_reply_err(fuse, EFBIG); /* more than a note can hold: nothing is kept */
		request_free(req);
		return;
	}
	if (req) {
		req->value = malloc(size ? size : 1);
		if (!req->value) {
			request_free(req);
			req = NULL;
		} else {
			memcpy(req->value, buf, size);
			req->size = size;
			req->offset = off;
			req->fi = *fi;
		}
	}
	request_dispatch(fuse, req);
}

static void op_unlink(fuse_req_t fuse, fuse_ino_t parent, const char *name)
{
	request_dispatch(fuse, request_new(fuse, unlink_lock, parent, name));
}

static void op_mkdir(fuse_req_t fuse, fuse_ino_t parent, const char *name, mode_t mode)
{
	request_dispatch(fuse, request_new(fuse, make_dir, parent, name));
}

static void op_rmdir(fuse_req_t fuse, fuse_ino_t parent, const char *name)
{
	request_dispatch(fuse, request_new(fuse, remove_dir, parent, name));
}

static void op_opendir(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct request *req = request_new(fuse, listing_open, ino, NULL);

	if (req)
		req->fi = *fi;
	request_dispatch(fuse, req);
}

static void op_getxattr(fuse_req_t fuse, fuse_ino_t ino, const char *name, size_t size)
{
	struct request *req = request_new(fuse, xattr_get, ino, name);

	if (req)
		req->size = size;
	request_dispatch(fuse, req);
}

static void op_listxattr(fuse_req_t fuse, fuse_ino_t ino, size_t size)
{
	struct request *req = request_new(fuse, xattr_list, ino, NULL);

	if (req)
		req->size = size;
	request_dispatch(fuse, req);
}

static void op_setxattr(fuse_req_t fuse, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct request *req = request_new(fuse, xattr_set, ino, name);

	if (req) {
		req->value = malloc(size + 1);
		if (!req->value) {
			request_free(req);
			req = NULL;
		} else {
			memcpy(req->value, value, size);
			req->value[size] = '\0';
			req->size = size;
		}
	}
	request_dispatch(fuse, req);
}

static void op_removexattr(fuse_req_t fuse, fuse_ino_t ino, const char *name)
{
	request_dispatch(fuse, request_new(fuse, xattr_remove, ino, name));
}

static void op_rename(fuse_req_t fuse, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	fuse_reply_err(fuse, EPERM);
}

static void op_link(fuse_req_t fuse, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	fuse_reply_err(fuse, EPERM);
}

static void op_symlink(fuse_req_t fuse, const char *link, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(fuse, EPERM);
}

static void op_mknod(fuse_req_t fuse, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	fuse_reply_err(fuse, EPERM);
}

static const struct fuse_lowlevel_ops operations = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.unlink = op_unlink,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.opendir = op_opendir,
	.readdir = listing_read,
	.releasedir = listing_release,
	.flush = holds_flush,
	.release = holds_release,
	.flock = holds_flock,
	.getlk = holds_getlk,
	.setlk = holds_setlk,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
	.rename = op_rename,
	.link = op_link,
	.symlink = op_symlink,
	.mknod = op_mknod,
};

const struct fuse_lowlevel_ops *lockfs_operations(void)
{
	return &operations;
}
