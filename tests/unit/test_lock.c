/*
 * test_lock.c — the lock rules of SPEC §1.3–§1.4 and §2.3, cell by cell,
 * asserted on the rows they leave; and mutual exclusion across processes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "caller.h"
#include "dir.h"
#include "helpers.h"
#include "instance.h"
#include "lock.h"
#include "pickle.h"
#include "store.h"

struct env {
	char *dir;
	struct store *st;
	sqlite3 *outside;
	struct caller alice, alice_other_thread, bob, root;
	struct policy plain;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	enum store_refusal why;

	e->dir = make_temp_dir();
	assert_int_equal(store_open(e->dir, &e->st, &why), 0);
	e->outside = open_outside(e->dir);
	caller_from_thread(gettid(), 1000, 1000, &e->alice);
	assert_true(e->alice.tid > 0);
	e->alice_other_thread = e->alice;
	e->alice_other_thread.tid = e->alice.tid + 100000;
	e->bob = e->alice;
	e->bob.uid = e->bob.gid = 1001;
	e->bob.tid = e->alice.tid + 200000;
	e->root = e->alice;
	e->root.uid = e->root.gid = 0;
	e->root.tid = e->alice.tid + 300000;
	e->plain.tags = "";
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

/* Everything a write could touch, as text. */
static char *snapshot(struct env *e)
{
	return sql_dump(e->outside,
			"SELECT 'cache', id, hex(key), raw, store_time, access_time, expire_time, "
			"mode, hex(value), size FROM cache "
			"UNION ALL SELECT 'tag', id, name, 0, 0, 0, 0, 0, 0, 0 FROM tag "
			"UNION ALL SELECT 'link', id, cache_id, tag_id, 0, 0, 0, 0, 0, 0 FROM cache_tag "
			"UNION ALL SELECT 'holder', cache_id, hex(key), uid, store_time, pid, "
			"start_time, generation, comm, host FROM lockfs_holder "
			"UNION ALL SELECT 'meta', id, key, value, 0, 0, 0, 0, 0, 0 FROM metadata "
			"UNION ALL SELECT 'gen', id, value, 0, 0, 0, 0, 0, 0, 0 FROM lockfs_generation "
			"UNION ALL SELECT 'dir', path, timeout, ttl, tags, 0, 0, 0, 0, 0 FROM lockfs_dir");
}

static void assert_count_true(struct env *e)
{
	assert_int_equal(sql_int(e->outside, "SELECT value FROM metadata WHERE key = 'count'"),
			 sql_int(e->outside, "SELECT count(*) FROM cache"));
}

/* Expect op to fail with err and leave the database exactly as it was. */
#define assert_refused_unchanged(e, err, op)                                                   \
	do {                                                                                   \
		char *before_ = snapshot(e), *after_;                                          \
		assert_int_equal((op), (err));                                                 \
		after_ = snapshot(e);                                                          \
		assert_string_equal(before_, after_);                                          \
		free(before_);                                                                 \
		free(after_);                                                                  \
	} while (0)

static int64_t count_of(struct env *e, const char *key)
{
	struct lock_info info;
	int64_t n;

	if (lock_inspect(e->st, key, &info) < 0)
		return 0;
	n = info.count;
	lock_info_clear(&info);
	return n;
}

/* The stored value of key, decoded. */
static struct pickle_value stored_value(struct env *e, const char *key, uint8_t *buf, size_t cap)
{
	uint8_t pickled[300];
	char sql[1024], *hex;
	ssize_t n = pickle_encode_str(key, strlen(key), pickled, sizeof(pickled));
	size_t len = 0;
	struct pickle_value v;

	len += (size_t)snprintf(sql, sizeof(sql), "SELECT hex(value) FROM cache WHERE key = x'");
	for (ssize_t i = 0; i < n; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%02x", pickled[i]);
	snprintf(sql + len, sizeof(sql) - len, "'");
	hex = sql_text(e->outside, sql);
	n = (ssize_t)hex_decode(hex, buf, cap);
	free(hex);
	pickle_decode(buf, (size_t)n, &v);
	return v;
}

static void test_acquire_free_writes_an_rlock_row(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	struct lock_info info;
	struct pickle_value v;
	uint8_t buf[300];
	char owner[64];

	assert_int_equal(lock_acquire(e->st, "deploy", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(g.count, 1);
	assert_true(g.fresh);
	assert_true(g.generation > 0);
	v = stored_value(e, "deploy", buf, sizeof(buf));
	caller_owner(&e->alice, owner, sizeof(owner));
	assert_int_equal(v.kind, PICKLE_OWNER);
	assert_int_equal(v.number, 1);
	assert_int_equal(v.text_len, strlen(owner));
	assert_memory_equal(v.text, owner, v.text_len);
	assert_int_equal(sql_int(e->outside, "SELECT mode FROM cache"), 3);
	assert_int_equal(sql_int(e->outside, "SELECT expire_time IS NULL FROM cache"), 1);
	assert_int_equal(lock_inspect(e->st, "deploy", &info), 0);
	assert_true(info.made_by_lockfs);
	assert_int_equal(info.holder.uid, 1000);
	assert_int_equal(info.holder.pid, e->alice.tgid);
	assert_int_equal(info.holder.generation, g.generation);
	assert_string_equal(info.holder.comm, e->alice.comm);
	lock_info_clear(&info);
	assert_count_true(e);
}

static void test_same_thread_reenters_and_releases_in_steps(void **state)
{
	struct env *e = *state;
	struct lock_grant g1, g2;
	struct lock_outcome out;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g1, NULL), 0);
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g2, NULL), 0);
	assert_int_equal(g2.count, 2);
	assert_false(g2.fresh);
	assert_int_equal(g2.generation, g1.generation);
	assert_int_equal(count_of(e, "k"), 2);
	assert_int_equal(lock_unlink(e->st, "k", &e->alice, NULL, &out), 0);
	assert_int_equal(out.kind, LOCK_DECREMENTED);
	assert_int_equal(out.count, 2); /* the count before */
	assert_int_equal(count_of(e, "k"), 1);
	assert_count_true(e);
	assert_int_equal(lock_unlink(e->st, "k", &e->alice, NULL, &out), 0);
	assert_int_equal(out.kind, LOCK_RELEASED);
	assert_false(out.broken);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM lockfs_holder"), 0);
	assert_count_true(e);
}

