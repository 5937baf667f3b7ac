"""Core end-to-end tests: ingest, deadlines, escalation, durability, reload,
tocsinctl and configuration checks."""

import harness
from harness import *

def test_breach_delivers_step1():
    """A 3 s assessment nobody files: one breach, step 1 on time and signed."""
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    key = "inc-breach"
    before = time.time()
    d.accept(report(key))
    after = time.time()

    inc = d.incident(key)
    ob = obligation(inc, "assessment")
    expect(ob.get("status") == "pending", f"obligation before due: {short(ob)}")
    sets = timeline(inc, "obligation.set", obligation="assessment")
    expect(len(sets) == 1, f"want one obligation.set action, got {short(sets)}")
    lo, hi = due_window(ob["due_at"], before, after, 3.0)

    step1 = wait_until(lambda: at_least(2, by_id(
        sink.webhooks(incident=key, reason="escalation", step=1))),
        8, "two step-1 escalation webhooks")
    for p in step1.values():
        expect(p.wall >= lo - 0.01, f"step-1 webhook to {p.body.get('recipient')} arrived "
               f"{lo - p.wall:.3f}s before the due time")
        expect(p.wall <= hi + 1.0, f"step-1 webhook to {p.body.get('recipient')} arrived "
               f"{p.wall - hi:.3f}s after the due time (limit 1s)")
    got = sorted((p.body.get("recipient"), p.body.get("role")) for p in step1.values())
    expect(got == [("office", "office"), ("sun", "deputy")],
           f"step-1 recipients/roles: want office/office and sun/deputy, got {got}")
    sun = next(p.body for p in step1.values() if p.body.get("recipient") == "sun")
    for field, want in (("procedure", "netsec"), ("obligation", "assessment"),
                        ("policy", "standard"), ("channel", "hook"), ("unit", "hosp-a"),
                        ("phone", "+8613800000003"), ("recipient_name", "孙三"), ("grade", 3)):
        expect(sun.get(field) == want, f"step-1 body {field}: want {want!r}, got {short(sun)}")

    # Step 2 (principal, 2 s after the breach) follows; then the breach is settled.
    first = min(p.mono for p in step1.values())
    li = wait_until(lambda: sink.webhooks(incident=key, reason="escalation", step=2, recipient="li"),
                    6, "the step-2 webhook to li")[0]
    expect(1.5 <= li.mono - first <= 3.0,
           f"step 2 came {li.mono - first:.2f}s after step 1 (want about 2s)")

    for p in sink.webhooks():
        problem = signature_problem(p)
        expect(problem is None, f"webhook {p.id}: {problem}")
    inc = d.incident(key)
    breached = timeline(inc, "obligation.breached", obligation="assessment")
    expect(len(breached) == 1, f"want exactly one obligation.breached, got {short(breached)}")
    expect(obligation(inc, "assessment").get("status") == "breached",
           f"obligation after due: {short(obligation(inc, 'assessment'))}")
    d.stop()


def test_met_before_due_no_breach():
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    key = "inc-met"
    d.accept(report(key))
    d.accept({"type": "assessment", "incident": key, "unit": "hosp-a", "grade": 3,
              "summary": "已完成研判，定为较大事件"})
    inc = d.incident(key)
    ob = obligation(inc, "assessment")
    expect(ob.get("status") == "met" and ob.get("met_at"), f"obligation after assessment: {short(ob)}")
    expect(timeline(inc, "obligation.met", obligation="assessment"),
           f"no obligation.met action in {short(timeline(inc))}")

    until = time.monotonic() + (parse_time(ob["due_at"]) + 1.0 + 1.5 - time.time())

    def breach_seen():
        now = d.incident(key)
        return (timeline(now, "obligation.breached")
                or sink.webhooks(incident=key, reason="escalation")
                or sink.webhooks(incident=key, reason="breach")
                or (obligation(now, "assessment").get("status") != "met"
                    and obligation(now, "assessment")))
    stays_false(breach_seen, until, "a met obligation still breached")
    d.stop()


