"""Unit names everywhere (issue 16, item 4).

A site declares its units with names (刘庄乡卫生院); the API shows
`unit_name` beside `unit` (null when the unit is not declared or has no
name), the ledger's CSV has a unit_name column, a message template may say
{unit_name}, the acknowledgement page names the unit, the board shows the
name with the id as its tooltip, and `tocsinctl incidents` lines the
columns up for Chinese text.
"""

import csv
import io
import json
import subprocess
import unicodedata

import harness
from harness import *
from test_board import Browser, cjk_font_installed, duty_clock

UNITS = """\
unit "county-health" { name = "县卫生健康委员会" }
unit "hosp-a" { name = "刘庄乡卫生院", parent = "county-health" }
unit "hosp-b" { parent = "county-health" }
unit "hosp-long" { name = "濮阳县梁庄镇中心卫生院第二分院（老院区）", parent = "county-health" }
"""


def names_daemon(sink, rules_extra="", zone="Asia/Shanghai"):
    """The core site with units, unknown units taken (and flagged), a
    public_url for ack links and an opening message that names the unit."""
    files = site_files(sink, due="1h")
    files["site.lua"] = files["site.lua"].replace(
        'rules = { "." }',
        'rules = { "." }, units_strict = false, public_url = "http://127.0.0.1:@PORT@/", '
        'messages = { opened = "{unit_name}报告：{title}" }', 1).replace(
        '"Asia/Shanghai"', f'"{zone}"') + UNITS
    files["rules.lua"] += rules_extra
    return Daemon(files).start()


def ctl(d, *args):
    r = subprocess.run([harness.TOCSINCTL, "--url", d.base, *args], capture_output=True,
                       text=True, timeout=30, env=CLEAN_ENV)
    with open(d.log_path, "a", encoding="utf-8") as log:
        log.write(f"=== harness: tocsinctl {' '.join(args)} -> {r.returncode}\n"
                  f"{r.stdout[-2000:]}{r.stderr[-2000:]}\n")
    expect(r.returncode == 0, f"tocsinctl {' '.join(args)}: exit {r.returncode}: {r.stderr[-500:]!r}")
    return r.stdout


def test_unit_names_in_api_and_ledger():
    """unit_name beside unit in incidents (list and one), the ledger (JSON,
    tocsinctl's CSV and JSON), the board and the status's next deadline;
    null when undeclared."""
    sink = Sink()
    d = names_daemon(sink)
    d.accept([report("inc-a", unit="hosp-a"), report("inc-b", unit="hosp-b"),
              report("inc-x", unit="hosp-x")])
    want = {"inc-a": ("hosp-a", "刘庄乡卫生院"), "inc-b": ("hosp-b", None),
            "inc-x": ("hosp-x", None)}

    rows = d.request("GET", "/v1/incidents").data["incidents"]
    got = {i["key"]: (i["unit"], i.get("unit_name", "absent")) for i in rows}
    expect(got == want, f"GET /v1/incidents: {got}")
    expect(list(rows[0]).index("unit_name") == list(rows[0]).index("unit") + 1,
           f"unit_name is not beside unit: {list(rows[0])}")
    for key, (unit, name) in want.items():
        inc = d.incident(key)
        expect((inc["unit"], inc.get("unit_name", "absent")) == (unit, name),
               f"GET /v1/incidents/{key}: unit {inc['unit']!r}, unit_name {inc.get('unit_name', 'absent')!r}")

    board = d.request("GET", "/v1/board").data["incidents"]
    got = {i["key"]: (i["unit"], i.get("unit_name", "absent")) for i in board}
    expect(got == want, f"GET /v1/board: {got}")

    names = {unit: name for unit, name in want.values()}
    nd = d.request("GET", "/v1/status").data["next_deadline"]
    expect(nd.get("unit") in names and nd.get("unit_name", "absent") == names[nd["unit"]],
           f"GET /v1/status next_deadline: {short(nd)}")

    ledger = d.request("GET", "/v1/compliance").data["obligations"]
    got = {(o["incident"], o["unit"], o.get("unit_name", "absent")) for o in ledger}
    expect(got >= {("inc-a", "hosp-a", "刘庄乡卫生院"), ("inc-b", "hosp-b", None)},
           f"GET /v1/compliance: {got}")

    out = ctl(d, "compliance")
    expect(out.startswith("\ufeffincident,recurring,unit,unit_name,procedure,"),
           f"the CSV header: {out[:120]!r}")
    table = list(csv.DictReader(io.StringIO(out[1:])))
    got = {(r["incident"], r["unit"], r["unit_name"]) for r in table}
    expect(got >= {("inc-a", "hosp-a", "刘庄乡卫生院"), ("inc-b", "hosp-b", "")},
           f"the CSV rows: {got}")
    rows = json.loads(ctl(d, "compliance", "--format", "json"))["obligations"]
    got = {(o["incident"], o["unit_name"]) for o in rows}
    expect(got >= {("inc-a", "刘庄乡卫生院"), ("inc-b", None)}, f"the JSON export: {got}")
    d.stop()


