/*
 * The handover summary (交接班), as PagerDuty's on-call handoff
 * notification: what the officer taking over a roster's shift inherits.
 * The open incidents, every open deadline falling in the shift, what is
 * overdue already, and the day's recurring reports not yet filed.  One
 * summary, two forms: JSON (GET /v1/handover, the printable 值班记录) and
 * the text a message carries (engine-handover.c).
 *
 * A shift changes where the roster's officer changes: at a handover time
 * at which org_on_duty names someone else than a moment before.  A
 * roster of one person never hands over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "handover.h"
#include "org.h"
#include "rules.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define HANDOVER_DAYS_MAX	400	/* looked ahead or back for a change */
#define HANDOVER_ROWS_MAX	500	/* open incidents read */
#define HANDOVER_DUTIES_MAX	2000
#define HANDOVER_TEXT_ITEMS	5	/* per list in a message */

static int
handover_changes(const struct roster *ro, int64_t t)
{
	const char	*now = org_on_duty(ro, t), *before = org_on_duty(ro, t - 1);

	return (now != NULL && (before == NULL || strcmp(now, before) != 0));
}

/* The first shift change after `after`; 0: none within a year. */
int64_t
handover_next(const struct roster *ro, int64_t after)
{
	int64_t	t = calendar_day_start(after) + ro->handover;
	int	i;

	for (i = 0; i < HANDOVER_DAYS_MAX; i++) {
		if (t > after && handover_changes(ro, t))
			return (t);
		t = calendar_next_day_start(t) + ro->handover;
	}
	return (0);
}

/* The handover time of the day before t's. */
static int64_t
handover_day_before(const struct roster *ro, int64_t t)
{
	return (calendar_day_start(calendar_day_start(t) - 1) + ro->handover);
}

/* The shift running at `at`: from the last change at or before it. */
void
handover_shift_at(const struct roster *ro, int64_t at,
    struct handover_shift *sh)
{
	int64_t	t = calendar_day_start(at) + ro->handover, first;
	int	i;

	if (t > at)
		t = handover_day_before(ro, t);
	first = t;
	for (i = 0; i < HANDOVER_DAYS_MAX && !handover_changes(ro, t); i++)
		t = handover_day_before(ro, t);
	if (i == HANDOVER_DAYS_MAX)
		t = first;
	memset(sh, 0, sizeof(*sh));
	sh->roster = ro;
	sh->at = t;
	sh->until = handover_next(ro, t);
	if (sh->until == 0)
		sh->until = calendar_next_day_start(t) + ro->handover;
	sh->incoming = org_on_duty(ro, t);
	sh->outgoing = org_on_duty(ro, t - 1);
}

static json_t *
handover_time(int64_t t)
{
	char	buf[CALENDAR_TIME_MAX];

	if (t <= 0)
		return (json_null());
	calendar_format(t, buf, sizeof(buf));
	return (json_string(buf));
}

