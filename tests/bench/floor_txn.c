/* floor_txn.c — the two etcd transactions of a lock pair at their least (floor_txn.h). */
#include "floor_txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int floor_lock_open(struct floor_lock *l, const char *urls, const char *prefix)
{
	char bad[256], key[512];
	const char *value = "{\"owner\":\"1-1\",\"count\":1}";

	memset(l, 0, sizeof(*l));
	if (etcd_config_parse(urls, &l->cfg, bad, sizeof(bad)) < 0) {
		fprintf(stderr, "floor: %s\n", bad);
		return -1;
	}
	if (etcd_client_new(&l->cfg, &l->client) < 0) {
		etcd_config_clear(&l->cfg);
		return -1;
	}
	snprintf(key, sizeof(key), "%s/floor", prefix);
	l->key64 = etcd_base64(key, strlen(key));
	l->value64 = etcd_base64(value, strlen(value));
	return 0;
}

void floor_lock_close(struct floor_lock *l)
{
	free(l->key64);
	free(l->value64);
	etcd_client_free(l->client);
	etcd_config_clear(&l->cfg);
}

/* Send one transaction; its revision into *revision when not NULL.  0, or -1. */
static int txn(struct floor_lock *l, const char *body, int64_t *revision)
{
	json_object *reply;

	if (etcd_call(l->client, "/v3/kv/txn", body, false, &reply) < 0)
		return -1;
	if (revision)
		*revision = etcd_int(json_object_object_get(reply, "header"), "revision");
	json_object_put(reply);
	return 0;
}

int floor_lock_acquire(struct floor_lock *l)
{
	char body[4096];

	snprintf(body, sizeof(body),
		 "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\",\"create_revision\":\"0\","
		 "\"result\":\"EQUAL\"}],\"success\":[{\"request_put\":{\"key\":\"%s\","
		 "\"value\":\"%s\"}}],\"failure\":[{\"request_range\":{\"key\":\"%s\"}}]}",
		 l->key64, l->key64, l->value64, l->key64);
	return txn(l, body, &l->revision);
}

int floor_lock_release(struct floor_lock *l)
{
	char body[4096];

	snprintf(body, sizeof(body),
		 "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"mod_revision\":\"%lld\","
		 "\"result\":\"EQUAL\"}],\"success\":[{\"request_delete_range\":{\"key\":\"%s\"}"
		 "}]}",
		 l->key64, (long long)l->revision, l->key64);
	return txn(l, body, NULL);
}
