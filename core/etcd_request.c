/*
 * etcd_request.c — the etcd store's reads and writes of keys.
 *
 * Why a cache of reads: a lock operation reads its lock key, its line and
 * its directory's policy before it writes; over a network each read is a
 * round trip.  While the watch shows no change by another machine (the
 * epoch holds), what was read before, or written by this store's own
 * commit, is still what etcd holds, and a write decided on it is guarded
 * by its revisions anyway.
 */
#include "etcd_store_int.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* --- requests ------------------------------------------------------------ */

json_object *etcd_json_base64(const void *data, size_t n)
{
	char *text = etcd_base64(data, n);
	json_object *obj = text ? json_object_new_string(text) : NULL;

	free(text);
	return obj;
}

json_object *etcd_json_int(int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_object_new_string(buf);
}

/* The key after every key that starts with prefix (etcd's range_end for a prefix). */
char *etcd_prefix_end(const char *prefix)
{
	char *end = strdup(prefix);
	size_t n = strlen(prefix);

	if (end && n)
		end[n - 1]++;
	return end;
}

/* Call path with obj as its body (consumed). */
int etcd_post(struct etcd_client *c, const char *path, json_object *obj, bool repeatable,
	      json_object **reply)
{
	const char *body = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	int rc = body ? etcd_call(c, path, body, repeatable, reply) : -ENOMEM;

	json_object_put(obj);
	return rc;
}

/* The errno a lock operation reports for a cluster that did not answer. */
int etcd_unreachable(int rc)
{
	return rc == -ETIMEDOUT || rc == -EIO ? -EIO : rc;
}

static char *range_request(const char *key, const char *end, bool by_create, int64_t limit)
{
	json_object *req = json_object_new_object();
	char *text;

	json_object_object_add(req, "key", etcd_json_base64(key, strlen(key)));
	if (end)
		json_object_object_add(req, "range_end", etcd_json_base64(end, strlen(end)));
	if (by_create) {
		json_object_object_add(req, "sort_target", json_object_new_string("CREATE"));
		json_object_object_add(req, "sort_order", json_object_new_string("ASCEND"));
	}
	if (limit)
		json_object_object_add(req, "limit", etcd_json_int(limit));
	text = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	return text;
}

static const char *const space_names[SPACES] = {"dirs", "locks", "waiters"};

unsigned etcd_spaces_of(const struct etcd_store *es, const char *key, const char *end)
{
	size_t n = strlen(es->prefix);

	if (strncmp(key, es->prefix, n) != 0 || key[n] != '/')
		return SPACES_ALL;
	for (unsigned i = 0; i < SPACES; i++) {
		size_t len = strlen(space_names[i]);

		/* "P/space/..." to at most "P/space0": inside that space. */
		if (strncmp(key + n + 1, space_names[i], len) == 0 && key[n + 1 + len] == '/' &&
		    (!end || (strncmp(end, key, n + 1 + len) == 0 &&
			      (end[n + 1 + len] == '/' ||
			       (end[n + 1 + len] == '0' && end[n + 2 + len] == '\0')))))
			return 1u << i;
	}
	return SPACES_ALL;
}

uint64_t etcd_spaces_epoch(struct etcd_store *es, unsigned mask)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < SPACES; i++)
		if (mask & (1u << i))
			sum += atomic_load(&es->space_epoch[i]);
	return sum;
}

void etcd_moved(struct etcd_store *es, unsigned mask)
{
	for (unsigned i = 0; i < SPACES; i++)
		if (mask & (1u << i))
			atomic_fetch_add(&es->space_epoch[i], 1);
	atomic_fetch_add(&es->epoch, 1);
	etcd_wake(es);
}

static void cache_drop(struct cached_read *c)
{
	free(c->request);
	free(c->key);
	free(c->end);
	json_object_put(c->reply);
	memset(c, 0, sizeof(*c));
}

/* Forget what may have changed: the answers whose range covers key (NULL: all). */
void etcd_cache_forget(struct etcd_store *es, const char *key)
{
	for (unsigned i = 0; i < READ_CACHE; i++) {
		struct cached_read *c = &es->cache[i];

		if (c->request &&
		    (!key || (c->end ? strcmp(c->key, key) <= 0 && strcmp(key, c->end) < 0
				     : strcmp(c->key, key) == 0)))
			cache_drop(c);
	}
}

