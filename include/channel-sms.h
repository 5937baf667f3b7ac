/*
 * The SMS channel's inside: the driver (channel-sms.c) checks options,
 * fits the text to the segment limit and posts what a provider builds; a
 * provider (channel-sms-*.c) knows one gateway's request and answers.
 * Providers are a struct of functions found by name, like the drivers.
 */
#ifndef CHANNEL_SMS_H
#define CHANNEL_SMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "httpc.h"

#define CHANNEL_SMS_DETAIL_MAX	128

/* One SMS, checked and fitted: everything a provider builds from. */
struct channel_sms_msg {
	const struct channel_def	*def;
	const char			*key;	/* idempotency key */
	const char			*phone;
	const char			*text;
	int64_t				 now;	/* ms since the epoch */
};

/* What a provider builds; the driver posts it, then frees it. */
struct channel_sms_request {
	const char		*method;	/* NULL: POST */
	char			*url;
	struct curl_slist	*headers;
	char			*body;
};

/*
 * A gateway's answer codes and what they mean; the first entry that
 * matches wins, a code ending in '*' matches as a prefix.
 */
struct channel_sms_code {
	const char		*code;
	enum delivery_result	 result;
};

struct channel_sms_provider {
	const char		 *name;
	const char *const	 *options;	/* its own, NULL-terminated */
	const char *const	 *required;	/* non-empty strings */
	int			(*check)(const struct channel_def *, char **);
	void			(*build)(const struct channel_sms_msg *,
				    struct channel_sms_request *);
	/* The answer to a request that got one (status is not 0). */
	enum delivery_result	(*answer)(json_t *, const struct httpc_response *,
				    char *, size_t);
	/* The provider's id of a message it took, for its status report. */
	char			*(*ref)(const struct httpc_response *);
	/*
	 * Its status reports and inbound replies (callback_token): the body
	 * read, or -1 (-2: a wrong signature); and what it wants back.
	 */
	int			(*receipts)(const struct channel_def *,
				    const struct channel_callback *,
				    struct channel_receipts *, char **);
};

extern const struct channel_sms_provider channel_sms_aliyun;
extern const struct channel_sms_provider channel_sms_tencent;
extern const struct channel_sms_provider channel_sms_twilio;
extern const struct channel_sms_provider channel_sms_http;

const struct channel_sms_provider *channel_sms_provider_find(const char *);
extern const char *const channel_sms_options[];

/* Segments and fitting (pure, for the unit tests too). */
int	 channel_sms_segments(const char *, int *);
char	*channel_sms_fit(const char *, int, int *);

/* Shared by the providers' checks, requests and answer paths. */
int	 channel_sms_check_url(const struct channel_def *, const char *, int,
	    char **);
enum delivery_result channel_sms_verdict(const struct channel_sms_code *,
	    const char *, const char *, long, char *, size_t);
void	 channel_sms_detail(char *, size_t, const char *, const char *,
	    long);

/* Replies: is this text an acknowledgement, is this number that one. */
int	 channel_sms_reply_is_ack(const char *);
int	 channel_sms_phone_match(const char *, const char *, const char *);

/* Provider pieces exposed for the unit tests. */
enum channel_sms_escape {
	CHANNEL_SMS_RAW,
	CHANNEL_SMS_JSON,
	CHANNEL_SMS_FORM,
};
int	 channel_sms_twilio_signature_ok(const char *, const char *,
	    const char *, size_t, const char *);
char	*channel_sms_http_render(const char *, enum channel_sms_escape,
	    const char *, const char *, const char *);

#endif
