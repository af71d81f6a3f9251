/*
 * dir.h — the directory rules: which paths are directories, mkdir, rmdir.
 *
 * A path is a directory when it is kept (a lockfs_dir row: made with
 * mkdir, or given a policy) or when held locks sit below it (counted by
 * the tree, tree.h).  A directory that exists only because of locks below
 * it vanishes with the last of them; a kept one stays until rmdir.
 * Directories and their policies belong to the daemon: only root or the
 * daemon's uid may make, remove or configure them.
 *
 * Returns: 0 (or 1/0 for questions) or a negative errno, as in lock.h.
 */
#ifndef LOCKFS_DIR_H
#define LOCKFS_DIR_H

#include <stdbool.h>

#include "caller.h"
#include "store.h"
#include "tree.h"

/* May who make, remove or configure directories?  Root or the daemon's uid. */
bool dir_may_change(const struct caller *who);

/*
 * 1 when path is a directory, 0 when not, or -errno.  The root ("") always
 * is.  tree is rebuilt first when it is invalid or a counted lock expired
 * (now: wall time).
 */
int dir_exists(struct store *st, struct tree *tree, const char *path, double now);

/*
 * mkdir: keep directory path.  -EEXIST when it is a held lock or kept
 * already, -EPERM unless dir_may_change.
 */
int dir_make(struct store *st, const char *path, const struct caller *who);

/*
 * rmdir: forget kept directory path.  -ENOTEMPTY with held locks or kept
 * directories below, -ENOENT when not kept, -EBUSY for the root, -EPERM
 * unless dir_may_change.
 */
int dir_remove(struct store *st, const char *path, const struct caller *who);

#endif