static void test_held_by_another_is_busy_and_unchanged(void **state)
{
	struct env *e = *state;
	struct lock_grant g;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_refused_unchanged(e, -EBUSY,
				 lock_acquire(e->st, "k", &e->bob, &e->plain, 0, NULL, &g, NULL));
	assert_refused_unchanged(e, -EBUSY, lock_acquire(e->st, "k", &e->alice_other_thread,
							 &e->plain, 0, NULL, &g, NULL));
}

static void test_exclusive_refuses_any_holder(void **state)
{
	struct env *e = *state;
	struct lock_grant g;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, LOCK_EXCLUSIVE, NULL, &g, NULL), 0);
	assert_refused_unchanged(e, -EEXIST, lock_acquire(e->st, "k", &e->alice, &e->plain,
							  LOCK_EXCLUSIVE, NULL, &g, NULL));
	assert_refused_unchanged(e, -EEXIST, lock_acquire(e->st, "k", &e->bob, &e->plain,
							  LOCK_EXCLUSIVE, NULL, &g, NULL));
}

static void test_reenter_only_leaves_free_locks_to_the_queue(void **state)
{
	struct env *e = *state;
	struct lock_grant g;

	assert_refused_unchanged(e, -EBUSY, lock_acquire(e->st, "k", &e->alice, &e->plain,
							 LOCK_REENTER_ONLY, NULL, &g, NULL));
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, LOCK_REENTER_ONLY, NULL, &g, NULL), 0);
	assert_int_equal(g.count, 2);
}

static void test_live_other_data_is_eexist_and_untouched(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	struct lock_outcome out;

	/* A typed_diskcache semaphore: the int 2, pickled, mode 3. */
	sql_exec(e->outside, "INSERT INTO cache (key, raw, store_time, access_time, value, mode) "
			     "VALUES (x'80059508000000000000008c04706f6f6c942e', 0, 1, 1, "
			     "x'80054b022e', 3)");
	assert_refused_unchanged(e, -EEXIST,
				 lock_acquire(e->st, "pool", &e->alice, &e->plain, 0, NULL, &g, NULL));
	assert_refused_unchanged(e, -ENOENT, lock_unlink(e->st, "pool", &e->root, NULL, &out));
	assert_refused_unchanged(e, -ENOENT, lock_set_tags(e->st, "pool", &e->root, NULL, "a"));
}

static void test_expired_data_is_replaced_in_place(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	int64_t id_before;

	/* Expired ordinary data ('hello', mode 2) with a tag. */
	sql_exec(e->outside, "INSERT INTO cache (key, raw, store_time, access_time, value, mode, "
			     "expire_time) VALUES (x'8005950c000000000000008c086772656574696e67942e', "
			     "0, 1, 1, x'68656c6c6f', 2, 2); "
			     "INSERT INTO tag (name) VALUES ('old'); "
			     "INSERT INTO cache_tag (cache_id, tag_id) VALUES (1, 1)");
	id_before = sql_int(e->outside, "SELECT id FROM cache");
	assert_int_equal(lock_acquire(e->st, "greeting", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(sql_int(e->outside, "SELECT id FROM cache"), id_before);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 1);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache_tag"), 0);
	assert_int_equal(count_of(e, "greeting"), 1);
	assert_count_true(e);
}

static void test_free_rlock_is_acquirable(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	uint8_t buf[300];
	struct pickle_value v;

	/* SyncRLock acquired then released: ('3618-3618', 0). */
	sql_exec(e->outside,
		 "INSERT INTO cache (key, raw, store_time, access_time, value, mode) VALUES "
		 "(x'80059512000000000000008c0e72656c65617365642d726c6f636b942e', 0, 1, 1, "
		 "x'80059511000000000000008c09333631382d33363138944b0086942e', 3)");
	assert_int_equal(lock_acquire(e->st, "released-rlock", &e->bob, &e->plain, 0, NULL, &g, NULL), 0);
	v = stored_value(e, "released-rlock", buf, sizeof(buf));
	assert_int_equal(v.kind, PICKLE_OWNER);
	assert_int_equal(v.number, 1);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 1);
	assert_count_true(e);
}

