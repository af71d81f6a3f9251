/*
 * status.c — the status text of a lock file: one "name: value" line each.
 *
 * Built by hand, not with snprintf: its length is the lock file's size,
 * asked for by every LOOKUP and GETATTR.  Every text value (the key, the
 * note, the owner, tags, the holder's comm and host — a process names
 * itself) is escaped so that every line is one field, whatever it says.
 */
#include "lock.h"
#include "name.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

struct text {
	char *buf;  /* NULL when only the length is wanted */
	size_t cap; /* bytes at buf, the NUL included */
	size_t len; /* the full length so far, even past cap */
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->len + 1 < t->cap) {
		size_t room = t->cap - 1 - t->len;

		memcpy(t->buf + t->len, s, n < room ? n : room);
	}
	t->len += n;
	if (t->cap)
		t->buf[t->len < t->cap ? t->len : t->cap - 1] = '\0';
}

static void put_str(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void put_u64(struct text *t, uint64_t v)
{
	char digits[20];
	size_t n = sizeof(digits);

	do
		digits[--n] = (char)('0' + v % 10);
	while ((v /= 10));
	put(t, digits + n, sizeof(digits) - n);
}

static void put_i64(struct text *t, int64_t v)
{
	if (v < 0) {
		put(t, "-", 1);
		put_u64(t, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(t, (uint64_t)v);
	}
}

/* v with exactly width digits (zero-padded). */
static void put_padded(struct text *t, unsigned v, unsigned width)
{
	char digits[10];

	for (unsigned i = width; i-- > 0; v /= 10)
		digits[i] = (char)('0' + v % 10);
	put(t, digits, width);
}

/* ISO 8601 UTC with milliseconds: 2026-11-26T02:56:17.969Z. */
static void put_iso(struct text *t, double when)
{
	time_t secs = (time_t)when;
	unsigned millis = (unsigned)((when - (double)secs) * 1000.0) % 1000;
	struct tm tm;

	gmtime_r(&secs, &tm);
	put_padded(t, (unsigned)(tm.tm_year + 1900), 4);
	put(t, "-", 1);
	put_padded(t, (unsigned)tm.tm_mon + 1, 2);
	put(t, "-", 1);
	put_padded(t, (unsigned)tm.tm_mday, 2);
	put(t, "T", 1);
	put_padded(t, (unsigned)tm.tm_hour, 2);
	put(t, ":", 1);
	put_padded(t, (unsigned)tm.tm_min, 2);
	put(t, ":", 1);
	put_padded(t, (unsigned)tm.tm_sec, 2);
	put(t, ".", 1);
	put_padded(t, millis, 3);
	put(t, "Z", 1);
}

/* Length of the UTF-8 sequence a lead byte starts (0: not a lead byte). */
static size_t utf8_length(uint8_t lead)
{
	return lead < 0x80 ? 1 : (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3
				: (lead & 0xf8) == 0xf0 ? 4 : 0;
}

static void put_hex_byte(struct text *t, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	char out[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};

	put(t, out, sizeof(out));
}

/*
 * Text safe to parse line by line: a backslash is "\\", a newline "\n",
 * every other control character (C0, DEL, C1) and every byte that is not
 * part of valid UTF-8 "\xHH".  No name or note can forge a status line.
 */
static void put_escaped(struct text *t, const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_length(s[i]);

		if (s[i] == '\\') {
			put(t, "\\\\", 2);
		} else if (s[i] == '\n') {
			put(t, "\\n", 2);
		} else if (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) {
			put_hex_byte(t, s[i]);
		} else if (n == 0 || n > len - i || !name_utf8_valid((const char *)s + i, n) ||
			   (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			put_hex_byte(t, s[i]); /* not UTF-8, or a C1 control: byte by byte */
			n = 1;
		} else {
			put(t, (const char *)s + i, n);
		}
		i += n ? n : 1;
	}
}

/* One "name: value\n" line; the value written by the caller between. */
static void line_start(struct text *t, const char *name)
{
	put_str(t, name);
	put(t, ": ", 2);
}

static void line_end(struct text *t)
{
	put(t, "\n", 1);
}

/* A text value, escaped: owners, tags, comm and host come from users too. */
static void line_str(struct text *t, const char *name, const char *value)
{
	line_start(t, name);
	put_escaped(t, (const uint8_t *)value, strlen(value));
	line_end(t);
}

static void line_int(struct text *t, const char *name, int64_t value)
{
	line_start(t, name);
	put_i64(t, value);
	line_end(t);
}

static void line_time(struct text *t, const char *name, double when)
{
	line_start(t, name);
	put_iso(t, when);
	line_end(t);
}

int lock_format_status(const char *key, const struct lock_info *info, unsigned waiters,
		       char *buf, size_t cap)
{
	struct text t = {.buf = cap ? buf : NULL, .cap = cap};

	if (cap)
		buf[0] = '\0';
	line_start(&t, "key");
	put_escaped(&t, (const uint8_t *)key, strlen(key));
	line_end(&t);
	if (info->free) {
		/* A free name, shown because a description is open on it. */
		line_int(&t, "count", 0);
		if (waiters)
			line_int(&t, "waiters", waiters);
		return (int)t.len;
	}
	if (info->owner[0])
		line_str(&t, "owner", info->owner);
	line_int(&t, "count", info->count);
	if (info->binding) {
		line_str(&t, "bound", store_binding_name(info->binding));
		line_str(&t, "mode", info->shared ? "shared" : "exclusive");
	}
	if (info->made_by_lockfs)
		line_int(&t, "generation", info->holder.generation);
	if (info->acquired > 0) /* another etcd client's lock may not say */
		line_time(&t, "acquired", info->acquired);
	if (info->expires)
		line_time(&t, "expires", info->expire_time);
	if (info->tags && info->tags[0])
		line_str(&t, "tags", info->tags);
	if (waiters)
		line_int(&t, "waiters", waiters);
	if (info->made_by_lockfs) {
		line_int(&t, "uid", info->holder.uid);
		line_int(&t, "pid", info->holder.pid);
		line_str(&t, "comm", info->holder.comm);
		line_str(&t, "host", info->holder.host);
	}
	if (info->note_len) {
		size_t len = info->note_len;

		if (info->note[len - 1] == '\n')
			len--; /* echo's newline ends the line, not the note */
		line_start(&t, "note");
		put_escaped(&t, info->note, len);
		line_end(&t);
	}
	return (int)t.len;
}
