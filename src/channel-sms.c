/*
 * The SMS channel: one kind, "sms", whose "provider" option picks the
 * gateway (channel-sms-aliyun.c, -tencent.c, -twilio.c, -http.c).  This
 * file owns what is common to them: the options check, the person's phone,
 * fitting the text into max_segments, posting the provider's request and
 * turning a lost connection into a retry.
 *
 * Segments: a text of GSM 03.38 characters only goes as GSM-7, 160
 * septets in one SMS or 153 per part once concatenated (the user data
 * header takes the rest), an extension character such as '{' or '€'
 * costing two.  Anything else, all Chinese text, goes as UCS-2: 70 units
 * in one, 67 per part; a character outside the BMP is a surrogate pair,
 * two units.  Neither an escape pair nor a surrogate pair is split across
 * parts, which is how handsets count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-sms.h"
#include "channel-sign.h"
#include "clock.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define SMS_TIMEOUT_MS		10000
#define SMS_SEGMENTS_DEFAULT	4
#define SMS_SEGMENTS_MAX	10

#define SMS_GSM_SINGLE		160
#define SMS_GSM_PART		153
#define SMS_UCS2_SINGLE		70
#define SMS_UCS2_PART		67

static const struct channel_sms_provider *channel_sms_providers[] = {
	&channel_sms_aliyun,
	&channel_sms_tencent,
	&channel_sms_twilio,
	&channel_sms_http,
};

/* Every provider's options; a test checks this is their union. */
const char *const channel_sms_options[] = {
	"provider", "max_segments", "callback_token", "endpoint",
	"access_key_id", "access_key_secret", "sign_name", "template_code",
	"template_param",
	"secret_id", "secret_key", "sdk_app_id", "template_id", "region",
	"account_sid", "auth_token", "from", "messaging_service_sid",
	"url", "method", "content_type", "body", "headers", "ok_status",
	"ok_match",
	NULL
};

/* The options that are not strings; the driver or provider checks them. */
static const char *const channel_sms_not_strings[] = {
	"max_segments", "headers", "ok_status", NULL
};

/* Options of the driver itself, allowed whatever the provider. */
static const char *const channel_sms_own_options[] = {
	"provider", "max_segments", "callback_token", CHANNEL_COMMON_OPTIONS,
	NULL
};

static const struct channel_providers channel_sms_keys = {
	channel_sms_options, channel_sms_own_options, channel_sms_not_strings
};

/* One request under way: what the answer needs once d->def is gone. */
struct channel_sms_call {
	struct delivery				*d;
	const struct channel_sms_provider	*p;
	json_t					*options;
};

const struct channel_sms_provider *
channel_sms_provider_find(const char *name)
{
	size_t	i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < nitems(channel_sms_providers); i++) {
		if (strcmp(channel_sms_providers[i]->name, name) == 0)
			return (channel_sms_providers[i]);
	}
	return (NULL);
}

