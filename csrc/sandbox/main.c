/*
 * qbench-sandbox command line: parse flags, start the host, print the one
 * "listening" line test runners wait for, then sleep until SIGTERM/SIGINT.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

static const char usage_text[] =
	"usage: qbench-sandbox [options]\n"
	"\n"
	"A local fake of the QBench LIMS API (v1 Customers, all of v2), bound to 127.0.0.1.\n"
	"Prints 'qbench-sandbox listening on http://127.0.0.1:PORT' once ready.\n"
	"\n"
	"  --port N                 port to bind, 0 for a free one (default 0)\n"
	"  --customers N            number of seeded customers (default 75)\n"
	"  --seed N                 seed for the generated data (default 1)\n"
	"  --token T                static bearer token accepted (default sandbox-token)\n"
	"  --client-id ID           enable POST /qbench/oauth2/v1/token for this client\n"
	"  --client-secret S        the client's HS256 secret (with --client-id)\n"
	"  --token-ttl SECONDS      lifetime of issued access tokens, e.g. 3600 or 0.2 (default 3600)\n"
	"  --latency-ms N           delay every API answer by N ms\n"
	"  --concurrency-limit N    429 when N requests are already in flight\n"
	"  --rate-limit N/SECONDS   429 past N requests per fixed window, e.g. 300/60 or 5/0.2\n"
	"  --tls-cert FILE          serve HTTPS with this PEM certificate\n"
	"  --tls-key FILE           ... and this PEM private key\n"
	"  --log-limit N            keep the last N request-log entries (default 10000)\n"
	"  --v2-scale N             multiply the v2 collections' default sizes by N (1..1000)\n"
	"  --v2-sizes LIST          v2 sizes, e.g. samples=10000,orders=50 (unset ones follow)\n"
	"  --strict-schema          v2 answers hold only values the OpenAPI description allows\n"
	"                           (no null: such fields are left out)\n"
	"  --die-with-parent        exit when the parent process dies\n"
	"  --quiet                  no diagnostics on stderr except errors\n"
	"  --help                   show this help\n"
	"\n"
	"Control endpoints (no token): GET /_sandbox/requests, POST /_sandbox/reset,\n"
	"POST /_sandbox/faults, DELETE /_sandbox/faults.\n";

/* The options that take a value, and those that do not. */
static const char *const valued_options[] = {
	"--port", "--customers", "--seed", "--token", "--client-id", "--client-secret",
	"--token-ttl", "--latency-ms", "--concurrency-limit", "--rate-limit", "--tls-cert",
	"--tls-key", "--log-limit", "--v2-scale", "--v2-sizes", NULL,
};
static const char *const flag_options[] = {
	"--help", "-h", "--die-with-parent", "--quiet", "--strict-schema", NULL,
};

static int listed(const char *const *list, const char *a)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, a) == 0)
			return 1;
	return 0;
}

static void usage_error(const char *fmt, const char *arg)
{
	fputs("qbench-sandbox: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n\n", stderr);
	fputs(usage_text, stderr);
	exit(2);
}

static long parse_long(const char *flag, const char *s, long min, long max)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "qbench-sandbox: bad value for %s: '%s' (expected an integer from %ld to %ld)\n\n",
		        flag, s, min, max);
		fputs(usage_text, stderr);
		exit(2);
	}
	return v;
}

/* Digits with an optional fraction: "60", "0.25"; no sign, exponent, hex or spaces. */
static int decimal_text(const char *s)
{
	const char *p = s;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s)
		return 0;
	if (*p == '.') {
		const char *f = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == f)
			return 0;
	}
	return *p == '\0';
}

/* Seconds, fractions allowed, from min to max (given as text for the message). */
static double parse_seconds(const char *flag, const char *s, const char *min, const char *max)
{
	double v = 0;
	if (decimal_text(s)) {
		errno = 0;
		v = strtod(s, NULL);
	}
	if (!decimal_text(s) || errno != 0 || v < strtod(min, NULL) || v > strtod(max, NULL)) {
		fprintf(stderr, "qbench-sandbox: bad value for %s: '%s' (expected seconds from %s to %s, e.g. 60 or 0.25)\n\n",
		        flag, s, min, max);
		fputs(usage_text, stderr);
		exit(2);
	}
	return v;
}

static void parse_rate(struct sb_config *cfg, const char *s)
{
	const char *slash = strchr(s, '/');
	char *n;
	size_t len;
	if (slash == NULL)
		usage_error("bad value for --rate-limit: '%s' (expected N/SECONDS, e.g. 300/60)", s);
	len = (size_t)(slash - s);
	n = malloc(len + 1);
	if (n == NULL) {
		fputs("qbench-sandbox: out of memory\n", stderr);
		exit(1);
	}
	memcpy(n, s, len);
	n[len] = '\0';
	cfg->rate_limit_n = parse_long("--rate-limit", n, 1, 100000000);
	free(n);
	cfg->rate_limit_s = parse_seconds("--rate-limit", slash + 1, "0.001", "86400");
}

