/*
 * test_bound.c — locks bound to open files (SPEC §5, core/bound.c): the
 * rows and holds they leave, shared holds and the line, conversions,
 * binding the lock an open took, the POSIX rule on close, F_GETLK, and the
 * holds of daemons that died.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "caller.h"
#include "helpers.h"
#include "instance.h"
#include "lock.h"
#include "store.h"

#define ALL_BINDINGS                                                                           \
	(1u << STORE_BOUND_FLOCK | 1u << STORE_BOUND_POSIX | 1u << STORE_BOUND_OFD |            \
	 1u << STORE_BOUND_OPEN)

struct env {
	char *dir;
	struct store *st;
	sqlite3 *outside;
	struct caller alice, bob;
	struct policy plain;
	struct instance dead;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	enum store_refusal why;

	e->dir = make_temp_dir();
	assert_int_equal(store_open(e->dir, &e->st, &why), 0);
	e->outside = open_outside(e->dir);
	caller_from_thread(gettid(), 1000, 1000, &e->alice);
	e->bob = e->alice;
	e->bob.uid = e->bob.gid = 1001;
	e->bob.tid = e->alice.tid + 200000;
	e->bob.tgid = e->alice.tgid + 200000;
	e->plain.tags = "";
	e->dead = *instance_self();
	e->dead.pid = 999999999; /* no such process */
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sqlite3_close(e->outside);
	store_close(e->st);
	remove_tree(e->dir);
	free(e);
	return 0;
}

static struct lock_hold flock_hold(uint64_t owner, bool shared)
{
	return (struct lock_hold){.binding = STORE_BOUND_FLOCK,
				  .shared = shared,
				  .owner = owner,
				  .instance = instance_self()};
}

static struct lock_hold posix_hold(uint64_t owner, bool shared)
{
	struct lock_hold h = flock_hold(owner, shared);

	h.binding = STORE_BOUND_POSIX;
	return h;
}

/* The (owner, count) value of key's row, as a typed_diskcache client reads it. */
static char *value_of(struct env *e)
{
	return sql_text(e->outside, "SELECT hex(value) FROM cache");
}

static int64_t holds(struct env *e)
{
	/* One line per hold in the holder rows' holds. */
	return sql_int(e->outside, "SELECT coalesce(sum(length(holds) - "
				   "length(replace(holds, char(10), ''))), 0) FROM lockfs_holder");
}

static void test_a_flock_hold_is_a_lock_row_no_thread_can_reenter(void **state)
{
	struct env *e = *state;
	struct lock_hold mine = flock_hold(7, false), other = flock_hold(8, false);
	struct lock_grant g;
	struct lock_info info;
	struct lock_outcome out;
	char owner[64];

	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &mine, NULL, &g), 0);
	assert_true(g.fresh && g.generation > 0);
	assert_int_equal(holds(e), 1);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	snprintf(owner, sizeof(owner), "flock:%d", e->alice.tgid);
	assert_string_equal(info.owner, owner);
	assert_int_equal(info.count, 1);
	assert_int_equal(info.binding, STORE_BOUND_FLOCK);
	assert_false(info.shared);
	lock_info_clear(&info);
	/* The same description again: nothing changes; another: busy; a thread: busy. */
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &mine, NULL, &g), 0);
	assert_int_equal(holds(e), 1);
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &other, NULL, &g),
			 -EBUSY);
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), -EBUSY);
	/* Released by its description only. */
	assert_int_equal(lock_unbind(e->st, "k", instance_self(), 8, ALL_BINDINGS, NULL, &out),
			 -ENOENT);
	assert_int_equal(lock_unbind(e->st, "k", instance_self(), 7, 1u << STORE_BOUND_FLOCK, NULL,
				     &out),
			 0);
	assert_int_equal(out.kind, LOCK_RELEASED);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	assert_int_equal(holds(e), 0);
}

