/*
 * ops.h — what the handlers of ops.c, xattr.c and listing.c share.
 *
 * Handlers run under the daemon's lock and follow request.h's contract:
 * REQUEST_ANSWERED, REQUEST_HELD or a negative errno.
 */
#ifndef LOCKFS_OPS_H
#define LOCKFS_OPS_H

#include <fcntl.h>
#include <sys/stat.h>

#include "lockfs.h"

/* Attribute values fit in this (a lock's note, STORE_NOTE_MAX, included). */
#define STATUS_MAX 8192

/* The key of name in directory node dir, in out.  0 or -errno. */
int ops_key_of(struct lockfs *fs, fuse_ino_t dir, const char *name, char *out, size_t cap);

/* 1 when path is a directory (kept, or above a held lock), 0, or -errno. */
int ops_dir_exists(struct lockfs *fs, const char *path);

/* Who asks, as the lock rules see it. */
struct caller ops_caller(struct lockfs *fs, const struct request *req);

/*
 * Read key's lock as a lock file shows it: held, or free while a
 * description is open on it (info->free); -ENOENT otherwise.
 */
int ops_inspect(struct lockfs *fs, const char *key, struct lock_info *info);

/* Attributes of a node as they are now: -ENOENT once it is gone. */
int ops_node_attr(struct lockfs *fs, struct node *node, struct stat *st);

/*
 * Does a closed description still hold key for req's owner (a flock or
 * record lock whose holds wait for the store)?  Then req waits until they
 * are given up, in line or not: the store would take that hold for req's
 * own, and the retry would then release it.
 */
bool ops_shadowed(struct lockfs *fs, const char *key, const struct request *req);

/*
 * The first waiter of key as a successor for a release (next filled), or
 * NULL when nobody waits, or when a closed description still holds key for
 * that waiter's owner.
 */
struct request *ops_successor(struct lockfs *fs, const char *key, struct lock_successor *next);

/* After a release through the mount by req: hand-off, tree, node, log. */
void ops_released(struct lockfs *fs, const struct request *req, const char *key,
		  const struct lock_outcome *out, struct request *head);

/*
 * Acquire req->hold (a bound request) on key: at once, or queued in line;
 * a try (nonblocking) that meets a holder returns -EBUSY.  As acquire().
 */
int ops_acquire_hold(struct lockfs *fs, struct request *req, const char *key, bool nonblocking,
		     struct lock_grant *grant);

/* A description was granted hold: it carries it until its last close. */
void ops_carry(struct lockfs *fs, struct handle *handle, const struct lock_hold *hold);

/* Locks bound to open files (holds.c): the FUSE entries. */
void holds_flock(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi, int op);
void holds_setlk(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock,
		 int sleep);
void holds_getlk(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock);
void holds_flush(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi);
void holds_release(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi);

/* Extended attributes (xattr.c). */
int xattr_get(struct lockfs *fs, struct request *req);
int xattr_list(struct lockfs *fs, struct request *req);
int xattr_set(struct lockfs *fs, struct request *req);
int xattr_remove(struct lockfs *fs, struct request *req);

/* Directory listings (listing.c): taken at opendir, served by offset. */
int listing_open(struct lockfs *fs, struct request *req);
void listing_read(fuse_req_t fuse, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi);
void listing_release(fuse_req_t fuse, fuse_ino_t ino, struct fuse_file_info *fi);

#endif
