/*
 * Message templates: the text a duty officer reads.  A template is text
 * with {placeholders}; "{{" and "}}" stand for braces.  Templates may be set
 * per policy step, obligation, procedure (or recurring report) and site,
 * the nearest winning; without one the built-in Chinese default for the
 * message's reason is used.  Pure functions: the engine supplies values.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>

enum message_reason {
	MESSAGE_OPENED,		/* an incident opened (on_open) */
	MESSAGE_PERIOD,		/* ... during a special period */
	MESSAGE_GRADED,		/* it reached a grade */
	MESSAGE_REMIND,		/* a deadline is near */
	MESSAGE_BREACH,		/* a deadline passed, owner told */
	MESSAGE_ESCALATION,	/* a deadline passed, a policy step */
	MESSAGE_REJECTED,	/* a rule failed on an event */
	MESSAGE_UNDELIVERED,	/* a message could not be delivered */
	MESSAGE__COUNT
};

/* Templates by reason; NULL where not set. */
struct messages {
	char	*v[MESSAGE__COUNT];
};

/* Gives the value of a placeholder, or NULL when it has none here. */
typedef const char *(*message_value_cb)(const char *, void *);

int		 message_reason(const char *);
const char	*message_reason_name(enum message_reason);
const char	*message_default(enum message_reason);
int		 message_check(const char *, char **);
char		*message_render(const char *, message_value_cb, void *);
void		 messages_free(struct messages *);

#endif
