"""The handover (交接班, issue 19 item 4): at the roster's handover time the
officer taking over is sent the shift's summary, once, even across a
restart in between (the timer is in the database); the same summary is
GET /v1/handover and the printable page GET /handover, driven in
headless Chromium at 1920x1080, 1366x768 and 390x844 and in print media.

The site's handover is set to the next whole minute, so the test waits
for it on the real clock (at most two minutes).
"""

import urllib.parse
from datetime import datetime, timedelta, timezone

import harness
from harness import *

from test_board import Browser, cjk_font_installed
from test_screens import SIZES, call, layout_ok, shot, text_of, viewport

READER = "handover-reader-0123456789"
WRITER = "handover-writer-0123456789"
BEIJING = timezone(timedelta(hours=8))

SITE = """\
site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = {{ "." }},
       public_url = "http://127.0.0.1:@PORT@/",
       handover = {{ roster = "duty", to = "incoming" }} }}
channel "sms" {{ kind = "webhook", url = "{url}", secret = "{secret}" }}
person "liu"  {{ name = "刘明", phone = "+8613800000011", channels = {{ "sms" }} }}
person "zhou" {{ name = "周慧", phone = "+8613800000014", channels = {{ "sms" }} }}
group "office" {{ name = "县卫健委办公室", members = {{ "liu" }}, channels = {{ "sms" }} }}
roster "duty" {{ handover = "{at}", start = "{start}", rotation = {{ "liu", "zhou" }} }}
unit "county-health" {{ name = "县卫生健康委员会" }}
unit "hosp-people" {{ name = "县人民医院", parent = "county-health" }}
unit "hosp-tcm" {{ name = "县中医院", parent = "county-health" }}
token "reader" {{ secret = "{reader}", read = true, write = false }}
token "writer" {{ secret = "{writer}", read = true }}
"""

RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  obligations = {
    { id = "assessment", title = "1小时内完成研判定级", due = "1h", from = "occurred",
      met_by = { type = "assessment" }, owner = "office" },
    { id = "written", title = "2小时内报送书面报告", due = "2h", from = "occurred",
      met_by = { type = "update" }, owner = "office" },
  },
}
"""


def handover_moment():
    """The next whole minute at least 25 seconds away, in Beijing time."""
    now = datetime.now(BEIJING)
    at = (now + timedelta(seconds=25)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return at


def test_handover_summary_and_page():
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    at = handover_moment()
    # The shift beginning at `at` is the second of the rotation: 周慧 takes over from 刘明.
    start = (at.date() - timedelta(days=1)).isoformat()
    sink = Sink()
    site = SITE.format(url=sink.url(), secret=SECRET, reader=READER, writer=WRITER,
                       at=at.strftime("%H:%M"), start=start)
    d = Daemon({"site.lua": site, "rules.lua": RULES}).start()
    iso = at.isoformat()

    # The timer is in the database: a restart before the handover keeps it.
    status = call(d, "GET", "/v1/status", token=READER).data
    nxt = status["next_deadline"]
    expect(nxt and nxt["kind"] == "handover" and nxt["at"] == iso, f"next_deadline: {nxt}")
    d.stop()
    d.start()
    nxt = call(d, "GET", "/v1/status", token=READER).data["next_deadline"]
    expect(nxt and nxt["kind"] == "handover" and nxt["at"] == iso, f"after a restart: {nxt}")

    now = datetime.now(timezone.utc)
    events = [
        report("20261207-0701", unit="hosp-people", grade=2, title="县人民医院门户网站首页被篡改",
               summary="信息科巡检发现首页被植入博彩链接，已断开外网访问。",
               occurred_at=(now - timedelta(minutes=75)).isoformat()),
        report("20261207-0702", unit="hosp-tcm", grade=3, title="县中医院HIS系统出现异常外联",
               summary="防火墙告警，已封堵异常地址。",
               occurred_at=(now - timedelta(minutes=10)).isoformat()),
        # A drill (应急演练): listed and counted, marked as one.
        report("20261207-0703", unit="hosp-tcm", grade=3, title="县中医院勒索病毒处置演练",
               summary="按预案开展的桌面推演。", drill=True,
               occurred_at=(now - timedelta(minutes=90)).isoformat()),
    ]
    r = call(d, "POST", "/v1/events", events, WRITER)
    expect(r.status == 202, f"POST /v1/events: want 202, got {r!r}")

    post = wait_until(lambda: (sink.webhooks(reason="handover") or [None])[0], 150,
                      "the handover summary to be sent")
    text = post.body["text"]
    for want in (f"【交接班】周慧：{at.month:02d}月{at.day:02d}日 {at.strftime('%H:%M')}起由您值班",
                 "交班人刘明", "在办事件3起",
                 "已超时2项（含演练1项）：", "县人民医院“县人民医院门户网站首页被篡改”1小时内完成研判定级",
                 "【演练】县中医院“县中医院勒索病毒处置演练”1小时内完成研判定级",
                 "本班次内到期4项（含演练1项）", "县中医院“县中医院HIS系统出现异常外联”2小时内报送书面报告",
                 "今日报告未报0项", "值班记录：http://127.0.0.1:"):
        expect(want in text, f"the summary lacks {want!r}: {text!r}")
    expect(post.body.get("recipient") in (None, "zhou") and
           signature_problem(post) is None, f"the post: {post.body}")
    handovers = [p for p in sink.webhooks(reason="handover")]
    expect(len(handovers) == 1, f"want one handover message, got {len(handovers)}")

    link = text[text.index("值班记录：") + len("值班记录："):]
    summary = call(d, "GET", link[len(d.base):].replace("/handover?", "/v1/handover?"), token=READER).data
    expect(summary["incoming"]["name"] == "周慧" and summary["outgoing"]["name"] == "刘明" and
           summary["at"] == iso and summary["counts"]["open"] == 3 and summary["counts"]["overdue"] == 2
           and summary["counts"]["drills_overdue"] == 1, f"GET /v1/handover: {summary}")
    drilled = {o["incident"]: o["drill"] for o in summary["overdue"]}
    expect(drilled == {"20261207-0701": False, "20261207-0703": True}, f"the overdue's drill marks: {drilled}")
    # Mid-shift: the shift running then, before and after the handover.
    for when, who, key in ((at - timedelta(hours=1), "刘明", "until"), (at + timedelta(hours=3), "周慧", "at")):
        q = urllib.parse.quote(when.isoformat())
        s = call(d, "GET", f"/v1/handover?at={q}", token=READER).data
        expect(s["incoming"]["name"] == who and s[key] == iso, f"the shift at {when}: {s}")
    r = call(d, "GET", "/v1/handover?at=yesterday", token=READER)
    expect(r.status == 400, f"a bad at: want 400, got {r!r}")

    with Browser(*SIZES[0]) as b:
        b.goto(f"{link}#token={READER}")
        wait_until(lambda: b.js("document.body.dataset.loaded") == "1", 15, "the handover page")
        page = text_of(b, "body")
        for want in ("值班记录", "接班人", "周慧", "交班人", "刘明", "已超时", "1小时内完成研判定级",
                     "本班次内到期", "2小时内报送书面报告", "今日报告未报", "在办事件",
                     "县人民医院门户网站首页被篡改", "重大（II级）", "接班人签字",
                     "2（含演练1）", "【演练】县中医院勒索病毒处置演练"):
            expect(want in page, f"the page lacks {want!r}: {page[:800]!r}")
        for w, h in SIZES:
            viewport(b, w, h)
            wait_until(lambda: b.js("innerWidth") == w, 5, f"the {w}x{h} window")
            layout_ok(b, w)
            shot(b, f"handover-{w}x{h}.png")
        viewport(b, *SIZES[0])
        b.call("Emulation.setEmulatedMedia", media="print")
        expect(b.js("getComputedStyle(document.querySelector('.tools')).display") == "none",
               "printed, the buttons still show")
        b.call("Emulation.setEmulatedMedia", media="")
        problems = b.problems()
        expect(not problems, f"the page reported errors: {short(problems)}")
    d.stop()


def test_handover_checked_at_load():
    """An unknown roster or channel is a problem at the key's line."""
    site = ('site { timezone = "Asia/Shanghai", rules = { "." },\n'
            '  handover = { roster = "dutty",\n'
            '               channel = "pager", to = "everyone" } }\n'
            'channel "sms" { kind = "log" }\n'
            'person "liu" { name = "刘明", channels = { "sms" } }\n'
            'roster "duty" { start = "2026-01-05", rotation = { "liu" } }\n')
    d = Daemon({"site.lua": site, "rules.lua": ""})
    out = subprocess.run([harness.TOCSIND, "-c", d.site, "--check"], capture_output=True, text=True,
                         env=CLEAN_ENV)
    said = out.stdout + out.stderr
    expect(out.returncode != 0, f"--check passed: {said}")
    for want in ('site.lua:2: site: handover: unknown roster "dutty"',
                 'site.lua:3: site: handover: unknown channel "pager"',
                 '"to" must be "incoming" or "both"'):
        expect(want in said, f"--check lacks {want!r}: {said}")
