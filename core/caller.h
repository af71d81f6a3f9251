/*
 * caller.h — who is asking: the thread behind a request, as lock rules see it.
 *
 * A lock's owner is "<tgid>-<tid>" of the thread that took it, the string
 * typed_diskcache builds from os.getpid() and threading.get_native_id().
 * Thread ids are reused, so the thread's start time is kept beside it.
 */
#ifndef LOCKFS_CALLER_H
#define LOCKFS_CALLER_H

#include <stdint.h>
#include <sys/types.h>

#define CALLER_OWNER_MAX 48
#define CALLER_COMM_MAX 32

struct caller {
	uid_t uid;
	gid_t gid;
	pid_t tid;           /* 0 when the thread is not visible (another pid namespace) */
	pid_t tgid;          /* its process */
	uint64_t start_time; /* clock ticks after boot, /proc/<tid>/stat field 22 */
	char comm[CALLER_COMM_MAX];
};

/*
 * Describe thread tid (as a FUSE request reports it) for uid/gid.  Reads
 * /proc; a thread that cannot be read (gone, or tid 0) becomes an anonymous
 * caller with tid 0, which is never an owner.  Always returns 0.
 */
int caller_from_thread(pid_t tid, uid_t uid, gid_t gid, struct caller *c);

/*
 * A cache of recent threads: it keeps /proc/<tid>/stat open, so a thread
 * seen before costs one read (which also proves it is the same thread: a
 * dead thread's file answers ESRCH).  Not thread-safe.
 */
struct caller_cache;

struct caller_cache *caller_cache_new(unsigned slots);
void caller_cache_free(struct caller_cache *cache);

/* caller_from_thread, through the cache.  Always returns 0. */
int caller_identify(struct caller_cache *cache, pid_t tid, uid_t uid, gid_t gid,
		    struct caller *c);

/* Write "<tgid>-<tid>" to out. */
void caller_owner(const struct caller *c, char *out, size_t cap);

#endif
