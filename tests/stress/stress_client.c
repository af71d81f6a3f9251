/*
 * stress_client.c — clients for the stress tests.
 *
 *   stress_client crash DIR LOG ID SECONDS
 *       Acquire and release the locks c<ID>-0..3 at random (re-entering up to
 *       count 3) until the time is up or the filesystem goes away.  Every
 *       operation is logged before it starts ("B name +" or "B name -") and after it
 *       succeeds ("A name count" / "R name count"), so a checker knows what
 *       the client was told and which operation was in flight.
 *
 *   stress_client count DIR COUNTER ROUNDS
 *       ROUNDS x (acquire DIR/counter.lock, increment the number in COUNTER,
 *       release).
 *
 *   stress_client hostile DIR SEED SECONDS
 *       A seeded random sequence of operations, many of them malformed
 *       (long and non-UTF-8 names, random xattrs, renames, chmods,
 *       interrupted waits...).  Every result must be success or an errno
 *       lockfs documents (or that the kernel answers by itself); anything
 *       else is printed and makes the exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void logf_line(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(fd, line, (size_t)n) != n)
		exit(3);
}

/* --- crash --------------------------------------------------------------- */

static int crash(const char *dir, const char *log_path, int id, double seconds)
{
	int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	int counts[4] = {0};
	unsigned seed = (unsigned)id * 7919u + 1;
	double end = now() + seconds;

	if (log < 0)
		return 2;
	while (now() < end) {
		int k = rand_r(&seed) % 4;
		char path[4096], name[32];
		int release = counts[k] > 0 && (counts[k] == 3 || rand_r(&seed) % 2);

		snprintf(name, sizeof(name), "c%d-%d", id, k);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		logf_line(log, "B %s %c\n", name, release ? '-' : '+');
		if (release) {
			if (unlink(path) < 0)
				break;
			logf_line(log, "R %s %d\n", name, --counts[k]);
		} else {
			int fd = open(path, O_WRONLY | O_CREAT, 0644);

			if (fd < 0)
				break;
			close(fd);
			logf_line(log, "A %s %d\n", name, ++counts[k]);
		}
	}
	logf_line(log, "E %s\n", strerror(errno));
	close(log);
	return 0;
}

/* --- count --------------------------------------------------------------- */

static int count(const char *dir, const char *counter, int rounds)
{
	char lock[4096];

	snprintf(lock, sizeof(lock), "%s/counter.lock", dir);
	for (int i = 0; i < rounds; i++) {
		char buf[32] = {0};
		int fd = open(lock, O_WRONLY | O_CREAT, 0644), c;

		if (fd < 0) {
			perror("acquire");
			return 1;
		}
		close(fd);
		c = open(counter, O_RDWR);
		if (c < 0 || pread(c, buf, sizeof(buf) - 1, 0) < 0)
			return 1;
		snprintf(buf, sizeof(buf), "%d\n", atoi(buf) + 1);
		if (pwrite(c, buf, strlen(buf), 0) < 0 || ftruncate(c, (off_t)strlen(buf)) < 0)
			return 1;
		close(c);
		if (unlink(lock) < 0) {
			perror("release");
			return 1;
		}
	}
	return 0;
}

/* --- hostile ------------------------------------------------------------- */

static unsigned seed;
static int failures;
static long operations, successes;

static int pick(int n)
{
	return rand_r(&seed) % n;
}

/* A name: mostly a few ordinary ones, sometimes long, odd or not UTF-8. */
static void random_name(char *out, size_t cap)
{
	static const char *const plain[] = {"a", "b", "c", "lock", "ünï", "d1/x", "d2/y", "d1"};

	switch (pick(10)) {
	case 0: {
		size_t len = 250 + (size_t)pick(12);

		memset(out, 'n', len);
		out[len] = '\0';
		break;
	}
	case 1:
		snprintf(out, cap, "bad\xff\xfe%d", pick(3));
		break;
	case 2:
		snprintf(out, cap, "sp ace,comma:%d", pick(3));
		break;
	default:
		snprintf(out, cap, "%s", plain[pick(8)]);
	}
}

static void random_value(char *out, size_t cap, size_t *len)
{
	/*
	 * No "inf": a directory timeout of inf would let these single-threaded
	 * clients deadlock on each other's locks for ever, as lock users can.
	 */
	static const char *const values[] = {"1", "0", "-1", "abc", "a,,b", "x,y", "",
					     "99999999999999999999", "1.5", "none", "-inf", "2"};

	if (pick(6) == 0) {
		*len = (size_t)pick((int)cap - 1);
		for (size_t i = 0; i < *len; i++)
			out[i] = (char)pick(256);
	} else {
		snprintf(out, cap, "%s", values[pick(12)]);
		*len = strlen(out);
	}
}

static void random_xattr_name(char *out, size_t cap)
{
	static const char *const names[] = {
		"user.lock.owner", "user.lock.count",  "user.lock.ttl",    "user.lock.tags",
		"user.lock.release", "user.lock.timeout", "user.lock.waiters", "user.lock.nope",
		"user.other",	   "security.selinux", "trusted.x",	       "user.lock.expire"};

	snprintf(out, cap, "%s", names[pick(12)]);
}

