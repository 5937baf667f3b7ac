/*
 * tocsinctl replay: the stored events of a database through changed rules
 * on the virtual clock, and how the timeline would differ from the one
 * stored -- who would be told and who no longer, what would be late or
 * breached, which due times move -- the preview an office needs before it
 * deploys changed procedures (SPEC §6).
 *
 * The database is never written: it is copied as a reader through SQLite's
 * backup API (store-backup.c, what `tocsinctl backup` does, so the live
 * database of a running daemon will do), the copy is read and removed, and
 * the replay runs over the simulation's private in-memory store
 * (ctl-simulate.c), the daemon's engine on a virtual clock.
 *
 * What is compared: the actions of incidents, the engine's own decisions
 * (not deliveries, prunes or the watchman), up to the last moment the
 * database records (or --to); recurring reports are not replayed, as
 * they follow the calendar, not the stored events.  The daemon's timers
 * fire a little after their time and the virtual clock's exactly, so
 * times within REPLAY_SLACK_MS are the same.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "calendar.h"
#include "clock.h"
#include "ctl.h"
#include "ctl-simulate.h"
#include "ctl-table.h"
#include "names.h"
#include "record.h"
#include "store-backup.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define REPLAY_SLACK_MS		2000
#define REPLAY_TAIL		(30 * MSEC_PER_DAY)

/* What is replayed, and the stored actions it is compared with. */
struct replay_incident {
	char	*key;
	char	*unit;
	char	*title;
	json_t	*stored;		/* its actions, as stored */
	json_t	*replayed;		/* its actions, replayed */
	json_t	*changes;
};

struct replay_event {
	size_t	 incident;		/* index in replay.v */
	int64_t	 at;
	char	*body;
};

struct replay {
	/* what to replay */
	int64_t			 from, to;	/* 0: open */
	const char		*incident;
	const char		*unit;
	/* what was read */
	json_t			*index;		/* key -> index, or -1 */
	struct replay_incident	*v;
	size_t			 n;
	struct replay_event	*ev;
	size_t			 nev;
	int64_t			 horizon;	/* compared up to here */
};

/* The kinds of action that are the engine's decisions on incidents. */
static const char *const replay_kinds[] = {
	"incident.", "obligation.", "escalation.", "notify", "event.rejected",
	"event.unmatched",
};

/* What identifies an action across two timelines; the rest may change. */
static const char *const replay_key_fields[] = {
	"kind", "procedure", "obligation", "instance", "policy", "step",
	"repeat", "role", "recipient", "channel", "reason",
};

/* How an added or removed action reads, by kind (NULL: any other). */
static const struct replay_phrase {
	const char	*kind;
	const char	*added;
	const char	*removed;
} replay_phrases[] = {
	{ "notify", "would now be told", "would no longer be told" },
	{ "obligation.late", "would now be late (迟报)",
	    "would no longer be late" },
	{ "obligation.breached", "would now be breached",
	    "would no longer be breached" },
	{ "obligation.missed", "would now be missed (漏报)",
	    "would no longer be missed" },
	{ NULL, "would now happen", "would no longer happen" },
};

static int
replay_kind_compared(const char *kind)
{
	size_t	i, n;

	for (i = 0; kind != NULL && i < nitems(replay_kinds); i++) {
		n = strlen(replay_kinds[i]);
		if (replay_kinds[i][n - 1] == '.' ? strncmp(kind,
		    replay_kinds[i], n) == 0 : strcmp(kind, replay_kinds[i]) ==
		    0)
			return (1);
	}
	return (0);
}

