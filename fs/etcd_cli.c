/*
 * etcd_cli.c — reading and checking the etcd backend's options.
 *
 * In an -o list commas separate options, so there the member URLs may
 * also be separated with '+': -o etcd=http://a:2379+http://b:2379.
 */
#include "etcd_cli.h"
#include "lockfs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define DEFAULT_PREFIX	    "/lockfs"
#define DEFAULT_TIMEOUT_MS  1000
#define DEFAULT_SESSION_TTL 10

static int read_prefix(const char *typed, struct etcd_options *opts)
{
	size_t len;
	char *prefix;

	if (!typed)
		typed = DEFAULT_PREFIX;
	len = strlen(typed);
	while (len > 1 && typed[len - 1] == '/')
		len--;
	if (typed[0] != '/' || len < 2 || strstr(typed, "//") || len > 512) {
		fprintf(stderr, "lockfs: bad etcd prefix '%s': a key path such as /lockfs\n",
			typed);
		return -1;
	}
	prefix = strndup(typed, len);
	if (!prefix)
		return -1;
	opts->prefix = prefix;
	return 0;
}

int etcd_cli_read(const struct etcd_cli *cli, struct etcd_options *opts)
{
	char bad[512], *urls = NULL, *end;
	double seconds;
	long ttl;
	int rc;

	memset(opts, 0, sizeof(*opts));
	if (!cli->urls) {
		const char *given = cli->prefix	   ? "--etcd-prefix"
				    : cli->timeout ? "--etcd-timeout"
						   : "--session-ttl";

		if (!cli->prefix && !cli->timeout && !cli->session_ttl)
			return 0;
		fprintf(stderr, "lockfs: %s is for the etcd backend: give --etcd=URL too\n", given);
		return -2;
	}
	urls = strdup(cli->urls);
	if (!urls)
		return -1;
	for (char *p = urls; *p; p++)
		if (*p == '+')
			*p = ',';
	rc = etcd_config_parse(urls, &opts->cluster, bad, sizeof(bad));
	free(urls);
	if (rc < 0 && !bad[0]) /* an empty one, as in "URL,," */
		fprintf(stderr, "lockfs: bad etcd URLs '%s': an empty URL; http://HOST:PORT[,...]\n",
			cli->urls);
	else if (rc < 0)
		fprintf(stderr,
			"lockfs: bad etcd URL '%s': http://HOST:PORT[,http://HOST:PORT...]\n", bad);
	if (rc < 0)
		return -1;
	opts->cluster.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (cli->timeout) {
		seconds = strtod(cli->timeout, &end);
		if (end == cli->timeout || *end ||
		    strspn(cli->timeout, "0123456789.") != strlen(cli->timeout) ||
		    !(seconds >= 0.01 && seconds <= 3600)) {
			fprintf(stderr,
				"lockfs: bad etcd timeout '%s': seconds from 0.01 to 3600\n",
				cli->timeout);
			goto fail;
		}
		opts->cluster.timeout_ms = (unsigned)ceil(seconds * 1000);
	}
	opts->session_ttl = DEFAULT_SESSION_TTL;
	if (cli->session_ttl) {
		ttl = strtol(cli->session_ttl, &end, 10);
		if (end == cli->session_ttl || *end || ttl < 2 || ttl > 86400) {
			fprintf(stderr,
				"lockfs: bad session ttl '%s': whole seconds from 2 to 86400\n",
				cli->session_ttl);
			goto fail;
		}
		opts->session_ttl = (unsigned)ttl;
	}
	if (read_prefix(cli->prefix, opts) < 0)
		goto fail;
	return 0;
fail:
	etcd_config_clear(&opts->cluster);
	return -1;
}

/* The etcd client's word that the cluster stopped, or started again, answering. */
static void log_reach(bool answering, const struct etcd_config *cfg)
{
	char urls[1024] = "";
	size_t len = 0;

	for (size_t i = 0; i < cfg->url_count && len < sizeof(urls); i++)
		len += (size_t)snprintf(urls + len, sizeof(urls) - len, "%s%s", i ? "," : "",
					cfg->urls[i]);
	if (answering)
		lockfs_log(LOG_INFO, "etcd at '%s': a member answers again", urls);
	else
		lockfs_log(LOG_WARNING,
			   "etcd at '%s': no member answers within %g s; what cannot wait fails "
			   "with EIO until one does",
			   urls, cfg->timeout_ms / 1000.0);
}

/* A URL that answered, not as etcd does. */
static void refuse_not_etcd(const char *url, long status)
{
	fprintf(stderr, "lockfs: etcd at '%s': not an etcd client URL (HTTP %ld%s)\n", url, status,
		status == 404 ? "; a peer port?" : "");
}

/*
 * Each URL asked once on its own: one that answers, not as etcd does, is
 * refused (a peer port among client URLs would answer every request sent
 * there "not found" once the members before it fail).  One that does not
 * answer is a member that is down: 0 while another answers.
 */
static int check_each_url(const struct etcd_options *opts)
{
	for (size_t i = 0; i < opts->cluster.url_count; i++) {
		const char *url = opts->cluster.urls[i];
		long status;

		if (etcd_probe(url, opts->cluster.timeout_ms, &status) != -EPROTO)
			continue;
		refuse_not_etcd(url, status);
		return -1;
	}
	return 0;
}

int etcd_cli_check(const struct etcd_cli *cli, const struct etcd_options *opts)
{
	struct store *st;
	char why[256];
	int rc;

	if (check_each_url(opts) < 0)
		return -1;
	rc = store_open_etcd(opts, &st, why, sizeof(why));
	if (rc == 0) {
		store_close(st);
		etcd_on_reach(log_reach); /* from now on, the log says when that changes */
		return 0;
	}
	if (rc == -ETIMEDOUT || rc == -EIO)
		fprintf(stderr, "lockfs: etcd at '%s': no member answered within %g s\n", cli->urls,
			opts->cluster.timeout_ms / 1000.0);
	else if (rc == -EINVAL)
		fprintf(stderr, "lockfs: etcd at '%s': %s\n", cli->urls, why);
	else if (rc == -ENOENT)
		refuse_not_etcd(cli->urls, 404);
	else
		fprintf(stderr, "lockfs: etcd at '%s': %s\n", cli->urls, strerror(-rc));
	return -1;
}

char *etcd_cli_source(const struct etcd_cli *cli, const struct etcd_options *opts)
{
	char *source;

	return asprintf(&source, "etcd:%s:%s", cli->urls, opts->prefix) < 0 ? NULL : source;
}

void etcd_cli_clear(struct etcd_cli *cli, struct etcd_options *opts)
{
	free(cli->urls);
	free(cli->prefix);
	free(cli->timeout);
	free(cli->session_ttl);
	etcd_config_clear(&opts->cluster);
	free((char *)opts->prefix);
	opts->prefix = NULL;
}
