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
 * whatever does not choose (the HTTP server, ingest, the deadline timer,
 * signals) runs at the middle one.  Delivery's sockets and timers run
 * after those, so that a busy outbox never holds up an answer.
 */
#define EVENT_PRIORITIES	3
#define EVENT_PRIORITY_DELIVERY	2

#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif
