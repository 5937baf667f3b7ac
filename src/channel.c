/*
 * The channel driver registry, and the load-time check that every channel
 * a site declares names a known kind with options that driver accepts.
 */
#include <string.h>
#include <stdlib.h>

#include "channel.h"
#include "rules.h"
#include "tocsin.h"

static const struct channel_driver *channel_drivers[] = {
	&channel_log_driver,
	&channel_webhook_driver,
};

const struct channel_driver *
channel_driver_find(const char *kind)
{
	size_t	i;

	for (i = 0; i < nitems(channel_drivers); i++) {
		if (strcmp(channel_drivers[i]->kind, kind) == 0)
			return (channel_drivers[i]);
	}
	return (NULL);
}

void
channel_check_all(const struct rules *r, struct rules_problems *problems)
{
	const struct channel_def	*def;
	const struct channel_driver	*drv;
	size_t				 i, n = rules_channel_count(r);
	char				*cause;

	for (i = 0; i < n; i++) {
		def = rules_channel(r, i);
		if (def->kind == NULL)
			continue;
		if ((drv = channel_driver_find(def->kind)) == NULL) {
			rules_problems_add(problems, "%s: channel \"%s\": "
			    "unknown kind \"%s\"", def->where, def->name,
			    def->kind);
			continue;
		}
		if (drv->check != NULL && drv->check(def, &cause) != 0) {
			rules_problems_add(problems, "%s: channel \"%s\": %s",
			    def->where, def->name, cause);
			free(cause);
		}
	}
}

const char *
channel_option_string(const struct channel_def *def, const char *key)
{
	return (json_string_value(json_object_get(def->options, key)));
}

long
channel_option_int(const struct channel_def *def, const char *key, long dflt)
{
	json_t	*v = json_object_get(def->options, key);

	return (json_is_integer(v) ? (long)json_integer_value(v) : dflt);
}
