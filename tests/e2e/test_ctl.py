"""tocsinctl for operators: status, backup and prune against a real daemon."""

import harness
from harness import *
from datetime import timezone

ADMIN = "admin-secret-0123456789"
UNIT_TOKEN = "hosp-a-secret-0123456789"

# netsec: an hour to assess; fast: one second to verify, breached at once;
# later: two hours to report; stuck: tells a person whose gateway never answers, so its outbox keeps
# retrying.  "once" is one escalation step and no repeats, so a breached
# incident leaves no timer behind.
RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", title = "评估", due = "1h", met_by = { type = "assessment" },
      owner = "office", on_breach = "once" },
  },
}
procedure "fast" {
  title = "舆情",
  match = { category = "public_opinion" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "verify", title = "核实", due = "1s", met_by = { type = "update" },
      owner = "office", on_breach = "once" },
  },
}
procedure "later" {
  title = "传染病",
  match = { category = "disease" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "report", title = "报告", due = "2h", met_by = { type = "update" }, owner = "office" },
  },
}
procedure "stuck" {
  title = "信访",
  match = { category = "petition" },
  on_open = { notify = { "stuck" } },
  obligations = {
    { id = "reply", title = "答复", due = "1h", met_by = { type = "final" }, owner = "office" },
  },
}
policy "once" { { notify = { "office", "deputy" } } }
"""


def ctl_site(sink, tokens=False):
    site = ('site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." }, '
            'public_url = "http://127.0.0.1:@PORT@" }\n'
            + ORG.format(url=sink.url(), secret=SECRET)
            + f'channel "dead" {{ kind = "webhook", url = "http://127.0.0.1:1/hook", '
              f'secret = "{SECRET}" }}\n'
              'person "wu" { name = "吴五", phone = "+8613800000005", roles = { "stuck" }, '
              'channels = { "dead" } }\n')
    if tokens:
        site += (f'token "admin" {{ secret = "{ADMIN}" }}\n'
                 f'token "hosp-a" {{ secret = "{UNIT_TOKEN}", units = {{ "hosp-a" }} }}\n')
    return {"site.lua": site, "rules.lua": RULES}


def run_ctl(d, *args, token=None):
    cmd = [harness.TOCSINCTL, "--url", d.base]
    if token is not None:
        cmd += ["--token", token]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60,
                       env=CLEAN_ENV)
    with open(d.log_path, "a", encoding="utf-8") as log:
        log.write(f"=== harness: tocsinctl {' '.join(args)} -> {r.returncode}\n"
                  f"{r.stdout[-2000:]}{r.stderr[-2000:]}\n")
    return r


def ctl_json(d, *args, token=None):
    r = run_ctl(d, *args, token=token)
    expect(r.returncode == 0, f"tocsinctl {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise TestFailure(f"tocsinctl {' '.join(args)} did not print JSON: {r.stdout[:300]!r}")


def send(d, method, path, body=None, token=None):
    """A request with an optional bearer token; returns harness.Response."""
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(d.base + path, data=data, method=method, headers=headers)
    try:
        with URLOPEN(req, timeout=30) as r:
            return Response(r.status, r.read(), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(), dict(e.headers))


def accept(d, body, token=None):
    r = send(d, "POST", "/v1/events", body, token)
    expect(r.status == 202, f"POST /v1/events: want 202, got {r!r}")
    return r.data["accepted"]


def resolve(d, key, token=None):
    r = send(d, "POST", f"/v1/incidents/{key}/resolve", {"by": "zhao"}, token)
    expect(r.status == 200 and r.data.get("state") == "closed", f"resolve {key}: {r!r}")


def status(d):
    r = d.request("GET", "/v1/status")
    expect(r.status == 200 and isinstance(r.data, dict), f"GET /v1/status: {r!r}")
    return r.data


def ev(kind, key, category=None, **extra):
    e = {"type": kind, "incident": key, "unit": "hosp-a"}
    if category:
        e["category"] = category
    e.update(extra)
    return e


def test_ctl_status():
    """Counts after open, breached and resolved incidents; the next deadline."""
    sink = Sink()
    d = Daemon(ctl_site(sink)).start()
    # The earliest deadline is neither the first nor the last one set.
    accept(d, ev("report", "inc-later", "disease", grade=1))
    accept(d, ev("report", "inc-open", "network_security", grade=2))
    accept(d, ev("report", "inc-breach", "public_opinion", grade=3))
    accept(d, ev("report", "inc-done", "network_security", grade=4))
    accept(d, ev("report", "inc-later-2", "disease"))
    resolve(d, "inc-done")
    wait_until(lambda: timeline(d.incident("inc-breach"), "escalation.step"), 8,
               "the breach of inc-breach and its escalation step")
    wait_until(lambda: all(n["status"] == "delivered" for n in
                           d.request("GET", "/v1/notifications").data["notifications"]),
               8, "every notification delivered")

    s = ctl_json(d, "status", "--json")
    version = run_ctl(d, "--version").stdout.split()
    expect(s.get("version") == version[-1], f"version {s.get('version')!r}, tocsinctl says {version}")
    expect(isinstance(s.get("uptime_s"), int) and s["uptime_s"] >= 0, f"uptime_s: {short(s)}")
    expect(s.get("site") == os.path.realpath(d.site), f"site: {s.get('site')!r}")
    rules = s.get("rules") or {}
    expect((rules.get("procedures"), rules.get("policies"), rules.get("recurring"),
            rules.get("channels")) == (4, 1, 0, 3), f"rules: {short(rules)}")
    inc = s.get("incidents") or {}
    expect(inc.get("open") == 4, f"open incidents: want 4, got {short(inc)}")
    expect(inc.get("open_by_grade") == {"I": 1, "II": 1, "III": 1, "IV": 0, "ungraded": 1},
           f"open by grade: {short(inc)}")
    expect(s.get("obligations") == {"pending": 3, "breached": 1},
           f"obligations: want 3 pending and 1 breached, got {short(s.get('obligations'))}")
    notes = d.request("GET", "/v1/notifications").data["notifications"]
    out = s.get("outbox") or {}
    expect(out.get("delivered") == len(notes) > 0
           and sum(v for k, v in out.items() if k != "delivered") == 0,
           f"outbox: want {len(notes)} delivered, got {short(out)}")

    nd = s.get("next_deadline") or {}
    ob = obligation(d.incident("inc-open"), "assessment")
    expect(nd.get("kind") == "obligation.due" and nd.get("incident") == "inc-open"
           and nd.get("obligation") == "assessment" and nd.get("procedure") == "netsec",
           f"next deadline: want inc-open's assessment, got {short(nd)}")
    expect(nd.get("at") == ob["due_at"], f"next deadline at {nd.get('at')}, due_at {ob['due_at']}")
    expect(3300 <= nd.get("in_s", 0) <= 3600, f"next deadline in_s: {nd.get('in_s')}")

    db = s.get("database") or {}
    expect(db.get("path") == os.path.realpath(d.db), f"database path: {db.get('path')!r}")
    expect(db.get("pages", 0) > 0 and db.get("page_size", 0) >= 512, f"database: {short(db)}")
    expect(s.get("prune") is None, f"prune before any: {short(s.get('prune'))}")

    # The readable form: aligned key: value lines.
    r = run_ctl(d, "status")
    expect(r.returncode == 0, f"status: exit {r.returncode}: {r.stderr}")
    lines = {l.split(":", 1)[0]: l for l in r.stdout.splitlines()}
    for key, want in (("open incidents", "4 (I 1, II 1, III 1, IV 0, ungraded 1)"),
                      ("obligations", "3 pending, 1 breached"),
                      ("next deadline", "obligation.due, incident inc-open"),
                      ("database", os.path.realpath(d.db))):
        expect(key in lines and want in lines[key], f"status line {key!r}: want {want!r} in {r.stdout!r}")
    widths = {len(l) - len(l.split(":", 1)[1].lstrip()) for l in r.stdout.splitlines()}
    expect(len(widths) == 1, f"status values are not aligned: {r.stdout!r}")

    # Reloads are counted, good and bad.
    with open(os.path.join(d.dir, "broken.lua"), "w", encoding="utf-8") as f:
        f.write('procedure "x" { bogus = 1 }\n')
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: status(d)["rules"]["reloads_failed"] == 1, 5, "a failed reload counted")
    os.unlink(os.path.join(d.dir, "broken.lua"))
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: status(d)["rules"]["reloads_ok"] == 1, 5, "a good reload counted")
    d.stop()


def test_ctl_backup_while_ingesting():
    """A backup taken while events keep coming holds every event answered before it began."""
    sink = Sink()
    d = Daemon(ctl_site(sink)).start()
    accept(d, ev("report", "inc-big", "network_security", grade=3))
    text = "现场情况续报。" * 60
    for batch in range(20):
        accept(d, [ev("update", "inc-big", id=f"pre-{batch}-{i}", summary=text) for i in range(200)])

    done = []                       # (id, monotonic time the 202 arrived)
    errors = []
    stop = threading.Event()

    def feed():
        n = 0
        while not stop.is_set():
            r = send(d, "POST", "/v1/events", ev("update", "inc-big", id=f"live-{n}", summary=text))
            if r.status != 202:
                errors.append(r)
                return
            done.append((f"live-{n}", time.monotonic()))
            n += 1

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    wait_until(lambda: len(done) >= 5, 10, "the feeder's first events")
    out = os.path.join(d.dir, "backup.db")
    t0 = time.monotonic()
    r = run_ctl(d, "backup", out)
    t1 = time.monotonic()
    n_after = len(done)
    wait_until(lambda: len(done) >= n_after + 3, 10, "the feeder going on after the backup")
    stop.set()
    feeder.join(30)
    expect(not errors, f"an event was refused during the backup: {errors[:1]}")
    expect(r.returncode == 0, f"backup: exit {r.returncode}: {r.stderr.strip()}")
    expect(re.search(r"\d+ pages .* integrity_check ok", r.stdout), f"backup output: {r.stdout!r}")
    expect(not os.path.exists(out + ".tmp"), "backup left its .tmp file")
    expect(os.stat(out).st_mode & 0o077 == 0, f"backup mode {oct(os.stat(out).st_mode)}: want 0600")
    during = [i for i, t in done if t0 <= t <= t1]
    expect(during, f"no event was answered during the {t1 - t0:.2f} s backup")

    con = sqlite3.connect(f"file:{out}?mode=ro", uri=True)
    try:
        check = con.execute("PRAGMA integrity_check").fetchall()
        ids = {row[0] for row in con.execute("SELECT id FROM events")}
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()
    expect(check == [("ok",)], f"integrity_check of the backup: {check}")
    expect(mode == "delete", f"the backup is not one self-contained file: journal_mode {mode}")
    before = {f"pre-{b}-{i}" for b in range(20) for i in range(200)}
    before |= {i for i, t in done if t < t0}
    missing = before - ids
    expect(not missing, f"{len(missing)} events answered 202 before the backup are not in it, "
                        f"e.g. {sorted(missing)[:3]}")
    live_in = {i for i in ids if i and i.startswith("live-")}
    expect(live_in <= {i for i, _ in done}, "the backup holds events never answered 202")

    # With --db and --quick, over the first copy.
    r = run_ctl(d, "backup", "--db", d.db, "--quick", out)
    expect(r.returncode == 0 and "quick_check ok" in r.stdout, f"backup --db: {r.stdout!r} {r.stderr!r}")
    r = run_ctl(d, "backup", "--db", d.db, d.db)
    expect(r.returncode != 0 and "database itself" in r.stderr, f"backup onto the database: {r!r}")
    d.stop()
    total = d.query_db("SELECT count(*) FROM events WHERE id LIKE 'live-%'")[0][0]
    expect(total == len(done), f"the daemon kept {total} live events, {len(done)} were answered 202")
    print(f"  backup: {len(before)} events before, {len(during)} answered during the "
          f"{t1 - t0:.2f} s backup")


def pruned_rows(d, keys):
    """Rows still held for these incidents, table by table (daemon stopped)."""
    marks = ",".join("?" * len(keys))
    counts = {}
    for table in ("events", "timeline", "escalations", "outbox", "ack_links", "obligations"):
        counts[table] = d.query_db(f"SELECT count(*) FROM {table} WHERE incident IN ({marks})",
                                   *keys)[0][0]
    counts["timers"] = d.query_db(
        "SELECT count(*) FROM timers WHERE (kind IN (1, 2, 3) AND ref IN (SELECT id FROM obligations "
        f"WHERE incident IN ({marks}))) OR (kind = 4 AND ref IN (SELECT id FROM escalations "
        f"WHERE incident IN ({marks})))", *keys, *keys)[0][0]
    counts["incidents"] = d.query_db(f"SELECT count(*) FROM incidents WHERE key IN ({marks})",
                                     *keys)[0][0]
    return counts


def test_ctl_prune():
    """Closed incidents resolved before the date go; open, recent and busy ones stay."""
    sink = Sink()
    d = Daemon(ctl_site(sink, tokens=True)).start()
    old, keep = ["old-breached", "old-cancelled"], ["open-old", "recent", "old-stuck"]
    accept(d, ev("report", "old-breached", "public_opinion", grade=3), ADMIN)
    accept(d, ev("report", "old-cancelled", "network_security", grade=4), ADMIN)
    accept(d, ev("report", "open-old", "network_security", grade=3), ADMIN)
    accept(d, ev("report", "old-stuck", "petition", grade=4), ADMIN)
    accept(d, ev("report", "recent", "network_security", grade=4), ADMIN)
    wait_until(lambda: timeline(d.incident("old-breached"), "escalation.step"), 8,
               "the breach of old-breached and its escalation step")
    wait_until(lambda: all(n["status"] == "delivered" for n in d.notifications("old-breached")
                           + d.notifications("old-cancelled") + d.notifications("recent")),
               8, "the notifications delivered")
    wait_until(lambda: any(n["attempts"] >= 1 for n in d.notifications("old-stuck")), 8,
               "a first failed attempt to the dead gateway")
    for key in ("old-breached", "old-cancelled", "old-stuck"):
        resolve(d, key, ADMIN)
    # Resolution times are whole milliseconds: the cut is a few past the last.
    cut = time.time() + 0.005
    before = datetime.fromtimestamp(cut, timezone.utc).isoformat(timespec="milliseconds")
    wait_until(lambda: time.time() > cut + 0.005, 1, "the clock to pass the cut")
    resolve(d, "recent", ADMIN)
    inc_before = {k: d.incident(k) for k in old + keep}
    for k in old:
        inc = inc_before[k]
        expect(inc["events"] and inc["timeline"] and inc["notifications"],
               f"{k} has nothing to prune: {short(inc)}")
    expect(inc_before["old-breached"]["escalations"], "old-breached has no escalation")

    # Writes need a token; pruning needs one for every unit.
    r = send(d, "POST", "/v1/admin/prune", {"before": before})
    expect(r.status == 401, f"prune without a token: want 401, got {r!r}")
    r = send(d, "POST", "/v1/admin/prune", {"before": before}, UNIT_TOKEN)
    expect(r.status == 403, f"prune with a unit token: want 403, got {r!r}")
    r = run_ctl(d, "prune", "--before", before)
    expect(r.returncode != 0, f"tocsinctl prune without a token: exit 0: {r.stdout!r}")
    r = send(d, "POST", "/v1/admin/prune", {"before": "2999-01-01"}, ADMIN)
    expect(r.status == 400, f"prune before a future date: want 400, got {r!r}")

    # A dry run counts and changes nothing.
    dry = ctl_json(d, "prune", "--before", before, "--dry-run", "--json", token=ADMIN)
    expect(dry.get("state") == "done" and dry.get("dry_run") is True, f"dry run: {short(dry)}")
    expect(dry.get("incidents") == 2 and dry.get("skipped") == 1,
           f"dry run: want 2 incidents and 1 skipped (its outbox is at work), got {short(dry)}")
    rows = dry.get("rows") or {}
    want_events = sum(len(inc_before[k]["events"]) for k in old)
    want_timeline = sum(len(inc_before[k]["timeline"]) for k in old)
    expect(rows.get("events") == want_events and rows.get("timeline") == want_timeline
           and rows.get("outbox") == sum(len(inc_before[k]["notifications"]) for k in old)
           and rows.get("attempts", 0) >= rows.get("outbox", 0) > 0
           and rows.get("escalations") == 1 and rows.get("ack_links", 0) > 0
           and rows.get("obligations") == 0,
           f"dry run rows: {short(rows)}; want {want_events} events, {want_timeline} timeline")
    for k in old + keep:
        now = d.incident(k)
        for part in ("events", "timeline", "notifications", "obligations", "escalations"):
            expect(len(now[part]) == len(inc_before[k][part]),
                   f"the dry run changed {k}'s {part}: {len(inc_before[k][part])} -> {len(now[part])}")
        expect("pruned_at" not in now, f"the dry run marked {k} pruned")

    r = run_ctl(d, "prune", "--before", before, token=ADMIN)
    expect(r.returncode == 0 and "pruned 2 incidents" in r.stdout,
           f"prune: exit {r.returncode}: {r.stdout!r} {r.stderr!r}")
    expect(re.search(r"events\s+%d\b" % want_events, r.stdout), f"prune output: {r.stdout!r}")
    for k in old:
        inc = d.incident(k)
        expect(inc.get("pruned_at") and not inc["events"] and not inc["timeline"]
               and not inc["notifications"] and not inc["escalations"],
               f"{k} after the prune: {short(inc)}")
        expect([o["status"] for o in inc["obligations"]]
               == [o["status"] for o in inc_before[k]["obligations"]],
               f"{k}'s ledger changed: {short(inc['obligations'])}")
    for k in keep:
        inc = d.incident(k)
        expect("pruned_at" not in inc and len(inc["events"]) == len(inc_before[k]["events"]),
               f"{k} was pruned: {short(inc)}")
    ledger = {row["incident"]: row for row in
              d.request("GET", "/v1/compliance").data["obligations"] if row["incident"]}
    expect(ledger.get("old-breached", {}).get("status") == "missed"
           and ledger.get("old-cancelled", {}).get("status") == "cancelled",
           f"the ledger of pruned incidents: {short(ledger)}")
    job = status(d).get("prune") or {}
    expect(job.get("state") == "done" and job.get("incidents") == 2 and job.get("dry_run") is False,
           f"status after the prune: {short(job)}")

    # Pruned again with the ledger: nothing of them is left.  Long prunes
    # answer 202 and show their progress on /v1/status.
    r = send(d, "POST", "/v1/admin/prune", {"before": before, "ledger": "drop", "wait_s": 0},
             ADMIN)
    expect(r.status == 202 and r.data["prune"]["state"] == "running", f"prune wait_s=0: {r!r}")
    job = wait_until(lambda: (status(d).get("prune") or {}).get("state") != "running"
                     and status(d)["prune"], 10, "the prune to finish")
    expect(job.get("state") == "done" and job.get("incidents") == 2 and job.get("ledger") == "dropped"
           and job["rows"].get("obligations") == 2 and job["rows"].get("events") == 0,
           f"prune with the ledger dropped: {short(job)}")
    for k in old:
        r = d.request("GET", f"/v1/incidents/{k}")
        expect(r.status == 404, f"{k} after dropping its ledger: {r!r}")
    d.stop()

    gone = pruned_rows(d, old)
    expect(all(v == 0 for v in gone.values()), f"rows left of pruned incidents: {gone}")
    orphans = d.query_db("SELECT count(*) FROM attempts WHERE outbox NOT IN (SELECT id FROM outbox)")
    expect(orphans == [(0,)], f"attempts left without their outbox row: {orphans}")
    for k in keep:
        left = pruned_rows(d, [k])
        expect(left["incidents"] == 1 and left["events"] > 0 and left["timeline"] > 0
               and left["outbox"] > 0 and left["obligations"] > 0, f"{k} lost rows: {left}")
    audit = d.query_db("SELECT kind FROM timeline WHERE kind LIKE 'prune.%' ORDER BY seq")
    expect(audit == [("prune.started",), ("prune.finished",)] * 2,
           f"the prunes in the audit log: {audit}")


def test_ctl_prune_batches():
    """More incidents than one batch holds: every one pruned, a dry run counts them all."""
    sink = Sink()
    # A procedure that tells nobody and owes nothing: nothing to deliver.
    # (A report no procedure took would tell the office: event.unmatched.)
    files = dict(ctl_site(sink), **{"drill.lua": 'procedure "drill" { match = { category = "drill" } }\n'})
    d = Daemon(files).start()
    keys = [f"drill-{i:03d}" for i in range(450)]
    accept(d, [ev("report", k, "drill") for k in keys])
    accept(d, [ev("resolve", k) for k in keys])
    accept(d, ev("report", "drill-open", "drill"))
    wait_until(lambda: time.time() > parse_time(d.incident(keys[-1])["resolved_at"]) + 1.01, 3,
               "the clock past the last resolution")
    before = datetime.fromtimestamp(time.time(), timezone.utc).isoformat(timespec="milliseconds")
    dry = ctl_json(d, "prune", "--before", before, "--dry-run", "--json")
    expect(dry.get("incidents") == 450 and dry.get("batches", 0) >= 3
           and dry["rows"].get("events") == 900,
           f"dry run over several batches: {short(dry)}")
    job = ctl_json(d, "prune", "--before", before, "--json")
    expect(job.get("incidents") == 450 and job["rows"].get("events") == 900
           and job.get("batches", 0) >= 3, f"prune over several batches: {short(job)}")
    accept(d, ev("update", "drill-open", summary="还在处置"))   # ingest still flows
    d.stop()
    left = d.query_db("SELECT count(*) FROM events WHERE incident LIKE 'drill-%' "
                      "AND incident != 'drill-open'")
    marked = d.query_db("SELECT count(*) FROM incidents WHERE pruned_at IS NOT NULL")
    expect(left == [(0,)] and marked == [(450,)], f"after the prune: events {left}, pruned {marked}")
    expect(d.query_db("SELECT count(*) FROM events WHERE incident = 'drill-open'") == [(2,)],
           "the open incident lost events")


def test_ctl_every_command_answers_help():
    """COMMAND --help and -h print the command's usage, exit 0 and do nothing:
    no incident "--help" is asked for, no ack or resolve is sent, no test runs."""
    sink = Sink()
    d = Daemon(ctl_site(sink)).start()
    key = "inc-help"
    accept(d, ev("report", key, "network_security", title="门户网站被篡改"))
    before = send(d, "GET", f"/v1/incidents/{key}")
    expect(before.status == 200, f"GET the incident: {before!r}")

    r = run_ctl(d, "--help")
    commands = re.findall(r"^  ([a-z]+) ", r.stdout, re.M)
    expect(len(commands) >= 12, f"tocsinctl --help lists {commands}")
    runs = [(c, flag) for c in commands for flag in ("--help", "-h")]
    # Where a command takes a key or a file, help wins wherever it stands.
    runs += [("ack", key, "--help"), ("ack", "--help", key), ("resolve", key, "-h"),
             ("show", key, "--help"), ("post", "-", "--help"), ("test", "no-such.json", "-h"),
             ("backup", os.path.join(d.dir, "copy.db"), "--help"),
             ("prune", "--before", "2099-01-01", "--help")]
    for args in runs:
        r = run_ctl(d, *args)
        expect(r.returncode == 0, f"tocsinctl {' '.join(args)}: exit {r.returncode}, want 0: "
                                  f"{r.stdout[-300:]}{r.stderr[-300:]}")
        expect(r.stdout.startswith("usage: tocsinctl ") and f" {args[0]} " in r.stdout.split("\n")[0],
               f"tocsinctl {' '.join(args)} does not print its usage: {r.stdout[:300]!r}")
        expect(not r.stderr.strip(), f"tocsinctl {' '.join(args)} said on stderr: {r.stderr[:300]}")

    after = send(d, "GET", f"/v1/incidents/{key}")
    for field in ("state", "acknowledged_at", "acknowledged_by", "resolved_at", "events",
                  "timeline", "obligations"):
        expect(after.data.get(field) == before.data.get(field),
               f"--help changed the incident's {field}: {short(before.data.get(field))} -> "
               f"{short(after.data.get(field))}")
    expect(not os.path.exists(os.path.join(d.dir, "copy.db")), "backup --help made a backup")
    # "--" ends the options: after it, --help is an argument like any other.
    r = run_ctl(d, "show", "--", "--help")
    expect(r.returncode != 0, f"show -- --help answered as help: {r.stdout[:200]}")
    d.stop()


TYPO_SITE = """\
site { timezone = "Asia/Shanghai", rules = { "." } }
channel "log" { kind = "log" }
group "office" { name = "办公室", members = {}, channels = { "log" } }
person "sun" { name = "孙三", roles = { "deputy" }, channels = { "log" } }
person "wu" { name = "吴五", roles = { "stuck" }, channels = { "log" } }
"""


def test_ctl_test_refuses_typos():
    """tocsinctl test: a misspelt key, action kind or action field is an error
    naming the file and the word, with the word it was likely meant to be;
    the same file spelt right passes."""
    base = harness.CTX.subdir("typos")
    with open(os.path.join(base, "site.lua"), "w", encoding="utf-8") as f:
        f.write(TYPO_SITE)
    with open(os.path.join(base, "rules.lua"), "w", encoding="utf-8") as f:
        f.write(RULES)
    good = {
        "name": "fast breaches and climbs",
        "events": [{"at": "2026-03-02T09:00:00+08:00", "type": "report", "incident": "inc-t",
                    "category": "public_opinion", "unit": "hosp-a"}],
        "until": "10m",
        "expect": [{"kind": "obligation.breached", "obligation": "verify"},
                   {"kind": "escalation.step", "policy": "once", "step": 1}],
        "absent": [{"kind": "notify", "recipient": "nobody"}],
    }

    def write(name, doc):
        path = os.path.join(base, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        return path

    def ctl_test(path):
        return subprocess.run([harness.TOCSINCTL, "test", path], capture_output=True, text=True,
                              timeout=60, env=CLEAN_ENV, stdin=subprocess.DEVNULL)

    r = ctl_test(write("good.json", {"site": "site.lua", "tests": [good]}))
    expect(r.returncode == 0 and "1 passed, 0 failed" in r.stdout,
           f"the test spelt right: {r.stdout}{r.stderr}")

    def typo(**change):
        t = json.loads(json.dumps(good))
        for k, v in change.items():
            if v is None:
                t.pop(k)
            else:
                t[k] = v
        return t
    cases = {
        # file: (document, the word, the suggestion or None)
        "expcet.json": ({"site": "site.lua", "tests": [typo(expect=None, expcet=good["expect"])]},
                        'unknown key "expcet"', '"expect"'),
        "kind.json": ({"site": "site.lua", "tests": [typo(absent=[{"kind": "escalation.setp"}])]},
                      'unknown action kind "escalation.setp"', '"escalation.step"'),
        "field.json": ({"site": "site.lua",
                        "tests": [typo(absent=[{"kind": "notify", "reciepient": "sun"}])]},
                       'unknown action field "reciepient"', '"recipient"'),
        "expect-field.json": ({"site": "site.lua",
                               "tests": [typo(expect=[{"kind": "obligation.breached",
                                                       "obligaton": "verify"}])]},
                              'unknown action field "obligaton"', '"obligation"'),
        "top.json": ({"site": "site.lua", "tests": [good], "rulse": ["."]},
                     'unknown key "rulse"', '"rules"'),
        "odd.json": ({"site": "site.lua", "tests": [typo(zzz=1)]}, 'unknown key "zzz"', None),
    }
    for name, (doc, word, near) in cases.items():
        r = ctl_test(write(name, doc))
        out = r.stdout + r.stderr
        expect(r.returncode == 1, f"{name}: tocsinctl test exit {r.returncode}, want 1: {out}")
        line = next((l for l in out.splitlines() if word in l), None)
        expect(line is not None and line.startswith(os.path.join(base, name) + ":"),
               f"{name}: no error naming the file and {word}: {out}")
        if near:
            expect(f"did you mean {near}?" in line, f"{name}: no suggestion of {near}: {line}")

    # Events out of time order: the simulation would skip the late-listed
    # one and the test could pass testing nothing; it is refused, naming
    # the test and the event.
    early = {"at": "2026-03-02T08:00:00+08:00", "id": "ev-early", "type": "ack",
             "incident": "inc-t", "unit": "hosp-a"}
    unordered = typo(events=good["events"] + [early])
    r = ctl_test(write("order.json", {"site": "site.lua", "tests": [unordered]}))
    out = r.stdout + r.stderr
    expect(r.returncode == 1, f"order.json: tocsinctl test exit {r.returncode}, want 1: {out}")
    line = next((l for l in out.splitlines() if "time order" in l), None)
    expect(line is not None and line.startswith(os.path.join(base, "order.json") + ":")
           and 'test "fast breaches and climbs"' in line and 'event 2 (id "ev-early")' in line,
           f"order.json: no error naming the test and the event: {out}")
