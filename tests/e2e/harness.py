#!/usr/bin/env python3
"""The end-to-end harness: the real daemon, real HTTP, a real SQLite file.

run.py finds test_*.py beside this file and runs their test_* functions in
file order; a test module starts with `from harness import *` and reaches
the per-run settings as harness.TOCSIND, harness.TOCSINCTL and harness.CTX.

Every test starts its own tocsind (own temp dir, free loopback port, own
database) and, where notifications matter, its own webhook sink: a local HTTP
server that records every POST and can be told to answer 503 for a while.
Nothing here sleeps blindly: waits poll with a deadline.  Standard library
only.
"""

import argparse
import base64
import collections
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from datetime import datetime

TOCSIND = TOCSINCTL = None          # set by run.py from --build
STARTUP_TIMEOUT = 15.0              # raised for sanitizer builds
SANITIZED = False                   # set by run.py for an ASan/UBSan build
# Lua runs about ten times slower under the sanitizers: a time limit on
# work done in rules is multiplied by this there (the product's promise is
# about the build as shipped).
SLOWDOWN = 1.0
SECRET_BYTES = b"tocsin-e2e-signing-key-0123456789"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()
POLL = 0.05                         # poll interval inside wait loops
LONG = os.environ.get("TOCSIN_LONG") == "1"   # make check LONG=1: the long forms
# make check-pg: a PostgreSQL server's URL (tests/pg/pgtmp.sh started it);
# each daemon then gets a database of its own there instead of a file.
PG_URL = os.environ.get("TOCSIN_E2E_PG")
PSQL = os.environ.get("TOCSIN_E2E_PSQL", "psql")

# Proxies must never see loopback traffic (urllib and libcurl both honour these).
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
              "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
URLOPEN = urllib.request.build_opener(urllib.request.ProxyHandler({})).open


class TestFailure(AssertionError):
    pass


def expect(cond, message):
    if not cond:
        raise TestFailure(message)


def wait_until(predicate, timeout, what):
    """Poll predicate until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TestFailure(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(POLL)


def stays_false(predicate, until_monotonic, what):
    """Poll predicate until the deadline; fail as soon as it turns truthy."""
    while True:
        value = predicate()
        if value:
            raise TestFailure(f"{what}: {short(value)}")
        if time.monotonic() >= until_monotonic:
            return
        time.sleep(POLL)


def at_least(n, items):
    """items if it holds n or more, else None: for wait_until."""
    return items if len(items) >= n else None


def short(value, limit=400):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def describe_exit(rc):
    if rc is not None and rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"status {rc}"


def parse_time(text):
    """RFC 3339 text -> Unix seconds (float)."""
    expect(isinstance(text, str), f"expected an RFC 3339 time, got {text!r}")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise TestFailure(f"not an RFC 3339 time: {text!r}")


def due_window(due_at, posted_before, posted_after, duration):
    """When the due time really is, as a (lo, hi) range of Unix seconds.

    due_at may be printed to whole seconds, so the true due time lies in
    [due_at, due_at + 1); it is also receipt + duration, and the receipt lies
    between our clock readings around the POST.
    """
    due = parse_time(due_at)
    exact = "." in due_at
    lo = max(due, posted_before + duration)
    hi = due if exact else min(due + 1.0, posted_after + duration)
    expect(lo <= hi + 0.01,
           f"due_at {due_at} does not fit an event posted between "
           f"{posted_before:.3f} and {posted_after:.3f} with a {duration}s deadline")
    return lo, hi


# ---------------------------------------------------------------- per-test state

class Context:
    """What one test made; torn down by the runner whatever happens."""

    def __init__(self, base, name):
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=base)
        self.daemons = []
        self.sinks = []
        self.count = 0

    def subdir(self, stem):
        self.count += 1
        path = os.path.join(self.dir, f"{stem}{self.count}")
        os.makedirs(path)
        return path

    def cleanup(self):
        """Kill every daemon and stop every sink; return problems seen."""
        problems = []
        for d in self.daemons:
            rc = d.proc.poll() if d.proc else None
            if d.proc and rc is not None and not d.expected_exit:
                problems.append(f"tocsind exited on its own ({describe_exit(rc)})")
            d.kill9()
        for s in self.sinks:
            s.close()
        return problems

    def log_tails(self, lines=40):
        out = []
        for d in self.daemons:
            out.append(f"  --- {d.log_path} (last {lines} lines)")
            out.extend("  | " + line for line in d.log_tail(lines))
        return out


CTX = None


# ---------------------------------------------------------------- HTTP client

class Response:
    def __init__(self, status, raw, headers):
        self.status = status
        self.raw = raw
        self.headers = headers
        try:
            self.data = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            self.data = None

    def __repr__(self):
        return f"HTTP {self.status} {self.raw[:300]!r}"


def http_request(method, url, body=None, content_type="application/json", timeout=10,
                 token=None):
    """body: None, bytes (sent as is) or any JSON value; token: a bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        if not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with URLOPEN(req, timeout=timeout) as r:
            return Response(r.status, r.read(), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(), dict(e.headers))


