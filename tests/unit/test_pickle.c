/*
 * test_pickle.c — the pickle subset against bytes CPython wrote.
 *
 * pickle-vectors.tsv holds (protocol, repr, hex) lines made by CPython 3.11.
 * Every protocol-5 line must encode byte for byte; every line must decode to
 * the value its repr names; every prefix of every line and a flood of
 * random and hostile inputs must be refused without reading past the buffer
 * (the sanitized build checks that: inputs are copied to exact-size blocks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "pickle.h"

struct vector {
	int protocol;
	char repr[512];
	uint8_t bytes[1024];
	size_t len;
};

static struct vector *vectors;
static size_t vector_count;

static int load_vectors(void **state)
{
	char path[4096], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pickle-vectors.tsv", fixtures_dir());
	f = fopen(path, "r");
	assert_non_null(f);
	vectors = calloc(256, sizeof(*vectors));
	while (fgets(line, sizeof(line), f)) {
		char *proto = strtok(line, "\t"), *repr = strtok(NULL, "\t"), *hex = strtok(NULL, "\t\n");
		struct vector *v;

		if (!proto || !repr || !hex || proto[0] == '#')
			continue;
		assert_true(vector_count < 256);
		v = &vectors[vector_count++];
		v->protocol = atoi(proto);
		snprintf(v->repr, sizeof(v->repr), "%s", repr);
		v->len = hex_decode(hex, v->bytes, sizeof(v->bytes));
	}
	fclose(f);
	assert_true(vector_count >= 100);
	return 0;
}

static int free_vectors(void **state)
{
	free(vectors);
	return 0;
}

/* What a repr names: 'text', None, an int, or ('owner', n). */
static struct pickle_value expected_of(const char *repr, char *text, size_t cap)
{
	struct pickle_value v = {0};

	if (strcmp(repr, "None") == 0) {
		v.kind = PICKLE_NONE;
	} else if (repr[0] == '\'') {
		size_t len = strlen(repr) - 2;

		assert_true(len < cap);
		memcpy(text, repr + 1, len);
		v.kind = PICKLE_STR;
		v.text = text;
		v.text_len = len;
	} else if (repr[0] == '(') {
		const char *close = strchr(repr + 2, '\'');
		size_t len = (size_t)(close - (repr + 2));

		memcpy(text, repr + 2, len);
		v.kind = PICKLE_OWNER;
		v.text = text;
		v.text_len = len;
		v.number = strtoll(close + 2, NULL, 10);
	} else {
		v.kind = PICKLE_INT;
		v.number = strtoll(repr, NULL, 10);
	}
	return v;
}

/*
 * Decode from an exact-size heap copy, so any over-read is caught; the
 * decoded text is copied out before the copy is freed.
 */
static char decoded_text[1024];

static int decode_exact(const uint8_t *bytes, size_t len, struct pickle_value *v)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, bytes, len);
	rc = pickle_decode(copy, len, v);
	if (rc == 0 && (v->kind == PICKLE_STR || v->kind == PICKLE_OWNER)) {
		assert_true(v->text >= (const char *)copy &&
			    v->text + v->text_len <= (const char *)copy + len);
		assert_true(v->text_len < sizeof(decoded_text));
		memcpy(decoded_text, v->text, v->text_len);
		v->text = decoded_text;
	}
	free(copy);
	return rc;
}

static void test_protocol5_lines_encode_byte_for_byte(void **state)
{
	unsigned checked = 0;

	for (size_t i = 0; i < vector_count; i++) {
		struct vector *vec = &vectors[i];
		char text[512];
		uint8_t out[1024];
		struct pickle_value want;
		ssize_t n;

		if (vec->protocol != 5)
			continue;
		want = expected_of(vec->repr, text, sizeof(text));
		assert_int_equal(pickle_encoded_size(&want), vec->len);
		n = pickle_encode(&want, out, sizeof(out));
		assert_int_equal(n, (ssize_t)vec->len);
		assert_memory_equal(out, vec->bytes, vec->len);
		checked++;
	}
	assert_true(checked >= 25);
}

static void test_every_line_decodes_to_its_value(void **state)
{
	for (size_t i = 0; i < vector_count; i++) {
		struct vector *vec = &vectors[i];
		char text[512];
		struct pickle_value want = expected_of(vec->repr, text, sizeof(text)), got;

		assert_int_equal(decode_exact(vec->bytes, vec->len, &got), 0);
		assert_int_equal(got.kind, want.kind);
		if (want.kind == PICKLE_STR || want.kind == PICKLE_OWNER) {
			assert_int_equal(got.text_len, want.text_len);
			assert_memory_equal(got.text, want.text, want.text_len);
		}
		if (want.kind == PICKLE_INT || want.kind == PICKLE_OWNER)
			assert_int_equal(got.number, want.number);
	}
}

static void test_every_truncation_is_refused(void **state)
{
	for (size_t i = 0; i < vector_count; i++) {
		for (size_t cut = 0; cut < vectors[i].len; cut++) {
			struct pickle_value got;

			assert_int_equal(decode_exact(vectors[i].bytes, cut, &got), -EINVAL);
			assert_int_equal(got.kind, PICKLE_OTHER);
		}
	}
}

