#!/usr/bin/env python3
"""Durable ingest of the real daemon beside Prometheus Alertmanager.

    python3 tests/bench/bench_ingest.py [--build build] [--seconds 10]
        [--repeat 3] [--connections 2,64] [--results DIR]
        [--products tocsin,alertmanager,ceiling,ceiling-bare,tocsin-pg]
        [--pg URL]

Both products take the same load from the same load generator, Debian's
wrk with tests/bench/wrk_events.lua: every request POSTs one new event
(about 300 bytes of JSON, an id and an incident key no other request
uses), from 2 threads, for --seconds, at each connection count.  Both send
one webhook per new incident or alert to the same loopback C sink
(build/tests/sink).

- tocsind: its own temp dir, port and database, synchronous = FULL (the
  default: each 202 is fsync'd), --log-level warn.  Each event opens an
  incident whose procedure notifies one person on a signed webhook channel
  and sets an obligation (due in 2 h, escalating on breach).
- tocsin-pg: the same tocsind with its store on PostgreSQL (--pg, a
  server's URL: tests/pg/bench.sh starts a throwaway one, fsync on, on
  this machine), a new database for each process.  Not in the default
  products: `make bench` runs it on its own, beside tocsin.
- Alertmanager 0.25 (/usr/bin/prometheus-alertmanager, Debian's package),
  clustering off, one route with group_by the alert's unique label,
  group_wait 0s, group_interval 1h, repeat_interval 24h, and a webhook
  receiver at the sink: so each new alert makes its own webhook.  Alerts
  are POSTed to /api/v2/alerts, one a request.  It keeps them in memory.
- the ceiling (build/tests/ceiling, tests/bench/ceiling.c): tocsin's I/O
  at the edges and nothing between.  The same evhttp front door parses
  each event with jansson and answers 202; "ceiling" also sends one
  webhook per event to the sink through tocsin's own curl-multi client,
  "ceiling-bare" sends none.  Nothing stored, no rules: what this machine
  allows any server of tocsin's shape, so a target above it cannot be met
  by tuning what lies between.

Runs are interleaved (tocsin 2, tocsin 64, Alertmanager 2, Alertmanager
64, the ceilings, then again) with a fresh process of each product per round; after
each run the bench waits until the sink has had every webhook, and says
how long that took.  Figures are medians over --repeat rounds.  Prints one
figure a line with its method beside it; writes ingest.dat and, when
gnuplot is there, ingest.png (events/s and p99 side by side) in --results.
Everything started is stopped, whatever happens.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import bench_delivery as bd

HERE = os.path.dirname(os.path.abspath(__file__))
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
WRK_THREADS = 2
NCPU = os.cpu_count()
DRAIN_TIMEOUT = 180.0


def progress(msg):
    print(f"bench_ingest: {msg}", file=sys.stderr, flush=True)


def rss_kib(pid):
    """VmRSS and VmHWM of a process, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out.get("VmRSS", 0), out.get("VmHWM", 0)


def tocsin_site(port, sink_port):
    site = (f'site {{ listen = "127.0.0.1:{port}", synchronous = "FULL", '
            f'timezone = "Asia/Shanghai", rules = {{ "." }} }}\n'
            f'channel "hook" {{ kind = "webhook", url = "http://127.0.0.1:{sink_port}/hook", '
            f'secret = "{bd.SECRET}" }}\n'
            'person "duty" { name = "值班员", phone = "+8613800000000", '
            'roles = { "office" }, channels = { "hook" } }\n')
    rules = """\
procedure "bench" {
  title = "压测事件",
  match = { category = "bench" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", title = "2小时内完成研判定级", due = "2h",
      met_by = { type = "assessment" }, owner = "office",
      on_breach = "standard" },
  },
}

policy "standard" {
  { notify = { "office" } },
}
"""
    return {"site.lua": site, "rules.lua": rules}


