/*
 * xattr.c — extended attributes: a lock's details as user.lock.* values,
 * and the policies of directories.
 *
 * Every value is plain decimal or text without a trailing newline; an
 * attribute that does not apply is absent (ENODATA), and listxattr lists
 * exactly the present ones.  The writable ones (ttl, tags, release on lock
 * files; timeout, ttl, tags on directories) go through the lock rules and
 * policy.c, which check permission and values.  The root directory also
 * shows the daemon's statistics, user.lockfs.stats.
 */
#include "ops.h"
#include "name.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XATTR_PREFIX "user.lock."

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
	ATTR_NOTE,
	ATTR_BOUND,
	ATTR_MODE,
	ATTR_RELEASE,
	ATTR_TIMEOUT, /* directories only */
	ATTR_OPEN,    /* directories only */
	ATTR_UNKNOWN,
};

static const char *const attr_names[] = {
	[ATTR_OWNER] = "owner",	    [ATTR_COUNT] = "count",	  [ATTR_GENERATION] = "generation",
	[ATTR_EXPIRE] = "expire",   [ATTR_TTL] = "ttl",		  [ATTR_TAGS] = "tags",
	[ATTR_ACQUIRED] = "acquired", [ATTR_WAITERS] = "waiters", [ATTR_UID] = "uid",
	[ATTR_GID] = "gid",	    [ATTR_PID] = "pid",		  [ATTR_COMM] = "comm",
	[ATTR_HOST] = "host",	    [ATTR_NOTE] = "note",	  [ATTR_BOUND] = "bound",
	[ATTR_MODE] = "mode",	    [ATTR_RELEASE] = "release",	  [ATTR_TIMEOUT] = "timeout",
	[ATTR_OPEN] = "open",
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
	return a == ATTR_TIMEOUT || a == ATTR_TTL || a == ATTR_TAGS || a == ATTR_OPEN;
}

static enum policy_field field_of(enum lock_attr a)
{
	switch (a) {
	case ATTR_TIMEOUT:
		return POLICY_TIMEOUT;
	case ATTR_TTL:
		return POLICY_TTL;
	case ATTR_OPEN:
		return POLICY_OPEN;
	default:
		return POLICY_TAGS;
	}
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

	if (info->free && a != ATTR_COUNT && a != ATTR_WAITERS)
		return -ENODATA; /* a free name, shown while open: no holder */
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
		double left = info->expire_time - clock_wall();

		if (!info->expires)
			return -ENODATA;
		snprintf(out, cap, "%.3f", left > 0 ? left : 0);
		return (int)strlen(out);
	}
	case ATTR_TAGS:
		return info->tags && info->tags[0] ? snprintf(out, cap, "%s", info->tags)
						   : -ENODATA;
	case ATTR_ACQUIRED:
		if (info->acquired <= 0)
			return -ENODATA; /* another etcd client's lock may not say */
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
	case ATTR_BOUND:
		return info->binding ? snprintf(out, cap, "%s", store_binding_name(info->binding))
				     : -ENODATA;
	case ATTR_MODE:
		return snprintf(out, cap, "%s", info->shared ? "shared" : "exclusive");
	case ATTR_NOTE: /* the bytes as written */
		if (!info->note_len)
			return -ENODATA;
		memcpy(out, info->note, info->note_len < cap ? info->note_len : cap);
		return (int)info->note_len;
	default:
		return -ENODATA;
	}
}

/*
 * The root directory's user.lockfs.stats: one JSON object (stats.h) with
 * the live locks lockfs made in the cache and the requests waiting through
 * this mount.
 * Asked for its size first (size 0), it answers with room to spare: the
 * counters may grow before the caller reads.
 */
#define STATS_ATTR "user.lockfs.stats"
#define STATS_ROOM 256

static bool is_stats_attr(const struct lockfs *fs, fuse_ino_t ino, const char *name)
{
	return fs->opts.stats && ino == FUSE_ROOT_ID && strcmp(name, STATS_ATTR) == 0;
}

static int stats_get(struct lockfs *fs, struct request *req)
{
	char value[2048];
	int64_t holds = 0;
	int rc = lock_count_made(fs->store, &holds);
	int len;

	if (rc < 0)
		return rc;
	len = stats_format_json(&fs->stats, clock_wall(), (uint64_t)holds, fs->waitq.waiting,
				value, sizeof(value));
	assert(len > 0 && (size_t)len < sizeof(value));
	if (req->size == 0)
		fuse_reply_xattr(req->fuse, (size_t)len + STATS_ROOM);
	else if (req->size < (size_t)len)
		fuse_reply_err(req->fuse, ERANGE);
	else
		fuse_reply_buf(req->fuse, value, (size_t)len);
	return REQUEST_ANSWERED;
}

/* Reply to getxattr/listxattr with len bytes of value, honouring size 0 and ERANGE. */
static void reply_value(fuse_req_t fuse, const char *value, size_t len, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(fuse, len);
	else if (size < len)
		fuse_reply_err(fuse, ERANGE);
	else
		fuse_reply_buf(fuse, value, len);
}

int xattr_get(struct lockfs *fs, struct request *req)
{
	struct node *node = nodes_get(&fs->nodes, req->ino);
	enum lock_attr a = attr_of(req->name);
	struct lock_info info;
	char value[STATUS_MAX];
	int len;

	if (!node)
		return -ENOENT;
	if (is_stats_attr(fs, req->ino, req->name))
		return stats_get(fs, req);
	if (node->is_dir) {
		if (!attr_on_dirs(a))
			return -ENODATA;
		len = policy_dir_get(fs->store, node->path, field_of(a), value, sizeof(value));
	} else {
		len = ops_inspect(fs, node->path, &info);
		if (len == 0) {
			len = lock_attr_value(fs, node->path, &info, a, value, sizeof(value));
			lock_info_clear(&info);
		}
	}
	if (len < 0)
		return len;
	if ((size_t)len >= sizeof(value))
		return -E2BIG;
	reply_value(req->fuse, value, (size_t)len, req->size);
	return REQUEST_ANSWERED;
}

