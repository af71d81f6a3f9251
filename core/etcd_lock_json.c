/*
 * etcd_lock_json.c — a lock as the JSON of its key (README "Many machines"
 * has the fields), and as the typed_diskcache row the lock rules read.
 */
#include "etcd_store_int.h"
#include "pickle.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* --- the lock's JSON ----------------------------------------------------- */

void etcd_lock_clear(struct etcd_lock *l)
{
	free(l->tags);
	free(l->note);
	free(l->holds.items);
	free(l->leases);
	memset(l, 0, sizeof(*l));
}

char *etcd_instance_text(const struct instance *in)
{
	char *text;

	return asprintf(&text, "%s %d %" PRIu64, in->host, (int)in->pid, in->start_time) < 0 ? NULL
											     : text;
}

/* "HOST PID START" into in: 0, or -EINVAL. */
static int instance_parse(const char *text, struct instance *in)
{
	const char *start = strrchr(text, ' '), *pid;
	char *end;
	size_t host_len;

	if (!start)
		return -EINVAL;
	for (pid = start; pid > text && pid[-1] != ' '; pid--)
		;
	if (pid == text)
		return -EINVAL;
	host_len = (size_t)(pid - 1 - text);
	if (host_len == 0 || host_len >= sizeof(in->host))
		return -EINVAL;
	memset(in, 0, sizeof(*in));
	memcpy(in->host, text, host_len);
	in->pid = (int32_t)strtol(pid, &end, 10);
	if (end != start)
		return -EINVAL;
	in->start_time = strtoull(start + 1, &end, 10);
	return *end || end == start + 1 ? -EINVAL : 0;
}

/* The "leases" object: a daemon's instance text -> its session lease. */
static int leases_from_json(json_object *obj, struct etcd_lock *l)
{
	json_object *leases;
	size_t n;

	if (!json_object_object_get_ex(obj, "leases", &leases) ||
	    !json_object_is_type(leases, json_type_object))
		return 0;
	n = (size_t)json_object_object_length(leases);
	if (n == 0)
		return 0;
	l->leases = calloc(n, sizeof(*l->leases));
	if (!l->leases)
		return -ENOMEM;
	json_object_object_foreach(leases, text, value) {
		struct etcd_lease_of *lo = &l->leases[l->lease_count];

		lo->lease = json_object_get_int64(value);
		if (instance_parse(text, &lo->instance) == 0 && lo->lease)
			l->lease_count++;
	}
	return 0;
}

const struct store_hold *etcd_lock_first_hold(const struct etcd_lock *l)
{
	for (size_t i = 0; i < l->holds.count; i++)
		if (l->holds.items[i].id)
			return &l->holds.items[i];
	return NULL;
}

int64_t etcd_lock_lease_of(const struct etcd_lock *l, const struct instance *in)
{
	for (size_t i = 0; i < l->lease_count; i++)
		if (instance_equal(&l->leases[i].instance, in))
			return l->leases[i].lease;
	return 0;
}

/* The "leases" of a write: each daemon with live holds, this one's session lease as it is now. */
static json_object *leases_to_json(const struct etcd_store *es, const struct etcd_lock *l)
{
	json_object *leases = json_object_new_object();

	for (size_t i = 0; i < l->holds.count; i++) {
		const struct store_hold *h = &l->holds.items[i];
		char *text;
		int64_t lease;

		if (!h->id || !(text = etcd_instance_text(&h->instance)))
			continue;
		lease = instance_equal(&h->instance, instance_self()) ? atomic_load(&es->lease)
								       : etcd_lock_lease_of(l, &h->instance);
		if (lease && !json_object_object_get_ex(leases, text, NULL))
			json_object_object_add(leases, text, etcd_json_int(lease));
		free(text);
	}
	if (json_object_object_length(leases) == 0) {
		json_object_put(leases);
		return NULL;
	}
	return leases;
}

static double number(json_object *obj, const char *field)
{
	json_object *v;

	return json_object_object_get_ex(obj, field, &v) ? json_object_get_double(v) : 0;
}

void etcd_copy_field(json_object *obj, const char *field, char *out, size_t cap)
{
	snprintf(out, cap, "%s", etcd_text(obj, field));
}