# ---------------------------------------------------------------- raw HTTP answers

OK, HTML = "(ok)", "(html)"             # Answer.code for a non-error and a page


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers           # lower-case name -> last value
        self.body = body
        try:
            self.data = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            self.data = None

    @property
    def code(self):
        """The error code of a JSON error; HTML for a page; OK for anything else."""
        if "text/html" in self.headers.get("content-type", ""):
            return HTML
        err = self.data.get("error") if isinstance(self.data, dict) else None
        return err.get("code") if isinstance(err, dict) else OK

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:200]!r}"


def parse_answers(buf, heads, closed):
    """The complete answers at the front of buf.  heads: indexes of answers to
    HEAD requests (no body); interim 1xx answers are kept and count."""
    answers = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return answers, buf
        lines = buf[:end].split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3}) ", lines[0])
        if not m:
            raise TestFailure(f"not an HTTP answer: {buf[:120]!r}")
        status = int(m.group(1))
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        rest = buf[end + 4:]
        if status < 200 or len(answers) in heads or status in (204, 304):
            n = 0
        elif "content-length" in headers:
            n = int(headers["content-length"])
        elif closed:
            n = len(rest)
        else:
            return answers, buf
        if len(rest) < n:
            return answers, buf
        answers.append(Answer(status, headers, rest[:n]))
        buf = rest[n:]


def read_answer(sock):
    """The next whole answer on an open connection, one a request sent."""
    buf = b""
    while True:
        answers, _ = parse_answers(buf, (), False)
        if answers:
            return answers[0]
        chunk = sock.recv(65536)
        if not chunk:
            raise TestFailure(f"the daemon closed the connection: {buf[:200]!r}")
        buf += chunk


# ---------------------------------------------------------------- the daemon

