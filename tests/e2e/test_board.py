"""The duty-room board (GET /) in a real browser.

Each test starts a daemon with a few incidents, then Debian's headless
Chromium, and drives it over the DevTools protocol through the small
WebSocket client below (standard library only).  The tests read what the
page shows, click as a duty officer would, check that the daemon recorded
it, and keep screenshots in tests/e2e/artifacts/.  Chromium is killed,
with everything it started, whatever happens.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import harness
from harness import *

ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts")
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TOKEN = "duty-room-token-0123456789"

SITE = """\
site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." } }
channel "log" { kind = "log" }
person "sun" { name = "孙三", roles = { "deputy" }, channels = { "log" } }
person "li"  { name = "李四", roles = { "principal" }, channels = { "log" } }
group "office" { name = "办公室", members = {}, channels = { "log" } }
"""

# A 1-hour assessment counted from when the incident occurred, so an
# incident reported 75 minutes after it occurred is 15 minutes overdue at
# once and its escalation has already reached step 2 (10 minutes after).
RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  obligations = {
    { id = "assessment", title = "1小时内完成研判定级", due = "1h", from = "occurred",
      met_by = { type = "assessment" }, owner = "office", on_breach = "standard" },
  },
}
policy "standard" {
  { notify = { "office" } },
  { after = "10m", notify = { "deputy" } },
  { after = "30m", notify = { "principal" } },
}
"""

XSS_TITLE = "<script>__pwned=1</script><img src=x onerror=__pwned=2>门禁告警"


def ago(minutes):
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()


def board_daemon(token=None):
    site = SITE + (f'token "duty-room" {{ secret = "{token}" }}\n' if token else "")
    return Daemon({"site.lua": site, "rules.lua": RULES}).start()


