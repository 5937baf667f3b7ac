/*
 * The office's statistics (issue 19): GET /v1/stats, and the same table
 * as a CSV file (/v1/stats.csv, with a UTF-8 byte order mark, which Excel
 * on Chinese Windows needs to read it as UTF-8) and as an Excel workbook
 * (/v1/stats.xlsx, written by libxlsxwriter) -- the monthly 通报.
 *
 * from= and to= are months (YYYY-MM, both included; the default is the
 * last six, this one among them).  Each month is counted on its own, with
 * its local bounds: the ledger's obligations due in it per unit and
 * status, and the incidents opened in it per unit, with those reported
 * more than conceal_h hours (default 24) after they happened -- suspected
 * concealment (疑似瞒报).  Drills are never counted, their obligations
 * nor their incidents: the statistics are the record.  Scoped as every
 * read (api-scope.c): a token limited to units counts only theirs.
 * Counted API_STATS_SLICE rows a loop turn (stats-read.c, api-slice.c),
 * as the ledger's summary is (api-units.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <xlsxwriter.h>

#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "rules.h"
#include "stats.h"
#include "store.h"
#include "tocsin.h"
#include "xmalloc.h"

#define API_STATS_MONTHS	6	/* the default range */
#define API_STATS_SLICE		1000	/* rows read a loop turn */
#define API_STATS_CONCEAL_H	24
#define API_STATS_CONCEAL_MAX	(24 * 90)
#define API_STATS_BOM		"\xef\xbb\xbf"

/* A column of the CSV file and the workbook: a count or a rate. */
static const struct {
	const char	*title;
	size_t		 field;		/* a count's offset */
	int		 rate;		/* else a rate, STATS_* */
} api_stats_cols[] = {
	{ "应报", offsetof(struct stats_counts, due), -1 },
	{ "按时报告", offsetof(struct stats_counts, on_time), -1 },
	{ "迟报", offsetof(struct stats_counts, late), -1 },
	{ "漏报", offsetof(struct stats_counts, missed), -1 },
	{ "超时未报", offsetof(struct stats_counts, overdue), -1 },
	{ "未到期", offsetof(struct stats_counts, pending), -1 },
	{ "按时率", 0, STATS_ON_TIME },
	{ "迟报率", 0, STATS_LATE },
	{ "漏报率", 0, STATS_MISSED },
	{ "事件数", offsetof(struct stats_counts, incidents), -1 },
	{ "疑似瞒报", offsetof(struct stats_counts, concealed), -1 },
	{ "疑似瞒报率", 0, STATS_CONCEALED },
};

/* The counts' names in the JSON, in stats_counts order. */
static const struct {
	const char	*name;
	size_t		 field;
} api_stats_counts[] = {
	{ "due", offsetof(struct stats_counts, due) },
	{ "on_time", offsetof(struct stats_counts, on_time) },
	{ "late", offsetof(struct stats_counts, late) },
	{ "missed", offsetof(struct stats_counts, missed) },
	{ "overdue", offsetof(struct stats_counts, overdue) },
	{ "pending", offsetof(struct stats_counts, pending) },
	{ "incidents", offsetof(struct stats_counts, incidents) },
	{ "concealed", offsetof(struct stats_counts, concealed) },
};

static int64_t
api_stats_count(const struct stats_counts *c, size_t field)
{
	return (*(const int64_t *)(const void *)((const char *)c + field));
}

/* What a request asks for, and the table read for it. */
struct api_stats_req {
	int		 y0, m0, n;	/* the first month, how many */
	int		 conceal_h;
	char		 from[STATS_MONTH_LEN], to[STATS_MONTH_LEN];
	struct stats	*st;		/* the reader's */
};

/* The month n after y-m, as a year and a month. */
static void
api_stats_month(int y, int m, int n, int *year, int *month)
{
	int	k = y * 12 + (m - 1) + n;

	*year = k / 12;
	*month = k % 12 + 1;
}

/*
 * from=, to= and conceal_h= into r; 0, or -1 after answering 400.  Months
 * are YYYY-MM, to not before from, at most STATS_MONTHS_MAX of them.
 */