def alertmanager_config(sink_port):
    return f"""\
route:
  receiver: sink
  group_by: ['incident']
  group_wait: 0s
  group_interval: 1h
  repeat_interval: 24h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:{sink_port}/hook
        send_resolved: false
"""


class Product:
    """One fresh process of tocsind or Alertmanager in its own temp dir."""

    def __init__(self, name, args, sink_port, tmp):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"{name}-", dir=tmp)
        self.port = bd.free_port()
        self.log = os.path.join(self.dir, "log")
        if name in ("tocsin", "tocsin-pg"):
            for fname, text in tocsin_site(self.port, sink_port).items():
                with open(os.path.join(self.dir, fname), "w", encoding="utf-8") as f:
                    f.write(text)
            db = (pg_database(args.pg) if name == "tocsin-pg"
                  else os.path.join(self.dir, "tocsin.db"))
            cmd = [args.tocsind, "-c", os.path.join(self.dir, "site.lua"),
                   "--db", db, "--log-level", "warn"]
            self.path, self.ready = "/v1/events", "/healthz"
        elif name.startswith("ceiling"):
            cmd = [os.path.join(args.build, "tests", "ceiling"), str(self.port)]
            if name == "ceiling":
                cmd[1:1] = ["-w", f"http://127.0.0.1:{sink_port}/hook"]
            self.path, self.ready = "/v1/events", "/healthz"
        else:
            with open(os.path.join(self.dir, "am.yml"), "w") as f:
                f.write(alertmanager_config(sink_port))
            cmd = [ALERTMANAGER, f"--config.file={self.dir}/am.yml",
                   f"--storage.path={self.dir}/data",
                   f"--web.listen-address=127.0.0.1:{self.port}",
                   "--cluster.listen-address=", "--log.level=warn"]
            self.path, self.ready = "/api/v2/alerts", "/-/ready"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        bd.wait_http(self.port, self.ready, self.proc, name)

    def stop(self):
        rc = bd.stop_process(self.proc)
        if rc != 0:
            progress(f"{self.name} exited with {rc}; its log:")
            with open(self.log, "rb") as f:
                sys.stderr.write(f.read().decode("utf-8", "replace")[-2000:])
        return rc