static const int allowed[] = {
	0,	 ENOENT, EEXIST,  EPERM, EACCES, ENOTEMPTY, ENOTDIR,   EISDIR,    ENAMETOOLONG,
	EILSEQ,	 EINVAL, ENOTSUP, ENODATA, ERANGE, E2BIG,	    EXDEV,     ETIMEDOUT, EINTR,
	ESTALE,	 EAGAIN, EBADF,	  EBUSY, ENOSPC, EOVERFLOW,
};

static void check(const char *what, const char *path, int rc)
{
	int err = rc < 0 ? errno : 0;

	operations++;
	successes += err == 0;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (err == allowed[i])
			return;
	printf("unexpected %s from %s(%s)\n", strerrorname_np(err), what, path);
	fflush(stdout);
	failures++;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* An open for writing that is interrupted (or not) after a random short time. */
static void interrupted_open(const char *path)
{
	struct itimerval t = {.it_value = {.tv_usec = 1000 + pick(50000)}};
	int fd;

	setitimer(ITIMER_REAL, &t, NULL);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	check("interrupted open", path, fd);
	if (fd >= 0)
		close(fd);
	memset(&t, 0, sizeof(t));
	setitimer(ITIMER_REAL, &t, NULL);
}

static void list(const char *path)
{
	DIR *d = opendir(path);

	if (!d) {
		check("opendir", path, -1);
		return;
	}
	while (readdir(d))
		;
	closedir(d);
}

static int hostile(const char *dir, unsigned s, double seconds)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: EINTR */
	double end = now() + seconds;

	sigaction(SIGALRM, &sa, NULL);
	seed = s;
	while (now() < end) {
		char name[300], other[300], path[4096], path2[4096], xname[64], value[128];
		char buf[256];
		size_t len;
		int fd;

		random_name(name, sizeof(name));
		random_name(other, sizeof(other));
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		snprintf(path2, sizeof(path2), "%s/%s", dir, other);
		switch (pick(20)) {
		case 0:
		case 1:
			fd = open(path, O_WRONLY | O_CREAT | (pick(2) ? O_EXCL : 0), 0644);
			check("create", path, fd);
			if (fd >= 0) {
				check("write", path, (int)write(fd, "x", 1));
				close(fd);
			}
			break;
		case 2:
			fd = open(path, pick(2) ? O_WRONLY : O_RDWR | O_TRUNC);
			check("open", path, fd);
			if (fd >= 0)
				close(fd);
			break;
		case 3:
			fd = open(path, O_RDONLY | (pick(2) ? O_CREAT : 0), 0644);
			check("open read-only", path, fd);
			if (fd >= 0) {
				check("read", path, (int)read(fd, buf, sizeof(buf)));
				close(fd);
			}
			break;
		case 4:
		case 5:
			check("unlink", path, unlink(path));
			break;
		case 6:
			random_xattr_name(xname, sizeof(xname));
			check("getxattr", path, (int)getxattr(path, xname, buf, pick(2) ? 2 : sizeof(buf)));
			break;
		case 7:
		case 8:
			random_xattr_name(xname, sizeof(xname));
			random_value(value, sizeof(value), &len);
			check("setxattr", path, setxattr(pick(4) ? path : dir, xname, value, len, 0));
			break;
		case 9:
			random_xattr_name(xname, sizeof(xname));
			check("removexattr", path, removexattr(pick(3) ? path : dir, xname));
			break;
		case 10:
			check("listxattr", path, (int)listxattr(path, buf, pick(2) ? 3 : sizeof(buf)));
			break;
		case 11:
			check("mkdir", path, mkdir(path, 0755));
			break;
		case 12:
			check("rmdir", path, rmdir(path));
			break;
		case 13:
			check("rename", path, rename(path, path2));
			break;
		case 14:
			switch (pick(5)) {
			case 0:
				check("chmod", path, chmod(path, 0600));
				break;
			case 1:
				check("chown", path, chown(path, 1, 1));
				break;
			case 2:
				check("link", path, link(path, path2));
				break;
			case 3:
				check("symlink", path, symlink(path, path2));
				break;
			default:
				check("mkfifo", path, mkfifo(path, 0644));
			}
			break;
		case 15:
			check("truncate", path, truncate(path, pick(3)));
			break;
		case 16:
			interrupted_open(path);
			break;
		case 17:
			check("utime", path, utimensat(AT_FDCWD, path, NULL, 0));
			break;
		case 18:
			list(pick(2) ? dir : path);
			break;
		default: {
			struct stat st;

			check("stat", path, stat(path, &st));
		}
		}
	}
	printf("operations=%ld succeeded=%ld unexpected=%d\n", operations, successes, failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "crash"))
		return crash(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "count"))
		return count(argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "hostile"))
		return hostile(argv[2], (unsigned)atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: see the comment at the top of stress_client.c\n");
	return 2;
}
