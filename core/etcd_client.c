/*
 * etcd_client.c — etcd's JSON gateway through libcurl and json-c.
 *
 * Why HTTP/1.1 and JSON: the gateway is part of every etcd v3 server and
 * needs nothing but libcurl and json-c (Debian packages), where gRPC would
 * need a code generator and a runtime of its own.  One easy handle keeps
 * its connection open between calls, so a call costs one round trip.
 */
#include "etcd_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ROUND_PAUSE_USEC 20000 /* after every member failed once */

struct buffer {
	char *data;
	size_t len, cap;
};

struct etcd_client {
	const struct etcd_config *cfg;
	CURL *curl;
	struct curl_slist *headers;
	size_t member;		     /* the member that answered last */
	bool kept[ETCD_MEMBERS_MAX]; /* a connection to the member is kept from before */
	unsigned opened;	     /* connections opened by the current transfer */
	struct buffer reply;
	char url[512];		     /* the URL set on curl */
	long status;		     /* the last HTTP answer's status (0: none yet) */
	bool status_json;	     /* ...and whether its body was JSON */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static _Atomic bool answering = true;
static _Atomic etcd_reach_fn reach_fn;

static void init_curl(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int etcd_config_parse(const char *list, struct etcd_config *cfg, char *bad, size_t cap)
{
	const char *p = list;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_ms = 1000;
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *host = p + 7, *colon;
		char *url;

		snprintf(bad, cap, "%.*s", (int)len, p);
		if (len < 8 || strncmp(p, "http://", 7) != 0 || cfg->url_count == ETCD_MEMBERS_MAX)
			goto refused;
		while (len > 7 && p[len - 1] == '/')
			len--; /* "http://h:2379/" names the same member */
		colon = memchr(host, ':', len - 7);
		if (!colon || colon == host || memchr(host, '/', len - 7) || colon + 1 == p + len ||
		    strspn(colon + 1, "0123456789") < (size_t)(p + len - colon - 1) ||
		    p + len - colon - 1 > 5 || atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
			goto refused; /* http://HOST:PORT, the port 1 to 65535 */
		url = strndup(p, len);
		if (!url) {
			etcd_config_clear(cfg);
			return -ENOMEM;
		}
		cfg->urls[cfg->url_count++] = url;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	if (cfg->url_count == 0) {
		snprintf(bad, cap, "%s", list);
		goto refused;
	}
	return 0;
refused:
	etcd_config_clear(cfg);
	return -EINVAL;
}

void etcd_config_clear(struct etcd_config *cfg)
{
	for (size_t i = 0; i < cfg->url_count; i++)
		free(cfg->urls[i]);
	cfg->url_count = 0;
}

static size_t keep_reply(char *data, size_t size, size_t n, void *ctx)
{
	struct buffer *b = ctx;
	size_t len = size * n;

	if (b->len + len + 1 > b->cap) {
		size_t cap = (b->len + len + 1) * 2;
		char *grown = realloc(b->data, cap);

		if (!grown)
			return 0; /* curl fails the transfer */
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* Every connection libcurl opens, counted (see etcd_call). */
static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct etcd_client *c = ctx;

	(void)purpose;
	c->opened++;
	return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

int etcd_client_new(const struct etcd_config *cfg, struct etcd_client **out)
{
	struct etcd_client *c;

	pthread_once(&curl_once, init_curl);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = cfg;
	c->curl = curl_easy_init();
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!c->curl || !c->headers) {
		etcd_client_free(c);
		return -ENOMEM;
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c->curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http");
	/* The members are reached directly: http_proxy in the environment is not for them. */
	curl_easy_setopt(c->curl, CURLOPT_PROXY, "");
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, keep_reply);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->reply);
	curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETDATA, c);
	*out = c;
	return 0;
}

void etcd_client_free(struct etcd_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->reply.data);
	free(c);
}

/* The transfer's connect failed or timed out: nothing was sent on a new connection. */
static bool connect_failed(CURL *curl, CURLcode code)
{
	double connected = 0;

	if (code == CURLE_OPERATION_TIMEDOUT &&
	    curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME, &connected) == CURLE_OK &&
	    connected == 0)
		return true;
	return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
	       code == CURLE_URL_MALFORMAT;
}

