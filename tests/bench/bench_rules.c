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
 * Then rule evaluation again with each bundled pack that has an example
 * site (rules/NAME/example-site.lua, loaded as `tocsinctl simulate` loads
 * it): its examples' reports and one report for each category it files
 * procedures under, in turn, with the clock at its first example's time.
 * Events are parsed before the clock starts; each figure is the median of
 * ROUNDS rounds.  Warnings (the engine logs every report no procedure
 * takes) are turned off so that stderr is not measured.  One figure a line,
 * with its method beside it.
 */
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "log.h"
#include "match.h"
#include "record.h"
#include "rules.h"
#include "site.h"
#include "store.h"
#include "tocsin.h"

#define PROCEDURES	30
#define ROUNDS		5
#define RULE_EVENTS	20000	/* per round */
#define ENGINE_EVENTS	4000
#define PACK_EVENTS	64	/* distinct reports a pack is timed on, at most */

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

/* A pack's distinct reports, and the time its examples start at. */
struct pack_events {
	struct record	*v[PACK_EVENTS];
	int		 n, examples;
	int64_t		 start;
	char		 unit[64];
};

static void
pack_add(struct pack_events *pe, json_t *json, int64_t t)
{
	struct record_error	err;
	struct record		*rec;

	if (pe->n == PACK_EVENTS)
		return;
	if ((rec = record_parse(json, t, &err)) == NULL) {
		fprintf(stderr, "bench: %s\n", err.message);
		exit(1);
	}
	pe->v[pe->n++] = rec;
}

/* The "type": "report" lines of one examples/NAME.jsonl file. */
static void
pack_read_examples(struct pack_events *pe, const char *path)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0;
	json_t		*json;
	const char	*at, *type, *unit;
	int64_t		 t;

	if ((f = fopen(path, "r")) == NULL)
		exit(1);
	while (getline(&line, &cap, f) != -1) {
		if (line[0] != '{' || (json = json_loads(line, 0, NULL)) == NULL)
			continue;
		at = json_string_value(json_object_get(json, "at"));
		type = json_string_value(json_object_get(json, "type"));
		unit = json_string_value(json_object_get(json, "unit"));
		if (at != NULL && calendar_parse_time(at, &t) == 0 &&
		    type != NULL && strcmp(type, "report") == 0) {
			if (pe->start == 0 || t < pe->start)
				pe->start = t;
			if (pe->unit[0] == '\0' && unit != NULL)
				snprintf(pe->unit, sizeof(pe->unit), "%s",
				    unit);
			json_object_del(json, "at");
			pack_add(pe, json, t);
			pe->examples++;
		}
		json_decref(json);
	}
	free(line);
	fclose(f);
}

/* One report for each category the pack files procedures under. */
static void
pack_add_categories(struct pack_events *pe, struct rules *r)
{
	const struct procedure	*p;
	json_t			*json;
	char			 key[32];
	size_t			 i;

	if (pe->unit[0] == '\0')
		snprintf(pe->unit, sizeof(pe->unit), "%s",
		    rules_unit_count(r) > 0 ? rules_unit(r, 0)->id : "u");
	for (i = 0; i < rules_category_count(r); i++) {
		snprintf(key, sizeof(key), "bench-%zu", i);
		json = json_pack("{s:s, s:s, s:s, s:s}", "type", "report",
		    "incident", key, "category", rules_category(r, i, &p),
		    "unit", pe->unit);
		pack_add(pe, json, pe->start);
		json_decref(json);
	}
}

/* rules/NAME/example-site.lua: one line; its figure into *sum. */
static int
measure_pack(const char *site, double *sum)
{
	struct rules_problems	  problems = { NULL, 0 };
	struct pack_events	  pe;
	struct rules		 *r;
	struct record		**v;
	glob_t			  g;
	char			  dir[256], pattern[300], name[64];
	double			  t[ROUNDS];
	int			  i, ncat;

	memset(&pe, 0, sizeof(pe));
	snprintf(dir, sizeof(dir), "%s", site);
	snprintf(name, sizeof(name), "%s", basename(dirname(dir)));
	snprintf(dir, sizeof(dir), "%s", site);
	snprintf(pattern, sizeof(pattern), "%s/examples/*.jsonl",
	    dirname(dir));
	clock_set_virtual(0);
	if ((r = site_load(site, NULL, &problems)) == NULL) {
		fprintf(stderr, "bench: %s\n", problems.n ? problems.v[0] :
		    site);
		return (-1);
	}
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (i = 0; i < (int)g.gl_pathc; i++)
			pack_read_examples(&pe, g.gl_pathv[i]);
		globfree(&g);
	}
	if (pe.start == 0)
		pe.start = 1772413200000LL;
	clock_set_virtual(pe.start);
	ncat = pe.n;
	pack_add_categories(&pe, r);
	ncat = pe.n - ncat;
	if (pe.n == 0) {
		rules_free(r);
		return (0);
	}
	/* Round after round over the same reports, in turn. */
	if ((v = calloc(RULE_EVENTS, sizeof(*v))) == NULL)
		exit(1);
	for (i = 0; i < RULE_EVENTS; i++)
		v[i] = pe.v[i % pe.n];
	rules_round(r, v, RULE_EVENTS / 10);	/* warm up */
	for (i = 0; i < ROUNDS; i++)
		t[i] = rules_round(r, v, RULE_EVENTS);
	*sum += median(t, ROUNDS);
	printf("%6.2f us/event  rule evaluation, pack %s (%zu procedures, "
	    "example-site.lua): match_procedures + match_classify, no store; "
	    "reports in turn, %d from its examples and one for each of "
	    "its %d categories (median of %d rounds of %d)\n",
	    median(t, ROUNDS), name, rules_procedure_count(r), pe.examples,
	    ncat, ROUNDS, RULE_EVENTS);
	free(v);
	for (i = 0; i < pe.n; i++)
		record_free(pe.v[i]);
	rules_free(r);
	return (1);
}

/* Every rules/NAME/example-site.lua under rules_dir; -1 if one fails. */
static int
measure_packs(const char *rules_dir)
{
	glob_t	g;
	char	pattern[256];
	double	sum = 0;
	size_t	i;
	int	n = 0, rc;

	snprintf(pattern, sizeof(pattern), "%s/*/example-site.lua", rules_dir);
	if (glob(pattern, 0, NULL, &g) != 0) {
		fprintf(stderr, "bench: no %s\n", pattern);
		return (-1);
	}
	for (i = 0; i < g.gl_pathc; i++) {
		if ((rc = measure_pack(g.gl_pathv[i], &sum)) < 0) {
			globfree(&g);
			return (-1);
		}
		n += rc;
	}
	globfree(&g);
	if (n > 0)
		printf("%6.2f us/event  rule evaluation, the %d bundled packs "
		    "above: the mean of their figures\n", sum / n, n);
	return (0);
}

int
main(int argc, char **argv)
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
	return (measure_packs(argc > 1 ? argv[1] : "rules") == 0 ? 0 : 1);
}
