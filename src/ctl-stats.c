/*
 * tocsinctl stats: the office's statistics (GET /v1/stats) per unit over
 * the months asked, as a table aligned for Chinese unit names, as the
 * daemon's JSON, or the daemon's files as they come -- the CSV (with its
 * byte order mark) or the XLSX workbook of the monthly 通报 -- on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl.h"
#include "ctl-table.h"
#include "tocsin.h"
#include "xmalloc.h"

#define CTL_STATS_MAX	(256 * 1024 * 1024)	/* a file's bytes */

/* The table's columns after unit and name: counts, then rates. */
static const struct {
	const char	*key;
	const char	*title;
	int		 rate;
} ctl_stats_cols[] = {
	{ "due", "due", 0 },
	{ "on_time", "on_time", 0 },
	{ "late", "late", 0 },
	{ "missed", "missed", 0 },
	{ "overdue", "overdue", 0 },
	{ "on_time_rate", "on_time%", 1 },
	{ "late_rate", "late%", 1 },
	{ "missed_rate", "missed%", 1 },
	{ "incidents", "incidents", 0 },
	{ "concealed", "concealed", 0 },
};

/* The query options: --from M --to M --unit U --conceal-h H as a query. */
static const char *const ctl_stats_params[][2] = {
	{ "--from", "from" }, { "--to", "to" }, { "--unit", "unit" },
	{ "--conceal-h", "conceal_h" },
};

static void
ctl_stats_usage(void)
{
	fprintf(stderr, "usage: tocsinctl stats [--from YYYY-MM] "
	    "[--to YYYY-MM] [--unit U] [--subtree] [--conceal-h H] "
	    "[--format table|json|csv|xlsx]\n");
}

struct ctl_stats_body {
	FILE	*out;
	char	*err;		/* the answer, kept when it is an error */
	size_t	 len;
	long	 status;
	CURL	*c;
};

/* The body: to out while the answer is 200, else kept to say why. */
static size_t
ctl_stats_write(char *data, size_t size, size_t n, void *arg)
{
	struct ctl_stats_body	*b = arg;
	size_t			 len = size * n;

	if (b->status == 0)
		curl_easy_getinfo(b->c, CURLINFO_RESPONSE_CODE, &b->status);
	if (b->len + len > CTL_STATS_MAX)
		return (0);
	b->len += len;
	if (b->status == 200)
		return (fwrite(data, 1, len, b->out));
	b->err = xreallocarray(b->err, b->len + 1, 1);
	memcpy(b->err + b->len - len, data, len);
	b->err[b->len] = '\0';
	return (len);
}

