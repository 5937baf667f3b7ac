/*
 * The engine applies the procedures.  An event may open an incident, grade
 * it, meet obligations, acknowledge or resolve it; the passing of time
 * (timers from the store) breaches obligations, sends reminders and climbs
 * escalation policies.  Each of these decisions is one timeline action,
 * and a notification is an outbox row written beside the action that made
 * it, in the same transaction.
 *
 * Obligation states: pending -> met | breached; breached -> late (met after
 * its due time) | missed (never met before the incident closed); pending ->
 * cancelled when the incident is resolved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <openssl/rand.h>

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "jsonw.h"
#include "log.h"
#include "match.h"
#include "message.h"
#include "metrics.h"
#include "org.h"
#include "rules.h"
#include "sandbox.h"
#include "store-legacy.h"	/* phase 2 of issue 15 removes it */
#include "store.h"
#include "timeline.h"
#include "timer.h"
#include "tocsin.h"
#include "xmalloc.h"

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
	uint64_t		  notified;	/* outbox rows this transaction */
	struct names		  told;		/* "recipient\036channel" pairs
						   this decision told */

	/*
	 * Open incidents, counted once at start-up and then kept: committed,
	 * this transaction's change, and that change when the request under
	 * way began (a refused request undoes its part).
	 */
	int64_t			  open;
	int64_t			  open_delta;
	int64_t			  open_mark;

	struct engine_stats	  stats;
};

struct incident {
	char		*key;
	char		*unit;
	char		*category;
	char		*title;
	json_t		*procedures;
	int		 grade;
	int		 worst_grade;
	int		 closed;
	int64_t		 opened_at;
	int64_t		 occurred_at;
	int64_t		 acked_at;
};

struct obligation {
	int64_t		 id;
	char		*incident;	/* NULL for a recurring report */
	char		*recurring;
	char		*unit;
	char		*procedure;
	char		*name;
	char		*title;
	char		*owner;
	char		*on_breach;
	char		*status;
	int64_t		 set_at;
	int64_t		 due_at;
};

/* What an action concerns; filled as far as it is known. */
struct scope {
	const struct incident	*inc;
	const char		*recurring;
	const char		*unit;
	const char		*procedure;
	const char		*obligation;
	const char		*obligation_title;
	int64_t			 obligation_id;
	int64_t			 due_at;
	const char		*policy;
	int			 step;
	const char		*period;	/* the special period, if any */
	const json_t		*undelivered;	/* the dead message's body */
	const char		*undelivered_detail;
	const char		*title;		/* else the incident's or report's */
};

static const char *engine_grade_names[] = {
	"未定级", "特别重大", "重大", "较大", "一般",
};

static char *
dup_col(sqlite3_stmt *st, int col)
{
	const char	*s = store_column_text(st, col);

	return (s != NULL ? xstrdup(s) : NULL);
}

struct engine *
engine_new(struct store *store, struct rules *rules)
{
	struct engine	*e;

	e = xcalloc(1, sizeof(*e));
	e->store = store;
	e->rules = rules;
	e->timers = timer_heap_new();
	e->open = -1;
	return (e);
}

static void
engine_pending_clear(struct engine *e, size_t keep)
{
	while (e->npending > keep)
		free(e->pending[--e->npending]);
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	engine_pending_clear(e, 0);
	free(e->pending);
	names_free(&e->told);
	timer_heap_free(e->timers);
	free(e);
}

void
engine_set_rules(struct engine *e, struct rules *rules)
{
	e->rules = rules;
}

void
engine_set_sink(struct engine *e, engine_sink sink, void *arg)
{
	e->sink = sink;
	e->sink_arg = arg;
}

const struct engine_stats *
engine_stats(struct engine *e)
{
	return (&e->stats);
}

