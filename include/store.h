/*
 * The store: what tocsin keeps, in its own terms.  Callers speak of
 * events, incidents, obligations, escalations, timers, timeline actions,
 * messages and the read models the API shows; no SQL, no statement and no
 * column number ever leaves the store (OpenSMTPD's queue.c over
 * queue_backend.c).  The domain calls are written once -- store.c and
 * one store-*.c file per concept -- over a small driver interface
 * (src/store-driver.h); SQLite is one driver (store-sqlite.c), PostgreSQL
 * will be another.
 *
 * Conventions, for every call below:
 *  - A call returns 0, or -1 when the store failed (logged by the store).
 *    A getter returns 1 (found, row filled), 0 (not found) or -1.
 *  - Times are int64_t milliseconds since the epoch; 0 stands for none
 *    (NULL in the database).  Row ids are int64_t; 0 stands for none.
 *  - A row's strings are its own (NULL for none): store_X_clear() frees
 *    them.  A getter's row is the caller's to clear; a list hands each row
 *    to a callback, which must copy what it keeps -- the store clears the
 *    row after the callback.  A callback returns non-zero to stop the list
 *    (the list call still returns 0).  A callback never calls the store:
 *    it copies what it needs, and the caller acts once the list returned
 *    (a statement is still running; a PostgreSQL connection runs one at a
 *    time, and a row changed under a running SELECT may come again).
 *  - Keyset pages take the cursor of the last row of the page before and
 *    a limit of rows to read; each row comes with whether the filters keep
 *    it (the filters are evaluated by the store so that a page can stop at
 *    a row it does not show: api-page.c).
 *  - Strings passed in are only read during the call.
 *  - Everything between store_begin() and store_commit() is one
 *    transaction; a savepoint makes one request of a batch undoable.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tocsin.h"

struct store;

/*
 * The units a read keeps (a token's scope, a subtree): the store keeps
 * rows whose unit is one of v[0..n).  A NULL pointer to it keeps every
 * unit's rows.
 */
struct store_units {
	const char *const	*v;
	size_t			 n;
};

/* ---- the store itself ------------------------------------------------ */

/* What GET /v1/status says of the database. */
struct store_info {
	const char	*path;		/* absolute; the store's own string */
	int64_t		 page_size;
	int64_t		 pages;
	int64_t		 free_pages;	/* reused before the file grows */
};

/* The WAL and its checkpoints (GET /metrics); zeros in memory. */
struct store_checkpoint_info {
	int64_t		 wal_pages;	/* in the WAL after the last commit */
	uint64_t	 by_thread;	/* checkpoints the thread made */
	uint64_t	 by_writer;	/* checkpoints the writer made */
	uint64_t	 failed;	/* checkpoints that failed (logged) */
};

/*
 * Open path (":memory:" for a private store) with the SQLite synchronous
 * mode sync (FULL when NULL); NULL with *cause set on failure.
 */
struct store	*store_open(const char *, const char *, char **);
/*
 * Was store_open's failure for path (its cause) the database out of
 * reach for now -- no server answering, none read-write, one going down
 * or starting up -- rather than its configuration (a password, a
 * database name, a schema newer than this build)?  1: worth trying
 * again.  SQLite: never.  A statement that loses the database while the
 * store opens calls store_lost() instead (a hook may catch it).
 */
int		 store_open_transient(const char *, const char *);
void		 store_close(struct store *);
int		 store_begin(struct store *);
int		 store_commit(struct store *);	/* rolls back on failure */
void		 store_rollback(struct store *);
int		 store_savepoint(struct store *);
int		 store_release(struct store *);
void		 store_rollback_savepoint(struct store *);
int		 store_ping(struct store *);	/* reads a page: /healthz */
int		 store_info(struct store *, struct store_info *);
int64_t		 store_commit_failing(struct store *);
void		 store_checkpoints(struct store *,
		     struct store_checkpoint_info *);
/* The driver's name ("sqlite") and its library's version: build_info. */
const char	*store_driver_name(struct store *);
const char	*store_driver_version(struct store *);
/*
 * Remove every row, keeping the schema: the fuzz harness starts each
 * input from an empty store without opening one again.
 */
