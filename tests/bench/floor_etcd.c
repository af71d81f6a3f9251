/*
 * floor_etcd.c — the etcd part of the etcd pair's floor: the two
 * transactions an acquire+release needs, from a plain C client over one
 * keep-alive connection, with nothing else.
 *
 *   floor_etcd URL[,URL...] PREFIX N     prints us_per_pair=...
 *
 * Acquire: a txn that puts PREFIX/floor if its create_revision is 0 (else
 * reads it).  Release: a txn that deletes it if its mod_revision is still
 * the one the put made.
 */
#include "etcd_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[])
{
	struct etcd_config cfg;
	struct etcd_client *c;
	char bad[256], key[512], *k64, *v64, body[4096];
	const char *value = "{\"owner\":\"1-1\",\"count\":1}";
	double start;
	int n;

	if (argc != 4 || etcd_config_parse(argv[1], &cfg, bad, sizeof(bad)) < 0) {
		fprintf(stderr, "usage: floor_etcd URL[,URL...] PREFIX N\n");
		return 2;
	}
	n = atoi(argv[3]);
	if (etcd_client_new(&cfg, &c) < 0)
		return 1;
	snprintf(key, sizeof(key), "%s/floor", argv[2]);
	k64 = etcd_base64(key, strlen(key));
	v64 = etcd_base64(value, strlen(value));
	start = now();
	for (int i = 0; i < n; i++) {
		json_object *reply;
		int64_t revision;

		snprintf(
		    body, sizeof(body),
		    "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\",\"create_revision\":\"0\","
		    "\"result\":\"EQUAL\"}],\"success\":[{\"request_put\":{\"key\":\"%s\","
		    "\"value\":\"%s\"}}],\"failure\":[{\"request_range\":{\"key\":\"%s\"}}]}",
		    k64, k64, v64, k64);
		if (etcd_call(c, "/v3/kv/txn", body, false, &reply) < 0)
			return 1;
		revision = etcd_int(json_object_object_get(reply, "header"), "revision");
		json_object_put(reply);
		snprintf(
		    body, sizeof(body),
		    "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"mod_revision\":\"%lld\","
		    "\"result\":\"EQUAL\"}],\"success\":[{\"request_delete_range\":{\"key\":\"%s\"}"
		    "}]}",
		    k64, (long long)revision, k64);
		if (etcd_call(c, "/v3/kv/txn", body, false, &reply) < 0)
			return 1;
		json_object_put(reply);
	}
	printf("us_per_pair=%.1f\n", (now() - start) * 1e6 / n);
	free(k64);
	free(v64);
	etcd_client_free(c);
	etcd_config_clear(&cfg);
	return 0;
}
