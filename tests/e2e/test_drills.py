"""Drills (应急演练) end to end: the real daemon, a fake webhook gateway and
a generic HTTP SMS gateway on 127.0.0.1.

A county hospital exercises its network-security procedure while a real
incident is open beside it.  The drill runs the real timeline (its
deadline passes and escalates), every message it sends -- a webhook's
title and text, an SMS -- begins with 【演练】, the board marks it and
counts it apart, and the compliance ledger leaves it out unless asked.
An event that says otherwise than its incident is refused.  The people
and numbers are fictional.
"""

import csv
import json
import io
import shutil

import harness
from harness import *
from test_board import Browser, ROWS_JS, cjk_font_installed, row_of, wait_rows
from test_forms import REPORT, fill, form_closed, forms_daemon, open_form, sign_in
from test_forms import LIU as FORMS_LIU
from test_forms import incidents as forms_incidents
from test_screens import call, layout_ok, text_of

SCREENS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "screens")

DRILL, REAL = "yl-2026-05", "wa-0611"

SITE = """\
site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = {{ "." }} }}
channel "hook" {{ kind = "webhook", url = "{hook}", secret = "{secret}" }}
channel "sms" {{ kind = "sms", provider = "http", url = "{sms}" }}
person "zhao" {{ name = "赵一", phone = "+8613800000001", roles = {{ "duty" }}, channels = {{ "hook" }} }}
person "sun"  {{ name = "孙三", phone = "+8613800000003", roles = {{ "deputy" }}, channels = {{ "hook" }} }}
person "li"   {{ name = "李四", phone = "+8613800000004", roles = {{ "principal" }}, channels = {{ "sms" }} }}
group "office" {{ name = "办公室", members = {{}}, channels = {{ "hook" }} }}
"""


def drill_daemon(sink, due="2s", public=False):
    site = SITE.format(hook=sink.url(), sms=sink.url("/sms"), secret=SECRET)
    if public:
        # Messages then carry an acknowledgement link (/ack/TOKEN).
        site = site.replace('rules = { "." }',
                            'rules = { "." }, public_url = "http://127.0.0.1:@PORT@/"', 1)
    rules = harness.PROCEDURE.format(due=due, policy="standard") + "\n" + harness.POLICY
    return Daemon({"site.lua": site, "rules.lua": rules}).start()


def post_event(d, ev):
    return http_request("POST", d.base + "/v1/events", ev)


def get(d, path):
    r = http_request("GET", d.base + path)
    expect(r.status == 200, f"GET {path}: {r!r}")
    return r.data


def ctl(d, *args):
    return subprocess.run([harness.TOCSINCTL, "--url", d.base, *args], capture_output=True,
                          text=True, env=harness.CLEAN_ENV, timeout=30)


