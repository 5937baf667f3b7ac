#!/usr/bin/env python3
"""The front door under a flood (issue 14): measured, not asserted.

    python3 tests/stress/front_door.py [--build build] [--flood 2000]
        [--seconds 30] [--bodies 1000] [--body-kib 256] [--reconnect-ms 1000]

Starts tocsind as systemd would by default: a soft limit of 1024 file
descriptors, $NOTIFY_SOCKET pointing at a datagram socket this script
reads and $WATCHDOG_USEC set to 2 s (so the daemon pings every second).
Loopback only; standard library only; every count and wait is bounded.

1. The flood: --flood connections, half of them silent, half sending a
   byte of a request every 2 to 5 s, for --seconds; any the daemon closes
   (cut at its time limits, evicted, refused) reconnects --reconnect-ms
   later, so the pressure stays.  Meanwhile: GET /healthz on a new connection 20
   times a second (latency p50/p99/max, failures); a report whose
   obligation is due 10 s into the flood, whose breach the daemon tells a
   webhook sink here (lateness = sink receipt - due time); the watchdog
   pings (longest gap).
2. The bodies: --bodies clients without a token each announce a 1 MiB
   body and send --body-kib of it, then hold; the daemon's peak RSS while
   they hold, and its RSS a few seconds after they close.  Then the same
   with a valid token (bounded by the budget for bodies in flight).

Prints one figure a line.  Exit status 0 unless the daemon died.
"""

import argparse
import http.server
import json
import os
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "stress-token-0123456789abcdef"
DUE_S = 10

SITE = """\
site {{ listen = "127.0.0.1:{port}", timezone = "Asia/Shanghai", rules = {{ "." }} }}
channel "hook" {{ kind = "webhook", url = "http://127.0.0.1:{sink}/hook",
  secret = "whsec_dG9jc2luLXN0cmVzcy1zaWduaW5nLWtleS0wMTIzNDU2" }}
group "office" {{ name = "办公室", members = {{}}, channels = {{ "hook" }} }}
token "ops" {{ secret = "{token}" }}
"""

RULES = """\
procedure "netsec" {{
  title = "网络安全突发事件",
  match = {{ category = "network_security" }},
  obligations = {{
    {{ id = "assessment", title = "评估", due = "{due}s", met_by = {{ type = "assessment" }},
      owner = "office", on_breach = "standard" }},
  }},
}}
policy "standard" {{ {{ notify = {{ "office" }} }} }}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Sink:
    """Records when each webhook arrives (wall clock)."""

    def __init__(self):
        self.times = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.times.append(time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Watchdog:
    """Reads sd_notify datagrams; keeps the times of WATCHDOG=1."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.pings = []
        self.stop = False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stop:
            try:
                msg = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if b"WATCHDOG=1" in msg:
                self.pings.append(time.monotonic())

    def longest_gap(self, since, until):
        t = [since] + [p for p in self.pings if since <= p <= until] + [until]
        return max(b - a for a, b in zip(t, t[1:]))


def request(port, method, path, body=None, headers=(), timeout=5):
    """One request on a new connection: (status, seconds)."""
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers]
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    t = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    status = int(buf.split(b" ", 2)[1]) if buf.startswith(b"HTTP/1.1 ") else 0
    return status, time.monotonic() - t


class Flood:
    """n connections held open, half silent, half dribbling; closed ones
    come back 50 ms later.  One thread, one selector."""

    def __init__(self, port, n, reconnect):
        self.port, self.n, self.reconnect = port, n, reconnect
        self.sel = selectors.DefaultSelector()
        self.stop = threading.Event()
        self.connects = self.closed = self.answered_503 = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _open(self, i, now):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", self.port))
        self.connects += 1
        state = {"i": i, "sent": 0, "next": now + (2 + (i % 4)) if i % 2 else None}
        self.sel.register(s, selectors.EVENT_READ, state)

    def run(self):
        req = b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"
        pending = []                      # (when, index) to reconnect
        now = time.monotonic()
        for i in range(self.n):
            self._open(i, now)
        while not self.stop.is_set():
            now = time.monotonic()
            for key, _ in self.sel.select(timeout=0.05):
                s, st = key.fileobj, key.data
                try:
                    data = s.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data.startswith(b"HTTP/1.1 503"):
                    self.answered_503 += 1
                self.sel.unregister(s)
                s.close()
                self.closed += 1
                pending.append((now + self.reconnect, st["i"]))
            for key in list(self.sel.get_map().values()):
                st = key.data
                if st["next"] is not None and st["next"] <= now:
                    try:
                        key.fileobj.send(req[st["sent"] % len(req):][:1])
                    except OSError:
                        pass
                    st["sent"] += 1
                    st["next"] = now + 2 + (st["i"] % 4)
            due = [p for p in pending if p[0] <= now]
            pending = [p for p in pending if p[0] > now]
            for _, i in due:
                try:
                    self._open(i, now)
                except OSError:
                    pending.append((now + 0.5, i))
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()

    def finish(self):
        self.stop.set()
        self.thread.join(10)


