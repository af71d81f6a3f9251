/*
 * lock.c — what each lock operation does to the cache.
 *
 * Every row is first classified (absent, free, held lock, other data) the
 * way SPEC §1.3 reads typed_diskcache's values; each operation is then a
 * short decision over that class, made inside BEGIN IMMEDIATE so that the
 * read and the write it leads to are one step for every other client.
 *
 * Why hand-off lives here: a release with a waiter must give the lock to the
 * waiter in the same transaction, or an outside client (Python polling every
 * millisecond) slips in between and the queue's order means nothing.
 */
#include "lock_int.h"
#include "instance.h"
#include "name.h"
#include "pickle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Classify a row's value: SyncLock (NULL), RLock (owner, n), or other. */
static enum row_class classify(const struct store_row *row, double now, char *owner,
			       size_t owner_cap, int64_t *count)
{
	struct pickle_value v;

	owner[0] = '\0';
	*count = 0;
	if (row->expires && row->expire_time <= now)
		return ROW_FREE;
	if (row->in_file)
		return ROW_OTHER;
	if (row->mode == 0 && row->value_null) {
		*count = 1;
		return ROW_HELD;
	}
	if (row->mode != 3 || row->value_null || row->value_len > STORE_VALUE_MAX)
		return ROW_OTHER;
	if (pickle_decode(row->value, row->value_len, &v) < 0 || v.kind != PICKLE_OWNER ||
	    v.text_len >= owner_cap)
		return ROW_OTHER;
	if (v.number <= 0)
		return ROW_FREE;
	memcpy(owner, v.text, v.text_len);
	owner[v.text_len] = '\0';
	*count = v.number;
	return ROW_HELD;
}

/* Read and classify key's row; with text non-NULL, its tags and note too (store_text_clear). */
int lock_load_row(struct store *st, const char *key, double now, struct lock_row *lr,
		struct store_text *text)
{
	int rc = store_get_row(st, key, &lr->row, text);

	if (rc == -ENOENT) {
		memset(lr, 0, sizeof(*lr));
		lr->class = ROW_ABSENT;
		return 0;
	}
	if (rc < 0)
		return rc;
	lr->class = classify(&lr->row, now, lr->owner, sizeof(lr->owner), &lr->count);
	return 0;
}

static bool owner_matches(const char *owner, bool has_holder, const struct store_holder *holder,
			  const struct caller *who)
{
	char mine[CALLER_OWNER_MAX];

	if (who->tid <= 0 || !owner[0])
		return false;
	caller_owner(who, mine, sizeof(mine));
	if (strcmp(owner, mine) != 0)
		return false;
	return !has_holder || holder->start_time == who->start_time;
}

static bool permitted(bool has_holder, const struct store_holder *holder,
		      const struct caller *who)
{
	if (who->uid == 0)
		return true;
	return who->uid == (has_holder ? holder->uid : geteuid());
}

bool lock_row_owned_by(const struct lock_row *lr, const struct caller *who)
{
	return owner_matches(lr->owner, lr->row.has_holder, &lr->row.holder, who);
}

bool lock_row_permits(const struct lock_row *lr, const struct caller *who)
{
	return lock_row_owned_by(lr, who) || permitted(lr->row.has_holder, &lr->row.holder, who);
}