/* Decode one UTF-8 character; a bad byte counts as one U+FFFD. */
static size_t
channel_sms_utf8(const unsigned char *p, uint32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return (1);
	}
	if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
		*cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		return (2);
	}
	if ((p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 &&
	    (p[2] & 0xc0) == 0x80) {
		*cp = (uint32_t)(p[0] & 0x0f) << 12 |
		    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		return (3);
	}
	if ((p[0] & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 &&
	    (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80) {
		*cp = (uint32_t)(p[0] & 0x07) << 18 |
		    (uint32_t)(p[1] & 0x3f) << 12 |
		    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		return (4);
	}
	*cp = 0xfffd;
	return (1);
}

/* Septets for cp in GSM-7: 1, 2 for the extension table, 0 if absent. */
static int
channel_sms_gsm_cost(uint32_t cp)
{
	/* The default alphabet's characters outside ASCII. */
	static const uint16_t	basic[] = {
		0xa1, 0xa3, 0xa4, 0xa5, 0xa7, 0xbf, 0xc4, 0xc5, 0xc6, 0xc7,
		0xc9, 0xd1, 0xd6, 0xd8, 0xdc, 0xdf, 0xe0, 0xe4, 0xe5, 0xe6,
		0xe8, 0xe9, 0xec, 0xf1, 0xf2, 0xf6, 0xf8, 0xf9, 0xfc, 0x393,
		0x394, 0x398, 0x39b, 0x39e, 0x3a0, 0x3a3, 0x3a6, 0x3a8, 0x3a9,
	};
	size_t			i;

	if (cp == '\n' || cp == '\r')
		return (1);
	if (cp == '\f' || cp == 0x20ac || (cp < 0x80 &&
	    strchr("[\\]^{|}~", (int)cp) != NULL && cp != 0))
		return (2);
	if (cp >= 0x20 && cp < 0x7f)
		return (cp == '`' ? 0 : 1);
	for (i = 0; i < nitems(basic); i++) {
		if (basic[i] == cp)
			return (1);
	}
	return (0);
}

static int
channel_sms_cost(uint32_t cp, int gsm)
{
	if (gsm)
		return (channel_sms_gsm_cost(cp));
	return (cp > 0xffff ? 2 : 1);
}

static int
channel_sms_is_gsm(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;

	while (*p != '\0') {
		p += channel_sms_utf8(p, &cp);
		if (channel_sms_gsm_cost(cp) == 0)
			return (0);
	}
	return (1);
}

/* Parts needed for s in the given encoding; no character is split. */
static int
channel_sms_count(const char *s, int gsm)
{
	const unsigned char	*p;
	uint32_t		 cp;
	size_t			 total = 0, fill = 0;
	int			 c, parts = 1;
	size_t			 single = gsm ? SMS_GSM_SINGLE : SMS_UCS2_SINGLE;
	size_t			 part = gsm ? SMS_GSM_PART : SMS_UCS2_PART;

	for (p = (const unsigned char *)s; *p != '\0';) {
		p += channel_sms_utf8(p, &cp);
		total += (size_t)channel_sms_cost(cp, gsm);
	}
	if (total <= single)
		return (1);
	for (p = (const unsigned char *)s; *p != '\0';) {
		p += channel_sms_utf8(p, &cp);
		c = channel_sms_cost(cp, gsm);
		if (fill + (size_t)c > part) {
			parts++;
			fill = 0;
		}
		fill += (size_t)c;
	}
	return (parts);
}

/* How many SMS the UTF-8 text takes; *gsm (if given) says how it goes. */
int
channel_sms_segments(const char *utf8, int *gsm)
{
	int	is_gsm = channel_sms_is_gsm(utf8);

	if (gsm != NULL)
		*gsm = is_gsm;
	return (channel_sms_count(utf8, is_gsm));
}

/* The start of the last character that begins before cut. */
static size_t
channel_sms_back(const char *s, size_t cut)
{
	size_t		i = 0, last = 0;
	uint32_t	cp;

	while (i < cut) {
		last = i;
		i += channel_sms_utf8((const unsigned char *)s + i, &cp);
	}
	return (last);
}

/*
 * The text cut on a character boundary to fit max segments, ending with
 * "…" to show it was cut; *segments gets the count of the result.  GSM
 * text ends with "..." instead: "…" is not in GSM 03.38 and would turn the
 * whole message into UCS-2, less than half the room.
 */
char *
channel_sms_fit(const char *utf8, int max, int *segments)
{
	const unsigned char	*p = (const unsigned char *)utf8;
	int			 gsm, n, c;
	const char		*tail;
	size_t			 room, used = 0, cut;
	uint32_t		 cp;
	char			*out;

	if (max < 1)
		max = 1;
	n = channel_sms_segments(utf8, &gsm);
	if (n <= max) {
		*segments = n;
		return (xstrdup(utf8));
	}
	tail = gsm ? "..." : "\xe2\x80\xa6";
	room = gsm ? (max == 1 ? SMS_GSM_SINGLE : SMS_GSM_PART * max) - 3 :
	    (max == 1 ? SMS_UCS2_SINGLE : SMS_UCS2_PART * max) - 1;
	while (*p != '\0') {
		n = (int)channel_sms_utf8(p, &cp);
		c = channel_sms_cost(cp, gsm);
		if (used + (size_t)c > room)
			break;
		used += (size_t)c;
		p += n;
	}
	cut = (size_t)(p - (const unsigned char *)utf8);
	/* A character split between parts can leave it one too long. */
	for (;;) {
		xasprintf(&out, "%.*s%s", (int)cut, utf8, tail);
		n = channel_sms_count(out, gsm);
		if (n <= max || cut == 0)
			break;
		free(out);
		cut = channel_sms_back(utf8, cut);
	}
	*segments = n;
	return (out);
}

/* "+86138****0001": enough to tell people apart in a log, no more. */
static void
channel_sms_mask(const char *phone, char *buf, size_t len)
{
	size_t	n = strlen(phone);

	if (n < 9)
		snprintf(buf, len, "****");
	else
		snprintf(buf, len, "%.*s****%s", (int)(n - 8), phone,
		    phone + n - 4);
}

static enum delivery_result
channel_sms_classify(const struct channel_sms_code *t, const char *code,
    long status)
{
	size_t	len;

	for (; code != NULL && t->code != NULL; t++) {
		len = strlen(t->code);
		if (t->code[len - 1] == '*' ?
		    strncmp(code, t->code, len - 1) == 0 :
		    strcmp(code, t->code) == 0)
			return (t->result);
	}
	if (status == 408 || status == 429 || status >= 500)
		return (DELIVERY_RETRY);
	return (DELIVERY_PERMANENT);
}

/*
 * "provider: CODE (HTTP 400)".  Only the code is kept, cut to safe
 * characters: a gateway's message can quote the number or our request.
 */
void
channel_sms_detail(char *buf, size_t len, const char *provider,
    const char *code, long status)
{
	char	safe[65];
	size_t	i, n = 0;

	for (i = 0; code != NULL && code[i] != '\0' && n < sizeof(safe) - 1;
	    i++) {
		if ((code[i] >= 'A' && code[i] <= 'Z') ||
		    (code[i] >= 'a' && code[i] <= 'z') ||
		    (code[i] >= '0' && code[i] <= '9') ||
		    strchr("._-", code[i]) != NULL)
			safe[n++] = code[i];
	}
	safe[n] = '\0';
	if (n > 0)
		snprintf(buf, len, "%s: %s (HTTP %ld)", provider, safe, status);
	else
		snprintf(buf, len, "%s: HTTP %ld", provider, status);
}

/*
 * What a gateway's answer code means (by the HTTP status when the code is
 * not in t, or there is none), with the detail for the outbox.
 */
enum delivery_result
channel_sms_verdict(const struct channel_sms_code *t, const char *provider,
    const char *code, long status, char *detail, size_t len)
{
	channel_sms_detail(detail, len, provider, code, status);
	return (channel_sms_classify(t, code, status));
}

/* An option naming a URL: a string starting http:// or https://. */
int
channel_sms_check_url(const struct channel_def *def, const char *key,
    int required, char **cause)
{
	json_t		*v = json_object_get(def->options, key);
	const char	*s = json_string_value(v);

	if (v == NULL && !required)
		return (0);
	if (s == NULL || (strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "https://", 8) != 0)) {
		xasprintf(cause, "\"%s\" must be an http:// or https:// URL",
		    key);
		return (-1);
	}
	return (0);
}

/*
 * A callback_token is the whole credential of the callback path, as for
 * a voice channel; only the providers that call back take one.
 */
static int
channel_sms_check_token(const struct channel_def *def,
    const struct channel_sms_provider *p, char **cause)
{
	const char	*token = channel_option_string(def, "callback_token");

	if (token == NULL)
		return (0);
	if (p->receipts == NULL) {
		xasprintf(cause, "provider \"%s\" sends no status reports or "
		    "replies: \"callback_token\" is for aliyun, tencent or "
		    "twilio", p->name);
		return (-1);
	}
	if (!channel_callback_token_ok(token)) {
		*cause = xstrdup("\"callback_token\" must be 32 to 128 letters, "
		    "digits, '-' or '_'");
		return (-1);
	}
	return (0);
}

static int
channel_sms_check(const struct channel_def *def, char **cause)
{
	const char				*name;
	const struct channel_sms_provider	*p;
	json_t					*v;

	name = channel_option_string(def, "provider");
	if ((p = channel_sms_provider_find(name)) == NULL) {
		xasprintf(cause, "\"provider\" must be aliyun, tencent, twilio "
		    "or http");
		return (-1);
	}
	v = json_object_get(def->options, "max_segments");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > SMS_SEGMENTS_MAX)) {
		xasprintf(cause, "\"max_segments\" must be a whole number from "
		    "1 to %d", SMS_SEGMENTS_MAX);
		return (-1);
	}
	if (channel_provider_check_keys(def, &channel_sms_keys, p->name,
	    p->options, p->required, cause) != 0)
		return (-1);
	if (channel_sms_check_token(def, p, cause) != 0)
		return (-1);
	if (channel_option_known(p->options, "endpoint") &&
	    channel_sms_check_url(def, "endpoint", 0, cause) != 0)
		return (-1);
	return (p->check != NULL ? p->check(def, cause) : 0);
}

