/*
 * waitq.c — the queues of held requests, and the one place that changes their state.
 */
#include "waitq.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PARK_SECONDS 1.0

void waitq_init(struct waitq *q, void (*reply)(struct request *req, int result))
{
	memset(q, 0, sizeof(*q));
	q->next_deadline = INFINITY;
	q->reply = reply;
}

void waitq_on_place(struct waitq *q,
		    void (*place)(void *ctx, struct request *req, enum waitq_place what),
		    void *ctx)
{
	q->place = place;
	q->place_ctx = ctx;
}

static void tell_place(struct waitq *q, struct request *req, enum waitq_place what)
{
	if (q->place)
		q->place(q->place_ctx, req, what);
}

/* Let go of req for good: its place in line goes with it. */
static void release(struct waitq *q, struct request *req)
{
	tell_place(q, req, WAITQ_PLACE_LEFT);
	request_free(req);
}

static int free_queue(void *ctx, struct hmap_link *link)
{
	struct queue *queue = hmap_entry(link, struct queue, link);

	for (struct request *req = queue->head, *next; req; req = next) {
		next = req->next;
		request_free(req);
	}
	free(queue->key);
	free(queue);
	return 0;
}

void waitq_destroy(struct waitq *q)
{
	hmap_for_each(&q->queues, free_queue, NULL);
	hmap_free(&q->queues);
	hmap_free(&q->by_fuse);
	for (struct request *req = q->retry_head, *next; req; req = next) {
		next = req->next;
		request_free(req);
	}
	q->retry_head = q->retry_tail = NULL;
}

static uint64_t key_hash(const char *key)
{
	return hmap_hash_bytes(key, strlen(key));
}

struct queue *waitq_find(const struct waitq *q, const char *key)
{
	for (struct hmap_link *l = hmap_first(&q->queues, key_hash(key)); l; l = hmap_next(l)) {
		struct queue *queue = hmap_entry(l, struct queue, link);

		if (strcmp(queue->key, key) == 0)
			return queue;
	}
	return NULL;
}

static struct queue *queue_for(struct waitq *q, const char *key)
{
	struct queue *queue = waitq_find(q, key);

	if (queue)
		return queue;
	queue = calloc(1, sizeof(*queue));
	if (!queue)
		return NULL;
	queue->key = strdup(key);
	if (!queue->key || hmap_insert(&q->queues, &queue->link, key_hash(key)) < 0) {
		free(queue->key);
		free(queue);
		return NULL;
	}
	return queue;
}

struct request *waitq_head(const struct waitq *q, const char *key)
{
	struct queue *queue = waitq_find(q, key);

	for (struct request *req = queue ? queue->head : NULL; req; req = req->next)
		if (req->state == REQUEST_WAITING)
			return req;
	return NULL;
}

unsigned waitq_waiting(const struct waitq *q, const char *key)
{
	struct queue *queue = waitq_find(q, key);

	return queue ? queue->waiting : 0;
}

struct request *waitq_parked(const struct waitq *q, const char *key, pid_t tid)
{
	struct queue *queue = tid > 0 ? waitq_find(q, key) : NULL;

	for (struct request *req = queue ? queue->head : NULL; req; req = req->next)
		if (req->state == REQUEST_PARKED && req->tid == tid)
			return req;
	return NULL;
}

struct request *waitq_by_fuse(const struct waitq *q, fuse_req_t fuse)
{
	uint64_t hash = hmap_hash_u64((uintptr_t)fuse);

	for (struct hmap_link *l = hmap_first(&q->by_fuse, hash); l; l = hmap_next(l)) {
		struct request *req = hmap_entry(l, struct request, by_fuse);

		if (req->fuse == fuse)
			return req;
	}
	return NULL;
}

static int track(struct waitq *q, struct request *req)
{
	assert(req->fuse && !waitq_by_fuse(q, req->fuse));
	return hmap_insert(&q->by_fuse, &req->by_fuse, hmap_hash_u64((uintptr_t)req->fuse));
}

static void untrack(struct waitq *q, struct request *req)
{
	hmap_remove(&q->by_fuse, &req->by_fuse);
}

static void note_deadline(struct waitq *q, double when)
{
	if (when < q->next_deadline)
		q->next_deadline = when;
}

/* The two doubly-linked lists (a key's queue, the retry list): add at the tail, unlink. */
static void list_append(struct request **head, struct request **tail, struct request *req)
{
	req->next = NULL;
	req->prev = *tail;
	if (*tail)
		(*tail)->next = req;
	else
		*head = req;
	*tail = req;
}

static void list_unlink(struct request **head, struct request **tail, struct request *req)
{
	if (req->prev)
		req->prev->next = req->next;
	else
		*head = req->next;
	if (req->next)
		req->next->prev = req->prev;
	else
		*tail = req->prev;
	req->prev = req->next = NULL;
}

