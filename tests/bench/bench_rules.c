/*
 * Rule evaluation cost: a pack of 30 procedures (24 match tables, 6 match
 * functions, classify on some), N reports through the engine over an
 * in-memory store on a virtual clock.  Prints µs per event for the whole
 * engine (match, classify, obligations, timeline, outbox rows) and for the
 * matching alone (events whose category no procedure takes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"

#define PROCEDURES	30
#define EVENTS		20000

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

static double
run(struct engine *e, const char *category_fmt, int n, int base)
{
	struct record_error	 err;
	struct engine_result	 res;
	struct record		*rec;
	json_t			*json;
	char			 cat[32], key[32];
	int64_t			 start, total = 0;
	int			 i;

	for (i = 0; i < n; i++) {
		snprintf(cat, sizeof(cat), category_fmt, i % PROCEDURES);
		snprintf(key, sizeof(key), "k%d", base + i);
		json = json_pack("{s:s, s:s, s:s, s:s, s:{s:i}}", "type",
		    "report", "incident", key, "category", cat, "unit", "u",
		    "attrs", "deaths", i % 40);
		rec = record_parse(json, clock_now(), &err);
		json_decref(json);
		start = clock_monotonic_us();
		if (engine_begin(e) != 0 || engine_submit(e, rec, &res, &err) !=
		    0 || engine_commit(e) != 0)
			exit(1);
		total += clock_monotonic_us() - start;
		record_free(rec);
	}
	return ((double)total / n);
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
	double			 full, miss;

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
	full = run(e, "c%d", EVENTS, 0);
	miss = run(e, "none%d", EVENTS, EVENTS);
	printf("rule evaluation, %d procedures: %.1f us/event for the whole "
	    "engine (open, classify, obligation, timeline, outbox; in-memory "
	    "store), %.1f us/event to match and store an event no procedure "
	    "takes (%d events each)\n", PROCEDURES, full, miss, EVENTS);
	engine_free(e);
	store_close(s);
	rules_free(r);
	unlink(path);
	rmdir(dir);
	return (0);
}
