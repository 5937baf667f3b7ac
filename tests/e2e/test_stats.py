"""The office's statistics (issue 19, item 5): GET /v1/stats, its CSV and
its XLSX, and the page that draws them.

A county with two township hospitals.  The current month is made by the
real daemon: hospital A reports an incident and files its assessment in
time; hospital B reports one that happened three days ago (suspected
concealment) and lets its assessment go overdue.  The two months before it
are history, written into the database while the daemon is stopped (the
daemon's clock cannot be set back): A met three reports and one late in
the previous month, B missed two the month before that.  The table counts
each in its unit and local month; the county's token sees both hospitals,
A's token only A, in the JSON, the CSV (with a UTF-8 BOM) and the workbook
(opened with openpyxl); the page renders its SVG charts at 1366x768.
"""

import csv
import json
import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone

import harness
from harness import *

COUNTY = "county-read-0123456789abcdef"
A = "hosp-a-read-0123456789abcdef"
WRITER = "writer-only-99887766554433221"

UNITS = """\
unit "county-health" { name = "县卫生健康委员会" }
unit "hosp-a" { name = "刘庄乡卫生院", parent = "county-health", kind = "township-hospital" }
unit "hosp-b" { name = "王集乡卫生院", parent = "county-health", kind = "township-hospital" }
"""

TOKENS = (
    f'token "county" {{ secret = "{COUNTY}", units = {{ "county-health" }}, read = true }}\n'
    f'token "a" {{ secret = "{A}", units = {{ "hosp-a" }}, read = true }}\n'
    f'token "writer" {{ secret = "{WRITER}" }}\n')

CST = timezone(timedelta(hours=8))
BOM = b"\xef\xbb\xbf"
DEBIAN_PY = "/usr/lib/python3/dist-packages"


def month_add(y, m, n):
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def label(ym):
    return f"{ym[0]:04d}-{ym[1]:02d}"


def ms(dt):
    return int(dt.timestamp() * 1000)


def months():
    """This month in China and the two before it, as (year, month)."""
    now = datetime.now(CST)
    return [month_add(now.year, now.month, n) for n in (-2, -1, 0)]


def stats_daemon(sink):
    files = site_files(sink, due="2s")
    files["site.lua"] += UNITS + TOKENS
    return Daemon(files).start()


def seed_history(d, m2, m1):
    """History written while the daemon is stopped: A's month m1, B's m2
    (into SQLite, or through psql on PostgreSQL: TOCSIN_E2E_PG)."""
    d.stop()
    rows = []
    # Due at 00:30 on the 1st in China: the day before in UTC, so a
    # month counted in UTC would put it in the month before.
    first = datetime(m1[0], m1[1], 1, 0, 30, tzinfo=CST)
    for n, status in enumerate(("met", "met", "met", "late")):
        due = first + timedelta(days=n)
        rows.append((
            "INSERT INTO obligations (incident, unit, procedure, name, title, set_at, "
            "due_at, close_at, met_at, status) VALUES (?, 'hosp-a', 'netsec', "
            "'assessment', '评估', ?, ?, ?, ?, ?)",
            (f"hist-a{n}", ms(due) - 3600000, ms(due), ms(due) + 86400000,
             ms(due) + (600000 if status == "late" else -600000), status)))
    for n in range(2):
        due = datetime(m2[0], m2[1], 10 + n, 9, 0, tzinfo=CST)
        rows.append((
            "INSERT INTO obligations (incident, unit, procedure, name, title, set_at, "
            "due_at, close_at, status) VALUES (?, 'hosp-b', 'netsec', 'assessment', "
            "'评估', ?, ?, ?, 'missed')",
            (f"hist-b{n}", ms(due) - 3600000, ms(due), ms(due) + 86400000)))
    # A's incidents of m1: one reported within the hour, one two days late.
    for key, late_h in (("hist-a0", 1), ("hist-a1", 48)):
        opened = datetime(m1[0], m1[1], 5, 10, 0, tzinfo=CST)
        rows.append((
            "INSERT INTO incidents (key, unit, category, state, title, opened_at, "
            "occurred_at, updated_at) VALUES (?, 'hosp-a', 'network_security', "
            "'resolved', '核心交换机遭受网络攻击', ?, ?, ?)",
            (key, ms(opened), ms(opened) - late_h * 3600000, ms(opened))))
    if harness.PG_URL:
        for sql, args in rows:
            harness.pg_query(d.db, sql, *args)
    else:
        con = sqlite3.connect(d.db)
        with con:
            for sql, args in rows:
                con.execute(sql, args)
        con.close()
    d.start()


