#!/usr/bin/env python3
"""The office's statistics over a year: how long GET /v1/stats holds the loop.

    python3 tests/bench/bench_stats.py [--build build] [--tocsind PATH]
        [--before PATH] [--obligations 200000] [--incidents 100000]
        [--units 200] [--rounds 5]

build/tests/bench_scale makes the database (one incident: the schema);
then --incidents incidents opened over the twelve months of 2025 (China
time), a few of them long after they happened, and --obligations
obligations due over the same months, met on time, late or missed, are
written into it directly, over --units units: closed, so that the
engine has nothing to do.  The real tocsind starts on that database and
GET /v1/stats?from=2025-01&to=2025-12 is asked --rounds times, one
after the other.  Meanwhile a thread asks GET /healthz back to back on
one kept-alive connection (bench_summary.py's probe): its longest wait
while the statistics are counted is the longest they held the loop.
With --before, a second tocsind (e.g. built from an older commit) is
measured the same way on the same database, first.

Prints one figure a line with its method beside it.  Loopback only;
everything started is stopped, whatever happens.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

import bench_delivery as bd
import bench_scale as bs
from bench_summary import Probe, median

TOKEN = "bench-stats-0123456789abcdef"
CST = timezone(timedelta(hours=8))


def progress(msg):
    print(f"bench_stats: {msg}", file=sys.stderr, flush=True)


def ms(dt):
    return int(dt.timestamp() * 1000)


def fill(db, units, incidents, obligations):
    """The year's incidents and obligations, written straight into db."""
    rnd = random.Random(19)
    start, end = ms(datetime(2025, 1, 1, tzinfo=CST)), ms(datetime(2026, 1, 1, tzinfo=CST))
    con = sqlite3.connect(db)
    inc = []
    for i in range(incidents):
        opened = rnd.randrange(start, end)
        late = rnd.random() < 0.05
        occurred = opened - (rnd.randrange(25, 72) if late else rnd.randrange(0, 24)) * 3600000
        inc.append((f"bench-{i}", f"unit-{i % units:03d}", "scale", "[]", "resolved",
                    "规模测试", opened, occurred, opened + 60000, opened + 60000))
    inc.sort(key=lambda r: r[6])        # stored in the order opened
    con.executemany("INSERT INTO incidents (key, unit, category, procedures, state, title, "
                    "opened_at, occurred_at, resolved_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inc)
    obl = []
    for i in range(obligations):
        due = rnd.randrange(start, end)
        status = rnd.choice(("met", "met", "met", "late", "missed"))
        met = due - 1000 if status == "met" else due + 3600000 if status == "late" else None
        obl.append((f"bench-{i % incidents}", f"unit-{i % units:03d}", "scale", "report",
                    "报告", "duty", due - 86400000, due, due + 86400000, met, status))
    con.executemany("INSERT INTO obligations (incident, unit, procedure, name, title, owner, "
                    "set_at, due_at, close_at, met_at, status) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", obl)
    con.commit()
    con.close()


def stats(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t = time.monotonic()
    conn.request("GET", "/v1/stats?from=2025-01&to=2025-12",
                 headers={"Authorization": f"Bearer {TOKEN}"})
    r = conn.getresponse()
    body = json.loads(r.read())
    end = time.monotonic()
    conn.close()
    if r.status != 200:
        raise RuntimeError(f"stats: {r.status} {body}")
    return t, end, body["total"]


def measure(tocsind, site, db, port, rounds, tmp, name):
    """(stalls, took, total, floor) of one tocsind on db."""
    proc = None
    try:
        log = open(os.path.join(tmp, f"tocsind-{name}.log"), "wb")
        proc = subprocess.Popen([tocsind, "-c", site, "--db", db, "--log-level", "warn"],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        bs.first_health(port, proc)
        probe = Probe(port)
        probe.start()
        time.sleep(1.0)
        floor = probe.longest(time.monotonic() - 0.9, time.monotonic())
        stalls, took = [], []
        for _ in range(rounds):
            start, end, total = stats(port)
            time.sleep(0.05)
            stalls.append(probe.longest(start, end))
            took.append(1000 * (end - start))
        probe.stop = True
        probe.join()
        progress(f"{name}: stalls {[round(s, 1) for s in stalls]} ms, "
                 f"took {[round(t) for t in took]} ms, floor {floor:.1f} ms")
        return stalls, took, total, floor
    finally:
        bd.stop_process(proc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--tocsind")
    ap.add_argument("--before", help="another tocsind, measured first on the same database")
    ap.add_argument("--obligations", type=int, default=200000)
    ap.add_argument("--incidents", type=int, default=100000)
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    runs = [("before", os.path.abspath(args.before))] if args.before else []
    runs.append(("this", os.path.abspath(args.tocsind or os.path.join(build, "tocsind"))))
    tmp = tempfile.mkdtemp(prefix="tocsin-stats-")
    figures = {}
    try:
        port = bd.free_port()
        site = os.path.join(tmp, "site.lua")
        text = bs.scale_site(port, 9)   # the sink is never called: nothing falls due
        text += f'token "all" {{ secret = "{TOKEN}", read = true }}\n'
        with open(site, "w", encoding="utf-8") as f:
            f.write(text)
        db = os.path.join(tmp, "tocsin.db")
        subprocess.run([os.path.join(build, "tests", "bench_scale"), "-c", site, "-d", db,
                        "-n", "1"], capture_output=True, check=True)
        progress(f"writing {args.incidents} incidents and {args.obligations} obligations "
                 f"over 12 months, {args.units} units")
        fill(db, args.units, args.incidents, args.obligations)
        for name, tocsind in runs:
            figures[name] = measure(tocsind, site, db, port, args.rounds, tmp, name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    what = (f"12 months, {args.obligations} obligations and {args.incidents} incidents "
            f"over {args.units} units")
    for name, _ in runs:
        stalls, took, total, floor = figures[name]
        tag = "" if name == "this" else " (--before)"
        print(f"{median(stalls):8.1f} ms  longest loop stall of GET /v1/stats{tag}, {what}: "
              f"the longest /healthz wait while it ran, median of {len(stalls)} rounds "
              f"(max {max(stalls):.1f} ms)")
        print(f"{median(took):8.0f} ms  the request's own time{tag}, same "
              f"(counted {total['due'] + total['pending']} obligations owed or pending, "
              f"{total['incidents']} incidents)")
        print(f"{floor:8.1f} ms  longest /healthz wait with no request running{tag} (the floor)")


if __name__ == "__main__":
    main()
