/*
 * lockbench.c — the measuring client of scripts/bench.  Each mode prints
 * key=value lines; scripts/bench puts them in its table.
 *
 *   lockbench pair DIR N                   N x (open O_CREAT|O_WRONLY, close, unlink)
 *   lockbench count DIR N                  the same pairs, exactly N, no warm-up, untimed
 *                                          (scripts/bench counts their FUSE requests)
 *   lockbench contend DIR PROCS SECONDS    PROCS processes looping on one lock
 *   lockbench contend2 DIR1 DIR2 PROCS SECONDS   the same, half through each of two mounts
 *   lockbench handoff DIR N                release through the mount -> waiter's return
 *   lockbench handoff2 DIR DIR2 N          the same between two mounts: the parent
 *                                          works through DIR, the child through DIR2
 *   lockbench outside DIR DB N             row deleted outside the mount -> waiter's return
 *   lockbench interrupt DIR N              SIGINT -> blocked open's return
 *   lockbench waiters DIR PID N            N blocked processes: daemon RSS, threads, drain time
 *   lockbench flockpair DIR N              N x (flock LOCK_EX, flock LOCK_UN) on one open file
 *   lockbench killgrant DIR N              kill -9 of a flock holder -> blocked flock's return
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "lockbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 0, size);
	return p;
}

static int acquire(const char *path)
{
	int fd;

	do
		fd = open(path, O_WRONLY | O_CREAT, 0644);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static long waiters(const char *path)
{
	char buf[32];
	ssize_t n = getxattr(path, "user.lock.waiters", buf, sizeof(buf) - 1);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return atol(buf);
}

static void wait_for_waiters(const char *path, long want)
{
	while (waiters(path) < want)
		usleep(20);
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Print p50 and p99 of n latencies (seconds) as milliseconds. */
static void print_percentiles(const char *name, double *lat, int n)
{
	qsort(lat, (size_t)n, sizeof(*lat), compare_doubles);
	printf("%s_p50_ms=%.3f\n", name, lat[n / 2] * 1e3);
	printf("%s_p99_ms=%.3f\n", name, lat[(int)(n * 0.99) < n ? (int)(n * 0.99) : n - 1] * 1e3);
	printf("%s_samples=%d\n", name, n);
}

static int pair(const char *dir, int n)
{
	char path[4096];
	double start;

	snprintf(path, sizeof(path), "%s/pair", dir);
	for (int i = 0; i < n / 10 + 10; i++) /* warm up */
		if (acquire(path) < 0 || unlink(path) < 0)
			die(path);
	start = now();
	for (int i = 0; i < n; i++)
		if (acquire(path) < 0 || unlink(path) < 0)
			die(path);
	printf("pair_us=%.2f\n", (now() - start) * 1e6 / n);
	return 0;
}

static int count(const char *dir, int n)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/pair", dir);
	for (int i = 0; i < n; i++)
		if (acquire(path) < 0 || unlink(path) < 0)
			die(path);
	printf("pairs=%d\n", n);
	return 0;
}

/*
 * PROCS processes loop acquire+release on one lock, the first half through
 * dirs[0] and the rest through dirs[ndirs - 1] (two mounts of one cache):
 * handoffs per second and Jain's index over all of them.  name labels the
 * printed keys.
 */
static int contend_on(const char *const *dirs, int ndirs, const char *name, int procs,
		      double seconds)
{
	char path[4096];
	long *counts = shared(sizeof(long) * (size_t)(procs + 1));
	volatile int *go = (volatile int *)&counts[procs];
	double total = 0, squares = 0;

	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			snprintf(path, sizeof(path), "%s/contended",
				 dirs[p < (procs + 1) / 2 ? 0 : ndirs - 1]);
			double end;

			while (!*go)
				usleep(100);
			end = now() + seconds;
			while (now() < end) {
				if (acquire(path) < 0 || unlink(path) < 0)
					die(path);
				counts[p]++;
			}
			_exit(0);
		}
	}
	usleep(200000);
	*go = 1;
	while (wait(NULL) > 0)
		;
	for (int p = 0; p < procs; p++) {
		total += (double)counts[p];
		squares += (double)counts[p] * (double)counts[p];
	}
	printf("%s_per_s=%.0f\n", name, total / seconds);
	printf("%s_jain=%.4f\n", name, squares > 0 ? total * total / (procs * squares) : 0);
	return 0;
}

static int contend(const char *dir, int procs, double seconds)
{
	char name[32];

	snprintf(name, sizeof(name), "contend%d", procs);
	return contend_on(&dir, 1, name, procs, seconds);
}

struct handoff_shared {
	double t0[1];
	double lat[];
};