int		 store_empty(struct store *);
/*
 * When the database is lost (a PostgreSQL primary gone or read-only, a
 * COMMIT whose outcome is unknown): without a hook the daemon exits 75
 * for its service manager to restart it; with one, the hook decides
 * (a leader steps down).  The SQLSTATE may be NULL.
 */
typedef void	(*store_lost_cb)(const char *, void *);
void		 store_on_lost(store_lost_cb, void *);
/*
 * Leadership (SPEC §9, docs/cluster.md).  On PostgreSQL several daemons
 * share one database and one of them leads: the holder of the lease row,
 * read with the database's clock, fenced by its term.  Once a lease is
 * set (store_lease_set: this node's name, the lease period in ms), every
 * write transaction begins by renewing it with the term; a renewal that
 * fails rolls back and the store is lost (store_lost: the daemon exits 75
 * and comes back a standby).  A standby writes nothing.  Without a lease
 * (SQLite, or none set) the store always leads.
 *
 * store_lease_take: 1 this node now leads, 0 not (the lease is held),
 * -1 failed (logged).  store_lease_renew: 0, or the store is lost.
 * store_may_send: may a delivery start now (the leader before its local,
 * monotonic deadline, shorter than the lease).  store_lease_read fills
 * what /v1/leader and /v1/status show (clear it with
 * store_lease_clear).
 */
struct store_lease {
	int		 enabled;	/* 0: always the leader (SQLite) */
	int		 leader;	/* this node leads */
	int64_t		 term;		/* this node's, while it leads */
	int64_t		 period;	/* ms */
	const char	*node;		/* this node's name; the store's */
	char		*holder;	/* the lease's holder; NULL: expired */
	int64_t		 holder_term;
	int64_t		 expires_in;	/* ms, by the database's clock */
};

int		 store_lease_set(struct store *, const char *, int64_t,
		     char **);
int		 store_has_lease(struct store *);
int		 store_lease_take(struct store *);
int		 store_lease_renew(struct store *);
void		 store_lease_release(struct store *);
int		 store_leads(struct store *);
int		 store_may_send(struct store *);
int		 store_lease_read(struct store *, struct store_lease *);
void		 store_lease_clear(struct store_lease *);
/*
 * A database name fit for a log or an error: a PostgreSQL URL without its
 * password; anything else as it is.  Returns an allocated string.
 */
char		*store_describe(const char *);
void		 store_describe_in_place(char *);
/* Does the driver for this name accept it?  0, or -1 with *cause set. */
int		 store_check_name(const char *, char **);

/* ---- events ---------------------------------------------------------- */

struct store_event {
	int64_t		 seq;		/* set by the store */
	char		*id;		/* the sender's idempotency key, or NULL */
	char		*type;
	char		*incident;
	char		*unit;
	int64_t		 received_at;
	int64_t		 occurred_at;
	char		*body;		/* the normalised JSON */
};
typedef int (*store_event_cb)(const struct store_event *, void *);

void	store_event_clear(struct store_event *);
/* Store an event; *seq (may be NULL) gets its sequence number. */
int	store_event_add(struct store *, const struct store_event *,
	    int64_t *);
/* An incident's events in order: seq and body filled. */
int	store_events_of_incident(struct store *, const char *,
	    store_event_cb, void *);
/* Every event in the order stored: a replay's input. */
int	store_events_each(struct store *, store_event_cb, void *);
int	store_event_count(struct store *, int64_t *);

/* ---- incidents ------------------------------------------------------- */

struct store_incident {
	char			*key;
	char			*unit;
	char			*category;
	char			*procedures;	/* a JSON array of names */
	char			*title;
	int			 grade;		/* GRADE_NONE when ungraded */
	int			 worst_grade;
	enum incident_state	 state;
	int64_t			 opened_at;
	int64_t			 occurred_at;
	int64_t			 acked_at;
	char			*acked_by;
	int64_t			 resolved_at;
	int64_t			 updated_at;
	int64_t			 pruned_at;	/* its detail was pruned */
	int64_t			 seq;		/* order of storing: pages */
	int			 drill;		/* an exercise (应急演练) */
};
typedef int (*store_incident_cb)(const struct store_incident *, void *);
/* A row of a page, and whether the page's filters keep it. */
typedef int (*store_incident_page_cb)(const struct store_incident *, int,
    void *);

