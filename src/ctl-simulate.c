/*
 * tocsinctl simulate: the daemon's engine on a virtual clock, over a
 * private in-memory store.  Each input line is an event with an extra "at"
 * (its receipt time).  Timers due before an event fire first, each at its
 * own instant; an event and a deadline at the same instant: the event
 * comes first, so a report filed exactly at its deadline is on time.
 * The output is the timeline, one JSON action per line, byte-for-byte the
 * same for the same input.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "channel.h"
#include "clock.h"
#include "ctl.h"
#include "engine.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "timeline.h"
#include "xmalloc.h"

#define SIMULATE_DEFAULT_TAIL	(30 * MSEC_PER_DAY)

static void
simulate_print(const char *json, void *arg)
{
	printf("%s\n", json);
}

/* Fire every timer due up to limit, each at its own time. */
static int
simulate_run_until(struct engine *e, int64_t limit)
{
	int64_t	next;

	while ((next = engine_next_due(e)) <= limit) {
		clock_set_virtual(next);
		if (engine_begin(e) != 0 || engine_fire_due(e, next, 1) < 0 ||
		    engine_commit(e) != 0) {
			engine_rollback(e);
			fprintf(stderr, "tocsinctl: simulate: store failure\n");
			return (-1);
		}
	}
	return (0);
}

static void
simulate_reject(int64_t at, size_t line, const char *reason)
{
	struct action	 a;
	char		*json;

	memset(&a, 0, sizeof(a));
	a.at = at;
	a.kind = "event.rejected";
	a.extra = json_pack("{s:I, s:s}", "line", (json_int_t)line, "reason",
	    reason);
	json = timeline_json(&a);
	json_decref(a.extra);
	printf("%s\n", json);
	free(json);
}

/* One input line: 0 done, -1 fatal. */
static int
simulate_line(struct engine *e, const char *text, size_t lineno,
    int64_t *last)
{
	json_t			*json;
	json_error_t		 jerr;
	struct record		*rec;
	struct record_error	 err;
	struct engine_result	 res;
	const char		*at;
	int64_t			 t;
	int			 rc;

	if ((json = json_loads(text, 0, &jerr)) == NULL) {
		simulate_reject(*last, lineno, jerr.text);
		return (0);
	}
	at = json_string_value(json_object_get(json, "at"));
	if (at == NULL || calendar_parse_time(at, &t) != 0) {
		simulate_reject(*last, lineno, "each line needs \"at\": an "
		    "RFC 3339 receipt time");
		json_decref(json);
		return (0);
	}
	if (t < *last) {
		simulate_reject(*last, lineno, "lines must be in time order");
		json_decref(json);
		return (0);
	}
	json_object_del(json, "at");
	/* Recurring reports start on the day of the first event. */
	if (*last == 0) {
		clock_set_virtual(t);
		if (engine_begin(e) != 0 || engine_sync_recurring(e) != 0 ||
		    engine_commit(e) != 0) {
			json_decref(json);
			return (-1);
		}
	}
	if (simulate_run_until(e, t - 1) != 0) {
		json_decref(json);
		return (-1);
	}
	*last = t;
	clock_set_virtual(t);
	rec = record_parse(json, t, &err);
	json_decref(json);
	if (rec == NULL) {
		simulate_reject(t, lineno, err.message);
		return (0);
	}
	if (engine_begin(e) != 0 || engine_request_begin(e) != 0)
		return (-1);
	rc = engine_submit(e, rec, &res, &err);
	engine_request_end(e, rc == 0);
	record_free(rec);
	if (engine_commit(e) != 0)
		return (-1);
	if (rc == 1)
		simulate_reject(t, lineno, err.message);
	return (rc < 0 ? -1 : 0);
}