def test_ack_stops_escalation():
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    key = "inc-ack"
    d.accept(report(key))
    step1 = wait_until(lambda: at_least(2, by_id(
        sink.webhooks(incident=key, reason="escalation", step=1))),
        8, "two step-1 escalation webhooks")
    breach = min(p.mono for p in step1.values())
    r = d.request("POST", f"/v1/incidents/{key}/ack", {"by": "zhao"})
    expect(r.status == 200, f"ack: want 200, got {r!r}")
    expect(time.monotonic() < breach + 2.0, "harness too slow: ack came after step 2 was due")
    r = d.request("POST", "/v1/incidents/nope/ack", {"by": "zhao"})
    expect(r.status == 404, f"ack of an unknown incident: want 404, got {r!r}")

    stays_false(lambda: sink.webhooks(incident=key, recipient="li"),
                breach + 2.0 + 3.0, "step 2 was sent after the ack")
    inc = d.incident(key)
    expect(timeline(inc, "incident.acknowledged"),
           f"no incident.acknowledged in {short(timeline(inc))}")
    late_steps = [a for a in timeline(inc, "escalation.step") if a.get("step", 0) >= 2]
    expect(not late_steps, f"escalation went on after the ack: {short(late_steps)}")
    d.stop()


def test_resolve_cancels():
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    key = "inc-resolve"
    d.accept(report(key))
    r = d.request("POST", f"/v1/incidents/{key}/resolve", {"by": "zhao"})
    expect(r.status == 200, f"resolve: want 200, got {r!r}")
    inc = d.incident(key)
    ob = obligation(inc, "assessment")
    expect(ob.get("status") == "cancelled", f"obligation after resolve: {short(ob)}")
    expect(inc.get("state") == "closed", f"incident state after resolve: {inc.get('state')!r}")
    expect(timeline(inc, "obligation.cancelled", obligation="assessment"),
           f"no obligation.cancelled in {short(timeline(inc))}")
    expect(timeline(inc, "incident.resolved"), f"no incident.resolved in {short(timeline(inc))}")

    until = time.monotonic() + (parse_time(ob["due_at"]) + 1.0 + 1.5 - time.time())
    stays_false(lambda: timeline(d.incident(key), "obligation.breached")
                or sink.webhooks(incident=key, reason="escalation"),
                until, "a resolved incident still breached")
    expect(obligation(d.incident(key), "assessment").get("status") == "cancelled",
           "obligation status changed after the due time")
    r = d.request("POST", "/v1/incidents/nope/resolve", {"by": "zhao"})
    expect(r.status == 404, f"resolve of an unknown incident: want 404, got {r!r}")
    d.stop()


BIDI_CONTROLS = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
                 "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def test_bidi_controls_refused_at_ingest():
    """A bidi control in any field the duty room reads (title, summary,
    location, by, unit, incident, id) is refused, 400 invalid_value with
    the field named, on /v1/events and in the body of a REST ack; nothing
    reaches the board."""
    sink = Sink()
    d = Daemon(site_files(sink, due="1h")).start()
    d.accept(report("inc-bidi-ok"))
    for c in BIDI_CONTROLS:
        for field in ("title", "summary", "location", "by", "unit", "incident", "id"):
            r = d.post_events(report("inc-bidi", **{field: f"门户网站{c}被篡改"}))
            err = (r.data or {}).get("error") or {}
            expect(r.status == 400 and err.get("code") == "invalid_value"
                   and err.get("field") == field,
                   f"U+{ord(c):04X} in {field}: want 400 invalid_value {field}, got {r!r}")
        r = d.request("POST", "/v1/incidents/inc-bidi-ok/ack", {"by": f"赵{c}一"})
        err = (r.data or {}).get("error") or {}
        expect(r.status == 400 and err.get("code") == "invalid_value" and err.get("field") == "by",
               f"U+{ord(c):04X} in a REST ack's by: {r!r}")
    board = d.request("GET", "/v1/board").data
    keys = [i.get("key") for i in board.get("incidents", [])]
    expect(keys == ["inc-bidi-ok"], f"the board shows only the clean report: {keys}")
    expect(d.incident("inc-bidi-ok").get("acknowledged_by") is None, "an ack got through")
    d.stop()


