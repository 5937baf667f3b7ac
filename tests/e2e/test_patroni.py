"""PostgreSQL made highly available as docs/cluster.md says: three etcd
members and three Patroni nodes on loopback, configured from the document's
own patroni.yml (addresses, ports and paths changed, trust on loopback),
and tocsind on the libpq multi-host URL with target_session_attrs=read-write.

The primary's node is killed (Patroni and PostgreSQL, kill -9): writes are
not accepted until Patroni promotes the synchronous standby, then go on
with every event accepted before still there; then a planned switchover.
tocsind exits 75 when it loses the primary; here the test restarts it, as
systemd does with the drop-in in docs/cluster.md.

Then several fenced tocsind nodes (SPEC §9) on the same layout, under a
client that keeps posting: the primary's node killed, then a switchover;
30 leader kills under the crash loop's load (test_cluster.py's); then
(where iptables and its owner match work, as root) the leading tocsind
cut from PostgreSQL by a firewall rule on its own user.

Runs with `make check-cluster` (TOCSIN_E2E_CLUSTER=1), which needs Debian's
patroni, etcd-server and postgresql-15; skipped otherwise."""

import json
import re
import shutil
import urllib.request

import harness
from harness import *
from test_cluster import INCIDENTS, Poster, cluster_files, crash_loop, leader_of

PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "cluster.md")
NODES = ("n1", "n2", "n3")


def as_postgres(argv):
    """PostgreSQL refuses to run as root: as root, run as postgres."""
    if os.getuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def doc_patroni():
    """The patroni.yml docs/cluster.md gives, as a dict."""
    import yaml
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    for body in re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M):
        if body.startswith("# /etc/patroni/config.yml"):
            return yaml.safe_load(body)
    raise TestFailure("no patroni.yml in docs/cluster.md")