def test_drill_marked_everywhere_and_kept_out_of_the_ledger():
    sink = Sink()
    d = drill_daemon(sink)
    r = post_event(d, report(DRILL, title="门户网站被篡改（网络安全应急演练）", drill=True))
    expect(r.status == 202, f"the drill's report: {r!r}")
    r = post_event(d, report(REAL, title="邮件系统中断"))
    expect(r.status == 202, f"the real report: {r!r}")

    # Every message of the drill, on every channel, says 【演练】 first;
    # the real incident's never do.  The 2 s deadline passes for both.
    hooks = wait_until(lambda: at_least(3, sink.webhooks(incident=DRILL)), 15,
                       "the drill's opened and escalation webhooks")
    sms = wait_until(lambda: [p for p in sink.posts if p.path == "/sms"
                              and "门户网站被篡改" in (p.body or {}).get("text", "")], 15,
                     "the drill's step-2 SMS to the principal")
    wait_until(lambda: sink.webhooks(incident=REAL, reason="escalation"), 15,
               "the real incident's escalation")
    reasons = {p.body.get("reason") for p in hooks}
    expect({"opened", "escalation"} <= reasons, f"the drill's reasons: {reasons}")
    for p in hooks:
        expect(p.body["title"].startswith("【演练】") and p.body["text"].startswith("【演练】"),
               f"a drill webhook not marked: {p.body}")
    for p in sms:
        expect(p.body["text"].startswith("【演练】"), f"a drill SMS not marked: {p.body}")
    for p in sink.webhooks(incident=REAL):
        expect("演练" not in p.body["title"] + p.body["text"], f"a real message marked: {p.body}")
    for p in sink.posts:
        if p.path == "/sms" and "邮件系统中断" in p.body.get("text", ""):
            expect("演练" not in p.body["text"], f"a real SMS marked: {p.body}")

    # A later event inherits the drill; one that says otherwise is refused.
    r = post_event(d, {"type": "update", "incident": DRILL, "unit": "hosp-a", "summary": "已隔离"})
    expect(r.status == 202, f"an update without drill: {r!r}")
    r = post_event(d, {"type": "update", "incident": DRILL, "unit": "hosp-a", "drill": False})
    expect(r.status == 409 and r.data["error"]["code"] == "drill_mismatch"
           and r.data["error"]["field"] == "drill", f"drill: false on a drill: {r!r}")
    r = post_event(d, {"type": "update", "incident": REAL, "unit": "hosp-a", "drill": True})
    expect(r.status == 409 and r.data["error"]["code"] == "drill_mismatch",
           f"drill: true on a real incident: {r!r}")
    r = post_event(d, report("yl-bad", drill="true"))
    expect(r.status == 400 and r.data["error"]["code"] == "wrong_type"
           and r.data["error"]["field"] == "drill", f"drill as a string: {r!r}")

    # The board marks the drill and counts it apart; so does the incident.
    board = get(d, "/v1/board")
    rows = {i["key"]: i for i in board["incidents"]}
    expect(rows[DRILL]["drill"] is True and rows[REAL]["drill"] is False, f"the board: {rows}")
    expect(board["counts"]["open"] == 2 and board["counts"]["drills"] == 1,
           f"the board's counts: {board['counts']}")
    expect(get(d, f"/v1/incidents/{DRILL}")["drill"] is True, "GET /v1/incidents/KEY: drill")

    # The ledger: drills left out by default, in with drill=1, alone with only.
    def ledger(query=""):
        return {(o["incident"], o["drill"]) for o in get(d, "/v1/compliance" + query)["obligations"]}
    expect(ledger() == {(REAL, False)}, f"the default ledger: {ledger()}")
    expect(ledger("?drill=1") == {(REAL, False), (DRILL, True)}, f"drill=1: {ledger('?drill=1')}")
    expect(ledger("?drill=only") == {(DRILL, True)}, f"drill=only: {ledger('?drill=only')}")
    r = http_request("GET", d.base + "/v1/compliance?drill=yes")
    expect(r.status == 400 and r.data["error"]["field"] == "drill", f"drill=yes: {r!r}")

    def summed(query=""):
        s = get(d, "/v1/compliance/summary" + query)
        return s["drill"], sum(u["counts"]["total"] for u in s["units"])
    expect(summed() == ("exclude", 1), f"the summary: {summed()}")
    expect(summed("?drill=1") == ("include", 2), f"the summary, drill=1: {summed('?drill=1')}")
    expect(summed("?drill=only") == ("only", 1), f"the summary, only: {summed('?drill=only')}")

    # tocsinctl compliance: a drill column, drills out unless --drill says.
    p = ctl(d, "compliance")
    expect(p.returncode == 0, f"tocsinctl compliance: {p!r}")
    rows = list(csv.DictReader(io.StringIO(p.stdout.lstrip("\ufeff"))))
    expect([(r["incident"], r["drill"]) for r in rows] == [(REAL, "0")], f"the CSV: {p.stdout!r}")
    p = ctl(d, "compliance", "--drill", "only")
    rows = list(csv.DictReader(io.StringIO(p.stdout.lstrip("\ufeff"))))
    expect([(r["incident"], r["drill"]) for r in rows] == [(DRILL, "1")],
           f"the CSV, --drill only: {p.stdout!r}")
    p = ctl(d, "compliance", "--by", "unit", "--drill", "1")
    expect(p.returncode == 0 and "drills: include" in p.stdout, f"--by unit --drill 1: {p!r}")
    d.stop()


# The drill's badge (a ::before of its title) and the header's counts.
BADGE_JS = """(() => {
  const li = document.querySelector('#board > li.drill');
  const t = li && li.querySelector('.title');
  return { key: li && li.dataset.key,
           badge: t && getComputedStyle(t, '::before').content,
           open: document.getElementById('n-open').textContent,
           drills: document.getElementById('n-drill').textContent,
           drillShown: !document.getElementById('count-drill').hidden };
})()"""