/* Read a lock's JSON (NULL or not a lock: -EINVAL). */
int etcd_lock_from_json(json_object *obj, struct etcd_lock *l)
{
	json_object *v;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "count", &v))
		return -EINVAL;
	etcd_copy_field(obj, "owner", l->owner, sizeof(l->owner));
	l->count = etcd_int(obj, "count");
	l->acquired = number(obj, "acquired");
	l->expires = json_object_object_get_ex(obj, "expire", &v);
	l->expire_time = l->expires ? json_object_get_double(v) : 0;
	if (*etcd_text(obj, "tags"))
		l->tags = strdup(etcd_text(obj, "tags"));
	if (*etcd_text(obj, "note"))
		rc = etcd_unbase64(etcd_text(obj, "note"), &l->note, &l->note_len);
	l->holder.uid = (uint32_t)etcd_int(obj, "uid");
	l->holder.gid = (uint32_t)etcd_int(obj, "gid");
	l->holder.pid = (int32_t)etcd_int(obj, "pid");
	l->holder.start_time = (uint64_t)etcd_int(obj, "start_time");
	etcd_copy_field(obj, "comm", l->holder.comm, sizeof(l->holder.comm));
	etcd_copy_field(obj, "host", l->holder.host, sizeof(l->holder.host));
	l->lease_ttl = etcd_int(obj, "lease_ttl");
	l->by_lockfs = json_object_object_get_ex(obj, "instance", NULL);
	if (rc == 0 && *etcd_text(obj, "holds"))
		rc = store_holds_decode(etcd_text(obj, "holds"), &l->holds);
	if (rc == 0)
		rc = leases_from_json(obj, l);
	if (rc < 0)
		etcd_lock_clear(l);
	return rc;
}

/* The JSON text of a lock (malloc'd), with the nonce of the write. */
char *etcd_lock_to_json(const struct etcd_store *es, const struct etcd_lock *l, uint64_t nonce)
{
	json_object *obj = json_object_new_object();
	const struct store_hold *first = etcd_lock_first_hold(l);
	json_object *leases;
	char *holds = NULL, *note = NULL, *text = NULL, stamp[INSTANCE_HOST_MAX + 96];
	bool shared = false;

	for (size_t i = 0; i < l->holds.count; i++)
		shared = shared || (l->holds.items[i].id && l->holds.items[i].shared);
	if (store_holds_encode(&l->holds, &holds) < 0)
		goto out;
	if (l->note_len && !(note = etcd_base64(l->note, l->note_len)))
		goto out;
	snprintf(stamp, sizeof(stamp), "%s %" PRIu64, es->self, nonce);
	json_object_object_add(obj, "owner", json_object_new_string(l->owner));
	json_object_object_add(obj, "count", json_object_new_int64(l->count));
	json_object_object_add(obj, "mode",
			       json_object_new_string(shared ? "shared" : "exclusive"));
	json_object_object_add(obj, "tags", json_object_new_string(l->tags ? l->tags : ""));
	json_object_object_add(obj, "acquired", json_object_new_double(l->acquired));
	if (l->expires)
		json_object_object_add(obj, "expire", json_object_new_double(l->expire_time));
	if (l->lease_ttl)
		json_object_object_add(obj, "lease_ttl", json_object_new_int64(l->lease_ttl));
	if (l->by_lockfs) { /* another client's lock stays one, whatever lockfs changes in it */
		json_object_object_add(obj, "uid", json_object_new_int64(l->holder.uid));
		json_object_object_add(obj, "gid", json_object_new_int64(l->holder.gid));
		json_object_object_add(obj, "pid", json_object_new_int64(l->holder.pid));
		json_object_object_add(obj, "start_time",
				       etcd_json_int((int64_t)l->holder.start_time));
		json_object_object_add(obj, "comm", json_object_new_string(l->holder.comm));
		json_object_object_add(obj, "host", json_object_new_string(l->holder.host));
	}
	json_object_object_add(
	    obj, "bound", json_object_new_string(first ? store_binding_name(first->binding) : ""));
	if (l->by_lockfs)
		json_object_object_add(obj, "instance", json_object_new_string(es->self));
	if (holds)
		json_object_object_add(obj, "holds", json_object_new_string(holds));
	if ((leases = leases_to_json(es, l)))
		json_object_object_add(obj, "leases", leases);
	if (note)
		json_object_object_add(obj, "note", json_object_new_string(note));
	json_object_object_add(obj, "write", json_object_new_string(stamp));
	text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(obj);
	free(holds);
	free(note);
	return text;
}

/* A lock as a typed_diskcache row, which is how the rules read every lock. */
int etcd_lock_to_row(const struct etcd_lock *l, int64_t id, int64_t generation,
		     struct store_row *row)
{
	ssize_t n;

	memset(row, 0, sizeof(*row));
	row->id = id;
	row->store_time = l->acquired;
	row->expires = l->expires;
	row->expire_time = l->expire_time;
	row->mode = 3;
	n = pickle_encode_owner(l->owner, strlen(l->owner), l->count, row->value,
				sizeof(row->value));
	if (n < 0)
		return (int)n;
	row->value_len = (size_t)n;
	/* Another client's lock, as a typed_diskcache SyncLock: no holder, no generation. */
	row->has_holder = l->by_lockfs;
	row->holder = l->holder;
	row->holder.generation = generation;
	return 0;
}

int etcd_lock_text(const struct etcd_lock *l, struct store_text *text)
{
	memset(text, 0, sizeof(*text));
	text->tags = strdup(l->tags ? l->tags : "");
	if (l->note_len) {
		text->note = malloc(l->note_len);
		if (text->note)
			memcpy(text->note, l->note, l->note_len);
		text->note_len = l->note_len;
	}
	if (!text->tags || (l->note_len && !text->note)) {
		store_text_clear(text);
		return -ENOMEM;
	}
	return 0;
}
