/*
 * store_vfs.c — one write per transaction to the WAL.
 *
 * SQLite appends a frame to the WAL in two writes, its 24-byte header and
 * its page, so a lock's transaction of eight frames makes sixteen pwrite
 * calls; on the machines lockfs is measured on, a system call costs more
 * than the copy it makes.  lockfs's connection opens the cache through
 * this VFS, which is the default one but for one thing: writes that append
 * to a WAL are gathered in a buffer and written in one call once the frame
 * that commits a transaction is complete (its header carries the database
 * size), which SQLite does before it publishes the commit in the WAL index.
 *
 * Any other use of the WAL file (a read, a sync, a truncation, its size, a
 * write elsewhere, a file control, closing) writes what is gathered first,
 * so what SQLite reads back is what it wrote.  Other connections, in this
 * process or another, read a frame only once the WAL index shows its
 * commit, which is published after the write.  A crash loses only frames
 * of a transaction that had not committed, as it may without the buffer.
 * Files other than WALs are the default VFS's own, unwrapped.
 */
#include "store_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAL_HEADER_BYTES_ON_DISK 32 /* the WAL file's own header, at offset 0 */
#define FRAME_HEADER_BYTES 24
#define GATHER_BYTES (256 * 1024) /* a lock's transaction needs about 33 KiB */

enum wal_next {
	NEXT_HEADER,	   /* a frame's header (or the WAL's own) */
	NEXT_PAGE,	   /* the page of a frame that does not commit: gathered */
	NEXT_LAST_PAGE,	   /* the page of the committing frame, after gathered ones */
	NEXT_PAGE_AT_ONCE, /* the page of a committing frame written at once */
};

struct wal_file {
	sqlite3_file file; /* first: what SQLite holds */
	sqlite3_file *real; /* the default VFS's file, after this struct */
	unsigned char *buf; /* GATHER_BYTES, allocated at the first write */
	size_t len;
	sqlite3_int64 start; /* the file offset of buf[0] */
	enum wal_next next; /* what the next write is expected to be */
	uint32_t page_size; /* from the WAL's header; 0 until known */
};

static sqlite3_vfs *base_vfs;
static sqlite3_vfs lockfs_vfs;
static sqlite3_io_methods wal_methods;

static struct wal_file *wal_of(sqlite3_file *f)
{
	return (struct wal_file *)f;
}

/* Write what is gathered: SQLITE_OK or the default VFS's error. */
static int flush(struct wal_file *w)
{
	int rc;

	if (!w->len)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->start);
	w->len = 0;
	return rc;
}

static uint32_t big_endian32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Whether offset is where a frame starts.  The page size is the WAL
 * header's, read from the file when the WAL was not started here (then
 * nothing is gathered yet: gathering starts with a header, or a frame's
 * header, which needs the page size).
 */
static bool at_frame_start(struct wal_file *w, sqlite3_int64 offset)
{
	unsigned char header[WAL_HEADER_BYTES_ON_DISK];

	if (!w->page_size && !w->len &&
	    w->real->pMethods->xRead(w->real, header, sizeof(header), 0) == SQLITE_OK)
		w->page_size = big_endian32(header + 8);
	return w->page_size && offset >= WAL_HEADER_BYTES_ON_DISK &&
	       (offset - WAL_HEADER_BYTES_ON_DISK) % (FRAME_HEADER_BYTES + w->page_size) == 0;
}

/*
 * Only what SQLite writes as expected is gathered: the WAL's header, and
 * frames appended one after another, each a header (24 bytes where a frame
 * starts) and then its page.  The frame that commits ends the gathering:
 * its page is written with all before it.  When a committing frame's header does not follow gathered
 * frames (a one-frame transaction, or the rewrite of checksums that ends a
 * commit, where each header is written after a read), it and its page are
 * written at once.  So nothing is left gathered when SQLite publishes a
 * commit.  Anything else (a page written in place, a frame written whole)
 * is written at once, after what is gathered.
 */
static int wal_write(sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset)
{
	struct wal_file *w = wal_of(f);
	enum wal_next next = w->next;
	bool follows = w->len && offset == w->start + (sqlite3_int64)w->len &&
		       w->len + (size_t)amount <= GATHER_BYTES;
	bool gather = false, last = false;
	int rc = SQLITE_OK;

	w->next = NEXT_HEADER;
	if (amount == WAL_HEADER_BYTES_ON_DISK && offset == 0)
		w->page_size = big_endian32((const unsigned char *)data + 8);
	if (next == NEXT_HEADER && amount == FRAME_HEADER_BYTES && at_frame_start(w, offset)) {
		bool commits = big_endian32((const unsigned char *)data + 4) != 0;

		gather = !commits || follows;
		w->next = !commits ? NEXT_PAGE : gather ? NEXT_LAST_PAGE : NEXT_PAGE_AT_ONCE;
	} else if (next == NEXT_PAGE || next == NEXT_LAST_PAGE) {
		gather = true;
		last = next == NEXT_LAST_PAGE;
	} else if (next == NEXT_HEADER) {
		gather = amount == WAL_HEADER_BYTES_ON_DISK && offset == 0;
	}
	if (gather && (size_t)amount > GATHER_BYTES)
		gather = last = false;
	if (w->len && (!gather || !follows))
		rc = flush(w);
	if (rc != SQLITE_OK)
		return rc;
	if (gather && !w->buf)
		w->buf = malloc(GATHER_BYTES);
	if (!gather || !w->buf)
		return w->real->pMethods->xWrite(w->real, data, amount, offset);
	if (!w->len)
		w->start = offset;
	memcpy(w->buf + w->len, data, (size_t)amount);
	w->len += (size_t)amount;
	return last ? flush(w) : SQLITE_OK;
}

