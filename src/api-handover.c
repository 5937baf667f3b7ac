/*
 * GET /v1/handover?at=T&roster=R: the handover summary (交接班, handover.c)
 * of the roster's shift running at T (default now), the one its officer
 * was sent: the shift's 值班记录, printed from GET /handover.  The roster
 * is the site's handover roster, else "duty".  A token limited to units
 * sees their part.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "clock.h"
#include "handover.h"
#include "http.h"
#include "rules.h"
#include "store.h"
#include "xmalloc.h"

void
api_handover(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	const struct site	*site = rules_site(ctx->rules);
	const struct roster	*ro;
	struct handover_shift	 sh;
	struct api_scope	 sc;
	char			*at_s = http_query(req, "at");
	char			*name = http_query(req, "roster");
	int64_t			 at = clock_now();
	json_t			*sum;

	if (name == NULL)
		name = xstrdup(site->handover.roster != NULL ?
		    site->handover.roster : "duty");
	if (at_s != NULL && api_time_param(at_s, &at) != 0)
		http_reply_error(req, 400, "invalid_value", "at",
		    "at must be a time such as 2026-06-11T08:30:00+08:00");
	else if ((ro = rules_roster_find(ctx->rules, name)) == NULL)
		http_reply_error(req, 404, "not_found", "roster",
		    "no such roster");
	else if (api_scope_start(req, ctx, &sc) == 0) {
		handover_shift_at(ro, at, &sh);
		sum = handover_summary(ctx->store, ctx->rules, &sh,
		    api_scope_units(&sc));
		if (sum == NULL)
			http_reply_error(req, 503, "store_failed", NULL,
			    "the handover could not be read; try again");
		else {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Cache-Control", "no-store");
			http_reply_json(req, 200, sum);
		}
		api_scope_end(&sc);
	}
	free(at_s);
	free(name);
}