static void test_hostile_inputs_are_other_data(void **state)
{
	static const char *const hostile[] = {
		"",					/* empty */
		"2e",					/* STOP only */
		"80062e",				/* protocol 6 */
		"80012e",				/* protocol 1 */
		"8005",					/* no STOP */
		"80054e4e2e",				/* two values */
		"80054e2e00",				/* bytes after STOP */
		"800595ffffffffffffff7f4e2e",		/* FRAME longer than the input */
		"80058cff41",				/* short str past the end */
		"800558ffffffff41422e",			/* BINUNICODE length 4 GiB */
		"80058a09010203040506070809862e",	/* LONG1 wider than int64 */
		"8005636f730a73797374656d0a2e",		/* GLOBAL os.system */
		"80058c01619452",			/* REDUCE */
		"8005942e",				/* MEMOIZE on an empty stack */
		"8005862e",				/* TUPLE2 on an empty stack */
		"80054b014b01862e",			/* (int, int) */
		"80058c0161948c01629486942e",		/* (str, str) */
		"80058c0161944b01864b0186942e",		/* nested tuple */
		"800571002e",				/* BINPUT on an empty stack */
		"80058c016194710",			/* truncated BINPUT */
		"8005287429",				/* MARK, TUPLE, EMPTY_TUPLE */
		"8005430141942e",			/* SHORT_BINBYTES */
	};

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		uint8_t buf[64];
		size_t len = hex_decode(hostile[i], buf, sizeof(buf));
		struct pickle_value got;

		if (decode_exact(buf, len, &got) != -EINVAL)
			fail_msg("accepted hostile input %s", hostile[i]);
		assert_int_equal(got.kind, PICKLE_OTHER);
	}
}

/* Append a random opcode of the subset, with arguments that may be wrong. */
static size_t random_op(uint8_t *p, unsigned *seed)
{
	static const uint8_t ops[] = {0x4e, 0x4b, 0x4d, 0x4a, 0x8a, 0x8c, 0x58, 0x86, 0x94, 0x71, 0x95};
	uint8_t op = ops[rand_r(seed) % (int)sizeof(ops)];
	size_t n = 0;

	p[n++] = op;
	switch (op) {
	case 0x4b: case 0x71:
		p[n++] = (uint8_t)rand_r(seed);
		break;
	case 0x4d:
		p[n++] = (uint8_t)rand_r(seed), p[n++] = (uint8_t)rand_r(seed);
		break;
	case 0x4a:
		for (int i = 0; i < 4; i++)
			p[n++] = (uint8_t)rand_r(seed);
		break;
	case 0x8a: {
		uint8_t width = (uint8_t)(rand_r(seed) % 10);

		p[n++] = width;
		for (int i = 0; i < width; i++)
			p[n++] = (uint8_t)rand_r(seed);
		break;
	}
	case 0x8c: {
		uint8_t len = (uint8_t)(rand_r(seed) % 5);

		p[n++] = len;
		for (int i = 0; i < len; i++)
			p[n++] = (uint8_t)('a' + rand_r(seed) % 26);
		break;
	}
	case 0x58:
		p[n++] = (uint8_t)(rand_r(seed) % 4);
		p[n++] = 0, p[n++] = 0, p[n++] = 0;
		for (int i = 0; i < p[n - 4]; i++)
			p[n++] = 'x';
		break;
	case 0x95:
		p[n++] = (uint8_t)(rand_r(seed) % 40);
		for (int i = 0; i < 7; i++)
			p[n++] = 0;
		break;
	}
	return n;
}

static void test_random_inputs_never_crash(void **state)
{
	unsigned seed = 12345, accepted = 0;

	for (int round = 0; round < 200000; round++) {
		uint8_t buf[128];
		size_t len = 0;
		struct pickle_value got;

		if (round % 2) {
			len = (size_t)(rand_r(&seed) % 48);
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rand_r(&seed);
		} else {
			buf[len++] = 0x80;
			buf[len++] = (uint8_t)(1 + rand_r(&seed) % 6);
			for (int ops = 1 + rand_r(&seed) % 4; ops > 0; ops--)
				len += random_op(buf + len, &seed);
			buf[len++] = 0x2e;
			if (rand_r(&seed) % 4 == 0)
				len = (size_t)(rand_r(&seed) % (int)len);
		}
		if (decode_exact(buf, len, &got) == 0) {
			accepted++;
			assert_true(got.kind != PICKLE_OTHER);
		} else {
			assert_int_equal(got.kind, PICKLE_OTHER);
		}
	}
	/* The structured half must reach every kind of value, not only refusals. */
	assert_true(accepted > 1000);
}

static void test_long_keys_use_binunicode_and_refuse_64k(void **state)
{
	static char text[70000];
	uint8_t out[300];
	struct pickle_value got;
	ssize_t n;

	memset(text, 'k', sizeof(text));
	n = pickle_encode_str(text, 256, out, sizeof(out));
	assert_int_equal(n, 2 + 9 + 5 + 256 + 2);
	assert_int_equal(out[11], 0x58);
	assert_int_equal(decode_exact(out, (size_t)n, &got), 0);
	assert_int_equal(got.kind, PICKLE_STR);
	assert_int_equal(got.text_len, 256);
	assert_int_equal(pickle_encode_str(text, 256, out, 100), -ENOSPC);
	assert_int_equal(pickle_encode_str(text, 65536, out, sizeof(out)), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocol5_lines_encode_byte_for_byte),
		cmocka_unit_test(test_every_line_decodes_to_its_value),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_hostile_inputs_are_other_data),
		cmocka_unit_test(test_random_inputs_never_crash),
		cmocka_unit_test(test_long_keys_use_binunicode_and_refuse_64k),
	};

	return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
