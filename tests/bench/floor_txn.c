/* floor_txn.c — the two etcd transactions of a lock pair (floor_txn.h). */
#include "floor_txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A lock's JSON as lockfs writes it for a process's open (its length is what matters). */
static const char LOCKFS_VALUE[] =
    "{\"owner\":\"17595-17595\",\"count\":1,\"mode\":\"exclusive\",\"tags\":\"\","
    "\"acquired\":1795752065.1711843,\"uid\":0,\"gid\":0,\"pid\":17595,"
    "\"start_time\":\"5232458\",\"comm\":\"lockbench\",\"host\":\"vm\",\"bound\":\"\","
    "\"instance\":\"vm 17579 5232267\",\"write\":\"vm 17579 5232267 65\"}";

/* Send one transaction; its revision into *revision when not NULL.  0, or -1. */
static int txn(struct floor_lock *l, const char *body, int64_t *revision)
{
	json_object *reply;
	int rc = 0;

	if (etcd_call(l->client, "/v3/kv/txn", body, false, &reply) < 0)
		return -1;
	if (!json_object_get_boolean(json_object_object_get(reply, "succeeded")))
		rc = -1; /* another client on the key, or a fence moved by hand */
	else if (revision)
		*revision = etcd_int(json_object_object_get(reply, "header"), "revision");
	json_object_put(reply);
	return rc;
}

static int ignore_line(void *ctx, json_object *obj)
{
	(void)ctx;
	(void)obj;
	return 0;
}

static void *watch_main(void *arg)
{
	struct floor_lock *l = arg;

	while (!l->stop)
		etcd_stream(l->watch_client, "/v3/watch", l->watch_body, ignore_line, NULL, &l->stop);
	return NULL;
}

/* The fence, its watch stream: 0 or -1. */
static int open_as_lockfs(struct floor_lock *l, const char *prefix)
{
	char fence[512], start[512], end[512], body[2048];
	char *start64, *end64, *open64 = etcd_base64("open", 4);

	/* As long as a daemon's fence key (host, pid, start time, boot id, pid namespace). */
	snprintf(fence, sizeof(fence),
		 "%s/daemons/vm 17579 5232267 a160e78d-7616-4dbb-b709-12e7733543fe.4026531836",
		 prefix);
	l->fence64 = etcd_base64(fence, strlen(fence));
	snprintf(start, sizeof(start), "%s/waiters/floor//", prefix);
	snprintf(end, sizeof(end), "%s/waiters/floor/0", prefix);
	l->line64 = etcd_base64(start, strlen(start));
	l->line_end64 = etcd_base64(end, strlen(end));
	snprintf(start, sizeof(start), "%s/locks/", prefix);
	snprintf(end, sizeof(end), "%s/locks0", prefix);
	start64 = etcd_base64(start, strlen(start));
	end64 = etcd_base64(end, strlen(end));
	if (!l->fence64 || !l->line64 || !l->line_end64 || !start64 || !end64) {
		free(start64);
		free(end64);
		free(open64);
		return -1;
	}
	snprintf(body, sizeof(body),
		 "{\"create_request\":{\"key\":\"%s\",\"range_end\":\"%s\"}}", start64, end64);
	free(start64);
	free(end64);
	l->watch_body = strdup(body);
	snprintf(body, sizeof(body),
		 "{\"compare\":[],\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}]}",
		 l->fence64, open64 ? open64 : "");
	free(open64);
	if (!l->watch_body || txn(l, body, &l->fence_revision) < 0 ||
	    etcd_client_new(&l->cfg, &l->watch_client) < 0)
		return -1;
	if (pthread_create(&l->watcher, NULL, watch_main, l) != 0)
		return -1;
	l->watching = true;
	return 0;
}

