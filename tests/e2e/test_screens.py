"""The duty room's screens (issue 19, items 1, 3 and 8): the incident
detail drawer, sign-in with a person's own token and a named
acknowledgement, and the acknowledgement page a leader opens from an SMS.

Each screen is driven in headless Chromium (test_board.Browser) at
1920x1080, 1366x768 and 390x844: nothing off-screen or wider than the
window, the text present, no console errors (a CSP refusal is one), and
the API holds what the screen did.  Screenshots of fictional but
realistic incidents go to tests/e2e/artifacts/; with TOCSIN_SCREENSHOTS=1
they are also copied to docs/screens/ for the README (so that an ordinary
run leaves the tracked images alone).
"""

import json
import os
import re
import shutil
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import harness
from harness import *
import subprocess

from test_board import Browser, ROWS_JS, cjk_font_installed, row_of, wait_rows

SCREENS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "screens")
SIZES = ((1920, 1080), (1366, 768), (390, 844))

DUTY = "duty-room-reader-0123456789"
LIU = "liu-ming-personal-0123456789"
CHEN = "chen-jing-personal-0123456789"

SITE = """\
site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = {{ "." }},
       public_url = "http://127.0.0.1:@PORT@/" }}
channel "sms" {{ kind = "webhook", url = "{url}", secret = "{secret}" }}
person "liu"  {{ name = "刘明", phone = "+8613800000011", roles = {{ "duty" }}, channels = {{ "sms" }} }}
person "chen" {{ name = "陈静", phone = "+8613800000012", roles = {{ "deputy" }}, channels = {{ "sms" }} }}
person "wang" {{ name = "王建国", phone = "+8613800000013", roles = {{ "principal" }}, channels = {{ "sms" }} }}
group "office" {{ name = "县卫健委办公室", members = {{ "liu" }}, channels = {{ "sms" }} }}
unit "county-health" {{ name = "县卫生健康委员会" }}
unit "hosp-people" {{ name = "县人民医院", parent = "county-health" }}
unit "hosp-tcm" {{ name = "县中医院", parent = "county-health" }}
unit "wsy-liuzhuang" {{ name = "刘庄乡卫生院", parent = "county-health" }}
token "duty-room" {{ secret = "{duty}", read = true, write = false }}
token "liu" {{ secret = "{liu}", person = "liu", read = true }}
token "chen" {{ secret = "{chen}", person = "chen", read = true }}
"""

# A 1-hour assessment and a 2-hour written report, counted from when the
# incident occurred; a missed assessment climbs to the deputy and then
# the director (县卫健委 leaders on duty).
RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  obligations = {
    { id = "assessment", title = "1小时内完成研判定级", due = "1h", from = "occurred",
      met_by = { type = "assessment" }, owner = "office", on_breach = "standard" },
    { id = "written", title = "2小时内报送书面报告", due = "2h", from = "occurred",
      met_by = { type = "update" }, owner = "office" },
  },
}
policy "standard" {
  { notify = { "office" } },
  { after = "10m", notify = { "deputy" } },
  { after = "30m", notify = { "principal" } },
}
"""


def ago(minutes):
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()


def screens_daemon(sink):
    site = SITE.format(url=sink.url(), secret=SECRET, duty=DUTY, liu=LIU, chen=CHEN)
    return Daemon({"site.lua": site, "rules.lua": RULES}).start()


def call(d, method, path, body=None, token=None):
    """A request with an optional bearer token and JSON body."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(d.base + path, data=data, method=method, headers=headers)
    try:
        with URLOPEN(req, timeout=10) as r:
            return Response(r.status, r.read(), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(), dict(e.headers))


