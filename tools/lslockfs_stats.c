/*
 * lslockfs_stats.c — lslockfs --stats: what each mount's daemon counted.
 *
 * The daemon shows its statistics as one JSON object in the root's
 * user.lockfs.stats.  --json passes each object on with the mount added;
 * the table and -r need the values, so the object is read here by a
 * parser of exactly what the daemon writes — names, numbers, null and one
 * level of nested objects — which refuses anything else rather than guess.
 */
#include "lslockfs.h"

#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/xattr.h>

#define STATS_ATTR "user.lockfs.stats"
#define STATS_MAX  8192
#define FIELDS_MAX 64

struct field {
	char name[64];	/* "acquisitions", "wait_seconds.p50" */
	char value[48]; /* the number as written, or "null" */
};

struct parser {
	const char *p;
	struct field *fields;
	size_t n;
};

static void skip_space(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r')
		ps->p++;
}

static bool expect(struct parser *ps, char c)
{
	skip_space(ps);
	if (*ps->p != c)
		return false;
	ps->p++;
	return true;
}

/* A name: plain ASCII letters, digits and '_' between quotes. */
static bool parse_name(struct parser *ps, char *out, size_t cap)
{
	size_t len;

	if (!expect(ps, '"'))
		return false;
	len = strspn(ps->p, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (len == 0 || len >= cap || ps->p[len] != '"')
		return false;
	memcpy(out, ps->p, len);
	out[len] = '\0';
	ps->p += len + 1;
	return true;
}

/* An object's members into fields, their names after prefix; nested only once. */
static bool parse_object(struct parser *ps, const char *prefix, bool nested)
{
	if (!expect(ps, '{'))
		return false;
	if (expect(ps, '}'))
		return true;
	do {
		char name[32];
		struct field *f;
		size_t len;

		if (!parse_name(ps, name, sizeof(name)) || !expect(ps, ':'))
			return false;
		skip_space(ps);
		if (*ps->p == '{') {
			if (nested)
				return false;
			if (!parse_object(ps, name, true))
				return false;
			continue;
		}
		if (ps->n == FIELDS_MAX)
			return false;
		f = &ps->fields[ps->n++];
		snprintf(f->name, sizeof(f->name), "%s%s%s", prefix, *prefix ? "." : "", name);
		len = strncmp(ps->p, "null", 4) == 0 ? 4 : strspn(ps->p, "0123456789.-+eE");
		if (len == 0 || len >= sizeof(f->value))
			return false;
		memcpy(f->value, ps->p, len);
		f->value[len] = '\0';
		ps->p += len;
	} while (expect(ps, ','));
	return expect(ps, '}');
}

/* The fields of json; -1 when it is not what a lockfs daemon writes. */
static ssize_t parse_stats(const char *json, struct field *fields)
{
	struct parser ps = {.p = json, .fields = fields};

	if (!parse_object(&ps, "", false))
		return -1;
	skip_space(&ps);
	return *ps.p ? -1 : (ssize_t)ps.n;
}

/* Read the stats attribute of point; 0, or -errno (-EBADMSG: not a JSON object). */
static int stats_read(const char *point, char *buf, size_t cap)
{
	ssize_t len = getxattr(point, STATS_ATTR, buf, cap - 1);

	if (len < 0)
		return errno == ENODATA || errno == ENOTSUP ? -ENODATA : -errno;
	buf[len] = '\0';
	return memchr(buf, '\0', (size_t)len) ? -EBADMSG : 0;
}

/* A duration in seconds, for people: 850us, 1.21ms, 3.4s, 5m12s. */
static void format_seconds(const char *value, char *out, size_t cap)
{
	double s = strtod(value, NULL);

	if (strcmp(value, "null") == 0)
		snprintf(out, cap, "-");
	else if (s < 1e-3)
		snprintf(out, cap, "%.0fus", s * 1e6);
	else if (s < 1)
		snprintf(out, cap, "%.3gms", s * 1e3);
	else if (s < 60)
		snprintf(out, cap, "%.3gs", s);
	else
		format_duration((long long)s, out, cap);
}

static const char *field_value(const struct field *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return fields[i].value;
	return "null";
}

/*
 * The table: a line naming the mount (kept with -n: without it, several
 * mounts' counters could not be told apart), then one line per counter; a
 * distribution in one line: how many durations, and their quantiles.
 */
static void print_mount_table(const char *point, const struct field *fields, size_t n)
{
	char up[32];

	format_duration((long long)strtod(field_value(fields, n, "uptime"), NULL), up, sizeof(up));
	fputs("MOUNT ", stdout);
	terminal_string(point, stdout);
	printf("  (up %s)\n", up);
	for (size_t i = 0; i < n; i++) {
		const char *dot = strchr(fields[i].name, '.');
		char p[3][32];

		if (strcmp(fields[i].name, "started") == 0 || strcmp(fields[i].name, "uptime") == 0)
			continue;
		if (!dot) {
			printf("  %-26s %12s\n", fields[i].name, fields[i].value);
			continue;
		}
		if (strcmp(dot, ".count") != 0)
			continue; /* its quantiles are on the count's line */
		for (int q = 0; q < 3; q++) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s.%s", (int)(dot - fields[i].name),
				 fields[i].name, (const char *[]){"p50", "p90", "p99"}[q]);
			format_seconds(field_value(fields, n, name), p[q], sizeof(p[q]));
		}
		printf("  %-26.*s %12s  p50 %s  p90 %s  p99 %s\n", (int)(dot - fields[i].name),
		       fields[i].name, fields[i].value, p[0], p[1], p[2]);
	}
}