def test_idempotent_id():
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    key = "inc-idem"
    ev = report(key, id="evt-idem-1")
    first = d.accept(ev)[0]
    expect(first.get("duplicate") is False and first.get("id") == "evt-idem-1"
           and first.get("incident") == key, f"first answer: {short(first)}")
    second = d.accept(ev)[0]
    expect(second.get("duplicate") is True, f"second answer: want duplicate true, got {short(second)}")
    events = d.incident(key).get("events")
    expect(isinstance(events, list) and len(events) == 1,
           f"want one stored event, got {short(events)}")
    d.stop()
    rows = d.query_db("SELECT count(*) FROM events WHERE id = ?", "evt-idem-1")
    expect(rows[0][0] == 1, f"events table holds {rows[0][0]} rows for the id")


def test_one_batch_reads_its_own_writes():
    """A batch asks its events' first questions at once (store-ahead.c); an
    event after one that opened its incident, or sent its id, in the same
    batch must see what that one wrote, not what the batch first read."""
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    key = "inc-one-batch"
    opened = report(key, id="evt-batch-1")
    answers = d.accept([
        opened,
        {"type": "assessment", "incident": key, "unit": "hosp-a", "grade": 3,
         "id": "evt-batch-2", "summary": "已完成研判，定为较大事件"},
        dict(opened),
        dict(report("inc-one-batch-b"), id="evt-batch-3"),
        {"type": "assessment", "incident": "inc-one-batch-b", "unit": "hosp-a",
         "grade": 2, "summary": "升级为重大事件"},
    ])
    expect(len(answers) == 5, f"want five answers, got {short(answers)}")
    expect([a.get("duplicate") for a in answers] == [False, False, True, False, False],
           f"duplicates: want only the third, got {short(answers)}")
    inc = d.incident(key)
    expect(len(inc.get("events") or []) == 2,
           f"want the report and the assessment stored, got {short(inc.get('events'))}")
    expect(obligation(inc, "assessment").get("status") == "met",
           f"the assessment in the same batch met the obligation: {short(obligation(inc, 'assessment'))}")
    b = d.incident("inc-one-batch-b")
    expect(b.get("grade") == 2, f"the second incident's grade after its assessment: {short(b)}")
    d.stop()


def test_kill9_durability():
    sink = Sink()
    d = Daemon(site_files(sink, due="1h")).start()
    keys = [f"inc-dur-{i}" for i in range(4)]
    acked = collections.defaultdict(set)        # incident -> acknowledged ids

    def send(batch, as_array):
        accepted = d.accept(batch if as_array else batch[0])
        for ev, a in zip(batch, accepted):
            expect(a.get("id") == ev["id"] and a.get("duplicate") is False,
                   f"accepted entry {short(a)} for {ev['id']}")
            acked[ev["incident"]].add(ev["id"])

    send([report(k, id=f"r-{k}") for k in keys], True)
    n, sizes = 4, [1, 1, 10, 1, 25, 1, 40, 1, 1, 60]
    for i, size in enumerate(sizes * 3):
        if n >= 200:
            break
        size = min(size, 200 - n)
        batch = [{"id": f"u-{n + j}", "type": "update", "incident": keys[(n + j) % 4],
                  "unit": "hosp-a", "summary": f"续报 {n + j}"} for j in range(size)]
        send(batch, size > 1 or i % 4 == 0)
        n += size
    d.kill9()                                    # right after the last 202

    d.start()
    for k in keys:
        events = d.incident(k).get("events") or []
        expect(len(events) == len(acked[k]),
               f"{k}: {len(acked[k])} events acknowledged, {len(events)} after kill -9")
    d.stop()
    stored = {row[0] for row in d.query_db("SELECT id FROM events")}
    lost = set().union(*acked.values()) - stored
    expect(sum(map(len, acked.values())) == 200, "harness sent the wrong number of events")
    expect(not lost, f"{len(lost)} acknowledged events lost after kill -9: {sorted(lost)[:10]}")