def county(d):
    """Three incidents a county's duty room might have open this morning."""
    events = [
        report("20261207-0301", unit="hosp-people", grade=2, occurred_at=ago(75),
               title="县人民医院门户网站首页被篡改",
               summary="8时10分信息科巡检发现门户网站首页被植入博彩链接，已断开外网访问。"),
        report("20261207-0302", unit="hosp-tcm", grade=1, occurred_at=ago(20),
               title="县中医院HIS系统遭勒索病毒攻击，门诊挂号中断",
               summary="门诊挂号、收费系统无法登录，服务器文件被加密，已启用手工挂号。"),
        report("20261207-0303", unit="wsy-liuzhuang", grade=4, occurred_at=ago(40),
               title="刘庄乡卫生院办公终端感染木马",
               summary="一台办公电脑杀毒软件告警，已隔离断网。"),
    ]
    r = call(d, "POST", "/v1/events", events, LIU)
    expect(r.status == 202, f"POST /v1/events: want 202, got {r!r}")
    r = call(d, "POST", "/v1/events", [{
        "type": "assessment", "incident": "20261207-0303", "unit": "wsy-liuzhuang",
        "grade": 4, "summary": "初步研判为一般网络安全事件，未造成数据泄露。"}], LIU)
    expect(r.status == 202, f"the assessment: want 202, got {r!r}")
    return [e["incident"] for e in events]


def shot(b, name):
    """A screenshot in the artifacts; for the README, in docs/screens/ too
    when TOCSIN_SCREENSHOTS=1."""
    path = b.screenshot(name)
    if os.environ.get("TOCSIN_SCREENSHOTS") == "1":
        os.makedirs(SCREENS, exist_ok=True)
        shutil.copyfile(path, os.path.join(SCREENS, name))


def viewport(b, w, h):
    b.viewport(w, h, mobile=w < 760)


# Layout facts of the page as it stands: the widest thing, and anything
# visible that reaches past the window's edges (inside box, when given).
LAYOUT_JS = """((box) => {
  const W = innerWidth, root = box ? document.querySelector(box) : document.body;
  const bound = box ? root.getBoundingClientRect() : {left: 0, right: W};
  const out = [];
  for (const e of root.querySelectorAll('*')) {
    if (e.closest('[hidden]')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.left < bound.left - 1 || r.right > bound.right + 1)
      out.push(`${e.tagName}.${e.className}: ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return {scroll: document.documentElement.scrollWidth, width: W,
          box: box ? [bound.left, bound.right] : null, out: out.slice(0, 5)};
})"""


def layout_ok(b, w, box=None):
    lay = b.js(f"{LAYOUT_JS}({json.dumps(box)})")
    expect(lay["scroll"] <= w, f"at {w} wide the page scrolls sideways: {lay}")
    if box:
        expect(lay["box"][0] >= -1 and lay["box"][1] <= w + 1, f"{box} is off-screen at {w}: {lay}")
    expect(not lay["out"], f"at {w} wide these reach off-screen: {lay['out']}")


def text_of(b, selector):
    return b.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                f" return e ? e.innerText : null; }})()") or ""


# ---------------------------------------------------------------- tests

