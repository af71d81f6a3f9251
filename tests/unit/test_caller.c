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

static void test_own_thread_gives_its_ids_start_time_comm_and_owner_pid_tid(void **state)
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

static void *exit_at_once(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

static void test_cache_knows_threads_and_forgets_dead_ones(void **state)
{
	struct caller_cache *cache = caller_cache_new(4);
	struct caller direct, cached, again;
	pthread_t t;
	pid_t gone = 0;

	assert_non_null(cache);
	caller_from_thread(gettid(), 7, 8, &direct);
	assert_int_equal(caller_identify(cache, gettid(), 7, 8, &cached), 0);
	assert_int_equal(cached.tgid, direct.tgid);
	assert_int_equal(cached.tid, direct.tid);
	assert_true(cached.start_time == direct.start_time);
	assert_string_equal(cached.comm, direct.comm);
	/* A second look is served from the kept file, with the new uid. */
	assert_int_equal(caller_identify(cache, gettid(), 9, 9, &again), 0);
	assert_int_equal(again.tid, gettid());
	assert_int_equal(again.uid, 9);
	/* A thread that has exited is anonymous, even though it was cached. */
	assert_int_equal(pthread_create(&t, NULL, exit_at_once, &gone), 0);
	pthread_join(t, NULL);
	assert_int_equal(caller_identify(cache, gone, 1, 1, &again), 0);
	assert_int_equal(again.tid, 0);
	/* More threads than slots: the oldest slot is reused. */
	for (int i = 0; i < 6; i++)
		assert_int_equal(caller_identify(cache, gettid(), 1, 1, &again), 0);
	caller_cache_free(cache);
}

/* A thread that tells its id, then waits until told to exit. */
struct waiting_thread {
	pid_t tid;
	int go[2]; /* a pipe: the thread exits when it can read */
};

static void *wait_then_exit(void *arg)
{
	struct waiting_thread *w = arg;
	char c;

	__atomic_store_n(&w->tid, gettid(), __ATOMIC_SEQ_CST);
	if (read(w->go[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

static void test_cached_thread_that_exits_is_forgotten_and_names_are_fresh(void **state)
{
	struct caller_cache *cache = caller_cache_new(4);
	struct waiting_thread w = {0};
	struct caller seen;
	char task[64];
	pthread_t t;

	assert_non_null(cache);
	assert_int_equal(pipe(w.go), 0);
	assert_int_equal(pthread_create(&t, NULL, wait_then_exit, &w), 0);
	while (!__atomic_load_n(&w.tid, __ATOMIC_SEQ_CST))
		usleep(100);
	assert_int_equal(caller_identify(cache, w.tid, 1, 1, &seen), 0);
	assert_int_equal(seen.tid, w.tid); /* cached while it lives */
	/* A new name shows at the next look, from the kept file. */
	assert_int_equal(pthread_setname_np(t, "renamed"), 0);
	assert_int_equal(caller_identify(cache, w.tid, 1, 1, &seen), 0);
	assert_string_equal(seen.comm, "renamed");
	assert_int_equal(write(w.go[1], "x", 1), 1);
	pthread_join(t, NULL);
	/* pthread_join returns at the thread's exit; the kernel reaps it just after. */
	snprintf(task, sizeof(task), "/proc/self/task/%d", (int)w.tid);
	for (int i = 0; i < 10000 && access(task, F_OK) == 0; i++)
		usleep(100);
	/* Gone: its slot is not trusted, whoever has the number now. */
	assert_int_equal(caller_identify(cache, w.tid, 1, 1, &seen), 0);
	assert_int_equal(seen.tid, 0);
	close(w.go[0]);
	close(w.go[1]);
	caller_cache_free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_thread_gives_its_ids_start_time_comm_and_owner_pid_tid),
		cmocka_unit_test(test_other_thread_shares_tgid),
		cmocka_unit_test(test_invisible_thread_is_anonymous),
		cmocka_unit_test(test_cache_knows_threads_and_forgets_dead_ones),
		cmocka_unit_test(test_cached_thread_that_exits_is_forgotten_and_names_are_fresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
