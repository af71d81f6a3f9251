/*
 * clock.h — the two clocks lockfs reads, and which one serves what.
 *
 * Wall time is what the cache stores: store_time and expire_time are Unix
 * seconds, as typed_diskcache writes them, so expiry compares against the
 * wall clock.  Everything that measures a wait (timeouts, deadlines, the
 * second a parked place is kept, poll intervals) uses the monotonic clock,
 * which does not jump when the system time is set.
 */
#ifndef LOCKFS_CLOCK_H
#define LOCKFS_CLOCK_H

#include <time.h>

/* Unix seconds with a fraction: the times in the cache. */
static inline double clock_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds since an arbitrary point, never going back: waits and deadlines. */
static inline double clock_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
