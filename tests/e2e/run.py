#!/usr/bin/env python3
"""End-to-end tests for tocsin: the real daemon, real HTTP, a real SQLite file.

    python3 tests/e2e/run.py --build build [-k SUBSTRING]

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

TOCSIND = TOCSINCTL = None          # set by main() from --build
STARTUP_TIMEOUT = 15.0              # raised for sanitizer builds
SECRET_BYTES = b"tocsin-e2e-signing-key-0123456789"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()
POLL = 0.05                         # poll interval inside wait loops

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


def http_request(method, url, body=None, content_type="application/json", timeout=10):
    """body: None, bytes (sent as is) or any JSON value."""
    headers = {}
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


# ---------------------------------------------------------------- the daemon

class Daemon:
    """One tocsind in its own directory, on its own port and database.

    files maps names to text; "@PORT@" in them becomes the listen port.
    restart() keeps the directory, port and database.
    """

    def __init__(self, files, site="site.lua"):
        self.dir = CTX.subdir("daemon")
        self.port = free_port()
        self.db = os.path.join(self.dir, "tocsin.db")
        self.log_path = os.path.join(self.dir, "tocsind.log")
        self.site = os.path.join(self.dir, site)
        self.proc = None
        self.expected_exit = True
        for name, text in files.items():
            path = os.path.join(self.dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("@PORT@", str(self.port)))
        CTX.daemons.append(self)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        with open(self.log_path, "ab") as log:
            log.write(f"=== harness: starting tocsind at {time.strftime('%H:%M:%S')}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [TOCSIND, "-c", self.site, "--listen", f"127.0.0.1:{self.port}", "--db", self.db],
                cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=CLEAN_ENV)
        self.expected_exit = False
        wait_until(self._healthy, STARTUP_TIMEOUT, "tocsind to answer GET /healthz")
        return self

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

    def request(self, method, path, body=None, content_type="application/json"):
        return http_request(method, self.base + path, body, content_type)

    def post_events(self, body, content_type="application/json"):
        return self.request("POST", "/v1/events", body, content_type)

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
        r = self.request("GET", f"/v1/notifications?incident={incident}")
        expect(r.status == 200 and isinstance((r.data or {}).get("notifications"), list),
               f"GET /v1/notifications: want 200 with a list, got {r!r}")
        return r.data["notifications"]

    def query_db(self, sql, *args):
        """Read the database; only once the daemon is stopped."""
        expect(self.proc is None or self.proc.poll() is not None, "query_db on a running daemon")
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()


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
    """A webhook receiver on 127.0.0.1 that records every POST."""

    def __init__(self):
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
            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)   # a harness bug: show it

        self.server = Server(("127.0.0.1", 0), Handler)
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


# ---------------------------------------------------------------- tests

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
        c.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\n"
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
    r = subprocess.run([TOCSINCTL, "--url", d.base, *args], capture_output=True, text=True,
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
    expect(out.returncode == 0 and lines and lines[0].startswith("incident,recurring,unit"),
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
    expect('extra.lua:1: procedure "drill": unknown key "bogus"' in log,
           "the log does not say where the broken rule is")
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
    expect(os.access(TOCSINCTL, os.X_OK), f"{TOCSINCTL} is not built")
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
    base = CTX.subdir("check")
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
        r = subprocess.run([TOCSIND, "-c", name, "--check"], cwd=base, capture_output=True,
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


TESTS = [
    test_breach_delivers_step1,
    test_met_before_due_no_breach,
    test_ack_stops_escalation,
    test_resolve_cancels,
    test_idempotent_id,
    test_kill9_durability,
    test_deadline_passes_while_down,
    test_bad_input,
    test_gateway_down_then_back,
    test_compliance_ledger,
    test_reload,
    test_stop_during_delivery,
    test_tocsinctl,
    test_check_config,
]


# ---------------------------------------------------------------- runner

def main():
    global TOCSIND, TOCSINCTL, STARTUP_TIMEOUT, CTX
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="directory holding tocsind and tocsinctl")
    ap.add_argument("-k", default="", metavar="SUBSTRING", help="run only tests whose name contains this")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    TOCSIND = os.path.join(build, "tocsind")
    TOCSINCTL = os.path.join(build, "tocsinctl")
    if "asan" in build:
        STARTUP_TIMEOUT = 60.0

    selected = [t for t in TESTS if args.k in t.__name__[len("test_"):]]
    base = tempfile.mkdtemp(prefix="tocsin-e2e-")
    passed = failed = 0
    for test in selected:
        name = test.__name__[len("test_"):]
        CTX = Context(base, name)
        reason = None
        try:
            expect(os.access(TOCSIND, os.X_OK), f"{TOCSIND} is not built")
            test()
        except TestFailure as e:
            reason = str(e)
        except Exception as e:      # a crash of the harness or the daemon's socket
            tb = traceback.extract_tb(e.__traceback__)[-1]
            reason = f"{type(e).__name__}: {e} (at {os.path.basename(tb.filename)}:{tb.lineno})"
        finally:
            problems = CTX.cleanup()
        if reason is None and problems:
            reason = "; ".join(problems)
        if reason is None:
            passed += 1
            print(f"ok {name}", flush=True)
            shutil.rmtree(CTX.dir, ignore_errors=True)
        else:
            failed += 1
            print(f"FAIL {name}: {reason}", flush=True)
            print(f"  (files kept in {CTX.dir})")
            for line in CTX.log_tails():
                print(line)
            sys.stdout.flush()
    if not failed:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
