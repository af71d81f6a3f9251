/*
 * notify.c — a queue of deletions and the thread that hands them to the kernel.
 */
#include "notify.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct notice {
	struct notice *next;
	fuse_ino_t parent, ino;
	char name[];
};

static void *notifier_main(void *arg)
{
	struct notifier *n = arg;

	pthread_mutex_lock(&n->lock);
	while (!n->stopping) {
		struct notice *notice = n->head;

		if (!notice) {
			pthread_cond_wait(&n->wake, &n->lock);
			continue;
		}
		n->head = notice->next;
		if (!n->head)
			n->tail = NULL;
		pthread_mutex_unlock(&n->lock);
		/* ENOENT: the kernel had already forgotten the name; nothing to tell. */
		fuse_lowlevel_notify_delete(n->session, notice->parent, notice->ino, notice->name,
					    strlen(notice->name));
		free(notice);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

int notifier_start(struct notifier *n, struct fuse_session *session)
{
	int rc;

	memset(n, 0, sizeof(*n));
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->wake, NULL);
	n->session = session;
	rc = pthread_create(&n->thread, NULL, notifier_main, n);
	if (rc)
		return -rc;
	n->started = true;
	return 0;
}

void notifier_deleted(struct notifier *n, fuse_ino_t parent, fuse_ino_t ino, const char *name)
{
	size_t len = strlen(name);
	struct notice *notice = malloc(sizeof(*notice) + len + 1);

	if (!notice || !n->started) {
		free(notice);
		return; /* a hint, not a promise: dropping it is safe */
	}
	notice->next = NULL;
	notice->parent = parent;
	notice->ino = ino;
	memcpy(notice->name, name, len + 1);
	pthread_mutex_lock(&n->lock);
	if (n->tail)
		n->tail->next = notice;
	else
		n->head = notice;
	n->tail = notice;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
}

void notifier_stop(struct notifier *n)
{
	if (!n->started)
		return;
	pthread_mutex_lock(&n->lock);
	n->stopping = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	while (n->head) {
		struct notice *next = n->head->next;

		free(n->head);
		n->head = next;
	}
	n->tail = NULL;
	n->started = false;
	pthread_cond_destroy(&n->wake);
	pthread_mutex_destroy(&n->lock);
}
