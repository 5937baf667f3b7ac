"""A cluster on PostgreSQL (SPEC §9, docs/cluster.md): several tocsind nodes
on one database, one fenced leader.  Only under make check-pg
(TOCSIN_E2E_PG): skipped on SQLite, where the one node always leads.

Each node has its own webhook sink, so that every send is seen, and which
node made it.  Leases are short here (1-2 s): the waits are real time.

The long form (TOCSIN_LONG=1, make check-pg LONG=1) adds the crash loop on
a cluster: three nodes under the crash loop's load (crashload.py), the
leader killed with kill -9 30 times, each killed node started again as a
standby, and every crash-loop check afterwards (one sink for all three
there: arrivals are counted by key, whichever node sent them).
"""

import http.client
import random
import statistics

import harness
from harness import *
from crashload import (audit, crash_files, idle, join_load, Load, read_log, start_clients, summary,
                       wait_in_flight)

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


# ---------------------------------------------------------------- the crash loop

CRASH_KILLS = 30
CRASH_LEASE = 2.0           # seconds; a takeover: at most this plus the 1 s take interval
CRASH_EVENTS = 20000        # events, spread over CRASH_SPREAD seconds
CRASH_SPREAD = 120.0        # about as long as 30 kills and takeovers take
TAKEOVER_LIMIT = 10.0       # SPEC §9: another node leads within 10 s


class Watch(threading.Thread):
    """GET /v1/leader on every node, pass after pass, and the lease row
    about twice a second: who led when, under which term."""

    def __init__(self, nodes, db):
        super().__init__(daemon=True)
        self.nodes, self.db = nodes, db
        self.lock = threading.Lock()
        # (began, [(node index, term, answered at)], sure): sure when
        # every node answered or refused the connection (no timeout).
        self.passes = []
        self.rows = []              # (time, holder, term) of the lease row
        self.problems = []
        self.stopping = threading.Event()

    def sample(self):
        began, leaders, sure = time.time(), [], True
        for i, d in enumerate(self.nodes):
            try:
                r = http_request("GET", d.base + "/v1/leader", timeout=2)
            except ConnectionError:
                continue                # dead or not yet listening: not leading
            except (OSError, http.client.HTTPException):
                sure = False            # a timeout: it might lead
                continue
            if r.status == 200:
                leaders.append((i, (r.data or {}).get("term"), time.time()))
            elif r.status != 503:
                sure = False
        return began, leaders, sure

    def run(self):
        last_row = 0.0
        while not self.stopping.is_set():
            p = self.sample()
            with self.lock:
                self.passes.append(p)
            if len(p[1]) > 1:
                self.problems.append(f"{len(p[1])} nodes answered GET /v1/leader 200 in one "
                                     f"pass at {p[0]:.3f}: {p[1]}")
            if time.monotonic() - last_row >= 0.5:
                last_row = time.monotonic()
                try:
                    for holder, term in pg_query(self.db, "SELECT holder, term FROM leader_lease"):
                        self.rows.append((time.time(), holder, term))
                except subprocess.CalledProcessError as e:
                    self.problems.append(f"reading the lease: {e.stderr.strip()}")
            self.stopping.wait(0.05)

    def takeover(self, since, limit):
        """After since (a kill): (the last moment a sure pass saw no
        leader, the first answer 200, the node) once some node leads."""
        deadline = since + limit
        while True:
            with self.lock:
                after = [p for p in self.passes if p[0] > since]
            last_none = since
            for began, leaders, sure in after:
                if leaders:
                    return last_none, leaders[0][2], leaders[0][0]
                if sure:
                    last_none = began
            if time.time() > deadline:
                raise TestFailure(f"no node led within {limit:.0f} s of the kill")
            time.sleep(POLL)

    def last_led(self, i):
        """When node i last answered GET /v1/leader 200 (0 if never)."""
        with self.lock:
            return max((t for _, leaders, _ in self.passes
                        for j, _, t in leaders if j == i), default=0.0)


def reap(nodes, watch, state):
    """Start again a node that stepped down on its own (exit 75, as its
    service manager would); any other exit fails the test."""
    for i, d in enumerate(nodes):
        rc = d.proc.poll()
        if rc is None:
            continue
        if rc != 75:
            raise TestFailure(f"node {i} died on its own ({describe_exit(rc)})")
        led = watch.last_led(i)
        d.start(leader=False)
        if led == 0.0:                 # a standby that lost the database
            state["standby_exits"] += 1
            continue
        # A leader that lost its lease: nothing due after it last answered
        # 200 need have fired before the next leader took over.
        state["stepdowns"] += 1
        _, first, _ = watch.takeover(led, TAKEOVER_LIMIT + time.time() - led)
        state["down"].append((led, led, first))


