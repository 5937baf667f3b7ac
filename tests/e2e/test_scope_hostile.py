"""Units as tenants, from the other side: a hostile client of hospital A.

test_unit_scope.py checks that A's token reads and touches only A's
incidents by the paths a client means to use.  Here A's tokens -- one
that reads and writes, one that only reads, one that only writes --
try every route of src/http.c against hospital B's data the ways a
client would not: HEAD, repeated and encoded query parameters, unknown
units, another list's or another token's page cursors, tampered ones,
path tricks, the token where it does not belong, Authorization headers
spelt oddly or sent twice, a token the site has since removed, and the
open routes (/metrics, /healthz, ack links, provider callbacks).  No
answer may name B's incident or its unit, nor tell A that it exists.
"""

import json
import signal
import socket
import urllib.parse

from harness import *
from test_unit_scope import A, B, COUNTY, READER, WRITER, UNITS, TOKENS, opened, ack_link

A_RO = "hosp-a-ro-0123456789abcdef0011"    # hosp-a, reads only
A_WO = "hosp-a-wo-0123456789abcdef0022"    # hosp-a, writes only

HOSTILE_TOKENS = TOKENS + (
    f'token "a-ro" {{ secret = "{A_RO}", units = {{ "hosp-a" }}, read = true, write = false }}\n'
    f'token "a-wo" {{ secret = "{A_WO}", units = {{ "hosp-a" }} }}\n')

# What no answer to A may hold: B's incidents' keys and B's unit.
SECRETS = ("inc-b", "hosp-b", "王集乡卫生院")

READ_ROUTES = ("/v1/incidents", "/v1/incidents/inc-b", "/v1/notifications",
               "/v1/compliance", "/v1/compliance/summary", "/v1/board", "/v1/units",
               "/v1/status")


def hostile_daemon(sink, tokens=HOSTILE_TOKENS, due="1s"):
    files = site_files(sink, due=due)
    files["site.lua"] = files["site.lua"].replace(
        'rules = { "." }', 'rules = { "." }, public_url = "http://127.0.0.1:@PORT@/"', 1)
    files["site.lua"] += UNITS + tokens
    return Daemon(files).start()


def clean(r, what, asked=""):
    """The answer names nothing of B's but what the request itself said."""
    body = r.raw if hasattr(r, "raw") else r.body
    text = body.decode("utf-8", "replace") + json.dumps(r.headers, ensure_ascii=False)
    asked = urllib.parse.unquote(asked)
    for s in SECRETS:
        expect(s in asked or s not in text, f"{what}: the answer names {s!r}: {r!r}")
    return r


def raw(d, head, body=b""):
    """One request as bytes on a fresh connection; its answer."""
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
        s.sendall(head.encode("latin-1") + b"\r\n" + body)
        return read_answer(s)


def raw_get(d, path, *headers, method="GET"):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    return raw(d, "\r\n".join(lines) + "\r\n")


def test_hostile_every_read_route():
    """GET and HEAD of every read route with each of A's tokens: B's rows
    never show, a narrowing to B is 403, B's incident 404, and a HEAD
    answers what the GET does."""
    sink = Sink()
    d = hostile_daemon(sink)
    opened(d, A)
    ack_link(sink, "inc-b")
    for path in READ_ROUTES:
        for tok in (A, A_RO):
            r = clean(d.request("GET", path, token=tok), f"GET {path}", path)
            want = 403 if path == "/v1/status" else 404 if "inc-b" in path else 200
            expect(r.status == want, f"GET {path} with A's token: want {want}, got {r!r}")
            h = d.request("HEAD", path, token=tok)
            expect(h.status == want and h.raw == b"",
                   f"HEAD {path} with A's token: want {want} and no body, got {h!r}")
        r = clean(d.request("GET", path, token=A_WO), f"GET {path}, write-only", path)
        expect(r.status == 403, f"GET {path} with A's write-only token: want 403, got {r!r}")
        expect(d.request("HEAD", path, token=A_WO).status == 403,
               f"HEAD {path} with A's write-only token")
    r = d.request("GET", "/v1/board", token=A)
    counts = r.data["counts"]
    expect(counts["open"] == 3 and all(i["unit"] == "hosp-a" for i in r.data["incidents"]),
           f"A's board counts B's: {short(counts)}")
    expect(all(x.get("unit") in (None, "hosp-a") for x in r.data.get("duties", [])),
           f"A's board shows another unit's duties: {short(r.data.get('duties'))}")
    d.stop()


