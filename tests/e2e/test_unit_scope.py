"""Units as tenants: reads scoped by unit (issue 16, items 3, 5, 6).

A county with two township hospitals and tokens for reading.  Hospital
A's token cannot read or touch hospital B's incident by any path -- the
lists, the detail, the notifications, the ledger and its summary, the
board, the units, the REST ack and resolve, an event of any type, an ack
link -- and the database is unchanged by every refused request.  The
county's token sees and acts on both; an unlimited read token sees all
and writes nothing; a write-only token reads nothing.
"""

import json
import subprocess

import harness
from harness import *

COUNTY = "county-read-0123456789abcdef"    # county-health and below
A = "hosp-a-read-0123456789abcdef"         # hosp-a only
B = "hosp-b-read-fedcba9876543210"         # hosp-b only
READER = "reader-only-00112233445566778"    # every unit, reads only
WRITER = "writer-only-99887766554433221"    # every unit, writes only

UNITS = """\
unit "county-health" { name = "县卫生健康委员会" }
unit "hosp-a" { name = "刘庄乡卫生院", parent = "county-health", kind = "township-hospital" }
unit "hosp-b" { name = "王集乡卫生院", parent = "county-health", kind = "township-hospital" }
"""

TOKENS = (
    f'token "county" {{ secret = "{COUNTY}", units = {{ "county-health" }}, read = true }}\n'
    f'token "a" {{ secret = "{A}", units = {{ "hosp-a" }}, read = true }}\n'
    f'token "b" {{ secret = "{B}", units = {{ "hosp-b" }}, read = true }}\n'
    f'token "reader" {{ secret = "{READER}", read = true, write = false }}\n'
    f'token "writer" {{ secret = "{WRITER}" }}\n')


def scope_daemon(sink, tokens=TOKENS):
    files = site_files(sink, due="1s")
    files["site.lua"] = files["site.lua"].replace(
        'rules = { "." }', 'rules = { "." }, public_url = "http://127.0.0.1:@PORT@/"', 1)
    files["site.lua"] += UNITS + tokens
    return Daemon(files).start()


def get(d, path, token):
    return d.request("GET", path, token=token)


def pages(d, path, name, token):
    """Every row of a paged list, following next links."""
    rows = []
    while path is not None:
        r = get(d, path, token)
        expect(r.status == 200 and isinstance((r.data or {}).get(name), list),
               f"GET {path}: want 200 with {name}, got {r!r}")
        rows.extend(r.data[name])
        path = r.data.get("next")
    return rows


def ack_link(sink, key):
    """The ack link of the incident's first escalation message."""
    posts = wait_until(lambda: sink.webhooks(incident=key, reason="escalation", step=1),
                       15, f"the step-1 message of {key}")
    link = posts[0].body.get("ack_url") or ""
    expect("/ack/" in link, f"no ack link in {short(posts[0].body)}")
    return link


def opened(d, token):
    """Two incidents of each hospital, a third for A to page over."""
    for key, unit, tok in (("inc-a", "hosp-a", A), ("inc-b", "hosp-b", B),
                           ("inc-a2", "hosp-a", A), ("inc-b2", "hosp-b", B),
                           ("inc-a3", "hosp-a", A)):
        r = d.post_events(report(key, unit=unit, id="r-" + key), token=tok)
        expect(r.status == 202, f"{unit}'s report {key}: want 202, got {r!r}")


def keys(rows, field="key"):
    return sorted({row.get(field) for row in rows})


