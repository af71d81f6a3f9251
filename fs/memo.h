/*
 * memo.h — what the daemon remembers of names between requests.
 *
 * The kernel looks a name up before every open and every unlink, and most
 * of those names are ones the daemon itself just read or changed.  While
 * nobody else writes to the cache (its epoch stays the same, store.h), the
 * daemon knows what such a name is without asking SQLite: the status of a
 * held lock, or that the name is free and no directory.  Every fact
 * carries the epoch it was true in and is used in that epoch only; the
 * daemon's own writes keep the epoch and update the facts they change.
 *
 * A few dozen names are remembered, the least recently used forgotten
 * first: enough for the names in use, nothing to scan.
 */
#ifndef LOCKFS_MEMO_H
#define LOCKFS_MEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "lock.h"

#define MEMO_NAMES 64

struct memo_entry {
	char *key;     /* NULL: an empty slot */
	uint64_t hash; /* of key */
	uint64_t epoch;
	unsigned long used;
	bool known; /* held or free is known (with info when held) */
	bool held;
	struct lock_info info; /* held: what the lock file shows (owns info.tags) */
	bool not_dir;          /* the name is no directory: not kept, no lock below */
};

struct memo {
	struct memo_entry entries[MEMO_NAMES];
	unsigned long clock;
};

void memo_init(struct memo *m);
void memo_destroy(struct memo *m);

/* What is known of key in epoch, or NULL. */
const struct memo_entry *memo_get(struct memo *m, const char *key, uint64_t epoch);

/* In epoch, key is a held lock showing info (copied). */
void memo_held(struct memo *m, const char *key, uint64_t epoch, const struct lock_info *info);

/*
 * In epoch, key holds no lock; not_dir: it is no directory either (false
 * keeps what was known of that in the same epoch).
 */
void memo_free(struct memo *m, const char *key, uint64_t epoch, bool not_dir);

/* Whatever was known of key is no longer true (a change the memo did not see). */
void memo_forget(struct memo *m, const char *key);

/*
 * key's lock changed in a way the memo did not see: whether it is held is
 * unknown now (whether it is a directory stays known).
 */
void memo_touched(struct memo *m, const char *key);

/* key was taken: the names above it are directories now, whatever was known. */
void memo_forget_dirs(struct memo *m, const char *key);

#endif