def test_hostile_query_parameters():
    """unit= empty, repeated, encoded, in another case, unknown; subtree= not
    0 or 1; incident= of B's: none shows B's rows."""
    sink = Sink()
    d = hostile_daemon(sink)
    opened(d, A)
    ack_link(sink, "inc-b")
    lists = {"/v1/incidents": "incidents", "/v1/notifications": "notifications",
             "/v1/compliance": "obligations", "/v1/compliance/summary": "units",
             "/v1/board": "incidents", "/v1/units": "units"}
    forbidden = ("unit=hosp-b", "unit=hosp%2Db", "unit=%68osp-b", "unit=HOSP-B",
                 "unit=hosp-b%00", "unit=nowhere", "unit=county-health",
                 "unit=hosp-b&unit=hosp-a", "unit=hosp-b&subtree=1",
                 "unit=county-health&subtree=1", "unit=+hosp-b", "unit=hosp-b+")
    for path, name in lists.items():
        for tok in (A, A_RO):
            for q in forbidden:
                r = clean(d.request("GET", f"{path}?state=all&{q}", token=tok), f"{path}?{q}", q)
                expect(r.status in (400, 403),
                       f"A's token, GET {path}?{q}: want 403 (or 400), got {r!r}")
            for q in ("unit=", "unit=hosp-a&unit=hosp-b", "unit=hosp-a&subtree=1",
                      "unit=hosp-a&subtree=0", "unit=&subtree=1", "subtree=",
                      "unit=hosp-a&unit=", "incident=inc-b", "incident=inc-b&unit=hosp-a",
                      "incident=inc-b&unit=", "x&unit=hosp-b", "unit=hosp-b;x"):
                r = clean(d.request("GET", f"{path}?state=all&{q}", token=tok), f"{path}?{q}", q)
                expect(r.status in (200, 400, 403) and (r.status != 200 or name in r.data),
                       f"A's token, GET {path}?{q}: got {r!r}")
            for v in ("2", "yes", "true", "01", "%201", "-1"):
                r = d.request("GET", f"{path}?subtree={v}", token=tok)
                expect(r.status == 400 and r.data["error"]["field"] == "subtree",
                       f"{path}?subtree={v}: want 400 on subtree, got {r!r}")
    for q in ("incident=inc-b", "incident=inc-b&status=delivered", "incident=inc%2Db"):
        r = clean(d.request("GET", f"/v1/notifications?{q}", token=A), f"notifications?{q}", q)
        expect(r.status == 200 and r.data["notifications"] == [] and r.data["next"] is None,
               f"A's token, B's notifications by {q}: {r!r}")
    d.stop()


