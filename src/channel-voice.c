/*
 * The voice channel: one kind, "voice", whose "provider" option picks the
 * cloud (channel-voice-aliyun.c, -tencent.c).  A call reads the
 * notification's text to the person's phone through an approved
 * text-to-speech template.  This file owns what is common to the
 * providers: the options check, the phone, cutting the text to what a
 * template takes, each provider's default rate, posting the request and
 * turning a lost connection into a retry.  The answer says the cloud has
 * placed the call; whether anyone picked up comes later, by callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-sign.h"
#include "channel-voice.h"
#include "clock.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define VOICE_TIMEOUT_MS	10000
#define VOICE_PLAY_MAX		3

static const struct channel_voice_provider *channel_voice_providers[] = {
	&channel_voice_aliyun,
	&channel_voice_tencent,
};

/* Every provider's options; a test checks this is their union. */
const char *const channel_voice_options[] = {
	"provider", "max_chars", "play_times", "callback_token", "endpoint",
	"access_key_id", "access_key_secret", "tts_code", "tts_param",
	"called_show_number",
	"secret_id", "secret_key", "voice_sdk_app_id", "template_id", "region",
	NULL
};

/* Options of the driver itself, allowed whatever the provider. */
static const char *const channel_voice_own_options[] = {
	"provider", "max_chars", "play_times", "callback_token",
	CHANNEL_COMMON_OPTIONS, NULL
};

/* The options that are whole numbers; the driver checks them. */
static const char *const channel_voice_numbers[] = {
	"max_chars", "play_times", NULL
};

static const struct channel_providers channel_voice_keys = {
	channel_voice_options, channel_voice_own_options, channel_voice_numbers
};

/* One request under way: what the answer needs once d->def is gone. */
struct channel_voice_call {
	struct delivery				*d;
	const struct channel_voice_provider	*p;
};

const struct channel_voice_provider *
channel_voice_provider_find(const char *name)
{
	size_t	i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < nitems(channel_voice_providers); i++) {
		if (strcmp(channel_voice_providers[i]->name, name) == 0)
			return (channel_voice_providers[i]);
	}
	return (NULL);
}

/*
 * The text in at most max characters, ending "…" when cut: a template
 * variable has a documented cap (Aliyun: all variables under 250
 * characters; Tencent: the spoken content at most 350), and a call that
 * says most of the message beats one refused.
 */
char *
channel_voice_fit(const char *s, int max)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 n = 0;
	char			*out;

	while (*p != '\0') {
		if ((*p & 0xc0) != 0x80 && n++ == max)
			break;
		p++;
	}
	if (*p == '\0')
		return (xstrdup(s));
	/* Cut one more character for the "…". */
	while (p > (const unsigned char *)s && (*--p & 0xc0) == 0x80)
		;
	xasprintf(&out, "%.*s\xe2\x80\xa6", (int)(p - (const unsigned char *)s),
	    s);
	return (out);
}

static int
channel_voice_check_numbers(const struct channel_def *def,
    const struct channel_voice_provider *p, char **cause)
{
	json_t	*v;

	v = json_object_get(def->options, "max_chars");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 10 ||
	    json_integer_value(v) > p->max_chars)) {
		xasprintf(cause, "\"max_chars\" must be a whole number from 10 "
		    "to %d for provider \"%s\"", p->max_chars, p->name);
		return (-1);
	}
	v = json_object_get(def->options, "play_times");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > VOICE_PLAY_MAX)) {
		xasprintf(cause, "\"play_times\" must be 1, 2 or 3");
		return (-1);
	}
	return (0);
}

static int
channel_voice_check(const struct channel_def *def, char **cause)
{
	const struct channel_voice_provider	*p;
	const char				*token;

	p = channel_voice_provider_find(channel_option_string(def,
	    "provider"));
	if (p == NULL) {
		xasprintf(cause, "\"provider\" must be aliyun or tencent");
		return (-1);
	}
	if (channel_provider_check_keys(def, &channel_voice_keys, p->name,
	    p->options, p->required, cause) != 0 ||
	    channel_voice_check_numbers(def, p, cause) != 0)
		return (-1);
	token = channel_option_string(def, "callback_token");
	if (token != NULL && !channel_callback_token_ok(token)) {
		xasprintf(cause, "\"callback_token\" must be %d to %d letters, "
		    "digits, '-' or '_'", CHANNEL_TOKEN_MIN, CHANNEL_TOKEN_MAX);
		return (-1);
	}
	return (channel_sms_check_url(def, "endpoint", 0, cause));
}

