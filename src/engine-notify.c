/*
 * Who is told, and what they read.  A role resolves to recipients through
 * the org; each recipient gets an outbox row, written beside the timeline
 * action in the same transaction, with its idempotency key, the text of
 * the nearest template and, for an incident, a link that acknowledges it.
 * One decision tells a recipient once per channel.  Also here, as they are
 * mostly telling: a rule that failed (event.rejected, the office told),
 * the unmatched roles, and a notification the outbox gave up on (sent on
 * its fallback channel, or another role told).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "engine-int.h"
#include "jsonw.h"
#include "log.h"
#include "match.h"
#include "message.h"
#include "org.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

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

	if (s->c.policy != NULL && s->c.step > 0 && reason == MESSAGE_ESCALATION &&
	    (pol = rules_policy_find(e->rules, s->c.policy)) != NULL &&
	    (size_t)s->c.step <= pol->nsteps &&
	    pol->steps[s->c.step - 1].message != NULL)
		return (pol->steps[s->c.step - 1].message);
	if (s->c.procedure != NULL)
		p = rules_procedure_find(e->rules, s->c.procedure);
	for (i = 0; p != NULL && s->c.obligation != NULL &&
	    i < p->nobligations; i++) {
		m = &p->obligations[i].messages;
		if (strcmp(p->obligations[i].id, s->c.obligation) == 0 &&
		    m->v[reason] != NULL)
			return (m->v[reason]);
	}
	if (p != NULL && p->messages.v[reason] != NULL)
		return (p->messages.v[reason]);
	if (s->c.recurring != NULL &&
	    (rc = rules_recurring_find(e->rules, s->c.recurring)) != NULL &&
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

/* A unit's declared name, or NULL (a note then leaves unit_name out). */
static const char *
engine_unit_declared_name(struct engine *e, const char *unit)
{
	const struct unit	*u = rules_unit_find(e->rules, unit);

	return (u != NULL ? u->name : NULL);
}

