/*
 * instance.h — one run of a lockfs daemon: host, pid and start time.
 *
 * Several daemons may serve one cache (two mounts of it).  What one of
 * them leaves in the cache on behalf of its requests — a place in the
 * order of waiters, a lock bound to an open file — belongs to its
 * instance, so that the others can tell when that instance is gone (a
 * crash, kill -9) and stop honouring what it left.  A pid alone is not
 * enough: pids are reused, so the process's start time comes with it.
 */
#ifndef LOCKFS_INSTANCE_H
#define LOCKFS_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define INSTANCE_HOST_MAX 256

struct instance {
	char host[INSTANCE_HOST_MAX];
	int32_t pid;
	uint64_t start_time; /* clock ticks after boot, /proc/<pid>/stat field 22 */
};

/* This machine's name (read once). */
const char *instance_host(void);

/* This process, as an instance (read once). */
const struct instance *instance_self(void);

/* The same instance? */
bool instance_equal(const struct instance *a, const struct instance *b);

/*
 * Is instance still running?  Ours is; another on this host is when a
 * process with its pid and start time exists; one on another host cannot
 * be checked from here and counts as running.
 */
bool instance_alive(const struct instance *in);

/*
 * Is an instance of this host surely gone: no process with its pid, or
 * one that started at another time?  A process this one cannot see (hidden
 * /proc) is not surely gone.
 */
bool instance_surely_gone(const struct instance *in);

#endif
