/*
 * The engine (engine.c, engine-*.c) on a virtual clock over an in-memory
 * store: the decisions of SPEC §4 and §6, checked action by action.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define T0	1772413200000LL		/* 2026-03-02T09:00:00+08:00 */

static const char *site_text =
"site { timezone = 'Asia/Shanghai' }\n"
"channel 'log' { kind = 'log' }\n"
"person 'zhao' { name = '赵一', roles = { 'duty' }, channels = { 'log' } }\n"
"person 'sun'  { roles = { 'deputy' }, channels = { 'log' } }\n"
"person 'li'   { roles = { 'principal' }, channels = { 'log' } }\n"
"group 'office' { members = { 'zhao' } }\n"
"procedure 'netsec' {\n"
"  match = { category = 'network_security' },\n"
"  on_open = { notify = { 'office' } },\n"
"  obligations = {\n"
"    { id = 'assessment', due = '2h', due_in = { heightened = '1h' },\n"
"      met_by = { type = 'assessment' },\n"
"      remind = { '30m' }, owner = 'office', on_breach = 'standard' },\n"
"  },\n"
"  grades = { [1] = { notify = { 'principal' } } },\n"
"  periods = { heightened = { notify = { 'principal' } } },\n"
"}\n"
"period 'two-sessions' { from = '2026-03-05', to = '2026-03-11',\n"
"  tags = { 'heightened' } }\n"
"procedure 'drill' { match = function(ev)\n"
"  return ev.category == 'drill' and ev.periods.heightened == true end,\n"
"  obligations = { { id = 'd', due = '1h', met_by = { type = 'final' },\n"
"  owner = 'duty' } } }\n"
"procedure 'opinion' {\n"
"  match = function(ev) return ev.category == 'public_opinion' end,\n"
"  obligations = { { id = 'follow-up', due = '1h', met_by = function(ev)\n"
"    return ev.type == 'update' and ev.attrs and ev.attrs.ok end,\n"
"    owner = 'duty' } },\n"
"  classify = function(ev)\n"
"    local n = ev.attrs and ev.attrs.reposts\n"
"    if n == nil then return nil end\n"
"    if n >= 10000 then return 2 elseif n >= 1000 then return 3 end\n"
"    return 4 end,\n"
"}\n"
"procedure 'broken' {\n"
"  match = function(ev) if ev.category == 'boom' then error('kaput') end\n"
"    return false end,\n"
"}\n"
"recurring 'daily' { at = '17:00', units = { 'u1', 'u2' },\n"
"  met_by = { type = 'daily' }, owner = 'duty' }\n"
"recurring 'weekly' { at = '12:00', close = '18:00', every = 'week',\n"
"  weekday = 5, units = function() return { 'w1' } end,\n"
"  met_by = { type = 'selfcheck' }, owner = 'duty' }\n"
"procedure 'clock' { match = { category = 'clock' },\n"
"  obligations = { { id = 'c', due = '2h', pause_on = { type = 'suspend' },\n"
"    resume_on = { type = 'resume' }, met_by = { type = 'final' },\n"
"    owner = 'duty', on_breach = 'standard' } } }\n"
"policy 'standard' {\n"
"  { notify = { 'office', 'deputy' } },\n"
"  { after = '15m', notify = { 'principal' } },\n"
"  repeat_every = '1h', max_repeats = 1,\n"
"}\n";

/*
 * A roll call whose units come from a function that fails on its first
 * and third calls (Monday and Wednesday when the clock starts on Monday).
 */
static const char *units_site_text =
"site { timezone = 'Asia/Shanghai' }\n"
"channel 'log' { kind = 'log' }\n"
"person 'zhao' { roles = { 'duty' }, channels = { 'log' } }\n"
"group 'office' { members = { 'zhao' } }\n"
"local calls = 0\n"
"recurring 'roll-call' { at = '17:00', met_by = { type = 'daily' },\n"
"  owner = 'duty', units = function()\n"
"    calls = calls + 1\n"
"    if calls % 2 == 1 then error('unit list unreadable') end\n"
"    return { 'f1', 'f2' } end }\n";

static char		 dir[] = "/tmp/tocsin-engine-XXXXXX";
static char		 site[256];
static char		 units_site[256];
static struct names	 actions;

static void
sink(const char *json, void *arg)
{
	names_add(&actions, json);
}

/* How many recorded actions contain every one of the NULL-ended parts. */
static int
count(const char *first, ...)
{
	va_list		 ap;
	const char	*p;
	size_t		 i;
	int		 n = 0, all;

	for (i = 0; i < actions.n; i++) {
		all = strstr(actions.v[i], first) != NULL;
		va_start(ap, first);
		while ((p = va_arg(ap, const char *)) != NULL)
			all = all && strstr(actions.v[i], p) != NULL;
		va_end(ap);
		n += all;
	}
	return (n);
}

struct fixture {
	struct rules	*rules;
	struct store	*store;
	struct engine	*engine;
};

/* A fresh engine on an in-memory store, with the site at path. */
static int
setup_site(void **state, const char *path)
{
	struct fixture		*f = xcalloc(1, sizeof(*f));
	struct rules_problems	 problems = { NULL, 0 };
	char			*cause;
	size_t			 i;

	f->rules = rules_load(path, NULL, &problems);
	for (i = 0; i < problems.n; i++)
		fprintf(stderr, "%s\n", problems.v[i]);
	assert_non_null(f->rules);
	f->store = store_open(":memory:", "OFF", &cause);
	assert_non_null(f->store);
	f->engine = engine_new(f->store, f->rules);
	engine_set_sink(f->engine, sink, NULL);
	names_free(&actions);
	clock_set_virtual(T0);
	*state = f;
	return (0);
}

static int
setup(void **state)
{
	return (setup_site(state, site));
}

static int
setup_units(void **state)
{
	return (setup_site(state, units_site));
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	engine_free(f->engine);
	store_close(f->store);
	rules_free(f->rules);
	free(f);
	names_free(&actions);
	return (0);
}

/*
 * Submit one event at the current virtual time for a submitter limited to
 * units (NULL: any); the engine's verdict, and its refusal in err.
 */
static int
submit_as(struct fixture *f, const char *text, const struct names *units,
    struct engine_result *res, struct record_error *err)
{
	struct record		*rec;
	struct engine_result	 dummy;
	json_t			*json;
	int			 rc;

	json = json_loads(text, 0, NULL);
	assert_non_null(json);
	memset(err, 0, sizeof(*err));
	rec = record_parse(json, clock_now(), err);
	json_decref(json);
	assert_non_null(rec);
	assert_int_equal(engine_begin(f->engine), 0);
	assert_int_equal(engine_request_begin(f->engine), 0);
	rc = engine_submit(f->engine, rec, units, res != NULL ? res : &dummy,
	    err);
	engine_request_end(f->engine, rc == 0);
	assert_int_equal(engine_commit(f->engine, NULL), 0);
	record_free(rec);
	return (rc);
}