/* A page of incidents, newest first: unit and category NULL for any. */
struct store_incident_filter {
	int			 any_state;	/* else only state */
	enum incident_state	 state;
	const char		*unit;
	const char		*category;
	const struct store_units *units;	/* NULL: every unit */
};
struct store_incident_cursor {
	int64_t		 before_seq;	/* INT64_MAX: from the newest */
};

void	store_incident_clear(struct store_incident *);
/*
 * Open an incident: key, unit, category, procedures, grade, worst_grade,
 * title, opened_at, occurred_at, updated_at and drill are stored.
 */
int	store_incident_add(struct store *, const struct store_incident *);
int	store_incident_get(struct store *, const char *,
	    struct store_incident *);
/*
 * The event a unit sent under id (1: found; seq and incident filled), and
 * the incident under key (NULL: none) in *inc, its key NULL when there is
 * none, in one read: what a new event asks first, one wait for the server
 * instead of two.
 */
int	store_event_find_with_incident(struct store *, const char *,
	    const char *, const char *, struct store_event *,
	    struct store_incident *);
/*
 * Ask store_event_find_with_incident's question for a batch of events at
 * once, before the first is applied: in the same transaction, each is then
 * answered without a wait, unless the batch wrote its event or incident
 * in between (store-ahead.c).  Call it right after store_begin, outside
 * any savepoint: a savepoint rolled back must undo only writes made after
 * it.  Past 512 questions the rest are read when asked.
 */
struct store_event_ask {
	const char	*unit;
	const char	*id;		/* or NULL */
	const char	*key;		/* the incident's, or NULL */
};
int	store_events_read_ahead(struct store *,
	    const struct store_event_ask *, size_t);
int	store_incident_set_grade(struct store *, const char *, int, int,
	    int64_t);
int	store_incident_touch(struct store *, const char *, int64_t);
int	store_incident_ack(struct store *, const char *, const char *,
	    int64_t);
int	store_incident_resolve(struct store *, const char *, int64_t);
int	store_incidents_count_open(struct store *, int64_t *);
/* Open incidents per grade, counts[GRADE_NONE..GRADE_MAX] added to. */
int	store_incidents_open_by_grade(struct store *,
	    int64_t[GRADE_MAX + 1]);
int	store_incidents_page(struct store *,
	    const struct store_incident_filter *,
	    const struct store_incident_cursor *, int, store_incident_page_cb,
	    void *);
/*
 * Incidents opened in [from, to) of the units kept (NULL: every unit),
 * counted per unit, with how many of them were opened more than slow ms
 * after they occurred; up to limit rows, by unit (NULL for none).
 * Drills are left out.
 */
typedef int (*store_report_count_cb)(const char *, int64_t, int64_t,
    void *);
int	store_report_counts(struct store *, int64_t, int64_t, int64_t,
	    const struct store_units *, int, store_report_count_cb, void *);
/*
 * A slice of every incident, n of them past the one stored at *after
 * (0: from the first), in the order they were stored; each of the units
 * kept is handed over with its opened_at and whether it was opened more
 * than slow ms after it occurred.  *after is set to the last one read;
 * returns how many were read (fewer than n: no more), or -1.
 */
typedef int (*store_report_row_cb)(const char *, int64_t, int, void *);
int	store_report_slice(struct store *, int64_t *, int64_t,
	    const struct store_units *, int, store_report_row_cb, void *);

/* ---- obligations ----------------------------------------------------- */

struct store_obligation {
	int64_t			 id;		/* set by the store */
	char			*incident;	/* NULL: a recurring report */
	char			*recurring;
	char			*unit;
	char			*procedure;
	char			*name;
	char			*title;
	char			*owner;
	char			*on_breach;	/* a policy, or NULL */
	int64_t			 set_at;
	int64_t			 due_at;
	int64_t			 close_at;
	int64_t			 met_at;
	int64_t			 met_event;	/* the event's seq */
	enum obligation_status	 status;
	int			 instance;	/* of a series; 0: none */
	int64_t			 until_at;	/* the series ends; 0: never */
	int			 met_count;	/* events that met it so far */
	int			 needed;	/* of needed (met_by count, all) */
	int64_t			 met_mask;	/* met_by all: items arrived */
	int64_t			 paused_ms;	/* the ledger's rows only */
	int			 drill;		/* its incident's mark */
};
typedef int (*store_obligation_cb)(const struct store_obligation *,
    void *);