def test_scope_hospital_reads_only_its_own():
    """Hospital A's token reads only hosp-a's rows, by every read path."""
    sink = Sink()
    d = scope_daemon(sink)
    opened(d, A)
    ack_link(sink, "inc-b")                 # B's incident is breached, escalating
    ack_link(sink, "inc-a")
    own = ["inc-a", "inc-a2", "inc-a3"]

    for limit in (1, 2, 100):                # keyset pages over the filter
        got = pages(d, f"/v1/incidents?state=all&limit={limit}", "incidents", A)
        expect(sorted(i["key"] for i in got) == own,
               f"A's incidents, limit={limit}: {[i['key'] for i in got]}")
    r = get(d, "/v1/incidents/inc-b", A)
    expect(r.status == 404 and r.data["error"]["code"] == "not_found",
           f"A's token, B's incident: want 404 not_found, got {r!r}")
    expect(get(d, "/v1/incidents/inc-a", A).status == 200, "A's token, A's incident")
    for q in ("unit=hosp-b", "unit=county-health", "unit=county-health&subtree=1"):
        for path in ("/v1/incidents", "/v1/compliance", "/v1/compliance/summary",
                     "/v1/board", "/v1/notifications"):
            r = get(d, f"{path}?{q}", A)
            expect(r.status == 403 and r.data["error"]["code"] == "forbidden",
                   f"A's token, GET {path}?{q}: want 403 forbidden, got {r!r}")
    got = pages(d, "/v1/incidents?unit=hosp-a&subtree=1&state=all&limit=1", "incidents", A)
    expect(keys(got) == own, f"A's own subtree: {keys(got)}")

    notes = pages(d, "/v1/notifications?limit=1", "notifications", A)
    expect(notes and set(keys(notes, "incident")) <= set(own),
           f"A's notifications name {keys(notes, 'incident')}")
    expect(pages(d, "/v1/notifications?incident=inc-b", "notifications", A) == [],
           "A's token lists B's incident's notifications")
    ledger = pages(d, "/v1/compliance?limit=1", "obligations", A)
    expect(ledger and keys(ledger, "unit") == ["hosp-a"], f"A's ledger: {keys(ledger, 'unit')}")
    for by in ("unit", "parent"):
        r = get(d, f"/v1/compliance/summary?by={by}", A)
        expect(r.status == 200 and [u["unit"] for u in r.data["units"]] == ["hosp-a"],
               f"A's summary by {by}: {r!r}")
    r = get(d, "/v1/board", A)
    expect(r.status == 200 and keys(r.data["incidents"]) == own
           and r.data["counts"]["open"] == 3,
           f"A's board: {keys((r.data or {}).get('incidents', []))} {short((r.data or {}).get('counts'))}")
    r = get(d, "/v1/units", A)
    expect(r.status == 200 and [u["id"] for u in r.data["units"]] == ["hosp-a"],
           f"A's units: {r!r}")
    r = get(d, "/v1/status", A)
    expect(r.status == 403, f"A's token, the whole daemon's status: want 403, got {r!r}")
    d.stop()


def test_scope_hospital_touches_nothing_of_its_sibling():
    """A's token changes nothing of B's: REST, events of every type, its ack link."""
    sink = Sink()
    d = scope_daemon(sink)
    opened(d, A)
    link_a = ack_link(sink, "inc-a")
    ack_link(sink, "inc-b")
    wait_until(lambda: all(n["status"] == "delivered"
                           for n in pages(d, "/v1/notifications", "notifications", COUNTY)),
               15, "every notification delivered")
    # Quiet now: the next escalation step is due after 2s; what follows is fast.
    before = d.snapshot()
    for path in ("/v1/incidents/inc-b/ack", "/v1/incidents/inc-b/resolve"):
        r = d.request("POST", path, {"by": "hosp-a"}, token=A)
        expect(r.status == 404 and r.data["error"]["code"] == "not_found",
               f"A's token, POST {path}: want 404 not_found (as GET), got {r!r}")
    for kind in ("report", "assessment", "ack", "resolve", "update", "zero"):
        for unit in ("hosp-a", "hosp-b"):
            ev = {"type": kind, "incident": "inc-b", "unit": unit, "by": "hosp-a",
                  "category": "network_security", "id": f"x-{kind}-{unit}"}
            r = d.post_events(ev, token=A)
            expect(r.status == 403 and r.data["error"]["code"] == "forbidden",
                   f"A's token, a {kind} event (unit {unit}) on B's incident: "
                   f"want 403 forbidden, got {r!r}")
    # Read-only and write-only tokens: no write by the first, no read by the second.
    r = d.request("POST", "/v1/incidents/inc-b/ack", {"by": "reader"}, token=READER)
    expect(r.status == 403, f"a read-only token acknowledges: want 403, got {r!r}")
    r = d.post_events(report("inc-r", unit="hosp-a"), token=READER)
    expect(r.status == 403, f"a read-only token reports: want 403, got {r!r}")
    after = d.snapshot()
    expect(after == before, "a refused request changed the database: " +
           ", ".join(t for t in after if after[t] != before.get(t)))

    # A's ack link, still good with read tokens, acknowledges A's incident only.
    page = http_request("GET", link_a)
    expect(page.status == 200 and "text/html" in page.headers.get("Content-Type", ""),
           f"GET A's ack link without a token: {page!r}")
    r = http_request("POST", link_a, b"", content_type="application/x-www-form-urlencoded")
    expect(r.status == 200, f"POST A's ack link: {r!r}")
    inc_a = d.request("GET", "/v1/incidents/inc-a", token=COUNTY).data
    inc_b = d.request("GET", "/v1/incidents/inc-b", token=COUNTY).data
    expect(inc_a.get("acknowledged_at") is not None, f"A's link acknowledged: {short(inc_a)}")
    expect(inc_b.get("acknowledged_at") is None and not timeline(inc_b, "incident.acknowledged"),
           f"A's link touched B's incident: {short(inc_b)}")
    d.stop()