def test_hostile_paths_and_writes():
    """Encoded, trailing-slash and double-slash paths name B's incident no
    more than the plain one; writes to B's incident are 404, as its read is:
    no answer says it exists or whose it is."""
    sink = Sink()
    d = hostile_daemon(sink, due="1h")
    opened(d, A)
    wait_until(lambda: all(n["status"] == "delivered" for n in d.request(
        "GET", "/v1/notifications?limit=200", token=COUNTY).data["notifications"]),
        15, "every notification delivered")
    before = d.snapshot()
    for path in ("/v1/incidents/inc%2Db", "/v1/incidents/%69nc-b", "/v1/incidents/inc-b/",
                 "//v1/incidents/inc-b", "/v1/incidents//inc-b", "/v1/incidents/inc-b%2F",
                 "/v1/incidents/inc-b%2Fx", "/v1/incidents/inc-b%00", "/v1/incidents/./inc-b",
                 "/v1/incidents/x/../inc-b", "/V1/incidents/inc-b", "/v1/incidents/inc-b?x=1",
                 "/v1/incidents/inc-b#frag"):
        for tok in (A, A_RO, A_WO):
            r = clean(raw_get(d, path, f"Authorization: Bearer {tok}"), f"GET {path}", path)
            expect(r.status in (400, 403, 404), f"GET {path}: want 404 (or 403), got {r!r}")
    for verb in ("ack", "resolve"):
        for key in ("inc-b", "inc%2Db", "inc-b2"):
            for tok in (A, A_WO):
                r = clean(d.request("POST", f"/v1/incidents/{key}/{verb}", {"by": "x"}, token=tok),
                          f"POST {key}/{verb}", key)
                expect(r.status == 404 and r.data["error"]["code"] == "not_found",
                       f"A's token, POST /v1/incidents/{key}/{verb}: want 404 as for an "
                       f"incident that is not there, got {r!r}")
                nothing = d.request("POST", f"/v1/incidents/nothing-here/{verb}", {"by": "x"},
                                    token=tok)
                expect(nothing.status == r.status and nothing.data["error"]["code"] ==
                       r.data["error"]["code"],
                       f"B's incident and none answer alike: {r!r} / {nothing!r}")
            r = d.request("POST", f"/v1/incidents/{key}/{verb}", {"by": "x"}, token=A_RO)
            expect(r.status == 403, f"A's read-only token writes: {r!r}")
    expect(d.snapshot() == before, "a refused request changed the database")
    d.stop()


def test_hostile_cursors():
    """A cursor is no key: another list's is 400, a tampered one 400 or
    harmless, the county's read with A's token shows only A's rows."""
    sink = Sink()
    d = hostile_daemon(sink)
    opened(d, A)
    ack_link(sink, "inc-b")
    county = d.request("GET", "/v1/incidents?state=all&limit=1", token=COUNTY).data
    expect(county["next"], f"the county's first page has a next: {short(county)}")
    cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(county["next"]).query)["cursor"][0]
    r = clean(d.request("GET", f"/v1/incidents?state=all&limit=200&cursor={cursor}", token=A),
              "the county's cursor")
    expect(r.status == 200 and {i["unit"] for i in r.data["incidents"]} <= {"hosp-a"},
           f"A's token with the county's cursor: {r!r}")
    for other in ("/v1/notifications", "/v1/compliance"):
        r = d.request("GET", f"{other}?cursor={cursor}", token=A)
        expect(r.status == 400 and r.data["error"]["field"] == "cursor",
               f"an incidents cursor on {other}: want 400, got {r!r}")
    tampered = [json.dumps(c).encode().hex() for c in (
        ["i", 2 ** 62], ["i", -1], ["i", 0], ["i", "inc-b"], ["i", 1, 2], ["i"],
        ["c", 0, 2 ** 62, 0, 0], ["c", -2 ** 62, 2 ** 62, -2 ** 62, -2 ** 62],
        ["n", 2 ** 62], ["n", 1.5])] + ["zz", "00", "", "%00", "5b5d" * 300]
    for cur in tampered:
        for path in ("/v1/incidents?state=all", "/v1/compliance?x=1", "/v1/notifications?x=1"):
            r = clean(d.request("GET", f"{path}&cursor={cur}", token=A), f"{path} {cur}")
            expect(r.status in (200, 400), f"{path}&cursor={cur[:40]}: got {r!r}")
    d.stop()