static int
api_stats_params(struct evhttp_request *req, struct api_stats_req *r)
{
	char		*from = http_query(req, "from"), *to = http_query(req,
			    "to"), *ch = http_query(req, "conceal_h"), *end;
	char		 now[CALENDAR_TIME_MAX];
	const char	*bad = NULL;
	int		 y1, m1;
	long		 h = API_STATS_CONCEAL_H;

	calendar_format(clock_now(), now, sizeof(now));
	now[7] = '\0';			/* YYYY-MM of the daemon's clock */
	if (stats_month_parse(to != NULL ? to : now, &y1, &m1) != 0)
		bad = "to";
	else if (from == NULL)
		api_stats_month(y1, m1, -(API_STATS_MONTHS - 1), &r->y0,
		    &r->m0);
	else if (stats_month_parse(from, &r->y0, &r->m0) != 0)
		bad = "from";
	r->n = (y1 * 12 + m1) - (r->y0 * 12 + r->m0) + 1;
	if (bad == NULL && (r->n < 1 || r->n > STATS_MONTHS_MAX))
		bad = "from";
	if (bad == NULL && ch != NULL) {
		errno = 0;
		h = strtol(ch, &end, 10);
		if (errno != 0 || end == ch || *end != '\0' || h < 1 ||
		    h > API_STATS_CONCEAL_MAX)
			bad = "conceal_h";
	}
	if (bad != NULL)
		http_reply_error(req, 400, "invalid_value", bad, "from and to "
		    "are months YYYY-MM, to not before from, at most %d months; "
		    "conceal_h is whole hours, 1 to %d", STATS_MONTHS_MAX,
		    API_STATS_CONCEAL_MAX);
	r->conceal_h = (int)h;
	free(from);
	free(to);
	free(ch);
	return (bad != NULL ? -1 : 0);
}

/* The unit's name as the site declares it; NULL for none. */
static const char *
api_stats_unit_name(const struct rules *rules, const char *unit)
{
	const struct unit	*u;

	if (unit[0] == '\0')
		return ("（未指明单位）");
	u = rules_unit_find(rules, unit);
	return (u != NULL && u->name != NULL ? u->name : unit);
}

/* ---- JSON ------------------------------------------------------------ */

static json_t *
api_stats_json_counts(const struct stats_counts *c)
{
	json_t	*o = json_object();
	double	 v;
	size_t	 i;

	for (i = 0; i < nitems(api_stats_counts); i++)
		json_object_set_new(o, api_stats_counts[i].name, json_integer(
		    api_stats_count(c, api_stats_counts[i].field)));
	for (i = 0; i < STATS__RATES; i++) {
		v = stats_rate(c, (enum stats_rate)i);
		json_object_set_new(o, stats_rate_name((enum stats_rate)i),
		    v < 0 ? json_null() : json_real(round(v * 10000) / 10000));
	}
	return (o);
}

/* A unit's (or every unit's: SIZE_MAX) total and months. */
static json_t *
api_stats_json_months(const struct stats *st, size_t unit)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < stats_months(st); i++)
		json_array_append_new(a, api_stats_json_counts(stats_get(st,
		    unit, i)));
	return (a);
}

static json_t *
api_stats_json(const struct api_stats_req *r, const struct rules *rules)
{
	const struct unit	*u;
	const char		*id;
	char			 label[STATS_MONTH_LEN];
	json_t			*months = json_array(), *units = json_array();
	size_t			 i;
	int			 m;

	for (m = 0; m < r->n; m++) {
		stats_month_label(r->st, m, label);
		json_array_append_new(months, json_string(label));
	}
	for (i = 0; i < stats_units(r->st); i++) {
		id = stats_unit(r->st, i);
		u = rules_unit_find(rules, id);
		json_array_append_new(units, json_pack("{s:o, s:o, s:o, s:o, "
		    "s:o}",
		    "unit", id[0] != '\0' ? json_string(id) : json_null(),
		    "name", api_text(u != NULL ? u->name : NULL),
		    "parent", api_text(u != NULL ? u->parent : NULL),
		    "total", api_stats_json_counts(stats_get(r->st, i, -1)),
		    "months", api_stats_json_months(r->st, i)));
	}
	return (json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:o}",
	    "from", r->from, "to", r->to, "conceal_h", r->conceal_h,
	    "months", months,
	    "total", api_stats_json_counts(stats_get(r->st, SIZE_MAX, -1)),
	    "by_month", api_stats_json_months(r->st, SIZE_MAX),
	    "units", units));
}

