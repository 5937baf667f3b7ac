"""A cluster on PostgreSQL (SPEC §9, docs/cluster.md): several tocsind nodes
on one database, one fenced leader.  Only under make check-pg
(TOCSIN_E2E_PG): skipped on SQLite, where the one node always leads.

Each node has its own webhook sink, so that every send is seen, and which
node made it.  Leases are short here (1-2 s): the waits are real time.
"""

import harness
from harness import *

INCIDENTS = 12


def cluster_files(sink, lease, spool=False):
    extra = ', spool = "spool"' if spool else ""
    site = (f'site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", '
            f'rules = {{ "." }}, lease = "{lease}"{extra} }}\n'
            + ORG.format(url=sink.url(), secret=SECRET))
    rules = PROCEDURE.format(due="3s", policy="standard") + "\n" + POLICY
    return {"site.lua": site, "rules.lua": rules}


def cluster(n, lease, spool=False):
    """n nodes on one new database, the first leading; their sinks.  With
    spool, each node watches a spool directory of its own (DIR/spool)."""
    db = pg_database()
    sinks = [Sink() for _ in range(n)]
    nodes = [Daemon(cluster_files(s, lease, spool), db=db) for s in sinks]
    nodes[0].start()
    for d in nodes[1:]:
        d.start(leader=False)
    return nodes, sinks, db


def leader_of(nodes):
    """The node whose GET /v1/leader answers 200, or None."""
    for d in nodes:
        if d.proc is not None and d.proc.poll() is None and d.leads():
            return d
    return None


def skip_unless_pg():
    if not PG_URL:
        print("    (skipped: a cluster needs PostgreSQL; make check-pg runs it)")
        return True
    return False


def lease_row(db):
    return pg_query(db, "SELECT holder, term FROM leader_lease")[0]


def test_cluster_roles():
    """One leader; standbys answer reads and /healthz, writes with 503 and
    Retry-After; /v1/leader and tocsinctl status say who leads."""
    if skip_unless_pg():
        return
    (a, b), _, db = cluster(2, "2s")
    expect(a.leads() and not b.leads(), "want the first node leading, the second not")
    r = b.request("GET", "/v1/leader")
    expect(r.status == 503 and r.headers.get("Retry-After") == "1",
           f"GET /v1/leader on a standby: want 503 with Retry-After, got {r!r}")
    expect(r.data["role"] == "standby" and r.data["term"] is None
           and r.data["leader"]["holder"] == f"{socket.gethostname()} 127.0.0.1:{a.port}",
           f"a standby's view of the leader: {r.data}")
    la = a.request("GET", "/v1/leader").data
    expect(la["role"] == "leader" and la["term"] == r.data["leader"]["term"]
           and la["lease_ms"] == 2000, f"the leader's view: {la}")
    r = b.post_events(report("inc-standby", id="ev-standby"))
    expect(r.status == 503 and r.headers.get("Retry-After") == "1"
           and (r.data or {}).get("error", {}).get("code") == "not_leader",
           f"POST /v1/events on a standby: want 503 not_leader with Retry-After, got {r!r}")
    a.accept(report("inc-roles", id="ev-roles"))
    # A standby reloads its rules like a leader (it has no watchman to tell).
    b.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: any("daemon: reloaded" in l for l in b.log_tail(50)), 5,
               "the standby to reload on SIGHUP")
    expect(b.request("GET", "/healthz").status == 200, "GET /healthz on a standby")
    expect(b.incident("inc-roles")["key"] == "inc-roles", "a standby reads incidents")
    out = subprocess.run([harness.TOCSINCTL, "--url", b.base, "status"], capture_output=True,
                         text=True, env=CLEAN_ENV)
    expect(out.returncode == 0 and re.search(r"role:\s+standby, lease 2000 ms", out.stdout)
           and re.search(rf"leader:\s+.*127\.0\.0\.1:{a.port}, term {la['term']}", out.stdout),
           f"tocsinctl status on a standby:\n{out.stdout}{out.stderr}")
    out = subprocess.run([harness.TOCSINCTL, "--url", a.base, "status"], capture_output=True,
                         text=True, env=CLEAN_ENV)
    expect(re.search(rf"role:\s+leader, term {la['term']}, lease 2000 ms", out.stdout),
           f"tocsinctl status on the leader:\n{out.stdout}{out.stderr}")
    # A clean stop hands over at once: the lease is released.
    a.stop()
    t = time.monotonic()
    wait_until(b.leads, 3, "the standby to lead after the leader's clean stop")
    print(f"    takeover after a clean stop: {time.monotonic() - t:.2f}s")
    b.stop()


