#!/usr/bin/env python3
"""The ledger's summary over 100,000 obligations: how long it holds the loop.

    python3 tests/bench/bench_summary.py [--build build] [--incidents 25000]
        [--rounds 7]

build/tests/bench_scale writes --incidents reports through the engine,
each opening an incident with four obligations (bench_scale.py's site):
100,000 obligations, due in 1 to 4 days, over 100 units.  The real
tocsind starts on that database and GET /v1/compliance/summary asks for
all of them (due from 2000 to 2100), --rounds times, one after
the other, first with no token and then with a token limited to one
unit (reads scoped: it counts 1,000 of them and reads past the rest).
Meanwhile a thread asks GET /healthz back to back on one kept-alive
connection: the loop answers it between two other callbacks, so its
longest wait while a summary runs is the longest the summary held the
loop (plus one /healthz).  The figures are the median over the rounds of
each round's longest wait, the largest of them, the summary's own time,
and the longest wait with no summary running (the floor).

Prints one figure a line with its method beside it.  Loopback only;
everything started is stopped, whatever happens.
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import bench_delivery as bd
import bench_scale as bs

TOKEN = "bench-unit-007-0123456789abcdef"


def progress(msg):
    print(f"bench_summary: {msg}", file=sys.stderr, flush=True)


class Probe(threading.Thread):
    """GET /healthz back to back; each answer's (start, end) in seconds."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.times = []
        self.stop = False

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop:
            t = time.monotonic()
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            self.times.append((t, time.monotonic()))
        conn.close()

    def longest(self, start, end):
        """The longest /healthz wait that overlaps [start, end], in ms."""
        waits = [b - a for a, b in self.times if b >= start and a <= end]
        return 1000 * max(waits) if waits else float("nan")


def summary(port, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    t = time.monotonic()
    conn.request("GET", "/v1/compliance/summary?by=unit&from=2000-01-01&to=2100-01-01",
                 headers=headers)
    r = conn.getresponse()
    body = json.loads(r.read())
    end = time.monotonic()
    conn.close()
    if r.status != 200:
        raise RuntimeError(f"summary: {r.status} {body}")
    total = sum(u["counts"]["total"] for u in body["units"])
    return t, end, total


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--tocsind")
    ap.add_argument("--incidents", type=int, default=25000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    tocsind = os.path.abspath(args.tocsind or os.path.join(build, "tocsind"))
    tmp = tempfile.mkdtemp(prefix="tocsin-summary-")
    proc = None
    try:
        port = bd.free_port()
        site = os.path.join(tmp, "site.lua")
        text = bs.scale_site(port, 9)   # the sink is never called: nothing falls due
        text += (f'token "unit-007" {{ secret = "{TOKEN}", units = {{ "unit-007" }}, '
                 f'read = true }}\n')
        text += f'token "all" {{ secret = "{TOKEN}-all", read = true }}\n'
        with open(site, "w", encoding="utf-8") as f:
            f.write(text)
        db = os.path.join(tmp, "tocsin.db")
        progress(f"writing {args.incidents} incidents (4 obligations each)")
        subprocess.run([os.path.join(build, "tests", "bench_scale"), "-c", site, "-d", db,
                        "-n", str(args.incidents)], capture_output=True, check=True)
        log = open(os.path.join(tmp, "tocsind.log"), "wb")
        proc = subprocess.Popen([tocsind, "-c", site, "--db", db, "--log-level", "warn"],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        bs.first_health(port, proc)
        probe = Probe(port)
        probe.start()
        time.sleep(1.0)
        floor = probe.longest(time.monotonic() - 0.9, time.monotonic())
        figures = {}
        for name, token in (("all", TOKEN + "-all"), ("unit", TOKEN)):
            stalls, took = [], []
            for _ in range(args.rounds):
                start, end, total = summary(port, token)
                time.sleep(0.05)
                stalls.append(probe.longest(start, end))
                took.append(1000 * (end - start))
            figures[name] = (stalls, took, total)
            progress(f"{name}: stalls {[round(s, 1) for s in stalls]} ms, "
                     f"took {[round(t) for t in took]} ms, counted {total}")
        probe.stop = True
        probe.join()
    finally:
        bd.stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    n = 4 * args.incidents
    for name, what in (("all", f"every one of {n} obligations counted"),
                       ("unit", f"a token of one unit: {figures['unit'][2]} of {n} counted")):
        stalls, took, _ = figures[name]
        print(f"{median(stalls):8.1f} ms  longest loop stall of GET /v1/compliance/summary, "
              f"{what}: the longest /healthz wait while it ran, median of {len(stalls)} rounds "
              f"(max {max(stalls):.1f} ms)")
        print(f"{median(took):8.0f} ms  the summary's own time, same ({what})")
    print(f"{floor:8.1f} ms  longest /healthz wait with no summary running (the floor)")


if __name__ == "__main__":
    main()
