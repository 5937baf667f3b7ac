/*
 * The channel driver registry, and the load-time check that every channel
 * a site declares names a known kind with options that driver accepts.
 * Below those, the pieces the drivers share: HMAC signing, URL text,
 * cutting UTF-8 to a provider's limit, and the chat robots' common way of
 * posting JSON and reading the answer; the hashing and encoding the
 * gateways' signing schemes want.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "calendar.h"
#include "channel.h"
#include "httpc.h"
#include "log.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

#define CHANNEL_TIMEOUT_MS	10000
#define CHANNEL_DETAIL_MAX	200	/* bytes of a provider's words kept */

static const struct channel_driver *channel_drivers[] = {
	&channel_log_driver,
	&channel_webhook_driver,
	&channel_dingtalk_driver,
	&channel_wecom_driver,
	&channel_feishu_driver,
	&channel_sms_driver,
	&channel_voice_driver,
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

/*
 * The message as JSON, parsed on first use: the webhook sends the stored
 * text as it is and never needs it.
 */
json_t *
channel_delivery_body(struct delivery *d)
{
	if (d->body == NULL && (d->body = json_loads(d->raw_body, 0,
	    NULL)) == NULL)
		d->body = json_object();
	return (d->body);
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

/* Is key in list (NULL-terminated; NULL: an empty list)? */
int
channel_option_known(const char *const *list, const char *key)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(*list, key) == 0)
			return (1);
	}
	return (0);
}

/* The option of the kind nearest key, as names_suggest gives it. */
static const char *
channel_option_suggest(const struct channel_driver *drv, const char *key,
    char *buf, size_t len)
{
	struct names		 c = { NULL, 0 };
	const char *const	*o;

	for (o = channel_common_options; *o != NULL; o++)
		names_add(&c, *o);
	for (o = drv->options; o != NULL && *o != NULL; o++)
		names_add(&c, *o);
	names_suggest(key, (const char *const *)c.v, c.n, buf, len);
	names_free(&c);
	return (buf);
}

/* Unknown keys, then the common options' values, then the driver's check. */
static void
channel_check_one(const struct rules *r, const struct channel_def *def,
    const struct channel_driver *drv, struct rules_problems *problems)
{
	const char	*key, *fallback;
	json_t		*v;
	char		*cause = NULL, near[128], at[600];
	int64_t		 window;
	int		 count;

	json_object_foreach(def->options, key, v) {
		if (!channel_option_known(channel_common_options, key) &&
		    !channel_option_known(drv->options, key))
			rules_problems_add(problems, "%s: channel \"%s\": "
			    "unknown option \"%s\" for kind \"%s\"%s",
			    rules_key_where(r, def->where, "channel", def->name,
			    key, at, sizeof(at)), def->name, key, drv->kind,
			    channel_option_suggest(drv, key, near,
			    sizeof(near)));
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
			    rules_key_where(r, def->where, "channel", def->name,
			    "fallback", at, sizeof(at)), def->name);
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
	const char			*kinds[nitems(channel_drivers)];
	char				 near[128], at[600];
	size_t				 i, n = rules_channel_count(r);

	for (i = 0; i < nitems(channel_drivers); i++)
		kinds[i] = channel_drivers[i]->kind;
	for (i = 0; i < n; i++) {
		def = rules_channel(r, i);
		if (def->kind == NULL)
			continue;
		if ((drv = channel_driver_find(def->kind)) == NULL) {
			rules_problems_add(problems, "%s: channel \"%s\": "
			    "unknown kind \"%s\"%s", rules_key_where(r,
			    def->where, "channel", def->name, "kind", at,
			    sizeof(at)), def->name, def->kind, names_suggest(
			    def->kind, kinds, nitems(kinds), near,
			    sizeof(near)));
			continue;
		}
		channel_check_one(r, def, drv, problems);
	}
}

