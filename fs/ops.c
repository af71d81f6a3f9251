/*
 * ops.c — the FUSE operations.  The table at the end tells the story: each
 * handler copies its request into a struct op and hands it to dispatch(),
 * which runs it under the daemon's lock.  An op that meets a busy database
 * or must wait for a lock becomes a struct pending (waitq.h) and is
 * answered later; everything else is answered at once.
 *
 * Two rules shape CREATE and OPEN.  CREATE never waits: the kernel holds
 * the directory's lock meanwhile, so a waiting CREATE would freeze every
 * ls, touch and rm there.  A CREATE that finds the lock held answers
 * ESTALE (EEXIST under O_EXCL), and the kernel looks the name up again and
 * sends an OPEN, which may wait.  And the access mode decides: an open for
 * writing acquires, a read-only open never does.
 */
#include "lockfs.h"
#include "name.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define STATUS_MAX 8192
#define XATTR_PREFIX "user.lock."

/*
 * What running an op did.  OP_DONE: answered; the caller frees the op (and
 * a re-run's pending).  OP_PENDING: a pending owns the op now (for a first
 * run, *queued is it, not yet registered).  OP_GRANTED (acquire() only):
 * the lock was taken; the caller answers.  run() never frees a re-run's
 * own pending.
 */
enum run_result { OP_DONE = 0, OP_PENDING = 1, OP_GRANTED = 2 };

static int run(struct lockfs *fs, struct op *op, struct pending *self, struct pending **queued);

double lockfs_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- requests ----------------------------------------------------------- */

static struct op *op_new(enum op_kind kind, fuse_req_t req, fuse_ino_t ino, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->kind = kind;
	op->req = req;
	op->uid = ctx->uid;
	op->gid = ctx->gid;
	op->tid = ctx->pid;
	op->ino = ino;
	op->arrived = lockfs_clock();
	if (name && !(op->name = strdup(name))) {
		free(op);
		return NULL;
	}
	return op;
}

/*
 * Interrupt callback.  Registered: answer EINTR now (an acquisition keeps a
 * parked place for a second).  Not yet registered (libfuse calls us from
 * inside fuse_req_interrupt_func, where answering would free the request
 * under its own lock): decide, and let the registering thread answer.
 */
static void on_interrupt(fuse_req_t req, void *data)
{
	struct lockfs *fs = data;
	struct pending *p;

	pthread_mutex_lock(&fs->lock);
	p = waitq_by_req(&fs->waitq, req);
	if (p && p->state != PENDING_DECIDED) {
		if (p->registered && p->state == PENDING_WAITING) {
			fuse_reply_err(req, EINTR);
			waitq_park(&fs->waitq, p, lockfs_clock() + 1.0);
		} else {
			waitq_decide(&fs->waitq, p, -EINTR);
		}
	}
	pthread_mutex_unlock(&fs->lock);
}

/* Run a new request; register the interrupt callback of one left pending. */
static void dispatch(struct op *op, fuse_req_t req)
{
	struct lockfs *fs = fuse_req_userdata(req);
	struct pending *p = NULL;
	int rc;

	if (!op) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	rc = run(fs, op, NULL, &p);
	if (rc == OP_PENDING)
		watch_poke(fs);
	pthread_mutex_unlock(&fs->lock);
	if (rc != OP_PENDING) {
		op_free(op);
		return;
	}
	fuse_req_interrupt_func(req, on_interrupt, fs);
	pthread_mutex_lock(&fs->lock);
	waitq_registered(&fs->waitq, p);
	pthread_mutex_unlock(&fs->lock);
}

void lockfs_retry(struct lockfs *fs, struct pending *p)
{
	struct pending *queued = NULL;

	if (run(fs, p->op, p, &queued) == OP_DONE)
		waitq_finish(&fs->waitq, p);
}

/*
 * The database was busy: keep the request in the retry list (the watch
 * thread runs it again) and report it pending.
 */
static int defer(struct lockfs *fs, struct op *op, struct pending *self, struct pending **queued)
{
	if (!self) {
		self = waitq_new(op);
		if (!self) {
			fuse_reply_err(op->req, ENOMEM);
			return OP_DONE;
		}
		waitq_retry_later(&fs->waitq, self);
	}
	*queued = self;
	return OP_PENDING;
}

/* Answer err, unless it is -EAGAIN, which defers the request. */
static int answer(struct lockfs *fs, struct op *op, struct pending *self, struct pending **queued,
		  int err)
{
	if (err == -EAGAIN)
		return defer(fs, op, self, queued);
	fuse_reply_err(op->req, -err);
	return OP_DONE;
}

/* --- names and attributes ----------------------------------------------- */

/* The key of name in directory node dir, in out.  0 or -errno. */
static int key_of(struct lockfs *fs, fuse_ino_t dir, const char *name, char *out, size_t cap)
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

/*
 * Has another connection written since the watch thread last looked?  Then
 * the tree is stale now, not in a few milliseconds: rebuild it, and let the
 * watch thread re-check waiters and known files.
 */
static void notice_outside_writes(struct lockfs *fs)
{
	int64_t version;

	if (store_data_version(fs->store, &version) == 0 && version != fs->data_version) {
		fs->data_version = version;
		fs->outside_change = true;
		tree_invalidate(&fs->tree);
		watch_poke(fs);
	}
}