/* Count the open incidents, once: after that the engine keeps the count. */
static int
engine_count_open(struct engine *e)
{
	sqlite3_stmt	*st = store_stmt(e->store, STMT_INCIDENT_COUNT_OPEN, NULL);

	if (store_step(e->store, st) == SQLITE_ROW)
		e->open = sqlite3_column_int64(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	return (e->open >= 0 ? 0 : -1);
}

/* The open incidents as of the last commit, without asking the store. */
int64_t
engine_open_incidents(struct engine *e)
{
	if (e->open < 0 && engine_count_open(e) != 0)
		return (-1);
	return (e->open);
}

/* Rebuild the timer heap from the store: the start-up half of durability. */
int
engine_recover(struct engine *e)
{
	sqlite3_stmt	*st;
	int		 rc;

	timer_heap_clear(e->timers);
	if (e->recovered_at == 0)
		e->recovered_at = clock_now();
	if (e->open < 0 && engine_count_open(e) != 0)
		return (-1);
	st = store_stmt(e->store, STMT_TIMERS_ALL, NULL);
	while ((rc = store_step(e->store, st)) == SQLITE_ROW)
		timer_heap_push(e->timers, sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 0));
	if (st != NULL)
		sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

int
engine_begin(struct engine *e)
{
	e->notified = 0;
	e->open_delta = 0;
	return (store_begin(e->store));
}

/* Commit, then hand the committed actions to the sink. */
int
engine_commit(struct engine *e)
{
	size_t	i;

	if (store_commit(e->store) != 0) {
		/* Rolled back: forget the actions, rebuild popped timers. */
		engine_pending_clear(e, 0);
		e->open_delta = 0;
		if (engine_recover(e) != 0)
			log_warnx("engine: cannot rebuild timers after a "
			    "failed commit");
		return (-1);
	}
	for (i = 0; i < e->npending; i++) {
		if (e->sink != NULL)
			e->sink(e->pending[i], e->sink_arg);
	}
	e->stats.actions += e->npending;
	e->stats.notifications += e->notified;
	if (e->open >= 0)
		e->open += e->open_delta;
	e->open_delta = 0;
	engine_pending_clear(e, 0);
	return (0);
}

/* Undo the transaction; the heap may hold popped timers, so rebuild it. */
void
engine_rollback(struct engine *e)
{
	store_rollback(e->store);
	engine_pending_clear(e, 0);
	e->open_delta = 0;
	if (engine_recover(e) != 0)
		log_warnx("engine: cannot rebuild timers after a rollback");
}

/* A request (one HTTP body, one spool file) is all or nothing. */
int
engine_request_begin(struct engine *e)
{
	e->request_mark = e->npending;
	e->open_mark = e->open_delta;
	return (store_savepoint(e->store));
}

void
engine_request_end(struct engine *e, int ok)
{
	if (ok)
		store_release(e->store);
	else {
		store_rollback_savepoint(e->store);
		engine_pending_clear(e, e->request_mark);
		e->open_delta = e->open_mark;
	}
}

static int
engine_timer_add(struct engine *e, int64_t at, enum engine_timer kind,
    int64_t ref)
{
	if (store_run(e->store, STMT_TIMER_INSERT, "idi", at, (int)kind, ref)
	    != 0)
		return (-1);
	timer_heap_push(e->timers, at, store_last_id(e->store));
	return (0);
}

size_t
engine_timer_count(struct engine *e)
{
	return (timer_heap_size(e->timers));
}

int64_t
engine_next_due(struct engine *e)
{
	int64_t	at, id;

	if (!timer_heap_peek(e->timers, &at, &id))
		return (INT64_MAX);
	return (at);
}

/* A decision starts: an event submitted, a timer fired, a message dead. */
static void
engine_decision_begin(struct engine *e)
{
	names_free(&e->told);
}

static void
incident_free(struct incident *inc)
{
	if (inc == NULL)
		return;
	free(inc->key);
	free(inc->unit);
	free(inc->category);
	free(inc->title);
	json_decref(inc->procedures);
	free(inc);
}

static struct incident *
incident_load(struct engine *e, const char *key)
{
	sqlite3_stmt	*st;
	struct incident	*inc;
	const char	*procs;

	st = store_stmt(e->store, STMT_INCIDENT_GET, "t", key);
	if (store_step(e->store, st) != SQLITE_ROW) {
		if (st != NULL)
			sqlite3_reset(st);
		return (NULL);
	}
	inc = xcalloc(1, sizeof(*inc));
	inc->key = dup_col(st, INC_KEY);
	inc->unit = dup_col(st, INC_UNIT);
	inc->category = dup_col(st, INC_CATEGORY);
	inc->title = dup_col(st, INC_TITLE);
	procs = store_column_text(st, INC_PROCEDURES);
	inc->procedures = json_loads(procs != NULL ? procs : "[]", 0, NULL);
	if (inc->procedures == NULL)
		inc->procedures = json_array();
	inc->grade = sqlite3_column_int(st, INC_GRADE);
	inc->worst_grade = sqlite3_column_int(st, INC_WORST_GRADE);
	inc->closed = strcmp(store_column_text(st, INC_STATE), "closed") == 0;
	inc->opened_at = sqlite3_column_int64(st, INC_OPENED_AT);
	inc->occurred_at = sqlite3_column_int64(st, INC_OCCURRED_AT);
	inc->acked_at = sqlite3_column_type(st, INC_ACKED_AT) == SQLITE_NULL ?
	    0 : sqlite3_column_int64(st, INC_ACKED_AT);
	sqlite3_reset(st);
	return (inc);
}

static void
obligation_free(struct obligation *o)
{
	if (o == NULL)
		return;
	free(o->incident);
	free(o->recurring);
	free(o->unit);
	free(o->procedure);
	free(o->name);
	free(o->title);
	free(o->owner);
	free(o->on_breach);
	free(o->status);
	free(o);
}

static struct obligation *
obligation_from_row(sqlite3_stmt *st)
{
	struct obligation	*o;

	o = xcalloc(1, sizeof(*o));
	o->id = sqlite3_column_int64(st, OBL_ID);
	o->incident = dup_col(st, OBL_INCIDENT);
	o->recurring = dup_col(st, OBL_RECURRING);
	o->unit = dup_col(st, OBL_UNIT);
	o->procedure = dup_col(st, OBL_PROCEDURE);
	o->name = dup_col(st, OBL_NAME);
	o->title = dup_col(st, OBL_TITLE);
	o->owner = dup_col(st, OBL_OWNER);
	o->on_breach = dup_col(st, OBL_ON_BREACH);
	o->status = dup_col(st, OBL_STATUS);
	o->set_at = sqlite3_column_int64(st, OBL_SET_AT);
	o->due_at = sqlite3_column_int64(st, OBL_DUE_AT);
	return (o);
}

static struct obligation *
obligation_load(struct engine *e, int64_t id)
{
	sqlite3_stmt		*st;
	struct obligation	*o = NULL;

	st = store_stmt(e->store, STMT_OBLIGATION_GET, "i", id);
	if (store_step(e->store, st) == SQLITE_ROW)
		o = obligation_from_row(st);
	if (st != NULL)
		sqlite3_reset(st);
	return (o);
}

/*
 * The open obligations of an incident (or, for which = BY_UNIT, a unit's
 * recurring ones), read out before any is changed.
 */
static struct obligation **
obligations_open(struct engine *e, enum store_stmt which, const char *key,
    size_t *n)
{
	sqlite3_stmt		 *st;
	struct obligation	**v = NULL;

	*n = 0;
	st = store_stmt(e->store, which, "t", key);
	while (store_step(e->store, st) == SQLITE_ROW) {
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = obligation_from_row(st);
	}
	if (st != NULL)
		sqlite3_reset(st);
	return (v);
}

static void
obligations_free(struct obligation **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		obligation_free(v[i]);
	free(v);
}

static void
scope_incident(struct scope *s, const struct incident *inc)
{
	memset(s, 0, sizeof(*s));
	s->inc = inc;
	s->unit = inc->unit;
}

/* An obligation of an incident, or (inc NULL) a unit's recurring report. */
static void
scope_obligation(struct scope *s, const struct incident *inc,
    const struct obligation *o)
{
	if (inc != NULL)
		scope_incident(s, inc);
	else {
		memset(s, 0, sizeof(*s));
		s->unit = o->unit;
		s->recurring = o->recurring;
	}
	s->procedure = o->procedure;
	s->obligation = o->name;
	s->obligation_title = o->title;
	s->obligation_id = o->id;
	s->due_at = o->due_at;
}

/* Record one action: audit row now, sink after commit.  Takes extra. */
static int
engine_emit(struct engine *e, const struct scope *s, const char *kind,
    const char *role, const char *recipient, const char *channel,
    json_t *extra)
{
	struct action	 a;
	char		*json;
	int		 rc;

	memset(&a, 0, sizeof(a));
	a.at = clock_now();
	a.kind = kind;
	a.incident = s->inc != NULL ? s->inc->key : NULL;
	a.recurring = s->recurring;
	a.unit = s->unit;
	a.grade = s->inc != NULL ? s->inc->grade : 0;
	a.procedure = s->procedure;
	a.obligation = s->obligation;
	a.policy = s->policy;
	a.step = s->step;
	a.role = role;
	a.recipient = recipient;
	a.channel = channel;
	a.extra = extra;
	json = timeline_json(&a);
	json_decref(extra);
	rc = store_run(e->store, STMT_TIMELINE_INSERT, "itt" "it", a.at, kind,
	    a.incident, s->obligation_id, json);
	if (rc != 0) {
		free(json);
		return (-1);
	}
	e->pending = xreallocarray(e->pending, e->npending + 1,
	    sizeof(*e->pending));
	e->pending[e->npending++] = json;
	return (0);
}

static json_t *
extra_time(const char *key, int64_t t)
{
	char	buf[CALENDAR_TIME_MAX];

	calendar_format(t, buf, sizeof(buf));
	return (json_pack("{s:s}", key, buf));
}

static const char *
engine_procedure_title(struct engine *e, const char *name)
{
	const struct procedure	*p;

	if (name == NULL || (p = rules_procedure_find(e->rules, name)) == NULL)
		return (NULL);
	return (p->title != NULL ? p->title : p->name);
}

static const char *
engine_json_text(const json_t *o, const char *key)
{
	const char	*v = json_string_value(json_object_get(o, key));

	return (v != NULL ? v : "");
}

/* The nearest template for reason: step, obligation, procedure, site. */
static const char *
engine_template(struct engine *e, const struct scope *s,
    enum message_reason reason)
{
	const struct policy		*pol;
	const struct procedure		*p = NULL;
	const struct recurring		*rc = NULL;
	const struct messages		*m;
	size_t				 i;

	if (s->policy != NULL && s->step > 0 && reason == MESSAGE_ESCALATION &&
	    (pol = rules_policy_find(e->rules, s->policy)) != NULL &&
	    (size_t)s->step <= pol->nsteps &&
	    pol->steps[s->step - 1].message != NULL)
		return (pol->steps[s->step - 1].message);
	if (s->procedure != NULL)
		p = rules_procedure_find(e->rules, s->procedure);
	for (i = 0; p != NULL && s->obligation != NULL &&
	    i < p->nobligations; i++) {
		m = &p->obligations[i].messages;
		if (strcmp(p->obligations[i].id, s->obligation) == 0 &&
		    m->v[reason] != NULL)
			return (m->v[reason]);
	}
	if (p != NULL && p->messages.v[reason] != NULL)
		return (p->messages.v[reason]);
	if (s->recurring != NULL &&
	    (rc = rules_recurring_find(e->rules, s->recurring)) != NULL &&
	    rc->messages.v[reason] != NULL)
		return (rc->messages.v[reason]);
	m = &rules_site(e->rules)->messages;
	if (m->v[reason] != NULL)
		return (m->v[reason]);
	return (message_default(reason));
}

/* What a template's placeholders stand for in one message. */
struct message_ctx {
	struct engine		*e;
	const struct scope	*s;
	const struct recipient	*r;
	const char		*link;
	char			 buf[CALENDAR_TIME_MAX + 32];
};

/* "1小时20分钟": how long ago t was, for a duty officer. */
static void
engine_format_late(int64_t ms, char *buf, size_t len)
{
	int64_t	m = ms / MSEC_PER_MIN, d = m / (24 * 60), h = m / 60 % 24;

	m %= 60;
	if (ms < MSEC_PER_MIN)
		snprintf(buf, len, "不足1分钟");
	else if (d > 0)
		snprintf(buf, len, "%lld天%lld小时", (long long)d, (long long)h);
	else if (h > 0)
		snprintf(buf, len, "%lld小时%lld分钟", (long long)h,
		    (long long)m);
	else
		snprintf(buf, len, "%lld分钟", (long long)m);
}

static const char *
engine_message_value(const char *name, void *arg)
{
	static const char *colors[] = { "", "红色", "橙色", "黄色", "蓝色" };
	struct message_ctx	*c = arg;
	const struct scope	*s = c->s;
	const struct incident	*inc = s->inc;
	const struct recurring	*rc;
	char			 t[CALENDAR_TIME_MAX];

	if (strcmp(name, "title") == 0) {
		if (s->title != NULL)
			return (s->title);
		if (inc != NULL)
			return (inc->title != NULL ? inc->title : inc->key);
		if (s->recurring != NULL && (rc = rules_recurring_find(
		    c->e->rules, s->recurring)) != NULL && rc->title != NULL)
			return (rc->title);
		return (s->recurring);
	}
	if (strcmp(name, "incident") == 0)
		return (inc != NULL ? inc->key : NULL);
	if (strcmp(name, "unit") == 0)
		return (s->unit);
	if (strcmp(name, "category") == 0)
		return (inc != NULL && inc->category != NULL ? inc->category :
		    "未填写");
	if (strcmp(name, "grade") == 0)
		return (engine_grade_names[inc != NULL ? inc->grade : 0]);
	if (strcmp(name, "color") == 0)
		return (colors[inc != NULL ? inc->grade : 0]);
	if (strcmp(name, "procedure") == 0) {
		name = engine_procedure_title(c->e, s->procedure);
		return (name != NULL ? name : "未匹配预案");
	}
	if (strcmp(name, "obligation") == 0)
		return (s->obligation_title != NULL ? s->obligation_title :
		    s->obligation);
	if (strcmp(name, "due") == 0 && s->due_at != 0) {
		/* "2026-03-02T11:00:00+08:00" -> "2026-03-02 11:00" */
		calendar_format(s->due_at, t, sizeof(t));
		snprintf(c->buf, sizeof(c->buf), "%.10s %.5s", t, t + 11);
		return (c->buf);
	}
	if (strcmp(name, "late") == 0 && s->due_at != 0) {
		engine_format_late(clock_now() - s->due_at, c->buf,
		    sizeof(c->buf));
		return (c->buf);
	}
	if (strcmp(name, "step") == 0 && s->step > 0) {
		snprintf(c->buf, sizeof(c->buf), "%d", s->step);
		return (c->buf);
	}
	if (strcmp(name, "period") == 0)
		return (s->period);
	if (strcmp(name, "recipient") == 0)
		return (c->r->name);
	if (strcmp(name, "ack_url") == 0)
		return (c->link);
	if (strcmp(name, "to") == 0)
		return (engine_json_text(s->undelivered, "recipient_name"));
	if (strcmp(name, "channel") == 0)
		return (engine_json_text(s->undelivered, "channel"));
	if (strcmp(name, "error") == 0)
		return (s->undelivered_detail);
	if (strcmp(name, "text") == 0)
		return (engine_json_text(s->undelivered, "text"));
	return (NULL);
}

/*
 * The text one recipient reads.  A link to acknowledge goes where the
 * template puts {ack_url}, or at the end when it does not say.
 */
static char *
engine_message(struct engine *e, const struct scope *s,
    enum message_reason reason, const struct recipient *r, const char *link)
{
	struct message_ctx	 c;
	const char		*tmpl = engine_template(e, s, reason);
	char			*text, *with_link;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.s = s;
	c.r = r;
	c.link = link;
	text = message_render(tmpl, engine_message_value, &c);
	if (link == NULL || strstr(tmpl, "{ack_url}") != NULL)
		return (text);
	xasprintf(&with_link, "%s 收到请点击确认：%s", text, link);
	free(text);
	return (with_link);
}

struct notify_ctx {
	struct engine		*e;
	const struct scope	*s;
	const char		*role;
	const char		*reason;
	enum message_reason	 why;
	const char		*skip_channel;	/* where a dead message died */
	int			 failed;
};

/*
 * n random bytes as 2n hex digits (and a NUL): idempotency keys and link
 * tokens.  The bytes come from OpenSSL's generator a kilobyte at a time,
 * each used once and wiped as it is taken: one RAND_bytes call per
 * message cost more than the hex.
 */
static void
engine_random_hex(char *buf, size_t n)
{
	static unsigned char	 pool[1024];
	static size_t		 left;
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		*raw;
	size_t			 i;

	if (n > sizeof(pool))
		fatalx("engine: %zu random bytes asked for", n);
	if (left < n) {
		if (RAND_bytes(pool, (int)sizeof(pool)) != 1)
			fatalx("engine: no random bytes");
		left = sizeof(pool);
	}
	raw = pool + sizeof(pool) - left;
	for (i = 0; i < n; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 0xf];
	}
	buf[2 * n] = '\0';
	explicit_bzero(raw, n);
	left -= n;
}

