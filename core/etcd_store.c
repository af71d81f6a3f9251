/*
 * etcd_store.c — the store of backend.h over an etcd v3 cluster.
 *
 * Why a transaction here is optimistic: etcd has no BEGIN IMMEDIATE.  A
 * write transaction reads what it needs (each lock key's mod_revision is
 * remembered), keeps every write in memory, and at commit sends one etcd
 * transaction that carries them all, guarded on each lock key read being
 * unchanged (or still absent) and on no place having been put in a line
 * it read.  When another machine changed one meanwhile the guard fails,
 * nothing is written, and the commit is -EAGAIN: the rules run again on
 * what is there now, as they do after a busy SQLite database.  So lock.c's
 * decisions hold across machines unchanged.
 *
 * Why generations and places are known only after the commit: both are
 * create_revisions, which etcd assigns when the transaction is applied.
 * store_next_generation and store_waiter_add remember where the caller
 * wants the number, and the commit writes it there.
 *
 * Wake-ups: one watch stream over P tells of every change; those that are
 * not this store's own commits move the epoch on and make the change
 * descriptor readable.  While the stream is down, every look at the epoch
 * starts a new one, so nothing remembered is trusted.
 */
#include "etcd_store_int.h"
#include "clock.h"
#include "name.h"

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

/* --- the open transaction ------------------------------------------------ */

static struct entry *entry_by_key(struct etcd_store *es, const char *key)
{
	for (size_t i = 0; i < es->entry_count; i++)
		if (strcmp(es->entries[i].key, key) == 0)
			return &es->entries[i];
	return NULL;
}

static struct entry *entry_by_id(struct etcd_store *es, int64_t id)
{
	for (size_t i = 0; i < es->entry_count; i++)
		if (es->entries[i].id == id && es->entries[i].present)
			return &es->entries[i];
	return NULL;
}