/* The errno of a refused request (HTTP status, and the gRPC code in its body). */
static int reply_errno(long status, json_object *reply)
{
	int64_t code = reply ? etcd_int(reply, "code") : 0;

	if (status == 404 || code == 5)
		return -ENOENT;
	if (status == 400 || code == 3)
		return -EINVAL;
	return -EIO;
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void etcd_on_reach(etcd_reach_fn fn)
{
	atomic_store(&reach_fn, fn);
}

void etcd_reach(const struct etcd_config *cfg, bool now)
{
	etcd_reach_fn fn;

	if (atomic_load(&answering) == now || atomic_exchange(&answering, now) == now)
		return; /* no change: every answered call comes here */
	fn = atomic_load(&reach_fn);
	if (fn)
		fn(now, cfg);
}

/*
 * One request, tried on each member in turn until one answers or the
 * timeout has passed (a pause of ROUND_PAUSE after each round, as during an
 * election no member serves).
 */
int etcd_call(struct etcd_client *c, const char *path, const char *body, bool repeatable,
	      json_object **reply)
{
	const struct etcd_config *cfg = c->cfg;
	double deadline = monotonic() + cfg->timeout_ms / 1000.0;

	*reply = NULL;
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	for (size_t tries = 0;; tries++) {
		size_t m = (c->member + tries) % cfg->url_count;
		long left_ms = (long)((deadline - monotonic()) * 1000), status = 0;
		char url[sizeof(c->url)];
		json_object *obj;
		CURLcode code;
		bool kept;

		if (left_ms <= 0)
			break;
		if (tries && tries % cfg->url_count == 0) {
			usleep(ROUND_PAUSE_USEC);
			continue;
		}
		curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, left_ms);
		/* A member that does not answer a connect must leave time for the others. */
		curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
				 (long)(cfg->timeout_ms / cfg->url_count) < left_ms
				     ? (long)(cfg->timeout_ms / cfg->url_count) + 1
				     : left_ms);
		snprintf(url, sizeof(url), "%s%s", cfg->urls[m], path);
		if (strcmp(url, c->url) != 0) {
			/* libcurl parses a URL each time it is set: only when it changes. */
			memcpy(c->url, url, sizeof(url));
			curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
		}
		c->reply.len = 0;
		c->opened = 0;
		code = curl_easy_perform(c->curl);
		/*
		 * Whether the member may have carried the request out without
		 * this answer.  On a kept connection the request was written
		 * before anything could fail (a timeout shows no connect time
		 * there either), and when the member had closed it meanwhile
		 * libcurl sent the request again on a new one by itself: then
		 * whatever came back is no answer.  On a new connection, a failed
		 * connect means it was never sent, safe to send to another.
		 */
		kept = c->kept[m];
		c->kept[m] = code == CURLE_OK;
		if (!repeatable && (code == CURLE_OK ? kept && c->opened > 0
						     : kept || !connect_failed(c->curl, code)))
			return -EINPROGRESS;
		if (code != CURLE_OK)
			continue;
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
		obj = c->reply.len ? json_tokener_parse(c->reply.data) : NULL;
		c->status = status;
		c->status_json = obj != NULL;
		if (status == 200 && obj) {
			c->member = m; /* stay with the member that answers */
			*reply = obj;
			etcd_reach(cfg, true);
			return 0;
		}
		if (status >= 400 && status < 500) {
			int rc = reply_errno(status, obj);

			json_object_put(obj);
			return rc; /* the request itself is wrong: another member says the same */
		}
		json_object_put(obj);
		/* 5xx: this member cannot serve now (no leader, timed out inside etcd). */
		if (!repeatable)
			return -EINPROGRESS;
	}
	c->member = (c->member + 1) % cfg->url_count;
	etcd_reach(cfg, false);
	return -ETIMEDOUT;
}

