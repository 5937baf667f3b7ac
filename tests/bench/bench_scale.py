#!/usr/bin/env python3
"""Scale of time and memory: a million pending obligations, and memory per
open incident, measured on the real daemon.

    python3 tests/bench/bench_scale.py [--build build] [--incidents 250000]
        [--burst 10000] [--steps 5]

1. A million obligations.  build/tests/bench_scale writes --incidents
   reports through the engine itself (engine_submit, as the daemon's group
   commit would, on a virtual clock), each opening an incident whose
   procedure sets four obligations (due in 1 to 4 days, each escalating on
   breach to the office on a webhook to the loopback sink): 250,000
   incidents, 1,000,000 pending obligations and 1,000,000 timer rows.
   Then --burst of the obligations (every 100th) are moved, with their
   timer rows, to fall due spread evenly over one second --lead seconds
   ahead, and the file is synced, so that the kernel does not write it
   back while the daemon syncs its WAL.  The real tocsind starts on that database
   (the file freshly written, so in the page cache, as after a restart);
   the bench measures the time to READY=1 on a NOTIFY_SOCKET it owns and to
   the first /healthz 200, reads the daemon's own log line with the
   time the timer rebuild took, and VmRSS and VmHWM from /proc.  Once every
   burst obligation is breached, the lateness of each is the timeline's
   obligation.breached `at` minus the obligation's due_at, both in ms in
   the database: p50, p99 and max.  /healthz is timed meanwhile.
2. Memory per open incident.  A fresh tocsind with the ingest bench's site
   (each report opens an incident: a webhook to the sink, an obligation and
   its timer); --steps rounds of 10,000 reports in arrays of 100, each
   round waited out until the sink has had its webhooks; VmRSS after each.
   The figure is the growth per 10,000 over the last rounds (the first one
   warms up the caches), and, from part 1, RSS per incident held at scale.

Prints one figure a line with its method beside it.  Loopback only;
everything started is stopped, whatever happens.
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import bench_delivery as bd
import bench_ingest as bi


def progress(msg):
    print(f"bench_scale: {msg}", file=sys.stderr, flush=True)


def scale_site(port, sink_port):
    return f"""\
site {{ listen = "127.0.0.1:{port}", timezone = "Asia/Shanghai" }}
channel "hook" {{ kind = "webhook", url = "http://127.0.0.1:{sink_port}/hook",
  secret = "{bd.SECRET}" }}
person "duty" {{ name = "值班员", phone = "+8613800000000",
  roles = {{ "office", "responsible" }}, channels = {{ "hook" }} }}
policy "standard" {{ {{ notify = {{ "office" }} }} }}
procedure "scale" {{
  title = "规模测试",
  match = {{ category = "scale" }},
  obligations = {{
    {{ id = "assessment", due = "1d", met_by = {{ type = "assessment" }},
      owner = "responsible", on_breach = "standard" }},
    {{ id = "follow-up", due = "2d", met_by = {{ type = "update" }},
      owner = "responsible", on_breach = "standard" }},
    {{ id = "final", due = "3d", met_by = {{ type = "final" }},
      owner = "responsible", on_breach = "standard" }},
    {{ id = "feedback", due = "4d", met_by = {{ type = "feedback" }},
      owner = "responsible", on_breach = "standard" }},
  }},
}}
"""


def percentile(values, p):
    return bd.percentile(sorted(values), p)


def status_kib(pid):
    return bi.rss_kib(pid)


class Notify:
    """A NOTIFY_SOCKET the bench owns: when READY=1 arrived."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.ready_at = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.ready_at is None:
            try:
                msg = self.sock.recv(4096).decode("utf-8", "replace")
            except OSError:
                return
            if "READY=1" in msg.split("\n"):
                self.ready_at = time.monotonic()

    def close(self):
        self.sock.close()


def healthz_ms(port):
    t = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/healthz")
    ok = conn.getresponse().status == 200
    conn.close()
    return 1000 * (time.monotonic() - t), ok


