/*
 * hmap.h — an intrusive hash table.
 *
 * Entries embed a struct hmap_link and are found by their hash; the caller
 * compares keys while walking a bucket (hmap_first/hmap_next).  No
 * allocation per entry, so waiters and inodes cost one malloc each.
 */
#ifndef LOCKFS_HMAP_H
#define LOCKFS_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_link {
	struct hmap_link *next;
	uint64_t hash;
};

struct hmap {
	struct hmap_link **buckets;
	size_t bucket_count; /* a power of two, or 0 before the first insert */
	size_t count;
};

#define hmap_entry(link, type, member) ((type *)((char *)(link) - offsetof(type, member)))

/* FNV-1a over bytes, and a mixer for integers and pointers. */
uint64_t hmap_hash_bytes(const void *data, size_t len);
uint64_t hmap_hash_u64(uint64_t value);

/*
 * Insert link under hash.  Returns 0, or -ENOMEM when the first bucket
 * array could not be allocated (then nothing was inserted).  A table that
 * cannot grow later still inserts, with longer chains.
 */
int hmap_insert(struct hmap *map, struct hmap_link *link, uint64_t hash);

/* Remove link, which must be in map (asserted). */
void hmap_remove(struct hmap *map, struct hmap_link *link);

/* First link with this hash (NULL when none), then the next one with it. */
struct hmap_link *hmap_first(const struct hmap *map, uint64_t hash);
struct hmap_link *hmap_next(const struct hmap_link *link);

/* Visit every link; fn may remove the link it is given, nothing else.  Stops when fn returns non-zero. */
int hmap_for_each(const struct hmap *map, int (*fn)(void *ctx, struct hmap_link *link), void *ctx);

/* Free the bucket array (entries belong to the caller). */
void hmap_free(struct hmap *map);

#endif