typedef int (*store_obligation_page_cb)(const struct store_obligation *,
    int, void *);

/*
 * Which obligations of drills (应急演练) the ledger keeps: none (the
 * record as it is owed), drills besides the rest, or drills alone.
 */
enum store_drill {
	STORE_DRILL_EXCLUDE,
	STORE_DRILL_INCLUDE,
	STORE_DRILL_ONLY,
};

/* The compliance ledger: obligations due in [from, to), by due time. */
struct store_ledger_filter {
	int64_t		 from;
	int64_t		 to;
	const char	*unit;		/* NULL: every unit */
	const struct store_units *units;	/* NULL: every unit */
	enum store_drill drill;
};
struct store_ledger_cursor {
	int64_t		 due_at;	/* INT64_MIN: from the start */
	int64_t		 id;		/* INT64_MIN: from the start */
};

void	store_obligation_clear(struct store_obligation *);
/*
 * Set an obligation (pending): every field but id, met_at, met_event and
 * status is stored; *id (may be NULL) gets its id.
 */
int	store_obligation_add(struct store *, const struct store_obligation *,
	    int64_t *);
int	store_obligation_get(struct store *, int64_t,
	    struct store_obligation *);
/* A new status; met_at and met_event (0 for none) with it. */
int	store_obligation_set_status(struct store *, int64_t,
	    enum obligation_status, int64_t, int64_t);
int	store_obligation_set_due(struct store *, int64_t, int64_t);
int	store_obligation_set_progress(struct store *, int64_t, int, int64_t);
int	store_obligation_series_last(struct store *, const char *,
	    const char *, const char *, struct store_obligation *);
/*
 * The clock of an obligation that may pause (engine-lifecycle.c): the
 * period in force (kind "elapsed", "cd" or "wd", its length in ms or
 * days) counted from base, paused since paused_at (0: running), and the
 * time it has stood still so far.
 */
struct store_clock {
	int64_t		 base;
	char		*kind;
	int64_t		 length;
	int64_t		 paused_at;
	int64_t		 paused_ms;
};
int	store_clock_set(struct store *, int64_t, const struct store_clock *);
int	store_clock_get(struct store *, int64_t, struct store_clock *);
void	store_clock_clear(struct store_clock *);
/* An incident's obligations in the order set; open: pending or breached. */
int	store_obligations_of_incident(struct store *, const char *,
	    store_obligation_cb, void *);
int	store_obligations_open_of_incident(struct store *, const char *,
	    store_obligation_cb, void *);
/* A unit's open recurring reports (no incident). */
int	store_obligations_open_of_unit(struct store *, const char *,
	    store_obligation_cb, void *);
/* 1 if the unit was ever owed a recurring report (a unit we know). */
int	store_unit_owes_recurring(struct store *, const char *);
/* Obligations per status, counts[] added to; open: pending, breached. */
int	store_obligations_count(struct store *, int64_t[OBLIGATION__COUNT]);
int	store_obligations_count_open(struct store *,
	    int64_t[OBLIGATION__COUNT]);
int	store_ledger_page(struct store *, const struct store_ledger_filter *,
	    const struct store_ledger_cursor *, int, store_obligation_page_cb,
	    void *);
/*
 * The ledger counted: obligations due in [from, to) of the units kept
 * (NULL: every unit) and the drills kept, one row per unit and status, by
 * unit, up to limit rows.  The unit is NULL for obligations that name
 * none.
 */
typedef int (*store_ledger_count_cb)(const char *, enum obligation_status,
    int64_t, void *);
int	store_ledger_counts(struct store *, int64_t, int64_t,
	    const struct store_units *, enum store_drill, int,
	    store_ledger_count_cb, void *);
