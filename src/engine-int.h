/*
 * The engine's private header, for its own files only (everyone else uses
 * engine.h): the engine's state, what it loads of an incident and of an
 * obligation, what an action concerns, and the calls one concept makes
 * into another.  A name says its file: engine_obligation_meet is in
 * engine-obligation.c, engine_emit in engine.c.
 */
#ifndef ENGINE_INT_H
#define ENGINE_INT_H

#include <stdint.h>

#include <jansson.h>

#include "engine.h"
#include "rules.h"
#include "store.h"
#include "timeline.h"

struct engine {
	struct store		*store;
	struct rules		*rules;
	struct timer_heap	*timers;
	engine_sink		 sink;
	void			*sink_arg;

	char			**pending;	/* actions awaiting commit */
	size_t			  npending;
	size_t			  request_mark;
	int64_t			  recovered_at;	/* start-up: earlier is late */
	size_t			  notified;	/* outbox rows this transaction */
	size_t			  notified_mark;	/* ... as the request began */
	struct names		  told;		/* "recipient\036channel" pairs
						   this decision told */
	/*
	 * What started the decision under way ("event UNIT SEQ", "timer ID
	 * DUE", "undelivered KEY") and a number that grows with it: its
	 * messages' keys are made from them (engine-notify.c).
	 */
	char			  trigger[KEY_MAX * 2 + 64];
	int64_t			  trigger_ord;
	const struct record	 *event;	/* the decision's event, or NULL */

	/*
	 * Open incidents, counted once at start-up and then kept: committed,
	 * this transaction's change, and that change when the request under
	 * way began (a refused request undoes its part).
	 */
	int64_t			  open;
	int64_t			  open_delta;
	int64_t			  open_mark;

	struct engine_stats	  stats;
	struct engine_stats	  stats_mark;	/* as the request began */
};

/* What a drill's every message begins with (engine-notify.c). */
#define ENGINE_DRILL_MARK	"【演练】"

struct incident {
	char		*key;
	char		*unit;
	char		*category;
	char		*title;
	json_t		*procedures;
	int		 grade;
	int			 worst_grade;
	enum incident_state	 state;
	int64_t		 opened_at;
	int64_t		 occurred_at;
	int64_t		 acked_at;
	int		 drill;		/* an exercise: messages say 【演练】 */
};

/*
 * What a decision is about, filled as far as it is known: the concern its
 * actions and notifications carry (timeline.h), and what the engine
 * needs besides to store them and to fill a message's template.
 */
struct scope {
	struct concern		 c;		/* grade: engine_concern() */
	const struct incident	*inc;
	const char		*obligation_title;
	int64_t			 obligation_id;
	int64_t			 due_at;
	int			 repeat;	/* a policy's repeat, 0: none */
	const char		*period;	/* the special period, if any */
	const json_t		*undelivered;	/* the dead message's body */
	const char		*undelivered_detail;
	const char		*title;		/* else the incident's or report's */
	int			 drill;		/* a drill's report, no incident yet */
};

struct match_event;
struct match_set;
struct record;
struct record_error;

/* engine.c: the core */
int		 engine_timer_add(struct engine *, int64_t, enum engine_timer,
		     int64_t);
int		 engine_timers_cancel(struct engine *, enum engine_timer,
		     int64_t);
void		 engine_decision_begin(struct engine *);
void		 engine_decision_trigger(struct engine *, int64_t,
		     const char *, ...)
		     __attribute__((__format__(__printf__, 3, 4)));
void		 engine_scope_incident(struct scope *, const struct incident *);
void		 engine_scope_obligation(struct scope *,
		     const struct incident *, const struct store_obligation *);
void		 engine_concern(const struct scope *, struct concern *);
int		 engine_emit(struct engine *, const struct scope *,
		     const char *, json_t *);
json_t		*engine_extra_time(const char *, int64_t);
const char	*engine_period_active(struct engine *, const char *, int64_t);

/* engine-incident.c */
void		 engine_incident_free(struct incident *);
struct incident	*engine_incident_load(struct engine *, const char *);
struct incident	*engine_incident_from_row(struct store_incident *);
int		 engine_incident_open(struct engine *, struct record *,
		     struct match_event *, struct incident **);
int		 engine_incident_apply(struct engine *, struct incident *,
		     struct record *, struct match_event *, int64_t);
int		 engine_incident_may_touch(const struct rules *,
		     const struct names *, const struct incident *,
		     const struct record *, struct record_error *);

