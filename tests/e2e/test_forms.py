"""The duty officer's forms (issue 19, item 2): a 首报 taken by telephone,
a 续报, a resolution, each posted as an ordinary event from the board in
headless Chromium (test_board.Browser) at 1920x1080, 1366x768 and
390x844; the API's refusals shown in Chinese beside the field they name,
with nothing stored; a token limited to one unit offered only that unit
and refused (403) for another.  And the API under them: GET
/v1/categories, a person's token filing as that person, an occurred_at
later than its receipt refused.  Screenshots as test_screens takes them
(docs/screens/ only with TOCSIN_SCREENSHOTS=1).
"""

import json
from datetime import datetime, timedelta, timezone

from harness import *

from test_board import Browser, cjk_font_installed, wait_rows
from test_screens import SIZES, call, layout_ok, shot, text_of, viewport

LIU = "liu-ming-personal-0123456789"
ZHAO = "zhao-lei-tcm-personal-0123456789"
MONITOR = "monitor-writer-0123456789"

SITE = """\
site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = {{ "." }} }}
channel "log" {{ kind = "log" }}
person "liu"  {{ name = "刘明", phone = "+8613800000011", channels = {{ "log" }} }}
person "zhao" {{ name = "赵磊", phone = "+8613800000014", channels = {{ "log" }} }}
unit "county-health" {{ name = "县卫生健康委员会" }}
unit "hosp-people" {{ name = "县人民医院", parent = "county-health" }}
unit "hosp-tcm" {{ name = "县中医院", parent = "county-health" }}
unit "wsy-liuzhuang" {{ name = "刘庄乡卫生院", parent = "county-health" }}
token "liu" {{ secret = "{liu}", person = "liu", read = true }}
token "zhao" {{ secret = "{zhao}", person = "zhao", units = {{ "hosp-tcm" }}, read = true }}
token "monitor" {{ secret = "{monitor}" }}
"""

# A 1-hour assessment and a 2-hour written 续报, counted from when the
# incident occurred; public opinion has its own procedure.
RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  obligations = {
    { id = "assessment", title = "1小时内完成研判定级", due = "1h", from = "occurred",
      met_by = { type = "assessment" }, owner = "liu" },
    { id = "written", title = "2小时内报送书面报告", due = "2h", from = "occurred",
      met_by = { type = "update" }, owner = "liu" },
  },
}
procedure "opinion" {
  title = "涉医网络舆情",
  match = { category = { "public_opinion", "medical_dispute" } },
  obligations = { { id = "verify", title = "2小时内核实上报", due = "2h",
                    met_by = { type = "update" }, owner = "liu" } },
}
"""

CST = timezone(timedelta(hours=8))


def forms_daemon():
    return Daemon({"site.lua": SITE.format(liu=LIU, zhao=ZHAO, monitor=MONITOR),
                   "rules.lua": RULES}).start()


def local(minutes_from_now):
    """A datetime-local value on the site's clock (Asia/Shanghai)."""
    return (datetime.now(CST) + timedelta(minutes=minutes_from_now)).strftime("%Y-%m-%dT%H:%M")


def incidents(d):
    r = call(d, "GET", "/v1/incidents?state=all", token=LIU)
    expect(r.status == 200, f"GET /v1/incidents: {r!r}")
    return r.data["incidents"]


# ---------------------------------------------------------------- the API