/*
 * A message's idempotency key, "tn_" and 32 hex digits: the time in ms
 * (12 digits), then 80 random bits.  Keys made later sort later, so the
 * outbox's unique index on them grows at its end: a random key would
 * dirty a page anywhere in it at every insert, and a large outbox would
 * make each commit write many pages for a few rows.
 */
static void
engine_message_key(char key[36])
{
	snprintf(key, 16, "tn_%012llx",
	    (unsigned long long)clock_now() & 0xffffffffffffULL);
	engine_random_hex(key + 15, 10);
}

static int
engine_outbox_insert(struct engine *e, const char *key, const char *incident,
    int64_t obligation, const char *channel, const char *recipient,
    const char *role, const char *body, int64_t deadline)
{
	int	rc;

	rc = store_run(e->store, STMT_OUTBOX_INSERT, "titi" "tttt" "ii", key,
	    clock_now(), incident, obligation, channel, recipient, role, body,
	    clock_now(), deadline);
	if (rc == 0)
		e->notified++;
	return (rc);
}

/*
 * A link that acknowledges the incident for this recipient: an unguessable
 * token bound to one incident, stored so the daemon can check it.  NULL
 * when the site has no public_url or the message is not about an incident.
 */
static char *
engine_ack_link(struct engine *e, const struct scope *s, const char *who)
{
	const char	*base = rules_site(e->rules)->public_url;
	char		 token[33], *url;
	size_t		 len;

	if (base == NULL || s->inc == NULL)
		return (NULL);
	engine_random_hex(token, 16);
	if (store_run(e->store, STMT_ACK_LINK_INSERT, "ttti", token,
	    s->inc->key, who, clock_now()) != 0)
		return (NULL);
	len = strlen(base);
	xasprintf(&url, "%.*s/ack/%s", (int)(len > 0 && base[len - 1] == '/' ?
	    len - 1 : len), base, token);
	return (url);
}

/*
 * One decision never tells the same recipient twice on the same channel
 * (SPEC §6), however many of its roles, grades or special periods name
 * them: the first message stands.  Returns 0 for a pair told already.
 */
static int
engine_tell_once(struct engine *e, const char *recipient, const char *channel)
{
	char	*pair;
	int	 fresh;

	xasprintf(&pair, "%s\036%s", recipient, channel);
	if ((fresh = !names_has(&e->told, pair)))
		names_add(&e->told, pair);
	free(pair);
	return (fresh);
}

static void
engine_notify_one(const struct recipient *r, void *arg)
{
	struct notify_ctx	*n = arg;
	struct engine		*e = n->e;
	const struct scope	*s = n->s;
	struct message_note	 note;
	char			 key[36], at[CALENDAR_TIME_MAX], *link, *text;
	char			*body;
	int64_t			 now = clock_now();

	if (n->failed || (n->skip_channel != NULL &&
	    strcmp(r->channel, n->skip_channel) == 0))
		return;
	if (!engine_tell_once(e, r->id, r->channel))
		return;
	engine_message_key(key);
	calendar_format(now, at, sizeof(at));
	link = n->why != MESSAGE_UNDELIVERED ? engine_ack_link(e, s, r->id) :
	    NULL;
	text = engine_message(e, s, n->why, r, link);
	memset(&note, 0, sizeof(note));
	note.key = key;
	note.reason = n->reason;
	note.at = at;
	note.incident = s->inc != NULL ? s->inc->key : NULL;
	note.recurring = s->recurring;
	note.unit = s->unit;
	note.grade = s->inc != NULL ? s->inc->grade : 0;
	note.procedure = s->procedure;
	note.obligation = s->obligation;
	note.policy = s->policy;
	note.step = s->step;
	note.role = n->role;
	note.recipient = r->id;
	note.recipient_name = r->name;
	note.phone = r->phone;
	note.channel = r->channel;
	note.title = s->inc != NULL ? s->inc->title : NULL;
	note.text = text;
	note.ack_url = link;
	note.mobiles = r->mobiles;
	note.nmobiles = r->nmobiles;
	body = message_note_json(&note);
	free(text);
	free(link);
	if (engine_outbox_insert(e, key, s->inc != NULL ? s->inc->key : NULL,
	    s->obligation_id, r->channel, r->id, n->role, body, now +
	    rules_site(e->rules)->notify_deadline) != 0)
		n->failed = 1;
	free(body);
	if (!n->failed && engine_emit(e, s, "notify", n->role, r->id,
	    r->channel, json_pack("{s:s}", "reason", n->reason)) != 0)
		n->failed = 1;
}

static int
engine_notify(struct engine *e, const struct scope *s, const char *role,
    const char *reason)
{
	struct notify_ctx	n;
	int			why;

	memset(&n, 0, sizeof(n));
	n.e = e;
	n.s = s;
	n.role = role;
	n.reason = reason;
	if ((why = message_reason(reason)) < 0)
		fatalx("engine: no message for reason \"%s\"", reason);
	n.why = (enum message_reason)why;
	if (s->undelivered != NULL)	/* tell of it some other way */
		n.skip_channel = json_string_value(json_object_get(
		    s->undelivered, "channel"));
	if (org_resolve(e->rules, role, s->inc != NULL ? s->inc->category :
	    NULL, clock_now(), engine_notify_one, &n) == 0)
		log_warnx("engine: nobody to tell role=%s incident=%s", role,
		    s->inc != NULL ? s->inc->key : "-");
	return (n.failed ? -1 : 0);
}

static int
engine_notify_all(struct engine *e, const struct scope *s,
    const struct names *roles, const char *reason)
{
	size_t	i;

	for (i = 0; i < roles->n; i++) {
		if (engine_notify(e, s, roles->v[i], reason) != 0)
			return (-1);
	}
	return (0);
}

/* The period carrying tag that is on at time t, or NULL. */
static const char *
engine_period_active(struct engine *e, const char *tag, int64_t t)
{
	const struct period	*pe;
	int64_t			 day = calendar_day_number(t);
	size_t			 i, n = rules_period_count(e->rules);

	for (i = 0; i < n; i++) {
		pe = rules_period(e->rules, i);
		if (names_has(&pe->tags, tag) &&
		    rules_period_on(e->rules, pe, day))
			return (pe->name);
	}
	return (NULL);
}

static void
engine_count_one(const struct recipient *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
}

/*
 * Tell the site's unmatched roles.  A role that reaches nobody at this
 * moment (the site does not map it, or its roster is empty) gives way to
 * the office, which is told once however many roles fall back to it.
 */
static int
engine_notify_unmatched(struct engine *e, const struct scope *s,
    const char *category)
{
	const struct names	*want = &rules_site(e->rules)->unmatched;
	struct names		 roles = { NULL, 0 };
	const char		*role;
	size_t			 i;
	int			 n, rc;

	for (i = 0; i < want->n; i++) {
		n = 0;
		role = want->v[i];
		org_resolve(e->rules, role, category, clock_now(),
		    engine_count_one, &n);
		if (n == 0)
			role = "office";
		if (!names_has(&roles, role))
			names_add(&roles, role);
	}
	rc = engine_notify_all(e, s, &roles, "unmatched");
	names_free(&roles);
	return (rc);
}

/*
 * No procedure takes this report (SPEC §4): say so and tell the site's
 * unmatched roles, so a misspelt category never pages nobody.  The board
 * flags the incident until it is acknowledged or resolved.
 */