def test_screens_person_tokens():
    """A token naming a person: GET /v1/session says who it is, its
    acknowledgement is recorded under the person's id whatever else the
    body names, and the API gives their name beside it; a token naming
    no declared person is a load error."""
    sink = Sink()
    d = screens_daemon(sink)
    county(d)
    r = call(d, "GET", "/v1/session")
    expect(r.status == 401, f"GET /v1/session without a token: want 401, got {r!r}")
    r = call(d, "GET", "/v1/session", token="not-a-token-0123456789")
    expect(r.status == 401, f"GET /v1/session with a wrong token: want 401, got {r!r}")
    r = call(d, "GET", "/v1/session", token=LIU)
    expect(r.status == 200 and r.data == {"token": "liu", "person": "liu", "person_name": "刘明",
                                          "read": True, "write": True, "units": []},
           f"GET /v1/session as liu: {r!r}")
    expect(LIU not in r.raw.decode(), "the session echoes the secret")
    r = call(d, "GET", "/v1/session", token=DUTY)
    expect(r.status == 200 and r.data["person"] is None and r.data["write"] is False,
           f"GET /v1/session as the duty room: {r!r}")

    r = call(d, "POST", "/v1/incidents/20261207-0302/ack", {"by": "王建国"}, LIU)
    expect(r.status == 403 and r.data["error"]["field"] == "by",
           f"liu's token acking as someone else: want 403, got {r!r}")
    expect(call(d, "GET", "/v1/incidents/20261207-0302", token=DUTY).data["acknowledged_at"] is None,
           "acknowledged all the same")
    r = call(d, "POST", "/v1/incidents/20261207-0302/ack", {}, LIU)
    expect(r.status == 200 and r.data["acknowledged_by"] == "liu"
           and r.data["acknowledged_by_name"] == "刘明", f"liu's ack: {r!r}")
    inc = call(d, "GET", "/v1/incidents/20261207-0302", token=DUTY).data
    expect(inc["acknowledged_by"] == "liu" and inc["acknowledged_by_name"] == "刘明",
           f"GET the incident: {short(inc)}")
    expect([a.get("by") for a in timeline(inc, "incident.acknowledged")] == ["liu"],
           f"the timeline's acknowledgement: {timeline(inc, 'incident.acknowledged')}")
    expect(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", inc.get("now") or ""),
           f"the incident carries the daemon's clock: {inc.get('now')!r}")
    wait_until(lambda: sink.webhooks(incident="20261207-0301", step=2), 15, "the deputy's message")
    told = call(d, "GET", "/v1/incidents/20261207-0301", token=DUTY).data["notifications"]
    names = {m["recipient"]: m.get("recipient_name") for m in told}
    expect(names == {"office": "县卫健委办公室", "liu": "刘明", "chen": "陈静"}, f"recipient names: {names}")
    # Naming oneself is fine; a token without a person keeps "by".
    r = call(d, "POST", "/v1/incidents/20261207-0303/ack", {"by": "chen"}, CHEN)
    expect(r.status == 200 and r.data["acknowledged_by"] == "chen", f"chen naming herself: {r!r}")
    row = [i for i in call(d, "GET", "/v1/board", token=DUTY).data["incidents"]
           if i["key"] == "20261207-0302"][0]
    expect(row["acknowledged_by_name"] == "刘明", f"the board's row: {short(row)}")
    d.stop()

    # A person token must name a declared person.
    base = harness.CTX.subdir("check")
    with open(os.path.join(base, "site.lua"), "w") as f:
        f.write(SITE.format(url="http://127.0.0.1:9/", secret=SECRET, duty=DUTY, liu=LIU, chen=CHEN)
                .replace('person = "chen"', 'person = "chne"'))
    with open(os.path.join(base, "rules.lua"), "w") as f:
        f.write(RULES)
    p = subprocess.run([harness.TOCSIND, "-c", "site.lua", "--check"], cwd=base, capture_output=True,
                       text=True, timeout=30, env=CLEAN_ENV)
    out = p.stdout + p.stderr
    expect(p.returncode == 1 and 'unknown person "chne"' in out and "chen" in out,
           f"--check of a token naming no one: exit {p.returncode}: {out.strip()!r}")


