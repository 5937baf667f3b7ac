/*
 * tocsinctl subcommands that talk to the daemon's HTTP API.  Output is the
 * API's JSON (pretty-printed), or a table for `incidents`; failures print
 * the server's error message and exit non-zero.  Tables line up in display
 * columns (ctl-table.c), so Chinese names and titles keep them straight.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl.h"
#include "ctl-table.h"
#include "tocsin.h"
#include "xmalloc.h"

#define CTL_PAGE_LIMIT	200	/* rows a page: the daemon's largest */
/* Excel and WPS read a CSV file as UTF-8 only when it starts with one. */
#define CTL_UTF8_BOM	"\xef\xbb\xbf"

static int
ctl_print(json_t *json)
{
	if (json == NULL)
		return (1);
	json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(json);
	return (0);
}

static char *
ctl_read_file(const char *path, size_t *len)
{
	FILE	*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char	*data = NULL;
	size_t	 cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "tocsinctl: %s: %s\n", path, strerror(errno));
		return (NULL);
	}
	*len = 0;
	for (;;) {
		if (*len + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			data = xreallocarray(data, cap + 1, 1);
		}
		n = fread(data + *len, 1, cap - *len, f);
		if (n == 0)
			break;
		*len += n;
	}
	if (f != stdin)
		fclose(f);
	data[*len] = '\0';
	return (data);
}

/* post FILE|-: send the JSON in FILE (an event or an array of them). */
int
ctl_post(const struct ctl_env *env, int argc, char **argv)
{
	char	*data;
	size_t	 len;
	long	 status;
	int	 rc;

	if (argc != 2) {
		fprintf(stderr, "usage: tocsinctl post FILE|-\n");
		return (2);
	}
	if ((data = ctl_read_file(argv[1], &len)) == NULL)
		return (1);
	rc = ctl_print(ctl_request(env, "POST", "/v1/events", data, len,
	    &status));
	free(data);
	return (rc);
}

/*
 * GET path and each page its "next" link names, handing fn every page's
 * array called name: the user gets the whole list whatever the page size.
 * 0, or 1 after printing why (what fn printed before stays printed).
 */
static int
ctl_pages(const struct ctl_env *env, const char *path, const char *name,
    void (*fn)(json_t *, void *), void *arg)
{
	char		*p = xstrdup(path);
	const char	*next;
	json_t		*json;
	long		 status;

	while (p != NULL) {
		json = ctl_request(env, "GET", p, NULL, 0, &status);
		if (json == NULL) {
			free(p);
			return (1);
		}
		fn(json_object_get(json, name), arg);
		next = json_string_value(json_object_get(json, "next"));
		/* A page that names itself would never end. */
		if (next != NULL && strcmp(next, p) == 0) {
			fprintf(stderr, "tocsinctl: %s names itself as the next "
			    "page\n", p);
			json_decref(json);
			free(p);
			return (1);
		}
		free(p);
		p = next != NULL ? xstrdup(next) : NULL;
		json_decref(json);
	}
	return (0);
}

/* Ids are shown whole, a unit's name is cut to its column. */
static const struct ctl_table_col ctl_incident_cols[] = {
	{ "INCIDENT", 24, 0 },
	{ "UNIT", 16, 0 },
	{ "UNIT NAME", 20, 1 },
	{ "GRADE", 5, 0 },
	{ "STATE", 7, 0 },
	{ "TITLE", 0, 0 },
};

static void
ctl_incidents_page(json_t *rows, void *arg)
{
	const char	*cells[nitems(ctl_incident_cols)];
	json_t		*inc, *grade;
	char		 g[24];
	size_t		 i;

	json_array_foreach(rows, i, inc) {
		grade = json_object_get(inc, "grade");
		snprintf(g, sizeof(g), "%lld", (long long)json_integer_value(
		    grade));
		cells[0] = json_string_value(json_object_get(inc, "key"));
		cells[1] = json_string_value(json_object_get(inc, "unit"));
		cells[2] = json_string_value(json_object_get(inc, "unit_name"));
		cells[3] = json_is_integer(grade) ? g : "-";
		cells[4] = json_string_value(json_object_get(inc, "state"));
		cells[5] = json_string_value(json_object_get(inc, "title"));
		ctl_table_row(stdout, ctl_incident_cols, nitems(cells), cells);
	}
}

