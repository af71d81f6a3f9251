/*
 * open_flags.h — the open flags of fsop and lockop, spelled as the tests
 * spell them: r w rw, then c (O_CREAT) x (O_EXCL) t (O_TRUNC).
 */
#ifndef LOCKFS_TESTS_OPEN_FLAGS_H
#define LOCKFS_TESTS_OPEN_FLAGS_H

#include <fcntl.h>
#include <string.h>

static inline int open_flags(const char *spec)
{
	int flags = O_RDONLY;

	if (strncmp(spec, "rw", 2) == 0)
		flags = O_RDWR, spec += 2;
	else if (*spec == 'w')
		flags = O_WRONLY, spec++;
	else if (*spec == 'r')
		spec++;
	for (; *spec; spec++) {
		if (*spec == 'c')
			flags |= O_CREAT;
		else if (*spec == 'x')
			flags |= O_EXCL;
		else if (*spec == 't')
			flags |= O_TRUNC;
	}
	return flags;
}

#endif
