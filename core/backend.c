/*
 * backend.c — store.h's calls, each handed to the store behind it, and what
 * both stores share (a hold added to a lock's list, the clearing of results).
 */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

const char *store_backend_name(const struct store *st)
{
	return st->ops->name;
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

bool store_may_evict(const struct store *st)
{
	return st->ops->may_evict(st);
}

void store_set_fault_hook(struct store *st, void (*hook)(void *ctx, unsigned step), void *ctx)
{
	if (st->ops->set_fault_hook)
		st->ops->set_fault_hook(st, hook, ctx);
}

int store_begin(struct store *st)
{
	return st->ops->begin(st);
}

int store_commit(struct store *st)
{
	return st->ops->commit(st);
}

void store_rollback(struct store *st)
{
	st->ops->rollback(st);
}

int store_read_begin(struct store *st)
{
	return st->ops->read_begin(st);
}

void store_read_end(struct store *st)
{
	st->ops->read_end(st);
}

uint64_t store_epoch(struct store *st)
{
	return st->ops->epoch(st);
}

uint64_t store_epoch_seen(const struct store *st)
{
	return st->ops->epoch_seen(st);
}

int store_data_version(struct store *st, int64_t *version)
{
	return st->ops->data_version(st, version);
}

int store_change_fd(struct store *st)
{
	return st->ops->change_fd(st);
}

bool store_changes_drained(struct store *st)
{
	return st->ops->changes_drained(st);
}

int store_get_row(struct store *st, const char *key, struct store_row *row, struct store_text *text)
{
	return st->ops->get_row(st, key, row, text);
}

int64_t store_put_lock(struct store *st, const char *key, int64_t id, const struct store_lock *lock)
{
	return st->ops->put_lock(st, key, id, lock);
}

int store_set_count(struct store *st, int64_t id, const char *owner, int64_t count)
{
	return st->ops->set_count(st, id, owner, count);
}

int store_set_expiry(struct store *st, int64_t id, bool expires, double expire_time)
{
	return st->ops->set_expiry(st, id, expires, expire_time);
}

int store_set_tags(struct store *st, int64_t id, const char *tags)
{
	return st->ops->set_tags(st, id, tags);
}

int store_set_note(struct store *st, int64_t id, const uint8_t *note, size_t len)
{
	return st->ops->set_note(st, id, note, len);
}

int store_delete_row(struct store *st, int64_t id)
{
	return st->ops->delete_row(st, id);
}

int store_next_generation(struct store *st, int64_t *generation)
{
	return st->ops->next_generation(st, generation);
}

int store_for_each_row(struct store *st, double expired_before, store_row_fn fn, void *ctx)
{
	return st->ops->for_each_row(st, expired_before, fn, ctx);
}

int store_count_holders(struct store *st, double now, int64_t *count)
{
	return st->ops->count_holders(st, now, count);
}

int store_dir_get(struct store *st, const char *path, struct store_dir *dir)
{
	return st->ops->dir_get(st, path, dir);
}

int store_dir_put(struct store *st, const char *path, const struct store_dir *dir)
{
	return st->ops->dir_put(st, path, dir);
}

int store_dir_delete(struct store *st, const char *path)
{
	return st->ops->dir_delete(st, path);
}

int store_dir_for_each_below(struct store *st, const char *path, store_dir_fn fn, void *ctx)
{
	return st->ops->dir_for_each_below(st, path, fn, ctx);
}

int store_dir_kept(struct store *st, const char *path)
{
	return st->ops->dir_kept(st, path);
}

int store_waiter_add(struct store *st, const char *key, const struct instance *in, int64_t *id)
{
	return st->ops->waiter_add(st, key, in, id);
}

int store_waiter_delete(struct store *st, int64_t id)
{
	return st->ops->waiter_delete(st, id);
}

int store_waiter_park(struct store *st, int64_t id, bool parked)
{
	return st->ops->waiter_park(st, id, parked);
}

int store_waiters_delete_instance(struct store *st, const struct instance *in)
{
	return st->ops->waiters_delete_instance(st, in);
}

int store_waiters_of(struct store *st, const char *key, store_waiter_fn fn, void *ctx)
{
	return st->ops->waiters_of(st, key, fn, ctx);
}

int store_holds_read(struct store *st, int64_t cache_id, struct store_holds *out)
{
	return st->ops->holds_read(st, cache_id, out);
}

int store_hold_add(struct store *st, int64_t cache_id, struct store_holds *holds,
		   const struct store_hold *h)
{
	struct store_holds none = {0}, *l = holds ? holds : &none;
	int rc = store_holds_append(l, h);

	if (rc == 0)
		rc = st->ops->holds_write(st, cache_id, l);
	free(none.items);
	return rc;
}

int store_holds_write(struct store *st, int64_t cache_id, const struct store_holds *holds)
{
	return st->ops->holds_write(st, cache_id, holds);
}

int store_hold_instances(struct store *st, store_hold_instance_fn fn, void *ctx)
{
	return st->ops->hold_instances(st, fn, ctx);
}

/* What the stores hand out, freed the same way whichever made it. */

void store_text_clear(struct store_text *text)
{
	free(text->tags);
	free(text->note);
	memset(text, 0, sizeof(*text));
}

void store_dir_clear(struct store_dir *dir)
{
	free(dir->tags);
	dir->tags = NULL;
}