static int
simulate_events(struct engine *e, FILE *f, const char *until)
{
	char	*line = NULL;
	size_t	 cap = 0, lineno = 0;
	ssize_t	 len;
	int64_t	 last = 0, limit;
	struct duration	 d;
	char	*cause;

	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (simulate_line(e, line, lineno, &last) != 0) {
			free(line);
			return (-1);
		}
	}
	free(line);
	limit = last + SIMULATE_DEFAULT_TAIL;
	if (until != NULL) {
		if (calendar_parse_time(until, &limit) != 0) {
			if (calendar_parse_duration(until, &d, &cause) != 0) {
				fprintf(stderr, "tocsinctl: --until: %s\n",
				    cause);
				free(cause);
				return (-1);
			}
			limit = calendar_add(NULL, last, &d);
		}
	}
	return (simulate_run_until(e, limit));
}

int
ctl_simulate(const struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "events", required_argument, NULL, 'e' },
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_problems	 problems = { NULL, 0 };
	struct names		 dirs = { NULL, 0 };
	const char		*site = NULL, *events = NULL, *until = NULL;
	struct rules		*r = NULL;
	struct store		*s = NULL;
	struct engine		*e = NULL;
	FILE			*f = NULL;
	char			*cause;
	size_t			 i;
	int			 ch, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': site = optarg; break;
		case 'r': names_add(&dirs, optarg); break;
		case 'e': events = optarg; break;
		case 'u': until = optarg; break;
		default: goto usage;
		}
	}
	if (site == NULL || events == NULL || optind != argc)
		goto usage;
	clock_set_virtual(0);
	r = rules_load(site, &dirs, &problems);
	if (r != NULL)
		channel_check_all(r, &problems);
	if (problems.n > 0) {
		for (i = 0; i < problems.n; i++)
			fprintf(stderr, "%s\n", problems.v[i]);
		goto out;
	}
	if ((s = store_open(":memory:", "OFF", &cause)) == NULL) {
		fprintf(stderr, "tocsinctl: %s\n", cause);
		free(cause);
		goto out;
	}
	if ((f = strcmp(events, "-") == 0 ? stdin : fopen(events, "r")) ==
	    NULL) {
		fprintf(stderr, "tocsinctl: %s: %s\n", events, strerror(errno));
		goto out;
	}
	e = engine_new(s, r);
	engine_set_sink(e, simulate_print, NULL);
	rc = simulate_events(e, f, until) == 0 ? 0 : 1;
out:
	if (f != NULL && f != stdin)
		fclose(f);
	engine_free(e);
	store_close(s);
	rules_free(r);
	rules_problems_clear(&problems);
	names_free(&dirs);
	return (rc);
usage:
	fprintf(stderr, "usage: tocsinctl simulate -c SITE [--rules DIR]... "
	    "--events FILE.jsonl [--until DURATION|RFC3339]\n");
	names_free(&dirs);
	return (2);
}

/* check -c SITE [--rules DIR]...: what tocsind --check does. */
int
ctl_check(const struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_problems	 problems = { NULL, 0 };
	struct names		 dirs = { NULL, 0 };
	const char		*site = NULL;
	struct rules		*r;
	size_t			 i;
	int			 ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': site = optarg; break;
		case 'r': names_add(&dirs, optarg); break;
		default:
			names_free(&dirs);
			return (2);
		}
	}
	if (site == NULL) {
		fprintf(stderr, "usage: tocsinctl check -c SITE [--rules "
		    "DIR]...\n");
		names_free(&dirs);
		return (2);
	}
	r = rules_load(site, &dirs, &problems);
	if (r != NULL)
		channel_check_all(r, &problems);
	for (i = 0; i < problems.n; i++)
		printf("%s\n", problems.v[i]);
	rc = problems.n == 0 ? 0 : 1;
	if (rc == 0)
		printf("%s: ok, %zu procedures\n", site,
		    rules_procedure_count(r));
	rules_free(r);
	rules_problems_clear(&problems);
	names_free(&dirs);
	return (rc);
}
