/*
 * nodes.h — the inodes the kernel knows: node ids, paths and lookup counts.
 *
 * A node id is never a SQLite rowid (rowids are reused): ids come from a
 * counter and a node lives until the kernel forgets it.  The same path
 * keeps its id while the kernel holds it; a path that changes type (a lock
 * that became a directory) gets a new node.
 */
#ifndef LOCKFS_NODES_H
#define LOCKFS_NODES_H

#include <stdbool.h>
#include <stdint.h>

#include "hmap.h"

struct node {
	uint64_t ino;
	uint64_t parent; /* the parent directory's ino (root: itself) */
	char *path;      /* the key ("" for the root) */
	const char *name; /* last component, inside path */
	bool is_dir;
	bool named; /* reachable by path (false once replaced by a node of the other type) */
	uint64_t nlookup;
	/* What a lock file's node last saw, to notice releases made elsewhere. */
	bool held;
	double store_time;
	bool expires;
	double expire_time;
	struct hmap_link by_ino, by_path;
};

struct nodes {
	struct hmap by_ino, by_path;
	uint64_t next_ino;
	struct node root;
};

/* Set up a table holding the root (ino 1). */
void nodes_init(struct nodes *nodes);

/* Free every node. */
void nodes_destroy(struct nodes *nodes);

struct node *nodes_get(struct nodes *nodes, uint64_t ino);
struct node *nodes_find(struct nodes *nodes, const char *path);

/*
 * The node for path as a file or directory, created when missing or when
 * the existing one has the other type; its lookup count goes up by one.
 * Returns NULL when out of memory.
 */
struct node *nodes_lookup(struct nodes *nodes, uint64_t parent, const char *path, bool is_dir);

/* FORGET: lower the lookup count by n; the node goes at 0 (never the root). */
void nodes_forget(struct nodes *nodes, uint64_t ino, uint64_t n);

/* Visit every node but the root.  Stops when fn returns non-zero. */
int nodes_for_each(struct nodes *nodes, int (*fn)(void *ctx, struct node *node), void *ctx);

#endif
