/*
 * Reading ahead for a batch of events.  Each new event first asks whether
 * its unit sent it before and for the incident it names
 * (store_event_find_with_incident).  On PostgreSQL that question is a
 * wait for the server per event, and while the daemon waits the server
 * has nothing queued: the two take turns.  The ingest batch asks all its
 * questions in one read before its first event instead, and each event's
 * own question is answered from here.
 *
 * An answer read ahead is the database as the batch found it, so it holds
 * until the batch writes what it is about: the event (unit, id) stored,
 * or the incident under its key added, changed or pruned.  The writers
 * say so (store_ahead_forget_*), and that answer is read again when it is
 * asked.  A write the store cannot place (a prune of an incident's
 * events, emptying the store) forgets every answer; so does the end of
 * the transaction.
 *
 * Only the first STORE_AHEAD_MAX questions are read ahead: a spool
 * backlog makes batches of thousands of events, and each answer is
 * looked up, and forgotten, by a walk of the list.  The walk compares a
 * hash first.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store-int.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define STORE_AHEAD_MAX	512

struct store_ahead_answer {
	uint64_t		 event_hash;	/* of unit and id */
	uint64_t		 key_hash;
	char			*unit;
	char			*id;	/* or NULL */
	char			*key;	/* or NULL */
	int			 stale;	/* written since: ask the database */
	int			 found;	/* the event was sent before */
	struct store_event	 ev;	/* seq and incident, when found */
	struct store_incident	 inc;	/* key NULL: no incident */
};

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static char *
dup_opt(const char *v)
{
	return (v != NULL ? xstrdup(v) : NULL);
}

/* FNV-1a over the strings, NULL and "" apart. */
static uint64_t
hash_of(const char *a, const char *b)
{
	const char	*v[2] = { a, b };
	uint64_t	 h = 14695981039346656037ULL;
	const char	*p;
	int		 i;

	for (i = 0; i < 2; i++) {
		h = (h ^ (v[i] == NULL ? 0xff : 0xfe)) * 1099511628211ULL;
		for (p = v[i]; p != NULL && *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	}
	return (h);
}

void
store_ahead_clear(struct store *s)
{
	struct store_ahead_answer	*a;
	size_t				 i;

	for (i = 0; i < s->nahead; i++) {
		a = &s->ahead[i];
		free(a->unit);
		free(a->id);
		free(a->key);
		store_event_clear(&a->ev);
		store_incident_clear(&a->inc);
	}
	free(s->ahead);
	s->ahead = NULL;
	s->nahead = 0;
}

void
store_ahead_forget_event(struct store *s, const char *unit, const char *id)
{
	uint64_t	h;
	size_t		i;

	if (s->nahead == 0)
		return;
	h = hash_of(unit, id);
	for (i = 0; i < s->nahead; i++) {
		if (s->ahead[i].event_hash == h &&
		    same(s->ahead[i].unit, unit) && same(s->ahead[i].id, id))
			s->ahead[i].stale = 1;
	}
}

void
store_ahead_forget_incident(struct store *s, const char *key)
{
	uint64_t	h;
	size_t		i;

	if (s->nahead == 0)
		return;
	h = hash_of(key, NULL);
	for (i = 0; i < s->nahead; i++) {
		if (s->ahead[i].key_hash == h && same(s->ahead[i].key, key))
			s->ahead[i].stale = 1;
	}
}

/* The questions as the statement takes them: [[unit, id, key], ...]. */
static char *
store_ahead_json(const struct store_event_ask *asks, size_t n)
{
	json_t	*all, *one;
	char	*text;
	size_t	 i;

	all = json_array();
	for (i = 0; i < n; i++) {
		one = json_pack("[s?, s?, s?]", asks[i].unit, asks[i].id,
		    asks[i].key);
		if (one == NULL) {
			json_decref(all);
			return (NULL);
		}
		json_array_append_new(all, one);
	}
	text = json_dumps(all, JSON_COMPACT);
	json_decref(all);
	return (text);
}

/* A row: the incident's columns, the event's seq and incident, the ask. */
static int
store_ahead_row(struct store *s, struct store_query *q, void *arg)
{
	struct store_ahead_answer	*a;
	int64_t				 i = store_col_int(s, q,
					    INCIDENT_NCOLS + 2);

	(void)arg;
	if (i < 0 || (size_t)i >= s->nahead)
		return (-1);
	a = &s->ahead[i];
	if (!s->drv->column_is_null(q, INCIDENT_NCOLS)) {
		a->found = 1;
		a->ev.seq = store_col_int(s, q, INCIDENT_NCOLS);
		a->ev.incident = store_col_text(s, q, INCIDENT_NCOLS + 1);
	} else if (!s->drv->column_is_null(q, 0) &&
	    store_incident_read(s, q, &a->inc) != 0)
		return (-1);
	a->stale = 0;
	return (0);
}

int
store_events_read_ahead(struct store *s, const struct store_event_ask *asks,
    size_t n)
{
	struct store_query	*q;
	char			*text;
	size_t			 i;
	int			 rc;

	store_ahead_clear(s);
	if (n == 0)
		return (0);
	if (n > STORE_AHEAD_MAX)
		n = STORE_AHEAD_MAX;	/* the rest are read when asked */
	if ((text = store_ahead_json(asks, n)) == NULL)
		return (-1);
	s->ahead = xcalloc(n, sizeof(*s->ahead));	/* n > 0 */
	s->nahead = n;
	for (i = 0; i < n; i++) {
		s->ahead[i].unit = dup_opt(asks[i].unit);
		s->ahead[i].id = dup_opt(asks[i].id);
		s->ahead[i].key = dup_opt(asks[i].key);
		s->ahead[i].event_hash = hash_of(asks[i].unit, asks[i].id);
		s->ahead[i].key_hash = hash_of(asks[i].key, NULL);
		s->ahead[i].stale = 1;	/* until its row is read */
	}
	q = store_q(s, SQL_EVENTS_FIND_MANY);
	store_bind_text(s, q, 1, text);
	rc = store_q_each(s, q, store_ahead_row, NULL);
	free(text);
	if (rc != 0)
		store_ahead_clear(s);
	return (rc);
}

static void
store_ahead_copy_incident(struct store_incident *to,
    const struct store_incident *from)
{
	*to = *from;
	to->key = dup_opt(from->key);
	to->unit = dup_opt(from->unit);
	to->category = dup_opt(from->category);
	to->procedures = dup_opt(from->procedures);
	to->title = dup_opt(from->title);
	to->acked_by = dup_opt(from->acked_by);
}

/*
 * The answer read ahead for (unit, id, key), as
 * store_event_find_with_incident gives it (0 or 1), or -1 when there is
 * none to give: never asked, or written since.
 */
int
store_ahead_find(struct store *s, const char *unit, const char *id,
    const char *key, struct store_event *ev, struct store_incident *inc)
{
	const struct store_ahead_answer	*a;
	uint64_t			 eh, kh;
	size_t				 i;

	if (s->nahead == 0)
		return (-1);
	eh = hash_of(unit, id);
	kh = hash_of(key, NULL);
	for (i = 0; i < s->nahead; i++) {
		a = &s->ahead[i];
		if (a->stale || a->event_hash != eh || a->key_hash != kh ||
		    !same(a->unit, unit) || !same(a->id, id) ||
		    !same(a->key, key))
			continue;
		if (a->found) {
			ev->seq = a->ev.seq;
			ev->incident = dup_opt(a->ev.incident);
			return (1);
		}
		if (a->inc.key != NULL)
			store_ahead_copy_incident(inc, &a->inc);
		return (0);
	}
	return (-1);
}
