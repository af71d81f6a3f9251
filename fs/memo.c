/*
 * memo.c — a small table of facts about names, each true in one epoch.
 */
#include "memo.h"
#include "hmap.h"

#include <stdlib.h>
#include <string.h>

void memo_init(struct memo *m)
{
	memset(m, 0, sizeof(*m));
}

static void clear_entry(struct memo_entry *e)
{
	free(e->key);
	lock_info_clear(&e->info);
	memset(e, 0, sizeof(*e));
}

void memo_destroy(struct memo *m)
{
	for (unsigned i = 0; i < MEMO_NAMES; i++)
		clear_entry(&m->entries[i]);
}

static struct memo_entry *find(struct memo *m, const char *key, uint64_t hash)
{
	for (unsigned i = 0; i < MEMO_NAMES; i++) {
		struct memo_entry *e = &m->entries[i];

		if (e->key && e->hash == hash && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

const struct memo_entry *memo_get(struct memo *m, const char *key, uint64_t epoch)
{
	struct memo_entry *e = find(m, key, hmap_hash_bytes(key, strlen(key)));

	if (!e || e->epoch != epoch)
		return NULL;
	e->used = ++m->clock;
	return e;
}

/*
 * The entry of key for epoch: its own (cleared of facts from another
 * epoch), else the least recently used slot.  NULL when out of memory.
 */
static struct memo_entry *entry_for(struct memo *m, const char *key, uint64_t epoch)
{
	uint64_t hash = hmap_hash_bytes(key, strlen(key));
	struct memo_entry *e = find(m, key, hash), *oldest = &m->entries[0];

	if (e && e->epoch != epoch) {
		lock_info_clear(&e->info);
		e->known = e->held = e->not_dir = false;
		e->epoch = epoch;
	}
	if (!e) {
		for (unsigned i = 0; i < MEMO_NAMES && oldest->key; i++)
			if (!m->entries[i].key || m->entries[i].used < oldest->used)
				oldest = &m->entries[i];
		clear_entry(oldest);
		oldest->key = strdup(key);
		if (!oldest->key)
			return NULL;
		oldest->hash = hash;
		oldest->epoch = epoch;
		e = oldest;
	}
	e->used = ++m->clock;
	return e;
}

void memo_held(struct memo *m, const char *key, uint64_t epoch, const struct lock_info *info)
{
	struct memo_entry *e = entry_for(m, key, epoch);
	uint8_t *note = NULL;
	char *tags;

	if (!e)
		return;
	tags = strdup(info->tags ? info->tags : "");
	if (info->note_len && (note = malloc(info->note_len)))
		memcpy(note, info->note, info->note_len);
	if (!tags || (info->note_len && !note)) {
		free(tags);
		free(note);
		memo_forget(m, key);
		return;
	}
	lock_info_clear(&e->info);
	e->info = *info;
	e->info.tags = tags;
	e->info.note = note;
	e->known = e->held = true;
}

void memo_free(struct memo *m, const char *key, uint64_t epoch, bool not_dir)
{
	struct memo_entry *e = entry_for(m, key, epoch);

	if (!e)
		return;
	lock_info_clear(&e->info);
	e->known = true;
	e->held = false;
	e->not_dir |= not_dir;
}

void memo_forget(struct memo *m, const char *key)
{
	struct memo_entry *e = find(m, key, hmap_hash_bytes(key, strlen(key)));

	if (e)
		clear_entry(e);
}

void memo_touched(struct memo *m, const char *key)
{
	struct memo_entry *e = find(m, key, hmap_hash_bytes(key, strlen(key)));

	if (!e)
		return;
	lock_info_clear(&e->info);
	e->known = e->held = false;
}

void memo_forget_dirs(struct memo *m, const char *key)
{
	size_t len = strlen(key);

	for (unsigned i = 0; i < MEMO_NAMES; i++) {
		struct memo_entry *e = &m->entries[i];
		size_t elen = e->key ? strlen(e->key) : 0;

		/* Every name that key is below. */
		if (e->key && elen < len && key[elen] == '/' && memcmp(e->key, key, elen) == 0)
			e->not_dir = false;
	}
}