def test_scope_county_reads_and_acts_on_both():
    sink = Sink()
    d = scope_daemon(sink)
    opened(d, A)
    ack_link(sink, "inc-b")
    every = ["inc-a", "inc-a2", "inc-a3", "inc-b", "inc-b2"]
    for tok in (COUNTY, READER):
        got = pages(d, "/v1/incidents?state=all&limit=2", "incidents", tok)
        expect(keys(got) == every, f"all incidents: {keys(got)}")
        r = get(d, "/v1/board?unit=county-health&subtree=1", tok)
        expect(r.status == 200 and keys(r.data["incidents"]) == every,
               f"the county's board: {r!r}")
        r = get(d, "/v1/units", tok)
        expect([u["id"] for u in r.data["units"]] == ["county-health", "hosp-a", "hosp-b"]
               and r.data["units"][1] == {"id": "hosp-a", "name": "刘庄乡卫生院",
                                           "parent": "county-health",
                                           "kind": "township-hospital"},
               f"the units: {r!r}")
    # unit=X alone is X's own; subtree=1 adds those below it.
    r = get(d, "/v1/incidents?state=all&unit=county-health", COUNTY)
    expect(r.status == 200 and r.data["incidents"] == [], f"the county's own: {r!r}")
    got = pages(d, "/v1/compliance?unit=county-health&subtree=1&limit=1", "obligations", COUNTY)
    expect(keys(got, "unit") == ["hosp-a", "hosp-b"], f"the county's ledger: {keys(got, 'unit')}")
    expect(get(d, "/v1/status", READER).status == 200, "an unlimited reader's status")

    r = get(d, "/v1/compliance/summary?by=unit", COUNTY)
    rows = {u["unit"]: u for u in r.data["units"]}
    expect(sorted(rows) == ["hosp-a", "hosp-b"]
           and rows["hosp-a"]["counts"]["total"] == 3 and rows["hosp-b"]["counts"]["total"] == 2
           and rows["hosp-a"]["name"] == "刘庄乡卫生院"
           and rows["hosp-a"]["parent"] == "county-health",
           f"the summary by unit: {r!r}")
    r = get(d, "/v1/compliance/summary?by=parent&unit=county-health&subtree=1", COUNTY)
    rows = {u["unit"]: u for u in r.data["units"]}
    expect(sorted(rows) == ["county-health", "hosp-a", "hosp-b"]
           and rows["county-health"]["counts"]["total"] == 5
           and rows["county-health"]["own"]["total"] == 0
           and rows["hosp-a"]["counts"]["total"] == 3,
           f"the summary by parent: {r!r}")

    r = d.request("POST", "/v1/incidents/inc-b/ack", {"by": "county"}, token=COUNTY)
    expect(r.status == 200, f"the county acknowledges B's incident: {r!r}")
    r = d.request("POST", "/v1/incidents/inc-a/resolve", {"by": "county"}, token=COUNTY)
    expect(r.status == 200, f"the county resolves A's incident: {r!r}")
    r = d.post_events({"type": "assessment", "incident": "inc-b2", "unit": "hosp-b"}, token=COUNTY)
    expect(r.status == 202, f"the county's event on B's incident: {r!r}")
    d.stop()


