/*
 * test_store.c — opening, creating and refusing caches; rows; generations;
 * busy handling; crash safety under fault injection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "caller.h"
#include "dir.h"
#include "helpers.h"
#include "lock.h"
#include "store.h"

static char *db_path_in(const char *dir)
{
	char *path;

	assert_true(asprintf(&path, "%s/cache.db", dir) > 0);
	return path;
}

static void test_new_cache_has_typed_diskcache_layout(void **state)
{
	char *dir = make_temp_dir(), *sub, *mine_path, *ref_dir;
	struct store *st;
	enum store_refusal why;
	sqlite3 *mine, *reference;
	const char *master = "SELECT type, name, tbl_name, sql FROM sqlite_master "
			     "WHERE name NOT LIKE 'lockfs%' AND name NOT LIKE 'sqlite_autoindex_lockfs%' "
			     "ORDER BY type, name";
	const char *settings = "SELECT id, key, value, typeof(value) FROM settings "
			       "WHERE key != 'eviction_policy' ORDER BY id";
	char *a, *b;

	assert_true(asprintf(&sub, "%s/nested/cache", dir) > 0);
	assert_int_equal(store_open(sub, &st, &why), 0);
	assert_false(store_may_evict(st));
	store_close(st);

	mine_path = db_path_in(sub);
	assert_int_equal(sqlite3_open_v2(mine_path, &mine, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ref_dir = copy_fixture("empty-default");
	reference = open_outside(ref_dir);
	a = sql_dump(mine, master);
	b = sql_dump(reference, master);
	assert_string_equal(a, b);
	free(a), free(b);
	a = sql_dump(mine, settings);
	b = sql_dump(reference, settings);
	assert_string_equal(a, b);
	free(a), free(b);
	a = sql_dump(mine, "SELECT * FROM metadata ORDER BY id");
	b = sql_dump(reference, "SELECT * FROM metadata ORDER BY id");
	assert_string_equal(a, b);
	free(a), free(b);
	a = sql_dump(mine, "SELECT * FROM version");
	b = sql_dump(reference, "SELECT * FROM version");
	assert_string_equal(a, b);
	free(a), free(b);
	a = sql_text(mine, "SELECT value FROM settings WHERE key = 'eviction_policy'");
	assert_string_equal(a, "\"none\"");
	free(a);
	/* modified_at is a timestamp with microseconds, as typed_diskcache writes it. */
	assert_int_equal(sql_int(mine, "SELECT count(*) FROM settings WHERE modified_at "
				       "GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] "
				       "[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]'"),
			 10);
	a = sql_text(mine, "PRAGMA journal_mode");
	assert_string_equal(a, "wal");
	free(a);
	sqlite3_close(reference);
	remove_tree(ref_dir);
	sqlite3_close(mine);
	free(mine_path);
	free(sub);
	remove_tree(dir);
}

static void test_new_directory_is_private(void **state)
{
	char *dir = make_temp_dir(), *sub;
	struct store *st;
	enum store_refusal why;
	struct stat sb;

	assert_true(asprintf(&sub, "%s/cache", dir) > 0);
	assert_int_equal(store_open(sub, &st, &why), 0);
	store_close(st);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	free(sub);
	remove_tree(dir);
}