static void test_python_synclock_belongs_to_the_daemon_uid(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	struct lock_info info;
	struct lock_outcome out;

	/* SyncLock().acquire(): value NULL, mode 0. */
	sql_exec(e->outside, "INSERT INTO cache (key, raw, store_time, access_time, mode) VALUES "
			     "(x'8005950a000000000000008c066465706c6f79942e', 0, 1, 1, 0)");
	assert_int_equal(lock_inspect(e->st, "deploy", &info), 0);
	assert_string_equal(info.owner, "");
	assert_int_equal(info.count, 1);
	assert_false(info.made_by_lockfs);
	lock_info_clear(&info);
	assert_refused_unchanged(e, -EBUSY,
				 lock_acquire(e->st, "deploy", &e->alice, &e->plain, 0, NULL, &g, NULL));
	assert_refused_unchanged(e, -EPERM, lock_unlink(e->st, "deploy", &e->bob, NULL, &out));
	assert_int_equal(lock_unlink(e->st, "deploy", &e->root, NULL, &out), 0);
	assert_true(out.broken);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	assert_count_true(e);
}

static void test_same_uid_breaks_whatever_the_count(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	struct lock_outcome out;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_unlink(e->st, "k", &e->alice_other_thread, NULL, &out), 0);
	assert_int_equal(out.kind, LOCK_RELEASED);
	assert_true(out.broken);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	assert_count_true(e);
}

static void test_other_uid_gets_eperm_and_root_breaks(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	struct lock_outcome out;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_refused_unchanged(e, -EPERM, lock_unlink(e->st, "k", &e->bob, NULL, &out));
	assert_refused_unchanged(e, -EPERM, lock_set_tags(e->st, "k", &e->bob, NULL, "x"));
	assert_refused_unchanged(e, -EPERM, lock_set_ttl(e->st, "k", &e->bob, NULL, true, 5));
	assert_refused_unchanged(e, -EPERM, lock_renew(e->st, "k", &e->bob, &e->plain, NULL));
	assert_refused_unchanged(e, -EPERM,
				 lock_release_generation(e->st, "k", &e->bob, g.generation, NULL,
							 &out));
	assert_int_equal(lock_unlink(e->st, "k", &e->root, NULL, &out), 0);
	assert_true(out.broken);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
}

/*
 * k taken by alice (first), released by her, and taken again by next_who
 * under next_policy (next): a newer generation holds the name.
 */
static void taken_again(struct env *e, const struct caller *next_who,
			const struct policy *next_policy, struct lock_grant *first,
			struct lock_grant *next)
{
	struct lock_outcome out;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, first, NULL), 0);
	assert_int_equal(lock_unlink(e->st, "k", &e->alice, NULL, &out), 0);
	assert_int_equal(out.generation, first->generation);
	assert_int_equal(lock_acquire(e->st, "k", next_who, next_policy, 0, NULL, next, NULL), 0);
	assert_true(next->generation > first->generation);
}

/*
 * An unlink decided again (its first commit met -EAGAIN) is for the lock
 * its first decision saw: once that lock is gone and another holds the
 * name, it is -ESTALE and the new lock stays, where a plain unlink by root
 * would break it.
 */
static void test_an_unlink_decided_again_is_for_its_first_lock_only(void **state)
{
	struct env *e = *state;
	struct lock_grant first, next;
	struct lock_outcome out;

	taken_again(e, &e->bob, &e->plain, &first, &next);
	assert_refused_unchanged(e, -ESTALE,
				 lock_unlink_again(e->st, "k", &e->root, first.generation, NULL, &out));
	assert_refused_unchanged(e, -ESTALE,
				 lock_unlink_again(e->st, "nope", &e->root, first.generation, NULL,
						   &out));
	/* Aimed at the lock that is there, it is an unlink like any other. */
	assert_int_equal(lock_unlink_again(e->st, "k", &e->root, next.generation, NULL, &out), 0);
	assert_true(out.broken);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	assert_count_true(e);
}

/*
 * So are the changes of a held lock: each first decision keeps the
 * generation it saw, and decided again on it once another holds the name,
 * a renewal, a TTL, tags or a cut note is -ESTALE and changes nothing.
 */
static void test_changes_decided_again_are_for_their_first_lock_only(void **state)
{
	struct env *e = *state;
	struct policy ttl = {.has_ttl = true, .ttl = 50, .tags = ""};
	struct lock_grant first, next;
	int64_t aim = 0;

	taken_again(e, &e->bob, &ttl, &first, &next);
	assert_int_equal(lock_set_tags(e->st, "k", &e->root, &aim, "x"), 0);
	assert_int_equal(aim, next.generation); /* a first decision keeps the generation it saw */
	aim = first.generation;			/* ...and one decided again passes it back */
	assert_refused_unchanged(e, -ESTALE, lock_renew(e->st, "k", &e->root, &ttl, &aim));
	assert_refused_unchanged(e, -ESTALE, lock_set_ttl(e->st, "k", &e->root, &aim, true, 0.001));
	assert_refused_unchanged(e, -ESTALE, lock_set_ttl(e->st, "k", &e->root, &aim, false, 0));
	assert_refused_unchanged(e, -ESTALE, lock_set_tags(e->st, "k", &e->root, &aim, "y"));
	assert_refused_unchanged(e, -ESTALE, lock_cut_note(e->st, "k", &e->root, &aim, 0));
	assert_refused_unchanged(e, -ESTALE, lock_set_tags(e->st, "nope", &e->root, &aim, "y"));
	assert_int_equal(aim, first.generation);
	/* Aimed at the lock that is there, a change is made as any other. */
	aim = next.generation;
	assert_int_equal(lock_set_ttl(e->st, "k", &e->root, &aim, false, 0), 0);
	assert_int_equal(sql_int(e->outside, "SELECT expire_time IS NULL FROM cache"), 1);
	assert_count_true(e);
}