def pg_database(url):
    """A new database on the server at url; its URL."""
    name = "bench_" + os.urandom(6).hex()
    subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", url, "-c",
                    f"CREATE DATABASE {name}"], check=True, capture_output=True)
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def machine_cpu():
    """(busy, total) jiffies of all cores so far, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]            # idle, iowait
    return sum(fields) - idle, sum(fields)


def run_wrk(product, conns, seconds, tag):
    url = f"http://127.0.0.1:{product.port}{product.path}"
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s",
           "-s", os.path.join(HERE, "wrk_events.lua"), url, "--", product.name, tag]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads([l for l in out.splitlines() if l.startswith("{")][-1])


def drain(sink_port, target, timeout=DRAIN_TIMEOUT):
    """Wait until the sink has had target requests: seconds it took."""
    start = time.monotonic()
    while bd.sink_requests(sink_port) < target:
        if time.monotonic() - start > timeout:
            return None
        time.sleep(0.05)
    return time.monotonic() - start


def one_round(args, rnd, sink, sink_port, tmp):
    results = []
    for name in args.products:
        product = Product(name, args, sink_port, tmp)
        try:
            rss0, _ = rss_kib(product.proc.pid)
            total = 0
            for conns in args.conns:
                before = bd.sink_requests(sink_port)
                cpu0 = bd.cpu_seconds(product.proc.pid)
                sink0 = bd.cpu_seconds(sink.pid)
                busy0, all0 = machine_cpu()
                w = run_wrk(product, conns, args.seconds, f"r{rnd}c{conns}")
                cpu = bd.cpu_seconds(product.proc.pid) - cpu0
                sink_cpu = bd.cpu_seconds(sink.pid) - sink0
                busy1, all1 = machine_cpu()
                ok = w["requests"] - w["status"]
                total += ok
                hooks = 0 if name == "ceiling-bare" else ok
                at_end = bd.sink_requests(sink_port) - before
                took = drain(sink_port, before + hooks)
                rss, hwm = rss_kib(product.proc.pid)
                r = dict(w, product=name, conns=conns, round=rnd, ok=ok,
                         rate=w["requests"] / w["seconds"], cpu=cpu / w["seconds"],
                         sink_cpu=sink_cpu / w["seconds"],
                         busy=(busy1 - busy0) / max(1, all1 - all0),
                         machine_us=1e6 * (busy1 - busy0) / bd.CLK_TCK / max(1, w["requests"]),
                         e2e=ok / (w["seconds"] + (took or 0)),
                         hooks_during=at_end, hooks=hooks, drain_s=took, rss_kib=rss, hwm_kib=hwm,
                         rss0_kib=rss0, held=total)
                results.append(r)
                progress(f"round {rnd} {name:12s} {conns:3d} conns: {r['rate']:8.0f}/s "
                         f"p50 {w['p50_us'] / 1000:.2f} ms p99 {w['p99_us'] / 1000:.2f} ms "
                         f"non-2xx {w['status']} errors {w['connect'] + w['read'] + w['write'] + w['timeout']} "
                         f"cpu {100 * r['cpu']:.0f}% sink {100 * r['sink_cpu']:.0f}% "
                         f"machine {100 * r['busy']:.0f}% webhooks during {at_end} drain "
                         f"{'-' if took is None else f'{took:.1f} s'} rss {rss // 1024} MiB")
                if took is None:
                    raise RuntimeError(f"{name}: the sink had not had every webhook "
                                       f"{DRAIN_TIMEOUT:.0f} s after the run")
        finally:
            if product.stop() not in (0, None) and name != "alertmanager":
                raise RuntimeError(f"{name} did not exit 0 after SIGTERM")
    return results


def med(values):
    return statistics.median(values) if values else float("nan")


def report(args, results):
    """One figure a line; the medians by product and connection count."""
    table = {}
    method = (f"wrk -t{WRK_THREADS} -d{args.seconds}s, one new ~300 B event a request, "
              f"median of {args.repeat}")
    what = {"tocsin": "tocsin durable ingest (synchronous=FULL, each event opens an "
                      "incident: 1 signed webhook, 1 obligation, every 202 after its commit)",
            "alertmanager": "Alertmanager 0.25 POST /api/v2/alerts (one webhook per new alert, "
                            "memory only)",
            "ceiling": "ceiling: tocsin's evhttp front door and curl client alone (parse, 202, "
                       "1 webhook an event; nothing stored, no rules)",
            "ceiling-bare": "ceiling-bare: tocsin's evhttp front door alone (parse, 202; "
                            "no webhook, nothing stored)",
            "tocsin-pg": "tocsin durable ingest with the store on PostgreSQL 15 (loopback, "
                         "fsync on; each event as for tocsin)"}
    for name in args.products:
        for conns in args.conns:
            rs = [r for r in results if r["product"] == name and r["conns"] == conns]
            m = {k: med([r[k] for r in rs]) for k in
                 ("rate", "p50_us", "p99_us", "max_us", "cpu", "sink_cpu", "busy",
                  "machine_us", "drain_s", "e2e")}
            m["non2xx"] = sum(r["status"] for r in rs)
            m["errors"] = sum(r["connect"] + r["read"] + r["write"] + r["timeout"] for r in rs)
            m["hooks_frac"] = med([r["hooks_during"] / max(1, r["hooks"]) for r in rs])
            table[(name, conns)] = m
            label = f"{what[name]}, {conns} connections, {method}"
            print(f"{m['rate']:8.0f} events/s  {label}")
            print(f"{m['p50_us'] / 1000:8.2f} ms  p50 latency, {name}, {conns} connections (wrk)")
            print(f"{m['p99_us'] / 1000:8.2f} ms  p99 latency, {name}, {conns} connections (wrk)")
            print(f"{m['non2xx']:8d} non-2xx  {name}, {conns} connections, all runs "
                  f"({m['errors']} socket errors or time-outs)")
            print(f"{100 * m['cpu']:8.0f} % CPU  {name}, {conns} connections, user+system "
                  f"during the run (2 cores; wrk has the rest)")
            print(f"{100 * m['busy']:8.0f} % busy  the whole machine during the run, {name}, "
                  f"{conns} connections (all cores, /proc/stat; the sink took "
                  f"{100 * m['sink_cpu']:.0f} % of a core)")
            m["bound"] = NCPU * 1e6 / m["machine_us"]
            print(f"{m['machine_us']:8.1f} us CPU/event  the whole machine, {name} with wrk and "
                  f"the sink, {conns} connections (busy time / requests)")
            print(f"{m['bound']:8.0f} events/s  {name}, {conns} connections, if all {NCPU} cores "
                  f"were busy with the same work (cores / CPU per event): the most any split "
                  f"among threads could give")
            if name == "ceiling-bare":
                continue
            print(f"{100 * m['hooks_frac']:8.0f} %  of the webhooks at the sink by the end of "
                  f"the run, {name}, {conns} connections; all of them {m['drain_s']:.1f} s later")
            print(f"{m['e2e']:8.0f} events/s  {name}, {conns} connections, counted until the "
                  f"last webhook reached the sink (events / (run + the wait for the rest))")
    for conns in args.conns:
        if ("tocsin", conns) in table and ("alertmanager", conns) in table:
            t, a = table[("tocsin", conns)], table[("alertmanager", conns)]
            print(f"{t['rate'] / a['rate']:8.2f} x  tocsin / Alertmanager events/s, "
                  f"{conns} connections (p99 {t['p99_us'] / 1000:.1f} ms vs "
                  f"{a['p99_us'] / 1000:.1f} ms)")
            print(f"{t['e2e'] / a['e2e']:8.2f} x  tocsin / Alertmanager events/s counted until "
                  f"the last webhook, {conns} connections")
            print(f"{t['bound'] / a['rate']:8.2f} x  tocsin / Alertmanager events/s, {conns} "
                  f"connections, tocsin on all {NCPU} cores (its CPU per event), "
                  f"Alertmanager as measured")
        for name in ("ceiling", "ceiling-bare"):
            if (name, conns) in table and ("alertmanager", conns) in table:
                c, a = table[(name, conns)], table[("alertmanager", conns)]
                print(f"{c['rate'] / a['rate']:8.2f} x  {name} / Alertmanager events/s, "
                      f"{conns} connections: the most any server of tocsin's shape gets here"
                      f"{'' if name == 'ceiling' else ' without sending a webhook'}")
            if (name, conns) in table and ("alertmanager", conns) in table:
                c, a = table[(name, conns)], table[("alertmanager", conns)]
                print(f"{c['bound'] / a['rate']:8.2f} x  {name} / Alertmanager events/s, "
                      f"{conns} connections, {name} on all {NCPU} cores (its CPU per event), "
                      f"Alertmanager as measured")
            if (name, conns) in table and ("tocsin", conns) in table:
                t, c = table[("tocsin", conns)], table[(name, conns)]
                print(f"{t['rate'] / c['rate']:8.2f} x  tocsin / {name} events/s, {conns} "
                      f"connections: the share of the ceiling tocsin reaches")
    for name in args.products:
        if name.startswith("ceiling"):
            continue
        rs = [r for r in results if r["product"] == name and r["conns"] == args.conns[-1]]
        per = med([1024 * (r["rss_kib"] - r["rss0_kib"]) / max(1, r["held"]) for r in rs])
        rss = med([r["rss_kib"] for r in rs]) / 1024
        held = med([r["held"] for r in rs])
        print(f"{per:8.0f} B/item  {name} RSS growth per {'open incident' if name == 'tocsin' else 'active alert'} "
              f"after all runs of a round ({held:.0f} held, RSS {rss:.0f} MiB)")
    return table


def write_plot(args, table):
    dat = os.path.join(args.results, "ingest.dat")
    with open(dat, "w") as f:
        f.write("# connections  tocsin_events_s  alertmanager_events_s  "
                "tocsin_p50_ms  alertmanager_p50_ms  tocsin_p99_ms  alertmanager_p99_ms  "
                "tocsin_until_last_webhook_s  alertmanager_until_last_webhook_s  "
                "ceiling_events_s  ceiling_bare_events_s\n")
        for conns in args.conns:
            t = table.get(("tocsin", conns), {})
            a = table.get(("alertmanager", conns), {})
            c = table.get(("ceiling", conns), {})
            b = table.get(("ceiling-bare", conns), {})
            f.write(f"{conns} {t.get('rate', 0):.0f} {a.get('rate', 0):.0f} "
                    f"{t.get('p50_us', 0) / 1000:.3f} {a.get('p50_us', 0) / 1000:.3f} "
                    f"{t.get('p99_us', 0) / 1000:.3f} {a.get('p99_us', 0) / 1000:.3f} "
                    f"{t.get('e2e', 0):.0f} {a.get('e2e', 0):.0f} "
                    f"{c.get('rate', 0):.0f} {b.get('rate', 0):.0f}\n")
    draw_plot(dat, os.path.join(args.results, "ingest.png"))


def draw_plot(dat, png):
    """ingest.png from ingest.dat: events/s and p99 side by side."""
    if shutil.which("gnuplot") is None:
        progress("no gnuplot: ingest.png not drawn")
        return
    # Clustered histograms: with n columns and a gap of 1, bar i of the
    # cluster at x is centred at x + (i - (n - 1) / 2) / (n + 1).  Files
    # written before the ceilings were measured have 9 columns.
    with open(dat) as f:
        ncols = max(len(l.split()) for l in f if not l.startswith("#"))
    if ncols >= 11:
        events_plot = f"""plot "{dat}" using 2:xtic(1) title "tocsin, 202s a second" lc rgb "#c0392b", \\
     "" using 8 title "tocsin, counted until its last webhook" lc rgb "#e6a09a", \\
     "" using 3 title "Alertmanager" lc rgb "#7f8c8d", \\
     "" using 10 title "ceiling: front door + 1 webhook, nothing stored" lc rgb "#2e86c1", \\
     "" using 11 title "ceiling: front door alone" lc rgb "#aed6f1", \\
     "" using ($0-2.0/6):2:(sprintf("%d", $2)) with labels offset 0,0.7 font ",8" notitle, \\
     "" using ($0-1.0/6):8:(sprintf("%d", $8)) with labels offset 0,0.7 font ",8" notitle, \\
     "" using ($0):3:(sprintf("%d", $3)) with labels offset 0,0.7 font ",8" notitle, \\
     "" using ($0+1.0/6):10:(sprintf("%d", $10)) with labels offset 0,0.7 font ",8" notitle, \\
     "" using ($0+2.0/6):11:(sprintf("%d", $11)) with labels offset 0,0.7 font ",8" notitle"""
    else:
        events_plot = f"""plot "{dat}" using 2:xtic(1) title "tocsin, 202s a second" lc rgb "#c0392b", \\
     "" using 8 title "tocsin, counted until its last webhook" lc rgb "#e6a09a", \\
     "" using 3 title "Alertmanager" lc rgb "#7f8c8d", \\
     "" using ($0-0.25):2:(sprintf("%d", $2)) with labels offset 0,0.7 font ",9" notitle, \\
     "" using ($0):8:(sprintf("%d", $8)) with labels offset 0,0.7 font ",9" notitle, \\
     "" using ($0+0.25):3:(sprintf("%d", $3)) with labels offset 0,0.7 font ",9" notitle"""
    script = f"""
