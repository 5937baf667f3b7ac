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

#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif
