#!/usr/bin/env python3
"""Delivery throughput of the real daemon to a loopback webhook sink.

    python3 tests/bench/bench_delivery.py [--build build] [--tocsind PATH]
        [--events 4000] [--fanout 10] [--batch 100] [--title CHARS]
        [--synchronous FULL] [--unsigned]

Starts build/tests/sink (a C evhttp server that answers every POST 200 at
once), writes a site whose one procedure tells a group of K people, each on
one signed webhook channel pointed at the sink, so that every report makes
K notifications; starts build/tocsind on its own temp dir, port and database
with --log-level warn; after a second of idling, posts N reports in arrays
of --batch; then waits until the sink has had every notification, each
webhook-id once.  All along another thread GETs /healthz every 10 ms on a
keep-alive connection.

Prints one figure a line with its method beside it, as bench_rules does:
deliveries per second at the sink between its first and last arrival, the
ingest rate, the daemon's CPU while delivery ran alone, and the /healthz
latency during delivery, during delivery alone, during ingest and idle.
Sizes also come from the environment: BENCH_EVENTS, BENCH_FANOUT,
BENCH_BATCH, BENCH_TITLE, BENCH_SYNCHRONOUS.  Loopback only; standard
library only; everything started is stopped, whatever happens.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SECRET = "whsec_dG9jc2luLWJlbmNoLXNlY3JldC0wMTIzNDU2Nzg5"
HEALTH_EVERY = 0.010           # seconds between /healthz samples
IDLE = 1.0                     # seconds of /healthz samples before any event
IN_FLIGHT = 64                 # OUTBOX_IN_FLIGHT_MAX in src/outbox.c
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """User plus system CPU time of a process so far, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def percentile(sorted_values, p):
    """Nearest-rank percentile of a sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def site_files(port, sink_port, fanout, synchronous, signed):
    secret = f', secret = "{SECRET}"' if signed else ""
    people = "".join(
        f'person "p{i}" {{ name = "值班员{i}", phone = "+86138{i:08d}", '
        f'roles = {{ "office" }}, channels = {{ "hook" }} }}\n' for i in range(fanout))
    members = ", ".join(f'"p{i}"' for i in range(fanout))
    site = (f'site {{ listen = "127.0.0.1:{port}", synchronous = "{synchronous}", '
            f'timezone = "Asia/Shanghai", rules = {{ "." }} }}\n'
            f'channel "hook" {{ kind = "webhook", url = "http://127.0.0.1:{sink_port}/hook"'
            f'{secret} }}\n'
            f'channel "log" {{ kind = "log" }}\n'
            + people +
            f'group "bench" {{ name = "压测组", members = {{ {members} }} }}\n')
    rules = """\
procedure "bench" {
  title = "压测事件",
  match = { category = "bench" },
  on_open = { notify = { "bench" } },
}
"""
    return {"site.lua": site, "rules.lua": rules}


class Health(threading.Thread):
    """GET /healthz every HEALTH_EVERY s on one keep-alive connection."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.samples = []       # (monotonic at send, seconds taken)
        self.errors = 0
        self.stop = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        next_at = time.monotonic()
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
                self.samples.append((t0, time.monotonic() - t0))
                if r.status != 200:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            next_at += HEALTH_EVERY
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
            else:
                next_at = time.monotonic()
        conn.close()

    def between(self, start, end):
        return sorted(s for t, s in self.samples if start <= t <= end)


def stop_process(proc, timeout=10):
    """SIGTERM, then SIGKILL if need be; the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def wait_http(port, path, proc, what, timeout=30):
    """Until GET path answers 200; raise if proc exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer {path} in time")


