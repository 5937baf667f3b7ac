/*
 * The log channel: a notification becomes one log line.  It is what the
 * default site uses, so tocsin runs with no gateway at all.
 *
 * A message may carry acknowledgement links (its own, or in an undelivered
 * notice the lost message's), and a link's token is a credential: the line
 * shows each link with its token cut out.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channel.h"
#include "log.h"
#include "rules.h"
#include "xmalloc.h"

#define CHANNEL_LOG_TOKEN_MIN	16	/* hex digits that make a token */

/*
 * text with every "/ack/TOKEN" written "/ack/<token>": the log line, and
 * what `tocsinctl simulate --messages` shows, the same on every run.
 */
char *
channel_log_redact(const char *text)
{
	static const char	 mark[] = "/ack/", hidden[] = "<token>";
	const char		*at, *p;
	char			*out, *o;
	size_t			 n;

	o = out = xmalloc(strlen(text) + 1);
	while ((at = strstr(text, mark)) != NULL) {
		at += sizeof(mark) - 1;
		for (p = at; isxdigit((unsigned char)*p); p++)
			;
		n = (size_t)(at - text);
		memcpy(o, text, n);
		o += n;
		/* "<token>" is never longer than the token it stands for. */
		if ((size_t)(p - at) >= CHANNEL_LOG_TOKEN_MIN) {
			memcpy(o, hidden, sizeof(hidden) - 1);
			o += sizeof(hidden) - 1;
			text = p;
		} else
			text = at;
	}
	strcpy(o, text);
	return (out);
}

static void
channel_log_send(struct delivery *d)
{
	json_t		*body = channel_delivery_body(d);
	const char	*incident, *text;
	char		*redacted;

	incident = json_string_value(json_object_get(body, "incident"));
	text = json_string_value(json_object_get(body, "text"));
	redacted = channel_log_redact(text != NULL ? text : "");
	log_info("notify channel=%s key=%s recipient=%s incident=%s text=%s",
	    d->def->name, d->key,
	    json_string_value(json_object_get(body, "recipient")),
	    incident != NULL ? incident : "-", redacted);
	free(redacted);
	d->done(d, DELIVERY_OK, NULL, -1);
}

const struct channel_driver channel_log_driver = {
	.kind = "log",
	.options = NULL,
	.check = NULL,
	.send = channel_log_send,
};