static int
engine_unmatched(struct engine *e, const struct scope *s,
    const struct record *ev)
{
	const char		*category = s->inc->category;
	json_t			*extra;

	log_warnx("engine: no procedure matches incident=%s category=%s",
	    s->inc->key, category != NULL ? category : "-");
	extra = json_pack("{s:s}", "reason", "no procedure matches");
	if (category != NULL)
		json_object_set_new(extra, "category", json_string(category));
	if (ev->id != NULL)
		json_object_set_new(extra, "event", json_string(ev->id));
	if (engine_emit(e, s, "event.unmatched", NULL, NULL, NULL, extra) != 0)
		return (-1);
	return (engine_notify_unmatched(e, s, category));
}

/*
 * An event of no incident met nothing its unit owes.  It is recorded as
 * event.unmatched; the unmatched roles hear of it only when the unit has
 * never owed a recurring report (a misspelt unit id files for nobody while
 * the real unit is chased): a report filed twice, or after its close, is
 * in the ledger already and tells nobody again.
 */
static int
engine_unmatched_event(struct engine *e, const struct record *ev)
{
	sqlite3_stmt	*st;
	struct scope	 s;
	json_t		*extra;
	int		 rc, known;

	st = store_stmt(e->store, STMT_UNIT_OWES_RECURRING, "t", ev->unit);
	rc = store_step(e->store, st);
	if (st != NULL)
		sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	known = rc == SQLITE_ROW;
	memset(&s, 0, sizeof(s));
	s.unit = ev->unit;
	s.title = json_string_value(json_object_get(ev->json, "title"));
	if (s.title == NULL)
		s.title = ev->type;
	extra = json_pack("{s:s, s:s}", "reason", known ? "no open obligation "
	    "of the unit" : "unknown unit: it owes no recurring report",
	    "type", ev->type);
	if (ev->id != NULL)
		json_object_set_new(extra, "event", json_string(ev->id));
	if (engine_emit(e, &s, "event.unmatched", NULL, NULL, NULL, extra) != 0)
		return (-1);
	return (known ? 0 : engine_notify_unmatched(e, &s, NULL));
}

/* A rule failed on this event: keep the event, say so, tell the office. */
static int
engine_reject(struct engine *e, const struct scope *s, const char *procedure,
    const struct record *ev, const char *cause)
{
	struct scope	 r = *s;

	e->stats.rejected++;
	log_warnx("engine: rule failed procedure=%s incident=%s reason=%s",
	    procedure, ev->incident != NULL ? ev->incident : "-", cause);
	r.procedure = procedure;
	if (engine_emit(e, &r, "event.rejected", NULL, NULL, NULL,
	    json_pack("{s:s, s:s?}", "reason", cause, "event", ev->id)) != 0)
		return (-1);
	return (engine_notify(e, &r, "office", "rejected"));
}

/* An event.rejected for each rule that failed on the event, in order. */
static int
engine_rejects(struct engine *e, const struct scope *s,
    const struct record *ev, const struct match_set *set)
{
	size_t	i;
	int	failed = 0;

	for (i = 0; i < set->nfailed; i++) {
		if (engine_reject(e, s, set->failed[i].procedure->name, ev,
		    set->failed[i].cause) != 0)
			failed = 1;
	}
	return (failed ? -1 : 0);
}

/* The grade the classify functions of procs give, or GRADE_NONE. */
static int
engine_classify(struct engine *e, const struct scope *s, json_t *procs,
    struct match_event *mev, const struct record *ev, int *failed)
{
	const struct procedure	**v;
	struct match_set	  set;
	json_t			 *name;
	size_t			  i, n = 0;
	int			  grade;

	memset(&set, 0, sizeof(set));
	v = xreallocarray(NULL, json_array_size(procs) + 1, sizeof(*v));
	json_array_foreach(procs, i, name) {
		v[n] = rules_procedure_find(e->rules, json_string_value(name));
		if (v[n] != NULL)
			n++;
	}
	grade = match_classify(mev, v, n, &set);
	if (engine_rejects(e, s, ev, &set) != 0)
		*failed = 1;
	match_set_clear(&set);
	free(v);
	return (grade);
}

/*
 * When an obligation of inc falls due: its own duration from its base,
 * or a tighter one for a special period now on (特防期, *period says
 * which) or for the worst grade the incident has reached (*grade).  The
 * base is the incident's opening or occurrence, or for from = "graded"
 * the moment the obligation began: when the incident reached its grade.
 */
static int64_t
engine_obligation_due(struct engine *e, const struct incident *inc,
    const struct obligation_def *d, int64_t began, const char **period,
    int *grade)
{
	const struct calendar	*cal = rules_calendar(e->rules);
	const char		*name;
	int64_t			 base, due, alt;
	size_t			 i;
	int			 g;

	*period = NULL;
	*grade = GRADE_NONE;
	switch (d->from) {
	case FROM_OCCURRED:
		base = inc->occurred_at;
		break;
	case FROM_GRADED:
		base = began;
		break;
	default:
		base = inc->opened_at;
		break;
	}
	due = calendar_add(cal, base, &d->due);
	for (i = 0; i < d->due_in_tags.n; i++) {
		if ((name = engine_period_active(e, d->due_in_tags.v[i],
		    clock_now())) == NULL)
			continue;
		if ((alt = calendar_add(cal, base, &d->due_in[i])) < due) {
			due = alt;
			*period = name;
		}
	}
	for (g = inc->worst_grade; g != GRADE_NONE && g <= GRADE_MAX; g++) {
		if ((d->due_by_grade_set & (1U << g)) == 0)
			continue;
		if ((alt = calendar_add(cal, base, &d->due_by_grade[g])) <
		    due) {
			due = alt;
			*period = NULL;
			*grade = g;
		}
	}
	return (due);
}

/* The due timer and the reminders of obligation id, due at due. */
static int
engine_obligation_timers(struct engine *e, const struct obligation_def *d,
    int64_t id, int64_t due)
{
	int64_t	at;
	size_t	i;

	if (engine_timer_add(e, due, TIMER_OBLIGATION_DUE, id) != 0)
		return (-1);
	for (i = 0; i < d->nremind; i++) {
		at = due - d->remind[i].value;
		if (at > clock_now() && engine_timer_add(e, at,
		    TIMER_OBLIGATION_REMIND, id) != 0)
			return (-1);
	}
	return (0);
}

static int
engine_set_obligation(struct engine *e, struct incident *inc,
    const struct procedure *p, const struct obligation_def *d)
{
	struct scope	 s;
	int64_t		 due, id;
	const char	*period;
	json_t		*extra;
	int		 grade;

	due = engine_obligation_due(e, inc, d, clock_now(), &period, &grade);
	if (store_run(e->store, STMT_OBLIGATION_INSERT, "tnttt" "ttt" "iin",
	    inc->key, inc->unit, p->name, d->id, d->title, d->owner,
	    d->on_breach, clock_now(), due) != 0)
		return (-1);
	id = store_last_id(e->store);
	scope_incident(&s, inc);
	s.procedure = p->name;
	s.obligation = d->id;
	s.obligation_id = id;
	extra = extra_time("due_at", due);
	if (period != NULL)
		json_object_set_new(extra, "period", json_string(period));
	if (grade != GRADE_NONE)
		json_object_set_new(extra, "due_grade", json_integer(grade));
	if (engine_emit(e, &s, "obligation.set", NULL, NULL, NULL, extra) != 0)
		return (-1);
	return (engine_obligation_timers(e, d, id, due));
}

/*
 * Does d begin now?  An obligation of grade 0 begins when the incident
 * opens; one of grade g when the incident's worst grade first becomes g or
 * worse: `from` is the worst grade before (GRADE_NONE if none), `to` now.
 */
static int
engine_obligation_begins(const struct obligation_def *d, int opening,
    int from, int to)
{
	if (d->grade == 0)
		return (opening);
	if (to == GRADE_NONE || to > d->grade)
		return (0);		/* not that grave (yet) */
	return (from == GRADE_NONE || from > d->grade);
}

static int
engine_set_obligations(struct engine *e, struct incident *inc,
    const struct procedure *p, int opening, int from)
{
	size_t	i;

	for (i = 0; i < p->nobligations; i++) {
		if (!engine_obligation_begins(&p->obligations[i], opening, from,
		    inc->worst_grade))
			continue;
		if (engine_set_obligation(e, inc, p, &p->obligations[i]) != 0)
			return (-1);
	}
	return (0);
}

static int
engine_grade_notify(struct engine *e, struct incident *inc, int grade)
{
	const struct procedure	*p;
	struct scope		 s;
	json_t			*name;
	size_t			 i;

	json_array_foreach(inc->procedures, i, name) {
		p = rules_procedure_find(e->rules, json_string_value(name));
		if (p == NULL || p->grades[grade].n == 0)
			continue;
		scope_incident(&s, inc);
		s.procedure = p->name;
		if (engine_notify_all(e, &s, &p->grades[grade], "graded") != 0)
			return (-1);
	}
	return (0);
}

static int
engine_open(struct engine *e, struct record *ev, struct match_event *mev,
    struct incident **incp)
{
	const struct procedure	*p;
	struct incident		*inc;
	struct scope		 s;
	struct match_set	 set;
	json_t			*procs, *extra;
	size_t			 i, j;
	char			*text;
	const char		*title;
	int			 grade, failed = 0;

	inc = xcalloc(1, sizeof(*inc));
	inc->key = xstrdup(ev->incident);
	inc->unit = xstrdup(ev->unit);
	inc->category = ev->category != NULL ? xstrdup(ev->category) : NULL;
	title = json_string_value(json_object_get(ev->json, "title"));
	inc->title = title != NULL ? xstrdup(title) : NULL;
	inc->opened_at = ev->received_at;
	inc->occurred_at = ev->occurred_at;
	inc->procedures = procs = json_array();
	*incp = inc;
	scope_incident(&s, inc);

