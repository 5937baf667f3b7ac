/*
 * GET /v1/session: who the presented token is.  The board's sign-in
 * screen asks it before it keeps a token, so a mistyped secret is told
 * at once, and so that the board can say whose name an acknowledgement
 * will carry (a person's token) and which units it may see.
 * It answers 401 to a request without a valid token whatever the site
 * declares: there is no one to describe.  The secret is never echoed.
 */
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "http.h"
#include "names.h"
#include "rules.h"

void
api_session(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct token_def	*tok = http_token(req, ctx->rules);
	json_t			*units;
	size_t			 i;

	if (tok == NULL) {
		http_reply_error(req, 401, "unauthorized", NULL, "send a valid "
		    "token as Authorization: Bearer");
		return;
	}
	units = json_array();
	for (i = 0; i < tok->units.n; i++)
		json_array_append_new(units, json_string(tok->units.v[i]));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	http_reply_json(req, 200, json_pack("{s:s, s:o, s:o, s:b, s:b, s:o}",
	    "token", tok->name,
	    "person", api_text(tok->person),
	    "person_name", api_person_name(ctx->rules, tok->person),
	    "read", tok->read || !rules_tokens_read(ctx->rules),
	    "write", tok->write,
	    "units", units));
}
