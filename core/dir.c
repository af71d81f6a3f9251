/*
 * dir.c — the directory rules over the store and the tree.
 *
 * mkdir and rmdir are each one write transaction, so the check ("is a lock
 * held there", "is anything below") and the write are one step for every
 * other client of the cache.
 */
#include "dir.h"
#include "lock.h"
#include "name.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool dir_may_change(const struct caller *who)
{
	return who->uid == 0 || who->uid == geteuid();
}

int dir_exists(struct store *st, struct tree *tree, const char *path, double now)
{
	int rc;

	if (!*path)
		return 1;
	rc = store_dir_kept(st, path);
	if (rc != 0)
		return rc;
	rc = tree_ensure(tree, st, now);
	if (rc < 0)
		return rc;
	return tree_has_below(tree, path);
}

/* End a write transaction: commit after success, roll back after rc < 0. */
static int end_write(struct store *st, int rc)
{
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

int dir_make(struct store *st, const char *path, const struct caller *who)
{
	struct store_dir row;
	struct lock_info info;
	int rc;

	if (!dir_may_change(who))
		return -EPERM;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = lock_inspect(st, path, &info);
	if (rc == 0) {
		lock_info_clear(&info);
		rc = -EEXIST;
	} else if (rc == -ENOENT || rc == -EEXIST) {
		rc = 0; /* free, or data that is not a lock */
	}
	if (rc == 0) {
		rc = store_dir_get(st, path, &row);
		store_dir_clear(&row);
		rc = rc == 0 ? -EEXIST : rc == -ENOENT ? 0 : rc;
	}
	if (rc == 0) {
		memset(&row, 0, sizeof(row));
		rc = store_dir_put(st, path, &row);
	}
	return end_write(st, rc);
}

struct below_probe {
	const char *prefix;
	size_t len;
};

static int held_below(void *ctx, const char *key, size_t key_len, bool expires, double expire)
{
	struct below_probe *probe = ctx;

	return key_len > probe->len && memcmp(key, probe->prefix, probe->len) == 0;
}

/* 1 when a held lock sits strictly below path, 0 when none, or -errno. */
static int lock_below(struct store *st, const char *path)
{
	char prefix[KEY_MAX_BYTES + 2];
	struct below_probe probe = {.prefix = prefix};

	probe.len = (size_t)snprintf(prefix, sizeof(prefix), "%s%s", path, *path ? "/" : "");
	return lock_for_each_held(st, held_below, &probe);
}

static int stop_at_first(void *ctx, const char *path)
{
	return 1;
}

int dir_remove(struct store *st, const char *path, const struct caller *who)
{
	struct store_dir row;
	bool kept;
	int rc;

	if (!*path)
		return -EBUSY;
	if (!dir_may_change(who))
		return -EPERM;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = store_dir_get(st, path, &row);
	store_dir_clear(&row);
	kept = rc == 0;
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0) {
		rc = store_dir_for_each_below(st, path, stop_at_first, NULL);
		if (rc == 1)
			rc = -ENOTEMPTY;
	}
	if (rc == 0) {
		rc = lock_below(st, path);
		if (rc == 1)
			rc = -ENOTEMPTY;
	}
	if (rc == 0 && !kept)
		rc = -ENOENT;
	if (rc == 0)
		rc = store_dir_delete(st, path);
	return end_write(st, rc);
}