def test_deadline_passes_while_down():
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    key = "inc-down"
    d.accept(report(key))
    posted = time.time()
    d.kill9()
    wait_until(lambda: time.time() >= posted + 3.0 + 1.0, 10, "the due time to pass")

    d.start()
    breached = wait_until(lambda: timeline(d.incident(key), "obligation.breached"), 5,
                          "obligation.breached after the restart")
    expect(len(breached) == 1 and breached[0].get("late") is True,
           f"want one obligation.breached with \"late\": true, got {short(breached)}")
    step1 = wait_until(lambda: at_least(2, by_id(
        sink.webhooks(incident=key, reason="escalation", step=1))),
        5, "the step-1 webhooks after the restart")
    got = sorted(p.body.get("recipient") for p in step1.values())
    expect(got == ["office", "sun"], f"step-1 recipients: {got}")
    for p in step1.values():
        problem = signature_problem(p)
        expect(problem is None, f"webhook {p.id}: {problem}")
    d.stop()


def test_bad_input():
    sink = Sink()
    d = Daemon(site_files(sink, body_limit=4096)).start()
    ok = report("inc-bad", id="never-stored")

    def without(field, ev=ok):
        return {k: v for k, v in ev.items() if k != field}

    J = "application/json"
    cases = [
        # name, body, content type, status, acceptable codes (None: any), field
        ("malformed json", b'{"type": "report", "unit": ', J, 400, {"invalid_json"}, None),
        ("not an object", b"42", J, 400, {"not_an_object"}, None),
        ("array of a string", b'["report"]', J, 400, {"not_an_object"}, None),
        ("grade X", dict(ok, grade="X"), J, 400, {"invalid_value", "wrong_type"}, "grade"),
        ("grade 5", dict(ok, grade=5), J, 400, {"invalid_value"}, "grade"),
        ("unit 5", dict(ok, unit=5), J, 400, {"wrong_type"}, "unit"),
        ("no type", without("type"), J, 400, {"missing_field"}, "type"),
        ("report without category", without("category"), J, 400, {"missing_field"}, "category"),
        ("no unit", without("unit"), J, 400, {"missing_field"}, "unit"),
        ("incident key too long", dict(ok, incident="k" * 129), J, 400, None, "incident"),
        ("invalid utf-8", b'{"type":"report","incident":"inc-bad","category":"network_security",'
                          b'"unit":"hosp-a","title":"\xe5\x9b\xff\xfe"}', J, 400, {"invalid_utf8"}, None),
        ("over body_limit", dict(ok, summary="x" * 5000), J, 413, {"body_too_large"}, None),

        ("text/plain", ok, "text/plain", 415, None, None),
        ("form-urlencoded", ok, "application/x-www-form-urlencoded", 415, None, None),
        ("array, second bad", [dict(ok, id="arr-first"), without("unit", dict(ok, id="arr-2"))],
         J, 400, {"missing_field"}, "unit"),
        ("update for unknown incident", {"type": "update", "incident": "inc-never", "unit": "hosp-a"},
         J, 400, {"unknown_incident"}, None),
        ("assessment for unknown incident",
         {"type": "assessment", "incident": "inc-never", "unit": "hosp-a", "grade": 2},
         J, 400, {"unknown_incident"}, None),
    ]
    problems = []
    # A flood far past the limit is refused from its Content-Length alone,
    # before the body is read: the status is all there is to check.
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as c:
        c.sendall(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: 100000000\r\n\r\n{")
        line = c.recv(256).split(b"\r\n", 1)[0]
    if b" 413 " not in line + b" ":
        problems.append(f"flood past the limit: want 413, got {line!r}")
    for name, body, ctype, status, codes, field in cases:
        try:
            r = d.post_events(body, ctype)
        except OSError as e:
            problems.append(f"{name}: no answer ({e})")
            continue
        err = (r.data or {}).get("error") if isinstance(r.data, dict) else None
        if r.status != status:
            problems.append(f"{name}: want {status}, got {r!r}")
        elif not isinstance(err, dict) or not isinstance(err.get("code"), str) \
                or not isinstance(err.get("message"), str):
            problems.append(f"{name}: want a JSON error with code and message, got {r!r}")
        elif codes is not None and err["code"] not in codes:
            problems.append(f"{name}: want code {sorted(codes)}, got {err['code']!r}")
        elif field is not None and err.get("field") != field:
            problems.append(f"{name}: want field {field!r}, got {err.get('field')!r}")

    # Whatever the answers were, the daemon must be alive and have stored nothing.
    if d.request("GET", "/healthz").status != 200:
        problems.append("/healthz is not 200 after bad input")
    r = d.request("GET", "/v1/incidents/inc-bad")
    if r.status != 404:
        problems.append(f"GET of an incident only bad events named: want 404, got {r!r}")
    r = d.request("GET", "/v1/incidents?state=all")
    if r.status != 200 or (r.data or {}).get("incidents") != []:
        problems.append(f"incident list after bad input: want empty, got {r!r}")
    d.stop()
    for table in ("events", "incidents", "outbox", "timeline"):
        n = d.query_db(f"SELECT count(*) FROM {table}")[0][0]
        if n:
            problems.append(f"bad input stored {n} rows in {table}")
    expect(not problems, "; ".join(problems))


def test_gateway_down_then_back():
    sink = Sink()
    d = Daemon(site_files(sink, due="1s")).start()
    key = "inc-gateway"
    sink.fail_for(2.0, 503)
    d.accept(report(key))

    # on_open office, step 1 office + sun at 1 s, step 2 li at 3 s.
    def all_delivered():
        ns = d.notifications(key)
        done = all(n.get("status") == "delivered" for n in ns)
        return ns if done and len(ns) >= 4 and any(n.get("recipient") == "li" for n in ns) else None
    wait_until(all_delivered, 30, "every notification (step 2 included) to be delivered")

    def ok_counts():
        return collections.Counter(p.id for p in sink.webhooks(incident=key) if p.status == 200)
    stays_false(lambda: {i: c for i, c in ok_counts().items() if c > 1},
                time.monotonic() + 1.5, "delivered more than once after a 200")
    ns = d.notifications(key)
    expect(sink.webhooks(incident=key) and any(p.status == 503 for p in sink.webhooks(incident=key)),
           "the sink never answered 503: the test did not exercise retries")

    delivered = set(ok_counts())
    keys = {n.get("key") for n in ns}
    expect(delivered == keys,
           f"delivered ids {sorted(delivered)} differ from the outbox keys {sorted(keys)}")
    expect(any((n.get("attempts") or 0) > 1 for n in ns),
           f"no notification needed more than one attempt: {short(ns)}")

    # Backoff: no hammering, first retry after about 0.5..1 s.
    attempts = collections.defaultdict(list)
    for p in sink.webhooks(incident=key):
        attempts[p.id].append(p.mono)
    for wid, times in attempts.items():
        gaps = [b - a for a, b in zip(times, times[1:])]
        expect(all(g >= 0.4 for g in gaps), f"{wid}: retries too close together: {gaps}")
        if gaps:
            expect(gaps[0] <= 1.6, f"{wid}: first retry after {gaps[0]:.2f}s (want 0.5..1s)")
    for p in sink.webhooks(incident=key):
        problem = signature_problem(p)
        expect(problem is None, f"webhook {p.id}: {problem}")

    d.stop()
    rows = d.query_db("SELECT key, status FROM outbox WHERE incident = ?", key)
    expect({r[0] for r in rows} == delivered,
           f"outbox keys {sorted(r[0] for r in rows)} vs delivered {sorted(delivered)}")
    expect(all(r[1] == "delivered" for r in rows), f"outbox rows not delivered: {rows}")


def ctl(d, *args):
    r = subprocess.run([harness.TOCSINCTL, "--url", d.base, *args], capture_output=True, text=True,
                       timeout=30, env=CLEAN_ENV)
    with open(d.log_path, "a", encoding="utf-8") as log:
        log.write(f"=== harness: tocsinctl {' '.join(args)} -> {r.returncode}\n"
                  f"{r.stdout[-2000:]}{r.stderr[-2000:]}\n")
    return r


def test_compliance_ledger():
    """A breached assessment filed late shows in the ledger as late, by how much."""
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    d.accept(report("inc-late"))
    d.accept(report("inc-cancel", unit="hosp-b"))
    d.request("POST", "/v1/incidents/inc-cancel/resolve", {"by": "zhao"})
    wait_until(lambda: timeline(d.incident("inc-late"), "obligation.breached"), 6,
               "the breach of inc-late")
    d.accept({"type": "assessment", "incident": "inc-late", "unit": "hosp-a"})
    r = d.request("GET", "/v1/compliance")
    expect(r.status == 200, f"compliance: want 200, got {r!r}")
    rows = {row["incident"]: row for row in r.data.get("obligations", [])}
    late = rows.get("inc-late") or {}
    expect(late.get("status") == "late" and isinstance(late.get("late_s"), int)
           and late["late_s"] >= 0 and late.get("met_at"), f"inc-late row: {short(late)}")
    expect((rows.get("inc-cancel") or {}).get("status") == "cancelled",
           f"inc-cancel row: {short(rows.get('inc-cancel'))}")
    r = d.request("GET", "/v1/compliance?unit=hosp-b")
    expect([row["incident"] for row in r.data.get("obligations", [])] == ["inc-cancel"],
           f"unit filter: {short(r.data)}")
    r = d.request("GET", "/v1/compliance?from=yesterday")
    expect(r.status == 400, f"a bad from: want 400, got {r!r}")
    out = ctl(d, "compliance", "--format", "csv")
    lines = out.stdout.splitlines()
    # A UTF-8 BOM first, so that Excel and WPS read the Chinese as UTF-8.
    expect(out.returncode == 0 and lines and lines[0].startswith("\ufeffincident,recurring,unit"),
           f"csv header: {out.stdout[:200]!r} {out.stderr!r}")
    expect(any(l.startswith("inc-late,") and ",late," in l for l in lines),
           f"csv rows: {lines}")
    d.stop()


def test_reload():
    """SIGHUP: broken rules are refused and the old ones run on; good ones swap in."""
    sink = Sink()
    d = Daemon(site_files(sink, due="1h")).start()
    d.accept(report("inc-before"))
    extra = os.path.join(d.dir, "extra.lua")
    with open(extra, "w", encoding="utf-8") as f:
        f.write('procedure "drill" { match = { category = "drill" }, '
                'on_open = { notify = { "office" } }, bogus = 1 }\n')
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "reload failed" in open(d.log_path, encoding="utf-8").read(), 5,
               "the failed reload in the log")
    log = open(d.log_path, encoding="utf-8").read()
    expect(re.search(r'level=warn rules: problem="[^"\n]*extra\.lua:1: '
                     r'procedure \\"drill\\": unknown key \\"bogus\\""\n', log),
           "the log does not say where the broken rule is, as one quoted problem= value")
    d.accept(report("inc-old-rules"))
    expect(d.incident("inc-old-rules").get("procedures") == ["netsec"],
           "the old rules stopped working after a failed reload")
    d.accept({"type": "report", "incident": "drill-1", "category": "drill", "unit": "hosp-a"})
    expect(d.incident("drill-1").get("procedures") == [], "a refused rule was loaded")

    with open(extra, "w", encoding="utf-8") as f:
        f.write('procedure "drill" { match = { category = "drill" }, '
                'on_open = { notify = { "office" } } }\n')
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "reloaded procedures=2" in open(d.log_path, encoding="utf-8").read(),
               5, "the good reload in the log")
    d.accept({"type": "report", "incident": "drill-2", "category": "drill", "unit": "hosp-a"})
    expect(d.incident("drill-2").get("procedures") == ["drill"], "the new rule is not in use")
    # The obligation set before the reloads is still pending.
    ob = obligation(d.incident("inc-before"), "assessment")
    expect(ob.get("status") == "pending", f"obligation across reloads: {short(ob)}")
    d.stop()