static void test_shared_holds_count_and_writers_do_not_starve(void **state)
{
	struct env *e = *state;
	struct lock_hold r1 = flock_hold(1, true), r2 = flock_hold(2, true), r3 = flock_hold(3, true);
	struct lock_hold w = flock_hold(4, false);
	struct lock_ticket writer = {.take = true, .instance = instance_self()};
	struct lock_grant g;
	struct lock_info info;
	struct lock_outcome out;
	char *value;

	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &r1, NULL, &g), 0);
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->bob, &e->plain, &r2, NULL, &g), 0);
	assert_int_equal(g.count, 2);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_string_equal(info.owner, "shared");
	assert_int_equal(info.count, 2);
	assert_true(info.shared);
	lock_info_clear(&info);
	/* An exclusive request waits for both, in line. */
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->bob, &e->plain, &w, &writer, &g), -EBUSY);
	assert_true(writer.id > 0);
	/* A later shared request waits behind the writer. */
	value = value_of(e);
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &r3, NULL, &g), -EBUSY);
	assert_int_equal(holds(e), 2);
	assert_int_equal(lock_unbind(e->st, "k", instance_self(), 1, ALL_BINDINGS, NULL, &out), 0);
	assert_int_equal(out.kind, LOCK_DECREMENTED);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_int_equal(info.count, 1);
	lock_info_clear(&info);
	assert_int_equal(lock_unbind(e->st, "k", instance_self(), 2, ALL_BINDINGS, NULL, &out), 0);
	assert_int_equal(out.kind, LOCK_RELEASED);
	/* Free now: the writer's place is the oldest, so it takes the lock. */
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->bob, &e->plain, &w, &writer, &g), 0);
	assert_int_equal(writer.id, 0);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM lockfs_waiter"), 0);
	free(value);
}

static void test_record_locks_convert_in_place(void **state)
{
	struct env *e = *state;
	struct lock_hold mine = posix_hold(10, true), mine_ex = posix_hold(10, false);
	struct lock_hold other = posix_hold(11, true);
	struct lock_grant g;
	struct lock_info info;
	struct lock_outcome out;

	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &mine, NULL, &g), 0);
	/* Alone: shared becomes exclusive at once. */
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &mine_ex, NULL, &g), 0);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_false(info.shared);
	assert_int_equal(info.binding, STORE_BOUND_POSIX);
	lock_info_clear(&info);
	/* Exclusive becomes shared at once; then another shared joins. */
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &mine, NULL, &g), 0);
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->bob, &e->plain, &other, NULL, &g), 0);
	/* Not alone: shared cannot become exclusive (it waits, keeping its hold). */
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &mine_ex, NULL, &g),
			 -EBUSY);
	assert_int_equal(holds(e), 2);
	assert_int_equal(lock_unbind(e->st, "k", instance_self(), 11, ALL_BINDINGS, NULL, &out), 0);
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &mine_ex, NULL, &g), 0);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_false(info.shared);
	assert_int_equal(info.count, 1);
	lock_info_clear(&info);
}

static void test_binding_the_lock_an_open_took(void **state)
{
	struct env *e = *state;
	struct lock_hold hold = flock_hold(20, false);
	struct lock_grant g, again;
	struct lock_info info;
	struct lock_outcome out;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &again, NULL), 0);
	assert_int_equal(lock_bind(e->st, "k", g.generation + 1, &e->alice, &hold), -ESTALE);
	assert_int_equal(lock_bind(e->st, "k", g.generation, &e->alice, &hold), 0);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_int_equal(info.count, 2); /* unchanged */
	assert_int_equal(info.binding, STORE_BOUND_FLOCK);
	assert_int_equal(info.holder.generation, g.generation);
	lock_info_clear(&info);
	/* Bound now: its thread cannot re-enter or release it by unlink's rules... */
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), -EBUSY);
	/* ...its description's last close does. */
	assert_int_equal(lock_unbind(e->st, "k", instance_self(), 20, ALL_BINDINGS, NULL, &out), 0);
	assert_int_equal(out.kind, LOCK_RELEASED);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
}

static void test_a_close_releases_the_process_record_locks_and_reveals_ofd_ones(void **state)
{
	struct env *e = *state;
	struct lock_hold process = posix_hold(30, true), description = posix_hold(31, true);
	struct lock_grant g;
	struct lock_info info;
	struct lock_outcome out;

	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &process, NULL, &g), 0);
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &description, NULL, &g),
			 0);
	/* The process closes some descriptor: its POSIX lock goes, the other was OFD. */
	assert_int_equal(lock_flush(e->st, "k", instance_self(), 30, e->alice.tgid, NULL, &out), 0);
	assert_int_equal(out.kind, LOCK_DECREMENTED);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_int_equal(info.binding, STORE_BOUND_OFD);
	assert_int_equal(info.count, 1);
	lock_info_clear(&info);
	assert_int_equal(lock_flush(e->st, "k", instance_self(), 30, e->alice.tgid, NULL, &out),
			 -ENOENT);
	assert_int_equal(lock_unbind(e->st, "k", instance_self(), 31, 1u << STORE_BOUND_OFD, NULL,
				     &out),
			 0);
	assert_int_equal(out.kind, LOCK_RELEASED);
}

