/*
 * floor_txn.h — the two etcd transactions of a lock pair, shared by the
 * etcd floors (floor_etcd.c, and floor_fuse.c's --etcd and
 * --etcd-as-lockfs).
 *
 * At their least (for reference): acquire, a txn that puts KEY if its
 * create_revision is 0 (else reads it); release, a txn that deletes KEY if
 * its mod_revision is still the one the acquisition made.
 *
 * As lockfs sends them (the floor's): each transaction is also guarded on
 * a fence key's mod_revision and moves the fence (lockfs settles a
 * transaction whose answer was lost that way), the acquisition is guarded
 * on the key's line of waiters being as it was (empty), the value is a
 * lock's JSON as lockfs writes it, and a watch stream of the lock keys'
 * prefix stays open on a second connection, as every lockfs daemon's does.
 */
#ifndef LOCKFS_FLOOR_TXN_H
#define LOCKFS_FLOOR_TXN_H

#include "etcd_client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct floor_lock {
	struct etcd_config cfg; /* the client refers to it */
	struct etcd_client *client;
	char *key64, *value64; /* base64 */
	int64_t revision;      /* of the acquisition */
	/* As lockfs sends them: */
	bool as_lockfs;
	char *fence64;
	char *line64, *line_end64; /* the key's line of waiters */
	int64_t fence_revision;
	uint64_t marks;
	struct etcd_client *watch_client;
	pthread_t watcher;
	bool watching;
	volatile bool stop;
	char *watch_body;
};

/*
 * Connect to URLS (URL[,URL...]) for the lock PREFIX/floor, the least
 * transactions or (as_lockfs) as lockfs sends them: 0, or -1 with a
 * message on stderr.
 */
int floor_lock_open(struct floor_lock *l, const char *urls, const char *prefix, bool as_lockfs);
void floor_lock_close(struct floor_lock *l);

/* One transaction each: 0, or -1 when etcd did not answer. */
int floor_lock_acquire(struct floor_lock *l);
int floor_lock_release(struct floor_lock *l);

#endif