static json_t *
handover_str(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

static const char *
handover_unit_name(const struct rules *r, const char *unit)
{
	const struct unit	*u = unit != NULL ? rules_unit_find(r, unit) :
				    NULL;

	return (u != NULL && u->name != NULL ? u->name : unit);
}

static json_t *
handover_who(const struct rules *r, const char *id)
{
	const struct person	*p;
	const struct group	*g;
	const char		*name = id;

	if (id == NULL)
		return (json_null());
	if ((p = rules_person_find(r, id)) != NULL && p->name != NULL)
		name = p->name;
	else if ((g = rules_group_find(r, id)) != NULL && g->name != NULL)
		name = g->name;
	return (json_pack("{s:s, s:s}", "id", id, "name", name));
}

struct handover_read {
	const struct rules		*rules;
	const struct handover_shift	*sh;
	json_t				*open;		/* incidents */
	json_t				*overdue;	/* obligations */
	json_t				*due;		/* in the shift */
	json_t				*missing;	/* reports */
	json_t				*cur;		/* the incident read */
};

static int
handover_row_cb(const struct store_board_row *b, void *arg)
{
	struct handover_read	*hr = arg;

	json_array_append_new(hr->open, json_pack(
	    "{s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:b}",
	    "key", b->key, "title", handover_str(b->title),
	    "unit", handover_str(b->unit), "unit_name", handover_str(
	    handover_unit_name(hr->rules, b->unit)),
	    "grade", b->grade > 0 ? json_integer(b->grade) : json_null(),
	    "acknowledged", b->acked_at > 0,
	    "opened_at", handover_time(b->opened_at), "drill", b->drill));
	return (0);
}

/* An open obligation of the incident read: overdue, due in the shift. */
static int
handover_obligation_cb(const struct store_obligation *o, void *arg)
{
	struct handover_read	*hr = arg;
	json_t			*j;
	int			 late = o->status == OBLIGATION_BREACHED ||
				    o->due_at <= hr->sh->at;

	if (!late && o->due_at >= hr->sh->until)
		return (0);
	j = json_pack("{s:O, s:O, s:O, s:s, s:o, s:o, s:O}",
	    "incident", json_object_get(hr->cur, "key"),
	    "title", json_object_get(hr->cur, "title"),
	    "unit_name", json_object_get(hr->cur, "unit_name"),
	    "obligation", o->name, "obligation_title", handover_str(o->title),
	    "due_at", handover_time(o->due_at),
	    "drill", json_object_get(hr->cur, "drill"));
	json_array_append_new(late ? hr->overdue : hr->due, j);
	return (0);
}

static int
handover_duty_cb(const struct store_duty *d, void *arg)
{
	struct handover_read	*hr = arg;

	if (d->status != OBLIGATION_PENDING && d->status !=
	    OBLIGATION_BREACHED && d->status != OBLIGATION_MISSED)
		return (0);
	json_array_append_new(hr->missing, json_pack(
	    "{s:o, s:o, s:o, s:o, s:s}", "title", handover_str(d->title),
	    "unit", handover_str(d->unit), "unit_name", handover_str(
	    handover_unit_name(hr->rules, d->unit)),
	    "due_at", handover_time(d->due_at),
	    "status", obligation_status_name(d->status)));
	return (0);
}

/* How many of a list's items are a drill's (应急演练). */
static size_t
handover_drills(const json_t *list)
{
	size_t	i, n = 0;

	for (i = 0; i < json_array_size(list); i++)
		n += json_is_true(json_object_get(json_array_get(list, i),
		    "drill"));
	return (n);
}

/*
 * The summary of shift sh as the store has it now, of units (NULL: all);
 * NULL if unread.
 */
json_t *
handover_summary(struct store *s, const struct rules *r,
    const struct handover_shift *sh, const struct store_units *units)
{
	struct handover_read	 hr;
	size_t			 i;
	int			 rc;

	memset(&hr, 0, sizeof(hr));
	hr.rules = r;
	hr.sh = sh;
	hr.open = json_array();
	hr.overdue = json_array();
	hr.due = json_array();
	hr.missing = json_array();
	/* Read the incidents first: no store read runs inside another. */
	rc = store_board(s, units, HANDOVER_ROWS_MAX, handover_row_cb, &hr);
	for (i = 0; rc == 0 && i < json_array_size(hr.open); i++) {
		hr.cur = json_array_get(hr.open, i);
		rc = store_obligations_open_of_incident(s, json_string_value(
		    json_object_get(hr.cur, "key")), handover_obligation_cb, &hr);
	}
	if (rc == 0)
		rc = store_duties(s, units, calendar_day_start(sh->at),
		    calendar_next_day_start(sh->at), HANDOVER_DUTIES_MAX,
		    handover_duty_cb, &hr);
	if (rc != 0) {
		json_decref(hr.open);
		json_decref(hr.overdue);
		json_decref(hr.due);
		json_decref(hr.missing);
		return (NULL);
	}
	return (json_pack("{s:s, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, "
	    "s:I}, s:o, s:o, s:o, s:o}",
	    "roster", sh->roster->name, "at", handover_time(sh->at),
	    "until", handover_time(sh->until),
	    "incoming", handover_who(r, sh->incoming),
	    "outgoing", handover_who(r, sh->outgoing),
	    "counts", "open", (json_int_t)json_array_size(hr.open),
	    "overdue", (json_int_t)json_array_size(hr.overdue),
	    "drills_overdue", (json_int_t)handover_drills(hr.overdue),
	    "due_in_shift", (json_int_t)json_array_size(hr.due),
	    "reports_missing", (json_int_t)json_array_size(hr.missing),
	    "open", hr.open, "overdue", hr.overdue, "due_in_shift", hr.due,
	    "reports_missing", hr.missing));
}

/* "12月08日 08:30" of an RFC 3339 local time. */
static void
handover_short(FILE *f, const json_t *t)
{
	const char	*s = json_string_value(t);

	if (s == NULL || strlen(s) < 16)
		fputs("—", f);
	else
		fprintf(f, "%.2s月%.2s日 %.5s", s + 5, s + 8, s + 11);
}

static const char *
handover_jtext(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "");
}

