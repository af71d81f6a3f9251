/*
 * test_stats.c — counters, quantiles of durations, and the JSON they make.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "stats.h"

/* |got - want| <= 6.25% of want: within one bucket's half-width and more. */
static void assert_near(double got, double want)
{
	if (fabs(got - want) > want * 0.0625)
		fail_msg("got %.9f, want %.9f (within 6.25%%)", got, want);
}

static void test_empty_times_have_no_quantile(void **state)
{
	struct stats s;

	stats_init(&s, 100);
	assert_true(isnan(stats_quantile(&s.wait, 0.5)));
	assert_true(isnan(stats_quantile(&s.hold, 0.99)));
}

static void test_one_duration_is_every_quantile_exactly(void **state)
{
	struct stats s;

	stats_init(&s, 100);
	stats_time(&s.wait, 0.001234);
	assert_true(stats_quantile(&s.wait, 0.5) == 0.001234);
	assert_true(stats_quantile(&s.wait, 0.99) == 0.001234);
	assert_int_equal(s.wait.count, 1);
}

static void test_quantiles_of_a_spread_are_within_a_bucket(void **state)
{
	struct stats s;

	stats_init(&s, 0);
	/* 1 ms .. 1000 ms, one each: p50 500 ms, p90 900 ms, p99 990 ms. */
	for (int i = 1; i <= 1000; i++)
		stats_time(&s.hold, i * 0.001);
	assert_near(stats_quantile(&s.hold, 0.5), 0.5);
	assert_near(stats_quantile(&s.hold, 0.9), 0.9);
	assert_near(stats_quantile(&s.hold, 0.99), 0.99);
	assert_true(stats_quantile(&s.hold, 1.0) <= 1.0); /* never above the largest seen */
}

static void test_tiny_huge_and_negative_durations_are_kept_in_range(void **state)
{
	struct stats s;

	stats_init(&s, 0);
	stats_time(&s.wait, -3);   /* a clock step: counts as 0 */
	stats_time(&s.wait, 1e-9); /* under the first bucket */
	stats_time(&s.wait, 1e9);  /* past the last: the last bucket */
	stats_time(&s.wait, NAN);  /* counted as 0, never a NAN quantile */
	assert_int_equal(s.wait.count, 4);
	assert_true(stats_quantile(&s.wait, 0.5) == 0);
	assert_true(stats_quantile(&s.wait, 0.75) >= 0 && stats_quantile(&s.wait, 0.75) <= 1e-6);
	assert_true(stats_quantile(&s.wait, 1.0) == 1e9); /* bounded by the exact max */
	assert_false(isnan(stats_quantile(&s.wait, 0.5)));
	/* A row whose store_time is -inf gives an infinite hold: kept as 1e9 s, JSON stays JSON. */
	stats_time(&s.hold, INFINITY);
	stats_time(&s.hold, 1e300);
	assert_true(stats_quantile(&s.hold, 0.5) == 1e9);
	assert_true(stats_quantile(&s.hold, 1.0) == 1e9);
}

static void test_counters_add(void **state)
{
	struct stats s;

	stats_init(&s, 0);
	stats_count(&s, STATS_ACQUISITIONS, 1);
	stats_count(&s, STATS_ACQUISITIONS, 1);
	stats_count(&s, STATS_EXPIRIES, 5);
	assert_int_equal(s.counters[STATS_ACQUISITIONS], 2);
	assert_int_equal(s.counters[STATS_EXPIRIES], 5);
	assert_int_equal(s.counters[STATS_RELEASES], 0);
	assert_string_equal(stats_counter_name(STATS_COMPARE_REFUSALS), "compare_release_refusals");
}

static void test_json_has_every_counter_and_null_quantiles_when_empty(void **state)
{
	char buf[2048];
	struct stats s;
	int len;

	stats_init(&s, 1000.5);
	stats_count(&s, STATS_ACQUISITIONS, 3);
	stats_count(&s, STATS_RELEASES, 2);
	stats_count(&s, STATS_WAITS, 1);
	stats_time(&s.wait, 0.25);
	len = stats_format_json(&s, 1010.75, 1, 0, buf, sizeof(buf));
	assert_int_equal(len, (int)strlen(buf));
	assert_string_equal(
	    buf, "{\"started\": 1000.500000, \"uptime\": 10.250, \"acquisitions\": 3, "
		 "\"releases\": 2, \"breaks\": 0, \"expiries\": 0, \"renewals\": 0, \"waits\": 1, "
		 "\"timeouts\": 0, \"interrupts\": 0, \"compare_release_refusals\": 0, "
		 "\"holds\": 1, \"waiters\": 0, "
		 "\"wait_seconds\": {\"count\": 1, \"p50\": 0.250000, \"p90\": 0.250000, "
		 "\"p99\": 0.250000}, "
		 "\"hold_seconds\": {\"count\": 0, \"p50\": null, \"p90\": null, \"p99\": null}}");
}

static void test_json_length_is_full_when_cut(void **state)
{
	char whole[2048], cut[16];
	struct stats s;
	int full, again;

	stats_init(&s, 1);
	full = stats_format_json(&s, 2, 0, 0, whole, sizeof(whole));
	again = stats_format_json(&s, 2, 0, 0, cut, sizeof(cut));
	assert_int_equal(again, full);
	assert_int_equal(strlen(cut), sizeof(cut) - 1);
	assert_memory_equal(cut, whole, sizeof(cut) - 1);
	assert_int_equal(stats_format_json(&s, 2, 0, 0, NULL, 0), full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_times_have_no_quantile),
	    cmocka_unit_test(test_one_duration_is_every_quantile_exactly),
	    cmocka_unit_test(test_quantiles_of_a_spread_are_within_a_bucket),
	    cmocka_unit_test(test_tiny_huge_and_negative_durations_are_kept_in_range),
	    cmocka_unit_test(test_counters_add),
	    cmocka_unit_test(test_json_has_every_counter_and_null_quantiles_when_empty),
	    cmocka_unit_test(test_json_length_is_full_when_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