def test_unit_name_in_messages_and_ack_page():
    """{unit_name} in a template and in the webhook body; the ack page names
    the unit and its id."""
    sink = Sink()
    d = names_daemon(sink)
    d.accept([report("inc-a", unit="hosp-a", title="门诊楼停电"),
              report("inc-b", unit="hosp-b", title="网站被篡改")])
    posts = wait_until(lambda: (lambda a, b: (a[0], b[0]) if a and b else None)(
        sink.webhooks(incident="inc-a"), sink.webhooks(incident="inc-b")), 10,
        "the opening messages")
    a, b = (p.body for p in posts)
    expect(a["text"].startswith("刘庄乡卫生院报告：门诊楼停电"), f"inc-a's message: {a['text']!r}")
    expect(b["text"].startswith("hosp-b报告：网站被篡改"), f"inc-b's message: {b['text']!r}")
    # The webhook body: unit_name beside unit, signed as sent; left out when
    # the unit has no declared name.
    keys = list(a)
    expect(a.get("unit_name") == "刘庄乡卫生院" and keys.index("unit_name") == keys.index("unit") + 1,
           f"inc-a's webhook body: unit_name beside unit: {short(a)}")
    expect("unit_name" not in b, f"inc-b's webhook body has no unit_name: {short(b)}")
    for p in posts:
        expect(signature_problem(p) is None, signature_problem(p))

    page = http_request("GET", a["ack_url"])
    html = page.raw.decode("utf-8")
    expect(page.status == 200 and "<dt>报告单位</dt><dd>刘庄乡卫生院（hosp-a）</dd>" in html,
           f"the ack page of inc-a: {html[:800]!r}")
    page = http_request("GET", b["ack_url"])
    html = page.raw.decode("utf-8")
    expect(page.status == 200 and "<dt>报告单位</dt><dd>hosp-b</dd>" in html,
           f"the ack page of inc-b: {html[:800]!r}")
    d.stop()


def display_width(s):
    """Columns a terminal gives s: wide and fullwidth 2, combining 0."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def test_ctl_incidents_aligns_chinese():
    """tocsinctl incidents: the unit's name in its own column, every
    column starting at the same display column whatever the script, and a
    name too long for its column cut with an ellipsis."""
    sink = Sink()
    d = names_daemon(sink)
    d.accept([report("inc-a", unit="hosp-a", title="门诊楼停电"),
              report("inc-b", unit="hosp-b", title="website defaced"),
              report("inc-long", unit="hosp-long", title="长名称")])
    lines = ctl(d, "incidents").splitlines()
    expect(len(lines) == 4, f"want a header and 3 rows: {lines}")
    head = lines[0]
    titles = ["INCIDENT", "UNIT", "UNIT NAME", "GRADE", "STATE", "TITLE"]
    starts = [display_width(head[:head.index(t)]) for t in titles]
    expect(starts == sorted(starts), f"header columns out of order: {head!r}")
    rows = {}
    for line in lines[1:]:
        cells, at = [], 0
        for i, start in enumerate(starts):
            # Cut the line at the display column where each column starts.
            w, j = 0, 0
            while j < len(line) and w < start:
                w += display_width(line[j])
                j += 1
            expect(w == start, f"no cell starts at column {start} in {line!r}")
            cells.append(j)
        parts = [line[cells[i]:cells[i + 1] if i + 1 < len(cells) else None].rstrip()
                 for i in range(len(cells))]
        rows[parts[0]] = parts
    expect(rows["inc-a"][1:] == ["hosp-a", "刘庄乡卫生院", "3", "open", "门诊楼停电"],
           f"inc-a's row: {rows['inc-a']}")
    expect(rows["inc-b"][1:3] == ["hosp-b", ""], f"inc-b's row: {rows['inc-b']}")
    long = rows["inc-long"][2]
    expect(long.endswith("…") and "濮阳县梁庄镇".startswith(long[:6])
           and display_width(long) <= starts[3] - starts[2] - 1,
           f"the long name is not cut to its column: {long!r}")
    d.stop()


def test_board_shows_unit_names():
    """The board shows each incident's and each duty's unit by name, its
    id as the tooltip; an undeclared unit by its id."""
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    zone, _, later, _ = duty_clock()
    sink = Sink()
    d = names_daemon(sink, zone=zone, rules_extra=f"""
recurring "daily-report" {{
  title = "每日信息报告", at = "{later}", units = {{ "hosp-a", "hosp-b" }},
  met_by = {{ type = "daily" }}, owner = "office",
}}
""")
    d.accept([report("inc-a", unit="hosp-a"), report("inc-x", unit="hosp-x")])
    duties = {x["unit"]: x.get("unit_name", "absent") for x in d.request("GET", "/v1/board").data["duties"]}
    expect(duties == {"hosp-a": "刘庄乡卫生院", "hosp-b": None}, f"the board's duties: {duties}")
    with Browser(1600, 900) as b:
        b.goto(d.base + "/")
        rows = wait_until(lambda: (lambda r: r if len(r) == 2 else None)(b.js(
            "[...document.querySelectorAll('#board > li')].map(li => [li.dataset.key,"
            " li.querySelector('.unit').textContent, li.querySelector('.unit').title])")),
            20, "the board's two rows")
        got = {k: (text, title) for k, text, title in rows}
        expect(got == {"inc-a": ("刘庄乡卫生院", "hosp-a"), "inc-x": ("hosp-x", "")},
               f"the rows' units: {got}")
        chips = wait_until(lambda: (lambda c: c if len(c) == 2 else None)(b.js(
            "[...document.querySelectorAll('#duty-groups .duty')].map(li => [li.dataset.unit,"
            " li.querySelector('.duty-unit').textContent, li.querySelector('.duty-unit').title])")),
            10, "the duties on the page")
        got = {u: (text, title) for u, text, title in chips}
        expect(got == {"hosp-a": ("刘庄乡卫生院", "hosp-a"), "hosp-b": ("hosp-b", "")},
               f"the duties' units: {got}")
        problems = b.problems()
        expect(not problems, f"the page reported errors (CSP among them): {short(problems)}")
    d.stop()