static const char *const channel_receipt_names[RECEIPT__COUNT] = {
	[RECEIPT_ANSWERED] = "answered",
	[RECEIPT_UNANSWERED] = "unanswered",
	[RECEIPT_BUSY] = "busy",
	[RECEIPT_FAILED] = "failed",
	[RECEIPT_DELIVERED] = "delivered",
};

const char *
channel_receipt_status_name(enum channel_receipt_status st)
{
	return ((unsigned)st < RECEIPT__COUNT ? channel_receipt_names[st] :
	    "?");
}

void
channel_receipts_add(struct channel_receipts *rs, const char *ref,
    enum channel_receipt_status st, const char *detail)
{
	struct channel_receipt	*r;

	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	r->ref = xstrdup(ref);
	r->status = st;
	r->detail = detail != NULL ? xstrdup(detail) : NULL;
}

void
channel_receipts_reply(struct channel_receipts *rs, const char *phone,
    const char *country, const char *text)
{
	struct channel_reply	*r;

	rs->replies = xreallocarray(rs->replies, rs->nreplies + 1,
	    sizeof(*rs->replies));
	r = &rs->replies[rs->nreplies++];
	r->phone = xstrdup(phone);
	r->country = country != NULL && *country != '\0' ? xstrdup(country) :
	    NULL;
	r->text = xstrdup(text);
}

void
channel_receipts_free(struct channel_receipts *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].ref);
		free(rs->v[i].detail);
	}
	for (i = 0; i < rs->nreplies; i++) {
		free(rs->replies[i].phone);
		free(rs->replies[i].country);
		free(rs->replies[i].text);
	}
	free(rs->v);
	free(rs->replies);
	rs->v = NULL;
	rs->replies = NULL;
	rs->n = rs->nreplies = 0;
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
	if (drv != NULL && drv->rate != NULL)
		drv->rate(def, count, window);
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

/*
 * The keys of a channel whose "provider" picks a cloud (sms, voice): an
 * option another provider reads is a mistake here, not a no-op; each
 * option the driver knows is a string unless it says otherwise; the
 * provider's required options are non-empty strings.  Keys the driver
 * does not know are channel_check_one's to refuse or use.
 */
int
channel_provider_check_keys(const struct channel_def *def,
    const struct channel_providers *drv, const char *provider,
    const char *const *options, const char *const *required, char **cause)
{
	const char		*key, *s;
	const char *const	*req;
	json_t			*v;

	json_object_foreach(def->options, key, v) {
		if (!channel_option_known(drv->options, key))
			continue;
		if (!channel_option_known(drv->own, key) &&
		    !channel_option_known(options, key)) {
			xasprintf(cause, "option \"%s\" is not for provider "
			    "\"%s\"", key, provider);
			return (-1);
		}
		if (!json_is_string(v) &&
		    !channel_option_known(drv->not_strings, key)) {
			xasprintf(cause, "\"%s\" must be a string", key);
			return (-1);
		}
	}
	for (req = required; req != NULL && *req != NULL; req++) {
		s = channel_option_string(def, *req);
		if (s == NULL || *s == '\0') {
			xasprintf(cause, "provider \"%s\" needs \"%s\" (a "
			    "non-empty string)", provider, *req);
			return (-1);
		}
	}
	return (0);
}

int
channel_check_url(const struct channel_def *def, char **cause)
{
	const char	*url = channel_option_string(def, "url");

	if (url == NULL) {
		*cause = xstrdup("\"url\" is required");
		return (-1);
	}
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) !=
	    0) {
		*cause = xstrdup("\"url\" must be http:// or https://");
		return (-1);
	}
	return (0);
}

/* base64(HMAC-SHA256(key, msg)), allocated. */
char *
channel_hmac_base64(const void *key, size_t keylen, const void *msg,
    size_t msglen)
{
	unsigned char	mac[CHANNEL_SHA256_LEN];

	channel_hmac_sha256(key, keylen, msg != NULL ? msg : "", msglen, mac);
	return (channel_base64(mac, sizeof(mac)));
}