/* End a write transaction: commit after success, roll back after rc < 0. */
int lock_end_write(struct store *st, int rc)
{
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

/*
 * Write a fresh (owner, 1) lock for who over row id (0: a new row), with the
 * TTL and tags in force in its directory.  Fills grant, and info when given.
 */
int lock_write_fresh(struct store *st, const char *key, int64_t id, const struct caller *who,
		     const struct lock_hold *hold, const struct policy *defaults, double now,
		     struct lock_grant *grant, struct lock_info *info)
{
	char owner[LOCK_OWNER_MAX], dir[KEY_MAX_BYTES + 1];
	struct store_holder holder = {0};
	struct policy policy;
	struct store_lock lock = {.owner = owner, .count = 1, .store_time = now, .holder = &holder};
	int64_t rc;

	name_dir_of(key, dir, sizeof(dir));
	rc = policy_resolve(st, dir, defaults, &policy);
	if (rc < 0)
		return (int)rc;
	lock.expires = policy.has_ttl;
	lock.expire_time = policy.has_ttl ? now + policy.ttl : 0;
	lock.tags = policy.tags;
	if (hold)
		lock_bound_owner(hold, who, owner, sizeof(owner));
	else
		caller_owner(who, owner, sizeof(owner));
	rc = store_next_generation(st, &grant->generation);
	if (rc < 0)
		goto out;
	grant->count = 1;
	grant->fresh = true;
	grant->acquired = now;
	grant->expires = lock.expires;
	grant->expire_time = lock.expire_time;
	holder.uid = who->uid;
	holder.gid = who->gid;
	holder.pid = who->tgid;
	holder.start_time = who->start_time;
	holder.generation = grant->generation;
	snprintf(holder.comm, sizeof(holder.comm), "%s", who->comm);
	snprintf(holder.host, sizeof(holder.host), "%s", instance_host());
	rc = store_put_lock(st, key, id, &lock);
	if (rc >= 0 && hold)
		rc = lock_add_hold(st, rc, NULL, hold, who); /* a fresh holder row: no holds */
	if (rc >= 0 && info) {
		memset(info, 0, sizeof(*info));
		snprintf(info->owner, sizeof(info->owner), "%s", owner);
		info->count = 1;
		info->made_by_lockfs = true;
		info->holder = holder;
		info->acquired = now;
		info->expires = lock.expires;
		info->expire_time = lock.expire_time;
		info->tags = policy.tags;
		info->binding = hold ? hold->binding : STORE_BOUND_NONE;
		info->shared = hold && hold->shared;
		policy.tags = NULL;
	}
out:
	policy_clear(&policy);
	return rc < 0 ? (int)rc : 0;
}

struct line_walk {
	struct store *st;
	int64_t oldest; /* the oldest place of a running daemon, 0 for none */
	int64_t dead[16];
	size_t dead_count;
};

static int find_oldest(void *ctx, const struct store_waiter *w)
{
	struct line_walk *walk = ctx;

	if (w->parked && instance_alive(&w->instance))
		return 0; /* a kept place nobody waits in: skipped */
	if (instance_alive(&w->instance)) {
		walk->oldest = w->id;
		return 1;
	}
	if (walk->dead_count < sizeof(walk->dead) / sizeof(walk->dead[0]))
		walk->dead[walk->dead_count++] = w->id;
	return 0;
}

/*
 * The oldest place in key's line whose daemon still runs (0: none), in a
 * write transaction; places of daemons that are gone are given up on the way.
 */
int lock_oldest_in_line(struct store *st, const char *key, int64_t *oldest)
{
	struct line_walk walk = {.st = st};
	int rc = store_waiters_of(st, key, find_oldest, &walk);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < walk.dead_count; i++) {
		rc = store_waiter_delete(st, walk.dead[i]);
		if (rc < 0)
			return rc;
	}
	*oldest = walk.oldest;
	return 0;
}

/* May ticket take key's free lock?  0, -EBUSY (an older place waits), or -errno. */
int lock_may_take(struct store *st, const char *key, const struct lock_ticket *ticket)
{
	int64_t oldest;
	int rc = lock_oldest_in_line(st, key, &oldest);

	if (rc < 0)
		return rc;
	if (oldest && (!ticket || !ticket->id || oldest < ticket->id))
		return -EBUSY;
	return 0;
}

int lock_acquire(struct store *st, const char *key, const struct caller *who,
		 const struct policy *defaults, unsigned flags, struct lock_ticket *ticket,
		 struct lock_grant *grant, struct lock_info *info)
{
	double now = clock_wall();
	struct store_text text = {0};
	struct lock_row lr;
	int rc = store_begin(st);