def test_hostile_open_routes():
    """/metrics, /healthz, the board's files, ack links and provider
    callbacks are open: none names a unit or an incident, a made-up ack
    link or callback is 404 whatever it guesses."""
    sink = Sink()
    d = hostile_daemon(sink)
    opened(d, A)
    link = ack_link(sink, "inc-b")
    for path in ("/metrics", "/healthz", "/", "/board.js", "/board.css", "/?unit=hosp-b"):
        for tok in (None, A, A_WO):
            r = d.request("GET", path, token=tok)
            expect(r.status == 200, f"GET {path}: {r!r}")
            body = r.raw.decode("utf-8", "replace")
            expect(not any(s in body for s in SECRETS[:1]) and "hosp-a" not in body
                   and "inc-a" not in body, f"GET {path} names a unit or an incident")
    token = link.rsplit("/", 1)[1]
    for guess in ("x" * len(token), token[:-1] + ("A" if token[-1] != "A" else "B"),
                  token.upper() if token.upper() != token else token.lower(), token + "x",
                  "inc-b", urllib.parse.quote("../v1/incidents/inc-b", safe="")):
        r = clean(d.request("GET", f"/ack/{guess}", token=A), f"/ack/{guess}", guess)
        expect(r.status == 404, f"GET /ack/{guess}: want 404, got {r!r}")
    for guess in ("x", "inc-b", "hosp-b", "log", "webhook"):
        r = clean(d.request("POST", f"/v1/callbacks/{guess}", {"a": 1}, token=A),
                  f"/v1/callbacks/{guess}", guess)
        expect(r.status == 404, f"POST /v1/callbacks/{guess}: want 404, got {r!r}")
    d.stop()


def test_hostile_token_placement():
    """The token counts only as "Authorization: Bearer T": in the query or
    another header it is no token; a second Authorization header does not
    widen the first; "bearer" in any case is the scheme, spaces are not."""
    sink = Sink()
    d = hostile_daemon(sink)
    opened(d, A)
    for q in (f"access_token={COUNTY}", f"token={COUNTY}", f"Authorization=Bearer%20{COUNTY}"):
        r = clean(d.request("GET", f"/v1/incidents?state=all&{q}"), f"?{q}")
        expect(r.status == 401, f"a token in the query: want 401, got {r!r}")
        r = clean(d.request("GET", f"/v1/incidents?state=all&{q}", token=A), f"?{q}")
        expect(r.status == 200 and {i["unit"] for i in r.data["incidents"]} == {"hosp-a"},
               f"A's token with the county's in the query: {r!r}")
    cases = (
        ([f"Authorization: bearer {A}"], 200),
        ([f"Authorization: BEARER {A}"], 200),
        ([f"Authorization: Bearer  {A}"], 401),
        ([f"Authorization: Bearer {A} "], 200),   # trailing space: HTTP trims it
        ([f"Authorization: Bearer\t{A}"], 401),
        ([f"Authorization: Basic {A}"], 401),
        ([f"Authorization: {A}"], 401),
        ([f"Authorization: Bearer {A}x"], 401),
        ([f"Authorization: Bearer {A[:-1]}"], 401),
        ([f"Authorization: Bearer {A},Bearer {COUNTY}"], 401),
        ([f"X-Authorization: Bearer {COUNTY}", f"Authorization: Bearer {A}"], 200),
        ([f"Authorization: Bearer {A}", f"Authorization: Bearer {COUNTY}"], 200),
        ([f"Authorization: Bearer nobody", f"Authorization: Bearer {COUNTY}"], 401),
        ([f"Cookie: token={COUNTY}"], 401),
    )
    for headers, want in cases:
        r = clean(raw_get(d, "/v1/incidents?state=all", *headers), f"{headers}")
        expect(r.status == want, f"{headers}: want {want}, got {r!r}")
        if r.status == 200:
            expect({i["unit"] for i in r.data["incidents"]} == {"hosp-a"},
                   f"{headers}: A's token reads {r!r}")
    d.stop()


def test_hostile_removed_token_refused_at_once():
    """A reload without A's token refuses it on the next request -- a
    read, a write, a page of a list begun before the reload -- and the
    county's token still reads."""
    sink = Sink()
    d = hostile_daemon(sink)
    opened(d, A)
    first = d.request("GET", "/v1/incidents?state=all&limit=1", token=A).data
    expect(first["next"], f"A's first page has a next: {short(first)}")
    with open(d.site, encoding="utf-8") as f:
        text = f.read()
    text = "\n".join(line for line in text.splitlines() if 'token "a"' not in line) + "\n"
    with open(d.site, "w", encoding="utf-8") as f:
        f.write(text)
    count = open(d.log_path, encoding="utf-8").read().count("daemon: reloaded")
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: open(d.log_path, encoding="utf-8").read().count("daemon: reloaded") > count,
               10, "the reload")
    for method, path in (("GET", "/v1/incidents/inc-a"), ("GET", first["next"]),
                         ("GET", "/v1/board"), ("HEAD", "/v1/units"),
                         ("POST", "/v1/incidents/inc-a/ack")):
        r = d.request(method, path, {"by": "a"} if method == "POST" else None, token=A)
        expect(r.status == 401, f"{method} {path} with a removed token: want 401, got {r!r}")
    r = d.post_events(report("inc-a9", unit="hosp-a"), token=A)
    expect(r.status == 401, f"an event with a removed token: want 401, got {r!r}")
    expect(d.request("GET", "/v1/incidents/inc-a", token=COUNTY).status == 200,
           "the county's token after the reload")
    d.stop()


