/*
 * Plain types shared by every subsystem: times, grades, limits.
 * Times are milliseconds since the Unix epoch (UTC) in an int64_t; they are
 * turned into local RFC 3339 text only at the edges (calendar_format).
 */
#ifndef TOCSIN_H
#define TOCSIN_H

#include <stddef.h>
#include <stdint.h>

#define TOCSIN_VERSION "0.1.0"

#define MSEC_PER_SEC	1000LL
#define MSEC_PER_MIN	(60 * MSEC_PER_SEC)
#define MSEC_PER_HOUR	(60 * MSEC_PER_MIN)
#define MSEC_PER_DAY	(24 * MSEC_PER_HOUR)

/* Event grades, SPEC §1: 1 is the most severe. 0 means not yet graded. */
#define GRADE_NONE	0
#define GRADE_MIN	1
#define GRADE_MAX	4

#define KEY_MAX		128	/* event id and incident key length */

/*
 * Event priorities: the daemon's loop has EVENT_PRIORITIES queues, and
 * whatever does not choose (the HTTP server, signals) runs at the middle
 * one, so that a request is read and an answer written before any work
 * waits its turn.  The work shares the last queue: the group commit, the
 * deadline timer, delivery's sockets and timers, the spool, prunes.  A
 * flood of events and a busy outbox therefore take turns -- neither
 * holds the other back until it is over -- and neither holds up an
 * answer for longer than the callback under way.
 */
#define EVENT_PRIORITIES	3
#define EVENT_PRIORITY_WORK	2
#define EVENT_PRIORITY_DELIVERY	EVENT_PRIORITY_WORK

/*
 * Grade names, one table (status.c): the API's Roman numerals ("I",
 * "ungraded" for GRADE_NONE), the Chinese words of the regulations
 * ("特别重大", "未定级"), the label a person reads ("特别重大（I级）") and
 * the digit a metric's label carries ("1", "0").  An out-of-range grade
 * is named as GRADE_NONE.
 */
enum grade_form {
	GRADE_FORM_ROMAN,
	GRADE_FORM_CHINESE,
	GRADE_FORM_LABEL,
	GRADE_FORM_DIGIT,
	GRADE_FORM__COUNT
};
const char	*grade_name(int, enum grade_form);
int		 grade_parse(const char *);	/* 1..4, or -1 */

/*
 * The states of the rows the store keeps, each an enum with one table of
 * names (status.c): the database stores the name, the code the enum.
 * X_name() names a value ("?" for one out of range); X_parse() returns
 * the value a name stands for, or -1.  The enums are in the order the
 * status API and the metrics list them: never reorder the tables alone.
 */
enum incident_state {
	INCIDENT_OPEN,
	INCIDENT_CLOSED,
	INCIDENT__COUNT
};
/*
 * pending -> met | breached; breached -> late (met after its due time) |
 * missed (never met before the incident closed or the report's close);
 * pending -> cancelled when the incident is resolved.
 */
enum obligation_status {
	OBLIGATION_PENDING,
	OBLIGATION_BREACHED,
	OBLIGATION_LATE,
	OBLIGATION_MISSED,
	OBLIGATION_MET,
	OBLIGATION_CANCELLED,
	OBLIGATION__COUNT
};
/* queued -> sending -> delivered | failed (retried) | dead. */
enum outbox_status {
	OUTBOX_QUEUED,
	OUTBOX_SENDING,
	OUTBOX_FAILED,
	OUTBOX_DELIVERED,
	OUTBOX_DEAD,
	OUTBOX__COUNT
};
/* active -> done (no step left) | stopped (acknowledged, met, gone). */
enum escalation_state {
	ESCALATION_ACTIVE,
	ESCALATION_STOPPED,
	ESCALATION_DONE,
	ESCALATION__COUNT
};

const char	*incident_state_name(enum incident_state);
int		 incident_state_parse(const char *);
const char	*obligation_status_name(enum obligation_status);
int		 obligation_status_parse(const char *);
int		 obligation_status_open(enum obligation_status);
const char	*outbox_status_name(enum outbox_status);
int		 outbox_status_parse(const char *);
const char	*escalation_state_name(enum escalation_state);
int		 escalation_state_parse(const char *);

#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif
