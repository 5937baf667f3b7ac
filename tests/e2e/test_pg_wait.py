"""A node that starts while no read-write PostgreSQL primary is reachable
(docs/cluster.md, "No primary"): it listens all the same, answers 503
database_unavailable with Retry-After, stores and sends nothing, tries the
database every second and, once it opens, starts as it would have.  A
configuration error (an unknown database, a wrong password, a schema newer
than this build) still ends the start at once.  Only under make check-pg
(TOCSIN_E2E_PG), but for the SQLite check at the end.

The database is out of reach in two ways: its URL names a loopback port
where nothing listens until a forwarder to the test server starts there
(what a killed primary looks like), and target_session_attrs=read-write
on a database set read-only (what a cluster of standbys looks like); and,
as root with iptables, a port whose packets are dropped (a host gone
without a reset), where each attempt waits its connect_timeout.
"""

import struct
import threading

import harness
from harness import *


def skip_unless_pg():
    if not PG_URL:
        print("    (skipped: needs PostgreSQL; make check-pg runs it)")
        return True
    return False


class Forwarder(threading.Thread):
    """A TCP forwarder from a loopback port to the test server: the
    server 'starts' on that port when this starts."""

    def __init__(self, port, to_port):
        super().__init__(daemon=True)
        self.port, self.to_port = port, to_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def run(self):
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        while True:
            try:
                a, _ = self.sock.accept()
            except OSError:
                return
            b = socket.create_connection(("127.0.0.1", self.to_port))
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self.pump, args=(x, y), daemon=True).start()

    @staticmethod
    def pump(x, y):
        try:
            while (data := x.recv(65536)):
                y.sendall(data)
        except OSError:
            pass
        finally:
            for s in (x, y):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def files():
    return site_files(Sink())


def with_port(url, port):
    """url with its host's port made port."""
    return re.sub(r"@127\.0\.0\.1:[0-9]+/", f"@127.0.0.1:{port}/", url)


def expect_unavailable(d, method, path, body=None):
    r = d.request(method, path, body)
    expect(r.status == 503 and r.headers.get("Retry-After") == "1"
           and (r.data or {}).get("error", {}).get("code") == "database_unavailable",
           f"{method} {path} while waiting for the database: want 503 "
           f"database_unavailable with Retry-After: 1, got {r!r} {r.headers}")
    return r


def answers(d):
    rc = d.proc.poll()
    expect(rc is None, f"tocsind exited while the database was away ({describe_exit(rc)})")
    try:
        return d.request("GET", "/healthz").status
    except OSError:
        return None


def log_count(d, text):
    return sum(text in line for line in d.log_tail(10000))


def check_waiting(d):
    """The node listens, answers 503 everywhere, and stores nothing."""
    wait_until(lambda: answers(d) == 503, STARTUP_TIMEOUT, "GET /healthz to answer 503")
    r = expect_unavailable(d, "GET", "/healthz")
    expect("unreachable" in r.data["error"]["message"], f"/healthz says why: {r.data}")
    expect_unavailable(d, "POST", "/v1/events", report("inc-wait", id="ev-waiting"))
    expect_unavailable(d, "POST", "/v1/incidents/inc-wait/ack", {"by": "zhao"})
    expect_unavailable(d, "GET", "/v1/leader")
    expect_unavailable(d, "GET", "/v1/incidents")
    expect(d.request("GET", "/board.js").status == 200, "the board's files are served")
    expect(log_count(d, "daemon: waiting for the database") == 1,
           "one log line when the waiting starts:\n" + "\n".join(d.log_tail(20)))


def check_serving(d, db, waited_from):
    """Within a few seconds of the database coming: leading, 202, stored once."""
    wait_until(d.leads, 10, "the node to lead once the database is reachable")
    print(f"    serving {time.monotonic() - waited_from:.2f}s after the database came")
    expect(d.request("GET", "/healthz").status == 200, "GET /healthz 200 once serving")
    expect(log_count(d, "daemon: the database is reachable") == 1,
           "one log line when the database comes:\n" + "\n".join(d.log_tail(20)))
    d.accept(report("inc-wait", id="ev-after"))
    rows = pg_query(db, "SELECT id, count(*) FROM events GROUP BY id ORDER BY id")
    expect(rows == [("ev-after", 1)], f"want the one event stored once, got {rows}")
    d.stop()


