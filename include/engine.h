/*
 * The engine: the procedures applied to events and to the passing of time.
 * It reads the time only from clock_now() and touches the world only
 * through the store, so the daemon and `tocsinctl simulate` run the same
 * decisions.  Every decision is written, with the timeline action and any
 * outbox rows it makes, inside the caller's transaction:
 *
 *	engine_begin()
 *	    engine_read_ahead()	optional: the batch's first reads at once
 *	    engine_request_begin(); engine_submit() ...; engine_request_end()
 *	    engine_fire_due()
 *	engine_commit()		actions reach the sink only after this;
 *				it says how many notifications it queued
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"
#include "tocsin.h"

struct engine;
struct names;
struct rules;
struct store;

/*
 * Timer kinds, as stored in the timers table: never renumber.  engine.c's
 * table of kinds says what each one is and does.
 */
enum engine_timer {
	TIMER_OBLIGATION_DUE = 1,
	TIMER_OBLIGATION_REMIND = 2,
	TIMER_OBLIGATION_CLOSE = 3,
	TIMER_ESCALATION_STEP = 4,
	TIMER_RECURRING_OPEN = 5,
	TIMER_OBLIGATION_REPEAT = 6,
	TIMER_HANDOVER = 7,
	TIMER_PERSONAL_SEND = 8,
};

/* What a timer kind is, for whoever shows timers (GET /v1/status). */
struct engine_timer_info {
	enum engine_timer	 kind;
	const char		*name;		/* "obligation.due" ... */
	enum store_timer_owner	 owner;		/* what its ref is the id of */
};

struct engine_result {
	int64_t		 seq;		/* the stored event */
	int		 duplicate;
	int		 closed;	/* its incident was closed already */
	char		 incident[KEY_MAX + 1];
	char		 id[KEY_MAX + 1];
};

struct engine_stats {
	uint64_t	 events;
	uint64_t	 duplicates;
	uint64_t	 rejected;	/* rule errors */
	uint64_t	 actions;
	uint64_t	 notifications;
	uint64_t	 timers_fired;
	uint64_t	 breaches;
	/* States written by the setters, by the state entered. */
	uint64_t	 incidents[INCIDENT__COUNT];
	uint64_t	 obligations[OBLIGATION__COUNT];
	uint64_t	 escalations[ESCALATION__COUNT];
};

/* What the outbox says of a notification it gave up on. */
struct engine_undelivered {
	const char	*body;		/* the outbox row's body */
	const char	*channel;	/* where it failed */
	const char	*detail;	/* the last error */
	const char	*fallback;	/* a channel to hand it to, or NULL */
	int64_t		 obligation;	/* the row's obligation, or 0 */
	int64_t		 deadline;	/* the row's usefulness deadline */
};

/* The watchman's alarm: delivery in trouble, or well again (watchman.c). */
struct engine_alarm {
	const char	*state;		/* "raised", "reminder", "cleared" */
	const char	*about;		/* "outbox", or a channel's name */
	const char	*to;		/* the role told */
	const char	*channel;	/* the channel it goes on */
	const char	*title;
	const char	*text;
	int64_t		 since;		/* the episode's start ... */
	int		 told;		/* ... and messages so far: its keys */
};

/*
 * A provider's word on a delivered message, named by the provider's id of
 * it (channel.h's receipts): a call answered or not.
 */
struct engine_receipt {
	const char	*channel;
	const char	*ref;
	const char	*status;	/* answered, unanswered, busy, failed,
					   delivered */
	const char	*detail;	/* the provider's code, or NULL */
	int		 reached;	/* the person picked up, or has it */
	int		 failed;	/* it never reached the phone */
};

typedef void (*engine_sink)(const char *, void *);

struct engine	*engine_new(struct store *, struct rules *);
void		 engine_free(struct engine *);
void		 engine_set_rules(struct engine *, struct rules *);
void		 engine_set_sink(struct engine *, engine_sink, void *);
int		 engine_recover(struct engine *);
int		 engine_sync_recurring(struct engine *);

int		 engine_begin(struct engine *);
int		 engine_commit(struct engine *, size_t *);
void		 engine_rollback(struct engine *);
int		 engine_request_begin(struct engine *);
void		 engine_request_end(struct engine *, int);

int		 engine_read_ahead(struct engine *, struct record *const *,
		     size_t);
int		 engine_submit(struct engine *, struct record *,
		     const struct names *, struct engine_result *,
		     struct record_error *);
int		 engine_fire_due(struct engine *, int64_t, int);
int		 engine_undelivered(struct engine *,
		     const struct engine_undelivered *);
int		 engine_alarm(struct engine *, const struct engine_alarm *);
int		 engine_receipt(struct engine *, const struct engine_receipt *,
		     int *);
int64_t		 engine_next_due(struct engine *);
size_t		 engine_timer_count(struct engine *);
const struct engine_timer_info *engine_timer_info(int);	/* NULL: unknown */
int64_t		 engine_open_incidents(struct engine *);
const struct engine_stats *engine_stats(struct engine *);

#endif
