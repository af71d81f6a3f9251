/*
 * policy.c — parse policy values and resolve them up the directory tree.
 *
 * Values are strict: plain decimals (no signs, exponents or spaces), so that
 * what a user writes is what the status shows.  Resolution reads one
 * lockfs_dir row per level, at most a handful for real trees.
 */
#include "policy.h"
#include "dir.h"
#include "name.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECONDS_MAX 1e9 /* about 31 years; keeps now + ttl exact to the microsecond */

static int parse_decimal(const char *text, size_t len, double *out)
{
	char buf[40];
	size_t digits = 0, dots = 0;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] >= '0' && text[i] <= '9')
			digits++;
		else if (text[i] == '.' && dots == 0)
			dots++;
		else
			return -EINVAL;
	}
	if (digits == 0)
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	*out = strtod(buf, NULL);
	if (!(*out <= SECONDS_MAX))
		return -EINVAL;
	return 0;
}

int policy_parse_timeout(const char *text, size_t len, double *seconds)
{
	if (len == 3 && memcmp(text, "inf", 3) == 0) {
		*seconds = INFINITY;
		return 0;
	}
	return parse_decimal(text, len, seconds);
}

int policy_parse_ttl(const char *text, size_t len, bool *has_ttl, double *seconds)
{
	if (len == 4 && memcmp(text, "none", 4) == 0) {
		*has_ttl = false;
		*seconds = 0;
		return 0;
	}
	/* Kept to the microsecond: a TTL that rounds to 0 would mean "never". */
	if (parse_decimal(text, len, seconds) < 0 || *seconds < 1e-6)
		return -EINVAL;
	*has_ttl = true;
	return 0;
}

static const char *const open_names[] = {
	[POLICY_OPEN_ACQUIRE] = "acquire",
	[POLICY_OPEN_BOUND] = "bound",
	[POLICY_OPEN_NONE] = "none",
};

int policy_parse_open(const char *text, size_t len, enum policy_open *mode)
{
	for (unsigned i = 0; i < sizeof(open_names) / sizeof(open_names[0]); i++) {
		if (strlen(open_names[i]) == len && memcmp(text, open_names[i], len) == 0) {
			*mode = (enum policy_open)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *policy_open_name(enum policy_open mode)
{
	return mode < sizeof(open_names) / sizeof(open_names[0]) ? open_names[mode] : "?";
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool tag_valid(const char *tag, size_t len)
{
	if (len == 0 || len > TAG_MAX_BYTES || !name_utf8_valid(tag, len))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)tag[i] < 0x20 || tag[i] == 0x7f)
			return false;
	return true;
}

int policy_parse_tags(const char *text, size_t len, char **canonical)
{
	char *copy = NULL, **tags = NULL, *out = NULL;
	size_t count = 1, n = 0, pos = 0;
	int rc = -EINVAL;

	*canonical = NULL;
	if (len == 0) {
		*canonical = strdup("");
		return *canonical ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < len; i++)
		count += text[i] == ',';
	copy = malloc(len + 1);
	tags = calloc(count, sizeof(*tags));
	out = malloc(len + 1);
	if (!copy || !tags || !out) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (char *p = copy, *next; p; p = next) {
		char *comma = strchr(p, ',');

		next = comma ? comma + 1 : NULL;
		if (comma)
			*comma = '\0';
		if (!tag_valid(p, strlen(p)))
			goto out;
		tags[n++] = p;
	}
	qsort(tags, n, sizeof(*tags), compare_strings);
	for (size_t i = 0; i < n; i++) {
		size_t tag_len = strlen(tags[i]);

		if (i > 0 && strcmp(tags[i], tags[i - 1]) == 0)
			continue;
		if (pos)
			out[pos++] = ',';
		memcpy(out + pos, tags[i], tag_len);
		pos += tag_len;
	}
	out[pos] = '\0';
	*canonical = out;
	out = NULL;
	rc = 0;
out:
	free(out);
	free(tags);
	free(copy);
	return rc;
}

void policy_format_seconds(double seconds, char *out, size_t cap)
{
	size_t len;

	if (isinf(seconds)) {
		snprintf(out, cap, "inf");
		return;
	}
	snprintf(out, cap, "%.6f", seconds);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 0 && out[len - 1] == '.')
		out[--len] = '\0';
}

static int policy_copy(struct policy *dst, const struct policy *src)
{
	*dst = *src;
	dst->tags = strdup(src->tags ? src->tags : "");
	return dst->tags ? 0 : -ENOMEM;
}

void policy_clear(struct policy *p)
{
	free(p->tags);
	p->tags = NULL;
}

/* The parent of dir: "a/b" -> "a", "a" -> "". */
static void parent_of(char *dir)
{
	char *slash = strrchr(dir, '/');

	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
}

int policy_resolve(struct store *st, const char *dir, const struct policy *defaults,
		   struct policy *out)
{
	bool have_timeout = false, have_ttl = false, have_tags = false, have_open = false;
	char path[KEY_MAX_BYTES + 1];
	int rc;

	rc = policy_copy(out, defaults);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "%s", dir);
	for (;;) {
		struct store_dir row;

		rc = store_dir_get(st, path, &row);
		if (rc < 0 && rc != -ENOENT) {
			policy_clear(out);
			return rc;
		}
		if (rc == 0) {
			if (!have_timeout && row.timeout[0])
				have_timeout = policy_parse_timeout(row.timeout, strlen(row.timeout),
								    &out->timeout) == 0;
			if (!have_ttl && row.ttl[0])
				have_ttl = policy_parse_ttl(row.ttl, strlen(row.ttl),
							    &out->has_ttl, &out->ttl) == 0;
			if (!have_open && row.open[0])
				have_open = policy_parse_open(row.open, strlen(row.open),
							      &out->open) == 0;
			if (!have_tags && row.tags) {
				free(out->tags);
				out->tags = row.tags;
				row.tags = NULL;
				have_tags = true;
			}
			store_dir_clear(&row);
		}
		if (!path[0] || (have_timeout && have_ttl && have_tags && have_open))
			break;
		parent_of(path);
	}
	return 0;
}

