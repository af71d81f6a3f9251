/*
 * lslockfs.h — what lslockfs's files share: the output formats and the
 * statistics of mounts (lslockfs_stats.c).
 */
#ifndef LSLOCKFS_H
#define LSLOCKFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum output_format { FORMAT_TABLE, FORMAT_RAW, FORMAT_JSON };

/* s as a JSON string: quotes, backslashes and control characters escaped. */
void json_string(const char *s, FILE *out);

/* s written for a terminal (control and unprintable bytes as \xHH), and for -r. */
void terminal_string(const char *s, FILE *out);
void raw_string(const char *s, FILE *out);

/* A duration as 5s, 3m12s, 2h, 1h5m, 4d, 4d2h: the two largest units. */
void format_duration(long long seconds, char *out, size_t cap);

/*
 * lslockfs --stats: print the statistics (the root's user.lockfs.stats) of
 * each of the n mountpoints.  found_by_scan: they were not named, so a
 * mount the caller may not enter is passed over in silence; noheadings
 * drops the heading line of FORMAT_RAW.  Returns the
 * exit status: 0, or 1 after a message when one could not be read.
 */
int stats_print(char *const *points, size_t n, bool found_by_scan, enum output_format format,
		bool noheadings);

#endif