class Poster(threading.Thread):
    """A client that keeps posting new events, each id until some node
    answers 202, trying the nodes in turn: what a sender does in a failover."""

    def __init__(self, nodes):
        super().__init__(daemon=True)
        self.nodes = nodes
        self.accepted = []
        self.stopping = False

    def run(self):
        i = k = 0
        while not self.stopping:
            ev = report(f"inc-load-{i % 4}", id=f"ev-load-{i}")
            d = self.nodes[k % len(self.nodes)]
            try:
                ok = d.post_events(ev).status == 202
            except OSError:
                ok = False
            if ok:
                self.accepted.append(ev["id"])
                i += 1
            else:
                k += 1
                time.sleep(0.05)


def test_cluster_kill9_takeover():
    """kill -9 of the leader: another leads within 10 s; every 202 stored
    once; every due notification delivered; a repeat only of a row that was
    `sending`, with its key."""
    if skip_unless_pg():
        return
    nodes, sinks, db = cluster(3, "2s")
    a = nodes[0]
    sinks[0].hold(60)                  # the leader's sends hang in flight
    poster = Poster(nodes)
    poster.start()
    for i in range(INCIDENTS):
        a.accept(report(f"inc-k-{i}", id=f"ev-k-{i}"))
    wait_until(lambda: sinks[0].arrived >= 4, 5, "the leader's first sends to be in flight")
    a.kill9()
    t_kill = time.monotonic()
    sending = {r[0] for r in pg_query(db, "SELECT key FROM outbox WHERE status = 'sending'")}
    new = wait_until(lambda: leader_of(nodes[1:]), 10, "another node to lead within 10 s")
    took = time.monotonic() - t_kill
    print(f"    takeover after kill -9: {took:.2f}s (lease 2s)")
    n = len(poster.accepted)
    wait_until(lambda: len(poster.accepted) >= n + 5, 5, "ingest to go on at the new leader")
    want = {(f"inc-k-{i}", reason, step, who) for i in range(INCIDENTS)
            for reason, step, who in (("opened", None, "office"),
                                      ("escalation", 1, "office"),
                                      ("escalation", 1, "sun"),
                                      ("escalation", 2, "li"))}

    def seen():
        got = set()
        for s in sinks[1:]:
            for p in s.webhooks():
                b = p.body
                got.add((b.get("incident"), b.get("reason"), b.get("step"), b.get("recipient")))
        return got

    wait_until(lambda: want <= seen(), 20,
               "every due notification delivered by the new leader")
    poster.stopping = True
    poster.join(15)
    sinks[0].release()
    for d in nodes[1:]:
        d.stop()
    # Every 202 stored once.
    rows = pg_query(db, "SELECT id, count(*) FROM events WHERE id LIKE 'ev-%' GROUP BY id")
    stored = {r[0]: r[1] for r in rows}
    for ev in [f"ev-k-{i}" for i in range(INCIDENTS)] + poster.accepted:
        expect(stored.get(ev) == 1, f"event {ev} answered 202, stored {stored.get(ev, 0)} times")
    # Repeats: only keys that were `sending` at the kill; one key per send.
    posts = [p for s in sinks for p in s.webhooks()]
    count = collections.Counter(p.id for p in posts)
    dups = {k for k, n in count.items() if n > 1}
    expect(dups <= sending, f"repeated keys not `sending` at the kill: {sorted(dups - sending)}")
    per = collections.defaultdict(set)
    for p in posts:
        b = p.body
        per[(b.get("incident"), b.get("reason"), b.get("step"), b.get("recipient"))].add(p.id)
    two = {k: v for k, v in per.items() if len(v) > 1}
    expect(not two, f"one notification sent under two keys: {two}")
    print(f"    {len(poster.accepted)} events accepted during the failover; "
          f"{len(dups)} keys repeated (of {len(sending)} `sending` at the kill)")


