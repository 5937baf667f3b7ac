"""Lists come in pages: every row exactly once, also while rows are added
between pages; a bounded limit; a cursor the daemon made or a 400; and
tocsinctl reads every page for the user."""

import harness
from harness import *

# Three obligations an incident, so the ledger outgrows a page quickly;
# each incident tells the office on the log channel: one outbox row.
RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", title = "评估", due = "1h", met_by = { type = "assessment" }, owner = "office" },
    { id = "update", title = "续报", due = "2h", met_by = { type = "update" }, owner = "office" },
    { id = "final", title = "终报", due = "3h", met_by = { type = "final" }, owner = "office" },
  },
}
"""

SITE = """\
site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." } }
channel "log" { kind = "log" }
person "zhao" { name = "赵一", phone = "+8613800000001", roles = { "office" }, channels = { "log" } }
"""

PAGE_MAX = 200      # API_PAGE_MAX in include/api.h
PAGE_SCAN = 2000    # API_PAGE_SCAN: rows one page reads at most


def paging_daemon():
    return Daemon({"site.lua": SITE, "rules.lua": RULES}).start()


def reports(d, first, n, unit="hosp-a", prefix="pg"):
    """n reports, in arrays of at most 1000 (one request each)."""
    keys = [f"{prefix}-{i:05d}" for i in range(first, first + n)]
    for at in range(0, n, 1000):
        d.accept([report(k, unit=unit) for k in keys[at:at + 1000]])
    return keys


def pull(d, path, name, between=None, max_pages=1000):
    """Every page from path on, following next; between(i) runs after page i."""
    rows, pages = [], 0
    limit = int(path.split("limit=")[1].split("&")[0]) if "limit=" in path else 100
    while path is not None:
        r = d.request("GET", path)
        expect(r.status == 200 and isinstance((r.data or {}).get(name), list) and "next" in r.data,
               f"GET {path}: want 200 with {name} and next, got {r!r}")
        expect(len(r.data[name]) <= limit, f"GET {path}: {len(r.data[name])} rows, "
               f"more than the limit {limit}")
        rows.extend(r.data[name])
        link = r.headers.get("Link")
        nxt = r.data["next"]
        expect((link is None) == (nxt is None) and (nxt is None or link == f"<{nxt}>; rel=\"next\""),
               f"Link header {link!r} does not match next {nxt!r}")
        pages += 1
        expect(pages <= max_pages, f"{path}: more than {max_pages} pages")
        if between is not None:
            between(pages)
        path = nxt
    return rows, pages


def once(rows, key, what):
    seen = {}
    for row in rows:
        k = key(row)
        seen[k] = seen.get(k, 0) + 1
    twice = [k for k, n in seen.items() if n > 1]
    expect(not twice, f"{what}: rows seen more than once: {twice[:5]}")
    return set(seen)


def test_pages_hold_every_row_once():
    """The ledger, incidents and notifications come in pages that hold every row
    exactly once, even with reports arriving between the pages."""
    d = paging_daemon()
    keys = reports(d, 0, 120)
    ledger_key = lambda o: (o["incident"], o["obligation"])
    want = {(k, o) for k in keys for o in ("assessment", "update", "final")}

    # Default page size, no one writing: 360 rows in 4 pages of 100.
    rows, pages = pull(d, "/v1/compliance", "obligations")
    got = once(rows, ledger_key, "compliance")
    expect(got == want and pages == 4, f"compliance: {len(got)} rows in {pages} pages, "
           f"want {len(want)} in 4 (missing {sorted(want - got)[:5]})")
    dues = [(o["due_at"]) for o in rows]
    expect(dues == sorted(dues), "compliance pages are not in order of due time")

    # Small pages, and ten reports between each of the first twenty: each
    # first row once, the new ones at most once (due later: after the cursor).
    added = []

    def more(i):
        if i <= 20:
            added.extend(reports(d, 1000 + 10 * i, 10))
    rows, pages = pull(d, "/v1/compliance?limit=7", "obligations", between=more)
    got = once(rows, ledger_key, "compliance while reports arrive")
    expect(want <= got, f"compliance while reports arrive: missing {sorted(want - got)[:5]}")

    everything = set(keys) | set(added)
    inc_before = set(everything)
    rows, _ = pull(d, "/v1/incidents?state=all&limit=9", "incidents",
                   between=lambda i: added.extend(reports(d, 5000 + 3 * i, 3)))
    got = once(rows, lambda i: i["key"], "incidents")
    expect(inc_before <= got, f"incidents: missing {sorted(inc_before - got)[:5]}")
    opened = [i["opened_at"] for i in rows]
    expect(opened == sorted(opened, reverse=True), "incidents are not newest first")

    # The outbox: one notification an incident.
    inc_before = set(keys) | set(added)
    rows, _ = pull(d, "/v1/notifications?limit=11", "notifications",
                   between=lambda i: added.extend(reports(d, 9000 + 2 * i, 2)))
    got = once(rows, lambda n: n["key"], "notifications")
    expect(inc_before <= {n["incident"] for n in rows},
           f"notifications: missing incidents {sorted(inc_before - {n['incident'] for n in rows})[:5]}")
    d.stop()


def test_limit_is_bounded_and_cursor_checked():
    """limit above the maximum, zero or not a number is 400; a cursor the daemon
    did not make, or made for another list, is 400."""
    d = paging_daemon()
    reports(d, 0, 3)
    for path in ("/v1/compliance", "/v1/incidents", "/v1/notifications"):
        r = d.request("GET", f"{path}?limit={PAGE_MAX}")
        expect(r.status == 200, f"{path}?limit={PAGE_MAX}: want 200, got {r!r}")
        for bad in (PAGE_MAX + 1, 100000, 0, -1, "ten", "1e3", ""):
            r = d.request("GET", f"{path}?limit={bad}")
            if bad == "":
                expect(r.status == 200, f"{path}?limit= (empty): want the default, got {r!r}")
                continue
            err = (r.data or {}).get("error") or {}
            expect(r.status == 400 and err.get("field") == "limit" and str(PAGE_MAX) in
                   err.get("message", ""), f"{path}?limit={bad}: want 400 naming the limit, got {r!r}")
        for bad in ("zz", "00", "5b5d", "7b7d", "5b2263222c315d", "x" * 5000,
                    "5b2278222c315d"):
            r = d.request("GET", f"{path}?cursor={bad}")
            err = (r.data or {}).get("error") or {}
            expect(r.status == 400 and err.get("field") == "cursor",
                   f"{path}?cursor={bad[:20]}: want 400 on the cursor, got {r!r}")
    # A real cursor works only on the list that made it.
    nxt = d.request("GET", "/v1/compliance?limit=1").data["next"]
    cursor = nxt.split("cursor=")[1]
    expect(d.request("GET", nxt).status == 200, f"{nxt}: the next link itself fails")
    for path in ("/v1/incidents", "/v1/notifications"):
        r = d.request("GET", f"{path}?cursor={cursor}")
        expect(r.status == 400, f"{path} with the ledger's cursor: want 400, got {r!r}")
    d.stop()


def test_filtered_pages_read_a_bounded_stretch():
    """A filter that keeps few rows gives short (even empty) pages with a next
    link rather than reading the whole table in one answer: the rows of a rare
    unit buried under more than a page's reading all come back, each once."""
    d = paging_daemon()
    rare = reports(d, 0, 2, unit="hosp-rare", prefix="rare")
    reports(d, 0, PAGE_SCAN + 100)
    rows, pages = pull(d, "/v1/incidents?unit=hosp-rare", "incidents")
    got = once(rows, lambda i: i["key"], "incidents of one unit")
    expect(got == set(rare) and pages >= 2,
           f"incidents of hosp-rare: {sorted(got)} in {pages} pages, want {rare} in 2 or more")
    rows, pages = pull(d, f"/v1/compliance?unit=hosp-rare&limit={PAGE_MAX}", "obligations")
    got = once(rows, lambda o: (o["incident"], o["obligation"]), "ledger of one unit")
    expect(len(got) == 6 and pages >= 2, f"ledger of hosp-rare: {len(got)} rows in {pages} pages")
    d.stop()


