/*
 * pickle.c — encode and decode the pickle shapes of lock rows.
 *
 * Why a closed subset: a pickle is a program for Python's unpickler and can
 * build any object.  lockfs only needs to recognise a str key, None, an int
 * (a semaphore: other data) and an (owner, count) tuple, so it walks the
 * opcode stream with a two-slot stack and refuses every opcode outside that
 * set.  Nothing is executed, nothing is allocated, every length is checked
 * against the bytes that remain.
 *
 * The encoder reproduces CPython's C pickler at protocol 5: PROTO 5, then one
 * FRAME around the body when the body is at least 4 bytes long, MEMOIZE after
 * each str and tuple, and the smallest int opcode that holds the number.
 */
#include "pickle.h"

#include <errno.h>
#include <string.h>

enum {
	OP_PROTO = 0x80,
	OP_FRAME = 0x95,
	OP_SHORT_BINUNICODE = 0x8c,
	OP_BINUNICODE = 0x58,
	OP_BININT = 0x4a,
	OP_BININT1 = 0x4b,
	OP_BININT2 = 0x4d,
	OP_LONG1 = 0x8a,
	OP_NONE = 0x4e,
	OP_TUPLE2 = 0x86,
	OP_MEMOIZE = 0x94,
	OP_BINPUT = 0x71,
	OP_LONG_BINPUT = 0x72,
	OP_STOP = 0x2e,
};

#define FRAME_SIZE_MIN 4
/* CPython writes payloads of 64 KiB or more outside the frame; we never do. */
#define TEXT_MAX (64 * 1024 - 1)

static size_t str_op_size(size_t text_len)
{
	return (text_len <= 0xff ? 2 : 5) + text_len;
}

/* Bytes of the smallest signed little-endian form of n (1..8). */
static unsigned long1_width(int64_t n)
{
	unsigned width = 1;

	while (width < 8) {
		int64_t lo = -((int64_t)1 << (8 * width - 1));
		int64_t hi = ((int64_t)1 << (8 * width - 1)) - 1;

		if (n >= lo && n <= hi)
			break;
		width++;
	}
	return width;
}

static size_t int_op_size(int64_t n)
{
	if (n >= 0 && n <= 0xff)
		return 2;
	if (n >= 0 && n <= 0xffff)
		return 3;
	if (n >= INT32_MIN && n <= INT32_MAX)
		return 5;
	return 2 + long1_width(n);
}

/* Total size given the body size (everything between PROTO and the end). */
static size_t framed_size(size_t body)
{
	return 2 + (body >= FRAME_SIZE_MIN ? 9 : 0) + body;
}

/* Size of the body: the value's opcodes, MEMOIZEs and STOP. */
static size_t body_size(const struct pickle_value *v)
{
	switch (v->kind) {
	case PICKLE_NONE:
		return 1 + 1;
	case PICKLE_STR:
		return str_op_size(v->text_len) + 1 + 1;
	case PICKLE_INT:
		return int_op_size(v->number) + 1;
	case PICKLE_OWNER:
		return str_op_size(v->text_len) + 1 + int_op_size(v->number) + 2 + 1;
	case PICKLE_OTHER:
		break;
	}
	return 0;
}

