/*
 * instance.c — who this daemon is, and whether another one still runs.
 */
#include "instance.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *instance_host(void)
{
	static char name[INSTANCE_HOST_MAX];

	if (!name[0] && gethostname(name, sizeof(name) - 1) < 0)
		snprintf(name, sizeof(name), "?");
	return name;
}

/* Whether a thread of pid other than its main one is still listed (the main one has exited). */
static bool other_thread_runs(pid_t pid)
{
	char path[64];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && !found && (e = readdir(d)))
		found = e->d_name[0] != '.' && atoi(e->d_name) != pid;
	if (d)
		closedir(d);
	return found;
}

/*
 * Field 22 of /proc/<pid>/stat, or 0 when the process is gone: exited, or
 * dead and not yet reaped by its parent (a zombie, which a daemon's parent
 * may leave for seconds).  A process whose main thread alone has exited
 * shows the zombie state too, and still runs.
 */
static uint64_t start_time_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	if (!p)
		return 0;
	p += 2; /* field 3, the state (of the main thread) */
	if ((*p == 'Z' || *p == 'X') && !other_thread_runs(pid))
		return 0;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

static struct instance self;

/* A forked child (the daemon going to the background) is another process. */
static void forget_self(void)
{
	self.pid = 0;
}

static void register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, forget_self);
}

const struct instance *instance_self(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (!self.pid) {
		pthread_once(&once, register_fork_handler);
		snprintf(self.host, sizeof(self.host), "%s", instance_host());
		self.start_time = start_time_of(getpid());
		self.pid = (int32_t)getpid();
	}
	return &self;
}

bool instance_equal(const struct instance *a, const struct instance *b)
{
	return a->pid == b->pid && a->start_time == b->start_time && strcmp(a->host, b->host) == 0;
}

bool instance_alive(const struct instance *in)
{
	if (strcmp(in->host, instance_host()) != 0)
		return true;
	if (instance_equal(in, instance_self()))
		return true;
	return in->pid > 0 && start_time_of(in->pid) == in->start_time && in->start_time;
}

bool instance_surely_gone(const struct instance *in)
{
	char path[64];

	if (in->pid <= 0 || strcmp(in->host, instance_host()) != 0)
		return false;
	if (kill(in->pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)in->pid);
	return access(path, R_OK) == 0 && !instance_alive(in);
}
