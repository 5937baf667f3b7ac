"""Operations: the systemd notify protocol and watchdog, secrets kept out of
the log, `make install DESTDIR=...`, the unit under systemd-analyze, and
the man pages.

The notify tests play systemd's part: the test owns a unix datagram socket,
hands it to tocsind as $NOTIFY_SOCKET (with $WATCHDOG_USEC), and reads what
the daemon says, as the service manager would.
"""

import harness
from harness import *

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------- sd_notify

class NotifySocket:
    """$NOTIFY_SOCKET: every datagram, parsed into a dict, with its arrival time."""

    def __init__(self):
        self.path = tempfile.mktemp(prefix="notify-", suffix=".sock", dir=harness.CTX.dir)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.lock = threading.Lock()
        self.messages = []          # (monotonic, {"READY": "1", ...}, raw)
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.closed:
            try:
                raw = self.sock.recv(4096).decode("utf-8", "replace")
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in raw.split("\n") if "=" in line)
            with self.lock:
                self.messages.append((time.monotonic(), fields, raw))

    def seen(self):
        with self.lock:
            return list(self.messages)

    def with_key(self, key, value=None, after=0.0):
        return [(t, m) for t, m, _ in self.seen()
                if key in m and (value is None or m[key] == value) and t > after]

    def close(self):
        self.closed = True
        self.thread.join(2)
        self.sock.close()


class NotifiedDaemon(Daemon):
    """A tocsind started as systemd would start a Type=notify service."""

    def __init__(self, files, notify, env):
        super().__init__(files)
        self.notify = notify
        self.env = dict(CLEAN_ENV, NOTIFY_SOCKET=notify.path, **env)

    def start(self, watchdog_pid_is_self=False):
        cmd = [harness.TOCSIND, "-c", self.site, "--listen", f"127.0.0.1:{self.port}",
               "--db", self.db, *self.args]
        if watchdog_pid_is_self:
            # systemd sets WATCHDOG_PID to the main process; so does this exec.
            cmd = ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"',
                   "sh", *cmd]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, env=self.env)
        self.expected_exit = False
        wait_until(self._healthy, STARTUP_TIMEOUT, "tocsind to answer GET /healthz")
        return self


def quiet_site():
    """A site whose only channel is the log: nothing to deliver elsewhere."""
    site = ('site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." } }\n'
            'channel "log" { kind = "log" }\n'
            'group "office" { name = "办公室", members = {}, channels = { "log" } }\n'
            'person "sun" { name = "孙三", roles = { "deputy" }, channels = { "log" } }\n'
            'person "li" { name = "李四", roles = { "principal" }, channels = { "log" } }\n')
    rules = PROCEDURE.format(due="1h", policy="standard") + "\n" + POLICY
    return {"site.lua": site, "rules.lua": rules}


