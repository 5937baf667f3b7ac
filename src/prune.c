/*
 * Retention of closed incidents (POST /v1/admin/prune, `tocsinctl prune`).
 * Deleting is a write, so it runs here, on the daemon's one writer
 * connection, and never in another process.  It runs as a job on the loop:
 * each batch is one short transaction of at most PRUNE_BATCH incidents,
 * then the job re-arms a zero timer with its cursor, so ingest, timers and
 * the outbox get the loop between batches (OpenSMTPD offline_scan).
 *
 * The cursor is (resolved_at, key) of the last incident looked at, so a
 * dry run — which rolls each batch back — and incidents skipped because
 * their outbox still works both move on.  The audit log records the prune
 * itself: prune.started in the first batch's transaction, prune.finished
 * with the totals in the last one.  What goes with each incident, table by
 * table, is the store's (store_prune_incident).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "calendar.h"
#include "clock.h"
#include "log.h"
#include "prune.h"
#include "store.h"
#include "timeline.h"
#include "tocsin.h"
#include "xmalloc.h"

#define PRUNE_BATCH	200	/* incidents per transaction */

enum prune_state { PRUNE_IDLE, PRUNE_RUNNING, PRUNE_DONE, PRUNE_FAILED };
static const char *prune_state_names[] = { "idle", "running", "done",
    "failed" };

struct prune_counts {
	uint64_t	 incidents;
	uint64_t	 skipped;	/* their outbox is still at work */
	uint64_t	 rows[STORE_PRUNE__COUNT];	/* by table */
};

struct prune {
	struct store		*store;
	struct event		*ev;
	enum prune_state	 state;
	int64_t			 before;
	int			 dry_run;
	int			 drop_ledger;
	char			*by;
	char			*token;
	int64_t			 started_at;
	int64_t			 finished_at;
	uint64_t		 batches;
	int64_t			 cursor_at;
	char			*cursor_key;
	struct prune_counts	 total;
	char			*error;
	prune_done_cb		 done;
	void			*done_arg;
};

static void	prune_batch_cb(evutil_socket_t, short, void *);

struct prune *
prune_new(struct event_base *base, struct store *store)
{
	struct prune	*p;

	p = xcalloc(1, sizeof(*p));
	p->store = store;
	p->ev = evtimer_new(base, prune_batch_cb, p);
	event_priority_set(p->ev, EVENT_PRIORITY_WORK);
	return (p);
}

/* A waiter still waiting hears of the job as it stands. */
void
prune_free(struct prune *p)
{
	prune_done_cb	cb;

	if (p == NULL)
		return;
	if ((cb = p->done) != NULL) {
		p->done = NULL;
		cb(p->done_arg);
	}
	event_free(p->ev);
	free(p->by);
	free(p->token);
	free(p->cursor_key);
	free(p->error);
	free(p);
}

static void
prune_arm(struct prune *p)
{
	struct timeval	now = { 0, 0 };

	evtimer_add(p->ev, &now);
}

/* Start a job; -1 when one is already running. */
int
prune_start(struct prune *p, const struct prune_request *req)
{
	char	before[CALENDAR_TIME_MAX];

	if (p->state == PRUNE_RUNNING)
		return (-1);
	free(p->by);
	free(p->token);
	free(p->cursor_key);
	free(p->error);
	memset(&p->total, 0, sizeof(p->total));
	p->state = PRUNE_RUNNING;
	p->before = req->before;
	p->dry_run = req->dry_run;
	p->drop_ledger = req->drop_ledger;
	p->by = req->by != NULL ? xstrdup(req->by) : NULL;
	p->token = req->token != NULL ? xstrdup(req->token) : NULL;
	p->started_at = clock_now();
	p->finished_at = 0;
	p->batches = 0;
	p->cursor_at = INT64_MIN;
	p->cursor_key = xstrdup("");
	p->error = NULL;
	calendar_format(p->before, before, sizeof(before));
	log_info("prune: started before=%s dry_run=%d ledger=%s by=%s "
	    "token=%s", before, p->dry_run, p->drop_ledger ?
	    "dropped" : "kept", p->by != NULL ? p->by : "-",
	    p->token != NULL ? p->token : "-");
	prune_arm(p);
	return (0);
}

