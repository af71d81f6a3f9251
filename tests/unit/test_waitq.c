/*
 * test_waitq.c — the waiting state machine of fs/waitq.c on its own: queues
 * in arrival order, one answer per request (sent only once its interrupt
 * callback is registered), interrupts that park a place for a second,
 * resumption, deadlines, the retry list, and the stop that answers all.
 *
 * FUSE requests are stand-in pointers: the waitq never touches them, it
 * only hands decided requests to the reply function, recorded here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waitq.h"

#define MAX_REPLIES 64

/* Every reply the waitq sent: which thread's request, and the result. */
static struct {
	pid_t tid;
	int result;
} replies[MAX_REPLIES];
static unsigned reply_count;

static void record_reply(struct request *req, int result)
{
	assert_non_null(req->fuse);
	assert_true(reply_count < MAX_REPLIES);
	replies[reply_count].tid = req->tid;
	replies[reply_count].result = result;
	reply_count++;
}

static int setup(void **state)
{
	struct waitq *q = calloc(1, sizeof(*q));

	waitq_init(q, record_reply);
	reply_count = 0;
	*state = q;
	return 0;
}

static int teardown(void **state)
{
	struct waitq *q = *state;

	waitq_destroy(q);
	free(q);
	return 0;
}

/* A new request of thread tid (its FUSE handle is a stand-in made from tid). */
static struct request *new_request(pid_t tid)
{
	struct request *req = calloc(1, sizeof(*req));

	req->fuse = (fuse_req_t)(uintptr_t)(0x1000 + tid);
	req->tid = tid;
	req->deadline = INFINITY;
	return req;
}

/* A new acquisition of key by thread tid, queued and registered. */
static struct request *waiting(struct waitq *q, const char *key, pid_t tid, double deadline)
{
	struct request *req = new_request(tid);

	req->key = strdup(key);
	req->deadline = deadline;
	req->who.start_time = 1000 + (uint64_t)tid; /* the thread's start time */
	assert_int_equal(waitq_enqueue(q, req), 0);
	assert_false(waitq_registered(q, req));
	return req;
}

static void assert_reply(unsigned i, pid_t tid, int result)
{
	assert_true(i < reply_count);
	assert_int_equal(replies[i].tid, tid);
	assert_int_equal(replies[i].result, result);
}