/* Submit one event at the current virtual time; the engine's verdict. */
static int
submit(struct fixture *f, const char *text, struct engine_result *res)
{
	struct record_error	err;

	return (submit_as(f, text, NULL, res, &err));
}

/* Let virtual time run to t, firing each timer at its own instant. */
static void
run_until(struct fixture *f, int64_t t)
{
	int64_t	next;

	while ((next = engine_next_due(f->engine)) <= t) {
		clock_set_virtual(next);
		assert_int_equal(engine_begin(f->engine), 0);
		assert_true(engine_fire_due(f->engine, next, 1) >= 0);
		assert_int_equal(engine_commit(f->engine, NULL), 0);
	}
	clock_set_virtual(t);
}

static const char *report =
    "{\"type\":\"report\",\"incident\":\"inc-1\",\"unit\":\"h-a\","
    "\"category\":\"network_security\",\"grade\":3}";

static void
test_breach_escalates(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(submit(f, report, NULL), 0);
	assert_int_equal(count("\"incident.opened\"", "\"procedure\":\"netsec\"",
	    NULL), 1);
	assert_int_equal(count("\"notify\"", "\"recipient\":\"zhao\"",
	    "\"reason\":\"opened\"", NULL), 1);
	assert_int_equal(count("\"obligation.set\"",
	    "\"due_at\":\"2026-03-02T11:00:00+08:00\"", NULL), 1);

	run_until(f, T0 + 90 * MSEC_PER_MIN);
	assert_int_equal(count("\"obligation.reminded\"", NULL), 1);
	assert_int_equal(count("\"obligation.breached\"", NULL), 0);

	run_until(f, T0 + 2 * MSEC_PER_HOUR);
	assert_int_equal(count("\"obligation.breached\"",
	    "\"at\":\"2026-03-02T11:00:00+08:00\"", NULL), 1);
	assert_int_equal(count("\"escalation.step\"", "\"step\":1", NULL), 1);
	assert_int_equal(count("\"notify\"", "\"step\":1",
	    "\"recipient\":\"sun\"", NULL), 1);
	assert_int_equal(count("\"notify\"", "\"step\":2", NULL), 0);

	run_until(f, T0 + 2 * MSEC_PER_HOUR + 15 * MSEC_PER_MIN);
	assert_int_equal(count("\"escalation.step\"", "\"step\":2",
	    "\"at\":\"2026-03-02T11:15:00+08:00\"", NULL), 1);
	assert_int_equal(count("\"notify\"", "\"step\":2",
	    "\"recipient\":\"li\"", NULL), 1);

	/* One repeat of the last step an hour later, then no more. */
	run_until(f, T0 + 10 * MSEC_PER_HOUR);
	assert_int_equal(count("\"escalation.step\"", "\"repeat\":1",
	    "\"at\":\"2026-03-02T12:15:00+08:00\"", NULL), 1);
	assert_int_equal(count("\"escalation.step\"", NULL), 3);
	assert_int_equal(count("\"obligation.breached\"", NULL), 1);
	assert_int_equal(engine_next_due(f->engine), INT64_MAX);
}

static int
paused_cb(const struct store_obligation *o, int keep, void *arg)
{
	(void)keep;
	*(int64_t *)arg = o->paused_ms;
	return (0);
}

/*
 * A clock paused for an hour: due an hour later, met then on time, and
 * the ledger says how long it stood still.
 */
static void
test_pause_ledger(void **state)
{
	struct fixture			*f = *state;
	struct store_ledger_filter	 lf = { 0, INT64_MAX, NULL, NULL,
					     STORE_DRILL_EXCLUDE };
	int64_t				 paused = -1;

	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"c-1\",\"unit\":\"h-a\",\"category\":\"clock\"}", NULL), 0);
	clock_set_virtual(T0 + 30 * MSEC_PER_MIN);
	assert_int_equal(submit(f, "{\"type\":\"suspend\",\"incident\":"
	    "\"c-1\",\"unit\":\"h-a\"}", NULL), 0);
	run_until(f, T0 + 90 * MSEC_PER_MIN);
	assert_int_equal(count("\"obligation.breached\"", NULL), 0);
	assert_int_equal(submit(f, "{\"type\":\"resume\",\"incident\":"
	    "\"c-1\",\"unit\":\"h-a\"}", NULL), 0);
	assert_int_equal(count("\"obligation.resumed\"",
	    "\"due_at\":\"2026-03-02T12:00:00+08:00\"", "\"paused_s\":3600",
	    NULL), 1);
	run_until(f, T0 + 150 * MSEC_PER_MIN);
	assert_int_equal(submit(f, "{\"type\":\"final\",\"incident\":"
	    "\"c-1\",\"unit\":\"h-a\"}", NULL), 0);
	assert_int_equal(count("\"obligation.met\"", "\"incident\":\"c-1\"",
	    NULL), 1);
	assert_int_equal(store_ledger_page(f->store, &lf, NULL, 10, paused_cb,
	    &paused), 0);
	assert_int_equal(paused, MSEC_PER_HOUR);
}

/*
 * Breached at 11:00 and paused at 11:05: the 11:15 step waits, and when
 * the clock runs again at 14:00 it comes as long after as it was away
 * then (14:10).  Met afterwards it is still late.
 */
static void
test_pause_breached(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"c-2\",\"unit\":\"h-a\",\"category\":\"clock\"}", NULL), 0);
	run_until(f, T0 + 2 * MSEC_PER_HOUR);
	assert_int_equal(count("\"escalation.step\"", "\"step\":1", NULL), 1);
	clock_set_virtual(T0 + 2 * MSEC_PER_HOUR + 5 * MSEC_PER_MIN);
	assert_int_equal(submit(f, "{\"type\":\"suspend\",\"incident\":"
	    "\"c-2\",\"unit\":\"h-a\"}", NULL), 0);
	assert_int_equal(count("\"obligation.paused\"", NULL), 1);
	run_until(f, T0 + 5 * MSEC_PER_HOUR);
	assert_int_equal(count("\"escalation.step\"", "\"step\":2", NULL), 0);
	assert_int_equal(submit(f, "{\"type\":\"resume\",\"incident\":"
	    "\"c-2\",\"unit\":\"h-a\"}", NULL), 0);
	assert_int_equal(count("\"obligation.resumed\"",
	    "\"paused_s\":10500", NULL), 1);
	run_until(f, T0 + 5 * MSEC_PER_HOUR + 9 * MSEC_PER_MIN);
	assert_int_equal(count("\"escalation.step\"", "\"step\":2", NULL), 0);
	run_until(f, T0 + 5 * MSEC_PER_HOUR + 10 * MSEC_PER_MIN);
	assert_int_equal(count("\"escalation.step\"", "\"step\":2",
	    "\"at\":\"2026-03-02T14:10:00+08:00\"", NULL), 1);
	assert_int_equal(submit(f, "{\"type\":\"final\",\"incident\":"
	    "\"c-2\",\"unit\":\"h-a\"}", NULL), 0);
	assert_int_equal(count("\"obligation.late\"", "\"incident\":\"c-2\"",
	    NULL), 1);
	assert_int_equal(count("\"obligation.breached\"", NULL), 1);
}

