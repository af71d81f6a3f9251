/*
 * listing.c — directory listings.
 *
 * A listing is taken whole at opendir (one walk of the held locks and the
 * kept directories) and served by offset from memory until releasedir, so
 * that `ls` of a directory whose locks come and go meanwhile still sees one
 * consistent picture, and readdir needs no database access.
 */
#include "ops.h"
#include "name.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct listing {
	size_t count, cap;
	struct listing_entry {
		char *name;
		bool is_dir;
	} *entries;
	const char *prefix; /* while building: "dir/" or "" */
	size_t prefix_len;
};

static int add_entry(struct listing *l, const char *name, size_t len, bool is_dir)
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
static int add_below(struct listing *l, const char *path, bool is_lock)
{
	const char *rest, *slash;

	if (strncmp(path, l->prefix, l->prefix_len) != 0)
		return 0;
	rest = path + l->prefix_len;
	if (!*rest)
		return 0;
	slash = strchr(rest, '/');
	if (slash)
		return add_entry(l, rest, (size_t)(slash - rest), true);
	return add_entry(l, rest, strlen(rest), !is_lock);
}

static int add_lock(void *ctx, const char *key, size_t key_len, bool expires, double expire)
{
	return add_below(ctx, key, true);
}

static int add_kept_dir(void *ctx, const char *path)
{
	return add_below(ctx, path, false);
}

/* A name with a description open on it is shown while it is (flock(1) opens first). */
static int add_open_name(void *ctx, const char *key)
{
	return add_below(ctx, key, true);
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

static int build(struct lockfs *fs, const char *path, struct listing **out)
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
	rc = lock_for_each_held(fs->store, add_lock, l);
	if (rc == 0)
		rc = store_dir_for_each_below(fs->store, path, add_kept_dir, l);
	if (rc == 0)
		rc = handles_for_each_name(&fs->handles, add_open_name, l);
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

int listing_open(struct lockfs *fs, struct request *req)
{
	struct node *node = nodes_get(&fs->nodes, req->ino);
	struct listing *l;
	int rc;

	if (!node || !node->is_dir)
		return node ? -ENOTDIR : -ENOENT;
	rc = ops_dir_exists(fs, node->path);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOENT;
	rc = build(fs, node->path, &l);
	if (rc < 0)
		return rc;
	req->fi.fh = (uintptr_t)l;
	if (fuse_reply_open(req->fuse, &req->fi) == -ENOENT)
		listing_free(l); /* the opener was interrupted; no releasedir will come */
	return REQUEST_ANSWERED;
}

void listing_read(fuse_req_t fuse, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct listing *l = (struct listing *)(uintptr_t)fi->fh;
	char *buf = calloc(1, size ? size : 1);
	size_t used = 0;

	if (!buf) {
		fuse_reply_err(fuse, ENOMEM);
		return;
	}
	for (off_t i = off; l && i < (off_t)l->count + 2; i++) {
		struct stat st = {.st_ino = 0xffffffff}; /* unknown: ls -i asks with stat */
		const char *name = i == 0 ? "." : i == 1 ? ".." : l->entries[i - 2].name;
		size_t need;

		st.st_mode = i < 2 || l->entries[i - 2].is_dir ? S_IFDIR : S_IFREG;
		need = fuse_add_direntry(fuse, buf + used, size - used, name, &st, i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(fuse, buf, used);
	free(buf);
}

void listing_release(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi)
{
	listing_free((struct listing *)(uintptr_t)fi->fh);
	fuse_reply_err(fuse, 0);
}