/*
 * Keep reply (a reference is taken) as the answer to request, as of epoch,
 * in a free place or the least recently used one's: the answers read on
 * every operation (the policy, the line) stay while locks come and go.
 */
static void cache_keep(struct etcd_store *es, char *request, const char *key, const char *end,
		       unsigned spaces, uint64_t epoch, json_object *reply)
{
	struct cached_read *c = &es->cache[0];

	for (unsigned i = 1; i < READ_CACHE && c->request; i++)
		if (!es->cache[i].request || es->cache[i].used < c->used)
			c = &es->cache[i];
	cache_drop(c);
	c->used = ++es->cache_clock;
	c->request = request;
	c->key = strdup(key);
	c->end = end ? strdup(end) : NULL;
	c->spaces = spaces;
	c->epoch = epoch;
	c->reply = json_object_get(reply);
	if (!c->key || (end && !c->end))
		cache_drop(c);
}

/*
 * Range over [key, end) (end NULL: key alone); *reply holds "kvs".  While
 * the watch runs and no other machine has changed anything since, the
 * answer kept from an earlier range (or this store's own commit) serves:
 * a write decided on it is still guarded by its revisions.
 */
int etcd_range(struct etcd_store *es, const char *key, const char *end, bool by_create,
	       int64_t limit, json_object **reply)
{
	char *request = range_request(key, end, by_create, limit);
	unsigned spaces = etcd_spaces_of(es, key, end);
	uint64_t epoch = etcd_spaces_epoch(es, spaces);
	bool watching = atomic_load(&es->watching);
	int rc;

	if (!request)
		return -ENOMEM;
	for (unsigned i = 0; watching && i < READ_CACHE; i++) {
		struct cached_read *c = &es->cache[i];

		if (c->request && c->spaces == spaces && c->epoch == epoch &&
		    strcmp(c->request, request) == 0) {
			c->used = ++es->cache_clock;
			free(request);
			*reply = json_object_get(c->reply);
			return 0;
		}
	}
	rc = etcd_unreachable(etcd_call(es->client, "/v3/kv/range", request, true, reply));
	if (rc == 0 && watching)
		cache_keep(es, request, key, end, spaces, epoch, *reply);
	else
		free(request);
	return rc;
}

/* After this store's commit: what it wrote to a lock key is that key's answer now. */
void etcd_cache_written(struct etcd_store *es, const char *key, const struct entry *e,
			int64_t revision, uint64_t epoch)
{
	json_object *reply = json_object_new_object(), *kvs = json_object_new_array();
	char *request = range_request(key, NULL, false, 0);

	etcd_cache_forget(es, key);
	if (e->present) {
		json_object *kv = json_object_new_object();

		json_object_object_add(kv, "key", etcd_json_base64(key, strlen(key)));
		json_object_object_add(kv, "value",
				       etcd_json_base64(e->written, strlen(e->written)));
		json_object_object_add(
		    kv, "create_revision",
		    etcd_json_int(e->existed && !e->recreate ? e->create_revision : revision));
		json_object_object_add(kv, "mod_revision", etcd_json_int(revision));
		json_object_object_add(kv, "lease", etcd_json_int(e->written_lease));
		json_object_array_add(kvs, kv);
	}
	json_object_object_add(reply, "kvs", kvs);
	if (request)
		cache_keep(es, request, key, NULL, etcd_spaces_of(es, key, NULL), epoch, reply);
	json_object_put(reply);
}

int etcd_each_kv(json_object *reply, etcd_kv_fn fn, void *ctx)
{
	json_object *kvs;
	int rc = 0;

	if (!json_object_object_get_ex(reply, "kvs", &kvs))
		return 0;
	for (size_t i = 0; rc == 0 && i < json_object_array_length(kvs); i++) {
		json_object *kv = json_object_array_get_idx(kvs, i);
		uint8_t *key;
		size_t n;

		if (etcd_unbase64(etcd_text(kv, "key"), &key, &n) < 0)
			continue;
		rc = fn(ctx, (const char *)key, kv);
		free(key);
	}
	return rc;
}

