/*
 * Rules: the site file and the rule packs, loaded into one sandbox and
 * turned into the declarations below.  A struct rules is immutable once
 * loaded; a reload builds a new one and swaps it in only when it is valid.
 *
 * The declaration types are plain data, so they are visible here; the
 * struct rules that holds them is not.
 */
#ifndef RULES_H
#define RULES_H

#include <jansson.h>
#include <stdint.h>

#include "calendar.h"
#include "message.h"
#include "names.h"
#include "tocsin.h"

struct sandbox;

/* A key = value(s) test on an event, or a Lua function (ref != LUA_NOREF). */
struct match_term {
	char		*key;
	struct names	 values;	/* any of; numbers as their text */
};
struct match {
	struct match_term	*terms;
	size_t			 nterms;
	int			 ref;
};

/* A dated special period (特防期): 两会, 国庆 ... with tags rules test. */
struct period {
	char		*name;
	int64_t		 from_day;	/* calendar_date_number, inclusive */
	int64_t		 to_day;
	int		 holidays;	/* -1: dated; else a festival or
					   CALENDAR_ANY_HOLIDAY, any year */
	struct names	 tags;
	char		*where;
};

struct obligation_def {
	char		*id;
	char		*title;
	struct duration	 due;
	struct names	 due_in_tags;	/* during a period with this tag ... */
	struct duration	*due_in;	/* ... this tighter due applies */
	/* At grade g or worse, due_by_grade[g] applies if tighter. */
	struct duration	 due_by_grade[GRADE_MAX + 1];
	unsigned	 due_by_grade_set;	/* bit g: [g] was given */
	int		 grade;		/* 0: set at opening; else set once
					   the incident reaches this grade */
	int		 item;		/* its place in that obligations list */
	enum { FROM_OPENED, FROM_OCCURRED, FROM_GRADED, FROM_EVENT } from;
	struct match	 met_by;
	/* met_by = { all = { ... } }: each must arrive; met at the last. */
	struct match	*met_all;
	size_t		 nmet_all;
	int		 met_count;	/* met_by = { count = N, ... }; else 1 */
	/* every = "24h": instance N+1 falls due every after instance N. */
	struct duration	 every;
	int		 repeats;	/* every was given */
	struct duration	 until;		/* the series ends this long after */
	int		 until_set;	/* its start (until = "7d") ... */
	struct match	 until_match;	/* ... or at this event */
	/* The lifecycle (engine-lifecycle.c); an empty match is none. */
	struct match	 from_event;	/* FROM_EVENT: starts at the first */
	char		*at;		/* "attrs.x": counting from that time */
	char		*due_attr;	/* due = { attr = x }: the event's */
	struct match	 pause_on;	/* the clock stops ... */
	struct match	 resume_on;	/* ... and runs on with what was left */
	struct duration	*remind;	/* lead times before due */
	size_t		 nremind;
	char		*owner;		/* a role */
	char		*on_breach;	/* a policy, or NULL: tell the owner */
	struct messages	 messages;
};

struct procedure {
	char			*name;
	char			*title;
	struct match		 match;
	struct names		 on_open;
	struct obligation_def	*obligations;
	size_t			 nobligations;
	struct names		 grades[GRADE_MAX + 1];
	struct names		 period_tags;	/* during a period tagged ... */
	struct names		*period_notify;	/* ... also tell these */
	int			 classify;	/* function ref or LUA_NOREF */
	struct messages		 messages;
	char			*where;		/* file:line */
};

struct policy_step {
	int64_t		 after;		/* from the start of the escalation */
	struct names	 notify;
	char		*message;	/* template, or NULL */
};

struct policy {
	char			*name;
	struct policy_step	*steps;
	size_t			 nsteps;
	int64_t			 repeat_every;	/* 0: no repeats */
	int			 max_repeats;	/* 0: until acknowledged */
	char			*where;
};

/* A recurring obligation per unit: the daily report and its zero report. */
struct recurring {
	char		*name;
	char		*title;
	int64_t		 at;		/* due: ms after local midnight */
	int64_t		 close;		/* unmet by then: missed (漏报) */
	int		 weekday;	/* 0: every day; 1..7: Monday..Sunday */
	struct calendar_rule rule;	/* the days it falls due on */
	char		*during;	/* a period tag it is owed in, or NULL */
	struct duration	*remind;	/* lead times before at, elapsed */
	size_t		 nremind;
	struct names	 units;		/* of a spotcheck: the units drawn from */
	int		 units_ref;	/* function returning units, or NOREF */
	int		 pick;		/* a spotcheck: units drawn each time */
	char		*seed;		/* a spotcheck: what the draw is seeded by */
	struct match	 met_by;
	char		*owner;
	char		*on_breach;
	struct messages	 messages;
	char		*where;
};