def test_cluster_sigstop_fenced():
    """SIGSTOP of the leader for three lease periods, then SIGCONT: another
    leads meanwhile; the old one commits nothing under its old term, sends
    nothing new, and steps down (exits 75 for its service manager)."""
    if skip_unless_pg():
        return
    (a, b), (sa, sb), db = cluster(2, "1s")
    for i in range(INCIDENTS):
        a.accept(report(f"inc-s-{i}", id=f"ev-s-{i}"))
    wait_until(lambda: len(sa.webhooks(reason="opened")) >= INCIDENTS, 5,
               "the leader to send the on-open notifications")
    _, term = lease_row(db)
    a.proc.send_signal(signal.SIGSTOP)
    t_stop = time.monotonic()
    try:
        wait_until(b.leads, 10, "the standby to lead while the leader is stopped")
        print(f"    takeover after SIGSTOP: {time.monotonic() - t_stop:.2f}s (lease 1s)")
        # Work waiting for the stopped node at SIGCONT: a request in its
        # backlog, and breaches falling due (3 s) on its old timers.
        late = {}

        def post_late():
            try:
                late["status"] = a.post_events(report("inc-late", id="ev-late")).status
            except OSError as e:
                late["status"] = repr(e)

        poster = threading.Thread(target=post_late, daemon=True)
        poster.start()
        rest = t_stop + 3 * 1.0 - time.monotonic()
        if rest > 0:
            stays_false(lambda: a.proc.poll() is not None, time.monotonic() + rest,
                        "the stopped node to stay stopped")
        before = len(sa.posts)
        holder, new_term = lease_row(db)
        expect(new_term == term + 1 and holder.endswith(f":{b.port}"),
               f"lease after takeover: {holder!r} term {new_term} (old term {term})")
    finally:
        a.proc.send_signal(signal.SIGCONT)
    wait_until(lambda: a.proc.poll() is not None, 10, "the old leader to step down (exit)")
    a.expected_exit = True
    rc = a.proc.returncode
    expect(rc == 75, f"the old leader exited {describe_exit(rc)}; want 75 (EX_TEMPFAIL)")
    poster.join(10)
    expect(late.get("status") != 202, f"the stopped node took a write after SIGCONT: {late}")
    # The new leader delivers every breach; the old sends nothing new.
    wait_until(lambda: len({p.body["incident"] for p in sb.webhooks(reason="escalation", step=2)})
               >= INCIDENTS, 20, "the new leader to deliver every step 2")
    expect(len(sa.posts) == before,
           f"the old leader sent {len(sa.posts) - before} notifications after SIGCONT")
    b.stop()
    expect(pg_query(db, "SELECT count(*) FROM events WHERE id = 'ev-late'") == [(0,)],
           "the event posted to the stopped node was stored")
    holder, last = lease_row(db)
    expect(last == term + 1, f"the lease's term went from {term + 1} to {last}")
    expect(any("the lease is lost; stepping down" in l for l in a.log_tail(200)),
           "the old leader's log does not say it stepped down")


# ---------------------------------------------------------------- the spool on a standby

def spool_of(d):
    return os.path.join(d.dir, "spool")


def drop(d, name, body):
    """As a producer does: write under a dot name, then rename it in."""
    if not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode("utf-8")
    tmp = os.path.join(spool_of(d), f".{name}.tmp")
    with open(tmp, "wb") as f:
        f.write(body)
    os.rename(tmp, os.path.join(spool_of(d), name))


def in_spool(d, sub, name):
    return os.path.exists(os.path.join(spool_of(d), sub, name))


def logged(d, text, lines=400):
    return any(text in l for l in d.log_tail(lines))


def inbox_rows(db):
    return pg_query(db, "SELECT count(*) FROM spool_inbox")[0][0]


