"""The front door (issue 14, items 3, 4 and 6): what a flood of connections,
a dribbling client, a client without a token and a browser on another site
can and cannot do to the daemon.

- More connections than descriptors: the excess is refused (503) or evicts
  the slowest, and accept() out of descriptors pauses instead of spinning.
- Dribbling clients are cut at the total time limits for headers and body.
- A request without a token is answered 401 before its body is read; the
  bodies in flight together stay under a budget (503 past it).
- Browsers: writes need JSON or a bearer token, another origin is refused
  403, a Host the site does not answer to 421.
"""

import http.server
import json
import os
import socket
import threading
import time

from harness import *

TOKEN = "front-door-token-0123456789"


def front_site(sink, extra="", token=False, body_limit=None):
    files = site_files(sink, due="1h", body_limit=body_limit)
    files["site.lua"] = files["site.lua"].replace(
        'rules = { "." }', 'rules = { "." }, public_url = "http://127.0.0.1:@PORT@/"' + extra)
    if token:
        files["site.lua"] += f'token "ops" {{ secret = "{TOKEN}" }}\n'
    return files


def build(port, method, path, body=b"", headers=None, length=None):
    """One request as bytes.  headers: name -> value, None leaves it out;
    Host and a JSON Content-Type are there unless named."""
    if not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode()
    h = {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json" if body else None}
    h.update(headers or {})
    if method == "POST":
        h["Content-Length"] = str(len(body) if length is None else length)
    head = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in h.items() if v is not None]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def exchange(port, data, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        return read_answer(s)


def answered_early(port, head, timeout=3):
    """Send head (headers and part of a body) and wait for the answer
    without sending the rest.  None if the daemon waits for more."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        return read_answer(s)
    except socket.timeout:
        return None
    finally:
        s.close()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_count(d, needle):
    with open(d.log_path, encoding="utf-8", errors="replace") as f:
        return sum(needle in line for line in f)


def idle_connections(port, n):
    held = []
    for _ in range(n):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    return held


# ---------------------------------------------------------------- item 6

def test_front_door_browser_writes_refused():
    """A write from a browser on another site is refused: no JSON type
    (415), another Origin or a cross-site Sec-Fetch-Site (403), a Host the
    site does not answer to (421).  Plain clients still get in."""
    sink = Sink()
    d = Daemon(front_site(sink)).start()
    port = d.port
    n = iter(range(1000))
    refused = [
        ("no Content-Type", {"Content-Type": None}, 415),
        ("text/plain", {"Content-Type": "text/plain;charset=UTF-8"}, 415),
        ("form", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ("multipart", {"Content-Type": "multipart/form-data; boundary=x"}, 415),
        ("Origin of another site", {"Origin": "http://evil.example"}, 403),
        ("Origin of another port", {"Origin": f"http://127.0.0.1:{port + 1}"}, 403),
        ("Origin null", {"Origin": "null"}, 403),
        ("Sec-Fetch-Site cross-site", {"Sec-Fetch-Site": "cross-site"}, 403),
        ("Sec-Fetch-Site same-site", {"Sec-Fetch-Site": "same-site",
                                      "Origin": f"http://localhost:{port + 1}"}, 403),
        ("Host rebound", {"Host": f"attacker.example:{port}"}, 421),
        ("Host other", {"Host": "evil.example"}, 421),
    ]
    taken = [
        ("JSON", {}),
        ("JSON with charset", {"Content-Type": "application/json; charset=utf-8"}),
        ("own Origin", {"Origin": f"http://127.0.0.1:{port}"}),
        ("Sec-Fetch-Site same-origin", {"Sec-Fetch-Site": "same-origin",
                                        "Origin": f"http://127.0.0.1:{port}"}),
        ("Host localhost", {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}),
        ("Host [::1]", {"Host": f"[::1]:{port}"}),
    ]
    problems = []
    for name, headers, want in refused:
        a = exchange(port, build(port, "POST", "/v1/events", report(f"bad-{next(n)}"), headers))
        if a.status != want:
            problems.append(f"{name}: want {want}, got {a!r}")
    for name, headers in taken:
        a = exchange(port, build(port, "POST", "/v1/events", report(f"good-{next(n)}"), headers))
        if a.status != 202:
            problems.append(f"{name}: want 202, got {a!r}")
    a = exchange(port, build(port, "GET", "/healthz", headers={"Host": "evil.example"}))
    if a.status != 421:
        problems.append(f"GET with a foreign Host: want 421, got {a!r}")
    # The ack page's own form says "Origin: null" (no-referrer); another site may not.
    ack = "/ack/" + "0" * 32
    for origin, want in (("null", 404), ("http://evil.example", 403)):
        a = exchange(port, build(port, "POST", ack, b"", {"Origin": origin}))
        if a.status != want:
            problems.append(f"POST /ack/ from Origin {origin}: want {want}, got {a!r}")
    expect(not problems, "; ".join(problems))
    keys = {i["key"] for i in d.request("GET", "/v1/incidents").data["incidents"]}
    expect(all(k.startswith("good-") for k in keys) and len(keys) == len(taken),
           f"the incidents opened: {sorted(keys)}")

    # What answers say about themselves.
    a = exchange(port, build(port, "GET", "/v1/status"))
    expect(a.headers.get("x-content-type-options") == "nosniff" and
           a.headers.get("cache-control") == "no-store", f"/v1/status headers: {a.headers}")
    a = exchange(port, build(port, "GET", "/"))
    expect("frame-ancestors 'none'" in a.headers.get("content-security-policy", ""),
           f"the board's CSP: {a.headers}")
    a = exchange(port, build(port, "GET", "/ack/" + "x" * 43))
    expect("frame-ancestors 'none'" in a.headers.get("content-security-policy", "") and
           a.headers.get("x-content-type-options") == "nosniff", f"the ack page: {a.headers}")
    d.stop()


def test_front_door_listed_hosts():
    """With hosts listed, those names and addresses are answered; other
    names, the public_url's among them, get 421."""
    sink = Sink()
    d = Daemon(front_site(sink, ', hosts = { "tocsin.example.org" }')).start()
    for host, want in (("tocsin.example.org", 200), (f"TOCSIN.example.org:{d.port}", 200),
                       ("127.0.0.1", 200), ("localhost", 200), ("other.example.org", 421),
                       ("tocsin.example.org.evil.example", 421)):
        a = exchange(d.port, build(d.port, "GET", "/healthz", headers={"Host": host}))
        expect(a.status == want, f"Host {host}: want {want}, got {a!r}")
    d.stop()


def test_front_door_browser_on_another_origin():
    """Headless Chromium on a page of another loopback origin tries what a
    hostile page can: fetch() without CORS (text/plain), a form posting
    text/plain and one posting a form.  None of it opens an incident; the
    same report from a plain client does."""
    import test_board
    sink = Sink()
    d = Daemon(front_site(sink)).start()
    target = f"http://127.0.0.1:{d.port}"
    ev = json.dumps(report("csrf-fetch", grade=1))
    form_ev = json.dumps(report("csrf-form", grade=1))
    page = f"""<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="plain" method="POST" action="{target}/v1/events" enctype="text/plain" target="sink">
<input name='{form_ev[:-1]}, "x": "' value='"}}'></form>
<form id="urlenc" method="POST" action="{target}/v1/events" target="sink">
<input name="a" value="b"></form>
<script>
async function attack() {{
  const out = [];
  for (const opts of [
      {{method: "POST", mode: "no-cors", body: {json.dumps(ev)}}},
      {{method: "POST", mode: "no-cors", body: new Blob([{json.dumps(ev)}])}},
      {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "application/json"}},
        body: {json.dumps(ev)}}}]) {{
    try {{ await fetch("{target}/v1/events", opts); out.push("sent"); }}
    catch (e) {{ out.push(String(e)); }}
  }}
  document.getElementById("plain").submit();
  await new Promise(r => setTimeout(r, 300));
  document.getElementById("urlenc").submit();
  await new Promise(r => setTimeout(r, 300));
  return out;
}}
</script></body></html>"""

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    seen = []
    try:
        with test_board.Browser() as b:
            b.goto(f"http://localhost:{evil.server_address[1]}/")
            seen = b.js("attack()")
            # Whatever reached the daemon is taken within a second.
            stays_false(lambda: d.request("GET", "/v1/incidents").data["incidents"],
                        time.monotonic() + 1.0, "an incident opened by the page")
    finally:
        evil.shutdown()
        evil.server_close()
    expect(seen and all(s == "sent" for s in seen), f"the page could not even send: {seen}")
    for key in ("csrf-fetch", "csrf-form"):
        r = d.request("GET", f"/v1/incidents/{key}")
        expect(r.status == 404, f"the page on another origin opened {key}: {r!r}")
    # The same report from a plain client is taken: the test is not vacuous.
    d.accept(report("csrf-fetch", grade=1))
    d.stop()


# ---------------------------------------------------------------- item 4

def test_front_door_401_before_the_body():
    """A request without a valid token is answered 401 as soon as its
    headers are in: the client has sent 1 KiB of a 900 KiB body.  So are a
    cross-site write (403) and, on a site without tokens, a write that is
    not JSON (415).  Before, the daemon read the whole body first."""
    sink = Sink()
    d = Daemon(front_site(sink, token=True)).start()
    head = build(d.port, "POST", "/v1/events", b"{" + b" " * 1023, length=900 * 1024)
    a = answered_early(d.port, head)
    expect(a is not None, "no answer until the whole body is sent")
    expect(a.status == 401 and a.headers.get("www-authenticate") == "Bearer" and
           a.headers.get("connection") == "close", f"want 401 and a close, got {a!r} {a.headers}")
    a = answered_early(d.port, build(d.port, "POST", "/v1/events", b"{" + b" " * 1023,
                                     {"Authorization": "Bearer wrong-" + TOKEN},
                                     length=900 * 1024))
    expect(a is not None and a.status == 401, f"a wrong token: want 401 early, got {a!r}")
    a = answered_early(d.port, build(d.port, "POST", "/v1/events", b"{" + b" " * 1023,
                                     {"Authorization": "Bearer " + TOKEN,
                                      "Origin": "http://evil.example"}, length=900 * 1024))
    expect(a is not None and a.status == 403, f"a cross-site write: want 403 early, got {a!r}")
    # With the token the daemon waits for the body, as it should.
    a = answered_early(d.port, build(d.port, "POST", "/v1/events", b"{" + b" " * 1023,
                                     {"Authorization": "Bearer " + TOKEN}, length=900 * 1024),
                       timeout=1)
    expect(a is None, f"the daemon answered a good request before its body: {a!r}")
    d.stop()

    d = Daemon(front_site(sink)).start()
    a = answered_early(d.port, build(d.port, "POST", "/v1/events", b"{" + b" " * 1023,
                                     {"Content-Type": "text/plain"}, length=900 * 1024))
    expect(a is not None and a.status == 415, f"text/plain: want 415 early, got {a!r}")
    d.stop()


def test_front_door_body_budget():
    """Bodies in flight share a budget (64 MiB here: 8 bodies of 8 MiB): a
    ninth announced while eight are held is answered 503 with Retry-After
    at once; when they go, a report is taken again."""
    sink = Sink()
    mib8 = 8 << 20
    d = Daemon(front_site(sink, token=True, body_limit=mib8)).start()
    auth = {"Authorization": "Bearer " + TOKEN}
    held = []
    for _ in range(8):
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        s.sendall(build(d.port, "POST", "/v1/events", b"[", auth, length=mib8))
        held.append(s)
    a = answered_early(d.port, build(d.port, "POST", "/v1/events", b"[", auth, length=mib8))
    expect(a is not None and a.status == 503 and a.headers.get("retry-after") == "1",
           f"the ninth body: want 503 with Retry-After, got {a!r}")
    for s in held:
        s.close()
    wait_until(lambda: exchange(d.port, build(d.port, "POST", "/v1/events",
                                              report("after-budget"), auth)).status == 202,
               5, "a report taken once the bodies are gone")
    d.stop()


# ---------------------------------------------------------------- item 3

def test_front_door_dribblers_cut():
    """A byte every 300 ms keeps an idle time-out at bay for ever; the
    total limits (header_timeout, body_timeout: 2 s here) cut both the
    header dribbler and the body dribbler, with /healthz answering all the
    while."""
    sink = Sink()
    d = Daemon(front_site(sink, ', header_timeout = "2s", body_timeout = "2s"', token=True)).start()
    req = build(d.port, "POST", "/v1/events", report("dribble"), {"Authorization": "Bearer " + TOKEN})
    split = req.index(b"\r\n\r\n") + 4
    results = {}

    def dribble(name, data, start):
        s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        s.sendall(data[:start])
        t0 = time.monotonic()
        try:
            for i in range(start, len(data)):
                s.sendall(data[i:i + 1])
                time.sleep(0.3)
                if time.monotonic() - t0 > 8:
                    break
            results[name] = ("finished", time.monotonic() - t0)
        except OSError:
            results[name] = ("cut", time.monotonic() - t0)
        finally:
            s.close()

    threads = [threading.Thread(target=dribble, args=("headers", req, 0)),
               threading.Thread(target=dribble, args=("body", req, split))]
    for t in threads:
        t.start()
    probe = HealthProbe(d)
    for t in threads:
        t.join(15)
    probe.finish(limit=0.5)
    for name in ("headers", "body"):
        how, after = results.get(name, ("?", 0))
        expect(how == "cut" and 1.5 <= after <= 4.5,
               f"the {name} dribbler: {how} after {after:.1f}s (want cut at about 2 s)")
    d.stop()


def test_front_door_cap_refuses_the_excess():
    """With 200 descriptors the cap is 100 connections: of 150 idle ones,
    100 stay and 50 are turned away at once (answered 503, or, once the
    oldest idle one has waited 50 ms, evicting it), none left hanging;
    accept() never runs out, and /healthz still answers, evicting the
    oldest idle connection."""
    sink = Sink()
    d = Daemon(front_site(sink), nofile=200).start()
    held = idle_connections(d.port, 150)
    expect(len(held) == 150, f"only {len(held)} connections opened")
    time.sleep(0.3)
    refused = closed = 0
    for s in held:
        s.settimeout(0.02)
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            data = b""
        if data.startswith(b"HTTP/1.1 503 "):
            refused += 1
        elif data == b"":
            closed += 1
    expect(refused + closed == 50,
           f"{refused} answered 503 and {closed} evicted of 150 (want 50 turned away)")
    t = time.monotonic()
    a = exchange(d.port, build(d.port, "GET", "/healthz"), timeout=5)
    took = time.monotonic() - t
    expect(a.status == 200 and took < 0.5, f"/healthz while full: {a!r} in {took:.2f}s")
    expect(log_count(d, "cannot accept") == 0, "accept() ran out of descriptors under the cap")
    for s in held:
        s.close()
    d.stop()


def test_front_door_emfile_does_not_spin():
    """A cap set above what 64 descriptors allow: accept() fails with
    EMFILE.  The daemon pauses accepting (one log line, not one per
    failure), uses little CPU, and /healthz is answered again once the
    idle connections are cut at header_timeout.  Before, the loop spun on
    accept() at 100 % CPU and logged every failure."""
    sink = Sink()
    d = Daemon(front_site(sink, ', max_connections = 1000, header_timeout = "2s"'),
               nofile=64).start()
    held = idle_connections(d.port, 120)
    before = cpu_seconds(d.proc.pid)
    time.sleep(1.5)
    cpu = cpu_seconds(d.proc.pid) - before
    expect(cpu < 0.3, f"the daemon used {cpu:.2f}s of CPU in 1.5s while out of descriptors")
    expect(log_count(d, "cannot accept") >= 1,
           "accept() never ran out of descriptors: the test proves nothing")
    t = time.monotonic()
    a = exchange(d.port, build(d.port, "GET", "/healthz"), timeout=8)
    expect(a.status == 200, f"/healthz while flooded: {a!r}")
    took = time.monotonic() - t
    expect(took < 4, f"/healthz took {took:.1f}s while flooded")
    for s in held:
        s.close()
    wait_until(lambda: exchange(d.port, build(d.port, "GET", "/healthz")).status == 200,
               5, "/healthz after the flood")
    lines = log_count(d, "accept")
    expect(lines <= 5, f"{lines} log lines about accept() (want one per pause)")
    expect(d.proc.poll() is None, "the daemon died")
    d.stop()