/* Room for one more of count items (*items may move): 0 or -ENOMEM. */
static int make_room(void *items, size_t *cap, size_t count, size_t size)
{
	void **array = items;
	size_t grown_cap = *cap ? *cap * 2 : 8;
	void *grown;

	if (count < *cap)
		return 0;
	grown = realloc(*array, grown_cap * size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*cap = grown_cap;
	return 0;
}

static struct entry *entry_add(struct etcd_store *es, const char *key)
{
	struct entry *e;

	if (make_room(&es->entries, &es->entry_cap, es->entry_count, sizeof(*e)) < 0)
		return NULL;
	e = &es->entries[es->entry_count];
	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	if (!e->key)
		return NULL;
	es->entry_count++;
	return e;
}

static int write_add(struct etcd_store *es, char *etcd_key_owned, char *value_owned)
{
	struct other_write *w;

	if (make_room(&es->writes, &es->write_cap, es->write_count, sizeof(*w)) < 0)
		goto fail;
	w = &es->writes[es->write_count++];
	memset(w, 0, sizeof(*w));
	w->etcd_key = etcd_key_owned;
	w->value = value_owned;
	return 0;
fail:
	free(etcd_key_owned);
	free(value_owned);
	return -ENOMEM;
}

static void transaction_clear(struct etcd_store *es)
{
	for (size_t i = 0; i < es->entry_count; i++) {
		free(es->entries[i].key);
		free(es->entries[i].read_value);
		free(es->entries[i].written);
		etcd_lock_clear(&es->entries[i].lock);
	}
	for (size_t i = 0; i < es->write_count; i++) {
		free(es->writes[i].etcd_key);
		free(es->writes[i].value);
	}
	for (size_t i = 0; i < es->line_count; i++) {
		free(es->lines[i].start);
		free(es->lines[i].end);
	}
	es->entry_count = es->write_count = es->generation_count = es->line_count = 0;
	es->in_write = es->foreign_lease = false;
}

/* Read lock key from etcd into e's fields (absent: existed false). */
static int read_lock(struct etcd_store *es, const char *key, struct entry *e)
{
	char *k = etcd_key(es, "locks", key);
	json_object *reply = NULL, *kvs;
	int rc;

	if (!k)
		return -ENOMEM;
	rc = etcd_range(es, k, NULL, false, 0, &reply);
	free(k);
	if (rc < 0)
		return rc;
	e->existed = e->present = false;
	if (json_object_object_get_ex(reply, "kvs", &kvs) && json_object_array_length(kvs) > 0) {
		json_object *kv = json_object_array_get_idx(kvs, 0), *value = etcd_kv_value(kv);

		e->mod_revision = etcd_int(kv, "mod_revision");
		e->create_revision = etcd_int(kv, "create_revision");
		e->lease = etcd_int(kv, "lease");
		e->id = e->create_revision;
		e->existed = true;
		e->read_value = etcd_kv_text(kv);
		/* A value that is not a lock is kept as it is: the rules see other data. */
		e->present = etcd_lock_from_json(value, &e->lock) == 0;
		e->read_expire = e->present && e->lock.expires ? e->lock.expire_time : 0;
		if (!e->present)
			e->lock.count = -1;
		json_object_put(value);
	}
	json_object_put(reply);
	return 0;
}

/* Keep key (owned; freed on failure) as the key of place id. */
static int remember_waiter(struct etcd_store *es, int64_t id, char *key, bool own)
{
	if (make_room(&es->waiter_ids, &es->waiter_id_cap, es->waiter_id_count,
		      sizeof(*es->waiter_ids)) < 0) {
		free(key);
		return -ENOMEM;
	}
	es->waiter_ids[es->waiter_id_count++] =
	    (struct waiter_id){.id = id, .etcd_key = key, .own = own};
	return 0;
}

static struct waiter_id *waiter_by_id(struct etcd_store *es, int64_t id)
{
	for (size_t i = 0; i < es->waiter_id_count; i++)
		if (es->waiter_ids[i].id == id)
			return &es->waiter_ids[i];
	return NULL;
}

static void forget_waiter(struct etcd_store *es, struct waiter_id *w)
{
	free(w->etcd_key);
	*w = es->waiter_ids[--es->waiter_id_count];
}

/* --- transactions -------------------------------------------------------- */

static void undo_clear(struct etcd_store *es)
{
	for (size_t i = 0; i < es->undo_count; i++) {
		free(es->undo[i].etcd_key);
		free(es->undo[i].value);
	}
	free(es->undo);
	es->undo = NULL;
	es->undo_count = 0;
	es->undo_revision = 0;
	es->doubt_of_put_back = false;
}

/*
 * The commit just sent was left in doubt, and its caller is told it failed:
 * remember each lock key it put as it was before.  Without this, an
 * acquisition answered EIO that was applied after all would stay held by
 * a caller who went on (and whose next try would re-enter it).
 */
static void undo_remember(struct etcd_store *es)
{
	size_t n = 0;

	undo_clear(es);
	for (size_t i = 0; i < es->entry_count; i++)
		n += es->entries[i].dirty && es->entries[i].present;
	es->undo = n ? calloc(n, sizeof(*es->undo)) : NULL;
	for (size_t i = 0; es->undo && i < es->entry_count; i++) {
		struct entry *e = &es->entries[i];
		struct undo *u = &es->undo[es->undo_count];

		if (!e->dirty || !e->present || (e->existed && !e->read_value))
			continue;
		u->etcd_key = etcd_key(es, "locks", e->key);
		u->value = e->existed ? strdup(e->read_value) : NULL;
		u->lease = e->lease;
		if (!u->etcd_key || (e->existed && !u->value)) {
			free(u->etcd_key);
			free(u->value);
			continue;
		}
		es->undo_count++; /* out of memory: that key stays as the transaction left it */
	}
}

/*
 * Write key alone (value NULL: delete it, else put it with lease) if it is
 * unchanged since mod_revision.  0 written, 1 not (it changed), -EAGAIN its
 * answer was lost and it was not applied (try again), or -errno.
 */
static int write_if_unchanged(struct etcd_store *es, const char *key, int64_t mod_revision,
			      const char *value, int64_t lease)
{
	json_object *req = json_object_new_object(), *compares = json_object_new_array(),
		    *ops = json_object_new_array(), *reply = NULL;
	int rc;

	etcd_txn_compare(compares, key, true, mod_revision);
	if (value)
		etcd_txn_put(ops, key, value, lease, false);
	else
		etcd_txn_delete(ops, key);
	json_object_object_add(req, "compare", compares);
	json_object_object_add(req, "success", ops);
	rc = etcd_txn(es, req, &reply);
	if (rc == 0 && !json_object_get_boolean(json_object_object_get(reply, "succeeded")))
		rc = 1;
	json_object_put(reply);
	return rc;
}

/*
 * Put u's key back as it was, unless it changed after es->undo_revision:
 * 0, or -EIO/-ETIMEDOUT when no member answered.
 */
static int put_back(struct etcd_store *es, struct undo *u)
{
	for (int tries = 0; tries < 3; tries++) {
		int rc = write_if_unchanged(es, u->etcd_key, es->undo_revision, u->value, u->lease);

		if (es->in_doubt || rc == -ETIMEDOUT || rc == -EIO) {
			/* Kept for the next write; if its own answer was lost, so is it. */
			es->doubt_of_put_back = es->in_doubt;
			return rc < 0 ? rc : -EIO;
		}
		if (rc == -ENOENT && u->value) {
			/* Its lease has ended since: etcd would have dropped the key with it. */
			free(u->value);
			u->value = NULL;
			continue;
		}
		if (rc != -EAGAIN)
			return 0; /* done, or another changed it since, or etcd will not have it */
	}
	return -EIO;
}

/* What was read or remembered may be void now: a new epoch, and a wake-up. */
static void changed_under_us(struct etcd_store *es)
{
	etcd_cache_forget(es, NULL);
	etcd_moved(es, SPACES_ALL);
}

/* The last key of undo is as it was: forget it. */
static void undo_done(struct etcd_store *es)
{
	struct undo *u;

	assert(es->undo_count > 0);
	u = &es->undo[es->undo_count - 1];
	free(u->etcd_key);
	free(u->value);
	if (--es->undo_count == 0)
		undo_clear(es);
	changed_under_us(es);
}

/*
 * Before a write transaction reads anything: settle the one in doubt, and
 * put back what it wrote that its caller was told did not happen.  Until
 * then no write starts (-EIO).
 */
static int resolve_doubt(struct etcd_store *es)
{
	int64_t revision = 0;
	int rc;

	if (es->in_doubt) {
		rc = etcd_settle(es, &revision);
		if (rc < 0)
			return etcd_unreachable(rc);
		es->in_doubt = false;
		if (es->doubt_of_put_back) {
			/* Applied: that key is back.  Not: it is put back below, as before. */
			es->doubt_of_put_back = false;
			if (rc == 1)
				undo_done(es);
		} else if (rc == 1 && es->undo_count) {
			es->undo_revision = revision;
		} else {
			undo_clear(es);
		}
		if (rc == 1)
			changed_under_us(es);
	}
	while (es->undo_count) {
		rc = put_back(es, &es->undo[es->undo_count - 1]);
		if (rc < 0)
			return etcd_unreachable(rc);
		undo_done(es);
	}
	return 0;
}

static int etcd_store_begin(struct store *base)
{
	struct etcd_store *es = etcd_of(base);
	int rc;

	assert(!es->in_write);
	rc = resolve_doubt(es);
	if (rc < 0)
		return rc;
	es->in_write = true;
	es->epoch_seen = atomic_load(&es->epoch);
	return 0;
}

static void etcd_store_rollback(struct store *base)
{
	transaction_clear(etcd_of(base));
}

/*
 * A bound lock whose oldest hold is another daemon's: that daemon's session
 * lease, as the lock's "leases" gives it, when etcd still has it and the
 * key is not on it already.  So a daemon that gives up the first hold
 * hands the lock to the next holder's lease, and its own stop or death
 * takes no lock that another machine still holds.  Unknown (a lock written
 * before leases were kept) or gone: false, and the key keeps its lease.
 */
static bool other_daemons_lease(struct etcd_store *es, const struct entry *e,
				const struct instance *in, int64_t *lease)
{
	int64_t other = etcd_lock_lease_of(&e->lock, in);

	if (!other || other == e->lease)
		return false; /* not known, or on it already */
	if (etcd_lease_alive(es->client, other) != 1)
		return false; /* gone, or no answer: the lock stays where it is */
	*lease = other;
	es->foreign_lease = true;
	return true;
}

/*
 * The lease a lock is written with; keep: leave the key's own.  A lock
 * whose expiry did not move keeps its lease; a renewal to the TTL its
 * lease was granted with is a keepalive; any other expiry gets a new lease.
 */
static int lease_for(struct etcd_store *es, struct entry *e, int64_t *lease, bool *keep)
{
	const struct store_hold *first = etcd_lock_first_hold(&e->lock);
	bool same_key = e->existed && !e->recreate && e->lease;
	int64_t ttl;
	int rc;

	*lease = 0;
	*keep = false;
	if (first) {
		/* Bound: the lease of the daemon that answers for its oldest hold. */
		if (instance_equal(&first->instance, instance_self()) || !e->existed || e->recreate)
			*lease = atomic_load(&es->lease);
		else
			*keep = !other_daemons_lease(es, e, &first->instance, lease);
		return 0;
	}
	if (!e->lock.expires) {
		e->lock.lease_ttl = 0;
		return 0;
	}
	if (same_key && e->lock.expire_time == e->read_expire) {
		*keep = true;
		return 0;
	}
	ttl = etcd_lease_ttl(e->lock.expire_time - clock_wall());
	if (same_key && e->lock.lease_ttl == ttl) {
		rc = etcd_unreachable(etcd_keep_alive(es->client, e->lease));
		if (rc != 0) {
			*keep = rc == 1;
			return rc < 0 ? rc : 0;
		}
	}
	e->lock.lease_ttl = ttl;
	return etcd_grant_lease(es, ttl, lease);
}

/* Delete the lock e replaces (it was there, free or expired), guarded on its revision. */
static int delete_replaced(struct etcd_store *es, struct entry *e, const char *key)
{
	int rc = write_if_unchanged(es, key, e->mod_revision, NULL, 0);

	if (rc == 1)
		rc = -EAGAIN; /* another came first: decide again */
	etcd_cache_forget(es, NULL);
	if (rc == 0) {
		e->existed = false; /* the new lock is guarded on the key being absent */
		e->mod_revision = 0;
	}
	return etcd_unreachable(rc);
}

/* What the reads kept learn from a commit: its writes, or (failed) nothing is sure. */
static void remember_commit(struct etcd_store *es, int rc, int64_t revision, uint64_t epoch)
{
	if (rc < 0) {
		etcd_cache_forget(es, NULL);
		return;
	}
	for (size_t i = 0; i < es->entry_count; i++) {
		struct entry *e = &es->entries[i];
		char *k;

		if (!e->dirty)
			continue;
		k = etcd_key(es, "locks", e->key);
		if (k && revision)
			etcd_cache_written(es, k, e, revision, epoch);
		else
			etcd_cache_forget(es, k);
		free(k);
	}
	for (size_t i = 0; i < es->write_count; i++)
		etcd_cache_forget(es, es->writes[i].etcd_key);
}

static int etcd_store_commit(struct store *base)
{
	struct etcd_store *es = etcd_of(base);
	json_object *req = json_object_new_object(), *compares = json_object_new_array(),
		    *ops = json_object_new_array(), *reply = NULL;
	uint64_t nonce = ++es->nonce, epoch;
	int64_t revision = 0;
	bool any = es->write_count > 0, doubt_before;
	int rc = 0;

	assert(es->in_write);
	for (size_t i = 0; rc == 0 && i < es->entry_count; i++) {
		struct entry *e = &es->entries[i];
		char *k;

		if (!e->dirty)
			continue;
		any = true;
		k = etcd_key(es, "locks", e->key);
		if (!k) {
			rc = -ENOMEM;
			break;
		}
		if (e->present) {
			/* The lease and value first: nothing can fail after the old lock went. */
			int64_t lease;
			bool keep;

			rc = lease_for(es, e, &lease, &keep);
			if (rc == 0 && !(e->written = etcd_lock_to_json(es, &e->lock, nonce)))
				rc = -ENOMEM;
			e->written_lease = keep ? e->lease : lease;
			if (rc == 0 && e->recreate && e->existed)
				rc = delete_replaced(es, e, k);
			if (rc == 0) {
				etcd_txn_compare(compares, k, e->existed, e->mod_revision);
				etcd_txn_put(ops, k, e->written, lease, keep);
			}
		} else {
			etcd_txn_compare(compares, k, e->existed, e->mod_revision);
			etcd_txn_delete(ops, k);
		}
		free(k);
	}
	for (size_t i = 0; rc == 0 && i < es->line_count; i++)
		etcd_txn_compare_range(compares, es->lines[i].start, es->lines[i].end,
				       es->lines[i].revision);
	for (size_t i = 0; rc == 0 && i < es->write_count; i++) {
		struct other_write *w = &es->writes[i];

		if (w->value)
			etcd_txn_put(ops, w->etcd_key, w->value,
				     w->session_lease ? atomic_load(&es->lease) : 0, w->keep_lease);
		else
			etcd_txn_delete(ops, w->etcd_key);
	}
	json_object_object_add(req, "compare", compares);
	json_object_object_add(req, "success", ops);
	if (rc < 0 || !any) {
		json_object_put(req);
		transaction_clear(es);
		return rc;
	}
	epoch = etcd_spaces_epoch(es, 1u << SPACE_LOCKS); /* what its answer will be as of */
	doubt_before = es->in_doubt;
	rc = etcd_txn(es, req, &reply);
	if (rc == -ENOENT && es->foreign_lease)
		rc = -EAGAIN; /* that lease expired meanwhile (nothing written): decide again */
	if (rc < 0 && es->in_doubt && !doubt_before)
		undo_remember(es);
	if (rc == 0) {
		revision = etcd_int(json_object_object_get(reply, "header"), "revision");
		if (!json_object_get_boolean(json_object_object_get(reply, "succeeded")))
			rc = -EAGAIN; /* another machine came first: decide again */
	}
	json_object_put(reply);
	remember_commit(es, rc, revision, epoch);
	if (rc == 0) {
		for (size_t i = 0; i < es->generation_count; i++)
			*es->generation_out[i] = revision;
		for (size_t i = 0; i < es->write_count; i++) {
			struct other_write *w = &es->writes[i];

			if (w->forget_id && waiter_by_id(es, w->forget_id))
				forget_waiter(es, waiter_by_id(es, w->forget_id));
			if (w->revision_out) {
				*w->revision_out = revision;
				if (remember_waiter(es, revision, w->etcd_key, true) == 0)
					w->etcd_key = NULL;
			}
		}
	}
	transaction_clear(es);
	return etcd_unreachable(rc);
}

static int etcd_store_read_begin(struct store *base)
{
	struct etcd_store *es = etcd_of(base);

	es->epoch_seen = atomic_load(&es->epoch);
	return 0;
}

static void etcd_store_read_end(struct store *base)
{
}

static uint64_t etcd_store_epoch(struct store *base)
{
	struct etcd_store *es = etcd_of(base);

	if (!atomic_load(&es->watching))
		return atomic_fetch_add(&es->epoch, 1) + 1; /* no watch: trust nothing */
	return atomic_load(&es->epoch);
}

static uint64_t etcd_store_epoch_seen(const struct store *base)
{
	return ((const struct etcd_store *)base)->epoch_seen;
}

/* Asked every second: a transaction left in doubt is settled here too, not only at a write. */
static int etcd_store_data_version(struct store *base, int64_t *version)
{
	struct etcd_store *es = etcd_of(base);

	if (es->in_doubt || es->undo_count)
		resolve_doubt(es); /* no member yet: again in a second */
	*version = (int64_t)etcd_store_epoch(base);
	return 0;
}

static int etcd_store_change_fd(struct store *base)
{
	return etcd_of(base)->event_fd;
}

static bool etcd_store_changes_drained(struct store *base)
{
	uint64_t count;
	bool any = false;

	while (read(etcd_of(base)->event_fd, &count, sizeof(count)) == sizeof(count))
		any = true;
	return any;
}

/* --- lock rows ----------------------------------------------------------- */

static int etcd_store_get_row(struct store *base, const char *key, struct store_row *row,
			      struct store_text *text)
{
	struct etcd_store *es = etcd_of(base);
	struct entry scratch = {0}, *e = es->in_write ? entry_by_key(es, key) : NULL;
	int rc = 0;

	if (text)
		memset(text, 0, sizeof(*text));
	if (strlen(key) > KEY_MAX_BYTES)
		return -ENAMETOOLONG;
	if (!e) {
		if (es->in_write) {
			e = entry_add(es, key);
			if (!e)
				return -ENOMEM;
		} else {
			e = &scratch;
			es->epoch_seen = atomic_load(&es->epoch);
		}
		rc = read_lock(es, key, e);
	}
	if (rc == 0 && !e->present)
		rc = e->existed && e->lock.count < 0 ? 0 : -ENOENT;
	if (rc == 0 && e->lock.count < 0) {
		/* Not a lock's JSON: other data, which no rule takes or releases. */
		memset(row, 0, sizeof(*row));
		row->id = e->id;
		row->mode = 4;
	} else if (rc == 0) {
		rc = etcd_lock_to_row(&e->lock, e->id, e->recreate ? 0 : e->create_revision, row);
		if (rc == 0 && text)
			rc = etcd_lock_text(&e->lock, text);
	}
	if (e == &scratch) {
		/* Kept for store_holds_read, which asks by the row's id next. */
		free(es->read_holds.items);
		es->read_holds = scratch.lock.holds;
		es->read_holds_id = rc == 0 ? scratch.id : 0;
		scratch.lock.holds = (struct store_holds){0};
		etcd_lock_clear(&scratch.lock);
		free(scratch.read_value);
	}
	return rc;
}

static int64_t etcd_store_put_lock(struct store *base, const char *key, int64_t id,
				   const struct store_lock *lock)
{
	struct etcd_store *es = etcd_of(base);
	struct entry *e = entry_by_key(es, key);
	struct etcd_lock *l;

	assert(es->in_write);
	if (!e) {
		e = entry_add(es, key); /* written without a read: guarded on being absent */
		if (!e)
			return -ENOMEM;
	}
	if (e->existed)
		e->recreate = true; /* a new lock: a new create_revision, a new generation */
	e->id = NEW_ROW_ID + (int64_t)(e - es->entries);
	l = &e->lock;
	etcd_lock_clear(l);
	snprintf(l->owner, sizeof(l->owner), "%s", lock->owner);
	l->count = lock->count;
	l->acquired = lock->store_time;
	l->expires = lock->expires;
	l->expire_time = lock->expire_time;
	if (lock->tags && *lock->tags && !(l->tags = strdup(lock->tags)))
		return -ENOMEM;
	if (lock->holder)
		l->holder = *lock->holder;
	l->by_lockfs = lock->holder != NULL;
	e->present = e->dirty = true;
	return e->id;
}

/* The entry of row id in this transaction, to write. */
static struct entry *writable(struct etcd_store *es, int64_t id)
{
	struct entry *e;

	assert(es->in_write);
	e = entry_by_id(es, id);
	if (e)
		e->dirty = true;
	return e;
}

static int etcd_store_set_count(struct store *base, int64_t id, const char *owner, int64_t count)
{
	struct entry *e = writable(etcd_of(base), id);

	if (!e)
		return -ENOENT;
	snprintf(e->lock.owner, sizeof(e->lock.owner), "%s", owner);
	e->lock.count = count;
	return 0;
}

static int etcd_store_set_expiry(struct store *base, int64_t id, bool expires, double expire_time)
{
	struct entry *e = writable(etcd_of(base), id);

	if (!e)
		return -ENOENT;
	e->lock.expires = expires;
	e->lock.expire_time = expires ? expire_time : 0;
	return 0;
}

static int etcd_store_set_tags(struct store *base, int64_t id, const char *tags)
{
	struct entry *e = writable(etcd_of(base), id);
	char *copy = tags && *tags ? strdup(tags) : NULL;

	if (!e || (tags && *tags && !copy)) {
		free(copy);
		return e ? -ENOMEM : -ENOENT;
	}
	free(e->lock.tags);
	e->lock.tags = copy;
	return 0;
}

static int etcd_store_set_note(struct store *base, int64_t id, const uint8_t *note, size_t len)
{
	struct entry *e = writable(etcd_of(base), id);
	uint8_t *copy = len ? malloc(len) : NULL;

	if (!e || (len && !copy)) {
		free(copy);
		return e ? -ENOMEM : -ENOENT;
	}
	if (len)
		memcpy(copy, note, len);
	free(e->lock.note);
	e->lock.note = copy;
	e->lock.note_len = len;
	return 0;
}

static int etcd_store_delete_row(struct store *base, int64_t id)
{
	struct entry *e = writable(etcd_of(base), id);

	if (!e)
		return -ENOENT;
	e->present = false;
	return 0;
}

static int etcd_store_next_generation(struct store *base, int64_t *generation)
{
	struct etcd_store *es = etcd_of(base);

	assert(es->in_write);
	if (make_room(&es->generation_out, &es->generation_cap, es->generation_count,
		      sizeof(*es->generation_out)) < 0)
		return -ENOMEM;
	es->generation_out[es->generation_count++] = generation;
	*generation = 0; /* the commit's revision, once it is known */
	return 0;
}

struct row_walk {
	struct etcd_store *es;
	size_t prefix_len;
	double expired_before;
	store_row_fn fn;
	void *ctx;
	int64_t count;
	double now;
};

static int walk_row(void *ctx, const char *key, json_object *kv)
{
	struct row_walk *w = ctx;
	json_object *value = etcd_kv_value(kv);
	struct etcd_lock l;
	struct store_row row;
	int rc;

	rc = etcd_lock_from_json(value, &l);
	json_object_put(value);
	if (rc < 0)
		return 0; /* not a lock: nothing the rules walk over */
	if (w->expired_before > 0 && (!l.expires || l.expire_time > w->expired_before)) {
		etcd_lock_clear(&l);
		return 0;
	}
	rc = etcd_lock_to_row(&l, etcd_int(kv, "create_revision"), etcd_int(kv, "create_revision"),
			      &row);
	if (rc == 0 && !w->fn && (!l.expires || l.expire_time > w->now))
		w->count++;
	if (rc == 0 && w->es->in_write && !entry_by_key(w->es, key + w->prefix_len)) {
		/* In a write transaction, what the walk shows may be written (the sweep). */
		struct entry *e = entry_add(w->es, key + w->prefix_len);

		if (!e) {
			etcd_lock_clear(&l);
			return -ENOMEM;
		}
		e->existed = e->present = true;
		e->mod_revision = etcd_int(kv, "mod_revision");
		e->create_revision = e->id = etcd_int(kv, "create_revision");
		e->lease = etcd_int(kv, "lease");
		e->read_value = etcd_kv_text(kv);
		e->read_expire = l.expires ? l.expire_time : 0;
		e->lock = l; /* the entry owns it now */
		memset(&l, 0, sizeof(l));
	}
	if (rc == 0 && w->fn)
		rc = w->fn(w->ctx, key + w->prefix_len, strlen(key + w->prefix_len), &row);
	etcd_lock_clear(&l);
	return rc;
}

static int walk_locks(struct etcd_store *es, struct row_walk *w)
{
	char *start = etcd_key(es, "locks", ""), *end = start ? etcd_prefix_end(start) : NULL;
	json_object *reply = NULL;
	int rc = start && end ? etcd_range(es, start, end, false, 0, &reply) : -ENOMEM;

	w->es = es;
	w->prefix_len = start ? strlen(start) : 0;
	if (rc == 0)
		rc = etcd_each_kv(reply, walk_row, w);
	json_object_put(reply);
	free(start);
	free(end);
	return rc;
}

static int etcd_store_for_each_row(struct store *base, double expired_before, store_row_fn fn,
				   void *ctx)
{
	struct row_walk w = {.expired_before = expired_before, .fn = fn, .ctx = ctx};

	return walk_locks(etcd_of(base), &w);
}

static int etcd_store_count_holders(struct store *base, double now, int64_t *count)
{
	struct row_walk w = {.now = now};
	int rc = walk_locks(etcd_of(base), &w);

	*count = w.count;
	return rc;
}

/* --- directories --------------------------------------------------------- */

static int etcd_store_dir_get(struct store *base, const char *path, struct store_dir *dir)
{
	struct etcd_store *es = etcd_of(base);
	char *k = etcd_key(es, "dirs", path);
	json_object *reply = NULL, *kvs, *value = NULL;
	int rc;

	memset(dir, 0, sizeof(*dir));
	if (!k)
		return -ENOMEM;
	rc = etcd_range(es, k, NULL, false, 0, &reply);
	free(k);
	if (rc == 0 &&
	    !(json_object_object_get_ex(reply, "kvs", &kvs) && json_object_array_length(kvs) > 0))
		rc = -ENOENT;
	if (rc == 0)
		value = etcd_kv_value(json_object_array_get_idx(kvs, 0));
	if (rc == 0) {
		etcd_copy_field(value, "timeout", dir->timeout, sizeof(dir->timeout));
		etcd_copy_field(value, "ttl", dir->ttl, sizeof(dir->ttl));
		etcd_copy_field(value, "open", dir->open, sizeof(dir->open));
		if (value && json_object_object_get_ex(value, "tags", NULL) &&
		    !(dir->tags = strdup(etcd_text(value, "tags"))))
			rc = -ENOMEM;
	}
	json_object_put(value);
	json_object_put(reply);
	return rc;
}

static int etcd_store_dir_put(struct store *base, const char *path, const struct store_dir *dir)
{
	struct etcd_store *es = etcd_of(base);
	json_object *obj = json_object_new_object();
	char *value, *key;

	assert(es->in_write);
	if (dir->timeout[0])
		json_object_object_add(obj, "timeout", json_object_new_string(dir->timeout));
	if (dir->ttl[0])
		json_object_object_add(obj, "ttl", json_object_new_string(dir->ttl));
	if (dir->open[0])
		json_object_object_add(obj, "open", json_object_new_string(dir->open));
	if (dir->tags)
		json_object_object_add(obj, "tags", json_object_new_string(dir->tags));
	value = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	key = value ? etcd_key(es, "dirs", path) : NULL;
	if (!key) {
		free(value);
		return -ENOMEM;
	}
	return write_add(es, key, value);
}

static int etcd_store_dir_delete(struct store *base, const char *path)
{
	struct etcd_store *es = etcd_of(base);
	char *key = etcd_key(es, "dirs", path);

	assert(es->in_write);
	return key ? write_add(es, key, NULL) : -ENOMEM;
}

struct dir_walk {
	size_t prefix_len;
	store_dir_fn fn;
	void *ctx;
};

static int walk_dir(void *ctx, const char *key, json_object *kv)
{
	struct dir_walk *w = ctx;

	return w->fn(w->ctx, key + w->prefix_len);
}

/* Each directory key under P/dirs/ that starts with below ("" for all). */
static int dirs_below(struct etcd_store *es, const char *below, int64_t limit, json_object **reply)
{
	char *start = etcd_key(es, "dirs", below), *end = start ? etcd_prefix_end(start) : NULL;
	int rc = start && end ? etcd_range(es, start, end, false, limit, reply) : -ENOMEM;

	free(start);
	free(end);
	return rc;
}

static int etcd_store_dir_for_each_below(struct store *base, const char *path, store_dir_fn fn,
					 void *ctx)
{
	struct etcd_store *es = etcd_of(base);
	struct dir_walk w = {.fn = fn, .ctx = ctx};
	char *below = NULL;
	json_object *reply = NULL;
	int rc;

	if (asprintf(&below, "%s%s", path, *path ? "/" : "") < 0)
		return -ENOMEM;
	w.prefix_len = strlen(es->prefix) + strlen("/dirs/");
	rc = dirs_below(es, below, 0, &reply);
	if (rc == 0)
		rc = etcd_each_kv(reply, walk_dir, &w);
	json_object_put(reply);
	free(below);
	return rc;
}

static int etcd_store_dir_kept(struct store *base, const char *path)
{
	struct etcd_store *es = etcd_of(base);
	struct store_dir dir;
	char *below = NULL;
	json_object *reply = NULL, *kvs;
	int rc = etcd_store_dir_get(base, path, &dir);

	store_dir_clear(&dir);
	if (rc != -ENOENT)
		return rc == 0 ? 1 : rc;
	if (asprintf(&below, "%s/", path) < 0)
		return -ENOMEM;
	rc = dirs_below(es, below, 1, &reply);
	if (rc == 0)
		rc = json_object_object_get_ex(reply, "kvs", &kvs) &&
		     json_object_array_length(kvs) > 0;
	json_object_put(reply);
	free(below);
	return rc;
}

/* --- the line of waiters ------------------------------------------------- */

static char *waiter_value(const struct instance *in, bool parked)
{
	json_object *obj = json_object_new_object();
	char *value;

	json_object_object_add(obj, "host", json_object_new_string(in->host));
	json_object_object_add(obj, "pid", json_object_new_int64(in->pid));
	json_object_object_add(obj, "start_time", etcd_json_int((int64_t)in->start_time));
	if (parked)
		json_object_object_add(obj, "parked", json_object_new_boolean(1));
	value = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	return value;
}

/* The place's key: P/waiters/KEY//host pid start n ("//" never occurs in a key). */
static int etcd_store_waiter_add(struct store *base, const char *key, const struct instance *in,
				 int64_t *id)
{
	struct etcd_store *es = etcd_of(base);
	char *who = etcd_instance_text(in), *k = NULL, *value = waiter_value(in, false);
	int rc;

	assert(es->in_write);
	if (!who || !value ||
	    asprintf(&k, "%s/waiters/%s//%s %" PRIu64, es->prefix, key, who, ++es->nonce) < 0) {
		free(who);
		free(value);
		return -ENOMEM;
	}
	free(who);
	rc = write_add(es, k, value);
	if (rc == 0) {
		es->writes[es->write_count - 1].session_lease = true;
		es->writes[es->write_count - 1].revision_out = id;
	}
	*id = 0;
	return rc;
}

static int etcd_store_waiter_delete(struct store *base, int64_t id)
{
	struct etcd_store *es = etcd_of(base);
	struct waiter_id *w = waiter_by_id(es, id);
	char *k;
	int rc;

	assert(es->in_write);
	if (!w)
		return 0; /* never seen here: gone with its daemon's lease */
	k = strdup(w->etcd_key);
	rc = k ? write_add(es, k, NULL) : -ENOMEM;
	if (rc == 0)
		es->writes[es->write_count - 1].forget_id = id; /* once it is gone */
	return rc;
}

static int etcd_store_waiter_park(struct store *base, int64_t id, bool parked)
{
	struct etcd_store *es = etcd_of(base);
	struct waiter_id *w = waiter_by_id(es, id);
	char *k, *value;
	int rc;

	assert(es->in_write);
	if (!w)
		return 0;
	k = strdup(w->etcd_key);
	value = waiter_value(instance_self(), parked);
	rc = k && value ? write_add(es, k, value) : -ENOMEM;
	if (!k || !value) {
		free(k);
		free(value);
	} else if (rc == 0) {
		es->writes[es->write_count - 1].keep_lease = true;
	}
	return rc;
}

struct waiter_walk {
	struct etcd_store *es;
	store_waiter_fn fn;
	void *ctx;
	const struct instance *only; /* waiters_delete_instance: this one's */
	int rc;
};

static int walk_waiter(void *ctx, const char *key, json_object *kv)
{
	struct waiter_walk *w = ctx;
	struct etcd_store *es = w->es;
	json_object *value = etcd_kv_value(kv);
	struct store_waiter waiter = {.id = etcd_int(kv, "create_revision")};
	int rc = 0;

	etcd_copy_field(value, "host", waiter.instance.host, sizeof(waiter.instance.host));
	waiter.instance.pid = (int32_t)etcd_int(value, "pid");
	waiter.instance.start_time = (uint64_t)etcd_int(value, "start_time");
	waiter.parked = json_object_get_boolean(json_object_object_get(value, "parked"));
	json_object_put(value);
	if (w->only) {
		if (instance_equal(w->only, &waiter.instance)) {
			char *k = strdup(key);

			rc = k ? write_add(es, k, NULL) : -ENOMEM;
		}
		return rc;
	}
	if (instance_equal(&waiter.instance, instance_self()) && !waiter_by_id(es, waiter.id)) {
		/*
		 * A place of ours that no request holds: its commit's answer was
		 * lost and it was taken as not done.  Left, it would head the
		 * line for as long as this daemon runs.
		 */
		char *k = es->in_write ? strdup(key) : NULL;

		return k ? write_add(es, k, NULL) : 0;
	}
	if (!waiter_by_id(es, waiter.id)) {
		char *k = strdup(key);

		if (!k || remember_waiter(es, waiter.id, k, false) < 0)
			return -ENOMEM;
	}
	return w->fn(w->ctx, &waiter);
}

/*
 * The line [*start, *end) as reply read it guards the commit: a place put
 * there meanwhile through another machine (its watch event not seen yet)
 * makes the commit fail and the operation decided again on the line as it
 * is, so that a free lock never passes an older waiter.  Takes the strings.
 */
static int guard_line(struct etcd_store *es, char **start, char **end, json_object *reply)
{
	int64_t revision = etcd_int(json_object_object_get(reply, "header"), "revision");

	for (size_t i = 0; i < es->line_count; i++)
		if (strcmp(es->lines[i].start, *start) == 0)
			return 0; /* read twice: the first read guards */
	if (!revision)
		return 0;
	if (es->line_count == es->line_cap) {
		size_t cap = es->line_cap ? 2 * es->line_cap : 4;
		struct line_guard *more = realloc(es->lines, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		es->lines = more;
		es->line_cap = cap;
	}
	es->lines[es->line_count++] =
	    (struct line_guard){.start = *start, .end = *end, .revision = revision};
	*start = *end = NULL;
	return 0;
}

static int etcd_store_waiters_of(struct store *base, const char *key, store_waiter_fn fn, void *ctx)
{
	struct etcd_store *es = etcd_of(base);
	struct waiter_walk w = {.es = es, .fn = fn, .ctx = ctx};
	char *start = NULL, *end;
	json_object *reply = NULL;
	int rc;

	if (asprintf(&start, "%s/waiters/%s//", es->prefix, key) < 0)
		return -ENOMEM;
	/* Others' places of this line are learnt again from what is there now. */
	for (size_t i = 0; i < es->waiter_id_count;)
		if (!es->waiter_ids[i].own &&
		    strncmp(es->waiter_ids[i].etcd_key, start, strlen(start)) == 0)
			forget_waiter(es, &es->waiter_ids[i]);
		else
			i++;
	end = etcd_prefix_end(start);
	rc = end ? etcd_range(es, start, end, true, 0, &reply) : -ENOMEM;
	if (rc == 0 && es->in_write)
		rc = guard_line(es, &start, &end, reply);
	if (rc == 0)
		rc = etcd_each_kv(reply, walk_waiter, &w);
	json_object_put(reply);
	free(start);
	free(end);
	return rc;
}

static int etcd_store_waiters_delete_instance(struct store *base, const struct instance *in)
{
	struct etcd_store *es = etcd_of(base);
	struct waiter_walk w = {.es = es, .only = in};
	char *start = etcd_key(es, "waiters", ""), *end = start ? etcd_prefix_end(start) : NULL;
	json_object *reply = NULL;
	int rc = start && end ? etcd_range(es, start, end, false, 0, &reply) : -ENOMEM;

	assert(es->in_write);
	if (rc == 0)
		rc = etcd_each_kv(reply, walk_waiter, &w);
	json_object_put(reply);
	free(start);
	free(end);
	return rc;
}

/* --- bound holds --------------------------------------------------------- */

static int etcd_store_holds_read(struct store *base, int64_t cache_id, struct store_holds *out)
{
	struct etcd_store *es = etcd_of(base);
	struct entry *e = es->in_write ? entry_by_id(es, cache_id) : NULL;
	const struct store_holds *holds = e ? &e->lock.holds : NULL;

	if (!es->in_write && cache_id && cache_id == es->read_holds_id)
		holds = &es->read_holds;
	memset(out, 0, sizeof(*out));
	if (!holds || !holds->count)
		return 0;
	out->items = calloc(holds->count, sizeof(*out->items));
	if (!out->items)
		return -ENOMEM;
	memcpy(out->items, holds->items, holds->count * sizeof(*out->items));
	out->count = out->cap = holds->count;
	return 0;
}

static int etcd_store_holds_write(struct store *base, int64_t cache_id,
				  const struct store_holds *holds)
{
	struct entry *e = writable(etcd_of(base), cache_id);
	struct store_holds kept = {0};

	if (!e)
		return -ENOENT;
	kept.items = holds->count ? calloc(holds->count, sizeof(*kept.items)) : NULL;
	if (holds->count && !kept.items)
		return -ENOMEM;
	kept.cap = holds->count;
	for (size_t i = 0; i < holds->count; i++)
		if (holds->items[i].id) /* 0: given up */
			kept.items[kept.count++] = holds->items[i];
	free(e->lock.holds.items);
	e->lock.holds = kept;
	return 0;
}

struct instance_walk {
	size_t prefix_len;
	store_hold_instance_fn fn;
	void *ctx;
};

static int walk_instances(void *ctx, const char *key, json_object *kv)
{
	struct instance_walk *w = ctx;
	json_object *value = etcd_kv_value(kv);
	struct etcd_lock l;
	int rc = etcd_lock_from_json(value, &l);

	json_object_put(value);
	if (rc < 0)
		return 0;
	for (size_t i = 0; rc == 0 && i < l.holds.count; i++)
		rc = w->fn(w->ctx, key + w->prefix_len, &l.holds.items[i].instance);
	etcd_lock_clear(&l);
	return rc;
}

static int etcd_store_hold_instances(struct store *base, store_hold_instance_fn fn, void *ctx)
{
	struct etcd_store *es = etcd_of(base);
	char *start = etcd_key(es, "locks", ""), *end = start ? etcd_prefix_end(start) : NULL;
	struct instance_walk w = {.prefix_len = start ? strlen(start) : 0, .fn = fn, .ctx = ctx};
	json_object *reply = NULL;
	int rc = start && end ? etcd_range(es, start, end, false, 0, &reply) : -ENOMEM;

	if (rc == 0)
		rc = etcd_each_kv(reply, walk_instances, &w);
	json_object_put(reply);
	free(start);
	free(end);
	return rc;
}

/* --- opening and closing ------------------------------------------------- */

static void etcd_store_close(struct store *base)
{
	struct etcd_store *es = etcd_of(base);

	if (!es)
		return;
	pthread_mutex_lock(&es->stop_lock);
	es->stop = true;
	pthread_cond_broadcast(&es->stop_cond);
	pthread_mutex_unlock(&es->stop_lock);
	if (es->keepalive_started)
		pthread_join(es->keepalive_thread, NULL);
	if (es->watch_started)
		pthread_join(es->watch_thread, NULL);
	if (es->client && es->fence_key)
		resolve_doubt(es); /* a last chance to put back what nobody holds */
	undo_clear(es);
	if (es->client && atomic_load(&es->lease)) {
		/* What rode on the session goes now, not after its TTL. */
		json_object *req = json_object_new_object(), *reply = NULL;

		json_object_object_add(req, "ID", etcd_json_int(atomic_load(&es->lease)));
		etcd_post(es->client, "/v3/lease/revoke", req, true, &reply);
		json_object_put(reply);
	}
	if (es->client && es->fence_key && es->fence_revision) {
		json_object *req = json_object_new_object(), *reply = NULL;

		json_object_object_add(req, "key",
				       etcd_json_base64(es->fence_key, strlen(es->fence_key)));
		etcd_post(es->client, "/v3/kv/deleterange", req, true, &reply);
		json_object_put(reply);
	}
	free(es->fence_key);
	free(es->read_holds.items);
	transaction_clear(es);
	etcd_cache_forget(es, NULL);
	for (size_t i = 0; i < es->waiter_id_count; i++)
		free(es->waiter_ids[i].etcd_key);
	free(es->waiter_ids);
	free(es->entries);
	free(es->writes);
	free(es->lines);
	free(es->generation_out);
	etcd_client_free(es->client);
	if (es->event_fd >= 0)
		close(es->event_fd);
	pthread_mutex_destroy(&es->own_lock);
	pthread_mutex_destroy(&es->stop_lock);
	pthread_cond_destroy(&es->stop_cond);
	free(es->prefix);
	free(es);
}

static bool etcd_store_may_evict(const struct store *base)
{
	return false;
}

static const struct store_ops etcd_store_ops = {
    .name = "etcd",
    .close = etcd_store_close,
    .may_evict = etcd_store_may_evict,
    .begin = etcd_store_begin,
    .commit = etcd_store_commit,
    .rollback = etcd_store_rollback,
    .read_begin = etcd_store_read_begin,
    .read_end = etcd_store_read_end,
    .epoch = etcd_store_epoch,
    .epoch_seen = etcd_store_epoch_seen,
    .data_version = etcd_store_data_version,
    .change_fd = etcd_store_change_fd,
    .changes_drained = etcd_store_changes_drained,
    .get_row = etcd_store_get_row,
    .put_lock = etcd_store_put_lock,
    .set_count = etcd_store_set_count,
    .set_expiry = etcd_store_set_expiry,
    .set_tags = etcd_store_set_tags,
    .set_note = etcd_store_set_note,
    .delete_row = etcd_store_delete_row,
    .next_generation = etcd_store_next_generation,
    .for_each_row = etcd_store_for_each_row,
    .count_holders = etcd_store_count_holders,
    .dir_get = etcd_store_dir_get,
    .dir_put = etcd_store_dir_put,
    .dir_delete = etcd_store_dir_delete,
    .dir_for_each_below = etcd_store_dir_for_each_below,
    .dir_kept = etcd_store_dir_kept,
    .waiter_add = etcd_store_waiter_add,
    .waiter_delete = etcd_store_waiter_delete,
    .waiter_park = etcd_store_waiter_park,
    .waiters_delete_instance = etcd_store_waiters_delete_instance,
    .waiters_of = etcd_store_waiters_of,
    .holds_read = etcd_store_holds_read,
    .holds_write = etcd_store_holds_write,
    .hold_instances = etcd_store_hold_instances,
};

/* Is it etcd's gateway?  A range of the prefix answers with a header and a revision. */
static int check_cluster(struct etcd_store *es, char *why, size_t cap)
{
	json_object *reply = NULL;
	int rc = etcd_range(es, es->prefix, NULL, false, 1, &reply);

	if (rc == -EIO)
		rc = -ETIMEDOUT; /* range says EIO for "did not answer" */
	if (rc == 0) {
		es->start_revision = etcd_int(json_object_object_get(reply, "header"), "revision");
		if (!es->start_revision) {
			snprintf(why, cap, "the answer is not etcd's (no revision)");
			rc = -EINVAL;
		}
	} else if (rc == -EINVAL) {
		snprintf(why, cap, "the request was refused: not etcd v3's JSON gateway?");
	}
	json_object_put(reply);
	return rc;
}

/*
 * Where this daemon's pids mean something: the boot and the pid namespace
 * ("BOOT_ID.INODE"), or "-" when they cannot be read.  A fence's key ends
 * with it, so that only a daemon that can see a process tells it is gone.
 */
static void pid_scope(char *out, size_t cap)
{
	char boot[64] = "", ns[64];
	unsigned long long inode;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);

	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = '\0';
		boot[strcspn(boot, "\n ")] = '\0';
		fclose(f);
	}
	if (n > 0)
		ns[n] = '\0';
	if (!boot[0] || n <= 0 || sscanf(ns, "pid:[%llu]", &inode) != 1)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%s.%llu", boot, inode);
}

