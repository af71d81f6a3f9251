/*
 * test_memo.c — fs/memo.c: facts about names hold in the epoch they were
 * learned in and in no other, the daemon's own changes update them, and
 * the table forgets the least recently used name when it is full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "memo.h"

static struct lock_info held_info(int64_t count, const char *tags)
{
	struct lock_info info;

	memset(&info, 0, sizeof(info));
	snprintf(info.owner, sizeof(info.owner), "42-42");
	info.count = count;
	info.tags = (char *)tags; /* memo_held copies it */
	return info;
}

static void test_a_fact_holds_in_its_epoch_only(void **state)
{
	struct memo m;
	struct lock_info info = held_info(2, "ci");
	const struct memo_entry *e;

	memo_init(&m);
	assert_null(memo_get(&m, "deploy", 1));
	memo_held(&m, "deploy", 1, &info);
	e = memo_get(&m, "deploy", 1);
	assert_non_null(e);
	assert_true(e->known && e->held);
	assert_int_equal(e->info.count, 2);
	assert_string_equal(e->info.tags, "ci");
	assert_ptr_not_equal(e->info.tags, info.tags);
	assert_null(memo_get(&m, "deploy", 2)); /* someone else wrote since */
	assert_null(memo_get(&m, "other", 1));
	memo_destroy(&m);
}

static void test_a_free_name_keeps_whether_it_is_a_directory_across_own_changes(void **state)
{
	struct memo m;
	struct lock_info info = held_info(1, "");
	const struct memo_entry *e;

	memo_init(&m);
	memo_free(&m, "pair", 5, true); /* a LOOKUP found it free, no directory */
	memo_held(&m, "pair", 5, &info); /* the daemon took it */
	e = memo_get(&m, "pair", 5);
	assert_true(e->held && e->not_dir);
	memo_touched(&m, "pair"); /* changed in a way the memo did not see */
	e = memo_get(&m, "pair", 5);
	assert_false(e->known);
	assert_true(e->not_dir);
	memo_free(&m, "pair", 5, false); /* the daemon released it */
	e = memo_get(&m, "pair", 5);
	assert_true(e->known && !e->held && e->not_dir);

	/* In a new epoch nothing carries over, not even "no directory". */
	memo_free(&m, "pair", 6, false);
	e = memo_get(&m, "pair", 6);
	assert_true(e->known && !e->held);
	assert_false(e->not_dir);
	memo_forget(&m, "pair");
	assert_null(memo_get(&m, "pair", 6));
	memo_destroy(&m);
}

static void test_taking_a_key_makes_the_names_above_it_directories(void **state)
{
	struct memo m;

	memo_init(&m);
	memo_free(&m, "a", 1, true);
	memo_free(&m, "a/b", 1, true);
	memo_free(&m, "ab", 1, true);
	memo_free(&m, "a/b/c", 1, true);
	memo_forget_dirs(&m, "a/b/c");
	assert_false(memo_get(&m, "a", 1)->not_dir);
	assert_false(memo_get(&m, "a/b", 1)->not_dir);
	assert_true(memo_get(&m, "ab", 1)->not_dir);    /* not above a/b/c */
	assert_true(memo_get(&m, "a/b/c", 1)->not_dir); /* the key itself */
	memo_destroy(&m);
}

static void test_a_full_table_forgets_the_least_recently_used(void **state)
{
	struct memo m;
	char key[32];

	memo_init(&m);
	for (int i = 0; i < MEMO_NAMES; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		memo_free(&m, key, 1, true);
	}
	assert_non_null(memo_get(&m, "k0", 1)); /* k0 is used again: k1 is the oldest */
	memo_free(&m, "new", 1, true);
	assert_non_null(memo_get(&m, "new", 1));
	assert_non_null(memo_get(&m, "k0", 1));
	assert_null(memo_get(&m, "k1", 1));
	assert_non_null(memo_get(&m, "k2", 1));
	memo_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_fact_holds_in_its_epoch_only),
		cmocka_unit_test(
			test_a_free_name_keeps_whether_it_is_a_directory_across_own_changes),
		cmocka_unit_test(test_taking_a_key_makes_the_names_above_it_directories),
		cmocka_unit_test(test_a_full_table_forgets_the_least_recently_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
