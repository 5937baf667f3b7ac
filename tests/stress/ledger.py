#!/usr/bin/env python3
"""The largest ledger against the loop: /healthz while clients pull it, and
memory while clients ask for it and do not read.

    python3 tests/stress/ledger.py [--build build] [--incidents 25000]
        [--pullers 10] [--stallers 30] [--seconds 60]

1. build/tests/bench_scale writes --incidents reports through the engine
   (tests/bench/bench_scale.py's site: four obligations each), so 25,000
   give 100,000 obligations, and the real tocsind starts on that database.
2. --pullers clients each pull the whole ledger (every obligation, from
   2000 to 2100) page by page, following `next` with the largest page the
   daemon takes (each a process of its own, niced), while one client asks
   GET /healthz every 10 ms: its
   latency p50, p99 and max, the pages and rows each puller got (each must
   get every row once), and the longest single page.  A daemon without
   pages answers the ledger in one piece, which the script takes as one
   page: run it with --build pointing at an older build to compare.
3. --stallers clients each send the same first request and never read the
   answer (a receive buffer of 4 KiB); tocsind's VmRSS before, with them
   held for 3 s, and its VmHWM; /healthz meanwhile.

Loopback only; bounded: at most --seconds for part 2, everything started
is stopped whatever happens.  Standard library only.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))

import bench_delivery as bd  # noqa: E402
import bench_ingest as bi  # noqa: E402
import bench_scale as bs  # noqa: E402

LEDGER = "/v1/compliance?from=2000-01-01&to=2100-01-01&limit=200"


def progress(msg):
    print(f"ledger: {msg}", file=sys.stderr, flush=True)


def get(port, path, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


class Prober(threading.Thread):
    """GET /healthz every 10 ms until stopped; the latencies in ms."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.ms, self.failed = port, [], 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                status, _ = get(self.port, "/healthz", timeout=10)
                if status != 200:
                    self.failed += 1
            except OSError:
                self.failed += 1
            self.ms.append(1000 * (time.monotonic() - t))
            self.stop.wait(0.01)

    def finish(self):
        self.stop.set()
        self.join()
        return sorted(self.ms)


def pull(port, deadline, out):
    """The whole ledger, page by page, on one connection; a dict onto out.
    Niced: on a machine of 2 cores the clients would otherwise take the CPU
    that real clients, elsewhere, would not take from the daemon."""
    os.nice(10)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    path, rows, pages, longest, seen = LEDGER, 0, 0, 0.0, set()
    try:
        while path is not None and time.monotonic() < deadline:
            t = time.monotonic()
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            longest = max(longest, time.monotonic() - t)
            if r.status != 200:
                raise RuntimeError(f"GET {path}: {r.status} {body[:200]!r}")
            page = json.loads(body)
            for o in page["obligations"]:
                seen.add((o["incident"], o["obligation"]))
            rows += len(page["obligations"])
            pages += 1
            path = page.get("next")
        out.put({"rows": rows, "distinct": len(seen), "pages": pages, "done": path is None,
                 "longest_s": longest})
    except Exception as e:      # reported, not raised: the process must end
        out.put({"error": str(e)})
    finally:
        conn.close()


def part_idle(port):
    """/healthz alone for 3 s: what the machine gives before any puller."""
    prober = Prober(port)
    prober.start()
    time.sleep(3)
    return prober.finish()


def part_pull(args, port):
    """Pullers are processes, so that parsing their pages does not delay the
    prober (one interpreter lock); the prober runs in this one."""
    prober = Prober(port)
    prober.start()
    time.sleep(0.5)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    deadline = time.monotonic() + args.seconds
    t0 = time.monotonic()
    procs = [ctx.Process(target=pull, args=(port, deadline, out), daemon=True)
             for _ in range(args.pullers)]
    for p in procs:
        p.start()
    results = []
    for _ in procs:
        try:
            results.append(out.get(timeout=args.seconds + 60))
        except queue.Empty:
            results.append({"error": "a puller gave no result"})
    took = time.monotonic() - t0
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
    return prober.finish(), prober.failed, results, took