static void test_waiters_are_served_in_arrival_order(void **state)
{
	struct waitq *q = *state;
	struct request *a = waiting(q, "k", 1, INFINITY);

	waiting(q, "k", 2, INFINITY);
	waiting(q, "k", 3, INFINITY);
	waiting(q, "other", 4, INFINITY);
	assert_int_equal(waitq_waiting(q, "k"), 3);
	assert_int_equal(waitq_waiting(q, "other"), 1);
	assert_int_equal(q->waiting, 4);
	assert_ptr_equal(waitq_head(q, "k"), a);
	for (pid_t tid = 1; tid <= 3; tid++) {
		struct request *head = waitq_head(q, "k");

		assert_int_equal(head->tid, tid);
		waitq_decide(q, head, 0);
	}
	assert_int_equal(reply_count, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_reply(i, (pid_t)i + 1, 0);
	assert_null(waitq_find(q, "k")); /* the queue went with its last waiter */
	assert_null(waitq_head(q, "k"));
	assert_int_equal(q->waiting, 1);
}

static void test_a_decision_before_registration_is_sent_by_the_registering_thread(void **state)
{
	struct waitq *q = *state;
	struct request *req = new_request(7);

	req->key = strdup("k");
	assert_int_equal(waitq_enqueue(q, req), 0);
	waitq_decide(q, req, 0);
	assert_int_equal(reply_count, 0);
	assert_ptr_equal(waitq_by_fuse(q, req->fuse), req); /* still findable */
	assert_true(waitq_registered(q, req));
	assert_int_equal(reply_count, 1);
	assert_reply(0, 7, 0);
	assert_null(waitq_by_fuse(q, (fuse_req_t)(uintptr_t)(0x1000 + 7)));
}

static void test_an_interrupted_waiter_keeps_its_place_for_a_second(void **state)
{
	struct waitq *q = *state;
	struct request *first = waiting(q, "k", 1, 30.0);
	struct request *fresh;

	waiting(q, "k", 2, INFINITY);
	waitq_interrupt(q, first->fuse, 10.0);
	assert_int_equal(reply_count, 1);
	assert_reply(0, 1, -EINTR);
	assert_int_equal(waitq_waiting(q, "k"), 1);
	assert_int_equal(q->parked, 1);
	assert_int_equal(waitq_head(q, "k")->tid, 2); /* hand-offs skip the kept place */
	assert_ptr_equal(waitq_parked(q, "k", 1), first);
	assert_null(waitq_parked(q, "k", 2));

	/* The same thread asks again: it resumes ahead of thread 2, with its deadline. */
	fresh = new_request(1);
	fresh->fuse = (fuse_req_t)(uintptr_t)0x9999;
	assert_int_equal(waitq_resume(q, first, fresh), 0);
	assert_null(fresh->fuse);
	request_free(fresh);
	assert_false(waitq_registered(q, first));
	assert_int_equal(q->parked, 0);
	assert_int_equal(waitq_waiting(q, "k"), 2);
	assert_ptr_equal(waitq_head(q, "k"), first);
	assert_true(first->deadline == 30.0);
	assert_ptr_equal(waitq_by_fuse(q, (fuse_req_t)(uintptr_t)0x9999), first);
	waitq_decide(q, first, 0);
	assert_int_equal(reply_count, 2);
	assert_reply(1, 1, 0);
}

static void test_a_parked_place_goes_after_a_second(void **state)
{
	struct waitq *q = *state;
	struct request *req = waiting(q, "k", 1, INFINITY);

	waitq_interrupt(q, req->fuse, 10.0);
	assert_true(q->next_deadline <= 11.0);
	waitq_expire(q, 10.5);
	assert_non_null(waitq_parked(q, "k", 1));
	waitq_expire(q, 11.0);
	assert_null(waitq_parked(q, "k", 1));
	assert_null(waitq_find(q, "k"));
	assert_int_equal(q->parked, 0);
	assert_int_equal(reply_count, 1); /* only the EINTR */
}

static void test_an_interrupt_before_registration_decides_eintr(void **state)
{
	struct waitq *q = *state;
	struct request *req = new_request(3);

	req->key = strdup("k");
	assert_int_equal(waitq_enqueue(q, req), 0);
	waitq_interrupt(q, req->fuse, 1.0);
	assert_int_equal(reply_count, 0);
	assert_int_equal(q->parked, 0);
	assert_null(waitq_head(q, "k"));
	waitq_interrupt(q, req->fuse, 1.0); /* a second interrupt changes nothing */
	assert_true(waitq_registered(q, req));
	assert_int_equal(reply_count, 1);
	assert_reply(0, 3, -EINTR);
	waitq_interrupt(q, (fuse_req_t)(uintptr_t)0x4242, 1.0); /* unknown: ignored */
	assert_int_equal(reply_count, 1);
}

static void test_deadlines_answer_etimedout_and_note_the_failure(void **state)
{
	struct waitq *q = *state;

	waiting(q, "k", 1, 5.0);
	waiting(q, "k", 2, 8.0);
	assert_true(q->next_deadline == 5.0);
	waitq_expire(q, 4.9);
	assert_int_equal(reply_count, 0);
	waitq_expire(q, 5.0);
	assert_int_equal(reply_count, 1);
	assert_reply(0, 1, -ETIMEDOUT);
	assert_true(q->next_deadline == 8.0);
	assert_int_equal(waitq_head(q, "k")->tid, 2);
	/*
	 * The failure is remembered for that thread (touch's fallback utimens
	 * fails too), even when its request comes long after, behind others.
	 */
	assert_int_equal(waitq_recall(q, 1, 1001, "k", 5.5), -ETIMEDOUT);
	assert_int_equal(waitq_recall(q, 1, 1001, "k", 5.0 + WAITQ_FAILED_SECONDS - 1), -ETIMEDOUT);
	assert_int_equal(waitq_recall(q, 1, 1001, "k", 5.0 + WAITQ_FAILED_SECONDS), 0);
	assert_int_equal(waitq_recall(q, 1, 4242, "k", 5.5), 0); /* another thread, that tid again */
	assert_int_equal(waitq_recall(q, 2, 1002, "k", 5.5), 0);
}

static int reruns;

static void count_rerun(void *ctx, struct request *req)
{
	struct waitq *q = ctx;

	reruns++;
	if (req->tid == 1)
		waitq_finish(q, req); /* its handler answered */
}

static void test_the_retry_list_reruns_each_registered_request_once(void **state)
{
	struct waitq *q = *state;
	struct request *a = new_request(1), *b = new_request(2), *c = new_request(3);

	assert_int_equal(waitq_retry_later(q, a), 0);
	assert_int_equal(waitq_retry_later(q, b), 0);
	assert_int_equal(waitq_retry_later(q, c), 0);
	assert_int_equal(waitq_retry_later(q, b), 0); /* already there: stays */
	assert_false(waitq_registered(q, a));
	assert_false(waitq_registered(q, b));
	reruns = 0;
	waitq_run_retries(q, count_rerun, q); /* c is not registered yet */
	assert_int_equal(reruns, 2);
	assert_ptr_equal(q->retry_head, b);
	assert_ptr_equal(q->retry_tail, c);
	assert_null(waitq_by_fuse(q, (fuse_req_t)(uintptr_t)(0x1000 + 1)));

	/* A retried acquisition that finds the lock held joins its queue. */
	b->key = strdup("k");
	assert_int_equal(waitq_enqueue(q, b), 0);
	assert_ptr_equal(q->retry_head, c);
	assert_ptr_equal(waitq_head(q, "k"), b);
	assert_int_equal(b->state, REQUEST_WAITING);
	assert_int_equal(reply_count, 0);
}

static void test_stopping_answers_every_held_request(void **state)
{
	struct waitq *q = *state;
	struct request *parked = waiting(q, "a", 1, INFINITY), *retry = new_request(4);

	waiting(q, "a", 2, INFINITY);
	waiting(q, "b", 3, INFINITY);
	waitq_interrupt(q, parked->fuse, 1.0);
	assert_int_equal(waitq_retry_later(q, retry), 0);
	assert_false(waitq_registered(q, retry));
	waitq_answer_all(q, -ENOTCONN);
	assert_int_equal(reply_count, 4); /* EINTR, then three ENOTCONN */
	assert_reply(0, 1, -EINTR);
	for (unsigned i = 1; i < 4; i++)
		assert_int_equal(replies[i].result, -ENOTCONN);
	assert_int_equal(q->queues.count, 0);
	assert_int_equal(q->by_fuse.count, 0);
	assert_null(q->retry_head);
	assert_int_equal(q->waiting, 0);
	assert_int_equal(q->parked, 0);
}

static void test_notes_are_per_thread_and_key(void **state)
{
	struct waitq *q = *state;

	waitq_note(q, 5, 0, "k", WAITQ_CREATING, 1.0);
	assert_int_equal(waitq_recall(q, 5, 0, "k", 1.2), WAITQ_CREATING);
	assert_int_equal(waitq_recall(q, 5, 0, "k", 2.0), 0); /* a second at most */
	assert_int_equal(waitq_recall(q, 5, 0, "other", 1.2), 0);
	assert_int_equal(waitq_recall(q, 6, 0, "k", 1.2), 0);
	waitq_note(q, 5, 77, "k", -EIO, 1.5); /* replaces the earlier note */
	assert_int_equal(waitq_recall(q, 5, 77, "k", 30.0), -EIO);
	waitq_unnote(q, 5, "k");
	assert_int_equal(waitq_recall(q, 5, 77, "k", 1.6), 0);
	waitq_note(q, 5, 0, "k", -ETIMEDOUT, 1.0); /* a thread not known by its start: a second */
	assert_int_equal(waitq_recall(q, 5, 0, "k", 1.5), -ETIMEDOUT);
	assert_int_equal(waitq_recall(q, 5, 0, "k", 2.0), 0);
	waitq_note(q, 0, 0, "k", WAITQ_CREATING, 1.0); /* an unknown thread: nothing kept */
	assert_int_equal(waitq_recall(q, 0, 0, "k", 1.0), 0);
}

/* What the waitq told about places in line: ticket and what. */
static struct {
	int64_t ticket;
	enum waitq_place what;
} places[16];
static unsigned place_count;

static void record_place(void *ctx, struct request *req, enum waitq_place what)
{
	if (!req->ticket)
		return; /* only places in line are of interest here */
	assert_true(place_count < 16);
	places[place_count].ticket = req->ticket;
	places[place_count].what = what;
	place_count++;
}

static void test_places_in_line_follow_their_requests(void **state)
{
	struct waitq *q = *state;
	struct request *parked, *timed_out, *granted, *fresh;

	place_count = 0;
	waitq_on_place(q, record_place, NULL);
	parked = waiting(q, "k", 1, INFINITY);
	parked->ticket = 11;
	timed_out = waiting(q, "k", 2, 5.0);
	timed_out->ticket = 12;
	granted = waiting(q, "k", 3, INFINITY);
	granted->ticket = 13;

	waitq_interrupt(q, parked->fuse, 1.0);
	assert_int_equal(place_count, 1);
	assert_int_equal(places[0].ticket, 11);
	assert_int_equal(places[0].what, WAITQ_PLACE_PARKED);
	fresh = new_request(1);
	fresh->fuse = (fuse_req_t)(uintptr_t)0x7777;
	assert_int_equal(waitq_resume(q, parked, fresh), 0);
	request_free(fresh);
	assert_false(waitq_registered(q, parked));
	assert_int_equal(places[1].ticket, 11);
	assert_int_equal(places[1].what, WAITQ_PLACE_RESUMED);

	waitq_expire(q, 5.0); /* its request answered without the lock: the place goes */
	assert_int_equal(places[2].ticket, 12);
	assert_int_equal(places[2].what, WAITQ_PLACE_LEFT);

	granted->ticket = 0; /* a grant gives its place up with the lock */
	waitq_decide(q, granted, 0);
	assert_int_equal(place_count, 3);

	waitq_interrupt(q, parked->fuse, 6.0); /* parked again, then it lapses */
	waitq_expire(q, 7.0);
	assert_int_equal(place_count, 5);
	assert_int_equal(places[3].what, WAITQ_PLACE_PARKED);
	assert_int_equal(places[4].ticket, 11);
	assert_int_equal(places[4].what, WAITQ_PLACE_LEFT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_waiters_are_served_in_arrival_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_a_decision_before_registration_is_sent_by_the_registering_thread,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_an_interrupted_waiter_keeps_its_place_for_a_second, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_parked_place_goes_after_a_second, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_an_interrupt_before_registration_decides_eintr,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_deadlines_answer_etimedout_and_note_the_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_the_retry_list_reruns_each_registered_request_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopping_answers_every_held_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notes_are_per_thread_and_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_places_in_line_follow_their_requests,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