/* Open must refuse dir with reason `want`, leaving cache.db byte-identical. */
static void assert_refused_unchanged(const char *dir, enum store_refusal want)
{
	char *path = db_path_in(dir);
	size_t before_len, after_len;
	uint8_t *before = read_file(path, &before_len), *after;
	struct store *st = NULL;
	enum store_refusal why;

	assert_int_equal(store_open(dir, &st, &why), -EINVAL);
	assert_null(st);
	assert_int_equal(why, want);
	assert_string_not_equal(store_refusal_text(why), "");
	after = read_file(path, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(before);
	free(after);
	free(path);
}

static void test_foreign_sqlite_file_is_refused_untouched(void **state)
{
	char *dir = make_temp_dir(), *path = db_path_in(dir);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sql_exec(db, "CREATE TABLE cache (id INTEGER PRIMARY KEY, key BLOB); "
		     "INSERT INTO cache (key) VALUES (x'01')");
	sqlite3_close(db);
	assert_refused_unchanged(dir, STORE_FOREIGN);
	free(path);
	remove_tree(dir);
}

static void test_non_sqlite_file_is_refused_untouched(void **state)
{
	char *dir = make_temp_dir(), *path = db_path_in(dir);
	const char text[] = "this is a shopping list, not a database\n";

	write_file(path, text, sizeof(text) - 1);
	assert_refused_unchanged(dir, STORE_NOT_SQLITE);
	free(path);
	remove_tree(dir);
}

static void test_other_revision_is_refused_untouched(void **state)
{
	char *dir = copy_fixture("locks");
	sqlite3 *db = open_outside(dir);

	sql_exec(db, "UPDATE version SET revision = '001_future'; PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	assert_refused_unchanged(dir, STORE_REVISION);
	remove_tree(dir);
}

static void test_corrupt_database_is_refused_untouched(void **state)
{
	char *dir = copy_fixture("locks"), *path = db_path_in(dir);
	size_t len;
	uint8_t *bytes = read_file(path, &len);

	/* Keep the header and schema page; scribble over the cache table's pages. */
	for (size_t i = 4096; i < len; i++)
		bytes[i] = (uint8_t)(i * 7);
	write_file(path, bytes, len);
	free(bytes);
	assert_refused_unchanged(dir, STORE_CORRUPT);
	free(path);
	remove_tree(dir);
}

static void test_cache_path_that_is_a_file_is_refused(void **state)
{
	char *dir = make_temp_dir(), *file;
	struct store *st;
	enum store_refusal why;

	assert_true(asprintf(&file, "%s/plain", dir) > 0);
	write_file(file, "x", 1);
	assert_int_equal(store_open(file, &st, &why), -EINVAL);
	assert_int_equal(why, STORE_NOT_DIRECTORY);
	free(file);
	remove_tree(dir);
}

static void test_fixture_caches_open_and_keep_their_policy(void **state)
{
	char *dir = copy_fixture("empty-default");
	struct store *st;
	enum store_refusal why;

	assert_int_equal(store_open(dir, &st, &why), 0);
	assert_true(store_may_evict(st)); /* least-recently-stored */
	store_close(st);
	remove_tree(dir);
	dir = copy_fixture("empty-eviction-none");
	assert_int_equal(store_open(dir, &st, &why), 0);
	assert_false(store_may_evict(st));
	store_close(st);
	remove_tree(dir);
}

/* --- the locks fixture against its manifest ------------------------------ */

struct listed {
	char keys[32][300];
	int n;
};

static int collect_key(void *ctx, const char *key, size_t len, bool expires, double expire)
{
	struct listed *l = ctx;

	snprintf(l->keys[l->n++], sizeof(l->keys[0]), "%s", key);
	return 0;
}

static bool listed_has(const struct listed *l, const char *key)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->keys[i], key) == 0)
			return true;
	return false;
}

static void test_locks_fixture_matches_manifest(void **state)
{
	const char *tsv = getenv("LOCKFS_MANIFEST_TSV");
	char *dir = copy_fixture("locks"), line[2048];
	struct store *st;
	enum store_refusal why;
	struct listed listed = {0};
	int locks = 0, entries = 0;
	FILE *f;

	assert_non_null(tsv);
	assert_int_equal(store_open(dir, &st, &why), 0);
	assert_int_equal(lock_for_each_held(st, collect_key, &listed), 0);
	f = fopen(tsv, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *key_hex = strtok(line, "\t"), *is_lock = strtok(NULL, "\t");
		char *owner = strtok(NULL, "\t"), *count = strtok(NULL, "\t");
		char *expires = strtok(NULL, "\t"), *tags = strtok(NULL, "\t\n");
		char key[300] = {0};
		struct lock_info info;
		int rc;

		entries++;
		if (strcmp(key_hex, "-") == 0)
			continue; /* not a str key: can never be looked up or listed */
		hex_decode(key_hex, (uint8_t *)key, sizeof(key) - 1);
		rc = lock_inspect(st, key, &info);
		if (strcmp(is_lock, "1") == 0) {
			locks++;
			assert_int_equal(rc, 0);
			assert_true(listed_has(&listed, key));
			assert_string_equal(info.owner, strcmp(owner, "-") ? owner : "");
			assert_int_equal(info.count, atoi(count));
			assert_int_equal(info.expires, strcmp(expires, "1") == 0);
			assert_string_equal(info.tags, strcmp(tags, "-") ? tags : "");
			assert_false(info.made_by_lockfs);
			lock_info_clear(&info);
		} else {
			assert_true(rc == -ENOENT || rc == -EEXIST);
			assert_false(listed_has(&listed, key));
		}
	}
	fclose(f);
	assert_int_equal(entries, 11);
	assert_int_equal(locks, 5);
	assert_int_equal(listed.n, locks);
	store_close(st);
	remove_tree(dir);
}