int main(int argc, char **argv)
{
	struct sb_config cfg = {
		.port = 0, .customers = 75, .seed = 1, .token = "sandbox-token",
		.token_ttl = 3600, .log_limit = 10000, .v2_scale = 1,
	};
	struct sb_host *host;
	sigset_t sigs;
	int i, sig = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(a, "--die-with-parent") == 0) {
			cfg.die_with_parent = 1;
			takes = 0;
		} else if (strcmp(a, "--quiet") == 0) {
			cfg.quiet = 1;
			takes = 0;
		} else if (strcmp(a, "--strict-schema") == 0) {
			cfg.strict_schema = 1;
			takes = 0;
		} else if (strncmp(a, "--", 2) != 0) {
			usage_error("unexpected argument '%s'", a);
		} else if (!listed(valued_options, a)) {
			usage_error("unknown option '%s'", a);
		} else if (v == NULL || listed(valued_options, v) || listed(flag_options, v)) {
			/* "--client-secret --quiet": the next option is not a value. */
			usage_error("option '%s' needs a value", a);
		} else if (strcmp(a, "--port") == 0) {
			cfg.port = parse_long(a, v, 0, 65535);
		} else if (strcmp(a, "--customers") == 0) {
			cfg.customers = parse_long(a, v, 0, 1000000);
		} else if (strcmp(a, "--seed") == 0) {
			cfg.seed = parse_long(a, v, LONG_MIN, LONG_MAX);
		} else if (strcmp(a, "--token") == 0) {
			if (*v == '\0')
				usage_error("--token must not be empty%s", "");
			cfg.token = v;
		} else if (strcmp(a, "--client-id") == 0) {
			cfg.client_id = v;
		} else if (strcmp(a, "--client-secret") == 0) {
			cfg.client_secret = v;
		} else if (strcmp(a, "--token-ttl") == 0) {
			cfg.token_ttl = parse_seconds(a, v, "0.001", "100000000");
		} else if (strcmp(a, "--latency-ms") == 0) {
			cfg.latency_ms = parse_long(a, v, 0, 600000);
		} else if (strcmp(a, "--concurrency-limit") == 0) {
			cfg.concurrency_limit = parse_long(a, v, 1, 1000000);
		} else if (strcmp(a, "--rate-limit") == 0) {
			parse_rate(&cfg, v);
		} else if (strcmp(a, "--tls-cert") == 0) {
			cfg.tls_cert = v;
		} else if (strcmp(a, "--tls-key") == 0) {
			cfg.tls_key = v;
		} else if (strcmp(a, "--log-limit") == 0) {
			cfg.log_limit = parse_long(a, v, 0, 100000000);
		} else if (strcmp(a, "--v2-scale") == 0) {
			cfg.v2_scale = parse_long(a, v, 1, 1000);
		} else if (strcmp(a, "--v2-sizes") == 0) {
			cfg.v2_sizes = v; /* checked by the Lua app */
		} else {
			usage_error("unknown option '%s'", a);
		}
		i += takes;
	}
	if ((cfg.client_id == NULL) != (cfg.client_secret == NULL))
		usage_error("--client-id and --client-secret go together%s", "");
	if (cfg.client_id != NULL && (*cfg.client_id == '\0' || *cfg.client_secret == '\0'))
		usage_error("--client-id and --client-secret must not be empty%s", "");
	if ((cfg.tls_cert == NULL) != (cfg.tls_key == NULL))
		usage_error("--tls-cert and --tls-key go together%s", "");

	if (cfg.die_with_parent) {
		pid_t parent = getppid();
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
			perror("qbench-sandbox: prctl(PR_SET_PDEATHSIG)");
			return 1;
		}
		/* The parent may have died before prctl took effect. */
		if (getppid() != parent)
			return 0;
	}

	/*
	 * Block the stop signals before any thread exists so every MHD thread
	 * inherits the mask and only sigwait() below ever sees them.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	host = sb_host_start(&cfg);
	if (host == NULL)
		return 1;

	if (!cfg.quiet)
		fprintf(stderr, "qbench-sandbox: %ld customers, seed %ld, token '%s'%s%s\n",
		        cfg.customers, cfg.seed, cfg.token,
		        cfg.client_id ? ", oauth client " : "", cfg.client_id ? cfg.client_id : "");
	printf("qbench-sandbox listening on %s://127.0.0.1:%u\n",
	       cfg.tls_cert ? "https" : "http", sb_host_port(host));
	fflush(stdout);

	while (sigwait(&sigs, &sig) != 0)
		;
	sb_host_stop(host);
	return 0;
}