static const char *
replay_str(const json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

/* An action's time, from its "at"; 0 when it has none. */
static int64_t
replay_at(const json_t *action)
{
	const char	*at = replay_str(action, "at");
	int64_t		 t;

	return (at != NULL && calendar_parse_time(at, &t) == 0 ? t : 0);
}

static void
replay_free(struct replay *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].key);
		free(r->v[i].unit);
		free(r->v[i].title);
		json_decref(r->v[i].stored);
		json_decref(r->v[i].replayed);
		json_decref(r->v[i].changes);
	}
	free(r->v);
	for (i = 0; i < r->nev; i++)
		free(r->ev[i].body);
	free(r->ev);
	json_decref(r->index);
}

/*
 * The first event of an incident decides whether it is replayed: the
 * incident and unit asked for, first reported within the window.
 */
static int
replay_wanted(const struct replay *r, const struct store_event *ev)
{
	if (r->incident != NULL && strcmp(r->incident, ev->incident) != 0)
		return (0);
	if (r->unit != NULL && (ev->unit == NULL || strcmp(r->unit,
	    ev->unit) != 0))
		return (0);
	if (r->from != 0 && ev->received_at < r->from)
		return (0);
	return (r->to == 0 || ev->received_at < r->to);
}

/* store_events_each: copy each event of a wanted incident. */
static int
replay_read_event(const struct store_event *ev, void *arg)
{
	struct replay		*r = arg;
	struct replay_incident	*inc;
	json_t			*idx;
	json_int_t		 i;

	if (ev->received_at > r->horizon)
		r->horizon = ev->received_at;
	if (ev->incident == NULL)
		return (0);	/* a recurring report's: not replayed */
	if ((idx = json_object_get(r->index, ev->incident)) == NULL) {
		i = replay_wanted(r, ev) ? (json_int_t)r->n : -1;
		json_object_set_new(r->index, ev->incident, json_integer(i));
		if (i >= 0) {
			r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
			inc = &r->v[r->n++];
			memset(inc, 0, sizeof(*inc));
			inc->key = xstrdup(ev->incident);
			inc->unit = ev->unit != NULL ? xstrdup(ev->unit) : NULL;
			inc->stored = json_array();
			inc->replayed = json_array();
		}
	} else
		i = json_integer_value(idx);
	if (i < 0)
		return (0);
	r->ev = xreallocarray(r->ev, r->nev + 1, sizeof(*r->ev));
	r->ev[r->nev].incident = (size_t)i;
	r->ev[r->nev].at = ev->received_at;
	r->ev[r->nev].body = xstrdup(ev->body != NULL ? ev->body : "{}");
	r->nev++;
	return (0);
}

/* store_actions_of_incident: keep the actions that are compared. */
static int
replay_read_action(const struct store_action *a, void *arg)
{
	struct replay_incident	*inc = arg;
	json_t			*action;

	if (!replay_kind_compared(a->kind) || a->body == NULL ||
	    (action = json_loads(a->body, 0, NULL)) == NULL)
		return (0);
	json_array_append_new(inc->stored, action);
	return (0);
}

/* The events and the stored timelines of a store (the copy). */
static int
replay_read_store(struct replay *r, struct store *s)
{
	struct store_incident	 row;
	struct replay_incident	*inc;
	size_t			 i;
	int64_t			 t;
	json_t			*a;
	size_t			 j;

	if (store_events_each(s, replay_read_event, r) != 0)
		return (-1);
	for (i = 0; i < r->n; i++) {
		inc = &r->v[i];
		if (store_incident_get(s, inc->key, &row) == 1 &&
		    row.title != NULL)
			inc->title = xstrdup(row.title);
		store_incident_clear(&row);
		if (store_actions_of_incident(s, inc->key, replay_read_action,
		    inc) != 0)
			return (-1);
		json_array_foreach(inc->stored, j, a) {
			if ((t = replay_at(a)) > r->horizon)
				r->horizon = t;
		}
	}
	/* A --to past the last record would count what has not happened
	 * yet as a difference. */
	if (r->to != 0 && r->to < r->horizon)
		r->horizon = r->to;
	return (0);
}

/*
 * Copy db (as a reader: the live database is never written), read the
 * copy, remove it.  The copy goes to a private directory under $TMPDIR.
 */