def test_screens_signin_detail_in_browser():
    """Sign in with a person's token, open an incident's detail from the
    board, acknowledge it by name after the confirmation; the board and
    the API show the person.  At three screen sizes, with screenshots."""
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    sink = Sink()
    d = screens_daemon(sink)
    keys = county(d)
    wait_until(lambda: sink.webhooks(incident=keys[0], step=2), 15, "the escalation's second step")
    with Browser(*SIZES[0]) as b:
        b.goto(d.base + "/")
        wait_until(lambda: not b.js("document.getElementById('denied').hidden"), 20,
                   "the board to ask for a token")
        expect("登录" in text_of(b, "#denied"), f"the refusal does not mention 登录: {text_of(b, '#denied')!r}")
        b.click("#signin")
        wait_until(lambda: b.js("!document.getElementById('signin-form').hidden"
                                " && document.activeElement.id === 'signin-token'"), 5, "the sign-in form")
        b.call("Input.insertText", text="wrong-token-0123456789")
        b.click("#signin-form button[type=submit]")
        wait_until(lambda: b.js("!document.getElementById('signin-error').hidden"), 5,
                   "a wrong token to be refused")
        expect("令牌无效" in text_of(b, "#signin-error"), f"the refusal: {text_of(b, '#signin-error')!r}")
        b.js("document.getElementById('signin-token').value = ''")
        b.call("Input.insertText", text=LIU)
        b.click("#signin-form button[type=submit]")
        rows = wait_rows(b, 3)
        expect(b.js("document.getElementById('signin-form').hidden"), "the sign-in form stays open")
        expect(text_of(b, "#signin-who") == "刘明", f"signed in as: {text_of(b, '#signin-who')!r}")
        kept = json.loads(b.js("localStorage.getItem('tocsin.signin')") or "null")
        expect(kept and kept["token"] == LIU and kept["person"] == "liu", f"kept: {kept}")

        # The grade-I incident, acknowledged from the board by name.
        b.click(f"li[data-key='{keys[1]}'] .ack-button")
        wait_until(lambda: b.js("!document.getElementById('confirm').hidden"), 5, "the confirmation")
        question = text_of(b, "#confirm")
        expect("刘明" in question and "县中医院HIS系统" in question, f"the confirmation says: {question!r}")
        shot(b, "confirm-ack.png")
        b.click("#confirm-cancel")
        expect(call(d, "GET", f"/v1/incidents/{keys[1]}", token=DUTY).data["acknowledged_at"] is None,
               "cancelled, but acknowledged")
        b.click(f"li[data-key='{keys[1]}'] .ack-button")
        wait_until(lambda: b.js("!document.getElementById('confirm').hidden"), 5, "the confirmation again")
        b.click("#confirm-ok")
        inc = wait_until(lambda: (lambda i: i if i.get("acknowledged_by") else None)(
            call(d, "GET", f"/v1/incidents/{keys[1]}", token=DUTY).data), 10, "the named acknowledgement")
        expect(inc["acknowledged_by"] == "liu", f"acknowledged_by: {inc['acknowledged_by']!r}")
        row = wait_until(lambda: (lambda r: r if r["acked"] else None)(
            row_of(b.js(ROWS_JS), keys[1])), 10, "the row to show who acknowledged")
        expect("刘明" in row["acked"], f"the row shows: {row['acked']!r}")
        b.js("document.getElementById('notice').hidden = true")
        shot(b, "board-signed-in.png")

        # The detail of the overdue, escalated incident.
        b.click(f"li[data-key='{keys[0]}'] .title")
        wait_until(lambda: b.js("document.querySelectorAll('#detail .d-ob').length") == 2, 10,
                   "the detail's obligations")
        expect(b.js("location.hash") == f"#incident={keys[0]}", f"the address: {b.js('location.href')}")
        body = text_of(b, "#detail")
        for want in ("县人民医院门户网站首页被篡改", "县人民医院", "重大（II级）", "1小时内完成研判定级",
                     "已超时", "2小时内报送书面报告", "通知记录", "陈静", "已送达", "升级至第2级",
                     "设定时限 “1小时内完成研判定级”", "首报", "已断开外网访问", "确认收到", "办结",
                     "以“刘明”的名义操作"):
            expect(want in body, f"the detail lacks {want!r}: {body[:1500]!r}")
        left = b.js("[...document.querySelectorAll('#detail .d-ob-left')].map(e => e.textContent)")
        expect(re.fullmatch(r"已超时 1[456]分\d\d秒", left[0]) and re.fullmatch(r"剩余 4[456]分\d\d秒", left[1]),
               f"the countdowns: {left}")
        first = left[1]
        wait_until(lambda: b.js("document.querySelectorAll('#detail .d-ob-left')[1].textContent") != first,
                   3, "the detail's countdown to tick")
        for w, h in SIZES:
            viewport(b, w, h)
            wait_until(lambda: b.js("innerWidth") == w, 5, f"the {w}x{h} window")
            layout_ok(b, w, "#detail")
            b.js("document.getElementById('detail').scrollTop = 0")
            shot(b, f"detail-{w}x{h}.png")
        viewport(b, *SIZES[0])

        # Reloaded at its address, the drawer opens itself; acknowledge in it.
        b.reload()
        wait_until(lambda: b.js("!!document.getElementById('detail-ack')"), 10, "the reopened detail")
        b.click("#detail-ack")
        wait_until(lambda: b.js("!document.getElementById('confirm').hidden"), 5, "the detail's confirmation")
        b.click("#confirm-ok")
        inc = wait_until(lambda: (lambda i: i if i.get("acknowledged_by") else None)(
            call(d, "GET", f"/v1/incidents/{keys[0]}", token=DUTY).data), 10, "the detail's acknowledgement")
        expect(inc["acknowledged_by"] == "liu", f"acknowledged_by: {inc['acknowledged_by']!r}")
        wait_until(lambda: "刘明 确认收到" in text_of(b, "#detail"), 10, "the timeline to show the acknowledgement")
        b.click("#detail-close")
        expect(b.js("document.getElementById('detail').hidden && location.hash === ''"), "the drawer stays open")

        # The board with a person signed in, at each size.
        for w, h in SIZES:
            viewport(b, w, h)
            wait_until(lambda: b.js("innerWidth") == w, 5, f"the {w}x{h} window")
            layout_ok(b, w)
            expect(text_of(b, "#signin-who") == "刘明", "the signed-in name is not shown")
        shot(b, "board-phone-signed-in.png")
        b.click("#signout")
        wait_until(lambda: not b.js("document.getElementById('denied').hidden"), 20,
                   "signed out, the board to ask for a token again")
        expect(b.js("localStorage.getItem('tocsin.signin')") is None, "the token is kept after signing out")
        problems = b.problems(allow=("401",))
        expect(not problems, f"the page reported errors: {short(problems)}")
    d.stop()