static int handoff(const char *dir, const char *dir2, int n)
{
	char path[4096], other[4096];
	struct handoff_shared *sh = shared(sizeof(*sh) + sizeof(double) * (size_t)n);
	pid_t child;

	snprintf(path, sizeof(path), "%s/handoff", dir);
	snprintf(other, sizeof(other), "%s/handoff", dir2);
	if (acquire(path) < 0) /* process 0 holds first */
		die(path);
	child = fork();
	if (child == 0) {
		char swap[4096];

		memcpy(swap, path, sizeof(swap)); /* the child works through dir2 */
		memcpy(path, other, sizeof(path));
		memcpy(other, swap, sizeof(other));
	}
	for (int i = 0; i < n; i++) {
		int holder = i % 2; /* 0: the parent holds during iteration i */

		if ((holder == 0) == (child != 0)) {
			wait_for_waiters(other, 1); /* counted by the waiter's mount */
			double t0 = now();

			__atomic_store(&sh->t0[0], &t0, __ATOMIC_SEQ_CST);
			if (unlink(path) < 0)
				die("unlink");
		} else {
			if (acquire(path) < 0)
				die(path);
			double t0, t1 = now();

			__atomic_load(&sh->t0[0], &t0, __ATOMIC_SEQ_CST);
			sh->lat[i] = t1 - t0;
		}
	}
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	unlink(path);
	print_percentiles("handoff", sh->lat, n);
	return 0;
}

static int outside(const char *dir, const char *db_path, int n)
{
	char path[4096];
	double *t0 = shared(sizeof(double) * (size_t)n * 2), *t1 = t0 + n, *lat;
	int *deleted = shared(sizeof(int)); /* rows deleted so far: one per round */
	unsigned char key[64] = {0x80, 0x05, 0x95, 11, 0, 0, 0, 0, 0, 0, 0, 0x8c, 7};
	sqlite3 *db;
	sqlite3_stmt *del;
	pid_t kids[2];

	/* pickle.dumps("outside", protocol=5) */
	memcpy(key + 13, "outside", 7);
	key[20] = 0x94;
	key[21] = 0x2e;
	snprintf(path, sizeof(path), "%s/outside", dir);
	if (acquire(path) < 0)
		die(path);
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			for (int i = k; i < n; i += 2) {
				double got;

				/* Queue only once this process's last hold is gone (else it re-enters). */
				while (__atomic_load_n(deleted, __ATOMIC_SEQ_CST) < i)
					usleep(20);
				if (acquire(path) < 0)
					die(path);
				got = now();
				__atomic_store(&t1[i], &got, __ATOMIC_SEQ_CST);
			}
			_exit(0);
		}
	}
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		die("sqlite3_open");
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "DELETE FROM cache WHERE key = ?1 AND raw = 0", -1, &del,
			       NULL) != SQLITE_OK)
		die("prepare");
	sqlite3_bind_blob(del, 1, key, 22, SQLITE_STATIC);
	for (int i = 0; i < n; i++) {
		wait_for_waiters(path, 1);
		t0[i] = now();
		if (sqlite3_step(del) != SQLITE_DONE)
			die("delete");
		sqlite3_reset(del);
		__atomic_store_n(deleted, i + 1, __ATOMIC_SEQ_CST);
		/* The next round needs the lock held again: wait for this one's taker. */
		for (double seen = 0; seen == 0; usleep(20))
			__atomic_load(&t1[i], &seen, __ATOMIC_SEQ_CST);
	}
	waitpid(kids[0], NULL, 0);
	waitpid(kids[1], NULL, 0);
	sqlite3_finalize(del);
	sqlite3_close(db);
	unlink(path);
	lat = malloc(sizeof(double) * (size_t)n);
	for (int i = 0; i < n; i++)
		lat[i] = t1[i] - t0[i];
	print_percentiles("outside", lat, n);
	free(lat);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
}

static int interrupt(const char *dir, int n)
{
	char path[4096];
	double *t1 = shared(sizeof(double) * (size_t)n * 2), *lat = t1 + n;
	volatile int *done = shared(sizeof(int));
	pid_t child;

	snprintf(path, sizeof(path), "%s/interrupted", dir);
	if (acquire(path) < 0)
		die(path);
	child = fork();
	if (child == 0) {
		struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: EINTR */

		sigaction(SIGINT, &sa, NULL);
		for (int i = 0; i < n; i++) {
			int fd = open(path, O_WRONLY | O_CREAT, 0644);

			t1[i] = now();
			if (fd >= 0 || errno != EINTR)
				_exit(3); /* it must not get the lock */
			__atomic_store_n(done, i + 1, __ATOMIC_SEQ_CST);
			while (waiters(path) != 0) /* let the parked place be seen as empty */
				usleep(50);
		}
		_exit(0);
	}
	for (int i = 0; i < n; i++) {
		double t0;

		wait_for_waiters(path, 1);
		t0 = now();
		kill(child, SIGINT);
		while (__atomic_load_n(done, __ATOMIC_SEQ_CST) < i + 1)
			usleep(20);
		lat[i] = t1[i] - t0;
	}
	waitpid(child, NULL, 0);
	unlink(path);
	print_percentiles("interrupt", lat, n);
	return 0;
}