CURSOR_RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", title = "评估", due = "1h", met_by = { type = "assessment" }, owner = "office" },
    { id = "update", title = "续报", due = "2h", met_by = { type = "update" }, owner = "office" },
  },
}
"""

CURSOR_SITE = """\
site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." } }
channel "log" { kind = "log" }
person "zhao" { name = "赵一", phone = "+8613800000001", roles = { "office" }, channels = { "log" } }
"""

PAGE_SCAN = 2000    # API_PAGE_SCAN: rows one page reads a loop turn


def cursor_of(link):
    hexed = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["cursor"][0]
    return json.loads(bytes.fromhex(hexed))


def test_hostile_cursor_never_at_a_hidden_row():
    """More of B's rows than a page reads at once lie between A's: each
    of A's pages (limit=1) holds one of A's rows, its cursor is at that
    row, never at one of B's, and the last page says so (next null)
    rather than a page that is empty, or short, because B's rows follow."""
    d = Daemon({"site.lua": CURSOR_SITE + UNITS + HOSTILE_TOKENS, "rules.lua": CURSOR_RULES}).start()
    for key in ("a-1", "a-2"):
        expect(d.post_events(report(key, unit="hosp-a"), token=A).status == 202, key)
    for at in range(0, PAGE_SCAN + 200, 1000):
        n = min(1000, PAGE_SCAN + 200 - at)
        r = d.post_events([report(f"b-{at + i:05d}", unit="hosp-b") for i in range(n)], token=B)
        expect(r.status == 202, f"B's reports: {r!r}")
    expect(d.post_events(report("a-3", unit="hosp-a"), token=A).status == 202, "a-3")
    lists = (("/v1/incidents?state=all&limit=1", "incidents", 3),
             ("/v1/notifications?limit=1", "notifications", 3),
             ("/v1/compliance?limit=1", "obligations", 6))
    cursors = {}
    for tok in (A, A_RO):
        for path, name, want in lists:
            rows, seen = [], []
            while path is not None:
                r = clean(d.request("GET", path, token=tok), path)
                expect(r.status == 200 and len(r.data[name]) == 1,
                       f"A's page {path}: want one of A's rows, got {r!r}")
                rows.extend(r.data[name])
                path = r.data["next"]
                if path is not None:
                    seen.append(cursor_of(path))
            expect(len(rows) == want, f"{name}: {len(rows)} of A's rows, want {want}")
            cursors[name] = seen
    d.stop()
    own_inc = {r[0] for r in d.query_db("SELECT rowid FROM incidents WHERE unit = 'hosp-a'")}
    own_msg = {r[0] for r in d.query_db(
        "SELECT o.id FROM outbox o JOIN incidents i ON i.key = o.incident WHERE i.unit = 'hosp-a'")}
    own_ob = {(r[0], r[1]) for r in d.query_db(
        "SELECT due_at, id FROM obligations WHERE unit = 'hosp-a'")}
    for c in cursors["incidents"]:
        expect(c[1] in own_inc, f"an incidents cursor at another unit's row: {c}")
    for c in cursors["notifications"]:
        expect(c[1] in own_msg, f"a notifications cursor at another unit's row: {c}")
    for c in cursors["obligations"]:
        expect((c[3], c[4]) in own_ob, f"a ledger cursor at another unit's row: {c}")
