/*
 * floor_txn.h — the two etcd transactions of a lock pair at their least,
 * shared by the etcd floors (floor_etcd.c, and floor_fuse.c's --etcd).
 *
 * Acquire: a txn that puts KEY if its create_revision is 0 (else reads it).
 * Release: a txn that deletes KEY if its mod_revision is still the one the
 * acquisition made.
 */
#ifndef LOCKFS_FLOOR_TXN_H
#define LOCKFS_FLOOR_TXN_H

#include "etcd_client.h"

#include <stdint.h>

struct floor_lock {
	struct etcd_config cfg; /* the client refers to it */
	struct etcd_client *client;
	char *key64, *value64; /* base64 */
	int64_t revision;      /* of the acquisition */
};

/* Connect to URLS (URL[,URL...]) for the lock PREFIX/floor: 0, or -1 with a message on stderr. */
int floor_lock_open(struct floor_lock *l, const char *urls, const char *prefix);
void floor_lock_close(struct floor_lock *l);

/* One transaction each: 0, or -1 when etcd did not answer. */
int floor_lock_acquire(struct floor_lock *l);
int floor_lock_release(struct floor_lock *l);

#endif