/* Take req out of its queue or the retry list (not out of by_fuse). */
static void detach(struct waitq *q, struct request *req)
{
	struct queue *queue = req->queue;

	switch (req->state) {
	case REQUEST_RETRY:
		list_unlink(&q->retry_head, &q->retry_tail, req);
		break;
	case REQUEST_WAITING:
	case REQUEST_PARKED:
		assert(queue);
		list_unlink(&queue->head, &queue->tail, req);
		if (req->state == REQUEST_WAITING) {
			queue->waiting--;
			q->waiting--;
		} else {
			q->parked--;
		}
		if (!queue->head) {
			hmap_remove(&q->queues, &queue->link);
			free(queue->key);
			free(queue);
		}
		break;
	case REQUEST_NEW:
	case REQUEST_DECIDED:
		break;
	}
	req->queue = NULL;
}

int waitq_enqueue(struct waitq *q, struct request *req)
{
	struct queue *queue;

	assert(req->key && (req->state == REQUEST_NEW || req->state == REQUEST_RETRY));
	queue = queue_for(q, req->key);
	if (!queue)
		return -ENOMEM;
	if (req->state == REQUEST_NEW && track(q, req) < 0) {
		if (!queue->head) {
			hmap_remove(&q->queues, &queue->link);
			free(queue->key);
			free(queue);
		}
		return -ENOMEM;
	}
	detach(q, req);
	req->queue = queue;
	req->state = REQUEST_WAITING;
	list_append(&queue->head, &queue->tail, req);
	queue->waiting++;
	q->waiting++;
	note_deadline(q, req->deadline);
	return 0;
}

int waitq_retry_later(struct waitq *q, struct request *req)
{
	assert(req->state == REQUEST_NEW || req->state == REQUEST_RETRY);
	if (req->state == REQUEST_RETRY)
		return 0;
	if (track(q, req) < 0)
		return -ENOMEM;
	req->state = REQUEST_RETRY;
	list_append(&q->retry_head, &q->retry_tail, req);
	note_deadline(q, req->deadline);
	return 0;
}

void waitq_finish(struct waitq *q, struct request *req)
{
	assert(req->state == REQUEST_RETRY || req->state == REQUEST_PARKED);
	if (req->fuse && waitq_by_fuse(q, req->fuse) == req)
		untrack(q, req);
	detach(q, req);
	release(q, req);
}

/* Send a decided request's answer and free it. */
static void answer(struct waitq *q, struct request *req)
{
	assert(req->state == REQUEST_DECIDED && req->registered && req->fuse);
	untrack(q, req);
	q->reply(req, req->result);
	release(q, req);
}

void waitq_decide(struct waitq *q, struct request *req, int result)
{
	assert(req->state == REQUEST_RETRY || req->state == REQUEST_WAITING);
	detach(q, req);
	req->state = REQUEST_DECIDED;
	req->result = result;
	if (req->registered)
		answer(q, req);
}

/* A registered waiter was interrupted: answer EINTR, keep its place for a while. */
static void park(struct waitq *q, struct request *req, double until)
{
	assert(req->state == REQUEST_WAITING && req->registered && req->queue);
	untrack(q, req);
	q->reply(req, -EINTR);
	req->fuse = NULL;
	req->registered = false;
	req->state = REQUEST_PARKED;
	req->parked_until = until;
	req->queue->waiting--;
	q->waiting--;
	q->parked++;
	note_deadline(q, until);
	tell_place(q, req, WAITQ_PLACE_PARKED);
}

void waitq_interrupt(struct waitq *q, fuse_req_t fuse, double now)
{
	struct request *req = waitq_by_fuse(q, fuse);

	if (!req || req->state == REQUEST_DECIDED)
		return;
	if (req->registered && req->state == REQUEST_WAITING)
		park(q, req, now + PARK_SECONDS);
	else
		waitq_decide(q, req, -EINTR);
}

int waitq_resume(struct waitq *q, struct request *parked, struct request *fresh)
{
	assert(parked->state == REQUEST_PARKED && !parked->fuse && fresh->fuse);
	parked->fuse = fresh->fuse;
	if (track(q, parked) < 0) {
		parked->fuse = NULL;
		return -ENOMEM;
	}
	parked->fi = fresh->fi;
	parked->registered = false;
	fresh->fuse = NULL;
	parked->state = REQUEST_WAITING;
	parked->queue->waiting++;
	q->waiting++;
	q->parked--;
	note_deadline(q, parked->deadline);
	tell_place(q, parked, WAITQ_PLACE_RESUMED);
	return 0;
}

bool waitq_registered(struct waitq *q, struct request *req)
{
	assert(!req->registered);
	req->registered = true;
	if (req->state != REQUEST_DECIDED)
		return false;
	answer(q, req);
	return true;
}