set terminal pngcairo size 1200,640 font "sans,11"
set output "{png}"
set multiplot layout 1,2 title "Durable ingest: tocsin (synchronous=FULL, every 202 after its commit) beside Alertmanager 0.25 (memory only) and the ceiling (tests/bench/ceiling.c)\\nsame machine, same run, same load generator (wrk), same webhook sink; median of the rounds"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key below samplen 2 maxrows 3
set xlabel "connections"
set title "events/s (higher is better)"
set yrange [0:*]
set offsets 0, 0, graph 0.22, 0
{events_plot}
set title "p99 latency, ms (log scale, lower is better)"
set key inside top left vertical maxrows auto
set logscale y
set yrange [0.1:*]
set offsets 0, 0, 0, 0
plot "{dat}" using 6:xtic(1) title "tocsin p99" lc rgb "#c0392b", \\
     "" using 7 title "Alertmanager p99" lc rgb "#7f8c8d", \\
     "" using ($0-1.0/6):6:(sprintf("%.1f", $6)) with labels offset 0,0.7 font ",9" notitle, \\
     "" using ($0+1.0/6):7:(sprintf("%.0f", $7)) with labels offset 0,0.7 font ",9" notitle
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--tocsind")
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 10)))
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 3)))
    ap.add_argument("--connections", default="2,64")
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--products", default="tocsin,alertmanager,ceiling,ceiling-bare",
                    help="which to run, in this order each round")
    ap.add_argument("--pg", default=os.environ.get("TOCSIN_BENCH_PG"),
                    help="a PostgreSQL server's URL, for tocsin-pg")
    ap.add_argument("--no-alertmanager", action="store_true")
    ap.add_argument("--only-alertmanager", action="store_true")
    ap.add_argument("--replot", action="store_true",
                    help="only draw ingest.png again from --results/ingest.dat")
    args = ap.parse_args()
    if args.replot:
        draw_plot(os.path.join(args.results, "ingest.dat"),
                  os.path.join(args.results, "ingest.png"))
        return 0
    build = os.path.abspath(args.build)
    args.build = build
    args.tocsind = os.path.abspath(args.tocsind or os.path.join(build, "tocsind"))
    args.conns = [int(c) for c in args.connections.split(",")]
    args.products = args.products.split(",")
    for name in args.products:
        if name not in ("tocsin", "alertmanager", "ceiling", "ceiling-bare", "tocsin-pg"):
            ap.error(f"unknown product {name!r}")
    if "tocsin-pg" in args.products and not args.pg:
        ap.error("tocsin-pg needs --pg URL")
    if args.no_alertmanager:
        args.products = [p for p in args.products if p != "alertmanager"]
    if args.only_alertmanager:
        args.products = ["alertmanager"]
    for tool in ["wrk"] + ([ALERTMANAGER] if "alertmanager" in args.products else []):
        if shutil.which(tool) is None:
            print(f"bench_ingest: {tool} is missing: run `sh .ci/deps bench`", file=sys.stderr)
            return 1
    os.makedirs(args.results, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tocsin-ingest-")
    sink = None
    try:
        sink = subprocess.Popen([os.path.join(build, "tests", "sink")], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True)
        sink_port = int(sink.stdout.readline())
        results = []
        for rnd in range(1, args.repeat + 1):
            results += one_round(args, rnd, sink, sink_port, tmp)
        # The PostgreSQL runs keep their own file: `make bench` runs both.
        runs = "ingest-pg-runs.json" if "tocsin-pg" in args.products else "ingest-runs.json"
        with open(os.path.join(args.results, runs), "w") as f:
            json.dump(results, f, indent=1)
        table = report(args, results)
        if "tocsin-pg" not in args.products:     # ingest.png compares the others
            write_plot(args, table)
        return 0
    finally:
        bd.stop_process(sink)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
