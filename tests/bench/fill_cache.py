#!/usr/bin/python3
"""fill_cache.py — give a typed_diskcache cache data rows, as typed_diskcache writes them.

    fill_cache.py DB ROWS      prints "count=<metadata count>"

Adds ROWS rows to the cache table of DB (an existing typed_diskcache cache,
e.g. a copy of tests/fixtures/typed-diskcache/empty-eviction-none/cache.db):
key = pickle.dumps(str, protocol=5), raw = 0, value = pickle.dumps(a small
dict, protocol=5), mode = 3 (pickled value), store_time = access_time = now,
expire_time and filepath NULL, access_count 0, size 0.  Plain INSERTs, in one
transaction, so typed_diskcache's metadata triggers keep the count row true;
exits 1 unless that count is ROWS more than before.  No key is a str that
scripts/bench's clients use ("pair", ...): every key starts with "data/".
"""
import pickle
import sqlite3
import sys
import time


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: fill_cache.py DB ROWS\n")
        return 2
    path, rows = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA temp_store = MEMORY")
    count = "SELECT value FROM metadata WHERE key = 'count'"
    before = db.execute(count).fetchone()[0]
    now = time.time()

    def row(i):
        key = pickle.dumps("data/user/%d/profile" % i, protocol=5)
        value = pickle.dumps({"id": i, "name": "user %d" % i, "score": i * 0.5,
                              "active": i % 3 != 0}, protocol=5)
        return (key, now, now, value)

    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO cache (key, raw, store_time, access_time, expire_time, "
                   "filepath, value, mode, access_count, size) "
                   "VALUES (?, 0, ?, ?, NULL, NULL, ?, 3, 0, 0)",
                   (row(i) for i in range(rows)))
    db.execute("COMMIT")
    after = db.execute(count).fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print("count=%d" % after)
    if after != before + rows:
        sys.stderr.write("fill_cache.py: metadata count is %d, want %d\n" % (after, before + rows))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