	memset(&set, 0, sizeof(set));
	match_procedures(mev, &set);
	for (i = 0; i < set.n; i++)
		json_array_append_new(procs, json_string(set.v[i]->name));
	grade = ev->grade;
	if (grade == GRADE_NONE)
		grade = match_classify(mev, set.v, set.n, &set);
	/* Rules that failed are rejected in call order, before any grade. */
	if (engine_rejects(e, &s, ev, &set) != 0)
		failed = 1;
	match_set_clear(&set);
	inc->grade = inc->worst_grade = grade;
	text = jsonw_dumps(procs);
	if (store_run(e->store, STMT_INCIDENT_INSERT, "ttttdd" "tiii", inc->key,
	    inc->unit, inc->category, text, inc->grade, inc->worst_grade,
	    inc->title, inc->opened_at, inc->occurred_at, inc->opened_at)
	    != 0)
		failed = 1;
	free(text);
	if (failed)
		return (-1);
	e->open_delta++;

	extra = json_object();
	if (json_array_size(procs) != 1)
		json_object_set(extra, "procedures", procs);
	s.procedure = json_array_size(procs) == 1 ?
	    json_string_value(json_array_get(procs, 0)) : NULL;
	if (engine_emit(e, &s, "incident.opened", NULL, NULL, NULL, extra) != 0)
		return (-1);
	if (json_array_size(procs) == 0 && engine_unmatched(e, &s, ev) != 0)
		return (-1);

	json_array_foreach(procs, i, extra) {
		p = rules_procedure_find(e->rules, json_string_value(extra));
		scope_incident(&s, inc);
		s.procedure = p->name;
		if (engine_notify_all(e, &s, &p->on_open, "opened") != 0)
			return (-1);
		for (j = 0; j < p->period_tags.n; j++) {
			s.period = engine_period_active(e, p->period_tags.v[j],
			    clock_now());
			if (s.period != NULL && engine_notify_all(e, &s,
			    &p->period_notify[j], "period") != 0)
				return (-1);
		}
		s.period = NULL;
		if (engine_set_obligations(e, inc, p, 1, GRADE_NONE) != 0)
			return (-1);
	}
	if (inc->grade != GRADE_NONE &&
	    engine_grade_notify(e, inc, inc->grade) != 0)
		return (-1);
	return (0);
}

static int
engine_timers_cancel(struct engine *e, enum engine_timer kind, int64_t ref)
{
	return (store_run(e->store, STMT_TIMER_DELETE_REF, "di", (int)kind,
	    ref));
}

/*
 * Stop the active escalations of one obligation (ref > 0) or incident.
 * Each keeps the step it reached: the board and the incident show it.
 */
static int
engine_escalations_stop(struct engine *e, const char *incident,
    int64_t obligation)
{
	sqlite3_stmt	*st;
	int64_t		*ids = NULL;
	size_t		 n = 0, i;
	int		 rc = 0;

	if (obligation > 0)
		st = store_stmt(e->store, STMT_ESCALATIONS_ACTIVE_BY_OBLIGATION,
		    "i", obligation);
	else
		st = store_stmt(e->store, STMT_ESCALATIONS_ACTIVE_BY_INCIDENT,
		    "t", incident);
	while (store_step(e->store, st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, ESC_ID);
	}
	if (st != NULL)
		sqlite3_reset(st);
	for (i = 0; i < n && rc == 0; i++) {
		rc = store_run(e->store, STMT_ESCALATION_STOP, "i", ids[i]);
		if (rc == 0)
			rc = engine_timers_cancel(e, TIMER_ESCALATION_STEP,
			    ids[i]);
	}
	free(ids);
	return (rc);
}

static int
engine_obligation_close(struct engine *e, const struct obligation *o,
    const char *status, int64_t met_at, int64_t met_event)
{
	if (met_at != 0) {
		if (store_run(e->store, STMT_OBLIGATION_SET_STATUS, "tiii",
		    status, met_at, met_event, o->id) != 0)
			return (-1);
	} else if (store_run(e->store, STMT_OBLIGATION_SET_STATUS, "tnni",
	    status, o->id) != 0)
		return (-1);
	if (engine_timers_cancel(e, TIMER_OBLIGATION_DUE, o->id) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_REMIND, o->id) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_CLOSE, o->id) != 0)
		return (-1);
	return (engine_escalations_stop(e, NULL, o->id));
}

static const struct obligation_def *
engine_obligation_def(struct engine *e, const struct obligation *o)
{
	const struct procedure	*p;
	size_t			 i;

	if (o->procedure == NULL ||
	    (p = rules_procedure_find(e->rules, o->procedure)) == NULL)
		return (NULL);
	for (i = 0; i < p->nobligations; i++) {
		if (strcmp(p->obligations[i].id, o->name) == 0)
			return (&p->obligations[i]);
	}
	return (NULL);
}

/* What meets o: its procedure obligation's or its recurring's met_by. */
static const struct match *
engine_met_by(struct engine *e, const struct obligation *o)
{
	const struct obligation_def	*d;
	const struct recurring		*rc;

	if (o->recurring != NULL)
		return ((rc = rules_recurring_find(e->rules, o->recurring)) !=
		    NULL ? &rc->met_by : NULL);
	return ((d = engine_obligation_def(e, o)) != NULL ? &d->met_by : NULL);
}

/*
 * Does this event meet any open obligation: the incident's, or with inc
 * NULL, the recurring reports its unit owes (a zero report meets them too).
 */
static int
engine_meet(struct engine *e, struct incident *inc, struct record *ev,
    struct match_event *mev, int64_t seq)
{
	const struct match		 *m;
	struct obligation		**v;
	struct scope			  s;
	size_t				  n, i, met = 0;
	int64_t				  now = clock_now();
	char				 *cause;
	int				  rc = 0, late;
	json_t				 *extra;

	v = inc != NULL ? obligations_open(e, STMT_OBLIGATIONS_OPEN_BY_INCIDENT,
	    inc->key, &n) : obligations_open(e, STMT_OBLIGATIONS_OPEN_BY_UNIT,
	    ev->unit, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if ((m = engine_met_by(e, v[i])) == NULL)
			continue;
		scope_obligation(&s, inc, v[i]);
		switch (match_test(mev, m, &cause)) {
		case 0:
			continue;
		case -1:
			rc = engine_reject(e, &s, v[i]->procedure != NULL ?
			    v[i]->procedure : v[i]->recurring, ev, cause);
			free(cause);
			continue;
		}
		late = now > v[i]->due_at;
		met++;
		rc = engine_obligation_close(e, v[i], late ? "late" : "met",
		    now, seq);
		extra = extra_time("due_at", v[i]->due_at);
		if (late)
			json_object_set_new(extra, "late_s",
			    json_integer((now - v[i]->due_at) / MSEC_PER_SEC));
		if (rc == 0)
			rc = engine_emit(e, &s, late ? "obligation.late" :
			    "obligation.met", NULL, NULL, NULL, extra);
		else
			json_decref(extra);
	}
	obligations_free(v, n);
	if (rc == 0 && inc == NULL && met == 0)
		rc = engine_unmatched_event(e, ev);
	return (rc);
}

/*
 * The first acknowledgement stands: who and when are what the duty room
 * and the ledger go by, so a later one (a second person, a link clicked
 * again) is recorded in the timeline and changes neither.
 */
static int
engine_acknowledge(struct engine *e, struct incident *inc, const char *by)
{
	struct scope	s;
	int64_t		now = clock_now();

	scope_incident(&s, inc);
	if (inc->acked_at != 0) {
		if (store_run(e->store, STMT_INCIDENT_TOUCH, "it", now,
		    inc->key) != 0)
			return (-1);
		return (engine_emit(e, &s, "incident.acknowledged", NULL, NULL,
		    NULL, json_pack("{s:s?, s:b}", "by", by, "again", 1)));
	}
	if (store_run(e->store, STMT_INCIDENT_ACK, "itit", now, by, now,
	    inc->key) != 0)
		return (-1);
	inc->acked_at = now;
	if (engine_escalations_stop(e, inc->key, 0) != 0)
		return (-1);
	return (engine_emit(e, &s, "incident.acknowledged", NULL, NULL, NULL,
	    json_pack("{s:s?}", "by", by)));
}

static int
engine_resolve(struct engine *e, struct incident *inc, const char *by)
{
	struct obligation	**v;
	struct scope		  s;
	size_t			  n, i;
	int64_t			  now = clock_now();
	int			  rc = 0, missed;

	if (inc->closed)
		return (0);
	v = obligations_open(e, STMT_OBLIGATIONS_OPEN_BY_INCIDENT, inc->key,
	    &n);
	for (i = 0; i < n && rc == 0; i++) {
		missed = strcmp(v[i]->status, "breached") == 0;
		rc = engine_obligation_close(e, v[i], missed ? "missed" :
		    "cancelled", 0, 0);
		scope_obligation(&s, inc, v[i]);
		if (rc == 0)
			rc = engine_emit(e, &s, missed ? "obligation.missed" :
			    "obligation.cancelled", NULL, NULL, NULL,
			    json_pack("{s:s}", "reason", "resolved"));
	}
	obligations_free(v, n);
	if (rc != 0 || engine_escalations_stop(e, inc->key, 0) != 0 ||
	    store_run(e->store, STMT_INCIDENT_RESOLVE, "iit", now, now,
	    inc->key) != 0)
		return (-1);
	inc->closed = 1;
	e->open_delta--;
	scope_incident(&s, inc);
	return (engine_emit(e, &s, "incident.resolved", NULL, NULL, NULL,
	    json_pack("{s:s?}", "by", by)));
}