int
ctl_incidents(const struct ctl_env *env, int argc, char **argv)
{
	char	*esc, *path;
	int	 rc;

	esc = curl_easy_escape(NULL, argc > 1 ? argv[1] : "open", 0);
	xasprintf(&path, "/v1/incidents?state=%s&limit=%d", esc,
	    CTL_PAGE_LIMIT);
	curl_free(esc);
	ctl_table_header(stdout, ctl_incident_cols,
	    nitems(ctl_incident_cols));
	rc = ctl_pages(env, path, "incidents", ctl_incidents_page, NULL);
	free(path);
	return (rc);
}

static char *
ctl_incident_path(const char *key, const char *suffix)
{
	char	*esc, *path;

	esc = curl_easy_escape(NULL, key, 0);
	xasprintf(&path, "/v1/incidents/%s%s", esc, suffix);
	curl_free(esc);
	return (path);
}

static int
ctl_incident(const struct ctl_env *env, int argc, char **argv,
    const char *method, const char *suffix)
{
	char	*path, *body = NULL;
	long	 status;
	int	 rc;
	json_t	*by;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: tocsinctl %s KEY%s\n", argv[0],
		    *suffix ? " [BY]" : "");
		return (2);
	}
	if (*suffix) {
		by = json_pack("{s:s}", "by", argc == 3 ? argv[2] :
		    (getenv("USER") ? getenv("USER") : "tocsinctl"));
		body = json_dumps(by, JSON_COMPACT);
		json_decref(by);
	}
	path = ctl_incident_path(argv[1], suffix);
	rc = ctl_print(ctl_request(env, method, path, body, body ?
	    strlen(body) : 0, &status));
	free(path);
	free(body);
	return (rc);
}

int
ctl_show(const struct ctl_env *env, int argc, char **argv)
{
	return (ctl_incident(env, argc, argv, "GET", ""));
}

int
ctl_ack(const struct ctl_env *env, int argc, char **argv)
{
	return (ctl_incident(env, argc, argv, "POST", "/ack"));
}

int
ctl_resolve(const struct ctl_env *env, int argc, char **argv)
{
	return (ctl_incident(env, argc, argv, "POST", "/resolve"));
}

static void
ctl_csv_field(const char *s)
{
	const char	*p;

	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static const char *ctl_compliance_cols[] = { "incident", "recurring",
    "unit", "unit_name", "procedure", "obligation", "title", "due_at", "met_at",
    "status", "late_s", "paused_s", "instance", "met_count", "needed",
    "drill" };

static void
ctl_compliance_csv(json_t *rows, void *arg)
{
	json_t		*row, *v;
	size_t		 i, c;

	json_array_foreach(rows, i, row) {
		for (c = 0; c < nitems(ctl_compliance_cols); c++) {
			v = json_object_get(row, ctl_compliance_cols[c]);
			if (c > 0)
				putchar(',');
			if (json_is_integer(v))
				printf("%lld", (long long)json_integer_value(v));
			else if (json_is_boolean(v))
				putchar(json_is_true(v) ? '1' : '0');
			else
				ctl_csv_field(json_string_value(v));
		}
		putchar('\n');
	}
}

static void
ctl_compliance_json(json_t *rows, void *arg)
{
	json_array_extend(arg, rows);
}

/*
 * compliance [--from T] [--to T] [--unit U] [--subtree] [--drill 0|1|only]
 * [--by unit|parent] [--format csv|json]: every page of the ledger, as
 * one CSV file (with a BOM, for Excel and WPS) or one JSON object; with
 * --by, its counts per unit (ctl-ledger.c).  Drills are left out unless
 * --drill says 1 (with the rest) or only; the daemon checks the value.
 */
int
ctl_compliance(const struct ctl_env *env, int argc, char **argv)
{
	const char	*format = "csv", *by = NULL;
	char		*path, *esc, *next;
	json_t		*all;
	size_t		 c;
	int		 a, rc;

	path = xstrdup("/v1/compliance?");
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--format") == 0 && a + 1 < argc) {
			format = argv[++a];
			continue;
		}
		if (strcmp(argv[a], "--by") == 0 && a + 1 < argc) {
			by = argv[++a];
			continue;
		}
		if (strcmp(argv[a], "--subtree") == 0) {
			xasprintf(&next, "%ssubtree=1&", path);
			free(path);
			path = next;
			continue;
		}
		if ((strcmp(argv[a], "--from") != 0 && strcmp(argv[a], "--to")
		    != 0 && strcmp(argv[a], "--unit") != 0 && strcmp(argv[a],
		    "--drill") != 0) || a + 1 >= argc) {
			fprintf(stderr, "usage: tocsinctl compliance [--from T] "
			    "[--to T] [--unit U] [--subtree] [--drill 0|1|only] "
			    "[--by unit|parent] [--format csv|json]\n");
			free(path);
			return (2);
		}
		esc = curl_easy_escape(NULL, argv[a + 1], 0);
		xasprintf(&next, "%s%s=%s&", path, argv[a] + 2, esc);
		curl_free(esc);
		free(path);
		path = next;
		a++;
	}
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "tocsinctl: --format is csv or json\n");
		free(path);
		return (2);
	}
	if (by != NULL && strcmp(by, "unit") != 0 && strcmp(by, "parent") !=
	    0) {
		fprintf(stderr, "tocsinctl: --by is unit or parent\n");
		free(path);
		return (2);
	}
	if (by != NULL) {
		xasprintf(&next, "/v1/compliance/summary?%sby=%s", path +
		    strlen("/v1/compliance?"), by);
		rc = ctl_compliance_summary(env, next, strcmp(format, "json") ==
		    0);
		free(next);
		free(path);
		return (rc);
	}
	xasprintf(&next, "%slimit=%d", path, CTL_PAGE_LIMIT);
	free(path);
	path = next;
	if (strcmp(format, "json") == 0) {
		all = json_array();
		rc = ctl_pages(env, path, "obligations", ctl_compliance_json,
		    all);
		free(path);
		if (rc != 0) {
			json_decref(all);
			return (rc);
		}
		return (ctl_print(json_pack("{s:o}", "obligations", all)));
	}
	fputs(CTL_UTF8_BOM, stdout);
	for (c = 0; c < nitems(ctl_compliance_cols); c++)
		printf("%s%s", c ? "," : "", ctl_compliance_cols[c]);
	putchar('\n');
	rc = ctl_pages(env, path, "obligations", ctl_compliance_csv, NULL);
	free(path);
	return (rc);
}

