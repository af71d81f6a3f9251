/*
 * name.h — which strings can be file names and which keys can be shown.
 *
 * A lock's key is a Python str; a key with '/' is shown as a path.  These
 * checks decide what the filesystem can show and what a caller may create.
 */
#ifndef LOCKFS_NAME_H
#define LOCKFS_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_BYTES 255 /* one path component, in UTF-8 bytes */
#define KEY_MAX_BYTES 4000 /* a whole key; leaves room for a mountpoint */

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool name_utf8_valid(const char *s, size_t len);

/*
 * Check one path component that a caller asks for.  Returns 0, or
 * -ENAMETOOLONG (more than NAME_MAX_BYTES), -EILSEQ (not UTF-8), -EINVAL
 * (empty, ".", "..", or holding '/' or NUL).
 */
int name_check_component(const char *name, size_t len);

/*
 * True when key[0..len) can be shown as a path: valid UTF-8, no NUL, not
 * starting or ending with '/', every component a valid name.
 */
bool name_key_showable(const char *key, size_t len);

/*
 * Write dir + "/" + name (or just name when dir is empty) to out, NUL
 * terminated.  Returns the length, or -ENAMETOOLONG past KEY_MAX_BYTES.
 */
int name_join(const char *dir, const char *name, size_t name_len, char *out, size_t cap);

/* Write the directory part of key to out: "a/b/c" -> "a/b", "c" -> "". */
void name_dir_of(const char *key, char *out, size_t cap);

#endif
