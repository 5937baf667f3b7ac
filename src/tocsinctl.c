/*
 * tocsinctl: the operator's and rule author's command.  Subcommands live
 * in one table; each is a function in a ctl-*.c file.  `COMMAND --help`
 * (or -h) is answered here from the same table, before the command runs,
 * so no command can take it for an incident key or a file and act.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ctl.h"
#include "log.h"
#include "tocsin.h"

static const struct ctl_command {
	const char	*name;
	const char	*args;
	const char	*help;
	int		(*fn)(const struct ctl_env *, int, char **);
} ctl_commands[] = {
	{ "post", "FILE|-", "send events (a JSON object or array)", ctl_post },
	{ "incidents", "[open|closed|all]", "list incidents", ctl_incidents },
	{ "show", "KEY", "show an incident with its obligations and timeline",
	    ctl_show },
	{ "ack", "KEY [BY]", "acknowledge: stops further escalation steps",
	    ctl_ack },
	{ "resolve", "KEY [BY]", "close; pending obligations are cancelled",
	    ctl_resolve },
	{ "compliance", "[--from T] [--to T] [--unit U] [--subtree] "
	    "[--drill 0|1|only] [--by unit|parent] [--format csv|json]",
	    "the 迟报/漏报 ledger: one row per obligation, drills left out "
	    "unless --drill 1 or only; --by: counts per unit, or rolled up to "
	    "each parent", ctl_compliance },
	{ "stats", "[--from YYYY-MM] [--to YYYY-MM] [--unit U] [--subtree] "
	    "[--conceal-h H] [--format table|json|csv|xlsx]",
	    "the office's statistics per unit and month, drills left out: on "
	    "time, late, missed, suspected concealment; csv and xlsx (the monthly 通报) "
	    "as files on stdout", ctl_stats },
	{ "status", "[--json]", "the daemon at a glance: rules, incidents, "
	    "outbox, next deadline", ctl_status },
	{ "backup", "[--db PATH|URL] [--quick] FILE", "copy the live "
	    "database to FILE, as a reader; a PostgreSQL one with pg_dump "
	    "(custom format, for pg_restore; the password only in its "
	    "environment)", ctl_backup },
	{ "migrate", "--from FILE.db --to postgresql://USER@HOST/DB",
	    "copy the embedded database (tocsind stopped; the file is only "
	    "read) into an empty PostgreSQL database, then check every table "
	    "row for row", ctl_migrate },
	{ "prune", "--before DATE [--dry-run] [--drop-ledger] [--json]",
	    "remove incidents closed before DATE; the ledger stays",
	    ctl_prune },
	{ "simulate", "-c SITE [--rules DIR]... [--credentials DIR] "
	    "--events FILE.jsonl [--until D] [--messages]",
	    "run the engine on a virtual clock; --messages: each notification "
	    "with the text its recipient reads", ctl_simulate },
	{ "replay", "--db DB -c SITE [--rules DIR]... [--credentials DIR] "
	    "[--from T] [--to T] [--incident KEY] [--unit U] "
	    "[--format text|json]",
	    "the stored events through changed rules on a virtual clock: how "
	    "the timeline would differ (who would be told, what would be "
	    "late), the database never written; exit 0 same, 1 differs, "
	    "2 error", ctl_replay },
	{ "test", "FILE...", "run rule tests: events in, expected actions out",
	    ctl_test },
	{ "check", "-c SITE [--rules DIR]... [--credentials DIR]",
	    "check a site and its rules", ctl_check },
};

static void
ctl_usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: tocsinctl [--url URL] [--token TOKEN] "
	    "[--log-level L] COMMAND [ARGS]\n\n");
	for (i = 0; i < nitems(ctl_commands); i++)
		fprintf(f, "  %-10s %s\n  %-10s   %s\n", ctl_commands[i].name,
		    ctl_commands[i].args, "", ctl_commands[i].help);
	fprintf(f, "\n  --url URL      the daemon (default $TOCSIN_URL or "
	    "http://127.0.0.1:8470)\n"
	    "  --token TOKEN  bearer token for writes (default $TOCSIN_TOKEN)"
	    "\n"
	    "  --log-level L  error, warn (default), info or debug: what the\n"
	    "                 engine logs to stderr during simulate and test\n");
}

/* Does a command's argument list ask for help?  "--" ends the options. */
static int
ctl_wants_help(int argc, char **argv)
{
	int	a;

	for (a = 1; a < argc && strcmp(argv[a], "--") != 0; a++) {
		if (strcmp(argv[a], "--help") == 0 ||
		    strcmp(argv[a], "-h") == 0)
			return (1);
	}
	return (0);
}

static void
ctl_command_usage(const struct ctl_command *c, FILE *f)
{
	fprintf(f, "usage: tocsinctl [--url URL] [--token TOKEN] %s %s\n\n"
	    "%s\n", c->name, c->args, c->help);
}

int
main(int argc, char **argv)
{
	struct ctl_env	 env;
	enum log_level	 level = LOG_LEVEL_WARN;
	size_t		 i;
	int		 rc;

	env.url = getenv("TOCSIN_URL") ? getenv("TOCSIN_URL") :
	    "http://127.0.0.1:8470";
	env.token = getenv("TOCSIN_TOKEN");
	argc--;
	argv++;
	while (argc > 0 && argv[0][0] == '-') {
		if (strcmp(argv[0], "--url") == 0 && argc > 1) {
			env.url = argv[1];
			argc -= 2;
			argv += 2;
		} else if (strcmp(argv[0], "--token") == 0 && argc > 1) {
			env.token = argv[1];
			argc -= 2;
			argv += 2;
		} else if (strcmp(argv[0], "--log-level") == 0 && argc > 1) {
			if (log_level_parse(argv[1], &level) != 0) {
				fprintf(stderr, "tocsinctl: bad log level "
				    "\"%s\"\n", argv[1]);
				return (2);
			}
			argc -= 2;
			argv += 2;
		} else if (strcmp(argv[0], "--version") == 0) {
			printf("tocsinctl %s\n", TOCSIN_VERSION);
			return (0);
		} else if (strcmp(argv[0], "--help") == 0 ||
		    strcmp(argv[0], "-h") == 0) {
			ctl_usage(stdout);
			return (0);
		} else {
			ctl_usage(stderr);
			return (2);
		}
	}
	if (argc == 0) {
		ctl_usage(stderr);
		return (2);
	}
	log_init("tocsinctl", level);
	for (i = 0; i < nitems(ctl_commands); i++) {
		if (strcmp(argv[0], ctl_commands[i].name) != 0)
			continue;
		if (ctl_wants_help(argc, argv)) {
			ctl_command_usage(&ctl_commands[i], stdout);
			return (0);
		}
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = ctl_commands[i].fn(&env, argc, argv);
		curl_global_cleanup();
		return (rc);
	}
	fprintf(stderr, "tocsinctl: unknown command \"%s\"\n", argv[0]);
	ctl_usage(stderr);
	return (2);
}
