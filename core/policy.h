/*
 * policy.h — timeout, TTL and tags: their values, and where they come from.
 *
 * For an acquisition in directory D, each of the three is taken from the
 * nearest of D and its ancestors that sets it (lockfs_dir), else from the
 * mount's defaults.  Values are kept in lockfs_dir as canonical text.
 */
#ifndef LOCKFS_POLICY_H
#define LOCKFS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "caller.h"
#include "store.h"

#define TAG_MAX_BYTES 100

/* What an open for writing does in a directory (SPEC §5.1). */
enum policy_open {
	POLICY_OPEN_ACQUIRE = 0, /* acquires a lock held until unlink or expiry */
	POLICY_OPEN_BOUND,       /* acquires a lock released at the description's last close */
	POLICY_OPEN_NONE,        /* acquires nothing: only flock/fcntl/lockf lock */
};

struct policy {
	double timeout; /* seconds to wait; 0 = do not wait; INFINITY = forever */
	bool has_ttl;   /* false: new locks never expire */
	double ttl;
	char *tags; /* canonical ("a,b"), "" for none; owned, see policy_clear */
	enum policy_open open;
};

enum policy_field { POLICY_TIMEOUT, POLICY_TTL, POLICY_TAGS, POLICY_OPEN };

/* Parse an open mode: "acquire", "bound" or "none".  -EINVAL. */
int policy_parse_open(const char *text, size_t len, enum policy_open *mode);

/* The name of an open mode. */
const char *policy_open_name(enum policy_open mode);

/* Parse a timeout: a decimal number of seconds >= 0, or "inf".  -EINVAL. */
int policy_parse_timeout(const char *text, size_t len, double *seconds);

/* Parse a TTL: a decimal number of seconds, at least 0.000001, or "none".  -EINVAL. */
int policy_parse_ttl(const char *text, size_t len, bool *has_ttl, double *seconds);

/*
 * Parse a comma-separated tag list into its canonical form (sorted, no
 * duplicates), which the caller frees.  "" is the empty set.  -EINVAL for an
 * empty tag, a tag over TAG_MAX_BYTES, or one that is not UTF-8 text.
 */
int policy_parse_tags(const char *text, size_t len, char **canonical);

/* Format seconds as lockfs keeps them, to the microsecond: "10", "0.25", "inf". */
void policy_format_seconds(double seconds, char *out, size_t cap);

/*
 * Work out the policy for a new lock in directory dir ("" is the root):
 * nearest setting up the tree, else defaults.  out->tags is allocated.
 */
int policy_resolve(struct store *st, const char *dir, const struct policy *defaults,
		   struct policy *out);

/* Free out->tags. */
void policy_clear(struct policy *p);

/*
 * Directory attributes.  get: the value set on dir itself (not inherited),
 * -ENODATA when unset.  set: parse, then store (the directory becomes a
 * kept one).  remove: -ENODATA when unset.  Writing needs root or the
 * daemon's uid (-EPERM); bad values are -EINVAL.
 */
int policy_dir_get(struct store *st, const char *dir, enum policy_field field, char *out,
		   size_t cap);
int policy_dir_set(struct store *st, const char *dir, const struct caller *who,
		   enum policy_field field, const char *value, size_t len);
int policy_dir_remove(struct store *st, const char *dir, const struct caller *who,
		      enum policy_field field);

#endif
