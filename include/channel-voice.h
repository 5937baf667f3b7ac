/*
 * The voice channel's inside: the driver (channel-voice.c) checks options,
 * cuts the text to what a text-to-speech template takes and posts what a
 * provider builds; a provider (channel-voice-*.c) knows one cloud's call
 * API and answers.  Requests and verdicts are the SMS providers' shapes
 * (channel-sms.h), signatures channel-sign.c's.
 */
#ifndef CHANNEL_VOICE_H
#define CHANNEL_VOICE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "channel-sms.h"
#include "channel.h"
#include "httpc.h"

/* One call, checked and cut: everything a provider builds from. */
struct channel_voice_msg {
	const struct channel_def	*def;
	const char			*key;	/* idempotency key */
	const char			*phone;	/* E.164, "+86…" */
	const char			*text;	/* read aloud */
	int64_t				 now;	/* ms since the epoch */
};

struct channel_voice_provider {
	const char		 *name;
	const char *const	 *options;	/* its own, NULL-terminated */
	const char *const	 *required;	/* non-empty strings */
	/* The documented request limit: count in window ms, the default rate. */
	int			  rate_count;
	int64_t			  rate_window;
	int			  max_chars;	/* the text's documented cap */
	void			(*build)(const struct channel_voice_msg *,
				    struct channel_sms_request *);
	/* The answer to a request; *ref gets the call's id when placed. */
	enum delivery_result	(*answer)(const struct httpc_response *,
				    char *, size_t, char **);
	/* Its call-result callback's body, read; and what it wants back. */
	int			(*receipts)(json_t *,
				    struct channel_receipts *, char **);
	const char		 *reply;
};

extern const struct channel_voice_provider channel_voice_aliyun;
extern const struct channel_voice_provider channel_voice_tencent;

const struct channel_voice_provider *channel_voice_provider_find(const char *);
extern const char *const channel_voice_options[];

/* Pure pieces, for the providers and the unit tests. */
char	*channel_voice_fit(const char *, int);
char	*channel_voice_aliyun_out_id(const char *);
char	*channel_voice_aliyun_number(const char *);

#endif