size_t pickle_encoded_size(const struct pickle_value *v)
{
	size_t body = body_size(v);

	return body ? framed_size(body) : 0;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Write PROTO 5 and, when the body is big enough, the FRAME header. */
static uint8_t *put_header(uint8_t *p, size_t body)
{
	*p++ = OP_PROTO;
	*p++ = 5;
	if (body >= FRAME_SIZE_MIN) {
		*p++ = OP_FRAME;
		put_le(p, body, 8);
		p += 8;
	}
	return p;
}

static uint8_t *put_str(uint8_t *p, const char *text, size_t len)
{
	if (len <= 0xff) {
		*p++ = OP_SHORT_BINUNICODE;
		*p++ = (uint8_t)len;
	} else {
		*p++ = OP_BINUNICODE;
		put_le(p, len, 4);
		p += 4;
	}
	memcpy(p, text, len);
	p += len;
	*p++ = OP_MEMOIZE;
	return p;
}

static uint8_t *put_int(uint8_t *p, int64_t n)
{
	if (n >= 0 && n <= 0xff) {
		*p++ = OP_BININT1;
		*p++ = (uint8_t)n;
	} else if (n >= 0 && n <= 0xffff) {
		*p++ = OP_BININT2;
		put_le(p, (uint64_t)n, 2);
		p += 2;
	} else if (n >= INT32_MIN && n <= INT32_MAX) {
		*p++ = OP_BININT;
		put_le(p, (uint64_t)n, 4);
		p += 4;
	} else {
		unsigned width = long1_width(n);

		*p++ = OP_LONG1;
		*p++ = (uint8_t)width;
		put_le(p, (uint64_t)n, width);
		p += width;
	}
	return p;
}

ssize_t pickle_encode(const struct pickle_value *v, uint8_t *out, size_t cap)
{
	size_t body = body_size(v);
	uint8_t *p;

	if (body == 0)
		return -EINVAL;
	if ((v->kind == PICKLE_STR || v->kind == PICKLE_OWNER) && v->text_len > TEXT_MAX)
		return -E2BIG;
	if (cap < framed_size(body))
		return -ENOSPC;
	p = put_header(out, body);
	switch (v->kind) {
	case PICKLE_NONE:
		*p++ = OP_NONE;
		break;
	case PICKLE_STR:
		p = put_str(p, v->text, v->text_len);
		break;
	case PICKLE_INT:
		p = put_int(p, v->number);
		break;
	case PICKLE_OWNER:
		p = put_str(p, v->text, v->text_len);
		p = put_int(p, v->number);
		*p++ = OP_TUPLE2;
		*p++ = OP_MEMOIZE;
		break;
	case PICKLE_OTHER:
		break;
	}
	*p++ = OP_STOP;
	return p - out;
}

ssize_t pickle_encode_str(const char *text, size_t text_len, uint8_t *out, size_t cap)
{
	struct pickle_value v = {.kind = PICKLE_STR, .text = text, .text_len = text_len};

	return pickle_encode(&v, out, cap);
}

ssize_t pickle_encode_owner(const char *owner, size_t owner_len, int64_t count, uint8_t *out,
			    size_t cap)
{
	struct pickle_value v = {
		.kind = PICKLE_OWNER, .text = owner, .text_len = owner_len, .number = count};

	return pickle_encode(&v, out, cap);
}

/* Decoding: a cursor over the buffer and a stack of at most two values. */
struct reader {
	const uint8_t *p, *end;
	struct pickle_value stack[2];
	int depth;
};

static int take(struct reader *r, size_t n, const uint8_t **bytes)
{
	if ((size_t)(r->end - r->p) < n)
		return -EINVAL;
	*bytes = r->p;
	r->p += n;
	return 0;
}

static int push(struct reader *r, struct pickle_value v)
{
	if (r->depth == 2)
		return -EINVAL;
	r->stack[r->depth++] = v;
	return 0;
}

static int read_str(struct reader *r, unsigned len_width)
{
	const uint8_t *b;
	struct pickle_value v = {.kind = PICKLE_STR};

	if (take(r, len_width, &b) < 0)
		return -EINVAL;
	v.text_len = get_le(b, len_width);
	if (take(r, v.text_len, &b) < 0)
		return -EINVAL;
	v.text = (const char *)b;
	return push(r, v);
}

static int read_int(struct reader *r, unsigned width, int is_signed)
{
	const uint8_t *b;
	struct pickle_value v = {.kind = PICKLE_INT};
	uint64_t raw;

	if (take(r, width, &b) < 0)
		return -EINVAL;
	raw = get_le(b, width);
	if (is_signed && width > 0 && width < 8 && (raw >> (8 * width - 1)) & 1)
		raw |= ~(uint64_t)0 << (8 * width); /* sign-extend */
	v.number = (int64_t)raw;
	return push(r, v);
}

static int read_long1(struct reader *r)
{
	const uint8_t *b;

	if (take(r, 1, &b) < 0 || b[0] > 8)
		return -EINVAL; /* wider than int64_t: other data */
	return read_int(r, b[0], 1);
}

static int make_tuple2(struct reader *r)
{
	struct pickle_value owner, count;

	if (r->depth != 2)
		return -EINVAL;
	owner = r->stack[0];
	count = r->stack[1];
	if (owner.kind != PICKLE_STR || count.kind != PICKLE_INT)
		return -EINVAL;
	r->depth = 0;
	owner.kind = PICKLE_OWNER;
	owner.number = count.number;
	return push(r, owner);
}

static int step(struct reader *r, uint8_t op)
{
	const uint8_t *b;

	switch (op) {
	case OP_FRAME:
		if (take(r, 8, &b) < 0 || get_le(b, 8) > (uint64_t)(r->end - r->p))
			return -EINVAL;
		return 0;
	case OP_SHORT_BINUNICODE:
		return read_str(r, 1);
	case OP_BINUNICODE:
		return read_str(r, 4);
	case OP_BININT:
		return read_int(r, 4, 1);
	case OP_BININT1:
		return read_int(r, 1, 0);
	case OP_BININT2:
		return read_int(r, 2, 0);
	case OP_LONG1:
		return read_long1(r);
	case OP_NONE:
		return push(r, (struct pickle_value){.kind = PICKLE_NONE});
	case OP_TUPLE2:
		return make_tuple2(r);
	case OP_MEMOIZE:
		return r->depth > 0 ? 0 : -EINVAL;
	case OP_BINPUT:
		return r->depth > 0 ? take(r, 1, &b) : -EINVAL;
	case OP_LONG_BINPUT:
		return r->depth > 0 ? take(r, 4, &b) : -EINVAL;
	default:
		return -EINVAL;
	}
}

int pickle_decode(const uint8_t *buf, size_t len, struct pickle_value *v)
{
	struct reader r = {.p = buf, .end = buf + len};
	const uint8_t *b;

	memset(v, 0, sizeof(*v));
	if (take(&r, 2, &b) < 0 || b[0] != OP_PROTO || b[1] < 2 || b[1] > 5)
		return -EINVAL;
	while (r.p < r.end) {
		uint8_t op = *r.p++;

		if (op == OP_STOP) {
			if (r.depth != 1 || r.p != r.end)
				return -EINVAL;
			*v = r.stack[0];
			return 0;
		}
		if (step(&r, op) < 0)
			return -EINVAL;
	}
	return -EINVAL; /* no STOP */
}