def live_month(d):
    """This month, by the daemon: A's filed in time, B's concealed and overdue."""
    r = d.post_events(report("inc-a", unit="hosp-a", id="r-inc-a"), token=WRITER)
    expect(r.status == 202, f"A's report: {r!r}")
    r = d.post_events({"type": "assessment", "incident": "inc-a", "unit": "hosp-a",
                       "id": "as-inc-a", "summary": "已隔离受感染主机"}, token=WRITER)
    expect(r.status == 202, f"A's assessment: {r!r}")
    three_days = (datetime.now(CST) - timedelta(days=3)).isoformat(timespec="seconds")
    r = d.post_events(report("inc-b", unit="hosp-b", id="r-inc-b", occurred_at=three_days), token=WRITER)
    expect(r.status == 202, f"B's report: {r!r}")


def stats(d, token, query=""):
    r = d.request("GET", f"/v1/stats{query}", token=token)
    expect(r.status == 200 and isinstance(r.data, dict), f"GET /v1/stats{query}: {r!r}")
    return r.data


def unit_row(data, unit):
    rows = [u for u in data["units"] if u["unit"] == unit]
    expect(len(rows) == 1, f"want one row of {unit}: {[u['unit'] for u in data['units']]}")
    return rows[0]


def made(sink):
    d = stats_daemon(sink)
    m2, m1, m0 = months()
    seed_history(d, m2, m1)
    live_month(d)
    query = f"?from={label(m2)}&to={label(m0)}"
    # B's assessment (due in 2s) goes overdue; A's was filed in time.
    wait_until(lambda: unit_row(stats(d, COUNTY, query), "hosp-b")["months"][2]["overdue"] == 1,
               20, "B's assessment to be overdue in the statistics")
    return d, (m2, m1, m0), query