def test_scope_summary_over_many_slices():
    """The summary counts 1,000 obligations a loop turn (api-units.c): 2,200
    of them, a batch of a thousand due in the same few milliseconds across
    a slice's end, are each counted once, per unit, rolled up and scoped."""
    sink = Sink()
    files = site_files(sink, due="1h")
    files["site.lua"] += UNITS + TOKENS
    d = Daemon(files).start()
    for batch in range(3):
        body = [report(f"many-{i}", unit="hosp-a" if i % 2 else "hosp-b", id=f"r-many-{i}")
                for i in range(batch * 1000, min(2200, batch * 1000 + 1000))]
        r = d.post_events(body, token=WRITER)
        expect(r.status == 202, f"batch {batch}: want 202, got {r!r}")
    r = get(d, "/v1/compliance/summary?by=parent&from=2000-01-01&to=2100-01-01", COUNTY)
    rows = {u["unit"]: u["counts"] for u in (r.data or {}).get("units", [])}
    expect(r.status == 200 and sorted(rows) == ["county-health", "hosp-a", "hosp-b"]
           and rows["county-health"]["total"] == 2200
           and rows["hosp-a"] == rows["hosp-b"]
           and rows["hosp-a"]["pending"] == rows["hosp-a"]["total"] == 1100,
           f"the county's summary of 2,200: {r!r}")
    r = get(d, "/v1/compliance/summary?by=unit&from=2000-01-01&to=2100-01-01", A)
    expect(r.status == 200 and [(u["unit"], u["counts"]["total"]) for u in r.data["units"]]
           == [("hosp-a", 1100)], f"hospital A's summary: {r!r}")
    d.stop()


def test_scope_who_may_read():
    """Without a token 401, a write-only token 403; the open routes stay open;
    a site with no reading token reads as before."""
    sink = Sink()
    d = scope_daemon(sink)
    opened(d, A)
    for path in ("/v1/incidents", "/v1/incidents/inc-a", "/v1/notifications", "/v1/compliance",
                 "/v1/compliance/summary", "/v1/board", "/v1/units", "/v1/status"):
        r = get(d, path, None)
        expect(r.status == 401 and r.data["error"]["code"] == "unauthorized"
               and r.headers.get("WWW-Authenticate") == "Bearer",
               f"GET {path} without a token: want 401, got {r!r}")
        r = get(d, path, WRITER)
        expect(r.status == 403 and r.data["error"]["code"] == "forbidden",
               f"GET {path} with a write-only token: want 403, got {r!r}")
    for path in ("/healthz", "/metrics", "/", "/board.js", "/board.css"):
        expect(get(d, path, None).status == 200, f"GET {path} without a token")
    r = get(d, "/v1/incidents?subtree=2", A)
    expect(r.status == 400 and r.data["error"]["field"] == "subtree", f"subtree=2: {r!r}")
    r = get(d, "/v1/compliance/summary?by=town", READER)
    expect(r.status == 400 and r.data["error"]["field"] == "by", f"by=town: {r!r}")
    d.stop()

    # The same tokens, none for reading: reads are open as before.
    plain = TOKENS.replace(", read = true, write = false", "").replace(", read = true", "")
    d = scope_daemon(Sink(), tokens=plain)
    opened(d, A)
    got = pages(d, "/v1/incidents?state=all", "incidents", None)
    expect(len(got) == 5, f"a site with no reading token lists {len(got)} incidents")
    expect(get(d, "/v1/units", None).status == 200, "GET /v1/units without a token")
    d.stop()


def test_scope_bad_token_declarations():
    """read and write take true or false; a token for nothing is refused."""
    for decl, want in (('read = "yes"', '"read" must be true or false'),
                       ('write = 0', '"write" must be true or false'),
                       ('read = false, write = false', 'neither read nor write')):
        files = site_files(Sink())
        files["site.lua"] += f'token "t" {{ secret = "{A}", {decl} }}\n'
        d = Daemon(files)
        proc = subprocess.run([harness.TOCSIND, "-c", d.site, "--check"], cwd=d.dir,
                              capture_output=True, text=True, env=harness.CLEAN_ENV, timeout=30)
        expect(proc.returncode != 0 and want in proc.stdout + proc.stderr and "site.lua:" in proc.stdout + proc.stderr,
               f"token {{ {decl} }}: want a load error with {want!r}, got "
               f"{proc.returncode} {(proc.stdout + proc.stderr)[-400:]!r}")


