/*
 * Rule evaluation cost for a pack of 30 procedures (24 match tables, 6 match
 * functions, classify on 10), in two measures:
 *
 *   rule evaluation	match_procedures() and match_classify(), the code
 *			engine_open() runs, with no store at all;
 *   whole engine	engine_submit() in its own transaction on an
 *			in-memory store: match, classify, obligations,
 *			timeline, outbox rows and the commit.
 *
 * Each for a report one procedure takes and for one no procedure takes.
 * Events are parsed before the clock starts; each figure is the median of
 * ROUNDS rounds.  Warnings (the engine logs every report no procedure
 * takes) are turned off so that stderr is not measured.  One figure a line,
 * with its method beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "log.h"
#include "match.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"

#define PROCEDURES	30
#define ROUNDS		5
#define RULE_EVENTS	20000	/* per round */
#define ENGINE_EVENTS	4000

static void
write_site(const char *path)
{
	FILE	*f = fopen(path, "w");
	int	 i;

	if (f == NULL)
		exit(1);
	fprintf(f, "channel 'log' { kind = 'log' }\n"
	    "person 'a' { roles = { 'office', 'duty' }, channels = { 'log' } }\n"
	    "policy 'p' { { notify = { 'office' } } }\n");
	for (i = 0; i < PROCEDURES; i++) {
		fprintf(f, "procedure 'p%d' {\n", i);
		if (i % 5 == 4)
			fprintf(f, "  match = function(ev) return ev.category == "
			    "'c%d' and (ev.grade or 4) <= 4 end,\n", i);
		else
			fprintf(f, "  match = { category = 'c%d', type = "
			    "'report' },\n", i);
		fprintf(f, "  on_open = { notify = { 'office' } },\n"
		    "  obligations = { { id = 'o', due = '2h', met_by = "
		    "{ type = 'assessment' }, owner = 'duty', on_breach = 'p' } "
		    "},\n");
		if (i % 3 == 0)
			fprintf(f, "  classify = function(ev) local d = ev.attrs "
			    "and ev.attrs.deaths if d == nil then return nil end "
			    "if d >= 30 then return 1 elseif d >= 10 then return 2 "
			    "elseif d >= 3 then return 3 end return 4 end,\n");
		fprintf(f, "}\n");
	}
	fclose(f);
}

/* n reports with categories from category_fmt and fresh incident keys. */
static struct record **
make_events(const char *category_fmt, int n, int base)
{
	struct record_error	  err;
	struct record		**v;
	json_t			 *json;
	char			  cat[32], key[32];
	int			  i;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		snprintf(cat, sizeof(cat), category_fmt, i % PROCEDURES);
		snprintf(key, sizeof(key), "k%d", base + i);
		json = json_pack("{s:s, s:s, s:s, s:s, s:{s:i}}", "type",
		    "report", "incident", key, "category", cat, "unit", "u",
		    "attrs", "deaths", i % 40);
		if ((v[i] = record_parse(json, clock_now(), &err)) == NULL)
			exit(1);
		json_decref(json);
	}
	return (v);
}

static void
free_events(struct record **v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		record_free(v[i]);
	free(v);
}

/* What engine_open() asks of the rules, without the store. */
static double
rules_round(struct rules *r, struct record **v, int n)
{
	struct match_event	*mev;
	struct match_set	 set;
	int64_t			 start;
	int			 i;

	memset(&set, 0, sizeof(set));
	start = clock_monotonic_us();
	for (i = 0; i < n; i++) {
		mev = match_event_new(r, v[i]);
		match_procedures(mev, &set);
		if (v[i]->grade == GRADE_NONE)
			match_classify(mev, set.v, set.n, &set);
		if (set.nfailed != 0)
			exit(1);
		match_set_clear(&set);
		match_event_free(mev);
	}
	return ((double)(clock_monotonic_us() - start) / n);
}

static double
engine_round(struct engine *e, struct record **v, int n)
{
	struct engine_result	res;
	struct record_error	err;
	int64_t			start;
	int			i;

	start = clock_monotonic_us();
	for (i = 0; i < n; i++) {
		if (engine_begin(e) != 0 || engine_submit(e, v[i], NULL,
		    &res, &err) != 0 || engine_commit(e, NULL) != 0)
			exit(1);
	}
	return ((double)(clock_monotonic_us() - start) / n);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return (v[n / 2]);
}

static double
measure_rules(struct rules *r, const char *category_fmt)
{
	struct record	**v;
	double		  t[ROUNDS];
	int		  i;

	v = make_events(category_fmt, RULE_EVENTS, 0);
	rules_round(r, v, RULE_EVENTS / 10);	/* warm up */
	for (i = 0; i < ROUNDS; i++)
		t[i] = rules_round(r, v, RULE_EVENTS);
	free_events(v, RULE_EVENTS);
	return (median(t, ROUNDS));
}

static double
measure_engine(struct engine *e, const char *category_fmt, int *base)
{
	struct record	**v;
	double		  t[ROUNDS];
	int		  i;

	for (i = 0; i < ROUNDS; i++) {
		v = make_events(category_fmt, ENGINE_EVENTS, *base);
		*base += ENGINE_EVENTS;
		t[i] = engine_round(e, v, ENGINE_EVENTS);
		free_events(v, ENGINE_EVENTS);
	}
	return (median(t, ROUNDS));
}

int
main(void)
{
	char			 dir[] = "/tmp/tocsin-bench-XXXXXX", path[256];
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r;
	struct store		*s;
	struct engine		*e;
	char			*cause;
	int			 base = 0;

	log_init("bench", LOG_LEVEL_ERROR);
	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(path, sizeof(path), "%s/site.lua", dir);
	write_site(path);
	clock_set_virtual(1772413200000LL);
	if ((r = rules_load(path, NULL, &problems)) == NULL) {
		fprintf(stderr, "%s\n", problems.n ? problems.v[0] : "?");
		return (1);
	}
	if ((s = store_open(":memory:", "OFF", &cause)) == NULL)
		return (1);
	e = engine_new(s, r);

	printf("%6.2f us/event  rule evaluation, %d procedures: "
	    "match_procedures + match_classify, no store; a report one "
	    "procedure takes (median of %d rounds of %d)\n",
	    measure_rules(r, "c%d"), PROCEDURES, ROUNDS, RULE_EVENTS);
	printf("%6.2f us/event  rule evaluation, %d procedures: "
	    "match_procedures + match_classify, no store; a report no "
	    "procedure takes (median of %d rounds of %d)\n",
	    measure_rules(r, "none%d"), PROCEDURES, ROUNDS, RULE_EVENTS);
	printf("%6.2f us/event  whole engine, %d procedures: begin, "
	    "engine_submit, commit on an in-memory store; a report one "
	    "procedure takes: open, classify, obligation, timeline, outbox "
	    "(median of %d rounds of %d)\n",
	    measure_engine(e, "c%d", &base), PROCEDURES, ROUNDS,
	    ENGINE_EVENTS);
	printf("%6.2f us/event  whole engine, %d procedures: begin, "
	    "engine_submit, commit on an in-memory store; a report no "
	    "procedure takes: event and incident rows, timeline (median of "
	    "%d rounds of %d)\n",
	    measure_engine(e, "none%d", &base), PROCEDURES, ROUNDS,
	    ENGINE_EVENTS);

	engine_free(e);
	store_close(s);
	rules_free(r);
	unlink(path);
	rmdir(dir);
	return (0);
}
