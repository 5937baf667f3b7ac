"""The leader cut from PostgreSQL on one plain server (docs/cluster.md,
"The leader cut from PostgreSQL"): tocsind runs as its own system user and
an iptables rule drops that user's packets to the server's port, so that
nothing is refused and the leader learns of the cut only when TCP gives
up (tcp_user_timeout).  It must step down -- exit 75, for its service
manager -- within a lease period plus tcp_user_timeout (and a second's
grace), with one wait for the network and not two, and commit nothing
after the cut.  Only under make check-pg (TOCSIN_E2E_PG), as root, with
iptables and its owner match; skipped, saying which is missing, elsewhere.
The rule is always deleted, whatever happens.
"""

import shutil
import threading

import harness
from harness import *
from test_patroni import Cut, iptables_unavailable, system_user

CUT_USER = "tocsin-e2e-1"
LEASE = 2.0                     # s
USER_TIMEOUT = 10.0             # s: store-pg.c's tcp_user_timeout default
# Exit within a lease period plus tcp_user_timeout, and a second's grace
# (the kernel's last retransmission, the process's exit).
BOUND = LEASE + USER_TIMEOUT + 1.0


def cut_files(sink):
    site = (f'site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", '
            f'rules = {{ "." }}, lease = "{LEASE:g}s" }}\n'
            + ORG.format(url=sink.url(), secret=SECRET))
    rules = PROCEDURE.format(due="3s", policy="standard") + "\n" + POLICY
    return {"site.lua": site, "rules.lua": rules}


class Poster(threading.Thread):
    """Events posted to the node one after another, each answer kept with
    when it came (monotonic): the node is busy writing when it is cut."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.answers = []           # (mono, status, key)
        self.stop = threading.Event()

    def run(self):
        i = 0
        while not self.stop.is_set():
            key = f"inc-cut-{i}"
            try:
                r = http_request("POST", self.d.base + "/v1/events",
                                 report(key, id=f"ev-{key}"), timeout=30)
                status = r.status
            except OSError:
                status = None
            self.answers.append((time.monotonic(), status, key))
            i += 1
            self.stop.wait(0.05)


def counts(db):
    return pg_query(db, "SELECT (SELECT count(*) FROM events), "
                        "(SELECT count(*) FROM timeline), (SELECT count(*) FROM outbox), "
                        "(SELECT term FROM leader_lease), "
                        "(SELECT (extract(epoch FROM expires_at) * 1000)::bigint "
                        "FROM leader_lease)")[0]


def test_pg_leader_cut_exits_in_bound():
    """The only node, leading and ingesting, cut from its PostgreSQL by an
    iptables rule on its user: it exits 75 within a lease period plus
    tcp_user_timeout, its log says the database lost once (no second wait
    on the step-down path), and no row, no renewal of the lease, and no
    202 came from it after the cut."""
    cut_leader(ingest=True)


def test_pg_idle_leader_cut_exits_in_bound():
    """The same with the leader idle: its next renewal (on its timer, a
    third of the lease) is the statement that waits; the same bound."""
    cut_leader(ingest=False)


def cut_leader(ingest):
    if not PG_URL:
        print("    (skipped: needs PostgreSQL; make check-pg runs it)")
        return
    why = iptables_unavailable()
    if why:
        print(f"    (skipped: {why})")
        return
    uid = system_user(CUT_USER)
    port = int(re.search(r"@[^:/]+:(\d+)/", PG_URL).group(1))
    sink = Sink()
    d = Daemon(cut_files(sink), args=["--log-level", "debug"])
    d.user = CUT_USER
    for root, _, files in os.walk(d.dir):
        for name in [root, *(os.path.join(root, f) for f in files)]:
            shutil.chown(name, CUT_USER, CUT_USER)
    # The user must reach its directory through the test's own (0700).
    p = d.dir
    while p != "/":
        p = os.path.dirname(p)
        if not os.stat(p).st_mode & 0o001:
            os.chmod(p, os.stat(p).st_mode | 0o001)
    d.start()
    poster = Poster(d)
    if ingest:
        poster.start()
        wait_until(lambda: sum(1 for a in poster.answers if a[1] == 202) >= 10, 15,
                   "ten events accepted before the cut")
    d.expected_exit = True          # it is to exit 75
    cut = Cut(uid, [port])
    try:
        with cut:
            t_cut = time.monotonic()
            wall_cut = time.time()
            try:
                rc = d.proc.wait(BOUND + 20)
            except subprocess.TimeoutExpired:
                rc = None
            took = time.monotonic() - t_cut
            poster.stop.set()
            after = counts(d.db)
    finally:
        cut.lift()
        poster.stop.set()
    if ingest:
        poster.join(35)
    expect(rc is not None, f"the cut leader still runs {took:.1f}s after the cut")
    expect(rc == 75, f"the cut leader exited {describe_exit(rc)}; want 75")
    lost = [l for l in d.log_tail(400) if "the database is lost" in l]
    print(f"    {'busy' if ingest else 'idle'} cut leader exited 75 {took:.1f}s after the cut (bound {BOUND:g}s: lease "
          f"{LEASE:g}s + tcp_user_timeout {USER_TIMEOUT:g}s + 1s): "
          + (lost[0].split("error=", 1)[-1] if lost else "(no reason logged)"))
    expect(took <= BOUND, f"the cut leader exited {took:.1f}s after the cut; want <= "
           f"{BOUND:g}s (lease + tcp_user_timeout + 1s)")
    # One wait ran out, and the step-down waited on nothing more.
    expect(len(lost) == 1, f"want the database lost once in the log, got {lost}")
    # Nothing committed after the cut: the rows as they were then (a COMMIT
    # already on the wire at the cut may land: a 202 up to 0.1 s late).
    late = [a for a in poster.answers if a[1] == 202 and a[0] > t_cut + 0.1]
    expect(not late, f"the cut leader accepted {len(late)} events after the cut")
    now = counts(d.db)
    accepted = {a[2] for a in poster.answers if a[1] == 202}
    stored = {r[0] for r in pg_query(d.db, "SELECT incident FROM events")}
    expect(accepted <= stored, f"accepted and not stored: {sorted(accepted - stored)}")
    expect(stored <= accepted | {a[2] for a in poster.answers if a[0] > t_cut - 0.1},
           f"stored and never accepted: {sorted(stored - accepted)}")
    expect(now == after, f"rows changed after the leader exited: {after} then {now}")
    # The lease: same term, and not renewed after the cut.
    expires_ms = after[4]
    expect(expires_ms <= (wall_cut + LEASE + 0.2) * 1000,
           f"the lease was renewed after the cut: it expires {expires_ms / 1000 - wall_cut:.2f}s "
           "after it")