def cluster_killer(nodes, watch, rng, load, clients_done, stop, state):
    try:
        while not stop.is_set():
            if state["kills"] >= CRASH_KILLS and clients_done.is_set():
                return
            # As on SQLite: mostly 0.5-3 s after the last takeover, now
            # and then within 0.2 s of it, while the new leader sends what
            # the kill cut short and fires what fell due meanwhile.
            until = time.monotonic() + (rng.uniform(0.5, 3.0) if rng.random() < 0.8
                                        else rng.uniform(0, 0.2))
            while not stop.is_set() and time.monotonic() < until:
                reap(nodes, watch, state)
                stop.wait(min(0.05, max(0.0, until - time.monotonic())))
            if stop.is_set():
                return
            wait_in_flight(load, rng)
            d = leader_of(nodes)
            if d is None:
                continue
            i = nodes.index(d)
            killed = time.time()
            d.kill9()
            state["kills"] += 1
            if not clients_done.is_set():
                state["under_load"] += 1
            d.start(leader=False)        # three nodes again: this one a standby
            last_none, first, who = watch.takeover(killed, TAKEOVER_LIMIT)
            state["down"].append((killed, last_none, first))
            state["takeovers"].append(first - killed)
            state["by_self"] += who == i
    except Exception as e:       # reported by the main thread
        state["error"] = f"{type(e).__name__}: {e}"
        stop.set()


def test_cluster_crash_loop():
    """30 leader kills under the crash loop's load (LONG): every crash-loop
    check holds; the lease's term only grows, by one a takeover; each
    takeover within 10 s; never two nodes answering GET /v1/leader 200."""
    if skip_unless_pg():
        return
    if not LONG:
        print("    (skipped: the long form; make check-pg LONG=1 runs it)")
        return
    crash_loop(pg_database(), "cluster crash loop")


def crash_loop(db, label):
    """The crash loop's load on three fenced nodes sharing the database
    at URL db, 30 leader kills, and every check (test_cluster_crash_loop;
    test_patroni.py runs it on the Patroni cluster)."""
    seed = int(os.environ.get("TOCSIN_CRASH_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    sink = Sink()                      # one gateway for every node: arrivals by key
    nodes = [Daemon(crash_files(sink, f"{CRASH_LEASE:g}s"), db=db) for _ in range(3)]
    nodes[0].start()
    for d in nodes[1:]:
        d.start(leader=False)
    _, first_term = lease_row(db)
    watch = Watch(nodes, db)
    watch.start()
    began = time.monotonic()

    load, stop, clients_done = Load(), threading.Event(), threading.Event()
    threads = start_clients(nodes, CRASH_EVENTS, seed, CRASH_SPREAD, load, stop)
    state = {"kills": 0, "under_load": 0, "stepdowns": 0, "standby_exits": 0, "by_self": 0,
             "error": None, "down": [], "takeovers": []}
    killer = threading.Thread(target=cluster_killer, daemon=True,
                              args=(nodes, watch, rng, load, clients_done, stop, state))
    killer.start()
    limit = began + CRASH_SPREAD * 4 + 600
    join_load(threads, killer, clients_done, stop, limit, load, seed, state)
    loaded = time.monotonic()

    # Let everything due fire and every notification go out.
    wait_until(lambda: (d := leader_of(nodes)) is not None and idle(d), 120,
               "every due timer fired and the outbox empty")
    drained = time.monotonic()
    watch.stopping.set()
    watch.join(10)
    for d in nodes:
        rc = d.proc.poll()
        expect(rc is None, f"a node died on its own after the load ({describe_exit(rc)})")
    leader = leader_of(nodes)
    expect(leader is not None, "no node leads after the load")
    for d in nodes:                    # the standbys first: nobody takes over
        if d is not leader:
            d.stop()
    leader.stop()

    # The lease: never two nodes leading at once, terms that only grow,
    # and one new term for each takeover.
    expect(not watch.problems, "; ".join(watch.problems[:3]))
    terms = [t for _, _, t in watch.rows]
    expect(terms and all(a <= b for a, b in zip(terms, terms[1:])),
           f"the lease's term went down: {terms}")
    answered = [(t, i, term) for _, leaders, _ in watch.passes for i, term, t in leaders]
    back = [(a, b) for a, b in zip(answered, answered[1:])
            if b[2] < a[2] or (b[1] != a[1] and b[2] == a[2])]
    expect(not back, f"a leader answered with an older or its predecessor's term: {back[:3]}")
    _, last_term = lease_row(db)
    takes = state["kills"] + state["stepdowns"]
    expect(last_term == first_term + takes,
           f"the lease's term went from {first_term} to {last_term} in {takes} takeovers")
    took = state["takeovers"]
    expect(len(took) == state["kills"] and max(took) <= TAKEOVER_LIMIT,
           f"takeovers: {took}")

    log = [line for d in nodes for line in read_log(d)]
    f = audit(lambda sql, *a: pg_query(db, sql, *a), sink, load, CRASH_EVENTS, takes,
              state["down"], log, sqlite=False)
    print(f"  {label} (seed {seed}, lease {CRASH_LEASE:g}s): {summary(load, f)}; "
          f"kills {state['kills']} ({state['under_load']} under load), step-downs "
          f"{state['stepdowns']}, standbys restarted {state['standby_exits']}; takeovers min "
          f"{min(took):.2f}s median {statistics.median(took):.2f}s max {max(took):.2f}s "
          f"({state['by_self']} by the node just killed, restarted); terms {first_term} to {last_term}; elapsed "
          f"{loaded - began:.1f}s load + {drained - loaded:.1f}s drain", flush=True)


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