static void
test_met_in_time(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(submit(f, report, NULL), 0);
	clock_set_virtual(T0 + MSEC_PER_HOUR);
	assert_int_equal(submit(f, "{\"type\":\"assessment\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-a\"}", NULL), 0);
	assert_int_equal(count("\"obligation.met\"", NULL), 1);
	run_until(f, T0 + 5 * MSEC_PER_HOUR);
	assert_int_equal(count("\"obligation.breached\"", NULL), 0);
	assert_int_equal(count("\"obligation.reminded\"", NULL), 0);
	assert_int_equal(count("\"escalation.step\"", NULL), 0);
}

static void
test_late_then_ack(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(submit(f, report, NULL), 0);
	run_until(f, T0 + 2 * MSEC_PER_HOUR + 5 * MSEC_PER_MIN);
	assert_int_equal(count("\"escalation.step\"", NULL), 1);
	assert_int_equal(submit(f, "{\"type\":\"ack\",\"incident\":\"inc-1\","
	    "\"unit\":\"h-a\",\"by\":\"sun\"}", NULL), 0);
	assert_int_equal(count("\"incident.acknowledged\"", "\"by\":\"sun\"",
	    NULL), 1);
	run_until(f, T0 + 5 * MSEC_PER_HOUR);
	assert_int_equal(count("\"escalation.step\"", NULL), 1);

	/* The assessment comes, late: 迟报, 10 minutes. */
	assert_int_equal(submit(f, "{\"type\":\"assessment\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-a\"}", NULL), 0);
	assert_int_equal(count("\"obligation.late\"", "\"late_s\":10800",
	    NULL), 1);
}

static void
test_resolve(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(submit(f, report, NULL), 0);
	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"inc-2\",\"unit\":\"h-b\",\"category\":\"network_security\"}",
	    NULL), 0);
	run_until(f, T0 + 3 * MSEC_PER_HOUR);
	clock_set_virtual(T0 + 3 * MSEC_PER_HOUR);
	assert_int_equal(submit(f, "{\"type\":\"resolve\",\"incident\":"
	    "\"inc-2\",\"unit\":\"h-b\"}", NULL), 0);
	/* Breached and never met: 漏报. */
	assert_int_equal(count("\"obligation.missed\"", "\"inc-2\"", NULL), 1);
	assert_int_equal(count("\"incident.resolved\"", "\"inc-2\"", NULL), 1);

	/* A fresh incident resolved before its due time: cancelled. */
	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"inc-3\",\"unit\":\"h-c\",\"category\":\"network_security\"}",
	    NULL), 0);
	assert_int_equal(submit(f, "{\"type\":\"resolve\",\"incident\":"
	    "\"inc-3\",\"unit\":\"h-c\"}", NULL), 0);
	assert_int_equal(count("\"obligation.cancelled\"", "\"inc-3\"", NULL),
	    1);
	run_until(f, T0 + 10 * MSEC_PER_HOUR);
	assert_int_equal(count("\"obligation.breached\"", "\"inc-3\"", NULL),
	    0);
}

static void
test_duplicate_and_unknown(void **state)
{
	struct fixture		*f = *state;
	struct engine_result	 res;

	assert_int_equal(submit(f, "{\"id\":\"e-1\",\"type\":\"report\","
	    "\"incident\":\"inc-1\",\"unit\":\"h-a\",\"category\":"
	    "\"network_security\"}", &res), 0);
	assert_false(res.duplicate);
	assert_int_equal(submit(f, "{\"id\":\"e-1\",\"type\":\"report\","
	    "\"incident\":\"inc-1\",\"unit\":\"h-a\",\"category\":"
	    "\"network_security\"}", &res), 0);
	assert_true(res.duplicate);
	assert_string_equal(res.incident, "inc-1");
	assert_int_equal(count("\"incident.opened\"", NULL), 1);
	assert_int_equal(submit(f, "{\"type\":\"update\",\"incident\":"
	    "\"nope\",\"unit\":\"h-a\"}", NULL), 1);

	/* Ids are idempotency keys within their unit: h-b's e-1 is new. */
	assert_int_equal(submit(f, "{\"id\":\"e-1\",\"type\":\"report\","
	    "\"incident\":\"inc-2\",\"unit\":\"h-b\",\"category\":"
	    "\"network_security\"}", &res), 0);
	assert_false(res.duplicate);
	assert_string_equal(res.incident, "inc-2");
	assert_int_equal(count("\"incident.opened\"", "\"inc-2\"", NULL), 1);
}

/*
 * A request refused after it set timers leaves their heap entries behind,
 * and the savepoint hands their ids back: the next timer may get one of
 * them with another time.  The stale entry must not fire it early.  Here
 * the refused request set a 1 h follow-up (op-x) and the netsec report
 * after it gets a 2 h assessment, reminded at 1 h 30 m; nothing about it
 * may happen at 1 h.
 */
static void
test_refused_request_leaves_no_timer(void **state)
{
	struct fixture		*f = *state;
	struct engine_result	 res;
	struct record_error	 err;
	struct record		*ok, *bad;
	struct names		 hb = { NULL, 0 };
	json_t			*j;

	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"other\",\"unit\":\"h-a\",\"category\":\"drill\"}", NULL), 0);
	names_add(&hb, "h-b");
	j = json_loads("{\"type\":\"report\",\"incident\":\"op-x\","
	    "\"unit\":\"h-b\",\"category\":\"public_opinion\"}", 0, NULL);
	ok = record_parse(j, clock_now(), &err);
	json_decref(j);
	j = json_loads("{\"type\":\"resolve\",\"incident\":\"other\","
	    "\"unit\":\"h-b\"}", 0, NULL);
	bad = record_parse(j, clock_now(), &err);
	json_decref(j);
	assert_int_equal(engine_begin(f->engine), 0);
	assert_int_equal(engine_request_begin(f->engine), 0);
	assert_int_equal(engine_submit(f->engine, ok, &hb, &res, &err), 0);
	assert_int_equal(engine_submit(f->engine, bad, &hb, &res, &err), 1);
	engine_request_end(f->engine, 0);
	assert_int_equal(engine_commit(f->engine, NULL), 0);
	record_free(ok);
	record_free(bad);
	names_free(&hb);

	assert_int_equal(submit(f, report, NULL), 0);
	names_free(&actions);
	run_until(f, T0 + MSEC_PER_HOUR);
	assert_int_equal(count("\"obligation.", NULL), 0);
	run_until(f, T0 + MSEC_PER_HOUR + 30 * 60000);
	assert_int_equal(count("\"obligation.reminded\"", "\"inc-1\"",
	    NULL), 1);
}