/* ---- CSV ------------------------------------------------------------- */

/* A field, quoted when it holds a comma, a quote or a line break. */
static void
api_stats_csv_field(struct evbuffer *b, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		evbuffer_add(b, s, strlen(s));
		return;
	}
	evbuffer_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			evbuffer_add(b, "\"", 1);
		evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\"", 1);
}

static void
api_stats_csv_row(struct evbuffer *b, const char *unit, const char *name,
    const char *month, const struct stats_counts *c)
{
	double	v;
	size_t	i;

	api_stats_csv_field(b, unit);
	evbuffer_add(b, ",", 1);
	api_stats_csv_field(b, name);
	evbuffer_add_printf(b, ",%s", month);
	for (i = 0; i < nitems(api_stats_cols); i++) {
		if (api_stats_cols[i].rate < 0)
			evbuffer_add_printf(b, ",%lld", (long long)
			    api_stats_count(c, api_stats_cols[i].field));
		else if ((v = stats_rate(c, api_stats_cols[i].rate)) < 0)
			evbuffer_add(b, ",", 1);
		else
			evbuffer_add_printf(b, ",%.1f%%", v * 100);
	}
	evbuffer_add(b, "\r\n", 2);
}

/* Each unit's months and total, then every unit's: one file. */
static struct evbuffer *
api_stats_csv(const struct api_stats_req *r, const struct rules *rules)
{
	struct evbuffer	*b = evbuffer_new();
	char		 label[STATS_MONTH_LEN];
	const char	*id;
	size_t		 i;
	int		 m;

	evbuffer_add_printf(b, "%s单位编码,单位名称,月份", API_STATS_BOM);
	for (i = 0; i < nitems(api_stats_cols); i++)
		evbuffer_add_printf(b, ",%s", api_stats_cols[i].title);
	evbuffer_add(b, "\r\n", 2);
	for (i = 0; i <= stats_units(r->st); i++) {
		id = i < stats_units(r->st) ? stats_unit(r->st, i) : "";
		for (m = 0; m < r->n; m++) {
			stats_month_label(r->st, m, label);
			api_stats_csv_row(b, id, i < stats_units(r->st) ?
			    api_stats_unit_name(rules, id) : "全部单位", label,
			    stats_get(r->st, i < stats_units(r->st) ? i :
			    SIZE_MAX, m));
		}
		api_stats_csv_row(b, id, i < stats_units(r->st) ?
		    api_stats_unit_name(rules, id) : "全部单位", "合计",
		    stats_get(r->st, i < stats_units(r->st) ? i : SIZE_MAX,
		    -1));
	}
	return (b);
}

/* ---- XLSX ------------------------------------------------------------ */

struct api_stats_xlsx {
	lxw_workbook	*wb;
	lxw_format	*title, *head, *text, *count, *rate;
	lxw_format	*sum_text, *sum_count, *sum_rate;	/* 合计 */
	const struct api_stats_req *r;
	const struct rules *rules;
};

static lxw_format *
api_stats_format(lxw_workbook *wb, int bold, const char *num)
{
	lxw_format	*f = workbook_add_format(wb);

	format_set_border(f, LXW_BORDER_THIN);
	format_set_font_name(f, "等线");
	if (bold)
		format_set_bold(f);
	if (num != NULL)
		format_set_num_format(f, num);
	return (f);
}