def bodies(port, n, kib, token):
    """n clients announcing a 1 MiB body, sending kib KiB of it."""
    head = ["POST /v1/events HTTP/1.1", "Host: 127.0.0.1",
            "Content-Type: application/json", f"Content-Length: {1 << 20}"]
    if token:
        head.append(f"Authorization: Bearer {TOKEN}")
    first = ("\r\n".join(head) + "\r\n\r\n").encode() + b"[" + b" " * (kib * 1024 - 1)
    held, answers = [], {}
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.setblocking(False)
        except OSError:
            continue
        try:
            s.send(first)
        except OSError:
            pass
        held.append(s)
    return held, answers


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--flood", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--bodies", type=int, default=1000)
    ap.add_argument("--body-kib", type=int, default=256)
    ap.add_argument("--reconnect-ms", type=int, default=1000)
    args = ap.parse_args()
    args.flood = min(args.flood, 20000)
    args.seconds = min(args.seconds, 300)
    args.bodies = min(args.bodies, 5000)
    args.reconnect_ms = max(args.reconnect_ms, 10)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.flood + args.bodies + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    tocsind = os.path.abspath(os.path.join(args.build, "tocsind"))
    work = tempfile.mkdtemp(prefix="tocsin-stress-")
    sink = Sink()
    port = free_port()
    with open(os.path.join(work, "site.lua"), "w") as f:
        f.write(SITE.format(port=port, sink=sink.port, token=TOKEN))
    with open(os.path.join(work, "rules.lua"), "w") as f:
        f.write(RULES.format(due=DUE_S))
    notify = os.path.join(work, "notify.sock")
    dog = Watchdog(notify)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(NOTIFY_SOCKET=notify, WATCHDOG_USEC="2000000")
    env.pop("WATCHDOG_PID", None)

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(
            resource.RLIMIT_NOFILE)[1]))

    log = open(os.path.join(work, "tocsind.log"), "wb")
    proc = subprocess.Popen([tocsind, "-c", os.path.join(work, "site.lua"),
                             "--db", os.path.join(work, "tocsin.db")],
                            cwd=work, env=env, stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, preexec_fn=limit)
    rc = 0
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("tocsind did not start; see " + work)
            time.sleep(0.05)
        print(f"daemon: soft fd limit 1024, watchdog 2 s, {work}")
        base = [request(port, "GET", "/healthz")[1] for _ in range(100)]
        print(f"healthz idle: p50 {pct(base, 50) * 1000:.1f} ms, p99 {pct(base, 99) * 1000:.1f} ms")

        # 1. The flood, with a deadline due in the middle of it.
        flood = Flood(port, args.flood, args.reconnect_ms / 1000).start()
        time.sleep(min(3, args.seconds / 4))
        report = {"type": "report", "incident": "stress-1", "unit": "hosp-a",
                  "category": "network_security", "grade": 3, "title": "核心交换机遭受网络攻击"}
        for tries in range(1, 11):      # as a client would, on 503 and Retry-After
            posted = time.time()
            try:
                status, _ = request(port, "POST", "/v1/events", report,
                                    [("Authorization", f"Bearer {TOKEN}")], timeout=10)
            except OSError as e:
                status = f"none ({e})"
            if status == 202:
                break
            time.sleep(1)
        print(f"report during the flood: HTTP {status} at try {tries} "
              f"(obligation due in {DUE_S} s)")
        lat, fails, busy = [], 0, 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.seconds:
            try:
                st, took = request(port, "GET", "/healthz", timeout=5)
                lat.append(took)
                fails += st not in (200, 503)
                busy += st == 503
            except OSError:
                fails += 1
            time.sleep(0.05)
        t1 = time.monotonic()
        flood.finish()
        print(f"flood: {args.flood} connections held for {args.seconds:.0f} s, "
              f"reconnecting {args.reconnect_ms} ms after a close; "
              f"{flood.connects} connects, {flood.closed} closed by the daemon, "
              f"{flood.answered_503} answered 503")
        print(f"healthz under the flood: {len(lat)} answered, p50 {pct(lat, 50) * 1000:.1f} ms, "
              f"p99 {pct(lat, 99) * 1000:.1f} ms, max {max(lat or [0]) * 1000:.1f} ms, "
              f"{busy} answered 503 busy, {fails} failed otherwise")
        hooks = [t for t in sink.times if t >= posted]
        if hooks:
            print(f"deadline: breach told {hooks[0] - posted - DUE_S:+.3f} s after it was due "
                  f"(webhook received)")
        else:
            print("deadline: breach NOT told during the flood")
        print(f"watchdog: {len([p for p in dog.pings if t0 <= p <= t1])} pings, "
              f"longest gap {dog.longest_gap(t0, t1):.2f} s (interval 1 s)")
        print(f"rss after the flood: {rss_mib(proc.pid):.1f} MiB")

        # 2. Bodies, without a token and then with one.
        for token in (False, True):
            time.sleep(1)
            before = rss_mib(proc.pid)
            held, _ = bodies(port, args.bodies, args.body_kib, token)
            peak, t = before, time.monotonic()
            while time.monotonic() - t < 5:
                peak = max(peak, rss_mib(proc.pid))
                time.sleep(0.1)
            for s in held:
                s.close()
            time.sleep(3)
            after = rss_mib(proc.pid)
            what = "with a token" if token else "without a token"
            print(f"bodies {what}: {len(held)} clients x {args.body_kib} KiB sent of 1 MiB: "
                  f"rss {before:.1f} MiB before, peak {peak:.1f} MiB, {after:.1f} MiB 3 s after")
        try:
            status, took = request(port, "GET", "/healthz")
            print(f"healthz after: HTTP {status} in {took * 1000:.1f} ms")
        except OSError as e:
            print(f"healthz after: {e}")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        else:
            rc = 1
            print(f"tocsind died: {proc.returncode}")
        dog.stop = True
        sink.close()
        log.close()
        with open(os.path.join(work, "tocsind.log"), "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        print(f"log: {len(lines)} lines, {sum('cannot accept' in l for l in lines)} about accept()")
        if rc == 0:
            shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
