/*
 * floor_etcd.c — the etcd part of the etcd pair's floor: the two
 * transactions of an acquire+release, from a plain C client over one
 * keep-alive connection, with nothing else.
 *
 *   floor_etcd [--as-lockfs] URL[,URL...] PREFIX N     prints us_per_pair=...
 *
 * The transactions are floor_txn.h's, on the key PREFIX/floor: with
 * --as-lockfs as lockfs sends them (the floor's), without it the least a
 * lock needs (for reference).
 */
#include "floor_txn.h"

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
	struct floor_lock lock;
	bool as_lockfs = argc > 1 && strcmp(argv[1], "--as-lockfs") == 0;
	double start;
	int n;

	argv += as_lockfs;
	argc -= as_lockfs;
	if (argc != 4) {
		fprintf(stderr, "usage: floor_etcd [--as-lockfs] URL[,URL...] PREFIX N\n");
		return 2;
	}
	n = atoi(argv[3]);
	if (floor_lock_open(&lock, argv[1], argv[2], as_lockfs) < 0)
		return 1;
	start = now();
	for (int i = 0; i < n; i++)
		if (floor_lock_acquire(&lock) < 0 || floor_lock_release(&lock) < 0) {
			fprintf(stderr, "floor_etcd: a transaction failed\n");
			floor_lock_close(&lock);
			return 1;
		}
	printf("us_per_pair=%.1f\n", (now() - start) * 1e6 / n);
	floor_lock_close(&lock);
	return 0;
}