static void
api_stats_xlsx_formats(struct api_stats_xlsx *x)
{
	x->title = workbook_add_format(x->wb);
	format_set_bold(x->title);
	format_set_font_size(x->title, 16);
	format_set_align(x->title, LXW_ALIGN_CENTER);
	x->head = api_stats_format(x->wb, 1, NULL);
	format_set_bg_color(x->head, 0xDDE4EE);
	format_set_align(x->head, LXW_ALIGN_CENTER);
	format_set_text_wrap(x->head);
	x->text = api_stats_format(x->wb, 0, NULL);
	x->count = api_stats_format(x->wb, 0, "0");
	x->rate = api_stats_format(x->wb, 0, "0.0%");
	x->sum_text = api_stats_format(x->wb, 1, NULL);
	x->sum_count = api_stats_format(x->wb, 1, "0");
	x->sum_rate = api_stats_format(x->wb, 1, "0.0%");
}

/* The header: the first columns' titles, then the counts' and rates'. */
static void
api_stats_xlsx_head(struct api_stats_xlsx *x, lxw_worksheet *ws, int row,
    const char *const *first, int nfirst)
{
	size_t	i;
	int	c;

	for (c = 0; c < nfirst; c++) {
		worksheet_write_string(ws, row, c, first[c], x->head);
		worksheet_set_column(ws, c, c, c == 1 ? 22 : 12, NULL);
	}
	for (i = 0; i < nitems(api_stats_cols); i++)
		worksheet_write_string(ws, row, nfirst + (int)i,
		    api_stats_cols[i].title, x->head);
	worksheet_set_column(ws, nfirst, nfirst + (int)nitems(api_stats_cols)
	    - 1, 10, NULL);
	worksheet_freeze_panes(ws, row + 1, nfirst);
}

/* The counts and rates of c from column col; a blank where no rate. */
static void
api_stats_xlsx_counts(struct api_stats_xlsx *x, lxw_worksheet *ws, int row,
    int col, const struct stats_counts *c, int sum)
{
	double	v;
	size_t	i;

	for (i = 0; i < nitems(api_stats_cols); i++, col++) {
		if (api_stats_cols[i].rate < 0)
			worksheet_write_number(ws, row, col, (double)
			    api_stats_count(c, api_stats_cols[i].field),
			    sum ? x->sum_count : x->count);
		else if ((v = stats_rate(c, api_stats_cols[i].rate)) < 0)
			worksheet_write_blank(ws, row, col, sum ? x->sum_rate :
			    x->rate);
		else
			worksheet_write_number(ws, row, col, v, sum ?
			    x->sum_rate : x->rate);
	}
}

/* 通报: each unit's totals over the range, then every unit's. */
static void
api_stats_xlsx_report(struct api_stats_xlsx *x)
{
	static const char *const first[] = { "单位编码", "单位名称" };
	lxw_worksheet	*ws = workbook_add_worksheet(x->wb, "通报");
	char		 line[256];
	const char	*id;
	size_t		 i;
	int		 row = 3;

	worksheet_merge_range(ws, 0, 0, 0, (int)nitems(first) +
	    (int)nitems(api_stats_cols) - 1, "突发事件信息报送情况通报",
	    x->title);
	snprintf(line, sizeof(line), "统计期间：%s 至 %s。疑似瞒报：事发 %d "
	    "小时后才首报的事件。", x->r->from, x->r->to, x->r->conceal_h);
	worksheet_write_string(ws, 1, 0, line, NULL);
	api_stats_xlsx_head(x, ws, 2, first, (int)nitems(first));
	for (i = 0; i < stats_units(x->r->st); i++, row++) {
		id = stats_unit(x->r->st, i);
		worksheet_write_string(ws, row, 0, id, x->text);
		worksheet_write_string(ws, row, 1, api_stats_unit_name(x->rules,
		    id), x->text);
		api_stats_xlsx_counts(x, ws, row, 2, stats_get(x->r->st, i,
		    -1), 0);
	}
	worksheet_write_string(ws, row, 0, "合计", x->sum_text);
	worksheet_write_string(ws, row, 1, "全部单位", x->sum_text);
	api_stats_xlsx_counts(x, ws, row, 2, stats_get(x->r->st, SIZE_MAX,
	    -1), 1);
}