def test_cluster_spool_forward():
    """A file dropped in a standby's spool goes to the leader through the
    database: stored once on the leader, its notification sent once (by the
    leader), the file moved to done/ on the standby.  A malformed file goes
    to the standby's rejected/ with its .error; one the leader refuses is
    deleted from the inbox, logged and counted there."""
    if skip_unless_pg():
        return
    (a, b), (sa, sb), db = cluster(2, "2s", spool=True)
    expect(a.leads() and not b.leads(), "want the first node leading, the second not")
    t = time.monotonic()
    drop(b, "fwd.json", report("inc-fwd"))
    wait_until(lambda: in_spool(b, "done", "fwd.json"), 5, "fwd.json in the standby's done/")
    expect(logged(b, "spool: forwarded to the leader, moved to done/ file=fwd.json"),
           "the standby's log does not say it forwarded fwd.json")
    wait_until(lambda: a.request("GET", "/v1/incidents/inc-fwd").status == 200, 5,
               "the leader to store the forwarded report")
    print(f"    a standby's spool file stored by the leader after {time.monotonic() - t:.2f}s "
          "(the leader takes the inbox every second)")
    wait_until(lambda: sa.webhooks(reason="opened"), 5, "the leader to send the on-open notification")
    rows = pg_query(db, "SELECT id FROM events WHERE incident = 'inc-fwd'")
    expect(len(rows) == 1 and rows[0][0].startswith("spool:"),
           f"want one stored event with a spool id, got {rows}")
    expect(inbox_rows(db) == 0, "the inbox still holds the forwarded file")
    expect(logged(a, 'spool: stored a forwarded file node="') and
           logged(a, "file=fwd.json events=1 duplicates=0"),
           "the leader's log does not say it stored the forwarded file")
    # The same file again (a standby that crashed between its commit and
    # its move reads it again: same name, identity and content, so the
    # same id prefix): the leader stores nothing new.
    prefix = rows[0][0].rsplit(":", 1)[0]
    pg_query(db, "INSERT INTO spool_inbox (node, name, id_prefix, body, received_at) "
             "VALUES ('again', 'fwd.json', ?, ?, 0)", prefix,
             json.dumps(report("inc-fwd"), ensure_ascii=False))
    wait_until(lambda: logged(a, "file=fwd.json events=1 duplicates=1"), 5,
               "the leader to take the repeated row as a duplicate")
    b_metrics = b.request("GET", "/metrics").raw.decode()
    expect(re.search(r'^tocsin_spool_files_total\{result="forwarded"\} 1$', b_metrics, re.M),
           "the standby's /metrics does not count the forwarded file")

    # Malformed: refused on the standby, as a single node would.
    drop(b, "bad.json", b'{"type": "report", "unit": ')
    wait_until(lambda: in_spool(b, "rejected", "bad.json"), 5, "bad.json in the standby's rejected/")
    with open(os.path.join(spool_of(b), "rejected", "bad.json.error"), encoding="utf-8") as f:
        err = json.load(f)["error"]
    expect(err["code"] == "invalid_json" and err.get("message"), f"bad.json.error: {err}")
    # Refused by the leader (an update to no incident): deleted, logged.
    drop(b, "orphan.json", {"type": "update", "incident": "inc-never", "unit": "hosp-a"})
    wait_until(lambda: in_spool(b, "done", "orphan.json"), 5, "orphan.json in the standby's done/")
    wait_until(lambda: logged(a, "spool: a forwarded file refused; deleted from the inbox"), 5,
               "the leader to log the refused forwarded file")
    expect(logged(a, "file=orphan.json code=unknown_incident"),
           "the leader's refusal does not name the file and the code")
    a_metrics = a.request("GET", "/metrics").raw.decode()
    expect(re.search(r'^tocsin_spool_files_total\{result="inbox_rejected"\} 1$', a_metrics, re.M)
           and re.search(r'^tocsin_spool_files_total\{result="inbox_done"\} 2$', a_metrics, re.M),
           "the leader's /metrics does not count the forwarded files")
    expect(inbox_rows(db) == 0, "the inbox still holds a row")
    stays_false(lambda: len(sa.webhooks(reason="opened", incident="inc-fwd")) > 1 or sb.posts,
                time.monotonic() + 1, "a second on-open notification")
    a.stop()
    b.stop()
    expect(pg_query(db, "SELECT count(*) FROM events WHERE incident = 'inc-fwd'")[0][0] == 1,
           "the forwarded report was stored more than once")
    expect(pg_query(db, "SELECT count(*) FROM events WHERE incident = 'inc-never'")[0][0] == 0,
           "the refused file stored an event")


def test_cluster_spool_forward_leader_killed():
    """kill -9 of the leader; a file dropped in a standby's spool before
    the lease runs out is forwarded into the inbox with no leader to take
    it; the next leader ingests it at takeover: stored once, notified once;
    the takeover itself ingests the new leader's spool directly."""
    if skip_unless_pg():
        return
    (a, b), (sa, sb), db = cluster(2, "3s", spool=True)
    a.accept(report("inc-before", id="ev-before"))
    a.kill9()
    drop(b, "while.json", report("inc-while"))
    wait_until(lambda: in_spool(b, "done", "while.json"), 2, "while.json in the standby's done/")
    expect(not b.leads(), "the standby led before the dead leader's lease ran out")
    expect(inbox_rows(db) == 1, "the forwarded file is not in the inbox")
    st = b.request("GET", "/v1/status").data["cluster"]
    expect(st.get("spool_inbox") == 1, f"GET /v1/status on the standby: cluster {st}")
    out = subprocess.run([harness.TOCSINCTL, "--url", b.base, "status"], capture_output=True,
                         text=True, env=CLEAN_ENV)
    expect(re.search(r"spool inbox:\s+1 forwarded files waiting for the leader", out.stdout),
           f"tocsinctl status on the standby:\n{out.stdout}{out.stderr}")
    wait_until(b.leads, 10, "the standby to lead after kill -9")
    wait_until(lambda: b.request("GET", "/v1/incidents/inc-while").status == 200, 5,
               "the new leader to store the forwarded report")
    wait_until(lambda: sb.webhooks(reason="opened", incident="inc-while"), 5,
               "the new leader to send the forwarded report's on-open notification")
    expect(inbox_rows(db) == 0, "the inbox still holds the forwarded file")
    # Now the leader: its own spool goes straight in.
    drop(b, "after.json", report("inc-after"))
    wait_until(lambda: in_spool(b, "done", "after.json"), 5, "after.json in the new leader's done/")
    wait_until(lambda: logged(b, "spool: stored, moved to done/ file=after.json"), 5,
               "the new leader to ingest its own spool directly")
    stays_false(lambda: len(sb.webhooks(reason="opened", incident="inc-while")) > 1,
                time.monotonic() + 1, "a second on-open notification")
    b.stop()
    n = pg_query(db, "SELECT count(*) FROM events WHERE incident = 'inc-while'")[0][0]
    expect(n == 1, f"the forwarded report was stored {n} times")