def test_service_notify():
    """READY=1, WATCHDOG=1 every half interval, RELOADING=1/READY=1, STOPPING=1."""
    ns = NotifySocket()
    try:
        d = NotifiedDaemon(quiet_site(), ns, {"WATCHDOG_USEC": "1000000"})
        d.start(watchdog_pid_is_self=True)
        ready = wait_until(lambda: ns.with_key("READY", "1"), 2, "READY=1 on $NOTIFY_SOCKET")
        expect(len(ready) == 1, f"want one READY=1 at start-up, got {len(ready)}")
        expect("running" in ready[0][1].get("STATUS", ""),
               f"READY=1 without a STATUS= saying it runs: {ready[0][1]}")
        first = [m for _, m, _ in ns.seen()][0]
        expect("READY" in first, f"the first message is not READY=1: {first}")

        # WatchdogSec=1s: pings every 0.5 s, from the loop.
        pings = wait_until(lambda: at_least(5, ns.with_key("WATCHDOG", "1")), 5,
                           "five WATCHDOG=1 pings")
        gaps = [b[0] - a[0] for a, b in zip(pings, pings[1:])]
        expect(all(0.3 <= g <= 0.8 for g in gaps),
               f"WATCHDOG=1 gaps {[round(g, 2) for g in gaps]} s: want about 0.5 s "
               f"(half of WATCHDOG_USEC=1s)")

        # A good reload: RELOADING=1 with MONOTONIC_USEC, then READY=1.
        mark = time.monotonic()
        d.proc.send_signal(signal.SIGHUP)
        reloading = wait_until(lambda: ns.with_key("RELOADING", "1", mark), 5, "RELOADING=1")[0]
        usec = reloading[1].get("MONOTONIC_USEC", "")
        expect(usec.isdigit() and abs(int(usec) / 1e6 - mark) < 5,
               f"RELOADING=1 needs MONOTONIC_USEC= (CLOCK_MONOTONIC): got {reloading[1]}")
        again = wait_until(lambda: ns.with_key("READY", "1", reloading[0] - 0.001), 5,
                           "READY=1 after the reload")[0]
        expect("reloaded" in again[1].get("STATUS", ""), f"STATUS after a reload: {again[1]}")

        # A broken reload: still READY=1 after RELOADING=1, saying it failed.
        with open(os.path.join(d.dir, "broken.lua"), "w", encoding="utf-8") as f:
            f.write('procedure "x" { bogus = 1 }\n')
        mark = time.monotonic()
        d.proc.send_signal(signal.SIGHUP)
        reloading = wait_until(lambda: ns.with_key("RELOADING", "1", mark), 5,
                               "RELOADING=1 for the broken reload")[0]
        again = wait_until(lambda: ns.with_key("READY", "1", reloading[0] - 0.001), 5,
                           "READY=1 after the refused reload")[0]
        expect("failed" in again[1].get("STATUS", ""),
               f"STATUS after a refused reload does not say so: {again[1]}")
        expect(d.request("GET", "/healthz").status == 200, "unhealthy after a refused reload")

        # Still fed after the reloads.
        mark = time.monotonic()
        wait_until(lambda: at_least(2, ns.with_key("WATCHDOG", "1", mark)), 3,
                   "WATCHDOG=1 after the reloads")

        mark = time.monotonic()
        d.stop()
        stopping = ns.with_key("STOPPING", "1", mark)
        expect(len(stopping) == 1, f"want one STOPPING=1 on SIGTERM, got {ns.seen()[-3:]}")
        order = [k for _, m, _ in ns.seen() for k in ("READY", "RELOADING", "STOPPING") if k in m]
        expect(order == ["READY", "RELOADING", "READY", "RELOADING", "READY", "STOPPING"],
               f"the order of the state messages: {order}")
    finally:
        ns.close()


def test_service_watchdog_other_pid():
    """$WATCHDOG_PID names another process: the watchdog is not ours to feed."""
    ns = NotifySocket()
    try:
        d = NotifiedDaemon(quiet_site(), ns, {"WATCHDOG_USEC": "400000",
                                             "WATCHDOG_PID": str(os.getpid())})
        d.start()
        wait_until(lambda: ns.with_key("READY", "1"), 2, "READY=1 on $NOTIFY_SOCKET")
        stays_false(lambda: ns.with_key("WATCHDOG"), time.monotonic() + 1.2,
                    "WATCHDOG=1 sent although WATCHDOG_PID is another process")
        d.stop()
    finally:
        ns.close()


# ---------------------------------------------------------------- secrets and the log

SECRETS = {
    "hook_url_token": "hooktok-5c1e7d0a93b24f6e",
    "hook_secret": "whsec_" + base64.b64encode(b"ops-e2e-hook-signing-key-0123456789").decode(),
    "sms_key": "smskey-9f8e7d6c5b4a39281706",
    "ingest_token": "ingest-token-a1b2c3d4e5f60718",
}
URL_SECRETS = {                     # held in channel URLs written in the site itself
    "dead_token": "deadtok-7a6b5c4d3e2f1a0b",
    "down_token": "downtok-0f1e2d3c4b5a6978",
    "down_key": "downkey-1234567890abcdef",
    "sms_url_key": "smsurlkey-fedcba0987654321",
}
WRONG_TOKEN = "wrong-token-0011223344556677"

SECRET_SITE = """\
site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = {{ "." }},
       public_url = "http://127.0.0.1:@PORT@/" }}
token "ingest" {{ secret = secret("ingest_token") }}
channel "hook" {{ kind = "webhook", url = secret("hook_url"), secret = secret("hook_secret") }}
channel "dead" {{ kind = "webhook", url = "{dead_url}", secret = secret("hook_secret") }}
channel "down" {{ kind = "webhook", url = "{down_url}", secret = secret("hook_secret") }}
channel "sms" {{ kind = "sms", provider = "http", url = "{sms_url}",
                headers = {{ "X-Api-Key: " .. secret("sms_key") }} }}
channel "log" {{ kind = "log" }}
person "zhao" {{ name = "赵一", phone = "+8613800000001", roles = {{ "duty" }},
                channels = {{ "hook", "sms", "down" }} }}
person "sun"  {{ name = "孙三", phone = "+8613800000003", roles = {{ "deputy" }},
                channels = {{ "dead" }} }}
group "office" {{ name = "办公室", members = {{}}, channels = {{ "log" }} }}
"""