def test_wait_for_a_primary_that_is_down():
    """Nothing listens where the URL points; then a server does."""
    if skip_unless_pg():
        return
    db = pg_database()
    real = int(re.search(r":([0-9]+)/", db).group(1))
    port = free_port()
    d = Daemon(files(), db=with_port(db, port)).start(wait=False)
    check_waiting(d)
    fwd = Forwarder(port, real)
    fwd.start()
    try:
        check_serving(d, db, time.monotonic())
    finally:
        fwd.close()


def test_wait_for_a_read_write_primary():
    """target_session_attrs=read-write finds only a read-only server."""
    if skip_unless_pg():
        return
    db = pg_database()
    name = db.rsplit("/", 1)[1].partition("?")[0]
    pg_query(PG_URL, f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    sep = "&" if "?" in db else "?"
    d = Daemon(files(), db=db + sep + "target_session_attrs=read-write").start(wait=False)
    check_waiting(d)
    expect(any("read-only" in l for l in d.log_tail(50)),
           "the waiting's log line says why:\n" + "\n".join(d.log_tail(20)))
    t = time.monotonic()
    pg_query(PG_URL, f"ALTER DATABASE {name} RESET default_transaction_read_only")
    check_serving(d, db, t)


def expect_exit_at_once(db, why):
    """tocsind with this database exits 1 within seconds, its log saying why."""
    d = Daemon(files(), db=db)
    t = time.monotonic()
    d.start(wait=False)
    try:
        rc = d.proc.wait(10)
    except subprocess.TimeoutExpired:
        d.kill9()
        raise TestFailure(f"tocsind kept running with {why!r} (want an exit at once):\n"
                          + "\n".join(d.log_tail(10)))
    d.expected_exit = True
    log = "\n".join(d.log_tail(20))
    expect(rc == 1 and "cannot open the store" in log and why in log
           and "waiting for the database" not in log,
           f"want exit 1 saying {why!r} at once, got {describe_exit(rc)}:\n{log}")
    print(f"    {why}: exit {rc} after {time.monotonic() - t:.2f}s")


def test_configuration_errors_exit_at_once():
    """An unknown database, a wrong password, a schema newer than this
    build: exit 1 at once, as before (no retry mends them)."""
    if skip_unless_pg():
        return
    base = PG_URL.partition("?")[0].rsplit("/", 1)[0]
    expect_exit_at_once(base + "/e2e_nonesuch_" + os.urandom(4).hex(), "does not exist")
    db = pg_database()
    pg_query(db, "CREATE TABLE tocsin_schema (version integer NOT NULL); "
             "INSERT INTO tocsin_schema VALUES (9999)")
    expect_exit_at_once(db, "newer than")
    # A password: the test server trusts loopback, so one role is made to
    # need its password, and the server's pg_hba.conf is restored after.
    hba = pg_query(PG_URL, "SHOW hba_file")[0][0]
    role = "e2e_pw_" + os.urandom(4).hex()
    try:
        with open(hba, encoding="utf-8") as f:
            saved = f.read()
        with open(hba, "w", encoding="utf-8") as f:
            f.write(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + saved)
    except OSError as e:
        print(f"    (wrong password skipped: cannot change {hba}: {e})")
        return
    try:
        pg_query(PG_URL, f"CREATE ROLE {role} LOGIN PASSWORD 'right-horse-battery'")
        pg_query(PG_URL, "SELECT pg_reload_conf()")
        url = re.sub(r"//[^@/]*@", f"//{role}:wrong-horse@", PG_URL)
        expect_exit_at_once(url, "password authentication failed")
    finally:
        with open(hba, "w", encoding="utf-8") as f:
            f.write(saved)
        pg_query(PG_URL, "SELECT pg_reload_conf()")


class RefusingServer(threading.Thread):
    """A stand-in PostgreSQL server that refuses every login with the
    server's own FATAL (SQLSTATE 28P01): a wrong password, without a
    server to set one on."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def run(self):
        fields = (b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed "
                  b"for user \"t\"\0\0")
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                while True:             # SSLRequest, GSSENCRequest: "N"
                    head = c.recv(8, socket.MSG_WAITALL)
                    if len(head) < 8:
                        break
                    n, code = struct.unpack("!II", head)
                    if code in (80877103, 80877104):
                        c.sendall(b"N")
                        continue
                    c.recv(n - 8, socket.MSG_WAITALL)
                    c.sendall(b"E" + struct.pack("!I", 4 + len(fields)) + fields)
                    break
            except OSError:
                pass
            c.close()

    def close(self):
        self.sock.close()


def test_wrong_password_behind_a_host_down_exits():
    """A multi-host URL whose first host is down and whose second refuses
    the password: a configuration error all the same (the password's
    message wins over the host's), exit 1 at once, not a wait."""
    server = RefusingServer()
    server.start()
    try:
        expect_exit_at_once(f"postgresql://t@127.0.0.1:{free_port()},127.0.0.1:"
                            f"{server.port}/db?connect_timeout=2", "password authentication failed")
    finally:
        server.close()


def test_sqlite_that_will_not_open_exits():
    """SQLite never waits: a file that cannot be opened ends the start."""
    d = Daemon(files(), db="/nonexistent-dir/tocsin.db")
    d.start(wait=False)
    rc = d.proc.wait(10)
    d.expected_exit = True
    log = "\n".join(d.log_tail(20))
    expect(rc == 1 and "cannot open the store" in log and "waiting" not in log,
           f"want exit 1 on a SQLite file that cannot be opened, got {describe_exit(rc)}:\n{log}")


def test_waiting_reloads_and_stops():
    """Waiting, a node reloads its rules on SIGHUP (it has no engine yet)
    and stops cleanly on SIGTERM.  No server is needed: nothing listens
    where the URL points."""
    d = Daemon(files(), db=f"postgresql://tocsin@127.0.0.1:{free_port()}/tocsin")
    d.start(wait=False)
    check_waiting(d)
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: log_count(d, "daemon: reloaded") == 1, 5, "the reload on SIGHUP")
    expect_unavailable(d, "GET", "/healthz")
    d.stop()


def test_waiting_answers_while_a_host_drops_packets():
    """A host that drops packets holds each attempt for connect_timeout:
    the attempt runs on a thread of its own, so the node answers its 503
    at once all the while, and stops without waiting for the database.
    As root with iptables only (a rule drops what reaches the port)."""
    import shutil
    if os.getuid() != 0 or not shutil.which("iptables"):
        print("    (skipped: needs root and iptables to drop packets on loopback)")
        return
    port = free_port()
    rule = ["INPUT", "-i", "lo", "-p", "tcp", "--dport", str(port), "-j", "DROP"]
    r = subprocess.run(["iptables", "-A", *rule], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"    (skipped: iptables refused the rule: {r.stderr.strip()})")
        return
    try:
        d = Daemon(files(), db=f"postgresql://tocsin@127.0.0.1:{port}/tocsin"
                   "?connect_timeout=3")
        d.start(wait=False)
        check_waiting(d)
        # Attempts of 3 s each, one a second after the last: 7 s holds two.
        slowest, end = 0.0, time.monotonic() + 7
        while time.monotonic() < end:
            t = time.monotonic()
            expect_unavailable(d, "GET", "/healthz")
            slowest = max(slowest, time.monotonic() - t)
            time.sleep(0.05)
        print(f"    slowest 503 while an attempt waited: {slowest * 1000:.0f} ms")
        expect(slowest < 1.0, f"a 503 took {slowest:.2f}s: the loop waited on the connect")
        t = time.monotonic()
        d.stop()
        print(f"    stopped in {time.monotonic() - t:.2f}s")
    finally:
        subprocess.run(["iptables", "-D", *rule], check=True)
