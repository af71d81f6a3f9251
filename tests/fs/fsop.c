/*
 * fsop.c — run file operations in one thread and print each result.
 *
 *   fsop CMD ARGS... [+ CMD ARGS...]...
 *
 * Each command prints one line: "OK", "OK <value>", or the errno name
 * ("EEXIST").  The shell tests need it where a shell cannot do the job:
 * exact errnos, open flags, several opens from the same thread (lockfs
 * owners are threads), and xattr calls with exact values.
 *
 *   open PATH FLAGS      FLAGS: r w rw, then c (O_CREAT) x (O_EXCL) t (O_TRUNC)
 *   unlink|mkdir|rmdir|mkfifo|chmod|utime|read PATH
 *   rename|link|symlink FROM TO      chown PATH UID      truncate PATH LEN
 *   write PATH TEXT      (on an fd opened for writing: acquires, then writes)
 *   getxattr PATH NAME   setxattr PATH NAME VALUE   removexattr PATH NAME
 *   listxattr PATH       sleep SECONDS
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "open_flags.h"

static int result(int rc)
{
	if (rc < 0) {
		/* Linux gives ENOTSUP and EOPNOTSUPP one number; the spec says ENOTSUP. */
		const char *name = errno == ENOTSUP ? "ENOTSUP" : strerrorname_np(errno);

		printf("%s\n", name ? name : "EUNKNOWN");
		return 1;
	}
	printf("OK\n");
	return 0;
}


static int do_open(const char *path, const char *spec)
{
	int fd = open(path, open_flags(spec), 0644);

	if (fd >= 0)
		close(fd);
	return result(fd);
}

static int do_read(const char *path)
{
	char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return result(-1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return result(-1);
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ';';
	printf("OK %s\n", buf);
	return 0;
}

static int do_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	ssize_t n;

	if (fd < 0)
		return result(-1);
	n = write(fd, text, strlen(text));
	close(fd);
	return result(n == (ssize_t)strlen(text) ? 0 : -1);
}

static int do_getxattr(const char *path, const char *name)
{
	char buf[8192];
	ssize_t n = getxattr(path, name, buf, sizeof(buf) - 1);

	if (n < 0)
		return result(-1);
	buf[n] = '\0';
	printf("OK %s\n", buf);
	return 0;
}

static int do_listxattr(const char *path)
{
	char buf[8192];
	ssize_t n = listxattr(path, buf, sizeof(buf));

	if (n < 0)
		return result(-1);
	printf("OK");
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		printf("%s%s", i ? "," : " ", buf + i);
	printf("\n");
	return 0;
}

/* Run the command at argv[0]; returns how many arguments it used, or -1. */
static int run(char **argv, int argc, int *status)
{
	const char *cmd = argv[0];
	struct {
		const char *name;
		int args;
	} const table[] = {
		{"open", 2},	 {"unlink", 1},	  {"mkdir", 1},	      {"rmdir", 1},
		{"mkfifo", 1},	 {"chmod", 1},	  {"utime", 1},	      {"read", 1},
		{"rename", 2},	 {"link", 2},	  {"symlink", 2},     {"chown", 2},
		{"truncate", 2}, {"write", 2},	  {"getxattr", 2},    {"setxattr", 3},
		{"removexattr", 2}, {"listxattr", 1}, {"sleep", 1},
	};
	int need = -1;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(cmd, table[i].name) == 0)
			need = table[i].args;
	if (need < 0 || argc < need + 1) {
		fprintf(stderr, "fsop: bad command '%s'\n", cmd);
		return -1;
	}
	errno = 0;
	if (!strcmp(cmd, "open"))
		*status |= do_open(argv[1], argv[2]);
	else if (!strcmp(cmd, "unlink"))
		*status |= result(unlink(argv[1]));
	else if (!strcmp(cmd, "mkdir"))
		*status |= result(mkdir(argv[1], 0755));
	else if (!strcmp(cmd, "rmdir"))
		*status |= result(rmdir(argv[1]));
	else if (!strcmp(cmd, "mkfifo"))
		*status |= result(mkfifo(argv[1], 0644));
	else if (!strcmp(cmd, "chmod"))
		*status |= result(chmod(argv[1], 0600));
	else if (!strcmp(cmd, "utime"))
		*status |= result(utimensat(AT_FDCWD, argv[1], NULL, 0));
	else if (!strcmp(cmd, "read"))
		*status |= do_read(argv[1]);
	else if (!strcmp(cmd, "rename"))
		*status |= result(rename(argv[1], argv[2]));
	else if (!strcmp(cmd, "link"))
		*status |= result(link(argv[1], argv[2]));
	else if (!strcmp(cmd, "symlink"))
		*status |= result(symlink(argv[1], argv[2]));
	else if (!strcmp(cmd, "chown"))
		*status |= result(chown(argv[1], (uid_t)atoi(argv[2]), (gid_t)-1));
	else if (!strcmp(cmd, "truncate"))
		*status |= result(truncate(argv[1], atol(argv[2])));
	else if (!strcmp(cmd, "write"))
		*status |= do_write(argv[1], argv[2]);
	else if (!strcmp(cmd, "getxattr"))
		*status |= do_getxattr(argv[1], argv[2]);
	else if (!strcmp(cmd, "setxattr"))
		*status |= result(setxattr(argv[1], argv[2], argv[3], strlen(argv[3]), 0));
	else if (!strcmp(cmd, "removexattr"))
		*status |= result(removexattr(argv[1], argv[2]));
	else if (!strcmp(cmd, "listxattr"))
		*status |= do_listxattr(argv[1]);
	else if (!strcmp(cmd, "sleep")) {
		struct timespec ts = {.tv_sec = atoi(argv[1])};

		nanosleep(&ts, NULL);
		*status |= result(0);
	}
	fflush(stdout);
	return need + 1;
}

int main(int argc, char **argv)
{
	int status = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc;) {
		int used;

		if (strcmp(argv[i], "+") == 0) {
			i++;
			continue;
		}
		used = run(argv + i, argc - i, &status);
		if (used < 0)
			return 2;
		i += used;
	}
	return status;
}