/*
 * An incident belongs to the unit whose report opened it: a submitter
 * limited to another unit touches it by no event type, and a first
 * report from another unit under its key is refused, not merged.
 */
static void
test_incident_owned_by_its_unit(void **state)
{
	struct fixture		*f = *state;
	struct record_error	 err;
	struct names		 hb = { NULL, 0 }, ha = { NULL, 0 };
	const char		*types[] = { "resolve", "ack", "assessment",
				    "update", "final", "report" };
	char			 text[256];
	size_t			 i, before;

	names_add(&hb, "h-b");
	names_add(&ha, "h-a");
	assert_int_equal(submit_as(f, report, &ha, NULL, &err), 0);
	before = actions.n;
	for (i = 0; i < nitems(types); i++) {
		snprintf(text, sizeof(text), "{\"type\":\"%s\",\"incident\":"
		    "\"inc-1\",\"unit\":\"h-b\",\"grade\":1,\"category\":"
		    "\"network_security\"}", types[i]);
		assert_int_equal(submit_as(f, text, &hb, NULL, &err), 1);
		assert_string_equal(err.code, "forbidden");
		assert_int_equal(err.status, 403);
	}
	assert_int_equal(actions.n, before);	/* nothing decided */

	/* Unlimited, h-b's first report under h-a's key is still refused. */
	assert_int_equal(submit_as(f, "{\"type\":\"report\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-b\",\"category\":"
	    "\"network_security\"}", NULL, NULL, &err), 1);
	assert_string_equal(err.code, "incident_exists");
	assert_int_equal(err.status, 409);
	assert_int_equal(actions.n, before);

	/* Its own unit's token, and an unlimited one, may act on it. */
	assert_int_equal(submit_as(f, "{\"type\":\"ack\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-a\",\"by\":\"zhao\"}", &ha, NULL,
	    &err), 0);
	assert_int_equal(submit_as(f, "{\"type\":\"resolve\",\"incident\":"
	    "\"inc-1\",\"unit\":\"office\"}", NULL, NULL, &err), 0);
	assert_int_equal(count("\"incident.resolved\"", NULL), 1);
	names_free(&hb);
	names_free(&ha);
}

/*
 * One decision tells a recipient once per channel: li is the principal
 * whom both grade 1 and the heightened period name when a 特别重大
 * incident opens during 两会.  A later decision (the escalation) tells
 * li again.
 */
static void
test_told_once_per_decision(void **state)
{
	struct fixture	*f = *state;

	clock_set_virtual(T0 + 4 * MSEC_PER_DAY);	/* Fri 03-06 09:00 */
	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"big\",\"unit\":\"h-a\",\"category\":\"network_security\","
	    "\"grade\":1}", NULL), 0);
	assert_int_equal(count("\"notify\"", "\"recipient\":\"li\"", NULL),
	    1);
	assert_int_equal(count("\"notify\"", "\"reason\":\"period\"",
	    "\"recipient\":\"li\"", NULL), 1);
	run_until(f, T0 + 4 * MSEC_PER_DAY + MSEC_PER_HOUR + 15 * 60000);
	assert_int_equal(count("\"notify\"", "\"recipient\":\"li\"",
	    "\"reason\":\"escalation\"", NULL), 1);
}

static void
test_grades_and_functions(void **state)
{
	struct fixture	*f = *state;

	/* classify from attrs: 1500 reposts -> 较大 (3). */
	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":\"op-1\","
	    "\"unit\":\"u\",\"category\":\"public_opinion\",\"attrs\":"
	    "{\"reposts\":1500}}", NULL), 0);
	assert_int_equal(count("\"incident.opened\"", "\"grade\":3",
	    "\"procedure\":\"opinion\"", NULL), 1);
	/* met_by function: an update without ok does not meet it. */
	assert_int_equal(submit(f, "{\"type\":\"update\",\"incident\":\"op-1\","
	    "\"unit\":\"u\"}", NULL), 0);
	assert_int_equal(count("\"obligation.met\"", NULL), 0);
	assert_int_equal(submit(f, "{\"type\":\"update\",\"incident\":\"op-1\","
	    "\"unit\":\"u\",\"ok\":true}", NULL), 0);
	assert_int_equal(count("\"obligation.met\"", "\"follow-up\"", NULL), 1);

	/* netsec raised to 特别重大 tells the principal; lowered tells nobody. */
	assert_int_equal(submit(f, report, NULL), 0);
	assert_int_equal(submit(f, "{\"type\":\"update\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-a\",\"grade\":1}", NULL), 0);
	assert_int_equal(count("\"incident.graded\"", "\"grade\":1",
	    "\"from\":3", NULL), 1);
	assert_int_equal(count("\"notify\"", "\"reason\":\"graded\"",
	    "\"recipient\":\"li\"", NULL), 1);
	assert_int_equal(submit(f, "{\"type\":\"update\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-a\",\"grade\":4}", NULL), 0);
	assert_int_equal(submit(f, "{\"type\":\"update\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-a\",\"grade\":1}", NULL), 0);
	assert_int_equal(count("\"incident.graded\"", NULL), 3);
	assert_int_equal(count("\"notify\"", "\"reason\":\"graded\"", NULL), 1);
}

static void
test_rule_error_rejects(void **state)
{
	struct fixture		*f = *state;
	struct engine_result	 res;

	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":\"b-1\","
	    "\"unit\":\"u\",\"category\":\"boom\"}", &res), 0);
	assert_true(res.seq > 0);
	assert_int_equal(count("\"event.rejected\"", "\"procedure\":\"broken\"",
	    "kaput", NULL), 1);
	/* The office is told a rule failed. */
	assert_int_equal(count("\"notify\"", "\"reason\":\"rejected\"",
	    "\"recipient\":\"zhao\"", NULL), 1);
}

/* Timers live in the store: a new engine on it picks them up, late. */
static void
test_recover_after_downtime(void **state)
{
	struct fixture	*f = *state;
	struct engine	*e2;

	assert_int_equal(submit(f, report, NULL), 0);
	engine_free(f->engine);
	f->engine = NULL;
	names_free(&actions);

	clock_set_virtual(T0 + 5 * MSEC_PER_HOUR);
	e2 = engine_new(f->store, f->rules);
	engine_set_sink(e2, sink, NULL);
	assert_int_equal(engine_recover(e2), 0);
	f->engine = e2;
	assert_true(engine_next_due(e2) < clock_now());
	assert_int_equal(engine_begin(e2), 0);
	assert_true(engine_fire_due(e2, clock_now(), 100) >= 2);
	assert_int_equal(engine_commit(e2, NULL), 0);
	assert_int_equal(count("\"obligation.breached\"", "\"late\":true",
	    "\"delayed_s\":10800", NULL), 1);
	/*
	 * Every step that fell due while down fires at once: steps 1 and 2
	 * and the one repeat (12:15); the reminder was past its use.
	 */
	assert_int_equal(count("\"escalation.step\"", NULL), 3);
	assert_int_equal(count("\"escalation.step\"", "\"repeat\":1", NULL),
	    1);
	assert_int_equal(count("\"obligation.reminded\"", NULL), 0);
}