struct fence_sweep {
	struct etcd_store *es;
	size_t name_at;	 /* where "PID START SCOPE" starts in a key */
	const char *scope; /* ours */
};

/*
 * A fence of a daemon of this host, boot and pid namespace (P/daemons/HOST
 * PID START SCOPE): deleted when that daemon is surely gone (kill -9, a
 * crash), for a dead daemon settles nothing again; any other is left.
 */
static int sweep_fence(void *ctx, const char *key, json_object *kv)
{
	struct fence_sweep *sweep = ctx;
	const char *name = key + sweep->name_at, *scope;
	struct instance in = {0};
	json_object *req, *reply = NULL;
	long long pid;
	char *end;

	(void)kv;
	errno = 0;
	pid = strtoll(name, &end, 10);
	if (errno || end == name || *end != ' ' || pid <= 0 || pid > INT32_MAX)
		return 0;
	name = end + 1;
	in.start_time = strtoull(name, &end, 10);
	if (errno || end == name || *end != ' ')
		return 0;
	scope = end + 1;
	if (strcmp(scope, sweep->scope) != 0 || strcmp(scope, "-") == 0)
		return 0; /* another boot or namespace: its pids are not ours to look at */
	in.pid = (int32_t)pid;
	snprintf(in.host, sizeof(in.host), "%s", instance_host());
	if (!instance_surely_gone(&in))
		return 0;
	req = json_object_new_object();
	json_object_object_add(req, "key", etcd_json_base64(key, strlen(key)));
	etcd_post(sweep->es->client, "/v3/kv/deleterange", req, true, &reply);
	json_object_put(reply);
	return 0;
}