static void
channel_sms_done(const struct httpc_response *r, void *arg)
{
	struct channel_sms_call	*call = arg;
	struct delivery		*d = call->d;
	enum delivery_result	 result;
	char			 detail[CHANNEL_SMS_DETAIL_MAX];

	if (r->status == 0) {
		result = DELIVERY_RETRY;
		snprintf(detail, sizeof(detail), "%s: %s", call->p->name,
		    r->error != NULL ? r->error : "no answer");
	} else
		result = call->p->answer(call->options, r, detail,
		    sizeof(detail));
	/* Kept for the status report, which names the message by it. */
	if (result == DELIVERY_OK && call->p->ref != NULL)
		d->ref = call->p->ref(r);
	json_decref(call->options);
	free(call);
	if (result == DELIVERY_OK)
		d->done(d, result, NULL, -1);
	else
		d->done(d, result, detail, result == DELIVERY_RETRY ?
		    r->retry_after : -1);
}

static void
channel_sms_send(struct delivery *d)
{
	const struct channel_def		*def = d->def;
	const struct channel_sms_provider	*p;
	struct channel_sms_call			*call;
	struct channel_sms_msg			 msg;
	struct channel_sms_request		 req;
	json_t					*body;
	const char				*phone, *text;
	char					*fitted, masked[32];
	int					 segments;

	body = channel_delivery_body(d);
	phone = json_string_value(json_object_get(body, "phone"));
	text = json_string_value(json_object_get(body, "text"));
	if (phone == NULL || *phone == '\0') {
		d->done(d, DELIVERY_PERMANENT, "recipient has no phone", -1);
		return;
	}
	if ((p = channel_sms_provider_find(channel_option_string(def,
	    "provider"))) == NULL) {
		d->done(d, DELIVERY_PERMANENT, "no such SMS provider", -1);
		return;
	}
	fitted = channel_sms_fit(text != NULL ? text : "", (int)
	    channel_option_int(def, "max_segments", SMS_SEGMENTS_DEFAULT),
	    &segments);
	channel_sms_mask(phone, masked, sizeof(masked));
	log_debug("sms: channel=%s provider=%s to=%s key=%s segments=%d%s",
	    def->name, p->name, masked, d->key, segments,
	    text != NULL && strcmp(text, fitted) != 0 ? " cut=yes" : "");

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
	call->options = json_incref(def->options);
	if (httpc_request(d->httpc, req.method, req.url, req.headers,
	    req.body != NULL ? req.body : "", req.body != NULL ?
	    strlen(req.body) : 0, channel_option_int(def, "timeout_ms",
	    SMS_TIMEOUT_MS), channel_sms_done, call) != 0) {
		json_decref(call->options);
		free(call);
		d->done(d, DELIVERY_RETRY, "cannot start the request", -1);
	}
	free(req.url);
	free(req.body);
	free(fitted);
}