static long proc_value(pid_t pid, const char *field)
{
	char path[64], line[256];
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			value = atol(line + strlen(field) + 1);
	fclose(f);
	return value;
}

static int many_waiters(const char *dir, pid_t daemon, int n)
{
	char path[4096];
	long rss_before, rss_after, threads;
	double start;

	snprintf(path, sizeof(path), "%s/crowded", dir);
	if (acquire(path) < 0)
		die(path);
	rss_before = proc_value(daemon, "VmRSS");
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			if (acquire(path) < 0 || unlink(path) < 0)
				_exit(1);
			_exit(0);
		}
	}
	wait_for_waiters(path, n);
	rss_after = proc_value(daemon, "VmRSS");
	threads = proc_value(daemon, "Threads");
	start = now();
	if (unlink(path) < 0)
		die("unlink");
	for (int i = 0; i < n; i++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("a waiter failed");
	}
	printf("waiters=%d\n", n);
	printf("waiters_rss_growth_kb=%ld\n", rss_after - rss_before);
	printf("waiters_threads=%ld\n", threads);
	printf("waiters_drain_s=%.3f\n", now() - start);
	return 0;
}

static int open_lock_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CREAT, 0644); /* as flock(1) opens */

	if (fd < 0)
		die(path);
	return fd;
}

static int flockpair(const char *dir, int n)
{
	char path[4096];
	double start;
	int fd;

	snprintf(path, sizeof(path), "%s/flockpair", dir);
	fd = open_lock_file(path);
	for (int i = 0; i < n / 10 + 10; i++) /* warm up */
		if (flock(fd, LOCK_EX) < 0 || flock(fd, LOCK_UN) < 0)
			die("flock");
	start = now();
	for (int i = 0; i < n; i++)
		if (flock(fd, LOCK_EX) < 0 || flock(fd, LOCK_UN) < 0)
			die("flock");
	printf("flock_pair_us=%.2f\n", (now() - start) * 1e6 / n);
	close(fd);
	return 0;
}

/*
 * Each round: a child takes the flock and stays; a second child blocks in
 * flock and records when it returns; the parent waits until the second is
 * queued, notes the time and kills the first with SIGKILL.
 */
static int killgrant(const char *dir, int n)
{
	char path[4096];
	double *granted = shared(sizeof(double) * (size_t)n);
	double *lat = calloc((size_t)n, sizeof(*lat));

	if (!lat)
		die("calloc");
	snprintf(path, sizeof(path), "%s/killgrant", dir);
	for (int i = 0; i < n; i++) {
		int ready[2];
		char c;
		pid_t holder, waiter;

		if (pipe(ready) < 0)
			die("pipe");
		holder = fork();
		if (holder == 0) {
			int fd = open_lock_file(path);

			if (flock(fd, LOCK_EX) < 0)
				die("flock");
			if (write(ready[1], "x", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		if (read(ready[0], &c, 1) != 1)
			die("holder");
		close(ready[0]);
		close(ready[1]);
		waiter = fork();
		if (waiter == 0) {
			int fd = open_lock_file(path);

			if (flock(fd, LOCK_EX) < 0)
				die("flock");
			granted[i] = now();
			_exit(0);
		}
		wait_for_waiters(path, 1);
		double t0 = now();

		kill(holder, SIGKILL);
		waitpid(waiter, NULL, 0);
		waitpid(holder, NULL, 0);
		lat[i] = granted[i] - t0;
	}
	print_percentiles("killgrant", lat, n);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "pair") && argc == 4)
		return pair(argv[2], atoi(argv[3]));
	if (!strcmp(mode, "count") && argc == 4)
		return count(argv[2], atoi(argv[3]));
	if (!strcmp(mode, "contend") && argc == 5)
		return contend(argv[2], atoi(argv[3]), atof(argv[4]));
	if (!strcmp(mode, "contend2") && argc == 6)
		return contend_on((const char *const[]){argv[2], argv[3]}, 2, "mounts",
				  atoi(argv[4]), atof(argv[5]));
	if (!strcmp(mode, "handoff") && argc == 4)
		return handoff(argv[2], argv[2], atoi(argv[3]));
	if (!strcmp(mode, "handoff2") && argc == 5)
		return handoff(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(mode, "outside") && argc == 5)
		return outside(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(mode, "interrupt") && argc == 4)
		return interrupt(argv[2], atoi(argv[3]));
	if (!strcmp(mode, "waiters") && argc == 5)
		return many_waiters(argv[2], (pid_t)atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(mode, "flockpair") && argc == 4)
		return flockpair(argv[2], atoi(argv[3]));
	if (!strcmp(mode, "killgrant") && argc == 4)
		return killgrant(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of lockbench.c\n");
	return 2;
}