def test_stats_json_counts_units_and_months():
    """Per unit and local month: on time, late, missed, overdue, concealed, rates."""
    sink = Sink()
    d, (m2, m1, m0), query = made(sink)
    data = stats(d, COUNTY, query)
    expect(data["months"] == [label(m2), label(m1), label(m0)], f"months: {data['months']}")
    expect(data["conceal_h"] == 24, f"conceal_h: {data['conceal_h']}")
    expect([u["unit"] for u in data["units"]] == ["hosp-a", "hosp-b"],
           f"units: {[u['unit'] for u in data['units']]}")
    a, b = unit_row(data, "hosp-a"), unit_row(data, "hosp-b")
    expect(a["name"] == "刘庄乡卫生院" and a["parent"] == "county-health", f"A: {short(a)}")

    prev = a["months"][1]
    expect((prev["due"], prev["on_time"], prev["late"], prev["missed"]) == (4, 3, 1, 0),
           f"A's {label(m1)} (the 1st 00:30 in China counts in it): {prev}")
    expect(prev["on_time_rate"] == 0.75 and prev["late_rate"] == 0.25
           and prev["missed_rate"] == 0, f"A's rates in {label(m1)}: {prev}")
    expect((prev["incidents"], prev["concealed"], prev["concealed_rate"]) == (2, 1, 0.5),
           f"A's incidents in {label(m1)}: {prev}")
    expect(a["months"][0]["due"] == 0 and a["months"][0]["on_time_rate"] is None,
           f"A owed nothing in {label(m2)}: no rate, not 0%: {a['months'][0]}")
    now_a = a["months"][2]
    expect((now_a["due"], now_a["on_time"], now_a["incidents"], now_a["concealed"]) == (1, 1, 1, 0),
           f"A this month: {now_a}")

    expect((b["months"][0]["missed"], b["months"][0]["missed_rate"]) == (2, 1.0),
           f"B's {label(m2)}: {b['months'][0]}")
    now_b = b["months"][2]
    expect((now_b["due"], now_b["overdue"], now_b["incidents"], now_b["concealed"],
            now_b["concealed_rate"]) == (1, 1, 1, 1, 1.0), f"B this month: {now_b}")

    t = data["total"]
    expect((t["due"], t["on_time"], t["late"], t["missed"], t["overdue"]) == (8, 4, 1, 2, 1),
           f"total: {t}")
    expect(t["on_time_rate"] == 0.5 and (t["incidents"], t["concealed"]) == (4, 2), f"total: {t}")
    expect([m["due"] for m in data["by_month"]] == [2, 4, 2], f"by month: {data['by_month']}")

    # A longer threshold: B's three days still count, A's two do not.
    long = stats(d, COUNTY, query + "&conceal_h=60")
    expect(long["total"]["concealed"] == 1 and long["conceal_h"] == 60, f"60 h: {long['total']}")
    # The default range: six months, this one last.
    dflt = stats(d, COUNTY)
    expect(len(dflt["months"]) == 6 and dflt["to"] == label(m0), f"default: {dflt['months']}")
    for bad in ("?from=2026-13", "?from=2026-3", f"?from={label(m0)}&to={label(m1)}",
                "?from=2020-01&to=2026-01", "?conceal_h=0", "?conceal_h=x"):
        r = d.request("GET", f"/v1/stats{bad}", token=COUNTY)
        expect(r.status == 400 and r.data["error"]["code"] == "invalid_value",
               f"GET /v1/stats{bad}: want 400, got {r!r}")
    d.stop()


def test_stats_scoped_by_token():
    """A's token counts only A, in the JSON, the CSV and the workbook."""
    sink = Sink()
    d, (m2, m1, m0), query = made(sink)
    data = stats(d, A, query)
    expect([u["unit"] for u in data["units"]] == ["hosp-a"], f"A's units: {data['units']}")
    t = data["total"]
    expect((t["due"], t["missed"], t["overdue"], t["concealed"]) == (5, 0, 0, 1),
           f"A's total holds B's: {t}")
    for path in ("/v1/stats", "/v1/stats.csv", "/v1/stats.xlsx"):
        for q in ("?unit=hosp-b", "?unit=county-health&subtree=1"):
            r = d.request("GET", path + q, token=A)
            expect(r.status == 403, f"A's token, GET {path}{q}: want 403, got {r!r}")
        r = d.request("GET", path + query)
        expect(r.status == 401, f"no token, GET {path}: want 401, got {r!r}")
    r = d.request("GET", "/v1/stats.csv" + query, token=A)
    text = r.raw.decode("utf-8")
    expect(r.status == 200 and "王集" not in text and "hosp-b" not in text,
           f"A's CSV names B: {text[:300]!r}")
    r = d.request("GET", "/v1/stats.xlsx" + query, token=A)
    expect(r.status == 200, f"A's workbook: {r!r}")
    wb = openpyxl_load(r.raw)
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    expect(not any("王集" in c or "hosp-b" in c for c in cells), "A's workbook names B")
    # B's subtree through the county's token: B alone.
    sub = stats(d, COUNTY, query + "&unit=hosp-b")
    expect([u["unit"] for u in sub["units"]] == ["hosp-b"], f"unit=hosp-b: {sub['units']}")
    d.stop()