/* Take a generation in a transaction of its own; it must be above *last. */
static void take_generation(struct store *st, int64_t *last, bool commit)
{
	int64_t gen;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_next_generation(st, &gen), 0);
	assert_true(gen > *last);
	if (commit) {
		assert_int_equal(store_commit(st), 0);
		*last = gen;
	} else {
		store_rollback(st);
	}
}

static void test_generations_grow_across_reopen(void **state)
{
	char *dir = make_temp_dir();
	int64_t last = 0, first = 0;

	for (int round = 0; round < 3; round++) {
		struct store *st;
		enum store_refusal why;

		assert_int_equal(store_open(dir, &st, &why), 0);
		for (int i = 0; i < 5; i++) {
			take_generation(st, &last, true);
			if (!first)
				first = last;
		}
		store_close(st);
	}
	/* Taken in blocks: a connection's next ones without a write of the counter. */
	assert_int_equal(first, 1);
	remove_tree(dir);
}

static void test_generations_grow_across_connections_and_rollbacks(void **state)
{
	char *dir = make_temp_dir();
	struct store *a, *b;
	enum store_refusal why;
	sqlite3 *outside;
	int64_t last = 0;

	assert_int_equal(store_open(dir, &a, &why), 0);
	assert_int_equal(store_open(dir, &b, &why), 0);
	outside = open_outside(dir);
	for (int i = 0; i < 200; i++) {
		/* Two connections in turn, runs of either, rollbacks, outside writes. */
		take_generation(i % 7 < 3 ? a : b, &last, true);
		if (i % 11 == 0)
			take_generation(a, &last, false);
		if (i % 13 == 0)
			sql_exec(outside, "INSERT INTO cache (key, raw, store_time, access_time, mode, "
					  "value) VALUES (randomblob(8), 1, 1, 1, 1, x'00')");
	}
	/* The counter's row is never below a generation given. */
	assert_true(sql_int(outside, "SELECT value FROM lockfs_generation") >= last);
	sqlite3_close(outside);
	store_close(a);
	store_close(b);
	remove_tree(dir);
}

static void test_a_cache_from_before_holds_moved_gains_the_holds_column(void **state)
{
	char *dir = make_temp_dir();
	struct store *st;
	enum store_refusal why;
	sqlite3 *outside;
	char *holds;

	assert_int_equal(store_open(dir, &st, &why), 0);
	store_close(st);
	/* The layout of before: holds in a table of their own, none in the holder row. */
	outside = open_outside(dir);
	sql_exec(outside,
		 "PRAGMA foreign_keys = OFF; " /* a holder row without its cache row will do */
		 "ALTER TABLE lockfs_holder DROP COLUMN holds; "
		 "CREATE TABLE lockfs_hold (id INTEGER PRIMARY KEY, cache_id INTEGER NOT NULL, "
		 "binding TEXT NOT NULL, shared INTEGER NOT NULL, owner INTEGER NOT NULL, "
		 "host TEXT NOT NULL, daemon_pid INTEGER NOT NULL, daemon_start INTEGER NOT NULL, "
		 "pid INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL, "
		 "comm TEXT NOT NULL); "
		 /* Two shared holds of a lock whose holder row exists, one hold without one. */
		 "INSERT INTO lockfs_holder (cache_id, key, store_time, uid, gid, pid, start_time, "
		 "comm, host, generation) VALUES (7, x'00', 1, 0, 0, 1, 1, 'c', 'h', 1); "
		 "INSERT INTO lockfs_hold VALUES (10, 7, 'flock', 1, 42, 'box', 100, 5, 200, 0, 0, "
		 "'my job'), (12, 7, 'posix', 1, 43, 'box', 100, 5, 201, 0, 0, 'x'), "
		 "(11, 8, 'flock', 0, 44, 'box', 100, 5, 202, 0, 0, 'gone')");
	sqlite3_close(outside);

	assert_int_equal(store_open(dir, &st, &why), 0);
	store_close(st);
	outside = open_outside(dir);
	assert_int_equal(sql_int(outside, "SELECT count(*) FROM pragma_table_info('lockfs_holder') "
					  "WHERE name = 'holds'"), 1);
	assert_int_equal(sql_int(outside, "SELECT count(*) FROM sqlite_master "
					  "WHERE name = 'lockfs_hold'"), 0);
	/* The live holds moved, in order and renumbered; the orphan went. */
	holds = sql_text(outside, "SELECT holds FROM lockfs_holder WHERE cache_id = 7");
	assert_string_equal(holds, "1 flock s 42 100 5 200 0 0 box my%20job\n"
				   "2 posix s 43 100 5 201 0 0 box x\n");
	free(holds);
	sqlite3_close(outside);
	remove_tree(dir);
}

