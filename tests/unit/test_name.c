/*
 * test_name.c — which names can be files and which keys can be shown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "name.h"

static void test_utf8_is_checked_strictly(void **state)
{
	assert_true(name_utf8_valid("plain", 5));
	assert_true(name_utf8_valid("ünïcode-ключ", strlen("ünïcode-ключ")));
	assert_true(name_utf8_valid("\xf0\x9f\x94\x92", 4)); /* U+1F512 */
	assert_false(name_utf8_valid("\xff", 1));
	assert_false(name_utf8_valid("\xc3", 1));             /* truncated */
	assert_false(name_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(name_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(name_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
}

static void test_component_refuses_over_255_bytes_bad_utf8_empty_dots_slash(void **state)
{
	char long_name[300];

	memset(long_name, 'a', sizeof(long_name));
	assert_int_equal(name_check_component("lock", 4), 0);
	assert_int_equal(name_check_component(long_name, 255), 0);
	assert_int_equal(name_check_component(long_name, 256), -ENAMETOOLONG);
	assert_int_equal(name_check_component("\xff", 1), -EILSEQ);
	assert_int_equal(name_check_component("", 0), -EINVAL);
	assert_int_equal(name_check_component(".", 1), -EINVAL);
	assert_int_equal(name_check_component("..", 2), -EINVAL);
	assert_int_equal(name_check_component("a/b", 3), -EINVAL);
}

static void test_only_normal_relative_utf8_keys_are_showable(void **state)
{
	assert_true(name_key_showable("deploy", 6));
	assert_true(name_key_showable("build/42", 8));
	assert_false(name_key_showable("", 0));
	assert_false(name_key_showable("/abs", 4));
	assert_false(name_key_showable("trailing/", 9));
	assert_false(name_key_showable("a//b", 4));
	assert_false(name_key_showable("a/./b", 5));
	assert_false(name_key_showable("a/../b", 6));
	assert_false(name_key_showable("nul\0byte", 8));
	assert_false(name_key_showable("bad\xff", 4));
}

static void test_join_puts_the_name_under_its_dir_and_refuses_overlong_keys(void **state)
{
	char out[KEY_MAX_BYTES + 1];
	static char big[KEY_MAX_BYTES];

	assert_int_equal(name_join("", "a", 1, out, sizeof(out)), 1);
	assert_string_equal(out, "a");
	assert_int_equal(name_join("dir/sub", "x", 1, out, sizeof(out)), 9);
	assert_string_equal(out, "dir/sub/x");
	memset(big, 'd', sizeof(big) - 1);
	assert_int_equal(name_join(big, "x", 1, out, sizeof(out)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_is_checked_strictly),
		cmocka_unit_test(test_component_refuses_over_255_bytes_bad_utf8_empty_dots_slash),
		cmocka_unit_test(test_only_normal_relative_utf8_keys_are_showable),
		cmocka_unit_test(test_join_puts_the_name_under_its_dir_and_refuses_overlong_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