def test_forms_api():
    """What the forms stand on: the categories and grades to choose from,
    a person's token recording who filed, a future occurred_at refused
    at its field with nothing stored."""
    d = forms_daemon()
    r = call(d, "GET", "/v1/categories")
    expect(r.status == 401, f"GET /v1/categories without a token (reads need one): {r!r}")
    r = call(d, "GET", "/v1/categories", token=MONITOR)
    expect(r.status == 403, f"GET /v1/categories with a write-only token: {r!r}")
    r = call(d, "GET", "/v1/categories", token=ZHAO)
    expect(r.status == 200, f"GET /v1/categories: {r!r}")
    expect(r.data["categories"] == [
        {"category": "medical_dispute", "title": "涉医网络舆情", "procedure": "opinion"},
        {"category": "network_security", "title": "网络安全突发事件", "procedure": "netsec"},
        {"category": "public_opinion", "title": "涉医网络舆情", "procedure": "opinion"}],
        f"the categories: {r.data['categories']}")
    expect([g["label"] for g in r.data["grades"]] == ["特别重大（I级）", "重大（II级）", "较大（III级）", "一般（IV级）"]
           and [g["grade"] for g in r.data["grades"]] == [1, 2, 3, 4], f"the grades: {r.data['grades']}")

    # A person's token files as the person; naming another is refused.
    ev = report("hosp-people-0001", unit="hosp-people", title="县人民医院门户网站首页被篡改")
    r = call(d, "POST", "/v1/events", dict(ev, by="王建国"), LIU)
    expect(r.status == 403 and r.data["error"]["field"] == "by", f"filing as someone else: {r!r}")
    expect(incidents(d) == [], "refused, but stored")
    r = call(d, "POST", "/v1/events", ev, LIU)
    expect(r.status == 202, f"the report: {r!r}")
    inc = call(d, "GET", "/v1/incidents/hosp-people-0001", token=LIU).data
    expect(inc["events"][0]["by"] == "liu", f"the report's by: {short(inc['events'][0])}")
    r = call(d, "POST", "/v1/events", {"type": "update", "incident": "hosp-people-0001",
                                       "unit": "hosp-people", "by": "liu", "summary": "已恢复"}, LIU)
    expect(r.status == 202, f"naming oneself: {r!r}")
    r = call(d, "POST", "/v1/events", {"type": "update", "incident": "hosp-people-0001",
                                       "unit": "hosp-people", "by": "信息科"}, MONITOR)
    expect(r.status == 202, f"a token without a person keeps by: {r!r}")

    # occurred_at after receipt: refused at the field, beyond 5 minutes' drift.
    late = (datetime.now(CST) + timedelta(hours=3)).isoformat(timespec="seconds")
    r = call(d, "POST", "/v1/events", report("hosp-tcm-0001", unit="hosp-tcm", occurred_at=late), LIU)
    expect(r.status == 400 and r.data["error"]["code"] == "invalid_value"
           and r.data["error"]["field"] == "occurred_at", f"a future occurred_at: {r!r}")
    expect([i["key"] for i in incidents(d)] == ["hosp-people-0001"], "refused, but stored")
    drift = (datetime.now(CST) + timedelta(minutes=2)).isoformat(timespec="seconds")
    r = call(d, "POST", "/v1/events", report("hosp-tcm-0002", unit="hosp-tcm", occurred_at=drift), LIU)
    expect(r.status == 202, f"two minutes' clock drift: {r!r}")
    d.stop()


# ---------------------------------------------------------------- the browser

def sign_in(b, d, token, person, name):
    """Signed in as signin.js keeps it, then the board loaded afresh."""
    b.goto(d.base + "/")
    keep = {"token": token, "person": person, "name": name, "read": True, "write": True}
    b.js(f"localStorage.setItem('tocsin.signin', {json.dumps(json.dumps(keep))})")
    b.reload()
    wait_until(lambda: text_of(b, "#signin-who") == name, 10, f"signed in as {name}")


def open_form(b, opener, options=True):
    b.click(opener)
    wait_until(lambda: b.js("!document.getElementById('event-form').hidden"), 5, "the form")
    if options:
        wait_until(lambda: b.js("['form-unit', 'form-grade'].every(id => document.getElementById(id)"
                                " && document.getElementById(id).options.length > 1)"), 10,
                   "the form's choices")


def fill(b, values):
    """Set the form's fields as a person would leave them."""
    b.js(f"""(() => {{
      for (const [k, v] of Object.entries({json.dumps(values, ensure_ascii=False)})) {{
        const e = document.getElementById('form-' + k);
        e.value = v;
        e.dispatchEvent(new Event('input', {{bubbles: true}}));
      }}
    }})()""")


def field_error(b, name):
    return wait_until(lambda: b.js(f"(() => {{ const e = document.getElementById('form-error-{name}');"
                                   f" return e && !e.hidden ? e.textContent : null; }})()"), 10,
                      f"the error at {name}")


def form_closed(b):
    wait_until(lambda: b.js("document.getElementById('event-form').hidden"), 10, "the form to close")


REPORT = {"unit": "hosp-tcm", "category": "network_security", "grade": "2",
          "title": "县中医院HIS系统遭勒索病毒攻击，门诊挂号中断",
          "location": "县中医院信息中心机房",
          "summary": "门诊挂号、收费系统突然无法登录，3台服务器文件被加密并留有勒索信。"
                     "已断开院内网络与外网连接，启用手工挂号，暂未发现患者信息外泄。",
          "caller": "县中医院信息科 孙伟", "caller_phone": "0371-5550-1234"}