	memset(grant, 0, sizeof(*grant));
	if (info)
		memset(info, 0, sizeof(*info));
	if (rc < 0)
		return rc;
	rc = lock_load_row(st, key, now, &lr, info ? &text : NULL);
	if (rc < 0)
		return lock_end_write(st, rc);
	switch (lr.class) {
	case ROW_OTHER:
		rc = -EEXIST;
		break;
	case ROW_HELD:
		if (flags & LOCK_EXCLUSIVE) {
			rc = -EEXIST;
			break;
		}
		if (!lock_row_owned_by(&lr, who)) {
			rc = -EBUSY;
			break;
		}
		rc = store_set_count(st, lr.row.id, lr.owner, lr.count + 1);
		grant->count = lr.count + 1;
		grant->generation = lr.row.has_holder ? lr.row.holder.generation : 0;
		grant->acquired = lr.row.store_time;
		grant->expires = lr.row.expires;
		grant->expire_time = lr.row.expire_time;
		if (rc == 0 && info) {
			memcpy(info->owner, lr.owner, sizeof(info->owner));
			info->count = grant->count;
			info->made_by_lockfs = lr.row.has_holder;
			info->holder = lr.row.holder;
			info->acquired = lr.row.store_time;
			info->expires = lr.row.expires;
			info->expire_time = lr.row.expire_time;
			info->tags = text.tags;
			info->note = text.note;
			info->note_len = text.note_len;
			memset(&text, 0, sizeof(text));
		}
		break;
	case ROW_ABSENT:
	case ROW_FREE:
		if (flags & LOCK_REENTER_ONLY) {
			rc = -EBUSY;
			break;
		}
		rc = lock_may_take(st, key, ticket);
		if (rc == 0)
			rc = lock_write_fresh(st, key, lr.class == ROW_ABSENT ? 0 : lr.row.id, who,
					      NULL, defaults, now, grant, info);
		grant->expired = rc == 0 && lock_row_expired(&lr, now);
		if (rc == 0 && ticket && ticket->id)
			rc = store_waiter_delete(st, ticket->id);
		if (rc == 0 && ticket)
			ticket->id = 0;
		break;
	}
	store_text_clear(&text);
	if (rc == -EBUSY && ticket && ticket->take && !ticket->id) {
		/* In line: the place is written, the answer stays "busy". */
		rc = store_waiter_add(st, key, ticket->instance, &ticket->id);
		rc = lock_end_write(st, rc);
		if (rc < 0 && info)
			lock_info_clear(info);
		return rc < 0 ? rc : -EBUSY;
	}
	rc = lock_end_write(st, rc);
	if (rc < 0 && info)
		lock_info_clear(info);
	else if (info && grant->fresh)
		info->holder.generation = grant->generation; /* etcd's: known at commit */
	return rc;
}

/* The lock goes: to next when given, else the row is deleted. */
int lock_let_go(struct store *st, const char *key, const struct lock_row *lr,
		  const struct lock_successor *next, double now, struct lock_outcome *outcome)
{
	int64_t oldest = 0;
	int rc;

	if (next) {
		/* The successor only when no older place waits (through another mount). */
		rc = lock_oldest_in_line(st, key, &oldest);
		if (rc < 0)
			return rc;
	}
	outcome->acquired = lr->row.store_time;
	if (next && (!oldest || oldest == next->ticket)) {
		outcome->kind = LOCK_HANDED_OVER;
		rc = lock_write_fresh(st, key, lr->row.id, next->who, next->hold, next->defaults, now,
				      &outcome->successor, NULL);
		if (rc == 0 && next->ticket)
			rc = store_waiter_delete(st, next->ticket);
		return rc;
	}
	outcome->kind = LOCK_RELEASED;
	return store_delete_row(st, lr->row.id);
}

int lock_leave_line(struct store *st, const int64_t *tickets, size_t count)
{
	int rc = store_begin(st);

	if (rc < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < count; i++)
		rc = store_waiter_delete(st, tickets[i]);
	return lock_end_write(st, rc);
}

int lock_park_place(struct store *st, int64_t ticket, bool parked)
{
	int rc = store_begin(st);

	if (rc < 0)
		return rc;
	return lock_end_write(st, store_waiter_park(st, ticket, parked));
}

int lock_leave_line_all(struct store *st, const struct instance *instance)
{
	int rc = store_begin(st);

	if (rc < 0)
		return rc;
	return lock_end_write(st, store_waiters_delete_instance(st, instance));
}

/*
 * The aim of a change (lock.h): with *aim set, -ESTALE unless lr is the
 * lock of that generation; else *aim becomes the generation of the lock lr
 * shows (0: free, or not made by lockfs).  aim NULL: no aim.
 */