static void test_getlk_reports_the_conflicting_holder(void **state)
{
	struct env *e = *state;
	struct lock_hold reader = posix_hold(40, true), writer = posix_hold(41, false);
	struct lock_hold other_reader = posix_hold(42, true);
	struct lock_conflict c;
	struct lock_grant g;

	assert_int_equal(lock_conflict(e->st, "k", &writer, &c), 0);
	assert_int_equal(lock_acquire_bound(e->st, "k", &e->alice, &e->plain, &reader, NULL, &g), 0);
	assert_int_equal(lock_conflict(e->st, "k", &other_reader, &c), 0);
	assert_int_equal(lock_conflict(e->st, "k", &reader, &c), 0); /* its own */
	assert_int_equal(lock_conflict(e->st, "k", &writer, &c), 1);
	assert_true(c.shared);
	assert_int_equal(c.pid, e->alice.tgid);
	/* A lock taken by open conflicts with every bound request. */
	assert_int_equal(lock_acquire(e->st, "open", &e->bob, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_conflict(e->st, "open", &other_reader, &c), 1);
	assert_false(c.shared);
	assert_int_equal(c.pid, e->bob.tgid);
}

static void test_the_holds_of_a_dead_daemon_are_released(void **state)
{
	struct env *e = *state;
	struct lock_hold dead = flock_hold(50, false), alive = flock_hold(51, false);
	struct lock_grant g;

	dead.instance = &e->dead;
	assert_int_equal(lock_acquire_bound(e->st, "gone", &e->alice, &e->plain, &dead, NULL, &g), 0);
	assert_int_equal(lock_acquire_bound(e->st, "kept", &e->alice, &e->plain, &alive, NULL, &g), 0);
	assert_int_equal(lock_release_dead(e->st, NULL, NULL), 1);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 1);
	assert_int_equal(holds(e), 1);
	assert_int_equal(lock_release_dead(e->st, NULL, NULL), 0);
}

/* What the holds a holder row keeps read back as they were written, odd bytes included. */
static void describe_holds(struct env *e, int64_t id, char *out, size_t cap)
{
	struct store_holds holds;

	out[0] = '\0';
	assert_int_equal(store_holds_read(e->st, id, &holds), 0);
	for (size_t i = 0; i < holds.count; i++) {
		const struct store_hold *h = &holds.items[i];
		size_t used = strlen(out);

		snprintf(out + used, cap - used, "%lld %s %s %s|", (long long)h->id,
			 store_binding_name(h->binding), h->shared ? "s" : "x", h->comm);
	}
	free(holds.items);
}

static void test_holds_keep_odd_commands_and_their_order(void **state)
{
	struct env *e = *state;
	struct lock_hold one = flock_hold(1, true), two = flock_hold(2, true);
	struct caller odd = e->alice, empty = e->bob;
	struct lock_grant g;
	char seen[1024] = "";
	int64_t id;

	snprintf(odd.comm, sizeof(odd.comm), "a b\t%%41\n\\");
	empty.comm[0] = '\0';
	assert_int_equal(lock_acquire_bound(e->st, "k", &odd, &e->plain, &one, NULL, &g), 0);
	assert_int_equal(lock_acquire_bound(e->st, "k", &empty, &e->plain, &two, NULL, &g), 0);
	id = sql_int(e->outside, "SELECT id FROM cache");
	describe_holds(e, id, seen, sizeof(seen));
	assert_string_equal(seen, "1 flock s a b\t%41\n\\|2 flock s |");
	assert_int_equal(holds(e), 2);
	/* Lines another program mangled (a cut escape, a bad one) are passed over. */
	sql_exec(e->outside, "UPDATE lockfs_holder SET holds = holds || "
			     "'3 flock s 9 1 1 1 0 0 h c%4' || char(10) || "
			     "'4 flock s 9 1 1 1 0 0 h c%-1' || char(10)");
	describe_holds(e, id, seen, sizeof(seen));
	assert_string_equal(seen, "1 flock s a b\t%41\n\\|2 flock s |");
	sql_exec(e->outside, "UPDATE lockfs_holder SET holds = replace(holds, "
			     "'3 flock s 9 1 1 1 0 0 h c%4' || char(10) || "
			     "'4 flock s 9 1 1 1 0 0 h c%-1' || char(10), '')");
	/* One line per hold, fields never run together. */
	assert_int_equal(sql_int(e->outside, "SELECT instr(holds, ' a ') FROM lockfs_holder"), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_a_flock_hold_is_a_lock_row_no_thread_can_reenter),
		T(test_shared_holds_count_and_writers_do_not_starve),
		T(test_record_locks_convert_in_place),
		T(test_binding_the_lock_an_open_took),
		T(test_a_close_releases_the_process_record_locks_and_reveals_ofd_ones),
		T(test_getlk_reports_the_conflicting_holder),
		T(test_the_holds_of_a_dead_daemon_are_released),
		T(test_holds_keep_odd_commands_and_their_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
