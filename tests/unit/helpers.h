/*
 * helpers.h — shared plumbing for the cmocka unit tests: temporary cache
 * directories, fixture copies, and a second SQLite connection that looks
 * at the database the way an outside client would.
 */
#ifndef LOCKFS_TEST_HELPERS_H
#define LOCKFS_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

/* Directory of the typed_diskcache fixtures (from LOCKFS_FIXTURES). */
const char *fixtures_dir(void);

/* Make a fresh temporary directory; the caller removes it with remove_tree. */
char *make_temp_dir(void);

/* rm -rf path, then free it. */
void remove_tree(char *path);

/* Copy fixture directory name (e.g. "locks") into a new temporary directory. */
char *copy_fixture(const char *name);

/* Read a whole file into a malloc'd buffer; *len gets its size. */
uint8_t *read_file(const char *path, size_t *len);

/* Write bytes to path (created or truncated). */
void write_file(const char *path, const void *data, size_t len);

/* Open dir/cache.db with a plain connection (the "outside client"). */
sqlite3 *open_outside(const char *dir);

/* Run sql (no rows) on db and assert it succeeded. */
void sql_exec(sqlite3 *db, const char *sql);

/* First column of the first row of sql as an integer (asserts a row exists). */
int64_t sql_int(sqlite3 *db, const char *sql);

/* First column of the first row as text, malloc'd ("" for NULL). */
char *sql_text(sqlite3 *db, const char *sql);

/* Every row of sql, columns joined with '|', rows with '\n'; malloc'd. */
char *sql_dump(sqlite3 *db, const char *sql);

/* Decode a hex string into out; returns the number of bytes. */
size_t hex_decode(const char *hex, uint8_t *out, size_t cap);

#endif