def test_ctl_compliance_prints_every_row():
    """tocsinctl compliance reads every page: CSV (one BOM, one header) and JSON
    hold every row of a ledger larger than a page, each once; so does incidents."""
    d = paging_daemon()
    keys = reports(d, 0, PAGE_MAX + 20)
    want = {(k, o) for k in keys for o in ("assessment", "update", "final")}
    r = subprocess.run([harness.TOCSINCTL, "--url", d.base, "compliance"], capture_output=True,
                       timeout=60, env=CLEAN_ENV)
    expect(r.returncode == 0, f"tocsinctl compliance: exit {r.returncode}: {r.stderr[-500:]!r}")
    out = r.stdout
    expect(out.startswith(b"\xef\xbb\xbfincident,recurring,unit,"),
           f"the CSV does not start with a UTF-8 BOM and the header: {out[:60]!r}")
    expect(out.count(b"\xef\xbb\xbf") == 1 and out.count(b"incident,recurring,unit,") == 1,
           "the CSV has more than one BOM or header")
    lines = out.decode("utf-8-sig").splitlines()
    head = lines.pop(0).split(",")
    cols = (head.index("incident"), head.index("obligation"))   # by name: columns get added
    got = [tuple(l.split(",")[i] for i in cols) for l in lines]
    expect(len(got) == len(want) and set(got) == want,
           f"tocsinctl compliance printed {len(got)} rows ({len(set(got))} distinct), "
           f"want {len(want)}")
    r = subprocess.run([harness.TOCSINCTL, "--url", d.base, "compliance", "--format", "json"],
                       capture_output=True, text=True, timeout=60, env=CLEAN_ENV)
    rows = json.loads(r.stdout).get("obligations", []) if r.returncode == 0 else []
    got = once(rows, lambda o: (o["incident"], o["obligation"]), "tocsinctl compliance --format json")
    expect(got == want, f"tocsinctl compliance --format json: {len(got)} rows, want {len(want)}")
    r = subprocess.run([harness.TOCSINCTL, "--url", d.base, "incidents"], capture_output=True,
                       text=True, timeout=60, env=CLEAN_ENV)
    listed = [l.split()[0] for l in r.stdout.splitlines()[1:]]
    expect(r.returncode == 0 and sorted(listed) == sorted(keys),
           f"tocsinctl incidents listed {len(listed)} of {len(keys)}")
    d.stop()