static void test_free_names_are_enoent(void **state)
{
	struct env *e = *state;
	struct lock_outcome out;
	struct lock_info info;

	assert_refused_unchanged(e, -ENOENT, lock_unlink(e->st, "nope", &e->root, NULL, &out));
	assert_refused_unchanged(e, -ENOENT, lock_renew(e->st, "nope", &e->root, &e->plain, NULL));
	assert_refused_unchanged(e, -ENOENT, lock_set_tags(e->st, "nope", &e->root, NULL, ""));
	assert_refused_unchanged(e, -ENOENT,
				 lock_release_generation(e->st, "nope", &e->root, 1, NULL, &out));
	assert_int_equal(lock_inspect(e->st, "nope", &info), -ENOENT);
}

static void test_release_by_current_generation_frees_all_counts_an_old_one_is_estale(void **state)
{
	struct env *e = *state;
	struct lock_grant old, now;
	struct lock_outcome out;

	taken_again(e, &e->alice, &e->plain, &old, &now);
	assert_refused_unchanged(e, -ESTALE,
				 lock_release_generation(e->st, "k", &e->alice, old.generation,
							 NULL, &out));
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &now, NULL), 0);
	assert_int_equal(now.count, 2);
	assert_int_equal(
		lock_release_generation(e->st, "k", &e->alice, now.generation, NULL, &out), 0);
	assert_int_equal(out.kind, LOCK_RELEASED);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	assert_count_true(e);
}

static void test_handoff_gives_the_row_to_the_successor(void **state)
{
	struct env *e = *state;
	struct policy tagged = {.has_ttl = true, .ttl = 100, .tags = "next"};
	struct lock_successor next = {.who = &e->bob, .defaults = &tagged};
	struct lock_grant g;
	struct lock_outcome out;
	struct lock_info info;
	char bob_owner[64];
	int64_t id = 0;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	id = sql_int(e->outside, "SELECT id FROM cache");
	assert_int_equal(lock_unlink(e->st, "k", &e->alice, &next, &out), 0);
	assert_int_equal(out.kind, LOCK_HANDED_OVER);
	assert_true(out.successor.generation > g.generation);
	assert_int_equal(sql_int(e->outside, "SELECT id FROM cache"), id);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	caller_owner(&e->bob, bob_owner, sizeof(bob_owner));
	assert_string_equal(info.owner, bob_owner);
	assert_int_equal(info.count, 1);
	assert_int_equal(info.holder.uid, 1001);
	assert_int_equal(info.holder.generation, out.successor.generation);
	assert_string_equal(info.tags, "next");
	assert_true(info.expires);
	assert_true(info.expire_time > clock_wall() + 90);
	lock_info_clear(&info);
	assert_count_true(e);
}

static int64_t places_in_line(struct env *e)
{
	return sql_int(e->outside, "SELECT count(*) FROM lockfs_waiter");
}

static void test_the_line_decides_who_takes_a_free_lock(void **state)
{
	struct env *e = *state;
	const struct instance *self = instance_self();
	struct instance dead = *self;
	struct lock_ticket first = {.take = true, .instance = self};
	struct lock_ticket second = {.take = true, .instance = self};
	struct lock_ticket gone = {.take = true, .instance = &dead};
	struct lock_successor next = {.who = &e->bob, .defaults = &e->plain};
	struct lock_grant g;
	struct lock_outcome out;

	dead.pid = 999999999; /* no such process: a daemon that died */
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	/* Waiting acquisitions take places in order; "busy" is still the answer. */
	assert_int_equal(lock_acquire(e->st, "k", &e->bob, &e->plain, 0, &gone, &g, NULL), -EBUSY);
	assert_int_equal(lock_acquire(e->st, "k", &e->bob, &e->plain, 0, &first, &g, NULL), -EBUSY);
	assert_int_equal(lock_acquire(e->st, "k", &e->root, &e->plain, 0, &second, &g, NULL),
			 -EBUSY);
	assert_true(gone.id > 0 && first.id > gone.id && second.id > first.id);
	assert_int_equal(places_in_line(e), 3);
	/* The owner still re-enters, line or not. */
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(g.count, 2);
	assert_int_equal(lock_unlink(e->st, "k", &e->alice, NULL, &out), 0);

	/* Released with a successor that is not the oldest place: released only. */
	next.ticket = second.id;
	assert_int_equal(lock_unlink(e->st, "k", &e->alice, &next, &out), 0);
	assert_int_equal(out.kind, LOCK_RELEASED);
	assert_int_equal(places_in_line(e), 2); /* the dead daemon's place was cleared */
	/* Free, but others wait: no place, or a younger one, does not take it. */
	assert_refused_unchanged(e, -EBUSY,
				 lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL));
	second.take = false;
	assert_refused_unchanged(e, -EBUSY,
				 lock_acquire(e->st, "k", &e->root, &e->plain, 0, &second, &g, NULL));
	/* A parked place is passed. */
	assert_int_equal(lock_park_place(e->st, first.id, true), 0);
	assert_int_equal(lock_acquire(e->st, "k", &e->root, &e->plain, 0, &second, &g, NULL), 0);
	assert_int_equal(second.id, 0); /* its place went with the grant */
	assert_int_equal(places_in_line(e), 1);
	/* Handed over to the oldest place, which goes with it. */
	assert_int_equal(lock_park_place(e->st, first.id, false), 0);
	next.ticket = first.id;
	assert_int_equal(lock_unlink(e->st, "k", &e->root, &next, &out), 0);
	assert_int_equal(out.kind, LOCK_HANDED_OVER);
	assert_int_equal(places_in_line(e), 0);
	assert_count_true(e);
}

