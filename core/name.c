/*
 * name.c — UTF-8 and path checks for keys and file names.
 *
 * The filesystem shows keys as paths, so a key is only shown when every
 * component is something the kernel can hand back to us as a name.  UTF-8
 * is checked strictly (RFC 3629): a name the kernel gives us that is not
 * valid UTF-8 could never be a Python str key.
 */
#include "name.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

bool name_utf8_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;

	while (p < end) {
		uint8_t c = *p++;
		unsigned more;
		uint32_t cp, min;

		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0) {
			more = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			more = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			more = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if ((size_t)(end - p) < more)
			return false;
		while (more--) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

int name_check_component(const char *name, size_t len)
{
	if (len > NAME_MAX_BYTES)
		return -ENAMETOOLONG;
	if (len == 0 || memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	if (!name_utf8_valid(name, len))
		return -EILSEQ;
	return 0;
}

bool name_key_showable(const char *key, size_t len)
{
	size_t start = 0;

	if (len == 0 || len > KEY_MAX_BYTES)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && key[i] != '/')
			continue;
		if (name_check_component(key + start, i - start) < 0)
			return false;
		start = i + 1;
	}
	return true;
}

int name_join(const char *dir, const char *name, size_t name_len, char *out, size_t cap)
{
	size_t dir_len = strlen(dir);
	size_t total = dir_len + (dir_len ? 1 : 0) + name_len;

	if (total > KEY_MAX_BYTES || total + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(out, dir, dir_len);
	if (dir_len)
		out[dir_len] = '/';
	memcpy(out + total - name_len, name, name_len);
	out[total] = '\0';
	return (int)total;
}

void name_dir_of(const char *key, char *out, size_t cap)
{
	const char *slash = strrchr(key, '/');

	snprintf(out, cap, "%.*s", slash ? (int)(slash - key) : 0, key);
}