/* A pending obligation whose grade now asks for less time falls due sooner. */
static int
engine_tighten(struct engine *e, struct incident *inc, struct obligation *o)
{
	const struct obligation_def	*d = engine_obligation_def(e, o);
	struct scope			 s;
	const char			*period;
	int64_t				 due;
	json_t				*extra;
	char				 was[CALENDAR_TIME_MAX];
	int				 grade;

	if (d == NULL || d->due_by_grade_set == 0 ||
	    strcmp(o->status, "pending") != 0)
		return (0);
	due = engine_obligation_due(e, inc, d, o->set_at, &period, &grade);
	if (due >= o->due_at)
		return (0);
	if (store_run(e->store, STMT_OBLIGATION_SET_DUE, "ii", due, o->id) != 0
	    || engine_timers_cancel(e, TIMER_OBLIGATION_DUE, o->id) != 0 ||
	    engine_timers_cancel(e, TIMER_OBLIGATION_REMIND, o->id) != 0 ||
	    engine_obligation_timers(e, d, o->id, due) != 0)
		return (-1);
	scope_obligation(&s, inc, o);
	s.due_at = due;
	calendar_format(o->due_at, was, sizeof(was));
	extra = extra_time("due_at", due);
	json_object_set_new(extra, "was_due_at", json_string(was));
	json_object_set_new(extra, "due_grade", json_integer(grade));
	return (engine_emit(e, &s, "obligation.tightened", NULL, NULL, NULL,
	    extra));
}

/*
 * The incident's worst grade went from `from` to inc->worst_grade: the
 * obligations of the grades newly reached begin, and pending ones with a
 * tighter deadline at this grade are brought forward.  Never loosened.
 */
static int
engine_grade_obligations(struct engine *e, struct incident *inc, int from)
{
	const struct procedure	 *p;
	struct obligation	**v;
	json_t			 *name;
	size_t			  i, n;
	int			  rc = 0;

	v = obligations_open(e, STMT_OBLIGATIONS_OPEN_BY_INCIDENT, inc->key, &n);
	for (i = 0; i < n && rc == 0; i++)
		rc = engine_tighten(e, inc, v[i]);
	obligations_free(v, n);
	json_array_foreach(inc->procedures, i, name) {
		p = rules_procedure_find(e->rules, json_string_value(name));
		if (rc == 0 && p != NULL)
			rc = engine_set_obligations(e, inc, p, 0, from);
	}
	return (rc);
}

static int
engine_regrade(struct engine *e, struct incident *inc, struct record *ev,
    struct match_event *mev)
{
	struct scope	s;
	int		grade = ev->grade, failed = 0, old = inc->grade, raised;
	int		worst = inc->worst_grade;

	scope_incident(&s, inc);
	if (grade == GRADE_NONE)
		grade = engine_classify(e, &s, inc->procedures, mev, ev,
		    &failed);
	if (failed)
		return (-1);
	if (grade == GRADE_NONE || grade == inc->grade)
		return (0);
	inc->grade = grade;
	/*
	 * A grade more severe than any before notifies; a lowered one never
	 * un-sends anything, and going back up to a grade already reached
	 * tells nobody twice.
	 */
	raised = inc->worst_grade == GRADE_NONE || grade < inc->worst_grade;
	if (raised)
		inc->worst_grade = grade;
	if (store_run(e->store, STMT_INCIDENT_SET_GRADE, "ddit", inc->grade,
	    inc->worst_grade, clock_now(), inc->key) != 0)
		return (-1);
	if (engine_emit(e, &s, "incident.graded", NULL, NULL, NULL,
	    json_pack("{s:i}", "from", old)) != 0)
		return (-1);
	if (!raised)
		return (0);
	if (engine_grade_notify(e, inc, grade) != 0)
		return (-1);
	return (engine_grade_obligations(e, inc, worst));
}

static int
engine_apply(struct engine *e, struct incident *inc, struct record *ev,
    struct match_event *mev, int64_t seq)
{
	if (inc->closed)
		return (store_run(e->store, STMT_INCIDENT_TOUCH, "it",
		    clock_now(), inc->key));
	if (engine_regrade(e, inc, ev, mev) != 0)
		return (-1);
	if (engine_meet(e, inc, ev, mev, seq) != 0)
		return (-1);
	if (strcmp(ev->type, "ack") == 0)
		return (engine_acknowledge(e, inc, ev->by));
	if (strcmp(ev->type, "resolve") == 0)
		return (engine_resolve(e, inc, ev->by));
	return (store_run(e->store, STMT_INCIDENT_TOUCH, "it", clock_now(),
	    inc->key));
}

static int
engine_find_duplicate(struct engine *e, struct record *ev,
    struct engine_result *res)
{
	sqlite3_stmt	*st;
	const char	*inc;
	int		 rc;

	st = store_stmt(e->store, STMT_EVENT_FIND_ID, "tt", ev->unit, ev->id);
	rc = store_step(e->store, st);
	if (rc == SQLITE_ROW) {
		res->duplicate = 1;
		res->seq = sqlite3_column_int64(st, 0);
		inc = store_column_text(st, 1);
		snprintf(res->incident, sizeof(res->incident), "%s",
		    inc != NULL ? inc : "");
	}
	if (st != NULL)
		sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 1 : (rc == SQLITE_DONE ? 0 : -1));
}

/*
 * An incident belongs to the unit whose report opened it: a submitter
 * limited to some units (units non-NULL) touches no other unit's
 * incident, by any event type (SPEC §3).  And a first report (type
 * "report") from another unit is a second incident that happens to
 * carry the same key, never a follow-up of the first: it is refused
 * loudly, so that no unit's report is silently merged into another's.
 */
static int
engine_may_touch(const struct names *units, const struct incident *inc,
    const struct record *ev, struct record_error *err)
{
	if (units != NULL && !names_has(units, inc->unit)) {
		record_error_set(err, "forbidden", "incident", "incident "
		    "\"%s\" belongs to another unit: this token may act only "
		    "on its own units' incidents", inc->key);
		err->status = 403;
		return (0);
	}
	if (strcmp(ev->type, "report") == 0 &&
	    strcmp(ev->unit, inc->unit) != 0) {
		record_error_set(err, "incident_exists", "incident", "another "
		    "unit's incident has the key \"%s\": report under a key "
		    "of your own", inc->key);
		err->status = 409;
		return (0);
	}
	return (1);
}

/*
 * Store one validated event and apply the procedures to it, for a
 * submitter that may act only for units (NULL: for any).  An event id is
 * an idempotency key within its unit.  Returns 0 (res filled;
 * res->duplicate for a repeated id), 1 for input the engine refuses (err
 * filled, the caller must undo the request), or -1 when the store failed.
 */
int
engine_submit(struct engine *e, struct record *ev, const struct names *units,
    struct engine_result *res, struct record_error *err)
{
	struct incident		*inc = NULL;
	struct match_event	*mev;
	char			*body;
	int			 rc;

	engine_decision_begin(e);
	memset(res, 0, sizeof(*res));
	snprintf(res->id, sizeof(res->id), "%s", ev->id != NULL ? ev->id : "");
	if (ev->id != NULL) {
		if ((rc = engine_find_duplicate(e, ev, res)) != 0) {
			e->stats.duplicates += rc == 1;
			return (rc == 1 ? 0 : -1);
		}
	}
	if (ev->incident != NULL) {
		snprintf(res->incident, sizeof(res->incident), "%s",
		    ev->incident);
		inc = incident_load(e, ev->incident);
		if (inc != NULL && !engine_may_touch(units, inc, ev, err)) {
			incident_free(inc);
			return (1);
		}
		if (inc == NULL && strcmp(ev->type, "report") != 0) {
			record_error_set(err, "unknown_incident", "incident",
			    "no incident \"%s\": open it with a report first",
			    ev->incident);
			return (1);
		}
	}
	body = jsonw_dumps(ev->json);
	rc = store_run(e->store, STMT_EVENT_INSERT, "ttttiit", ev->id,
	    ev->type, ev->incident, ev->unit, ev->received_at,
	    ev->occurred_at, body);
	free(body);
	if (rc != 0) {
		incident_free(inc);
		return (-1);
	}
	res->seq = store_last_id(e->store);
	if (ev->id == NULL)
		snprintf(res->id, sizeof(res->id), "seq-%lld",
		    (long long)res->seq);
	e->stats.events++;
	mev = match_event_new(e->rules, ev);
	if (ev->incident == NULL)
		rc = engine_meet(e, NULL, ev, mev, res->seq);
	else if (inc == NULL) {
		rc = engine_open(e, ev, mev, &inc);
		if (rc == 0)
			rc = engine_meet(e, inc, ev, mev, res->seq);
	} else {
		res->closed = inc->closed;
		rc = engine_apply(e, inc, ev, mev, res->seq);
	}
	metrics_observe(METRICS_RULES, match_event_usec(mev));
	match_event_free(mev);
	incident_free(inc);
	return (rc == 0 ? 0 : -1);
}

/*
 * Take the steps of escalation esc_id of obligation o (of incident inc, or
 * NULL for a recurring report) that are due, from step and repeats, and
 * set a timer for the next one.
 */
