/*
 * The channel driver registry, and the load-time check that every channel
 * a site declares names a known kind with options that driver accepts.
 */
#include <string.h>
#include <stdlib.h>

#include "calendar.h"
#include "channel.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

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

static int
channel_rate_bad(char **cause)
{
	*cause = xstrdup("\"rate\" must be a count per duration, such as "
	    "\"20/1m\" (at most 100000, over at least 1s)");
	return (-1);
}

static const char *const channel_common_options[] = {
	CHANNEL_COMMON_OPTIONS, NULL
};

static int
channel_option_known(const char *const *list, const char *key)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(*list, key) == 0)
			return (1);
	}
	return (0);
}

/* Unknown keys, then the common options' values, then the driver's check. */
static void
channel_check_one(const struct rules *r, const struct channel_def *def,
    const struct channel_driver *drv, struct rules_problems *problems)
{
	const char	*key, *fallback;
	json_t		*v;
	char		*cause = NULL;
	int64_t		 window;
	int		 count;

	json_object_foreach(def->options, key, v) {
		if (!channel_option_known(channel_common_options, key) &&
		    !channel_option_known(drv->options, key))
			rules_problems_add(problems, "%s: channel \"%s\": "
			    "unknown option \"%s\" for kind \"%s\"", def->where,
			    def->name, key, drv->kind);
	}
	if (channel_option_int(def, "concurrency", 1) < 1 ||
	    channel_option_int(def, "fallback_after", 1) < 1 ||
	    channel_option_int(def, "timeout_ms", 1) < 1)
		rules_problems_add(problems, "%s: channel \"%s\": "
		    "concurrency, fallback_after and timeout_ms must be "
		    "positive whole numbers", def->where, def->name);
	if (channel_rate(def, &count, &window, &cause) != 0) {
		rules_problems_add(problems, "%s: channel \"%s\": %s",
		    def->where, def->name, cause);
		free(cause);
	}
	if ((v = json_object_get(def->options, "fallback")) != NULL) {
		fallback = json_string_value(v);
		if (fallback == NULL || rules_channel_find(r, fallback) == NULL ||
		    strcmp(fallback, def->name) == 0)
			rules_problems_add(problems, "%s: channel \"%s\": "
			    "fallback must name another declared channel",
			    def->where, def->name);
	}
	if (drv->check != NULL && drv->check(def, &cause) != 0) {
		rules_problems_add(problems, "%s: channel \"%s\": %s",
		    def->where, def->name, cause);
		free(cause);
	}
}

void
channel_check_all(const struct rules *r, struct rules_problems *problems)
{
	const struct channel_def	*def;
	const struct channel_driver	*drv;
	size_t				 i, n = rules_channel_count(r);

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
		channel_check_one(r, def, drv, problems);
	}
}

const char *
channel_option_string(const struct channel_def *def, const char *key)
{
	return (json_string_value(json_object_get(def->options, key)));
}

/*
 * The channel's rate limit: at most *count messages in any *window ms.  A
 * site's rate = "20/1m" wins over the driver's own per-minute figure; a
 * count of 0 means none.
 */
int
channel_rate(const struct channel_def *def, int *count, int64_t *window,
    char **cause)
{
	const struct channel_driver	*drv = channel_driver_find(def->kind);
	const char			*text;
	struct duration			 d;
	char				*end, *why = NULL;
	long				 n;

	*count = drv != NULL ? drv->rate_per_minute : 0;
	*window = MSEC_PER_MIN;
	if (json_object_get(def->options, "rate") == NULL)
		return (0);
	if ((text = channel_option_string(def, "rate")) == NULL)
		return (channel_rate_bad(cause));
	n = strtol(text, &end, 10);
	if (end == text || *end != '/' || n < 1 || n > 100000 ||
	    calendar_parse_duration(end + 1, &d, &why) != 0 ||
	    d.kind != DURATION_ELAPSED || d.value < MSEC_PER_SEC) {
		free(why);
		return (channel_rate_bad(cause));
	}
	*count = (int)n;
	*window = d.value;
	return (0);
}

long
channel_option_int(const struct channel_def *def, const char *key, long dflt)
{
	json_t	*v = json_object_get(def->options, key);

	return (json_is_integer(v) ? (long)json_integer_value(v) : dflt);
}