static int
replay_read(struct replay *r, const char *db)
{
	static const char *const	 suffixes[] = { "", "-wal", "-shm",
					    "-journal" };
	struct store_backup_result	 res;
	struct store			*s;
	const char			*tmp = getenv("TMPDIR");
	char				*dir, *copy, *cause;
	size_t				 i;
	int				 rc = -1;

	xasprintf(&dir, "%s/tocsin-replay.XXXXXX", tmp != NULL && *tmp != '\0' ?
	    tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "tocsinctl: %s: %s\n", dir, strerror(errno));
		free(dir);
		return (-1);
	}
	xasprintf(&copy, "%s/copy.db", dir);
	if (store_backup(db, copy, 1, &res, &cause) != 0) {
		fprintf(stderr, "tocsinctl: %s\n", cause);
		free(cause);
	} else if ((s = store_open(copy, "OFF", &cause)) == NULL) {
		fprintf(stderr, "tocsinctl: %s: %s\n", db, cause);
		free(cause);
	} else {
		if ((rc = replay_read_store(r, s)) != 0)
			fprintf(stderr, "tocsinctl: %s: cannot read it\n", db);
		store_close(s);
	}
	free(copy);
	for (i = 0; i < nitems(suffixes); i++) {
		xasprintf(&copy, "%s/copy.db%s", dir, suffixes[i]);
		unlink(copy);
		free(copy);
	}
	rmdir(dir);
	free(dir);
	return (rc);
}

/* The simulation's sink: each replayed action to its incident. */
static void
replay_collect(const char *line, void *arg)
{
	struct replay	*r = arg;
	json_t		*action, *idx;
	json_int_t	 i;

	if ((action = json_loads(line, 0, NULL)) == NULL)
		return;
	if (replay_kind_compared(replay_str(action, "kind")) &&
	    replay_str(action, "incident") != NULL &&
	    (idx = json_object_get(r->index, replay_str(action,
	    "incident"))) != NULL && (i = json_integer_value(idx)) >= 0)
		json_array_append(r->v[i].replayed, action);
	json_decref(action);
}

/* An event the new rules refuse is a difference of its own. */
static void
replay_refused(struct replay *r, const struct replay_event *ev,
    const struct record_error *err)
{
	char	at[CALENDAR_TIME_MAX];

	calendar_format(ev->at, at, sizeof(at));
	json_array_append_new(r->v[ev->incident].replayed, json_pack(
	    "{s:s, s:s, s:s, s:s}", "at", at, "kind", "event.rejected",
	    "incident", r->v[ev->incident].key, "reason", err->message));
}

/* The events, in the order stored, through the simulation. */
static int
replay_run(struct replay *r, struct simulation *sim)
{
	struct record_error	 err;
	json_t			*body;
	int64_t			 t, last = 0;
	size_t			 i;
	int			 rc;

	for (i = 0; i < r->nev; i++) {
		if (r->ev[i].at > r->horizon)
			continue;
		/* Stored in commit order; a receipt time may be a hair
		 * earlier than the one before it. */
		t = r->ev[i].at > last ? r->ev[i].at : last;
		last = t;
		if ((body = json_loads(r->ev[i].body, 0, NULL)) == NULL)
			continue;
		memset(&err, 0, sizeof(err));
		rc = simulation_submit(sim, body, t, &err);
		json_decref(body);
		if (rc < 0)
			return (-1);
		if (rc == 1)
			replay_refused(r, &r->ev[i], &err);
	}
	return (simulation_run_until(sim, r->horizon + REPLAY_TAIL));
}