def test_forms_in_browser():
    """Log a 首报 by phone, see it refused for a future time and then
    taken, on the board and in the API with its caller and its logger;
    a 续报 and a resolution from the detail; no unit chosen; another
    unit's token offered only its own unit and refused for another."""
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    d = forms_daemon()
    r = call(d, "POST", "/v1/events", report(
        "hosp-people-20261207-0815", unit="hosp-people", grade=3, title="县人民医院门户网站首页被篡改",
        occurred_at=(datetime.now(CST) - timedelta(minutes=75)).isoformat(timespec="seconds"),
        summary="8时10分信息科巡检发现门户网站首页被植入博彩链接，已断开外网访问。"), LIU)
    expect(r.status == 202, f"the morning's first incident: {r!r}")
    with Browser(*SIZES[0]) as b:
        sign_in(b, d, LIU, "liu", "刘明")
        wait_rows(b, 1)

        # The form at each size, filled as the call is taken.
        open_form(b, "#form-report-open")
        units = b.js("[...document.getElementById('form-unit').options].map(o => o.value)")
        expect(units == ["", "county-health", "hosp-people", "hosp-tcm", "wsy-liuzhuang"], f"units: {units}")
        cats = b.js("[...document.getElementById('form-category').options].map(o => o.textContent)")
        expect(cats == ["请选择事件类别", "医疗纠纷", "网络安全事件", "网络舆情"], f"categories: {cats}")
        expect("记录人：刘明" in text_of(b, "#event-form"), f"the form: {text_of(b, '#event-form')!r}")
        fill(b, dict(REPORT, occurred_at=local(-25)))
        for w, h in SIZES:
            viewport(b, w, h)
            wait_until(lambda: b.js("innerWidth") == w, 5, f"the {w}x{h} window")
            layout_ok(b, w, "#event-form .f-card")
            shot(b, f"form-report-{w}x{h}.png")
        viewport(b, *SIZES[0])

        # Happened "tomorrow": the API's refusal, in Chinese, at the field.
        fill(b, {"occurred_at": local(24 * 60)})
        b.click("#form-submit")
        said = field_error(b, "occurred_at")
        expect("发生时间不能晚于现在" in said, f"the error: {said!r}")
        expect(b.js("document.getElementById('form-occurred_at').getAttribute('aria-invalid')") == "true",
               "the field is not marked")
        expect(not b.js("document.getElementById('event-form').hidden"), "the form closed on an error")
        expect([i["key"] for i in incidents(d)] == ["hosp-people-20261207-0815"], "refused, but stored")
        shot(b, "form-report-error.png")

        # Corrected: taken, on the board, in the API with the caller.
        fill(b, {"occurred_at": local(-25)})
        b.click("#form-submit")
        form_closed(b)
        new = [i for i in incidents(d) if i["unit"] == "hosp-tcm"]
        expect(len(new) == 1, f"the logged report: {short(incidents(d))}")
        key = new[0]["key"]
        expect(key.startswith("hosp-tcm-") and new[0]["title"] == REPORT["title"] and new[0]["grade"] == 2
               and new[0]["category"] == "network_security", f"the incident: {short(new[0])}")
        inc = call(d, "GET", f"/v1/incidents/{key}", token=LIU).data
        ev = inc["events"][0]
        expect(ev["type"] == "report" and ev["by"] == "liu" and ev["summary"] == REPORT["summary"]
               and ev["location"] == REPORT["location"]
               and ev["attrs"] == {"caller": "县中医院信息科 孙伟", "caller_phone": "0371-5550-1234",
                                   "via": "phone"}, f"the report as filed: {short(ev)}")
        occurred = datetime.fromisoformat(inc["occurred_at"])
        expect(abs((datetime.now(CST) - occurred).total_seconds() - 25 * 60) < 120,
               f"occurred_at: {inc['occurred_at']}")
        expect([o["id"] for o in inc["obligations"]] == ["assessment", "written"], f"obligations: {inc['obligations']}")
        wait_until(lambda: key in [r["key"] for r in wait_rows(b, 2)], 10, "the board to show it")
        wait_until(lambda: b.js("location.hash") == f"#incident={key}", 10, "the detail of the new incident")
        wait_until(lambda: b.js("!!document.getElementById('detail-update')"), 10, "the detail's buttons")
        expect(REPORT["caller"] in text_of(b, "#detail"), "the detail does not show the caller")
        # Read as a caller and a number, not as the JSON they were sent in.
        shown = b.js("""[...document.querySelectorAll('#detail .d-ev-fields dt')].map(
            dt => [dt.textContent, dt.nextElementSibling.textContent])""")
        expect(["来电人", REPORT["caller"]] in shown and ["来电电话", REPORT["caller_phone"]] in shown
               and ["报送方式", "电话"] in shown and not any(v.startswith("{") for _, v in shown),
               f"the detail's event fields: {shown}")

        # A 续报 from the detail; it meets the written report.
        open_form(b, "#detail-update", options=False)
        wait_until(lambda: b.js("document.getElementById('form-grade').options.length") > 1, 10, "grades")
        fill(b, {"summary": "已从备份恢复挂号、收费系统，门诊恢复正常；"
                            "病毒样本已送县网信办，公安机关已介入调查。",
                 "caller": "县中医院信息科 孙伟", "caller_phone": "0371-5550-1234"})
        shot(b, "form-update.png")
        b.click("#form-submit")
        form_closed(b)
        inc = wait_until(lambda: (lambda i: i if len(i["events"]) == 2 else None)(
            call(d, "GET", f"/v1/incidents/{key}", token=LIU).data), 10, "the 续报")
        up = inc["events"][1]
        expect(up["type"] == "update" and up["by"] == "liu" and up["attrs"]["caller"] == "县中医院信息科 孙伟",
               f"the 续报: {short(up)}")
        expect({o["id"]: o["status"] for o in inc["obligations"]}["written"] == "met",
               f"the written report: {inc['obligations']}")

        # The resolution, asked once more.
        wait_until(lambda: b.js("!!document.getElementById('detail-resolve')"), 10, "the detail again")
        open_form(b, "#detail-resolve", options=False)
        fill(b, {"summary": "系统已全部恢复，已完成全网查杀和加固，事件办结。"})
        b.click("#form-submit")
        wait_until(lambda: b.js("!document.getElementById('confirm').hidden"), 5, "the confirmation")
        b.click("#confirm-ok")
        form_closed(b)
        inc = wait_until(lambda: (lambda i: i if i["state"] == "closed" else None)(
            call(d, "GET", f"/v1/incidents/{key}", token=LIU).data), 10, "the resolution")
        expect(inc["events"][-1]["type"] == "resolve" and inc["events"][-1]["by"] == "liu",
               f"the resolution: {short(inc['events'][-1])}")
        b.click("#detail-close")

        # No unit chosen: the API says it is missing, at the unit.
        open_form(b, "#form-report-open")
        fill(b, {"category": "public_opinion", "title": "网传县人民医院急诊科医生推诿患者视频"})
        b.click("#form-submit")
        said = field_error(b, "unit")
        expect("请填写报告单位" in said, f"the error: {said!r}")
        expect(len(incidents(d)) == 2, "refused, but stored")
        b.click("#form-cancel")
        problems = b.problems(allow=("400", "401"))
        expect(not problems, f"the page reported errors: {short(problems)}")

    with Browser(*SIZES[2]) as b:
        # 赵磊 of 县中医院: offered his own unit only; another is refused.
        viewport(b, *SIZES[2])
        sign_in(b, d, ZHAO, "zhao", "赵磊")
        open_form(b, "#form-report-open")
        units = b.js("[...document.getElementById('form-unit').options].map(o => o.value)")
        expect(units == ["", "hosp-tcm"],
               f"zhao's units: {units}")
        expect(b.js("document.getElementById('form-unit').value") == "hosp-tcm", "his one unit is not chosen")
        # A list from before his scope was narrowed still names 县人民医院.
        b.js("(() => { const o = document.createElement('option'); o.value = 'hosp-people';"
             " o.textContent = '县人民医院（hosp-people）'; document.getElementById('form-unit').append(o); })()")
        fill(b, {"unit": "hosp-people", "category": "medical_dispute", "grade": "4",
                 "title": "县人民医院门诊患者家属聚集", "occurred_at": local(-10),
                 "caller": "县人民医院保卫科 周强", "caller_phone": "0371-5550-8899"})
        b.click("#form-submit")
        said = field_error(b, "unit")
        expect("无权为这个单位报送" in said, f"the error: {said!r}")
        expect(len(incidents(d)) == 2, "refused, but stored")
        layout_ok(b, SIZES[2][0], "#event-form .f-card")
        shot(b, "form-forbidden-unit-390x844.png")
        problems = b.problems(allow=("401", "403"))
        expect(not problems, f"the page reported errors: {short(problems)}")
    d.stop()
