"""A cluster on PostgreSQL (SPEC §9, docs/cluster.md): several tocsind nodes
on one database, one fenced leader.  Only under make check-pg
(TOCSIN_E2E_PG): skipped on SQLite, where the one node always leads.

Each node has its own webhook sink, so that every send is seen, and which
node made it.  Leases are short here (1-2 s): the waits are real time.
"""

import harness
from harness import *

INCIDENTS = 12


def cluster_files(sink, lease):
    site = (f'site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", '
            f'rules = {{ "." }}, lease = "{lease}" }}\n'
            + ORG.format(url=sink.url(), secret=SECRET))
    rules = PROCEDURE.format(due="3s", policy="standard") + "\n" + POLICY
    return {"site.lua": site, "rules.lua": rules}


def cluster(n, lease):
    """n nodes on one new database, the first leading; their sinks."""
    db = pg_database()
    sinks = [Sink() for _ in range(n)]
    nodes = [Daemon(cluster_files(s, lease), db=db) for s in sinks]
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
        self.answers = []               # (monotonic, node index, status; None: refused)
        self.stopping = False

    def run(self):
        i = k = 0
        while not self.stopping:
            ev = report(f"inc-load-{i % 4}", id=f"ev-load-{i}")
            d = self.nodes[k % len(self.nodes)]
            try:
                status = d.post_events(ev).status
            except OSError:
                status = None
            self.answers.append((time.monotonic(), k % len(self.nodes), status))
            ok = status == 202
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
