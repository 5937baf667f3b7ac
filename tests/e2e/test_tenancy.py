"""Units as tenants, and one writer per database (issue 14, items 1, 2, 12).

An incident belongs to the unit whose report opened it: a token limited to
another unit touches it by no path (an event of any type, the REST ack and
resolve), and a first report from another unit under its key is refused,
never merged.  Event ids are idempotency keys within their unit.  A second
daemon on the same database refuses to start and names the first.  A
database written at schema version 5 upgrades in place with everything
pending kept.
"""

import harness
from harness import *

A = "unit-a-token-0123456789abcdef"     # hosp-a only
B = "unit-b-token-fedcba9876543210"     # hosp-b only
OPS = "ops-token-00112233445566778899"   # every unit
HERE = os.path.dirname(os.path.abspath(__file__))


def tenancy_daemon(sink):
    files = site_files(sink, due="1h")
    files["site.lua"] += (f'token "a" {{ secret = "{A}", units = {{ "hosp-a" }} }}\n'
                          f'token "b" {{ secret = "{B}", units = {{ "hosp-b" }} }}\n'
                          f'token "ops" {{ secret = "{OPS}" }}\n')
    return Daemon(files).start()


def settled(d, incident):
    """Wait until the incident's notifications are delivered, so that a
    snapshot taken next changes only by what the test does."""
    wait_until(lambda: all(n["status"] == "delivered" for n in d.notifications(incident)),
               15, f"the notifications of {incident} to be delivered")


def test_unit_token_cannot_touch_another_units_incident():
    sink = Sink()
    d = tenancy_daemon(sink)
    r = d.post_events(report("inc-b", unit="hosp-b"), token=B)
    expect(r.status == 202, f"hosp-b's own report: want 202, got {r!r}")
    settled(d, "inc-b")
    before = d.snapshot()
    for kind in ("resolve", "ack", "assessment", "update", "final", "report"):
        ev = {"type": kind, "incident": "inc-b", "unit": "hosp-a", "grade": 1,
              "category": "network_security", "by": "hosp-a"}
        r = d.post_events(ev, token=A)
        expect(r.status == 403 and r.data["error"]["code"] == "forbidden",
               f"hosp-a's token, {kind} on hosp-b's incident: want 403 forbidden, got {r!r}")
        # Hidden in an array beside a good event: the whole request is refused.
        r = d.post_events([report("inc-a", unit="hosp-a"), ev], token=A)
        expect(r.status == 403, f"an array with a {kind} on hosp-b's incident: want 403, got {r!r}")
    for path in ("/v1/incidents/inc-b/ack", "/v1/incidents/inc-b/resolve"):
        r = d.request("POST", path, {"by": "hosp-a"}, token=A)
        expect(r.status == 403, f"POST {path} with hosp-a's token: want 403, got {r!r}")
    after = d.snapshot()
    expect(after == before, "a refused request changed the database: " +
           ", ".join(t for t in after if after[t] != before.get(t)))
    inc = d.incident("inc-b")
    expect(inc["state"] == "open" and inc["grade"] == 3 and not inc.get("acked_by"),
           f"hosp-b's incident was changed: {inc!r}")
    # Its own unit's token and an unlimited one may act on it.
    r = d.post_events({"type": "assessment", "incident": "inc-b", "unit": "hosp-b"}, token=B)
    expect(r.status == 202, f"hosp-b's assessment: want 202, got {r!r}")
    r = d.request("POST", "/v1/incidents/inc-b/resolve", {"by": "office"}, token=OPS)
    expect(r.status == 200, f"the office resolves: want 200, got {r!r}")


def test_another_units_incident_key_is_not_merged():
    """hosp-a takes a key first; hosp-b's report under it is refused loudly
    (409, whatever the token), not filed into hosp-a's incident."""
    sink = Sink()
    d = tenancy_daemon(sink)
    expect(d.post_events(report("2027-0001", unit="hosp-a"), token=A).status == 202,
           "hosp-a's report was not accepted")
    settled(d, "2027-0001")
    before = d.snapshot()
    for token, status, code in ((B, 403, "forbidden"), (OPS, 409, "incident_exists")):
        r = d.post_events(report("2027-0001", unit="hosp-b"), token=token)
        expect(r.status == status and r.data["error"]["code"] == code,
               f"hosp-b's report under hosp-a's key: want {status} {code}, got {r!r}")
    expect(d.snapshot() == before, "a refused report changed the database")
    expect(d.incident("2027-0001")["unit"] == "hosp-a", "the incident changed hands")