/*
 * Where a slice of about n obligations due from from on ends (before
 * to): *end, the due time after the slice, is to when fewer are left,
 * and is past from even when more than n fall due at one time.
 */
int	store_ledger_slice_end(struct store *, int64_t, int64_t, int,
	    int64_t *);

/* ---- recurring reports ----------------------------------------------- */

struct store_recurring {
	int64_t		 id;
	char		*name;
	int64_t		 next_at;	/* when its next period opens */
};

void	store_recurring_clear(struct store_recurring *);
int	store_recurring_add(struct store *, const char *, int64_t,
	    int64_t *);
int	store_recurring_get(struct store *, int64_t,
	    struct store_recurring *);
int	store_recurring_find(struct store *, const char *,
	    struct store_recurring *);
int	store_recurring_set_next(struct store *, int64_t, int64_t);
/*
 * The obligations of a recurring report's latest period due before a
 * time (every instance of a period shares its due time), in order.
 */
int	store_recurring_previous(struct store *, const char *, int64_t,
	    store_obligation_cb, void *);

/* ---- escalations ----------------------------------------------------- */

struct store_escalation {
	int64_t			 id;		/* set by the store */
	char			*incident;	/* NULL: a recurring report's */
	int64_t			 obligation;
	char			*policy;
	int64_t			 started_at;
	int			 step;		/* steps taken */
	int			 repeats;	/* repeats taken */
	enum escalation_state	 state;
};
typedef int (*store_escalation_cb)(const struct store_escalation *,
    void *);

void	store_escalation_clear(struct store_escalation *);
/* Start one (active, step 0): incident, obligation, policy, started_at. */
int	store_escalation_add(struct store *, const struct store_escalation *,
	    int64_t *);
int	store_escalation_get(struct store *, int64_t,
	    struct store_escalation *);
int	store_escalation_update(struct store *, int64_t, int, int,
	    enum escalation_state);
/* Stopped where it is: the step it reached stays on the board. */
int	store_escalation_stop(struct store *, int64_t);
int	store_escalation_restart(struct store *, int64_t, int64_t);
int	store_escalations_of_incident(struct store *, const char *,
	    store_escalation_cb, void *);
int	store_escalations_active_of_incident(struct store *, const char *,
	    store_escalation_cb, void *);
int	store_escalations_active_of_obligation(struct store *, int64_t,
	    store_escalation_cb, void *);

/* ---- personal sends ---------------------------------------------------- */

/*
 * A later step of a person's notify_rules, due at due_at: what reached
 * the person (role, reason, policy and its step) is kept so that the
 * message it sends reads like the first.  state: "pending", "sent",
 * "stopped".
 */
struct store_personal {
	int64_t		 id;		/* set by the store */
	char		*incident;	/* NULL: a recurring report's */
	int64_t		 obligation;	/* 0: none */
	char		*person;
	int		 step;		/* 1-based, in the person's rules */
	char		*role;
	char		*reason;
	char		*policy;
	int		 policy_step;
	int		 repeat;
	int64_t		 due_at;
	char		*state;
};
typedef int (*store_personal_cb)(const struct store_personal *, void *);

void	store_personal_clear(struct store_personal *);
int	store_personal_add(struct store *, const struct store_personal *,
	    int64_t *);
int	store_personal_get(struct store *, int64_t, struct store_personal *);
int	store_personal_set_state(struct store *, int64_t, const char *);
int	store_personal_pending(struct store *, const char *, int64_t,
	    const char *);
int	store_personals_pending_of(struct store *, const char *, int64_t,
	    store_personal_cb, void *);

/* ---- the spool inbox (docs/cluster.md) -------------------------------- */

/*
 * A file from a standby's spool on its way to the leader: its body as
 * read, the id prefix its events take and when it was read.  put is the
 * one write a standby makes: a transaction of its own (call it outside
 * one) that neither needs nor renews the lease, as it changes no state of
 * the leader's.  The leader lists rows in id order and deletes each in
 * the transaction that stores its events.
 */
struct store_inbox {
	int64_t		 id;
	char		*node;		/* the standby's name in the lease */
	char		*name;		/* the file's */
	char		*id_prefix;
	char		*body;
	int64_t		 received_at;
};

