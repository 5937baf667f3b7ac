/*
 * store.c: every domain call of store.h, each on an in-memory store and
 * on a file store (rows round-trip, getters say 1 or 0, lists and keyset
 * pages, ids from RETURNING); status.c's tables of names; migrations (a
 * version-6 database upgrades with its timers), refusal of newer schemas,
 * one writer, savepoints, the timeline that only a prune may shorten;
 * store-backup.c: an online copy; store-migrate.c: a file into PostgreSQL.
 *
 * With TOCSIN_TEST_PG set to a PostgreSQL URL (make check-pg starts a
 * throwaway server, tests/pg/pgtmp.sh), every domain test runs on it too,
 * from an empty schema, and so do the PostgreSQL driver's own tests.
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
#include <libpq-fe.h>
#include <sqlite3.h>

#include "store-backup.h"
#include "store-migrate.h"
#include "store-pg.h"
#include "store-schema.h"
#include "calendar.h"
#include "stats.h"
#include "store.h"
#include "unit.h"

static char	dir[] = "/tmp/tocsin-store-XXXXXX";
static char	path[256];

/* ---- fixtures: each domain test runs on both kinds of store ---------- */

static int
open_memory(void **state)
{
	char	*cause = NULL;

	*state = store_open(":memory:", "OFF", &cause);
	return (*state != NULL ? 0 : -1);
}

static int
open_file(void **state)
{
	char	 db[300], *cause = NULL;

	snprintf(db, sizeof(db), "%s/domain.db", dir);
	unlink(db);
	*state = store_open(db, "NORMAL", &cause);
	return (*state != NULL ? 0 : -1);
}

/* Run SQL on the test server, outside any store: 0, or -1. */
static int
pg_run(const char *sql)
{
	PGconn		*pg = PQconnectdb(getenv("TOCSIN_TEST_PG"));
	PGresult	*res = PQexec(pg, sql);
	int		 ok;

	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "pg_run: %s", PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return (ok ? 0 : -1);
}

/* A store on the test server, its schema made afresh. */
static int
open_pg(void **state)
{
	char	*cause = NULL;

	if (pg_run("SET client_min_messages = warning; DROP SCHEMA public "
	    "CASCADE; CREATE SCHEMA public") != 0)
		return (-1);
	*state = store_open(getenv("TOCSIN_TEST_PG"), NULL, &cause);
	if (*state == NULL)
		fprintf(stderr, "open_pg: %s\n", cause);
	free(cause);
	return (*state != NULL ? 0 : -1);
}

static int
close_store(void **state)
{
	store_close(*state);
	return (0);
}

/* ---- helpers --------------------------------------------------------- */

static int64_t
add_event(struct store *s, const char *id, const char *incident,
    const char *unit, const char *body)
{
	struct store_event	ev = { 0 };
	int64_t			seq = 0;

	ev.id = (char *)id;
	ev.type = "report";
	ev.incident = (char *)incident;
	ev.unit = (char *)unit;
	ev.received_at = 10;
	ev.occurred_at = 5;
	ev.body = (char *)body;
	assert_int_equal(store_event_add(s, &ev, &seq), 0);
	return (seq);
}

static void
add_incident(struct store *s, const char *key, const char *unit, int grade,
    int64_t opened)
{
	struct store_incident	inc = { 0 };

	inc.key = (char *)key;
	inc.unit = (char *)unit;
	inc.category = "fire";
	inc.procedures = "[\"p\"]";
	inc.title = "A fire";
	inc.grade = inc.worst_grade = grade;
	inc.opened_at = inc.updated_at = opened;
	inc.occurred_at = opened - 1;
	assert_int_equal(store_incident_add(s, &inc), 0);
}

static int64_t
add_obligation(struct store *s, const char *incident, const char *unit,
    int64_t due)
{
	struct store_obligation	o = { 0 };
	int64_t			id = 0;

	o.incident = (char *)incident;
	o.recurring = incident == NULL ? "daily" : NULL;
	o.unit = (char *)unit;
	o.procedure = incident != NULL ? "p" : NULL;
	o.name = "report";
	o.title = "Report";
	o.owner = "duty";
	o.on_breach = "climb";
	o.set_at = 1;
	o.due_at = due;
	o.close_at = incident == NULL ? due + 100 : 0;
	assert_int_equal(store_obligation_add(s, &o, &id), 0);
	assert_true(id > 0);
	return (id);
}

static int64_t
add_message(struct store *s, const char *key, const char *incident,
    int64_t next)
{
	struct store_message	m = { 0 };
	int64_t			id = 0;

	m.key = (char *)key;
	m.created_at = 1;
	m.incident = (char *)incident;
	m.obligation = 0;
	m.channel = "log";
	m.recipient = "Zhang San";
	m.role = "duty";
	m.body = "{}";
	m.next_at = next;
	m.deadline_at = next + 1000;
	assert_int_equal(store_message_add(s, &m, &id), 0);
	assert_true(id > 0);
	return (id);
}

static int64_t
add_timer(struct store *s, int64_t at, int kind, int64_t ref)
{
	struct store_timer	t = { 0, at, kind, ref };
	int64_t			id = 0;

	assert_int_equal(store_timer_add(s, &t, &id), 0);
	assert_true(id > 0);
	return (id);
}

/* Collects what a list hands over: counts, ids and one string each. */
struct seen {
	int		 n;
	int		 kept;
	int		 stop_at;	/* stop after this many; 0: never */
	int64_t		 ids[64];
	char		 text[64][32];
};

static int
seen_add(struct seen *w, int64_t id, const char *text)
{
	assert_true(w->n < 64);
	w->ids[w->n] = id;
	snprintf(w->text[w->n], sizeof(w->text[0]), "%s", text != NULL ?
	    text : "");
	w->n++;
	return (w->stop_at != 0 && w->n == w->stop_at);
}

static int
seen_event(const struct store_event *ev, void *arg)
{
	return (seen_add(arg, ev->seq, ev->body));
}

static int
seen_incident(const struct store_incident *inc, void *arg)
{
	return (seen_add(arg, inc->seq, inc->key));
}

static int
seen_incident_page(const struct store_incident *inc, int kept, void *arg)
{
	struct seen	*w = arg;

	w->kept += kept;
	return (seen_add(w, inc->seq, inc->key));
}

static int
seen_obligation(const struct store_obligation *o, void *arg)
{
	return (seen_add(arg, o->id, o->unit));
}

static int
seen_obligation_page(const struct store_obligation *o, int kept, void *arg)
{
	struct seen	*w = arg;

	w->kept += kept;
	return (seen_add(w, o->id, o->unit));
}

static int
seen_escalation(const struct store_escalation *e, void *arg)
{
	return (seen_add(arg, e->id, escalation_state_name(e->state)));
}

static int
seen_timer(const struct store_timer *t, void *arg)
{
	return (seen_add(arg, t->id, NULL));
}

static int
seen_action(const struct store_action *a, void *arg)
{
	return (seen_add(arg, a->seq, a->kind));
}

static int
seen_message(const struct store_message *m, void *arg)
{
	return (seen_add(arg, m->id, m->key));
}

static int
seen_message_page(const struct store_message *m, int kept, void *arg)
{
	struct seen	*w = arg;

	w->kept += kept;
	return (seen_add(w, m->id, m->key));
}

static int
seen_board(const struct store_board_row *r, void *arg)
{
	return (seen_add(arg, r->grade, r->key));
}

static int
seen_duty(const struct store_duty *d, void *arg)
{
	return (seen_add(arg, d->zero, d->unit));
}

/* ---- names ----------------------------------------------------------- */

static void
test_names(void **state)
{
	int	i;

	for (i = 0; i < INCIDENT__COUNT; i++)
		assert_int_equal(incident_state_parse(incident_state_name(i)),
		    i);
	for (i = 0; i < OBLIGATION__COUNT; i++)
		assert_int_equal(obligation_status_parse(
		    obligation_status_name(i)), i);
	for (i = 0; i < OUTBOX__COUNT; i++)
		assert_int_equal(outbox_status_parse(outbox_status_name(i)), i);
	for (i = 0; i < ESCALATION__COUNT; i++)
		assert_int_equal(escalation_state_parse(
		    escalation_state_name(i)), i);
	/* The names the database has always held. */
	assert_string_equal(incident_state_name(INCIDENT_CLOSED), "closed");
	assert_string_equal(obligation_status_name(OBLIGATION_BREACHED),
	    "breached");
	assert_string_equal(outbox_status_name(OUTBOX_DEAD), "dead");
	assert_string_equal(escalation_state_name(ESCALATION_DONE), "done");
	assert_int_equal(obligation_status_parse("overdue"), -1);
	assert_int_equal(outbox_status_parse(NULL), -1);
	assert_string_equal(obligation_status_name(OBLIGATION__COUNT), "?");
	assert_true(obligation_status_open(OBLIGATION_BREACHED));
	assert_false(obligation_status_open(OBLIGATION_LATE));

	assert_string_equal(grade_name(1, GRADE_FORM_CHINESE), "特别重大");
	assert_string_equal(grade_name(3, GRADE_FORM_ROMAN), "III");
	assert_string_equal(grade_name(4, GRADE_FORM_LABEL), "一般（IV级）");
	assert_string_equal(grade_name(2, GRADE_FORM_DIGIT), "2");
	assert_string_equal(grade_name(GRADE_NONE, GRADE_FORM_ROMAN),
	    "ungraded");
	assert_string_equal(grade_name(9, GRADE_FORM_CHINESE), "未定级");
	for (i = GRADE_MIN; i <= GRADE_MAX; i++) {
		assert_int_equal(grade_parse(grade_name(i, GRADE_FORM_ROMAN)),
		    i);
		assert_int_equal(grade_parse(grade_name(i,
		    GRADE_FORM_CHINESE)), i);
		assert_int_equal(grade_parse(grade_name(i, GRADE_FORM_DIGIT)),
		    i);
	}
	assert_int_equal(grade_parse("ungraded"), -1);
	assert_int_equal(grade_parse("V"), -1);
}

/* ---- events ---------------------------------------------------------- */