def test_drill_on_the_board():
    """The wall screen and a phone: the drill wears a 演练 badge, the
    header counts one incident 在办 and one 演练."""
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    sink = Sink()
    d = drill_daemon(sink, due="4h")
    for ev in (report(DRILL, title="县人民医院门户网站被篡改应急演练", grade=3, drill=True,
                      summary="按《网络安全事件应急预案》开展桌面推演，模拟首页被植入博彩链接。"),
               report(REAL, title="县中医院邮件系统中断", grade=4,
                      summary="邮件服务器磁盘故障，已切换备用服务器。")):
        r = post_event(d, ev)
        expect(r.status == 202, f"POST /v1/events: {r!r}")
    for w, h in ((1920, 1080), (1366, 768), (390, 844)):
        with Browser(w, h) as b:
            b.viewport(w, h, mobile=w < 760)
            b.goto(d.base + "/")
            rows = wait_rows(b, 2)
            expect("drill" in row_of(rows, DRILL)["classes"].split()
                   and "drill" not in row_of(rows, REAL)["classes"].split(),
                   f"the rows' classes: {short(rows)}")
            got = wait_until(lambda: (lambda v: v if v and v["drills"] == "1" else None)(
                b.js(BADGE_JS)), 10, "the header to count the drill")
            expect(got == {"key": DRILL, "badge": '"演练"', "open": "1", "drills": "1",
                           "drillShown": True}, f"the drill on the board: {got}")
            name = f"board-drill-{w}x{h}.png"
            path = b.screenshot(name)
            if os.environ.get("TOCSIN_SCREENSHOTS") == "1":
                os.makedirs(SCREENS, exist_ok=True)
                shutil.copyfile(path, os.path.join(SCREENS, name))
            expect(not b.problems(), f"the page's problems: {b.problems()}")
    d.stop()


# The header as the wall shows it, and what the alarm has rung.
HEADLINE_JS = """(() => {
  const n = (id) => document.getElementById(id).textContent;
  return { open: n('n-open'), overdue: n('n-overdue'), unacked: n('n-unacked'),
           drills: n('n-drill'),
           red: document.body.classList.contains('has-overdue'),
           alarms: Number(document.body.dataset.alarms || 0),
           alarm: document.body.dataset.alarm || null };
})()"""


def test_drill_kept_out_of_the_headline():
    """On the wall, 超时 and 待确认 count real events only: a drill that is
    overdue and unacknowledged is listed, with its badge and its red
    countdown, and counted under 演练 alone; /v1/board keeps its counts'
    meaning and says the drills' share apart; the alarm never rings for
    a drill."""
    sink = Sink()
    d = drill_daemon(sink, due="2s")
    for ev in (report(DRILL, title="县人民医院门户网站被篡改应急演练", grade=3, drill=True),
               report(REAL, title="县中医院邮件系统中断", grade=4)):
        r = post_event(d, ev)
        expect(r.status == 202, f"POST /v1/events: {r!r}")

    # The API: both deadlines passed; the drills' share said apart.
    counts = wait_until(lambda: (lambda c: c if c["overdue"] == 2 else None)(
        get(d, "/v1/board")["counts"]), 15, "both deadlines to pass")
    want = {"open": 2, "unacknowledged": 2, "overdue": 2, "overdue_incidents": 2, "drills": 1,
            "drills_unacknowledged": 1, "drills_overdue": 1, "drills_overdue_incidents": 1,
            "unmatched": 0, "drills_unmatched": 0}
    expect({k: counts.get(k) for k in want} == want, f"the board's counts: {counts}")
    status = get(d, "/v1/status")
    expect(status["obligations"]["breached"] == counts["overdue"],
           f"/v1/status and /v1/board disagree: {status['obligations']} vs {counts}")

    with Browser(1920, 1080) as b:
        b.goto(d.base + "/?wall=1")
        rows = wait_rows(b, 2)
        drill = row_of(rows, DRILL)
        expect("drill" in drill["classes"].split(), f"the drill's row: {drill}")
        got = wait_until(lambda: (lambda v: v if v["overdue"] != "–" else None)(b.js(HEADLINE_JS)),
                         10, "the header's counts")
        expect((got["open"], got["overdue"], got["unacked"], got["drills"], got["red"])
               == ("1", "1", "1", "1", True), f"the header with a real and a drill overdue: {got}")

        # The real incident assessed and acknowledged: nothing real is
        # late or waiting, whatever the drill does.
        for ev in ({"type": "assessment", "incident": REAL, "unit": "hosp-a", "grade": 4},
                   {"type": "ack", "incident": REAL, "unit": "hosp-a", "by": "赵一"}):
            r = post_event(d, ev)
            expect(r.status == 202, f"{ev['type']}: {r!r}")
        got = wait_until(lambda: (lambda v: v if v["unacked"] == "0" and v["overdue"] == "0" else None)(
            b.js(HEADLINE_JS)), 15, "the header to drop the real incident's counts")
        expect(got["drills"] == "1" and not got["red"], f"the header with the drill alone late: {got}")
        rows = wait_rows(b, 2)
        drill = row_of(rows, DRILL)
        expect({"drill", "overdue"} <= set(drill["classes"].split()) and "已超时" in drill["countdown"],
               f"the drill is still listed as late: {drill}")
        b.screenshot("board-drill-headline-1920x1080.png")

        # The alarm: a grade I drill opens and falls overdue, silently; a
        # grade I real report rings.
        rung = b.js(HEADLINE_JS)["alarms"]
        r = post_event(d, report("yl-2026-06", title="县疾控中心数据中心断电应急演练", grade=1, drill=True))
        expect(r.status == 202, f"the second drill: {r!r}")
        wait_until(lambda: "overdue" in row_of(wait_rows(b, 3), "yl-2026-06")["classes"].split(), 15,
                   "the second drill on the wall, overdue")
        got = b.js(HEADLINE_JS)
        expect(got["alarms"] == rung, f"the alarm rang for a drill: {got}")
        r = post_event(d, report("wa-0612", title="县人民医院HIS系统遭勒索病毒攻击", grade=1))
        expect(r.status == 202, f"the grade I report: {r!r}")
        wait_until(lambda: b.js(HEADLINE_JS)["alarm"] == "wa-0612", 15, "the alarm for the real report")
        expect(not b.problems(), f"the page's problems: {b.problems()}")
    d.stop()