/* How many bytes of s fit in max without splitting a UTF-8 character. */
size_t
channel_utf8_cut(const char *s, size_t max)
{
	if (strlen(s) <= max)
		return (strlen(s));
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return (max);
}

/*
 * s in at most max bytes: a provider that counts bytes refuses a long
 * message outright, and most of a message is better than none.  A cut
 * message ends with "…" so the reader knows.
 */
char *
channel_utf8_fit(const char *s, size_t max)
{
	static const char	 ellipsis[] = "\xe2\x80\xa6";
	size_t			 room, keep;
	char			*out;

	if (strlen(s) <= max)
		return (xstrdup(s));
	if (max < sizeof(ellipsis) - 1)
		return (xstrdup(""));
	room = max - (sizeof(ellipsis) - 1);
	keep = channel_utf8_cut(s, room);
	out = xmalloc(keep + sizeof(ellipsis));
	memcpy(out, s, keep);
	memcpy(out + keep, ellipsis, sizeof(ellipsis));
	return (out);
}

/*
 * Bytes s takes inside a JSON string as json_dumps() writes it (without
 * JSON_ENSURE_ASCII): '"' and '\\' and \b \f \n \r \t take two, the
 * other control characters six (\u00XX), every other byte itself.
 */
static size_t
channel_json_byte_len(unsigned char c)
{
	if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' ||
	    c == '\r' || c == '\t')
		return (2);
	return (c < 0x20 ? 6 : 1);
}

size_t
channel_json_len(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += channel_json_byte_len((unsigned char)*s);
	return (n);
}

/*
 * s cut so that, written as a JSON string, what is between its quotes
 * takes at most max bytes: a provider's limit is on the request it reads,
 * and a quote or a newline takes two bytes there, a control character
 * six.  Cut on a character boundary, ending with "…" when cut.
 */
char *
channel_json_fit(const char *s, size_t max)
{
	static const char	 ellipsis[] = "\xe2\x80\xa6";
	size_t			 room, used = 0, keep = 0, i;
	char			*out;

	if (channel_json_len(s) <= max)
		return (xstrdup(s));
	if (max < sizeof(ellipsis) - 1)
		return (xstrdup(""));
	room = max - (sizeof(ellipsis) - 1);
	for (i = 0; s[i] != '\0' && used <= room; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			keep = i;	/* a character starts here; all before fit */
		used += channel_json_byte_len((unsigned char)s[i]);
	}
	out = xmalloc(keep + sizeof(ellipsis));
	memcpy(out, s, keep);
	memcpy(out + keep, ellipsis, sizeof(ellipsis));
	return (out);
}

/*
 * Set holder's key (holder is msg or inside it) to prefix, as much of text
 * as fits, and suffix, so that msg as channel_robot_post() sends it takes
 * at most max bytes: what else the message holds is measured first, then
 * the text is cut to the room left.  The prefix and suffix (a title, the
 * @-mentions a robot needs in the text) are kept whole.
 */
