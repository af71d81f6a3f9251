/*
 * handles.c — handles of open descriptions, and the count of them per key.
 */
#include "handles.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct open_name {
	struct hmap_link link;
	unsigned count;   /* descriptions open on key */
	unsigned records; /* ...of them that took record locks */
	char key[];
};

static uint64_t key_hash(const char *key)
{
	return hmap_hash_bytes(key, strlen(key));
}

void handles_init(struct handles *h)
{
	memset(h, 0, sizeof(*h));
	h->next_id = 1;
}

static int free_name(void *ctx, struct hmap_link *link)
{
	free(hmap_entry(link, struct open_name, link));
	return 0;
}

static void free_handle(struct handle *handle)
{
	free(handle->record_owners);
	free(handle->key);
	free(handle);
}

void handles_destroy(struct handles *h)
{
	while (h->closed) {
		struct handle *handle = h->closed;

		h->closed = handle->next_closed;
		free_handle(handle);
	}
	hmap_for_each(&h->names, free_name, NULL);
	hmap_free(&h->names);
}

static struct open_name *find_name(const struct handles *h, const char *key)
{
	for (struct hmap_link *l = hmap_first(&h->names, key_hash(key)); l; l = hmap_next(l)) {
		struct open_name *n = hmap_entry(l, struct open_name, link);

		if (strcmp(n->key, key) == 0)
			return n;
	}
	return NULL;
}

struct handle *handles_open(struct handles *h, const char *key)
{
	struct handle *handle = calloc(1, sizeof(*handle));

	if (!handle)
		return NULL;
	handle->key = strdup(key);
	if (!handle->key) {
		free(handle);
		return NULL;
	}
	handle->registry = h;
	handle->id = h->next_id++;
	return handle;
}

void handles_opened(struct handle *handle)
{
	struct handles *h = handle->registry;
	struct open_name *name = find_name(h, handle->key);
	size_t len = strlen(handle->key);

	if (handle->counted)
		return;
	if (!name) {
		name = calloc(1, sizeof(*name) + len + 1);
		if (!name)
			return; /* not shown while free: the handle works all the same */
		memcpy(name->key, handle->key, len + 1);
		if (hmap_insert(&h->names, &name->link, key_hash(handle->key)) < 0) {
			free(name);
			return;
		}
	}
	name->count++;
	if (handle->record_count) {
		name->records++;
		handle->records_counted = true;
	}
	handle->counted = true;
}

void handles_close(struct handles *h, struct handle *handle)
{
	struct open_name *name = handle->counted ? find_name(h, handle->key) : NULL;

	if (name && handle->records_counted)
		name->records--;
	if (name && --name->count == 0) {
		hmap_remove(&h->names, &name->link);
		free(name);
	}
	for (struct handle **link = &h->closed, *prev = NULL; *link;
	     prev = *link, link = &(*link)->next_closed)
		if (*link == handle) {
			*link = handle->next_closed;
			if (h->closed_tail == handle)
				h->closed_tail = prev;
			break;
		}
	free_handle(handle);
}

void handles_keep_closed(struct handles *h, struct handle *handle)
{
	handle->next_closed = NULL;
	if (h->closed_tail)
		h->closed_tail->next_closed = handle;
	else
		h->closed = handle;
	h->closed_tail = handle;
}

void handles_requeue_closed(struct handles *h)
{
	struct handle *first = h->closed;

	if (!first || !first->next_closed)
		return;
	h->closed = first->next_closed;
	handles_keep_closed(h, first);
}

bool handles_closed_owner(const struct handles *h, const char *key, enum store_binding binding,
			  uint64_t owner)
{
	for (const struct handle *c = h->closed; c; c = c->next_closed) {
		if (strcmp(c->key, key) != 0)
			continue;
		if (binding == STORE_BOUND_FLOCK) {
			if ((c->holds & HOLD_FLOCK) && c->flock_owner == owner)
				return true;
			continue;
		}
		for (size_t i = 0; i < c->record_count; i++)
			if (c->record_owners[i] == owner)
				return true;
	}
	return false;
}

unsigned handles_open_on(const struct handles *h, const char *key)
{
	struct open_name *name = find_name(h, key);

	return name ? name->count : 0;
}

struct name_walk {
	int (*fn)(void *ctx, const char *key);
	void *ctx;
};

static int visit_name(void *ctx, struct hmap_link *link)
{
	struct name_walk *walk = ctx;

	return walk->fn(walk->ctx, hmap_entry(link, struct open_name, link)->key);
}

int handles_for_each_name(const struct handles *h, int (*fn)(void *ctx, const char *key),
			  void *ctx)
{
	struct name_walk walk = {.fn = fn, .ctx = ctx};

	return hmap_for_each(&h->names, visit_name, &walk);
}

static int add_record_owner(struct handles *h, struct handle *handle, uint64_t owner)
{
	struct open_name *name;

	for (size_t i = 0; i < handle->record_count; i++)
		if (handle->record_owners[i] == owner)
			return 0;
	if (handle->record_count == handle->record_cap) {
		size_t cap = handle->record_cap ? handle->record_cap * 2 : 2;
		uint64_t *owners = realloc(handle->record_owners, cap * sizeof(*owners));

		if (!owners)
			return -ENOMEM;
		handle->record_owners = owners;
		handle->record_cap = cap;
	}
	if (!handle->records_counted && handle->counted && (name = find_name(h, handle->key))) {
		name->records++;
		handle->records_counted = true;
	}
	handle->record_owners[handle->record_count++] = owner;
	handle->holds |= HOLD_RECORD;
	return 0;
}

int handles_carry(struct handles *h, struct handle *handle, enum store_binding binding,
		  bool shared, uint64_t owner)
{
	switch (binding) {
	case STORE_BOUND_FLOCK:
		handle->holds |= HOLD_FLOCK;
		handle->flock_shared = shared;
		return 0;
	case STORE_BOUND_OPEN:
		handle->holds |= HOLD_OPEN;
		return 0;
	case STORE_BOUND_POSIX:
	case STORE_BOUND_OFD:
		return add_record_owner(h, handle, owner);
	case STORE_BOUND_NONE:
		break;
	}
	return 0;
}

bool handles_record_holds_on(const struct handles *h, const char *key)
{
	struct open_name *name = find_name(h, key);

	return name && name->records;
}
