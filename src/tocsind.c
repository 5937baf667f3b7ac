/*
 * tocsind: parse the options, then hand over to daemon_run.  --check loads
 * and validates everything and reports each problem as file:line: message.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"
#include "daemon.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"

/* The installed site; the Makefile gives SYSCONFDIR's, `make run` -c. */
#ifndef TOCSIN_DEFAULT_SITE
#define TOCSIN_DEFAULT_SITE "/etc/tocsin/site.lua"
#endif

static const struct option tocsind_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "db", required_argument, NULL, 'd' },
	{ "spool", required_argument, NULL, 'S' },
	{ "rules", required_argument, NULL, 'r' },
	{ "credentials", required_argument, NULL, 'C' },
	{ "check", no_argument, NULL, 'n' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
tocsind_usage(FILE *f)
{
	fprintf(f,
"usage: tocsind [-n] [-c SITE] [--listen ADDR:PORT] [--db PATH]\n"
"               [--spool DIR] [--rules DIR]... [--credentials DIR]\n"
"               [--log-level LEVEL]\n"
"\n"
"tocsin keeps the reporting deadlines of emergency procedures and tells\n"
"the right people when one is about to pass or has passed.\n"
"\n"
"  -c, --config SITE     site file (default: %s)\n"
"      --listen ADDR:PORT  HTTP listen address (default: the site's, or\n"
"                        127.0.0.1:8470)\n"
"      --db PATH         SQLite database, or a postgresql:// URL (default:\n"
"                        the site's, or ./var/tocsin.db)\n"
"      --spool DIR       ingest NAME.json files renamed into DIR (default:\n"
"                        the site's spool, or none)\n"
"      --rules DIR       rule pack directory; repeat for several; replaces\n"
"                        the site's own list\n"
"      --credentials DIR secret(\"NAME\") reads DIR/NAME, as under systemd\n"
"                        it reads $CREDENTIALS_DIRECTORY/NAME (default: that\n"
"                        variable, else credentials/ beside the site, else\n"
"                        secrets/ beside it)\n"
"  -n, --check           load and check the site and rules, print every\n"
"                        problem as file:line: message, exit 0 or 1\n"
"      --log-level L     error, warn, info (default) or debug\n"
"  -V, --version         print the version\n"
"  -h, --help            this text\n"
"\n"
"Signals: SIGHUP reloads the site and rules (a broken set is refused and\n"
"the old one keeps running); SIGTERM and SIGINT stop.\n",
	    TOCSIN_DEFAULT_SITE);
}

static int
tocsind_check(const struct daemon_options *opts)
{
	return (site_report(opts->site, &opts->rules, stdout));
}

int
main(int argc, char **argv)
{
	struct daemon_options	opts;
	int			ch, check = 0, rc;

	memset(&opts, 0, sizeof(opts));
	opts.site = TOCSIN_DEFAULT_SITE;
	opts.log_level = LOG_LEVEL_INFO;
	while ((ch = getopt_long(argc, argv, "c:nVh", tocsind_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.site = optarg;
			break;
		case 'l':
			opts.listen = optarg;
			break;
		case 'd':
			opts.db = optarg;
			break;
		case 'S':
			opts.spool = optarg;
			break;
		case 'r':
			names_add(&opts.rules, optarg);
			break;
		case 'C':
			/* secret() reads what the service manager sets, so
			 * a run by hand finds secrets the same way. */
			if (setenv("CREDENTIALS_DIRECTORY", optarg, 1) != 0) {
				perror("tocsind: setenv");
				return (2);
			}
			break;
		case 'n':
			check = 1;
			break;
		case 'L':
			if (log_level_parse(optarg, &opts.log_level) != 0) {
				fprintf(stderr, "tocsind: bad log level \"%s\"\n",
				    optarg);
				return (2);
			}
			break;
		case 'V':
			printf("tocsind %s\n", TOCSIN_VERSION);
			return (0);
		case 'h':
			tocsind_usage(stdout);
			return (0);
		default:
			tocsind_usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		tocsind_usage(stderr);
		return (2);
	}
	log_init("tocsind", opts.log_level);
	rc = check ? tocsind_check(&opts) : daemon_run(&opts);
	names_free(&opts.rules);
	return (rc);
}