/* Before any other use of the WAL: write what is gathered; a frame's header comes next. */
static int settle(struct wal_file *w)
{
	w->next = NEXT_HEADER;
	return flush(w);
}

static int wal_close(sqlite3_file *f)
{
	struct wal_file *w = wal_of(f);
	int rc = settle(w), closed = w->real->pMethods->xClose(w->real);

	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : closed;
}

static int wal_read(sqlite3_file *f, void *data, int amount, sqlite3_int64 offset)
{
	struct wal_file *w = wal_of(f);
	int rc = settle(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, data, amount, offset);
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wal_file *w = wal_of(f);
	int rc = settle(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
	struct wal_file *w = wal_of(f);
	int rc = settle(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct wal_file *w = wal_of(f);
	int rc = settle(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int wal_lock(sqlite3_file *f, int level)
{
	return wal_of(f)->real->pMethods->xLock(wal_of(f)->real, level);
}

static int wal_unlock(sqlite3_file *f, int level)
{
	return wal_of(f)->real->pMethods->xUnlock(wal_of(f)->real, level);
}

static int wal_check_reserved_lock(sqlite3_file *f, int *out)
{
	return wal_of(f)->real->pMethods->xCheckReservedLock(wal_of(f)->real, out);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
	struct wal_file *w = wal_of(f);
	int rc = settle(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int wal_sector_size(sqlite3_file *f)
{
	return wal_of(f)->real->pMethods->xSectorSize(wal_of(f)->real);
}

static int wal_device_characteristics(sqlite3_file *f)
{
	return wal_of(f)->real->pMethods->xDeviceCharacteristics(wal_of(f)->real);
}

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct wal_file *w = wal_of(f);
	int rc;

	if (!(flags & SQLITE_OPEN_WAL))
		return base_vfs->xOpen(base_vfs, name, f, flags, out_flags);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)(w + 1);
	rc = base_vfs->xOpen(base_vfs, name, w->real, flags, out_flags);
	/* Only a file the default VFS opened is closed through these methods. */
	w->file.pMethods = w->real->pMethods ? &wal_methods : NULL;
	return rc;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	return base_vfs->xDelete(base_vfs, name, sync_dir);
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return base_vfs->xAccess(base_vfs, name, flags, out);
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int cap, char *out)
{
	return base_vfs->xFullPathname(base_vfs, name, cap, out);
}

static int vfs_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	return base_vfs->xRandomness(base_vfs, n, out);
}

static int vfs_sleep(sqlite3_vfs *vfs, int microseconds)
{
	return base_vfs->xSleep(base_vfs, microseconds);
}

static int vfs_current_time(sqlite3_vfs *vfs, double *out)
{
	return base_vfs->xCurrentTime(base_vfs, out);
}

static int vfs_last_error(sqlite3_vfs *vfs, int cap, char *out)
{
	return base_vfs->xGetLastError(base_vfs, cap, out);
}

static int vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

static void register_vfs(void)
{
	base_vfs = sqlite3_vfs_find(NULL);
	if (!base_vfs || base_vfs->iVersion < 2)
		return;
	wal_methods = (sqlite3_io_methods){
		.iVersion = 1, /* a WAL is neither memory-mapped nor shared memory */
		.xClose = wal_close,
		.xRead = wal_read,
		.xWrite = wal_write,
		.xTruncate = wal_truncate,
		.xSync = wal_sync,
		.xFileSize = wal_file_size,
		.xLock = wal_lock,
		.xUnlock = wal_unlock,
		.xCheckReservedLock = wal_check_reserved_lock,
		.xFileControl = wal_file_control,
		.xSectorSize = wal_sector_size,
		.xDeviceCharacteristics = wal_device_characteristics,
	};
	lockfs_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct wal_file) + base_vfs->szOsFile,
		.mxPathname = base_vfs->mxPathname,
		.zName = STORE_VFS_NAME,
		.xOpen = vfs_open,
		.xDelete = vfs_delete,
		.xAccess = vfs_access,
		.xFullPathname = vfs_full_pathname,
		.xRandomness = vfs_randomness,
		.xSleep = vfs_sleep,
		.xCurrentTime = vfs_current_time,
		.xGetLastError = vfs_last_error,
		.xCurrentTimeInt64 = vfs_current_time_int64,
	};
	if (sqlite3_vfs_register(&lockfs_vfs, 0) != SQLITE_OK)
		base_vfs = NULL;
}

const char *store_vfs_name(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_vfs);
	return base_vfs ? STORE_VFS_NAME : NULL;
}