SECRET_RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  on_open = { notify = { "office", "duty", "deputy" } },
  obligations = {
    { id = "assessment", title = "评估", due = "1s", met_by = { type = "assessment" },
      owner = "office", on_breach = "standard" },
  },
}
policy "standard" { { notify = { "office", "duty" } } }
"""


def post_with_token(d, body, token):
    req = urllib.request.Request(d.base + "/v1/events", method="POST",
                                 data=json.dumps(body, ensure_ascii=False).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {token}"})
    try:
        with URLOPEN(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_service_no_secrets_in_log():
    """Channel secrets, gateway keys in URLs, ingest tokens and ack tokens never reach the log."""
    sink, dead = Sink(), Sink()
    dead.fail_for(600, status=400)              # refused for good: the message dies
    closed = free_port()                        # nothing listens: delivery keeps failing
    sites = SECRET_SITE.format(
        dead_url=dead.url(f"/hook?access_token={URL_SECRETS['dead_token']}"),
        down_url=(f"http://127.0.0.1:{closed}/hook?access_token={URL_SECRETS['down_token']}"
                  f"&key={URL_SECRETS['down_key']}"),
        sms_url=sink.url(f"/sms?apikey={URL_SECRETS['sms_url_key']}&to={{phone}}"))
    files = {"site.lua": sites, "rules.lua": SECRET_RULES,
             "secrets/hook_url": sink.url(f"/hook?access_token={SECRETS['hook_url_token']}") + "\n"}
    for name in ("hook_secret", "sms_key", "ingest_token"):
        files[f"secrets/{name}"] = SECRETS[name] + "\n"
    d = Daemon(files, args=("--log-level", "debug")).start()

    key = "inc-secret"
    expect(post_with_token(d, report(key), WRONG_TOKEN) == 401, "a wrong bearer token was taken")
    expect(post_with_token(d, report(key), SECRETS["ingest_token"]) == 202,
           "the configured bearer token was refused")

    # The webhook and the SMS go out, signed and keyed; the dead channel dies and
    # the office hears of it on the log; the closed port fails and is retried.
    hooks = wait_until(lambda: at_least(2, [p for p in sink.webhooks(incident=key)
                                            if p.path.startswith("/hook")]),
                       10, "the opened and breach webhooks")
    expect(all(signature_problem(p, SECRETS["hook_secret"]) is None for p in hooks),
           "webhooks not signed with the secret from secrets/hook_secret")
    expect(all(f"access_token={SECRETS['hook_url_token']}" in p.path for p in hooks),
           f"the webhook URL from secrets/hook_url was not used: {[p.path for p in hooks]}")
    wait_until(lambda: [p for p in sink.posts if p.path.startswith("/sms")], 10, "the SMS")
    wait_until(lambda: "【通知未送达】" in open(d.log_path, encoding="utf-8").read(), 10,
               "the undelivered notice on the log channel")
    wait_until(lambda: "outbox: delivery failed" in open(d.log_path, encoding="utf-8").read(), 10,
               "a failed delivery to the closed port in the log")

    # Use one link, as a person would.
    link = hooks[0].body.get("ack_url") or ""
    expect("/ack/" in link, f"no ack_url in the webhook body: {short(hooks[0].body)}")
    path = link[link.index("/ack/"):]
    expect(d.request("GET", path).status == 200, "the ack page")
    expect(d.request("POST", path, b"", content_type="application/x-www-form-urlencoded").status
           in (200, 303), "pressing the ack button")
    d.stop()

    tokens = [t for (t,) in d.query_db("SELECT token FROM ack_links")]
    expect(len(tokens) >= 4, f"want ack links for every message, got {len(tokens)}")
    with open(d.log_path, encoding="utf-8") as f:
        text = f.read()
    for name, value in list(SECRETS.items()) + list(URL_SECRETS.items()) + [("wrong", WRONG_TOKEN)]:
        expect(value not in text, f"the log holds the secret {name}")
    hook_key = base64.b64decode(SECRETS["hook_secret"][len("whsec_"):]).decode()
    expect(hook_key not in text, "the log holds the decoded webhook signing key")
    for t in tokens:
        expect(t not in text, f"the log holds the acknowledgement token {t}")
    expect("access_token=" not in text and "apikey=" not in text, "the log holds a gateway URL")
    expect("/ack/<token>" in text, "the log channel does not show its links with the token cut")

    # One event, one line: every daemon line has the prefix and a level.
    for line in text.splitlines():
        if line.startswith("=== harness"):
            continue
        expect(re.match(r"tocsind: level=(error|warn|info|debug) \S", line),
               f"a log line not in the form 'tocsind: level=LEVEL ...': {line!r}")
