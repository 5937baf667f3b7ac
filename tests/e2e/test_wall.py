"""The board on a wall screen (issue 19, item 6): incidents that do not
fit are paged through by themselves, an audible alarm once 启用声音 is
clicked, a banner when the daemon cannot be reached or the holiday
calendar is provisional, and who is on duty now (今日值班、带班领导).

Driven in headless Chromium (test_board.Browser) at 1600x900 (the wall
screen that showed six of eight), then 1920x1080, 1366x768 and 390x844.
"""

import json
from datetime import date, datetime, timedelta, timezone

import harness
from harness import *

from test_board import Browser, ROWS_JS, cjk_font_installed, wait_rows
from test_screens import SIZES, call, layout_ok, shot, text_of, viewport

READER = "wall-screen-reader-0123456789"
WRITER = "wall-screen-writer-0123456789"

SITE = """\
site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = {{ "." }} }}
channel "sms" {{ kind = "webhook", url = "{url}", secret = "{secret}" }}
person "liu"  {{ name = "刘明", phone = "+8613800000011", channels = {{ "sms" }} }}
person "zhou" {{ name = "周慧", phone = "+8613800000014", channels = {{ "sms" }} }}
person "wang" {{ name = "王建国", phone = "+8613800000013", channels = {{ "sms" }} }}
person "sun"  {{ name = "孙立新", phone = "+8613800000015", channels = {{ "sms" }} }}
group "office" {{ name = "县卫健委办公室", members = {{ "liu" }}, channels = {{ "sms" }} }}
roster "duty" {{ handover = "08:30", start = "2026-01-05", rotation = {{ "liu", "zhou" }} }}
roster "leader" {{ handover = "08:30", start = "2026-01-05", every = "7d", rotation = {{ "wang", "sun" }} }}
unit "county-health" {{ name = "县卫生健康委员会" }}
unit "hosp-people" {{ name = "县人民医院", parent = "county-health" }}
unit "hosp-tcm" {{ name = "县中医院", parent = "county-health" }}
token "reader" {{ secret = "{reader}", read = true, write = false }}
token "writer" {{ secret = "{writer}", read = true }}
"""

