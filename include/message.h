/*
 * Message templates: the text a duty officer reads.  A template is text
 * with {placeholders}; "{{" and "}}" stand for braces.  Templates may be set
 * per policy step, obligation, procedure (or recurring report) and site,
 * the nearest winning; without one the built-in Chinese default for the
 * message's reason is used.  Pure functions: the engine supplies values.
 * The notification that carries a message to one recipient, as the outbox
 * stores it, is written here too.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>

#include "timeline.h"

enum message_reason {
	MESSAGE_OPENED,		/* an incident opened (on_open) */
	MESSAGE_PERIOD,		/* ... during a special period */
	MESSAGE_GRADED,		/* it reached a grade */
	MESSAGE_REMIND,		/* a deadline is near */
	MESSAGE_BREACH,		/* a deadline passed, owner told */
	MESSAGE_ESCALATION,	/* a deadline passed, a policy step */
	MESSAGE_REJECTED,	/* a rule failed on an event */
	MESSAGE_UNDELIVERED,	/* a message could not be delivered */
	MESSAGE_UNMATCHED,	/* a report no procedure takes */
	MESSAGE__COUNT
};

/* Templates by reason; NULL where not set. */
struct messages {
	char	*v[MESSAGE__COUNT];
};

/*
 * One notification as the outbox stores it and the channels read it: a
 * JSON object with these fields in this order.  What a note does not
 * have is left out, not written as null: a NULL field, a grade or step of
 * 0, the mobiles when there are none (docs/rules.md says so to receivers).
 */
struct message_note {
	const char		*key;
	const char		*reason;
	const char		*at;
	struct concern		 c;	/* whom it is for: all but the phone */
	const char		*title;
	const char		*text;
	const char		*ack_url;
	const char *const	*mobiles;
	size_t			 nmobiles;
};

/* Gives the value of a placeholder, or NULL when it has none here. */
typedef const char *(*message_value_cb)(const char *, void *);

int		 message_reason(const char *);
const char	*message_reason_name(enum message_reason);
const char	*message_default(enum message_reason);
int		 message_check(const char *, char **);
char		*message_render(const char *, message_value_cb, void *);
void		 messages_free(struct messages *);
char		*message_note_json(const struct message_note *);
char		*message_note_json_jansson(const struct message_note *);

#endif
