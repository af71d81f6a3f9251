/*
 * tree.c — prefix counts of held lock keys.
 */
#include "tree.h"
#include "lock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct prefix {
	struct hmap_link link;
	unsigned count;
	size_t len;
	char path[];
};

void tree_init(struct tree *tree)
{
	memset(tree, 0, sizeof(*tree));
}

static int free_prefix(void *ctx, struct hmap_link *link)
{
	free(hmap_entry(link, struct prefix, link));
	return 0;
}

void tree_invalidate(struct tree *tree)
{
	hmap_for_each(&tree->prefixes, free_prefix, NULL);
	hmap_free(&tree->prefixes);
	tree->valid = false;
	tree->expires = false;
}

void tree_destroy(struct tree *tree)
{
	tree_invalidate(tree);
}

static struct prefix *find(const struct tree *tree, const char *path, size_t len)
{
	uint64_t hash = hmap_hash_bytes(path, len);

	for (struct hmap_link *l = hmap_first(&tree->prefixes, hash); l; l = hmap_next(l)) {
		struct prefix *p = hmap_entry(l, struct prefix, link);

		if (p->len == len && memcmp(p->path, path, len) == 0)
			return p;
	}
	return NULL;
}

/* Add delta to every proper prefix of key.  -ENOMEM leaves the tree invalid. */
static int count_prefixes(struct tree *tree, const char *key, int delta)
{
	for (const char *slash = strchr(key, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t len = (size_t)(slash - key);
		struct prefix *p = find(tree, key, len);

		if (!p && delta > 0) {
			p = calloc(1, sizeof(*p) + len + 1);
			if (!p)
				return -ENOMEM;
			memcpy(p->path, key, len);
			p->len = len;
			if (hmap_insert(&tree->prefixes, &p->link, hmap_hash_bytes(key, len)) < 0) {
				free(p);
				return -ENOMEM;
			}
		}
		if (!p)
			continue;
		if (delta > 0) {
			p->count++;
		} else if (--p->count == 0) {
			hmap_remove(&tree->prefixes, &p->link);
			free(p);
		}
	}
	return 0;
}

static void note_expiry(struct tree *tree, bool expires, double expire_time)
{
	if (expires && (!tree->expires || expire_time < tree->next_expiry)) {
		tree->expires = true;
		tree->next_expiry = expire_time;
	}
}

static int add_held(void *ctx, const char *key, size_t key_len, bool expires, double expire_time)
{
	struct tree *tree = ctx;

	if (!memchr(key, '/', key_len))
		return 0;
	note_expiry(tree, expires, expire_time);
	return count_prefixes(tree, key, +1);
}

int tree_ensure(struct tree *tree, struct store *st, double now)
{
	int rc;

	if (tree->valid && !(tree->expires && tree->next_expiry <= now))
		return 0;
	tree_invalidate(tree);
	rc = lock_for_each_held(st, add_held, tree);
	if (rc < 0) {
		tree_invalidate(tree);
		return rc;
	}
	tree->valid = true;
	return 0;
}

bool tree_has_below(const struct tree *tree, const char *path)
{
	return *path == '\0' || find(tree, path, strlen(path)) != NULL;
}

void tree_add(struct tree *tree, const char *key, bool expires, double expire_time)
{
	if (!tree->valid || !strchr(key, '/'))
		return;
	note_expiry(tree, expires, expire_time);
	if (count_prefixes(tree, key, +1) < 0)
		tree_invalidate(tree);
}

void tree_remove(struct tree *tree, const char *key)
{
	if (!tree->valid || !strchr(key, '/'))
		return;
	count_prefixes(tree, key, -1);
}