static int take_aim(const struct lock_row *lr, int64_t *aim)
{
	int64_t generation = lr->class == ROW_HELD && lr->row.has_holder ? lr->row.holder.generation : 0;

	if (!aim)
		return 0;
	if (*aim && generation != *aim)
		return -ESTALE;
	*aim = generation;
	return 0;
}

/* lock_unlink, on the lock of generation aim only when aim is not 0. */
static int unlink_aimed(struct store *st, const char *key, const struct caller *who, int64_t aim,
			const struct lock_successor *next, struct lock_outcome *outcome)
{
	double now = clock_wall();
	struct lock_row lr;
	int rc = store_begin(st);

	memset(outcome, 0, sizeof(*outcome));
	if (rc < 0)
		return rc;
	rc = lock_load_row(st, key, now, &lr, NULL);
	if (rc == 0)
		rc = take_aim(&lr, &aim);
	if (rc < 0)
		return lock_end_write(st, rc);
	if (lr.class != ROW_HELD)
		return lock_end_write(st, -ENOENT);
	outcome->generation = aim;
	memcpy(outcome->owner, lr.owner, sizeof(outcome->owner));
	outcome->count = lr.count;
	if (lock_row_owned_by(&lr, who) && lr.count > 1) {
		outcome->kind = LOCK_DECREMENTED;
		return lock_end_write(st, store_set_count(st, lr.row.id, lr.owner, lr.count - 1));
	}
	if (!lock_row_permits(&lr, who))
		return lock_end_write(st, -EPERM);
	outcome->broken = !lock_row_owned_by(&lr, who);
	return lock_end_write(st, lock_let_go(st, key, &lr, next, now, outcome));
}

int lock_unlink(struct store *st, const char *key, const struct caller *who,
		const struct lock_successor *next, struct lock_outcome *outcome)
{
	return unlink_aimed(st, key, who, 0, next, outcome);
}

int lock_unlink_again(struct store *st, const char *key, const struct caller *who, int64_t aim,
		      const struct lock_successor *next, struct lock_outcome *outcome)
{
	return unlink_aimed(st, key, who, aim, next, outcome);
}

int lock_release_generation(struct store *st, const char *key, const struct caller *who,
			    int64_t generation, const struct lock_successor *next,
			    struct lock_outcome *outcome)
{
	double now = clock_wall();
	struct lock_row lr;
	int rc = store_begin(st);

	memset(outcome, 0, sizeof(*outcome));
	if (rc < 0)
		return rc;
	rc = lock_load_row(st, key, now, &lr, NULL);
	if (rc < 0)
		return lock_end_write(st, rc);
	if (lr.class != ROW_HELD)
		return lock_end_write(st, -ENOENT);
	if (!lock_row_permits(&lr, who))
		return lock_end_write(st, -EPERM);
	if (!lr.row.has_holder || lr.row.holder.generation != generation)
		return lock_end_write(st, -ESTALE);
	memcpy(outcome->owner, lr.owner, sizeof(outcome->owner));
	outcome->count = lr.count;
	outcome->broken = !lock_row_owned_by(&lr, who);
	return lock_end_write(st, lock_let_go(st, key, &lr, next, now, outcome));
}

/* Load key's row for a change by who (aimed): 0 when it is a held lock who may change. */
static int load_to_change(struct store *st, const char *key, const struct caller *who,
			  int64_t *aim, double now, struct lock_row *lr)
{
	int rc = lock_load_row(st, key, now, lr, NULL);

	if (rc == 0)
		rc = take_aim(lr, aim);
	if (rc < 0)
		return rc;
	if (lr->class != ROW_HELD)
		return -ENOENT;
	return lock_row_permits(lr, who) ? 0 : -EPERM;
}

/* Set a held lock's expiry, if who may. */
static int change_expiry(struct store *st, const char *key, const struct caller *who,
			 int64_t *aim, bool expires, double seconds)
{
	double now = clock_wall();
	struct lock_row lr;
	int rc;

	/* A renewal that changes nothing (no TTL, no expiry) needs no write. */
	if (!expires) {
		/* An aim taken before is checked here; a new one is taken by the write's read. */
		rc = load_to_change(st, key, who, aim && *aim ? aim : NULL, now, &lr);
		if (rc < 0 || !lr.row.expires)
			return rc;
	}
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = load_to_change(st, key, who, aim, now, &lr);
	if (rc < 0)
		return lock_end_write(st, rc);
	return lock_end_write(st, store_set_expiry(st, lr.row.id, expires, now + seconds));
}

