/*
 * The channel driver registry, and the load-time check that every channel
 * a site declares names a known kind with options that driver accepts.
 * Also the hashing and encoding helpers that more than one gateway's
 * signing scheme wants.
 */
#include <string.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "channel.h"
#include "rules.h"
#include "tocsin.h"
#include "xmalloc.h"

static const struct channel_driver *channel_drivers[] = {
	&channel_log_driver,
	&channel_webhook_driver,
	&channel_sms_driver,
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
	char		*cause;

	json_object_foreach(def->options, key, v) {
		if (!channel_option_known(channel_common_options, key) &&
		    !channel_option_known(drv->options, key))
			rules_problems_add(problems, "%s: channel \"%s\": "
			    "unknown option \"%s\" for kind \"%s\"", def->where,
			    def->name, key, drv->kind);
	}
	if (channel_option_int(def, "rate_per_minute", 1) < 1 ||
	    channel_option_int(def, "concurrency", 1) < 1 ||
	    channel_option_int(def, "timeout_ms", 1) < 1)
		rules_problems_add(problems, "%s: channel \"%s\": "
		    "rate_per_minute, concurrency and timeout_ms must be "
		    "positive whole numbers", def->where, def->name);
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

long
channel_option_int(const struct channel_def *def, const char *key, long dflt)
{
	json_t	*v = json_object_get(def->options, key);

	return (json_is_integer(v) ? (long)json_integer_value(v) : dflt);
}

void
channel_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[CHANNEL_SHA1_LEN])
{
	unsigned int	outlen = CHANNEL_SHA1_LEN;

	HMAC(EVP_sha1(), key, (int)keylen, msg, len, out, &outlen);
}

void
channel_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[CHANNEL_SHA256_LEN])
{
	unsigned int	outlen = CHANNEL_SHA256_LEN;

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