static void test_busy_database_returns_eagain(void **state)
{
	char *dir = make_temp_dir();
	struct store *st;
	enum store_refusal why;
	sqlite3 *outside;
	struct store_row row;

	assert_int_equal(store_open(dir, &st, &why), 0);
	outside = open_outside(dir);
	sql_exec(outside, "BEGIN IMMEDIATE");
	assert_int_equal(store_begin(st), -EAGAIN);
	/* Readers are never blocked by a writer in WAL mode. */
	assert_int_equal(store_get_row(st, "anything", &row, NULL), -ENOENT);
	sql_exec(outside, "ROLLBACK");
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_commit(st), 0);
	sqlite3_close(outside);
	store_close(st);
	remove_tree(dir);
}

static void test_data_version_sees_only_other_writers(void **state)
{
	char *dir = make_temp_dir();
	struct store *st;
	enum store_refusal why;
	struct caller me;
	struct policy policy = {.timeout = 0, .tags = ""};
	struct lock_grant grant;
	int64_t v0, v1, v2;
	sqlite3 *outside;

	caller_from_thread(gettid(), getuid(), getgid(), &me);
	assert_int_equal(store_open(dir, &st, &why), 0);
	assert_int_equal(store_data_version(st, &v0), 0);
	assert_int_equal(lock_acquire(st, "mine", &me, &policy, 0, NULL, &grant, NULL), 0);
	assert_int_equal(store_data_version(st, &v1), 0);
	assert_int_equal(v0, v1);
	outside = open_outside(dir);
	sql_exec(outside, "DELETE FROM cache");
	sqlite3_close(outside);
	assert_int_equal(store_data_version(st, &v2), 0);
	assert_true(v2 != v1);
	store_close(st);
	remove_tree(dir);
}

static void test_the_epoch_moves_with_other_writers_only(void **state)
{
	char *dir = make_temp_dir();
	struct store *st;
	enum store_refusal why;
	struct caller me;
	struct policy policy = {.timeout = 0, .tags = ""};
	struct lock_grant grant;
	struct lock_info info;
	uint64_t e0, e1, e2;
	sqlite3 *outside;

	caller_from_thread(gettid(), getuid(), getgid(), &me);
	assert_int_equal(store_open(dir, &st, &why), 0);
	e0 = store_epoch(st);
	assert_int_equal(store_epoch(st), e0);
	assert_int_equal(lock_acquire(st, "mine", &me, &policy, 0, NULL, &grant, NULL), 0);
	assert_int_equal(store_epoch_seen(st), e0); /* its own commit keeps the epoch */
	assert_int_equal(store_epoch(st), e0);
	assert_int_equal(lock_inspect(st, "mine", &info), 0);
	lock_info_clear(&info);
	assert_int_equal(store_epoch(st), e0); /* and so do reads */

	outside = open_outside(dir);
	sql_exec(outside, "DELETE FROM cache");
	e1 = store_epoch(st);
	assert_true(e1 != e0); /* another connection's commit: a new epoch */
	assert_int_equal(store_epoch(st), e1);

	/* Another connection commits right after this one: a new epoch again. */
	assert_int_equal(lock_acquire(st, "again", &me, &policy, 0, NULL, &grant, NULL), 0);
	sql_exec(outside, "UPDATE metadata SET value = value + 1 WHERE key = 'hits'");
	e2 = store_epoch(st);
	assert_true(e2 != e1);
	sqlite3_close(outside);
	store_close(st);
	remove_tree(dir);
}

/* --- crash safety -------------------------------------------------------- */

static unsigned kill_at;

static void kill_at_step(void *ctx, unsigned step)
{
	if (step == kill_at)
		raise(SIGKILL);
}