DETAIL_BADGE_JS = """(() => {
  const t = document.querySelector('#detail .d-title');
  const e = document.getElementById('detail-drill');
  return { title: t && t.textContent,
           badge: e && { text: e.textContent, shown: e.offsetParent !== null,
                         title: e.title, aria: e.getAttribute('aria-label'),
                         role: e.getAttribute('role') } };
})()"""

ACK_BADGE_JS = """(() => {
  const e = document.querySelector('main .drill');
  return { doc: document.title, h1: document.querySelector('h1').textContent,
           badge: e && { text: e.textContent, shown: e.offsetParent !== null,
                         title: e.title, aria: e.getAttribute('aria-label') } };
})()"""


def test_drill_badge_in_detail_and_ack_page():
    """The detail drawer and the phone's acknowledgement page say 演练 for
    a drill, in a badge with its meaning as title and aria-label, and
    nothing of the kind for a real incident."""
    sink = Sink()
    d = drill_daemon(sink, due="2s", public=True)
    titles = {DRILL: "县人民医院门户网站被篡改应急演练", REAL: "县中医院邮件系统中断"}
    for key, title in titles.items():
        r = post_event(d, report(key, title=title, drill=True) if key == DRILL else report(key, title=title))
        expect(r.status == 202, f"POST /v1/events: {r!r}")
    links = {}
    for key in titles:
        links[key] = wait_until(lambda: [p.body["ack_url"] for p in sink.webhooks(incident=key)
                                         if p.body.get("ack_url")], 15, f"a link for {key}")[0]

    # The page as served: the badge, and the tab's title, for the drill only.
    html = http_request("GET", links[DRILL]).raw.decode()
    expect('class="drill"' in html and ">演练</p>" in html and "<title>【演练】" in html,
           f"the drill's ack page: {html[:600]!r}")
    html = http_request("GET", links[REAL]).raw.decode()
    expect('class="drill"' not in html and "演练" not in html, f"the real ack page: {html[:600]!r}")

    with Browser(390, 844) as b:
        b.viewport(390, 844, mobile=True)
        b.goto(links[DRILL])
        got = b.js(ACK_BADGE_JS)
        expect(got["h1"] == titles[DRILL] and got["doc"].startswith("【演练】") and got["badge"]
               and got["badge"]["text"] == "演练" and got["badge"]["shown"]
               and "应急演练" in got["badge"]["title"] and "应急演练" in got["badge"]["aria"],
               f"the drill's ack page: {got}")
        layout_ok(b, 390)
        b.screenshot("ack-drill-390x844.png")
        b.goto(links[REAL])
        got = b.js(ACK_BADGE_JS)
        expect(got["h1"] == titles[REAL] and got["badge"] is None and "演练" not in got["doc"],
               f"the real ack page: {got}")

        # The detail drawer, on a phone and on the wall.
        for w, h in ((390, 844), (1920, 1080)):
            b.viewport(w, h, mobile=w < 760)
            b.goto("about:blank")       # a new load, not a hash change
            b.goto(f"{d.base}/#incident={DRILL}")
            got = wait_until(lambda: (lambda v: v if v["title"] == titles[DRILL] else None)(
                b.js(DETAIL_BADGE_JS)), 10, "the drill's detail")
            badge = got["badge"]
            expect(badge and badge["text"] == "演练" and badge["shown"] and badge["role"] == "note"
                   and "应急演练" in badge["title"] and "应急演练" in badge["aria"],
                   f"the drill's detail at {w}x{h}: {got}")
            b.screenshot(f"detail-drill-{w}x{h}.png")
            b.js(f"tocsin.detail({json.dumps(REAL)})")
            got = wait_until(lambda: (lambda v: v if v["title"] == titles[REAL] else None)(
                b.js(DETAIL_BADGE_JS)), 10, "the real incident's detail")
            expect(got["badge"] is None, f"a badge on the real incident's detail: {got}")
        expect(not b.problems(), f"the pages' problems: {b.problems()}")
    d.stop()