int
channel_json_fit_body(json_t *msg, json_t *holder, const char *key,
    const char *prefix, const char *text, const char *suffix, size_t max)
{
	char	*dump, *fitted, *value;
	size_t	 used;
	int	 rc;

	if (json_object_set_new(holder, key, json_pack("s+", prefix,
	    suffix)) != 0 || (dump = json_dumps(msg, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL)
		return (-1);
	used = strlen(dump);
	free(dump);
	fitted = channel_json_fit(text, used < max ? max - used : 0);
	xasprintf(&value, "%s%s%s", prefix, fitted, suffix);
	rc = json_object_set_new(holder, key, json_string(value));
	free(value);
	free(fitted);
	return (rc);
}

/* url as every channel has it; secret and format, when set, sane. */
int
channel_robot_check(const struct channel_def *def, char **cause)
{
	json_t		*secret = json_object_get(def->options, "secret");
	const char	*format = channel_option_string(def, "format");

	if (channel_check_url(def, cause) != 0)
		return (-1);
	if (secret != NULL && (!json_is_string(secret) ||
	    *json_string_value(secret) == '\0')) {
		*cause = xstrdup("\"secret\" must be a non-empty string");
		return (-1);
	}
	if (json_object_get(def->options, "format") != NULL &&
	    (format == NULL || (strcmp(format, "text") != 0 &&
	    strcmp(format, "markdown") != 0 && strcmp(format, "card") != 0))) {
		*cause = xstrdup("\"format\" must be \"text\", \"markdown\" or "
		    "\"card\"");
		return (-1);
	}
	return (0);
}

/*
 * The body's "mobiles" as robots match them: a mainland number is
 * registered as its 11 digits, so "+86" goes.
 */
json_t *
channel_robot_mobiles(const json_t *body)
{
	json_t		*list = json_array(), *v;
	const char	*m;
	size_t		 i;

	json_array_foreach(json_object_get(body, "mobiles"), i, v) {
		if ((m = json_string_value(v)) == NULL || *m == '\0')
			continue;
		if (strncmp(m, "+86", 3) == 0 && strlen(m + 3) == 11 &&
		    strspn(m + 3, "0123456789") == 11)
			m += 3;
		json_array_append_new(list, json_string(m));
	}
	return (list);
}

/*
 * POST msg (taken) as JSON.  Robots have no idempotency header; the key
 * goes along anyway for whatever sits in between, and nothing secret does.
 */
void
channel_robot_post(struct delivery *d, const char *url, json_t *msg,
    void (*cb)(const struct httpc_response *, void *))
{
	struct curl_slist	*h = NULL;
	char			*body, *line;

	/* json_pack refuses what it cannot encode; no retry changes that. */
	if (msg == NULL || (body = json_dumps(msg, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(msg);
		d->done(d, DELIVERY_PERMANENT, "cannot build the message", -1);
		return;
	}
	json_decref(msg);
	h = curl_slist_append(h, "Content-Type: application/json");
	xasprintf(&line, "Idempotency-Key: %s", d->key);
	h = curl_slist_append(h, line);
	free(line);
	if (httpc_post(d->httpc, url, h, body, strlen(body),
	    channel_option_int(d->def, "timeout_ms", CHANNEL_TIMEOUT_MS), cb,
	    d) != 0)
		d->done(d, DELIVERY_RETRY, "cannot start the request", -1);
	free(body);
}

static json_t *
channel_robot_field(json_t *answer, const char *const *keys)
{
	json_t	*v;

	for (; keys != NULL && *keys != NULL; keys++) {
		if ((v = json_object_get(answer, *keys)) != NULL)
			return (v);
	}
	return (NULL);
}

/* What the provider documents code to mean, or NULL. */
static const struct channel_robot_code *
channel_robot_code(const struct channel_robot *robot, long code)
{
	const struct channel_robot_code	*c;

	for (c = robot->codes; c != NULL && c->means != NULL; c++) {
		if (c->code == code)
			return (c);
	}
	return (NULL);
}

/* What the robot said, for the outbox's last_error: never the URL. */
static void
channel_robot_detail(char *buf, size_t size, const struct channel_robot *robot,
    long status, json_t *answer, json_t *code)
{
	const struct channel_robot_code	*known;
	const char			*msg;
	char				*words;

	if (!json_is_integer(code)) {
		snprintf(buf, size, "%s: HTTP %ld, no %s in the answer",
		    robot->name, status, robot->code_keys[0]);
		return;
	}
	msg = json_string_value(channel_robot_field(answer, robot->msg_keys));
	known = channel_robot_code(robot, (long)json_integer_value(code));
	if ((msg == NULL || *msg == '\0') && known != NULL)
		msg = known->means;
	words = channel_utf8_fit(msg != NULL ? msg : "", CHANNEL_DETAIL_MAX);
	snprintf(buf, size, "%s: HTTP %ld, %s %lld: %s", robot->name, status,
	    robot->code_keys[0], (long long)json_integer_value(code), words);
	free(words);
}

/*
 * HTTP trouble first: no answer, 408, 429 and 5xx are worth another try
 * whatever the body says.  Then the robot's code.  A 2xx without one did
 * not come from the robot (a proxy's page, say), so whether the message
 * went is unknown: try again rather than lose it.
 */
void
channel_robot_done(struct delivery *d, const struct httpc_response *r,
    const struct channel_robot *robot)
{
	const struct channel_robot_code	*known;
	json_t			*answer, *code;
	enum delivery_result	 result;
	char			 detail[CHANNEL_DETAIL_MAX + 128];
	long			 s = r->status;
	int			 ok = s >= 200 && s < 300;

	if (s == 0) {
		d->done(d, DELIVERY_RETRY, r->error, -1);
		return;
	}
	answer = json_loadb(r->body, r->len, 0, NULL);
	code = channel_robot_field(answer, robot->code_keys);
	channel_robot_detail(detail, sizeof(detail), robot, s, answer, code);
	if (s == 408 || s == 429 || s >= 500)
		result = DELIVERY_RETRY;
	else if (!json_is_integer(code))
		result = ok ? DELIVERY_RETRY : DELIVERY_PERMANENT;
	else if (json_integer_value(code) == 0)
		result = ok ? DELIVERY_OK : DELIVERY_PERMANENT;
	else if ((known = channel_robot_code(robot,
	    (long)json_integer_value(code))) != NULL && known->retry)
		result = DELIVERY_RETRY;
	else
		result = DELIVERY_PERMANENT;
	json_decref(answer);
	d->done(d, result, result == DELIVERY_OK ? NULL : detail,
	    result == DELIVERY_RETRY ? r->retry_after : -1);
}
void
channel_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[CHANNEL_SHA1_LEN])
{
	unsigned int	outlen = CHANNEL_SHA1_LEN;

	HMAC(EVP_sha1(), key, (int)keylen, msg, len, out, &outlen);
}

/*
 * HMAC-SHA256 contexts keyed once and kept, for the last few keys: HMAC()
 * fetched the algorithm, set its digest and hashed the key into its pads
 * again for every message, which cost more than hashing a webhook's body.
 * A site signs with a handful of secrets; a key made per message (Feishu's
 * has the time in it) just takes a slot in turn.
 */
#define CHANNEL_HMAC_KEYS	8
#define CHANNEL_HMAC_KEY_MAX	256

static struct channel_hmac {
	unsigned char	 key[CHANNEL_HMAC_KEY_MAX];
	size_t		 keylen;
	EVP_MAC_CTX	*ctx;
} channel_hmacs[CHANNEL_HMAC_KEYS];
static size_t	 channel_hmac_next;
static EVP_MAC	*channel_hmac_mac;

static EVP_MAC_CTX *
channel_hmac_ctx(const void *key, size_t keylen)
{
	struct channel_hmac	*h;
	OSSL_PARAM		 params[2];
	size_t			 i;

	for (i = 0; i < CHANNEL_HMAC_KEYS; i++) {
		h = &channel_hmacs[i];
		if (h->ctx != NULL && h->keylen == keylen &&
		    memcmp(h->key, key, keylen) == 0)
			return (h->ctx);
	}
	if (keylen > CHANNEL_HMAC_KEY_MAX)
		return (NULL);
	if (channel_hmac_mac == NULL &&
	    (channel_hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return (NULL);
	h = &channel_hmacs[channel_hmac_next++ % CHANNEL_HMAC_KEYS];
	EVP_MAC_CTX_free(h->ctx);
	explicit_bzero(h->key, sizeof(h->key));
	h->keylen = 0;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((h->ctx = EVP_MAC_CTX_new(channel_hmac_mac)) == NULL ||
	    EVP_MAC_init(h->ctx, key, keylen, params) != 1) {
		EVP_MAC_CTX_free(h->ctx);
		h->ctx = NULL;
		return (NULL);
	}
	memcpy(h->key, key, keylen);
	h->keylen = keylen;
	return (h->ctx);
}

void
channel_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[CHANNEL_SHA256_LEN])
{
	EVP_MAC_CTX	*ctx;
	unsigned int	 outlen = CHANNEL_SHA256_LEN;
	size_t		 n;

	/* A NULL key starts again from the pads the key left. */
	if ((ctx = channel_hmac_ctx(key, keylen)) != NULL &&
	    EVP_MAC_init(ctx, NULL, 0, NULL) == 1 &&
	    EVP_MAC_update(ctx, msg, len) == 1 &&
	    EVP_MAC_final(ctx, out, &n, CHANNEL_SHA256_LEN) == 1 &&
	    n == CHANNEL_SHA256_LEN)
		return;
	HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &outlen);
}

void
channel_sha256_hex(const void *msg, size_t len,
    char out[2 * CHANNEL_SHA256_LEN + 1])
{
	unsigned char	md[CHANNEL_SHA256_LEN];
	unsigned int	mdlen = sizeof(md);

	EVP_Digest(msg, len, md, &mdlen, EVP_sha256(), NULL);
	channel_hex(md, sizeof(md), out);
}

/* Lower-case hex of n bytes into out, which holds 2n + 1. */
void
channel_hex(const unsigned char *p, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Standard base64 with padding, as a new string. */
char *
channel_base64(const void *p, size_t n)
{
	char	*out;

	out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return (out);
}

/* A standard base64 character's value, or -1. */
static int
channel_base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

/*
 * Standard base64 (RFC 4648 section 4) as the Standard Webhooks libraries
 * read a secret: with its "=" padding or without (theirs add it back).
 * Anything else is refused, never guessed at: the URL-safe "-" and "_",
 * white space, an "=" inside, a length no encoding has.  The bytes are a
 * new buffer of *len bytes; NULL with a cause (which never quotes s).
 */
unsigned char *
channel_base64_decode(const char *s, size_t *len, char **cause)
{
	unsigned char	*out;
	size_t		 n = strlen(s), pad = 0, i;
	uint32_t	 bits = 0;
	int		 v, nbits = 0;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	for (i = 0; i < n; i++) {
		if (channel_base64_value((unsigned char)s[i]) >= 0)
			continue;
		if (s[i] == '-' || s[i] == '_')
			*cause = xstrdup("it is URL-safe base64 (\"-\" or \"_\"), "
			    "which Standard Webhooks libraries do not decode: "
			    "write it with \"+\" and \"/\"");
		else
			xasprintf(cause, "character %zu is not standard "
			    "base64 (A-Z a-z 0-9 + / and \"=\" at the end)",
			    i + 1);
		return (NULL);
	}
	if ((pad > 0 && (n + pad) % 4 != 0) || n % 4 == 1) {
		*cause = xstrdup("its length is not one a base64 encoding has");
		return (NULL);
	}
	out = xmalloc(n * 3 / 4 + 1);
	*len = 0;
	for (i = 0; i < n; i++) {
		v = channel_base64_value((unsigned char)s[i]);
		bits = bits << 6 | (uint32_t)v;
		if ((nbits += 6) >= 8) {
			nbits -= 8;
			out[(*len)++] = (unsigned char)(bits >> nbits);
		}
	}
	return (out);
}

/*
 * RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ becomes
 * %XY (upper-case hex), so a space is %20 and '*' is %2A.  This is exactly
 * what Aliyun's signature asks for, and a form decoder reads it too.
 */
char *
channel_url_encode(const char *s)
{
	static const char	 digits[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;

	out = o = xmalloc(3 * strlen(s) + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~')
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = digits[*p >> 4];
			*o++ = digits[*p & 0xf];
		}
	}
	*o = '\0';
	return (out);
}
