/*
 * hmap.c — chained hashing with power-of-two buckets, doubled at load 1.
 */
#include "hmap.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

uint64_t hmap_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t hmap_hash_u64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	v *= 0xc4ceb9fe1a85ec53ull;
	v ^= v >> 33;
	return v;
}

static int grow(struct hmap *map)
{
	size_t count = map->bucket_count ? map->bucket_count * 2 : 16;
	struct hmap_link **buckets = calloc(count, sizeof(*buckets));

	if (!buckets)
		return -ENOMEM;
	for (size_t i = 0; i < map->bucket_count; i++) {
		struct hmap_link *link = map->buckets[i], *next;

		for (; link; link = next) {
			size_t b = link->hash & (count - 1);

			next = link->next;
			link->next = buckets[b];
			buckets[b] = link;
		}
	}
	free(map->buckets);
	map->buckets = buckets;
	map->bucket_count = count;
	return 0;
}

int hmap_insert(struct hmap *map, struct hmap_link *link, uint64_t hash)
{
	size_t b;

	/* A table that cannot grow keeps working with longer chains. */
	if (map->count >= map->bucket_count && grow(map) < 0 && !map->bucket_count)
		return -ENOMEM;
	link->hash = hash;
	b = hash & (map->bucket_count - 1);
	link->next = map->buckets[b];
	map->buckets[b] = link;
	map->count++;
	return 0;
}

void hmap_remove(struct hmap *map, struct hmap_link *link)
{
	struct hmap_link **pp;

	assert(map->bucket_count);
	pp = &map->buckets[link->hash & (map->bucket_count - 1)];
	while (*pp && *pp != link)
		pp = &(*pp)->next;
	assert(*pp); /* the link is in the map */
	*pp = link->next;
	map->count--;
	link->next = NULL;
}

struct hmap_link *hmap_first(const struct hmap *map, uint64_t hash)
{
	struct hmap_link *link;

	if (!map->bucket_count)
		return NULL;
	link = map->buckets[hash & (map->bucket_count - 1)];
	while (link && link->hash != hash)
		link = link->next;
	return link;
}

struct hmap_link *hmap_next(const struct hmap_link *link)
{
	struct hmap_link *next = link->next;

	while (next && next->hash != link->hash)
		next = next->next;
	return next;
}

int hmap_for_each(const struct hmap *map, int (*fn)(void *ctx, struct hmap_link *link), void *ctx)
{
	for (size_t i = 0; i < map->bucket_count; i++) {
		for (struct hmap_link *link = map->buckets[i], *next; link; link = next) {
			int rc;

			next = link->next;
			rc = fn(ctx, link);
			if (rc)
				return rc;
		}
	}
	return 0;
}

void hmap_free(struct hmap *map)
{
	free(map->buckets);
	map->buckets = NULL;
	map->bucket_count = map->count = 0;
}
