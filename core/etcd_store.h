/*
 * etcd_store.h — lockfs's locks in an etcd v3 cluster (SPEC §6).
 *
 * Under the prefix P: P/locks/KEY holds each lock as JSON, its generation
 * is the key's create_revision; P/dirs/PATH each kept directory and its
 * policy; P/waiters/KEY//ID each place in a lock's line, ordered by
 * create_revision.  Bound locks and places ride on the daemon's session
 * lease; a lock with a TTL has a lease of its own.
 */
#ifndef LOCKFS_ETCD_STORE_H
#define LOCKFS_ETCD_STORE_H

#include "etcd_client.h"
#include "store.h"

struct etcd_options {
	struct etcd_config cluster;
	const char *prefix;   /* without a trailing '/', e.g. "/lockfs" */
	unsigned session_ttl; /* seconds, at least 2 */
};

/*
 * Connect, take a session lease and start watching P.  -ETIMEDOUT when no
 * member answered, -EINVAL when one answered something that is not etcd's
 * gateway (what it said is copied to why), other -errno.
 */
int store_open_etcd(const struct etcd_options *options, struct store **out, char *why, size_t cap);

#endif
