/*
 * etcd_client.h — etcd v3's JSON gateway over HTTP/1.1, for one thread.
 *
 * A client is one keep-alive connection (a libcurl easy handle) and the
 * cluster's member URLs.  Every call is a POST of a JSON body to a
 * /v3/... path; keys and values travel base64-encoded and int64 fields
 * come back as strings (etcd_int reads both).  A member that cannot be
 * reached, or cannot serve (no leader), is left for the next one, round
 * after round until the timeout has passed; the client stays with the
 * member that answered.
 *
 * Returns: 0, or a negative errno:
 *   -ETIMEDOUT   no member answered within the timeout
 *   -EINPROGRESS the request may have been carried out: a member took it and
 *                then failed or timed out (only for calls that are not
 *                safe to repeat; the caller settles it by reading back)
 *   -ENOENT      etcd said "not found" (a lease that has expired)
 *   -EINVAL      etcd refused the request (HTTP 400)
 *   -EIO         anything else (a reply that is not JSON, HTTP 5xx...)
 */
#ifndef LOCKFS_ETCD_CLIENT_H
#define LOCKFS_ETCD_CLIENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_MEMBERS_MAX 16

struct etcd_config {
	char *urls[ETCD_MEMBERS_MAX]; /* "http://host:port", without a trailing '/' */
	size_t url_count;
	unsigned timeout_ms; /* one request, over every member tried */
};

/*
 * Parse "URL[,URL...]" into cfg (urls owned by cfg).  -EINVAL with the
 * offending URL copied to bad (cap bytes) when one is not http://host:port.
 */
int etcd_config_parse(const char *list, struct etcd_config *cfg, char *bad, size_t cap);
void etcd_config_clear(struct etcd_config *cfg);

struct etcd_client;

/* A client over cfg (which must outlive it): 0 or -ENOMEM. */
int etcd_client_new(const struct etcd_config *cfg, struct etcd_client **out);
void etcd_client_free(struct etcd_client *c);

/*
 * POST body (JSON text) to path, e.g. "/v3/kv/range".  On 0, *reply is the
 * parsed answer (json_object_put it).  With repeatable, a member that took
 * the request and failed is left for the next one too; without, that is
 * -EINPROGRESS.
 */
int etcd_call(struct etcd_client *c, const char *path, const char *body, bool repeatable,
	      json_object **reply);

/*
 * A streaming call (/v3/watch): body is sent, and line is called with each
 * JSON object the stream carries until it returns non-zero, *stop becomes
 * true (looked at least once a second), or the stream ends.  Returns what
 * line returned, 0 when stopped, or a negative errno when the stream broke.
 */
typedef int (*etcd_line_fn)(void *ctx, json_object *obj);
int etcd_stream(struct etcd_client *c, const char *path, const char *body, etcd_line_fn line,
		void *ctx, const volatile bool *stop);

/*
 * Whether the cluster answers, as the calls find it: a call that no member
 * answered within the timeout says false, a call answered says true.  fn
 * (NULL: nobody) is told of each change, once, from the thread that saw
 * it.  One cluster per process.
 */
typedef void (*etcd_reach_fn)(bool answering, const struct etcd_config *cfg);
void etcd_on_reach(etcd_reach_fn fn);
void etcd_reach(const struct etcd_config *cfg, bool answering);

/*
 * Whether url answers as an etcd member's client URL, asked once on its
 * own: 0 (it does, or it is etcd that cannot serve now), -ETIMEDOUT (no
 * answer within timeout_ms: down, or not there), -EPROTO (it answered, not
 * as etcd: a member's peer port answers 404), or -ENOMEM.  *status is the
 * HTTP status of its answer (0: none).
 */
int etcd_probe(const char *url, unsigned timeout_ms, long *status);

/* base64 of n bytes (malloc'd, NUL-terminated), or NULL. */
char *etcd_base64(const void *data, size_t n);

/* Decode base64 text into a malloc'd buffer (NUL-terminated, *n bytes): 0 or -EINVAL/-ENOMEM. */
int etcd_unbase64(const char *text, uint8_t **out, size_t *n);

/* An int64 field of obj ("123" or 123); 0 when absent. */
int64_t etcd_int(json_object *obj, const char *field);

/* obj's field as text ("" when absent). */
const char *etcd_text(json_object *obj, const char *field);

#endif
