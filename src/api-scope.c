/*
 * Whose rows a read shows (SPEC §3, §5a).  Once a site declares a token
 * for reading, a read needs one (http.c refuses it otherwise), and a
 * token limited to units reads only theirs and their descendants': the
 * unit set rules_unit_scope expands, which the store keeps with
 * "unit IN (...)".  The query narrows it: unit=X keeps X, with
 * subtree=1 X and the units below it; a unit outside the token's scope
 * is 403.  A site without a reading token reads as it always did.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "http.h"
#include "names.h"
#include "rules.h"
#include "store.h"

/*
 * The token a read is scoped by: NULL for every unit (no reading token
 * in the site, or an unlimited one).  *none is set when reads need a
 * token and the request has none (http.c refused it already).
 */
static const struct token_def *
api_scope_token(struct evhttp_request *req, const struct rules *r, int *none)
{
	const struct token_def	*tok;

	*none = 0;
	if (!rules_tokens_read(r))
		return (NULL);
	if ((tok = http_token(req, r)) == NULL)
		*none = 1;
	return (tok != NULL && tok->units.n > 0 ? tok : NULL);
}

static void
api_scope_set(struct api_scope *sc)
{
	sc->all = 0;
	sc->units.v = (const char *const *)sc->names.v;
	sc->units.n = sc->names.n;
}

/* subtree= 1 or 0 (or not given); -1 for another value. */
static int
api_scope_subtree(struct evhttp_request *req, int *subtree)
{
	char	*v = http_query(req, "subtree");
	int	 rc = 0;

	*subtree = 0;
	if (v != NULL && strcmp(v, "1") == 0)
		*subtree = 1;
	else if (v != NULL && strcmp(v, "0") != 0)
		rc = -1;
	free(v);
	return (rc);
}

/*
 * The units a read keeps, in sc: 0, or -1 after answering 400 (subtree=
 * neither 0 nor 1) or 403 (unit= outside the token's units).
 */
int
api_scope_start(struct evhttp_request *req, const struct api_ctx *ctx,
    struct api_scope *sc)
{
	const struct token_def	*tok;
	struct names		 one = { NULL, 0 };
	char			*unit = http_query(req, "unit");
	int			 none, rc = 0;

	memset(sc, 0, sizeof(*sc));
	sc->all = 1;
	tok = api_scope_token(req, ctx->rules, &none);
	if (api_scope_subtree(req, &sc->subtree) != 0) {
		http_reply_error(req, 400, "invalid_value", "subtree",
		    "subtree is 1 (the unit and the units below it) or 0");
		rc = -1;
	} else if (unit != NULL && (none || (tok != NULL &&
	    !rules_unit_covered(ctx->rules, &tok->units, unit)))) {
		http_reply_error(req, 403, "forbidden", "unit", "this token "
		    "may not read unit \"%.200s\"", unit);
		rc = -1;
	} else if (unit != NULL) {
		names_add(&one, unit);
		if (sc->subtree)
			rules_unit_scope(ctx->rules, &one, &sc->names);
		else
			names_add(&sc->names, unit);
		names_free(&one);
		api_scope_set(sc);
	} else if (tok != NULL) {
		rules_unit_scope(ctx->rules, &tok->units, &sc->names);
		api_scope_set(sc);
	} else if (none)
		api_scope_set(sc);	/* no token where one is needed */
	free(unit);
	if (rc != 0)
		api_scope_end(sc);
	else
		sc->limited = tok != NULL || none;
	return (rc);
}

const struct store_units *
api_scope_units(const struct api_scope *sc)
{
	return (sc->all ? NULL : &sc->units);
}

int
api_scope_has(const struct api_scope *sc, const char *unit)
{
	return (sc->all || (unit != NULL && names_has(&sc->names, unit)));
}

/*
 * A read of the whole daemon (GET /v1/status): a token limited to units
 * may not make it, 403.  0, or -1 after answering.
 */
int
api_scope_whole(struct evhttp_request *req, const struct api_ctx *ctx)
{
	const struct token_def	*tok;
	int			 none;

	tok = api_scope_token(req, ctx->rules, &none);
	if (tok == NULL && !none)
		return (0);
	http_reply_error(req, 403, "forbidden", NULL, "this token reads only "
	    "its units' incidents: ask /v1/board or /v1/incidents");
	return (-1);
}

void
api_scope_end(struct api_scope *sc)
{
	names_free(&sc->names);
	memset(sc, 0, sizeof(*sc));
	sc->all = 1;
}