static void
test_events(void **state)
{
	struct store		*s = *state;
	struct store_event	 ev = { 0 };
	struct store_incident	 inc;
	struct seen		 w = { 0 };
	int64_t			 n = -1;

	assert_int_equal(add_event(s, "e1", "k", "u", "{\"a\":1}"), 1);
	assert_int_equal(add_event(s, NULL, "k", "u", "{\"a\":2}"), 2);
	assert_int_equal(add_event(s, "e1", "k2", "v", "{}"), 3);
	/* The id is unique within its unit, refused by the schema. */
	ev.id = "e1";
	ev.type = "report";
	ev.unit = "u";
	ev.body = "{}";
	assert_int_equal(store_event_add(s, &ev, NULL), -1);

	/* Seen before, and the incident it names, in one read. */
	assert_int_equal(store_event_find_with_incident(s, "u", "e1", "k",
	    &ev, &inc), 1);
	assert_int_equal(ev.seq, 1);
	assert_string_equal(ev.incident, "k");
	assert_null(inc.key);			/* no incident "k" stored */
	store_event_clear(&ev);
	assert_null(ev.incident);
	add_incident(s, "k", "u", 2, 10);
	assert_int_equal(store_event_find_with_incident(s, "w", "e1", "k",
	    &ev, &inc), 0);
	assert_int_equal(ev.seq, 0);
	assert_string_equal(inc.key, "k");
	assert_int_equal(inc.grade, 2);
	assert_int_equal(inc.state, INCIDENT_OPEN);
	assert_true(inc.seq > 0);
	store_incident_clear(&inc);
	assert_int_equal(store_event_find_with_incident(s, "v", "e1", "k",
	    &ev, &inc), 1);
	assert_int_equal(ev.seq, 3);
	assert_string_equal(ev.incident, "k2");
	assert_null(inc.key);		/* a duplicate: its incident unread */
	store_event_clear(&ev);
	assert_int_equal(store_event_find_with_incident(s, "u", NULL, NULL,
	    &ev, &inc), 0);
	assert_null(inc.key);
	assert_int_equal(store_event_find_with_incident(s, "u", "e2", "none",
	    &ev, &inc), 0);
	assert_null(inc.key);

	assert_int_equal(store_events_of_incident(s, "k", seen_event, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.text[1], "{\"a\":2}");
	assert_int_equal(store_event_count(s, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_ping(s), 0);
}

/* ---- incidents ------------------------------------------------------- */

static void
test_incidents(void **state)
{
	struct store		*s = *state;
	struct store_incident	 inc;
	int64_t			 n = 0, grades[GRADE_MAX + 1] = { 0 };

	add_incident(s, "k1", "u", 2, 100);
	add_incident(s, "k2", "v", GRADE_NONE, 200);
	assert_int_equal(store_incident_get(s, "none", &inc), 0);
	assert_int_equal(store_incident_get(s, "k1", &inc), 1);
	assert_string_equal(inc.key, "k1");
	assert_string_equal(inc.unit, "u");
	assert_string_equal(inc.category, "fire");
	assert_string_equal(inc.procedures, "[\"p\"]");
	assert_string_equal(inc.title, "A fire");
	assert_int_equal(inc.grade, 2);
	assert_int_equal(inc.worst_grade, 2);
	assert_int_equal(inc.state, INCIDENT_OPEN);
	assert_int_equal(inc.opened_at, 100);
	assert_int_equal(inc.occurred_at, 99);
	assert_int_equal(inc.acked_at, 0);
	assert_null(inc.acked_by);
	assert_int_equal(inc.resolved_at, 0);
	assert_int_equal(inc.pruned_at, 0);
	assert_true(inc.seq > 0);
	store_incident_clear(&inc);

	assert_int_equal(store_incident_set_grade(s, "k1", 3, 2, 150), 0);
	assert_int_equal(store_incident_ack(s, "k1", "Li Si", 160), 0);
	assert_int_equal(store_incident_touch(s, "k1", 170), 0);
	assert_int_equal(store_incident_get(s, "k1", &inc), 1);
	assert_int_equal(inc.grade, 3);
	assert_int_equal(inc.worst_grade, 2);
	assert_int_equal(inc.acked_at, 160);
	assert_string_equal(inc.acked_by, "Li Si");
	assert_int_equal(inc.updated_at, 170);
	store_incident_clear(&inc);

	assert_int_equal(store_incidents_count_open(s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_incidents_open_by_grade(s, grades), 0);
	assert_int_equal(grades[3], 1);
	assert_int_equal(grades[GRADE_NONE], 1);
	assert_int_equal(store_incident_resolve(s, "k2", 300), 0);
	assert_int_equal(store_incident_get(s, "k2", &inc), 1);
	assert_int_equal(inc.state, INCIDENT_CLOSED);
	assert_int_equal(inc.resolved_at, 300);
	assert_int_equal(inc.updated_at, 300);
	store_incident_clear(&inc);
	assert_int_equal(store_incidents_count_open(s, &n), 0);
	assert_int_equal(n, 1);
}

/*
 * Incidents come newest first; a page resumes before the last row's
 * position, and a filter is a flag on each row, so a page of rows it
 * drops still moves on.
 */
static void
test_incidents_page(void **state)
{
	struct store			*s = *state;
	struct store_incident_filter	 f = { 0 };
	struct store_incident_cursor	 c = { INT64_MAX };
	struct seen			 w = { 0 };
	char				 key[16];
	int				 i, rows;

	for (i = 0; i < 7; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		add_incident(s, key, i % 2 ? "a" : "b", 1, i);
	}
	assert_int_equal(store_incident_resolve(s, "k5", 10), 0);
	f.state = INCIDENT_OPEN;
	f.unit = "a";
	do {
		rows = w.n;
		assert_int_equal(store_incidents_page(s, &f, &c, 3,
		    seen_incident_page, &w), 0);
		if (w.n > rows)
			c.before_seq = w.ids[w.n - 1];
	} while (w.n - rows == 3);
	assert_int_equal(w.n, 7);
	assert_string_equal(w.text[0], "k6");
	assert_string_equal(w.text[6], "k0");
	assert_int_equal(w.kept, 2);		/* k3 and k1; k5 is closed */

	/* Every state, one category: a callback may stop the list. */
	memset(&w, 0, sizeof(w));
	f.any_state = 1;
	f.unit = NULL;
	f.category = "fire";
	w.stop_at = 2;
	assert_int_equal(store_incidents_page(s, &f, NULL, 100,
	    seen_incident_page, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.kept, 2);

	/* Units kept: a set bound into "unit IN (...)"; none is nothing. */
	{
		const char *const	 ab[] = { "a", "zz" };
		struct store_units	 u = { ab, 2 }, none = { ab, 0 };

		memset(&w, 0, sizeof(w));
		f.category = NULL;
		f.units = &u;
		assert_int_equal(store_incidents_page(s, &f, NULL, 100,
		    seen_incident_page, &w), 0);
		assert_int_equal(w.n, 7);
		assert_int_equal(w.kept, 3);	/* k5, k3, k1 */
		memset(&w, 0, sizeof(w));
		f.units = &none;
		assert_int_equal(store_incidents_page(s, &f, NULL, 100,
		    seen_incident_page, &w), 0);
		assert_int_equal(w.kept, 0);
	}
}

/* ---- obligations ----------------------------------------------------- */

static void
test_obligations(void **state)
{
	struct store		*s = *state;
	struct store_obligation	 o;
	struct seen		 w = { 0 };
	int64_t			 a, b, r, counts[OBLIGATION__COUNT] = { 0 };
	int64_t			 open[OBLIGATION__COUNT] = { 0 };

	a = add_obligation(s, "k", "u", 1000);
	b = add_obligation(s, "k", "u", 2000);
	r = add_obligation(s, NULL, "u", 3000);
	assert_int_equal(b, a + 1);
	assert_int_equal(store_obligation_get(s, 999, &o), 0);
	assert_int_equal(store_obligation_get(s, a, &o), 1);
	assert_int_equal(o.id, a);
	assert_string_equal(o.incident, "k");
	assert_null(o.recurring);
	assert_string_equal(o.unit, "u");
	assert_string_equal(o.procedure, "p");
	assert_string_equal(o.name, "report");
	assert_string_equal(o.title, "Report");
	assert_string_equal(o.owner, "duty");
	assert_string_equal(o.on_breach, "climb");
	assert_int_equal(o.set_at, 1);
	assert_int_equal(o.due_at, 1000);
	assert_int_equal(o.close_at, 0);
	assert_int_equal(o.met_at, 0);
	assert_int_equal(o.status, OBLIGATION_PENDING);
	store_obligation_clear(&o);

	assert_int_equal(store_obligation_set_status(s, a, OBLIGATION_LATE,
	    1500, 7), 0);
	assert_int_equal(store_obligation_set_status(s, b, OBLIGATION_BREACHED,
	    0, 0), 0);
	assert_int_equal(store_obligation_set_due(s, b, 1800), 0);
	assert_int_equal(store_obligation_get(s, a, &o), 1);
	assert_int_equal(o.status, OBLIGATION_LATE);
	assert_int_equal(o.met_at, 1500);
	assert_int_equal(o.met_event, 7);
	store_obligation_clear(&o);
	assert_int_equal(store_obligation_get(s, b, &o), 1);
	assert_int_equal(o.due_at, 1800);
	assert_int_equal(o.met_at, 0);
	store_obligation_clear(&o);

	assert_int_equal(store_obligations_of_incident(s, "k",
	    seen_obligation, &w), 0);
	assert_int_equal(w.n, 2);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_obligations_open_of_incident(s, "k",
	    seen_obligation, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ids[0], b);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_obligations_open_of_unit(s, "u",
	    seen_obligation, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ids[0], r);
	assert_int_equal(store_unit_owes_recurring(s, "u"), 1);
	assert_int_equal(store_unit_owes_recurring(s, "nobody"), 0);

	assert_int_equal(store_obligations_count(s, counts), 0);
	assert_int_equal(counts[OBLIGATION_LATE], 1);
	assert_int_equal(counts[OBLIGATION_BREACHED], 1);
	assert_int_equal(counts[OBLIGATION_PENDING], 1);
	assert_int_equal(store_obligations_count_open(s, open), 0);
	assert_int_equal(open[OBLIGATION_LATE], 0);
	assert_int_equal(open[OBLIGATION_BREACHED], 1);
	assert_int_equal(open[OBLIGATION_PENDING], 1);
}

/*
 * The ledger's pages resume after (due_at, id) of the last row read: rows
 * that share a due time across a page's end are each read once, a row
 * added before the cursor is not read, one added after it is, and the
 * unit filter is a flag, so a page of rows it drops still moves on.
 */
static void
test_ledger_page(void **state)
{
	struct store			*s = *state;
	struct store_ledger_filter	 f = { 0, 5000, "a", NULL, STORE_DRILL_EXCLUDE };
	struct store_ledger_cursor	 c = { INT64_MIN, INT64_MIN };
	struct seen			 w = { 0 };
	struct store_obligation		 o;
	int				 i, rows;

	for (i = 0; i < 10; i++)
		add_obligation(s, "k", i % 2 ? "a" : "b", i < 7 ? 1000 : 2000);
	do {
		rows = w.n;
		assert_int_equal(store_ledger_page(s, &f, &c, 3,
		    seen_obligation_page, &w), 0);
		if (w.n > rows) {
			assert_int_equal(store_obligation_get(s,
			    w.ids[w.n - 1], &o), 1);
			c.due_at = o.due_at;
			c.id = o.id;
			store_obligation_clear(&o);
		}
		if (w.n == 3) {
			add_obligation(s, "k", "a", 500);  /* before: not read */
			add_obligation(s, "k", "a", 3000); /* after: read */
		}
	} while (w.n - rows == 3);
	assert_int_equal(w.n, 11);
	for (i = 0; i < 10; i++)
		assert_int_equal(w.ids[i], i + 1);
	assert_int_equal(w.ids[10], 12);
	assert_int_equal(w.kept, 6);
}

static int
ledger_tally(const char *unit, enum obligation_status st, int64_t n,
    void *arg)
{
	int64_t	*total = arg;

	(void)unit;
	(void)st;
	*total += n;
	return (0);
}

/*
 * The summary counts the ledger a slice at a time (api-units.c): a slice
 * of n rows in due order ends at the (n+1)th row's due time (a slice may
 * be empty), takes every row of a due time shared by more than n, ends at
 * `to` when fewer are left, and the slices count each row in [from, to)
 * once.
 */
static void
test_ledger_slices(void **state)
{
	struct store	*s = *state;
	int64_t		 at = 100, end, total = 0;
	int		 i, slices = 0;

	for (i = 0; i < 10; i++)		/* 1000 x5, 2000 x4, 9000 */
		add_obligation(s, "k", i % 2 ? "a" : "b",
		    i < 5 ? 1000 : i < 9 ? 2000 : 9000);
	assert_int_equal(store_ledger_slice_end(s, 100, 5000, 3, &end), 0);
	assert_int_equal(end, 1000);		/* the 4th row's due time */
	assert_int_equal(store_ledger_slice_end(s, 1000, 5000, 3, &end), 0);
	assert_int_equal(end, 1001);		/* all five due at 1000 */
	assert_int_equal(store_ledger_slice_end(s, 1000, 5000, 6, &end), 0);
	assert_int_equal(end, 2000);		/* the 7th row is due at 2000 */
	assert_int_equal(store_ledger_slice_end(s, 2001, 5000, 3, &end), 0);
	assert_int_equal(end, 5000);		/* none left before to */
	do {
		assert_int_equal(store_ledger_slice_end(s, at, 5000, 2,
		    &end), 0);
		assert_true(end > at);
		assert_int_equal(store_ledger_counts(s, at, end, NULL,
		    STORE_DRILL_EXCLUDE, 100,
		    ledger_tally, &total), 0);
		at = end;
		slices++;
	} while (at < 5000);
	assert_int_equal(total, 9);		/* not the one due at 9000 */
	assert_int_equal(slices, 5);
}

static int
ledger_drill_cb(const struct store_obligation *o, int keep, void *arg)
{
	int	*seen = arg;

	if (keep)
		seen[o->drill]++;
	return (0);
}

/* Adds up the incidents store_report_counts counted. */
static int
report_tally(const char *unit, int64_t n, int64_t slow, void *arg)
{
	(void)unit;
	(void)slow;
	*(int64_t *)arg += n;
	return (0);
}

/* Adds up the incidents store_report_slice hands over. */
static int
report_row_tally(const char *unit, int64_t opened, int slow, void *arg)
{
	(void)unit;
	(void)opened;
	(void)slow;
	++*(int64_t *)arg;
	return (0);
}

/* A drill (应急演练) of unit a, opened at 100, its procedures a JSON array. */
static void
add_drill(struct store *s, const char *key, const char *procedures)
{
	struct store_incident	inc = { 0 };

	inc.key = (char *)key;
	inc.unit = "a";
	inc.procedures = (char *)procedures;
	inc.opened_at = inc.updated_at = inc.occurred_at = 100;
	inc.drill = 1;
	assert_int_equal(store_incident_add(s, &inc), 0);
}

/*
 * Drills (应急演练): an incident and its obligations carry the mark; the
 * ledger leaves drills out unless asked, keeps them besides the rest, or
 * keeps them alone -- in its pages and in its counts alike.  The board
 * counts open drills apart; the statistics' incident counts never count
 * them.
 */
static void
test_ledger_drills(void **state)
{
	struct store			*s = *state;
	struct store_incident		 inc = { 0 };
	struct store_obligation		 o = { 0 };
	struct store_ledger_filter	 f = { 0, 5000, NULL, NULL,
					     STORE_DRILL_EXCLUDE };
	struct store_board_counts	 bc;
	static const struct {
		enum store_drill	 drill;
		int			 real, drills;
	} cases[] = {
		{ STORE_DRILL_EXCLUDE, 2, 0 },
		{ STORE_DRILL_INCLUDE, 2, 1 },
		{ STORE_DRILL_ONLY, 0, 1 },
	};
	int64_t				 id, total, after;
	size_t				 i;
	int				 seen[2];

	add_incident(s, "real", "a", 2, 100);
	add_drill(s, "drill", "[\"p\"]");
	add_obligation(s, "real", "a", 1000);
	add_obligation(s, NULL, "a", 1500);
	o.incident = "drill";
	o.unit = "a";
	o.procedure = "p";
	o.name = "report";
	o.set_at = 1;
	o.due_at = 2000;
	o.drill = 1;
	assert_int_equal(store_obligation_add(s, &o, &id), 0);

	memset(&inc, 0, sizeof(inc));
	assert_int_equal(store_incident_get(s, "drill", &inc), 1);
	assert_int_equal(inc.drill, 1);
	store_incident_clear(&inc);
	assert_int_equal(store_incident_get(s, "real", &inc), 1);
	assert_int_equal(inc.drill, 0);
	store_incident_clear(&inc);
	assert_int_equal(store_obligation_get(s, id, &o), 1);
	assert_int_equal(o.drill, 1);
	store_obligation_clear(&o);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(seen, 0, sizeof(seen));
		f.drill = cases[i].drill;
		assert_int_equal(store_ledger_page(s, &f, NULL, 10,
		    ledger_drill_cb, seen), 0);
		assert_int_equal(seen[0], cases[i].real);
		assert_int_equal(seen[1], cases[i].drills);
		total = 0;
		assert_int_equal(store_ledger_counts(s, 0, 5000, NULL,
		    cases[i].drill, 100, ledger_tally, &total), 0);
		assert_int_equal(total, cases[i].real + cases[i].drills);
	}
	assert_int_equal(store_board_counts(s, NULL, &bc), 0);
	assert_int_equal(bc.open, 2);
	assert_int_equal(bc.drills, 1);
	assert_int_equal(bc.unacknowledged, 2);
	assert_int_equal(bc.drills_unacknowledged, 1);
	assert_int_equal(bc.drills_overdue, 0);

	/* The drill's deadline passes: counted overdue, and as a drill's. */
	assert_int_equal(store_obligation_set_status(s, id,
	    OBLIGATION_BREACHED, 0, 0), 0);
	assert_int_equal(store_incident_ack(s, "real", "Sun Qi", 150), 0);
	assert_int_equal(store_board_counts(s, NULL, &bc), 0);
	assert_int_equal(bc.overdue, 1);
	assert_int_equal(bc.overdue_incidents, 1);
	assert_int_equal(bc.drills_overdue, 1);
	assert_int_equal(bc.drills_overdue_incidents, 1);
	assert_int_equal(bc.unacknowledged, 1);
	assert_int_equal(bc.drills_unacknowledged, 1);
	assert_int_equal(bc.unmatched, 0);
	assert_int_equal(bc.drills_unmatched, 0);
	total = 0;
	assert_int_equal(store_report_counts(s, 0, 5000, 0, NULL, 100,
	    report_tally, &total), 0);
	assert_int_equal(total, 1);
	total = after = 0;
	assert_int_equal(store_report_slice(s, &after, 0, NULL, 100,
	    report_row_tally, &total), 2);	/* two read, one counted */
	assert_int_equal(total, 1);

	/* A drill no procedure took: unmatched, and the drills' share. */
	add_drill(s, "drill-unmatched", "[]");
	assert_int_equal(store_board_counts(s, NULL, &bc), 0);
	assert_int_equal(bc.unmatched, 1);
	assert_int_equal(bc.drills_unmatched, 1);
	assert_int_equal(store_incident_ack(s, "drill-unmatched", "Sun Qi",
	    160), 0);
	assert_int_equal(store_board_counts(s, NULL, &bc), 0);
	assert_int_equal(bc.unmatched, 0);
	assert_int_equal(bc.drills_unmatched, 0);
}

/* ---- recurring reports ----------------------------------------------- */

static void
test_recurring(void **state)
{
	struct store		*s = *state;
	struct store_recurring	 r;
	struct store_obligation	 o = { 0 };
	struct seen		 w = { 0 };
	int64_t			 id = 0;
	const char		*units[] = { "a", "b", "c" };
	int			 i;

	assert_int_equal(store_recurring_add(s, "daily", 100, &id), 0);
	assert_true(id > 0);
	assert_int_equal(store_recurring_find(s, "weekly", &r), 0);
	assert_int_equal(store_recurring_find(s, "daily", &r), 1);
	assert_int_equal(r.id, id);
	assert_int_equal(r.next_at, 100);
	store_recurring_clear(&r);
	assert_int_equal(store_recurring_set_next(s, id, 200), 0);
	assert_int_equal(store_recurring_get(s, id, &r), 1);
	assert_string_equal(r.name, "daily");
	assert_int_equal(r.next_at, 200);
	store_recurring_clear(&r);
	assert_int_equal(store_recurring_get(s, id + 1, &r), 0);

	/* Two periods: the latest before 5000 is the one due at 2000. */
	o.recurring = "daily";
	o.name = "daily";
	o.set_at = 1;
	for (i = 0; i < 3; i++) {
		o.unit = (char *)units[i];
		o.due_at = i < 2 ? 1000 : 2000;
		assert_int_equal(store_obligation_add(s, &o, NULL), 0);
		o.due_at = 2000;
		assert_int_equal(store_obligation_add(s, &o, NULL), 0);
	}
	assert_int_equal(store_recurring_previous(s, "daily", 5000,
	    seen_obligation, &w), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.text[0], "a");
	assert_string_equal(w.text[3], "c");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_recurring_previous(s, "daily", 2000,
	    seen_obligation, &w), 0);
	assert_int_equal(w.n, 2);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_recurring_previous(s, "daily", 1000,
	    seen_obligation, &w), 0);
	assert_int_equal(w.n, 0);
}

/* ---- escalations ----------------------------------------------------- */

static void
test_escalations(void **state)
{
	struct store		*s = *state;
	struct store_escalation	 e = { 0 };
	struct seen		 w = { 0 };
	int64_t			 a = 0, b = 0;

	e.incident = "k";
	e.obligation = 5;
	e.policy = "climb";
	e.started_at = 100;
	assert_int_equal(store_escalation_add(s, &e, &a), 0);
	e.obligation = 6;
	assert_int_equal(store_escalation_add(s, &e, &b), 0);
	assert_int_equal(b, a + 1);
	assert_int_equal(store_escalation_get(s, a, &e), 1);
	assert_string_equal(e.incident, "k");
	assert_int_equal(e.obligation, 5);
	assert_string_equal(e.policy, "climb");
	assert_int_equal(e.started_at, 100);
	assert_int_equal(e.step, 0);
	assert_int_equal(e.state, ESCALATION_ACTIVE);
	store_escalation_clear(&e);
	assert_int_equal(store_escalation_get(s, 99, &e), 0);

	assert_int_equal(store_escalation_update(s, a, 2, 1,
	    ESCALATION_ACTIVE), 0);
	assert_int_equal(store_escalation_stop(s, a), 0);
	assert_int_equal(store_escalation_get(s, a, &e), 1);
	assert_int_equal(e.step, 2);		/* stopped where it was */
	assert_int_equal(e.repeats, 1);
	assert_int_equal(e.state, ESCALATION_STOPPED);
	store_escalation_clear(&e);

	assert_int_equal(store_escalations_of_incident(s, "k",
	    seen_escalation, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.text[0], "stopped");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_escalations_active_of_incident(s, "k",
	    seen_escalation, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ids[0], b);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_escalations_active_of_obligation(s, 6,
	    seen_escalation, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(store_escalation_update(s, b, 3, 0,
	    ESCALATION_DONE), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_escalations_active_of_obligation(s, 6,
	    seen_escalation, &w), 0);
	assert_int_equal(w.n, 0);
}

/* ---- timers ---------------------------------------------------------- */

static void
test_timers(void **state)
{
	struct store		*s = *state;
	struct store_timer	 t;
	struct seen		 w = { 0 };
	int64_t			 a, b, c, d, n = 0;

	assert_int_equal(store_timer_next(s, &t), 0);
	a = add_timer(s, 300, 1, 10);
	b = add_timer(s, 100, 2, 10);
	c = add_timer(s, 100, 4, 20);
	assert_true(a < b && b < c);
	assert_int_equal(store_timer_get(s, a, &t), 1);
	assert_int_equal(t.id, a);
	assert_int_equal(t.at, 300);
	assert_int_equal(t.kind, 1);
	assert_int_equal(t.ref, 10);
	assert_int_equal(store_timer_next(s, &t), 1);
	assert_int_equal(t.id, b);		/* by time, then id */
	assert_int_equal(store_timer_count(s, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_timers_each(s, seen_timer, &w), 0);
	assert_int_equal(w.n, 3);

	assert_int_equal(store_timer_exists(s, 2, 10), 1);
	assert_int_equal(store_timer_exists(s, 2, 11), 0);
	assert_int_equal(store_timers_cancel(s, 2, 10), 0);
	assert_int_equal(store_timer_exists(s, 2, 10), 0);
	assert_int_equal(store_timer_get(s, b, &t), 0);

	/* The newest timer deleted: its id is not handed out again. */
	assert_int_equal(store_timer_delete(s, c), 0);
	assert_int_equal(store_timer_get(s, c, &t), 0);
	d = add_timer(s, 50, 5, 1);
	assert_true(d > c);
	assert_int_equal(store_timer_count(s, &n), 0);
	assert_int_equal(n, 2);
}

/* ---- the timeline ---------------------------------------------------- */

static void
test_timeline(void **state)
{
	struct store		*s = *state;
	struct store_action	 a = { 0 };
	struct seen		 w = { 0 };

	a.at = 1;
	a.kind = "incident.opened";
	a.incident = "k";
	a.body = "{\"kind\":\"incident.opened\"}";
	assert_int_equal(store_action_add(s, &a), 0);
	a.kind = "obligation.set";
	a.obligation = 4;
	assert_int_equal(store_action_add(s, &a), 0);
	a.incident = NULL;
	a.kind = "prune.started";
	assert_int_equal(store_action_add(s, &a), 0);
	assert_int_equal(store_actions_of_incident(s, "k", seen_action, &w),
	    0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.text[0], "incident.opened");
	assert_string_equal(w.text[1], "obligation.set");
	assert_true(w.ids[0] < w.ids[1]);
}

/* ---- reading ahead for a batch (store-ahead.c) ------------------------ */

/* What store_event_find_with_incident says: 0 or 1, the seq or the key. */
static int
find_first(struct store *s, const char *unit, const char *id,
    const char *key, int64_t *seq, char *inc_key, size_t len, int *state)
{
	struct store_event	ev;
	struct store_incident	inc;
	int			rc;

	rc = store_event_find_with_incident(s, unit, id, key, &ev, &inc);
	*seq = ev.seq;
	snprintf(inc_key, len, "%s", inc.key != NULL ? inc.key : "");
	*state = inc.key != NULL ? (int)inc.state : -1;
	store_event_clear(&ev);
	store_incident_clear(&inc);
	return (rc);
}

/*
 * The answers read ahead are the direct reads' answers, and a write of
 * the batch forgets the answer it changes: the event stored, the
 * incident added or closed.  After the transaction nothing is left.
 */
static void
test_read_ahead(void **state)
{
	struct store		*s = *state;
	const struct store_event_ask asks[] = {
		{ "u", "e1", "k1" }, { "u", "e2", "k1" }, { "u", "e3", "k2" },
		{ "u", NULL, "k1" }, { "u", "e4", NULL },
	};
	char			 key[32];
	int64_t			 seq1, seq;
	int			 st;

	add_incident(s, "k1", "u", 1, 100);
	seq1 = add_event(s, "e1", "k1", "u", "{}");
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_events_read_ahead(s, asks, 5), 0);
	assert_int_equal(find_first(s, "u", "e1", "k1", &seq, key,
	    sizeof(key), &st), 1);
	assert_int_equal(seq, seq1);
	assert_int_equal(find_first(s, "u", "e2", "k1", &seq, key,
	    sizeof(key), &st), 0);
	assert_string_equal(key, "k1");
	assert_int_equal(st, INCIDENT_OPEN);
	assert_int_equal(find_first(s, "u", "e3", "k2", &seq, key,
	    sizeof(key), &st), 0);
	assert_string_equal(key, "");
	assert_int_equal(find_first(s, "u", "e4", NULL, &seq, key,
	    sizeof(key), &st), 0);

	/* Each write forgets what it changed. */
	add_incident(s, "k2", "u", 2, 200);
	assert_int_equal(find_first(s, "u", "e3", "k2", &seq, key,
	    sizeof(key), &st), 0);
	assert_string_equal(key, "k2");
	seq = add_event(s, "e2", "k1", "u", "{}");
	assert_int_equal(find_first(s, "u", "e2", "k1", &seq1, key,
	    sizeof(key), &st), 1);
	assert_int_equal(seq1, seq);
	assert_int_equal(store_incident_resolve(s, "k1", 300), 0);
	assert_int_equal(find_first(s, "u", NULL, "k1", &seq, key,
	    sizeof(key), &st), 0);
	assert_int_equal(st, INCIDENT_CLOSED);
	assert_int_equal(store_commit(s), 0);

	/* A question never asked ahead is read; so is one after a commit. */
	assert_int_equal(find_first(s, "u", "e4", "k2", &seq, key,
	    sizeof(key), &st), 0);
	assert_string_equal(key, "k2");
	assert_int_equal(find_first(s, "u", "e1", NULL, &seq, key,
	    sizeof(key), &st), 1);
}

static void	tell_kinds(struct store *);

/* The incident as the find gives it, for the other writers' checks. */
static void
find_incident(struct store *s, const char *key, struct store_incident *inc)
{
	struct store_event	ev;

	assert_int_equal(store_event_find_with_incident(s, "u", NULL, key,
	    &ev, inc), 0);
	store_event_clear(&ev);
}

/*
 * The other writers of an incident forget its answer too: its grade, its
 * time touched, its acknowledgement, a prune; and past 512 questions the
 * rest are read when asked, alike.
 */
static void
test_read_ahead_writers(void **state)
{
	struct store		*s = *state;
	struct store_event_ask	 asks[600];
	struct store_incident	 inc;
	char			 ids[600][8];
	const char		*keys[] = { "g", "t", "a", "p" };
	int64_t			 seq;
	size_t			 i;

	tell_kinds(s);
	for (i = 0; i < 4; i++)
		add_incident(s, keys[i], "u", 1, 100);
	assert_int_equal(store_begin(s), 0);
	for (i = 0; i < 600; i++) {
		snprintf(ids[i], sizeof(ids[i]), "x%zu", i);
		asks[i].unit = "u";
		asks[i].id = i < 4 ? NULL : ids[i];
		asks[i].key = i < 4 ? keys[i] : NULL;
	}
	assert_int_equal(store_events_read_ahead(s, asks, 600), 0);
	assert_int_equal(store_incident_set_grade(s, "g", 3, 3, 150), 0);
	find_incident(s, "g", &inc);
	assert_int_equal(inc.grade, 3);
	store_incident_clear(&inc);
	assert_int_equal(store_incident_touch(s, "t", 160), 0);
	find_incident(s, "t", &inc);
	assert_int_equal(inc.updated_at, 160);
	store_incident_clear(&inc);
	assert_int_equal(store_incident_ack(s, "a", "Zhang San", 170), 0);
	find_incident(s, "a", &inc);
	assert_string_equal(inc.acked_by, "Zhang San");
	store_incident_clear(&inc);
	assert_int_equal(store_prune_incident(s, "p", 1, 180, NULL), 0);
	find_incident(s, "p", &inc);
	assert_null(inc.key);

	/* Beyond the first 512: stored now, so found when asked. */
	seq = add_event(s, "x599", NULL, "u", "{}");
	assert_int_equal(find_first(s, "u", "x599", NULL, &seq, ids[0],
	    sizeof(ids[0]), (int *)&i), 1);
	assert_int_equal(store_commit(s), 0);
}

/* ---- the outbox ------------------------------------------------------ */

static void
test_outbox(void **state)
{
	struct store		*s = *state;
	struct store_message	 m;
	struct seen		 w = { 0 };
	int64_t			 a, b, c, at = -1, n = -1;
	int64_t			 counts[OUTBOX__COUNT] = { 0 };
	int64_t			 depth[OUTBOX__COUNT] = { 0 };

	assert_int_equal(store_messages_next_at(s, &at), 0);
	assert_int_equal(at, 0);
	a = add_message(s, "tn_a", "k", 100);
	b = add_message(s, "tn_b", "k", 50);
	c = add_message(s, "tn_c", NULL, 500);
	assert_true(a < b && b < c);
	assert_int_equal(store_message_get(s, a, &m), 1);
	assert_string_equal(m.key, "tn_a");
	assert_int_equal(m.created_at, 1);
	assert_string_equal(m.incident, "k");
	assert_int_equal(m.obligation, 0);
	assert_string_equal(m.channel, "log");
	assert_string_equal(m.recipient, "Zhang San");
	assert_string_equal(m.role, "duty");
	assert_string_equal(m.body, "{}");
	assert_int_equal(m.status, OUTBOX_QUEUED);
	assert_int_equal(m.attempts, 0);
	assert_int_equal(m.next_at, 100);
	assert_int_equal(m.deadline_at, 1100);
	assert_int_equal(m.delivered_at, 0);
	assert_null(m.last_error);
	store_message_clear(&m);
	assert_int_equal(store_message_get(s, 999, &m), 0);

	/* Due by next_at; a key repeated is refused. */
	assert_int_equal(store_messages_due(s, 200, 10, seen_message, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.ids[0], b);
	assert_int_equal(w.ids[1], a);
	assert_int_equal(store_messages_next_at(s, &at), 1);
	assert_int_equal(at, 50);

	assert_int_equal(store_message_sending(s, b), 0);
	assert_int_equal(store_message_sending(s, a), 0);
	assert_int_equal(store_attempt_add(s, b, 60, "delivered", NULL), 0);
	assert_int_equal(store_message_result(s, b, OUTBOX_DELIVERED, 60, 60,
	    NULL), 0);
	assert_int_equal(store_message_get(s, b, &m), 1);
	assert_int_equal(m.status, OUTBOX_DELIVERED);
	assert_int_equal(m.attempts, 1);
	assert_int_equal(m.delivered_at, 60);
	store_message_clear(&m);
	assert_int_equal(store_message_sending(s, c), 0);
	assert_int_equal(store_attempt_add(s, c, 70, "retry", "timeout"), 0);
	assert_int_equal(store_message_result(s, c, OUTBOX_FAILED, 700, 0,
	    "timeout"), 0);
	assert_int_equal(store_message_get(s, c, &m), 1);
	assert_int_equal(m.status, OUTBOX_FAILED);
	assert_int_equal(m.next_at, 700);
	assert_int_equal(m.delivered_at, 0);
	assert_string_equal(m.last_error, "timeout");
	store_message_clear(&m);

	assert_int_equal(store_messages_depth(s, depth), 0);
	assert_int_equal(depth[OUTBOX_SENDING], 1);
	assert_int_equal(depth[OUTBOX_FAILED], 1);
	assert_int_equal(depth[OUTBOX_DELIVERED], 0);
	assert_int_equal(store_messages_requeue(s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_messages_count(s, counts), 0);
	assert_int_equal(counts[OUTBOX_QUEUED], 1);
	assert_int_equal(counts[OUTBOX_FAILED], 1);
	assert_int_equal(counts[OUTBOX_DELIVERED], 1);
	assert_int_equal(counts[OUTBOX_SENDING], 0);
}

/* Due rows seen in (next_at, id) order, each once. */
struct due_walk {
	int	n;
	int	stop_at;	/* 0: never */
	int64_t	at, id;		/* the last seen */
	int	failed;
};

static int
due_walk_cb(const struct store_message *m, void *arg)
{
	struct due_walk	*d = arg;

	assert_true(m->next_at <= 500);
	if (d->n > 0)
		assert_true(m->next_at > d->at ||
		    (m->next_at == d->at && m->id > d->id));
	d->at = m->next_at;
	d->id = m->id;
	d->failed += m->status == OUTBOX_FAILED;
	d->n++;
	return (d->stop_at != 0 && d->n == d->stop_at);
}

/*
 * store_messages_due reads 64 rows a page: 150 due rows, 30 to a next_at,
 * so that ties cross pages, and some of them failed (the other arm).
 */
static void
test_outbox_due_pages(void **state)
{
	struct store	*s = *state;
	struct due_walk	 d;
	char		 key[32];
	int64_t		 id, next;
	int		 i;

	for (i = 0; i < 160; i++) {
		snprintf(key, sizeof(key), "tn_due_%d", i);
		next = i < 150 ? 10 + i % 5 : 1000;
		id = add_message(s, key, NULL, next);
		if (i % 7 == 0) {
			assert_int_equal(store_message_sending(s, id), 0);
			assert_int_equal(store_message_result(s, id,
			    OUTBOX_FAILED, next, 0, "timeout"), 0);
		}
	}
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_messages_due(s, 500, 1000, due_walk_cb, &d), 0);
	assert_int_equal(d.n, 150);
	assert_int_equal(d.failed, 22);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_messages_due(s, 500, 100, due_walk_cb, &d), 0);
	assert_int_equal(d.n, 100);
	memset(&d, 0, sizeof(d));
	d.stop_at = 70;
	assert_int_equal(store_messages_due(s, 500, 1000, due_walk_cb, &d), 0);
	assert_int_equal(d.n, 70);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_messages_due(s, 12, 1000, due_walk_cb, &d), 0);
	assert_int_equal(d.n, 90);
}

static void
test_outbox_page(void **state)
{
	struct store			*s = *state;
	struct store_message_filter	 f = { NULL, NULL, NULL };
	struct store_message_cursor	 c = { INT64_MAX };
	struct seen			 w = { 0 };
	char				 key[16];
	int				 i, rows;

	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "tn_%d", i);
		add_message(s, key, i % 2 ? "k" : "j", 100);
	}
	assert_int_equal(store_message_result(s, 8, OUTBOX_DEAD, 100, 0,
	    "gone"), 0);
	f.status = "queued";
	do {
		rows = w.n;
		assert_int_equal(store_messages_page(s, &f, &c, 3,
		    seen_message_page, &w), 0);
		if (w.n > rows)
			c.before_id = w.ids[w.n - 1];
	} while (w.n - rows == 3);
	assert_int_equal(w.n, 8);
	assert_int_equal(w.ids[0], 8);		/* newest first */
	assert_int_equal(w.kept, 7);

	/* One incident's, on its own index. */
	memset(&w, 0, sizeof(w));
	f.incident = "k";
	f.status = NULL;
	assert_int_equal(store_messages_page(s, &f, NULL, 100,
	    seen_message_page, &w), 0);
	assert_int_equal(w.n, 4);
	assert_int_equal(w.kept, 4);
	assert_string_equal(w.text[0], "tn_7");
}