/* A provider's status reports and replies, read by the provider. */
static int
channel_sms_receipts(const struct channel_def *def,
    const struct channel_callback *cb, struct channel_receipts *out,
    char **cause)
{
	const struct channel_sms_provider	*p;

	p = channel_sms_provider_find(channel_option_string(def, "provider"));
	if (p == NULL || p->receipts == NULL) {
		*cause = xstrdup("this SMS provider does not call back");
		return (-1);
	}
	return (p->receipts(def, cb, out, cause));
}

/* One UTF-8 character folded: full-width ASCII to ASCII, then lower case. */
static uint32_t
channel_sms_fold(uint32_t cp)
{
	if (cp == 0x3000)
		cp = ' ';
	else if (cp >= 0xff01 && cp <= 0xff5e)
		cp -= 0xfee0;
	if (cp >= 'A' && cp <= 'Z')
		cp += 'a' - 'A';
	return (cp);
}

/*
 * The words that acknowledge, as folded: what a person woken at night
 * types back.  Anything else is kept and ignored, never guessed at.
 */
static const char *const channel_sms_ack_words[] = {
	"1", "ok", "\xe6\x94\xb6\xe5\x88\xb0",			/* 收到 */
	"\xe5\xb7\xb2\xe6\x94\xb6\xe5\x88\xb0",			/* 已收到 */
	NULL
};

