/*
 * pickle.h — the closed subset of Python's pickle format that lock rows use.
 *
 * typed_diskcache stores keys and values with pickle.  lockfs writes exactly
 * two shapes, byte for byte as CPython's pickle.dumps(..., protocol=5) does:
 * a str (the key) and a (str, int) tuple (an RLock's owner and count).  It
 * reads protocols 2 to 5 but only the opcodes those shapes and plain ints or
 * None use; every other byte string is "other data".  The decoder never runs
 * or trusts the bytes and never reads past the buffer it is given.
 */
#ifndef LOCKFS_PICKLE_H
#define LOCKFS_PICKLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum pickle_kind {
	PICKLE_OTHER = 0, /* anything outside the subset, or malformed */
	PICKLE_NONE,      /* None */
	PICKLE_STR,       /* a str: text, text_len */
	PICKLE_INT,       /* an int that fits in int64_t: number */
	PICKLE_OWNER,     /* a (str, int) tuple: text, text_len, number */
};

struct pickle_value {
	enum pickle_kind kind;
	const char *text; /* points into the decoded buffer; not NUL-terminated */
	size_t text_len;
	int64_t number;
};

/*
 * Encode v exactly as CPython's pickle.dumps(..., protocol=5) would: a str
 * (valid UTF-8 text), None, an int, or an (owner, count) tuple.  Returns the
 * number of bytes written, -ENOSPC when cap is too small (see
 * pickle_encoded_size), -E2BIG for text of 64 KiB or more, -EINVAL for
 * PICKLE_OTHER.
 */
ssize_t pickle_encode(const struct pickle_value *v, uint8_t *out, size_t cap);

/* Bytes pickle_encode needs for v (0 for PICKLE_OTHER). */
size_t pickle_encoded_size(const struct pickle_value *v);

/* Shorthand: encode a str key. */
ssize_t pickle_encode_str(const char *text, size_t text_len, uint8_t *out, size_t cap);

/* Shorthand: encode an (owner, count) tuple. */
ssize_t pickle_encode_owner(const char *owner, size_t owner_len, int64_t count, uint8_t *out,
			    size_t cap);

/*
 * Decode buf[0..len) into *v.  Returns 0 when it is one of the shapes above,
 * or -EINVAL with v->kind == PICKLE_OTHER for anything else.
 */
int pickle_decode(const uint8_t *buf, size_t len, struct pickle_value *v);

#endif
