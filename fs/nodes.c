/*
 * nodes.c — two intrusive hashes over one set of nodes: by id and by path.
 */
#include "nodes.h"

#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>

static uint64_t path_hash(const char *path)
{
	return hmap_hash_bytes(path, strlen(path));
}

void nodes_init(struct nodes *nodes)
{
	memset(nodes, 0, sizeof(*nodes));
	nodes->next_ino = FUSE_ROOT_ID + 1;
	nodes->root.ino = FUSE_ROOT_ID;
	nodes->root.parent = FUSE_ROOT_ID;
	nodes->root.path = (char *)"";
	nodes->root.name = nodes->root.path;
	nodes->root.is_dir = true;
	nodes->root.nlookup = 1;
}

static int free_node(void *ctx, struct hmap_link *link)
{
	struct node *node = hmap_entry(link, struct node, by_ino);

	free(node->path);
	free(node);
	return 0;
}

void nodes_destroy(struct nodes *nodes)
{
	hmap_for_each(&nodes->by_ino, free_node, NULL);
	hmap_free(&nodes->by_ino);
	hmap_free(&nodes->by_path);
}

struct node *nodes_get(struct nodes *nodes, uint64_t ino)
{
	uint64_t hash = hmap_hash_u64(ino);

	if (ino == FUSE_ROOT_ID)
		return &nodes->root;
	for (struct hmap_link *l = hmap_first(&nodes->by_ino, hash); l; l = hmap_next(l)) {
		struct node *node = hmap_entry(l, struct node, by_ino);

		if (node->ino == ino)
			return node;
	}
	return NULL;
}

struct node *nodes_find(struct nodes *nodes, const char *path)
{
	uint64_t hash = path_hash(path);

	if (!*path)
		return &nodes->root;
	for (struct hmap_link *l = hmap_first(&nodes->by_path, hash); l; l = hmap_next(l)) {
		struct node *node = hmap_entry(l, struct node, by_path);

		if (strcmp(node->path, path) == 0)
			return node;
	}
	return NULL;
}

static void unlink_path(struct nodes *nodes, struct node *node)
{
	if (node->named)
		hmap_remove(&nodes->by_path, &node->by_path);
	node->named = false;
}

struct node *nodes_lookup(struct nodes *nodes, uint64_t parent, const char *path, bool is_dir)
{
	struct node *node = nodes_find(nodes, path);
	const char *slash;

	if (node && node->is_dir == is_dir) {
		node->nlookup++;
		return node;
	}
	if (node) /* the other type: the old node stays reachable by id until forgotten */
		unlink_path(nodes, node);
	node = calloc(1, sizeof(*node));
	if (!node)
		return NULL;
	node->path = strdup(path);
	if (!node->path) {
		free(node);
		return NULL;
	}
	slash = strrchr(node->path, '/');
	node->name = slash ? slash + 1 : node->path;
	node->ino = nodes->next_ino++;
	node->parent = parent;
	node->is_dir = is_dir;
	node->nlookup = 1;
	if (hmap_insert(&nodes->by_ino, &node->by_ino, hmap_hash_u64(node->ino)) < 0)
		goto fail;
	if (hmap_insert(&nodes->by_path, &node->by_path, path_hash(path)) < 0) {
		hmap_remove(&nodes->by_ino, &node->by_ino);
		goto fail;
	}
	node->named = true;
	return node;
fail:
	free(node->path);
	free(node);
	return NULL;
}

void nodes_forget(struct nodes *nodes, uint64_t ino, uint64_t n)
{
	struct node *node = nodes_get(nodes, ino);

	if (!node || node == &nodes->root)
		return;
	node->nlookup = node->nlookup > n ? node->nlookup - n : 0;
	if (node->nlookup)
		return;
	unlink_path(nodes, node);
	hmap_remove(&nodes->by_ino, &node->by_ino);
	free(node->path);
	free(node);
}

struct visit {
	int (*fn)(void *ctx, struct node *node);
	void *ctx;
};

static int visit_node(void *ctx, struct hmap_link *link)
{
	struct visit *v = ctx;

	return v->fn(v->ctx, hmap_entry(link, struct node, by_ino));
}

int nodes_for_each(struct nodes *nodes, int (*fn)(void *ctx, struct node *node), void *ctx)
{
	struct visit v = {.fn = fn, .ctx = ctx};

	return hmap_for_each(&nodes->by_ino, visit_node, &v);
}