static int
engine_escalation_run(struct engine *e, int64_t esc_id, const char *policy,
    int64_t started, int step, int repeats, const struct incident *inc,
    const struct obligation *o)
{
	const struct policy	*pol;
	struct scope		 s;
	int64_t			 now = clock_now(), at;
	int			 rc = 0;
	json_t			*extra;

	if ((pol = rules_policy_find(e->rules, policy)) == NULL) {
		log_warnx("engine: escalation stops, its policy is gone "
		    "escalation=%lld policy=%s", (long long)esc_id, policy);
		return (store_run(e->store, STMT_ESCALATION_UPDATE, "ddti", step,
		    repeats, "stopped", esc_id));
	}
	scope_obligation(&s, inc, o);
	s.policy = pol->name;

	for (;;) {
		if ((size_t)step < pol->nsteps) {
			at = started + pol->steps[step].after;
			extra = NULL;
		} else if (pol->repeat_every > 0 && (pol->max_repeats == 0 ||
		    repeats < pol->max_repeats)) {
			at = started + pol->steps[pol->nsteps - 1].after +
			    (int64_t)(repeats + 1) * pol->repeat_every;
			extra = json_pack("{s:i}", "repeat", repeats + 1);
		} else {
			rc = store_run(e->store, STMT_ESCALATION_UPDATE,
			    "ddti", step, repeats, "done", esc_id);
			break;
		}
		if (at > now) {
			json_decref(extra);
			rc = engine_timer_add(e, at, TIMER_ESCALATION_STEP,
			    esc_id);
			if (rc == 0)
				rc = store_run(e->store, STMT_ESCALATION_UPDATE,
				    "ddti", step, repeats, "active", esc_id);
			break;
		}
		s.step = (size_t)step < pol->nsteps ? step + 1 :
		    (int)pol->nsteps;
		rc = engine_emit(e, &s, "escalation.step", NULL, NULL, NULL,
		    extra);
		if (rc == 0)
			rc = engine_notify_all(e, &s,
			    &pol->steps[s.step - 1].notify, "escalation");
		if (rc != 0)
			break;
		if ((size_t)step < pol->nsteps)
			step++;
		else {
			repeats++;
			/* After an outage, repeat from now, not in a burst. */
			if (started + pol->steps[pol->nsteps - 1].after +
			    (int64_t)(repeats + 1) * pol->repeat_every <= now)
				started = now - pol->steps[pol->nsteps - 1].after
				    - (int64_t)repeats * pol->repeat_every;
		}
	}
	return (rc);
}

/* Take one step of escalation esc, or as many as are already due. */
static int
engine_escalate(struct engine *e, int64_t esc_id)
{
	sqlite3_stmt		*st;
	struct obligation	*o = NULL;
	struct incident		*inc = NULL;
	char			*policy = NULL, *incident = NULL, *state = NULL;
	int64_t			 started, obl;
	int			 step, repeats, rc = 0;

	st = store_stmt(e->store, STMT_ESCALATION_GET, "i", esc_id);
	if (store_step(e->store, st) != SQLITE_ROW) {
		if (st != NULL)
			sqlite3_reset(st);
		return (0);
	}
	incident = dup_col(st, ESC_INCIDENT);
	obl = sqlite3_column_int64(st, ESC_OBLIGATION);
	policy = dup_col(st, ESC_POLICY);
	started = sqlite3_column_int64(st, ESC_STARTED_AT);
	step = sqlite3_column_int(st, ESC_STEP);
	repeats = sqlite3_column_int(st, ESC_REPEATS);
	state = dup_col(st, ESC_STATE);
	sqlite3_reset(st);

	if (strcmp(state, "active") != 0)
		goto out;
	if (rules_policy_find(e->rules, policy) != NULL) {
		inc = incident != NULL ? incident_load(e, incident) : NULL;
		o = obligation_load(e, obl);
		if ((incident != NULL && inc == NULL) || o == NULL)
			goto out;
	}
	rc = engine_escalation_run(e, esc_id, policy, started, step, repeats,
	    inc, o);
out:
	incident_free(inc);
	obligation_free(o);
	free(policy);
	free(incident);
	free(state);
	return (rc);
}

static int
engine_breach(struct engine *e, struct obligation *o, int64_t due)
{
	struct incident	*inc = NULL;
	struct scope	 s;
	json_t		*extra;
	int64_t		 now = clock_now();
	int		 rc;

	if (strcmp(o->status, "pending") != 0)
		return (0);
	if (o->incident != NULL &&
	    (inc = incident_load(e, o->incident)) == NULL)
		return (0);
	e->stats.breaches++;
	scope_obligation(&s, inc, o);
	rc = store_run(e->store, STMT_OBLIGATION_SET_STATUS, "tnni",
	    "breached", o->id);
	extra = extra_time("due_at", o->due_at);
	/* Due before the daemon started: it passed while we were down. */
	if (due < e->recovered_at) {
		json_object_set_new(extra, "late", json_true());
		json_object_set_new(extra, "delayed_s",
		    json_integer((now - due) / MSEC_PER_SEC));
	}
	if (rc == 0)
		rc = engine_emit(e, &s, "obligation.breached", NULL, NULL,
		    NULL, extra);
	else
		json_decref(extra);
	if (rc == 0 && o->on_breach != NULL) {
		/*
		 * The escalation runs from the due time, so after an outage
		 * every step that should have been taken is taken now.
		 */
		rc = store_run(e->store, STMT_ESCALATION_INSERT, "titi",
		    o->incident, o->id, o->on_breach, o->due_at);
		if (rc == 0)
			rc = engine_escalation_run(e, store_last_id(e->store),
			    o->on_breach, o->due_at, 0, 0, inc, o);
	} else if (rc == 0 && o->owner != NULL)
		rc = engine_notify(e, &s, o->owner, "breach");
	incident_free(inc);
	return (rc);
}

static int
engine_remind(struct engine *e, struct obligation *o)
{
	struct incident	*inc;
	struct scope	 s;
	int		 rc;

	/* Past the due time (the daemon was down), the breach says it all. */
	if (strcmp(o->status, "pending") != 0 || o->owner == NULL ||
	    o->incident == NULL || clock_now() >= o->due_at ||
	    (inc = incident_load(e, o->incident)) == NULL)
		return (0);
	scope_obligation(&s, inc, o);
	rc = engine_emit(e, &s, "obligation.reminded", NULL, NULL, NULL,
	    extra_time("due_at", o->due_at));
	if (rc == 0)
		rc = engine_notify(e, &s, o->owner, "remind");
	incident_free(inc);
	return (rc);
}

/* Closing time of a recurring report: unmet is missed (漏报). */
static int
engine_close(struct engine *e, struct obligation *o)
{
	struct scope	s;

	if (strcmp(o->status, "pending") != 0 &&
	    strcmp(o->status, "breached") != 0)
		return (0);
	scope_obligation(&s, NULL, o);
	if (engine_obligation_close(e, o, "missed", 0, 0) != 0)
		return (-1);
	return (engine_emit(e, &s, "obligation.missed", NULL, NULL, NULL,
	    json_pack("{s:s}", "reason", "closed")));
}

/*
 * The units a recurring report is owed by: a list, or a rule's answer.
 * When the rule fails, *cause says why (the caller frees it).
 */
static int
engine_recurring_units(struct engine *e, const struct recurring *rc,
    struct names *units, char **cause)
{
	lua_State	*L = sandbox_state(rules_sandbox(e->rules));
	lua_Integer	 i, n;

	if (rc->units_ref == LUA_NOREF) {
		for (i = 0; i < (lua_Integer)rc->units.n; i++)
			names_add(units, rc->units.v[i]);
		return (0);
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, rc->units_ref);
	if (sandbox_pcall(rules_sandbox(e->rules), 0, 1, cause) != 0) {
		log_warnx("engine: recurring units failed recurring=%s "
		    "reason=%s", rc->name, *cause);
		return (-1);
	}
	n = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_type(L, -1) == LUA_TSTRING)
			names_add(units, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return (0);
}

/*
 * The units function of rc failed for the period due at due.  What was
 * owed must not vanish from the 漏报 ledger, so the units owed in the
 * latest earlier period of the same report are owed again (*from: its
 * due time, 0 if there was none); the failure is an event.rejected naming
 * the recurring report, and the office is told, as for any rule failure.
 */
static int
engine_recurring_fallback(struct engine *e, const struct recurring *rc,
    int64_t due, const char *cause, struct names *units, int64_t *from)
{
	sqlite3_stmt	*st;
	struct scope	 s;
	json_t		*extra, *list;
	char		 at[CALENDAR_TIME_MAX];
	int		 step;
	size_t		 i;

	*from = 0;
	st = store_stmt(e->store, STMT_RECURRING_PREVIOUS_UNITS, "ti",
	    rc->name, due);
	while ((step = store_step(e->store, st)) == SQLITE_ROW) {
		names_add(units, store_column_text(st, 0));
		*from = sqlite3_column_int64(st, 1);
	}
	if (st != NULL)
		sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return (-1);
	e->stats.rejected++;
	memset(&s, 0, sizeof(s));
	s.recurring = rc->name;
	s.obligation = rc->name;
	extra = json_pack("{s:s}", "reason", cause != NULL ? cause :
	    "the units function failed");
	if (*from != 0) {
		calendar_format(*from, at, sizeof(at));
		list = json_array();
		for (i = 0; i < units->n; i++)
			json_array_append_new(list, json_string(units->v[i]));
		json_object_set_new(extra, "fallback", json_string(
		    "previous-period"));
		json_object_set_new(extra, "units_from", json_string(at));
		json_object_set_new(extra, "units", list);
	} else
		json_object_set_new(extra, "fallback", json_string("none"));
	if (engine_emit(e, &s, "event.rejected", NULL, NULL, NULL, extra) != 0)
		return (-1);
	return (engine_notify(e, &s, "office", "rejected"));
}

