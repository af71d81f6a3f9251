/*
 * tree.h — which directories exist because held locks sit below them.
 *
 * A key "a/b/c" makes "a" and "a/b" directories.  The tree counts, for each
 * such prefix, the held locks below it.  It is built by one scan of the
 * cache and then kept by the daemon's own acquisitions and releases; a
 * change made elsewhere, or the expiry of a counted lock, invalidates it
 * and the next question rebuilds it.  Flat keys (no '/') never touch it.
 */
#ifndef LOCKFS_TREE_H
#define LOCKFS_TREE_H

#include <stdbool.h>

#include "hmap.h"
#include "store.h"

struct tree {
	struct hmap prefixes;
	bool valid;
	bool expires;       /* some counted lock expires... */
	double next_expiry; /* ...at this time at the earliest */
};

void tree_init(struct tree *tree);
void tree_destroy(struct tree *tree);

/* Forget everything; the next tree_ensure rebuilds. */
void tree_invalidate(struct tree *tree);

/* Rebuild when invalid or when a counted lock has expired.  0 or -errno. */
int tree_ensure(struct tree *tree, struct store *st, double now);

/* True when a held lock sits below path (call tree_ensure first). */
bool tree_has_below(const struct tree *tree, const char *path);

/* The daemon took key (fresh) or let it go (row deleted). */
void tree_add(struct tree *tree, const char *key, bool expires, double expire_time);
void tree_remove(struct tree *tree, const char *key);

#endif