int etcd_probe(const char *url, unsigned timeout_ms, long *status)
{
	struct etcd_config cfg = {.url_count = 1, .timeout_ms = timeout_ms};
	struct etcd_client *c;
	json_object *reply = NULL;
	int rc;

	*status = 0;
	cfg.urls[0] = (char *)url;
	if (etcd_client_new(&cfg, &c) < 0)
		return -ENOMEM;
	rc = etcd_call(c, "/v3/kv/range", "{\"key\":\"AA==\"}", true, &reply);
	*status = c->status;
	if (rc == 0 && !etcd_int(json_object_object_get(reply, "header"), "revision"))
		rc = -EPROTO; /* a 200 that is not etcd's */
	else if (rc == -ETIMEDOUT && c->status)
		rc = c->status_json ? 0 : -EPROTO; /* etcd's 5xx says it cannot serve now */
	else if (rc < 0 && rc != -ETIMEDOUT)
		rc = -EPROTO; /* 4xx, or no JSON */
	json_object_put(reply);
	etcd_client_free(c);
	return rc;
}

struct stream {
	struct buffer line;
	etcd_line_fn fn;
	void *ctx;
	int rc;
	const volatile bool *stop;
	json_tokener *tok;
};

/* The watch stream: one JSON object per line, each handed to fn. */
static size_t take_stream(char *data, size_t size, size_t n, void *ctx)
{
	struct stream *s = ctx;
	size_t len = size * n;

	for (size_t i = 0; i < len; i++) {
		json_object *obj;

		if (data[i] != '\n') {
			if (keep_reply(data + i, 1, 1, &s->line) != 1)
				return 0;
			continue;
		}
		obj = s->line.len ? json_tokener_parse(s->line.data) : NULL;
		s->line.len = 0;
		if (!obj)
			continue;
		s->rc = s->fn(s->ctx, obj);
		json_object_put(obj);
		if (s->rc != 0)
			return 0; /* ends the transfer */
	}
	return len;
}

static int stream_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct stream *s = ctx;

	return *s->stop ? 1 : 0;
}

int etcd_stream(struct etcd_client *c, const char *path, const char *body, etcd_line_fn line,
		void *ctx, const volatile bool *stop)
{
	const struct etcd_config *cfg = c->cfg;
	struct stream s = {.fn = line, .ctx = ctx, .stop = stop};
	char url[sizeof(c->url)];
	CURLcode code = CURLE_COULDNT_CONNECT;
	CURL *h = curl_easy_duphandle(c->curl);
	/* A member cut off from the others ends the watch (etcd's "has leader" check). */
	struct curl_slist *headers =
	    curl_slist_append(curl_slist_append(NULL, "Content-Type: application/json"),
			      "Grpc-Metadata-Hasleader: true");

	if (!h || !headers) {
		if (h)
			curl_easy_cleanup(h);
		curl_slist_free_all(headers);
		return -ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_stream);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, stream_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
	/* A member that stops sending keep-alive data is dead to us. */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
	for (size_t tries = 0; tries < cfg->url_count && !*stop; tries++) {
		size_t m = (c->member + tries) % cfg->url_count;

		snprintf(url, sizeof(url), "%s%s", cfg->urls[m], path);
		curl_easy_setopt(h, CURLOPT_URL, url);
		code = curl_easy_perform(h);
		if (s.rc != 0 || *stop)
			break;
		if (code == CURLE_OK || !connect_failed(h, code)) {
			c->member = m; /* it answered, then the stream ended or broke */
			break;
		}
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	free(s.line.data);
	if (s.rc != 0)
		return s.rc;
	if (*stop)
		return 0;
	return code == CURLE_OK ? -EPIPE : -ETIMEDOUT;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_base64(const void *data, size_t n)
{
	const uint8_t *in = data;
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

int etcd_unbase64(const char *text, uint8_t **out, size_t *n)
{
	size_t len = strlen(text), k = 0;
	uint32_t acc = 0;
	int bits = 0;
	uint8_t *buf = malloc(len / 4 * 3 + 3);

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len && text[i] != '='; i++) {
		const char *at = strchr(b64, text[i]);

		if (!at || !text[i]) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)(at - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[k++] = (uint8_t)(acc >> bits);
		}
	}
	buf[k] = '\0';
	*out = buf;
	*n = k;
	return 0;
}

int64_t etcd_int(json_object *obj, const char *field)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, field, &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoll(json_object_get_string(v), NULL, 10);
	return json_object_get_int64(v);
}

const char *etcd_text(json_object *obj, const char *field)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, field, &v) || !v)
		return ""; /* absent, or null */
	return json_object_get_string(v);
}
