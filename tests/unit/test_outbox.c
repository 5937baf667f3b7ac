/*
 * The outbox's commits that fail (outbox.c).  A delivery's result is
 * written by the next flush, kept when that commit fails and written by
 * the one after, and given up on -- its row left "sending" for the next
 * start -- rather than failing every flush after it.  A batch whose
 * "sending" mark fails stays queued and gives back its channels' places
 * and rate slots.  A real engine, outbox, event loop and SQLite file; the
 * log channel, whose driver finishes inside the send; a trigger put on a
 * table from a second connection is what makes a commit fail.
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
#include <event2/event.h>
#include <jansson.h>
#include <sqlite3.h>

#include "clock.h"
#include "engine.h"
#include "httpc.h"
#include "outbox.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "unit.h"

#define T0	1772413200000LL		/* 2026-03-02T09:00:00+08:00 */

static const char *site_text =
"site { timezone = 'Asia/Shanghai' }\n"
"channel 'log' { kind = 'log' }\n"
"channel 'slow' { kind = 'log', rate = '2/1m' }\n"
"person 'zhao' { name = '赵一', roles = { 'duty' }, channels = { 'log' } }\n"
"person 'qian' { name = '钱二', roles = { 'duty' }, channels = { 'slow' } }\n"
"group 'office' { members = { 'zhao' } }\n"
"group 'night' { members = { 'qian' } }\n"
"procedure 'fire' { match = { category = 'fire' },\n"
"  on_open = { notify = { 'office' } } }\n"
"procedure 'flood' { match = { category = 'flood' },\n"
"  on_open = { notify = { 'night' } } }\n";

struct fixture {
	char			 db[64];
	struct event_base	*base;
	struct rules		*rules;
	struct store		*store;
	struct engine		*engine;
	struct httpc		*httpc;
	struct outbox		*outbox;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		*cause = NULL;

	assert_non_null(f);
	snprintf(f->db, sizeof(f->db), "/tmp/tocsin-outbox-XXXXXX");
	assert_non_null(mkdtemp(f->db));
	strcat(f->db, "/db");		/* 25 + 3 and a NUL, of 64 */
	clock_set_virtual(T0);
	assert_non_null(f->base = event_base_new());
	assert_int_equal(event_base_priority_init(f->base, EVENT_PRIORITIES),
	    0);
	f->rules = unit_load_ok(site_text);
	assert_non_null(f->store = store_open(f->db, "NORMAL", &cause));
	f->engine = engine_new(f->store, f->rules);
	f->httpc = httpc_new(f->base);
	f->outbox = outbox_new(f->base, f->store, f->httpc, f->engine,
	    f->rules);
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 path[80];

