/*
 * notify.h — tell the kernel about releases it did not see.
 *
 * A lock released outside the mount, or by expiry, is announced with
 * fuse_lowlevel_notify_delete, which gives inotify watchers of the file
 * IN_DELETE_SELF.  The kernel takes the directory's lock to do it, and a
 * request holding that lock may be waiting for our answer, so the call is
 * made from a thread of its own that no request ever waits on.
 */
#ifndef LOCKFS_NOTIFY_H
#define LOCKFS_NOTIFY_H

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>

struct notice;

struct notifier {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct notice *head, *tail;
	struct fuse_session *session;
	pthread_t thread;
	bool started, stopping;
};

/* Start the thread.  0 or -errno. */
int notifier_start(struct notifier *n, struct fuse_session *session);

/* Queue a deletion of name (ino) in directory parent.  Never blocks on the kernel. */
void notifier_deleted(struct notifier *n, fuse_ino_t parent, fuse_ino_t ino, const char *name);

/* Stop the thread; queued notices are dropped. */
void notifier_stop(struct notifier *n);

#endif