/*
 * 两会 (03-05..03-11) is tagged heightened: the assessment is due in 1 h
 * instead of 2, the principal hears of every report, and rule functions
 * see ev.periods.  Outside the period, none of that.
 */
static void
test_special_period(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"before\",\"unit\":\"u\",\"category\":\"drill\"}", NULL), 0);
	assert_int_equal(count("\"incident.opened\"", "\"before\"",
	    "\"procedures\":[]", NULL), 1);

	clock_set_virtual(T0 + 4 * MSEC_PER_DAY);	/* Fri 03-06 09:00 */
	assert_int_equal(submit(f, report, NULL), 0);
	assert_int_equal(count("\"obligation.set\"",
	    "\"due_at\":\"2026-03-06T10:00:00+08:00\"",
	    "\"period\":\"two-sessions\"", NULL), 1);
	assert_int_equal(count("\"notify\"", "\"reason\":\"period\"",
	    "\"recipient\":\"li\"", NULL), 1);
	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"during\",\"unit\":\"u\",\"category\":\"drill\"}", NULL), 0);
	assert_int_equal(count("\"incident.opened\"", "\"during\"",
	    "\"procedure\":\"drill\"", NULL), 1);

	clock_set_virtual(T0 + 10 * MSEC_PER_DAY);	/* Thu 03-12 */
	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"after\",\"unit\":\"u\",\"category\":\"network_security\"}",
	    NULL), 0);
	assert_int_equal(count("\"obligation.set\"", "\"after\"",
	    "\"due_at\":\"2026-03-12T11:00:00+08:00\"", NULL), 1);
	assert_int_equal(count("\"notify\"", "\"reason\":\"period\"", NULL),
	    1);
}

/*
 * Every notification body leaves out what it does not have (docs/rules.md):
 * no null, no grade or step of 0; a recurring report's has no incident and
 * no grade at all.  Returns how many recurring bodies it saw.
 */
static int
assert_body_leaves_out(const struct store_message *m, int keep, void *arg)
{
	int		*recurring = arg;
	json_t		*body, *v;
	const char	*key;

	(void)keep;
	body = json_loads(m->body, 0, NULL);
	assert_non_null(body);
	json_object_foreach(body, key, v) {
		if (json_is_null(v) || (json_is_integer(v) &&
		    json_integer_value(v) == 0))
			fail_msg("%s is %s in %s", key, json_is_null(v) ?
			    "null" : "0", m->body);
	}
	if (json_object_get(body, "recurring") != NULL) {
		(*recurring)++;
		assert_null(json_object_get(body, "incident"));
		assert_null(json_object_get(body, "grade"));
	}
	json_decref(body);
	return (0);
}

static int
assert_bodies_leave_out(struct fixture *f)
{
	struct store_message_filter	filter = { NULL, NULL, NULL };
	struct store_message_cursor	cursor = { INT64_MAX };
	int				recurring = 0;

	assert_int_equal(store_messages_page(f->store, &filter, &cursor, 1000,
	    assert_body_leaves_out, &recurring), 0);
	return (recurring);
}

/*
 * Daily reports: T0 is Monday 09:00, so today's period opens at once.
 * u1 files a zero report in time (met); u2 files at 18:30 (late, 迟报);
 * on Tuesday nobody files: breached at 17:00, missed (漏报) at 24:00.  The
 * weekly self-check is owed on Fridays only, 12:00, closing at 18:00.
 */
static void
test_recurring(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(engine_begin(f->engine), 0);
	assert_int_equal(engine_sync_recurring(f->engine), 0);
	assert_int_equal(engine_commit(f->engine, NULL), 0);
	run_until(f, T0);
	assert_int_equal(count("\"obligation.set\"", "\"recurring\":\"daily\"",
	    NULL), 2);
	assert_int_equal(submit(f, "{\"type\":\"daily\",\"unit\":\"u1\","
	    "\"zero\":true}", NULL), 0);
	assert_int_equal(count("\"obligation.met\"", "\"unit\":\"u1\"", NULL),
	    1);
	run_until(f, T0 + 9 * MSEC_PER_HOUR + 30 * MSEC_PER_MIN);
	assert_int_equal(count("\"obligation.breached\"", "\"unit\":\"u2\"",
	    NULL), 1);
	assert_int_equal(count("\"notify\"", "\"recurring\":\"daily\"",
	    "\"recipient\":\"zhao\"", "\"reason\":\"breach\"", NULL), 1);
	assert_int_equal(submit(f, "{\"type\":\"daily\",\"unit\":\"u2\","
	    "\"zero\":false}", NULL), 0);
	assert_int_equal(count("\"obligation.late\"", "\"unit\":\"u2\"",
	    "\"late_s\":5400", NULL), 1);

	/* Tuesday: nothing filed. */
	run_until(f, T0 + 39 * MSEC_PER_HOUR + 1);
	assert_int_equal(count("\"obligation.missed\"",
	    "\"at\":\"2026-03-04T00:00:00+08:00\"", NULL), 2);
	/* A report after the close is too late to meet anything. */
	assert_int_equal(submit(f, "{\"type\":\"daily\",\"unit\":\"u1\","
	    "\"zero\":true}", NULL), 0);
	assert_int_equal(count("\"obligation.met\"", NULL), 2);

	/* The weekly self-check: only Friday 2026-03-06. */
	run_until(f, T0 + 6 * MSEC_PER_DAY);
	assert_int_equal(count("\"obligation.set\"", "\"weekly\"", NULL), 1);
	assert_int_equal(count("\"obligation.set\"", "\"weekly\"",
	    "\"due_at\":\"2026-03-06T12:00:00+08:00\"", NULL), 1);
	assert_int_equal(count("\"obligation.missed\"", "\"weekly\"",
	    "\"at\":\"2026-03-06T18:00:00+08:00\"", NULL), 1);
	assert_true(assert_bodies_leave_out(f) > 0);
}

/*
 * A units function that fails never loses a day silently: each failure is
 * an event.rejected naming the recurring report, the office is told, and
 * the units owed in the previous period are owed again, so the 漏报 ledger
 * still learns who missed.  Monday's failure has no earlier period to fall
 * back on and says so; Wednesday's falls back on Tuesday's units.
 */
