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
