/*
 * caller.c — read a thread's process id, start time and name from /proc.
 *
 * /proc/<tid>/stat gives the start time (field 22) and the thread's name;
 * /proc/<tid>/status gives Tgid.  caller_from_thread reads both each time;
 * the cache of caller_identify reads them once per thread and then only
 * the thread's comm file, kept open, which fails once that thread is gone:
 * never stale, and cheaper than making the stat file at every request.
 */
#include "caller.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Parse "pid (comm) state ppid ..." for comm and field 22. */
static int parse_stat(const char *stat, struct caller *c)
{
	const char *open_paren = strchr(stat, '(');
	const char *close_paren = strrchr(stat, ')');
	const char *p;
	size_t len;

	if (!open_paren || !close_paren || close_paren < open_paren)
		return -1;
	len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof(c->comm))
		len = sizeof(c->comm) - 1;
	memcpy(c->comm, open_paren + 1, len);
	c->comm[len] = '\0';
	/* After ") " comes field 3 (state); field 22 is 19 fields further on. */
	p = close_paren + 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	c->start_time = strtoull(p, NULL, 10);
	return 0;
}

static pid_t parse_tgid(const char *status)
{
	const char *line = strstr(status, "\nTgid:");

	return line ? (pid_t)strtol(line + 6, NULL, 10) : 0;
}

int caller_from_thread(pid_t tid, uid_t uid, gid_t gid, struct caller *c)
{
	char path[64], buf[2048];

	memset(c, 0, sizeof(*c));
	c->uid = uid;
	c->gid = gid;
	if (tid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	if (read_small(path, buf, sizeof(buf)) < 0 || parse_stat(buf, c) < 0)
		goto anonymous;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		goto anonymous;
	c->tgid = parse_tgid(buf);
	if (c->tgid <= 0)
		goto anonymous;
	c->tid = tid;
	return 0;
anonymous:
	memset(c, 0, sizeof(*c));
	c->uid = uid;
	c->gid = gid;
	return 0;
}

struct caller_slot {
	pid_t tid;
	int fd; /* /proc/<tid>/comm of the thread read, or -1 */
	unsigned long used;
	struct caller who;
};

struct caller_cache {
	unsigned count;
	unsigned long clock;
	struct caller_slot slots[];
};

struct caller_cache *caller_cache_new(unsigned slots)
{
	struct caller_cache *cache = calloc(1, sizeof(*cache) + slots * sizeof(cache->slots[0]));

	if (!cache)
		return NULL;
	cache->count = slots;
	for (unsigned i = 0; i < slots; i++)
		cache->slots[i].fd = -1;
	return cache;
}

void caller_cache_free(struct caller_cache *cache)
{
	if (!cache)
		return;
	for (unsigned i = 0; i < cache->count; i++)
		if (cache->slots[i].fd >= 0)
			close(cache->slots[i].fd);
	free(cache);
}

static void slot_drop(struct caller_slot *slot)
{
	if (slot->fd >= 0)
		close(slot->fd);
	slot->fd = -1;
	slot->tid = 0;
}

/*
 * Read the kept comm file again: 0 while its thread lives (the name is
 * refreshed; it may have changed).  The file belongs to the thread it was
 * opened for, not to its number: once that thread is gone, reading fails
 * (ESRCH) even when a new thread has the number, so a kept slot needs no
 * new look at /proc/<tid>/stat (a much costlier file to make).
 */
static int slot_refresh(struct caller_slot *slot)
{
	char buf[sizeof(slot->who.comm) + 1];
	ssize_t n = pread(slot->fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	if (buf[n - 1] == '\n')
		n--;
	if ((size_t)n >= sizeof(slot->who.comm))
		n = sizeof(slot->who.comm) - 1;
	memcpy(slot->who.comm, buf, (size_t)n);
	slot->who.comm[n] = '\0';
	return 0;
}

static int slot_load(struct caller_slot *slot, pid_t tid)
{
	char path[64], buf[2048];
	ssize_t n;

	slot_drop(slot);
	/* The thread's own comm file first: read again after stat and status, it
	 * proves that they were read while that very thread had the number. */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)tid);
	slot->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (slot->fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	n = read_small(path, buf, sizeof(buf));
	memset(&slot->who, 0, sizeof(slot->who));
	if (n <= 0 || parse_stat(buf, &slot->who) < 0)
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		goto fail;
	slot->who.tgid = parse_tgid(buf);
	if (slot->who.tgid <= 0 || slot_refresh(slot) < 0)
		goto fail;
	slot->who.tid = tid;
	slot->tid = tid;
	return 0;
fail:
	slot_drop(slot);
	return -1;
}

int caller_identify(struct caller_cache *cache, pid_t tid, uid_t uid, gid_t gid,
		    struct caller *c)
{
	struct caller_slot *slot = NULL, *oldest = &cache->slots[0];

	if (tid <= 0 || cache->count == 0)
		return caller_from_thread(tid, uid, gid, c);
	for (unsigned i = 0; i < cache->count; i++) {
		if (cache->slots[i].tid == tid)
			slot = &cache->slots[i];
		if (cache->slots[i].used < oldest->used)
			oldest = &cache->slots[i];
	}
	if (slot && slot_refresh(slot) < 0 && slot_load(slot, tid) < 0)
		slot = NULL;
	else if (!slot && slot_load(oldest, tid) == 0)
		slot = oldest;
	if (!slot)
		return caller_from_thread(0, uid, gid, c); /* gone or unreadable: anonymous */
	slot->used = ++cache->clock;
	*c = slot->who;
	c->uid = uid;
	c->gid = gid;
	return 0;
}

/* Decimal digits of v at out, backwards from out's end; returns where they start. */
static char *digits_before(char *end, unsigned v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10));
	return end;
}

void caller_owner(const struct caller *c, char *out, size_t cap)
{
	char buf[24], *p = buf + sizeof(buf);
	size_t len;

	/* By hand, not snprintf: every acquisition and release asks. */
	*--p = '\0';
	p = digits_before(p, (unsigned)c->tid);
	*--p = '-';
	p = digits_before(p, (unsigned)c->tgid);
	len = (size_t)(buf + sizeof(buf) - p); /* the NUL included */
	if (!cap)
		return;
	if (len > cap)
		len = cap;
	memcpy(out, p, len);
	out[len - 1] = '\0';
}