/* What people call a unit: its declared name, else its id. */
static const char *
engine_unit_name(struct engine *e, const char *unit)
{
	const char	*name = engine_unit_declared_name(e, unit);

	return (name != NULL ? name : unit);
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
		if (s->c.recurring != NULL && (rc = rules_recurring_find(
		    c->e->rules, s->c.recurring)) != NULL && rc->title != NULL)
			return (rc->title);
		return (s->c.recurring);
	}
	if (strcmp(name, "incident") == 0)
		return (inc != NULL ? inc->key : NULL);
	if (strcmp(name, "unit") == 0)
		return (s->c.unit);
	if (strcmp(name, "unit_name") == 0)
		return (engine_unit_name(c->e, s->c.unit));
	if (strcmp(name, "category") == 0)
		return (inc != NULL && inc->category != NULL ? inc->category :
		    "未填写");
	if (strcmp(name, "grade") == 0)
		return (grade_name(inc != NULL ? inc->grade : GRADE_NONE,
		    GRADE_FORM_CHINESE));
	if (strcmp(name, "color") == 0)
		return (colors[inc != NULL ? inc->grade : 0]);
	if (strcmp(name, "procedure") == 0) {
		name = engine_procedure_title(c->e, s->c.procedure);
		return (name != NULL ? name : "未匹配预案");
	}
	if (strcmp(name, "obligation") == 0)
		return (s->obligation_title != NULL ? s->obligation_title :
		    s->c.obligation);
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
	if (strcmp(name, "step") == 0 && s->c.step > 0) {
		snprintf(c->buf, sizeof(c->buf), "%d", s->c.step);
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
 * A drill's messages begin with 【演练】 on every channel, the title as
 * the text, so that no one who reads or hears one (an SMS, a call read
 * out) takes an exercise for the real thing.  NULL stays NULL.
 */
static char *
engine_drill_mark(const struct scope *s, char *text)
{
	char	*marked;

	if (text == NULL || !(s->drill || (s->inc != NULL && s->inc->drill)))
		return (text);
	xasprintf(&marked, ENGINE_DRILL_MARK "%s", text);
	free(text);
	return (marked);
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
	text = engine_drill_mark(s, message_render(tmpl,
	    engine_message_value, &c));
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
	struct org_choice	 choice;	/* a unit role's resolution */
	int			 personal;	/* a later personal step */
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
 * A message's idempotency key, "tn_" and 32 hex digits, derived from the
 * decision that made it: the same decision made twice (after a crash,
 * after a failover) makes the same key and a receiver drops the repeat;
 * two decisions never share one.  The first 12 digits are the trigger's
 * number (an event's seq, a timer's id), so that the outbox's unique
 * index on keys grows near its ends instead of at a random page per
 * insert; the other 20 are the first 80 bits of a SHA-256 of what the
 * message is: the trigger (event or timer, docs/design.md), the incident
 * or recurring report and unit, the obligation, the reason, the policy
 * step and repeat, the recipient and the channel.
 */
static void
engine_message_key(struct engine *e, const struct scope *s,
    const char *reason, const char *recipient, const char *channel,
    char key[36])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;
	char			 num[64];
	const char		*part[11];
	EVP_MD_CTX		*ctx;
	size_t			 i;

	if (e->trigger[0] == '\0') {
		/* A decision without a trigger: a bug, but tell anyway. */
		log_warnx("engine: a message with no trigger reason=%s",
		    reason);
		snprintf(key, 16, "tn_%012llx",
		    (unsigned long long)clock_now() & 0xffffffffffffULL);
		engine_random_hex(key + 15, 10);
		return;
	}
	snprintf(num, sizeof(num), "%lld %d %d",
	    (long long)s->obligation_id, s->c.step, s->repeat);
	part[0] = e->trigger;
	part[1] = s->c.incident;
	part[2] = s->c.recurring;
	part[3] = s->c.unit;
	part[4] = num;
	part[5] = reason;
	part[6] = s->c.policy;
	part[7] = recipient;
	part[8] = channel;
	part[9] = s->c.procedure;
	part[10] = s->c.obligation;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("engine: no SHA-256");
	/* Each part with its NUL: no two lists of parts hash alike. */
	for (i = 0; i < nitems(part); i++) {
		if (EVP_DigestUpdate(ctx, part[i] != NULL ? part[i] : "",
		    part[i] != NULL ? strlen(part[i]) + 1 : 1) != 1)
			fatalx("engine: SHA-256 failed");
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		fatalx("engine: SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	snprintf(key, 16, "tn_%012llx",
	    (unsigned long long)e->trigger_ord & 0xffffffffffffULL);
	for (i = 0; i < 10; i++) {
		key[15 + 2 * i] = hex[md[i] >> 4];
		key[16 + 2 * i] = hex[md[i] & 0xf];
	}
	key[35] = '\0';
}

static int
engine_outbox_insert(struct engine *e, const char *key, const char *incident,
    int64_t obligation, const char *channel, const char *recipient,
    const char *role, const char *body, int64_t deadline)
{
	struct store_message	m;
	int			rc;

	memset(&m, 0, sizeof(m));
	m.key = (char *)key;
	m.created_at = clock_now();
	m.incident = (char *)incident;
	m.obligation = obligation;
	m.channel = (char *)channel;
	m.recipient = (char *)recipient;
	m.role = (char *)role;
	m.body = (char *)body;
	m.next_at = m.created_at;
	m.deadline_at = deadline;
	rc = store_message_add(e->store, &m, NULL);
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
	const char		*base = rules_site(e->rules)->public_url;
	struct store_ack_link	 l;
	char			 token[33], *url;
	size_t			 len;

	if (base == NULL || s->inc == NULL)
		return (NULL);
	engine_random_hex(token, 16);
	l.token = token;
	l.incident = s->inc->key;
	l.recipient = (char *)who;
	l.created_at = clock_now();
	if (store_ack_link_add(e->store, &l) != 0)
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

/* An action that says who was told (or failed to be), on which channel. */
int
engine_emit_told(struct engine *e, const struct scope *s, const char *kind,
    const char *role, const char *recipient, const char *channel,
    json_t *extra)
{
	struct scope	told = *s;

	told.c.role = role;
	told.c.recipient = recipient;
	told.c.channel = channel;
	return (engine_emit(e, &told, kind, extra));
}

/*
 * A notify action's own fields: a plain role's are just the reason; a
 * person's own rules add the step that sent it.
 */
static json_t *
engine_notify_extra(const struct notify_ctx *n, const struct recipient *r)
{
	json_t	*extra;

	extra = json_pack("{s:s}", "reason", n->reason);
	if (r->personal_step > 0)
		json_object_set_new(extra, "personal_step",
		    json_integer(r->personal_step));
	if (n->choice.unit != NULL)
		json_object_set_new(extra, "role_unit",
		    json_string(n->choice.unit));
	if (n->choice.fallback != NULL)
		json_object_set_new(extra, "fallback",
		    json_string(n->choice.fallback));
	return (extra);
}

static void
engine_notify_one(const struct recipient *r, void *arg)
{
	struct notify_ctx	*n = arg;
	struct engine		*e = n->e;
	const struct scope	*s = n->s;
	struct message_note	 note;
	char			 key[36], at[CALENDAR_TIME_MAX], *link, *text;
	char			*body, *title;
	int64_t			 now = clock_now();

	if (n->failed || (n->skip_channel != NULL &&
	    strcmp(r->channel, n->skip_channel) == 0))
		return;
	if (!engine_tell_once(e, r->id, r->channel))
		return;
	engine_message_key(e, s, n->reason, r->id, r->channel, key);
	calendar_format(now, at, sizeof(at));
	link = n->why != MESSAGE_UNDELIVERED ? engine_ack_link(e, s, r->id) :
	    NULL;
	text = engine_message(e, s, n->why, r, link);
	memset(&note, 0, sizeof(note));
	note.key = key;
	note.reason = n->reason;
	note.at = at;
	engine_concern(s, &note.c);
	note.c.unit_name = engine_unit_declared_name(e, s->c.unit);
	note.c.role = n->role;
	note.c.recipient = r->id;
	note.c.recipient_name = r->name;
	note.c.phone = r->phone;
	note.c.channel = r->channel;
	/* A drill's title is marked even where the report gave none. */
	title = s->inc == NULL || !s->inc->drill ? NULL : engine_drill_mark(s,
	    xstrdup(s->inc->title != NULL ? s->inc->title : s->inc->key));
	note.title = title != NULL ? title : s->inc != NULL ? s->inc->title :
	    NULL;
	note.text = text;
	note.ack_url = link;
	note.mobiles = r->mobiles;
	note.nmobiles = r->nmobiles;
	body = message_note_json(&note);
	free(title);
	free(text);
	free(link);
	if (engine_outbox_insert(e, key, s->inc != NULL ? s->inc->key : NULL,
	    s->obligation_id, r->channel, r->id, n->role, body, now +
	    rules_site(e->rules)->notify_deadline) != 0)
		n->failed = 1;
	free(body);
	if (!n->failed && engine_emit_told(e, s, "notify", n->role, r->id,
	    r->channel, engine_notify_extra(n, r)) != 0)
		n->failed = 1;
	/* The first step told them: their later ones wait for an ack. */
	if (!n->failed && r->person != NULL && n->why != MESSAGE_UNDELIVERED &&
	    !n->personal && engine_tell_once(e, r->id, "\037notify_rules") &&
	    engine_personal_start(e, s, n->role, n->reason, r->person) != 0)
		n->failed = 1;
}

/*
 * Step `step` of person's own notify_rules, due now: each of its channels
 * told as the first step was (same reason, role and template), the
 * notify actions saying which step it was.
 */
int
engine_notify_personal(struct engine *e, const struct scope *s,
    const char *role, const char *reason, const struct person *p, int step)
{
	struct notify_ctx	 n;
	struct recipient	 r;
	const struct names	*ch = &p->notify_rules[step - 1].channels;
	size_t			 i;
	int			 why;

	memset(&n, 0, sizeof(n));
	n.e = e;
	n.s = s;
	n.role = role;
	n.reason = reason;
	n.personal = 1;
	if ((why = message_reason(reason)) < 0)
		why = MESSAGE_ESCALATION;
	n.why = (enum message_reason)why;
	memset(&r, 0, sizeof(r));
	r.id = p->id;
	r.name = p->name != NULL ? p->name : p->id;
	r.phone = p->phone;
	if (p->phone != NULL)
		r.mobiles[r.nmobiles++] = p->phone;
	r.person = p;
	r.personal_step = step;
	for (i = 0; i < ch->n && !n.failed; i++) {
		r.channel = ch->v[i];
		engine_notify_one(&r, &n);
	}
	return (n.failed ? -1 : 0);
}

int
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
	org_choose(e->rules, role, s->c.unit, s->inc != NULL ?
	    s->inc->category : NULL, clock_now(), &n.choice);
	if (n.choice.fallback != NULL && strcmp(n.choice.fallback, "office")
	    == 0)
		log_warnx("engine: nobody holds role=%s for unit=%s, its "
		    "parents or the site: telling office incident=%s", role,
		    s->c.unit != NULL ? s->c.unit : "-",
		    s->inc != NULL ? s->inc->key : "-");
	if (org_resolve(e->rules, n.choice.target, s->inc != NULL ?
	    s->inc->category : NULL, clock_now(), engine_notify_one, &n) == 0)
		log_warnx("engine: nobody to tell role=%s incident=%s", role,
		    s->inc != NULL ? s->inc->key : "-");
	return (n.failed ? -1 : 0);
}

int
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
int
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

/* A rule failed on this event: keep the event, say so, tell the office. */
int
engine_notify_reject(struct engine *e, const struct scope *s, const char *procedure,
    const struct record *ev, const char *cause)
{
	struct scope	 r = *s;

	e->stats.rejected++;
	log_warnx("engine: rule failed procedure=%s incident=%s reason=%s",
	    procedure, ev->incident != NULL ? ev->incident : "-", cause);
	r.c.procedure = procedure;
	if (engine_emit(e, &r, "event.rejected",
	    json_pack("{s:s, s:s?}", "reason", cause, "event", ev->id)) != 0)
		return (-1);
	return (engine_notify(e, &r, "office", "rejected"));
}

/* An event.rejected for each rule that failed on the event, in order. */
int
engine_notify_rejects(struct engine *e, const struct scope *s,
    const struct record *ev, const struct match_set *set)
{
	size_t	i;
	int	failed = 0;

	for (i = 0; i < set->nfailed; i++) {
		if (engine_notify_reject(e, s, set->failed[i].procedure->name, ev,
		    set->failed[i].cause) != 0)
			failed = 1;
	}
	return (failed ? -1 : 0);
}

/* The number a key begins with (its trigger's), or 0. */
int64_t
engine_key_ord(const char *key)
{
	char	digits[13];

	if (strncmp(key, "tn_", 3) != 0 || strlen(key) < 15)
		return (0);
	memcpy(digits, key + 3, 12);
	digits[12] = '\0';
	return (strtoll(digits, NULL, 16));
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
	const char	*incident, *role, *recipient, *reason, *dead;
	char		 key[36], *text;
	int		 rc;

	engine_decision_begin(e);
	if ((body = json_loads(u->body, 0, NULL)) == NULL)
		body = json_object();
	dead = engine_json_text(body, "key");
	/* The copy's key sorts with the original's: its first 12 digits. */
	engine_decision_trigger(e, engine_key_ord(dead), "undelivered %s",
	    dead);
	incident = json_string_value(json_object_get(body, "incident"));
	memset(&s, 0, sizeof(s));
	if (incident != NULL && (inc = engine_incident_load(e, incident)) != NULL)
		engine_scope_incident(&s, inc);
	s.c.unit = json_string_value(json_object_get(body, "unit"));
	s.c.recurring = json_string_value(json_object_get(body, "recurring"));
	s.c.procedure = json_string_value(json_object_get(body, "procedure"));
	s.c.obligation = json_string_value(json_object_get(body, "obligation"));
	s.obligation_id = u->obligation;
	s.undelivered = body;
	s.undelivered_detail = u->detail;
	role = json_string_value(json_object_get(body, "role"));
	recipient = json_string_value(json_object_get(body, "recipient"));
	reason = engine_json_text(body, "reason");
	rc = engine_emit_told(e, &s, u->fallback != NULL ?
	    "notification.fallback" : "notification.dead", role, recipient,
	    u->channel, json_pack(
	    "{s:s, s:s?, s:s?}", "key", engine_json_text(body, "key"),
	    "error", u->detail, "fallback", u->fallback));
	if (rc == 0 && u->fallback != NULL) {
		copy = json_deep_copy(body);
		engine_message_key(e, &s, "fallback", recipient, u->fallback,
		    key);
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
			rc = engine_emit_told(e, &s, "notify", role,
			    recipient, u->fallback, json_pack("{s:s}",
			    "reason", "fallback"));
	} else if (rc == 0 && strcmp(reason, "undelivered") != 0)
		rc = engine_notify(e, &s, rules_site(e->rules)->
		    undelivered_notify, "undelivered");
	json_decref(body);
	engine_incident_free(inc);
	return (rc);
}

/* The recipients an alarm's role resolves to now, gathered first. */
/*
 * A message not made from a template (the handover summary): title and
 * text to each (recipient, channel) that who reaches now, or only on
 * channel when it is given; a notify action for each, with the reason and
 * role given.
 */
struct text_ctx {
	struct engine		*e;
	const struct scope	*s;
	const char		*role;
	const char		*reason;
	const char		*channel;
	const char		*title;
	const char		*text;
	int			 rc;
	int			 sent;
};

static void
engine_notify_text_one(const struct recipient *r, void *arg)
{
	struct text_ctx		*t = arg;
	struct engine		*e = t->e;
	struct message_note	 note;
	char			 key[36], at[CALENDAR_TIME_MAX], *body;
	int64_t			 now = clock_now();

	if (t->rc != 0 || (t->channel != NULL &&
	    strcmp(r->channel, t->channel) != 0) ||
	    !engine_tell_once(e, r->id, r->channel))
		return;
	engine_message_key(e, t->s, t->reason, r->id, r->channel, key);
	calendar_format(now, at, sizeof(at));
	memset(&note, 0, sizeof(note));
	note.key = key;
	note.reason = t->reason;
	note.at = at;
	note.c.role = t->role;
	note.c.recipient = r->id;
	note.c.recipient_name = r->name;
	note.c.phone = r->phone;
	note.c.channel = r->channel;
	note.title = t->title;
	note.text = t->text;
	note.mobiles = r->mobiles;
	note.nmobiles = r->nmobiles;
	if ((body = message_note_json(&note)) == NULL) {
		t->rc = -1;
		return;
	}
	t->rc = engine_outbox_insert(e, key, NULL, 0, r->channel, r->id,
	    t->role, body, now + rules_site(e->rules)->notify_deadline);
	free(body);
	if (t->rc == 0)
		t->rc = engine_emit_told(e, t->s, "notify", t->role, r->id,
		    r->channel, json_pack("{s:s}", "reason", t->reason));
	t->sent++;
}

int
engine_notify_text(struct engine *e, const struct scope *s, const char *who,
    const char *role, const char *channel, const char *reason,
    const char *title, const char *text)
{
	struct text_ctx	t = { e, s, role, reason, channel, title, text, 0, 0 };

	org_resolve(e->rules, who, NULL, clock_now(), engine_notify_text_one,
	    &t);
	/* Nobody had the channel asked for: their own channels, then. */
	if (t.rc == 0 && t.sent == 0 && channel != NULL) {
		t.channel = NULL;
		org_resolve(e->rules, who, NULL, clock_now(),
		    engine_notify_text_one, &t);
	}
	if (t.rc == 0 && t.sent == 0)
		log_warnx("engine: nobody to tell role=%s reason=%s", role,
		    reason);
	return (t.rc);
}

struct alarm_ctx {
	struct recipient	*v;
	size_t			 n;
};

static void
engine_alarm_gather(const struct recipient *r, void *arg)
{
	struct alarm_ctx	*a = arg;

	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = *r;
}

/* One alarm message to one recipient, on the alarm's channel. */
static int
engine_alarm_one(struct engine *e, const struct scope *s,
    const struct engine_alarm *a, const struct recipient *r)
{
	struct message_note	 note;
	char			 key[36], at[CALENDAR_TIME_MAX], *body;
	int64_t			 now = clock_now();
	int			 rc;

	if (!engine_tell_once(e, r->id, a->channel))
		return (0);
	engine_message_key(e, s, "alarm", r->id, a->channel, key);
	calendar_format(now, at, sizeof(at));
	memset(&note, 0, sizeof(note));
	note.key = key;
	note.reason = "alarm";
	note.at = at;
	note.c.role = a->to;
	note.c.recipient = r->id;
	note.c.recipient_name = r->name;
	note.c.phone = r->phone;
	note.c.channel = a->channel;
	note.title = a->title;
	note.text = a->text;
	note.mobiles = r->mobiles;
	note.nmobiles = r->nmobiles;
	if ((body = message_note_json(&note)) == NULL)
		return (-1);
	rc = engine_outbox_insert(e, key, NULL, 0, a->channel, r->id, a->to,
	    body, now + rules_site(e->rules)->notify_deadline);
	free(body);
	if (rc == 0)
		rc = engine_emit_told(e, s, "notify", a->to, r->id, a->channel,
		    json_pack("{s:s}", "reason", "alarm"));
	return (rc);
}

/*
 * The watchman's alarm (watchman.c): delivery itself in trouble, or well
 * again.  It goes on its own channel whatever the recipients' usual ones
 * are, since those may be what is failing: to the role's recipients who
 * have that channel, or, when none has it, to each of them on it.  One
 * watchman.alarm action records it; its keys come from the episode's
 * start and the reminder's number, so the same alarm made twice is one.
 */
int
engine_alarm(struct engine *e, const struct engine_alarm *a)
{
	struct alarm_ctx	 all = { NULL, 0 };
	struct scope		 s;
	size_t			 i, on = 0;
	int			 rc;

	engine_decision_begin(e);
	engine_decision_trigger(e, a->since, "alarm %s %s %lld %d", a->about,
	    a->state, (long long)a->since, a->told);
	memset(&s, 0, sizeof(s));
	s.c.channel = a->channel;
	rc = engine_emit(e, &s, "watchman.alarm", json_pack("{s:s, s:s, s:s}",
	    "state", a->state, "about", a->about, "text", a->text));
	org_resolve(e->rules, a->to, NULL, clock_now(), engine_alarm_gather,
	    &all);
	for (i = 0; i < all.n; i++)
		on += strcmp(all.v[i].channel, a->channel) == 0;
	for (i = 0; i < all.n && rc == 0; i++) {
		if (on == 0 || strcmp(all.v[i].channel, a->channel) == 0)
			rc = engine_alarm_one(e, &s, a, &all.v[i]);
	}
	if (all.n == 0)
		log_warnx("engine: nobody to tell of the alarm role=%s", a->to);
	free(all.v);
	return (rc);
}
