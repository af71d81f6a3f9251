/*
 * stats.h — what a daemon has done since it started, for monitoring.
 *
 * Counters of lock events and two distributions of durations: how long
 * acquisitions waited and how long locks were held.  Cheap enough to keep
 * always on: a counter is an increment, a duration one frexp and one
 * increment in a log-scale histogram (8 buckets per power of two, so a
 * quantile is within 6% of the true value; the smallest and largest
 * durations seen are kept exactly and bound every quantile).  Not
 * thread-safe: the daemon updates and reads it under its own lock.
 */
#ifndef LOCKFS_STATS_H
#define LOCKFS_STATS_H

#include <stddef.h>
#include <stdint.h>

enum stats_counter {
	STATS_ACQUISITIONS,	/* locks taken: each a new generation */
	STATS_RELEASES,		/* locks let go (to nobody or to a waiter) */
	STATS_BREAKS,		/* ...of which by someone other than the owner */
	STATS_EXPIRIES,		/* expired locks cleared or taken over */
	STATS_RENEWALS,		/* touch -c and user.lock.ttl on held locks */
	STATS_WAITS,		/* acquisitions that queued */
	STATS_TIMEOUTS,		/* acquisitions answered ETIMEDOUT */
	STATS_INTERRUPTS,	/* waits answered EINTR */
	STATS_COMPARE_REFUSALS, /* compare-and-release refused: another generation */
	STATS_COUNTERS,
};

#define STATS_SUBBUCKETS 8  /* per power of two */
#define STATS_OCTAVES	 42 /* 1 µs .. 2^42 µs (51 days) */
#define STATS_BUCKETS	 (1 + STATS_OCTAVES * STATS_SUBBUCKETS)

/* A distribution of durations. */
struct stats_times {
	uint64_t count;
	double min, max; /* seconds, exact */
	uint64_t buckets[STATS_BUCKETS];
};

struct stats {
	double started; /* wall clock */
	uint64_t counters[STATS_COUNTERS];
	struct stats_times wait, hold;
};

/* Start counting at wall-clock time started. */
void stats_init(struct stats *s, double started);

/* Add n to counter c. */
static inline void stats_count(struct stats *s, enum stats_counter c, uint64_t n)
{
	s->counters[c] += n;
}

/* Record one duration (negative ones and NAN count as 0, more than 1e9 s as 1e9). */
void stats_time(struct stats_times *t, double seconds);

/*
 * The q-quantile (0 < q <= 1) of t in seconds: the middle of the bucket
 * holding the ceil(q * count)-th smallest duration, kept within [min, max].
 * NAN when t is empty.
 */
double stats_quantile(const struct stats_times *t, double q);

/* The name of counter c in the JSON object ("acquisitions", ...). */
const char *stats_counter_name(enum stats_counter c);

/*
 * Write s as one JSON object, NUL-terminated, at time now (wall clock),
 * with the current number of held locks and of waiters.  Returns its
 * full length, which may exceed cap - 1 (as snprintf does).
 */
int stats_format_json(const struct stats *s, double now, uint64_t holds, uint64_t waiters,
		      char *buf, size_t cap);

#endif