/*
 * Is the reply an acknowledgement: one of the words, whatever its case or
 * width ("ＯＫ", "１"), with blanks around it and a stop or "!" after it.
 */
int
channel_sms_reply_is_ack(const char *text)
{
	const unsigned char	*p = (const unsigned char *)text;
	char			 folded[64];
	size_t			 n = 0, i;
	uint32_t		 cp;

	while (*p != '\0') {
		p += channel_sms_utf8(p, &cp);
		cp = channel_sms_fold(cp);
		if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n')
			continue;	/* blanks around, or inside "o k" */
		if (n + 4 >= sizeof(folded))
			return (0);
		if (cp < 0x80)
			folded[n++] = (char)cp;
		else if (cp < 0x800) {
			folded[n++] = (char)(0xc0 | cp >> 6);
			folded[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			folded[n++] = (char)(0xe0 | cp >> 12);
			folded[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			folded[n++] = (char)(0x80 | (cp & 0x3f));
		} else
			return (0);
	}
	folded[n] = '\0';
	/* A stop or "!" after the word: ".", "!", "。". */
	for (;;) {
		if (n > 0 && (folded[n - 1] == '.' || folded[n - 1] == '!'))
			folded[--n] = '\0';
		else if (n >= 3 && memcmp(folded + n - 3, "\xe3\x80\x82", 3) == 0)
			folded[n -= 3] = '\0';
		else
			break;
	}
	for (i = 0; channel_sms_ack_words[i] != NULL; i++) {
		if (strcmp(folded, channel_sms_ack_words[i]) == 0)
			return (1);
	}
	return (0);
}

/* The digits of s, at most len - 1 of them. */
static void
channel_sms_digits(const char *s, char *buf, size_t len)
{
	size_t	n = 0;

	for (; s != NULL && *s != '\0' && n + 1 < len; s++) {
		if (*s >= '0' && *s <= '9')
			buf[n++] = *s;
	}
	buf[n] = '\0';
}

/*
 * Is the number a reply came from (as the provider gives it, its country
 * code apart or not) the person's phone ("+8613800000011")?  The digits
 * must be the same, or the same once the country code is put before
 * them; Aliyun's mainland replies have neither "+86" nor a country code,
 * so with none given "86" is tried.
 */
int
channel_sms_phone_match(const char *person, const char *from,
    const char *country)
{
	char		 p[40], f[40], cf[48], cp[48];
	const char	*cc = country != NULL ? country : "86";

	channel_sms_digits(person, p, sizeof(p));
	channel_sms_digits(from, f, sizeof(f));
	if (strlen(f) < 5 || strlen(p) < 5)
		return (0);
	/* A site may write its people's numbers without "+86" too. */
	snprintf(cf, sizeof(cf), "%s%s", cc, f);
	snprintf(cp, sizeof(cp), "%s%s", cc, p);
	return (strcmp(p, f) == 0 || strcmp(p, cf) == 0 ||
	    strcmp(cp, f) == 0);
}

const struct channel_driver channel_sms_driver = {
	.kind = "sms",
	.options = channel_sms_options,
	.check = channel_sms_check,
	.send = channel_sms_send,
	.receipts = channel_sms_receipts,
};
