"""Operations: the systemd notify protocol and watchdog, secrets kept out of
the log, `make install DESTDIR=...`, the unit under systemd-analyze, and
the man pages.

The notify tests play systemd's part: the test owns a unix datagram socket,
hands it to tocsind as $NOTIFY_SOCKET (with $WATCHDOG_USEC), and reads what
the daemon says, as the service manager would.
"""

import glob
import itertools

import harness
from harness import *

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTIFY_SOCKETS = itertools.count()


# ---------------------------------------------------------------- sd_notify

class NotifySocket:
    """$NOTIFY_SOCKET: every datagram, parsed into a dict, with its arrival time."""

    def __init__(self):
        self.path = os.path.join(harness.CTX.dir, f"notify-{next(NOTIFY_SOCKETS)}.sock")
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


class ServiceDaemon(Daemon):
    """A tocsind started the way a service manager starts one: a given
    binary and site (by default the build's and the test's own), extra
    environment such as $NOTIFY_SOCKET, and optionally $WATCHDOG_PID set to
    the daemon's own pid, as systemd does for the main process."""

    def __init__(self, files, env=None, binary=None, site=None):
        super().__init__(files)
        self.binary = binary
        if site is not None:
            self.site = site
        self.env = dict(CLEAN_ENV, **(env or {}))

    def start(self, watchdog_pid_is_self=False):
        cmd = [self.binary or harness.TOCSIND, "-c", self.site,
               "--listen", f"127.0.0.1:{self.port}", "--db", self.db, *self.args]
        if watchdog_pid_is_self:
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
        d = ServiceDaemon(quiet_site(), {"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "1000000"})
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
        # The daemon has exited, so all it sent is queued; STOPPING=1 comes last.
        wait_until(lambda: ns.with_key("STOPPING", "1", mark), 2, "STOPPING=1 on SIGTERM")
        order = [k for _, m, _ in ns.seen() for k in ("READY", "RELOADING", "STOPPING") if k in m]
        expect(order == ["READY", "RELOADING", "READY", "RELOADING", "READY", "STOPPING"],
               f"the order of the state messages: {order}")
    finally:
        ns.close()


def test_service_watchdog_other_pid():
    """$WATCHDOG_PID names another process: the watchdog is not ours to feed."""
    ns = NotifySocket()
    try:
        d = ServiceDaemon(quiet_site(), {"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "400000",
                                         "WATCHDOG_PID": str(os.getpid())})
        d.start()
        wait_until(lambda: ns.with_key("READY", "1"), 2, "READY=1 on $NOTIFY_SOCKET")
        stays_false(lambda: ns.with_key("WATCHDOG"), time.monotonic() + 1.2,
                    "WATCHDOG=1 sent although WATCHDOG_PID is another process")
        d.stop()
    finally:
        ns.close()


def test_service_watchdog_hung_loop():
    """A loop held up stops feeding the watchdog: the pings come from the loop itself."""
    files = quiet_site()
    files["site.lua"] = files["site.lua"].replace('rules = { "." }',
                                                  'rules = { "." }, rule_instructions = 1000000000')
    files["slow.lua"] = (
        'procedure "slow" {\n'
        '  -- holds the event loop for 1 to 2 s: a hung loop, as far as systemd can tell\n'
        '  match = function(ev)\n'
        '    if ev.category ~= "slow" then return false end\n'
        '    local t = os.time()\n'
        '    while os.time() < t + 2 do end\n'
        '    return false\n'
        '  end,\n'
        '}\n')
    ns = NotifySocket()
    try:
        d = ServiceDaemon(files, {"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "1000000"})
        d.start()
        wait_until(lambda: at_least(3, ns.with_key("WATCHDOG", "1")), 5, "the first pings")
        before = time.monotonic()
        d.accept({"type": "report", "incident": "slow-1", "category": "slow", "unit": "hosp-a"})
        after = time.monotonic()
        expect(after - before >= 0.9, f"the slow rule held the loop only {after - before:.2f}s")
        wait_until(lambda: at_least(3, ns.with_key("WATCHDOG", "1", after)), 5,
                   "the pings again once the loop turns")
        pings = [t for t, _ in ns.with_key("WATCHDOG", "1")]
        held = [b - a for a, b in zip(pings, pings[1:]) if b > before and a < after]
        expect(held and max(held) >= 0.9,
               f"pings went on while the loop was held for {after - before:.2f}s "
               f"(gaps {[round(g, 2) for g in held]}): something other than the loop feeds "
               f"the watchdog")
        d.stop()
    finally:
        ns.close()


def test_service_journal_priorities():
    """Under systemd ($JOURNAL_STREAM is stderr) each line starts with its syslog priority."""
    d = ServiceDaemon(quiet_site())
    open(d.log_path, "ab").close()
    st = os.stat(d.log_path)        # the harness sends stderr to this file
    d.env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    d.start()
    with open(os.path.join(d.dir, "broken.lua"), "w", encoding="utf-8") as f:
        f.write('procedure "x" { bogus = 1 }\n')
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "reload failed" in open(d.log_path, encoding="utf-8").read(), 5,
               "the refused reload in the log")
    d.stop()
    lines = [l for l in d.log_tail(1000) if not l.startswith("=== harness")]
    expect(any(l.startswith("<6>level=info daemon: started ") for l in lines),
           f"no '<6>level=info daemon: started' line: {lines[:3]}")
    expect(any(l.startswith("<4>level=warn rules: problem=") for l in lines),
           f"no '<4>level=warn rules: problem=' line: {lines}")
    bad = [l for l in lines if not re.match(r"<[3467]>level=(error|warn|info|debug) ", l)]
    expect(not bad, f"lines without a journal priority: {bad[:3]}")

    # A $JOURNAL_STREAM that is not our stderr (a child of a service whose
    # stderr went elsewhere) leaves the lines plain.
    d2 = ServiceDaemon(quiet_site(), {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"}).start()
    d2.stop()
    lines = [l for l in d2.log_tail(1000) if not l.startswith("=== harness")]
    expect(lines and all(l.startswith("tocsind: level=") for l in lines),
           f"lines with a priority although stderr is not the journal: {lines[:3]}")


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


LOGFMT_FIELD = re.compile(r'([^\s="]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?=\s|$)')


def logfmt(line):
    """The key=value fields of a daemon line, as a logfmt reader takes them
    (a quoted value unquoted); words of the message between are skipped.
    A key twice is kept twice."""
    fields, pos = [], 0
    while pos < len(line):
        if line[pos] == " ":
            pos += 1
            continue
        m = LOGFMT_FIELD.match(line, pos)
        if m is None:
            pos = line.find(" ", pos) if " " in line[pos:] else len(line)
            continue
        value = m.group(2)
        if value.startswith('"'):
            value = re.sub(r'\\(.)', r'\1', value[1:-1])
        fields.append((m.group(1), value))
        pos = m.end()
    return fields


def test_log_values_cannot_forge_fields():
    """An incident key, a unit and a category no procedure takes, each with
    a space and an '=', stay inside their own fields on every line: no line
    gains a reason=forged or a second level.  An action line is "action "
    and one JSON object, which holds them as JSON strings."""
    d = Daemon(quiet_site()).start()
    d.accept(report("x reason=forged", unit="u level=error"))
    d.accept(report("y reason=forged", category="petiton"))
    wait_until(lambda: "notify channel=log" in open(d.log_path, encoding="utf-8").read(), 5,
               "the log channel's line")
    d.stop()
    lines = [l for l in d.log_tail(1000) if not l.startswith("=== harness")]
    incidents = set()
    for line in lines:
        body = line.split(" ", 1)[1]
        if body.startswith("level=info action "):
            json.loads(body[len("level=info action "):])
            continue
        fields = logfmt(body)
        expect(("reason", "forged") not in fields and
               [k for k, _ in fields].count("level") == 1,
               f"a value forged a field: {line!r} reads as {fields}")
        incidents.update(v for k, v in fields if k == "incident")
    expect({"x reason=forged", "y reason=forged"} <= incidents,
           f"the keys are logged whole, quoted: {sorted(incidents)}")


# ---------------------------------------------------------------- make install

def tool(name, package):
    """The path of a tool the test needs; a clear failure when it is missing."""
    path = shutil.which(name)
    expect(path is not None, f"{name} is not installed: this test needs it "
                             f"(Debian package {package}; .ci/deps installs it)")
    return path


def make(*args):
    """make in the source tree with the build directory under test.

    The variables of an outer `make check` (MAKEFLAGS carries BUILD=,
    SANFLAGS= and the jobserver) are not passed on: BUILD is given here,
    and -o keeps make from rebuilding the binaries under test."""
    env = {k: v for k, v in CLEAN_ENV.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    build = os.path.dirname(harness.TOCSIND)
    # The default-site stamp too: an install under another SYSCONFDIR must
    # not recompile the build's tocsind.o without the build's flags.
    r = subprocess.run(["make", "-C", REPO, "--no-print-directory", f"BUILD={build}",
                        "-o", harness.TOCSIND, "-o", harness.TOCSINCTL,
                        "-o", os.path.join(build, "default-site"), *args],
                       env=env, capture_output=True, text=True, timeout=300)
    expect(r.returncode == 0, f"make {' '.join(args)} failed ({r.returncode}):\n"
                              f"{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return r.stdout


def mode(path):
    expect(os.path.isfile(path), f"not installed: {path}")
    return stat_mode(path)


def stat_mode(path):
    return os.stat(path).st_mode & 0o7777


def installed_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def run_tool(args, env=None, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          env=dict(CLEAN_ENV, **(env or {})), stdin=subprocess.DEVNULL)


def test_make_check_fuzzes_once():
    """`make check` runs each stage once: the fuzz seeds are not replayed twice.

    MAKE=echo makes each sub-make print the target it would run, and -n
    keeps make check from running anything else."""
    out = make("-n", "check", "MAKE=echo")
    stages = [line for line in out.splitlines()
              if line in ("check-plain", "check-asan", "fuzz-check")]
    expect(stages == ["check-plain", "check-asan", "fuzz-check"],
           f"make check runs the stages {stages}")


def test_service_install_tree():
    """make install DESTDIR=... PREFIX=/usr: the tree a package ships."""
    dest = os.path.join(harness.CTX.dir, "dest")
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    want = {
        "usr/bin/tocsind": 0o755, "usr/bin/tocsinctl": 0o755,
        "usr/lib/systemd/system/tocsin.service": 0o644,
        "usr/lib/sysusers.d/tocsin.conf": 0o644,
        "usr/lib/tmpfiles.d/tocsin.conf": 0o644,
        "etc/tocsin/site.lua": 0o644,
        "usr/share/man/man1/tocsinctl.1": 0o644,
        "usr/share/man/man5/tocsin-rules.5": 0o644,
        "usr/share/man/man8/tocsind.8": 0o644,
        "usr/share/doc/tocsin/rules.md": 0o644,
        "usr/share/doc/tocsin/api.md": 0o644,
    }
    for pack in sorted(os.listdir(os.path.join(REPO, "rules"))):
        src = os.path.join(REPO, "rules", pack)
        for name in os.listdir(src):
            if name.endswith(".lua"):
                want[f"usr/share/tocsin/rules/{pack}/{name}"] = 0o644
        for sub in ("tests", "examples"):
            top = os.path.join(src, sub)
            for d, _, names in os.walk(top):
                for name in names:
                    rel = os.path.relpath(os.path.join(d, name), src)
                    want[f"usr/share/tocsin/rules/{pack}/{rel}"] = 0o644
    got = installed_files(dest)
    expect(got == sorted(want), f"installed tree: missing {sorted(set(want) - set(got))}, "
                                f"unexpected {sorted(set(got) - set(want))}")
    for rel, m in want.items():
        expect(mode(os.path.join(dest, rel)) == m,
               f"{rel}: mode {stat_mode(os.path.join(dest, rel)):o}, want {m:o}")

    unit = open(os.path.join(dest, "usr/lib/systemd/system/tocsin.service")).read()
    site = open(os.path.join(dest, "etc/tocsin/site.lua"), encoding="utf-8").read()
    for name, text in (("tocsin.service", unit), ("site.lua", site)):
        left = re.findall(r"@[A-Z]+@", text)
        expect(not left, f"{name}: placeholders left unsubstituted: {left}")
    expect(re.search(r"^ExecStart=/usr/bin/tocsind -c /etc/tocsin/site\.lua$", unit, re.M),
           "the unit's ExecStart does not run /usr/bin/tocsind -c /etc/tocsin/site.lua")
    for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=30s",
                 "StateDirectory=tocsin", "User=tocsin"):
        expect(re.search("^" + re.escape(line) + "$", unit, re.M), f"the unit lacks {line}")
    expect('database = "/var/lib/tocsin/tocsin.db"' in site,
           "the installed site does not keep its database in StateDirectory=tocsin")
    for pack in ("example", "holidays"):
        expect(f'"/usr/share/tocsin/rules/{pack}"' in site,
               f"the installed site does not name the installed pack {pack}")

    # The DESTDIR tree is not at its final place, so the site's absolute pack
    # paths are given again under DESTDIR; everything else is as installed.
    bindir = os.path.join(dest, "usr/bin")
    packs = os.path.join(dest, "usr/share/tocsin/rules")
    r = run_tool([os.path.join(bindir, "tocsind"), "-c", os.path.join(dest, "etc/tocsin/site.lua"),
                  "--rules", os.path.join(packs, "example"),
                  "--rules", os.path.join(packs, "holidays"), "--check"])
    expect(r.returncode == 0 and ": ok, " in r.stdout,
           f"the installed site fails --check with the installed packs: {r.stdout}{r.stderr}")
    # The packs' own example sites and tests are relative, so they run in place.
    tests = sorted(glob.glob(os.path.join(packs, "*", "tests", "*.json")))
    r = run_tool([os.path.join(bindir, "tocsinctl"), "test", *tests])
    expect(r.returncode == 0 and re.search(r"^\d+ passed, 0 failed$", r.stdout, re.M),
           f"the installed rule tests: {r.stdout[-1500:]}{r.stderr[-500:]}")

    # A site the operator edited survives the next install; uninstall keeps it.
    with open(os.path.join(dest, "etc/tocsin/site.lua"), "a", encoding="utf-8") as f:
        f.write("-- edited by the operator\n")
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    expect(open(os.path.join(dest, "etc/tocsin/site.lua"), encoding="utf-8").read().endswith(
        "-- edited by the operator\n"), "make install overwrote an existing site")
    make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
    left = installed_files(dest)
    expect(left == ["etc/tocsin/site.lua"], f"after make uninstall, left: {left}")


def test_service_installed_default_site():
    """The installed tocsind reads the installed site without -c; make run
    from the tree names the bundled example."""
    dest = os.path.join(harness.CTX.dir, "dest")
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    tocsind = os.path.join(dest, "usr/bin/tocsind")
    r = run_tool([tocsind, "--help"])
    expect(r.returncode == 0 and "(default: /etc/tocsin/site.lua)" in r.stdout,
           f"the installed tocsind --help does not name the installed site: {r.stdout[:600]}")
    # Run from elsewhere, so a relative default could not be found by luck.
    r = subprocess.run([tocsind, "--check"], capture_output=True, text=True, timeout=60,
                       env=CLEAN_ENV, cwd=harness.CTX.dir, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    expect(out.startswith("/etc/tocsin/site.lua"),
           f"the installed tocsind --check does not check /etc/tocsin/site.lua: {out[:600]}")
    r = run_tool(["make", "-C", REPO, "--no-print-directory", "-n", "run"])
    expect(re.search(r"tocsind -c rules/example/example-site\.lua$", r.stdout, re.M),
           f"make run does not start the bundled example site: {r.stdout[-600:]}")


CREDENTIAL_SITE = """
channel "office-robot" {
  kind = "dingtalk",
  url = secret("office_robot_url"),
  secret = secret("office_robot_sign"),
}
"""


def test_service_check_finds_credentials():
    """README's reload recipe with secrets: `tocsind -c /etc/tocsin/site.lua --check`
    reads what the unit's LoadCredential= lines read (/etc/tocsin/credentials),
    --credentials DIR names another directory, and $CREDENTIALS_DIRECTORY wins
    over the default as under systemd."""
    dest = os.path.join(harness.CTX.dir, "dest")
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    etc = os.path.join(dest, "etc/tocsin")
    site = os.path.join(etc, "site.lua")
    with open(site, "a", encoding="utf-8") as f:
        f.write(CREDENTIAL_SITE)
    unit = open(os.path.join(dest, "usr/lib/systemd/system/tocsin.service")).read()
    expect("/etc/tocsin/credentials/office_robot_url" in unit,
           "the unit's LoadCredential= example does not read from /etc/tocsin/credentials")
    # README: install -d -m 700 /etc/tocsin/credentials; install -m 600 ... NAME
    creds = os.path.join(etc, "credentials")
    os.makedirs(creds, mode=0o700)
    values = {"office_robot_url": "https://oapi.dingtalk.com/robot/send?access_token=cafe0123",
              "office_robot_sign": "SECf00dfeedbeef0123456789"}
    for name, value in values.items():
        with open(os.path.join(creds, name), "w") as f:
            f.write(value + "\n")
        os.chmod(os.path.join(creds, name), 0o600)
    packs = os.path.join(dest, "usr/share/tocsin/rules")
    tocsind = os.path.join(dest, "usr/bin/tocsind")
    check = [tocsind, "-c", site, "--rules", os.path.join(packs, "example"),
             "--rules", os.path.join(packs, "holidays"), "--check"]

    r = run_tool(check)
    expect(r.returncode == 0 and ": ok, " in r.stdout,
           f"--check does not find the credentials the unit loads: {r.stdout}{r.stderr}")
    for value in values.values():
        expect(value not in r.stdout + r.stderr, "--check printed a secret")

    # --credentials DIR: another directory, e.g. where a package keeps them.
    other = os.path.join(harness.CTX.dir, "other-creds")
    os.makedirs(other)
    r = run_tool(check + ["--credentials", other])
    expect(r.returncode == 1 and f"{other}/office_robot_url" in r.stdout,
           f"--credentials with an empty directory: want a problem naming "
           f"{other}/office_robot_url: {r.stdout}{r.stderr}")
    for name, value in values.items():
        with open(os.path.join(other, name), "w") as f:
            f.write(value + "\n")
    r = run_tool(check + ["--credentials", other])
    expect(r.returncode == 0 and ": ok, " in r.stdout, f"--credentials DIR: {r.stdout}{r.stderr}")
    r = run_tool([os.path.join(dest, "usr/bin/tocsinctl"), "check", *check[1:-1],
                  "--credentials", other])
    expect(r.returncode == 0 and ": ok, " in r.stdout,
           f"tocsinctl check --credentials DIR: {r.stdout}{r.stderr}")

    # Under systemd $CREDENTIALS_DIRECTORY is what counts.
    empty = os.path.join(harness.CTX.dir, "empty-creds")
    os.makedirs(empty)
    r = run_tool(check, env={"CREDENTIALS_DIRECTORY": empty})
    expect(r.returncode == 1 and f"{empty}/office_robot_url" in r.stdout,
           f"$CREDENTIALS_DIRECTORY was not used: {r.stdout}{r.stderr}")
    r = run_tool(check + ["--credentials", creds], env={"CREDENTIALS_DIRECTORY": empty})
    expect(r.returncode == 0, f"--credentials does not override the variable: {r.stdout}{r.stderr}")

    # The daemon itself takes the option too, and runs on those secrets.
    d = ServiceDaemon({}, binary=tocsind, site=site)
    d.args = ["--rules", os.path.join(packs, "example"), "--rules", os.path.join(packs, "holidays"),
              "--credentials", other]
    d.start()
    d.stop()


def test_service_unit_systemd_analyze():
    """The installed unit passes systemd-analyze verify; its exposure is at most 2.0."""
    analyze = tool("systemd-analyze", "systemd")
    sysusers = tool("systemd-sysusers", "systemd")
    tool("man", "man-db")
    # Installed in place under a temporary PREFIX (no DESTDIR), so the
    # unit's ExecStart and the site's pack paths name files that exist.
    prefix = os.path.join(harness.CTX.dir, "usr")
    etc = os.path.join(harness.CTX.dir, "etc")
    make("install", f"PREFIX={prefix}", f"SYSCONFDIR={etc}")
    unit = os.path.join(prefix, "lib/systemd/system/tocsin.service")

    # verify loads the unit as systemd would, checks that ExecStart is an
    # executable, and runs man(1) for each Documentation=man: page, which
    # MANPATH lets it find among the installed ones.
    r = run_tool([analyze, "verify", unit], env={"MANPATH": os.path.join(prefix, "share/man")})
    expect(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
           f"systemd-analyze verify: status {r.returncode}: {r.stdout}{r.stderr}")

    r = run_tool([analyze, "security", "--offline=true", "--threshold=20", unit])
    score = re.search(r"Overall exposure level for tocsin\.service: (\d+\.\d)", r.stdout)
    expect(score, f"no exposure level in systemd-analyze security: {r.stdout[-800:]}{r.stderr}")
    expect(r.returncode == 0 and float(score.group(1)) <= 2.0,
           f"systemd-analyze security: exposure {score.group(1)}, want 2.0 or lower; "
           f"the ✗ lines: {[l for l in r.stdout.splitlines() if l.startswith('✗')]}")
    print(f"  systemd-analyze security: tocsin.service exposure {score.group(1)}", flush=True)

    root = os.path.join(harness.CTX.dir, "empty-root")
    os.makedirs(root)
    r = run_tool([sysusers, "--dry-run", f"--root={root}",
                  os.path.join(prefix, "lib/sysusers.d/tocsin.conf")])
    expect(r.returncode == 0 and "Creating user 'tocsin'" in r.stdout + r.stderr,
           f"systemd-sysusers --dry-run: {r.returncode}: {r.stdout}{r.stderr}")

    # The installed site, as installed: its packs resolve, and it runs.
    site = os.path.join(etc, "tocsin/site.lua")
    tocsind = os.path.join(prefix, "bin/tocsind")
    r = run_tool([tocsind, "-c", site, "--check"])
    expect(r.returncode == 0 and ": ok, " in r.stdout, f"installed site --check: {r.stdout}{r.stderr}")
    d = ServiceDaemon({}, binary=tocsind, site=site).start()   # --db: /var/lib is not ours here
    d.accept({"type": "report", "incident": "inc-installed", "category": "network_security",
              "unit": "hospital-a", "grade": 3, "title": "门户网站被篡改"})
    wait_until(lambda: "notify channel=log" in open(d.log_path, encoding="utf-8").read(), 5,
               "the installed site's log channel to tell someone")
    d.stop()


# What ProtectSystem=strict leaves writable besides what the unit opens: the
# API file systems; PrivateTmp= gives a /tmp of its own.
UNIT_API_PATHS = ("/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp")


def unit_writable(unit):
    """The paths a unit with ProtectSystem=strict may write."""
    paths = []
    for key, value in re.findall(r"^(StateDirectory|ReadWritePaths|LogsDirectory|"
                                 r"CacheDirectory|RuntimeDirectory)=(.*)$", unit, re.M):
        base = {"StateDirectory": "/var/lib", "LogsDirectory": "/var/log",
                "CacheDirectory": "/var/cache", "RuntimeDirectory": "/run"}.get(key)
        for word in value.split():
            word = word.lstrip("-+")
            paths.append(f"{base}/{word}" if base else word)
    return paths


def under(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


SANDBOX_SCRIPT = r"""
set -u
# What systemd would do for the unit, emulated in a mount namespace of our
# own: the host's /var/lib and /var/spool are hidden under empty tmpfs, the
# unit's directories are made (StateDirectory=, tmpfiles.d), every mount
# turns read-only (ProtectSystem=strict), and the unit's writable paths
# are bound read-write again.
mount -t tmpfs tmpfs /var/lib && mount -t tmpfs tmpfs /var/spool || exit 90
for d in $MAKE_DIRS; do mkdir -p "$d" || exit 91; done
for mp in $(awk '{print $5}' /proc/self/mountinfo | sort -u); do
    case "$mp" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
    mount -o remount,bind,ro "$mp" 2>/dev/null
done
for p in $WRITABLE; do
    [ -e "$p" ] || continue
    mount --bind "$p" "$p" && mount -o remount,bind,rw "$p" || exit 92
done
touch /etc/.tocsin-probe 2>/dev/null && { echo "SANDBOX-NOT-READ-ONLY"; exit 93; }
"$TOCSIND" "$@" &
pid=$!
deadline=$(( $(date +%s) + 10 ))
while [ ! -d /var/spool/tocsin/done ]; do
    kill -0 $pid 2>/dev/null || { wait $pid; echo "EXITED $?"; exit 0; }
    [ $(date +%s) -lt $deadline ] || { echo "NO-SPOOL"; kill $pid; exit 0; }
    sleep 0.05
done
printf '%s' "$EVENT" > /var/spool/tocsin/.report.tmp && mv /var/spool/tocsin/.report.tmp /var/spool/tocsin/report.json
while [ ! -e /var/spool/tocsin/done/report.json ]; do
    kill -0 $pid 2>/dev/null || { wait $pid; echo "EXITED $?"; exit 0; }
    [ $(date +%s) -lt $deadline ] || { echo "NOT-DONE"; kill $pid; exit 0; }
    sleep 0.05
done
[ -s /var/lib/tocsin/tocsin.db ] && echo "DATABASE-WRITTEN"
echo "SPOOL-DONE"
kill $pid; wait $pid
"""


def test_service_unit_writes_its_paths():
    """The unit may write every path the docs have tocsind write: the database
    under StateDirectory= and the spool /var/spool/tocsin (ReadWritePaths=,
    made by tmpfiles.d) under ProtectSystem=strict; and, where the machine
    lets the test make a mount namespace, the installed daemon really
    stores a spooled report there with everything else read-only."""
    dest = os.path.join(harness.CTX.dir, "dest")
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    unit = open(os.path.join(dest, "usr/lib/systemd/system/tocsin.service")).read()
    site = os.path.join(dest, "etc/tocsin/site.lua")
    expect(re.search(r"^ProtectSystem=strict$", unit, re.M), "the unit is not ProtectSystem=strict")
    writable = unit_writable(unit)
    database = re.search(r'database = "([^"]+)"', open(site, encoding="utf-8").read()).group(1)
    spools = set(re.findall(r'spool = "(/[^"]+)"', open(os.path.join(REPO, "README.md"),
                                                         encoding="utf-8").read() +
                            open(os.path.join(REPO, "docs/api.md"), encoding="utf-8").read() +
                            open(os.path.join(REPO, "docs/rules.md"), encoding="utf-8").read()))
    expect(spools == {"/var/spool/tocsin"}, f"the docs name these spools: {spools}")
    for path in [os.path.dirname(database), *spools]:
        expect(under(path, writable) and not under(path, UNIT_API_PATHS),
               f"{path}, which the docs have tocsind write, is read-only under the unit "
               f"(writable: {writable})")
    tmpfiles = open(os.path.join(dest, "usr/lib/tmpfiles.d/tocsin.conf")).read()
    expect(re.search(r"^d /var/spool/tocsin 2770 tocsin tocsin -$", tmpfiles, re.M),
           f"tmpfiles.d does not make the spool for the tocsin user: {tmpfiles}")

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("  unit sandbox not emulated: needs root and unshare(1)", flush=True)
        return
    packs = os.path.join(dest, "usr/share/tocsin/rules")
    port = free_port()
    event = json.dumps(report("inc-unit-spool"), ensure_ascii=False)
    r = run_tool(["unshare", "-m", "--propagation", "private", "sh", "-c", SANDBOX_SCRIPT, "sh",
                  "-c", site, "--listen", f"127.0.0.1:{port}", "--spool", "/var/spool/tocsin",
                  "--rules", os.path.join(packs, "example"),
                  "--rules", os.path.join(packs, "holidays")],
                 env={"TOCSIND": os.path.join(dest, "usr/bin/tocsind"), "EVENT": event,
                      "MAKE_DIRS": "/var/lib/tocsin /var/spool/tocsin",
                      "WRITABLE": " ".join(writable)}, timeout=60)
    if r.returncode == 90 or "unshare: " in r.stderr:
        print(f"  unit sandbox not emulated: {r.stderr.strip()[:200]}", flush=True)
        return
    expect(r.returncode == 0 and "SPOOL-DONE" in r.stdout and "DATABASE-WRITTEN" in r.stdout,
           f"under the unit's file-system sandbox tocsind did not store a spooled report "
           f"({r.returncode}): {r.stdout[-1500:]}{r.stderr[-1500:]}")


# ---------------------------------------------------------------- man pages

def test_service_man_pages():
    """The man pages format without a warning and name every option and command."""
    groff = tool("groff", "groff-base")
    man = tool("man", "man-db")
    pages = {p: os.path.join(REPO, "man", p) for p in ("tocsind.8", "tocsinctl.1", "tocsin-rules.5")}
    for name, path in pages.items():
        r = run_tool([groff, "-k", "-Tutf8", "-man", "-ww", "-z", path])
        expect(r.returncode == 0 and not r.stderr.strip(), f"groff -ww on {name}: {r.stderr}")
        r = run_tool([man, "--warnings", "-l", path], env={"LC_ALL": "C.UTF-8", "MANWIDTH": "80"})
        expect(r.returncode == 0 and not r.stderr.strip(), f"man --warnings on {name}: {r.stderr}")
        expect(r.stdout.count("\n") > 40, f"{name} renders to almost nothing")

    # Every option of --help is in the page, and every tocsinctl command.
    def text(p):
        return open(pages[p], encoding="utf-8").read().replace("\\-", "-")
    r = run_tool([harness.TOCSIND, "--help"])
    for opt in sorted(set(re.findall(r"--[a-z][a-z-]+", r.stdout))):
        expect(opt in text("tocsind.8"), f"tocsind.8 does not document {opt}")
    r = run_tool([harness.TOCSINCTL, "--help"])
    commands = re.findall(r"^  ([a-z]+) ", r.stdout, re.M)
    expect(len(commands) >= 9, f"tocsinctl --help lists {commands}")
    for cmd in commands:
        expect(re.search(r"^\.B[IR]? " + cmd + r"\b", text("tocsinctl.1"), re.M),
               f"tocsinctl.1 does not document the command {cmd}")
    for opt in sorted(set(re.findall(r"--[a-z][a-z-]+", r.stdout))):
        expect(opt in text("tocsinctl.1"), f"tocsinctl.1 does not document {opt}")
    for word in ("site", "person", "group", "role", "roster", "channel", "token", "procedure",
                 "policy", "recurring", "period", "holidays", "secret", "messages"):
        expect(re.search(r"^\.B[IR]? " + word + r"\b", text("tocsin-rules.5"), re.M),
               f"tocsin-rules.5 has no entry for {word}")


# ---------------------------------------------------------------- --check warnings

CHECK_WARN_RULES = """\
event_type "accepted" { title = "受理告知" }
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  obligations = {
    { id = "assess", due = "2h", remind = { "30m", "3h" }, met_by = { type = "asessment" },
      owner = "office" },
    { id = "accept", due = "1cd", remind = { "2d" }, met_by = { type = "accepted" },
      owner = "office" },
    { id = "final", due = "15cd", due_by_grade = { [1] = "2h" }, remind = { "2h" },
      met_by = { type = { "final", "resolve" } }, owner = "office" },
    { id = "fine", due = "2h", remind = { "1h" }, met_by = { type = "assessment" },
      owner = "office" },
  },
}
recurring "daily" { at = "17:00", units = { "hosp-a" }, met_by = { type = "dailly" },
                    owner = "office" }
"""


def test_service_check_warns_reminder_and_met_by_type():
    """--check warns of a reminder no shorter than its deadline (which would
    never be sent) and of a met_by type that is neither built in nor
    declared with event_type; declared and built-in types pass quietly."""
    files = quiet_site()
    files["rules.lua"] = CHECK_WARN_RULES
    d = Daemon(files)
    r = run_tool([harness.TOCSIND, "-c", d.site, "--check"])
    out = r.stdout
    expect(r.returncode == 0 and ": ok, " in out and "with warnings" in out,
           f"--check: want ok with warnings: {r.returncode}: {out}{r.stderr}")
    warnings = [l for l in out.splitlines() if ": warning: " in l]

    def warned(*words):
        return [l for l in warnings if all(w in l for w in words)]
    expect(warned('obligation "assess"', 'remind "3h"', 'due "2h"'),
           f"no warning for remind 3h before a 2h deadline: {warnings}")
    expect(not warned('obligation "assess"', 'remind "30m"'), f"30m before 2h is fine: {warnings}")
    expect(warned('obligation "accept"', 'remind "2d"', 'due "1cd"'),
           f"no warning for remind 2d before a 1cd deadline: {warnings}")
    expect(warned('obligation "final"', 'remind "2h"', 'due "2h" at grade 1'),
           f"no warning for remind 2h where grade 1 is due in 2h: {warnings}")
    expect(warned('obligation "assess"', 'met_by type "asessment"', 'event_type "asessment"'),
           f"no warning for the undeclared met_by type asessment: {warnings}")
    expect(warned('recurring "daily"', 'met_by type "dailly"'),
           f"no warning for the recurring report's met_by type dailly: {warnings}")
    for quiet in ('type "accepted"', 'type "final"', 'type "resolve"', 'obligation "fine"'):
        expect(not warned(quiet), f"a warning for {quiet}, which is fine: {warned(quiet)}")
    expect(all(re.match(r"\S*rules\.lua:\d+: warning: ", l) for l in warnings),
           f"warnings without the rule file and line: {warnings}")
    # event_type takes a title only.
    files["rules.lua"] = 'event_type "x" { titel = "x" }\n'
    d2 = Daemon(files)
    r = run_tool([harness.TOCSIND, "-c", d2.site, "--check"])
    expect(r.returncode == 1 and '"titel"' in r.stdout, f"event_type with a bad key: {r.stdout}")