int lock_renew(struct store *st, const char *key, const struct caller *who,
	       const struct policy *defaults, int64_t *aim)
{
	char dir[KEY_MAX_BYTES + 1];
	struct policy policy;
	int rc;

	name_dir_of(key, dir, sizeof(dir));
	store_read_begin(st); /* the policy and the row in one read */
	rc = policy_resolve(st, dir, defaults, &policy);
	if (rc == 0 && policy.has_ttl) {
		rc = change_expiry(st, key, who, aim, true, policy.ttl);
		if (rc == 0)
			rc = 1; /* the expiry moved */
	} else if (rc == 0) {
		struct lock_row lr;

		/*
		 * No TTL in force here: nothing to renew by, and an expiry the lock
		 * has (its own user.lock.ttl, or another mount's TTL) stays, so that
		 * its holder's death still ends it.  Only removing user.lock.ttl
		 * clears one.
		 */
		rc = load_to_change(st, key, who, aim && *aim ? aim : NULL, clock_wall(), &lr);
	}
	policy_clear(&policy);
	store_read_end(st);
	return rc;
}

int lock_set_ttl(struct store *st, const char *key, const struct caller *who, int64_t *aim,
		 bool has_ttl, double seconds)
{
	return change_expiry(st, key, who, aim, has_ttl, seconds);
}

int lock_set_tags(struct store *st, const char *key, const struct caller *who, int64_t *aim,
		  const char *tags)
{
	struct lock_row lr;
	int rc = store_begin(st);

	if (rc < 0)
		return rc;
	rc = load_to_change(st, key, who, aim, clock_wall(), &lr);
	if (rc < 0)
		return lock_end_write(st, rc);
	return lock_end_write(st, store_set_tags(st, lr.row.id, tags));
}

int lock_inspect(struct store *st, const char *key, struct lock_info *info)
{
	struct store_text text;
	struct lock_row lr;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = lock_load_row(st, key, clock_wall(), &lr, &text);
	if (rc < 0)
		return rc;
	if (lr.class != ROW_HELD) {
		store_text_clear(&text);
		return lr.class == ROW_OTHER ? -EEXIST : -ENOENT;
	}
	memcpy(info->owner, lr.owner, sizeof(info->owner));
	info->count = lr.count;
	info->made_by_lockfs = lr.row.has_holder;
	info->holder = lr.row.holder;
	info->acquired = lr.row.store_time;
	info->expires = lr.row.expires;
	info->expire_time = lr.row.expire_time;
	info->tags = text.tags;
	info->note = text.note;
	info->note_len = text.note_len;
	rc = lock_binding_of(st, &lr, &info->binding, &info->shared);
	if (rc < 0)
		lock_info_clear(info);
	return rc;
}

void lock_info_clear(struct lock_info *info)
{
	free(info->tags);
	free(info->note);
	info->tags = NULL;
	info->note = NULL;
	info->note_len = 0;
}

/* Load key's note in a write transaction: the lock must be held and made by lockfs. */
static int load_note(struct store *st, const char *key, struct lock_row *lr, struct store_text *text)
{
	int rc = lock_load_row(st, key, clock_wall(), lr, text);

	if (rc < 0)
		return rc;
	if (lr->class != ROW_HELD)
		return -ENOENT;
	return lr->row.has_holder ? 0 : -EPERM;
}