char *etcd_kv_text(json_object *kv)
{
	uint8_t *value;
	size_t n;

	return etcd_unbase64(etcd_text(kv, "value"), &value, &n) < 0 ? NULL : (char *)value;
}

json_object *etcd_kv_value(json_object *kv)
{
	char *value = etcd_kv_text(kv);
	json_object *obj = value ? json_tokener_parse(value) : NULL;

	free(value);
	return obj;
}

/* --- keys ---------------------------------------------------------------- */

char *etcd_key(const struct etcd_store *es, const char *space, const char *name)
{
	char *key;

	return asprintf(&key, "%s/%s/%s", es->prefix, space, name) < 0 ? NULL : key;
}

/* Under own_lock. */
static bool is_own(const struct etcd_store *es, int64_t revision)
{
	for (unsigned i = 0; i < OWN_REVISIONS; i++)
		if (es->own[i] == revision)
			return true;
	return false;
}

void etcd_wake(struct etcd_store *es)
{
	uint64_t one = 1;

	if (write(es->event_fd, &one, sizeof(one)) < 0)
		return; /* full: readable anyway */
}

/*
 * A write of this store's, with its revision remembered as its own: the
 * watch may tell of it before its answer arrives, so events seen while
 * one is in flight are judged once it has been answered.
 */
static int own_write(struct etcd_store *es, const char *path, json_object *req, bool repeatable,
		     json_object **reply)
{
	unsigned foreign = 0; /* the spaces others changed meanwhile */
	int rc;

	pthread_mutex_lock(&es->own_lock);
	es->in_flight++;
	pthread_mutex_unlock(&es->own_lock);
	rc = etcd_post(es->client, path, req, repeatable, reply);
	pthread_mutex_lock(&es->own_lock);
	es->in_flight--;
	/* A txn whose guard failed wrote nothing: its revision is another's. */
	if (rc == 0 &&
	    (!json_object_object_get_ex(*reply, "succeeded", NULL) ||
	     json_object_get_boolean(json_object_object_get(*reply, "succeeded"))) &&
	    (strcmp(path, "/v3/kv/put") == 0 ||
	     json_object_get_boolean(json_object_object_get(*reply, "succeeded"))))
		es->own[es->own_next++ % OWN_REVISIONS] =
		    etcd_int(json_object_object_get(*reply, "header"), "revision");
	if (es->in_flight == 0) {
		foreign = es->deferred_overflow ? SPACES_ALL : 0;
		for (unsigned i = 0; i < es->deferred_count; i++)
			if (!is_own(es, es->deferred[i]))
				foreign |= es->deferred_spaces[i];
		es->deferred_count = 0;
		es->deferred_overflow = false;
	}
	pthread_mutex_unlock(&es->own_lock);
	if (foreign)
		etcd_moved(es, foreign);
	return rc;
}

int etcd_fence(struct etcd_store *es)
{
	json_object *req = json_object_new_object(), *reply = NULL;
	int rc;

	json_object_object_add(req, "key", etcd_json_base64(es->fence_key, strlen(es->fence_key)));
	json_object_object_add(req, "value", etcd_json_base64("open", 4));
	rc = own_write(es, "/v3/kv/put", req, true, &reply);
	if (rc == 0)
		es->fence_revision = etcd_int(json_object_object_get(reply, "header"), "revision");
	json_object_put(reply);
	return rc;
}

/*
 * Send req guarded on the fence being at fence_revision, moving it to a new
 * mark in the same transaction; on a failed guard, the fence is read.
 */
