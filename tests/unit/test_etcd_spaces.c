/*
 * test_etcd_spaces.c — the etcd store's read cache: which spaces of P a
 * range touches (an answer is good until another machine changes
 * something there), and whose epochs a change moves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "etcd_store_int.h"

#define DIRS (1u << SPACE_DIRS)
#define LOCKS (1u << SPACE_LOCKS)
#define WAITERS (1u << SPACE_WAITERS)

static void test_a_range_is_in_the_space_of_its_keys(void **state)
{
	struct etcd_store es = {.prefix = "/p"};

	(void)state;
	assert_int_equal(etcd_spaces_of(&es, "/p/dirs/", NULL), DIRS);
	assert_int_equal(etcd_spaces_of(&es, "/p/dirs/a/b", NULL), DIRS);
	assert_int_equal(etcd_spaces_of(&es, "/p/dirs/a/", "/p/dirs/a0"), DIRS);
	assert_int_equal(etcd_spaces_of(&es, "/p/locks/k", NULL), LOCKS);
	assert_int_equal(etcd_spaces_of(&es, "/p/locks/", "/p/locks0"), LOCKS);
	assert_int_equal(etcd_spaces_of(&es, "/p/waiters/k//", "/p/waiters/k/0"), WAITERS);
}

static void test_any_other_range_touches_every_space(void **state)
{
	struct etcd_store es = {.prefix = "/p"};

	(void)state;
	assert_int_equal(etcd_spaces_of(&es, "/p", NULL), SPACES_ALL);
	assert_int_equal(etcd_spaces_of(&es, "/p/", "/p0"), SPACES_ALL);
	assert_int_equal(etcd_spaces_of(&es, "/p/dirs/", "/p/locks0"), SPACES_ALL);
	assert_int_equal(etcd_spaces_of(&es, "/p/locks/", "/p/locks1"), SPACES_ALL);
	assert_int_equal(etcd_spaces_of(&es, "/p/dirsx/a", NULL), SPACES_ALL);
	assert_int_equal(etcd_spaces_of(&es, "/p/locks", NULL), SPACES_ALL);
	assert_int_equal(etcd_spaces_of(&es, "/p/daemons/h 1 2 -", NULL), SPACES_ALL);
	assert_int_equal(etcd_spaces_of(&es, "/pp/locks/k", NULL), SPACES_ALL);
	assert_int_equal(etcd_spaces_of(&es, "/q/locks/k", NULL), SPACES_ALL);
}

static void test_a_change_moves_the_epochs_of_its_spaces_only(void **state)
{
	struct etcd_store es = {.prefix = "/p", .event_fd = -1};
	uint64_t dirs = etcd_spaces_epoch(&es, DIRS), locks = etcd_spaces_epoch(&es, LOCKS);
	uint64_t lines = etcd_spaces_epoch(&es, WAITERS), epoch = atomic_load(&es.epoch);

	(void)state;
	etcd_moved(&es, LOCKS);
	assert_int_equal(etcd_spaces_epoch(&es, DIRS), dirs);
	assert_int_equal(etcd_spaces_epoch(&es, WAITERS), lines);
	assert_true(etcd_spaces_epoch(&es, LOCKS) != locks);
	assert_true(etcd_spaces_epoch(&es, DIRS | LOCKS) != dirs + locks);
	assert_true(atomic_load(&es.epoch) != epoch); /* the daemon hears of any change */
	dirs = etcd_spaces_epoch(&es, DIRS);
	lines = etcd_spaces_epoch(&es, WAITERS);
	etcd_moved(&es, SPACES_ALL);
	assert_true(etcd_spaces_epoch(&es, DIRS) != dirs);
	assert_true(etcd_spaces_epoch(&es, WAITERS) != lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_range_is_in_the_space_of_its_keys),
		cmocka_unit_test(test_any_other_range_touches_every_space),
		cmocka_unit_test(test_a_change_moves_the_epochs_of_its_spaces_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