def first_health(port, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tocsind exited with {proc.returncode}")
        try:
            _, ok = healthz_ms(port)
            if ok:
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError("tocsind did not answer /healthz")


def move_burst(db, burst, lead_s):
    """Every 100th obligation and its due timer fall due within one second."""
    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute(
        "SELECT id FROM obligations WHERE status = 'pending' AND id % 100 = 0 "
        "ORDER BY id LIMIT ?", (burst,))]
    if len(ids) < burst:
        raise RuntimeError(f"only {len(ids)} obligations to move")
    t0 = (int(time.time()) + lead_s) * 1000
    with con:
        for rank, oid in enumerate(ids):
            at = t0 + rank * 1000 // burst
            con.execute("UPDATE obligations SET due_at = ? WHERE id = ?", (at, oid))
            con.execute("UPDATE timers SET at = ? WHERE kind = 1 AND ref = ?", (at, oid))
    counts = {
        "obligations": con.execute("SELECT count(*) FROM obligations WHERE status = "
                                   "'pending'").fetchone()[0],
        "timers": con.execute("SELECT count(*) FROM timers").fetchone()[0],
        "incidents": con.execute("SELECT count(*) FROM incidents WHERE state = "
                                 "'open'").fetchone()[0],
    }
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return t0, counts