/* 月度趋势: every unit's counts month by month. */
static void
api_stats_xlsx_trend(struct api_stats_xlsx *x)
{
	static const char *const first[] = { "月份" };
	lxw_worksheet	*ws = workbook_add_worksheet(x->wb, "月度趋势");
	char		 label[STATS_MONTH_LEN];
	int		 m;

	api_stats_xlsx_head(x, ws, 0, first, (int)nitems(first));
	for (m = 0; m < x->r->n; m++) {
		stats_month_label(x->r->st, m, label);
		worksheet_write_string(ws, m + 1, 0, label, x->text);
		api_stats_xlsx_counts(x, ws, m + 1, 1, stats_get(x->r->st,
		    SIZE_MAX, m), 0);
	}
	worksheet_write_string(ws, m + 1, 0, "合计", x->sum_text);
	api_stats_xlsx_counts(x, ws, m + 1, 1, stats_get(x->r->st, SIZE_MAX,
	    -1), 1);
}

/* 分月明细: each unit, each month. */
static void
api_stats_xlsx_detail(struct api_stats_xlsx *x)
{
	static const char *const first[] = { "单位编码", "单位名称", "月份" };
	lxw_worksheet	*ws = workbook_add_worksheet(x->wb, "分月明细");
	char		 label[STATS_MONTH_LEN];
	const char	*id;
	size_t		 i;
	int		 m, row = 1;

	api_stats_xlsx_head(x, ws, 0, first, (int)nitems(first));
	for (i = 0; i < stats_units(x->r->st); i++) {
		id = stats_unit(x->r->st, i);
		for (m = 0; m < x->r->n; m++, row++) {
			stats_month_label(x->r->st, m, label);
			worksheet_write_string(ws, row, 0, id, x->text);
			worksheet_write_string(ws, row, 1, api_stats_unit_name(
			    x->rules, id), x->text);
			worksheet_write_string(ws, row, 2, label, x->text);
			api_stats_xlsx_counts(x, ws, row, 3, stats_get(
			    x->r->st, i, m), 0);
		}
	}
}

/*
 * The workbook, as a buffer; NULL when it could not be written.
 * libxlsxwriter writes a file by name (1.1.4 has no memory target), so
 * it goes to a file of our own in TMPDIR, read back and removed at once.
 */
static struct evbuffer *
api_stats_xlsx(const struct api_stats_req *r, const struct rules *rules)
{
	lxw_workbook_options	 opt = { 0 };
	struct api_stats_xlsx	 x = { 0 };
	struct evbuffer		*b = NULL;
	struct stat		 sb;
	const char		*dir = getenv("TMPDIR");
	char			*path;
	lxw_error		 err;
	int			 fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	xasprintf(&path, "%s/tocsin-stats-XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1) {
		log_warn("stats: %s", path);
		free(path);
		return (NULL);
	}
	opt.tmpdir = (char *)dir;
	x.r = r;
	x.rules = rules;
	if ((x.wb = workbook_new_opt(path, &opt)) != NULL) {
		api_stats_xlsx_formats(&x);
		api_stats_xlsx_report(&x);
		api_stats_xlsx_trend(&x);
		api_stats_xlsx_detail(&x);
		if ((err = workbook_close(x.wb)) != LXW_NO_ERROR)
			log_warnx("stats: the workbook: %s",
			    lxw_strerror(err));
		else if (fstat(fd, &sb) == 0) {
			b = evbuffer_new();
			evbuffer_add_file(b, fd, 0, sb.st_size);
			fd = -1;	/* the buffer's now */
		}
	}
	unlink(path);
	if (fd != -1)
		close(fd);
	free(path);
	return (b);
}

/* ---- the routes ------------------------------------------------------ */

enum api_stats_as { API_STATS_JSON, API_STATS_CSV, API_STATS_XLSX };

static const struct {
	const char	*type;
	const char	*suffix;
} api_stats_files[] = {
	[API_STATS_CSV] = { "text/csv; charset=utf-8", "csv" },
	[API_STATS_XLSX] = { "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet", "xlsx" },
};

