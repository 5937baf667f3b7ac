"""The holiday calendar end to end (SPEC §5): a year without its State Council
notice is provisional, and --check, the start-up log, GET /v1/status, GET
/metrics and the board's data all say so; a site that declares the year's
schedule makes it final.  The dates themselves are tested in
tests/unit/test_calendar.c and in the packs' rule tests."""

import json
import subprocess
from datetime import datetime, timedelta, timezone

import harness
from harness import *

# The years whose notice tocsin carries (src/calendar-china.c).
NOTICE_YEARS = {2025, 2026}
AHEAD_DAYS = 90                 # CALENDAR_AHEAD_DAYS

SITE = """\
site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." } }
channel "log" { kind = "log" }
group "office" { name = "办公室", members = {}, channels = { "log" } }
"""


def years_ahead():
    """This year in Shanghai and, within 90 days of its start, the next."""
    now = datetime.now(timezone(timedelta(hours=8)))
    return sorted({now.year, (now + timedelta(days=AHEAD_DAYS)).year})


def schedule(year):
    return (f'holidays "{year}" {{ source = "test notice {year}", '
            f'off = {{ "{year}-01-01" }}, on = {{}} }}\n')


def calendar_of(d, path):
    r = d.request("GET", path)
    expect(r.status == 200, f"GET {path}: {r.status} {short(r.raw)}")
    return json.loads(r.raw)["calendar"]


def provisional_gauges(d):
    r = d.request("GET", "/metrics")
    expect(r.status == 200, f"GET /metrics: {r.status}")
    text = r.raw.decode()
    expect("# TYPE tocsin_calendar_provisional gauge" in text,
           "GET /metrics: no TYPE line for tocsin_calendar_provisional")
    found = re.findall(r'^tocsin_calendar_provisional\{year="(\d+)"\} (\d)$', text, re.M)
    return {int(y): int(v) for y, v in found}


def test_calendar_provisional_reported():
    years = years_ahead()
    want = {y: y not in NOTICE_YEARS for y in years}
    d = Daemon({"site.lua": SITE})

    # --check prints a warning per provisional year and still passes.
    r = subprocess.run([harness.TOCSIND, "-c", d.site, "--check"], capture_output=True,
                       text=True, timeout=30, env=CLEAN_ENV)
    expect(r.returncode == 0, f"--check: exit {r.returncode}: {r.stdout + r.stderr}")
    for y in years:
        said = f"holidays of {y} are provisional" in r.stdout
        expect(said == want[y], f"--check on {y} (provisional {want[y]}): {r.stdout!r}")

    d.start()
    log = "\n".join(d.log_tail(200))
    for y in years:
        said = f"holidays of {y} are provisional" in log
        expect(said == want[y], f"start-up log on {y} (provisional {want[y]}): {log[-2000:]}")

    for path in ("/v1/status", "/v1/board"):
        cal = calendar_of(d, path)
        expect(cal["national"] is True, f"{path}: national {cal['national']!r}")
        got = {e["year"]: e["provisional"] for e in cal["years"]}
        expect(got == want, f"{path}: years {cal['years']!r}, want provisional {want}")
        for e in cal["years"]:
            expect(("source" in e) == (e["year"] in NOTICE_YEARS),
                   f"{path}: {e!r} (a built-in notice names its source)")
    gauges = provisional_gauges(d)
    expect(gauges == {y: int(p) for y, p in want.items()},
           f"/metrics: tocsin_calendar_provisional {gauges}, want {want}")
    r = subprocess.run([harness.TOCSINCTL, "--url", d.base, "status"], capture_output=True,
                       text=True, timeout=30, env=CLEAN_ENV)
    line = next((l for l in r.stdout.splitlines() if l.startswith("holidays:")), "")
    for y in years:
        said = f"{y} provisional" in line
        expect(said == want[y], f"tocsinctl status on {y} (provisional {want[y]}): {line!r}")
    d.stop()

    # A region's own holidays leave a year provisional.
    regional = "".join(f'holidays "{y}" {{ source = "region", regional = true, '
                       f'off = {{ "{y}-03-03" }} }}\n' for y in years)
    d1 = Daemon({"site.lua": SITE + regional}).start()
    got = {e["year"]: e["provisional"] for e in calendar_of(d1, "/v1/status")["years"]}
    expect(got == want, f"/v1/status with regional holidays: {got}, want {want}")
    d1.stop()

    # The site adds each year's schedule (a notice tocsin does not carry yet).
    d2 = Daemon({"site.lua": SITE + "".join(schedule(y) for y in years)}).start()
    cal = calendar_of(d2, "/v1/status")
    expect(all(not e["provisional"] for e in cal["years"]),
           f"/v1/status with the years' schedules: {cal['years']!r}")
    expect(set(provisional_gauges(d2).values()) == {0},
           f"/metrics with the years' schedules: {provisional_gauges(d2)}")
    log = "\n".join(d2.log_tail(200))
    expect("are provisional" not in log, f"start-up log with the schedules: {log[-2000:]}")
    d2.stop()


def test_calendar_national_off():
    """national_holidays = false: only the site's own holidays; every year
    without a holidays block is provisional, 2026 included."""
    site = SITE.replace('rules = { "." }', 'rules = { "." }, national_holidays = false')
    d = Daemon({"site.lua": site}).start()
    cal = calendar_of(d, "/v1/status")
    expect(cal["national"] is False, f"/v1/status: {cal!r}")
    expect(all(e["provisional"] and "source" not in e for e in cal["years"]),
           f"/v1/status without the national calendar: {cal['years']!r}")
    d.stop()

    bad = SITE.replace('rules = { "." }', 'rules = { "." }, national_holidays = "no"')
    d = Daemon({"site.lua": bad})
    r = subprocess.run([harness.TOCSIND, "-c", d.site, "--check"], capture_output=True,
                       text=True, timeout=30, env=CLEAN_ENV)
    expect(r.returncode == 1 and "national_holidays" in r.stdout + r.stderr,
           f"--check of national_holidays = \"no\": exit {r.returncode}: {r.stdout + r.stderr}")


def test_calendar_board_banner():
    """The board shows a provisional year in an amber line, and none once
    the site declares the year's schedule."""
    from test_board import Browser, cjk_font_installed

    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    years = years_ahead()
    provisional = [y for y in years if y not in NOTICE_YEARS]
    banner_js = ("(() => { const e = document.getElementById('calendar');"
                 " return e && !e.hidden && getComputedStyle(e).display !== 'none'"
                 " ? e.textContent : null; })()")
    loaded_js = "document.getElementById('n-open').textContent !== '–'"
    for site, want in ((SITE, provisional),
                       (SITE + "".join(schedule(y) for y in years), [])):
        d = Daemon({"site.lua": site}).start()
        with Browser(1280, 800) as b:
            b.goto(d.base + "/")
            wait_until(lambda: b.js(loaded_js), 20, "the board to load its data")
            text = b.js(banner_js)
            if want:
                expect(text and all(str(y) in text for y in want) and "暂定" in text,
                       f"the board's calendar line: {text!r}, want the years {want}")
                b.screenshot("board-provisional.png")
            else:
                expect(text is None, f"a calendar line with every year scheduled: {text!r}")
        d.stop()
