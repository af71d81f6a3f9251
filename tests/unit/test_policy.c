/*
 * test_policy.c — policy values and their inheritance down the tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dir.h"
#include "helpers.h"
#include "lock.h"
#include "policy.h"

static void test_timeout_takes_plain_decimal_seconds_or_inf_only(void **state)
{
	double s;

	assert_int_equal(policy_parse_timeout("10", 2, &s), 0);
	assert_true(s == 10);
	assert_int_equal(policy_parse_timeout("0.25", 4, &s), 0);
	assert_true(s == 0.25);
	assert_int_equal(policy_parse_timeout("0", 1, &s), 0);
	assert_true(s == 0);
	assert_int_equal(policy_parse_timeout("inf", 3, &s), 0);
	assert_true(isinf(s));
	assert_int_equal(policy_parse_timeout("-1", 2, &s), -EINVAL);
	assert_int_equal(policy_parse_timeout("abc", 3, &s), -EINVAL);
	assert_int_equal(policy_parse_timeout("", 0, &s), -EINVAL);
	assert_int_equal(policy_parse_timeout("1e3", 3, &s), -EINVAL);
	assert_int_equal(policy_parse_timeout(".", 1, &s), -EINVAL);
	assert_int_equal(policy_parse_timeout("nan", 3, &s), -EINVAL);
}

static void test_ttl_takes_positive_seconds_or_none_only(void **state)
{
	double s;
	bool has;

	assert_int_equal(policy_parse_ttl("30", 2, &has, &s), 0);
	assert_true(has && s == 30);
	assert_int_equal(policy_parse_ttl("none", 4, &has, &s), 0);
	assert_false(has);
	assert_int_equal(policy_parse_ttl("0", 1, &has, &s), -EINVAL);
	assert_int_equal(policy_parse_ttl("-5", 2, &has, &s), -EINVAL);
	assert_int_equal(policy_parse_ttl("abc", 3, &has, &s), -EINVAL);
}

static void test_tags_are_sorted_unique_and_refuse_empty_bad_or_long_ones(void **state)
{
	char *t, long_tag[102];

	assert_int_equal(policy_parse_tags("prod,ci,prod", 12, &t), 0);
	assert_string_equal(t, "ci,prod");
	free(t);
	assert_int_equal(policy_parse_tags("", 0, &t), 0);
	assert_string_equal(t, "");
	free(t);
	assert_int_equal(policy_parse_tags("a,,b", 4, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(policy_parse_tags("a,", 2, &t), -EINVAL);
	assert_int_equal(policy_parse_tags("\xff", 1, &t), -EINVAL);
	assert_int_equal(policy_parse_tags("a\nb", 3, &t), -EINVAL);
	memset(long_tag, 'x', sizeof(long_tag));
	assert_int_equal(policy_parse_tags(long_tag, 100, &t), 0);
	free(t);
	assert_int_equal(policy_parse_tags(long_tag, 101, &t), -EINVAL);
}

static void test_seconds_print_without_trailing_zeros_and_infinity_as_inf(void **state)
{
	char out[32];

	policy_format_seconds(10, out, sizeof(out));
	assert_string_equal(out, "10");
	policy_format_seconds(0.25, out, sizeof(out));
	assert_string_equal(out, "0.25");
	policy_format_seconds(INFINITY, out, sizeof(out));
	assert_string_equal(out, "inf");
}

static void test_inheritance_nearest_wins(void **state)
{
	char *dir = make_temp_dir();
	struct store *st;
	enum store_refusal why;
	struct caller root = {.uid = 0}, user = {.uid = 1234};
	struct policy defaults = {.timeout = 10, .tags = (char *)"mount"}, p;
	char value[64];

	assert_int_equal(store_open(dir, &st, &why), 0);
	assert_int_equal(dir_make(st, "a", &root), 0);
	assert_int_equal(dir_make(st, "a/b", &root), 0);
	assert_int_equal(policy_dir_set(st, "", &root, POLICY_TTL, "100", 3), 0);
	assert_int_equal(policy_dir_set(st, "a", &root, POLICY_TIMEOUT, "2.5", 3), 0);
	assert_int_equal(policy_dir_set(st, "a", &root, POLICY_TAGS, "z,y", 3), 0);
	assert_int_equal(policy_dir_set(st, "a/b", &root, POLICY_TIMEOUT, "inf", 3), 0);
	assert_int_equal(policy_dir_set(st, "a/b", &user, POLICY_TIMEOUT, "1", 1), -EPERM);
	assert_int_equal(policy_dir_set(st, "a/b", &root, POLICY_TIMEOUT, "x", 1), -EINVAL);
	assert_int_equal(policy_dir_set(st, "a/b", &root, POLICY_TAGS, "a,,b", 4), -EINVAL);

	assert_int_equal(policy_resolve(st, "a/b", &defaults, &p), 0);
	assert_true(isinf(p.timeout));
	assert_true(p.has_ttl && p.ttl == 100);
	assert_string_equal(p.tags, "y,z");
	policy_clear(&p);
	assert_int_equal(policy_resolve(st, "a", &defaults, &p), 0);
	assert_true(p.timeout == 2.5);
	policy_clear(&p);
	assert_int_equal(policy_resolve(st, "elsewhere", &defaults, &p), 0);
	assert_true(p.timeout == 10);
	assert_true(p.has_ttl);
	assert_string_equal(p.tags, "mount");
	policy_clear(&p);

	assert_int_equal(policy_dir_get(st, "a", POLICY_TIMEOUT, value, sizeof(value)), 3);
	assert_string_equal(value, "2.5");
	assert_int_equal(policy_dir_get(st, "a", POLICY_TTL, value, sizeof(value)), -ENODATA);
	assert_int_equal(policy_dir_remove(st, "a", &root, POLICY_TTL), -ENODATA);
	assert_int_equal(policy_dir_remove(st, "a/b", &root, POLICY_TIMEOUT), 0);
	assert_int_equal(policy_resolve(st, "a/b", &defaults, &p), 0);
	assert_true(p.timeout == 2.5);
	policy_clear(&p);
	assert_int_equal(policy_dir_set(st, "", &root, POLICY_TTL, "none", 4), 0);
	assert_int_equal(policy_resolve(st, "a", &defaults, &p), 0);
	assert_false(p.has_ttl);
	policy_clear(&p);
	store_close(st);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeout_takes_plain_decimal_seconds_or_inf_only),
		cmocka_unit_test(test_ttl_takes_positive_seconds_or_none_only),
		cmocka_unit_test(test_tags_are_sorted_unique_and_refuse_empty_bad_or_long_ones),
		cmocka_unit_test(test_seconds_print_without_trailing_zeros_and_infinity_as_inf),
		cmocka_unit_test(test_inheritance_nearest_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
