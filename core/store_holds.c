/*
 * store_holds.c — the bound holds of a lock (SPEC §5), kept in its
 * lockfs_holder row.
 *
 * Why in the holder row and not a table of their own: a flock or fcntl
 * lock is one transaction to take and one to give up, and every B-tree a
 * transaction touches costs a page in the WAL.  The holder row is written
 * anyway when a lock is taken and deleted when it goes, so holds kept in
 * its `holds` column cost no page of their own, and they go with the lock
 * row by the holder's ON DELETE CASCADE.
 *
 * The column is text, one line per hold, oldest first:
 *
 *   ID BINDING MODE OWNER DAEMON_PID DAEMON_START PID UID GID HOST COMM
 *
 * MODE is "s" (shared) or "x"; HOST and COMM are written with '%', blanks,
 * control characters and DEL as %HH (an empty one as %00), so that fields
 * never run together.
 * NULL (or no holder row) means no holds.  A line that does not parse
 * (written by something else) is passed over, and gone at the next change
 * of the lock's holds: the lock then counts a hold nobody answers for, and
 * `rm` breaks it as it breaks any lock.
 */
#include "store_int.h"
#include "name.h"
#include "pickle.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const binding_names[] = {
    [STORE_BOUND_FLOCK] = "flock",
    [STORE_BOUND_POSIX] = "posix",
    [STORE_BOUND_OFD] = "ofd",
    [STORE_BOUND_OPEN] = "open",
};

const char *store_binding_name(enum store_binding binding)
{
	return binding > 0 && binding < sizeof(binding_names) / sizeof(binding_names[0])
		   ? binding_names[binding]
		   : "?";
}

static enum store_binding binding_of(const char *name)
{
	for (unsigned i = 1; i < sizeof(binding_names) / sizeof(binding_names[0]); i++)
		if (strcmp(name, binding_names[i]) == 0)
			return (enum store_binding)i;
	return STORE_BOUND_NONE;
}

static int list_add(struct store_holds *l, const struct store_hold *h)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct store_hold *items = realloc(l->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		l->items = items;
		l->cap = cap;
	}
	l->items[l->count++] = *h;
	return 0;
}

/* --- the text of the column ----------------------------------------------- */

/* A growing string. */
struct text {
	char *data;
	size_t len, cap;
	bool failed;
};

static void text_add(struct text *t, const char *s, size_t len)
{
	if (t->failed)
		return;
	if (t->len + len + 1 > t->cap) {
		size_t cap = (t->len + len + 1) * 2;
		char *data = realloc(t->data, cap);

		if (!data) {
			t->failed = true;
			return;
		}
		t->data = data;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
}

static void text_add_word(struct text *t, const char *s)
{
	if (!*s)
		text_add(t, "%00", 3); /* empty: a word all the same */
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[4];

		if (c <= ' ' || c == '%' || c == 0x7f) {
			snprintf(esc, sizeof(esc), "%%%02X", c);
			text_add(t, esc, 3);
		} else {
			text_add(t, s, 1);
		}
	}
}

static void encode_hold(struct text *t, const struct store_hold *h)
{
	char numbers[256];

	snprintf(numbers, sizeof(numbers), "%" PRId64 " %s %s %" PRIu64 " %d %" PRIu64 " %d %u %u ",
		 h->id, store_binding_name(h->binding), h->shared ? "s" : "x", h->owner,
		 (int)h->instance.pid, h->instance.start_time, (int)h->pid, (unsigned)h->uid,
		 (unsigned)h->gid);
	text_add(t, numbers, strlen(numbers));
	text_add_word(t, h->instance.host);
	text_add(t, " ", 1);
	text_add_word(t, h->comm);
	text_add(t, "\n", 1);
}

/* Undo text_add_word into out (cap bytes); false when it does not fit or parse. */
static bool decode_word(const char *word, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = word; *p; p++) {
		unsigned value;

		if (n + 1 >= cap)
			return false;
		if (*p == '%') {
			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]) ||
			    sscanf(p + 1, "%2x", &value) != 1)
				return false;
			if (value == 0) /* only a whole word "%00": the empty one */
				return strcmp(word, "%00") == 0 && cap > 0 && !(out[0] = '\0');
			out[n++] = (char)value;
			p += 2;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return true;
}