int policy_dir_get(struct store *st, const char *dir, enum policy_field field, char *out,
		   size_t cap)
{
	struct store_dir row;
	const char *value = NULL;
	int rc = store_dir_get(st, dir, &row);

	if (rc == -ENOENT)
		return -ENODATA;
	if (rc < 0)
		return rc;
	if (field == POLICY_TIMEOUT && row.timeout[0])
		value = row.timeout;
	else if (field == POLICY_TTL && row.ttl[0])
		value = row.ttl;
	else if (field == POLICY_TAGS && row.tags)
		value = row.tags;
	else if (field == POLICY_OPEN && row.open[0])
		value = row.open;
	rc = value ? snprintf(out, cap, "%s", value) : -ENODATA;
	if (rc >= (int)cap)
		rc = -ERANGE;
	store_dir_clear(&row);
	return rc;
}

/* Validate and canonicalise one value for field into row. */
static int fill_field(struct store_dir *row, enum policy_field field, const char *value,
		      size_t len)
{
	enum policy_open mode;
	double seconds;
	bool has_ttl;
	char *tags;

	switch (field) {
	case POLICY_TIMEOUT:
		if (policy_parse_timeout(value, len, &seconds) < 0)
			return -EINVAL;
		policy_format_seconds(seconds, row->timeout, sizeof(row->timeout));
		return 0;
	case POLICY_TTL:
		if (policy_parse_ttl(value, len, &has_ttl, &seconds) < 0)
			return -EINVAL;
		if (has_ttl)
			policy_format_seconds(seconds, row->ttl, sizeof(row->ttl));
		else
			snprintf(row->ttl, sizeof(row->ttl), "none");
		return 0;
	case POLICY_TAGS:
		if (policy_parse_tags(value, len, &tags) < 0)
			return -EINVAL;
		free(row->tags);
		row->tags = tags;
		return 0;
	case POLICY_OPEN:
		if (policy_parse_open(value, len, &mode) < 0)
			return -EINVAL;
		snprintf(row->open, sizeof(row->open), "%s", policy_open_name(mode));
		return 0;
	}
	return -EINVAL;
}

/* Read-modify-write one field of dir's row in a write transaction. */
static int update_field(struct store *st, const char *dir, enum policy_field field,
			const char *value, size_t len, bool remove)
{
	struct store_dir row;
	int rc = store_begin(st);

	if (rc < 0)
		return rc;
	rc = store_dir_get(st, dir, &row);
	if (rc == -ENOENT && !remove)
		rc = 0;
	else if (rc == -ENOENT)
		rc = -ENODATA;
	if (rc == 0 && remove) {
		bool was_set = (field == POLICY_TIMEOUT && row.timeout[0]) ||
			       (field == POLICY_TTL && row.ttl[0]) ||
			       (field == POLICY_TAGS && row.tags) ||
			       (field == POLICY_OPEN && row.open[0]);

		if (!was_set)
			rc = -ENODATA;
		else if (field == POLICY_TIMEOUT)
			row.timeout[0] = '\0';
		else if (field == POLICY_TTL)
			row.ttl[0] = '\0';
		else if (field == POLICY_OPEN)
			row.open[0] = '\0';
		else
			store_dir_clear(&row);
	} else if (rc == 0) {
		rc = fill_field(&row, field, value, len);
	}
	if (rc == 0)
		rc = store_dir_put(st, dir, &row);
	if (rc == 0)
		rc = store_commit(st);
	else
		store_rollback(st);
	store_dir_clear(&row);
	return rc;
}

int policy_dir_set(struct store *st, const char *dir, const struct caller *who,
		   enum policy_field field, const char *value, size_t len)
{
	struct store_dir probe = {0};

	if (!dir_may_change(who))
		return -EPERM;
	if (fill_field(&probe, field, value, len) < 0) /* refuse before any write */
		return -EINVAL;
	store_dir_clear(&probe);
	return update_field(st, dir, field, value, len, false);
}

int policy_dir_remove(struct store *st, const char *dir, const struct caller *who,
		      enum policy_field field)
{
	if (!dir_may_change(who))
		return -EPERM;
	return update_field(st, dir, field, NULL, 0, true);
}
