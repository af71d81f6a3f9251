/*
 * bound.c — locks bound to open files (SPEC §5): flock, record locks, OFD
 * locks and opens in "bound" directories.
 *
 * A bound lock is an ordinary lock row, so typed_diskcache and every other
 * mount see it held.  Its value's owner is a string no thread can have
 * ("flock:4242" for an exclusive hold, "shared" for shared ones), so that
 * no typed_diskcache thread re-enters it; who really holds it is in its
 * holder row's holds (store_holds.c), one per hold: the binding, shared or exclusive, the
 * kernel's lock owner (a description or a process), the daemon instance
 * that answers for it, and the process that took it.  A shared lock's
 * count is the number of its holds.
 *
 * Every decision is one write transaction, like the rest of the lock rules,
 * and bound holds wait in the same line of places as opens do.
 */
#include "lock_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lock_bound_owner(const struct lock_hold *hold, const struct caller *who, char *out,
		      size_t cap)
{
	if (hold->shared)
		snprintf(out, cap, "shared");
	else
		snprintf(out, cap, "%s:%d", store_binding_name(hold->binding), (int)who->tgid);
}

bool lock_owner_is_bound(const char *owner)
{
	static const char *const prefixes[] = {"flock:", "posix:", "ofd:", "open:"};

	if (strcmp(owner, "shared") == 0)
		return true;
	for (unsigned i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(owner, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

int64_t lock_add_hold(struct store *st, int64_t id, struct store_holds *holds,
		      const struct lock_hold *hold, const struct caller *who)
{
	struct store_hold h = {
		.binding = hold->binding,
		.shared = hold->shared,
		.owner = hold->owner,
		.instance = *hold->instance,
		.pid = who->tgid,
		.uid = who->uid,
		.gid = who->gid,
	};
	int rc;

	snprintf(h.comm, sizeof(h.comm), "%s", who->comm);
	rc = store_hold_add(st, id, holds, &h);
	return rc < 0 ? rc : id;
}

/* lr's holds when it is a bound lock made by lockfs; none otherwise. */
static int load_holds(struct store *st, const struct lock_row *lr, struct store_holds *holds)
{
	memset(holds, 0, sizeof(*holds));
	if (lr->class != ROW_HELD || !lr->row.has_holder || !lock_owner_is_bound(lr->owner))
		return 0;
	return store_holds_read(st, lr->row.id, holds);
}

/* The same binding family: flock, record (POSIX and OFD), or open. */
static bool same_family(enum store_binding a, enum store_binding b)
{
	bool ra = a == STORE_BOUND_POSIX || a == STORE_BOUND_OFD;
	bool rb = b == STORE_BOUND_POSIX || b == STORE_BOUND_OFD;

	return ra || rb ? ra && rb : a == b;
}

static bool is_mine(const struct store_hold *h, const struct lock_hold *hold)
{
	return h->owner == hold->owner && same_family(h->binding, hold->binding) &&
	       instance_equal(&h->instance, hold->instance);
}

/* Write the row's value for the holds it has now: "shared" and their number, or one's owner. */
static int rewrite_value(struct store *st, const struct lock_row *lr, const struct store_holds *holds,
			 int64_t exclusive_count)
{
	char owner[LOCK_OWNER_MAX];
	bool shared = true;
	int64_t live = 0;

	for (size_t i = 0; i < holds->count; i++) {
		if (!holds->items[i].id)
			continue; /* given up */
		live++;
		shared &= holds->items[i].shared;
	}
	if (shared) {
		snprintf(owner, sizeof(owner), "shared");
		return store_set_count(st, lr->row.id, owner, live);
	}
	for (size_t i = 0; i < holds->count; i++) {
		if (holds->items[i].id) {
			snprintf(owner, sizeof(owner), "%s:%d",
				 store_binding_name(holds->items[i].binding),
				 (int)holds->items[i].pid);
			break;
		}
	}
	return store_set_count(st, lr->row.id, owner, exclusive_count);
}

/*
 * A hold of the same owner asks again: the same mode changes nothing, a
 * shared one becomes exclusive only alone (-EBUSY: it waits, keeping what
 * it has), an exclusive one becomes shared at once.
 */
static int convert(struct store *st, const struct lock_row *lr, struct store_holds *holds,
		   struct store_hold *mine, const struct lock_hold *hold)
{
	int rc;

	if (mine->shared == hold->shared)
		return 0;
	if (!hold->shared && holds->count > 1)
		return -EBUSY;
	mine->shared = hold->shared;
	rc = store_holds_write(st, lr->row.id, holds);
	return rc < 0 ? rc : rewrite_value(st, lr, holds, 1);
}

int lock_acquire_bound(struct store *st, const char *key, const struct caller *who,
		       const struct policy *defaults, const struct lock_hold *hold,
		       struct lock_ticket *ticket, struct lock_grant *grant)
{
	double now = clock_wall();
	struct store_holds holds = {0};
	struct store_hold *mine = NULL;
	struct lock_row lr;
	bool all_shared = true;
	int rc = store_begin(st);

	memset(grant, 0, sizeof(*grant));
	if (rc < 0)
		return rc;
	rc = lock_load_row(st, key, now, &lr, NULL);
	if (rc == 0)
		rc = load_holds(st, &lr, &holds);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < holds.count; i++) {
		if (is_mine(&holds.items[i], hold))
			mine = &holds.items[i];
		all_shared &= holds.items[i].shared;
	}
	switch (lr.class) {
	case ROW_OTHER:
		rc = -EEXIST;
		break;
	case ROW_ABSENT:
	case ROW_FREE:
		rc = lock_may_take(st, key, ticket);
		if (rc == 0)
			rc = lock_write_fresh(st, key, lr.class == ROW_ABSENT ? 0 : lr.row.id, who,
					      hold, defaults, now, grant, NULL);
		grant->expired = rc == 0 && lock_row_expired(&lr, now);
		break;
	case ROW_HELD:
		if (mine) {
			rc = convert(st, &lr, &holds, mine, hold);
		} else if (holds.count && all_shared && hold->shared) {
			/* Shared joins shared, unless an older place waits (writers never starve). */
			rc = lock_may_take(st, key, ticket);
			if (rc == 0)
				rc = (int)lock_add_hold(st, lr.row.id, &holds, hold, who);
			if (rc >= 0)
				rc = store_set_count(st, lr.row.id, "shared", lr.count + 1);
		} else {
			rc = -EBUSY;
		}
		if (rc == 0) {
			grant->count = holds.count && all_shared && hold->shared && !mine ? lr.count + 1
											  : lr.count;
			grant->generation = lr.row.holder.generation;
			grant->acquired = lr.row.store_time;
			grant->expires = lr.row.expires;
			grant->expire_time = lr.row.expire_time;
		}
		break;
	}
	if (rc == 0 && ticket && ticket->id)
		rc = store_waiter_delete(st, ticket->id);
	if (rc == 0 && ticket)
		ticket->id = 0;
	if (rc == -EBUSY && ticket && ticket->take && !ticket->id) {
		rc = store_waiter_add(st, key, ticket->instance, &ticket->id);
		rc = lock_end_write(st, rc);
		free(holds.items);
		return rc < 0 ? rc : -EBUSY;
	}
out:
	free(holds.items);
	return lock_end_write(st, rc);
}

int lock_bind(struct store *st, const char *key, int64_t generation, const struct caller *who,
	      const struct lock_hold *hold)
{
	char owner[LOCK_OWNER_MAX];
	struct store_holds holds = {0};
	struct lock_row lr;
	int rc = store_begin(st);

	if (rc < 0)
		return rc;
	rc = lock_load_row(st, key, clock_wall(), &lr, NULL);
	if (rc < 0)
		goto out;
	if (lr.class != ROW_HELD || !lr.row.has_holder || lr.row.holder.generation != generation) {
		rc = -ESTALE; /* not the acquisition of that open any more */
		goto out;
	}
	rc = load_holds(st, &lr, &holds);
	if (rc < 0 || holds.count) {
		rc = rc < 0 ? rc : -EBUSY; /* bound already (to another description) */
		goto out;
	}
	lock_bound_owner(hold, who, owner, sizeof(owner));
	/* The hold taken by the open stays one hold; a shared one counts one holder. */
	rc = store_set_count(st, lr.row.id, owner, hold->shared ? 1 : lr.count);
	if (rc == 0)
		rc = (int)lock_add_hold(st, lr.row.id, &holds, hold, who);
out:
	free(holds.items);
	return lock_end_write(st, rc < 0 ? rc : 0);
}

/* Which holds a release gives up. */
struct release_match {
	const struct instance *instance;
	uint64_t owner;
	bool any_owner;   /* every hold of the instance (it died) */
	unsigned families; /* bit (1 << binding) for each binding released */
	bool flush;       /* FLUSH: POSIX holds of owner go; POSIX holds of pid with another owner are OFD */
	int32_t pid;
};

static bool matches(const struct store_hold *h, const struct release_match *m)
{
	if (!instance_equal(&h->instance, m->instance))
		return false;
	if (m->any_owner)
		return true;
	return h->owner == m->owner && (m->families & (1u << h->binding));
}

/* Give up the holds of key that m matches; when none is left, the lock goes (to next). */
static int release_holds(struct store *st, const char *key, const struct release_match *m,
			 const struct lock_successor *next, struct lock_outcome *outcome)
{
	double now = clock_wall();
	struct store_holds holds = {0};
	struct lock_row lr;
	size_t released = 0, left = 0;
	bool relabeled = false;
	int rc = store_begin(st);

	memset(outcome, 0, sizeof(*outcome));
	if (rc < 0)
		return rc;
	rc = lock_load_row(st, key, now, &lr, NULL);
	if (rc == 0)
		rc = load_holds(st, &lr, &holds);
	for (size_t i = 0; rc == 0 && i < holds.count; i++) {
		struct store_hold *h = &holds.items[i];

		if (matches(h, m)) {
			h->id = 0; /* given up */
			released++;
		} else if (m->flush && h->binding == STORE_BOUND_POSIX && h->pid == m->pid &&
			   instance_equal(&h->instance, m->instance)) {
			/* Its process closed a descriptor and it stays: it was an OFD lock. */
			h->binding = STORE_BOUND_OFD;
			relabeled = true;
			left++;
		} else {
			left++;
		}
	}
	if (rc == 0 && (relabeled || (released && left)))
		rc = store_holds_write(st, lr.row.id, &holds); /* once, whatever changed */
	if (rc == 0 && !released) {
		free(holds.items);
		rc = lock_end_write(st, relabeled ? 0 : -ENOENT); /* keep what was learnt */
		return rc < 0 ? rc : -ENOENT;
	}
	if (rc == 0) {
		memcpy(outcome->owner, lr.owner, sizeof(outcome->owner));
		outcome->count = lr.count;
		if (left) {
			outcome->kind = LOCK_DECREMENTED;
			rc = rewrite_value(st, &lr, &holds, 1);
		} else {
			rc = lock_let_go(st, key, &lr, next, now, outcome);
		}
	}
	free(holds.items);
	return lock_end_write(st, rc);
}

int lock_unbind(struct store *st, const char *key, const struct instance *instance,
		uint64_t owner, unsigned bindings, const struct lock_successor *next,
		struct lock_outcome *outcome)
{
	struct release_match m = {.instance = instance, .owner = owner, .families = bindings};

	return release_holds(st, key, &m, next, outcome);
}

int lock_flush(struct store *st, const char *key, const struct instance *instance,
	       uint64_t owner, int32_t pid, const struct lock_successor *next,
	       struct lock_outcome *outcome)
{
	struct release_match m = {
		.instance = instance,
		.owner = owner,
		.families = 1u << STORE_BOUND_POSIX,
		.flush = true,
		.pid = pid,
	};

	return release_holds(st, key, &m, next, outcome);
}

int lock_conflict(struct store *st, const char *key, const struct lock_hold *hold,
		  struct lock_conflict *conflict)
{
	struct store_holds holds = {0};
	struct lock_row lr;
	int rc;

	memset(conflict, 0, sizeof(*conflict));
	rc = lock_load_row(st, key, clock_wall(), &lr, NULL);
	if (rc == 0)
		rc = load_holds(st, &lr, &holds);
	if (rc < 0 || lr.class != ROW_HELD) {
		free(holds.items);
		return rc < 0 ? rc : 0;
	}
	if (!holds.count) {
		/* Held by open, or by a typed_diskcache client: exclusive. */
		conflict->pid = lr.row.has_holder ? lr.row.holder.pid : 0;
		return 1;
	}
	for (size_t i = 0; i < holds.count; i++) {
		const struct store_hold *h = &holds.items[i];

		if (is_mine(h, hold) || (h->shared && hold->shared))
			continue;
		conflict->shared = h->shared;
		conflict->pid = h->pid;
		free(holds.items);
		return 1;
	}
	free(holds.items);
	return 0;
}

/* Instances whose holds are to go: collected first, released after the walk. */
struct dead_walk {
	struct dead {
		char *key;
		struct instance instance;
	} *items;
	size_t count, cap;
};

static int note_dead(void *ctx, const char *key, const struct instance *in)
{
	struct dead_walk *walk = ctx;

	if (instance_alive(in))
		return 0;
	if (walk->count == walk->cap) {
		size_t cap = walk->cap ? walk->cap * 2 : 8;
		struct dead *items = realloc(walk->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		walk->items = items;
		walk->cap = cap;
	}
	walk->items[walk->count].key = strdup(key);
	if (!walk->items[walk->count].key)
		return -ENOMEM;
	walk->items[walk->count++].instance = *in;
	return 0;
}

int lock_release_dead(struct store *st, lock_released_fn released, void *ctx)
{
	struct dead_walk walk = {0};
	struct lock_outcome outcome;
	int rc = store_hold_instances(st, note_dead, &walk), count = 0;

	for (size_t i = 0; rc >= 0 && i < walk.count; i++) {
		struct release_match m = {.instance = &walk.items[i].instance, .any_owner = true};
		int one = release_holds(st, walk.items[i].key, &m, NULL, &outcome);

		if (one == 0) {
			count++;
			if (released && outcome.kind == LOCK_RELEASED)
				released(ctx, walk.items[i].key);
		} else if (one != -ENOENT) {
			rc = one;
		}
	}
	for (size_t i = 0; i < walk.count; i++)
		free(walk.items[i].key);
	free(walk.items);
	return rc < 0 ? rc : count;
}

int lock_binding_of(struct store *st, const struct lock_row *lr, enum store_binding *binding,
		    bool *shared)
{
	struct store_holds holds;
	int rc = load_holds(st, lr, &holds);

	*binding = holds.count ? holds.items[0].binding : STORE_BOUND_NONE;
	*shared = holds.count > 0;
	for (size_t i = 0; i < holds.count; i++)
		*shared &= holds.items[i].shared;
	free(holds.items);
	return rc;
}