	outbox_free(f->outbox);
	httpc_free(f->httpc);
	engine_free(f->engine);
	store_close(f->store);
	rules_free(f->rules);
	event_base_free(f->base);
	snprintf(path, sizeof(path), "%s-wal", f->db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", f->db);
	unlink(path);
	unlink(f->db);
	*strrchr(f->db, '/') = '\0';
	rmdir(f->db);
	free(f);
	return (0);
}

/* SQL on the database from a connection of its own. */
static void
outside(struct fixture *f, const char *sql)
{
	sqlite3	*db;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t	with_status(struct fixture *, enum outbox_status);

/*
 * Incident key of category (fire: to the office on the log channel;
 * flood: to the night on the one limited to two messages a minute) opened
 * and committed: its notification queued.
 */
static void
open_one(struct fixture *f, const char *key, const char *category)
{
	struct record_error	 err;
	struct engine_result	 res;
	struct record		*rec;
	json_t			*json;

	json = json_pack("{s:s, s:s, s:s, s:s, s:i}", "type", "report",
	    "incident", key, "unit", "u1", "category", category, "grade", 3);
	assert_non_null(json);
	assert_non_null(rec = record_parse(json, clock_now(), &err));
	json_decref(json);
	assert_int_equal(engine_begin(f->engine), 0);
	assert_int_equal(engine_request_begin(f->engine), 0);
	assert_int_equal(engine_submit(f->engine, rec, NULL, &res, &err), 0);
	engine_request_end(f->engine, 1);
	assert_int_equal(engine_commit(f->engine, NULL), 0);
	record_free(rec);
}

/* One turn of the loop with a scan in it. */
static void
scan(struct fixture *f)
{
	outbox_kick(f->outbox);
	assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
}

/*
 * One fire opened: its notification to the office committed, then taken
 * by the outbox's scan (one turn of the loop) and sent; its result waits
 * for a flush.
 */
static void
open_fire(struct fixture *f)
{
	open_one(f, "fire-1", "fire");
	assert_int_equal(with_status(f, OUTBOX_QUEUED), 1);
	scan(f);
	assert_int_equal(with_status(f, OUTBOX_SENDING), 1);
}

static int64_t
with_status(struct fixture *f, enum outbox_status status)
{
	int64_t	counts[OUTBOX__COUNT] = { 0 };

	assert_int_equal(store_messages_count(f->store, counts), 0);
	return (counts[status]);
}

static const char *refuse_attempts =
    "CREATE TRIGGER refuse BEFORE INSERT ON attempts "
    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END";

/* The log channel's result, written by the flush. */
static void
test_result_written_by_the_flush(void **state)
{
	struct fixture	*f = *state;

	open_fire(f);
	assert_int_equal(with_status(f, OUTBOX_QUEUED), 0);
	assert_int_equal(outbox_flush(f->outbox), 0);
	assert_int_equal(with_status(f, OUTBOX_DELIVERED), 1);
	assert_int_equal(unit_count(f->db, "SELECT count(*) FROM attempts "
	    "WHERE result = 'delivered'"), 1);
	assert_int_equal(outbox_stats(f->outbox)->delivered, 1);
}

/* A flush whose commit fails keeps the result for the next, counted once. */
static void
test_failed_commit_keeps_the_result(void **state)
{
	struct fixture	*f = *state;

	open_fire(f);
	outside(f, refuse_attempts);
	assert_int_equal(outbox_flush(f->outbox), -1);
	assert_int_equal(with_status(f, OUTBOX_SENDING), 1);
	outside(f, "DROP TRIGGER refuse");
	assert_int_equal(outbox_flush(f->outbox), 0);
	assert_int_equal(with_status(f, OUTBOX_DELIVERED), 1);
	assert_int_equal(with_status(f, OUTBOX_SENDING), 0);
	assert_int_equal(unit_count(f->db, "SELECT count(*) FROM attempts"),
	    1);
	assert_int_equal(outbox_stats(f->outbox)->delivered, 1);
}

/*
 * A result that cannot be written fails a few flushes, not all of them:
 * then it is given up on, its row left sending for the next start.
 */
static void
test_unwritable_result_is_given_up(void **state)
{
	struct fixture	*f = *state;
	int		 i, failed = 0;

	open_fire(f);
	outside(f, refuse_attempts);
	for (i = 0; i < 10; i++)
		failed += outbox_flush(f->outbox) != 0;
	assert_int_equal(failed, 3);
	assert_int_equal(with_status(f, OUTBOX_SENDING), 1);
	outside(f, "DROP TRIGGER refuse");
	assert_int_equal(outbox_flush(f->outbox), 0);	/* nothing left */
	assert_int_equal(with_status(f, OUTBOX_SENDING), 1);
	assert_int_equal(unit_count(f->db, "SELECT count(*) FROM attempts"),
	    0);
}

/*
 * A batch whose mark cannot commit stays queued, and gives back what it
 * took: its channel's place and its rate slot, so that a channel allowed
 * two messages a minute, one of them sent, sends the second at the next
 * scan -- and not a third.  The clock stands still: the same minute.
 */
static void
test_unmarked_batch_gives_its_rate_slot_back(void **state)
{
	struct fixture	*f = *state;

	open_one(f, "flood-0", "flood");
	scan(f);
	assert_int_equal(outbox_flush(f->outbox), 0);
	assert_int_equal(with_status(f, OUTBOX_DELIVERED), 1);

	open_one(f, "flood-1", "flood");
	open_one(f, "flood-2", "flood");
	outside(f, "CREATE TRIGGER refuse BEFORE UPDATE ON outbox "
	    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
	scan(f);
	assert_int_equal(with_status(f, OUTBOX_QUEUED), 2);
	assert_int_equal(outbox_stats(f->outbox)->attempts, 1);

	outside(f, "DROP TRIGGER refuse");
	scan(f);
	assert_int_equal(with_status(f, OUTBOX_SENDING), 1);
	assert_int_equal(with_status(f, OUTBOX_QUEUED), 1);
	assert_int_equal(outbox_stats(f->outbox)->attempts, 2);
	assert_int_equal(unit_count(f->db, "SELECT count(*) FROM outbox "
	    "WHERE status = 'sending' AND incident = 'flood-1'"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_result_written_by_the_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_commit_keeps_the_result, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unwritable_result_is_given_up, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unmarked_batch_gives_its_rate_slot_back, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, unit_setup, unit_teardown));
}
