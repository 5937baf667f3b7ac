"""A watchman for the watchman: the heartbeat to an external dead-man's
switch, and the alarm to the office over another channel.

The ping server is a local fake of a healthchecks.io-style check: it
records each GET or POST and can be told to answer 500.  The heartbeat's
absence is observed over a fixed window (there is no event to wait for
when nothing must happen); everything else waits with a deadline.
"""

import http.server
import resource
import signal
import subprocess
import threading
import time

import harness
from harness import *

PING_PATH = "/ping/0f6a1c2e-hc-uuid-secret"


class PingServer:
    """Records pings: (monotonic arrival, method, path, body)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pings = []
        self.status = 200
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with server.lock:
                    server.pings.append((time.monotonic(), self.command, self.path, body))
                    status = server.status
                reply = b"OK" if status == 200 else b"failed"
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        harness.CTX.sinks.append(self)

    def url(self):
        return f"http://127.0.0.1:{self.port}{PING_PATH}"

    def answer(self, status):
        with self.lock:
            self.status = status

    def count(self):
        with self.lock:
            return len(self.pings)

    def since(self, t):
        with self.lock:
            return [p for p in self.pings if p[0] > t]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def heartbeat_site(ping, every="1s", method=None, extra="", channels=None):
    """A site whose heartbeat url is a secret() beside it, as in production."""
    how = f', method = "{method}"' if method else ""
    site = (f'site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", '
            f'heartbeat = {{ url = secret("heartbeat_url"), every = "{every}"{how} }}'
            f'{extra} }}\n'
            + (channels or 'channel "log" { kind = "log" }\n'
               'group "office" { members = {}, channels = { "log" } }\n'))
    return {"site.lua": site, "credentials/heartbeat_url": ping.url() + "\n"}


def metric(d, name, **labels):
    text = d.request("GET", "/metrics").raw.decode()
    want = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
                   if labels else "")
    for line in text.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    raise TestFailure(f"no {want} in /metrics")


def test_heartbeat_pings_every_interval():
    ping = PingServer()
    d = Daemon(heartbeat_site(ping)).start()
    wait_until(lambda: ping.count() >= 4, 10, "four heartbeat pings")
    with ping.lock:
        pings = list(ping.pings)
    expect(all(p[1] == "GET" and p[2] == PING_PATH for p in pings),
           f"pings are GETs of the url: {pings}")
    # The first ping is at start-up; then one each second, give or take
    # the scheduling of a busy machine.
    gaps = [b[0] - a[0] for a, b in zip(pings[1:], pings[2:])]
    expect(all(0.4 <= g <= 3.0 for g in gaps) and 0.7 <= sum(gaps) / len(gaps) <= 1.6,
           f"a ping each 1s, gaps {gaps}")
    expect(metric(d, "tocsin_heartbeat_pings_total", result="ok") >= 3, "pings counted")
    at = metric(d, "tocsin_heartbeat_last_success_timestamp_seconds")
    expect(abs(at - time.time()) < 5, f"last success at {at}, now {time.time()}")
    # The url is a secret: it never reaches the log.
    expect("hc-uuid-secret" not in "\n".join(d.log_tail(10000)), "the heartbeat url is in the log")


def test_heartbeat_stops_while_loop_is_held():
    ping = PingServer()
    d = Daemon(heartbeat_site(ping)).start()
    wait_until(lambda: ping.count() >= 2, 10, "the heartbeat to start")
    d.proc.send_signal(signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        # The window in which nothing must happen: three intervals.  A ping
        # already on the wire as the loop stopped may land just after.
        stays_false(lambda: ping.since(stopped + 0.3), stopped + 3.5,
                    "a heartbeat ping arrived while the loop was held")
    finally:
        d.proc.send_signal(signal.SIGCONT)
    resumed = time.monotonic()
    wait_until(lambda: len(ping.since(resumed)) >= 2, 10, "pings to resume after SIGCONT")


def test_heartbeat_post_and_failed_pings_logged_once():
    ping = PingServer()
    ping.answer(500)
    d = Daemon(heartbeat_site(ping, method="POST")).start()
    wait_until(lambda: ping.count() >= 4, 10, "four pings answered 500")
    with ping.lock:
        first = ping.pings[0]
    expect(first[1] == "POST" and first[3].startswith(b"tocsin "), f"a POST with a body: {first}")
    wait_until(lambda: metric(d, "tocsin_heartbeat_pings_total", result="failed") >= 3, 5,
               "failed pings counted")
    said = "\n".join(d.log_tail(10000)).count("heartbeat ping failed")
    expect(said == 1, f"failed pings logged {said} times, want once (rate-limited)")
    ping.answer(200)
    wait_until(lambda: "heartbeat pings again" in "\n".join(d.log_tail(200)), 10,
               "the log to say pings succeed again")
    expect(metric(d, "tocsin_heartbeat_last_success_timestamp_seconds") > 0, "a success counted")


def test_heartbeat_stops_while_store_cannot_commit():
    # A "full disk": a file size limit on the daemon (as test_durability
    # does), lifted again without privilege.
    ping = PingServer()
    channels = ('channel "log" { kind = "log" }\n'
                'group "office" { members = {}, channels = { "log" } }\n'
                'procedure "netsec" { match = { category = "network_security" },\n'
                '  on_open = { notify = { "office" } } }\n')
    d = Daemon(heartbeat_site(ping, channels=channels)).start()
    wait_until(lambda: ping.count() >= 2, 10, "the heartbeat to start")
    resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))
    try:
        for i in range(3000):
            if d.post_events(report(f"full-{i}", summary="x" * 2000)).status == 503:
                break
        else:
            raise TestFailure("the disk never filled")
        wait_until(lambda: "heartbeat withheld: the store cannot commit"
                   in "\n".join(d.log_tail(100)), 10, "the heartbeat to be withheld")
        quiet = time.monotonic() + 0.3
        stays_false(lambda: ping.since(quiet), quiet + 2.5,
                    "a ping while the store could not commit")
    finally:
        resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    wait_until(lambda: d.post_events(report("full-after")).status == 202, 10,
               "ingest to work again")
    resumed = time.monotonic()
    wait_until(lambda: ping.since(resumed), 10, "pings to resume once commits succeed")
    expect(metric(d, "tocsin_heartbeat_withheld_total") >= 2, "withheld ticks counted")


ALARM_CHANNELS = """\
channel "hook" {{ kind = "webhook", url = "{hook}", secret = "{secret}" }}
channel "ops" {{ kind = "webhook", url = "{ops}", secret = "{secret}" }}
group "office" {{ name = "办公室", members = {{}}, channels = {{ "hook" }} }}
procedure "netsec" {{
  match = {{ category = "network_security" }},
  on_open = {{ notify = {{ "office" }} }},
}}
"""


def test_alarm_reaches_office_on_other_channel_then_recovery():
    ping = PingServer()
    gateway, ops = Sink(), Sink()
    gateway.fail_for(3600, status=500)
    channels = ALARM_CHANNELS.format(hook=gateway.url(), ops=ops.url(), secret=SECRET)
    files = heartbeat_site(ping, extra=', alarm = { to = "office", channel = "ops", '
                           'queued_after = "3s", failing_after = "2s" }', channels=channels)
    d = Daemon(files).start()
    wait_until(lambda: ping.count() >= 1, 10, "the heartbeat to start")
    d.accept([report("wm-1")])
    wait_until(lambda: gateway.posts, 10, "the gateway to be tried")

    def alarms():
        return [p for p in ops.webhooks(reason="alarm")]

    raised = wait_until(lambda: [p for p in alarms() if "“hook”已连续" in p.body["text"]], 20,
                        "an alarm of the failing channel on the other channel")
    body = raised[0].body
    expect(body["channel"] == "ops" and body["recipient"] == "office",
           f"the office told on ops: {body}")
    wait_until(lambda: [p for p in alarms() if "通知积压" in p.body["text"]], 20,
               "an alarm of the stuck outbox")
    # Delivery is stuck: the heartbeat is withheld.
    wait_until(lambda: "heartbeat withheld: delivery is stuck" in "\n".join(d.log_tail(400)), 10,
               "the heartbeat to be withheld")
    quiet = time.monotonic() + 0.5
    stays_false(lambda: ping.since(quiet), quiet + 2.5, "a ping while delivery was stuck")
    expect(metric(d, "tocsin_alarms_active") == 2, "two episodes under way")
    # Once per episode: no second raise while it lasts.
    n = len(alarms())
    expect(n == 2, f"two alarms, once each: {[p.body['text'] for p in alarms()]}")

    gateway.fail_for(0)
    wait_until(lambda: gateway.webhooks(reason="opened") and
               any(p.status == 200 for p in gateway.posts), 45, "the gateway to deliver")
    wait_until(lambda: [p for p in alarms() if "已恢复" in p.body["text"]], 20,
               "the channel's recovery message")
    wait_until(lambda: [p for p in alarms() if "积压已消除" in p.body["text"]], 20,
               "the outbox's recovery message")
    resumed = time.monotonic()
    wait_until(lambda: ping.since(resumed), 10, "the heartbeat to resume")
    expect(len(alarms()) == 4, f"raise and recovery each: {[p.body['text'] for p in alarms()]}")
    expect(metric(d, "tocsin_alarm_messages_total", state="raised") == 2, "raised counted")
    expect(metric(d, "tocsin_alarm_messages_total", state="cleared") == 2, "cleared counted")
    d.stop()
    kinds = d.query_db("SELECT count(*) FROM timeline WHERE kind = 'watchman.alarm'")
    expect(kinds[0][0] == 4, f"four watchman.alarm actions, got {kinds}")


def check(files):
    d = Daemon(files)
    r = subprocess.run([harness.TOCSIND, "-c", d.site, "--check"], capture_output=True,
                       text=True, env=harness.CLEAN_ENV, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_alarm_config_refused():
    base = 'site {{ alarm = {{ channel = "{ch}"{to} }} }}\n'
    office = 'group "office" { members = {}, channels = { "sms" } }\n'
    sms = 'channel "sms" { kind = "log" }\n'
    cases = [
        (base.format(ch="sms", to="") + sms + office, "is the site's only channel"),
        (base.format(ch="nope", to="") + sms + office, 'unknown channel "nope"'),
        (base.format(ch="ops", to=', to = "nobody"') + sms + 'channel "ops" { kind = "log" }\n'
         + office, 'unknown role "nobody"'),
        ('site { alarm = { channel = "ops", queued_after = "soon" } }\n' + sms + office,
         "queued_after"),
        ('site { heartbeat = { url = "ftp://x", every = "500ms" } }\n' + sms + office,
         "must start with http"),
    ]
    for text, want in cases:
        rc, out = check({"site.lua": text})
        expect(rc != 0 and want in out, f"--check of {text!r}: exit {rc}, {out!r}; want {want!r}")
    rc, out = check({"site.lua": base.format(ch="ops", to="") + sms
                     + 'channel "ops" { kind = "log" }\n' + office})
    expect(rc == 0, f"a good alarm refused: {out}")