class Daemon:
    """One tocsind in its own directory, on its own port and database.

    files maps names to text; "@PORT@" in them becomes the listen port.
    args are more command-line arguments (e.g. --log-level debug).
    restart() keeps the directory, port and database.
    """

    def __init__(self, files, site="site.lua", args=(), nofile=None, db=None):
        self.dir = CTX.subdir("daemon")
        self.args = list(args)
        self.nofile = nofile            # a soft RLIMIT_NOFILE for the daemon
        self.port = free_port()
        # db: another node's database (a cluster on PostgreSQL)
        self.db = db or (pg_database() if PG_URL else os.path.join(self.dir, "tocsin.db"))
        self.log_path = os.path.join(self.dir, "tocsind.log")
        self.site = os.path.join(self.dir, site)
        self.proc = None
        self.expected_exit = True
        self.user = None                # run as this system user (the test is root)
        for name, text in files.items():
            path = os.path.join(self.dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("@PORT@", str(self.port)))
        CTX.daemons.append(self)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, leader=True, wait=True):
        """On PostgreSQL, leader=True also waits until this node leads
        (a restart after kill -9 waits out the dead one's lease).
        wait=False returns once the process runs."""
        with open(self.log_path, "ab") as log:
            log.write(f"=== harness: starting tocsind at {time.strftime('%H:%M:%S')}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [TOCSIND, "-c", self.site, "--listen", f"127.0.0.1:{self.port}", "--db", self.db,
                 *self.args],
                cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=CLEAN_ENV,
                preexec_fn=self._limit_files if self.nofile else None,
                user=self.user, group=self.user, extra_groups=[] if self.user else None)
        self.expected_exit = False
        if not wait:
            return self
        wait_until(self._healthy, STARTUP_TIMEOUT, "tocsind to answer GET /healthz")
        if PG_URL and leader:
            wait_until(self.leads, STARTUP_TIMEOUT, "tocsind to lead (GET /v1/leader 200)")
        return self

    def leads(self):
        try:
            return http_request("GET", self.base + "/v1/leader", timeout=2).status == 200
        except OSError:
            return False

    def _limit_files(self):
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, hard))

    def _healthy(self):
        rc = self.proc.poll()
        if rc is not None:
            self.expected_exit = True
            raise TestFailure(f"tocsind exited during start-up ({describe_exit(rc)})")
        try:
            return http_request("GET", self.base + "/healthz", timeout=2).status == 200
        except OSError:
            return False

    def stop(self, timeout=15):
        """SIGTERM; the contract says a clean stop exits 0."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.expected_exit = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise TestFailure(f"tocsind did not exit within {timeout}s of SIGTERM")
        expect(rc == 0, f"tocsind exited after SIGTERM with {describe_exit(rc)} (want status 0)")

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.expected_exit = True
            self.proc.kill()
            self.proc.wait()
        self.expected_exit = True

    def restart(self):
        self.stop()
        return self.start()

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ["(no log)"]
        return text.splitlines()[-lines:]

    # -- API

    def request(self, method, path, body=None, content_type="application/json", token=None):
        return http_request(method, self.base + path, body, content_type, token=token)

    def post_events(self, body, content_type="application/json", token=None):
        return self.request("POST", "/v1/events", body, content_type, token=token)

    def accept(self, body):
        """POST events that must be accepted; return the accepted list."""
        r = self.post_events(body)
        n = len(body) if isinstance(body, list) else 1
        expect(r.status == 202, f"POST /v1/events: want 202, got {r!r}")
        accepted = (r.data or {}).get("accepted")
        expect(isinstance(accepted, list) and len(accepted) == n,
               f"POST /v1/events: want {n} accepted entries, got {r!r}")
        return accepted

    def incident(self, key):
        r = self.request("GET", f"/v1/incidents/{key}")
        expect(r.status == 200 and isinstance(r.data, dict),
               f"GET /v1/incidents/{key}: want 200 and an object, got {r!r}")
        return r.data

    def notifications(self, incident):
        """Every page of the incident's notifications, newest first."""
        path, found = f"/v1/notifications?incident={incident}&limit=200", []
        while path is not None:
            r = self.request("GET", path)
            expect(r.status == 200 and isinstance((r.data or {}).get("notifications"), list),
                   f"GET {path}: want 200 with a list, got {r!r}")
            found.extend(r.data["notifications"])
            path = r.data.get("next")
        return found

    def snapshot(self):
        """Every table's row count and a hash of its rows, safe while the
        daemon runs: a read-only reader of a WAL database sees the last
        commit and never blocks the writer.  Equal snapshots, equal data."""
        expect(not PG_URL, "snapshot() reads SQLite files only")
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        try:
            con.execute("BEGIN")            # one read transaction: one commit's view
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            snap = {}
            for t in tables:
                rows = sorted(repr(r) for r in con.execute(f'SELECT * FROM "{t}"'))
                snap[t] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16])
            return snap
        finally:
            con.close()

    def query_db(self, sql, *args):
        """Read the database; only once the daemon is stopped."""
        expect(self.proc is None or self.proc.poll() is not None, "query_db on a running daemon")
        if PG_URL:
            return pg_query(self.db, sql, *args)
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()