/* Who is told when the job ends (one waiter; NULL forgets it). */
void
prune_set_done(struct prune *p, prune_done_cb cb, void *arg)
{
	p->done = cb;
	p->done_arg = arg;
}

int
prune_running(const struct prune *p)
{
	return (p->state == PRUNE_RUNNING);
}

int
prune_failed(const struct prune *p)
{
	return (p->state == PRUNE_FAILED);
}

static json_t *
prune_time(int64_t t)
{
	char	buf[CALENDAR_TIME_MAX];

	if (t == 0)
		return (json_null());
	calendar_format(t, buf, sizeof(buf));
	return (json_string(buf));
}

static json_t *
prune_counts_json(const struct prune_counts *c)
{
	json_t	*rows = json_object();
	size_t	 i;

	for (i = 0; i < STORE_PRUNE__COUNT; i++)
		json_object_set_new(rows, store_prune_table_name(i),
		    json_integer((json_int_t)c->rows[i]));
	return (rows);
}

/* The job: running, or how the last one ended; NULL if none ever ran. */
json_t *
prune_json(const struct prune *p)
{
	if (p->state == PRUNE_IDLE)
		return (NULL);
	return (json_pack("{s:s, s:o, s:b, s:s, s:o, s:o, s:o, s:o, s:I, "
	    "s:I, s:I, s:o, s:o}",
	    "state", prune_state_names[p->state],
	    "before", prune_time(p->before),
	    "dry_run", p->dry_run,
	    "ledger", p->drop_ledger ? "dropped" : "kept",
	    "by", p->by != NULL ? json_string(p->by) : json_null(),
	    "token", p->token != NULL ? json_string(p->token) : json_null(),
	    "started_at", prune_time(p->started_at),
	    "finished_at", prune_time(p->finished_at),
	    "batches", (json_int_t)p->batches,
	    "incidents", (json_int_t)p->total.incidents,
	    "skipped", (json_int_t)p->total.skipped,
	    "rows", prune_counts_json(&p->total),
	    "error", p->error != NULL ? json_string(p->error) : json_null()));
}

/* prune.started / prune.finished in the audit log. */
static int
prune_audit(struct prune *p, const char *kind, const struct prune_counts *c)
{
	struct store_action	 sa;
	struct action		 a;
	json_t			*extra;
	char			*json;
	int			 rc;

	extra = json_pack("{s:o, s:s, s:o, s:o}", "before",
	    prune_time(p->before), "ledger", p->drop_ledger ? "dropped" :
	    "kept", "by", p->by != NULL ? json_string(p->by) : json_null(),
	    "token", p->token != NULL ? json_string(p->token) : json_null());
	if (c != NULL) {
		json_object_set_new(extra, "incidents",
		    json_integer((json_int_t)c->incidents));
		json_object_set_new(extra, "skipped",
		    json_integer((json_int_t)c->skipped));
		json_object_set_new(extra, "rows", prune_counts_json(c));
	}
	memset(&a, 0, sizeof(a));
	a.at = clock_now();
	a.kind = kind;
	a.extra = extra;
	json = timeline_json(&a);
	json_decref(extra);
	memset(&sa, 0, sizeof(sa));
	sa.at = a.at;
	sa.kind = (char *)kind;		/* only read */
	sa.body = json;
	rc = store_action_add(p->store, &sa);
	if (rc == 0)
		log_info("action %s", json);
	free(json);
	return (rc);
}

/* Remove one incident's detail (and ledger, if asked); counts in c. */
static int
prune_incident(struct prune *p, const char *key, struct prune_counts *c)
{
	if (store_prune_incident(p->store, key, p->drop_ledger, clock_now(),
	    c->rows) != 0)
		return (-1);
	c->incidents++;
	return (0);
}

/* The batch of candidates being read, their keys copied. */
struct prune_candidates {
	char	**keys;
	int64_t	 *at;
	size_t	  n;
};

