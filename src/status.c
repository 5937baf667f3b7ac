/*
 * The names of grades and of every state a stored row can be in, one
 * table each (tocsin.h).  The database stores these names and the API
 * shows them; the code passes the enums.  A new state is one line in its
 * enum and one here.
 */
#include <string.h>

#include "tocsin.h"

/* Indexed by grade: GRADE_NONE, then 1 (the gravest) to 4. */
static const char *const grade_names[GRADE_MAX + 1][GRADE_FORM__COUNT] = {
	{ "ungraded", "未定级", "未定级", "0" },
	{ "I", "特别重大", "特别重大（I级）", "1" },
	{ "II", "重大", "重大（II级）", "2" },
	{ "III", "较大", "较大（III级）", "3" },
	{ "IV", "一般", "一般（IV级）", "4" },
};

static const char *const incident_state_names[INCIDENT__COUNT] = {
	[INCIDENT_OPEN] = "open",
	[INCIDENT_CLOSED] = "closed",
};

static const char *const obligation_status_names[OBLIGATION__COUNT] = {
	[OBLIGATION_PENDING] = "pending",
	[OBLIGATION_BREACHED] = "breached",
	[OBLIGATION_LATE] = "late",
	[OBLIGATION_MISSED] = "missed",
	[OBLIGATION_MET] = "met",
	[OBLIGATION_CANCELLED] = "cancelled",
};

static const char *const outbox_status_names[OUTBOX__COUNT] = {
	[OUTBOX_QUEUED] = "queued",
	[OUTBOX_SENDING] = "sending",
	[OUTBOX_FAILED] = "failed",
	[OUTBOX_DELIVERED] = "delivered",
	[OUTBOX_DEAD] = "dead",
};

static const char *const escalation_state_names[ESCALATION__COUNT] = {
	[ESCALATION_ACTIVE] = "active",
	[ESCALATION_STOPPED] = "stopped",
	[ESCALATION_DONE] = "done",
};

static const char *
status_name(const char *const *names, int n, int v)
{
	return (v >= 0 && v < n ? names[v] : "?");
}

static int
status_parse(const char *const *names, int n, const char *s)
{
	int	i;

	for (i = 0; s != NULL && i < n; i++) {
		if (strcmp(s, names[i]) == 0)
			return (i);
	}
	return (-1);
}

const char *
grade_name(int grade, enum grade_form form)
{
	if (grade < GRADE_MIN || grade > GRADE_MAX)
		grade = GRADE_NONE;
	if ((int)form < 0 || form >= GRADE_FORM__COUNT)
		form = GRADE_FORM_ROMAN;
	return (grade_names[grade][form]);
}

/* "I", "特别重大" or "1" (the forms a report may carry): 1..4, or -1. */
int
grade_parse(const char *s)
{
	static const enum grade_form	 forms[] = { GRADE_FORM_ROMAN,
					    GRADE_FORM_CHINESE, GRADE_FORM_DIGIT };
	int				 g;
	size_t				 i;

	for (g = GRADE_MIN; s != NULL && g <= GRADE_MAX; g++) {
		for (i = 0; i < nitems(forms); i++) {
			if (strcmp(s, grade_names[g][forms[i]]) == 0)
				return (g);
		}
	}
	return (-1);
}

const char *
incident_state_name(enum incident_state v)
{
	return (status_name(incident_state_names, INCIDENT__COUNT, (int)v));
}

int
incident_state_parse(const char *s)
{
	return (status_parse(incident_state_names, INCIDENT__COUNT, s));
}

const char *
obligation_status_name(enum obligation_status v)
{
	return (status_name(obligation_status_names, OBLIGATION__COUNT,
	    (int)v));
}

int
obligation_status_parse(const char *s)
{
	return (status_parse(obligation_status_names, OBLIGATION__COUNT, s));
}

/* Still owed: pending, or breached and not yet met. */
int
obligation_status_open(enum obligation_status v)
{
	return (v == OBLIGATION_PENDING || v == OBLIGATION_BREACHED);
}

const char *
outbox_status_name(enum outbox_status v)
{
	return (status_name(outbox_status_names, OUTBOX__COUNT, (int)v));
}

int
outbox_status_parse(const char *s)
{
	return (status_parse(outbox_status_names, OUTBOX__COUNT, s));
}

const char *
escalation_state_name(enum escalation_state v)
{
	return (status_name(escalation_state_names, ESCALATION__COUNT,
	    (int)v));
}

int
escalation_state_parse(const char *s)
{
	return (status_parse(escalation_state_names, ESCALATION__COUNT, s));
}