int lock_write_note(struct store *st, const char *key, int64_t generation, uint64_t offset,
		    const void *data, size_t len)
{
	uint8_t note[STORE_NOTE_MAX];
	struct store_text text;
	struct lock_row lr;
	size_t end;
	int rc;

	if (len > STORE_NOTE_MAX ||
	    (offset != LOCK_NOTE_APPEND && (offset > STORE_NOTE_MAX || len > STORE_NOTE_MAX - offset)))
		return -EFBIG;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = load_note(st, key, &lr, &text);
	if (rc == -ENOENT || (rc == 0 && lr.row.holder.generation != generation))
		rc = -ESTALE; /* the handle's lock was released, maybe taken again */
	if (rc == 0 && offset == LOCK_NOTE_APPEND)
		offset = text.note_len;
	if (rc == 0 && len > STORE_NOTE_MAX - offset)
		rc = -EFBIG;
	if (rc == 0) {
		end = offset + len;
		memset(note, 0, sizeof(note));
		if (text.note_len)
			memcpy(note, text.note, text.note_len);
		if (len)
			memcpy(note + offset, data, len);
		rc = store_set_note(st, lr.row.id, note, end > text.note_len ? end : text.note_len);
	}
	store_text_clear(&text);
	return lock_end_write(st, rc < 0 ? rc : 0);
}

int lock_cut_note(struct store *st, const char *key, const struct caller *who, int64_t *aim,
		  uint64_t size)
{
	uint8_t note[STORE_NOTE_MAX];
	struct store_text text;
	struct lock_row lr;
	int rc;

	if (size > STORE_NOTE_MAX)
		return -EFBIG;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = load_note(st, key, &lr, &text);
	if ((rc == 0 || rc == -ENOENT || rc == -EPERM) && take_aim(&lr, aim) < 0)
		rc = -ESTALE;
	if (rc == -EPERM || (rc == 0 && !lock_row_permits(&lr, who)))
		rc = 1; /* not its note to cut: accepted, no effect */
	if (rc == 0 && (size_t)size != text.note_len) {
		memset(note, 0, sizeof(note));
		if (text.note_len && size)
			memcpy(note, text.note, text.note_len < size ? text.note_len : (size_t)size);
		rc = store_set_note(st, lr.row.id, note, (size_t)size);
	}
	store_text_clear(&text);
	return lock_end_write(st, rc < 0 ? rc : 0);
}

/* Collect ids of expired lock rows, then delete them. */
struct id_list {
	int64_t *ids;
	size_t len, cap;
	double now;
};

static int collect_expired_lock(void *ctx, const char *key, size_t key_len,
				const struct store_row *row)
{
	struct id_list *list = ctx;
	struct store_row live = *row;
	char owner[LOCK_OWNER_MAX];
	int64_t count;

	live.expires = false; /* classify the value as if it were live */
	if (classify(&live, list->now, owner, sizeof(owner), &count) == ROW_OTHER)
		return 0;
	if (list->len == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		int64_t *ids = realloc(list->ids, cap * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		list->ids = ids;
		list->cap = cap;
	}
	list->ids[list->len++] = row->id;
	return 0;
}

int lock_sweep_expired(struct store *st, double now)
{
	struct id_list list = {.now = now};
	int rc;

	/* Look before taking the write lock: most sweeps find nothing. */
	rc = store_for_each_row(st, now, collect_expired_lock, &list);
	if (rc < 0 || list.len == 0) {
		free(list.ids);
		return rc;
	}
	list.len = 0;
	rc = store_begin(st);
	if (rc < 0) {
		free(list.ids);
		return rc;
	}
	rc = store_for_each_row(st, now, collect_expired_lock, &list);
	for (size_t i = 0; rc == 0 && i < list.len; i++)
		rc = store_delete_row(st, list.ids[i]);
	free(list.ids);
	rc = lock_end_write(st, rc);
	return rc < 0 ? rc : (int)list.len;
}

struct held_walk {
	lock_each_fn fn;
	void *ctx;
	double now;
};

static int visit_held(void *ctx, const char *key, size_t key_len, const struct store_row *row)
{
	struct held_walk *walk = ctx;
	char owner[LOCK_OWNER_MAX];
	int64_t count;

	if (classify(row, walk->now, owner, sizeof(owner), &count) != ROW_HELD ||
	    !name_key_showable(key, key_len))
		return 0;
	return walk->fn(walk->ctx, key, key_len, row->expires, row->expire_time);
}

int lock_count_made(struct store *st, int64_t *count)
{
	return store_count_holders(st, clock_wall(), count);
}

int lock_for_each_held(struct store *st, lock_each_fn fn, void *ctx)
{
	struct held_walk walk = {.fn = fn, .ctx = ctx, .now = clock_wall()};

	return store_for_each_row(st, 0, visit_held, &walk);
}