def pg_database():
    """A new, empty database on the PG_URL server; its URL."""
    name = "e2e_" + os.urandom(6).hex()
    subprocess.run([PSQL, "-qAt", "-v", "ON_ERROR_STOP=1", PG_URL, "-c",
                    f"CREATE DATABASE {name}"], check=True, capture_output=True)
    base, _, query = PG_URL.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def pg_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def pg_query(url, sql, *args):
    """sql with its ? made literals, through psql; rows of ints and texts."""
    parts = sql.split("?")
    expect(len(parts) == len(args) + 1, f"query_db: {len(args)} values for {sql}")
    text = parts[0] + "".join(pg_literal(a) + p for a, p in zip(args, parts[1:]))
    out = subprocess.run([PSQL, "-qAt", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", url,
                          "-c", text], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        rows.append(tuple(int(v) if re.fullmatch(r"-?[0-9]+", v) else v
                          for v in line.split("\x1f")))
    return rows


class HealthProbe:
    """GET /healthz every 5 ms from a thread; keeps the slowest answer."""

    def __init__(self, d):
        self.d = d
        self.worst = 0.0
        self.failures = []
        self.count = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                r = http_request("GET", self.d.base + "/healthz", timeout=5)
                if r.status != 200:
                    self.failures.append(f"HTTP {r.status}")
            except OSError as e:
                self.failures.append(str(e))
            self.worst = max(self.worst, time.monotonic() - t)
            self.count += 1
            self.stop.wait(0.005)

    def finish(self, limit=1.0):
        """Stop; fail unless every answer was 200 within limit seconds."""
        self.stop.set()
        self.thread.join(10)
        expect(self.count >= 5, f"the probe ran only {self.count} times")
        expect(not self.failures, f"/healthz failed: {self.failures[:3]}")
        expect(self.worst < limit, f"/healthz took {self.worst:.3f}s at worst (limit {limit}s)")
        return self.worst


def timeline(inc, kind=None, **match):
    """Actions of an incident, optionally of one kind and with given fields."""
    acts = inc.get("timeline")
    expect(isinstance(acts, list), f"incident {inc.get('key')} has no timeline list")
    return [a for a in acts
            if (kind is None or a.get("kind") == kind)
            and all(a.get(k) == v for k, v in match.items())]


def obligation(inc, oid):
    obs = [o for o in inc.get("obligations") or [] if o.get("id") == oid]
    expect(len(obs) == 1, f"want one obligation {oid!r}, got {short(inc.get('obligations'))}")
    return obs[0]


def report(key, unit="hosp-a", **extra):
    ev = {"type": "report", "incident": key, "category": "network_security", "unit": unit,
          "grade": 3, "title": "核心交换机遭受网络攻击", "summary": "端口扫描后出现异常外联"}
    ev.update(extra)
    return ev


# ---------------------------------------------------------------- the webhook sink

class Post:
    def __init__(self, path, headers, raw, status):
        self.path = path
        self.headers = headers
        self.raw = raw
        self.status = status              # what the sink answered
        self.mono = time.monotonic()
        self.wall = time.time()
        try:
            self.body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.body = None

    @property
    def id(self):
        return self.headers.get("webhook-id")

    def __repr__(self):
        return f"<POST {self.path} {self.status} {self.raw[:200]!r}>"


class Sink:
    """A webhook receiver on 127.0.0.1 that records every POST.

    port: 0 for any free port, or the port a gateway that was down comes
    back on.
    """

    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.posts = []
        self.fail_status = 503
        self.fail_until = 0.0
        self.hold_until = 0.0     # a slow gateway: answers wait until then
        self.arrived = 0
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # answers "Expect: 100-continue" at once

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.arrived += 1
                while time.monotonic() < sink.held_until():
                    time.sleep(0.02)   # the gateway being slow, not the test waiting
                status = sink.current_status()
                with sink.lock:
                    sink.posts.append(Post(self.path, {k.lower(): v for k, v in self.headers.items()},
                                           raw, status))
                reply = b"{}" if status < 300 else b'{"error":"unavailable"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            # socketserver listens with a backlog of 5: the outbox opens up
            # to 64 connections at once, and those the kernel drops come
            # again after 1, 3 or 7 s (SYN retries), signed seconds before.
            request_queue_size = 128

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)   # a harness bug: show it

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        CTX.sinks.append(self)

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def fail_for(self, seconds, status=503):
        with self.lock:
            self.fail_status = status
            self.fail_until = time.monotonic() + seconds

    def hold(self, seconds):
        with self.lock:
            self.hold_until = time.monotonic() + seconds

    def release(self):
        with self.lock:
            self.hold_until = 0.0

    def held_until(self):
        with self.lock:
            return self.hold_until

    def current_status(self):
        with self.lock:
            return self.fail_status if time.monotonic() < self.fail_until else 200

    def webhooks(self, **match):
        """Recorded POSTs whose JSON body has all the given field values."""
        with self.lock:
            posts = list(self.posts)
        return [p for p in posts if isinstance(p.body, dict)
                and all(p.body.get(k) == v for k, v in match.items())]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def by_id(posts):
    """First POST of each webhook-id (retries of a notification share it)."""
    first = {}
    for p in posts:
        first.setdefault(p.id, p)
    return first


