/*
 * stats.c — counters and log-scale histograms of durations (stats.h).
 *
 * Why a histogram and not a sample: a daemon runs for months and takes
 * millions of locks; a fixed array of buckets costs the same on the
 * first and the billionth duration, never allocates, and its quantiles
 * are exact to a bucket's width.  Bucket 0 holds durations under 1 µs
 * (shown as 0);
 * bucket 1 + 8k + j holds [2^k (1 + j/8), 2^k (1 + (j+1)/8)) µs.
 */
#include "stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const counter_names[STATS_COUNTERS] = {
    [STATS_ACQUISITIONS] = "acquisitions",
    [STATS_RELEASES] = "releases",
    [STATS_BREAKS] = "breaks",
    [STATS_EXPIRIES] = "expiries",
    [STATS_RENEWALS] = "renewals",
    [STATS_WAITS] = "waits",
    [STATS_TIMEOUTS] = "timeouts",
    [STATS_INTERRUPTS] = "interrupts",
    [STATS_COMPARE_REFUSALS] = "compare_release_refusals",
};

void stats_init(struct stats *s, double started)
{
	memset(s, 0, sizeof(*s));
	s->started = started;
}

const char *stats_counter_name(enum stats_counter c)
{
	return counter_names[c];
}

static int bucket_of(double micros)
{
	int exponent, octave, sub;
	double mantissa;

	if (!(micros >= 1))
		return 0;		     /* under 1 µs, and NAN */
	mantissa = frexp(micros, &exponent); /* micros = mantissa * 2^exponent, [0.5, 1) */
	octave = exponent - 1;
	if (octave >= STATS_OCTAVES)
		return STATS_BUCKETS - 1;
	sub = (int)((mantissa * 2 - 1) * STATS_SUBBUCKETS);
	return 1 + octave * STATS_SUBBUCKETS + sub;
}

/* The middle of bucket b, in seconds. */
static double bucket_middle(int b)
{
	int octave, sub;

	if (b == 0)
		return 0; /* under 1 µs: shown as 0 */
	octave = (b - 1) / STATS_SUBBUCKETS;
	sub = (b - 1) % STATS_SUBBUCKETS;
	return ldexp(1 + (sub + 0.5) / STATS_SUBBUCKETS, octave) * 1e-6;
}

/* Durations past this (about 31 years) are kept as this: a clock or a row gone wrong. */
#define STATS_SECONDS_MAX 1e9

void stats_time(struct stats_times *t, double seconds)
{
	if (!(seconds > 0))
		seconds = 0; /* negative, and NAN */
	if (seconds > STATS_SECONDS_MAX)
		seconds = STATS_SECONDS_MAX; /* and infinity */
	if (t->count == 0 || seconds < t->min)
		t->min = seconds;
	if (t->count == 0 || seconds > t->max)
		t->max = seconds;
	t->count++;
	t->buckets[bucket_of(seconds * 1e6)]++;
}

double stats_quantile(const struct stats_times *t, double q)
{
	uint64_t rank, seen = 0;
	double value;
	int b;

	if (t->count == 0)
		return NAN;
	rank = (uint64_t)ceil(q * (double)t->count);
	if (rank < 1)
		rank = 1;
	for (b = 0; b < STATS_BUCKETS - 1; b++) {
		seen += t->buckets[b];
		if (seen >= rank)
			break;
	}
	value = b == STATS_BUCKETS - 1 ? t->max : bucket_middle(b); /* the last is open-ended */
	if (value < t->min)
		value = t->min;
	if (value > t->max)
		value = t->max;
	return value;
}

/* Text written as snprintf writes it: cut at cap, the full length kept. */
struct text {
	char *buf;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3))) static void append(struct text *t, const char *format, ...)
{
	size_t used = t->len < t->cap ? t->len : t->cap;
	va_list args;
	int n;

	va_start(args, format);
	n = vsnprintf(t->buf ? t->buf + used : NULL, t->cap - used, format, args);
	va_end(args);
	t->len += (size_t)(n > 0 ? n : 0);
}

static void append_times(struct text *t, const char *name, const struct stats_times *times)
{
	static const double quantiles[] = {0.5, 0.9, 0.99};
	static const char *const labels[] = {"p50", "p90", "p99"};

	append(t, ", \"%s\": {\"count\": %llu", name, (unsigned long long)times->count);
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++) {
		if (times->count)
			append(t, ", \"%s\": %.6f", labels[i], stats_quantile(times, quantiles[i]));
		else
			append(t, ", \"%s\": null", labels[i]);
	}
	append(t, "}");
}

int stats_format_json(const struct stats *s, double now, uint64_t holds, uint64_t waiters,
		      char *buf, size_t cap)
{
	struct text t = {.buf = buf, .cap = buf ? cap : 0};

	if (t.cap)
		buf[0] = '\0';
	append(&t, "{\"started\": %.6f, \"uptime\": %.3f", s->started,
	       now > s->started ? now - s->started : 0);
	for (int c = 0; c < STATS_COUNTERS; c++)
		append(&t, ", \"%s\": %llu", counter_names[c], (unsigned long long)s->counters[c]);
	append(&t, ", \"holds\": %llu, \"waiters\": %llu", (unsigned long long)holds,
	       (unsigned long long)waiters);
	append_times(&t, "wait_seconds", &s->wait);
	append_times(&t, "hold_seconds", &s->hold);
	append(&t, "}");
	return (int)t.len;
}