def test_stats_csv_has_bom_for_excel():
    """The CSV starts with a UTF-8 BOM, a Chinese header, a row per unit and month."""
    sink = Sink()
    d, (m2, m1, m0), query = made(sink)
    r = d.request("GET", "/v1/stats.csv" + query, token=COUNTY)
    expect(r.status == 200 and r.headers.get("Content-Type", "").startswith("text/csv"),
           f"the CSV: {r!r} {r.headers}")
    expect("attachment" in r.headers.get("Content-Disposition", ""), f"{r.headers}")
    expect(r.raw.startswith(BOM) and r.raw.count(BOM) == 1, f"no single BOM: {r.raw[:20]!r}")
    rows = list(csv.reader(io.StringIO(r.raw[len(BOM):].decode("utf-8"))))
    head = rows[0]
    expect(head[:3] == ["单位编码", "单位名称", "月份"] and "按时率" in head and "疑似瞒报" in head,
           f"header: {head}")
    col = {name: i for i, name in enumerate(head)}
    by = {(row[0], row[2]): row for row in rows[1:]}
    prev = by.get(("hosp-a", label(m1)))
    expect(prev is not None and prev[1] == "刘庄乡卫生院" and prev[col["应报"]] == "4"
           and prev[col["按时率"]] == "75.0%" and prev[col["迟报"]] == "1",
           f"A's {label(m1)}: {prev}")
    expect(by[("hosp-a", label(m2))][col["按时率"]] == "", "no rate where nothing was owed")
    total = by.get(("", "合计"))
    expect(total is not None and total[1] == "全部单位" and total[col["应报"]] == "8",
           f"the total: {total}")
    expect(len(rows) == 1 + 3 * 4, f"rows: want 3 units' (2 + all) 3 months and a total, got {len(rows)}")
    d.stop()


def whole_zip(path):
    """The bytes at path once they are a complete zip archive, else None."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            if z.testzip() is None:
                return raw
    except (OSError, zipfile.BadZipFile):
        pass
    return None


def openpyxl_load(raw):
    """The workbook read by openpyxl: Debian's python3-openpyxl, also when
    the python3 running the tests is not Debian's (pyenv, a venv)."""
    try:
        import openpyxl
    except ImportError:
        if DEBIAN_PY not in sys.path:
            sys.path.append(DEBIAN_PY)
        try:
            import openpyxl
        except ImportError:
            raise TestFailure("python3-openpyxl is not installed (sh .ci/deps installs it)")
    return openpyxl.load_workbook(io.BytesIO(raw))


def test_stats_xlsx_opens_as_the_report():
    """The workbook opens in openpyxl: the 通报, the trend, the detail, as numbers."""
    sink = Sink()
    d, (m2, m1, m0), query = made(sink)
    r = d.request("GET", "/v1/stats.xlsx" + query, token=COUNTY)
    expect(r.status == 200 and "spreadsheetml" in r.headers.get("Content-Type", ""),
           f"the workbook: {r!r} {r.headers}")
    expect(f"tocsin-stats-{label(m2)}-{label(m0)}.xlsx" in r.headers.get("Content-Disposition", ""),
           f"its name: {r.headers.get('Content-Disposition')}")
    wb = openpyxl_load(r.raw)
    expect(wb.sheetnames == ["通报", "月度趋势", "分月明细"], f"sheets: {wb.sheetnames}")
    ws = wb["通报"]
    expect(ws["A1"].value == "突发事件信息报送情况通报", f"title: {ws['A1'].value}")
    expect(label(m2) in ws["A2"].value and "24" in ws["A2"].value, f"subtitle: {ws['A2'].value}")
    head = [c.value for c in ws[3]]
    col = {name: i for i, name in enumerate(head)}
    rows = {row[0].value: row for row in ws.iter_rows(min_row=4)}
    a, b, tot = rows.get("hosp-a"), rows.get("hosp-b"), rows.get("合计")
    expect(a is not None and b is not None and tot is not None, f"rows: {list(rows)}")
    expect(a[1].value == "刘庄乡卫生院" and a[col["应报"]].value == 5
           and a[col["按时报告"]].value == 4, f"A: {[c.value for c in a]}")
    rate = a[col["按时率"]]
    expect(abs(rate.value - 0.8) < 1e-9 and "%" in rate.number_format,
           f"A's on-time rate: {rate.value} {rate.number_format}")
    expect(b[col["漏报"]].value == 2 and b[col["超时未报"]].value == 1
           and b[col["疑似瞒报"]].value == 1, f"B: {[c.value for c in b]}")
    expect(tot[col["应报"]].value == 8 and tot[1].value == "全部单位", f"total: {[c.value for c in tot]}")
    trend = [[c.value for c in row] for row in wb["月度趋势"].iter_rows(min_row=2)]
    expect([t[0] for t in trend] == [label(m2), label(m1), label(m0), "合计"],
           f"trend months: {[t[0] for t in trend]}")
    expect([t[1] for t in trend] == [2, 4, 2, 8], f"trend due: {trend}")
    detail = list(wb["分月明细"].iter_rows(min_row=2, values_only=True))
    expect(len(detail) == 6 and detail[1][:3] == ("hosp-a", "刘庄乡卫生院", label(m1))
           and detail[1][3] == 4, f"detail: {detail[:2]}")
    d.stop()


