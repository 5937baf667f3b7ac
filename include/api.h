/*
 * The HTTP resources of SPEC §3, one file each: api-events.c (ingest),
 * api-incidents.c (incidents, ack, resolve, notifications), api-misc.c
 * (health, metrics), api-status.c (the operator's summary), api-admin.c
 * (retention), api-ack.c (acknowledgement links), api-board.c (the
 * duty-room board and its data).  Each handler gets the request and, for
 * /v1/incidents/{key}, the decoded key.  What they share -- how a time,
 * an incident or a notification reads in JSON -- is api.c's.
 */
#ifndef API_H
#define API_H

#include <stdint.h>

#include <jansson.h>

#include "names.h"
#include "store.h"

struct engine;
struct evhttp_request;
struct ingest;
struct prune;
struct rules;
struct spool;
struct store;
struct store_incident;
struct store_message;
struct store_obligation;

/* What GET /v1/status says of the daemon itself. */
struct daemon_info {
	const char	*site;
	int64_t		 started_at;
	int64_t		 rules_loaded_at;	/* start-up or last good reload */
};

/*
 * What the handlers act on, handed to the HTTP layer when the daemon
 * starts.  Each part is the daemon's and lives as long as it; rules is
 * the set in force, replaced by the daemon on a good reload.
 */
struct api_ctx {
	struct store		*store;
	struct engine		*engine;
	struct ingest		*ingest;
	struct prune		*prune;
	struct spool		*spool;		/* NULL: no spool */
	struct rules		*rules;
	const struct daemon_info *info;
	/* After a handler's own commit: re-arm timers, wake the outbox. */
	void			(*after_commit)(void *, size_t);
	void			*after_arg;
};

typedef void (*api_handler)(struct evhttp_request *, const struct api_ctx *,
    const char *);

void	api_leader(struct evhttp_request *, const struct api_ctx *,
	    const char *);
json_t	*api_leader_json(const struct api_ctx *);
void	api_events_post(struct evhttp_request *, const struct api_ctx *, const char *);
void	api_incidents_list(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_incident_get(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_incident_ack(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_incident_resolve(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_notifications_list(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_compliance(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_compliance_summary(struct evhttp_request *,
	    const struct api_ctx *, const char *);
void	api_stats(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_stats_csv_get(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_stats_xlsx_get(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_units(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_categories(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_ack_page(struct evhttp_request *, const struct api_ctx *, const char *);
void	api_ack_confirm(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_board(struct evhttp_request *, const struct api_ctx *, const char *);
void	api_handover(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_session(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_callback_post(struct evhttp_request *, const struct api_ctx *,
	    const char *);
void	api_board_file(struct evhttp_request *, const struct api_ctx *,
	    const char *);

/* api.c: the representations the handlers share; null for 0 or NULL. */
json_t	*api_time(int64_t);
json_t	*api_text(const char *);
json_t	*api_grade(int);
json_t	*api_unit_name(const struct rules *, const char *);
json_t	*api_person_name(const struct rules *, const char *);
json_t	*api_incident_json(const struct store_incident *,
	    const struct rules *);
json_t	*api_notification_json(const struct store_message *);
json_t	*api_instance(const struct store_obligation *);
int	 api_met_count(const struct store_obligation *);
json_t	*api_incident_load(struct store *, const struct rules *,
	    const char *, int);
json_t	*api_calendar(const struct rules *);
int	 api_time_param(const char *, int64_t *);
/*
 * The ledger's drill= (absent or 0: drills left out, 1: in, only: drills
 * alone) into *drill and its name; -1 after answering 400.
 */
int	 api_drill_param(struct evhttp_request *, enum store_drill *,
	    const char **);

/*
 * api-page.c: the lists come in pages, each bounded in rows shown, rows
 * read and bytes, so that one answer holds the loop a few milliseconds.
 */
#define API_PAGE_DEFAULT	100		/* rows when no limit is asked */
#define API_PAGE_MAX		200		/* the largest limit taken */
#define API_PAGE_SCAN		2000		/* rows a page reads at most */
#define API_PAGE_BYTES		(64 * 1024)	/* text a page stops after */

struct api_page {
	int	 limit;
	json_t	*cursor;	/* the decoded cursor, or NULL: from the start */
	int	 scoped;	/* hides rows of a token's scope: read on */
};

/* A list: its array's name and its path. */
struct api_list {
	const char	*name;
	const char	*path;
};

/*
 * A page in the making, fed row by row by the store's list callback
 * (api_pager_add returns non-zero when the page is done: the callback
 * returns it to stop the list), then answered by api_pager_reply.
 */
struct api_pager;

int	api_page_start(struct evhttp_request *, struct api_page *,
	    const char *, const char *, ...);
void	api_page_defer(struct evhttp_request *, const struct api_ctx *,
	    api_handler);
void	api_page_end(struct api_page *);
void	api_page_param(char **, const char *, const char *);
struct api_pager *api_pager_new(const struct api_list *,
	    const struct api_page *);
int	api_pager_add(struct api_pager *, json_t *, int, json_t *);
void	api_pager_reply(struct evhttp_request *, struct api_pager *, int,
	    const char *);

/*
 * api-slice.c: a request counted a slice a loop turn, then answered.
 * step counts one slice: 1 when all is counted, 0 for more, -1 when the
 * store failed (503).  reloaded is the 503's message when the site is
 * reloaded meanwhile.  free ends arg, after the reply or without one.
 */
struct api_slice_ops {
	int		(*step)(void *);
	void		(*reply)(struct evhttp_request *, void *);
	void		(*free)(void *);
	const char	*reloaded;
};

void	api_slice_start(struct evhttp_request *, const struct api_slice_ops *,
	    void *);

/*
 * api-scope.c: the units a read shows -- the reading token's scope,
 * narrowed by unit= and subtree=1 -- for the store to keep.
 */
struct api_scope {
	struct names		 names;		/* the units kept */
	struct store_units	 units;		/* over names */
	int			 all;		/* every unit: no filter */
	int			 subtree;	/* subtree=1 was asked */
	int			 limited;	/* the token's units, not all */
};

int	api_scope_start(struct evhttp_request *, const struct api_ctx *,
	    struct api_scope *);
const struct store_units *api_scope_units(const struct api_scope *);
int	api_scope_has(const struct api_scope *, const char *);
int	api_scope_whole(struct evhttp_request *, const struct api_ctx *);
void	api_scope_end(struct api_scope *);

void	api_healthz(struct evhttp_request *, const struct api_ctx *, const char *);
void	api_metrics(struct evhttp_request *, const struct api_ctx *, const char *);
void	api_status(struct evhttp_request *, const struct api_ctx *, const char *);
void	api_admin_prune(struct evhttp_request *, const struct api_ctx *,
	    const char *);

#endif