/* A list of the summary's, its first few items by item(); drills said. */
static void
handover_list(FILE *f, const json_t *list, const char *head,
    void (*item)(FILE *, const json_t *))
{
	size_t	i, n = json_array_size(list), drills;

	fprintf(f, "；%s%zu项", head, n);
	if ((drills = handover_drills(list)) > 0)
		fprintf(f, "（含演练%zu项）", drills);
	for (i = 0; i < n && i < HANDOVER_TEXT_ITEMS; i++) {
		fputs(i == 0 ? "：" : "；", f);
		item(f, json_array_get(list, i));
	}
	if (n > HANDOVER_TEXT_ITEMS)
		fprintf(f, "等%zu项", n);
}

static void
handover_deadline(FILE *f, const json_t *o)
{
	if (json_is_true(json_object_get(o, "drill")))
		fputs("【演练】", f);
	fprintf(f, "%s“%s”%s（", handover_jtext(o, "unit_name"),
	    handover_jtext(o, "title"), handover_jtext(o, "obligation_title"));
	handover_short(f, json_object_get(o, "due_at"));
	fputs("到期）", f);
}

static void
handover_report(FILE *f, const json_t *o)
{
	fprintf(f, "%s%s（", handover_jtext(o, "unit_name"),
	    handover_jtext(o, "title"));
	handover_short(f, json_object_get(o, "due_at"));
	fputs("）", f);
}

/*
 * The message: who takes over when, then each list with its first few.
 * link, when the site has a public_url, is the printable page.
 */
char *
handover_text(const json_t *sum, const char *link)
{
	const json_t	*out = json_object_get(sum, "outgoing");
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return (NULL);
	fprintf(f, "【交接班】%s：", handover_jtext(json_object_get(sum,
	    "incoming"), "name"));
	handover_short(f, json_object_get(sum, "at"));
	fputs("起由您值班（至", f);
	handover_short(f, json_object_get(sum, "until"));
	if (json_is_object(out))
		fprintf(f, "，交班人%s", handover_jtext(out, "name"));
	fprintf(f, "）。在办事件%zu起", json_array_size(json_object_get(sum,
	    "open")));
	handover_list(f, json_object_get(sum, "overdue"), "已超时",
	    handover_deadline);
	handover_list(f, json_object_get(sum, "due_in_shift"), "本班次内到期",
	    handover_deadline);
	handover_list(f, json_object_get(sum, "reports_missing"), "今日报告未报",
	    handover_report);
	fputs("。", f);
	if (link != NULL)
		fprintf(f, "值班记录：%s", link);
	if (fclose(f) != 0) {
		free(buf);
		return (NULL);
	}
	return (buf);
}