/* Every kind of write lockfs makes, in order. */
static void write_everything(struct store *st)
{
	struct caller a, b, root;
	struct policy tagged = {.timeout = 0, .has_ttl = true, .ttl = 60, .tags = "ci,prod"};
	struct lock_successor next = {.who = &b, .defaults = &tagged};
	struct lock_grant grant;
	struct lock_outcome out;

	caller_from_thread(gettid(), 1000, 1000, &a);
	b = a;
	b.tid = a.tid + 1;
	root = a;
	root.uid = 0;
	assert_int_equal(lock_acquire(st, "job", &a, &tagged, 0, NULL, &grant, NULL), 0);
	assert_int_equal(lock_acquire(st, "job", &a, &tagged, 0, NULL, &grant, NULL), 0);
	assert_int_equal(lock_set_tags(st, "job", &a, NULL, "x,y,z"), 0);
	assert_int_equal(lock_set_ttl(st, "job", &a, NULL, true, 30), 0);
	assert_int_equal(lock_unlink(st, "job", &a, NULL, &out), 0);
	assert_int_equal(lock_unlink(st, "job", &a, &next, &out), 0);
	assert_int_equal(out.kind, LOCK_HANDED_OVER);
	assert_int_equal(dir_make(st, "dir", &root), 0);
	assert_int_equal(policy_dir_set(st, "dir", &a, POLICY_TAGS, "q", 1), -EPERM);
	assert_int_equal(lock_acquire(st, "dir/other", &a, &tagged, 0, NULL, &grant, NULL), 0);
	assert_int_equal(lock_unlink(st, "dir/other", &a, NULL, &out), 0);
	assert_int_equal(lock_sweep_expired(st, clock_wall() + 3600), 1);
}

static void assert_consistent(const char *dir)
{
	sqlite3 *db = open_outside(dir);
	char *check = sql_text(db, "PRAGMA integrity_check");

	assert_string_equal(check, "ok");
	free(check);
	assert_int_equal(sql_int(db, "SELECT value FROM metadata WHERE key = 'count'"),
			 sql_int(db, "SELECT count(*) FROM cache"));
	/* No holder without its row, no link without its row. */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM lockfs_holder WHERE cache_id NOT IN "
				     "(SELECT id FROM cache)"),
			 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM cache_tag WHERE cache_id NOT IN "
				     "(SELECT id FROM cache)"),
			 0);
	/* Every lock lockfs wrote has its holder row and its tags. */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM cache WHERE mode = 3 AND id NOT IN "
				     "(SELECT cache_id FROM lockfs_holder)"),
			 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM cache WHERE id NOT IN "
				     "(SELECT cache_id FROM cache_tag)"),
			 0);
	sqlite3_close(db);
}

static void test_killed_between_any_two_statements_leaves_no_half_lock(void **state)
{
	char *dir = make_temp_dir();
	unsigned killed = 0;

	for (kill_at = 0;; kill_at++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			struct store *st;
			enum store_refusal why;

			if (store_open(dir, &st, &why) < 0)
				_exit(2);
			store_set_fault_hook(st, kill_at_step, NULL);
			write_everything(st);
			store_close(st);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_consistent(dir);
		if (WIFEXITED(status)) {
			assert_int_equal(WEXITSTATUS(status), 0);
			break;
		}
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		killed++;
		/* Start every round from the same empty cache. */
		remove_tree(dir);
		dir = make_temp_dir();
	}
	assert_true(killed > 20);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_cache_has_typed_diskcache_layout),
		cmocka_unit_test(test_new_directory_is_private),
		cmocka_unit_test(test_foreign_sqlite_file_is_refused_untouched),
		cmocka_unit_test(test_non_sqlite_file_is_refused_untouched),
		cmocka_unit_test(test_other_revision_is_refused_untouched),
		cmocka_unit_test(test_corrupt_database_is_refused_untouched),
		cmocka_unit_test(test_cache_path_that_is_a_file_is_refused),
		cmocka_unit_test(test_fixture_caches_open_and_keep_their_policy),
		cmocka_unit_test(test_locks_fixture_matches_manifest),
		cmocka_unit_test(test_generations_grow_across_reopen),
		cmocka_unit_test(test_generations_grow_across_connections_and_rollbacks),
		cmocka_unit_test(test_a_cache_from_before_holds_moved_gains_the_holds_column),
		cmocka_unit_test(test_busy_database_returns_eagain),
		cmocka_unit_test(test_data_version_sees_only_other_writers),
		cmocka_unit_test(test_the_epoch_moves_with_other_writers_only),
		cmocka_unit_test(test_killed_between_any_two_statements_leaves_no_half_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
