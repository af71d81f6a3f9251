/*
 * test_caller.c — reading a thread's identity from /proc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <cmocka.h>

#include "caller.h"

static void test_this_thread(void **state)
{
	struct caller c;
	char owner[64], want[64];

	prctl(PR_SET_NAME, "unit-caller");
	assert_int_equal(caller_from_thread(gettid(), 42, 43, &c), 0);
	assert_int_equal(c.uid, 42);
	assert_int_equal(c.gid, 43);
	assert_int_equal(c.tid, gettid());
	assert_int_equal(c.tgid, getpid());
	assert_true(c.start_time > 0);
	assert_string_equal(c.comm, "unit-caller");
	caller_owner(&c, owner, sizeof(owner));
	snprintf(want, sizeof(want), "%d-%d", getpid(), gettid());
	assert_string_equal(owner, want);
}

static void *describe_self(void *arg)
{
	caller_from_thread(gettid(), 0, 0, arg);
	return NULL;
}

static void test_other_thread_shares_tgid(void **state)
{
	struct caller c;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, describe_self, &c), 0);
	pthread_join(t, NULL);
	assert_int_equal(c.tgid, getpid());
	assert_true(c.tid != getpid());
}

static void test_invisible_thread_is_anonymous(void **state)
{
	struct caller c;

	assert_int_equal(caller_from_thread(0, 5, 6, &c), 0);
	assert_int_equal(c.tid, 0);
	assert_int_equal(c.uid, 5);
	/* A thread id that does not exist (above pid_max) is anonymous too. */
	assert_int_equal(caller_from_thread(99999999, 5, 6, &c), 0);
	assert_int_equal(c.tid, 0);
	assert_int_equal(c.tgid, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_this_thread),
		cmocka_unit_test(test_other_thread_shares_tgid),
		cmocka_unit_test(test_invisible_thread_is_anonymous),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