DRILL_FIELD_JS = """(() => {
  const e = document.getElementById('form-drill');
  return e && { type: e.type, checked: e.checked, label: e.labels[0].textContent,
                submit: document.getElementById('form-submit').textContent };
})()"""


def test_drill_from_the_form():
    """The 首报 form: a 演练 checkbox, off by default (the report is sent
    without "drill"); ticked, the report says "drill": true, the incident
    is a drill, and the confirmation says 【演练】."""
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    d = forms_daemon()
    with Browser(1366, 768) as b:
        sign_in(b, d, FORMS_LIU, "liu", "刘明")
        # The header settled (its counts read), so the button stays put.
        wait_until(lambda: b.js("document.getElementById('n-open').textContent") == "0", 10,
                   "the board's first read")

        # Off by default: a real report, no drill in it.
        open_form(b, "#form-report-open")
        got = b.js(DRILL_FIELD_JS)
        expect(got == {"type": "checkbox", "checked": False, "label": "演练（应急演练，非真实事件）",
                       "submit": "登记首报"}, f"the drill field: {got}")
        fill(b, REPORT)
        b.click("#form-submit")
        form_closed(b)
        real = wait_until(lambda: forms_incidents(d), 10, "the real report")[0]
        inc = call(d, "GET", f"/v1/incidents/{real['key']}", token=FORMS_LIU).data
        expect(inc["drill"] is False and "drill" not in inc["events"][0],
               f"an unticked form's report: {short(inc)}")
        notice = text_of(b, "#notice")
        expect("演练" not in notice and REPORT["title"] in notice, f"the real report's notice: {notice!r}")
        wait_until(lambda: b.js("!!document.getElementById('detail-update')"), 10, "the new report's detail")
        expect(not b.js("!!document.getElementById('detail-drill')"), "a 演练 badge on a real report")
        b.click("#detail-close")
        wait_until(lambda: b.js("document.getElementById('detail').hidden"), 5, "the detail to close")

        # Ticked: a drill, and said so.
        open_form(b, "#form-report-open")
        b.click("#form-drill")
        got = b.js(DRILL_FIELD_JS)
        expect(got["checked"] and got["submit"] == "登记演练首报", f"the ticked field: {got}")
        title = "县人民医院门户网站首页被篡改（网络安全应急演练）"
        fill(b, dict(REPORT, unit="hosp-people", title=title,
                     summary="按《网络安全事件应急预案》开展桌面推演，模拟首页被植入博彩链接。",
                     caller="县人民医院信息科 周强", caller_phone="0371-5550-2345"))
        layout_ok(b, 1366, "#event-form .f-card")
        b.screenshot("form-report-drill-1366x768.png")
        b.click("#form-submit")
        form_closed(b)
        drill = wait_until(lambda: [i for i in forms_incidents(d) if i["unit"] == "hosp-people"], 10,
                           "the drill's report")[0]
        inc = call(d, "GET", f"/v1/incidents/{drill['key']}", token=FORMS_LIU).data
        expect(inc["drill"] is True and inc["events"][0].get("drill") is True,
               f"a ticked form's report: {short(inc)}")
        notice = text_of(b, "#notice")
        expect(f"【演练】{title}" in notice, f"the drill's notice: {notice!r}")
        wait_until(lambda: b.js("!!document.getElementById('detail-drill')"), 10, "the drill's detail")
        b.click("#detail-close")
        wait_until(lambda: "drill" in row_of(wait_rows(b, 2), drill["key"])["classes"].split(), 10,
                   "the drill's row on the board")
        problems = b.problems(allow=("401",))
        expect(not problems, f"the page reported errors: {short(problems)}")
    d.stop()