/* 1 when path is a directory (kept, or above a held lock or a kept one), 0, or -errno. */
static int dir_exists(struct lockfs *fs, const char *path)
{
	int rc;

	if (!*path)
		return 1;
	rc = store_dir_kept(fs->store, path);
	if (rc != 0)
		return rc;
	notice_outside_writes(fs);
	rc = tree_ensure(&fs->tree, fs->store, lock_now());
	if (rc < 0)
		return rc;
	return tree_has_below(&fs->tree, path);
}

static void set_time(struct timespec *ts, double t);

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

static void set_time(struct timespec *ts, double t)
{
	ts->tv_sec = (time_t)t;
	ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
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
	set_time(&st->st_mtim, info->acquired);
	st->st_ctim = st->st_atim = st->st_mtim;
}

/* Remember what the kernel's node of a lock file last showed. */
static void node_saw(struct lockfs *fs, struct node *node, const struct lock_info *info)
{
	if (!node)
		return;
	node->held = info != NULL;
	if (!info)
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
 * Clears info.  -ENOMEM when no node could be made.
 */
static int lock_entry(struct lockfs *fs, fuse_ino_t parent, const char *key,
		      struct lock_info *info, struct fuse_entry_param *e)
{
	struct node *node = nodes_lookup(&fs->nodes, parent, key, false);
	struct stat st;

	if (node) {
		node_saw(fs, node, info);
		file_attr(fs, key, node->ino, info, &st);
		fill_entry(e, &st);
	}
	lock_info_clear(info);
	return node ? 0 : -ENOMEM;
}

/* --- lookup, getattr, readdir -------------------------------------------- */

static int lookup(struct lockfs *fs, struct op *op, struct pending *self,
		  struct pending **queued);

/* LOOKUP reads the row and maybe the directories: one read transaction. */
static int run_lookup(struct lockfs *fs, struct op *op, struct pending *self,
		      struct pending **queued)
{
	int rc;

	store_read_begin(fs->store);
	rc = lookup(fs, op, self, queued);
	store_read_end(fs->store);
	return rc;
}

static int lookup(struct lockfs *fs, struct op *op, struct pending *self,
		  struct pending **queued)
{
	char key[KEY_MAX_BYTES + 1];
	struct lock_info info;
	struct fuse_entry_param e;
	struct stat st;
	struct node *node;
	int rc = key_of(fs, op->ino, op->name, key, sizeof(key));

	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	rc = lock_inspect(fs->store, key, &info);
	if (rc == 0) {
		rc = lock_entry(fs, op->ino, key, &info, &e);
		if (rc < 0)
			return answer(fs, op, self, queued, rc);
		fuse_reply_entry(op->req, &e);
		return OP_DONE;
	}
	if (rc == -ENOENT &&
	    waitq_recall(&fs->waitq, op->tid, key, lockfs_clock()) == WAITQ_CREATING) {
		/* This thread's CREATE met a busy database: let its OPEN take the lock. */
		node = nodes_lookup(&fs->nodes, op->ino, key, false);
		if (!node)
			return answer(fs, op, self, queued, -ENOMEM);
		memset(&st, 0, sizeof(st));
		st.st_ino = node->ino;
		st.st_mode = S_IFREG | 0644;
		st.st_nlink = 1;
		st.st_uid = op->uid;
		st.st_gid = op->gid;
		fill_entry(&e, &st);
		fuse_reply_entry(op->req, &e);
		return OP_DONE;
	}
	if (rc != -ENOENT && rc != -EEXIST)
		return answer(fs, op, self, queued, rc);
	rc = dir_exists(fs, key);
	if (rc <= 0)
		return answer(fs, op, self, queued, rc < 0 ? rc : -ENOENT);
	node = nodes_lookup(&fs->nodes, op->ino, key, true);
	if (!node)
		return answer(fs, op, self, queued, -ENOMEM);
	dir_attr(fs, node->ino, &st);
	fill_entry(&e, &st);
	fuse_reply_entry(op->req, &e);
	return OP_DONE;
}

/* Attributes of a node as they are now: -ENOENT once it is gone. */
static int node_attr(struct lockfs *fs, struct node *node, struct stat *st)
{
	struct lock_info info;
	int rc;

	if (node->is_dir) {
		rc = dir_exists(fs, node->path);
		if (rc <= 0)
			return rc < 0 ? rc : -ENOENT;
		dir_attr(fs, node->ino, st);
		return 0;
	}
	rc = lock_inspect(fs->store, node->path, &info);
	if (rc == -EEXIST)
		rc = -ENOENT;
	if (rc < 0)
		return rc;
	node_saw(fs, node, &info);
	file_attr(fs, node->path, node->ino, &info, st);
	lock_info_clear(&info);
	return 0;
}

static int run_getattr(struct lockfs *fs, struct op *op, struct pending *self,
		       struct pending **queued)
{
	struct node *node = nodes_get(&fs->nodes, op->ino);
	struct stat st;
	int rc = node ? node_attr(fs, node, &st) : -ENOENT;

	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	fuse_reply_attr(op->req, &st, 0);
	return OP_DONE;
}

/* A directory listing, taken at opendir and served by offset. */
struct listing {
	size_t count, cap;
	struct listing_entry {
		char *name;
		bool is_dir;
	} *entries;
	const char *prefix; /* while building: "dir/" or "" */
	size_t prefix_len;
};

static int listing_add(struct listing *l, const char *name, size_t len, bool is_dir)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct listing_entry *e = realloc(l->entries, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		l->entries = e;
		l->cap = cap;
	}
	l->entries[l->count].name = strndup(name, len);
	if (!l->entries[l->count].name)
		return -ENOMEM;
	l->entries[l->count++].is_dir = is_dir;
	return 0;
}

