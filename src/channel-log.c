/*
 * The log channel: a notification becomes one log line.  It is what the
 * default site uses, so tocsin runs with no gateway at all.
 */
#include <jansson.h>

#include "channel.h"
#include "log.h"
#include "rules.h"

static void
channel_log_send(struct delivery *d)
{
	json_t	*body = channel_delivery_body(d);

	log_info("notify channel=%s key=%s recipient=%s incident=%s text=\"%s\"",
	    d->def->name, d->key,
	    json_string_value(json_object_get(body, "recipient")),
	    json_string_value(json_object_get(body, "incident")) ?
	    json_string_value(json_object_get(body, "incident")) : "-",
	    json_string_value(json_object_get(body, "text")));
	d->done(d, DELIVERY_OK, NULL, -1);
}

const struct channel_driver channel_log_driver = {
	.kind = "log",
	.options = NULL,
	.check = NULL,
	.send = channel_log_send,
};
