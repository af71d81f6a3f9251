/*
 * waitq.c — queues of pending requests, and the one place that answers them.
 */
#include "waitq.h"
#include "lockfs.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void waitq_init(struct waitq *q)
{
	memset(q, 0, sizeof(*q));
	q->next_deadline = INFINITY;
}

static int free_queue(void *ctx, struct hmap_link *link)
{
	struct queue *queue = hmap_entry(link, struct queue, link);

	for (struct pending *p = queue->head, *next; p; p = next) {
		next = p->next;
		waitq_free(p);
	}
	free(queue->key);
	free(queue);
	return 0;
}

void waitq_destroy(struct waitq *q)
{
	hmap_for_each(&q->queues, free_queue, NULL);
	hmap_free(&q->queues);
	hmap_free(&q->by_req);
	for (struct pending *p = q->retry_head, *next; p; p = next) {
		next = p->next;
		waitq_free(p);
	}
}

void op_free(struct op *op)
{
	if (!op)
		return;
	free(op->name);
	free(op->value);
	free(op);
}

struct pending *waitq_new(struct op *op)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->op = op;
	p->tid = op->tid;
	p->deadline = INFINITY;
	return p;
}

void waitq_free(struct pending *p)
{
	if (!p)
		return;
	op_free(p->op);
	free(p->key);
	free(p);
}

static uint64_t key_hash(const char *key)
{
	return hmap_hash_bytes(key, strlen(key));
}

struct queue *waitq_find(struct waitq *q, const char *key)
{
	for (struct hmap_link *l = hmap_first(&q->queues, key_hash(key)); l; l = hmap_next(l)) {
		struct queue *queue = hmap_entry(l, struct queue, link);

		if (strcmp(queue->key, key) == 0)
			return queue;
	}
	return NULL;
}

struct queue *waitq_queue_for(struct waitq *q, const char *key)
{
	struct queue *queue = waitq_find(q, key);

	if (queue)
		return queue;
	queue = calloc(1, sizeof(*queue));
	if (!queue)
		return NULL;
	queue->key = strdup(key);
	if (!queue->key) {
		free(queue);
		return NULL;
	}
	hmap_insert(&q->queues, &queue->link, key_hash(key));
	return queue;
}

static void track_request(struct waitq *q, struct pending *p)
{
	hmap_insert(&q->by_req, &p->by_req, hmap_hash_u64((uintptr_t)p->op->req));
}

static void untrack_request(struct waitq *q, struct pending *p)
{
	if (p->op && waitq_by_req(q, p->op->req) == p)
		hmap_remove(&q->by_req, &p->by_req);
}

static void note_deadline(struct waitq *q, double when)
{
	if (when < q->next_deadline)
		q->next_deadline = when;
}

static void detach(struct waitq *q, struct pending *p);

/* The two doubly-linked lists (a key's queue, the retry list): add at the tail, unlink. */
static void list_append(struct pending **head, struct pending **tail, struct pending *p)
{
	p->next = NULL;
	p->prev = *tail;
	if (*tail)
		(*tail)->next = p;
	else
		*head = p;
	*tail = p;
}

static void list_unlink(struct pending **head, struct pending **tail, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		*head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		*tail = p->prev;
}

int waitq_enqueue(struct waitq *q, struct pending *p)
{
	struct queue *queue = waitq_queue_for(q, p->key);

	if (!queue)
		return -ENOMEM;
	if (p->state == PENDING_RETRY)
		detach(q, p);
	p->queue = queue;
	p->state = PENDING_WAITING;
	list_append(&queue->head, &queue->tail, p);
	queue->waiting++;
	q->waiting++;
	if (!waitq_by_req(q, p->op->req))
		track_request(q, p);
	note_deadline(q, p->deadline);
	return 0;
}

void waitq_retry_later(struct waitq *q, struct pending *p)
{
	p->state = PENDING_RETRY;
	p->queue = NULL;
	list_append(&q->retry_head, &q->retry_tail, p);
	if (!waitq_by_req(q, p->op->req))
		track_request(q, p);
	note_deadline(q, p->deadline);
}