/*
 * A step of a person's own notification rules: its channels, `after` the
 * person was reached (0: at once).  Acknowledging the incident stops the
 * steps not yet taken.
 */
struct notify_step {
	int64_t		 after;
	struct names	 channels;
};

struct person {
	char			*id;
	char			*name;
	char			*phone;
	struct names		 roles;
	struct names		 channels;
	struct notify_step	*notify_rules;	/* NULL: all channels at once */
	size_t			 nnotify_rules;
	char			*where;
};

struct group {
	char		*id;
	char		*name;
	struct names	 members;
	struct names	 roles;
	struct names	 channels;
	char		*where;
};

/* role "x" { default = target, category = target, ... } */
struct role {
	char		*name;
	struct names	 keys;		/* "default" or a category */
	struct names	 targets;	/* a person, group or role each */
	char		*where;
};

/*
 * roster "duty" { handover = "08:30", start = "2026-01-05", every = "1d",
 *   rotation = { ... }, on = { ["2026-10-01"] = "li" } }: who is on duty
 * (值班, 领导带班) at a moment.  A shift runs from handover on its day to
 * handover on the next; the dated list (节假日值班表) wins over the turn.
 */
struct roster {
	char		*name;
	int64_t		 handover;	/* ms after local midnight */
	int64_t		 start_day;	/* calendar_date_number */
	int		 every;		/* days per shift */
	struct names	 rotation;	/* a person, group or role each */
	int64_t		*on_days;	/* dated duties ... */
	struct names	 on_targets;	/* ... and who has them */
	char		*where;
};

/*
 * unit "id" { name, parent, kind, roles = { principal = "zhang" } }, or a
 * row of a units_csv file (SPEC §5a): a place that reports, its leaders
 * and duty staff.  A role binds a person, a group or a roster.
 */
struct unit {
	char		*id;
	char		*name;
	char		*parent;	/* a unit id, or NULL: the top */
	char		*kind;
	struct names	 role_keys;	/* "principal", "office" ... */
	struct names	 role_targets;	/* ... and who holds each */
	char		*where;		/* file:line, or file:row N */
};

struct channel_def {
	char		*name;
	char		*kind;
	json_t		*options;	/* every key but kind; may hold secrets */
	char		*where;
};

struct token_def {
	char		*name;
	char		*secret;
	struct names	 units;		/* empty: every unit */
	int		 read;		/* may read (SPEC §3); default no */
	int		 write;		/* may write; default yes */
	char		*person;	/* acts as this person; NULL: no one */
	char		*where;
};

/*
 * heartbeat = { url = ..., every = "60s", method = "GET" }: a ping to an
 * external dead-man's switch while the daemon is healthy (watchman.c).
 * The url may hold a secret: it is never logged.
 */
struct site_heartbeat {
	char		*url;		/* NULL: no heartbeat */
	char		*method;	/* "GET" or "POST" */
	int64_t		 every;		/* ms */
};

/*
 * alarm = { to = "office", channel = "sms-ops", queued_after = "10m",
 * failing_after = "15m", remind_every = "1h" }: delivery itself in
 * trouble, told on a channel of its own (watchman.c).
 */
struct site_alarm {
	char		*to;		/* a role; "office" by default */
	char		*channel;	/* NULL: no alarm */
	int64_t		 queued_after;	/* ms an undelivered message waits */
	int64_t		 failing_after;	/* ms a channel fails */
	int64_t		 remind_every;	/* ms between reminders */
	char		*where;		/* file:line */
};

/*
 * handover = { roster = "duty", to = "incoming", channel = "sms" }: at
 * each of the roster's shift changes the officer taking over (and with
 * to = "both", the one handing over) is sent the shift's summary (交接班,
 * engine-handover.c).  NULL roster: no handover summaries.
 */
struct site_handover {
	char		*roster;
	int		 both;		/* to = "both": the outgoing too */
	char		*channel;	/* NULL: the person's own channels */
	char		*where;		/* file:line of the site */
};