/* engine-obligation.c */
void		 engine_obligation_free(struct store_obligation *);
struct store_obligation *engine_obligation_load(struct engine *, int64_t);
struct store_obligation **engine_obligations_open(struct engine *, const char *,
		     const char *, size_t *);
void		 engine_obligations_free(struct store_obligation **, size_t);
int		 engine_obligations_set(struct engine *, struct incident *,
		     const struct procedure *, int, int);
int		 engine_obligations_regrade(struct engine *, struct incident *,
		     int);
int		 engine_obligation_set_status(struct engine *,
		     struct store_obligation *, enum obligation_status, int64_t,
		     int64_t);
int		 engine_obligation_close(struct engine *, struct store_obligation *,
		     enum obligation_status, int64_t, int64_t);
int		 engine_obligation_meet(struct engine *, struct incident *,
		     struct record *, struct match_event *, int64_t);
int		 engine_obligation_could_meet(struct engine *,
		     struct incident *, struct match_event *);
int		 engine_obligation_fire_due(struct engine *, int64_t, int64_t);
int		 engine_obligation_fire_repeat(struct engine *, int64_t,
		     int64_t);
int		 engine_obligations_until(struct engine *, struct incident *,
		     struct record *, struct match_event *);
int		 engine_obligations_lowered(struct engine *, struct incident *);
int		 engine_obligation_fire_remind(struct engine *, int64_t,
		     int64_t);
int		 engine_obligation_start(struct engine *, struct incident *,
		     const struct procedure *, const struct obligation_def *,
		     int64_t);
int64_t		 engine_obligation_base(const struct incident *,
		     const struct obligation_def *, int64_t);
int		 engine_obligation_timers(struct engine *,
		     const struct obligation_def *, int64_t, int64_t);
const struct obligation_def *engine_obligation_def(struct engine *,
		     const struct store_obligation *);

/* engine-lifecycle.c */
int		 engine_lifecycle_pausable(const struct obligation_def *);
int		 engine_lifecycle_paused(struct engine *,
		     const struct store_obligation *);
int		 engine_lifecycle_due(struct engine *, const struct incident *,
		     const struct procedure *, const struct obligation_def *,
		     int64_t *, struct duration *, int64_t *);
int		 engine_lifecycle_clock(struct engine *,
		     const struct obligation_def *, int64_t, int64_t,
		     const struct duration *);
int		 engine_lifecycle_event(struct engine *, struct incident *,
		     struct record *, struct match_event *);

/* engine-escalation.c */
int		 engine_escalations_stop(struct engine *, const char *,
		     int64_t);
int		 engine_escalation_run(struct engine *, int64_t, const char *,
		     int64_t, int, int, const struct incident *,
		     const struct store_obligation *);
int		 engine_escalation_fire(struct engine *, int64_t, int64_t);
int		 engine_escalation_hasten(struct engine *, int64_t, int);

/* engine-personal.c */
int		 engine_personal_start(struct engine *, const struct scope *,
		     const char *, const char *, const struct person *);
int		 engine_personal_stop(struct engine *, const char *, int64_t);
int		 engine_personal_fire(struct engine *, int64_t, int64_t);

/* engine-recurring.c */
int		 engine_recurring_fire_close(struct engine *, int64_t, int64_t);
int		 engine_recurring_fire_open(struct engine *, int64_t, int64_t);
/* engine-handover.c */
int		 engine_handover_fire(struct engine *, int64_t, int64_t);
int		 engine_sync_handover(struct engine *);
/* engine-notify.c: a text of its own to whom a name reaches now */
int		 engine_notify_text(struct engine *, const struct scope *,
		     const char *, const char *, const char *, const char *,
		     const char *, const char *);
int		 engine_recurring_remind(struct engine *,
		     const struct store_obligation *);
void		 engine_spotcheck_pick(const char *, const char *, int64_t,
		     size_t, struct names *);

/* engine-notify.c */
int		 engine_notify(struct engine *, const struct scope *,
		     const char *, const char *);
int		 engine_notify_all(struct engine *, const struct scope *,
		     const struct names *, const char *);
int		 engine_emit_told(struct engine *, const struct scope *,
		     const char *, const char *, const char *, const char *,
		     json_t *);
int		 engine_notify_personal(struct engine *, const struct scope *,
		     const char *, const char *, const struct person *, int);
int		 engine_notify_unmatched(struct engine *, const struct scope *,
		     const char *);
int		 engine_notify_reject(struct engine *, const struct scope *,
		     const char *, const struct record *, const char *);
int		 engine_notify_rejects(struct engine *, const struct scope *,
		     const struct record *, const struct match_set *);
int64_t		 engine_key_ord(const char *);

#endif