def sink_requests(port):
    """How many POSTs the sink has answered so far."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/stats")
    n = json.loads(conn.getresponse().read())["requests"]
    conn.close()
    return n


def post_events(port, events, batch, title_chars):
    """POST the reports in arrays of batch; (start, end) monotonic."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.monotonic()
    for at in range(0, events, batch):
        body = json.dumps([
            {"type": "report", "incident": f"bench-{i}", "category": "bench",
             "unit": "hospital-a", "grade": 3,
             "title": f"压测事件{i}".ljust(title_chars, "测")}
            for i in range(at, min(at + batch, events))], ensure_ascii=False).encode()
        conn.request("POST", "/v1/events", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        text = r.read()
        if r.status != 202:
            raise RuntimeError(f"POST /v1/events: {r.status} {text[:200]!r}")
    end = time.monotonic()
    conn.close()
    return start, end


def report(args, stats, expected, times, sent_before, cpu, health):
    """One figure a line, the method beside it."""
    idle_start, ingest_start, ingest_end = times
    # The sink's times are CLOCK_MONOTONIC, which time.monotonic() reads.
    first, last = stats["first_us"] / 1e6, stats["last_us"] / 1e6
    kind = "unsigned" if args.unsigned else "signed"
    print(f"{stats['per_second']:6.0f} deliveries/s  {kind} webhook to a loopback C sink, "
          f"{IN_FLIGHT} in flight, {expected} notifications ({args.events} reports x "
          f"{args.fanout} people, {stats['bytes'] // expected} B bodies), first to last "
          f"arrival at the sink")
    ingest = ingest_end - ingest_start
    print(f"{args.events / ingest:6.0f} events/s  ingest, POST /v1/events in arrays of "
          f"{args.batch} from one client, first POST to last 202 ({expected / ingest:.0f} "
          f"outbox rows/s; synchronous = {args.synchronous}; delivery runs alongside)")
    alone = last - ingest_end
    if alone > 0 and expected > sent_before:
        print(f"{100 * cpu / alone:6.0f} % CPU  tocsind, from the last 202 to the last "
              f"arrival (delivery alone, {expected - sent_before} deliveries)")
        print(f"{1e6 * cpu / (expected - sent_before):6.1f} us CPU/delivery  tocsind, "
              f"same window")
    if last > first:
        print(f"{100 * stats['cpu_s'] / (last - first):6.0f} % CPU  the sink, first to "
              f"last arrival")
    method = (f"keep-alive GET every {HEALTH_EVERY * 1000:.0f} ms from another thread")
    for label, lo, hi in (("delivery", first, last),
                          ("delivery alone, after the last 202", ingest_end, last),
                          ("ingest (delivery alongside)", ingest_start, ingest_end),
                          ("the idle second before", idle_start, ingest_start)):
        ms = [1000 * x for x in health.between(lo, hi)]
        for name, value in (("p50", percentile(ms, 50)), ("p99", percentile(ms, 99)),
                            ("max", ms[-1] if ms else float("nan"))):
            print(f"{value:6.2f} ms  /healthz {name} during {label}, {method} "
                  f"({len(ms)} samples)")


def env_int(name, default):
    return int(os.environ.get(name, default))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--tocsind", help="the daemon to measure (default: BUILD/tocsind)")
    ap.add_argument("--events", type=int, default=env_int("BENCH_EVENTS", 4000),
                    help="reports to post (default 4000)")
    ap.add_argument("--fanout", type=int, default=env_int("BENCH_FANOUT", 10),
                    help="people told per report (default 10)")
    ap.add_argument("--batch", type=int, default=env_int("BENCH_BATCH", 100),
                    help="reports per POST (default 100)")
    ap.add_argument("--synchronous", default=os.environ.get("BENCH_SYNCHRONOUS", "FULL"),
                    choices=["OFF", "NORMAL", "FULL"])
    ap.add_argument("--title", type=int, default=env_int("BENCH_TITLE", 0), metavar="CHARS",
                    help="pad each report's title to this many characters (bigger bodies)")
    ap.add_argument("--unsigned", action="store_true",
                    help="no webhook secret (default: signed, as a site would run it)")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds to wait for every delivery")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    tocsind = os.path.abspath(args.tocsind or os.path.join(build, "tocsind"))
    sink_bin = os.path.join(build, "tests", "sink")
    expected = args.events * args.fanout
    tmp = tempfile.mkdtemp(prefix="tocsin-bench-")
    sink = daemon = health = None
    ok = False
    try:
        sink = subprocess.Popen([sink_bin, "-n", str(expected)], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True)
        sink_port = int(sink.stdout.readline())

        port = free_port()
        for name, text in site_files(port, sink_port, args.fanout, args.synchronous,
                                     not args.unsigned).items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(text)
        log = open(os.path.join(tmp, "tocsind.log"), "wb")
        daemon = subprocess.Popen(
            [tocsind, "-c", os.path.join(tmp, "site.lua"), "--listen", f"127.0.0.1:{port}",
             "--db", os.path.join(tmp, "tocsin.db"), "--log-level", "warn"],
            cwd=tmp, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        wait_http(port, "/healthz", daemon, "tocsind")

        health = Health(port)
        health.start()
        idle_start = time.monotonic()
        time.sleep(IDLE)
        ingest_start, ingest_end = post_events(port, args.events, args.batch,
                                                  args.title)
        cpu_daemon0 = cpu_seconds(daemon.pid)
        sent_before = sink_requests(sink_port)

        # The sink exits once it has had every notification.
        deadline = time.monotonic() + args.timeout
        while sink.poll() is None and time.monotonic() < deadline:
            if daemon.poll() is not None:
                print(f"bench_delivery: tocsind exited with {daemon.returncode}",
                      file=sys.stderr)
                break
            time.sleep(0.05)
        if sink.poll() is None:
            sink.send_signal(signal.SIGTERM)
        out, _ = sink.communicate(timeout=10)
        cpu_daemon1 = cpu_seconds(daemon.pid)
        health.stop.set()
        health.join()
        stats = json.loads(out.strip().splitlines()[-1])

        if stats["requests"] < expected:
            print(f"bench_delivery: only {stats['requests']} of {expected} notifications "
                  f"reached the sink in {args.timeout:.0f} s", file=sys.stderr)
            return 1
        if stats["distinct"] != expected or stats["no_id"] != 0:
            print(f"bench_delivery: {stats['distinct']} distinct webhook-ids, "
                  f"{stats['no_id']} without one, for {expected} notifications",
                  file=sys.stderr)
            return 1

        report(args, stats, expected, (idle_start, ingest_start, ingest_end),
               sent_before, cpu_daemon1 - cpu_daemon0, health)
        if health.errors:
            print(f"bench_delivery: {health.errors} /healthz requests failed or not 200",
                  file=sys.stderr)
            return 1
        rc = stop_process(daemon)
        if rc != 0:
            print(f"bench_delivery: tocsind exited with {rc} after SIGTERM", file=sys.stderr)
            return 1
        ok = True
        return 0
    finally:
        if health is not None:
            health.stop.set()
        stop_process(daemon)
        stop_process(sink)
        if not ok:
            try:
                with open(os.path.join(tmp, "tocsind.log"), "rb") as f:
                    tail = f.read().decode("utf-8", "replace").splitlines()[-20:]
                print("\n".join(["bench_delivery: tocsind.log:"] + tail), file=sys.stderr)
            except OSError:
                pass
        if args.keep:
            print(f"bench_delivery: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