def test_event_ids_are_per_unit():
    sink = Sink()
    d = tenancy_daemon(sink)
    a = d.post_events(dict(report("inc-a", unit="hosp-a"), id="0001"), token=A)
    b = d.post_events(dict(report("inc-b", unit="hosp-b"), id="0001"), token=B)
    expect(a.status == 202 and b.status == 202, f"want 202 twice, got {a!r} and {b!r}")
    expect(b.data["accepted"][0] == {"id": "0001", "incident": "inc-b", "duplicate": False},
           f"hosp-b's 0001 was taken for hosp-a's: {b!r}")
    expect(d.incident("inc-b")["unit"] == "hosp-b", "hosp-b's incident was not opened")
    again = d.post_events(dict(report("inc-a", unit="hosp-a"), id="0001"), token=A)
    expect(again.data["accepted"][0] == {"id": "0001", "incident": "inc-a", "duplicate": True},
           f"hosp-a's own repeat is a duplicate: {again!r}")


def test_second_daemon_on_the_same_database_refuses():
    sink = Sink()
    first = Daemon(site_files(sink, due="2s")).start()
    first.accept(report("inc-1"))
    second = Daemon(site_files(sink, due="2s"))
    second.db = first.db
    with open(second.log_path, "ab") as log:
        proc = subprocess.Popen([TOCSIND, "-c", second.site, "--listen",
                                 f"127.0.0.1:{second.port}", "--db", first.db],
                                cwd=second.dir, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, env=CLEAN_ENV)
    try:
        rc = proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise TestFailure("a second tocsind on the same database kept running")
    expect(rc != 0, "the second daemon exited 0")
    said = "\n".join(second.log_tail(20))
    expect(f"pid {first.proc.pid}" in said and "in use by another tocsind" in said,
           f"the second daemon does not name the first one's pid {first.proc.pid}:\n{said}")
    # The first goes on: its deadline fires once, its escalation is told once.
    wait_until(lambda: sink.webhooks(incident="inc-1", recipient="li"), 15,
               "the first daemon's escalation to reach the principal")
    ids = [p.id for p in sink.webhooks(incident="inc-1")]
    expect(len(ids) == len(set(ids)), f"a notification was delivered twice: {ids}")
    # Stopped, the first lets a new daemon have the database.
    first.stop()
    first.start()


def load_fixture(d, name):
    con = sqlite3.connect(d.db)
    with open(os.path.join(HERE, "fixtures", name), encoding="utf-8") as f:
        con.executescript(f.read())
    con.close()


def test_schema_v5_database_upgrades_with_nothing_pending_lost():
    """tests/e2e/fixtures/schema-v5.sql was written by the release before
    per-unit ids: two incidents, obligations pending and breached, an
    escalation under way, four notifications still being retried, a daily
    report owed.  The new daemon migrates it, delivers every queued
    notification under its old key, fires what fell due while it was down
    (marked late), and keeps old ids as idempotency keys of their unit."""
    sink = Sink()
    d = Daemon(site_files(sink))
    load_fixture(d, "schema-v5.sql")
    old = sqlite3.connect(d.db)
    keys = {k for (k,) in old.execute("SELECT key FROM outbox")}
    pending = old.execute("SELECT id, incident, name, due_at FROM obligations "
                          "WHERE status = 'pending'").fetchall()
    counts = {t: old.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("events", "incidents", "obligations", "escalations", "timeline")}
    old.close()
    expect(len(keys) == 4 and len(pending) == 4, "the fixture is not the one described")
    d.start()
    wait_until(lambda: keys <= {p.body.get("key") for p in sink.webhooks()}, 60,
               "every notification queued before the upgrade to be delivered")
    now_ms = time.time() * 1000
    checked = 0
    for _, incident, name, due_at in pending:
        if incident is None or due_at > now_ms - 5000:
            continue                      # not due yet, or a daily report
        checked += 1
        # The API names an obligation by its procedure's id for it.
        wait_until(lambda: [a for a in d.incident(incident)["obligations"]
                            if a["id"] == name and a["status"] == "breached"], 15,
                   f"obligation {name} of {incident}, due while down, to be breached")
        inc = d.incident(incident)
        expect(any(a.get("kind") == "obligation.breached" and a.get("obligation") == name
                   and a.get("late") for a in inc.get("timeline", [])),
               f"the breach of {name} of {incident} is not marked late: {short(inc)}")
    # The fixture's deadlines were hours after it was made: from then on
    # every run finds them passed "while the daemon was down".
    expect(checked == 2, f"{checked} of the fixture's final reports were due")
    again = d.post_events(dict(report("inc-a", unit="hosp-a"), id="0001"))
    expect(again.data["accepted"][0]["duplicate"] is True,
           f"an id stored before the upgrade is no longer a duplicate: {again!r}")
    other = d.post_events(dict(report("inc-c", unit="hosp-c"), id="0001"))
    expect(other.data["accepted"][0]["duplicate"] is False,
           f"another unit's 0001 is taken for hosp-a's: {other!r}")
    d.stop()
    for table, n in counts.items():
        now = d.query_db(f"SELECT count(*) FROM {table}")[0][0]
        expect(now >= n, f"{table} lost rows in the upgrade: {n} before, {now} after")
    version = d.query_db("PRAGMA user_version")[0][0]
    expect(version > 5, f"the database was not migrated (user_version {version})")
