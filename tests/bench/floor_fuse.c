/*
 * floor_fuse.c — the least a FUSE lock service can cost here: a low-level
 * filesystem that answers the requests of an acquire+release pair (LOOKUP,
 * CREATE, FLUSH, RELEASE, LOOKUP, UNLINK) with no storage, no caching and
 * the single-threaded loop.
 *
 *   floor_fuse [-d] [--etcd=URL[,URL...] | --etcd-as-lockfs=URL[,URL...]] MOUNTPOINT
 *                       (foreground; stop with fusermount3 -u)
 *
 * -d: libfuse's debug log on stderr, one "unique: N, opcode: NAME (n), ..."
 * line per request (scripts/bench counts them).
 * --etcd: CREATE and UNLINK each make their etcd transaction first
 * (floor_txn.h, on /benchfs/floor) before they answer: the least a FUSE
 * daemon that keeps its locks in etcd does, one request after the other.
 * --etcd-as-lockfs: the same with the transactions as lockfs sends them
 * (floor_txn.h): what lockfs's transactions cost through a daemon that
 * does nothing else.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floor_txn.h"

#define NAMES 64

/* Which names exist: the benchmark uses a handful. */
static char names[NAMES][64];
static struct floor_lock etcd_lock;
static bool with_etcd;

static int find(const char *name)
{
	for (int i = 0; i < NAMES; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static void file_entry(struct fuse_entry_param *e, int slot)
{
	memset(e, 0, sizeof(*e));
	e->ino = (fuse_ino_t)slot + 2;
	e->attr.st_ino = e->ino;
	e->attr.st_mode = S_IFREG | 0644;
	e->attr.st_nlink = 1;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int slot = find(name);

	if (slot < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	file_entry(&e, slot);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st = {.st_ino = ino, .st_nlink = 1};

	st.st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
	fuse_reply_attr(req, &st, 0);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	int slot = find("");

	if (slot < 0 || strlen(name) >= sizeof(names[0])) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	if (with_etcd && floor_lock_acquire(&etcd_lock) < 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	snprintf(names[slot], sizeof(names[slot]), "%s", name);
	file_entry(&e, slot);
	fi->direct_io = 1;
	fuse_reply_create(req, &e, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int slot = find(name);

	if (slot >= 0 && with_etcd && floor_lock_release(&etcd_lock) < 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (slot >= 0)
		names[slot][0] = '\0';
	fuse_reply_err(req, slot < 0 ? ENOENT : 0);
}

/*
 * FLUSH and RELEASE answered, not refused: a filesystem with file locks
 * (lockfs) must see every close, so the floor pays for the same requests.
 */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

/* flock answered at once: the floor of a flock pair is its two requests. */
static void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.create = op_create,
	.open = op_open,
	.unlink = op_unlink,
	.flush = op_flush,
	.release = op_release,
	.flock = op_flock,
};

int main(int argc, char **argv)
{
	char debug_opt[] = "-d";
	char *fake[] = {argv[0], debug_opt, NULL};
	bool debug = false;
	const char *mountpoint = NULL;
	struct fuse_args args;
	struct fuse_session *se;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0)
			debug = true;
		else if (strncmp(argv[i], "--etcd=", 7) == 0 && !with_etcd) {
			if (floor_lock_open(&etcd_lock, argv[i] + 7, "/benchfs", false) < 0)
				return 1;
			with_etcd = true;
		} else if (strncmp(argv[i], "--etcd-as-lockfs=", 17) == 0 && !with_etcd) {
			if (floor_lock_open(&etcd_lock, argv[i] + 17, "/benchfs-as-lockfs", true) < 0)
				return 1;
			with_etcd = true;
		} else if (!mountpoint && argv[i][0] != '-') {
			mountpoint = argv[i];
		} else {
			mountpoint = NULL; /* anything else: the usage */
			break;
		}
	}
	if (!mountpoint) {
		fprintf(stderr, "usage: floor_fuse [-d] [--etcd=URL[,URL...] | "
				"--etcd-as-lockfs=URL[,URL...]] MOUNTPOINT\n");
		return 2;
	}
	args = (struct fuse_args)FUSE_ARGS_INIT(debug ? 2 : 1, fake);
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se) == 0 && fuse_session_mount(se, mountpoint) == 0) {
		rc = fuse_session_loop(se) ? 1 : 0;
		fuse_session_unmount(se);
	}
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	if (with_etcd)
		floor_lock_close(&etcd_lock);
	return rc;
}