/* The provider's documented request limit, unless the site sets rate. */
static int
channel_voice_rate(const struct channel_def *def, int *count,
    int64_t *window)
{
	const struct channel_voice_provider	*p;

	p = channel_voice_provider_find(channel_option_string(def,
	    "provider"));
	*count = p != NULL ? p->rate_count : 0;
	*window = p != NULL ? p->rate_window : MSEC_PER_MIN;
	return (0);
}

static void
channel_voice_done(const struct httpc_response *r, void *arg)
{
	struct channel_voice_call	*call = arg;
	struct delivery			*d = call->d;
	enum delivery_result		 result;
	char				 detail[CHANNEL_SMS_DETAIL_MAX];
	char				*ref = NULL;

	if (r->status == 0) {
		result = DELIVERY_RETRY;
		snprintf(detail, sizeof(detail), "%s: %s", call->p->name,
		    r->error != NULL ? r->error : "no answer");
	} else
		result = call->p->answer(r, detail, sizeof(detail), &ref);
	free(call);
	if (result == DELIVERY_OK)
		d->ref = ref;		/* the call's result names it */
	else
		free(ref);
	if (result == DELIVERY_OK)
		d->done(d, result, NULL, -1);
	else
		d->done(d, result, detail, result == DELIVERY_RETRY ?
		    r->retry_after : -1);
}

static void
channel_voice_send(struct delivery *d)
{
	const struct channel_def		*def = d->def;
	const struct channel_voice_provider	*p;
	struct channel_voice_call		*call;
	struct channel_voice_msg		 msg;
	struct channel_sms_request		 req;
	json_t					*body;
	const char				*phone, *text;
	char					*fitted;

	body = channel_delivery_body(d);
	phone = json_string_value(json_object_get(body, "phone"));
	text = json_string_value(json_object_get(body, "text"));
	if (phone == NULL || *phone == '\0') {
		d->done(d, DELIVERY_PERMANENT, "recipient has no phone", -1);
		return;
	}
	if ((p = channel_voice_provider_find(channel_option_string(def,
	    "provider"))) == NULL) {
		d->done(d, DELIVERY_PERMANENT, "no such voice provider", -1);
		return;
	}
	fitted = channel_voice_fit(text != NULL ? text : "", (int)
	    channel_option_int(def, "max_chars", p->max_chars));
	log_debug("voice: channel=%s provider=%s key=%s chars_cut=%s",
	    def->name, p->name, d->key, text != NULL &&
	    strcmp(text, fitted) != 0 ? "yes" : "no");

	msg.def = def;
	msg.key = d->key;
	msg.phone = phone;
	msg.text = fitted;
	msg.now = clock_now();
	memset(&req, 0, sizeof(req));
	p->build(&msg, &req);
	call = xcalloc(1, sizeof(*call));
	call->d = d;
	call->p = p;
	if (httpc_request(d->httpc, req.method, req.url, req.headers,
	    req.body != NULL ? req.body : "", req.body != NULL ?
	    strlen(req.body) : 0, channel_option_int(def, "timeout_ms",
	    VOICE_TIMEOUT_MS), channel_voice_done, call) != 0) {
		free(call);
		d->done(d, DELIVERY_RETRY, "cannot start the request", -1);
	}
	free(req.url);
	free(req.body);
	free(fitted);
}

/* A provider's call-result callback: JSON, read by the provider. */
static int
channel_voice_receipts(const struct channel_def *def,
    const struct channel_callback *cb, struct channel_receipts *out,
    char **cause)
{
	const struct channel_voice_provider	*p;
	json_t					*o;
	int					 rc;

	p = channel_voice_provider_find(channel_option_string(def,
	    "provider"));
	if (p == NULL) {
		*cause = xstrdup("no such voice provider");
		return (-1);
	}
	if ((o = json_loadb(cb->body, cb->len, 0, NULL)) == NULL) {
		*cause = xstrdup("the callback's body is not JSON");
		return (-1);
	}
	out->reply = p->reply;
	rc = p->receipts(o, out, cause);
	json_decref(o);
	return (rc);
}

const struct channel_driver channel_voice_driver = {
	.kind = "voice",
	.options = channel_voice_options,
	.rate = channel_voice_rate,
	.check = channel_voice_check,
	.send = channel_voice_send,
	.receipts = channel_voice_receipts,
};