def post(d, path, body, token=None):
    """A POST with an optional bearer token (harness.http_request sends none)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(d.base + path, data=data, method="POST", headers=headers)
    try:
        with URLOPEN(req, timeout=10) as r:
            return Response(r.status, r.read(), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(), dict(e.headers))


def incidents(d, token=None):
    """Five open incidents; the board must order them as listed."""
    events = [
        # 15 minutes overdue, escalated to step 2.
        report("inc-overdue", unit="hosp-a", grade=2, title="门户网站被篡改",
               occurred_at=ago(75)),
        # 5 minutes overdue, escalated to step 1, then acknowledged below.
        report("inc-acked", unit="hosp-b", grade=4, title="办公网终端感染勒索病毒",
               occurred_at=ago(65)),
        # Grade I, due in 40 minutes.
        report("inc-grade1", unit="hosp-c", grade=1, title="核心数据库遭入侵，患者信息疑似泄露",
               occurred_at=ago(20)),
        # A title with markup in it, due in an hour.
        report("inc-markup", unit="hosp-d", grade=3, title=XSS_TITLE),
        # No procedure takes it (event.unmatched): it has no deadline, but
        # it is red and first until someone acknowledges it.
        report("inc-quiet", unit="hosp-e", grade=3, category="public_opinion",
               title="网络舆情：患者家属发帖质疑诊疗"),
    ]
    r = post(d, "/v1/events", events, token)
    expect(r.status == 202, f"POST /v1/events: want 202, got {r!r}")
    r = post(d, "/v1/incidents/inc-acked/ack", {"by": "孙三"}, token)
    expect(r.status == 200, f"ack of inc-acked: want 200, got {r!r}")
    return ["inc-quiet", "inc-overdue", "inc-acked", "inc-grade1", "inc-markup"]


# ---------------------------------------------------------------- WebSocket

class WebSocket:
    """Just enough of RFC 6455 for DevTools: a client that sends masked text
    frames and reads whole messages, answering pings on the way."""

    def __init__(self, url, timeout=30):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        self.buf = bytearray()
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        end = self.buf.index(b"\r\n\r\n")
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        del self.buf[:end + 4]
        headers = {k.strip().lower(): v.strip()
                   for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        expect(lines[0].split()[1:2] == ["101"], f"WebSocket handshake: {lines[0]!r}")
        expect(headers.get("sec-websocket-accept") == want,
               f"WebSocket handshake: bad Sec-WebSocket-Accept {headers}")

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("DevTools closed the connection")
        self.buf += chunk

    def _read(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _send_frame(self, opcode, payload):
        n = len(payload)
        head = bytearray([0x80 | opcode])
        if n < 126:
            head.append(0x80 | n)
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        keystream = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(n, "big")
        self.sock.sendall(bytes(head) + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode("utf-8"))

    def recv(self):
        message = bytearray()
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x9:                       # ping
                self._send_frame(0xA, payload)
            elif opcode == 0x8:                     # close
                raise ConnectionError("DevTools closed the WebSocket")
            elif opcode in (0x0, 0x1, 0x2):         # continuation, text, binary
                message += payload
                if b0 & 0x80:
                    return message.decode("utf-8")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- Chromium

class Browser:
    """Headless Chromium on a loopback DevTools port, one page, one session.

    Use as a context manager: leaving it kills Chromium's whole process
    group (it was started in a session of its own)."""

    def __init__(self, width=1920, height=1080):
        exe = shutil.which("chromium")
        expect(exe is not None, "chromium is not installed (sh .ci/deps installs it)")
        self.profile = harness.CTX.subdir("chromium")
        self.log_path = os.path.join(self.profile, "chromium.log")
        args = [exe, "--headless=new", "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}", "--no-first-run",
                "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-proxy-server", "--hide-scrollbars", "--mute-audio",
                f"--window-size={width},{height}", "about:blank"]
        if os.geteuid() == 0:
            # Chromium's sandbox refuses to start as root; only here, in the test.
            args.insert(1, "--no-sandbox")
        self.events = []
        self.next_id = 0
        self.ws = None
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=CLEAN_ENV, start_new_session=True)
        try:
            port = wait_until(self._port, 30, "Chromium to open its DevTools port")
            page = wait_until(lambda: self._page(port), 10, "Chromium's first page")
            self.ws = WebSocket(page["webSocketDebuggerUrl"])
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.call("Log.enable")
            self.viewport(width, height)
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _port(self):
        if self.proc.poll() is not None:
            raise TestFailure(f"chromium exited at start-up ({describe_exit(self.proc.returncode)}); "
                              f"see {self.log_path}")
        try:
            with open(os.path.join(self.profile, "DevToolsActivePort")) as f:
                first = f.readline().strip()
        except OSError:
            return None
        return int(first) if first.isdigit() else None

    def _page(self, port):
        try:
            with URLOPEN(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                targets = json.loads(r.read().decode())
        except OSError:
            return None
        pages = [t for t in targets if t.get("type") == "page"]
        return pages[0] if pages else None

    def close(self):
        if self.ws is not None:
            self.ws.close()
            self.ws = None
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def call(self, method, **params):
        """Send one command; keep the events that arrive meanwhile."""
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise TestFailure(f"DevTools {method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def js(self, expression):
        """The value of a JavaScript expression in the page (awaited)."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise TestFailure(f"page script failed: {short(r['exceptionDetails'])}")
        return r.get("result", {}).get("value")

    def viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)

    def wait_event(self, method, timeout=30):
        """The first event of that kind not yet waited for."""
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events:
                if ev["method"] == method and not ev.get("seen"):
                    ev["seen"] = True
                    return ev
            if time.monotonic() > deadline:
                raise TestFailure(f"timed out after {timeout}s waiting for {method}")
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)

    def _forget_loads(self):
        for ev in self.events:
            if ev["method"] == "Page.loadEventFired":
                ev["seen"] = True

    def goto(self, url):
        self._forget_loads()
        r = self.call("Page.navigate", url=url)
        expect("errorText" not in r, f"navigating to {url}: {r.get('errorText')}")
        self.wait_event("Page.loadEventFired")

    def reload(self):
        self._forget_loads()
        self.call("Page.reload")
        self.wait_event("Page.loadEventFired")

    def click(self, selector):
        """A real mouse click at the middle of the element."""
        box = self.js(f"""(() => {{
            const e = document.querySelector({json.dumps(selector)});
            if (!e || e.hidden) return null;
            e.scrollIntoView({{block: "center"}});
            const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2];
        }})()""")
        expect(box is not None, f"nothing to click at {selector}")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)

    def screenshot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        data = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        expect(data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
        path = os.path.join(ARTIFACTS, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def problems(self, allow=()):
        """Script errors and console errors (CSP refusals among them)."""
        found = []
        for ev in self.events:
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                found.append(short(p.get("exceptionDetails")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                found.append(p["entry"].get("text", ""))
            elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
                found.append(short(p.get("args")))
        return [f for f in found if not any(a in f for a in allow)]


# What the page shows, row by row, read back from the DOM.
ROWS_JS = """[...document.querySelectorAll('#board > li')].map(li => {
  const q = (s) => li.querySelector(s);
  const shown = (s) => !!q(s) && !q(s).hidden && q(s).offsetParent !== null;
  return {
    key: li.dataset.key,
    classes: li.className,
    grade: q('.grade-name').textContent,
    level: q('.grade-level').textContent,
    gradeColour: getComputedStyle(q('.grade')).backgroundColor,
    rowBackground: getComputedStyle(li).backgroundColor,
    title: q('.title').textContent,
    titleElements: q('.title').children.length,
    obligation: q('.obligation').textContent,
    countdown: q('.countdown').textContent,
    countdownColour: getComputedStyle(q('.countdown')).color,
    escalation: q('.esc-main').textContent,
    escalationNote: q('.esc-sub').textContent,
    button: shown('.ack-button') ? q('.ack-button').textContent : null,
    acked: shown('.acked') ? q('.acked').textContent : null,
  };
})"""

# Date.now() two hours fast, as on a wall screen nobody set.
WRONG_CLOCK_JS = """(() => {
  const now = Date.now;
  Date.now = () => now.call(Date) + 2 * 3600 * 1000;
})();"""

COUNTS_JS = "['n-open', 'n-overdue', 'n-unacked'].map(id => document.getElementById(id).textContent)"


def rgb(text):
    m = re.match(r"rgba?\((\d+), (\d+), (\d+)", text or "")
    expect(m, f"not a colour: {text!r}")
    return tuple(int(x) for x in m.groups())


def hue(text):
    """The warning colour a CSS colour reads as."""
    r, g, b = rgb(text)
    if r > 180 and g < 110 and b < 110:
        return "red"
    if r > 200 and 110 <= g < 190 and b < 90:
        return "orange"
    if r > 200 and g >= 190 and b < 130:
        return "yellow"
    if b > 170 and r < 110:
        return "blue"
    return f"other {r},{g},{b}"


def cjk_font_installed():
    if shutil.which("fc-list") is None:
        return True                 # cannot tell; the screenshot will
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    return bool(out.strip())


def confirm(b):
    """Say yes to the question an acknowledgement asks (signin.js)."""
    wait_until(lambda: b.js("!!document.getElementById('confirm')"
                            " && !document.getElementById('confirm').hidden"), 10,
               "the acknowledgement's confirmation")
    b.click("#confirm-ok")


def wait_rows(b, n, timeout=20):
    return wait_until(lambda: at_least(n, b.js(ROWS_JS) or []), timeout,
                      f"the board to show {n} incidents")


def row_of(rows, key):
    found = [r for r in rows if r["key"] == key]
    expect(len(found) == 1, f"want one row for {key}, got {short(rows)}")
    return found[0]


# ---------------------------------------------------------------- tests

def test_board_serves_its_files():
    """GET / and its files: types, caching, a strict CSP, no inline script."""
    d = board_daemon()
    r = d.request("GET", "/")
    expect(r.status == 200, f"GET /: want 200, got {r!r}")
    h = {k.lower(): v for k, v in r.headers.items()}
    expect(h.get("content-type") == "text/html; charset=utf-8", f"GET / type: {h.get('content-type')}")
    csp = h.get("content-security-policy", "")
    for part in ("default-src 'none'", "script-src 'self'", "connect-src 'self'",
                 "frame-ancestors 'none'"):
        expect(part in csp, f"CSP lacks {part!r}: {csp!r}")
    expect("unsafe" not in csp, f"CSP allows something unsafe: {csp!r}")
    html = r.raw.decode("utf-8")
    expect(not re.search(r"<script(?![^>]*\bsrc=)", html), "the page has an inline script")
    expect(not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the page loads something from elsewhere")
    expect(re.search(r'lang="zh-CN"', html), "the page is not marked Chinese")
    etag = h.get("etag")
    expect(etag and h.get("cache-control") == "no-cache", f"GET / caching headers: {h}")
    again = urllib.request.Request(d.base + "/", headers={"If-None-Match": etag})
    try:
        with URLOPEN(again, timeout=5) as resp:
            status = resp.status
    except urllib.error.HTTPError as e:
        status = e.code
    expect(status == 304, f"GET / with its ETag: want 304, got {status}")
    for path, ctype in (("/board.js", "text/javascript; charset=utf-8"),
                        ("/board.css", "text/css; charset=utf-8")):
        r = d.request("GET", path)
        got = {k.lower(): v for k, v in r.headers.items()}.get("content-type")
        expect(r.status == 200 and got == ctype, f"GET {path}: want 200 {ctype}, got {r.status} {got}")
    expect(d.request("GET", "/board.html").status == 404, "the page's file name is not a route")
    d.stop()


def test_board_data():
    """GET /v1/board: the server's time, counts, and per incident the
    nearest deadline and the escalation step reached, most urgent first."""
    d = board_daemon()
    order = incidents(d)
    r = d.request("GET", "/v1/board")
    expect(r.status == 200 and isinstance(r.data, dict), f"GET /v1/board: {r!r}")
    expect({k.lower(): v for k, v in r.headers.items()}.get("cache-control") == "no-store",
           f"GET /v1/board caching: {r.headers}")
    b = r.data
    now = parse_time(b.get("now"))
    expect(abs(now - time.time()) < 5, f"now: {b.get('now')!r}")
    counts = b.get("counts") or {}
    expect({k: counts.get(k) for k in ("open", "unacknowledged", "overdue", "overdue_incidents",
                                       "unmatched")}
           == {"open": 5, "unacknowledged": 4, "overdue": 2, "overdue_incidents": 2, "unmatched": 1},
           f"counts: {counts}")
    status = d.request("GET", "/v1/status").data
    expect(counts["overdue"] == status["obligations"]["breached"],
           f"the board's overdue {counts['overdue']} is not /v1/status's breached {status['obligations']}")
    expect(b.get("duties") == [] and counts.get("duties", {}).get("pending") == 0,
           f"no recurring report, no duties: {short(b.get('duties'))} {counts.get('duties')}")
    rows = {i["key"]: i for i in b["incidents"]}
    expect([i["key"] for i in b["incidents"]] == order, f"order: {list(rows)}")

    over = rows["inc-overdue"]
    for field, want in (("title", "门户网站被篡改"), ("unit", "hosp-a"), ("grade", 2),
                        ("category", "network_security"), ("acknowledged_at", None),
                        ("obligations_open", 1), ("obligations_breached", 1)):
        expect(over.get(field) == want, f"inc-overdue {field}: want {want!r}, got {short(over)}")
    ob = over["obligation"]
    expect(ob["id"] == "assessment" and ob["status"] == "breached" and ob["title"] == "1小时内完成研判定级",
           f"inc-overdue obligation: {short(ob)}")
    expect(-16 * 60 - 5 <= ob["due_in_s"] <= -15 * 60 + 5, f"due_in_s: {ob['due_in_s']}")
    expect(abs(parse_time(ob["due_at"]) - (now + ob["due_in_s"])) <= 1, f"due_at and due_in_s: {short(ob)}")
    expect(over["escalation"] == {"policy": "standard", "step": 2, "steps": 3, "repeats": 0,
                                  "state": "active"}, f"inc-overdue escalation: {over['escalation']}")

    acked = rows["inc-acked"]
    expect(acked["acknowledged_by"] == "孙三" and acked["acknowledged_at"], f"inc-acked: {short(acked)}")
    expect(acked["escalation"] and acked["escalation"]["step"] == 1
           and acked["escalation"]["state"] == "stopped",
           f"inc-acked escalation after the ack: {acked['escalation']}")
    g1 = rows["inc-grade1"]
    expect(g1["grade"] == 1 and g1["obligation"]["status"] == "pending"
           and 39 * 60 - 5 <= g1["obligation"]["due_in_s"] <= 40 * 60 and g1["escalation"] is None,
           f"inc-grade1: {short(g1)}")
    expect(rows["inc-markup"]["title"] == XSS_TITLE, "the title is not given back as it was sent")
    quiet = rows["inc-quiet"]
    expect(quiet["obligation"] is None and quiet["obligations_open"] == 0 and quiet["unmatched"] is True,
           f"inc-quiet: {short(quiet)}")
    expect(all(rows[k]["unmatched"] is False for k in order[1:]), "a matched incident is flagged unmatched")
    expect(timeline(d.incident("inc-quiet"), "event.unmatched", unit="hosp-e", category="public_opinion"),
           "no event.unmatched for inc-quiet")
    # The site maps no "duty": the office is told, once, in the same commit.
    told = [(n.get("role"), n.get("recipient")) for n in d.notifications("inc-quiet")]
    expect(told == [("office", "office")], f"who heard of the unmatched report: {told}")

    # Resolved incidents leave the board; a met deadline gives way to none.
    r = d.request("POST", "/v1/incidents/inc-quiet/resolve", {"by": "zhao"})
    expect(r.status == 200, f"resolve: {r!r}")
    d.accept({"type": "assessment", "incident": "inc-grade1", "unit": "hosp-c", "grade": 1})
    b = d.request("GET", "/v1/board").data
    keys = [i["key"] for i in b["incidents"]]
    expect(keys == ["inc-overdue", "inc-acked", "inc-markup", "inc-grade1"],
           f"after a resolve and an assessment: {keys}")
    expect(b["counts"]["open"] == 4, f"counts after the resolve: {b['counts']}")
    d.stop()


def test_board_in_browser():
    """The wall screen: order, colours, countdowns, overdue, escalation,
    escaped titles; a click acknowledges; screenshots for the record."""
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    d = board_daemon()
    order = incidents(d)

    data = d.request("GET", "/v1/board").data
    expect([i["key"] for i in data["incidents"]] == order,
           f"/v1/board order: want {order}, got {[i['key'] for i in data['incidents']]}")

    with Browser(1920, 1080) as b:
        # The wall screen's clock is two hours fast and set to New York:
        # the board counts on the daemon's clock and shows the site's time.
        b.call("Emulation.setTimezoneOverride", timezoneId="America/New_York")
        b.call("Page.addScriptToEvaluateOnNewDocument", source=WRONG_CLOCK_JS)
        b.goto(d.base + "/")
        rows = wait_rows(b, len(order))
        expect(b.js("Date.now() - new Date().getTime()") > 7000e3, "the wrong clock is not in place")
        shown = b.js("document.getElementById('clock').textContent")
        now = datetime.fromisoformat(d.request("GET", "/v1/board").data["now"])
        expect(abs((datetime.strptime(shown, "%Y-%m-%d %H:%M:%S") - now.replace(tzinfo=None))
                   .total_seconds()) < 10,
               f"the header clock shows {shown!r}; the site's time is {now.isoformat()}")
        expect([r["key"] for r in rows] == order,
               f"rows on the page: want {order}, got {[r['key'] for r in rows]}")
        expect(b.js(COUNTS_JS) == ["5", "2", "4"],
               f"counts (open, overdue, unacknowledged): {b.js(COUNTS_JS)}")

        want = {"inc-overdue": ("重大", "II级", "orange"), "inc-acked": ("一般", "IV级", "blue"),
                "inc-grade1": ("特别重大", "I级", "red"), "inc-markup": ("较大", "III级", "yellow"),
                "inc-quiet": ("较大", "III级", "yellow")}
        for key, (name, level, colour) in want.items():
            row = row_of(rows, key)
            expect((row["grade"], row["level"]) == (name, level),
                   f"{key} grade shown: {row['grade']} {row['level']}, want {name} {level}")
            expect(hue(row["gradeColour"]) == colour,
                   f"{key} grade colour {row['gradeColour']} reads as {hue(row['gradeColour'])}, want {colour}")

        over = row_of(rows, "inc-overdue")
        expect("overdue" in over["classes"].split(), f"the overdue row is not marked: {short(over)}")
        expect(re.fullmatch(r"已超时 1[456]分钟", over["countdown"]),
               f"overdue countdown: {over['countdown']!r}")
        expect(hue(over["countdownColour"]) == "red", f"overdue countdown colour: {over['countdownColour']}")
        r, g, bl = rgb(over["rowBackground"])
        expect(r > g + 20 and r > bl + 20, f"the overdue row's background is not red: {over['rowBackground']}")
        expect(over["obligation"] == "1小时内完成研判定级", f"obligation shown: {over['obligation']!r}")
        expect(over["escalation"] == "已升级至第2级", f"escalation shown: {over['escalation']!r}")
        expect("共3级" in over["escalationNote"] and "升级中" in over["escalationNote"],
               f"escalation note: {over['escalationNote']!r}")
        expect(over["button"] == "确认收到" and over["acked"] is None,
               f"the overdue row's acknowledge button: {short(over)}")

        acked = row_of(rows, "inc-acked")
        expect(acked["button"] is None and acked["acked"] and "孙三" in acked["acked"],
               f"the acknowledged row: {short(acked)}")
        expect(re.fullmatch(r"已超时 [456]分钟", acked["countdown"]), f"acked countdown: {acked['countdown']!r}")
        expect(acked["escalation"] == "已升级至第1级" and "已停止" in acked["escalationNote"],
               f"a stopped escalation keeps its step: {acked['escalation']!r} {acked['escalationNote']!r}")

        g1 = row_of(rows, "inc-grade1")
        expect("overdue" not in g1["classes"].split(), f"grade-1 row marked overdue: {short(g1)}")
        expect(re.fullmatch(r"剩余 (39|40):\d\d", g1["countdown"]), f"grade-1 countdown: {g1['countdown']!r}")
        expect(g1["escalation"] == "未升级", f"grade-1 escalation: {g1['escalation']!r}")

        markup = row_of(rows, "inc-markup")
        expect(markup["title"] == XSS_TITLE and markup["titleElements"] == 0,
               f"the title with markup is not shown as text: {short(markup)}")
        expect(b.js("window.__pwned === undefined && [...document.scripts].every("
                    "s => s.src && new URL(s.src).origin === location.origin)"
                    " && !document.querySelector('#board img')"),
               "markup from a title ran or became elements")
        # The report no procedure took: red, first, until acknowledged.
        quiet = row_of(rows, "inc-quiet")
        expect(quiet["obligation"] == "无预案匹配" and quiet["countdown"] == "请人工研判"
               and "unmatched" in quiet["classes"].split(),
               f"the unmatched row: {short(quiet)}")
        r, g, bl = rgb(quiet["rowBackground"])
        expect(r > g + 20 and r > bl + 20, f"the unmatched row's background is not red: {quiet['rowBackground']}")
        expect(hue(quiet["countdownColour"]) == "red", f"the unmatched note's colour: {quiet['countdownColour']}")
        expect(b.js("document.getElementById('n-unmatched').textContent") == "1"
               and b.js("!document.getElementById('count-unmatched').hidden"),
               "the header does not count the unmatched report")

        # The countdown runs between polls.
        sel = "li[data-key=inc-grade1] .countdown"
        first = b.js(f"document.querySelector('{sel}').textContent")
        later = wait_until(lambda: (lambda t: t if t != first else None)(
            b.js(f"document.querySelector('{sel}').textContent")), 3, "the countdown to tick")
        expect(later < first, f"the countdown went from {first!r} to {later!r}")
        b.screenshot("board-before-ack.png")

        # Acknowledge the grade-I incident with a click.
        b.click("li[data-key=inc-grade1] .ack-button")
        confirm(b)                  # acknowledging asks first
        inc = wait_until(lambda: (lambda i: i if i.get("acknowledged_by") else None)(
            d.incident("inc-grade1")), 10, "the daemon to record the acknowledgement")
        expect(inc["acknowledged_by"] == "值班室", f"acknowledged_by: {inc['acknowledged_by']!r}")
        expect(timeline(inc, "incident.acknowledged"), "no incident.acknowledged in the timeline")
        g1 = wait_until(lambda: (lambda r: r if r["acked"] else None)(
            row_of(b.js(ROWS_JS), "inc-grade1")), 10, "the row to show the acknowledgement")
        expect("值班室" in g1["acked"] and g1["button"] is None, f"the row after the click: {short(g1)}")
        wait_until(lambda: b.js(COUNTS_JS) == ["5", "2", "3"], 10, "the unacknowledged count to drop")
        notice = b.js("document.getElementById('notice').hidden ? null : "
                      "document.getElementById('notice').textContent")
        expect(notice and "已确认" in notice, f"no confirmation message: {notice!r}")
        b.js("document.getElementById('notice').hidden = true")
        shot = b.screenshot("board-incidents.png")

        # Acknowledged, the unmatched report is no longer red.
        b.click("li[data-key=inc-quiet] .ack-button")
        confirm(b)                  # acknowledging asks first
        quiet = wait_until(lambda: (lambda r: r if r["acked"] else None)(
            row_of(b.js(ROWS_JS), "inc-quiet")), 10, "the unmatched row to show the acknowledgement")
        expect("unmatched" not in quiet["classes"].split() and quiet["countdown"] == ""
               and quiet["obligation"] == "无预案匹配", f"the acknowledged unmatched row: {short(quiet)}")
        wait_until(lambda: b.js("document.getElementById('count-unmatched').hidden"), 10,
                   "the unmatched count to go")

        problems = b.problems()
        expect(not problems, f"the page reported errors: {short(problems)}")

        # A phone: one column, nothing wider than the screen.
        b.viewport(390, 844, mobile=True)
        layout = wait_until(lambda: b.js("""(() => {
            const li = document.querySelector('li[data-key=inc-overdue]');
            const box = (s) => li.querySelector(s).getBoundingClientRect();
            if (getComputedStyle(document.querySelector('.heads')).display !== 'none') return null;
            return {width: document.documentElement.scrollWidth, row: li.getBoundingClientRect().right,
                    what: box('.what').bottom, due: box('.due').top, esc: box('.esc').top,
                    dueBottom: box('.due').bottom, ack: box('.ack').top};
        })()"""), 5, "the phone layout")
        expect(layout["width"] <= 390 and layout["row"] <= 390, f"the phone page is too wide: {layout}")
        expect(layout["due"] >= layout["what"] - 1 and layout["esc"] >= layout["dueBottom"] - 1,
               f"the phone layout is not one column: {layout}")
        b.screenshot("board-phone.png")
    print(f"  screenshot: {os.path.relpath(shot)}")
    d.stop()


def duty_clock():
    """A time zone in which it is now about 17:00 (the daily report's hour),
    and the next minute in it that is at least 15 seconds away: the
    recurring reports' times are whole minutes, and the daemon starts
    today's period only while its due time is ahead."""
    now = datetime.now(timezone.utc)
    n = (17 - now.hour + 12) % 24 - 12          # hours east of UTC: -12..11
    zone = "Etc/GMT" + ("" if n == 0 else f"{-n:+d}")   # POSIX signs are inverted
    local = now + timedelta(hours=n)
    due = (local + timedelta(seconds=75 if local.second > 45 else 60)).replace(second=0, microsecond=0)
    expect(due.date() == local.date(), "the due minute crosses local midnight")
    return zone, due.strftime("%H:%M"), (due + timedelta(hours=3)).strftime("%H:%M"), \
        (due - local).total_seconds()


DUTY_RULES = """\
-- 每日信息报告 and its zero report: five hospitals, due in about a minute.
recurring "daily-report" {
  title = "每日信息报告（零报告）", at = "@AT@", close = "24:00",
  units = { "hosp-a", "hosp-b", "hosp-c", "hosp-d", "hosp-e" },
  met_by = { type = "daily" }, owner = "office", on_breach = "late-report",
}
recurring "night-watch" {
  title = "夜间值守情况报告", at = "@LATER@",
  units = { "hosp-a", "hosp-b" }, met_by = { type = "night_watch" }, owner = "office",
}
policy "late-report" {
  { notify = { "office" } },
  { after = "30m", notify = { "deputy" } },
}
"""

DUTIES_JS = """[...document.querySelectorAll('#duty-groups .duty-group')].map(g => ({
  recurring: g.dataset.recurring,
  title: g.querySelector('.duty-title').textContent,
  chips: [...g.querySelectorAll('.duty')].map(li => ({
    unit: li.dataset.unit, status: li.dataset.status, classes: li.className,
    text: li.querySelector('.duty-state').textContent,
    colour: getComputedStyle(li).color,
  })),
}))"""


def test_board_duties():
    """Today's recurring reports on the board, per unit: a zero report, a
    report in time, two overdue and escalating, one late, two still to
    come with their countdown; the board's overdue count is /v1/status's."""
    expect(cjk_font_installed(), "no Chinese font installed (sh .ci/deps installs fonts-noto-cjk)")
    zone, at, later, wait_s = duty_clock()
    site = SITE.replace('"Asia/Shanghai"', f'"{zone}"')
    rules = RULES + DUTY_RULES.replace("@AT@", at).replace("@LATER@", later)
    d = Daemon({"site.lua": site, "rules.lua": rules}).start()
    incidents(d)
    for unit, zero in (("hosp-a", True), ("hosp-b", False)):
        d.accept({"type": "daily", "unit": unit, "zero": zero, "summary": "今日无突发事件" if zero else
                  "门诊量正常，发热门诊接诊12人"})
    b = d.request("GET", "/v1/board").data
    got = {(x["recurring"], x["unit"]): x["status"] for x in b["duties"]}
    expect(len(b["duties"]) == 7 and got[("daily-report", "hosp-a")] == "met"
           and got[("daily-report", "hosp-c")] == "pending" and got[("night-watch", "hosp-b")] == "pending",
           f"duties before {at}: {short(b['duties'])}")

    # Past the due time: three have not filed; they breach and escalate.
    def breached():
        data = d.request("GET", "/v1/board").data
        return data if sum(x["status"] == "breached" for x in data["duties"]) == 3 else None
    wait_until(breached, wait_s + 30, f"the daily reports due at {at} to breach")
    d.accept({"type": "daily", "unit": "hosp-d", "zero": False, "summary": "急诊留观2人，无异常"})

    b = d.request("GET", "/v1/board").data
    duties = {(x["recurring"], x["unit"]): x for x in b["duties"]}
    want = {"hosp-a": ("met", True), "hosp-b": ("met", False), "hosp-c": ("breached", None),
            "hosp-d": ("late", False), "hosp-e": ("breached", None)}
    for unit, (status, zero) in want.items():
        x = duties[("daily-report", unit)]
        expect((x["status"], x["zero"]) == (status, zero),
               f"{unit}: want {status} zero={zero}, got {short(x)}")
        expect(x["title"] == "每日信息报告（零报告）" and x["due_at"][11:16] == at, f"{unit} due: {short(x)}")
    expect(duties[("daily-report", "hosp-d")]["filed_at"] and duties[("daily-report", "hosp-c")]["filed_at"] is None,
           f"filed_at: {short(b['duties'])}")
    night = duties[("night-watch", "hosp-a")]
    expect(night["status"] == "pending" and 3 * 3600 - 120 < night["due_in_s"] <= 3 * 3600,
           f"night-watch: {short(night)}")
    counts = b["counts"]
    expect(counts["duties"] == {"filed": 2, "late": 1, "overdue": 2, "missed": 0, "pending": 2},
           f"duty counts: {counts['duties']}")
    status = d.request("GET", "/v1/status").data
    expect(counts["overdue"] == status["obligations"]["breached"] == 4 and counts["overdue_incidents"] == 2,
           f"overdue: board {counts}, status {status['obligations']}")

    with Browser(1920, 1080) as br:
        br.goto(d.base + "/")
        wait_rows(br, 5)
        groups = wait_until(lambda: (lambda g: g if len(g) == 2 and len(g[0]["chips"]) == 5 else None)(
            br.js(DUTIES_JS) or []), 10, "the duties on the page")
        daily = groups[0]
        expect(daily["recurring"] == "daily-report" and daily["title"] == f"每日信息报告（零报告） · {at} 截止",
               f"the daily group: {short(daily)}")
        chips = {c["unit"]: c for c in daily["chips"]}
        expect([c["unit"] for c in daily["chips"]][:2] == ["hosp-c", "hosp-e"],
               f"the overdue units do not come first: {short(daily['chips'])}")
        expect(re.fullmatch(r"零报告 \d\d:\d\d", chips["hosp-a"]["text"]), f"hosp-a: {chips['hosp-a']}")
        expect(re.fullmatch(r"已报 \d\d:\d\d", chips["hosp-b"]["text"]), f"hosp-b: {chips['hosp-b']}")
        expect(re.fullmatch(r"迟报 \d\d:\d\d", chips["hosp-d"]["text"]), f"hosp-d: {chips['hosp-d']}")
        for unit in ("hosp-c", "hosp-e"):
            expect(re.fullmatch(r"未报 已超时 \d+秒|未报 已超时 \d+分钟", chips[unit]["text"])
                   and hue(chips[unit]["colour"]) == "red", f"{unit}: {chips[unit]}")
        expect(hue(chips["hosp-b"]["colour"]) != "red", f"hosp-b is red: {chips['hosp-b']}")
        night = groups[1]["chips"]
        expect(all(re.fullmatch(r"待报 剩余 [23]:\d\d:\d\d", c["text"]) for c in night),
               f"the night-watch countdowns: {short(night)}")
        summary = br.js("document.getElementById('duties-sum').textContent")
        expect(summary == "应报 7 · 已报 2 · 迟报 1 · 超时未报 2 · 待报 2", f"duty summary: {summary!r}")
        expect(br.js(COUNTS_JS) == ["5", "4", "4"], f"counts (open, overdue, unacknowledged): {br.js(COUNTS_JS)}")
        problems = br.problems()
        expect(not problems, f"the page reported errors: {short(problems)}")
        shot = br.screenshot("board.png")
    print(f"  screenshot: {os.path.relpath(shot)}")
    log = open(d.log_path, encoding="utf-8").read()
    steps = re.findall(r'"kind":"escalation\.step","recurring":"daily-report","unit":"(hosp-[a-e])"', log)
    expect(sorted(steps) == ["hosp-c", "hosp-d", "hosp-e"], f"the overdue reports escalate: {steps}")
    d.stop()


def test_board_asks_for_a_token():
    """A site with tokens: the first click is refused and the page asks for
    one; with it the acknowledgement goes through, and is kept for later."""
    d = board_daemon(token=TOKEN)
    incidents(d, token=TOKEN)
    with Browser(1280, 800) as b:
        b.goto(d.base + "/")
        wait_rows(b, 5)
        b.click("li[data-key=inc-overdue] .ack-button")
        confirm(b)                  # acknowledging asks first
        wait_until(lambda: b.js("!document.getElementById('token-form').hidden"), 10,
                   "the page to ask for a token after the 401")
        message = b.js("document.getElementById('token-message').textContent")
        expect("令牌" in message, f"the token request says: {message!r}")
        notice = b.js("document.getElementById('notice').textContent")
        expect("令牌" in notice, f"the 401 message says: {notice!r}")
        expect(d.incident("inc-overdue").get("acknowledged_at") is None,
               "acknowledged without a token")
        row = row_of(b.js(ROWS_JS), "inc-overdue")
        expect(row["button"] == "确认收到", f"the row after the refusal: {short(row)}")

        expect(b.js("document.activeElement === document.getElementById('token-input')"),
               "the token field does not have the focus")
        b.call("Input.insertText", text=TOKEN)
        b.screenshot("board-token.png")
        b.click("#token-form button[type=submit]")
        inc = wait_until(lambda: (lambda i: i if i.get("acknowledged_by") else None)(
            d.incident("inc-overdue")), 10, "the acknowledgement with the token")
        expect(inc["acknowledged_by"] == "值班室", f"acknowledged_by: {inc['acknowledged_by']!r}")
        expect(b.js("localStorage.getItem('tocsin.token')") == TOKEN, "the token was not kept")

        # Reloaded, the page uses the kept token without asking.
        b.reload()
        wait_until(lambda: (lambda rows: rows if len(rows) == 5 and row_of(rows, "inc-overdue")["acked"]
                            else None)(b.js(ROWS_JS) or []), 20, "the reloaded board")
        b.click("li[data-key=inc-grade1] .ack-button")
        confirm(b)                  # acknowledging asks first
        wait_until(lambda: d.incident("inc-grade1").get("acknowledged_by") == "值班室", 10,
                   "the second acknowledgement with the kept token")
        expect(b.js("document.getElementById('token-form').hidden"), "asked for the token again")
        problems = b.problems(allow=("401",))
        expect(not problems, f"the page reported errors: {short(problems)}")
    d.stop()