typedef int (*store_inbox_cb)(const struct store_inbox *, void *);

void	store_inbox_clear(struct store_inbox *);
int	store_inbox_put(struct store *, const struct store_inbox *);
int	store_inbox_list(struct store *, int64_t, size_t, store_inbox_cb,
	    void *);
int	store_inbox_delete(struct store *, int64_t);
int	store_inbox_count(struct store *, int64_t *);

/* ---- timers ---------------------------------------------------------- */

/*
 * A deadline: at `at`, a timer of `kind` (the engine's table of kinds)
 * fires for the row `ref` names.  A committed timer's id is never
 * reused (schema version 7), so a timer whose row is gone was cancelled
 * or has fired.  A savepoint rolled back hands its timers' ids back: a
 * caller keeping entries outside the store checks `at` too.
 */
struct store_timer {
	int64_t		 id;		/* set by the store */
	int64_t		 at;
	int		 kind;
	int64_t		 ref;
};
typedef int (*store_timer_cb)(const struct store_timer *, void *);

/* What the ref of a timer kind is the id of. */
enum store_timer_owner {
	STORE_TIMER_OF_OBLIGATION,
	STORE_TIMER_OF_ESCALATION,
	STORE_TIMER_OF_RECURRING,
	STORE_TIMER_OF_SITE,		/* ref 0: the site's own (handover) */
	STORE_TIMER_OF_PERSONAL,	/* a personal send */
};

/*
 * The engine tells the store, line by line from its table of timer kinds,
 * what each kind's ref names (again for a kind already told: the new
 * owner stands): a prune removes an incident's timers by it, and refuses
 * to run before any kind was told.
 */
void	store_timer_kind(struct store *, int, enum store_timer_owner);
int	store_timer_add(struct store *, const struct store_timer *,
	    int64_t *);
int	store_timer_get(struct store *, int64_t, struct store_timer *);
int	store_timer_delete(struct store *, int64_t);
/* Cancel every timer of a kind for a row; 1 if there is one, in _exists. */
int	store_timers_cancel(struct store *, int, int64_t);
int	store_timer_exists(struct store *, int, int64_t);
/* Every timer, in no order: the start-up rebuild of the heap. */
int	store_timers_each(struct store *, store_timer_cb, void *);
/* The earliest timer (the next deadline); 0 when none is pending. */
int	store_timer_next(struct store *, struct store_timer *);
int	store_timer_count(struct store *, int64_t *);

/* ---- the timeline ---------------------------------------------------- */

struct store_action {
	int64_t		 seq;
	int64_t		 at;
	char		*kind;		/* "incident.opened" ... */
	char		*incident;
	int64_t		 obligation;
	char		*body;		/* the action's JSON */
};
typedef int (*store_action_cb)(const struct store_action *, void *);

void	store_action_clear(struct store_action *);
/* Append an action: at, kind, incident, obligation and body stored. */
int	store_action_add(struct store *, const struct store_action *);
/* An incident's actions in order: seq and body filled. */
int	store_actions_of_incident(struct store *, const char *,
	    store_action_cb, void *);

/* ---- the outbox ------------------------------------------------------ */

struct store_message {
	int64_t			 id;		/* set by the store */
	char			*key;		/* the idempotency key */
	int64_t			 created_at;
	char			*incident;
	int64_t			 obligation;
	char			*channel;
	char			*recipient;
	char			*role;
	char			*body;
	enum outbox_status	 status;
	int			 attempts;
	int64_t			 next_at;
	int64_t			 deadline_at;	/* useless after */
	int64_t			 delivered_at;
	char			*last_error;
	/* In pages only: the provider's later word (receipts), if any. */
	char			*receipt_status;
	char			*receipt_detail;
	int64_t			 receipt_at;
};
typedef int (*store_message_cb)(const struct store_message *, void *);
typedef int (*store_message_page_cb)(const struct store_message *, int,
    void *);

