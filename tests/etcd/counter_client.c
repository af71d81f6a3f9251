/*
 * counter_client.c — a C client of a lock: take it, add one to a counter
 * file, release it; and log each hold for the overlap checker.
 *
 *   counter_client LOCK COUNTER ROUNDS LOG
 *
 * A round opens LOCK with O_CREAT (waiting until the lock is granted),
 * reads its user.lock.generation, reads COUNTER, writes it plus one, and
 * unlinks LOCK.  LOG gets one line per round: "GENERATION START END" (wall
 * clock, nanoseconds, from just after the grant to just before the
 * release).  An acquisition or a read of the generation that fails with EIO
 * (no etcd member answered) is tried again.  A release that fails with EIO
 * may have happened, and the lock may be another's by now: it is tried
 * again as a compare-and-release of this round's generation (never an rm,
 * which would break the successor's lock), until ESTALE or ENOENT says it is
 * gone.  Exit status: 0, or 1 after another error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int bump(const char *path)
{
	char buf[32] = "0";
	FILE *f = fopen(path, "r+");
	long n;

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	n = atol(buf);
	rewind(f);
	fprintf(f, "%ld\n", n + 1);
	return fclose(f);
}

/* Release path's lock, held with generation gen ("" when unknown): 0 or -1. */
static int release(const char *path, const char *gen)
{
	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	while (errno == EIO || errno == EINTR) {
		if (!gen[0] ? unlink(path) == 0
			    : setxattr(path, "user.lock.release", gen, strlen(gen), 0) == 0)
			return 0;
		if (errno == ENOENT || errno == ESTALE)
			return 0; /* the lost answer's release happened */
	}
	return -1;
}

int main(int argc, char *argv[])
{
	FILE *log;
	int rounds;

	if (argc != 5) {
		fprintf(stderr, "usage: counter_client LOCK COUNTER ROUNDS LOG\n");
		return 2;
	}
	rounds = atoi(argv[3]);
	log = fopen(argv[4], "a");
	if (!log)
		return 1;
	setvbuf(log, NULL, _IOLBF, 0);
	for (int i = 0; i < rounds; i++) {
		char gen[32] = "";
		long long start, end;
		ssize_t n;
		int fd;

		while ((fd = open(argv[1], O_WRONLY | O_CREAT, 0644)) < 0)
			if (errno != EIO && errno != EINTR) {
				fprintf(stderr, "counter_client: open %s: %s\n", argv[1],
					strerror(errno));
				return 1;
			}
		start = now_ns();
		while ((n = fgetxattr(fd, "user.lock.generation", gen, sizeof(gen) - 1)) < 0 &&
		       errno == EIO)
			; /* no member answered yet: the lock is still held, ask again */
		gen[n > 0 ? n : 0] = '\0';
		if (n <= 0) /* logged as "?": say why, for whoever reads the test's log */
			fprintf(stderr, "counter_client: generation of %s unread: %s\n", argv[1],
				n < 0 ? strerror(errno) : "empty");
		close(fd);
		if (bump(argv[2]) < 0) {
			fprintf(stderr, "counter_client: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		end = now_ns();
		fprintf(log, "%s %lld %lld\n", gen[0] ? gen : "?", start, end);
		if (release(argv[1], gen) < 0) {
			fprintf(stderr, "counter_client: release %s: %s\n", argv[1],
				strerror(errno));
			return 1;
		}
	}
	return 0;
}