static void
test_recurring_units_fail(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(engine_begin(f->engine), 0);
	assert_int_equal(engine_sync_recurring(f->engine), 0);
	assert_int_equal(engine_commit(f->engine, NULL), 0);
	run_until(f, T0);
	assert_int_equal(count("\"event.rejected\"",
	    "\"recurring\":\"roll-call\"", "unit list unreadable",
	    "\"fallback\":\"none\"", NULL), 1);
	assert_int_equal(count("\"notify\"", "\"recurring\":\"roll-call\"",
	    "\"role\":\"office\"", "\"reason\":\"rejected\"", NULL), 1);
	assert_int_equal(count("\"obligation.set\"", NULL), 0);

	/* Tuesday: the function answers. */
	run_until(f, T0 + 15 * MSEC_PER_HOUR + 1);
	assert_int_equal(count("\"obligation.set\"",
	    "\"due_at\":\"2026-03-03T17:00:00+08:00\"", NULL), 2);
	assert_int_equal(count("\"event.rejected\"", NULL), 1);

	/* Wednesday: it fails again; Tuesday's units are owed. */
	run_until(f, T0 + 39 * MSEC_PER_HOUR + 1);
	assert_int_equal(count("\"event.rejected\"",
	    "\"recurring\":\"roll-call\"", "unit list unreadable",
	    "\"fallback\":\"previous-period\"",
	    "\"units_from\":\"2026-03-03T17:00:00+08:00\"",
	    "\"units\":[\"f1\",\"f2\"]", NULL), 1);
	assert_int_equal(count("\"notify\"", "\"reason\":\"rejected\"",
	    NULL), 2);
	assert_int_equal(count("\"obligation.set\"",
	    "\"due_at\":\"2026-03-04T17:00:00+08:00\"",
	    "\"units_from\":\"2026-03-03T17:00:00+08:00\"", NULL), 2);

	/* Nobody files on Wednesday: both are missed, in the ledger. */
	run_until(f, T0 + 63 * MSEC_PER_HOUR + 1);
	assert_int_equal(count("\"obligation.missed\"",
	    "\"at\":\"2026-03-05T00:00:00+08:00\"", NULL), 2);
}

/* A site with a 10wd and a 5cd obligation and the shipped holiday data. */
static struct rules *
load_wd_site(void)
{
	struct rules_problems	 problems = { NULL, 0 };
	struct rules		*r;
	char			 path[512], dirpath[512];
	FILE			*f;
	size_t			 i;

	if (realpath("../../rules/holidays", dirpath) == NULL)
		fail_msg("run from tests/unit: rules/holidays not found");
	snprintf(path, sizeof(path), "%s/wd-site.lua", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "site { rules = { '%s' } }\n"
	    "channel 'log' { kind = 'log' }\n"
	    "person 'a' { roles = { 'office' }, channels = { 'log' } }\n"
	    "procedure 'complaint' { match = { category = 'medical_dispute' },"
	    "  obligations = { { id = 'answer', due = '10wd',"
	    "  met_by = { type = 'feedback' }, owner = 'office' },"
	    "  { id = 'quick', due = '5cd', met_by = { type = 'feedback' },"
	    "  owner = 'office' } } }\n", dirpath);
	fclose(f);
	r = rules_load(path, NULL, &problems);
	for (i = 0; i < problems.n; i++)
		fprintf(stderr, "%s\n", problems.v[i]);
	unlink(path);
	assert_non_null(r);
	return (r);
}

static struct store *
wd_store(void)
{
	struct store	*s;
	char		*cause = NULL;

	s = store_open(":memory:", "OFF", &cause);
	assert_non_null(s);
	return (s);
}

/*
 * Working days across National Day 2026, with the shipped holiday data:
 * Tue 09-29 + 10wd = 09-30, (10-01..07 off), 10-08, 10-09, Sat 10-10
 * (调休), 10-12..16, 10-19: due at 24:00 of Mon 10-19.
 */
static void
test_working_days_shipped_calendar(void **state)
{
	struct rules		*r = load_wd_site();
	struct store		*s = wd_store();
	struct engine		*e;
	struct record_error	 err;
	struct record		*rec;
	struct engine_result	 res;
	json_t			*json;

	assert_true(calendar_has_year(rules_calendar(r), 2025));
	assert_true(calendar_has_year(rules_calendar(r), 2026));
	e = engine_new(s, r);
	engine_set_sink(e, sink, NULL);
	names_free(&actions);
	assert_int_equal(calendar_parse_time("2026-09-29T10:00:00+08:00",
	    &res.seq), 0);
	clock_set_virtual(res.seq);
	json = json_loads("{\"type\":\"report\",\"incident\":\"c-1\","
	    "\"unit\":\"h\",\"category\":\"medical_dispute\"}", 0, NULL);
	rec = record_parse(json, clock_now(), &err);
	json_decref(json);
	assert_int_equal(engine_begin(e), 0);
	assert_int_equal(engine_submit(e, rec, NULL, &res, &err), 0);
	assert_int_equal(engine_commit(e, NULL), 0);
	record_free(rec);
	assert_int_equal(count("\"obligation.set\"", "\"answer\"",
	    "\"due_at\":\"2026-10-20T00:00:00+08:00\"", NULL), 1);
	/* 5cd: last day Sun 10-04 is a holiday: moves to Thu 10-08. */
	assert_int_equal(count("\"obligation.set\"", "\"quick\"",
	    "\"due_at\":\"2026-10-09T00:00:00+08:00\"", NULL), 1);
	engine_free(e);
	store_close(s);
	rules_free(r);
}

/* The wall clock jumps to t: everything due by then fires, in one go. */
static void
jump_to(struct fixture *f, int64_t t)
{
	clock_set_virtual(t);
	assert_int_equal(engine_begin(f->engine), 0);
	assert_true(engine_fire_due(f->engine, t, 10000) >= 0);
	assert_int_equal(engine_commit(f->engine, NULL), 0);
}

/* The daemon stops and starts again at t: a new engine on the same store. */
static void
restart_at(struct fixture *f, int64_t t)
{
	engine_free(f->engine);
	clock_set_virtual(t);
	f->engine = engine_new(f->store, f->rules);
	engine_set_sink(f->engine, sink, NULL);
	assert_int_equal(engine_recover(f->engine), 0);
	jump_to(f, t);
}

/*
 * The wall clock stepped forward past a deadline, back before it, and
 * forward again: each timer fires once, when its time has come.
 */