/* A page of the outbox, newest first. */
struct store_message_filter {
	const char	*incident;	/* NULL: every incident's */
	const char	*status;	/* a status's name; NULL: any */
	/* NULL: every unit; else those of the messages' incidents, or of
	 * their recurring reports */
	const struct store_units *units;
};
struct store_message_cursor {
	int64_t		 before_id;	/* INT64_MAX: from the newest */
};

void	store_message_clear(struct store_message *);
/*
 * Queue a message: key, created_at, incident, obligation, channel,
 * recipient, role, body, next_at and deadline_at are stored.
 */
int	store_message_add(struct store *, const struct store_message *,
	    int64_t *);
int	store_message_get(struct store *, int64_t, struct store_message *);
/* Queued and failed messages due at a time, by next_at, up to limit. */
int	store_messages_due(struct store *, int64_t, int, store_message_cb,
	    void *);
/* Taken by a channel: sending, one more attempt. */
int	store_message_sending(struct store *, int64_t);
/* An attempt's outcome: status, next_at, delivered_at, last_error. */
int	store_message_result(struct store *, int64_t, enum outbox_status,
	    int64_t, int64_t, const char *);
/* After a crash: sending messages are queued again, *n (may be NULL). */
int	store_messages_requeue(struct store *, int64_t *);
/* When the next queued or failed message is due; 0 when none is. */
int	store_messages_next_at(struct store *, int64_t *);
/*
 * The oldest message not yet delivered (queued, sending or failed): when
 * it was made and its channel (to free); 0 when there is none.
 */
int	store_messages_oldest(struct store *, int64_t *, char **);
/* Messages per status, counts[] added to; depth: queued, sending, failed. */
int	store_messages_count(struct store *, int64_t[OUTBOX__COUNT]);
int	store_messages_depth(struct store *, int64_t[OUTBOX__COUNT]);
int	store_messages_page(struct store *,
	    const struct store_message_filter *,
	    const struct store_message_cursor *, int, store_message_page_cb,
	    void *);
/* One delivery attempt: result "delivered", "retry" or "permanent". */
int	store_attempt_add(struct store *, int64_t, int64_t, const char *,
	    const char *);

/*
 * Receipts: a provider's later word on a message it took (a voice call
 * answered or not), found by the provider's own id of the message (ref),
 * which the outbox keeps on delivery.  record: 1 with *message when the
 * ref is known, 0 when it is not.
 */
int	store_receipt_expect(struct store *, const char *, const char *,
	    int64_t);
int	store_receipt_record(struct store *, const char *, const char *,
	    const char *, const char *, int64_t, int64_t *);
/* 1 when this ref already has this status: a provider's repeated push. */
int	store_receipt_seen(struct store *, const char *, const char *,
	    const char *);

/*
 * Replies a person sent back (an SMS "1"): kept whatever they said, with
 * what came of them.  targets walks the incidents of the messages
 * delivered to a person whose deadline is not past at now, newest first,
 * with each one's channel; the callback returns non-zero to stop.
 */
struct store_reply {
	const char	*channel;
	const char	*phone;
	const char	*person;	/* NULL: a number nobody has */
	const char	*text;
	int64_t		 received_at;
	const char	*incident;	/* the one it acknowledged, or NULL */
	const char	*outcome;	/* "acknowledged", "ignored", ... */
};
typedef int (*store_reply_target_cb)(const char *, const char *, void *);

int	store_reply_add(struct store *, const struct store_reply *);
int	store_reply_targets(struct store *, const char *, int64_t,
	    store_reply_target_cb, void *);

/* ---- acknowledgement links ------------------------------------------- */

struct store_ack_link {
	char		*token;
	char		*incident;
	char		*recipient;
	int64_t		 created_at;
};

void	store_ack_link_clear(struct store_ack_link *);
int	store_ack_link_add(struct store *, const struct store_ack_link *);
int	store_ack_link_get(struct store *, const char *,
	    struct store_ack_link *);

/* ---- retention ------------------------------------------------------- */