/* The fields that identify an action, as one string (to free). */
static char *
replay_key(const json_t *action)
{
	json_t	*k = json_array(), *v;
	char	*s;
	size_t	 i;

	for (i = 0; i < nitems(replay_key_fields); i++) {
		v = json_object_get(action, replay_key_fields[i]);
		json_array_append(k, v != NULL ? v : json_null());
	}
	s = json_dumps(k, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(k);
	return (s);
}

static int
replay_time_moved(const json_t *was, const json_t *now, const char *key)
{
	const char	*a = replay_str(was, key), *b = replay_str(now, key);
	int64_t		 ta, tb;

	if (a == NULL || b == NULL)
		return (a != b);
	if (calendar_parse_time(a, &ta) != 0 || calendar_parse_time(b,
	    &tb) != 0)
		return (strcmp(a, b) != 0);
	return (ta - tb > REPLAY_SLACK_MS || tb - ta > REPLAY_SLACK_MS);
}

static void
replay_change(json_t *changes, const char *change, json_t *was, json_t *now,
    json_t *fields)
{
	json_t	*c = json_object();

	json_object_set_new(c, "change", json_string(change));
	json_object_set(c, "at", json_object_get(was != NULL ? was : now,
	    "at"));
	json_object_set(c, "kind", json_object_get(was != NULL ? was : now,
	    "kind"));
	if (fields != NULL)
		json_object_set_new(c, "fields", fields);
	if (was != NULL)
		json_object_set(c, "was", was);
	if (now != NULL)
		json_object_set(c, "now", now);
	json_array_append_new(changes, c);
}

/* A stored action and its replayed twin: what moved, if anything. */
static void
replay_pair(json_t *changes, int64_t horizon, json_t *was, json_t *now)
{
	json_t	*fields = json_array();

	if (replay_at(now) > horizon) {
		replay_change(changes, "later", was, now, NULL);
		json_decref(fields);
		return;
	}
	if (replay_time_moved(was, now, "at"))
		json_array_append_new(fields, json_string("at"));
	if (replay_time_moved(was, now, "due_at"))
		json_array_append_new(fields, json_string("due_at"));
	if (!json_equal(json_object_get(was, "grade"), json_object_get(now,
	    "grade")) && strcmp(replay_str(was, "kind"), "incident.graded") ==
	    0)
		json_array_append_new(fields, json_string("grade"));
	if (json_array_size(fields) > 0)
		replay_change(changes, "changed", was, now, fields);
	else
		json_decref(fields);
}

/* By time, stably: a change's "at" is RFC 3339 in one zone. */
static int
replay_change_cmp(const void *a, const void *b)
{
	const json_t	*x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int64_t		 tx = replay_at(x), ty = replay_at(y);

	if (tx != ty)
		return (tx < ty ? -1 : 1);
	return (json_integer_value(json_object_get(x, "n")) <
	    json_integer_value(json_object_get(y, "n")) ? -1 : 1);
}

static void
replay_sort(json_t *changes)
{
	json_t	**v, *c;
	size_t	  i, n = json_array_size(changes);

	v = xcalloc(n + 1, sizeof(*v));
	json_array_foreach(changes, i, c) {
		json_object_set_new(c, "n", json_integer((json_int_t)i));
		v[i] = json_incref(c);
	}
	qsort(v, n, sizeof(*v), replay_change_cmp);
	json_array_clear(changes);
	for (i = 0; i < n; i++) {
		json_object_del(v[i], "n");
		json_array_append_new(changes, v[i]);
	}
	free(v);
}

/*
 * The changes from one incident's stored actions to its replayed ones, by
 * time, compared up to horizon.  Each stored action is matched with the
 * first replayed one not yet matched that is the same decision
 * (replay_key_fields), in order, so a policy's repeats pair off one by
 * one.  What is left on either side was added or removed; a replayed
 * action after the horizon is not yet due.  A pure function: the unit
 * test calls it.
 */
json_t *
ctl_replay_diff(json_t *stored, json_t *replayed, int64_t horizon)
{
	size_t	 ns = json_array_size(stored), i, j;
	size_t	 nr = json_array_size(replayed);
	char	**keys = xcalloc(nr + 1, sizeof(*keys)), *k;
	char	 *used = xcalloc(nr + 1, 1);
	json_t	*was, *now, *changes = json_array();

	for (j = 0; j < nr; j++)
		keys[j] = replay_key(json_array_get(replayed, j));
	for (i = 0; i < ns; i++) {
		was = json_array_get(stored, i);
		if (replay_at(was) > horizon)
			continue;
		k = replay_key(was);
		for (j = 0; j < nr && (used[j] || strcmp(keys[j], k) != 0); j++)
			;
		free(k);
		if (j == nr) {
			replay_change(changes, "removed", was, NULL, NULL);
			continue;
		}
		used[j] = 1;
		replay_pair(changes, horizon, was, json_array_get(replayed, j));
	}
	for (j = 0; j < nr; j++) {
		now = json_array_get(replayed, j);
		if (!used[j] && replay_at(now) <= horizon)
			replay_change(changes, "added", NULL, now, NULL);
		free(keys[j]);
	}
	free(keys);
	free(used);
	replay_sort(changes);
	return (changes);
}

/* "2026-03-02T11:00:00+08:00" as "2026-03-02 11:00:00". */
static void
replay_time(const char *at, char *buf, size_t len)
{
	snprintf(buf, len, "%.19s", at != NULL ? at : "-");
	if (strlen(buf) > 10 && buf[10] == 'T')
		buf[10] = ' ';
}

/* Two times, the day left out of both when it is the same. */
static void
replay_times(const char *was, const char *now, char *a, char *b, size_t len)
{
	replay_time(was, a, len);
	replay_time(now, b, len);
	if (strlen(a) == 19 && strlen(b) == 19 && strncmp(a, b, 11) == 0) {
		memmove(a, a + 11, 9);
		memmove(b, b + 11, 9);
	}
}

/* What an action is about: its obligation, or a policy's step. */
static char *
replay_about(const json_t *a)
{
	const char	*ob = replay_str(a, "obligation");
	const char	*pol = replay_str(a, "policy");
	json_int_t	 step = json_integer_value(json_object_get(a, "step"));
	json_int_t	 inst = json_integer_value(json_object_get(a,
			    "instance"));
	char		*s, *t;

	xasprintf(&s, "%s", ob != NULL ? ob : "");
	if (inst > 0) {
		xasprintf(&t, "%s #%lld", s, (long long)inst);
		free(s);
		s = t;
	}
	if (pol != NULL && step > 0) {
		xasprintf(&t, "%s%s%s step %lld", s, *s ? ", " : "", pol,
		    (long long)step);
		free(s);
		s = t;
	}
	return (s);
}

/* Who a notify told: "role → recipient (channel)". */
static char *
replay_who(const json_t *a)
{
	const char	*role = replay_str(a, "role");
	const char	*who = replay_str(a, "recipient");
	const char	*ch = replay_str(a, "channel");
	char		*s;

	if (who == NULL) {
		xasprintf(&s, "%s", role != NULL ? role : "");
		return (s);
	}
	xasprintf(&s, "%s → %s (%s)", role != NULL ? role : "-", who,
	    ch != NULL ? ch : "-");
	return (s);
}

/* What differs, in words. */
static char *
replay_what(const struct replay *r, const json_t *c)
{
	const char	*change = replay_str(c, "change"), *kind;
	const json_t	*was = json_object_get(c, "was");
	const json_t	*now = json_object_get(c, "now");
	const json_t	*f;
	char		 a[32], b[32], h[CALENDAR_TIME_MAX], *s = NULL, *t;
	size_t		 i;

	kind = replay_str(c, "kind");
	for (i = 0; replay_phrases[i].kind != NULL &&
	    strcmp(replay_phrases[i].kind, kind) != 0; i++)
		;
	if (strcmp(change, "added") == 0)
		return (xstrdup(replay_phrases[i].added));
	if (strcmp(change, "removed") == 0)
		return (xstrdup(replay_phrases[i].removed));
	if (strcmp(change, "later") == 0) {
		replay_time(replay_str(now, "at"), a, sizeof(a));
		calendar_format(r->horizon, h, sizeof(h));
		replay_time(h, b, sizeof(b));
		xasprintf(&s, "not by %s: only at %s", b, a);
		return (s);
	}
	json_array_foreach(json_object_get(c, "fields"), i, f) {
		const char *key = json_string_value(f);

		if (strcmp(key, "grade") == 0) {
			snprintf(a, sizeof(a), "%lld", (long long)
			    json_integer_value(json_object_get(was, key)));
			snprintf(b, sizeof(b), "%lld", (long long)
			    json_integer_value(json_object_get(now, key)));
		} else
			replay_times(replay_str(was, key), replay_str(now, key),
			    a, b, sizeof(a));
		xasprintf(&t, "%s%s%s %s → %s", s != NULL ? s : "",
		    s != NULL ? "; " : "", strcmp(key, "at") == 0 ? "at" :
		    strcmp(key, "due_at") == 0 ? "due" : key, a, b);
		free(s);
		s = t;
	}
	return (s != NULL ? s : xstrdup(""));
}

#define REPLAY_COLS	5

/* A change as cells: mark, time, kind, about, who, what (all to free). */
static void
replay_cells(const struct replay *r, const json_t *c,
    char *cells[REPLAY_COLS + 1])
{
	static const struct { const char *change, *mark; } marks[] = {
		{ "added", "+" }, { "removed", "-" }, { "changed", "~" },
		{ "later", "~" },
	};
	const json_t	*a = json_object_get(c, json_object_get(c, "was") !=
			    NULL ? "was" : "now");
	char		 t[32];
	size_t		 i;

	for (i = 0; i < nitems(marks) && strcmp(marks[i].change, replay_str(c,
	    "change")) != 0; i++)
		;
	xasprintf(&cells[0], "  %s", i < nitems(marks) ? marks[i].mark : "?");
	replay_time(replay_str(c, "at"), t, sizeof(t));
	cells[1] = xstrdup(t);
	cells[2] = xstrdup(replay_str(c, "kind"));
	cells[3] = replay_about(a);
	cells[4] = replay_who(a);
	cells[5] = replay_what(r, c);
}

/* The differences per incident, in columns that line up in Chinese. */
static void
replay_print_text(const struct replay *r)
{
	struct ctl_table_col	 cols[REPLAY_COLS + 1];
	char			*cells[REPLAY_COLS + 1], h[CALENDAR_TIME_MAX];
	const json_t		*c;
	size_t			 i, j, k, differ = 0;
	int			 w;

	memset(cols, 0, sizeof(cols));
	for (i = 0; i < r->n; i++) {
		json_array_foreach(r->v[i].changes, j, c) {
			replay_cells(r, c, cells);
			for (k = 0; k < REPLAY_COLS; k++) {
				if ((w = ctl_table_width(cells[k])) >
				    cols[k].width)
					cols[k].width = w;
			}
			for (k = 0; k <= REPLAY_COLS; k++)
				free(cells[k]);
		}
	}
	for (i = 0; i < r->n; i++) {
		if (json_array_size(r->v[i].changes) == 0)
			continue;
		differ++;
		printf("%s%s  %s  %s\n", differ > 1 ? "\n" : "", r->v[i].key,
		    r->v[i].unit != NULL ? r->v[i].unit : "-",
		    r->v[i].title != NULL ? r->v[i].title : "");
		json_array_foreach(r->v[i].changes, j, c) {
			replay_cells(r, c, cells);
			ctl_table_row(stdout, cols, REPLAY_COLS + 1,
			    (const char *const *)cells);
			for (k = 0; k <= REPLAY_COLS; k++)
				free(cells[k]);
		}
	}
	calendar_format(r->horizon, h, sizeof(h));
	printf("%s%zu of %zu incidents differ (%zu events replayed, "
	    "compared up to %s)\n", differ > 0 ? "\n" : "", differ, r->n,
	    r->nev, h);
}

static void
replay_print_json(const struct replay *r, int differ)
{
	json_t	*out, *list, *inc;
	char	 h[CALENDAR_TIME_MAX], *text;
	size_t	 i;

	calendar_format(r->horizon, h, sizeof(h));
	list = json_array();
	for (i = 0; i < r->n; i++) {
		if (json_array_size(r->v[i].changes) == 0)
			continue;
		inc = json_pack("{s:s, s:s?, s:s?, s:O}", "incident",
		    r->v[i].key, "unit", r->v[i].unit, "title", r->v[i].title,
		    "changes", r->v[i].changes);
		json_array_append_new(list, inc);
	}
	out = json_pack("{s:b, s:s, s:I, s:I, s:o}", "same", !differ,
	    "until", h, "incidents_replayed", (json_int_t)r->n,
	    "events_replayed", (json_int_t)r->nev, "incidents", list);
	text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(out);
}

static int
replay_time_arg(const char *what, const char *arg, int64_t *t)
{
	if (calendar_parse_time(arg, t) == 0)
		return (0);
	fprintf(stderr, "tocsinctl: replay: %s: \"%s\" is not an RFC 3339 "
	    "time\n", what, arg);
	return (-1);
}

static void
replay_usage(void)
{
	fprintf(stderr, "usage: tocsinctl replay --db DB -c SITE [-r|--rules "
	    "DIR]... [--credentials DIR] [--from T] [--to T] [--incident KEY] "
	    "[--unit U] [--format text|json]\n");
}

/*
 * replay: 0 when the timeline would be the same, 1 when it would differ,
 * 2 on an error, so that a deploy script can gate on it.
 */
int
ctl_replay(const struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "credentials", required_argument, NULL, 'C' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "incident", required_argument, NULL, 'i' },
		{ "unit", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay		 r;
	struct names		 dirs = { NULL, 0 };
	struct simulation	*sim = NULL;
	const char		*site = NULL, *db = NULL, *format = "text";
	size_t			 i, differ = 0;
	int			 ch, rc = 2;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'c': site = optarg; break;
		case 'r': names_add(&dirs, optarg); break;
		case 'C':
			if (setenv("CREDENTIALS_DIRECTORY", optarg, 1) != 0)
				goto out;
			break;
		case 'f':
			if (replay_time_arg("--from", optarg, &r.from) != 0)
				goto out;
			break;
		case 't':
			if (replay_time_arg("--to", optarg, &r.to) != 0)
				goto out;
			break;
		case 'i': r.incident = optarg; break;
		case 'u': r.unit = optarg; break;
		case 'F': format = optarg; break;
		default: goto usage;
		}
	}
	if (site == NULL || db == NULL || optind != argc ||
	    (strcmp(format, "text") != 0 && strcmp(format, "json") != 0))
		goto usage;
	r.index = json_object();
	if (replay_read(&r, db) != 0)
		goto out;
	if ((sim = simulation_new(site, &dirs, 0, replay_collect, &r)) == NULL)
		goto out;
	if (replay_run(&r, sim) != 0)
		goto out;
	for (i = 0; i < r.n; i++) {
		r.v[i].changes = ctl_replay_diff(r.v[i].stored,
		    r.v[i].replayed, r.horizon);
		differ += json_array_size(r.v[i].changes) > 0;
	}
	if (strcmp(format, "json") == 0)
		replay_print_json(&r, differ > 0);
	else
		replay_print_text(&r);
	rc = differ > 0 ? 1 : 0;
out:
	simulation_free(sim);
	replay_free(&r);
	names_free(&dirs);
	return (rc);
usage:
	replay_usage();
	names_free(&dirs);
	replay_free(&r);
	return (2);
}