/* One line (NUL-terminated, without its newline) into h; false when it does not parse. */
static bool decode_hold(const char *line, struct store_hold *h)
{
	char binding[16], mode[4], host[INSTANCE_HOST_MAX * 3], comm[STORE_TEXT_MAX * 3];
	int64_t id;
	uint64_t owner, start;
	int daemon_pid, pid, end = 0;
	unsigned uid, gid;

	if (strlen(line) >= sizeof(host) + sizeof(comm) + 128)
		return false;
	if (sscanf(line, "%" SCNd64 " %15s %3s %" SCNu64 " %d %" SCNu64 " %d %u %u %767s %767s%n",
		   &id, binding, mode, &owner, &daemon_pid, &start, &pid, &uid, &gid, host, comm,
		   &end) != 11 ||
	    line[end] != '\0')
		return false;
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->binding = binding_of(binding);
	h->shared = strcmp(mode, "s") == 0;
	h->owner = owner;
	h->instance.pid = daemon_pid;
	h->instance.start_time = start;
	h->pid = pid;
	h->uid = uid;
	h->gid = gid;
	return h->binding != STORE_BOUND_NONE && (h->shared || strcmp(mode, "x") == 0) && id > 0 &&
	       decode_word(host, h->instance.host, sizeof(h->instance.host)) &&
	       decode_word(comm, h->comm, sizeof(h->comm));
}

/* The holds written in text (NULL: none), lines that do not parse passed over. */
int store_holds_decode(const char *text, struct store_holds *out)
{
	memset(out, 0, sizeof(*out));
	while (text && *text) {
		const char *end = strchr(text, '\n');
		size_t len = end ? (size_t)(end - text) : strlen(text);
		char line[2048];
		struct store_hold h;

		if (len < sizeof(line)) {
			memcpy(line, text, len);
			line[len] = '\0';
			if (decode_hold(line, &h) && list_add(out, &h) < 0) {
				free(out->items);
				return -ENOMEM;
			}
		}
		text += len + (end != NULL);
	}
	return 0;
}

int store_holds_encode(const struct store_holds *l, char **text)
{
	struct text t = {0};

	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].id) /* 0: given up */
			encode_hold(&t, &l->items[i]);
	if (t.failed) {
		free(t.data);
		return -ENOMEM;
	}
	*text = t.data; /* NULL when none */
	return 0;
}

int store_holds_append(struct store_holds *l, const struct store_hold *h)
{
	struct store_hold added = *h;

	added.id = 1;
	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].id >= added.id)
			added.id = l->items[i].id + 1;
	return list_add(l, &added);
}

/* --- reading and writing a row's holds ------------------------------------ */

int sqlite_store_holds_read(struct store *base, int64_t cache_id, struct store_holds *out)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_HOLDS_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, cache_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = store_holds_decode((const char *)sqlite3_column_text(s, 0), out);
	else
		rc = store_errno(rc);
	store_reset_statement(s);
	return rc;
}

int sqlite_store_holds_write(struct store *base, int64_t cache_id, const struct store_holds *l)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_write_statement(st, SQL_HOLDS_PUT, cache_id);
	char *text;
	int rc;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	rc = store_holds_encode(l, &text);
	if (rc < 0) {
		store_reset_statement(s);
		return rc;
	}
	if (text)
		sqlite3_bind_text(s, 2, text, -1, free);
	else
		sqlite3_bind_null(s, 2);
	rc = store_run_statement(st, s);
	if (rc == 0 && sqlite3_changes(st->db) != 1)
		rc = -ENOENT; /* no holder row to keep them: the lock is not lockfs's */
	return rc;
}