/* What goes with a pruned incident, in the order it goes. */
enum store_prune_table {
	STORE_PRUNE_ATTEMPTS,
	STORE_PRUNE_OUTBOX,
	STORE_PRUNE_TIMERS,
	STORE_PRUNE_ESCALATIONS,
	STORE_PRUNE_PERSONAL,
	STORE_PRUNE_ACK_LINKS,
	STORE_PRUNE_EVENTS,
	STORE_PRUNE_TIMELINE,
	STORE_PRUNE_OBLIGATIONS,	/* only when the ledger goes too */
	STORE_PRUNE__COUNT
};
struct store_prune_cursor {
	int64_t		 resolved_at;	/* INT64_MIN: from the start */
	const char	*key;		/* "": from the start */
};

const char *store_prune_table_name(enum store_prune_table);
/* Let the timeline lose rows (a prune's transaction) or not. */
void	store_set_pruning(struct store *, int);
/*
 * Closed incidents resolved before a time, after the cursor, by
 * resolution time then key, up to limit; with_pruned also those already
 * pruned (their ledger is being dropped).  Rows: key and resolved_at.
 */
int	store_prune_candidates(struct store *, int64_t,
	    const struct store_prune_cursor *, int, int, store_incident_cb,
	    void *);
/* 1 if the incident's outbox is still at work (queued, sending, failed). */
int	store_prune_busy(struct store *, const char *);
/*
 * Remove an incident's detail, marked pruned at now; with drop_ledger its
 * obligations and the incident itself too.  rows[] (may be NULL) is
 * added the rows removed from each table.
 */
int	store_prune_incident(struct store *, const char *, int, int64_t,
	    uint64_t[STORE_PRUNE__COUNT]);

/* ---- read models ----------------------------------------------------- */

/*
 * The duty-room board: an open incident with its nearest open obligation
 * (breached first, then by due time) and the escalation that climbed
 * highest (the running one first).  Unacknowledged unmatched reports come
 * first, then incidents by their nearest deadline, then the rest by grade.
 */
struct store_board_row {
	char			*key;
	char			*unit;
	char			*category;
	char			*title;
	int			 grade;
	int64_t			 opened_at;
	int64_t			 occurred_at;
	int64_t			 acked_at;
	char			*acked_by;
	char			*obligation;	/* its name; NULL: none open */
	char			*obligation_title;
	int64_t			 obligation_due_at;
	enum obligation_status	 obligation_status;
	int64_t			 obligations_open;
	int64_t			 obligations_breached;
	char			*policy;	/* NULL: no escalation */
	int			 step;
	int			 repeats;
	enum escalation_state	 escalation_state;
	int			 unmatched;	/* no procedure took it */
	int			 drill;		/* an exercise (应急演练) */
};
typedef int (*store_board_cb)(const struct store_board_row *, void *);

/*
 * Open incidents, unacknowledged ones, breached obligations (of incidents
 * and of recurring reports), open incidents with one breached,
 * unacknowledged unmatched ones, and open drills (counted in open too).
 */
struct store_board_counts {
	int64_t		 open;
	int64_t		 unacknowledged;
	int64_t		 overdue;
	int64_t		 overdue_incidents;
	int64_t		 unmatched;
	int64_t		 drills;
	/* The drills' share of unacknowledged, overdue, overdue_incidents
	 * and unmatched. */
	int64_t		 drills_unacknowledged;
	int64_t		 drills_overdue;
	int64_t		 drills_overdue_incidents;
	int64_t		 drills_unmatched;
};

/* A recurring report one unit owes today, or still open from before. */
struct store_duty {
	char			*recurring;
	char			*title;
	char			*unit;
	int64_t			 due_at;
	int64_t			 close_at;
	enum obligation_status	 status;
	int64_t			 met_at;
	int			 zero;	/* a zero report: 1, 0; -1 unknown */
};
typedef int (*store_duty_cb)(const struct store_duty *, void *);

void	store_board_row_clear(struct store_board_row *);
void	store_duty_clear(struct store_duty *);
/* Each takes the units it keeps (NULL: every unit). */
int	store_board(struct store *, const struct store_units *, int,
	    store_board_cb, void *);
int	store_board_counts(struct store *, const struct store_units *,
	    struct store_board_counts *);
/* Recurring reports due in [from, to) and any still open, up to limit. */
int	store_duties(struct store *, const struct store_units *, int64_t,
	    int64_t, int, store_duty_cb, void *);

#endif