static void
test_clock_jumps(void **state)
{
	struct fixture	*f = *state;
	size_t		 n;

	assert_int_equal(submit(f, report, NULL), 0);
	jump_to(f, T0 + 3 * MSEC_PER_HOUR);		/* 12:00 */
	assert_int_equal(count("\"obligation.breached\"", NULL), 1);
	assert_int_equal(count("\"escalation.step\"", NULL), 2);
	assert_int_equal(count("\"obligation.reminded\"", NULL), 0);
	n = actions.n;
	jump_to(f, T0 - MSEC_PER_HOUR);			/* back to 08:00 */
	jump_to(f, T0 + MSEC_PER_HOUR);			/* 10:00 */
	assert_int_equal(actions.n, n);
	jump_to(f, T0 + 3 * MSEC_PER_HOUR + 30 * MSEC_PER_MIN);
	/* Only the repeat due at 12:15 is new. */
	assert_int_equal(count("\"escalation.step\"", NULL), 3);
	assert_int_equal(count("\"escalation.step\"", "\"repeat\":1", NULL),
	    1);
	assert_int_equal(count("\"obligation.breached\"", NULL), 1);

	/* Stepped back before a new deadline: it waits for its time. */
	clock_set_virtual(T0 + 4 * MSEC_PER_HOUR);
	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"inc-2\",\"unit\":\"h-a\",\"category\":"
	    "\"network_security\"}", NULL), 0);
	jump_to(f, T0 + 2 * MSEC_PER_HOUR);
	jump_to(f, T0 + 5 * MSEC_PER_HOUR + 59 * MSEC_PER_MIN);
	assert_int_equal(count("\"obligation.breached\"", "\"inc-2\"", NULL),
	    0);
	jump_to(f, T0 + 6 * MSEC_PER_HOUR);
	assert_int_equal(count("\"obligation.breached\"", "\"inc-2\"", NULL),
	    1);
}

/*
 * Down from Monday 16:00 to Wednesday 10:00: Monday's and Tuesday's daily
 * reports breach, close as missed, and Tuesday's and Wednesday's open,
 * each exactly once, however often the daemon starts again.
 */
static void
test_down_across_recurring_close(void **state)
{
	struct fixture	*f = *state;
	size_t		 n;

	assert_int_equal(engine_begin(f->engine), 0);
	assert_int_equal(engine_sync_recurring(f->engine), 0);
	assert_int_equal(engine_commit(f->engine, NULL), 0);
	run_until(f, T0 + 7 * MSEC_PER_HOUR);		/* Mon 16:00 */
	assert_int_equal(count("\"obligation.set\"", "\"daily\"", NULL), 2);
	restart_at(f, T0 + 49 * MSEC_PER_HOUR);		/* Wed 10:00 */
	assert_int_equal(count("\"obligation.breached\"", "\"daily\"",
	    "\"late\":true", NULL), 4);
	assert_int_equal(count("\"obligation.missed\"", "\"daily\"", NULL), 4);
	assert_int_equal(count("\"obligation.missed\"",
	    "\"at\":\"2026-03-04T10:00:00+08:00\"", NULL), 4);
	assert_int_equal(count("\"obligation.set\"", "\"daily\"", NULL), 6);
	assert_int_equal(count("\"obligation.set\"", "\"daily\"",
	    "\"due_at\":\"2026-03-04T17:00:00+08:00\"", NULL), 2);
	n = actions.n;
	restart_at(f, T0 + 49 * MSEC_PER_HOUR + MSEC_PER_MIN);
	assert_int_equal(actions.n, n);
}

/*
 * Down across National Day 2026: a 5cd deadline whose last day fell in
 * the holiday (due 24:00 Thu 10-08) and a 10wd one (24:00 Mon 10-19) are
 * not recomputed at start-up, and each breaches once, late.
 */
static void
test_down_across_holiday(void **state)
{
	struct rules	*r = load_wd_site();
	struct fixture	 f;
	int64_t		 t;
	size_t		 n;

	memset(&f, 0, sizeof(f));
	f.rules = r;
	f.store = wd_store();
	assert_int_equal(calendar_parse_time("2026-09-29T10:00:00+08:00", &t),
	    0);
	clock_set_virtual(t);
	f.engine = engine_new(f.store, r);
	engine_set_sink(f.engine, sink, NULL);
	names_free(&actions);
	assert_int_equal(submit(&f, "{\"type\":\"report\",\"incident\":"
	    "\"c-1\",\"unit\":\"h\",\"category\":\"medical_dispute\"}",
	    NULL), 0);
	assert_int_equal(calendar_parse_time("2026-10-08T12:00:00+08:00", &t),
	    0);
	restart_at(&f, t);
	assert_int_equal(count("\"obligation.breached\"", NULL), 0);
	assert_int_equal(calendar_parse_time("2026-10-21T09:00:00+08:00", &t),
	    0);
	restart_at(&f, t);
	assert_int_equal(count("\"obligation.breached\"", "\"quick\"",
	    "\"due_at\":\"2026-10-09T00:00:00+08:00\"", "\"late\":true", NULL),
	    1);
	assert_int_equal(count("\"obligation.breached\"", "\"answer\"",
	    "\"due_at\":\"2026-10-20T00:00:00+08:00\"", "\"late\":true", NULL),
	    1);
	n = actions.n;
	restart_at(&f, t + MSEC_PER_HOUR);
	assert_int_equal(actions.n, n);
	engine_free(f.engine);
	store_close(f.store);
	rules_free(r);
}

/*
 * SQLite reuses the id of the highest timer row once it is deleted: the
 * first incident's timers go when its obligation is met, the second's
 * take their ids, and the first's heap entries must not fire them early.
 */
static void
test_timer_id_reuse(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(submit(f, report, NULL), 0);
	clock_set_virtual(T0 + 10 * MSEC_PER_MIN);
	assert_int_equal(submit(f, "{\"type\":\"assessment\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-a\"}", NULL), 0);
	clock_set_virtual(T0 + 20 * MSEC_PER_MIN);
	assert_int_equal(submit(f, "{\"type\":\"report\",\"incident\":"
	    "\"inc-2\",\"unit\":\"h-a\",\"category\":\"network_security\"}",
	    NULL), 0);
	/* inc-1's old entries come up at 10:30 and 11:00: nothing happens. */
	run_until(f, T0 + 2 * MSEC_PER_HOUR + 10 * MSEC_PER_MIN);
	assert_int_equal(count("\"obligation.reminded\"", "\"inc-2\"", NULL),
	    1);
	assert_int_equal(count("\"obligation.reminded\"", "\"inc-2\"",
	    "\"at\":\"2026-03-02T10:50:00+08:00\"", NULL), 1);
	assert_int_equal(count("\"obligation.breached\"", NULL), 0);
	run_until(f, T0 + 3 * MSEC_PER_HOUR);
	assert_int_equal(count("\"obligation.breached\"", "\"inc-2\"",
	    "\"at\":\"2026-03-02T11:20:00+08:00\"", NULL), 1);
	assert_int_equal(count("\"obligation.breached\"", NULL), 1);
}

/*
 * Each state machine has one setter, which counts what it enters: a
 * breach, the escalation's steps to done, then the incident resolved
 * with its obligation missed.  The timer kinds come from one table, and
 * the store knows them once there is an engine: the incident's timers go
 * with a prune.
 */