int floor_lock_open(struct floor_lock *l, const char *urls, const char *prefix, bool as_lockfs)
{
	char bad[256], key[512];
	const char *value = as_lockfs ? LOCKFS_VALUE : "{\"owner\":\"1-1\",\"count\":1}";

	memset(l, 0, sizeof(*l));
	if (etcd_config_parse(urls, &l->cfg, bad, sizeof(bad)) < 0) {
		fprintf(stderr, "floor: %s\n", bad);
		return -1;
	}
	if (etcd_client_new(&l->cfg, &l->client) < 0) {
		etcd_config_clear(&l->cfg);
		return -1;
	}
	snprintf(key, sizeof(key), as_lockfs ? "%s/locks/floor" : "%s/floor", prefix);
	l->key64 = etcd_base64(key, strlen(key));
	l->value64 = etcd_base64(value, strlen(value));
	l->as_lockfs = as_lockfs;
	if (as_lockfs && open_as_lockfs(l, prefix) < 0) {
		fprintf(stderr, "floor: no fence or watch on %s\n", urls);
		floor_lock_close(l);
		return -1;
	}
	return 0;
}

void floor_lock_close(struct floor_lock *l)
{
	if (l->watching) {
		l->stop = true;
		pthread_join(l->watcher, NULL);
	}
	if (l->watch_client)
		etcd_client_free(l->watch_client);
	free(l->watch_body);
	free(l->fence64);
	free(l->line64);
	free(l->line_end64);
	free(l->key64);
	free(l->value64);
	etcd_client_free(l->client);
	etcd_config_clear(&l->cfg);
}

/* The fence's compare, put and failure read, as lockfs adds them ("" without a fence). */
static void fence_parts(struct floor_lock *l, char *compare, char *put, char *failure, size_t cap)
{
	char mark[64], *mark64;

	compare[0] = put[0] = failure[0] = '\0';
	if (!l->as_lockfs)
		return;
	snprintf(mark, sizeof(mark), "txn %llu", (unsigned long long)++l->marks);
	mark64 = etcd_base64(mark, strlen(mark));
	snprintf(compare, cap,
		 ",{\"key\":\"%s\",\"result\":\"EQUAL\",\"target\":\"MOD\",\"mod_revision\":\"%lld\"}",
		 l->fence64, (long long)l->fence_revision);
	snprintf(put, cap, ",{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}", l->fence64,
		 mark64 ? mark64 : "");
	snprintf(failure, cap, ",\"failure\":[{\"request_range\":{\"key\":\"%s\"}}]", l->fence64);
	free(mark64);
}

int floor_lock_acquire(struct floor_lock *l)
{
	char body[4096], compare[512], put[512], failure[512];
	int rc;

	fence_parts(l, compare, put, failure, sizeof(compare));
	if (l->as_lockfs)
		snprintf(body, sizeof(body),
			 "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\",\"create_revision\":"
			 "\"0\",\"result\":\"EQUAL\"},{\"key\":\"%s\",\"range_end\":\"%s\","
			 "\"target\":\"MOD\",\"result\":\"LESS\",\"mod_revision\":\"%lld\"}%s],"
			 "\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}%s]%s}",
			 l->key64, l->line64, l->line_end64, (long long)l->fence_revision + 1, compare,
			 l->key64, l->value64, put, failure);
	else
		snprintf(body, sizeof(body),
			 "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\",\"create_revision\":"
			 "\"0\",\"result\":\"EQUAL\"}],\"success\":[{\"request_put\":{\"key\":\"%s\","
			 "\"value\":\"%s\"}}],\"failure\":[{\"request_range\":{\"key\":\"%s\"}}]}",
			 l->key64, l->key64, l->value64, l->key64);
	rc = txn(l, body, &l->revision);
	l->fence_revision = l->revision;
	return rc;
}

int floor_lock_release(struct floor_lock *l)
{
	char body[4096], compare[512], put[512], failure[512];
	int64_t revision = 0;
	int rc;

	fence_parts(l, compare, put, failure, sizeof(compare));
	snprintf(body, sizeof(body),
		 "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"mod_revision\":\"%lld\","
		 "\"result\":\"EQUAL\"}%s],\"success\":[{\"request_delete_range\":{\"key\":\"%s\"}"
		 "}%s]%s}",
		 l->key64, (long long)l->revision, compare, l->key64, put, failure);
	rc = txn(l, body, &revision);
	l->fence_revision = revision;
	return rc;
}