struct site {
	char		*listen;
	char		*database;
	char		*synchronous;
	char		*timezone;
	struct names	 rules;		/* rule pack directories */
	size_t		 body_limit;
	int64_t		 notify_deadline;	/* usefulness of a message */
	char		*undelivered_notify;	/* told of dead messages */
	struct names	 unmatched;	/* told of reports no procedure takes */
	int		 units_lenient;	/* units_strict = false: an unknown
					   unit's report is taken, flagged */
	int		 unmatched_default;	/* the site did not say */
	char		*public_url;	/* base of acknowledgement links */
	char		*spool;		/* the spool directory, or NULL */
	struct names	 hosts;		/* Host names answered; see http.c */
	size_t		 max_connections;	/* 0: from the fd limit */
	int64_t		 header_timeout;	/* ms for all the headers */
	int64_t		 body_timeout;	/* ms for all the body */
	struct messages	 messages;	/* the site's own defaults */
	struct site_heartbeat heartbeat;
	struct site_alarm alarm;
	struct site_handover handover;
	long		 rule_instructions;
	size_t		 rule_memory;
	int64_t		 lease;		/* ms: the leader's lease (PostgreSQL) */
	char		*node;		/* this node's name in the lease */
};

struct rules;

struct rules_problems {
	char		**v;
	size_t		  n;
};

struct rules	*rules_load(const char *, const struct names *,
		     struct rules_problems *);
void		 rules_free(struct rules *);
const char	*rules_key_where(const struct rules *, const char *,
		     const char *, const char *, const char *, char *, size_t);
void		 rules_drop_sources(struct rules *);
void		 rules_problems_add(struct rules_problems *, const char *,
		     ...) __attribute__((format(printf, 2, 3)));
void		 rules_problems_clear(struct rules_problems *);

const struct rules_problems *rules_warnings(const struct rules *);
const struct site	*rules_site(const struct rules *);
struct sandbox		*rules_sandbox(const struct rules *);
const struct calendar	*rules_calendar(const struct rules *);
size_t			 rules_procedure_count(const struct rules *);
const struct procedure	*rules_procedure(const struct rules *, size_t);
const struct procedure	*rules_procedure_find(const struct rules *,
			     const char *);
size_t			 rules_category_count(const struct rules *);
const char		*rules_category(const struct rules *, size_t,
			     const struct procedure **);
size_t			 rules_candidates(const struct rules *, const char *,
			     const char *, size_t *);
const struct policy	*rules_policy_find(const struct rules *, const char *);
size_t			 rules_policy_count(const struct rules *);
size_t			 rules_period_count(const struct rules *);
const struct period	*rules_period(const struct rules *, size_t);
int			 rules_period_on(const struct rules *,
			     const struct period *, int64_t);
size_t			 rules_recurring_count(const struct rules *);
const struct recurring	*rules_recurring(const struct rules *, size_t);
const struct recurring	*rules_recurring_find(const struct rules *,
			     const char *);
const struct person	*rules_person_find(const struct rules *, const char *);
const struct group	*rules_group_find(const struct rules *, const char *);
const struct role	*rules_role_find(const struct rules *, const char *);
const struct roster	*rules_roster_find(const struct rules *,
			     const char *);
size_t			 rules_person_count(const struct rules *);
const struct person	*rules_person(const struct rules *, size_t);
size_t			 rules_group_count(const struct rules *);
const struct group	*rules_group(const struct rules *, size_t);
size_t			 rules_channel_count(const struct rules *);
const struct channel_def *rules_channel(const struct rules *, size_t);
const struct channel_def *rules_channel_find(const struct rules *,
			     const char *);
size_t			 rules_token_count(const struct rules *);
const struct token_def	*rules_token(const struct rules *, size_t);
const struct token_def	*rules_token_find(const struct rules *, const char *);
int			 rules_tokens_read(const struct rules *);
size_t			 rules_unit_count(const struct rules *);
const struct unit	*rules_unit(const struct rules *, size_t);
const struct unit	*rules_unit_find(const struct rules *, const char *);
const char		*rules_unit_binding(const struct unit *,
			     const char *);
int			 rules_unit_covered(const struct rules *,
			     const struct names *, const char *);
void			 rules_unit_scope(const struct rules *,
			     const struct names *, struct names *);
int			 rules_unit_role_parse(const char *, int *,
			     const char **);


#endif