int xattr_list(struct lockfs *fs, struct request *req)
{
	struct node *node = nodes_get(&fs->nodes, req->ino);
	char names[1024], value[STATUS_MAX];
	size_t used = 0;
	struct lock_info info;
	int rc = 0;

	if (!node)
		return -ENOENT;
	if (!node->is_dir) {
		rc = ops_inspect(fs, node->path, &info);
		if (rc < 0)
			return rc;
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
		return rc;
	if (fs->opts.stats && req->ino == FUSE_ROOT_ID)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s", STATS_ATTR) + 1;
	reply_value(req->fuse, names, used, req->size);
	return REQUEST_ANSWERED;
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

/*
 * A compare-and-release refused ESTALE: the kernel retries a path's
 * setxattr once on ESTALE, so a refusal arrives twice in a row from one
 * thread; count it once.
 */
static void count_refusal(struct lockfs *fs, const struct request *req)
{
	if (fs->refused.tid == req->tid && fs->refused.ino == req->ino) {
		fs->refused.tid = 0; /* the kernel's retry */
		return;
	}
	lockfs_count(fs, STATS_COMPARE_REFUSALS, 1);
	fs->refused.tid = req->tid;
	fs->refused.ino = req->ino;
}

/* Set (or remove) attribute a of lock file node for req. */
static int set_lock_attr(struct lockfs *fs, struct request *req, struct node *node,
			 enum lock_attr a, bool remove)
{
	struct caller who = ops_caller(fs, req);
	const char *value = req->value ? req->value : "";
	size_t len = remove ? 0 : req->size;
	struct lock_outcome out;
	struct lock_successor next;
	struct request *head;
	int64_t generation;
	double seconds;
	bool has_ttl;
	char *tags;
	int rc;

	switch (a) {
	case ATTR_TTL:
		if (remove)
			rc = lock_set_ttl(fs->store, node->path, &who, &req->aim, false, 0);
		else if (policy_parse_ttl(value, len, &has_ttl, &seconds) < 0 || !has_ttl)
			return -EINVAL;
		else
			rc = lock_set_ttl(fs->store, node->path, &who, &req->aim, true, seconds);
		if (rc == -ESTALE)
			return -ENOENT; /* decided again: the lock it was for is gone */
		if (rc == 0 && !remove) {
			lockfs_count(fs, STATS_RENEWALS, 1);
			node->expires = true;
			node->expire_time = clock_wall() + seconds;
			tree_invalidate(&fs->tree);
			watch_expiry_hint(fs, true, node->expire_time);
		}
		return rc;
	case ATTR_TAGS:
		if (policy_parse_tags(value, len, &tags) < 0)
			return -EINVAL;
		rc = lock_set_tags(fs->store, node->path, &who, &req->aim, tags);
		free(tags);
		return rc == -ESTALE ? -ENOENT : rc; /* ESTALE: decided again, its lock is gone */
	case ATTR_RELEASE:
		if (remove)
			return -EPERM;
		if (parse_generation(value, len, &generation) < 0)
			return -EINVAL;
		head = ops_successor(fs, node->path, &next);
		rc = lock_release_generation(fs->store, node->path, &who, generation,
					     head ? &next : NULL, &out);
		if (rc == 0)
			ops_released(fs, req, node->path, &out, head);
		if (rc == -ESTALE)
			count_refusal(fs, req);
		return rc;
	case ATTR_UNKNOWN:
	case ATTR_TIMEOUT:
	case ATTR_OPEN:
		return remove ? -ENODATA : -ENOTSUP;
	default:
		return -EPERM; /* shown, not writable */
	}
}

/* Set (or remove) attribute a of directory node for req. */
static int set_dir_attr(struct lockfs *fs, struct request *req, struct node *node,
			enum lock_attr a, bool remove)
{
	struct caller who = {.uid = req->uid, .gid = req->gid};
	int rc;

	if (!attr_on_dirs(a))
		return remove ? -ENODATA : -ENOTSUP;
	rc = ops_dir_exists(fs, node->path);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOENT;
	fs->open_modes.epoch = 0; /* the remembered open modes of directories */
	if (remove)
		return policy_dir_remove(fs->store, node->path, &who, field_of(a));
	return policy_dir_set(fs->store, node->path, &who, field_of(a),
			      req->value ? req->value : "", req->size);
}

static int set_attr(struct lockfs *fs, struct request *req, bool remove)
{
	struct node *node = nodes_get(&fs->nodes, req->ino);
	enum lock_attr a = attr_of(req->name);

	if (!node)
		return -ENOENT;
	if (is_stats_attr(fs, req->ino, req->name))
		return -EPERM; /* shown, not writable */
	memo_touched(&fs->memo, node->path); /* what it shows may change */
	if (node->is_dir)
		return set_dir_attr(fs, req, node, a, remove);
	return set_lock_attr(fs, req, node, a, remove);
}

int xattr_set(struct lockfs *fs, struct request *req)
{
	return set_attr(fs, req, false);
}

int xattr_remove(struct lockfs *fs, struct request *req)
{
	return set_attr(fs, req, true);
}