static void
test_state_setters_and_timer_kinds(void **state)
{
	struct fixture			*f = *state;
	const struct engine_stats	*st = engine_stats(f->engine);
	const struct engine_timer_info	*k;
	uint64_t			 rows[STORE_PRUNE__COUNT];

	assert_int_equal(submit(f, report, NULL), 0);
	assert_int_equal(st->incidents[INCIDENT_OPEN], 1);
	run_until(f, T0 + 10 * MSEC_PER_HOUR);
	assert_int_equal(st->obligations[OBLIGATION_BREACHED], 1);
	assert_int_equal(st->escalations[ESCALATION_ACTIVE], 2);
	assert_int_equal(st->escalations[ESCALATION_DONE], 1);
	assert_int_equal(submit(f, "{\"type\":\"resolve\",\"incident\":"
	    "\"inc-1\",\"unit\":\"h-a\"}", NULL), 0);
	assert_int_equal(st->obligations[OBLIGATION_MISSED], 1);
	assert_int_equal(st->obligations[OBLIGATION_CANCELLED], 0);
	assert_int_equal(st->escalations[ESCALATION_STOPPED], 0);
	assert_int_equal(st->incidents[INCIDENT_CLOSED], 1);

	k = engine_timer_info(TIMER_ESCALATION_STEP);
	assert_non_null(k);
	assert_string_equal(k->name, "escalation.step");
	assert_int_equal(k->owner, STORE_TIMER_OF_ESCALATION);
	k = engine_timer_info(TIMER_RECURRING_OPEN);
	assert_string_equal(k->name, "recurring.open");
	assert_int_equal(k->owner, STORE_TIMER_OF_RECURRING);
	assert_null(engine_timer_info(0));
	assert_null(engine_timer_info(99));

	memset(rows, 0, sizeof(rows));
	assert_int_equal(store_begin(f->store), 0);
	store_set_pruning(f->store, 1);
	assert_int_equal(store_prune_incident(f->store, "inc-1", 0,
	    clock_now(), rows), 0);
	store_set_pruning(f->store, 0);
	assert_int_equal(store_commit(f->store), 0);
}

static int
collect_key(const struct store_message *m, int keep, void *arg)
{
	(void)keep;
	names_add(arg, m->key);
	return (0);
}

/* An incident breached and escalated, with every repeat, on store f. */
static void
escalate_all(struct fixture *f, struct names *keys)
{
	struct store_message_filter	filter = { NULL, NULL, NULL };
	struct store_message_cursor	cursor = { INT64_MAX };

	clock_set_virtual(T0);
	assert_int_equal(submit(f, report, NULL), 0);
	run_until(f, T0 + 10 * MSEC_PER_HOUR);
	assert_int_equal(store_messages_page(f->store, &filter, &cursor, 1000,
	    collect_key, keys), 0);
}

/*
 * A message's key is derived from the decision: the same decisions made
 * again (a second store standing for the daemon after a crash) make the
 * same keys, and every message has its own (the outbox's index is
 * unique; each step, each repeat, each recipient differs).
 */
static void
test_keys_from_the_decision(void **state)
{
	struct fixture	*f = *state, again;
	struct names	 first = { NULL, 0 }, second = { NULL, 0 };
	char		*cause;
	size_t		 i, j;

	escalate_all(f, &first);
	assert_true(first.n >= 6);
	for (i = 0; i < first.n; i++) {
		assert_int_equal(strlen(first.v[i]), 35);
		assert_int_equal(strncmp(first.v[i], "tn_", 3), 0);
		for (j = i + 1; j < first.n; j++)
			assert_string_not_equal(first.v[i], first.v[j]);
	}
	again.rules = f->rules;
	again.store = store_open(":memory:", "OFF", &cause);
	assert_non_null(again.store);
	again.engine = engine_new(again.store, again.rules);
	escalate_all(&again, &second);
	assert_int_equal(first.n, second.n);
	for (i = 0; i < first.n; i++)
		assert_string_equal(first.v[i], second.v[i]);
	engine_free(again.engine);
	store_close(again.store);
	names_free(&first);
	names_free(&second);
}

/* One event in its own transaction; how many notifications it queued. */
static size_t
submit_notified(struct fixture *f, const char *text)
{
	struct engine_result	 res;
	struct record_error	 err;
	struct record		*rec;
	json_t			*json;
	size_t			 notified = 99;

	json = json_loads(text, 0, NULL);
	rec = record_parse(json, clock_now(), &err);
	json_decref(json);
	assert_non_null(rec);
	assert_int_equal(engine_begin(f->engine), 0);
	assert_int_equal(engine_submit(f->engine, rec, NULL, &res, &err), 0);
	assert_int_equal(engine_commit(f->engine, &notified), 0);
	record_free(rec);
	return (notified);
}

/* A commit says whether it queued notifications: the outbox's wake-up. */
static void
test_commit_says_notified(void **state)
{
	struct fixture	*f = *state;
	int64_t		 counts[OUTBOX__COUNT] = { 0 };

	/* The office on opening; grade 1 tells the principal too. */
	assert_int_equal(submit_notified(f, "{\"type\":\"report\","
	    "\"incident\":\"inc-1\",\"unit\":\"h-a\",\"category\":"
	    "\"network_security\",\"grade\":1}"), 2);
	assert_int_equal(store_messages_count(f->store, counts), 0);
	assert_int_equal(counts[OUTBOX_QUEUED], 2);
	/* Met in time: nobody is told. */
	assert_int_equal(submit_notified(f, "{\"type\":\"assessment\","
	    "\"incident\":\"inc-1\",\"unit\":\"h-a\"}"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_breach_escalates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_met_in_time, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pause_ledger, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pause_breached, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_late_then_ack, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_and_unknown,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_owned_by_its_unit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused_request_leaves_no_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_told_once_per_decision,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_grades_and_functions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_error_rejects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recover_after_downtime,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_recurring, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_special_period, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_state_setters_and_timer_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_says_notified,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_from_the_decision,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_id_reuse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clock_jumps, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_down_across_recurring_close,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_recurring_units_fail,
		    setup_units, teardown),
		cmocka_unit_test(test_down_across_holiday),
		cmocka_unit_test(test_working_days_shipped_calendar),
	};
	FILE	*f;
	int	 rc;

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(site, sizeof(site), "%s/site.lua", dir);
	if ((f = fopen(site, "w")) == NULL)
		return (1);
	fputs(site_text, f);
	fclose(f);
	snprintf(units_site, sizeof(units_site), "%s/units-site.lua", dir);
	if ((f = fopen(units_site, "w")) == NULL)
		return (1);
	fputs(units_site_text, f);
	fclose(f);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(units_site);
	unlink(site);
	rmdir(dir);
	return (rc);
}
