/*
 * The handover (交接班): at each shift change of the roster the site
 * names (site { handover = { roster = "duty" } }), the officer taking over
 * is sent the shift's summary (handover.c): the open incidents, the
 * deadlines in their shift, what is overdue, the reports not yet filed.
 *
 * One timer (TIMER_HANDOVER, ref 0) waits for the next change; it lives
 * in the timers table like every other, so a restart finds it, and the
 * start-up's sync (engine_sync_handover) adds it when missing.  Firing,
 * the decision's handover action and its messages are written in one
 * transaction, and the next change is scheduled in it.
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "handover.h"
#include "log.h"
#include "rules.h"
#include "store.h"
#include "xmalloc.h"

static const struct roster *
engine_handover_roster(struct engine *e)
{
	const char	*name = rules_site(e->rules)->handover.roster;

	return (name != NULL ? rules_roster_find(e->rules, name) : NULL);
}

/* The printable page of the shift: public_url/handover?at=..., or NULL. */
static char *
engine_handover_link(struct engine *e, int64_t at)
{
	const char	*base = rules_site(e->rules)->public_url;
	char		 t[CALENDAR_TIME_MAX], *plus, *url;
	size_t		 len;

	if (base == NULL)
		return (NULL);
	calendar_format(at, t, sizeof(t));
	len = strlen(base);
	if (len > 0 && base[len - 1] == '/')
		len--;
	/* "+08:00" in a query is a space unless written %2B. */
	if ((plus = strchr(t + 10, '+')) != NULL) {
		*plus = '\0';
		xasprintf(&url, "%.*s/handover?at=%s%%2B%s", (int)len, base, t,
		    plus + 1);
	} else
		xasprintf(&url, "%.*s/handover?at=%s", (int)len, base, t);
	return (url);
}

/* The summary of the shift starting at `at`, to its officer(s). */
static int
engine_handover_send(struct engine *e, const struct roster *ro, int64_t at)
{
	const struct site_handover	*h = &rules_site(e->rules)->handover;
	struct handover_shift		 sh;
	struct scope			 s;
	json_t				*sum;
	char				*link, *text;
	int				 rc;

	handover_shift_at(ro, at, &sh);
	if ((sum = handover_summary(e->store, e->rules, &sh, NULL)) == NULL)
		return (-1);
	memset(&s, 0, sizeof(s));
	s.c.role = ro->name;
	s.c.recipient = sh.incoming;
	rc = engine_emit(e, &s, "handover", json_pack("{s:O, s:O, s:O, s:O}",
	    "at", json_object_get(sum, "at"), "until", json_object_get(sum,
	    "until"), "outgoing", json_object_get(sum, "outgoing"), "counts",
	    json_object_get(sum, "counts")));
	link = engine_handover_link(e, sh.at);
	text = handover_text(sum, link);
	if (rc == 0 && text == NULL)
		rc = -1;
	if (rc == 0)
		rc = engine_notify_text(e, &s, sh.incoming, ro->name,
		    h->channel, "handover", "交接班", text);
	if (rc == 0 && h->both && sh.outgoing != NULL)
		rc = engine_notify_text(e, &s, sh.outgoing, ro->name,
		    h->channel, "handover", "交接班", text);
	free(text);
	free(link);
	json_decref(sum);
	return (rc);
}

/*
 * TIMER_HANDOVER: a shift changes at due.  Late (the daemon was down),
 * the summary is of the shift due began, as the store has it now; the
 * changes missed meanwhile are not told again.
 */
int
engine_handover_fire(struct engine *e, int64_t ref, int64_t due)
{
	const struct roster	*ro;
	int64_t			 next, now = clock_now();
	int			 rc = 0;

	(void)ref;
	/* Gone from the site: it sleeps until a reload brings it back. */
	if ((ro = engine_handover_roster(e)) == NULL)
		return (0);
	if (handover_next(ro, due - 1) == due)
		rc = engine_handover_send(e, ro, due);
	next = handover_next(ro, now > due ? now : due);
	if (rc == 0 && next != 0)
		rc = engine_timer_add(e, next, TIMER_HANDOVER, 0);
	return (rc);
}

/* The site's handover has its timer; inside the caller's transaction. */
int
engine_sync_handover(struct engine *e)
{
	const struct roster	*ro;
	int64_t			 next;
	int			 pending;

	if ((ro = engine_handover_roster(e)) == NULL)
		return (0);
	pending = store_timer_exists(e->store, TIMER_HANDOVER, 0);
	if (pending != 0)
		return (pending < 0 ? -1 : 0);
	if ((next = handover_next(ro, clock_now())) == 0) {
		log_warnx("engine: roster %s changes nobody within a year: no "
		    "handover summaries", ro->name);
		return (0);
	}
	return (engine_timer_add(e, next, TIMER_HANDOVER, 0));
}