/* ---- acknowledgement links ------------------------------------------- */

static void
test_ack_links(void **state)
{
	struct store		*s = *state;
	struct store_ack_link	 l = { 0 };

	l.token = "0123456789abcdef0123456789abcdef";
	l.incident = "k";
	l.recipient = "Wang Wu";
	l.created_at = 42;
	assert_int_equal(store_ack_link_add(s, &l), 0);
	assert_int_equal(store_ack_link_add(s, &l), -1);	/* unique */
	assert_int_equal(store_ack_link_get(s, "fedcba", &l), 0);
	assert_int_equal(store_ack_link_get(s,
	    "0123456789abcdef0123456789abcdef", &l), 1);
	assert_string_equal(l.incident, "k");
	assert_string_equal(l.recipient, "Wang Wu");
	assert_int_equal(l.created_at, 42);
	store_ack_link_clear(&l);
}

/*
 * Personal sends on every driver: a person's pending step is found by
 * its incident, or by its obligation when it has none, and leaves
 * "pending" once.
 */
static int
personal_count_cb(const struct store_personal *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return (0);
}

static void
test_personal_sends(void **state)
{
	struct store		*s = *state;
	struct store_personal	 p = { 0 }, got;
	int64_t			 a = 0, b = 0;
	int			 n = 0;

	p.incident = "inc-1";
	p.person = "zhao";
	p.step = 2;
	p.reason = "opened";
	p.due_at = 300;
	assert_int_equal(store_personal_add(s, &p, &a), 0);
	p.incident = NULL;
	p.obligation = 42;
	p.person = "qian";
	p.policy = "climb";
	p.policy_step = 1;
	p.repeat = 2;
	assert_int_equal(store_personal_add(s, &p, &b), 0);
	assert_int_not_equal(a, b);

	assert_int_equal(store_personal_pending(s, "inc-1", 0, "zhao"), 1);
	assert_int_equal(store_personal_pending(s, NULL, 42, "qian"), 1);
	assert_int_equal(store_personal_pending(s, NULL, 42, "zhao"), 0);
	assert_int_equal(store_personal_get(s, b, &got), 1);
	assert_null(got.incident);
	assert_int_equal(got.obligation, 42);
	assert_string_equal(got.policy, "climb");
	assert_int_equal(got.policy_step, 1);
	assert_int_equal(got.repeat, 2);
	store_personal_clear(&got);
	assert_int_equal(store_personals_pending_of(s, "inc-1", 0,
	    personal_count_cb, &n), 0);
	assert_int_equal(store_personals_pending_of(s, NULL, 42,
	    personal_count_cb, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(store_personal_set_state(s, a, "sent"), 0);
	assert_int_equal(store_personal_set_state(s, a, "stopped"), 0);
	assert_int_equal(store_personal_get(s, a, &got), 1);
	assert_string_equal(got.state, "sent");
	store_personal_clear(&got);
	assert_int_equal(store_personal_pending(s, "inc-1", 0, "zhao"), 0);
}

/* ---- retention ------------------------------------------------------- */

/* As the engine's table says them; kind 5 refers to a recurring report. */
static void
tell_kinds(struct store *s)
{
	store_timer_kind(s, 1, STORE_TIMER_OF_OBLIGATION);
	store_timer_kind(s, 2, STORE_TIMER_OF_RECURRING);
	store_timer_kind(s, 2, STORE_TIMER_OF_OBLIGATION);	/* restated */
	store_timer_kind(s, 4, STORE_TIMER_OF_ESCALATION);
	store_timer_kind(s, 5, STORE_TIMER_OF_RECURRING);
	store_timer_kind(s, 6, STORE_TIMER_OF_OBLIGATION);
	store_timer_kind(s, 8, STORE_TIMER_OF_PERSONAL);
}

/* An incident with a row in every table a prune empties. */
static void
prune_fixture(struct store *s, const char *key, int64_t resolved)
{
	struct store_escalation	e = { 0 };
	struct store_personal	ps = { 0 };
	struct store_ack_link	l = { 0 };
	struct store_action	a = { 0 };
	char			mkey[32];
	int64_t			o, esc = 0, m, pid = 0;

	add_incident(s, key, "u", 1, 1);
	add_event(s, NULL, key, "u", "{}");
	o = add_obligation(s, key, "u", 100);
	e.incident = (char *)key;
	e.obligation = o;
	e.policy = "climb";
	e.started_at = 100;
	assert_int_equal(store_escalation_add(s, &e, &esc), 0);
	add_timer(s, 100, 1, o);
	add_timer(s, 90, 2, o);
	add_timer(s, 200, 4, esc);
	ps.incident = (char *)key;
	ps.person = "zhaoliu";
	ps.step = 2;
	ps.reason = "opened";
	ps.due_at = 300;
	assert_int_equal(store_personal_add(s, &ps, &pid), 0);
	add_timer(s, 300, 8, pid);
	snprintf(mkey, sizeof(mkey), "tn_%s", key);
	m = add_message(s, mkey, key, 100);
	assert_int_equal(store_attempt_add(s, m, 100, "delivered", NULL), 0);
	assert_int_equal(store_message_result(s, m, OUTBOX_DELIVERED, 100, 100,
	    NULL), 0);
	l.token = mkey;
	l.incident = (char *)key;
	l.recipient = "Zhao Liu";
	assert_int_equal(store_ack_link_add(s, &l), 0);
	a.at = 1;
	a.kind = "incident.opened";
	a.incident = (char *)key;
	a.body = "{}";
	assert_int_equal(store_action_add(s, &a), 0);
	if (resolved != 0)
		assert_int_equal(store_incident_resolve(s, key, resolved), 0);
}

static void
test_prune(void **state)
{
	struct store			*s = *state;
	struct store_prune_cursor	 c = { INT64_MIN, "" };
	struct store_incident		 inc;
	struct seen			 w = { 0 };
	uint64_t			 rows[STORE_PRUNE__COUNT] = { 0 };
	int64_t				 n = 0;
	int				 i;

	prune_fixture(s, "a", 10);
	prune_fixture(s, "b", 10);
	prune_fixture(s, "c", 20);
	prune_fixture(s, "open", 0);
	add_timer(s, 500, 5, 1);	/* a recurring report's: stays */

	/* Resolved before 15, by time then key, after the cursor. */
	assert_int_equal(store_prune_candidates(s, 15, &c, 0, 10,
	    seen_incident, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.text[0], "a");
	assert_string_equal(w.text[1], "b");
	memset(&w, 0, sizeof(w));
	c.resolved_at = 10;
	c.key = "a";
	assert_int_equal(store_prune_candidates(s, 100, &c, 0, 10,
	    seen_incident, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.text[0], "b");
	assert_string_equal(w.text[1], "c");

	assert_int_equal(store_prune_busy(s, "a"), 0);
	add_message(s, "tn_busy", "a", 100);
	assert_int_equal(store_prune_busy(s, "a"), 1);
	assert_int_equal(store_prune_busy(s, "b"), 0);

	/* Without the engine's kinds the timers would stay behind: refused. */
	store_set_pruning(s, 1);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_prune_incident(s, "b", 0, 30, rows), -1);
	store_rollback(s);
	tell_kinds(s);

	/* The detail goes, the ledger stays, the incident is marked. */
	memset(rows, 0, sizeof(rows));
	assert_int_equal(store_prune_incident(s, "b", 0, 30, rows), 0);
	for (i = 0; i < STORE_PRUNE__COUNT; i++) {
		if (i == STORE_PRUNE_TIMERS)
			assert_int_equal(rows[i], 4);
		else if (i == STORE_PRUNE_OBLIGATIONS)
			assert_int_equal(rows[i], 0);
		else
			assert_int_equal(rows[i], 1);
	}
	assert_int_equal(store_incident_get(s, "b", &inc), 1);
	assert_int_equal(inc.pruned_at, 30);
	store_incident_clear(&inc);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_obligations_of_incident(s, "b",
	    seen_obligation, &w), 0);
	assert_int_equal(w.n, 1);
	memset(&w, 0, sizeof(w));
	c.resolved_at = INT64_MIN;
	c.key = "";
	assert_int_equal(store_prune_candidates(s, 15, &c, 0, 10,
	    seen_incident, &w), 0);
	assert_int_equal(w.n, 1);		/* b is pruned already */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_prune_candidates(s, 15, &c, 1, 10,
	    seen_incident, &w), 0);
	assert_int_equal(w.n, 2);		/* unless the ledger goes */

	/* Dropping the ledger takes the obligations and the incident. */
	memset(rows, 0, sizeof(rows));
	assert_int_equal(store_prune_incident(s, "c", 1, 40, rows), 0);
	assert_int_equal(rows[STORE_PRUNE_OBLIGATIONS], 1);
	assert_int_equal(store_incident_get(s, "c", &inc), 0);
	store_set_pruning(s, 0);
	assert_int_equal(store_timer_count(s, &n), 0);
	assert_int_equal(n, 4 * 2 + 1);		/* a's, open's, kind 5 */
	assert_string_equal(store_prune_table_name(STORE_PRUNE_ACK_LINKS),
	    "ack_links");
}

/* ---- read models ----------------------------------------------------- */

static void
test_board(void **state)
{
	struct store			*s = *state;
	struct store_board_counts	 bc;
	struct store_incident		 inc = { 0 };
	struct store_escalation		 e = { 0 };
	struct seen			 w = { 0 };
	int64_t				 o, esc = 0;

	add_incident(s, "calm", "u", 4, 10);
	add_incident(s, "due", "u", 3, 20);
	add_incident(s, "late", "u", 2, 30);
	inc.key = "stray";
	inc.unit = "u";
	inc.procedures = "[]";
	inc.opened_at = inc.occurred_at = inc.updated_at = 40;
	assert_int_equal(store_incident_add(s, &inc), 0);
	add_obligation(s, "due", "u", 5000);
	o = add_obligation(s, "late", "u", 9000);
	assert_int_equal(store_obligation_set_status(s, o,
	    OBLIGATION_BREACHED, 0, 0), 0);
	e.incident = "late";
	e.obligation = o;
	e.policy = "climb";
	e.started_at = 9000;
	assert_int_equal(store_escalation_add(s, &e, &esc), 0);
	assert_int_equal(store_escalation_update(s, esc, 2, 0,
	    ESCALATION_ACTIVE), 0);
	assert_int_equal(store_incident_ack(s, "calm", "Sun Qi", 50), 0);

	assert_int_equal(store_board(s, NULL, 10, seen_board, &w), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.text[0], "stray");	/* unmatched first */
	assert_string_equal(w.text[1], "late");		/* breached */
	assert_string_equal(w.text[2], "due");
	assert_string_equal(w.text[3], "calm");
	assert_int_equal(w.ids[1], 2);			/* its grade */

	assert_int_equal(store_board_counts(s, NULL, &bc), 0);
	assert_int_equal(bc.open, 4);
	assert_int_equal(bc.unacknowledged, 3);
	assert_int_equal(bc.overdue, 1);
	assert_int_equal(bc.overdue_incidents, 1);
	assert_int_equal(bc.unmatched, 1);
}

/* The board row of one incident, kept whole by the callback. */
static int
keep_board(const struct store_board_row *r, void *arg)
{
	struct store_board_row	*keep = arg;

	if (strcmp(r->key, "late") != 0)
		return (0);
	keep->obligation_status = r->obligation_status;
	keep->obligations_open = r->obligations_open;
	keep->obligations_breached = r->obligations_breached;
	keep->step = r->step;
	keep->escalation_state = r->escalation_state;
	keep->obligation_due_at = r->obligation_due_at;
	keep->policy = strdup(r->policy);
	keep->obligation = strdup(r->obligation);
	return (1);
}

static void
test_board_row(void **state)
{
	struct store			*s = *state;
	struct store_board_row		 r;

	test_board(state);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_board(s, NULL, 10, keep_board, &r), 0);
	assert_string_equal(r.obligation, "report");
	assert_int_equal(r.obligation_status, OBLIGATION_BREACHED);
	assert_int_equal(r.obligation_due_at, 9000);
	assert_int_equal(r.obligations_open, 1);
	assert_int_equal(r.obligations_breached, 1);
	assert_string_equal(r.policy, "climb");
	assert_int_equal(r.step, 2);
	assert_int_equal(r.escalation_state, ESCALATION_ACTIVE);
	store_board_row_clear(&r);
}