/* A duration, coarsely: "3d04h", "2h05m", "4m10s", "12s". */
static const char *
ctl_duration(int64_t s, char *buf, size_t len)
{
	const char	*sign = s < 0 ? "-" : "";

	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(buf, len, "%s%lldd%02lldh", sign, (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, len, "%s%lldh%02lldm", sign, (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%s%lldm%02llds", sign, (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(buf, len, "%s%llds", sign, (long long)s);
	return (buf);
}

static const char *
ctl_bytes(int64_t n, char *buf, size_t len)
{
	if (n >= 1024 * 1024 * 1024)
		snprintf(buf, len, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)n / (1 << 20));
	else if (n >= 1024)
		snprintf(buf, len, "%.1f KiB", (double)n / (1 << 10));
	else
		snprintf(buf, len, "%lld bytes", (long long)n);
	return (buf);
}

static long long
ctl_int(const json_t *o, const char *key)
{
	return ((long long)json_integer_value(json_object_get(o, key)));
}

static const char *
ctl_str(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "-");
}

/* "k1 v1, k2 v2, ..." of an object of counts, in its order. */
static void
ctl_counts(const json_t *o, int value_first)
{
	const char	*key;
	json_t		*v;
	int		 first = 1;

	json_object_foreach((json_t *)o, key, v) {
		if (value_first)
			printf("%s%lld %s", first ? "" : ", ",
			    (long long)json_integer_value(v), key);
		else
			printf("%s%s %lld", first ? "" : ", ", key,
			    (long long)json_integer_value(v));
		first = 0;
	}
}

#define CTL_KEY(k)	printf("%-16s ", k ":")

static void
ctl_status_next(const json_t *next)
{
	static const char *fields[] = { "incident", "recurring", "unit",
	    "unit_name", "procedure", "obligation", "policy", "step",
	    "repeat" };
	const json_t	*v;
	char		 buf[32];
	size_t		 i;

	CTL_KEY("next deadline");
	if (!json_is_object(next)) {
		printf("none\n");
		return;
	}
	printf("%s (in %s) %s", ctl_str(next, "at"),
	    ctl_duration(ctl_int(next, "in_s"), buf, sizeof(buf)),
	    ctl_str(next, "kind"));
	for (i = 0; i < nitems(fields); i++) {
		v = json_object_get(next, fields[i]);
		if (json_is_string(v))
			printf(", %s %s", fields[i], json_string_value(v));
		else if (json_is_integer(v))
			printf(", %s %lld", fields[i],
			    (long long)json_integer_value(v));
	}
	putchar('\n');
}

static void
ctl_prune_print(const json_t *job)
{
	const json_t	*rows = json_object_get(job, "rows");
	const char	*key;
	json_t		*v;
	char		*cell;

	printf("%s%lld incidents resolved before %s (ledger %s)%s\n",
	    json_is_true(json_object_get(job, "dry_run")) ?
	    "would prune " : "pruned ", ctl_int(job, "incidents"),
	    ctl_str(job, "before"), ctl_str(job, "ledger"),
	    json_is_true(json_object_get(job, "dry_run")) ?
	    "; dry run, nothing was deleted" : "");
	json_object_foreach((json_t *)rows, key, v) {
		cell = ctl_table_cell(key, 12, 0);
		printf("  %s %lld\n", cell, (long long)json_integer_value(v));
		free(cell);
	}
	if (ctl_int(job, "skipped") > 0)
		printf("  %-12s %lld (their messages are still being "
		    "delivered)\n", "skipped", ctl_int(job, "skipped"));
}

/* holidays: 2026 国办发明电〔2025〕7号, 2027 provisional (no notice yet) */
static void
ctl_status_calendar(const json_t *cal)
{
	const json_t	*y;
	size_t		 i;

	CTL_KEY("holidays");
	if (!json_is_true(json_object_get(cal, "national")))
		printf("the site's own (national calendar off); ");
	json_array_foreach(json_object_get(cal, "years"), i, y) {
		printf("%s%lld ", i > 0 ? ", " : "", ctl_int(y, "year"));
		if (json_is_true(json_object_get(y, "provisional")))
			printf("provisional (no State Council notice yet)");
		else if (json_object_get(y, "source") != NULL)
			printf("%s", ctl_str(y, "source"));
		else
			printf("the site's schedule");
	}
	putchar('\n');
}

/*
 * The node's role, its term and who leads (docs/cluster.md); SQLite's
 * single node always leads and has no lease.
 */
static void
ctl_status_cluster(const json_t *c)
{
	const json_t	*leader = json_object_get(c, "leader");

	CTL_KEY("role");
	if (!json_is_integer(json_object_get(c, "lease_ms"))) {
		printf("leader (one node, no lease)\n");
		return;
	}
	if (json_is_integer(json_object_get(c, "term")))
		printf("%s, term %lld, lease %lld ms\n", ctl_str(c, "role"),
		    ctl_int(c, "term"), ctl_int(c, "lease_ms"));
	else
		printf("%s, lease %lld ms\n", ctl_str(c, "role"),
		    ctl_int(c, "lease_ms"));
	CTL_KEY("node");
	printf("%s\n", ctl_str(c, "node"));
	CTL_KEY("leader");
	if (!json_is_object(leader))
		printf("none (the lease expired; a node takes it within a "
		    "second)\n");
	else
		printf("%s, term %lld, lease expires in %lld ms\n",
		    ctl_str(leader, "holder"), ctl_int(leader, "term"),
		    ctl_int(leader, "expires_in_ms"));
	if (json_is_integer(json_object_get(c, "spool_inbox"))) {
		CTL_KEY("spool inbox");
		printf("%lld forwarded files waiting for the leader\n",
		    ctl_int(c, "spool_inbox"));
	}
}

/* status [--json]: what the daemon is doing, in aligned key: value lines. */
int
ctl_status(const struct ctl_env *env, int argc, char **argv)
{
	json_t		*json, *o, *prune;
	long		 status;
	char		 b1[32], b2[32];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0)) {
		fprintf(stderr, "usage: tocsinctl status [--json]\n");
		return (2);
	}
	if ((json = ctl_request(env, "GET", "/v1/status", NULL, 0, &status)) ==
	    NULL)
		return (1);
	if (argc == 2)
		return (ctl_print(json));
	CTL_KEY("version");
	printf("%s\n", ctl_str(json, "version"));
	CTL_KEY("started");
	printf("%s (up %s)\n", ctl_str(json, "started_at"),
	    ctl_duration(ctl_int(json, "uptime_s"), b1, sizeof(b1)));
	CTL_KEY("site");
	printf("%s\n", ctl_str(json, "site"));
	ctl_status_cluster(json_object_get(json, "cluster"));
	o = json_object_get(json, "rules");
	CTL_KEY("rules");
	printf("loaded %s: %lld procedures, %lld policies, %lld recurring, "
	    "%lld channels\n", ctl_str(o, "loaded_at"),
	    ctl_int(o, "procedures"), ctl_int(o, "policies"),
	    ctl_int(o, "recurring"), ctl_int(o, "channels"));
	CTL_KEY("reloads");
	printf("%lld ok, %lld failed\n", ctl_int(o, "reloads_ok"),
	    ctl_int(o, "reloads_failed"));
	o = json_object_get(json, "incidents");
	CTL_KEY("open incidents");
	printf("%lld (", ctl_int(o, "open"));
	ctl_counts(json_object_get(o, "open_by_grade"), 0);
	printf(")\n");
	CTL_KEY("obligations");
	ctl_counts(json_object_get(json, "obligations"), 1);
	putchar('\n');
	CTL_KEY("outbox");
	ctl_counts(json_object_get(json, "outbox"), 1);
	putchar('\n');
	ctl_status_next(json_object_get(json, "next_deadline"));
	o = json_object_get(json, "database");
	CTL_KEY("database");
	printf("%s\n", ctl_str(o, "path"));
	CTL_KEY("database size");
	printf("%s, WAL %s; %lld pages of %lld bytes, %lld free\n",
	    ctl_bytes(ctl_int(o, "size_bytes"), b1, sizeof(b1)),
	    ctl_bytes(ctl_int(o, "wal_bytes"), b2, sizeof(b2)),
	    ctl_int(o, "pages"), ctl_int(o, "page_size"),
	    ctl_int(o, "free_pages"));
	prune = json_object_get(json, "prune");
	CTL_KEY("last prune");
	if (!json_is_object(prune))
		printf("none\n");
	else
		printf("%s%s, started %s: %lld incidents resolved before %s\n",
		    ctl_str(prune, "state"), json_is_true(json_object_get(prune,
		    "dry_run")) ? " (dry run)" : "", ctl_str(prune,
		    "started_at"), ctl_int(prune, "incidents"),
		    ctl_str(prune, "before"));
	ctl_status_calendar(json_object_get(json, "calendar"));
	json_decref(json);
	return (0);
}