/* Unlink p from its queue or the retry list (not from by_req). */
static void detach(struct waitq *q, struct pending *p)
{
	struct queue *queue = p->queue;

	if (p->state == PENDING_RETRY) {
		list_unlink(&q->retry_head, &q->retry_tail, p);
	} else if (queue && (p->state == PENDING_WAITING || p->state == PENDING_PARKED)) {
		list_unlink(&queue->head, &queue->tail, p);
		if (p->state == PENDING_WAITING) {
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
	}
	p->prev = p->next = NULL;
	p->queue = NULL;
}

struct pending *waitq_head(const struct queue *queue)
{
	for (struct pending *p = queue ? queue->head : NULL; p; p = p->next)
		if (p->state == PENDING_WAITING)
			return p;
	return NULL;
}

struct pending *waitq_parked(const struct queue *queue, pid_t tid)
{
	for (struct pending *p = queue ? queue->head : NULL; p; p = p->next)
		if (p->state == PENDING_PARKED && p->tid == tid && tid > 0)
			return p;
	return NULL;
}

struct pending *waitq_by_req(struct waitq *q, fuse_req_t req)
{
	uint64_t hash = hmap_hash_u64((uintptr_t)req);

	for (struct hmap_link *l = hmap_first(&q->by_req, hash); l; l = hmap_next(l)) {
		struct pending *p = hmap_entry(l, struct pending, by_req);

		if (p->op && p->op->req == req)
			return p;
	}
	return NULL;
}

unsigned waitq_waiting(struct waitq *q, const char *key)
{
	struct queue *queue = waitq_find(q, key);

	return queue ? queue->waiting : 0;
}

void waitq_answer(struct pending *p)
{
	fuse_req_t req = p->op->req;

	if (p->result == 0 && p->acquire) {
		struct fuse_file_info fi = p->op->fi;

		fi.direct_io = 1;
		fi.keep_cache = 0;
		fi.fh = 1;
		fuse_reply_open(req, &fi);
	} else {
		fuse_reply_err(req, -p->result);
	}
	waitq_free(p);
}

void waitq_finish(struct waitq *q, struct pending *p)
{
	untrack_request(q, p);
	detach(q, p);
	waitq_free(p);
}

static struct waitq_failure *find_note(struct waitq *q, pid_t tid, uint64_t hash)
{
	for (unsigned i = 0; i < WAITQ_FAILURES; i++) {
		struct waitq_failure *f = &q->failures[i];

		if (f->tid == tid && f->key_hash == hash && f->note)
			return f;
	}
	return NULL;
}

void waitq_note(struct waitq *q, pid_t tid, const char *key, int note, double now)
{
	uint64_t hash = key_hash(key);
	struct waitq_failure *f = find_note(q, tid, hash);

	if (tid <= 0)
		return;
	if (!f)
		f = &q->failures[q->next_failure++ % WAITQ_FAILURES];
	f->tid = tid;
	f->key_hash = hash;
	f->note = note;
	f->when = now;
}

int waitq_recall(struct waitq *q, pid_t tid, const char *key, double now)
{
	struct waitq_failure *f = tid > 0 ? find_note(q, tid, key_hash(key)) : NULL;

	return f && now - f->when < 1.0 ? f->note : 0;
}

void waitq_unnote(struct waitq *q, pid_t tid, const char *key)
{
	struct waitq_failure *f = tid > 0 ? find_note(q, tid, key_hash(key)) : NULL;

	if (f)
		f->note = 0;
}

void waitq_decide(struct waitq *q, struct pending *p, int result)
{
	if (p->acquire && result == -ETIMEDOUT && p->key)
		waitq_note(q, p->tid, p->key, result, lockfs_clock());
	untrack_request(q, p);
	detach(q, p);
	p->state = PENDING_DECIDED;
	p->result = result;
	if (p->registered)
		waitq_answer(p);
}

void waitq_park(struct waitq *q, struct pending *p, double until)
{
	untrack_request(q, p);
	op_free(p->op);
	p->op = NULL;
	p->state = PENDING_PARKED;
	p->parked_until = until;
	p->queue->waiting--;
	q->waiting--;
	q->parked++;
	note_deadline(q, until);
}

void waitq_resume(struct waitq *q, struct pending *p, struct op *op)
{
	p->op = op;
	p->registered = false;
	p->state = PENDING_WAITING;
	p->queue->waiting++;
	q->waiting++;
	q->parked--;
	track_request(q, p);
	note_deadline(q, p->deadline); /* the watch thread may have stopped counting it */
}

bool waitq_registered(struct waitq *q, struct pending *p)
{
	p->registered = true;
	if (p->state != PENDING_DECIDED)
		return false;
	waitq_answer(p);
	return true;
}