/* GET path, its body written to stdout as it comes: 0, or 1. */
static int
ctl_stats_file(const struct ctl_env *env, const char *path)
{
	struct ctl_stats_body	 b = { stdout, NULL, 0, 0, NULL };
	struct curl_slist	*h = NULL;
	json_t			*e;
	const char		*why;
	char			*url, *auth, err[CURL_ERROR_SIZE] = "";
	CURLcode		 rc;
	int			 ok = 0;

	if ((b.c = curl_easy_init()) == NULL) {
		fprintf(stderr, "tocsinctl: cannot start libcurl\n");
		return (1);
	}
	xasprintf(&url, "%s%s", env->url, path);
	curl_easy_setopt(b.c, CURLOPT_URL, url);
	curl_easy_setopt(b.c, CURLOPT_WRITEFUNCTION, ctl_stats_write);
	curl_easy_setopt(b.c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(b.c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(b.c, CURLOPT_TIMEOUT, 60L);
	if (env->token != NULL) {
		xasprintf(&auth, "Authorization: Bearer %s", env->token);
		h = curl_slist_append(h, auth);
		free(auth);
		curl_easy_setopt(b.c, CURLOPT_HTTPHEADER, h);
	}
	rc = curl_easy_perform(b.c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(b.c, CURLINFO_RESPONSE_CODE, &b.status);
	if (rc != CURLE_OK)
		fprintf(stderr, "tocsinctl: %s: %s\n", url, err[0] ? err :
		    curl_easy_strerror(rc));
	else if (b.status != 200) {
		e = b.err != NULL ? json_loads(b.err, 0, NULL) : NULL;
		why = json_string_value(json_object_get(json_object_get(e,
		    "error"), "message"));
		fprintf(stderr, "tocsinctl: HTTP %ld: %s\n", b.status,
		    why != NULL ? why : "no reason given");
		json_decref(e);
	} else
		ok = fflush(stdout) == 0;
	curl_slist_free_all(h);
	curl_easy_cleanup(b.c);
	free(b.err);
	free(url);
	return (ok ? 0 : 1);
}

static void
ctl_stats_value(const json_t *counts, size_t c)
{
	const json_t	*v = json_object_get(counts, ctl_stats_cols[c].key);

	if (!ctl_stats_cols[c].rate)
		printf(" %9lld", (long long)json_integer_value(v));
	else if (json_is_number(v))
		printf(" %8.1f%%", json_number_value(v) * 100);
	else
		printf(" %9s", "-");
}

/* One line: the unit and its name as wide as the widest, then counts. */
static void
ctl_stats_line(const char *unit, const char *name, int wu, int wn,
    const json_t *counts)
{
	char	*cell;
	size_t	 c;

	cell = ctl_table_cell(unit, wu, 0);
	printf("%s ", cell);
	free(cell);
	cell = ctl_table_cell(name, wn, 0);
	printf("%s", cell);
	free(cell);
	for (c = 0; c < nitems(ctl_stats_cols); c++) {
		if (counts == NULL)
			printf(" %9s", ctl_stats_cols[c].title);
		else
			ctl_stats_value(counts, c);
	}
	putchar('\n');
}

static const char *
ctl_stats_text(const json_t *o, const char *key, const char *none)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : none);
}

/* The table: each unit's totals over the range, then every unit's. */
static void
ctl_stats_table(const json_t *o)
{
	const json_t	*units = json_object_get(o, "units"), *u;
	size_t		 i;
	int		 wu = ctl_table_width("unit"), wn = ctl_table_width("name"), w;

	json_array_foreach(units, i, u) {
		if ((w = ctl_table_width(ctl_stats_text(u, "unit", "-"))) > wu)
			wu = w;
		if ((w = ctl_table_width(ctl_stats_text(u, "name", "-"))) > wn)
			wn = w;
	}
	if (wn < ctl_table_width("合计"))
		wn = ctl_table_width("合计");
	printf("%s .. %s, suspected concealment after %lld h\n",
	    ctl_stats_text(o, "from", "-"), ctl_stats_text(o, "to", "-"),
	    (long long)json_integer_value(json_object_get(o, "conceal_h")));
	ctl_stats_line("unit", "name", wu, wn, NULL);
	json_array_foreach(units, i, u)
		ctl_stats_line(ctl_stats_text(u, "unit", "-"), ctl_stats_text(u,
		    "name", "-"), wu, wn, json_object_get(u, "total"));
	ctl_stats_line("", "合计", wu, wn, json_object_get(o, "total"));
}

/* The query from the options; NULL after printing the usage. */
static char *
ctl_stats_query(int argc, char **argv, const char **format)
{
	char	*q = xstrdup(""), *next, *esc;
	size_t	 p;
	int	 a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--subtree") == 0) {
			xasprintf(&next, "%ssubtree=1&", q);
			free(q);
			q = next;
			continue;
		}
		if (a + 1 >= argc)
			break;
		if (strcmp(argv[a], "--format") == 0) {
			*format = argv[++a];
			continue;
		}
		for (p = 0; p < nitems(ctl_stats_params); p++)
			if (strcmp(argv[a], ctl_stats_params[p][0]) == 0)
				break;
		if (p == nitems(ctl_stats_params))
			break;
		esc = curl_easy_escape(NULL, argv[++a], 0);
		xasprintf(&next, "%s%s=%s&", q, ctl_stats_params[p][1], esc);
		curl_free(esc);
		free(q);
		q = next;
	}
	if (a < argc) {
		ctl_stats_usage();
		free(q);
		return (NULL);
	}
	return (q);
}

/*
 * stats [--from YYYY-MM] [--to YYYY-MM] [--unit U] [--subtree]
 * [--conceal-h H] [--format table|json|csv|xlsx]
 */
int
ctl_stats(const struct ctl_env *env, int argc, char **argv)
{
	const char	*format = "table";
	char		*q, *path;
	json_t		*o;
	long		 status;
	int		 rc = 0;

	if ((q = ctl_stats_query(argc, argv, &format)) == NULL)
		return (2);
	if (strcmp(format, "csv") == 0 || strcmp(format, "xlsx") == 0) {
		xasprintf(&path, "/v1/stats.%s?%s", format, q);
		rc = ctl_stats_file(env, path);
	} else if (strcmp(format, "table") == 0 || strcmp(format, "json") ==
	    0) {
		xasprintf(&path, "/v1/stats?%s", q);
		if ((o = ctl_request(env, "GET", path, NULL, 0, &status)) ==
		    NULL)
			rc = 1;
		else if (strcmp(format, "json") == 0) {
			json_dumpf(o, stdout, JSON_INDENT(2) |
			    JSON_PRESERVE_ORDER);
			putchar('\n');
		} else
			ctl_stats_table(o);
		json_decref(o);
	} else {
		fprintf(stderr, "tocsinctl: --format is table, json, csv or "
		    "xlsx\n");
		free(q);
		return (2);
	}
	free(path);
	free(q);
	return (rc);
}