/* One period of a recurring report opens: an obligation per unit. */
static int
engine_recurring_instances(struct engine *e, const struct recurring *rc,
    int64_t day)
{
	struct names	units = { NULL, 0 };
	struct scope	s;
	int64_t		due = day + rc->at, close = day + rc->close, id;
	int64_t		from = 0;
	json_t		*extra;
	char		*cause = NULL, at[CALENDAR_TIME_MAX];
	size_t		i;
	int		rc_ = 0;

	if (engine_recurring_units(e, rc, &units, &cause) != 0) {
		rc_ = engine_recurring_fallback(e, rc, due, cause, &units,
		    &from);
		free(cause);
	}
	for (i = 0; i < units.n && rc_ == 0; i++) {
		rc_ = store_run(e->store, STMT_OBLIGATION_INSERT, "ntt" "nt"
		    "ttt" "iii", rc->name, units.v[i], rc->name, rc->title,
		    rc->owner, rc->on_breach, clock_now(), due, close);
		if (rc_ != 0)
			break;
		id = store_last_id(e->store);
		memset(&s, 0, sizeof(s));
		s.recurring = rc->name;
		s.unit = units.v[i];
		s.obligation = rc->name;
		s.obligation_id = id;
		extra = extra_time("due_at", due);
		if (from != 0) {	/* owed as in that period: say so */
			calendar_format(from, at, sizeof(at));
			json_object_set_new(extra, "units_from",
			    json_string(at));
		}
		rc_ = engine_emit(e, &s, "obligation.set", NULL, NULL, NULL,
		    extra);
		if (rc_ == 0)
			rc_ = engine_timer_add(e, due, TIMER_OBLIGATION_DUE, id);
		if (rc_ == 0)
			rc_ = engine_timer_add(e, close, TIMER_OBLIGATION_CLOSE,
			    id);
	}
	names_free(&units);
	return (rc_);
}

static int
engine_recurring_open(struct engine *e, int64_t id)
{
	const struct recurring	*rc;
	sqlite3_stmt		*st;
	char			*name;
	int64_t			 day, next;
	int			 rc_ = 0;

	st = store_stmt(e->store, STMT_RECURRING_GET, "i", id);
	if (store_step(e->store, st) != SQLITE_ROW) {
		if (st != NULL)
			sqlite3_reset(st);
		return (0);
	}
	name = dup_col(st, 0);
	day = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	/* Gone from the rules: it sleeps until a reload brings it back. */
	if ((rc = rules_recurring_find(e->rules, name)) != NULL) {
		if (rc->weekday == 0 || calendar_weekday(day) == rc->weekday)
			rc_ = engine_recurring_instances(e, rc, day);
		next = calendar_next_day_start(day);
		if (rc_ == 0)
			rc_ = store_run(e->store, STMT_RECURRING_SET_NEXT, "ii",
			    next, id);
		if (rc_ == 0)
			rc_ = engine_timer_add(e, next, TIMER_RECURRING_OPEN, id);
	}
	free(name);
	return (rc_);
}

/*
 * Make sure every recurring report of the rules has its next period
 * scheduled.  A new one starts today if today's due time is still ahead,
 * else tomorrow.  Runs inside the caller's transaction.
 */
int
engine_sync_recurring(struct engine *e)
{
	const struct recurring	*rc;
	sqlite3_stmt		*st;
	int64_t			 now = clock_now(), first, id, next;
	size_t			 i, n = rules_recurring_count(e->rules);
	int			 found, rc_;

	for (i = 0; i < n; i++) {
		rc = rules_recurring(e->rules, i);
		st = store_stmt(e->store, STMT_RECURRING_FIND, "t", rc->name);
		found = store_step(e->store, st) == SQLITE_ROW;
		id = found ? sqlite3_column_int64(st, 0) : 0;
		next = found ? sqlite3_column_int64(st, 1) : 0;
		if (st != NULL)
			sqlite3_reset(st);
		if (!found) {
			first = calendar_day_start(now);
			if (now >= first + rc->at)
				first = calendar_next_day_start(now);
			if (store_run(e->store, STMT_RECURRING_INSERT, "ti",
			    rc->name, first) != 0)
				return (-1);
			if (engine_timer_add(e, first, TIMER_RECURRING_OPEN,
			    store_last_id(e->store)) != 0)
				return (-1);
			continue;
		}
		st = store_stmt(e->store, STMT_TIMER_FIND_REF, "di",
		    (int)TIMER_RECURRING_OPEN, id);
		rc_ = store_step(e->store, st);
		if (st != NULL)
			sqlite3_reset(st);
		if (rc_ == SQLITE_DONE && engine_timer_add(e, next,
		    TIMER_RECURRING_OPEN, id) != 0)
			return (-1);
	}
	return (0);
}

static int
engine_fire(struct engine *e, int64_t id, int64_t due)
{
	sqlite3_stmt		*st;
	struct obligation	*o;
	int64_t			 at, ref;
	int			 kind, rc = 0;

	engine_decision_begin(e);
	st = store_stmt(e->store, STMT_TIMER_GET, "i", id);
	if (store_step(e->store, st) != SQLITE_ROW) {
		if (st != NULL)
			sqlite3_reset(st);
		return (0);		/* cancelled: a stale heap entry */
	}
	at = sqlite3_column_int64(st, 0);
	kind = sqlite3_column_int(st, 1);
	ref = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	/*
	 * SQLite hands a deleted timer's id to the next one, so a stale heap
	 * entry may find a newer timer under its id: that one fires at its
	 * own time, from its own entry.
	 */
	if (at != due)
		return (0);
	if (store_run(e->store, STMT_TIMER_DELETE, "i", id) != 0)
		return (-1);
	e->stats.timers_fired++;
	switch (kind) {
	case TIMER_OBLIGATION_DUE:
	case TIMER_OBLIGATION_REMIND:
		if ((o = obligation_load(e, ref)) == NULL)
			break;
		rc = kind == TIMER_OBLIGATION_DUE ? engine_breach(e, o, at) :
		    engine_remind(e, o);
		obligation_free(o);
		break;
	case TIMER_OBLIGATION_CLOSE:
		if ((o = obligation_load(e, ref)) == NULL)
			break;
		rc = engine_close(e, o);
		obligation_free(o);
		break;
	case TIMER_ESCALATION_STEP:
		rc = engine_escalate(e, ref);
		break;
	case TIMER_RECURRING_OPEN:
		rc = engine_recurring_open(e, ref);
		break;
	default:
		log_warnx("engine: timer of unknown kind timer=%lld kind=%d",
		    (long long)id, kind);
		break;
	}
	return (rc);
}

/*
 * Fire up to max timers due at or before now, inside the caller's
 * transaction.  Returns the number fired, or -1 when the store failed.
 */
int
engine_fire_due(struct engine *e, int64_t now, int max)
{
	int64_t	at, id;
	int	fired = 0;

	while (fired < max && timer_heap_peek(e->timers, &at, &id) &&
	    at <= now) {
		timer_heap_pop(e->timers);
		if (engine_fire(e, id, at) != 0)
			return (-1);
		fired++;
	}
	return (fired);
}

/*
 * The outbox gave up on a notification on its channel (inside the
 * outbox's transaction).  With a fallback channel the same message goes
 * there, as a new row with its own key; without one the site's
 * undelivered_notify role hears of it on any other channel.  A message
 * about an undelivered message is never itself reported, so a dead
 * channel cannot start a loop.
 */
int
engine_undelivered(struct engine *e, const struct engine_undelivered *u)
{
	struct incident	*inc = NULL;
	struct scope	 s;
	json_t		*body, *copy, *via;
	const char	*incident, *role, *recipient, *reason;
	char		 key[36], *text;
	int		 rc;

	engine_decision_begin(e);
	if ((body = json_loads(u->body, 0, NULL)) == NULL)
		body = json_object();
	incident = json_string_value(json_object_get(body, "incident"));
	memset(&s, 0, sizeof(s));
	if (incident != NULL && (inc = incident_load(e, incident)) != NULL)
		scope_incident(&s, inc);
	s.unit = json_string_value(json_object_get(body, "unit"));
	s.recurring = json_string_value(json_object_get(body, "recurring"));
	s.procedure = json_string_value(json_object_get(body, "procedure"));
	s.obligation = json_string_value(json_object_get(body, "obligation"));
	s.obligation_id = u->obligation;
	s.undelivered = body;
	s.undelivered_detail = u->detail;
	role = json_string_value(json_object_get(body, "role"));
	recipient = json_string_value(json_object_get(body, "recipient"));
	reason = engine_json_text(body, "reason");
	rc = engine_emit(e, &s, u->fallback != NULL ? "notification.fallback" :
	    "notification.dead", role, recipient, u->channel, json_pack(
	    "{s:s, s:s?, s:s?}", "key", engine_json_text(body, "key"),
	    "error", u->detail, "fallback", u->fallback));
	if (rc == 0 && u->fallback != NULL) {
		copy = json_deep_copy(body);
		engine_message_key(key);
		json_object_set_new(copy, "key", json_string(key));
		json_object_set_new(copy, "channel", json_string(u->fallback));
		if ((via = json_object_get(copy, "via")) == NULL) {
			via = json_array();
			json_object_set_new(copy, "via", via);
		}
		json_array_append_new(via, json_string(u->channel));
		text = jsonw_dumps(copy);
		json_decref(copy);
		rc = engine_outbox_insert(e, key, incident, u->obligation,
		    u->fallback, recipient != NULL ? recipient : "", role,
		    text, u->deadline);
		free(text);
		if (rc == 0)
			rc = engine_emit(e, &s, "notify", role, recipient,
			    u->fallback, json_pack("{s:s}", "reason",
			    "fallback"));
	} else if (rc == 0 && strcmp(reason, "undelivered") != 0)
		rc = engine_notify(e, &s, rules_site(e->rules)->
		    undelivered_notify, "undelivered");
	json_decref(body);
	incident_free(inc);
	return (rc);
}