static void
test_duties(void **state)
{
	struct store	*s = *state;
	struct seen	 w = { 0 };
	int64_t		 a, zero, plain;

	a = add_obligation(s, NULL, "a", 1000);		/* today, met zero */
	add_obligation(s, NULL, "b", 1000);		/* today, pending */
	add_obligation(s, NULL, "c", 100);		/* earlier, open */
	plain = add_obligation(s, NULL, "d", 200);	/* earlier, met */
	add_obligation(s, "k", "e", 1000);		/* an incident's */
	zero = add_event(s, NULL, NULL, "a", "{\"zero\":true}");
	assert_int_equal(store_obligation_set_status(s, a, OBLIGATION_MET,
	    900, zero), 0);
	assert_int_equal(store_obligation_set_status(s, plain, OBLIGATION_MET,
	    150, 0), 0);
	assert_int_equal(store_duties(s, NULL, 500, 1500, 100, seen_duty, &w), 0);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.text[0], "c");
	assert_string_equal(w.text[1], "a");
	assert_int_equal(w.ids[1], 1);		/* a zero report */
	assert_string_equal(w.text[2], "b");
	assert_int_equal(w.ids[2], -1);		/* not filed: unknown */
}

/* ---- the store itself ------------------------------------------------ */


static int64_t
count_events(struct store *s)
{
	int64_t	n = -1;

	assert_int_equal(store_event_count(s, &n), 0);
	return (n);
}

static void
test_migrate_and_reopen(void **state)
{
	struct store	*s;
	char		*cause = NULL;

	s = store_open(path, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_begin(s), 0);
	add_event(s, "e1", "k", "u", "{}");
	assert_int_equal(store_commit(s), 0);
	store_close(s);

	/* Reopening migrates nothing and keeps the row. */
	s = store_open(path, "NORMAL", &cause);
	assert_non_null(s);
	assert_int_equal(count_events(s), 1);
	store_close(s);

	assert_null(store_open(path, "SOMETIMES", &cause));
	assert_non_null(strstr(cause, "synchronous"));
	free(cause);
}

/*
 * A database of schema version 6 (timer ids could be reused) upgrades to
 * 7 with every timer as it was, and from then on no id comes back.
 */