static void test_giving_up_places_clears_them(void **state)
{
	struct env *e = *state;
	struct lock_ticket a = {.take = true, .instance = instance_self()};
	struct lock_ticket b = a;
	struct lock_grant g;
	int64_t both[2];

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_acquire(e->st, "k", &e->bob, &e->plain, 0, &a, &g, NULL), -EBUSY);
	assert_int_equal(lock_acquire(e->st, "k", &e->bob, &e->plain, 0, &b, &g, NULL), -EBUSY);
	both[0] = a.id;
	both[1] = b.id;
	assert_int_equal(lock_leave_line(e->st, both, 1), 0);
	assert_int_equal(places_in_line(e), 1);
	assert_int_equal(lock_leave_line_all(e->st, instance_self()), 0);
	assert_int_equal(places_in_line(e), 0);
}

static void test_renew_extends_expiry_and_ttl_and_tags_can_be_replaced_or_cleared(void **state)
{
	struct env *e = *state;
	struct policy ttl = {.has_ttl = true, .ttl = 50, .tags = "b,a"};
	struct lock_grant g;
	struct lock_info info;
	double t0 = clock_wall();

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &ttl, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_true(info.expires);
	assert_true(info.expire_time >= t0 + 50 && info.expire_time < t0 + 60);
	assert_string_equal(info.tags, "a,b");
	lock_info_clear(&info);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM tag"), 2);

	ttl.ttl = 500;
	assert_int_equal(lock_renew(e->st, "k", &e->alice, &ttl, NULL), 1); /* the expiry moved */
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_true(info.expire_time >= t0 + 500);
	lock_info_clear(&info);

	assert_int_equal(lock_set_ttl(e->st, "k", &e->alice_other_thread, NULL, false, 0), 0);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_false(info.expires);
	lock_info_clear(&info);
	assert_int_equal(sql_int(e->outside, "SELECT expire_time IS NULL FROM cache"), 1);
	/* Without a TTL in force a renewal changes nothing, and says so. */
	assert_int_equal(lock_renew(e->st, "k", &e->alice, &e->plain, NULL), 0);

	assert_int_equal(lock_set_tags(e->st, "k", &e->root, NULL, "x,y"), 0);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_string_equal(info.tags, "x,y");
	lock_info_clear(&info);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache_tag"), 2);
	assert_int_equal(lock_set_tags(e->st, "k", &e->root, NULL, ""), 0);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache_tag"), 0);
	assert_count_true(e);
}

static void test_expired_lock_counts_as_free_and_is_swept(void **state)
{
	struct env *e = *state;
	struct policy short_ttl = {.has_ttl = true, .ttl = 0.001, .tags = ""};
	struct lock_grant g;
	struct lock_info info;

	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &short_ttl, 0, NULL, &g, NULL), 0);
	/* Expired ordinary data must survive the sweep. */
	sql_exec(e->outside, "INSERT INTO cache (key, raw, store_time, access_time, value, mode, "
			     "expire_time) VALUES (x'01', 0, 1, 1, x'68656c6c6f', 2, 2)");
	usleep(5000);
	assert_int_equal(lock_inspect(e->st, "k", &info), -ENOENT);
	assert_int_equal(lock_acquire(e->st, "k", &e->bob, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_set_ttl(e->st, "k", &e->bob, NULL, true, 0.001), 0);
	usleep(5000);
	assert_int_equal(lock_sweep_expired(e->st, clock_wall()), 1);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 1);
	assert_int_equal(lock_sweep_expired(e->st, clock_wall()), 0);
	assert_count_true(e);
}