/* Delete the fences of daemons of this host that are gone: best effort. */
static void sweep_fences(struct etcd_store *es, const char *scope)
{
	json_object *req = json_object_new_object(), *reply = NULL;
	char *start = NULL, *end = NULL;
	struct fence_sweep sweep = {.es = es, .scope = scope};

	if (asprintf(&start, "%s/daemons/%s ", es->prefix, instance_host()) < 0)
		start = NULL;
	end = start ? etcd_prefix_end(start) : NULL;
	if (!end) {
		json_object_put(req);
		free(start);
		return;
	}
	sweep.name_at = strlen(start);
	json_object_object_add(req, "key", etcd_json_base64(start, strlen(start)));
	json_object_object_add(req, "range_end", etcd_json_base64(end, strlen(end)));
	json_object_object_add(req, "keys_only", json_object_new_boolean(true));
	if (etcd_post(es->client, "/v3/kv/range", req, true, &reply) == 0)
		etcd_each_kv(reply, sweep_fence, &sweep);
	json_object_put(reply);
	free(start);
	free(end);
}

int store_open_etcd(const struct etcd_options *options, struct store **out, char *why, size_t cap)
{
	struct etcd_store *es = calloc(1, sizeof(*es));
	const struct instance *self = instance_self();
	char scope[128];
	int64_t lease = 0;
	int rc;

	*out = NULL;
	if (why && cap)
		why[0] = '\0';
	if (!es)
		return -ENOMEM;
	es->base.ops = &etcd_store_ops;
	es->opts = *options;
	es->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&es->own_lock, NULL);
	pthread_mutex_init(&es->stop_lock, NULL);
	pthread_cond_init(&es->stop_cond, NULL);
	snprintf(es->self, sizeof(es->self), "%s %d %" PRIu64, self->host, (int)self->pid,
		 self->start_time);
	es->prefix = strdup(options->prefix);
	rc = es->event_fd < 0 ? -errno : !es->prefix ? -ENOMEM : 0;
	if (rc == 0)
		rc = etcd_client_new(&es->opts.cluster, &es->client);
	if (rc == 0)
		rc = check_cluster(es, why, cap);
	pid_scope(scope, sizeof(scope));
	if (rc == 0 &&
	    asprintf(&es->fence_key, "%s/daemons/%s %s", es->prefix, es->self, scope) < 0) {
		es->fence_key = NULL;
		rc = -ENOMEM;
	}
	if (rc == 0)
		rc = etcd_unreachable(etcd_fence(es));
	if (rc == 0)
		sweep_fences(es, scope);
	if (rc == 0)
		rc = etcd_grant_session(es->client, options->session_ttl, &lease);
	if (rc < 0)
		goto fail;
	atomic_store(&es->lease, lease);
	rc = -pthread_create(&es->keepalive_thread, NULL, etcd_keepalive_main, es);
	es->keepalive_started = rc == 0;
	if (rc == 0)
		rc = -pthread_create(&es->watch_thread, NULL, etcd_watch_main, es);
	es->watch_started = rc == 0;
	if (rc < 0)
		goto fail;
	*out = &es->base;
	return 0;
fail:
	etcd_store_close(&es->base);
	return rc;
}