static void
api_stats_file(struct evhttp_request *req, const struct api_stats_req *r,
    enum api_stats_as as, struct evbuffer *b)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	char			 disp[128];

	if (b == NULL) {
		http_reply_error(req, 500, "internal", NULL, "the file could "
		    "not be written; see the daemon's log");
		return;
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"tocsin-stats-"
	    "%s-%s.%s\"", r->from, r->to, api_stats_files[as].suffix);
	evhttp_add_header(h, "Content-Type", api_stats_files[as].type);
	evhttp_add_header(h, "Content-Disposition", disp);
	evhttp_add_header(h, "Cache-Control", "no-store");
	http_send_reply(req, 200, b);
	evbuffer_free(b);
}

/*
 * A request being counted, API_STATS_SLICE rows a loop turn
 * (api-slice.c), so that /healthz, ingest and the timers wait for a
 * slice, not for a year's ledger.
 */
struct api_stats_job {
	const struct api_ctx	*ctx;
	enum api_stats_as	 as;
	struct api_stats_req	 r;
	struct api_scope	 sc;
	struct stats_read	*rd;
};

static void
api_stats_job_free(void *arg)
{
	struct api_stats_job	*j = arg;

	stats_read_free(j->rd);
	api_scope_end(&j->sc);
	free(j);
}

static void
api_stats_reply(struct evhttp_request *req, void *arg)
{
	struct api_stats_job	*j = arg;

	if (j->as == API_STATS_JSON)
		http_reply_json(req, 200, api_stats_json(&j->r,
		    j->ctx->rules));
	else
		api_stats_file(req, &j->r, j->as, j->as == API_STATS_CSV ?
		    api_stats_csv(&j->r, j->ctx->rules) : api_stats_xlsx(&j->r,
		    j->ctx->rules));
}

static int
api_stats_step(void *arg)
{
	struct api_stats_job	*j = arg;

	return (stats_read_step(j->rd, API_STATS_SLICE));
}

static const struct api_slice_ops api_stats_ops = {
	.step = api_stats_step,
	.reply = api_stats_reply,
	.free = api_stats_job_free,
	.reloaded = "the site was reloaded while the statistics were "
	    "counted: ask again",
};

static void
api_stats_serve(struct evhttp_request *req, const struct api_ctx *ctx,
    enum api_stats_as as)
{
	struct api_stats_job	*j = xcalloc(1, sizeof(*j));

	if (api_stats_params(req, &j->r) != 0 ||
	    api_scope_start(req, ctx, &j->sc) != 0) {
		free(j);
		return;
	}
	j->ctx = ctx;
	j->as = as;
	j->rd = stats_read_new(ctx->store, api_scope_units(&j->sc), j->r.y0,
	    j->r.m0, j->r.n, (int64_t)j->r.conceal_h * 3600 * MSEC_PER_SEC);
	j->r.st = stats_read_stats(j->rd);
	stats_month_label(j->r.st, 0, j->r.from);
	stats_month_label(j->r.st, j->r.n - 1, j->r.to);
	api_slice_start(req, &api_stats_ops, j);
}

static void
api_stats_json_run(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_stats_serve(req, ctx, API_STATS_JSON);
}

static void
api_stats_csv_run(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_stats_serve(req, ctx, API_STATS_CSV);
}

static void
api_stats_xlsx_run(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_stats_serve(req, ctx, API_STATS_XLSX);
}

/*
 * GET /v1/stats (JSON), /v1/stats.csv (with a byte order mark) and
 * /v1/stats.xlsx (the 通报).  They start behind the lists' pages
 * (api_page_defer), then count a slice a loop turn, so that several
 * offices asking at once take turns with the loop rather than hold it
 * together.
 */
void
api_stats(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_page_defer(req, ctx, api_stats_json_run);
}

void
api_stats_csv_get(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_page_defer(req, ctx, api_stats_csv_run);
}

void
api_stats_xlsx_get(struct evhttp_request *req, const struct api_ctx *ctx,
    const char *key)
{
	api_page_defer(req, ctx, api_stats_xlsx_run);
}