def test_screens_ack_page():
    """The page a leader opens from an SMS: what is owed and by when,
    who else was told and whether they acknowledged, the unit's name, and
    a confirmation before the acknowledgement; a phone first, no script
    or style inline (the CSP forbids them)."""
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    sink = Sink()
    d = screens_daemon(sink)
    keys = county(d)
    post_ = wait_until(lambda: sink.webhooks(incident=keys[0], step=2), 15, "the deputy's message")[0]
    link = post_.body["ack_url"]
    r = http_request("GET", link)
    csp = {k.lower(): v for k, v in r.headers.items()}.get("content-security-policy", "")
    expect("unsafe" not in csp and "style-src 'self'" in csp and "default-src 'none'" in csp,
           f"the ack page's CSP: {csp!r}")
    html = r.raw.decode()
    expect("<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html),
           "the ack page has inline style or script")
    with Browser(390, 844) as b:
        for w, h in reversed(SIZES):
            viewport(b, w, h)
            b.goto(link)
            body = text_of(b, "main")
            for want in ("县人民医院门户网站首页被篡改", "县人民医院（hosp-people）", "应办事项",
                         "1小时内完成研判定级", "已超时", "2小时内报送书面报告", "截止", "剩余",
                         "已通知", "陈静（您）", "刘明", "已送达", "未确认", "确认收到"):
                expect(want in body, f"the ack page at {w} lacks {want!r}: {body!r}")
            layout_ok(b, w)
            colour = b.js("getComputedStyle(document.querySelector('.ob.overdue .left')).color")
            expect(colour.startswith("rgb(198, 40, 40"), f"the overdue time is not red: {colour}")
            shot(b, f"ack-{w}x{h}.png")
        # The phone: the first tap asks again; the second acknowledges.
        viewport(b, 390, 844)
        b.goto(link)
        expect(b.js("getComputedStyle(document.querySelector('.confirm button')).display") == "none"
               or not b.js("document.querySelector('.confirm').open"), "the button shows before the tap")
        b.click(".confirm summary")
        wait_until(lambda: b.js("document.querySelector('.confirm').open"), 5, "the confirmation step")
        expect("停止" in text_of(b, ".confirm"), f"the confirmation says: {text_of(b, '.confirm')!r}")
        layout_ok(b, 390)
        shot(b, "ack-confirm.png")
        expect(call(d, "GET", f"/v1/incidents/{keys[0]}", token=DUTY).data["acknowledged_at"] is None,
               "acknowledged before the second tap")
        b._forget_loads()
        b.click(".confirm button")
        b.wait_event("Page.loadEventFired")
        inc = call(d, "GET", f"/v1/incidents/{keys[0]}", token=DUTY).data
        expect(inc["acknowledged_by"] == "chen", f"acknowledged by the link's recipient: {short(inc)}")
        body = text_of(b, "main")
        expect("已确认收到" in body and "已确认（陈静）" in body, f"after the tap: {body!r}")
        layout_ok(b, 390)
        shot(b, "ack-done.png")
        problems = b.problems()
        expect(not problems, f"the ack page reported errors: {short(problems)}")
    d.stop()
