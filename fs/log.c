/*
 * log.c — one line per event: to stderr in the foreground, to syslog when
 * the daemon runs in the background.
 */
#include "lockfs.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static bool use_syslog;

void lockfs_log_to_syslog(bool on)
{
	if (on && !use_syslog)
		openlog("lockfs", LOG_PID, LOG_DAEMON);
	use_syslog = on;
}

void lockfs_log(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(priority, fmt, ap);
	} else {
		fputs("lockfs: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