def signature_problem(post, secret=SECRET):
    """None if the POST is a correctly signed Standard Webhooks request."""
    h = post.headers
    wid, ts, sig = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not (wid and ts and sig):
        return f"missing webhook-* headers, got {sorted(h)}"
    if not h.get("content-type", "").startswith("application/json"):
        return f"Content-Type is {h.get('content-type')!r}"
    if not ts.isdigit() or abs(int(ts) - post.wall) > 5:
        return f"webhook-timestamp {ts!r} is not the time of sending ({post.wall:.0f})"
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, f"{wid}.{ts}.".encode() + post.raw, hashlib.sha256).digest()
    want = "v1," + base64.b64encode(mac).decode()
    if want not in sig.split():
        return f"webhook-signature {sig!r} does not match, want {want!r}"
    if not isinstance(post.body, dict):
        return f"body is not a JSON object: {post.raw[:200]!r}"
    return None


# ---------------------------------------------------------------- site files

ORG = """\
channel "hook" {{ kind = "webhook", url = "{url}", secret = "{secret}" }}
channel "log" {{ kind = "log" }}
person "zhao" {{ name = "赵一", phone = "+8613800000001", roles = {{ "duty" }}, channels = {{ "hook" }} }}
person "sun"  {{ name = "孙三", phone = "+8613800000003", roles = {{ "deputy" }}, channels = {{ "hook" }} }}
person "li"   {{ name = "李四", phone = "+8613800000004", roles = {{ "principal" }}, channels = {{ "hook" }} }}
group "office" {{ name = "办公室", members = {{}}, channels = {{ "hook" }} }}
"""

PROCEDURE = """\
procedure "netsec" {{
  title = "网络安全突发事件",
  match = {{ category = "network_security" }},
  on_open = {{ notify = {{ "office" }} }},
  obligations = {{
    {{ id = "assessment", title = "评估", due = "{due}", met_by = {{ type = "assessment" }},
      owner = "office", on_breach = "{policy}" }},
  }},
}}
"""

POLICY = """\
policy "standard" {
  { notify = { "office", "deputy" } },
  { after = "2s", notify = { "principal" } },
}
"""


def site_files(sink, due="3s", body_limit=None):
    """A site.lua plus a rules.lua beside it (the loader skips *site.lua)."""
    limit = f", body_limit = {body_limit}" if body_limit else ""
    site = (f'site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", '
            f'rules = {{ "." }}{limit} }}\n' + ORG.format(url=sink.url(), secret=SECRET))
    rules = PROCEDURE.format(due=due, policy="standard") + "\n" + POLICY
    return {"site.lua": site, "rules.lua": rules}