def test_stats_page_served_with_strict_csp():
    """/stats.html, .css and .js come from the daemon with the board's CSP."""
    sink = Sink()
    d = stats_daemon(sink)
    for name, kind in (("stats.html", "text/html"), ("stats.css", "text/css"),
                       ("stats.js", "text/javascript")):
        r = d.request("GET", "/" + name)
        expect(r.status == 200 and r.headers.get("Content-Type", "").startswith(kind),
               f"GET /{name}: {r!r}")
        csp = r.headers.get("Content-Security-Policy", "")
        expect("default-src 'none'" in csp and "script-src 'self'" in csp, f"{name} CSP: {csp}")
    page = d.request("GET", "/stats.html").raw.decode()
    expect("http://" not in page.replace("http://www.w3.org", "")
           and "https://" not in page, "the page names another site")
    r = d.request("GET", "/")
    expect('href="/stats.html"' in r.raw.decode(), "the board has no link to the statistics")
    d.stop()


def test_stats_page_renders_charts():
    """Chromium at 1366x768: the table, the KPIs and both SVG charts, no CSP
    refusal; printed, the form is left out; the Excel button saves the
    workbook, which openpyxl opens."""
    import test_board
    sink = Sink()
    d, (m2, m1, m0), query = made(sink)
    with test_board.Browser(1366, 768) as b:
        b.goto(f"{d.base}/stats.html{query}#token={COUNTY}")
        got = wait_until(lambda: b.js("""(() => {
            const rep = document.getElementById('report');
            if (rep.hidden) return null;
            return {
              svgs: document.querySelectorAll('.chart svg').length,
              lines: document.querySelectorAll('#chart-trend polyline').length,
              bars: document.querySelectorAll('#chart-units rect').length,
              rows: [...document.querySelectorAll('#units-table tbody tr')].map(
                tr => [...tr.children].map(td => td.textContent)),
              title: document.getElementById('title').textContent,
              token: location.hash,
              width: document.documentElement.scrollWidth,
            };
          })()"""), 20, "the statistics to render")
        expect(got["svgs"] == 2 and got["lines"] >= 2 and got["bars"] >= 4, f"charts: {got}")
        names = [r[0] for r in got["rows"]]
        expect(names == ["刘庄乡卫生院", "王集乡卫生院", "合计"], f"rows: {names}")
        expect(got["rows"][0][1] == "5" and got["rows"][0][6] == "80.0%", f"A's row: {got['rows'][0]}")
        expect(got["token"] == "", "the token stays in the address bar")
        expect(got["width"] <= 1366, f"the page scrolls sideways at 1366: {got['width']}")
        b.screenshot("stats-1366x768.png")
        # Printed: the form goes, the report and its charts stay.
        b.call("Emulation.setEmulatedMedia", media="print")
        printed = b.js("""[getComputedStyle(document.getElementById('query')).display,
            getComputedStyle(document.getElementById('report')).display,
            document.querySelectorAll('.chart svg').length]""")
        expect(printed[0] == "none" and printed[1] != "none" and printed[2] == 2,
               f"printed: form, report, charts: {printed}")
        b.call("Emulation.setEmulatedMedia", media="")
        # 下载 Excel 通报: the page fetches it with the tab's token and
        # hands it to the browser, which saves it; openpyxl reads it.
        saved = harness.CTX.subdir("downloads")
        b.call("Page.setDownloadBehavior", behavior="allow", downloadPath=saved)
        b.click("#dl-xlsx")
        name = f"tocsin-stats-{label(m2)}-{label(m0)}.xlsx"
        # Chromium may create the file under its final name and write into
        # it: wait for a whole workbook, not for the name.
        path = os.path.join(saved, name)
        raw = wait_until(lambda: whole_zip(path), 20, f"{name} to be saved whole")
        wb = openpyxl_load(raw)
        rows = {row[0]: row for row in wb["通报"].iter_rows(min_row=4, values_only=True)}
        expect(set(rows) == {"hosp-a", "hosp-b", "合计"} and rows["合计"][2] == 8,
               f"the saved workbook: {rows}")
        # A wall screen and a phone: nothing runs off the side but the
        # tables, which scroll in their own boxes.
        for w, h, mobile in ((1920, 1080, False), (390, 844, True)):
            b.viewport(w, h, mobile=mobile)
            wide = b.js("""[document.documentElement.scrollWidth,
                Math.round(document.querySelector('#chart-trend svg').getBoundingClientRect().width)]""")
            expect(wide[0] <= w and 0 < wide[1] <= w, f"at {w}x{h}: page and chart widths {wide}")
            b.screenshot(f"stats-{w}x{h}.png")
        expect(not b.problems(), f"page problems: {b.problems()}")
    d.stop()