int sqlite_store_hold_instances(struct store *base, store_hold_instance_fn fn, void *ctx)
{
	struct sqlite_store *st = sqlite_of(base);
	sqlite3_stmt *s = store_statement(st, SQL_HOLD_INSTANCES);
	char key[KEY_MAX_BYTES + 1];
	int rc, stop = 0;

	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const uint8_t *pickled = sqlite3_column_blob(s, 0);
		struct pickle_value v;
		struct store_holds l;

		if (!pickled ||
		    pickle_decode(pickled, (size_t)sqlite3_column_bytes(s, 0), &v) < 0 ||
		    v.kind != PICKLE_STR || v.text_len > KEY_MAX_BYTES)
			continue;
		memcpy(key, v.text, v.text_len);
		key[v.text_len] = '\0';
		stop = store_holds_decode((const char *)sqlite3_column_text(s, 1), &l);
		for (size_t i = 0; !stop && i < l.count; i++) {
			bool seen = false;

			for (size_t j = 0; j < i && !seen; j++)
				seen = instance_equal(&l.items[j].instance, &l.items[i].instance);
			if (!seen) /* each (key, instance) once */
				stop = fn(ctx, key, &l.items[i].instance);
		}
		free(l.items);
	}
	store_reset_statement(s);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

/*
 * The holds of a cache from before they moved into the holder row: the
 * rows of the old lockfs_hold table, each lock's in order, written into its
 * holder row (renumbered from 1).  Holds without a holder row answer for no
 * lock lockfs made and are left out.  In the caller's transaction.
 */
int store_holds_import(sqlite3 *db)
{
	static const char *const read_sql =
	    "SELECT cache_id, binding, shared, owner, host, daemon_pid, daemon_start, pid, uid, "
	    "gid, comm FROM lockfs_hold ORDER BY cache_id, id";
	sqlite3_stmt *read = NULL, *write = NULL;
	struct text t = {0};
	int64_t current = 0, next_id = 1;
	int rc;

	rc = sqlite3_prepare_v2(db, read_sql, -1, &read, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "UPDATE lockfs_holder SET holds = ?2 WHERE cache_id = ?1",
					-1, &write, NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		bool more = (rc = sqlite3_step(read)) == SQLITE_ROW;
		int64_t cache_id = more ? sqlite3_column_int64(read, 0) : 0;
		struct store_hold h = {0};

		if (t.len && (!more || cache_id != current)) {
			/* The holds of the lock before are complete: write them. */
			sqlite3_bind_int64(write, 1, current);
			sqlite3_bind_text(write, 2, t.data, (int)t.len, SQLITE_TRANSIENT);
			if (sqlite3_step(write) != SQLITE_DONE)
				rc = sqlite3_errcode(db);
			sqlite3_reset(write);
			t.len = 0;
		}
		if (!more || (rc != SQLITE_ROW && rc != SQLITE_OK))
			break;
		if (cache_id != current)
			next_id = 1;
		current = cache_id;
		h.id = next_id++;
		h.binding = binding_of(sqlite3_column_text(read, 1)
					   ? (const char *)sqlite3_column_text(read, 1)
					   : "");
		h.shared = sqlite3_column_int(read, 2) != 0;
		h.owner = (uint64_t)sqlite3_column_int64(read, 3);
		snprintf(h.instance.host, sizeof(h.instance.host), "%s",
			 sqlite3_column_text(read, 4) ? (const char *)sqlite3_column_text(read, 4)
						      : "");
		h.instance.pid = sqlite3_column_int(read, 5);
		h.instance.start_time = (uint64_t)sqlite3_column_int64(read, 6);
		h.pid = sqlite3_column_int(read, 7);
		h.uid = (uint32_t)sqlite3_column_int64(read, 8);
		h.gid = (uint32_t)sqlite3_column_int64(read, 9);
		snprintf(h.comm, sizeof(h.comm), "%s",
			 sqlite3_column_text(read, 10) ? (const char *)sqlite3_column_text(read, 10)
						       : "");
		if (h.binding != STORE_BOUND_NONE)
			encode_hold(&t, &h);
		rc = t.failed ? SQLITE_NOMEM : SQLITE_ROW;
	}
	sqlite3_finalize(read);
	sqlite3_finalize(write);
	free(t.data);
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}
