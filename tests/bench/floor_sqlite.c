/*
 * floor_sqlite.c — the least the store can cost: one INSERT transaction and
 * one DELETE transaction (BEGIN IMMEDIATE ... COMMIT) of a lock row in
 * typed_diskcache's cache table (its indexes and triggers included), with
 * the cache's pragmas (WAL, synchronous=NORMAL) and lockfs's checkpoint
 * interval (10000 pages).  DB is an empty
 * typed_diskcache cache on the same filesystem as the measured one.
 *
 *   floor_sqlite DB PAIRS      prints "us_per_pair=<float>"
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void must(int rc, sqlite3 *db, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "floor_sqlite: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *insert, *delete;
	int pairs;
	double start;

	if (argc != 3) {
		fprintf(stderr, "usage: floor_sqlite DIR PAIRS\n");
		return 2;
	}
	pairs = atoi(argv[2]);
	snprintf(path, sizeof(path), "%s", argv[1]);
	must(sqlite3_open(path, &db), db, "open");
	must(sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
			      "PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 10000",
			  NULL, NULL, NULL),
	     db, "pragmas");
	must(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL), db, "prepare");
	must(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL), db, "prepare");
	/* The row lockfs writes for key "pair": (owner, 1), mode 3. */
	must(sqlite3_prepare_v2(db, "INSERT INTO cache (key, raw, store_time, access_time, value, "
				    "mode) VALUES (x'80059508000000000000008c0470616972942e', "
				    "0, 1.5, 1.5, x'8005950f000000000000008c07313233342d3536944b0186942e', 3)",
				-1, &insert, NULL),
	     db, "prepare");
	must(sqlite3_prepare_v2(db,
				"DELETE FROM cache WHERE key = x'80059508000000000000008c0470616972942e' "
				"AND raw = 0",
				-1, &delete, NULL),
	     db, "prepare");
	start = now();
	for (int i = 0; i < pairs; i++) {
		sqlite3_stmt *steps[] = {begin, insert, commit, begin, delete, commit};

		for (unsigned s = 0; s < 6; s++) {
			must(sqlite3_step(steps[s]), db, "step");
			sqlite3_reset(steps[s]);
		}
	}
	printf("us_per_pair=%.2f\n", (now() - start) * 1e6 / pairs);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(insert);
	sqlite3_finalize(delete);
	sqlite3_close(db);
	return 0;
}