def ctl(d, *args, token=None):
    cmd = [harness.TOCSINCTL, "--url", d.base]
    if token:
        cmd += ["--token", token]
    return subprocess.run(cmd + list(args), capture_output=True, text=True,
                          env=harness.CLEAN_ENV, timeout=30)


def test_scope_ctl_compliance_by_parent():
    """tocsinctl compliance --by parent: one aligned row per unit, rolled up."""
    sink = Sink()
    d = scope_daemon(sink)
    opened(d, A)
    p = ctl(d, "compliance", "--by", "parent", token=COUNTY)
    expect(p.returncode == 0, f"tocsinctl compliance --by parent: {p.returncode} {p.stderr!r}")
    lines = p.stdout.splitlines()
    expect(len(lines) == 5 and lines[1].split()[:3] == ["unit", "name", "parent"],
           f"a title, a header and three units: {p.stdout!r}")
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    expect(rows["county-health"][1:3] == ["县卫生健康委员会", "-"]
           and rows["county-health"][-1] == "5" and rows["hosp-a"][-1] == "3"
           and rows["hosp-b"][-1] == "2", f"the rows: {p.stdout!r}")
    # Aligned: every count column ends at the same terminal column.
    def width(s):
        return sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in s)
    ends = {width(line) for line in lines[1:]}
    expect(len(ends) == 1, f"the table is not aligned: {p.stdout!r}")
    p = ctl(d, "compliance", "--by", "unit", "--format", "json", token=A)
    data = json.loads(p.stdout) if p.returncode == 0 else {}
    expect([u["unit"] for u in data.get("units", [])] == ["hosp-a"],
           f"A's token, --by unit --format json: {p.stdout!r} {p.stderr!r}")
    p = ctl(d, "compliance", "--by", "town", token=COUNTY)
    expect(p.returncode == 2 and "--by is unit or parent" in p.stderr, f"--by town: {p!r}")
    d.stop()


def board_keys(b):
    return sorted(b.js("[...document.querySelectorAll('#board > li')].map(li => li.dataset.key)") or [])


def test_scope_board_per_unit_in_browser():
    """/?unit=ID#token=SECRET: the token leaves the address bar for this
    tab's storage, the board shows the unit's subtree, and a unit the
    token may not read, or no token at all, is said plainly."""
    from test_board import Browser
    sink = Sink()
    d = scope_daemon(sink)
    opened(d, A)
    with Browser(1280, 800) as b:
        b.goto(f"{d.base}/?unit=hosp-a#token={A}")
        wait_until(lambda: board_keys(b) == ["inc-a", "inc-a2", "inc-a3"], 20,
                   "hosp-a's board with A's token")
        href = b.js("location.href")
        expect(A not in href and "#" not in href and href.endswith("/?unit=hosp-a"),
               f"the token is still in the address: {href!r}")
        expect(b.js("sessionStorage.getItem('tocsin.read-token')") == A,
               "the token is not kept for the tab")

        b.goto(f"{d.base}/?unit=hosp-b")
        wait_until(lambda: not b.js("document.getElementById('denied').hidden"), 20,
                   "the board to say A's token may not read hosp-b")
        text = b.js("document.getElementById('denied').textContent")
        expect("无权查看" in text and "hosp-b" in text, f"the 403 says: {text!r}")
        expect(b.js("document.getElementById('board').hidden"), "rows shown after a 403")

        b.js("sessionStorage.clear()")
        b.goto(f"{d.base}/")
        wait_until(lambda: not b.js("document.getElementById('denied').hidden"), 20,
                   "the board to ask for a reading token")
        text = b.js("document.getElementById('denied').textContent")
        expect("读取令牌" in text and "#token=" in text, f"the 401 says: {text!r}")

        # Another address, not only another fragment: the page loads anew.
        b.goto(f"{d.base}/?unit=county-health#token={COUNTY}")
        wait_until(lambda: board_keys(b) == ["inc-a", "inc-a2", "inc-a3", "inc-b", "inc-b2"], 20,
                   "the county's board with every hospital's incidents")
        expect(b.js("document.getElementById('denied').hidden"), "the refusal stays shown")
        problems = b.problems(allow=("401", "403"))
        expect(not problems, f"the page reported errors: {short(problems)}")
    d.stop()