def part_stall(args, port, pid):
    rss0, _ = bi.rss_kib(pid)
    socks = []
    prober = Prober(port)
    prober.start()
    try:
        for _ in range(args.stallers):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(f"GET {LEDGER} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            socks.append(s)
        time.sleep(3)
        rss1, hwm = bi.rss_kib(pid)
    finally:
        health = prober.finish()
        for s in socks:
            s.close()
    return rss0, rss1, hwm, health, prober.failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--incidents", type=int, default=25000)
    ap.add_argument("--pullers", type=int, default=10)
    ap.add_argument("--stallers", type=int, default=30)
    ap.add_argument("--seconds", type=int, default=60)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    here_build = os.path.abspath(os.path.join(HERE, "..", "..", "build"))
    builder = os.path.join(build, "tests", "bench_scale")
    if not os.access(builder, os.X_OK):
        builder = os.path.join(here_build, "tests", "bench_scale")
    tmp = tempfile.mkdtemp(prefix="tocsin-ledger-")
    proc = None
    try:
        port = bd.free_port()
        site = os.path.join(tmp, "site.lua")
        with open(site, "w", encoding="utf-8") as f:
            f.write(bs.scale_site(port, bd.free_port()))
        db = os.path.join(tmp, "tocsin.db")
        progress(f"writing {args.incidents} incidents ({4 * args.incidents} obligations)")
        subprocess.run([builder, "-c", site, "-d", db, "-n", str(args.incidents)],
                       capture_output=True, check=True, timeout=600)
        with open(os.path.join(tmp, "tocsind.log"), "wb") as log:
            proc = subprocess.Popen([os.path.join(build, "tocsind"), "-c", site, "--db", db,
                                     "--log-level", "warn"], cwd=tmp, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log)
        bd.wait_http(port, "/healthz", proc, "tocsind", timeout=120)
        idle = part_idle(port)
        progress(f"{args.pullers} clients pulling the ledger")
        health, failed, results, took = part_pull(args, port)
        progress(f"{args.stallers} clients that do not read")
        rss0, rss1, hwm, health2, failed2 = part_stall(args, port, proc.pid)
        rc = bd.stop_process(proc)
    finally:
        bd.stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    pct = bd.percentile
    want = 4 * args.incidents
    errors = [r["error"] for r in results if "error" in r]
    ok = [r for r in results if "error" not in r]
    complete = [r for r in ok if r["done"] and r["rows"] == want and r["distinct"] == want]
    print(f"{pct(idle, 99):8.1f} ms  /healthz p99 with no other client ({len(idle)} GETs; "
          f"p50 {pct(idle, 50):.1f} ms): what this machine gives")
    print(f"{pct(health, 50):8.1f} ms  /healthz p50 while {args.pullers} clients pull the "
          f"ledger of {want} obligations ({len(health)} GETs, one every 10 ms, {failed} failed)")
    print(f"{pct(health, 99):8.1f} ms  /healthz p99, same")
    print(f"{health[-1]:8.1f} ms  /healthz max, same")
    print(f"{len(complete):8d}     of {args.pullers} pullers got every row exactly once "
          f"({ok[0]['pages'] if ok else 0} pages each; {took:.1f} s for all; "
          f"errors: {errors[:2] or 'none'})")
    longest = max((r["longest_s"] for r in ok), default=float("nan"))
    print(f"{1000 * longest:8.1f} ms  longest single page as a puller saw it")
    print(f"{rss0 / 1024:8.1f} MiB  tocsind VmRSS before {args.stallers} clients that do not read")
    print(f"{rss1 / 1024:8.1f} MiB  tocsind VmRSS with them held 3 s; VmHWM {hwm / 1024:.1f} MiB")
    print(f"{pct(health2, 99):8.1f} ms  /healthz p99 meanwhile ({len(health2)} GETs, "
          f"{failed2} failed)")
    print(f"{rc!s:>8}     tocsind's exit status after SIGTERM (-9: it did not stop within 10 s)")
    return 0 if len(complete) == args.pullers and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
