/*
 * The leader's side of the spool inbox: a standby checked each file of its
 * spool and put the body in the store (spool.c, store-inbox.c); here the
 * leader takes the rows in id order, a batch at a time, and ingests each
 * as one request, exactly as a file of its own spool: the body parsed with
 * the id prefix and the time the standby read it, so its events get the
 * ids the standby's own ingest would have given them.  The row is deleted
 * in the transaction that commits its events (ingest_submit_within), so a
 * row is never lost and never stored twice; were it read again anyway (a
 * standby that crashed between its commit and its move), the ids make the
 * repeat a duplicate.
 *
 * A row whose events the leader refuses (an unknown unit, an update to no
 * incident) is deleted in the same way and the refusal logged, with the
 * standby and the file's name, and counted (tocsin_spool_files_total
 * {result="inbox_rejected"}): the file itself is in the standby's done/.
 * A row not stored (the store failing) stays for the next round.
 *
 * One batch is in flight at a time; the next round starts a second later,
 * or at once when the batch was full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "spool-inbox.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define SPOOL_INBOX_BATCH	64	/* rows a round */
#define SPOOL_INBOX_EVERY_MS	1000

struct spool_inbox_row {
	struct spool_inbox	*inbox;
	size_t			 slot;		/* in rows[] */
	struct store_inbox	 row;
};

struct spool_inbox {
	struct store		*store;
	struct ingest		*ingest;
	struct event		*ev;
	struct spool_inbox_row	*rows[SPOOL_INBOX_BATCH];
	size_t			 nrows;		/* read this round */
	size_t			 in_flight;	/* awaiting their commit */
};

static void	spool_inbox_cb(evutil_socket_t, short, void *);

static void
spool_inbox_arm(struct spool_inbox *ib, int64_t ms)
{
	struct timeval	tv = { ms / MSEC_PER_SEC, (ms % MSEC_PER_SEC) * 1000 };

	evtimer_add(ib->ev, &tv);
}

/* A list callback copies what it keeps: the store's row is cleared. */
static int
spool_inbox_copy_cb(const struct store_inbox *in, void *arg)
{
	struct spool_inbox	*ib = arg;
	struct spool_inbox_row	*r;

	r = xcalloc(1, sizeof(*r));
	r->inbox = ib;
	r->slot = ib->nrows;
	r->row.id = in->id;
	r->row.node = xstrdup(in->node);
	r->row.name = xstrdup(in->name);
	r->row.id_prefix = xstrdup(in->id_prefix);
	r->row.body = xstrdup(in->body);
	r->row.received_at = in->received_at;
	ib->rows[ib->nrows++] = r;
	return (0);
}

static void
spool_inbox_row_free(struct spool_inbox_row *r)
{
	r->inbox->rows[r->slot] = NULL;
	store_inbox_clear(&r->row);
	free(r);
}

/* Refused for good: logged and counted without the body (as spool.c). */
static void
spool_inbox_refused(const struct spool_inbox_row *r,
    const struct record_error *err)
{
	log_warnx("spool: a forwarded file refused; deleted from the inbox "
	    "node=\"%s\" file=%s code=%s field=%s", r->row.node, r->row.name,
	    err->code, err->field[0] != '\0' ? err->field : "-");
	metrics_spool(METRICS_SPOOL_INBOX_REJECTED);
}

/* In the transaction of the row's events (or of their refusal). */
static int
spool_inbox_within_cb(int status, void *arg)
{
	struct spool_inbox_row	*r = arg;

	return (store_inbox_delete(r->inbox->store, r->row.id));
}

static void
spool_inbox_round_end(struct spool_inbox *ib)
{
	int	full = ib->nrows == SPOOL_INBOX_BATCH;

	ib->nrows = 0;
	spool_inbox_arm(ib, full ? 0 : SPOOL_INBOX_EVERY_MS);
}