/* -r: "MOUNT NAME VALUE" lines, every field as the daemon wrote it. */
static void print_mount_raw(const char *point, const struct field *fields, size_t n,
			    bool noheadings, bool *headed)
{
	if (!noheadings && !*headed)
		puts("MOUNT NAME VALUE");
	*headed = true;
	for (size_t i = 0; i < n; i++) {
		raw_string(point, stdout);
		printf(" %s %s\n", fields[i].name, fields[i].value);
	}
}

int stats_print(char *const *points, size_t n, bool found_by_scan, enum output_format format,
		bool noheadings)
{
	static char buf[STATS_MAX];
	struct field fields[FIELDS_MAX];
	bool headed = false, first = true;
	int status = 0;

	if (format == FORMAT_JSON)
		fputs("{\n   \"stats\": [", stdout);
	for (size_t m = 0; m < n; m++) {
		int rc = stats_read(points[m], buf, sizeof(buf));
		ssize_t nfields = rc == 0 ? parse_stats(buf, fields) : -1;

		if (rc == -EACCES && found_by_scan)
			continue; /* another user's mount, as when listing locks */
		if (rc == -ENODATA) {
			warnx("%s: no statistics (lockfs --stats=off, or too old)", points[m]);
			status = 1;
			continue;
		}
		if (rc < 0 || nfields <= 0) {
			warnx("%s: %s", points[m],
			      rc < 0 ? strerror(-rc) : "unreadable statistics");
			status = 1;
			continue;
		}
		if (format == FORMAT_JSON) {
			/* The daemon's object, the mount first. */
			fputs(first ? "\n      {\"mount\": " : ",\n      {\"mount\": ", stdout);
			json_string(points[m], stdout);
			printf(", %s", strchr(buf, '{') + 1);
		} else if (format == FORMAT_RAW) {
			print_mount_raw(points[m], fields, (size_t)nfields, noheadings, &headed);
		} else {
			if (!first)
				putchar('\n');
			print_mount_table(points[m], fields, (size_t)nfields);
		}
		first = false;
	}
	if (format == FORMAT_JSON)
		fputs(first ? "]\n}\n" : "\n   ]\n}\n", stdout);
	return status;
}