/*
 * prune --before DATE [--dry-run] [--drop-ledger] [--json]: through the
 * daemon, the only writer.  A long prune answers 202; then we follow its
 * progress on /v1/status until it ends.
 */
int
ctl_prune(const struct ctl_env *env, int argc, char **argv)
{
	const char	*before = NULL, *state;
	json_t		*req, *json, *job, *st;
	char		*body;
	long		 status;
	int		 a, dry = 0, drop = 0, as_json = 0, rc = 0;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--before") == 0 && a + 1 < argc)
			before = argv[++a];
		else if (strcmp(argv[a], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[a], "--drop-ledger") == 0)
			drop = 1;
		else if (strcmp(argv[a], "--json") == 0)
			as_json = 1;
		else
			break;
	}
	if (before == NULL || a != argc) {
		fprintf(stderr, "usage: tocsinctl prune --before DATE "
		    "[--dry-run] [--drop-ledger] [--json]\n");
		return (2);
	}
	req = json_pack("{s:s, s:b, s:s, s:s}", "before", before, "dry_run",
	    dry, "ledger", drop ? "drop" : "keep", "by", getenv("USER") ?
	    getenv("USER") : "tocsinctl");
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	json = ctl_request(env, "POST", "/v1/admin/prune", body, strlen(body),
	    &status);
	free(body);
	if (json == NULL)
		return (1);
	job = json_incref(json_object_get(json, "prune"));
	json_decref(json);
	while ((state = json_string_value(json_object_get(job, "state"))) !=
	    NULL && strcmp(state, "running") == 0) {
		fprintf(stderr, "tocsinctl: pruning: %lld incidents so far\n",
		    ctl_int(job, "incidents"));
		sleep(1);
		if ((st = ctl_request(env, "GET", "/v1/status", NULL, 0,
		    &status)) == NULL) {
			json_decref(job);
			return (1);
		}
		json_decref(job);
		job = json_incref(json_object_get(st, "prune"));
		json_decref(st);
	}
	state = json_string_value(json_object_get(job, "state"));
	if (state == NULL || strcmp(state, "done") != 0) {
		fprintf(stderr, "tocsinctl: the prune %s: %s\n", state != NULL ?
		    state : "vanished", ctl_str(job, "error"));
		rc = 1;
	}
	if (as_json)
		ctl_print(json_incref(job));
	else if (rc == 0)
		ctl_prune_print(job);
	json_decref(job);
	return (rc);
}
