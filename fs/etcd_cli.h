/*
 * etcd_cli.h — the command line of the etcd backend (SPEC §6): --etcd,
 * --etcd-prefix, --etcd-timeout, --session-ttl and their -o forms.
 */
#ifndef LOCKFS_ETCD_CLI_H
#define LOCKFS_ETCD_CLI_H

#include "etcd_store.h"

/* The option values as typed (NULL: not given). */
struct etcd_cli {
	char *urls;
	char *prefix;
	char *timeout;
	char *session_ttl;
};

/*
 * Check the values and fill opts (its URLs and prefix are the caller's to
 * free with etcd_cli_clear).  0, or having printed one line naming what
 * was typed: -1 for a bad value, -2 for an etcd option without --etcd.
 */
int etcd_cli_read(const struct etcd_cli *cli, struct etcd_options *opts);

/*
 * Reach the cluster once before mounting: 0, or -1 having printed one line
 * (no member answered, or what answered is not etcd).
 */
int etcd_cli_check(const struct etcd_cli *cli, const struct etcd_options *opts);

/* What the mount is named after: "etcd:URL[,URL...]:PREFIX" (malloc'd). */
char *etcd_cli_source(const struct etcd_cli *cli, const struct etcd_options *opts);

void etcd_cli_clear(struct etcd_cli *cli, struct etcd_options *opts);

#endif
