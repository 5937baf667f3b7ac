"""PostgreSQL made highly available as docs/cluster.md says: three etcd
members and three Patroni nodes on loopback, configured from the document's
own patroni.yml (addresses, ports and paths changed, trust on loopback),
and tocsind on the libpq multi-host URL with target_session_attrs=read-write.

The primary's node is killed (Patroni and PostgreSQL, kill -9): writes are
not accepted until Patroni promotes the synchronous standby, then go on
with every event accepted before still there; then a planned switchover.
tocsind exits 75 when it loses the primary; here the test restarts it, as
systemd does with the drop-in in docs/cluster.md.

Runs with `make check-cluster` (TOCSIN_E2E_CLUSTER=1), which needs Debian's
patroni, etcd-server and postgresql-15; skipped otherwise."""

import json
import re
import shutil
import urllib.request

import harness
from harness import *

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
    if os.environ.get("TOCSIN_E2E_CLUSTER") != "1":
        print("    (skipped: make check-cluster runs it)")
        return
    for tool in ("patroni", "patronictl", "etcd", os.path.join(PGBIN, "initdb")):
        expect(shutil.which(tool), f"{tool} is not installed (apt-get install patroni "
               "etcd-server postgresql-15)")
    c = Cluster()
    try:
        c.start()
        r = subprocess.run([harness.PSQL, "-qAt", c.url("postgres"), "-c",
                            "CREATE DATABASE tocsin"], capture_output=True, text=True)
        expect(r.returncode == 0, f"CREATE DATABASE: {r.stderr}")
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