def tocsinctl(d, token, *args, text=True):
    return subprocess.run([harness.TOCSINCTL, "--url", d.base, "--token", token, "stats", *args],
                          capture_output=True, text=text, timeout=60, env=CLEAN_ENV)


def test_stats_tocsinctl():
    """tocsinctl stats: the table, the JSON, the CSV and the workbook on stdout."""
    sink = Sink()
    d, (m2, m1, m0), query = made(sink)
    span = ("--from", label(m2), "--to", label(m0))
    r = tocsinctl(d, COUNTY, *span)
    expect(r.returncode == 0, f"table: {r.returncode} {r.stderr}")
    lines = r.stdout.splitlines()
    a = [l for l in lines if l.startswith("hosp-a ")]
    total = [l for l in lines if "合计" in l]
    expect(len(a) == 1 and "刘庄乡卫生院" in a[0] and "80.0%" in a[0],
           f"A's line: {r.stdout}")
    expect(len(total) == 1 and total[0].split()[1] == "8", f"the total: {r.stdout}")
    r = tocsinctl(d, COUNTY, *span, "--format", "json")
    expect(r.returncode == 0 and json.loads(r.stdout)["total"]["due"] == 8, f"json: {r.stdout[:300]}")
    r = tocsinctl(d, COUNTY, *span, "--format", "csv", text=False)
    expect(r.returncode == 0 and r.stdout.startswith(BOM + "单位编码".encode()),
           f"csv: {r.stdout[:40]!r}")
    r = tocsinctl(d, COUNTY, *span, "--format", "xlsx", text=False)
    expect(r.returncode == 0 and r.stdout[:2] == b"PK", f"xlsx: {r.stdout[:10]!r} {r.stderr!r}")
    expect(openpyxl_load(r.stdout).sheetnames[0] == "通报", "the workbook from tocsinctl")
    r = tocsinctl(d, A, "--unit", "hosp-b", "--format", "xlsx", text=False)
    expect(r.returncode == 1 and r.stdout == b"" and b"403" in r.stderr,
           f"A's token, B's workbook: {r.returncode} {r.stdout[:20]!r} {r.stderr!r}")
    r = tocsinctl(d, COUNTY, "--format", "pdf")
    expect(r.returncode == 2, f"--format pdf: {r.returncode}")
    r = tocsinctl(d, COUNTY, "--from", "2026-13")
    expect(r.returncode == 1 and "YYYY-MM" in r.stderr, f"--from 2026-13: {r.stderr}")
    d.stop()