def breached(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT t.at - o.due_at FROM timeline t JOIN obligations o "
            "ON o.id = t.obligation WHERE t.kind = 'obligation.breached'").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def part_million(args, build, tmp, sink_port):
    d = os.path.join(tmp, "million")
    os.makedirs(d)
    port = bd.free_port()
    site = os.path.join(d, "site.lua")
    with open(site, "w", encoding="utf-8") as f:
        f.write(scale_site(port, sink_port))
    db = os.path.join(d, "tocsin.db")
    progress(f"writing {args.incidents} incidents through the engine")
    out = subprocess.run([os.path.join(build, "tests", "bench_scale"), "-c", site, "-d", db,
                          "-n", str(args.incidents)], capture_output=True, text=True,
                         check=True).stdout
    built = json.loads(out)
    t0, counts = move_burst(db, args.burst, args.lead)
    # The database was just written: let the kernel put it on disk now,
    # not while the daemon is syncing its WAL during the burst.
    os.sync()
    progress(f"built in {built['seconds']:.0f} s: {counts}; starting tocsind")
    notify = Notify(os.path.join(d, "notify"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    log_path = os.path.join(d, "tocsind.log")
    with open(log_path, "wb") as log:
        start = time.monotonic()
        # The default log level: each action is a line, as in production.
        level = os.environ.get("BENCH_LOG_LEVEL", "info")
        proc = subprocess.Popen([args.tocsind, "-c", site, "--db", db, "--log-level", level],
                                cwd=d, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log)
    try:
        healthy = first_health(port, proc)
        if time.time() * 1000 > t0 - 1000:
            raise RuntimeError("the burst came due before tocsind was up: raise --lead")
        deadline = time.monotonic() + 10
        while notify.ready_at is None and time.monotonic() < deadline:
            time.sleep(0.01)
        rss_ready, hwm_ready = status_kib(proc.pid)
        health = []
        # Until the burst is over: every burst obligation breached.
        wait_until = t0 / 1000 + 60
        got = []
        while time.time() < wait_until:
            ms, ok = healthz_ms(port)
            health.append(ms)
            if time.time() > t0 / 1000 + 1:
                got = breached(db)
                if len(got) >= args.burst:
                    break
            time.sleep(0.02)
        rss_after, hwm_after = status_kib(proc.pid)
        rc = bd.stop_process(proc)
    finally:
        bd.stop_process(proc)
        notify.close()
    rebuild = None
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if "timers rebuilt" in line:
                rebuild = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    if len(got) < args.burst:
        raise RuntimeError(f"only {len(got)} of {args.burst} burst obligations breached")
    if rc != 0:
        raise RuntimeError(f"tocsind exited {rc} after SIGTERM")
    late = sorted(got)
    return {"counts": counts, "built": built, "ready_s": (notify.ready_at or float("nan")) - start,
            "healthy_s": healthy - start, "rebuild": rebuild, "rss_ready": rss_ready,
            "hwm_ready": hwm_ready, "rss_after": rss_after, "hwm_after": hwm_after,
            "late": late, "health": sorted(health)}


def part_memory(args, build, tmp, sink_port):
    d = os.path.join(tmp, "memory")
    os.makedirs(d)
    port = bd.free_port()
    for name, text in bi.tocsin_site(port, sink_port).items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(d, "log"), "wb") as log:
        proc = subprocess.Popen([args.tocsind, "-c", os.path.join(d, "site.lua"), "--db",
                                 os.path.join(d, "tocsin.db"), "--log-level", "warn"],
                                cwd=d, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        bd.wait_http(port, "/healthz", proc, "tocsind")
        rss = [status_kib(proc.pid)[0]]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = 0
        for step in range(args.steps):
            before = bd.sink_requests(sink_port)
            for _ in range(100):
                body = json.dumps([{"type": "report", "incident": f"mem-{n + i}",
                                    "category": "bench", "unit": "hospital-a", "grade": 3,
                                    "title": f"内存测试事件 {n + i}"} for i in range(100)],
                                  ensure_ascii=False).encode()
                conn.request("POST", "/v1/events", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 202:
                    raise RuntimeError(f"POST /v1/events: {r.status}")
                n += 100
            if bi.drain(sink_port, before + 10000) is None:
                raise RuntimeError("webhooks did not all arrive")
            time.sleep(0.5)
            rss.append(status_kib(proc.pid)[0])
            progress(f"{n} open incidents: RSS {rss[-1]} KiB")
        conn.close()
        rc = bd.stop_process(proc)
        if rc != 0:
            raise RuntimeError(f"tocsind exited {rc} after SIGTERM")
    finally:
        bd.stop_process(proc)
    return rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--tocsind")
    ap.add_argument("--incidents", type=int, default=int(os.environ.get("BENCH_INCIDENTS",
                                                                        250000)))
    ap.add_argument("--burst", type=int, default=10000)
    ap.add_argument("--lead", type=int, default=20,
                    help="seconds from the move to the burst's second")
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    args.tocsind = os.path.abspath(args.tocsind or os.path.join(build, "tocsind"))
    tmp = tempfile.mkdtemp(prefix="tocsin-scale-")
    sink = None
    try:
        sink = subprocess.Popen([os.path.join(build, "tests", "sink")], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True)
        sink_port = int(sink.stdout.readline())
        m = part_million(args, build, tmp, sink_port)
        rss = part_memory(args, build, tmp, sink_port)
    finally:
        bd.stop_process(sink)
        shutil.rmtree(tmp, ignore_errors=True)

    c = m["counts"]
    what = (f"{c['obligations']} pending obligations ({c['timers']} timers, "
            f"{c['incidents']} open incidents, written by the engine)")
    print(f"{m['rss_ready'] / 1024:8.1f} MiB  tocsind VmRSS at start-up with {what}")
    print(f"{m['hwm_after'] / 1024:8.1f} MiB  tocsind VmHWM (peak RSS) over start-up and the burst, "
          f"same database")
    if m["rebuild"] is not None:
        print(f"{float(m['rebuild'].get('ms', 'nan')) / 1000:8.3f} s  timer rebuild inside tocsind "
              f"(its log line: read the timers table, build the heap; {m['rebuild'].get('timers')} "
              f"timers)")
    print(f"{m['ready_s']:8.3f} s  tocsind start to READY=1 on the bench's NOTIFY_SOCKET "
          f"(rules, store, timer rebuild, outbox, listener)")
    print(f"{m['healthy_s']:8.3f} s  tocsind start to the first /healthz 200")
    late = m["late"]
    print(f"{percentile(late, 50):8.0f} ms  lateness p50, {len(late)} obligations due spread over "
          f"one second: timeline obligation.breached at - due_at (each breach escalates: "
          f"timeline rows, an escalation, an outbox row)")
    print(f"{percentile(late, 99):8.0f} ms  lateness p99, same")
    print(f"{late[-1]:8.0f} ms  lateness max, same")
    h = m["health"]
    print(f"{percentile(h, 99):8.1f} ms  /healthz p99 from ready to the end of the burst "
          f"({len(h)} GETs, one every 20 ms; max {h[-1]:.1f} ms)")
    per = 1024 * (m["rss_ready"]) / c["incidents"]
    print(f"{per:8.0f} B  tocsind VmRSS at start-up per open incident at scale "
          f"({c['incidents']} incidents with 4 obligations each; everything the process holds)")
    steps = [b - a for a, b in zip(rss[1:], rss[2:])] or [rss[-1] - rss[0]]
    steps.sort()
    growth = steps[len(steps) // 2]
    print(f"{growth:8.0f} KiB  tocsind VmRSS growth per 10,000 open incidents (each with an "
          f"obligation, its timer, a delivered webhook), median of {len(steps)} rounds after the "
          f"first; RSS {rss[0] // 1024} MiB empty, {rss[-1] // 1024} MiB at "
          f"{10000 * (len(rss) - 1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
