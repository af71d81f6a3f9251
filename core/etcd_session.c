/*
 * etcd_session.c — the etcd store's two threads: the keepalive of the
 * session lease (and the leases of locks with a TTL), and the watch
 * stream that tells of changes made by other machines.
 */
#include "etcd_store_int.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define RETRY_PAUSE 0.5 /* seconds between tries to renew the session while none answers */

/* The TTL of a lock's own lease: etcd drops the key a second after it expires. */
int64_t etcd_lease_ttl(double seconds)
{
	int64_t ttl = (int64_t)ceil(seconds) + 1;

	return ttl < 2 ? 2 : ttl;
}

int etcd_grant_lease(struct etcd_store *es, int64_t ttl, int64_t *lease)
{
	json_object *req = json_object_new_object(), *reply = NULL;
	int rc;

	json_object_object_add(req, "TTL", json_object_new_int64(ttl));
	rc = etcd_unreachable(etcd_post(es->client, "/v3/lease/grant", req, true, &reply));
	if (rc == 0)
		*lease = etcd_int(reply, "ID");
	json_object_put(reply);
	return rc == 0 && !*lease ? -EIO : rc;
}

/*
 * POST lease's ID to path: 1 when the answer (its part within, if named)
 * gives it time left, 0 when not, or -errno.
 */
static int lease_call(struct etcd_client *c, const char *path, int64_t lease, const char *within)
{
	json_object *req = json_object_new_object(), *reply = NULL;
	int rc;

	json_object_object_add(req, "ID", etcd_json_int(lease));
	rc = etcd_post(c, path, req, true, &reply);
	if (rc == 0)
		rc = etcd_int(within ? json_object_object_get(reply, within) : reply, "TTL") > 0;
	json_object_put(reply);
	return rc;
}

/* Renew lease to the TTL it was granted with: 1 renewed, 0 gone, or -errno. */
int etcd_keep_alive(struct etcd_client *c, int64_t lease)
{
	return lease_call(c, "/v3/lease/keepalive", lease, "result");
}

int etcd_lease_alive(struct etcd_client *c, int64_t lease)
{
	return lease_call(c, "/v3/lease/timetolive", lease, NULL);
}

/* --- the session lease and the watch ------------------------------------- */

/* Sleep until the store stops or seconds pass: true when stopping. */
static bool rest(struct etcd_store *es, double seconds)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - floor(seconds)) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&es->stop_lock);
	while (!es->stop && pthread_cond_timedwait(&es->stop_cond, &es->stop_lock, &until) == 0)
		;
	stop = es->stop;
	pthread_mutex_unlock(&es->stop_lock);
	return stop;
}

int etcd_grant_session(struct etcd_client *c, unsigned ttl, int64_t *lease)
{
	json_object *req = json_object_new_object(), *reply = NULL;
	int rc;

	json_object_object_add(req, "TTL", json_object_new_int64(ttl));
	rc = etcd_post(c, "/v3/lease/grant", req, true, &reply);
	*lease = rc == 0 ? etcd_int(reply, "ID") : 0;
	json_object_put(reply);
	return rc == 0 && !*lease ? -EIO : rc;
}

/*
 * Renew the session every third of its TTL.  A lease etcd no longer knows
 * (this machine was cut off for longer than the TTL) is replaced: what
 * rode on it is gone already, and the watch tells the rest of lockfs.
 */
void *etcd_keepalive_main(void *arg)
{
	struct etcd_store *es = arg;
	struct etcd_client *c;

	if (etcd_client_new(&es->opts.cluster, &c) < 0)
		return NULL;
	double pause = es->opts.session_ttl / 3.0;

	while (!rest(es, pause)) {
		int64_t lease;
		int rc = etcd_keep_alive(c, atomic_load(&es->lease));

		if (rc == 0 && etcd_grant_session(c, es->opts.session_ttl, &lease) == 0)
			atomic_store(&es->lease, lease);
		/* No answer: try again soon, not a third of the TTL later. */
		pause = rc < 0 ? RETRY_PAUSE : es->opts.session_ttl / 3.0;
	}
	etcd_client_free(c);
	return NULL;
}

static int on_watch_line(void *ctx, json_object *obj)
{
	struct etcd_store *es = ctx;
	json_object *result = json_object_object_get(obj, "result"), *events;
	int64_t revision = etcd_int(json_object_object_get(result, "header"), "revision");
	unsigned spaces = 0; /* where others changed something */

	if (!result)
		return 0;
	if (json_object_get_boolean(json_object_object_get(result, "canceled")) ||
	    etcd_int(result, "compact_revision"))
		return -ESTALE; /* start again from now */
	if (json_object_get_boolean(json_object_object_get(result, "created"))) {
		atomic_store(&es->watching, true);
		etcd_moved(es, SPACES_ALL); /* whatever happened before it */
		return 0;
	}
	if (revision > es->start_revision)
		es->start_revision = revision;
	if (!json_object_object_get_ex(result, "events", &events))
		return 0;
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		json_object *kv =
		    json_object_object_get(json_object_array_get_idx(events, i), "kv");
		unsigned in = SPACES_ALL;
		uint8_t *key;
		size_t n;

		if (etcd_unbase64(etcd_text(kv, "key"), &key, &n) == 0) {
			if (!memchr(key, 0, n))
				in = etcd_spaces_of(es, (const char *)key, NULL);
			free(key);
		}
		if (etcd_foreign_change(es, etcd_int(kv, "mod_revision"), in))
			spaces |= in;
	}
	/* Our own commits wake nobody: the daemon knows what it wrote. */
	if (spaces)
		etcd_moved(es, spaces);
	return 0;
}

void *etcd_watch_main(void *arg)
{
	struct etcd_store *es = arg;
	struct etcd_client *c;
	char *start = NULL, *end = NULL, *all;

	if (etcd_client_new(&es->opts.cluster, &c) < 0)
		return NULL;
	/*
	 * From P/dirs/ to the end of P/: directories, locks and the line.  The
	 * daemons' fences (P/daemons/), which every transaction moves, sort
	 * before it and are not watched.
	 */
	if (asprintf(&start, "%s/dirs/", es->prefix) < 0)
		start = NULL;
	if (start && asprintf(&all, "%s/", es->prefix) >= 0) {
		end = etcd_prefix_end(all);
		free(all);
	}
	if (!start || !end)
		goto out;
	while (!es->stop) {
		json_object *req = json_object_new_object(), *create = json_object_new_object();
		const char *body;

		json_object_object_add(create, "key", etcd_json_base64(start, strlen(start)));
		json_object_object_add(create, "range_end", etcd_json_base64(end, strlen(end)));
		if (es->start_revision)
			json_object_object_add(create, "start_revision",
					       etcd_json_int(es->start_revision + 1));
		json_object_object_add(req, "create_request", create);
		body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
		if (etcd_stream(c, "/v3/watch", body, on_watch_line, es, &es->stop) == -ESTALE)
			es->start_revision = 0;
		json_object_put(req);
		atomic_store(&es->watching, false);
		etcd_wake(es); /* look at everything again */
		if (rest(es, 0.2))
			break;
	}
out:
	free(start);
	free(end);
	etcd_client_free(c);
	return NULL;
}