static void
spool_inbox_done_cb(int status, const struct engine_result *results,
    size_t n, const struct record_error *err, void *arg)
{
	struct spool_inbox_row	*r = arg;
	struct spool_inbox	*ib = r->inbox;
	size_t			 i, dup = 0;

	switch (status) {
	case 202:
		for (i = 0; i < n; i++)
			dup += results[i].duplicate != 0;
		log_info("spool: stored a forwarded file node=\"%s\" file=%s "
		    "events=%zu duplicates=%zu", r->row.node, r->row.name, n,
		    dup);
		metrics_spool(METRICS_SPOOL_INBOX_DONE);
		break;
	case 400:
	case 403:
	case 409:
		spool_inbox_refused(r, err);
		break;
	default:
		log_warnx("spool: a forwarded file not stored; kept for the "
		    "next round node=\"%s\" file=%s reason=%s", r->row.node,
		    r->row.name, err->message);
		break;
	}
	spool_inbox_row_free(r);
	if (--ib->in_flight == 0)
		spool_inbox_round_end(ib);
}

/*
 * A body the standby accepted and the leader cannot parse (another
 * version, say): refused, the row deleted in a transaction of its own.
 */
static void
spool_inbox_unparsable(struct spool_inbox *ib, struct spool_inbox_row *r,
    const struct record_error *err)
{
	if (store_begin(ib->store) != 0 ||
	    store_inbox_delete(ib->store, r->row.id) != 0 ||
	    store_commit(ib->store) != 0) {
		store_rollback(ib->store);
		log_warnx("spool: cannot delete a refused forwarded file; "
		    "kept for the next round file=%s", r->row.name);
		return;
	}
	metrics_events(METRICS_REJECTED, 1);
	spool_inbox_refused(r, err);
}

static void
spool_inbox_cb(evutil_socket_t fd, short what, void *arg)
{
	struct spool_inbox	 *ib = arg;
	struct spool_inbox_row	 *r;
	struct record		**records;
	struct record_error	  err;
	size_t			  i, n, len;
	int			  status;

	if (!store_leads(ib->store)) {
		spool_inbox_arm(ib, SPOOL_INBOX_EVERY_MS);
		return;
	}
	ib->nrows = 0;
	if (store_inbox_list(ib->store, 0, SPOOL_INBOX_BATCH,
	    spool_inbox_copy_cb, ib) != 0) {
		log_warnx("spool: cannot read the inbox");
		for (i = 0; i < ib->nrows; i++)
			spool_inbox_row_free(ib->rows[i]);
		ib->nrows = 0;
		spool_inbox_arm(ib, SPOOL_INBOX_EVERY_MS);
		return;
	}
	for (i = 0; i < ib->nrows; i++) {
		r = ib->rows[i];
		memset(&err, 0, sizeof(err));
		n = 0;
		/* The standby held the file to its body limit already. */
		len = strlen(r->row.body);
		records = record_parse_body(r->row.body, len, len,
		    r->row.received_at, r->row.id_prefix, &n, &err, &status);
		if (records == NULL) {
			spool_inbox_unparsable(ib, r, &err);
			spool_inbox_row_free(r);
			continue;
		}
		ib->in_flight++;
		ingest_submit_within(ib->ingest, records, n,
		    spool_inbox_within_cb, spool_inbox_done_cb, r);
	}
	if (ib->in_flight == 0)
		spool_inbox_round_end(ib);
}

/* At takeover: a first round at once, then every second. */
struct spool_inbox *
spool_inbox_new(struct event_base *base, struct store *store,
    struct ingest *ingest)
{
	struct spool_inbox	*ib;

	ib = xcalloc(1, sizeof(*ib));
	ib->store = store;
	ib->ingest = ingest;
	ib->ev = evtimer_new(base, spool_inbox_cb, ib);
	event_priority_set(ib->ev, EVENT_PRIORITY_WORK);
	spool_inbox_arm(ib, 0);
	return (ib);
}

/*
 * Rows in flight are forgotten, not lost: their requests die with the
 * ingest, uncommitted, and the rows wait in the store for the next leader.
 */
void
spool_inbox_free(struct spool_inbox *ib)
{
	size_t	i;

	if (ib == NULL)
		return;
	for (i = 0; i < ib->nrows; i++) {
		if (ib->rows[i] != NULL)
			spool_inbox_row_free(ib->rows[i]);
	}
	event_free(ib->ev);
	free(ib);
}