/* Add the first component of path below the listed directory. */
static int listing_add_below(struct listing *l, const char *path, bool is_lock)
{
	const char *rest, *slash;

	if (strncmp(path, l->prefix, l->prefix_len) != 0)
		return 0;
	rest = path + l->prefix_len;
	if (!*rest)
		return 0;
	slash = strchr(rest, '/');
	if (slash)
		return listing_add(l, rest, (size_t)(slash - rest), true);
	return listing_add(l, rest, strlen(rest), !is_lock);
}

static int list_lock(void *ctx, const char *key, size_t key_len, bool expires, double expire)
{
	return listing_add_below(ctx, key, true);
}

static int list_kept_dir(void *ctx, const char *path)
{
	return listing_add_below(ctx, path, false);
}

static int compare_entries(const void *a, const void *b)
{
	const struct listing_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* Files first among equals: a held lock hides the keys below it. */
	return c ? c : (int)x->is_dir - (int)y->is_dir;
}

static void listing_free(struct listing *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		free(l->entries[i].name);
	free(l->entries);
	free(l);
}

static int listing_build(struct lockfs *fs, const char *path, struct listing **out)
{
	struct listing *l = calloc(1, sizeof(*l));
	char prefix[KEY_MAX_BYTES + 2];
	size_t kept = 0;
	int rc;

	if (!l)
		return -ENOMEM;
	snprintf(prefix, sizeof(prefix), "%s%s", path, *path ? "/" : "");
	l->prefix = prefix;
	l->prefix_len = strlen(prefix);
	rc = lock_for_each_held(fs->store, list_lock, l);
	if (rc == 0)
		rc = store_dir_for_each_below(fs->store, path, list_kept_dir, l);
	if (rc < 0) {
		listing_free(l);
		return rc;
	}
	if (l->count)
		qsort(l->entries, l->count, sizeof(*l->entries), compare_entries);
	for (size_t i = 0; i < l->count; i++) {
		if (kept && strcmp(l->entries[kept - 1].name, l->entries[i].name) == 0) {
			free(l->entries[i].name);
			continue;
		}
		l->entries[kept++] = l->entries[i];
	}
	l->count = kept;
	l->prefix = NULL;
	*out = l;
	return 0;
}

static int run_opendir(struct lockfs *fs, struct op *op, struct pending *self,
		       struct pending **queued)
{
	struct node *node = nodes_get(&fs->nodes, op->ino);
	struct listing *l;
	int rc;