static int fenced_txn(struct etcd_store *es, json_object *req, const char *mark,
		      json_object **reply)
{
	json_object *compares = json_object_object_get(req, "compare");
	json_object *success = json_object_object_get(req, "success");
	json_object *failure = json_object_new_array(), *op = json_object_new_object(),
		    *get = json_object_new_object();

	if (!compares) {
		compares = json_object_new_array();
		json_object_object_add(req, "compare", compares);
	}
	if (!success) {
		success = json_object_new_array();
		json_object_object_add(req, "success", success);
	}
	etcd_txn_compare(compares, es->fence_key, true, es->fence_revision);
	etcd_txn_put(success, es->fence_key, mark, 0, false);
	json_object_object_add(get, "key", etcd_json_base64(es->fence_key, strlen(es->fence_key)));
	json_object_object_add(op, "request_range", get);
	json_object_array_add(failure, op);
	json_object_object_add(req, "failure", failure);
	return own_write(es, "/v3/kv/txn", req, false, reply);
}

/* The fence as a failed guard's answer read it: its value (malloc'd) and mod_revision. */
static char *fence_read(json_object *reply, int64_t *mod_revision)
{
	json_object *responses = json_object_object_get(reply, "responses");
	json_object *range =
	    json_object_object_get(json_object_array_get_idx(responses, 0), "response_range");
	json_object *kvs, *kv;

	*mod_revision = 0;
	if (!json_object_object_get_ex(range, "kvs", &kvs) || json_object_array_length(kvs) == 0)
		return NULL;
	kv = json_object_array_get_idx(kvs, 0);
	*mod_revision = etcd_int(kv, "mod_revision");
	return etcd_kv_text(kv);
}

/*
 * Whether value is a mark that a settling of the transaction in doubt
 * wrote: every settling is guarded where that transaction found the fence,
 * and all its marks are numbered after it, in this call or an earlier one
 * that gave up.
 */
static bool settled_by(const struct etcd_store *es, const char *value)
{
	uint64_t seq;
	int end = 0;

	return sscanf(value, "settle %" SCNu64 "%n", &seq, &end) == 1 && value[end] == '\0' &&
	       seq > es->doubt_seq;
}

/*
 * The transaction in doubt wrote es->doubt_mark to the fence: move the
 * fence if it is still where that transaction found it, which that
 * transaction then can never be applied after; else the fence tells who
 * moved it.
 */
int etcd_settle(struct etcd_store *es, int64_t *revision)
{
	struct timespec now;
	double deadline;
	char mark[64];
	int rc = -ETIMEDOUT;

	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = now.tv_sec + now.tv_nsec / 1e9 + 3 * es->opts.cluster.timeout_ms / 1000.0;
	for (;;) {
		json_object *req = json_object_new_object(), *reply = NULL;
		int64_t mod;
		char *value;

		snprintf(mark, sizeof(mark), "settle %" PRIu64, ++es->fence_seq);
		rc = fenced_txn(es, req, mark, &reply);
		if (rc == 0 &&
		    json_object_get_boolean(json_object_object_get(reply, "succeeded"))) {
			es->fence_revision =
			    etcd_int(json_object_object_get(reply, "header"), "revision");
			json_object_put(reply);
			return 0; /* the fence had not moved: it was not applied, and now never will
				     be */
		}
		if (rc == 0) {
			value = fence_read(reply, &mod);
			json_object_put(reply);
			rc = -EIO; /* the fence is gone or holds what nobody here wrote */
			if (value && strcmp(value, es->doubt_mark) == 0) {
				*revision = mod;
				rc = 1;
			} else if (value && settled_by(es, value)) {
				rc = 0; /* an earlier settling moved it first */
			}
			free(value);
			if (rc >= 0)
				es->fence_revision = mod;
			return rc;
		}
		json_object_put(reply);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec + now.tv_nsec / 1e9 >= deadline) {
			if (rc == -EINPROGRESS)
				etcd_reach(&es->opts.cluster, false); /* taken each time, never answered */
			return rc == -EINPROGRESS ? -ETIMEDOUT : rc;
		}
	}
}