static void test_count_made_counts_live_lockfs_locks_only(void **state)
{
	struct env *e = *state;
	struct policy short_ttl = {.has_ttl = true, .ttl = 0.001, .tags = ""};
	struct lock_grant g;
	int64_t count = -1;

	assert_int_equal(lock_count_made(e->st, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(lock_acquire(e->st, "a", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_acquire(e->st, "a", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_acquire(e->st, "b", &e->bob, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_acquire(e->st, "gone", &e->bob, &short_ttl, 0, NULL, &g, NULL), 0);
	/* A SyncLock of typed_diskcache's own (no holder row) is not one lockfs made. */
	sql_exec(e->outside, "INSERT INTO cache (key, raw, store_time, access_time, mode) VALUES "
			     "(x'8005950a000000000000008c066465706c6f79942e', 0, 1, 1, 0)");
	usleep(5000);
	assert_int_equal(lock_count_made(e->st, &count), 0);
	assert_int_equal(count, 2); /* a (re-entered: one lock) and b; gone has expired */
	/* A lock row rewritten from outside (new store_time) no longer has lockfs's holder. */
	sql_exec(e->outside, "UPDATE cache SET store_time = store_time + 1 WHERE id = "
			     "(SELECT cache_id FROM lockfs_holder WHERE key = (SELECT key FROM "
			     "cache WHERE id = (SELECT min(cache_id) FROM lockfs_holder)))");
	assert_int_equal(lock_count_made(e->st, &count), 0);
	assert_int_equal(count, 1);
}

static void test_reused_thread_id_is_not_the_owner(void **state)
{
	struct env *e = *state;
	struct caller reborn = e->alice;
	struct lock_grant g;
	struct lock_outcome out;
	struct lock_info info;

	reborn.start_time = e->alice.start_time + 1;
	reborn.uid = 1001; /* another user got the recycled thread id */
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_refused_unchanged(e, -EBUSY, lock_acquire(e->st, "k", &reborn, &e->plain, 0, NULL, &g, NULL));
	assert_refused_unchanged(e, -EPERM, lock_unlink(e->st, "k", &reborn, NULL, &out));
	assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(g.count, 2); /* the thread that took it still re-enters */
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_int_equal(info.count, 2);
	lock_info_clear(&info);
}

static void test_pid_zero_is_never_an_owner(void **state)
{
	struct env *e = *state;
	struct caller hidden, hidden_again;
	struct lock_grant g;
	struct lock_info info;

	caller_from_thread(0, 1000, 1000, &hidden);
	hidden_again = hidden;
	assert_int_equal(hidden.tid, 0);
	assert_int_equal(lock_acquire(e->st, "k", &hidden, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_inspect(e->st, "k", &info), 0);
	assert_int_equal(info.count, 1);
	lock_info_clear(&info);
	assert_refused_unchanged(e, -EBUSY, lock_acquire(e->st, "k", &hidden, &e->plain, 0, NULL, &g, NULL));
	assert_refused_unchanged(e, -EBUSY,
				 lock_acquire(e->st, "k", &hidden_again, &e->plain, 0, NULL, &g, NULL));
}

static void test_python_rlock_owner_matches_without_start_time(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	char owner[64], sql[512], hex[256];
	uint8_t value[128];
	ssize_t n;
	size_t len = 0;

	/* SyncRLock held by this very thread, written by typed_diskcache (no holder row). */
	caller_owner(&e->alice, owner, sizeof(owner));
	n = pickle_encode_owner(owner, strlen(owner), 1, value, sizeof(value));
	for (ssize_t i = 0; i < n; i++)
		len += (size_t)snprintf(hex + len, sizeof(hex) - len, "%02x", value[i]);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO cache (key, raw, store_time, access_time, value, mode) VALUES "
		 "(x'8005950b000000000000008c076e696768746c79942e', 0, 1, 1, x'%s', 3)",
		 hex);
	sql_exec(e->outside, sql);
	assert_int_equal(lock_acquire(e->st, "nightly", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(g.count, 2);
	assert_int_equal(g.generation, 0);
}

static void test_mkdir_needs_privilege_and_a_free_name_and_keeps_the_directory(void **state)
{
	struct env *e = *state;
	struct lock_grant g;

	assert_int_equal(dir_make(e->st, "jobs", &e->root), 0);
	assert_refused_unchanged(e, -EEXIST, dir_make(e->st, "jobs", &e->root));
	assert_refused_unchanged(e, -EPERM, dir_make(e->st, "other", &e->bob));
	assert_int_equal(dir_make(e->st, "jobs/nested", &e->root), 0);
	assert_int_equal(lock_acquire(e->st, "held", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_refused_unchanged(e, -EEXIST, dir_make(e->st, "held", &e->root));
}

static void test_rmdir_needs_privilege_and_an_empty_kept_dir_other_than_the_root(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	struct lock_outcome out;

	assert_int_equal(dir_make(e->st, "jobs", &e->root), 0);
	assert_int_equal(dir_make(e->st, "jobs/nested", &e->root), 0);
	assert_refused_unchanged(e, -ENOTEMPTY, dir_remove(e->st, "jobs", &e->root));
	assert_int_equal(lock_acquire(e->st, "jobs/nested/1", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_refused_unchanged(e, -ENOTEMPTY, dir_remove(e->st, "jobs/nested", &e->root));
	assert_refused_unchanged(e, -EPERM, dir_remove(e->st, "jobs/nested", &e->bob));
	assert_int_equal(lock_unlink(e->st, "jobs/nested/1", &e->alice, NULL, &out), 0);
	assert_int_equal(dir_remove(e->st, "jobs/nested", &e->root), 0);
	assert_int_equal(dir_remove(e->st, "jobs", &e->root), 0);
	assert_refused_unchanged(e, -ENOENT, dir_remove(e->st, "jobs", &e->root));
	assert_refused_unchanged(e, -EBUSY, dir_remove(e->st, "", &e->root));
}

static void test_directory_policy_applies_inside_the_acquisition(void **state)
{
	struct env *e = *state;
	struct policy defaults = {.timeout = 10, .tags = "mount"};
	struct lock_grant g;
	struct lock_info taken, seen;
	double t0 = clock_wall();

	assert_int_equal(dir_make(e->st, "d", &e->root), 0);
	assert_int_equal(policy_dir_set(e->st, "d", &e->root, POLICY_TTL, "40", 2), 0);
	assert_int_equal(policy_dir_set(e->st, "d", &e->root, POLICY_TAGS, "dir", 3), 0);
	assert_int_equal(lock_acquire(e->st, "d/x", &e->alice, &defaults, 0, NULL, &g, &taken), 0);
	assert_true(g.expires && g.expire_time >= t0 + 40);
	assert_int_equal(lock_inspect(e->st, "d/x", &seen), 0);
	assert_string_equal(seen.tags, "dir");
	/* What the acquisition reports is what a later read shows. */
	assert_string_equal(taken.tags, seen.tags);
	assert_string_equal(taken.owner, seen.owner);
	assert_int_equal(taken.count, seen.count);
	assert_true(taken.acquired == seen.acquired);
	assert_true(taken.expire_time == seen.expire_time);
	assert_int_equal(taken.holder.generation, seen.holder.generation);
	lock_info_clear(&taken);
	lock_info_clear(&seen);
	/* Outside d the mount's defaults apply. */
	assert_int_equal(lock_acquire(e->st, "y", &e->alice, &defaults, 0, NULL, &g, &taken), 0);
	assert_false(taken.expires);
	assert_string_equal(taken.tags, "mount");
	lock_info_clear(&taken);
	/* Re-entry reports the count it reached. */
	assert_int_equal(lock_acquire(e->st, "y", &e->alice, &defaults, 0, NULL, &g, &taken), 0);
	assert_int_equal(taken.count, 2);
	assert_string_equal(taken.tags, "mount");
	lock_info_clear(&taken);
}

static void test_status_text_has_key_owner_count_generation_times_tags_waiters_uid(void **state)
{
	struct env *e = *state;
	struct policy ttl = {.has_ttl = true, .ttl = 60, .tags = "ci,prod"};
	struct lock_grant g;
	struct lock_info info;
	char text[1024], line[128];
	int len;

	assert_int_equal(lock_acquire(e->st, "deploy", &e->alice, &ttl, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_inspect(e->st, "deploy", &info), 0);
	len = lock_format_status("deploy", &info, 2, text, sizeof(text));
	assert_int_equal(len, (int)strlen(text));
	assert_non_null(strstr(text, "key: deploy\n"));
	snprintf(line, sizeof(line), "\nowner: %d-%d\n", e->alice.tgid, e->alice.tid);
	assert_non_null(strstr(text, line));
	assert_non_null(strstr(text, "\ncount: 1\n"));
	snprintf(line, sizeof(line), "\ngeneration: %lld\n", (long long)g.generation);
	assert_non_null(strstr(text, line));
	assert_non_null(strstr(text, "\nacquired: 20"));
	assert_non_null(strstr(text, "Z\nexpires: 20"));
	assert_non_null(strstr(text, "\ntags: ci,prod\n"));
	assert_non_null(strstr(text, "\nwaiters: 2\n"));
	assert_non_null(strstr(text, "\nuid: 1000\n"));
	lock_info_clear(&info);
}

/* --- mutual exclusion across processes --------------------------------- */

#define WORKERS 8
#define ROUNDS 500

/* A worker that fails while it holds the counter's lock lets it go first: the others must not wait. */
static void give_up(struct store *st, const struct caller *me, int status)
{
	struct lock_outcome out;

	lock_unlink(st, "counter", me, NULL, &out);
	_exit(status);
}

static void worker(const char *dir, const char *counter_path)
{
	struct store *st;
	enum store_refusal why;
	struct caller me;
	struct policy plain = {.tags = ""};

	if (store_open(dir, &st, &why) < 0)
		_exit(2);
	caller_from_thread(gettid(), getuid(), getgid(), &me);
	for (int i = 0; i < ROUNDS; i++) {
		struct lock_grant g;
		struct lock_outcome out;
		char buf[64] = {0};
		long long count = 0, last_generation = 0;
		int fd, rc;

		while ((rc = lock_acquire(st, "counter", &me, &plain, 0, NULL, &g, NULL)) == -EBUSY ||
		       rc == -EAGAIN)
			usleep(20);
		if (rc < 0 || g.count != 1)
			_exit(3);
		fd = open(counter_path, O_RDWR);
		if (fd < 0 || pread(fd, buf, sizeof(buf) - 1, 0) < 0)
			give_up(st, &me, 4);
		/* "COUNT GENERATION": each holder's generation is above the one before. */
		if (sscanf(buf, "%lld %lld", &count, &last_generation) < 1 ||
		    g.generation <= last_generation)
			give_up(st, &me, 7);
		snprintf(buf, sizeof(buf), "%lld %lld\n", count + 1, (long long)g.generation);
		if (pwrite(fd, buf, strlen(buf), 0) < 0)
			give_up(st, &me, 5);
		close(fd);
		while ((rc = lock_unlink(st, "counter", &me, NULL, &out)) == -EAGAIN)
			usleep(20);
		if (rc < 0 || out.kind != LOCK_RELEASED)
			_exit(6);
	}
	store_close(st);
	_exit(0);
}

static void test_eight_processes_count_to_4000(void **state)
{
	struct env *e = *state;
	char counter_path[4096];
	pid_t pids[WORKERS];
	size_t len;
	uint8_t *text;

	snprintf(counter_path, sizeof(counter_path), "%s/counter", e->dir);
	write_file(counter_path, "0 0\n", 4);
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			worker(e->dir, counter_path);
	}
	for (int i = 0; i < WORKERS; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	text = read_file(counter_path, &len);
	text[len] = '\0';
	assert_int_equal(atoi((char *)text), WORKERS * ROUNDS);
	free(text);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	/* Each connection takes generations in blocks: the row keeps the highest taken. */
	assert_true(sql_int(e->outside, "SELECT value FROM lockfs_generation") >= WORKERS * ROUNDS);
	assert_count_true(e);
}

/* Write system calls made by this thread so far (/proc/thread-self/io, syscw). */
static long thread_write_calls(void)
{
	char line[128];
	long calls = -1;
	FILE *f = fopen("/proc/thread-self/io", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "syscw: %ld", &calls) == 1)
			break;
	fclose(f);
	assert_true(calls >= 0);
	return calls;
}

/*
 * A lock's transaction writes its WAL frames (eight or so, each a header and
 * a page) in one system call, and another connection sees the commit at once.
 */
static void test_a_transaction_writes_its_wal_in_one_call_seen_at_once(void **state)
{
	struct env *e = *state;
	struct lock_grant g;
	struct lock_outcome out;
	long before;

	/* Warm: the first transactions prepare statements and take a generation block. */
	assert_int_equal(lock_acquire(e->st, "warm", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
	assert_int_equal(lock_unlink(e->st, "warm", &e->alice, NULL, &out), 0);
	for (int i = 0; i < 20; i++) {
		before = thread_write_calls();
		assert_int_equal(lock_acquire(e->st, "k", &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
		assert_int_equal(thread_write_calls() - before, 1);
		assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM lockfs_holder"), 1);
		before = thread_write_calls();
		assert_int_equal(lock_unlink(e->st, "k", &e->alice, NULL, &out), 0);
		assert_int_equal(thread_write_calls() - before, 1);
		assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	}
	assert_count_true(e);
}

/* Frames in the WAL now: mxFrame of the WAL index's header (cache.db-shm, offset 16). */
static uint32_t wal_frames(struct env *e)
{
	char path[4096];
	uint32_t frames = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/cache.db-shm", e->dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &frames, sizeof(frames), 16), sizeof(frames));
	close(fd);
	return frames;
}

/* A thread of this process named name exists. */
static bool has_thread(const char *name)
{
	char path[64], comm[32];
	bool found = false;
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *t;

	assert_non_null(tasks);
	while (!found && (t = readdir(tasks))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%.20s/comm", t->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		found = fgets(comm, sizeof(comm), f) && strncmp(comm, name, strlen(name)) == 0;
		fclose(f);
	}
	closedir(tasks);
	return found;
}

/*
 * Past 10000 frames the WAL is copied back by a thread of the store's own,
 * and the WAL starts again well before 40000 frames (where a commit would
 * checkpoint by itself); nothing written is lost on the way.  Past 15000
 * frames the writer slows down, so that a slow disk does not let it outrun
 * the thread's first fsync.
 */
static void test_the_wal_is_copied_back_by_a_thread_and_starts_again(void **state)
{
	struct env *e = *state;
	uint32_t frames, last = 0, most = 0;
	int restarts = 0;

	for (int i = 0; i < 10000 && restarts < 2; i++) {
		struct lock_grant g;
		struct lock_outcome out;
		char key[32];

		snprintf(key, sizeof(key), "k%d", i % 7);
		assert_int_equal(lock_acquire(e->st, key, &e->alice, &e->plain, 0, NULL, &g, NULL), 0);
		assert_int_equal(lock_unlink(e->st, key, &e->alice, NULL, &out), 0);
		assert_int_equal(out.kind, LOCK_RELEASED);
		frames = wal_frames(e);
		if (frames < last)
			restarts++;
		last = frames;
		most = frames > most ? frames : most;
		/* A writer no faster than a slow disk: the thread's first fsync may take a while. */
		if (frames >= 15000)
			usleep(1000);
	}
	assert_int_equal(restarts, 2);
	assert_true(most >= 10000);
	assert_true(most < 40000);
	assert_true(has_thread("lockfs-wal"));
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM cache"), 0);
	assert_count_true(e);
	assert_int_equal(sql_int(e->outside, "SELECT count(*) FROM pragma_integrity_check "
					     "WHERE integrity_check <> 'ok'"),
			 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_acquire_free_writes_an_rlock_row),
		T(test_same_thread_reenters_and_releases_in_steps),
		T(test_held_by_another_is_busy_and_unchanged),
		T(test_exclusive_refuses_any_holder),
		T(test_reenter_only_leaves_free_locks_to_the_queue),
		T(test_live_other_data_is_eexist_and_untouched),
		T(test_expired_data_is_replaced_in_place),
		T(test_free_rlock_is_acquirable),
		T(test_python_synclock_belongs_to_the_daemon_uid),
		T(test_count_made_counts_live_lockfs_locks_only),
		T(test_same_uid_breaks_whatever_the_count),
		T(test_other_uid_gets_eperm_and_root_breaks),
		T(test_an_unlink_decided_again_is_for_its_first_lock_only),
		T(test_changes_decided_again_are_for_their_first_lock_only),
		T(test_free_names_are_enoent),
		T(test_release_by_current_generation_frees_all_counts_an_old_one_is_estale),
		T(test_handoff_gives_the_row_to_the_successor),
		T(test_the_line_decides_who_takes_a_free_lock),
		T(test_giving_up_places_clears_them),
		T(test_renew_extends_expiry_and_ttl_and_tags_can_be_replaced_or_cleared),
		T(test_expired_lock_counts_as_free_and_is_swept),
		T(test_reused_thread_id_is_not_the_owner),
		T(test_pid_zero_is_never_an_owner),
		T(test_python_rlock_owner_matches_without_start_time),
		T(test_mkdir_needs_privilege_and_a_free_name_and_keeps_the_directory),
		T(test_rmdir_needs_privilege_and_an_empty_kept_dir_other_than_the_root),
		T(test_directory_policy_applies_inside_the_acquisition),
		T(test_status_text_has_key_owner_count_generation_times_tags_waiters_uid),
		T(test_eight_processes_count_to_4000),
		T(test_the_wal_is_copied_back_by_a_thread_and_starts_again),
		T(test_a_transaction_writes_its_wal_in_one_call_seen_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