static void
test_migrate_v6_timers(void **state)
{
	struct store		*s;
	struct store_timer	 t;
	sqlite3			*db;
	char			*cause = NULL, v6[300];
	int64_t			 id;

	snprintf(v6, sizeof(v6), "%s/v6.db", dir);
	assert_int_equal(sqlite3_open(v6, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 6, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO timers (id, at, kind, "
	    "ref) VALUES (1, 100, 1, 7), (2, 200, 4, 8), (5, 50, 5, 9);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(v6, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_timer_get(s, 1, &t), 1);
	assert_int_equal(t.at, 100);
	assert_int_equal(t.kind, 1);
	assert_int_equal(t.ref, 7);
	assert_int_equal(store_timer_get(s, 2, &t), 1);
	assert_int_equal(t.kind, 4);
	assert_int_equal(store_timer_get(s, 5, &t), 1);
	assert_int_equal(t.ref, 9);
	assert_int_equal(store_timer_exists(s, 4, 8), 1);
	assert_int_equal(store_timer_next(s, &t), 1);
	assert_int_equal(t.id, 5);
	assert_int_equal(store_timer_delete(s, 5), 0);
	id = add_timer(s, 10, 1, 1);
	assert_int_equal(id, 6);
	store_close(s);

	assert_int_equal(unit_count(v6, "PRAGMA user_version"),
	    store_schema_latest());
	unlink(v6);
}

/*
 * A database of schema version 7 (no receipts) upgrades to 8 with its
 * outbox as it was: the queued message still due, the delivered one
 * kept; from then on a delivered message's provider id finds it, and
 * pruning the message takes its receipt.
 */
static void
test_migrate_v7_receipts(void **state)
{
	struct store		*s;
	struct store_message	 m;
	sqlite3			*db;
	char			*cause = NULL, v7[300];
	int64_t			 id, due;

	snprintf(v7, sizeof(v7), "%s/v7.db", dir);
	assert_int_equal(sqlite3_open(v7, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 7, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO outbox (id, key, "
	    "created_at, incident, channel, recipient, body, status, attempts, "
	    "next_at, deadline_at, delivered_at) VALUES "
	    "(1, 'tn_q', 10, 'inc-1', 'voice', 'zhao', '{}', 'queued', 0, 20, "
	    "900, NULL), "
	    "(2, 'tn_d', 10, 'inc-1', 'voice', 'qian', '{}', 'delivered', 1, "
	    "20, 900, 30);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(v7, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_messages_next_at(s, &due), 1);
	assert_int_equal(due, 20);
	assert_int_equal(store_message_get(s, 1, &m), 1);
	assert_string_equal(m.key, "tn_q");
	assert_int_equal(m.status, OUTBOX_QUEUED);
	store_message_clear(&m);
	assert_int_equal(store_message_get(s, 2, &m), 1);
	assert_int_equal(m.status, OUTBOX_DELIVERED);
	assert_int_equal(m.delivered_at, 30);
	store_message_clear(&m);

	assert_int_equal(store_receipt_expect(s, "voice", "call-2", 2), 0);
	assert_int_equal(store_receipt_expect(s, "voice", "call-2", 2), 0);
	assert_int_equal(store_receipt_record(s, "voice", "call-2",
	    "unanswered", "200003", 40, &id), 1);
	assert_int_equal(id, 2);
	assert_int_equal(store_receipt_record(s, "voice", "call-9",
	    "answered", NULL, 40, &id), 0);
	assert_int_equal(store_receipt_record(s, "other", "call-2",
	    "answered", NULL, 40, &id), 0);
	store_close(s);

	assert_int_equal(unit_count(v7, "PRAGMA user_version"),
	    store_schema_latest());
	assert_int_equal(unit_count(v7, "SELECT count(*) FROM receipts "
	    "WHERE status = 'unanswered' AND received_at = 40"), 1);
	assert_int_equal(sqlite3_open(v7, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE "
	    "FROM outbox WHERE id = 2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(unit_count(v7, "SELECT count(*) FROM receipts"), 0);
	unlink(v7);
}

/*
 * A database of schema version 8 (no replies) upgrades with its outbox as
 * it was, the queued message still due and the delivered one's receipt
 * kept; from then on a reply is kept, and a person's delivered messages
 * within their deadline are found newest first.
 */
static int
reply_target_cb(const char *incident, const char *channel, void *arg)
{
	char	*out = arg;

	if (*out != '\0')
		return (1);
	snprintf(out, 64, "%s/%s", incident, channel);
	return (0);
}

static void
test_migrate_v8_replies(void **state)
{
	struct store		*s;
	struct store_message	 m;
	struct store_reply	 r;
	sqlite3			*db;
	char			*cause = NULL, v8[300], found[64] = "";
	int64_t			 id, due;

	snprintf(v8, sizeof(v8), "%s/v8.db", dir);
	assert_int_equal(sqlite3_open(v8, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 8, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO outbox (id, key, "
	    "created_at, incident, channel, recipient, body, status, attempts, "
	    "next_at, deadline_at, delivered_at) VALUES "
	    "(1, 'tn_q', 10, 'inc-1', 'sms', 'zhao', '{}', 'queued', 0, 20, "
	    "900, NULL), "
	    "(2, 'tn_d', 10, 'inc-1', 'sms', 'zhao', '{}', 'delivered', 1, "
	    "20, 900, 30), "
	    "(3, 'tn_e', 11, 'inc-2', 'sms', 'zhao', '{}', 'delivered', 1, "
	    "20, 50, 30);"
	    "INSERT INTO receipts (channel, ref, outbox, status, detail, "
	    "received_at) VALUES ('sms', 'biz-2', 2, 'delivered', 'DELIVERED', "
	    "40);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(v8, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_messages_next_at(s, &due), 1);
	assert_int_equal(due, 20);
	assert_int_equal(store_message_get(s, 1, &m), 1);
	assert_int_equal(m.status, OUTBOX_QUEUED);
	store_message_clear(&m);
	assert_int_equal(store_receipt_seen(s, "sms", "biz-2", "delivered"), 1);
	assert_int_equal(store_receipt_seen(s, "sms", "biz-2", "failed"), 0);
	assert_int_equal(store_receipt_record(s, "sms", "biz-2", "failed",
	    "MK:1", 45, &id), 1);
	assert_int_equal(id, 2);

	/* At 100 message 3 is past its deadline (50); 2 is the one. */
	assert_int_equal(store_reply_targets(s, "zhao", 100, reply_target_cb,
	    found), 0);
	assert_string_equal(found, "inc-1/sms");
	found[0] = '\0';
	assert_int_equal(store_reply_targets(s, "zhao", 40, reply_target_cb,
	    found), 0);
	assert_string_equal(found, "inc-2/sms");
	memset(&r, 0, sizeof(r));
	r.channel = "sms";
	r.phone = "13800000011";
	r.person = "zhao";
	r.text = "1";
	r.received_at = 60;
	r.incident = "inc-1";
	r.outcome = "acknowledged";
	assert_int_equal(store_reply_add(s, &r), 0);
	store_close(s);

	assert_int_equal(unit_count(v8, "PRAGMA user_version"),
	    store_schema_latest());
	assert_int_equal(unit_count(v8, "SELECT count(*) FROM replies WHERE "
	    "person = 'zhao' AND outcome = 'acknowledged'"), 1);
	assert_int_equal(unit_count(v8, "SELECT count(*) FROM receipts WHERE "
	    "status = 'failed'"), 1);
	unlink(v8);
}

/*
 * Schema 10 adds the clocks of obligations that may pause: a database of
 * schema 9 with a pending obligation and its timer upgrades with both
 * intact, and the obligation then takes a clock, which the ledger reads
 * (paused_s) and which goes with its obligation.
 */
static int
ledger_paused_cb(const struct store_obligation *o, int keep, void *arg)
{
	(void)keep;
	*(int64_t *)arg = o->paused_ms;
	return (0);
}

static void
test_migrate_v9_clocks(void **state)
{
	struct store			*s;
	struct store_obligation		 o;
	struct store_clock		 c, got;
	struct store_ledger_filter	 f = { 0, 1000, NULL, NULL,
					     STORE_DRILL_EXCLUDE };
	sqlite3				*db;
	char				*cause = NULL, v9[300];
	struct store_timer		 tm;
	int64_t				 paused = -1;

	snprintf(v9, sizeof(v9), "%s/v9.db", dir);
	assert_int_equal(sqlite3_open(v9, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 9, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO obligations (id, "
	    "incident, unit, procedure, name, set_at, due_at) VALUES "
	    "(1, 'inc-1', 'u1', 'p', 'conclude', 10, 500);"
	    "INSERT INTO timers (at, kind, ref) VALUES (500, 1, 1);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(v9, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_obligation_get(s, 1, &o), 1);
	assert_int_equal(o.status, OBLIGATION_PENDING);
	assert_int_equal(o.due_at, 500);
	store_obligation_clear(&o);
	assert_int_equal(store_timer_next(s, &tm), 1);
	assert_int_equal(tm.at, 500);
	assert_int_equal(tm.ref, 1);
	assert_int_equal(store_clock_get(s, 1, &got), 0);

	memset(&c, 0, sizeof(c));
	c.base = 10;
	c.kind = "cd";
	c.length = 15;
	c.paused_at = 200;
	c.paused_ms = 7000;
	assert_int_equal(store_clock_set(s, 1, &c), 0);
	assert_int_equal(store_clock_get(s, 1, &got), 1);
	assert_string_equal(got.kind, "cd");
	assert_int_equal(got.base, 10);
	assert_int_equal(got.length, 15);
	assert_int_equal(got.paused_at, 200);
	store_clock_clear(&got);
	assert_int_equal(store_ledger_page(s, &f, NULL, 10, ledger_paused_cb,
	    &paused), 0);
	assert_int_equal(paused, 7000);
	store_close(s);

	assert_int_equal(unit_count(v9, "PRAGMA user_version"),
	    store_schema_latest());
	assert_int_equal(sqlite3_open(v9, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE "
	    "FROM obligations WHERE id = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(unit_count(v9, "SELECT count(*) FROM "
	    "obligation_clocks"), 0);
	unlink(v9);
}

/*
 * A database of schema version 10 (obligations neither repeat nor count)
 * upgrades to 11 with what is pending as it was: a pending obligation
 * with its paused clock, a breached one with its escalation, their
 * timers, a queued message.
 * The old rows read as single, unrepeated obligations (instance 0, one
 * event needed); a series' instances and progress are kept from then on.
 */
static void
test_migrate_v10_series(void **state)
{
	struct store		*s;
	struct store_obligation	 o, r;
	struct store_escalation	 esc;
	struct store_message	 m;
	struct store_timer	 t;
	struct store_clock	 c;
	sqlite3			*db;
	char			*cause = NULL, v10[300];
	int64_t			 id;

	snprintf(v10, sizeof(v10), "%s/v10.db", dir);
	assert_int_equal(sqlite3_open(v10, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 10, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO obligations (id, "
	    "incident, unit, procedure, name, owner, on_breach, set_at, "
	    "due_at, status) VALUES "
	    "(1, 'inc-1', 'u', 'p', 'follow-up', 'office', NULL, 10, 500, "
	    "'pending'), "
	    "(2, 'inc-1', 'u', 'p', 'assess', 'office', 'std', 10, 40, "
	    "'breached');"
	    "INSERT INTO escalations (id, incident, obligation, policy, "
	    "started_at, step) VALUES (1, 'inc-1', 2, 'std', 40, 1);"
	    "INSERT INTO timers (id, at, kind, ref) VALUES (1, 500, 1, 1), "
	    "(2, 100, 4, 1);"
	    "INSERT INTO outbox (id, key, created_at, incident, obligation, "
	    "channel, recipient, body, status, attempts, next_at, deadline_at) "
	    "VALUES (1, 'tn_q', 40, 'inc-1', 2, 'log', 'zhao', '{}', 'queued', "
	    "0, 45, 900);"
	    "INSERT INTO obligation_clocks (obligation, base, kind, length, "
	    "paused_at, paused_ms) VALUES (1, 10, 'elapsed', 490, 300, 50);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(v10, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_obligation_get(s, 1, &o), 1);
	assert_int_equal(o.status, OBLIGATION_PENDING);
	assert_int_equal(o.due_at, 500);
	assert_int_equal(o.instance, 0);
	assert_int_equal(o.needed, 1);
	assert_int_equal(o.met_count, 0);
	assert_int_equal(o.until_at, 0);
	store_obligation_clear(&o);
	assert_int_equal(store_clock_get(s, 1, &c), 1);
	assert_string_equal(c.kind, "elapsed");
	assert_int_equal(c.paused_at, 300);
	assert_int_equal(c.paused_ms, 50);
	store_clock_clear(&c);
	assert_int_equal(store_obligation_get(s, 2, &o), 1);
	assert_int_equal(o.status, OBLIGATION_BREACHED);
	store_obligation_clear(&o);
	assert_int_equal(store_escalation_get(s, 1, &esc), 1);
	assert_int_equal(esc.obligation, 2);
	assert_int_equal(esc.step, 1);
	assert_int_equal(esc.state, ESCALATION_ACTIVE);
	store_escalation_clear(&esc);
	assert_int_equal(store_timer_next(s, &t), 1);
	assert_int_equal(t.id, 2);
	assert_int_equal(store_timer_exists(s, 1, 1), 1);
	assert_int_equal(store_message_get(s, 1, &m), 1);
	assert_int_equal(m.status, OUTBOX_QUEUED);
	store_message_clear(&m);
	/* An old row is no series. */
	assert_int_equal(store_obligation_series_last(s, "inc-1", "p",
	    "follow-up", &o), 0);
	store_obligation_clear(&o);

	/* A series: instance 2 is the latest, its progress kept. */
	memset(&r, 0, sizeof(r));
	r.incident = "inc-1";
	r.unit = "u";
	r.procedure = "p";
	r.name = "daily";
	r.set_at = 10;
	r.due_at = 600;
	r.until_at = 5000;
	r.needed = 3;
	r.instance = 1;
	assert_int_equal(store_obligation_add(s, &r, &id), 0);
	r.instance = 2;
	r.due_at = 1200;
	assert_int_equal(store_obligation_add(s, &r, &id), 0);
	assert_int_equal(store_obligation_set_progress(s, id, 2, 0), 0);
	assert_int_equal(store_obligation_series_last(s, "inc-1", "p",
	    "daily", &o), 1);
	assert_int_equal(o.id, id);
	assert_int_equal(o.instance, 2);
	assert_int_equal(o.due_at, 1200);
	assert_int_equal(o.until_at, 5000);
	assert_int_equal(o.met_count, 2);
	assert_int_equal(o.needed, 3);
	store_obligation_clear(&o);
	store_close(s);

	assert_int_equal(unit_count(v10, "PRAGMA user_version"),
	    store_schema_latest());
	unlink(v10);
}

/*
 * A database of schema version 11 (no personal sends) upgrades to 12
 * with nothing pending lost: its queued message, its escalation's timer
 * and a repeating obligation's instance with its paused clock are still
 * there and due as they were; from then on a person's later notify_rules
 * steps are kept, found pending, and stopped once.
 */
static void
test_migrate_v11_personal(void **state)
{
	struct store		*s;
	struct store_personal	 p = { 0 }, got;
	struct store_obligation	 o;
	struct store_clock	 c;
	struct store_timer	 t;
	sqlite3			*db;
	char			*cause = NULL, v11[300];
	int64_t			 due, id = 0;

	(void)state;
	snprintf(v11, sizeof(v11), "%s/v11.db", dir);
	assert_int_equal(sqlite3_open(v11, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 11, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO outbox (id, key, "
	    "created_at, incident, channel, recipient, body, status, attempts, "
	    "next_at, deadline_at) VALUES (1, 'tn_q', 10, 'inc-1', 'sms', "
	    "'zhao', '{}', 'queued', 0, 20, 900);"
	    "INSERT INTO obligations (id, incident, unit, procedure, name, "
	    "set_at, due_at, instance, until_at, met_count, needed) VALUES "
	    "(7, 'inc-1', 'u', 'p', 'daily', 10, 600, 2, 5000, 1, 3);"
	    "INSERT INTO obligation_clocks (obligation, base, kind, length, "
	    "paused_at, paused_ms) VALUES (7, 10, 'elapsed', 590, 300, 50);"
	    "INSERT INTO escalations (id, incident, obligation, policy, "
	    "started_at) VALUES (3, 'inc-1', 7, 'climb', 10);"
	    "INSERT INTO timers (id, at, kind, ref) VALUES (5, 400, 4, 3), "
	    "(6, 600, 6, 7);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(v11, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_messages_next_at(s, &due), 1);
	assert_int_equal(due, 20);
	assert_int_equal(store_timer_next(s, &t), 1);
	assert_int_equal(t.id, 5);
	assert_int_equal(t.at, 400);
	assert_int_equal(t.ref, 3);
	assert_int_equal(store_timer_exists(s, 6, 7), 1);
	assert_int_equal(store_obligation_get(s, 7, &o), 1);
	assert_int_equal(o.status, OBLIGATION_PENDING);
	assert_int_equal(o.instance, 2);
	assert_int_equal(o.met_count, 1);
	assert_int_equal(o.needed, 3);
	assert_int_equal(o.until_at, 5000);
	store_obligation_clear(&o);
	assert_int_equal(store_clock_get(s, 7, &c), 1);
	assert_int_equal(c.paused_at, 300);
	assert_int_equal(c.paused_ms, 50);
	store_clock_clear(&c);

	p.incident = "inc-1";
	p.person = "zhao";
	p.step = 2;
	p.role = "leader";
	p.reason = "opened";
	p.due_at = 310;
	assert_int_equal(store_personal_add(s, &p, &id), 0);
	assert_int_equal(store_personal_pending(s, "inc-1", 0, "zhao"), 1);
	assert_int_equal(store_personal_pending(s, "inc-1", 0, "qian"), 0);
	assert_int_equal(store_personal_get(s, id, &got), 1);
	assert_string_equal(got.state, "pending");
	assert_int_equal(got.step, 2);
	assert_int_equal(got.due_at, 310);
	assert_string_equal(got.role, "leader");
	store_personal_clear(&got);
	assert_int_equal(store_personal_set_state(s, id, "stopped"), 0);
	assert_int_equal(store_personal_set_state(s, id, "sent"), 0);
	assert_int_equal(store_personal_get(s, id, &got), 1);
	assert_string_equal(got.state, "stopped");	/* once only */
	store_personal_clear(&got);
	assert_int_equal(store_personal_pending(s, "inc-1", 0, "zhao"), 0);
	store_close(s);
	assert_int_equal(unit_count(v11, "PRAGMA user_version"),
	    store_schema_latest());
	unlink(v11);
}

/*
 * Schema 13 marks drills: a database of schema 12 with an open incident,
 * its pending obligation (the first instance of a series, one of its two
 * events come), its timer, a queued message and a person's pending send
 * upgrades with all of them intact and none of them a drill, so the
 * ledger still counts the obligation by default.
 */
static void
test_migrate_v12_drills(void **state)
{
	struct store			*s;
	struct store_incident		 inc;
	struct store_obligation		 o;
	struct store_message		 m;
	struct store_timer		 tm;
	struct store_ledger_filter	 f = { 0, 1000, NULL, NULL,
					     STORE_DRILL_EXCLUDE };
	sqlite3				*db;
	char				*cause = NULL, v12[300];
	int64_t				 due;
	int				 seen[2] = { 0, 0 };

	snprintf(v12, sizeof(v12), "%s/v12.db", dir);
	assert_int_equal(sqlite3_open(v12, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 12, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO incidents (key, unit, "
	    "category, procedures, grade, worst_grade, title, opened_at, "
	    "occurred_at, updated_at) VALUES ('inc-1', 'u1', 'fire', "
	    "'[\"p\"]', 2, 2, '仓库起火', 10, 9, 10);"
	    "INSERT INTO obligations (id, incident, unit, procedure, name, "
	    "set_at, due_at, instance, until_at, met_count, needed) VALUES "
	    "(1, 'inc-1', 'u1', 'p', 'first', 10, 500, 1, 5000, 1, 2);"
	    "INSERT INTO timers (at, kind, ref) VALUES (500, 1, 1);"
	    "INSERT INTO outbox (id, key, created_at, incident, channel, "
	    "recipient, body, status, attempts, next_at, deadline_at) VALUES "
	    "(1, 'tn_q', 10, 'inc-1', 'sms', 'zhao', '{}', 'queued', 0, 20, "
	    "900);"
	    "INSERT INTO personal_sends (incident, person, step, reason, "
	    "due_at) VALUES ('inc-1', 'zhao', 2, 'opened', 310);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(v12, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_incident_get(s, "inc-1", &inc), 1);
	assert_string_equal(inc.title, "仓库起火");
	assert_int_equal(inc.state, INCIDENT_OPEN);
	assert_int_equal(inc.drill, 0);
	store_incident_clear(&inc);
	assert_int_equal(store_obligation_get(s, 1, &o), 1);
	assert_int_equal(o.status, OBLIGATION_PENDING);
	assert_int_equal(o.due_at, 500);
	assert_int_equal(o.instance, 1);
	assert_int_equal(o.until_at, 5000);
	assert_int_equal(o.met_count, 1);
	assert_int_equal(o.needed, 2);
	assert_int_equal(o.drill, 0);
	store_obligation_clear(&o);
	assert_int_equal(store_timer_next(s, &tm), 1);
	assert_int_equal(tm.at, 500);
	assert_int_equal(store_messages_next_at(s, &due), 1);
	assert_int_equal(due, 20);
	assert_int_equal(store_message_get(s, 1, &m), 1);
	assert_int_equal(m.status, OUTBOX_QUEUED);
	store_message_clear(&m);
	assert_int_equal(store_ledger_page(s, &f, NULL, 10, ledger_drill_cb,
	    seen), 0);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 0);
	assert_int_equal(store_personal_pending(s, "inc-1", 0, "zhao"), 1);
	store_close(s);
	assert_int_equal(unit_count(v12, "PRAGMA user_version"),
	    store_schema_latest());
	unlink(v12);
}


/* What a list of the spool inbox saw: the names in order, the first row. */
struct inbox_seen {
	char			names[256];
	size_t			n;
	int64_t			ids[8];
	struct store_inbox	first;
};

static int
inbox_seen_cb(const struct store_inbox *in, void *arg)
{
	struct inbox_seen	*v = arg;

	if (v->n == 0) {
		v->first.id = in->id;
		v->first.node = strdup(in->node);
		v->first.name = strdup(in->name);
		v->first.id_prefix = strdup(in->id_prefix);
		v->first.body = strdup(in->body);
		v->first.received_at = in->received_at;
	}
	if (v->n < 8)
		v->ids[v->n] = in->id;
	v->n++;
	strncat(v->names, in->name, sizeof(v->names) - strlen(v->names) - 2);
	strcat(v->names, " ");
	return (0);
}

static void
inbox_list(struct store *s, int64_t after, size_t limit, struct inbox_seen *v)
{
	store_inbox_clear(&v->first);
	memset(v, 0, sizeof(*v));
	assert_int_equal(store_inbox_list(s, after, limit, inbox_seen_cb, v), 0);
}

static void
inbox_put(struct store *s, const char *name, const char *body, int64_t at)
{
	struct store_inbox	in = { 0 };

	in.node = "node-b 127.0.0.1:8471";
	in.name = (char *)name;
	in.id_prefix = "spool:0123456789abcdef0123456789abcdef";
	in.body = (char *)body;
	in.received_at = at;
	assert_int_equal(store_inbox_put(s, &in), 0);
}

/*
 * The spool inbox: each row put in a commit of its own, listed in the
 * order put with its body as it was, and deleted only by a transaction
 * that commits (the leader's that stores its events).
 */
static void
test_spool_inbox(void **state)
{
	struct store		*s = *state;
	struct inbox_seen	 v = { 0 };
	int64_t			 n = -1;

	assert_int_equal(store_inbox_count(s, &n), 0);
	assert_int_equal(n, 0);
	inbox_put(s, "a.json", "{\"summary\":\"仓库\\\"起火\\\"\",\n\"t\":1}",
	    1000);
	inbox_put(s, "b.json", "[]", 2000);
	inbox_put(s, "c.json", "{}", 3000);
	assert_int_equal(store_inbox_count(s, &n), 0);
	assert_int_equal(n, 3);
	inbox_list(s, 0, 10, &v);
	assert_string_equal(v.names, "a.json b.json c.json ");
	assert_string_equal(v.first.node, "node-b 127.0.0.1:8471");
	assert_string_equal(v.first.id_prefix,
	    "spool:0123456789abcdef0123456789abcdef");
	assert_string_equal(v.first.body,
	    "{\"summary\":\"仓库\\\"起火\\\"\",\n\"t\":1}");
	assert_int_equal(v.first.received_at, 1000);
	assert_true(v.ids[0] < v.ids[1] && v.ids[1] < v.ids[2]);
	inbox_list(s, v.ids[0], 1, &v);
	assert_string_equal(v.names, "b.json ");

	/* A transaction rolled back keeps the row; a commit takes it. */
	inbox_list(s, 0, 10, &v);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_inbox_delete(s, v.ids[0]), 0);
	store_rollback(s);
	assert_int_equal(store_inbox_count(s, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_inbox_delete(s, v.ids[0]), 0);
	assert_int_equal(store_commit(s), 0);
	inbox_list(s, 0, 10, &v);
	assert_string_equal(v.names, "b.json c.json ");
	store_inbox_clear(&v.first);
}

/*
 * Schema 14 adds the spool inbox: a database of schema 13 with an open
 * drill incident, its pending obligation, its timer, a queued message and
 * a person's pending send upgrades with all of them intact, and an empty
 * inbox that takes rows.
 */
static void
test_migrate_v13_inbox(void **state)
{
	struct store			*s;
	struct store_incident		 inc;
	struct store_obligation		 o;
	struct store_message		 m;
	struct store_timer		 tm;
	struct inbox_seen		 v = { 0 };
	sqlite3				*db;
	char				*cause = NULL, v13[300];
	int64_t				 due, n = -1;

	snprintf(v13, sizeof(v13), "%s/v13.db", dir);
	assert_int_equal(sqlite3_open(v13, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 13, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "SELECT * FROM spool_inbox", NULL,
	    NULL, NULL), SQLITE_ERROR);		/* not in schema 13 */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO incidents (key, unit, "
	    "category, procedures, grade, worst_grade, title, opened_at, "
	    "occurred_at, updated_at, drill) VALUES ('inc-1', 'u1', 'fire', "
	    "'[\"p\"]', 2, 2, '仓库起火', 10, 9, 10, 1);"
	    "INSERT INTO obligations (id, incident, unit, procedure, name, "
	    "set_at, due_at, drill) VALUES "
	    "(1, 'inc-1', 'u1', 'p', 'first', 10, 500, 1);"
	    "INSERT INTO timers (at, kind, ref) VALUES (500, 1, 1);"
	    "INSERT INTO outbox (id, key, created_at, incident, channel, "
	    "recipient, body, status, attempts, next_at, deadline_at) VALUES "
	    "(1, 'tn_q', 10, 'inc-1', 'sms', 'zhao', '{}', 'queued', 0, 20, "
	    "900);"
	    "INSERT INTO personal_sends (incident, person, step, reason, "
	    "due_at) VALUES ('inc-1', 'zhao', 2, 'opened', 310);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(v13, NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_incident_get(s, "inc-1", &inc), 1);
	assert_string_equal(inc.title, "仓库起火");
	assert_int_equal(inc.state, INCIDENT_OPEN);
	assert_int_equal(inc.drill, 1);
	store_incident_clear(&inc);
	assert_int_equal(store_obligation_get(s, 1, &o), 1);
	assert_int_equal(o.status, OBLIGATION_PENDING);
	assert_int_equal(o.due_at, 500);
	assert_int_equal(o.drill, 1);
	store_obligation_clear(&o);
	assert_int_equal(store_timer_next(s, &tm), 1);
	assert_int_equal(tm.at, 500);
	assert_int_equal(store_messages_next_at(s, &due), 1);
	assert_int_equal(due, 20);
	assert_int_equal(store_message_get(s, 1, &m), 1);
	assert_int_equal(m.status, OUTBOX_QUEUED);
	store_message_clear(&m);
	assert_int_equal(store_personal_pending(s, "inc-1", 0, "zhao"), 1);
	assert_int_equal(store_inbox_count(s, &n), 0);
	assert_int_equal(n, 0);
	inbox_put(s, "a.json", "{}", 1000);
	inbox_list(s, 0, 10, &v);
	assert_string_equal(v.names, "a.json ");
	store_inbox_clear(&v.first);
	store_close(s);
	assert_int_equal(unit_count(v13, "PRAGMA user_version"),
	    store_schema_latest());
	assert_int_equal(store_schema_latest(), 14);
	unlink(v13);
}


/*
 * One writer per database: while a store is open, opening the same file
 * again -- even in this process -- is refused with the holder's pid.
 */
static void
test_one_writer(void **state)
{
	struct store	*s, *again;
	char		*cause = NULL, want[64], db[300];

	snprintf(db, sizeof(db), "%s/locked.db", dir);
	s = store_open(db, NULL, &cause);
	assert_non_null(s);
	again = store_open(db, NULL, &cause);
	assert_null(again);
	snprintf(want, sizeof(want), "(pid %ld,", (long)getpid());
	assert_non_null(strstr(cause, "in use by another tocsind"));
	assert_non_null(strstr(cause, want));
	free(cause);
	store_close(s);
	again = store_open(db, NULL, &cause);	/* released on close */
	assert_non_null(again);
	store_close(again);
}

static void
test_savepoint(void **state)
{
	struct store	*s = *state;

	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_savepoint(s), 0);
	add_event(s, "a", "k", "u", "{}");
	assert_int_equal(store_release(s), 0);
	assert_int_equal(store_savepoint(s), 0);
	add_event(s, "b", "k", "u", "{}");
	store_rollback_savepoint(s);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(count_events(s), 1);
	assert_int_equal(store_begin(s), 0);
	add_event(s, "c", "k", "u", "{}");
	store_rollback(s);
	assert_int_equal(count_events(s), 1);
}

static void
test_newer_schema_refused(void **state)
{
	sqlite3		*db;
	char		*cause = NULL;
	char		 newer[300];

	snprintf(newer, sizeof(newer), "%s/newer.db", dir);
	assert_int_equal(sqlite3_open(newer, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(newer, NULL, &cause));
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	unlink(newer);
}

/* Updates never; deletes only inside a prune, and only this connection. */
static void
test_timeline_prune_only(void **state)
{
	struct store		*s;
	struct store_action	 a = { 0 };
	sqlite3			*db;
	uint64_t		 rows[STORE_PRUNE__COUNT] = { 0 };
	char			*cause = NULL, *err = NULL, tl[300];

	snprintf(tl, sizeof(tl), "%s/timeline.db", dir);
	s = store_open(tl, NULL, &cause);
	assert_non_null(s);
	tell_kinds(s);
	a.at = 1;
	a.kind = "incident.opened";
	a.incident = "k";
	a.body = "{}";
	assert_int_equal(store_action_add(s, &a), 0);
	assert_int_equal(store_prune_incident(s, "k", 0, 5, rows), -1);
	assert_int_equal(unit_count(tl, "SELECT count(*) FROM timeline"), 1);

	/* Another program cannot delete at all: it lacks the function. */
	assert_int_equal(sqlite3_open(tl, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM timeline", NULL,
	    NULL, &err), SQLITE_OK);
	sqlite3_free(err);
	sqlite3_close(db);

	store_set_pruning(s, 1);
	assert_int_equal(store_prune_incident(s, "k", 0, 5, rows), 0);
	assert_int_equal(rows[STORE_PRUNE_TIMELINE], 1);
	store_set_pruning(s, 0);
	store_close(s);
	unlink(tl);
}

/* A copy of a store still open for writing, its WAL not checkpointed. */
static void
test_backup(void **state)
{
	struct store_backup_result	 res;
	struct store			*s;
	char				*cause = NULL, src[300], dst[300];
	char				 tmp[310], id[32], body[1100];
	int				 i;

	snprintf(src, sizeof(src), "%s/live.db", dir);
	snprintf(dst, sizeof(dst), "%s/copy.db", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	s = store_open(src, NULL, &cause);
	assert_non_null(s);
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	assert_int_equal(store_begin(s), 0);
	for (i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "e%d", i);
		add_event(s, id, "k", "u", body);
	}
	assert_int_equal(store_commit(s), 0);

	assert_int_equal(store_backup(src, dst, 0, &res, &cause), 0);
	assert_true(res.pages > 256);		/* more than one step */
	assert_int_equal(unit_count(dst, "SELECT count(*) FROM events"), 2000);
	assert_int_equal(access(tmp, F_OK), -1);

	/* Again over the old copy; never onto the database itself. */
	assert_int_equal(store_backup(src, dst, 1, &res, &cause), 0);
	assert_int_equal(store_backup(src, src, 0, &res, &cause), -1);
	assert_non_null(strstr(cause, "database itself"));
	free(cause);
	store_close(s);
	assert_int_equal(unit_count(src, "SELECT count(*) FROM events"), 2000);

	/* A failed copy leaves nothing under either name. */
	unlink(dst);
	assert_int_equal(store_backup("/nonexistent/x.db", dst, 0, &res,
	    &cause), -1);
	free(cause);
	assert_int_equal(access(dst, F_OK), -1);
	assert_int_equal(access(tmp, F_OK), -1);
}

/* ---- the PostgreSQL driver ------------------------------------------ */

/* A migration added to one dialect and not the other fails here. */
static void
test_pg_schema_agrees(void **state)
{
	assert_int_equal(store_pg_schema_latest(), store_schema_latest());
}

/* A password never reaches a log; a URL libpq cannot read is refused. */
static void
test_pg_describe(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "postgresql://tocsin:s3cret@db.example/tocsin",
		  "postgresql://tocsin:***@db.example/tocsin" },
		{ "postgres://tocsin@db.example/tocsin?password=s3cret&"
		  "sslmode=require",
		  "postgres://tocsin@db.example/tocsin?password=***&"
		  "sslmode=require" },
		{ "postgresql://a:b@h1,h2/db?target_session_attrs=read-write",
		  "postgresql://a:***@h1,h2/db?target_session_attrs=read-write" },
		{ "postgresql://tocsin@db.example/tocsin",
		  "postgresql://tocsin@db.example/tocsin" },
		/* Every secret key libpq reads, wherever it stands. */
		{ "postgresql://t@h/db?sslpassword=k3y&password=s3cret",
		  "postgresql://t@h/db?sslpassword=***&password=***" },
		{ "postgresql://t@h/db?password=***&password=s3cret",
		  "postgresql://t@h/db?password=***&password=***" },
		{ "postgresql://t@h/db?pass%77ord=s3cret&sslmode=require",
		  "postgresql://t@h/db?pass%77ord=***&sslmode=require" },
		{ "postgresql://t@h/db?mypassword=x&dbpassword=y",
		  "postgresql://t@h/db?mypassword=x&dbpassword=y" },
		{ "var/tocsin.db", "var/tocsin.db" },
	};
	char	*d, *cause = NULL;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = store_describe(cases[i].in);
		assert_string_equal(d, cases[i].out);
		free(d);
	}
	assert_int_equal(store_check_name("postgresql://u:s3cret@h/db", &cause),
	    0);
	assert_int_equal(store_check_name("var/x.db", &cause), 0);
	assert_int_equal(store_check_name("postgresql://u:s3cret@h/db?"
	    "nosuchoption=1", &cause), -1);
	assert_null(strstr(cause, "s3cret"));
	free(cause);
	/* libpq quotes a bad %-escape, here in the password: not shown. */
	cause = NULL;
	assert_int_equal(store_check_name("postgresql://u:s3cr%zzet@h/db",
	    &cause), -1);
	assert_null(strstr(cause, "s3cr"));
	free(cause);
	cause = NULL;
	assert_null(store_open("postgresql://u:s3cr%zzet@127.0.0.1:1/db", NULL,
	    &cause));
	assert_null(strstr(cause, "s3cr"));
	free(cause);
	cause = NULL;
	assert_int_equal(store_check_name("postgresql://u:a%zz@h/db", &cause),
	    -1);
	assert_null(strstr(cause, "a%zz"));
	free(cause);
	cause = NULL;
	assert_int_equal(store_check_name("postgresql://u:%z@h/db", &cause),
	    -1);
	assert_null(strstr(cause, "%z"));
	free(cause);
	/* A key's name is: it tells what to mend. */
	cause = NULL;
	assert_int_equal(store_check_name("postgresql://u@h/db?nosuchoption=1",
	    &cause), -1);
	assert_non_null(strstr(cause, "nosuchoption"));
	free(cause);
}

/*
 * A PostgreSQL store that would not open: out of reach for now (the
 * daemon waits for it) or wrongly configured (it exits); SQLite never
 * waits.  The causes are libpq 15's and the server's words.
 */
static void
test_pg_open_transient(void **state)
{
	static const struct {
		const char	*cause;
		int		 transient;
	} cases[] = {
		{ "postgresql://t@h/db: connection to server at \"127.0.0.1\", "
		  "port 5432 failed: Connection refused", 1 },
		{ "postgresql://t@h/db: connection to server at \"10.0.0.2\", "
		  "port 5432 failed: timeout expired", 1 },
		{ "postgresql://t@h1,h2/db: connection to server at "
		  "\"10.0.0.3\", port 5432 failed: session is read-only", 1 },
		{ "postgresql://t@h/db: connection to server at \"h\" "
		  "(10.0.0.2), port 5432 failed: FATAL:  the database system "
		  "is starting up", 1 },
		{ "postgresql://t@h/db: connection to server at \"h\", port "
		  "5432 failed: FATAL:  the database system is shutting down",
		  1 },
		{ "reading the schema version: ERROR:  cannot execute CREATE "
		  "TABLE in a read-only transaction", 1 },
		{ "postgresql://t@h/db: server closed the connection "
		  "unexpectedly", 1 },
		{ "postgresql:///db?host=/run/postgresql: connection to "
		  "server on socket \"/run/postgresql/.s.PGSQL.5432\" "
		  "failed: No such file or directory", 1 },
		{ "postgresql://t@h/db?sslrootcert=/nope: could not read "
		  "root certificate file \"/nope\": No such file or "
		  "directory", 0 },
		{ "postgresql://t:***@h/db: connection to server at \"h\", "
		  "port 5432 failed: FATAL:  password authentication failed "
		  "for user \"t\"", 0 },
		{ "postgresql://t@h/nope: connection to server at \"h\", port "
		  "5432 failed: FATAL:  database \"nope\" does not exist", 0 },
		{ "postgresql://x@h/db: connection to server at \"h\", port "
		  "5432 failed: FATAL:  role \"x\" does not exist", 0 },
		{ "postgresql://t@h/db: connection to server at \"h\", port "
		  "5432 failed: FATAL:  no pg_hba.conf entry for host "
		  "\"10.0.0.9\", user \"t\", database \"db\", no encryption",
		  0 },
		{ "database schema version 99 is newer than this tocsin "
		  "(up to 20)", 0 },
		{ "postgresql://t@nosuch.invalid/db: could not translate host "
		  "name \"nosuch.invalid\" to address: Name or service not "
		  "known", 0 },
		{ "postgresql://t@h/db: some error never heard of", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (store_open_transient("postgresql://t@h/db",
		    cases[i].cause) != cases[i].transient)
			fail_msg("store_open_transient(\"%s\") is not %d",
			    cases[i].cause, cases[i].transient);
	}
	assert_int_equal(store_open_transient("var/tocsin.db",
	    "Connection refused"), 0);
	assert_int_equal(store_open_transient("postgresql://t@h/db", NULL), 0);
}

static int	lost_calls;
static char	lost_state[8];

static void
lost_cb(const char *sqlstate, void *arg)
{
	lost_calls++;
	snprintf(lost_state, sizeof(lost_state), "%s",
	    sqlstate != NULL ? sqlstate : "none");
}

/*
 * The server ending the session (a primary shut down, 57P01; the
 * connection closed) is the store lost, not a statement that failed:
 * the hook hears of it.
 */
static void
test_pg_lost(void **state)
{
	struct store	*s = *state;

	lost_calls = 0;
	store_on_lost(lost_cb, NULL);
	assert_int_equal(store_ping(s), 0);
	assert_int_equal(pg_run("SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE application_name = 'tocsind'"), 0);
	assert_int_equal(store_ping(s), -1);
	store_on_lost(NULL, NULL);
	assert_int_equal(lost_calls, 1);
	/* libpq may or may not have read the server's last words. */
	assert_true(strcmp(lost_state, "57P01") == 0 ||
	    strcmp(lost_state, "none") == 0);
}

/*
 * The lease (docs/cluster.md): one node takes it, the other is a standby
 * that begins no transaction; once the lease is taken from under the
 * leader (here expired by hand, as if the leader had been stopped), its
 * next transaction fails at the renewal and commits nothing, and the
 * store is lost.  The local deadline passes before the lease does.
 */
static void
test_pg_lease_fenced(void **state)
{
	struct store		*a = *state, *b;
	struct store_event	 ev = { 0 };
	struct store_lease	 l;
	char			*cause = NULL;
	int64_t			 seq = 0;

	b = store_open(getenv("TOCSIN_TEST_PG"), NULL, &cause);
	assert_non_null(b);
	assert_int_equal(store_has_lease(a), 1);
	assert_int_equal(store_lease_set(a, "node-a", 1000, &cause), 0);
	assert_int_equal(store_lease_set(b, "node-b", 1000, &cause), 0);
	assert_int_equal(store_leads(a), 0);
	assert_int_equal(store_lease_take(a), 1);
	assert_int_equal(store_lease_take(b), 0);
	assert_int_equal(store_leads(a), 1);
	assert_int_equal(store_leads(b), 0);
	assert_int_equal(store_may_send(b), 0);
	assert_int_equal(store_begin(b), -1);	/* a standby writes nothing */
	assert_int_equal(store_lease_read(b, &l), 0);
	assert_string_equal(l.holder, "node-a");
	assert_int_equal(l.holder_term, 1);
	assert_int_equal(l.leader, 0);
	store_lease_clear(&l);

	/* The leader writes, each transaction renewing the lease. */
	assert_int_equal(store_begin(a), 0);
	add_event(a, "e1", "inc-1", "u", "{}");
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_may_send(a), 1);
	/* Three quarters of the period on: no send starts, until renewed. */
	usleep(800 * 1000);
	assert_int_equal(store_may_send(a), 0);
	assert_int_equal(store_leads(a), 1);
	assert_int_equal(store_lease_renew(a), 0);
	assert_int_equal(store_may_send(a), 1);

	/* The leader stalls; its lease expires; the standby takes it. */
	assert_int_equal(pg_run("UPDATE leader_lease SET expires_at = "
	    "clock_timestamp() - interval '1 second'"), 0);
	assert_int_equal(store_lease_take(b), 1);
	assert_int_equal(store_lease_read(b, &l), 0);
	assert_int_equal(l.term, 2);
	assert_string_equal(l.holder, "node-b");
	store_lease_clear(&l);

	/*
	 * The old leader wakes: its transaction begins (BEGIN and the
	 * renewal are sent, not waited for) and writes; the renewal's
	 * answer, read before the COMMIT is sent, fails it: nothing commits
	 * under term 1, and the node steps down.
	 */
	lost_calls = 0;
	store_on_lost(lost_cb, NULL);
	assert_int_equal(store_begin(a), 0);
	add_incident(a, "fenced", "u", 1, 10);
	assert_int_equal(store_commit(a), -1);
	assert_int_equal(lost_calls, 1);
	assert_int_equal(pg_run("DO $$ BEGIN IF (SELECT count(*) FROM "
	    "incidents) <> 0 THEN RAISE 'a fenced write committed'; END IF; "
	    "END $$"), 0);
	assert_int_equal(store_begin(a), -1);	/* a standby now */
	assert_string_equal(lost_state, "lease");
	assert_int_equal(store_leads(a), 0);
	assert_int_equal(store_may_send(a), 0);
	/* A lone write, outside a transaction, is fenced as well. */
	ev.id = "e2";
	ev.type = "report";
	ev.incident = "inc-1";
	ev.unit = "u";
	ev.body = "{}";
	assert_int_equal(store_event_add(a, &ev, &seq), -1);
	store_on_lost(NULL, NULL);
	assert_int_equal(pg_run("DO $$ BEGIN IF (SELECT count(*) FROM events) "
	    "<> 1 THEN RAISE 'fenced writes committed'; END IF; END $$"), 0);

	/* The new leader releases at a clean stop: the next takes at once. */
	store_lease_release(b);
	assert_int_equal(store_lease_read(b, &l), 0);
	assert_null(l.holder);
	store_close(b);
}

/* One value from the test server, as text (the caller frees it). */
static char *
pg_value(const char *sql)
{
	PGconn		*pg = PQconnectdb(getenv("TOCSIN_TEST_PG"));
	PGresult	*res = PQexec(pg, sql);
	char		*v;

	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(pg);
	return (v);
}

/* A second node on the test server; a (node-a) leads, b (node-b) not. */
static struct store *
pg_two_nodes(struct store *a)
{
	struct store	*b;
	char		*cause = NULL;

	b = store_open(getenv("TOCSIN_TEST_PG"), NULL, &cause);
	assert_non_null(b);
	assert_int_equal(store_lease_set(a, "node-a", 5000, &cause), 0);
	assert_int_equal(store_lease_set(b, "node-b", 5000, &cause), 0);
	assert_int_equal(store_lease_take(a), 1);
	return (b);
}

/*
 * A standby's one write, the spool inbox: it needs no lease and renews
 * none (the lease row is as the leader left it), and it does not wait for
 * a leader in the middle of a transaction (which holds the lease row).
 * Every other write of the standby is still refused; the leader deletes
 * the row in a transaction of its own, fenced.
 */
static void
test_pg_inbox_standby(void **state)
{
	struct store		*a = *state, *b;
	struct inbox_seen	 v = { 0 };
	char			*before, *after;
	int64_t			 n = -1;

	b = pg_two_nodes(a);
	assert_int_equal(store_lease_take(b), 0);

	before = pg_value("SELECT holder || ' ' || term || ' ' || "
	    "expires_at FROM leader_lease");
	assert_int_equal(store_begin(a), 0);	/* holds the lease row */
	inbox_put(b, "a.json", "{}", 1000);
	assert_int_equal(store_commit(a), 0);
	after = pg_value("SELECT holder || ' ' || term || ' ' || "
	    "expires_at FROM leader_lease");
	assert_string_not_equal(before, after);	/* a's commit renewed it */
	free(before);
	before = after;
	inbox_put(b, "b.json", "[]", 2000);
	after = pg_value("SELECT holder || ' ' || term || ' ' || "
	    "expires_at FROM leader_lease");
	assert_string_equal(before, after);	/* b's put did not */
	free(before);
	free(after);
	assert_int_equal(store_begin(b), -1);	/* still a standby */
	assert_int_equal(store_leads(b), 0);

	inbox_list(a, 0, 10, &v);
	assert_string_equal(v.names, "a.json b.json ");
	assert_int_equal(store_begin(a), 0);
	assert_int_equal(store_inbox_delete(a, v.ids[0]), 0);
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_inbox_count(b, &n), 0);
	assert_int_equal(n, 1);
	store_inbox_clear(&v.first);
	store_close(b);
}

/*
 * Schema 14 on PostgreSQL: a database of schema 13 with an incident and
 * its timer upgrades with both intact, and an inbox.
 */
static void
test_pg_migrate_v13_inbox(void **state)
{
	struct store		*s;
	struct store_incident	 inc;
	struct store_timer	 tm;
	struct inbox_seen	 v = { 0 };
	PGconn			*pg;
	char			*cause = NULL, *ver;

	pg = PQconnectdb(getenv("TOCSIN_TEST_PG"));
	assert_int_equal(store_pg_schema_migrate(pg, 13, &cause), 0);
	PQfinish(pg);
	assert_int_equal(pg_run("INSERT INTO incidents (key, unit, category, "
	    "procedures, grade, worst_grade, title, opened_at, occurred_at, "
	    "updated_at, drill) VALUES ('inc-1', 'u1', 'fire', '[\"p\"]', 2, "
	    "2, '仓库起火', 10, 9, 10, 1);"
	    "INSERT INTO timers (at, kind, ref) VALUES (500, 1, 1)"), 0);
	s = store_open(getenv("TOCSIN_TEST_PG"), NULL, &cause);
	assert_non_null(s);
	assert_int_equal(store_incident_get(s, "inc-1", &inc), 1);
	assert_string_equal(inc.title, "仓库起火");
	assert_int_equal(inc.drill, 1);
	store_incident_clear(&inc);
	assert_int_equal(store_timer_next(s, &tm), 1);
	assert_int_equal(tm.at, 500);
	inbox_put(s, "a.json", "{}", 1000);
	inbox_list(s, 0, 10, &v);
	assert_string_equal(v.names, "a.json ");
	store_inbox_clear(&v.first);
	store_close(s);
	ver = pg_value("SELECT max(version) FROM tocsin_schema");
	assert_int_equal(atoi(ver), 14);
	free(ver);
}

/* 0 when SQL (a DO block that raises) finds the database as it should. */
#define PG_EXPECT(cond) \
	pg_run("DO $$ BEGIN IF NOT (" cond ") THEN RAISE 'not so: %', " \
	    "$q$" cond "$q$; END IF; END $$")

/*
 * Inside a transaction a write that returns nothing is sent and not
 * waited for (store-pg.c's pipeline): its failure, read later, fails
 * the transaction: every call after it, the ROLLBACK TO of a refused
 * request included, answers -1, and the COMMIT commits nothing.
 */
static void
test_pg_deferred_error(void **state)
{
	struct store		*s = *state;
	struct store_incident	 inc = { 0 };

	inc.key = "dup";
	inc.unit = "u";
	inc.category = "fire";
	inc.procedures = "[]";
	inc.title = "A fire";
	inc.opened_at = inc.updated_at = 10;
	assert_int_equal(store_begin(s), 0);
	add_incident(s, "first", "u", 1, 10);
	assert_int_equal(store_incident_add(s, &inc), 0);
	store_incident_add(s, &inc);	/* 23505, read later */
	assert_int_equal(store_commit(s), -1);
	assert_int_equal(PG_EXPECT("(SELECT count(*) FROM incidents) = 0"),
	    0);

	/* The connection is fit for the next: a request's savepoint. */
	assert_int_equal(store_begin(s), 0);
	add_incident(s, "kept", "u", 1, 10);
	assert_int_equal(store_savepoint(s), 0);
	assert_int_equal(store_incident_add(s, &inc), 0);
	store_incident_add(s, &inc);
	/* The request is refused: its ROLLBACK TO reads the failure. */
	store_rollback_savepoint(s);
	assert_int_equal(store_savepoint(s), -1);
	assert_int_equal(store_commit(s), -1);
	assert_int_equal(PG_EXPECT("(SELECT count(*) FROM incidents) = 0"),
	    0);

	assert_int_equal(store_begin(s), 0);
	add_incident(s, "kept", "u", 1, 10);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(PG_EXPECT("(SELECT count(*) FROM incidents) = 1"),
	    0);
}

/* changes() after deferred writes: the last one's count, read first. */
static void
test_pg_deferred_changes(void **state)
{
	struct store	*s = *state;
	int64_t		 a, b, c, n = -1;

	assert_int_equal(store_begin(s), 0);
	a = add_message(s, "k1", NULL, 10);
	b = add_message(s, "k2", NULL, 10);
	c = add_message(s, "k3", NULL, 10);
	assert_int_equal(store_message_sending(s, a), 0);
	assert_int_equal(store_message_sending(s, b), 0);
	assert_int_equal(store_message_sending(s, c), 0);
	assert_int_equal(store_messages_requeue(s, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_message_sending(s, b), 0);
	assert_int_equal(store_messages_requeue(s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_messages_requeue(s, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(PG_EXPECT("(SELECT count(*) FROM outbox WHERE "
	    "status = 'queued') = 3"), 0);
}


/*
 * a leads term 1, then the lease is taken from under it (expired by
 * hand, as if a had been stopped): b, returned, leads term 2.  The lost
 * hook counts what a hears.
 */
static struct store *
pg_dethrone(struct store *a)
{
	struct store	*b = pg_two_nodes(a);

	assert_int_equal(pg_run("UPDATE leader_lease SET expires_at = "
	    "clock_timestamp() - interval '1 second'"), 0);
	assert_int_equal(store_lease_take(b), 1);
	lost_calls = 0;
	store_on_lost(lost_cb, NULL);
	return (b);
}

/* After a dead term's transaction: it stepped down, nothing committed. */
static void
pg_dethroned_wrote_nothing(struct store *a, struct store *b)
{
	store_on_lost(NULL, NULL);
	assert_int_equal(lost_calls, 1);
	assert_string_equal(lost_state, "lease");
	assert_int_equal(PG_EXPECT("(SELECT count(*) FROM incidents) = 0"),
	    0);
	assert_int_equal(store_leads(a), 0);
	assert_int_equal(store_may_send(a), 0);
	store_close(b);
}

static void
pg_incident(struct store_incident *inc, const char *key)
{
	memset(inc, 0, sizeof(*inc));
	inc->key = (char *)key;
	inc->unit = "u";
	inc->category = "fire";
	inc->procedures = "[]";
	inc->title = "A fire";
}

/*
 * A dead term's request refused (ROLLBACK TO), a write after it, the
 * RELEASE and the COMMIT: the ROLLBACK TO cannot undo the renewal's
 * failure, and nothing commits.  The return codes on the way are not
 * the point, only that no path commits.
 */
static void
test_pg_dead_term_savepoint(void **state)
{
	struct store		*a = *state, *b = pg_dethrone(a);
	struct store_incident	 inc;

	pg_incident(&inc, "x");
	assert_int_equal(store_begin(a), 0);
	store_savepoint(a);
	store_incident_add(a, &inc);
	store_rollback_savepoint(a);
	pg_incident(&inc, "y");
	store_incident_add(a, &inc);
	store_release(a);
	assert_int_equal(store_commit(a), -1);
	pg_dethroned_wrote_nothing(a, b);
}

/*
 * A dead term's transaction that leaves the pipeline mid-way (the
 * store's size, a read, a scoped read prepared and deallocated) and
 * writes after each, then a lone write once it failed: nothing commits.
 */
static void
test_pg_dead_term_unpiped(void **state)
{
	struct store		*a = *state, *b = pg_dethrone(a);
	struct store_incident	 inc;
	struct store_info	 info;
	struct store_board_counts bc;
	const char *const	 units[] = { "u" };
	struct store_units	 u = { units, 1 };

	pg_incident(&inc, "x");
	assert_int_equal(store_begin(a), 0);
	store_incident_add(a, &inc);
	store_info(a, &info);
	pg_incident(&inc, "y");
	store_incident_add(a, &inc);
	store_board_counts(a, &u, &bc);
	store_ping(a);
	pg_incident(&inc, "z");
	store_incident_add(a, &inc);
	assert_int_equal(store_commit(a), -1);
	pg_incident(&inc, "w");
	assert_int_equal(store_incident_add(a, &inc), -1);
	pg_dethroned_wrote_nothing(a, b);
}

/*
 * The local deadline moves with a renewal that committed, not with one
 * read good in a transaction that rolled back (the row is then as it
 * was, and expires as before): past the committed renewal's three
 * quarters, no send starts.  Two senders otherwise, once b takes it.
 */
static void
test_pg_renewal_rolled_back(void **state)
{
	struct store	*a = *state, *b;
	char		*cause = NULL;

	b = store_open(getenv("TOCSIN_TEST_PG"), NULL, &cause);
	assert_non_null(b);
	assert_int_equal(store_lease_set(a, "node-a", 600, &cause), 0);
	assert_int_equal(store_lease_set(b, "node-b", 600, &cause), 0);
	assert_int_equal(store_lease_take(a), 1);	/* no send after 450 ms */
	usleep(300 * 1000);
	assert_int_equal(store_begin(a), 0);
	assert_int_equal(store_ping(a), 0);	/* the renewal read: ours */
	store_rollback(a);			/* and undone */
	usleep(200 * 1000);
	assert_int_equal(store_may_send(a), 0);
	assert_int_equal(store_leads(a), 1);	/* until it renews */

	/* A renewal that commits moves it. */
	assert_int_equal(store_begin(a), 0);
	assert_int_equal(store_ping(a), 0);
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_may_send(a), 1);
	store_close(b);
}

/*
 * In a write transaction a new row's id comes from a block of its
 * sequence fetched ahead (store-pg.c): ids still grow in the order rows
 * commit, past a block's end and past a rollback, and each term fetches
 * anew -- a node that leads again must not write ids below the ones the
 * leader between used.
 */
static void
test_pg_ids_in_blocks(void **state)
{
	struct store	*a = *state, *b;
	char		 name[16];
	int64_t		 first, last, seq, b_seq;
	int		 i;

	assert_int_equal(store_begin(a), 0);
	first = last = add_event(a, "e0", "inc-1", "u", "{}");
	for (i = 1; i < 530; i++) {		/* past one block (512) */
		snprintf(name, sizeof(name), "e%d", i);
		seq = add_event(a, name, "inc-1", "u", "{}");
		assert_true(seq > last);
		last = seq;
	}
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(PG_EXPECT("(SELECT count(*) = 530 AND "
	    "count(DISTINCT seq) = 530 FROM events)"), 0);
	assert_int_equal(PG_EXPECT("(SELECT min(seq) FROM events) > 0"), 0);

	/* Ids a rollback took are not taken again; the next are higher. */
	assert_int_equal(store_begin(a), 0);
	seq = add_event(a, "gone", "inc-1", "u", "{}");
	assert_true(seq > last);
	store_rollback(a);
	assert_int_equal(store_begin(a), 0);
	last = add_event(a, "after", "inc-1", "u", "{}");
	assert_true(last > seq);
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(PG_EXPECT("(SELECT count(*) = 531 FROM events)"), 0);
	(void)first;

	/* Leaders by turns: each term's ids above the last term's. */
	b = pg_two_nodes(a);
	assert_int_equal(store_begin(a), 0);
	last = add_event(a, "a1", "inc-1", "u", "{}");
	assert_int_equal(store_commit(a), 0);
	store_lease_release(a);
	assert_int_equal(store_lease_take(b), 1);
	assert_int_equal(store_begin(b), 0);
	b_seq = add_event(b, "b1", "inc-1", "u", "{}");
	assert_true(b_seq > last);
	assert_int_equal(store_commit(b), 0);
	store_lease_release(b);
	assert_int_equal(store_lease_take(a), 1);
	assert_int_equal(store_begin(a), 0);
	seq = add_event(a, "a2", "inc-1", "u", "{}");
	assert_true(seq > b_seq);	/* not the rest of term 1's block */
	assert_int_equal(store_commit(a), 0);
	store_lease_release(a);
	store_close(b);
}

/*
 * An answer read ahead is not read again: an incident another session
 * changes after the read-ahead is still seen as the batch found it, and
 * as it is once the transaction ends.
 */
static void
test_pg_read_ahead_answers_from_memory(void **state)
{
	struct store		*s = *state;
	const struct store_event_ask ask = { "u", NULL, "k1" };
	struct store_event	 ev;
	struct store_incident	 inc;

	add_incident(s, "k1", "u", 1, 100);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_events_read_ahead(s, &ask, 1), 0);
	assert_int_equal(pg_run("UPDATE incidents SET title = 'changed' "
	    "WHERE key = 'k1'"), 0);
	assert_int_equal(store_event_find_with_incident(s, "u", NULL, "k1",
	    &ev, &inc), 0);
	assert_string_equal(inc.title, "A fire");
	store_incident_clear(&inc);
	store_event_clear(&ev);
	store_rollback(s);
	assert_int_equal(store_event_find_with_incident(s, "u", NULL, "k1",
	    &ev, &inc), 0);
	assert_string_equal(inc.title, "changed");
	store_incident_clear(&inc);
	store_event_clear(&ev);
}

/*
 * What waits unsynced in libpq must not have reached the server: libpq
 * sends on its own once it holds 8 kB, and a server left mid-message
 * arms no idle_in_transaction_session_timeout (a stopped leader would
 * hold the lease's row for ever).  With about 9 kB of writes queued after
 * a wait, the server has answered a Sync: idle in the transaction.
 */
static void
test_pg_unsynced_never_sent(void **state)
{
	struct store	*s = *state;
	char		 body[1024], name[16], *st = NULL;
	int		 i;

	memset(body, 'x', sizeof(body));
	memcpy(body, "{\"pad\":\"", 8);
	memcpy(body + sizeof(body) - 3, "\"}", 3);
	assert_int_equal(store_begin(s), 0);
	add_event(s, "first", "inc-1", "u", "{}");	/* its id block: a wait */
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "pad%d", i);
		add_event(s, name, "inc-1", "u", body);
	}
	for (i = 0; i < 100; i++) {	/* as the server gets to them */
		free(st);
		st = pg_value("SELECT coalesce((SELECT state FROM "
		    "pg_stat_activity WHERE pid <> pg_backend_pid() AND "
		    "datname = current_database() AND backend_xid IS NOT "
		    "NULL), 'none')");
		if (strcmp(st, "idle in transaction") == 0)
			break;
		usleep(50 * 1000);
	}
	assert_string_equal(st, "idle in transaction");
	free(st);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(PG_EXPECT("(SELECT count(*) = 10 FROM events)"), 0);
}

/*
 * Statements go down the pipeline with a Sync only at a wait, or past
 * STORE_PG_UNSYNCED_MAX bytes (before libpq would send them on its
 * own): large rows among small ones, each answered in its place.
 */
static void
test_pg_large_rows_piped(void **state)
{
	struct store	*s = *state;
	char		*body, name[16];
	size_t		 len = 40 * 1024;
	int		 i;

	body = malloc(len + 1);
	assert_non_null(body);
	memset(body, ' ', len);
	memcpy(body, "{\"pad\":\"", 8);
	body[len - 2] = '"';
	body[len - 1] = '}';
	body[len] = '\0';
	assert_int_equal(store_begin(s), 0);
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "big%d", i);
		add_event(s, name, "inc-1", "u", i % 3 == 1 ? body : "{}");
		add_incident(s, name, "u", 1, 10);
	}
	assert_int_equal(store_commit(s), 0);
	free(body);
	assert_int_equal(PG_EXPECT("(SELECT count(*) = 9 FROM events) AND "
	    "(SELECT count(*) = 9 FROM incidents) AND (SELECT count(*) = 3 "
	    "FROM events WHERE length(body) = 40960)"), 0);
}

/* A database of a newer schema is refused, as SQLite's is. */
static void
test_pg_newer_schema_refused(void **state)
{
	char	*cause = NULL;

	store_close(*state);
	*state = NULL;
	assert_int_equal(pg_run("UPDATE tocsin_schema SET version = 999"), 0);
	assert_null(store_open(getenv("TOCSIN_TEST_PG"), NULL, &cause));
	assert_non_null(strstr(cause, "newer"));
	free(cause);
}

/* The timeline gives up rows to a prune only, here through plpgsql. */
static void
test_pg_timeline_prune_only(void **state)
{
	struct store		*s = *state;
	struct store_action	 a = { 0 };
	uint64_t		 rows[STORE_PRUNE__COUNT] = { 0 };

	tell_kinds(s);
	a.at = 1;
	a.kind = "incident.opened";
	a.incident = "k";
	a.body = "{}";
	assert_int_equal(store_action_add(s, &a), 0);
	assert_int_equal(store_prune_incident(s, "k", 0, 5, rows), -1);
	assert_int_equal(pg_run("DELETE FROM timeline"), -1);
	assert_int_equal(pg_run("UPDATE timeline SET body = '[]'"), -1);
	store_set_pruning(s, 1);
	assert_int_equal(store_prune_incident(s, "k", 0, 5, rows), 0);
	assert_int_equal(rows[STORE_PRUNE_TIMELINE], 1);
	store_set_pruning(s, 0);
}

/* The whole of a file, for comparing before and after (to free). */
static char *
slurp(const char *file, size_t *len)
{
	FILE	*f = fopen(file, "rb");
	char	*buf;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return (buf);
}

/* The target of tocsinctl migrate: the test server with nothing in it. */
static int
empty_pg(void **state)
{
	*state = NULL;
	return (pg_run("SET client_min_messages = warning; DROP SCHEMA public "
	    "CASCADE; CREATE SCHEMA public"));
}

/*
 * tocsinctl migrate from a file of schema version 7: upgraded in a copy
 * (the file unchanged), every table copied and found equal, incidents'
 * order (SQLite's rowid) kept as incidents.seq, identities past the
 * highest id ever handed out (timer 9 was deleted), odd text intact; a
 * second run refused, the target no longer empty.
 */
static void
test_pg_migrate_v7(void **state)
{
	struct store_migrate_result	 res;
	struct store			*s;
	sqlite3				*db;
	PGconn				*pg;
	PGresult			*r;
	char				*cause = NULL, v7[300], *before, *after;
	size_t				 i, n, m;

	snprintf(v7, sizeof(v7), "%s/migrate-v7.db", dir);
	unlink(v7);
	assert_int_equal(sqlite3_open(v7, &db), SQLITE_OK);
	assert_int_equal(store_schema_migrate_to(db, 7, &cause), 0);
	assert_int_equal(sqlite3_exec(db,
	    "INSERT INTO timers (id, at, kind, ref) VALUES (1, 100, 1, 7), "
	    "(2, 200, 4, 8), (9, 50, 5, 9); DELETE FROM timers WHERE id = 9;"
	    "INSERT INTO incidents (key, unit, opened_at, occurred_at, "
	    "updated_at, title) VALUES ('b', 'u', 1, 1, 1, '二'), "
	    "('a', 'u', 2, 2, 2, NULL);"
	    "INSERT INTO events (seq, id, type, incident, unit, received_at, "
	    "occurred_at, body) VALUES (3, 'e1', 'report', 'b', 'u', 1, 1, "
	    "'{\"s\":\"tab\there\\\\ and\nline 中文\"}');"
	    "INSERT INTO timeline (at, kind, incident, body) VALUES "
	    "(1, 'incident.opened', 'b', '{}');",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	before = slurp(v7, &n);

	assert_int_equal(store_migrate(v7, getenv("TOCSIN_TEST_PG"), &res,
	    &cause), 0);
	assert_int_equal(res.from_version, 7);
	assert_int_equal(res.version, store_schema_latest());
	assert_int_equal(res.mismatches, 0);
	for (i = 0; i < res.ntables; i++) {
		assert_int_equal(res.tables[i].rows, res.tables[i].rows_pg);
		if (strcmp(res.tables[i].name, "timers") == 0) {
			assert_int_equal(res.tables[i].rows, 2);
			assert_int_equal(res.tables[i].next_id, 10);
		}
	}
	store_migrate_result_free(&res);
	after = slurp(v7, &m);
	assert_int_equal(n, m);
	assert_memory_equal(before, after, n);
	free(after);

	pg = PQconnectdb(getenv("TOCSIN_TEST_PG"));
	r = PQexec(pg, "SELECT string_agg(key || seq, ',' ORDER BY seq), "
	    "(SELECT body FROM events) FROM incidents");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "b1,a2");
	assert_string_equal(PQgetvalue(r, 0, 1),
	    "{\"s\":\"tab\there\\\\ and\nline 中文\"}");
	PQclear(r);
	PQfinish(pg);

	s = store_open(getenv("TOCSIN_TEST_PG"), NULL, &cause);
	assert_non_null(s);
	assert_int_equal(add_timer(s, 10, 1, 1), 10);
	assert_int_equal(add_event(s, "e2", "b", "u", "{}"), 4);
	store_close(s);

	assert_int_equal(store_migrate(v7, getenv("TOCSIN_TEST_PG"), &res,
	    &cause), -1);
	assert_non_null(strstr(cause, "not empty"));
	free(cause);
	store_migrate_result_free(&res);
	after = slurp(v7, &m);
	assert_memory_equal(before, after, n);
	free(after);
	free(before);
	unlink(v7);
}

/*
 * The statistics counted a slice at a time (stats-read.c) are the table
 * the whole months' queries give (what GET /v1/stats read before): with
 * slices of 1 to 4 rows over five obligations and five incidents
 * sharing the last millisecond of February and five the first of March
 * in China time, incidents stored out of time order, rows outside the
 * months, every status, and for a token of some units.
 */
static void
stats_incident(struct store *s, const char *key, const char *unit,
    int64_t opened, int64_t occurred)
{
	struct store_incident	inc = { 0 };

	inc.key = (char *)key;
	inc.unit = (char *)unit;
	inc.category = "fire";
	inc.procedures = "[]";
	inc.opened_at = inc.updated_at = opened;
	inc.occurred_at = occurred;
	assert_int_equal(store_incident_add(s, &inc), 0);
}

struct stats_oneshot {
	struct stats	*st;
	int		 month;
};

static int
stats_oneshot_ledger(const char *unit, enum obligation_status status,
    int64_t n, void *arg)
{
	struct stats_oneshot	*o = arg;

	stats_add(o->st, unit, o->month, status, n);
	return (0);
}

static int
stats_oneshot_reports(const char *unit, int64_t n, int64_t slow, void *arg)
{
	struct stats_oneshot	*o = arg;

	stats_add_reports(o->st, unit, o->month, n, slow);
	return (0);
}

/* The table as GET /v1/stats read it before: each month whole. */
static struct stats *
stats_oneshot(struct store *s, const struct store_units *u, int64_t slow)
{
	struct stats_oneshot	o = { stats_new(2026, 2, 3), 0 };
	int64_t			start, end;

	for (o.month = 0; o.month < 3; o.month++) {
		start = calendar_local_midnight(2026, 2 + o.month, 1);
		end = calendar_local_midnight(2026, 3 + o.month, 1);
		assert_int_equal(store_ledger_counts(s, start, end, u,
		    STORE_DRILL_EXCLUDE, 1000,
		    stats_oneshot_ledger, &o), 0);
		assert_int_equal(store_report_counts(s, start, end, slow, u,
		    1000, stats_oneshot_reports, &o), 0);
	}
	return (o.st);
}

static void
stats_same(const struct stats *a, const struct stats *b)
{
	size_t	i;
	int	m;

	assert_int_equal(stats_units(a), stats_units(b));
	for (i = 0; i < stats_units(a); i++)
		assert_string_equal(stats_unit(a, i), stats_unit(b, i));
	for (m = -1; m < stats_months(a); m++) {
		assert_memory_equal(stats_get(a, SIZE_MAX, m),
		    stats_get(b, SIZE_MAX, m), sizeof(struct stats_counts));
		for (i = 0; i < stats_units(a); i++)
			assert_memory_equal(stats_get(a, i, m), stats_get(b,
			    i, m), sizeof(struct stats_counts));
	}
}

static void
test_stats_slices(void **state)
{
	static const char *const	 kept[] = { "a", "c" };
	static const enum obligation_status sts[] = { OBLIGATION_MET,
	    OBLIGATION_LATE, OBLIGATION_MISSED, OBLIGATION_BREACHED,
	    OBLIGATION_PENDING, OBLIGATION_CANCELLED };
	static const char *const	 units[] = { "a", "b", "c" };
	const struct store_units	 some = { kept, 2 }, *scopes[] = { NULL,
					    &some };
	struct store			*s = *state;
	struct stats			*one;
	struct stats_read		*rd;
	int64_t				 feb, mar, may, slow = 3600000, id;
	int64_t				 due[16];
	char				 key[32], *cause = NULL;
	int				 i, n, rc, turns;
	size_t				 sc;

	assert_int_equal(calendar_set_zone("Asia/Shanghai", &cause), 0);
	feb = calendar_local_midnight(2026, 2, 1);
	mar = calendar_local_midnight(2026, 3, 1);
	may = calendar_local_midnight(2026, 5, 1);
	/* 2026-03-01 00:00 in China is 2026-02-28 16:00 UTC. */
	assert_int_equal(mar, 1772294400000LL);
	for (i = 0; i < 16; i++)	/* five share a ms each side of 03-01 */
		due[i] = i < 3 ? feb - 1 + (i == 2 ? 6 : i) : i < 8 ? mar - 1 :
		    i < 13 ? mar : i == 13 ? mar + 86400000 : i == 14 ?
		    may - 1 : may;
	for (i = 0; i < (int)nitems(due); i++) {
		id = add_obligation(s, NULL, units[i % 3], due[i]);
		assert_int_equal(store_obligation_set_status(s, id,
		    sts[i % nitems(sts)], due[i], 0), 0);
	}
	for (i = (int)nitems(due) - 1; i >= 0; i--) {	/* newest stored first */
		snprintf(key, sizeof(key), "inc-%d", i);
		stats_incident(s, key, units[(i + 1) % 3], due[i], i % 2 ?
		    due[i] - slow - 1 : due[i] - slow);
	}
	for (sc = 0; sc < nitems(scopes); sc++) {
		one = stats_oneshot(s, scopes[sc], slow);
		assert_true(stats_get(one, SIZE_MAX, -1)->incidents > 0);
		for (n = 1; n <= 5; n++) {
			rd = stats_read_new(s, scopes[sc], 2026, 2, 3, slow);
			assert_non_null(rd);
			turns = 0;
			while ((rc = stats_read_step(rd, n == 5 ? 1000 : n)) == 0)
				turns++;
			assert_int_equal(rc, 1);
			if (n == 1)
				assert_true(turns > 16);	/* sliced */
			stats_same(one, stats_read_stats(rd));
			stats_read_free(rd);
		}
		stats_free(one);
	}
}

#define BOTH(t) \
	cmocka_unit_test_setup_teardown(t, open_memory, close_store), \
	cmocka_unit_test_setup_teardown(t, open_file, close_store), \
	cmocka_unit_test_setup_teardown(t, open_pg, close_store)
#define PG(t) \
	cmocka_unit_test_setup_teardown(t, open_pg, close_store)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		BOTH(test_events),
		BOTH(test_incidents),
		BOTH(test_incidents_page),
		BOTH(test_obligations),
		BOTH(test_ledger_page),
		BOTH(test_ledger_slices),
		BOTH(test_ledger_drills),
		BOTH(test_stats_slices),
		BOTH(test_recurring),
		BOTH(test_escalations),
		BOTH(test_personal_sends),
		BOTH(test_timers),
		BOTH(test_timeline),
		BOTH(test_read_ahead),
		BOTH(test_read_ahead_writers),
		BOTH(test_outbox),
		BOTH(test_outbox_due_pages),
		BOTH(test_outbox_page),
		BOTH(test_ack_links),
		BOTH(test_prune),
		BOTH(test_board),
		BOTH(test_board_row),
		BOTH(test_duties),
		BOTH(test_savepoint),
		BOTH(test_spool_inbox),
		cmocka_unit_test(test_migrate_and_reopen),
		cmocka_unit_test(test_migrate_v6_timers),
		cmocka_unit_test(test_migrate_v7_receipts),
		cmocka_unit_test(test_migrate_v8_replies),
		cmocka_unit_test(test_migrate_v9_clocks),
		cmocka_unit_test(test_migrate_v10_series),
		cmocka_unit_test(test_migrate_v11_personal),
		cmocka_unit_test(test_migrate_v12_drills),
		cmocka_unit_test(test_migrate_v13_inbox),
		cmocka_unit_test(test_one_writer),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_timeline_prune_only),
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_pg_schema_agrees),
		cmocka_unit_test(test_pg_describe),
		cmocka_unit_test(test_pg_open_transient),
		PG(test_pg_lost),
		PG(test_pg_lease_fenced),
		PG(test_pg_inbox_standby),
		PG(test_pg_deferred_error),
		PG(test_pg_deferred_changes),
		PG(test_pg_dead_term_savepoint),
		PG(test_pg_dead_term_unpiped),
		PG(test_pg_renewal_rolled_back),
		PG(test_pg_ids_in_blocks),
		PG(test_pg_read_ahead_answers_from_memory),
		PG(test_pg_large_rows_piped),
		PG(test_pg_unsynced_never_sent),
		PG(test_pg_newer_schema_refused),
		PG(test_pg_timeline_prune_only),
		cmocka_unit_test_setup(test_pg_migrate_v7, empty_pg),
		cmocka_unit_test_setup(test_pg_migrate_v13_inbox, empty_pg),
	};
	struct CMUnitTest	run[sizeof(tests) / sizeof(tests[0])];
	size_t			i, n = 0;
	char			cmd[512];
	int			rc;

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	/* Without a server, the tests on PostgreSQL are left out. */
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if ((tests[i].setup_func != open_pg &&
		    tests[i].setup_func != empty_pg) ||
		    getenv("TOCSIN_TEST_PG") != NULL)
			run[n++] = tests[i];
	}
	rc = _cmocka_run_group_tests("test_store", run, n, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return (rc);
}