class Cluster:
    def __init__(self):
        self.dir = harness.CTX.subdir("cluster")
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            for up in (os.path.dirname(self.dir), os.path.dirname(os.path.dirname(self.dir))):
                os.chmod(up, 0o755)      # postgres must reach its directory
        self.ports = {n: {k: free_port() for k in ("client", "peer", "rest", "pg")}
                      for n in NODES}
        self.etcd, self.patroni = {}, {}

    def start(self):
        initial = ",".join(f"{n}=http://127.0.0.1:{self.ports[n]['peer']}" for n in NODES)
        for n in NODES:
            p = self.ports[n]
            log = open(os.path.join(self.dir, f"etcd-{n}.log"), "wb")
            self.etcd[n] = subprocess.Popen(
                ["etcd", "--name", n, "--data-dir", os.path.join(self.dir, f"etcd-{n}"),
                 "--listen-client-urls", f"http://127.0.0.1:{p['client']}",
                 "--advertise-client-urls", f"http://127.0.0.1:{p['client']}",
                 "--listen-peer-urls", f"http://127.0.0.1:{p['peer']}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{p['peer']}",
                 "--initial-cluster", initial, "--initial-cluster-token", "tocsin-test",
                 "--initial-cluster-state", "new"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        for n in NODES:
            self.start_patroni(n)
            if n == "n1":
                wait_until(lambda: self.primary() == "n1", 60, "n1 to bootstrap as primary")
        wait_until(lambda: self.sync_standby() is not None, 90,
                   "a synchronous standby streaming")
        return self

    def config(self, n):
        import yaml
        conf = doc_patroni()
        p = self.ports[n]
        conf["name"] = n
        conf["restapi"] = {"listen": f"127.0.0.1:{p['rest']}",
                           "connect_address": f"127.0.0.1:{p['rest']}"}
        conf["etcd3"] = {"hosts": ",".join(f"127.0.0.1:{self.ports[m]['client']}"
                                           for m in NODES)}
        pg = conf["postgresql"]
        pg["listen"] = f"127.0.0.1:{p['pg']}"
        pg["connect_address"] = f"127.0.0.1:{p['pg']}"
        pg["data_dir"] = os.path.join(self.dir, f"pg-{n}")
        pg["bin_dir"] = PGBIN
        pg["pgpass"] = os.path.join(self.dir, f"pgpass-{n}")
        pg["parameters"]["unix_socket_directories"] = self.dir
        pg["parameters"]["shared_buffers"] = "32MB"
        pg["pg_hba"] = ["local all all trust", "host replication all 127.0.0.1/32 trust",
                        "host all all 127.0.0.1/32 trust"]
        path = os.path.join(self.dir, f"patroni-{n}.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(conf, f)
        return path

    def start_patroni(self, n):
        path = self.config(n)
        log = open(os.path.join(self.dir, f"patroni-{n}.log"), "ab")
        self.patroni[n] = subprocess.Popen(as_postgres(["patroni", path]), stdout=log,
                                           stderr=log, stdin=subprocess.DEVNULL,
                                           start_new_session=True)

    def rest(self, n, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[n]['rest']}{path}",
                                        timeout=2) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, None
        except OSError:
            return None, None

    def primary(self, alive=NODES):
        for n in alive:
            if self.rest(n, "/primary")[0] == 200:
                return n
        return None

    def sync_standby(self, alive=NODES):
        for n in alive:
            if self.rest(n, "/sync")[0] == 200:
                return n
        return None

    def url(self, db="tocsin"):
        hosts = ",".join(f"127.0.0.1:{self.ports[n]['pg']}" for n in NODES)
        return (f"postgresql://postgres@{hosts}/{db}"
                "?target_session_attrs=read-write&connect_timeout=2")

    def kill_node(self, n):
        """The node dies: Patroni and its PostgreSQL, kill -9."""
        pid_file = os.path.join(self.dir, f"pg-{n}", "postmaster.pid")
        with open(pid_file) as f:
            pg_pid = int(f.readline())
        os.killpg(self.patroni[n].pid, signal.SIGKILL)
        self.patroni[n].wait()
        try:
            os.kill(pg_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def switchover(self, leader, candidate):
        path = os.path.join(self.dir, f"patroni-{leader}.yml")
        r = subprocess.run(as_postgres(["patronictl", "-c", path, "switchover", "--leader",
                                        leader, "--candidate", candidate, "--force"]),
                           capture_output=True, text=True, timeout=60)
        expect(r.returncode == 0, f"patronictl switchover: {r.stdout}{r.stderr}")

    def stop(self):
        for proc in self.patroni.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        for n in NODES:
            pid_file = os.path.join(self.dir, f"pg-{n}", "postmaster.pid")
            try:
                with open(pid_file) as f:
                    os.kill(int(f.readline()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        for proc in self.etcd.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def keep_running(d, until, what):
    """Start tocsind again whenever it exits (75: the primary lost), as
    systemd does, until until() holds."""
    def step():
        if d.proc.poll() is not None:
            d.expected_exit = True
            try:
                d.start()
            except TestFailure:
                return False
        return until()
    return wait_until(step, 90, what)


def accepted(d, key):
    try:
        r = d.post_events(report(key))
    except OSError:
        return False
    return r.status == 202


def test_patroni_failover_and_switchover():
    if skip_unless_cluster():
        return
    c = started_cluster()
    try:
        sink = Sink()
        d = Daemon(site_files(sink, due="60s"))
        d.db = c.url()
        d.start()
        keys = [f"inc-{i}" for i in range(20)]
        for k in keys[:10]:
            expect(accepted(d, k), f"POST {k} before the failover")

        old = c.primary()
        killed = time.monotonic()
        c.kill_node(old)
        alive = [n for n in NODES if n != old]
        new = wait_until(lambda: c.primary(alive), 60, "Patroni to promote a standby")
        promoted = time.monotonic() - killed
        keep_running(d, lambda: accepted(d, "inc-after-failover"),
                     "tocsind to accept events on the new primary")
        writable = time.monotonic() - killed
        for k in keys[:10]:
            expect(d.incident(k).get("key") == k, f"{k}, accepted before, lost in the failover")
        print(f"    failover: {old} killed; {new} primary after {promoted:.1f}s, "
              f"tocsind accepting after {writable:.1f}s")

        c.start_patroni(old)                        # the node back, as a standby
        wait_until(lambda: c.sync_standby(alive) is not None or
                   c.sync_standby() is not None, 90, "a synchronous standby again")
        for k in keys[10:]:
            expect(keep_running(d, lambda: accepted(d, k), f"POST {k}"), f"POST {k}")
        # With synchronous_mode, Patroni switches over to the synchronous
        # standby only.
        cand = wait_until(lambda: c.sync_standby(), 60, "a synchronous standby to switch to")
        started = time.monotonic()
        c.switchover(new, cand)
        keep_running(d, lambda: c.primary() == cand and accepted(d, "inc-after-switchover"),
                     "tocsind to accept events after the switchover")
        print(f"    switchover {new} -> {cand}: tocsind accepting after "
              f"{time.monotonic() - started:.1f}s")
        for k in keys:
            expect(d.incident(k).get("key") == k, f"{k} lost")
        d.stop()
    finally:
        c.stop()


# ------------------------------------------------- several fenced tocsind nodes

LEASE = 2.0                             # seconds: the nodes' lease period


def skip_unless_cluster():
    if os.environ.get("TOCSIN_E2E_CLUSTER") != "1":
        print("    (skipped: make check-cluster runs it)")
        return True
    for tool in ("patroni", "patronictl", "etcd", os.path.join(PGBIN, "initdb")):
        expect(shutil.which(tool), f"{tool} is not installed (apt-get install patroni "
               "etcd-server postgresql-15)")
    return False


def started_cluster():
    """The cluster, started, with its database; stopped again if that fails
    (nothing of it left running for the tests after)."""
    c = Cluster()
    try:
        c.start()
        r = subprocess.run([harness.PSQL, "-qAt", c.url("postgres"), "-c",
                            "CREATE DATABASE tocsin"], capture_output=True, text=True)
        expect(r.returncode == 0, f"CREATE DATABASE: {r.stderr}")
    except BaseException:
        c.stop()
        raise
    return c


class Supervisor(threading.Thread):
    """systemd for one node (Restart=on-failure, RestartSec=1s, as the
    drop-in in docs/cluster.md): starts it again a second after it exits,
    and records each exit."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.exits = []                 # (monotonic, status)
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.1):
            rc = self.d.proc.poll()
            if rc is None:
                continue
            self.d.expected_exit = True
            self.exits.append((time.monotonic(), rc))
            if self.stopping.wait(1.0):             # RestartSec, not a test's wait
                return
            try:
                self.d.start(leader=False)
            except TestFailure:
                pass                                # exited again: the next round sees it

    def finish(self):
        self.stopping.set()
        self.join(30)


class Watch(threading.Thread):
    """Samples who leads, all along: the lease row (through the primary)
    and every node's GET /v1/leader.  One leader at a time means a term is
    only ever held by one node and terms only grow."""

    def __init__(self, c, nodes):
        super().__init__(daemon=True)
        self.c, self.nodes = c, nodes
        self.rows = []                  # (holder, term) as the lease row went
        self.claims = collections.defaultdict(set)     # term -> ports answering 200
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.2):
            try:
                row = pg_query(self.c.url(), "SELECT holder, term FROM leader_lease")
            except subprocess.CalledProcessError:
                row = []                # no primary right now
            if row and (not self.rows or self.rows[-1] != row[0]):
                self.rows.append(row[0])
            for d in self.nodes:
                try:
                    r = d.request("GET", "/v1/leader")
                except OSError:
                    continue
                if r.status == 200:
                    self.claims[r.data["term"]].add(d.port)

    def finish(self):
        self.stopping.set()
        self.join(30)
        terms = [t for _, t in self.rows]
        expect(terms == sorted(terms), f"the lease's term went down: {self.rows}")
        holders = collections.defaultdict(set)
        for h, t in self.rows:
            holders[t].add(h)
        two = {t: h for t, h in holders.items() if len(h) > 1}
        expect(not two, f"a term held by two nodes in the lease row: {two}")
        two = {t: p for t, p in self.claims.items() if len(p) > 1}
        expect(not two, f"two nodes answered GET /v1/leader 200 with one term: {two}")
        return terms


def due_notifications(keys):
    """What every incident of keys must have sent (the cluster_files
    procedure: opened, step 1 to two, step 2 to one)."""
    return {(k, reason, step, who) for k in keys
            for reason, step, who in (("opened", None, "office"),
                                      ("escalation", 1, "office"),
                                      ("escalation", 1, "sun"),
                                      ("escalation", 2, "li"))}


def sent(sinks):
    got = set()
    for s in sinks:
        for p in s.webhooks():
            b = p.body
            got.add((b.get("incident"), b.get("reason"), b.get("step"), b.get("recipient")))
    return got


def accept_somewhere(nodes, ev, timeout=90):
    """POST ev until a node answers 202, as a sender does."""
    def once():
        for d in nodes:
            try:
                if d.post_events(ev).status == 202:
                    return True
            except OSError:
                pass
        return False
    wait_until(once, timeout, f"a node to accept {ev['id']}")


class Nodes:
    """Three tocsind nodes on the Patroni cluster's multi-host URL, each
    with its own sink and supervisor, a poster and a watch running."""

    class NONE:                         # before they are started
        halt = staticmethod(lambda: None)

    def __init__(self, c, users=(None, None, None)):
        self.c = c
        self.sinks = [Sink() for _ in users]
        self.nodes = [Daemon(cluster_files(s, f"{LEASE:g}s"), db=c.url()) for s in self.sinks]
        for d, u in zip(self.nodes, users):
            if u:
                d.user = u
                for root, _, files in os.walk(d.dir):
                    for name in [root, *(os.path.join(root, f) for f in files)]:
                        shutil.chown(name, u, u)
        for d in self.nodes:
            d.start(leader=False)
        wait_until(lambda: leader_of(self.nodes), 15, "a tocsind to lead")
        self.sups = [Supervisor(d) for d in self.nodes]
        self.watch = Watch(c, self.nodes)
        self.poster = Poster(self.nodes)
        for t in (*self.sups, self.watch, self.poster):
            t.start()

    def halt(self):
        """No more restarts (before the cluster is torn down)."""
        for s in self.sups:
            s.stopping.set()
        self.poster.stopping = True

    def ingesting(self, more=5, timeout=30):
        n = len(self.poster.accepted)
        wait_until(lambda: len(self.poster.accepted) >= n + more, timeout,
                   "the poster's events to be accepted")

    def incident(self, tag, act, timeout=120):
        """INCIDENTS incidents opened (breaching 3 s later), then act()
        under the poster; the first answer not 202 after it and the first
        202 after that.  Every due notification delivered afterwards."""
        keys = [f"inc-{tag}-{i}" for i in range(INCIDENTS)]
        for k in keys:
            accept_somewhere(self.nodes, report(k, id=f"ev-{k}"))
        self.ingesting()
        t0 = time.monotonic()
        act()
        answers = self.poster.answers

        def resumed():
            fails = [a for a in answers if a[0] > t0 and a[2] != 202]
            return fails and any(a[0] > fails[0][0] and a[2] == 202 for a in answers)
        wait_until(resumed, timeout, f"writes to be accepted again after the {tag}")
        after = [a for a in answers if a[0] > t0]
        first_fail = next(a for a in after if a[2] != 202)
        back = next(a for a in after if a[0] > first_fail[0] and a[2] == 202)
        gap = [a for a in after if first_fail[0] <= a[0] < back[0]]
        kinds = collections.Counter("refused" if a[2] is None else a[2] for a in gap)
        expect(set(kinds) <= {503, "refused"},
               f"during the {tag} writes were answered {dict(kinds)}; want 503 or refused")
        wait_until(lambda: due_notifications(keys) <= sent(self.sinks), 60,
                   f"every due notification of the {tag}'s incidents delivered")
        return {"window": back[0] - first_fail[0], "first_202": back[0] - t0,
                "answers": dict(kinds)}

    def finish(self):
        """Everything stopped; every 202 stored exactly once; no
        notification under two keys; the lease's terms (returned)."""
        self.poster.stopping = True
        self.poster.join(15)
        terms = self.watch.finish()
        for s in self.sups:
            s.finish()
        for d in self.nodes:
            if d.proc.poll() is None:
                d.stop()
        rows = pg_query(self.c.url(),
                        "SELECT id, count(*) FROM events WHERE id LIKE 'ev-%' GROUP BY id")
        stored = {r[0]: r[1] for r in rows}
        acc = self.poster.accepted
        for ev in acc:
            expect(stored.get(ev) == 1, f"event {ev} answered 202, stored "
                   f"{stored.get(ev, 0)} times")
        per = collections.defaultdict(set)
        posts = [p for s in self.sinks for p in s.webhooks()]
        for p in posts:
            b = p.body
            per[(b.get("incident"), b.get("reason"), b.get("step"), b.get("recipient"))].add(p.id)
        two = {k: v for k, v in per.items() if len(v) > 1}
        expect(not two, f"one notification sent under two keys: {two}")
        count = collections.Counter(p.id for p in posts)
        print(f"    {len(acc)} events accepted, each stored once; {len(posts)} sends, "
              f"{sum(1 for n in count.values() if n > 1)} keys sent more than once; "
              f"lease terms {sorted(set(terms))}")
        return terms


def report_phase(what, m):
    print(f"    {what}: writes refused for {m['window']:.1f}s {m['answers']}, "
          f"first 202 {m['first_202']:.1f}s after it")


def test_patroni_fenced_nodes():
    """Three fenced tocsind nodes on the Patroni cluster under a client
    that keeps posting: the primary's node killed, then a switchover.
    Writes are refused (503, or no connection while the nodes restart)
    until the new primary takes them; every 202 is stored once, every due
    notification delivered, a lease term is held by one node only and
    terms only grow."""
    if skip_unless_cluster():
        return
    c = started_cluster()
    n = Nodes.NONE
    try:
        n = Nodes(c)
        old = c.primary()
        m = n.incident("kill", lambda: c.kill_node(old))
        report_phase(f"primary's node {old} killed", m)
        alive = [x for x in NODES if x != old]
        c.start_patroni(old)                        # back, as a standby
        wait_until(lambda: c.sync_standby() is not None, 90, "a synchronous standby again")
        n.ingesting()
        primary = c.primary()
        cand = c.sync_standby()
        expect(primary in alive and cand, f"primary {primary}, synchronous standby {cand}")
        m = n.incident("switchover", lambda: c.switchover(primary, cand))
        report_phase(f"switchover {primary} -> {cand}", m)
        n.finish()
    finally:
        n.halt()
        c.stop()


def test_patroni_crash_loop():
    """The crash loop of test_cluster.py on the Patroni cluster: three
    fenced tocsind nodes on the multi-host URL, the crash loop's load,
    30 leader kills; every crash-loop check holds, each takeover within
    10 s, the lease's term only grows, by one a takeover."""
    if skip_unless_cluster():
        return
    c = started_cluster()
    try:
        crash_loop(c.url(), "patroni crash loop")
    finally:
        c.stop()


# ------------------------------------------- the leader cut from PostgreSQL

CUT_USERS = ("tocsin-e2e-1", "tocsin-e2e-2", "tocsin-e2e-3")


def iptables_unavailable():
    """Why a firewall rule on a user's loopback traffic cannot be set
    here, or None: it needs root (CAP_NET_ADMIN), iptables and its owner
    match (xt_owner)."""
    if os.getuid() != 0:
        return "needs root (CAP_NET_ADMIN) to set iptables rules"
    if not shutil.which("iptables"):
        return "iptables is not installed (apt-get install iptables)"
    rule = ["OUTPUT", "-o", "lo", "-m", "owner", "--uid-owner", "0", "-p", "tcp",
            "--dport", str(free_port()), "-j", "DROP"]
    r = subprocess.run(["iptables", "-A", *rule], capture_output=True, text=True)
    if r.returncode != 0:
        return f"iptables -m owner refused: {r.stderr.strip()}"
    subprocess.run(["iptables", "-D", *rule], check=True)
    return None


def system_user(name):
    r = subprocess.run(["id", "-u", name], capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)
        r = subprocess.run(["id", "-u", name], capture_output=True, text=True, check=True)
    return int(r.stdout)


class Cut:
    """iptables: a user's TCP to the given ports on loopback dropped."""

    def __init__(self, uid, ports):
        self.rule = ["OUTPUT", "-o", "lo", "-m", "owner", "--uid-owner", str(uid), "-p",
                     "tcp", "-m", "multiport", "--dports", ",".join(map(str, ports)),
                     "-j", "DROP"]
        self.on = False

    def __enter__(self):
        r = subprocess.run(["iptables", "-A", *self.rule], capture_output=True, text=True)
        expect(r.returncode == 0, f"iptables -A {' '.join(self.rule)}: {r.stderr}")
        self.on = True
        return self

    def lift(self):
        if self.on:
            subprocess.run(["iptables", "-D", *self.rule], check=True)
            self.on = False

    def __exit__(self, *exc):
        self.lift()


def test_patroni_leader_cut_by_iptables():
    """Each tocsind as its own user; the leader's user cut from every
    PostgreSQL port by iptables (its packets dropped, nothing refused):
    another node takes the lease within 10 s, the cut one sends nothing
    once the new leader leads, commits nothing (its term never comes back),
    steps down (exits 75) and comes back as a standby when the cut is
    lifted; every 202 stored once, every due notification delivered."""
    if skip_unless_cluster():
        return
    why = iptables_unavailable()
    if why:
        print(f"    (skipped: {why})")
        return
    uids = {u: system_user(u) for u in CUT_USERS}
    c = started_cluster()
    n = Nodes.NONE
    try:
        n = Nodes(c, users=CUT_USERS)
        for k in (f"inc-cut-{i}" for i in range(INCIDENTS)):
            accept_somewhere(n.nodes, report(k, id=f"ev-{k}"))
        n.ingesting()
        lead = leader_of(n.nodes)
        i = n.nodes.index(lead)
        sup, sink = n.sups[i], n.sinks[i]
        holder, term = pg_query(c.url(), "SELECT holder, term FROM leader_lease")[0]
        expect(holder.endswith(f":{lead.port}"), f"lease {holder!r}, leader :{lead.port}")
        with Cut(uids[lead.user], [c.ports[x]["pg"] for x in NODES]) as cut:
            t_cut = time.monotonic()
            others = [d for d in n.nodes if d is not lead]
            new = wait_until(lambda: leader_of(others), 10, "another node to lead within 10 s")
            took = time.monotonic() - t_cut
            t_new = time.monotonic()
            wait_until(lambda: sup.exits and sup.exits[0][0] > t_cut, 30,
                       "the cut leader to step down (exit)")
            exited, rc = sup.exits[0]
            expect(rc == 75, f"the cut leader exited {describe_exit(rc)}; want 75")
            late = [p for p in sink.webhooks() if p.mono > t_new]
            expect(not late, f"the cut leader sent {len(late)} notifications after another "
                   "node led")
            last = max((p.mono for p in sink.webhooks()), default=t_cut)
            # A 202 answered just after the cut may be a COMMIT that made it
            # before; once another node leads, none can be.
            took_late = [a for a in n.poster.answers if a[1] == i and a[0] > t_new
                         and a[2] == 202]
            expect(not took_late, f"the cut leader accepted {len(took_late)} writes after "
                   "another node led")
            h2, t2 = pg_query(c.url(), "SELECT holder, term FROM leader_lease")[0]
            expect(t2 > term and h2.endswith(f":{new.port}"),
                   f"lease after the cut: {h2!r} term {t2} (was {holder!r} term {term})")
            print(f"    leader cut at its user: another led after {took:.2f}s (lease "
                  f"{LEASE:g}s); the cut one's last send {last - t_cut:+.2f}s, its exit "
                  f"(75) {exited - t_cut:.1f}s after the cut")
        def back():
            try:
                return lead.proc.poll() is None and lead.request("GET", "/healthz").status == 200
            except OSError:
                return False
        wait_until(back, 30, "the cut node back (a standby) once the cut is lifted")
        expect(not lead.leads(), "the cut node leads again at once")
        n.ingesting()
        keys = [f"inc-cut-{i}" for i in range(INCIDENTS)]
        wait_until(lambda: due_notifications(keys) <= sent(n.sinks), 60,
                   "every due notification delivered")
        n.finish()                      # its term never comes back: terms only grow
    finally:
        n.halt()
        c.stop()