int etcd_txn(struct etcd_store *es, json_object *req, json_object **reply)
{
	char mark[64];
	int64_t revision = 0;
	int rc = 0;

	*reply = NULL;
	if (es->in_doubt) {
		rc = etcd_settle(es, &revision);
		if (rc < 0) {
			json_object_put(req);
			return rc;
		}
		/* Applied or not, it was answered long ago: nothing more to do for it. */
		es->in_doubt = false;
	}
	snprintf(mark, sizeof(mark), "txn %" PRIu64, ++es->fence_seq);
	rc = fenced_txn(es, req, mark, reply);
	if (rc == 0 && json_object_get_boolean(json_object_object_get(*reply, "succeeded"))) {
		es->fence_revision = etcd_int(json_object_object_get(*reply, "header"), "revision");
		return 0;
	}
	if (rc == 0) {
		char *value = fence_read(*reply, &revision);

		if (!value || revision != es->fence_revision)
			rc = etcd_fence(es); /* moved by hand: put it again, then decide again */
		free(value);
		return rc; /* the guard failed: *reply says succeeded false */
	}
	if (rc != -EINPROGRESS)
		return rc;
	etcd_cache_forget(es, NULL);
	snprintf(es->doubt_mark, sizeof(es->doubt_mark), "%s", mark);
	es->doubt_seq = es->fence_seq;
	es->in_doubt = true;
	rc = etcd_settle(es, &revision);
	if (rc < 0)
		return rc; /* still in doubt: the next transaction settles it first */
	es->in_doubt = false;
	if (rc == 0)
		return -EAGAIN; /* not applied: decide again */
	*reply = json_object_new_object();
	json_object_object_add(*reply, "succeeded", json_object_new_boolean(1));
	json_object_object_add(*reply, "header", json_object_new_object());
	json_object_object_add(json_object_object_get(*reply, "header"), "revision",
			       etcd_json_int(revision));
	return 0;
}

/* The watch saw a change made at revision: true when it is another's (so far as known now). */
bool etcd_foreign_change(struct etcd_store *es, int64_t revision, unsigned spaces)
{
	bool foreign = false;

	pthread_mutex_lock(&es->own_lock);
	if (is_own(es, revision)) {
		;
	} else if (es->in_flight == 0) {
		foreign = true;
	} else if (es->deferred_count < OWN_REVISIONS) {
		es->deferred_spaces[es->deferred_count] = spaces;
		es->deferred[es->deferred_count++] = revision;
	} else {
		es->deferred_overflow = true;
	}
	pthread_mutex_unlock(&es->own_lock);
	return foreign;
}

void etcd_txn_compare_range(json_object *compares, const char *key, const char *end,
			    int64_t revision)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "key", etcd_json_base64(key, strlen(key)));
	json_object_object_add(c, "range_end", etcd_json_base64(end, strlen(end)));
	json_object_object_add(c, "target", json_object_new_string("MOD"));
	json_object_object_add(c, "result", json_object_new_string("LESS"));
	json_object_object_add(c, "mod_revision", etcd_json_int(revision + 1));
	json_object_array_add(compares, c);
}

void etcd_txn_compare(json_object *compares, const char *key, bool existed, int64_t mod_revision)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "key", etcd_json_base64(key, strlen(key)));
	json_object_object_add(c, "result", json_object_new_string("EQUAL"));
	if (existed) {
		json_object_object_add(c, "target", json_object_new_string("MOD"));
		json_object_object_add(c, "mod_revision", etcd_json_int(mod_revision));
	} else {
		json_object_object_add(c, "target", json_object_new_string("CREATE"));
		json_object_object_add(c, "create_revision", etcd_json_int(0));
	}
	json_object_array_add(compares, c);
}

void etcd_txn_put(json_object *ops, const char *key, const char *value, int64_t lease,
		  bool keep_lease)
{
	json_object *op = json_object_new_object(), *put = json_object_new_object();

	json_object_object_add(put, "key", etcd_json_base64(key, strlen(key)));
	json_object_object_add(put, "value", etcd_json_base64(value, strlen(value)));
	if (keep_lease)
		json_object_object_add(put, "ignore_lease", json_object_new_boolean(1));
	else if (lease)
		json_object_object_add(put, "lease", etcd_json_int(lease));
	json_object_object_add(op, "request_put", put);
	json_object_array_add(ops, op);
}

void etcd_txn_delete(json_object *ops, const char *key)
{
	json_object *op = json_object_new_object(), *del = json_object_new_object();

	json_object_object_add(del, "key", etcd_json_base64(key, strlen(key)));
	json_object_object_add(op, "request_delete_range", del);
	json_object_array_add(ops, op);
}