char **waitq_keys(const struct waitq *q)
{
	char **keys = calloc(q->queues.count + 1, sizeof(*keys));
	size_t n = 0;

	if (!keys)
		return NULL;
	for (size_t b = 0; b < q->queues.bucket_count; b++) {
		for (struct hmap_link *l = q->queues.buckets[b]; l; l = l->next) {
			keys[n] = strdup(hmap_entry(l, struct queue, link)->key);
			if (!keys[n]) {
				waitq_keys_free(keys);
				return NULL;
			}
			n++;
		}
	}
	return keys;
}

void waitq_keys_free(char **keys)
{
	for (char **k = keys; k && *k; k++)
		free(*k);
	free(keys);
}

void waitq_expire(struct waitq *q, double now)
{
	char **keys = waitq_keys(q);
	double next = INFINITY;

	if (!keys) {
		q->next_deadline = now + 0.001; /* out of memory: look again soon */
		return;
	}
	for (char **k = keys; *k; k++) {
		struct queue *queue = waitq_find(q, *k);

		/* Deciding the last entry frees the queue: stop when it is gone. */
		for (struct request *req = queue ? queue->head : NULL, *nx; req; req = nx) {
			bool last = req == queue->tail;

			nx = req->next;
			if (req->state == REQUEST_WAITING && req->deadline <= now) {
				waitq_note(q, req->tid, req->who.start_time, req->key, -ETIMEDOUT, now);
				waitq_decide(q, req, -ETIMEDOUT);
			} else if (req->state == REQUEST_PARKED && req->parked_until <= now) {
				waitq_finish(q, req);
			} else {
				next = fmin(next, req->state == REQUEST_PARKED ? req->parked_until
									: req->deadline);
			}
			if (last)
				break;
		}
	}
	waitq_keys_free(keys);
	for (struct request *req = q->retry_head, *nx; req; req = nx) {
		nx = req->next;
		if (req->deadline <= now)
			waitq_decide(q, req, -ETIMEDOUT);
		else
			next = fmin(next, req->deadline);
	}
	q->next_deadline = next;
}

void waitq_answer_all(struct waitq *q, int result)
{
	char **keys = waitq_keys(q);

	for (char **k = keys; k && *k; k++) {
		struct queue *queue;

		while ((queue = waitq_find(q, *k))) {
			struct request *req = queue->head;

			if (req->state == REQUEST_PARKED)
				waitq_finish(q, req);
			else
				waitq_decide(q, req, result);
		}
	}
	waitq_keys_free(keys);
	while (q->retry_head)
		waitq_decide(q, q->retry_head, result);
}

void waitq_run_retries(struct waitq *q, void (*rerun)(void *ctx, struct request *req),
		       void *ctx)
{
	struct request *req = q->retry_head, *last = q->retry_tail;

	/* A rerun request leaves the list or stays where it is: each runs once a round. */
	while (req) {
		struct request *next = req == last ? NULL : req->next;

		if (req->registered)
			rerun(ctx, req);
		req = next;
	}
}

/* The index of tid's note about key, or -1. */
static int find_note(const struct waitq *q, pid_t tid, uint64_t hash)
{
	for (int i = 0; i < WAITQ_NOTES; i++) {
		const struct thread_note *n = &q->notes[i];

		if (n->tid == tid && n->key_hash == hash && n->note)
			return i;
	}
	return -1;
}

void waitq_note(struct waitq *q, pid_t tid, uint64_t start, const char *key, int note,
		double now)
{
	uint64_t hash = key_hash(key);
	struct thread_note *n;
	int i;

	if (tid <= 0)
		return;
	i = find_note(q, tid, hash);
	n = i >= 0 ? &q->notes[i] : &q->notes[q->next_note++ % WAITQ_NOTES];
	n->tid = tid;
	n->start = start;
	n->key_hash = hash;
	n->note = note;
	n->when = now;
}

int waitq_recall(const struct waitq *q, pid_t tid, uint64_t start, const char *key,
		 double arrived)
{
	int i = tid > 0 ? find_note(q, tid, key_hash(key)) : -1;
	const struct thread_note *n = i >= 0 ? &q->notes[i] : NULL;

	if (!n)
		return 0;
	if (n->note < 0 && n->start && start) /* a failure of a thread told by its start */
		return n->start == start && arrived - n->when < WAITQ_FAILED_SECONDS ? n->note : 0;
	return arrived - n->when < 1.0 ? n->note : 0;
}

void waitq_unnote(struct waitq *q, pid_t tid, const char *key)
{
	int i = tid > 0 ? find_note(q, tid, key_hash(key)) : -1;

	if (i >= 0)
		q->notes[i].note = 0;
}
