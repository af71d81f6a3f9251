/*
 * lockop.c — hold descriptors and lock them, printing each result.
 *
 *   lockop CMD ARGS... [+ CMD ARGS...]...
 *
 * The bound-lock tests need what a shell cannot say: a descriptor kept
 * across several lock calls, exact errnos, OFD locks and F_GETLK.  Each
 * command prints one line: "OK", "OK <value>" or the errno name.  SLOT is
 * a digit naming one of ten descriptors.
 *
 *   open SLOT PATH FLAGS   FLAGS as fsop's: r w rw, then c x t
 *   close SLOT             dup SLOT NEWSLOT
 *   flock SLOT OP          OP: ex sh un exnb shnb
 *   setlk|setlkw|ofd|ofdw SLOT TYPE    TYPE: r w u (whole file)
 *   getlk|ofdgetlk SLOT TYPE           prints "OK unlocked" or "OK r|w pid=N"
 *   mark PATH              create PATH (a signal to the test)
 *   await PATH             wait until PATH exists (at most 60 s)
 *   sleepms MS
 *   alarm MS               a SIGALRM in MS, caught without SA_RESTART: a
 *                          blocked lock call then answers EINTR
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "open_flags.h"

static int fds[10] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1};

static int result(int rc)
{
	if (rc < 0) {
		const char *name = strerrorname_np(errno);

		printf("%s\n", name ? name : "EUNKNOWN");
		return 1;
	}
	printf("OK\n");
	return 0;
}

static int slot(const char *arg)
{
	if (arg[0] < '0' || arg[0] > '9' || arg[1]) {
		fprintf(stderr, "lockop: bad slot '%s'\n", arg);
		exit(2);
	}
	return arg[0] - '0';
}

static int flock_op(const char *op)
{
	static const struct {
		const char *name;
		int op;
	} ops[] = {
		{"ex", LOCK_EX}, {"sh", LOCK_SH}, {"un", LOCK_UN},
		{"exnb", LOCK_EX | LOCK_NB}, {"shnb", LOCK_SH | LOCK_NB},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].name))
			return ops[i].op;
	fprintf(stderr, "lockop: bad flock operation '%s'\n", op);
	exit(2);
}

static short lock_type(const char *type)
{
	if (!strcmp(type, "r"))
		return F_RDLCK;
	if (!strcmp(type, "w"))
		return F_WRLCK;
	if (!strcmp(type, "u"))
		return F_UNLCK;
	fprintf(stderr, "lockop: bad lock type '%s'\n", type);
	exit(2);
}

static int record(int fd, int cmd, const char *type)
{
	struct flock fl = {.l_type = lock_type(type), .l_whence = SEEK_SET};

	if (fcntl(fd, cmd, &fl) < 0)
		return result(-1);
	if (cmd != F_GETLK && cmd != F_OFD_GETLK)
		return result(0);
	if (fl.l_type == F_UNLCK)
		printf("OK unlocked\n");
	else
		printf("OK %s pid=%d\n", fl.l_type == F_RDLCK ? "r" : "w", (int)fl.l_pid);
	return 0;
}

static int await(const char *path)
{
	struct timespec tick = {.tv_nsec = 5 * 1000 * 1000};

	for (int i = 0; i < 12000; i++) {
		if (access(path, F_OK) == 0)
			return result(0);
		nanosleep(&tick, NULL);
	}
	errno = ETIMEDOUT;
	return result(-1);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int alarm_in(long ms)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval when = {.it_value = {.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000}};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return result(-1);
	return result(setitimer(ITIMER_REAL, &when, NULL));
}

/* Run the command at argv[0]; returns how many arguments it used. */
static int run(char **argv, int argc, int *status)
{
	static const struct {
		const char *name;
		int args;
	} table[] = {
		{"open", 3}, {"close", 1}, {"dup", 2}, {"flock", 2},
		{"setlk", 2}, {"setlkw", 2}, {"ofd", 2}, {"ofdw", 2},
		{"getlk", 2}, {"ofdgetlk", 2}, {"mark", 1}, {"await", 1},
		{"sleepms", 1}, {"alarm", 1},
	};
	const char *cmd = argv[0];
	int need = -1;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(cmd, table[i].name))
			need = table[i].args;
	if (need < 0 || argc < need + 1) {
		fprintf(stderr, "lockop: bad command '%s'\n", cmd);
		exit(2);
	}
	errno = 0;
	if (!strcmp(cmd, "open")) {
		int s = slot(argv[1]);

		fds[s] = open(argv[2], open_flags(argv[3]), 0644);
		*status |= result(fds[s]);
	} else if (!strcmp(cmd, "close")) {
		int s = slot(argv[1]);

		*status |= result(close(fds[s]));
		fds[s] = -1;
	} else if (!strcmp(cmd, "dup")) {
		int s = slot(argv[2]);

		fds[s] = dup(fds[slot(argv[1])]);
		*status |= result(fds[s]);
	} else if (!strcmp(cmd, "flock")) {
		*status |= result(flock(fds[slot(argv[1])], flock_op(argv[2])));
	} else if (!strcmp(cmd, "mark")) {
		int fd = open(argv[1], O_WRONLY | O_CREAT, 0644);

		if (fd >= 0)
			close(fd);
		*status |= result(fd);
	} else if (!strcmp(cmd, "await")) {
		*status |= await(argv[1]);
	} else if (!strcmp(cmd, "alarm")) {
		*status |= alarm_in(atol(argv[1]));
	} else if (!strcmp(cmd, "sleepms")) {
		long ms = atol(argv[1]);
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};

		nanosleep(&ts, NULL);
		*status |= result(0);
	} else {
		static const struct {
			const char *name;
			int cmd;
		} cmds[] = {
			{"setlk", F_SETLK}, {"setlkw", F_SETLKW}, {"ofd", F_OFD_SETLK},
			{"ofdw", F_OFD_SETLKW}, {"getlk", F_GETLK}, {"ofdgetlk", F_OFD_GETLK},
		};

		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(cmd, cmds[i].name))
				*status |= record(fds[slot(argv[1])], cmds[i].cmd, argv[2]);
	}
	fflush(stdout);
	return need + 1;
}

int main(int argc, char **argv)
{
	int status = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc;) {
		if (!strcmp(argv[i], "+")) {
			i++;
			continue;
		}
		i += run(argv + i, argc - i, &status);
	}
	return status;
}