static int
prune_candidate_cb(const struct store_incident *inc, void *arg)
{
	struct prune_candidates	*pc = arg;

	pc->keys[pc->n] = xstrdup(inc->key);
	pc->at[pc->n++] = inc->resolved_at;
	return (pc->n == PRUNE_BATCH);
}

/* The next candidates after the cursor; -1 on error. */
static int
prune_candidates(struct prune *p, struct prune_candidates *pc)
{
	struct store_prune_cursor	 cur = { p->cursor_at, p->cursor_key };

	pc->keys = xcalloc(PRUNE_BATCH, sizeof(*pc->keys));
	pc->at = xcalloc(PRUNE_BATCH, sizeof(*pc->at));
	pc->n = 0;
	return (store_prune_candidates(p->store, p->before, &cur,
	    p->drop_ledger, PRUNE_BATCH, prune_candidate_cb, pc));
}

static void
prune_end(struct prune *p, enum prune_state state, const char *error)
{
	prune_done_cb	 cb = p->done;

	p->state = state;
	p->finished_at = clock_now();
	if (error != NULL)
		p->error = xstrdup(error);
	if (state == PRUNE_DONE)
		log_info("prune: finished dry_run=%d incidents=%llu "
		    "skipped=%llu batches=%llu", p->dry_run,
		    (unsigned long long)p->total.incidents,
		    (unsigned long long)p->total.skipped,
		    (unsigned long long)p->batches);
	else
		log_warnx("prune: failed incidents=%llu error=%s",
		    (unsigned long long)p->total.incidents, error);
	p->done = NULL;
	if (cb != NULL)
		cb(p->done_arg);
}

static void
prune_batch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct prune		*p = arg;
	struct prune_candidates	 pc = { NULL, NULL, 0 };
	struct prune_counts	 c, sum;
	size_t			 i, j;
	int			 busy, rc = 0, last;

	memset(&c, 0, sizeof(c));
	if (store_begin(p->store) != 0) {
		prune_end(p, PRUNE_FAILED, "cannot begin a transaction");
		return;
	}
	store_set_pruning(p->store, 1);
	if (p->batches == 0 && !p->dry_run)
		rc = prune_audit(p, "prune.started", NULL);
	if (rc == 0)
		rc = prune_candidates(p, &pc);
	for (i = 0; i < pc.n && rc == 0; i++) {
		free(p->cursor_key);
		p->cursor_key = xstrdup(pc.keys[i]);
		p->cursor_at = pc.at[i];
		if ((busy = store_prune_busy(p->store, pc.keys[i])) < 0)
			rc = -1;
		else if (busy)
			c.skipped++;
		else
			rc = prune_incident(p, pc.keys[i], &c);
	}
	last = pc.n < PRUNE_BATCH;
	sum = p->total;
	sum.incidents += c.incidents;
	sum.skipped += c.skipped;
	for (j = 0; j < STORE_PRUNE__COUNT; j++)
		sum.rows[j] += c.rows[j];
	if (rc == 0 && last && !p->dry_run)
		rc = prune_audit(p, "prune.finished", &sum);
	store_set_pruning(p->store, 0);
	for (i = 0; i < pc.n; i++)
		free(pc.keys[i]);
	free(pc.keys);
	free(pc.at);
	if (rc != 0) {
		store_rollback(p->store);
		prune_end(p, PRUNE_FAILED, "the store failed; this batch was "
		    "rolled back");
		return;
	}
	if (p->dry_run)
		store_rollback(p->store);
	else if (store_commit(p->store) != 0) {
		prune_end(p, PRUNE_FAILED, "the commit failed; this batch was "
		    "rolled back");
		return;
	}
	p->total = sum;
	p->batches++;
	log_debug("prune: batch=%llu incidents=%llu skipped=%llu",
	    (unsigned long long)p->batches,
	    (unsigned long long)c.incidents, (unsigned long long)c.skipped);
	if (last)
		prune_end(p, PRUNE_DONE, NULL);
	else
		prune_arm(p);
}