	if (!node || !node->is_dir)
		return answer(fs, op, self, queued, node ? -ENOTDIR : -ENOENT);
	rc = dir_exists(fs, node->path);
	if (rc <= 0)
		return answer(fs, op, self, queued, rc < 0 ? rc : -ENOENT);
	rc = listing_build(fs, node->path, &l);
	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	op->fi.fh = (uintptr_t)l;
	if (fuse_reply_open(op->req, &op->fi) == -ENOENT)
		listing_free(l); /* the opener was interrupted; no releasedir will come */
	return OP_DONE;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct listing *l = (struct listing *)(uintptr_t)fi->fh;
	char *buf = calloc(1, size ? size : 1);
	size_t used = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (off_t i = off; l && i < (off_t)l->count + 2; i++) {
		struct stat st = {.st_ino = 0xffffffff}; /* unknown: ls -i asks with stat */
		const char *name = i == 0 ? "." : i == 1 ? ".." : l->entries[i - 2].name;
		size_t need;

		st.st_mode = i < 2 || l->entries[i - 2].is_dir ? S_IFDIR : S_IFREG;
		need = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	listing_free((struct listing *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* --- acquiring ------------------------------------------------------------ */

static struct caller caller_of(struct lockfs *fs, const struct op *op)
{
	struct caller who;

	caller_identify(fs->callers, op->tid, op->uid, op->gid, &who);
	return who;
}

/* The daemon now holds a fresh lock on key (or a new count): keep the tree and node true. */
static void note_granted(struct lockfs *fs, const char *key, const struct lock_grant *grant)
{
	struct node *node = nodes_find(&fs->nodes, key);

	if (grant->fresh)
		tree_add(&fs->tree, key, grant->expires, grant->expire_time);
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

	tree_remove(&fs->tree, key);
	if (node && !node->is_dir)
		node->held = false;
}

/* Grant the head waiter whose acquisition just committed. */
static void grant_waiter(struct lockfs *fs, struct pending *p, const struct lock_grant *grant)
{
	note_granted(fs, p->key, grant);
	waitq_decide(&fs->waitq, p, 0);
}

void lockfs_kick(struct lockfs *fs, const char *key)
{
	struct pending *head;

	while ((head = waitq_head(waitq_find(&fs->waitq, key)))) {
		struct lock_grant grant;
		int rc = lock_acquire(fs->store, key, &head->who, &fs->opts.defaults, 0, &grant,
				      NULL);

		if (rc == 0) {
			grant_waiter(fs, head, &grant);
			return;
		}
		if (rc == -EBUSY)
			return;
		if (rc == -EAGAIN) {
			fs->outside_change = true; /* the watch thread tries again */
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
 * Take the lock of key for op (OPEN for writing, or CREATE), or queue for it.
 * self is the pending of a request run again, else NULL.  info (optional)
 * receives the lock as taken.
 */
static int acquire(struct lockfs *fs, struct op *op, struct pending *self,
		   struct pending **queued, const char *key, unsigned flags,
		   struct lock_grant *grant, struct lock_info *info)
{
	struct queue *queue = waitq_find(&fs->waitq, key);
	struct pending *parked = self || op->kind != OP_OPEN ? NULL : waitq_parked(queue, op->tid);
	bool known = self && self->key; /* a re-run that kept who and deadline */
	struct caller fresh_who;
	const struct caller *who = &fresh_who;
	double timeout = INFINITY;
	int rc;

	if (parked) {
		/* Back within a second of an interrupt: same place, same deadline. */
		waitq_resume(&fs->waitq, parked, op);
		lockfs_kick(fs, key);
		*queued = parked;
		return OP_PENDING;
	}
	if (known)
		who = &self->who;
	else
		fresh_who = caller_of(fs, op);
	if (queue && queue->waiting)
		flags |= LOCK_REENTER_ONLY; /* first come, first served */
	rc = lock_acquire(fs->store, key, who, &fs->opts.defaults, flags, grant, info);
	if (rc == 0) {
		note_granted(fs, key, grant);
		return OP_GRANTED;
	}
	if (op->kind == OP_CREATE && (rc == -EBUSY || rc == -EAGAIN)) {
		/*
		 * Never wait in CREATE: the kernel holds the directory meanwhile.
		 * Held: ESTALE sends the kernel back through LOOKUP and OPEN, and
		 * OPEN may wait.  Busy database: the same, with a note so that
		 * this thread's LOOKUP sees the name (see waitq_note).  Under
		 * O_EXCL a held lock is EEXIST and a busy database EAGAIN.
		 */
		if (rc == -EBUSY && (flags & LOCK_REENTER_ONLY))
			lockfs_kick(fs, key); /* free but queued for: give it to the queue first */
		if (flags & LOCK_EXCLUSIVE) {
			fuse_reply_err(op->req, rc == -EBUSY ? EEXIST : EAGAIN);
			return OP_DONE;
		}
		if (rc == -EAGAIN)
			waitq_note(&fs->waitq, op->tid, key, WAITQ_CREATING, lockfs_clock());
		return answer(fs, op, self, queued, -ESTALE);
	}
	if (rc != -EBUSY && rc != -EAGAIN)
		return answer(fs, op, self, queued, rc);
	if (!known) {
		rc = timeout_for(fs, key, &timeout) < 0 ? -EAGAIN : rc;
		if (rc == -EAGAIN && !self)
			timeout = INFINITY; /* unknown yet: the re-run decides */
	}
	if (rc == -EBUSY && lockfs_clock() >= (known ? self->deadline : op->arrived + timeout)) {
		waitq_note(&fs->waitq, op->tid, key, -ETIMEDOUT, lockfs_clock());
		fuse_reply_err(op->req, ETIMEDOUT);
		return OP_DONE;
	}
	if (!self && !(self = waitq_new(op))) {
		fuse_reply_err(op->req, ENOMEM);
		return OP_DONE;
	}
	*queued = self;
	if (!known && rc == -EBUSY) {
		self->key = strdup(key);
		self->who = fresh_who;
		self->deadline = op->arrived + timeout;
		self->acquire = true;
	}
	if (rc == -EAGAIN || !self->key) {
		if (self->state == PENDING_NEW)
			waitq_retry_later(&fs->waitq, self);
		return OP_PENDING;
	}
	if (waitq_enqueue(&fs->waitq, self) < 0) {
		if (self->state == PENDING_NEW)
			waitq_retry_later(&fs->waitq, self);
		return OP_PENDING;
	}
	if (flags & LOCK_REENTER_ONLY)
		lockfs_kick(fs, key); /* the lock may be free with others queued first */
	return OP_PENDING;
}

static void open_reply_info(struct fuse_file_info *fi, bool acquired)
{
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = acquired;
}

static int run_open(struct lockfs *fs, struct op *op, struct pending *self,
		    struct pending **queued)
{
	struct node *node = nodes_get(&fs->nodes, op->ino);
	struct lock_grant grant;
	struct lock_info info;
	int rc;

	if (!node)
		return answer(fs, op, self, queued, -ENOENT);
	if (node->is_dir)
		return answer(fs, op, self, queued, -EISDIR);
	if ((op->fi.flags & O_ACCMODE) == O_RDONLY) {
		/* Reading never acquires and never waits. */
		rc = lock_inspect(fs->store, node->path, &info);
		if (rc == -EEXIST)
			rc = -ENOENT;
		if (rc < 0)
			return answer(fs, op, self, queued, rc);
		lock_info_clear(&info);
		open_reply_info(&op->fi, false);
		fuse_reply_open(op->req, &op->fi);
		return OP_DONE;
	}
	waitq_unnote(&fs->waitq, op->tid, node->path); /* a CREATE sent back here is served */
	rc = acquire(fs, op, self, queued, node->path, 0, &grant, NULL);
	if (rc != OP_GRANTED)
		return rc;
	open_reply_info(&op->fi, true);
	fuse_reply_open(op->req, &op->fi);
	return OP_DONE;
}

static int run_create(struct lockfs *fs, struct op *op, struct pending *self,
		      struct pending **queued)
{
	char key[KEY_MAX_BYTES + 1];
	struct fuse_entry_param e;
	struct lock_grant grant;
	struct lock_info info;
	int rc = key_of(fs, op->ino, op->name, key, sizeof(key));

	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	if ((op->fi.flags & O_ACCMODE) == O_RDONLY)
		return answer(fs, op, self, queued, -ENOENT); /* reading never acquires */
	rc = acquire(fs, op, self, queued, key, (op->fi.flags & O_EXCL) ? LOCK_EXCLUSIVE : 0,
		     &grant, &info);
	if (rc != OP_GRANTED)
		return rc;
	if (lock_entry(fs, op->ino, key, &info, &e) < 0) {
		fuse_reply_err(op->req, ENOMEM); /* the lock stays held: rm releases it */
		return OP_DONE;
	}
	open_reply_info(&op->fi, true);
	fuse_reply_create(op->req, &e, &op->fi);
	return OP_DONE;
}

/* --- releasing ------------------------------------------------------------ */

/* The head waiter of key, as a successor for a release. */
static struct pending *successor_of(struct lockfs *fs, const char *key,
				    struct lock_successor *next)
{
	struct pending *head = waitq_head(waitq_find(&fs->waitq, key));

	if (head) {
		next->who = &head->who;
		next->defaults = &fs->opts.defaults;
	}
	return head;
}

/* After a release through the mount: hand-off, tree, node, log. */
static void released(struct lockfs *fs, const struct op *op, const char *key,
		     const struct lock_outcome *out, struct pending *head)
{
	if (out->kind == LOCK_HANDED_OVER)
		grant_waiter(fs, head, &out->successor);
	else if (out->kind == LOCK_RELEASED)
		note_released(fs, key);
	if (out->broken)
		lockfs_log(LOG_INFO, "lock %s held by %s (count %lld) broken by uid %u pid %d",
			   key, out->owner[0] ? out->owner : "a SyncLock", (long long)out->count,
			   (unsigned)op->uid, (int)op->tid);
}

static int run_unlink(struct lockfs *fs, struct op *op, struct pending *self,
		      struct pending **queued)
{
	char key[KEY_MAX_BYTES + 1];
	struct lock_successor next;
	struct lock_outcome out;
	struct pending *head;
	struct caller who;
	int rc = key_of(fs, op->ino, op->name, key, sizeof(key));

	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	who = caller_of(fs, op);
	head = successor_of(fs, key, &next);
	rc = lock_unlink(fs->store, key, &who, head ? &next : NULL, &out);
	if (rc == -ENOENT && dir_exists(fs, key) == 1)
		rc = -EISDIR;
	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	released(fs, op, key, &out, head);
	fuse_reply_err(op->req, 0);
	return OP_DONE;
}

/* --- setattr, read, write ------------------------------------------------- */

static int run_setattr(struct lockfs *fs, struct op *op, struct pending *self,
		       struct pending **queued)
{
	struct node *node = nodes_get(&fs->nodes, op->ino);
	int to_set = op->flags;
	struct stat st;
	int rc;

	if (!node)
		return answer(fs, op, self, queued, -ENOENT);
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
		return answer(fs, op, self, queued, -EPERM);
	if (!node->is_dir && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
					FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW))) {
		struct caller who = caller_of(fs, op);

		/* touch -c: renew, expiry = now + the TTL in force. */
		rc = waitq_recall(&fs->waitq, op->tid, node->path, lockfs_clock());
		if (rc == 0)
			rc = lock_renew(fs->store, node->path, &who, &fs->opts.defaults);
		if (rc < 0)
			return answer(fs, op, self, queued, rc);
	}
	/* A size change (truncate) is accepted and has no effect. */
	rc = node_attr(fs, node, &st);
	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	fuse_reply_attr(op->req, &st, 0);
	return OP_DONE;
}

static int run_read(struct lockfs *fs, struct op *op, struct pending *self,
		    struct pending **queued)
{
	struct node *node = nodes_get(&fs->nodes, op->ino);
	struct lock_info info;
	char *text;
	int len = 0, rc;

	if (!node)
		return answer(fs, op, self, queued, -ENOENT);
	text = malloc(STATUS_MAX);
	if (!text)
		return answer(fs, op, self, queued, -ENOMEM);
	rc = lock_inspect(fs->store, node->path, &info);
	if (rc == -EAGAIN) {
		free(text);
		return answer(fs, op, self, queued, rc);
	}
	if (rc == 0) {
		/* A lock released meanwhile reads as empty. */
		len = lock_format_status(node->path, &info,
					 waitq_waiting(&fs->waitq, node->path), text, STATUS_MAX);
		if (len >= STATUS_MAX)
			len = STATUS_MAX - 1;
		lock_info_clear(&info);
	}
	if (op->offset >= len)
		fuse_reply_buf(op->req, NULL, 0);
	else
		fuse_reply_buf(op->req, text + op->offset,
			       (size_t)len - (size_t)op->offset < op->size
				       ? (size_t)len - (size_t)op->offset
				       : op->size);
	free(text);
	return OP_DONE;
}

/* --- directories ------------------------------------------------------------ */

static int run_mkdir(struct lockfs *fs, struct op *op, struct pending *self,
		     struct pending **queued)
{
	char key[KEY_MAX_BYTES + 1];
	struct fuse_entry_param e;
	struct node *node;
	struct stat st;
	struct caller who = {.uid = op->uid, .gid = op->gid};
	int rc = key_of(fs, op->ino, op->name, key, sizeof(key));

	if (rc == 0 && dir_exists(fs, key) == 1)
		rc = -EEXIST;
	if (rc == 0)
		rc = lock_mkdir(fs->store, key, &who);
	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	node = nodes_lookup(&fs->nodes, op->ino, key, true);
	if (!node)
		return answer(fs, op, self, queued, -ENOMEM);
	dir_attr(fs, node->ino, &st);
	fill_entry(&e, &st);
	fuse_reply_entry(op->req, &e);
	return OP_DONE;
}

static int run_rmdir(struct lockfs *fs, struct op *op, struct pending *self,
		     struct pending **queued)
{
	char key[KEY_MAX_BYTES + 1];
	struct caller who = {.uid = op->uid, .gid = op->gid};
	int rc = key_of(fs, op->ino, op->name, key, sizeof(key));

	if (rc == 0)
		rc = lock_rmdir(fs->store, key, &who);
	return answer(fs, op, self, queued, rc);
}

/* --- extended attributes ------------------------------------------------- */

enum lock_attr {
	ATTR_OWNER,
	ATTR_COUNT,
	ATTR_GENERATION,
	ATTR_EXPIRE,
	ATTR_TTL,
	ATTR_TAGS,
	ATTR_ACQUIRED,
	ATTR_WAITERS,
	ATTR_UID,
	ATTR_GID,
	ATTR_PID,
	ATTR_COMM,
	ATTR_HOST,
	ATTR_RELEASE,
	ATTR_TIMEOUT, /* directories only */
	ATTR_UNKNOWN,
};

static const char *const attr_names[] = {
	[ATTR_OWNER] = "owner",	    [ATTR_COUNT] = "count",	  [ATTR_GENERATION] = "generation",
	[ATTR_EXPIRE] = "expire",   [ATTR_TTL] = "ttl",		  [ATTR_TAGS] = "tags",
	[ATTR_ACQUIRED] = "acquired", [ATTR_WAITERS] = "waiters", [ATTR_UID] = "uid",
	[ATTR_GID] = "gid",	    [ATTR_PID] = "pid",		  [ATTR_COMM] = "comm",
	[ATTR_HOST] = "host",	    [ATTR_RELEASE] = "release",	  [ATTR_TIMEOUT] = "timeout",
};

static enum lock_attr attr_of(const char *name)
{
	if (strncmp(name, XATTR_PREFIX, strlen(XATTR_PREFIX)) != 0)
		return ATTR_UNKNOWN;
	name += strlen(XATTR_PREFIX);
	for (int i = 0; i < ATTR_UNKNOWN; i++)
		if (strcmp(name, attr_names[i]) == 0)
			return (enum lock_attr)i;
	return ATTR_UNKNOWN;
}

static bool attr_on_dirs(enum lock_attr a)
{
	return a == ATTR_TIMEOUT || a == ATTR_TTL || a == ATTR_TAGS;
}

static enum policy_field field_of(enum lock_attr a)
{
	return a == ATTR_TIMEOUT ? POLICY_TIMEOUT : a == ATTR_TTL ? POLICY_TTL : POLICY_TAGS;
}

/* Unix seconds with microseconds, as typed_diskcache stores them. */
static void format_seconds(double t, char *out, size_t cap)
{
	snprintf(out, cap, "%.6f", t);
}

/* The value of a lock file's attribute; -ENODATA when it does not apply. */
static int lock_attr_value(struct lockfs *fs, const char *key, const struct lock_info *info,
			   enum lock_attr a, char *out, size_t cap)
{
	const struct store_holder *h = &info->holder;
	bool lockfs_made = info->made_by_lockfs;

	switch (a) {
	case ATTR_OWNER:
		return snprintf(out, cap, "%s", info->owner);
	case ATTR_COUNT:
		return snprintf(out, cap, "%lld", (long long)info->count);
	case ATTR_GENERATION:
		return lockfs_made ? snprintf(out, cap, "%lld", (long long)h->generation)
				   : -ENODATA;
	case ATTR_EXPIRE:
		if (!info->expires)
			return -ENODATA;
		format_seconds(info->expire_time, out, cap);
		return (int)strlen(out);
	case ATTR_TTL: {
		double left = info->expire_time - lock_now();

		if (!info->expires)
			return -ENODATA;
		snprintf(out, cap, "%.3f", left > 0 ? left : 0);
		return (int)strlen(out);
	}
	case ATTR_TAGS:
		return info->tags && info->tags[0] ? snprintf(out, cap, "%s", info->tags)
						   : -ENODATA;
	case ATTR_ACQUIRED:
		format_seconds(info->acquired, out, cap);
		return (int)strlen(out);
	case ATTR_WAITERS:
		return snprintf(out, cap, "%u", waitq_waiting(&fs->waitq, key));
	case ATTR_UID:
		return lockfs_made ? snprintf(out, cap, "%u", (unsigned)h->uid) : -ENODATA;
	case ATTR_GID:
		return lockfs_made ? snprintf(out, cap, "%u", (unsigned)h->gid) : -ENODATA;
	case ATTR_PID:
		return lockfs_made ? snprintf(out, cap, "%d", (int)h->pid) : -ENODATA;
	case ATTR_COMM:
		return lockfs_made ? snprintf(out, cap, "%s", h->comm) : -ENODATA;
	case ATTR_HOST:
		return lockfs_made ? snprintf(out, cap, "%s", h->host) : -ENODATA;
	default:
		return -ENODATA;
	}
}

/* Reply to getxattr/listxattr with len bytes of value, honouring size 0 and ERANGE. */
static void reply_xattr_value(fuse_req_t req, const char *value, size_t len, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, value, len);
}

static int run_getxattr(struct lockfs *fs, struct op *op, struct pending *self,
			struct pending **queued)
{
	struct node *node = nodes_get(&fs->nodes, op->ino);
	enum lock_attr a = attr_of(op->name);
	struct lock_info info;
	char value[STATUS_MAX];
	int len;

	if (!node)
		return answer(fs, op, self, queued, -ENOENT);
	if (node->is_dir) {
		if (!attr_on_dirs(a))
			return answer(fs, op, self, queued, -ENODATA);
		len = policy_dir_get(fs->store, node->path, field_of(a), value, sizeof(value));
	} else {
		len = lock_inspect(fs->store, node->path, &info);
		if (len == -EEXIST)
			len = -ENOENT;
		if (len == 0) {
			len = lock_attr_value(fs, node->path, &info, a, value, sizeof(value));
			lock_info_clear(&info);
		}
	}
	if (len < 0)
		return answer(fs, op, self, queued, len);
	if ((size_t)len >= sizeof(value))
		return answer(fs, op, self, queued, -E2BIG);
	reply_xattr_value(op->req, value, (size_t)len, op->size);
	return OP_DONE;
}

static int run_listxattr(struct lockfs *fs, struct op *op, struct pending *self,
			 struct pending **queued)
{
	struct node *node = nodes_get(&fs->nodes, op->ino);
	char names[1024], value[STATUS_MAX];
	size_t used = 0;
	struct lock_info info;
	int rc = 0;

	if (!node)
		return answer(fs, op, self, queued, -ENOENT);
	if (!node->is_dir) {
		rc = lock_inspect(fs->store, node->path, &info);
		if (rc == -EEXIST)
			rc = -ENOENT;
		if (rc < 0)
			return answer(fs, op, self, queued, rc);
	}
	for (int a = 0; a < ATTR_UNKNOWN; a++) {
		int len;

		if (node->is_dir)
			len = attr_on_dirs(a) ? policy_dir_get(fs->store, node->path,
							       field_of(a), value, sizeof(value))
					      : -ENODATA;
		else
			len = lock_attr_value(fs, node->path, &info, a, value, sizeof(value));
		if (len == -EAGAIN)
			rc = len;
		if (len < 0)
			continue;
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
					 XATTR_PREFIX, attr_names[a]) + 1;
	}
	if (!node->is_dir)
		lock_info_clear(&info);
	if (rc < 0)
		return answer(fs, op, self, queued, rc);
	reply_xattr_value(op->req, names, used, op->size);
	return OP_DONE;
}

/* Parse a generation: plain decimal digits. */
static int parse_generation(const char *text, size_t len, int64_t *out)
{
	char buf[24];

	if (len == 0 || len >= sizeof(buf) || strspn(text, "0123456789") < len)
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	*out = strtoll(buf, NULL, 10);
	return 0;
}

static int set_lock_attr(struct lockfs *fs, struct op *op, struct node *node, enum lock_attr a,
			 bool remove)
{
	struct caller who = caller_of(fs, op);
	const char *value = op->value ? op->value : "";
	size_t len = remove ? 0 : op->size;
	struct lock_outcome out;
	struct lock_successor next;
	struct pending *head;
	int64_t generation;
	double seconds;
	bool has_ttl;
	char *tags;
	int rc;

	switch (a) {
	case ATTR_TTL:
		if (remove)
			return lock_set_ttl(fs->store, node->path, &who, false, 0);
		if (policy_parse_ttl(value, len, &has_ttl, &seconds) < 0 || !has_ttl)
			return -EINVAL;
		rc = lock_set_ttl(fs->store, node->path, &who, true, seconds);
		if (rc == 0) {
			node->expires = true;
			node->expire_time = lock_now() + seconds;
			tree_invalidate(&fs->tree);
			watch_expiry_hint(fs, true, node->expire_time);
		}
		return rc;
	case ATTR_TAGS:
		if (policy_parse_tags(value, len, &tags) < 0)
			return -EINVAL;
		rc = lock_set_tags(fs->store, node->path, &who, tags);
		free(tags);
		return rc;
	case ATTR_RELEASE:
		if (remove)
			return -EPERM;
		if (parse_generation(value, len, &generation) < 0)
			return -EINVAL;
		head = successor_of(fs, node->path, &next);
		rc = lock_release_generation(fs->store, node->path, &who, generation,
					     head ? &next : NULL, &out);
		if (rc == 0)
			released(fs, op, node->path, &out, head);
		return rc;
	case ATTR_UNKNOWN:
	case ATTR_TIMEOUT:
		return remove ? -ENODATA : -ENOTSUP;
	default:
		return -EPERM; /* shown, not writable */
	}
}

static int run_setxattr(struct lockfs *fs, struct op *op, struct pending *self,
			struct pending **queued)
{
	struct node *node = nodes_get(&fs->nodes, op->ino);
	enum lock_attr a = attr_of(op->name);
	bool remove = op->kind == OP_REMOVEXATTR;
	struct caller who = {.uid = op->uid, .gid = op->gid};
	int rc;

	if (!node)
		return answer(fs, op, self, queued, -ENOENT);
	if (!node->is_dir) {
		rc = set_lock_attr(fs, op, node, a, remove);
	} else if (!attr_on_dirs(a)) {
		rc = remove ? -ENODATA : -ENOTSUP;
	} else {
		rc = dir_exists(fs, node->path);
		if (rc == 0)
			rc = -ENOENT;
		if (rc > 0 && remove)
			rc = policy_dir_remove(fs->store, node->path, &who, field_of(a));
		else if (rc > 0)
			rc = policy_dir_set(fs->store, node->path, &who, field_of(a),
					    op->value ? op->value : "", op->size);
	}
	return answer(fs, op, self, queued, rc);
}

/* --- the dispatcher and the table ---------------------------------------- */

static int run(struct lockfs *fs, struct op *op, struct pending *self, struct pending **queued)
{
	switch (op->kind) {
	case OP_LOOKUP:
		return run_lookup(fs, op, self, queued);
	case OP_GETATTR:
		return run_getattr(fs, op, self, queued);
	case OP_SETATTR:
		return run_setattr(fs, op, self, queued);
	case OP_OPEN:
		return run_open(fs, op, self, queued);
	case OP_CREATE:
		return run_create(fs, op, self, queued);
	case OP_READ:
		return run_read(fs, op, self, queued);
	case OP_UNLINK:
		return run_unlink(fs, op, self, queued);
	case OP_MKDIR:
		return run_mkdir(fs, op, self, queued);
	case OP_RMDIR:
		return run_rmdir(fs, op, self, queued);
	case OP_OPENDIR:
		return run_opendir(fs, op, self, queued);
	case OP_GETXATTR:
		return run_getxattr(fs, op, self, queued);
	case OP_LISTXATTR:
		return run_listxattr(fs, op, self, queued);
	case OP_SETXATTR:
	case OP_REMOVEXATTR:
		return run_setxattr(fs, op, self, queued);
	}
	fuse_reply_err(op->req, ENOSYS);
	return OP_DONE;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* No readdirplus, no writeback cache: every answer comes fresh from the cache. */
	conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_WRITEBACK_CACHE |
				  FUSE_CAP_EXPORT_SUPPORT);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	dispatch(op_new(OP_LOOKUP, req, parent, name), req);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct lockfs *fs = fuse_req_userdata(req);

	pthread_mutex_lock(&fs->lock);
	nodes_forget(&fs->nodes, ino, nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct lockfs *fs = fuse_req_userdata(req);

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < count; i++)
		nodes_forget(&fs->nodes, forgets[i].ino, forgets[i].nlookup);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	dispatch(op_new(OP_GETATTR, req, ino, NULL), req);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct op *op = op_new(OP_SETATTR, req, ino, NULL);

	if (op) {
		op->attr = *attr;
		op->flags = to_set;
	}
	dispatch(op, req);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct op *op = op_new(OP_OPEN, req, ino, NULL);

	if (op)
		op->fi = *fi;
	dispatch(op, req);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct op *op = op_new(OP_CREATE, req, parent, name);

	if (op)
		op->fi = *fi;
	dispatch(op, req);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct op *op = op_new(OP_READ, req, ino, NULL);

	if (op) {
		op->size = size;
		op->offset = off;
	}
	dispatch(op, req);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	fuse_reply_write(req, size); /* accepted and ignored: echo $$ > lock works */
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	dispatch(op_new(OP_UNLINK, req, parent, name), req);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	dispatch(op_new(OP_MKDIR, req, parent, name), req);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	dispatch(op_new(OP_RMDIR, req, parent, name), req);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct op *op = op_new(OP_OPENDIR, req, ino, NULL);

	if (op)
		op->fi = *fi;
	dispatch(op, req);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct op *op = op_new(OP_GETXATTR, req, ino, name);

	if (op)
		op->size = size;
	dispatch(op, req);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct op *op = op_new(OP_LISTXATTR, req, ino, NULL);

	if (op)
		op->size = size;
	dispatch(op, req);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct op *op = op_new(OP_SETXATTR, req, ino, name);

	if (op) {
		op->value = malloc(size + 1);
		if (!op->value) {
			op_free(op);
			op = NULL;
		} else {
			memcpy(op->value, value, size);
			op->value[size] = '\0';
			op->size = size;
		}
	}
	dispatch(op, req);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	dispatch(op_new(OP_REMOVEXATTR, req, ino, name), req);
}

static void op_refuse(fuse_req_t req)
{
	fuse_reply_err(req, EPERM);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	op_refuse(req);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	op_refuse(req);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	op_refuse(req);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	op_refuse(req);
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
	.readdir = op_readdir,
	.releasedir = op_releasedir,
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
