/*
 * test_etcd_lock_json.c — a lock's JSON on etcd: the session lease each
 * daemon with holds on it wrote there ("leases"), which lets the daemon
 * that gives up the oldest hold hand the key to the next holder's lease.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "etcd_store_int.h"

static struct etcd_lock parsed(const char *text)
{
	json_object *obj = json_tokener_parse(text);
	struct etcd_lock l;

	assert_non_null(obj);
	assert_int_equal(etcd_lock_from_json(obj, &l), 0);
	json_object_put(obj);
	return l;
}

static struct instance instance(const char *host, int32_t pid, uint64_t start)
{
	struct instance in = {.pid = pid, .start_time = start};

	strcpy(in.host, host);
	return in;
}

static void test_leases_are_read_by_daemon(void **state)
{
	struct etcd_lock l = parsed(
	    "{\"count\":2,\"leases\":{\"alpha 10 500\":\"7001\",\"beta.example 22 9\":\"7002\"}}");
	struct instance alpha = instance("alpha", 10, 500), beta = instance("beta.example", 22, 9);
	struct instance other_start = instance("alpha", 10, 501), other_host = instance("gamma", 10, 500);

	(void)state;
	assert_int_equal(etcd_lock_lease_of(&l, &alpha), 7001);
	assert_int_equal(etcd_lock_lease_of(&l, &beta), 7002);
	assert_int_equal(etcd_lock_lease_of(&l, &other_start), 0);
	assert_int_equal(etcd_lock_lease_of(&l, &other_host), 0);
	etcd_lock_clear(&l);
}

static void test_bad_entries_are_skipped_and_absent_is_none(void **state)
{
	struct etcd_lock l = parsed("{\"count\":1,\"leases\":{\"nohost\":\"1\",\"h x 5\":\"2\","
				    "\"h 5 x\":\"3\",\" 5 6\":\"4\",\"h 5 6\":\"0\",\"h 5 7\":\"8\"}}");
	struct instance h57 = instance("h", 5, 7), h56 = instance("h", 5, 6);

	(void)state;
	assert_int_equal(l.lease_count, 1);
	assert_int_equal(etcd_lock_lease_of(&l, &h57), 8);
	assert_int_equal(etcd_lock_lease_of(&l, &h56), 0);
	etcd_lock_clear(&l);
	l = parsed("{\"count\":1,\"leases\":\"not an object\"}");
	assert_int_equal(l.lease_count, 0);
	etcd_lock_clear(&l);
	l = parsed("{\"count\":1}");
	assert_int_equal(l.lease_count, 0);
	assert_int_equal(etcd_lock_lease_of(&l, &h57), 0);
	etcd_lock_clear(&l);
}

static struct store_hold hold(int64_t id, const struct instance *in)
{
	return (struct store_hold){.id = id, .binding = STORE_BOUND_FLOCK, .shared = true,
				   .instance = *in};
}

static void test_a_write_names_the_daemons_with_live_holds(void **state)
{
	struct etcd_store es = {.self = "self 1 1"};
	struct instance me = *instance_self(), other = instance("far", 7, 70),
			given_up = instance("gone", 8, 80), unknown = instance("new", 9, 90);
	struct etcd_lock l = parsed("{\"count\":3,\"leases\":{\"far 7 70\":\"6001\","
				    "\"gone 8 80\":\"6002\",\"stale 3 30\":\"6003\"}}");
	struct store_hold items[] = {hold(1, &other), hold(0, &given_up), hold(2, &me),
				     hold(3, &other), hold(4, &unknown)};
	json_object *obj, *leases;
	struct etcd_lock back;
	char *text;

	(void)state;
	atomic_store(&es.lease, 5005);
	l.holds = (struct store_holds){.items = malloc(sizeof(items)), .count = 5, .cap = 5};
	assert_non_null(l.holds.items);
	memcpy(l.holds.items, items, sizeof(items));
	text = etcd_lock_to_json(&es, &l, 1);
	assert_non_null(text);
	obj = json_tokener_parse(text);
	assert_true(json_object_object_get_ex(obj, "leases", &leases));
	/* The other daemon's as it was, this daemon's as it is now; no others. */
	assert_int_equal(json_object_object_length(leases), 2);
	assert_int_equal(etcd_int(leases, "far 7 70"), 6001);
	back = parsed(text);
	assert_int_equal(etcd_lock_lease_of(&back, &me), 5005);
	assert_int_equal(etcd_lock_lease_of(&back, &other), 6001);
	assert_int_equal(etcd_lock_lease_of(&back, &given_up), 0);
	assert_int_equal(etcd_lock_lease_of(&back, &unknown), 0);
	etcd_lock_clear(&back);
	json_object_put(obj);
	free(text);
	etcd_lock_clear(&l);
}

static void test_a_lock_without_holds_names_no_leases(void **state)
{
	struct etcd_store es = {.self = "self 1 1"};
	struct etcd_lock l = parsed("{\"count\":1,\"leases\":{\"far 7 70\":\"6001\"}}");
	json_object *obj;
	char *text;

	(void)state;
	atomic_store(&es.lease, 5005);
	text = etcd_lock_to_json(&es, &l, 1);
	assert_non_null(text);
	obj = json_tokener_parse(text);
	assert_false(json_object_object_get_ex(obj, "leases", NULL));
	json_object_put(obj);
	free(text);
	etcd_lock_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leases_are_read_by_daemon),
	    cmocka_unit_test(test_bad_entries_are_skipped_and_absent_is_none),
	    cmocka_unit_test(test_a_write_names_the_daemons_with_live_holds),
	    cmocka_unit_test(test_a_lock_without_holds_names_no_leases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