def test_stop_during_delivery():
    """SIGTERM with a webhook in flight: a clean exit, and it is sent after restart."""
    sink = Sink()
    sink.hold(30)
    d = Daemon(site_files(sink, due="1h")).start()
    d.accept(report("inc-slow"))
    wait_until(lambda: sink.arrived >= 1, 5, "the open notification reaching the gateway")
    d.stop()        # fails the test unless the exit is clean (sanitizers included)
    rows = d.query_db("SELECT status FROM outbox")
    expect(rows == [("sending",)], f"outbox after a stop mid-delivery: {rows}")
    sink.release()
    d.start()
    wait_until(lambda: [n.get("status") for n in
                        d.request("GET", "/v1/notifications").data["notifications"]]
               == ["delivered"], 10, "the interrupted delivery sent after the restart")
    keys = {p.headers.get("webhook-id") for p in sink.webhooks(incident="inc-slow")}
    expect(len(keys) == 1, f"one notification, one idempotency key on every attempt: {keys}")
    d.stop()


def test_tocsinctl():
    expect(os.access(harness.TOCSINCTL, os.X_OK), f"{harness.TOCSINCTL} is not built")
    sink = Sink()
    d = Daemon(site_files(sink, due="1h")).start()
    key = "inc-ctl"
    path = os.path.join(d.dir, "event.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report(key, id="ctl-1"), f, ensure_ascii=False)

    r = ctl(d, "post", path)
    expect(r.returncode == 0, f"post: exit {r.returncode}: {r.stderr.strip()}")
    expect(len(d.incident(key).get("events") or []) == 1, "post did not store the event")

    r = ctl(d, "incidents")
    expect(r.returncode == 0 and key in r.stdout, f"incidents: exit {r.returncode}, output {r.stdout!r}")

    r = ctl(d, "show", key)
    expect(r.returncode == 0, f"show: exit {r.returncode}: {r.stderr.strip()}")
    try:
        shown = json.loads(r.stdout)
    except ValueError:
        raise TestFailure(f"show did not print JSON: {r.stdout[:300]!r}")
    expect(isinstance(shown, dict) and shown.get("key") == key, f"show printed {short(shown)}")

    r = ctl(d, "ack", key)
    expect(r.returncode == 0, f"ack: exit {r.returncode}: {r.stderr.strip()}")
    expect(timeline(d.incident(key), "incident.acknowledged"), "ack did not acknowledge")

    r = ctl(d, "resolve", key)
    expect(r.returncode == 0, f"resolve: exit {r.returncode}: {r.stderr.strip()}")
    expect(d.incident(key).get("state") == "closed", "resolve did not close the incident")

    r = ctl(d, "show", "nope")
    expect(r.returncode != 0, f"show nope: exit 0, output {r.stdout!r}")
    d.stop()


def test_check_config():
    base = harness.CTX.subdir("check")
    org = ORG.format(url="http://127.0.0.1:9/hook", secret=SECRET)
    head = 'site { listen = "127.0.0.1:8470", timezone = "Asia/Shanghai", rules = { "r" } }\n' + org
    os.makedirs(os.path.join(base, "r"))
    with open(os.path.join(base, "r", "policies.lua"), "w", encoding="utf-8") as f:
        f.write(POLICY)
    for name, policy in (("bad.lua", "no-such-policy"), ("good.lua", "standard")):
        with open(os.path.join(base, name), "w", encoding="utf-8") as f:
            f.write(head + PROCEDURE.format(due="3s", policy=policy))
    first = head.count("\n") + 1                     # the procedure's lines
    last = first + PROCEDURE.count("\n") - 1

    def check(name):
        r = subprocess.run([harness.TOCSIND, "-c", name, "--check"], cwd=base, capture_output=True,
                           text=True, timeout=30, env=CLEAN_ENV)
        return r.returncode, r.stdout + r.stderr

    rc, out = check("bad.lua")
    expect(rc == 1, f"--check of bad.lua: want exit 1, got {describe_exit(rc)}: {out.strip()!r}")
    lines = [m for m in re.finditer(r"bad\.lua:(\d+):.*unknown policy", out, re.I)]
    expect(lines, f"--check of bad.lua: no 'bad.lua:LINE: ...unknown policy' line in {out.strip()!r}")
    expect(any(first <= int(m.group(1)) <= last for m in lines),
           f"--check of bad.lua: line number not within the procedure (lines {first}-{last}): {out.strip()!r}")

    rc, out = check("good.lua")
    expect(rc == 0, f"--check of good.lua: want exit 0, got {describe_exit(rc)}: {out.strip()!r}")
