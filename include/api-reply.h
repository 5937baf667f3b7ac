/*
 * SMS replies that acknowledge (api-reply.c): each reply judged and kept,
 * the acknowledgements handed back as ack records for the group commit.
 */
#ifndef API_REPLY_H
#define API_REPLY_H

#include <stddef.h>

struct api_ctx;
struct channel_receipts;
struct record;

int	api_reply_take(const struct api_ctx *, const char *,
	    const struct channel_receipts *, struct record ***, size_t *);
void	api_reply_acks_free(struct record **, size_t);

#endif