# The public-opinion report is owed in 12 seconds: it becomes overdue
# while the test watches.
RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  obligations = {
    { id = "assessment", title = "1小时内完成研判定级", due = "1h", from = "occurred",
      met_by = { type = "assessment" }, owner = "office" },
  },
}
procedure "opinion" {
  title = "舆情事件",
  match = { category = "public_opinion" },
  obligations = {
    { id = "verify", title = "立即核实并回应", due = "12s", met_by = { type = "update" }, owner = "duty" },
  },
}
"""

TITLES = [
    ("hosp-people", 3, "县人民医院门户网站首页被篡改"),
    ("hosp-tcm", 3, "县中医院HIS系统出现异常外联"),
    ("hosp-people", 4, "县人民医院办公终端感染木马"),
    ("hosp-tcm", 4, "县中医院邮件系统收到大量钓鱼邮件"),
    ("hosp-people", 3, "县人民医院预约挂号小程序遭撞库攻击"),
    ("hosp-tcm", 4, "县中医院官网证书过期"),
    ("hosp-people", 4, "县人民医院无线网络发现私接热点"),
    ("hosp-tcm", 3, "县中医院检验系统数据库弱口令"),
]

# The rows whose whole box is on screen below the sticky header.
SEEN_JS = """(() => {
  const top = document.querySelector('.top').getBoundingClientRect().bottom;
  const off = document.getElementById('wall-offline');
  const below = off.hidden ? top : Math.max(top, off.getBoundingClientRect().bottom);
  return [...document.querySelectorAll('#board > li')].filter(li => {
    const r = li.getBoundingClientRect();
    return r.top >= below - 1 && r.bottom <= innerHeight + 1;
  }).map(li => li.dataset.key);
})()"""


def ago(minutes):
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()


def on_duty_now():
    """Whom the two rosters have on now (shifts change at 08:30 in Beijing)."""
    shanghai = datetime.now(timezone(timedelta(hours=8))) - timedelta(hours=8, minutes=30)
    day = (shanghai.date() - date(2026, 1, 5)).days
    return ["刘明", "周慧"][day % 2], ["王建国", "孙立新"][(day // 7) % 2]


def test_wall_screen():
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    sink = Sink()
    site = SITE.format(url=sink.url(), secret=SECRET, reader=READER, writer=WRITER)
    d = Daemon({"site.lua": site, "rules.lua": RULES}).start()
    events = [report(f"20261207-05{i:02d}", unit=u, grade=g, title=t, occurred_at=ago(50 - 5 * i),
                     summary="信息科已处置，正在核查影响范围。")
              for i, (u, g, t) in enumerate(TITLES)]
    r = call(d, "POST", "/v1/events", events, WRITER)
    expect(r.status == 202, f"POST /v1/events: want 202, got {r!r}")
    keys = [e["incident"] for e in events]
    officer, leader = on_duty_now()
    board = call(d, "GET", "/v1/board", token=READER).data
    expect([p["name"] for p in board["on_duty"]["duty"]] == [officer] and
           [p["name"] for p in board["on_duty"]["leader"]] == [leader], f"on_duty: {board['on_duty']}")
    provisional = [y["year"] for y in board["calendar"]["years"] if y["provisional"]]

    with Browser(1600, 900) as b:
        b.goto(d.base + f"/?wall=1&page=2#token={READER}")
        wait_rows(b, 8)
        first = b.js(SEEN_JS)
        expect(len(first) < 8, f"all eight fit at 1600x900: nothing to page ({first})")
        seen = set()

        def all_seen():
            seen.update(b.js(SEEN_JS))
            return seen >= set(keys)
        wait_until(all_seen, 30, f"every incident on screen in turn (seen {sorted(seen)})")
        expect(b.js("document.body.classList.contains('wall')"), "the page is not in wall mode")
        back = wait_until(lambda: b.js("scrollY") == 0, 15, "the paging to come back to the top")
        expect(back, "the paging never returned to the top")

        # Who is on duty, and the provisional calendar.
        expect(text_of(b, "#wall-duty-officer") == officer, f"今日值班: {text_of(b, '#wall-duty-officer')!r}")
        expect(text_of(b, "#wall-duty-leader") == leader, f"带班领导: {text_of(b, '#wall-duty-leader')!r}")
        duty = text_of(b, "#wall-duty")
        expect("今日值班" in duty and "带班领导" in duty, f"the duty line: {duty!r}")
        if provisional:
            banner = text_of(b, "#calendar")
            expect(str(provisional[0]) in banner and "暂定" in banner, f"the calendar banner: {banner!r}")

        # The alarm: silent until 启用声音, then a tone when a report falls overdue.
        expect(b.js("document.body.dataset.sound") == "off", "sound on before the click")
        b.js("scrollTo(0, 0)")
        b.click("#wall-sound")
        wait_until(lambda: b.js("document.body.dataset.sound") == "on", 10, "the AudioContext to run")
        expect(b.js("document.getElementById('wall-sound').disabled"), "the button stays clickable")
        rung = int(b.js("document.body.dataset.alarms || '0'"))
        r = call(d, "POST", "/v1/events", [report(
            "20261207-0601", unit="hosp-people", grade=3, category="public_opinion",
            title="网传县人民医院拒收急诊患者视频", summary="短视频平台出现相关视频，转发量上升。")], WRITER)
        expect(r.status == 202, f"the opinion report: want 202, got {r!r}")
        wait_until(lambda: b.js("document.body.dataset.alarm") == "20261207-0601", 40,
                   "the alarm for the overdue report")
        expect(int(b.js("document.body.dataset.alarms")) > rung, "the alarm count did not grow")

        for w, h in SIZES:
            viewport(b, w, h)
            wait_until(lambda: b.js("innerWidth") == w, 5, f"the {w}x{h} window")
            layout_ok(b, w)
            expect(text_of(b, "#wall-duty-officer") == officer, f"at {w}x{h} the duty officer is not shown")
            b.js("scrollTo(0, 0)")
            shot(b, f"wall-{w}x{h}.png")

        # The daemon gone: the banner says so.
        viewport(b, 1600, 900)
        d.stop()
        wait_until(lambda: b.js("!document.getElementById('wall-offline').hidden"), 20,
                   "the unreachable banner")
        banner = text_of(b, "#wall-offline")
        expect("无法连接" in banner and "最后更新于" in banner, f"the banner: {banner!r}")
        b.js("scrollTo(0, 600)")
        wait_until(lambda: b.js("scrollY") == 0, 5, "the paging to rest at the top under the banner")
        shot(b, "wall-offline.png")
        problems = b.problems(allow=("ERR_CONNECTION_REFUSED", "Failed to fetch", "/v1/board"))
        expect(not problems, f"the page reported errors: {short(problems)}")
