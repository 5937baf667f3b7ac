"""GET /metrics end to end: the Prometheus text is well formed and its values
move as the daemon works — events, a breach, deliveries that fail and then
succeed, reloads good and bad."""

import math

import harness
from harness import *


# ---------------------------------------------------------------- a small parser

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        expect(m is not None, f"bad label text at {text[pos:]!r}")
        value = re.sub(r'\\(.)', lambda e: {"n": "\n"}.get(e.group(1), e.group(1)), m.group(2))
        expect(m.group(1) not in labels, f"label {m.group(1)} twice in {text!r}")
        labels[m.group(1)] = value
        pos = m.end()
    return labels


class Metrics:
    """One scrape: families with HELP, TYPE and samples, checked as read."""

    def __init__(self, text):
        self.text = text
        self.help, self.type, self.samples = {}, {}, []
        self.order = []                 # family of each sample, in order
        for n, line in enumerate(text.split("\n"), 1):
            if line == "":
                continue
            if line.startswith("# HELP "):
                name, _, helptext = line[7:].partition(" ")
                expect(name not in self.help, f"line {n}: second HELP for {name}")
                expect(helptext.strip(), f"line {n}: empty HELP for {name}")
                self.help[name] = helptext
                continue
            if line.startswith("# TYPE "):
                name, _, kind = line[7:].partition(" ")
                expect(name not in self.type, f"line {n}: second TYPE for {name}")
                expect(kind in ("counter", "gauge", "histogram", "summary", "untyped"),
                       f"line {n}: bad type {kind!r}")
                expect(not any(f == name for f in self.order),
                       f"line {n}: TYPE for {name} after its samples")
                self.type[name] = kind
                continue
            expect(not line.startswith("#"), f"line {n}: stray comment {line!r}")
            m = SAMPLE.match(line)
            expect(m is not None, f"line {n}: not a sample: {line!r}")
            name, labels, value = m.group(1), parse_labels(m.group(3) or ""), m.group(4)
            try:
                value = float(value)
            except ValueError:
                raise TestFailure(f"line {n}: bad value in {line!r}")
            family = self.family_of(name)
            expect(family in self.type and family in self.help,
                   f"line {n}: {name} has no HELP and TYPE before it")
            if self.order and self.order[-1] != family:
                expect(family not in self.order, f"line {n}: samples of {family} are not together")
            self.order.append(family)
            self.samples.append((name, labels, value))
        for family, kind in self.type.items():
            if kind == "histogram":
                self.check_histogram(family)

    def family_of(self, name):
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and self.type.get(base) == "histogram":
                return base
        return name

    def get(self, name, **labels):
        """The value of the one sample with exactly these labels."""
        found = [v for n, l, v in self.samples if n == name and l == labels]
        expect(len(found) == 1, f"want one sample {name}{labels}, found {len(found)}")
        return found[0]

    def series(self, name):
        return [(l, v) for n, l, v in self.samples if n == name]

    def check_histogram(self, family):
        """Buckets cumulative with rising le, ending in +Inf equal to _count."""
        groups = {}
        for n, l, v in self.samples:
            if n == family + "_bucket":
                key = tuple(sorted((k, x) for k, x in l.items() if k != "le"))
                expect("le" in l, f"{family}_bucket without le: {l}")
                groups.setdefault(key, []).append((float(l["le"]), v))
        for key, buckets in groups.items():
            les = [le for le, _ in buckets]
            expect(les == sorted(les) and len(set(les)) == len(les),
                   f"{family}{dict(key)}: le not rising: {les}")
            expect(math.isinf(les[-1]), f"{family}{dict(key)}: last bucket is not +Inf")
            counts = [c for _, c in buckets]
            expect(counts == sorted(counts), f"{family}{dict(key)}: buckets not cumulative: {counts}")
            labels = dict(key)
            count = self.get(family + "_count", **labels)
            total = self.get(family + "_sum", **labels)
            expect(counts[-1] == count, f"{family}{labels}: +Inf bucket {counts[-1]} != _count {count}")
            expect(total >= 0, f"{family}{labels}: negative _sum")


def scrape(d):
    r = d.request("GET", "/metrics")
    expect(r.status == 200, f"GET /metrics: want 200, got {r!r}")
    ctype = r.headers.get("Content-Type", "")
    expect(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
           f"GET /metrics: Content-Type {ctype!r}")
    return Metrics(r.raw.decode("utf-8"))


FAMILIES = {
    "tocsin_up": "gauge", "tocsin_build_info": "gauge",
    "tocsin_events_received_total": "counter", "tocsin_incidents_open": "gauge",
    "tocsin_obligations": "gauge", "tocsin_notifications_total": "counter",
    "tocsin_delivery_attempts_total": "counter",
    "tocsin_outbox_depth": "gauge", "tocsin_delivery_seconds": "histogram",
    "tocsin_rule_evaluation_seconds": "histogram", "tocsin_commit_seconds": "histogram",
    "tocsin_reloads_total": "counter", "tocsin_timers_pending": "gauge",
    "tocsin_config_last_reload_successful": "gauge",
    "tocsin_config_last_reload_success_timestamp_seconds": "gauge",
    "tocsin_wal_pages": "gauge", "tocsin_checkpoints_total": "counter",
    # what every client library exports, read from /proc
    "process_cpu_seconds_total": "counter", "process_open_fds": "gauge",
    "process_max_fds": "gauge", "process_virtual_memory_bytes": "gauge",
    "process_resident_memory_bytes": "gauge", "process_start_time_seconds": "gauge",
}


# ---------------------------------------------------------------- the test

def test_metrics_move():
    sink = Sink()
    started = time.time()
    d = Daemon(site_files(sink, due="1s")).start()
    m = scrape(d)
    for name, kind in FAMILIES.items():
        expect(m.type.get(name) == kind, f"{name}: want TYPE {kind}, got {m.type.get(name)!r}")
    expect(m.get("tocsin_up") == 1, "tocsin_up is not 1")
    expect(m.get("tocsin_config_last_reload_successful") == 1, "the start-up load succeeded")
    loaded = m.get("tocsin_config_last_reload_success_timestamp_seconds")
    expect(started - 1 <= loaded <= time.time(), f"loaded at {loaded}, started at {started}")
    for result in ("accepted", "duplicate", "rejected", "failed"):
        expect(m.get("tocsin_events_received_total", result=result) == 0,
               f"events {result} before any event")
    commits0 = m.get("tocsin_commit_seconds_count")

    # An event, the same again, a body that is not JSON, an array with a bad second event.
    sink.fail_for(1.0)                       # the opening notice fails once at least
    ev = report("inc-metrics", id="m-1")
    d.accept(ev)
    expect(d.accept(ev)[0].get("duplicate") is True, "the second post is not a duplicate")
    expect(d.post_events(b'{"type": "report",').status == 400, "bad JSON not refused")
    r = d.post_events([report("inc-other", id="m-2"), {"type": "report", "incident": "x"}])
    expect(r.status == 400, f"a bad array: want 400, got {r!r}")

    m = scrape(d)
    expect(m.get("tocsin_events_received_total", result="accepted") == 1, "accepted after one event")
    expect(m.get("tocsin_events_received_total", result="duplicate") == 1, "duplicate count")
    expect(m.get("tocsin_events_received_total", result="rejected") == 3,
           f"rejected: want 1 body + 2 events, got {m.get('tocsin_events_received_total', result='rejected')}")
    expect(m.get("tocsin_incidents_open", grade="3") == 1, "the open grade-3 incident")
    expect(sum(v for _, v in m.series("tocsin_incidents_open")) == 1, "one open incident in all")
    expect(m.get("tocsin_rule_evaluation_seconds_count") == 1,
           "the rules ran once (the duplicate and the refused never reach them)")
    expect(m.get("tocsin_commit_seconds_count") > commits0, "no commit was timed")

    # The 1 s assessment passes: a breach, escalation steps 1 and 2.
    m = wait_until(lambda: (lambda x: x if x.get("tocsin_obligations", status="breached") == 1
                            else None)(scrape(d)), 8, "the breach in /metrics")
    expect(m.get("tocsin_obligations", status="pending") == 0, "pending after the breach")
    expect(m.get("tocsin_breaches_total") == 1, "breaches_total after the breach")
    wait_until(lambda: sink.webhooks(incident="inc-metrics", reason="escalation", step=2),
               8, "escalation step 2")

    # Filed late: the obligation is late (迟报).
    d.accept({"type": "assessment", "incident": "inc-metrics", "unit": "hosp-a", "grade": 3})

    # A good reload, then a broken one.
    before_reload = time.time()
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: scrape(d).get("tocsin_reloads_total", result="ok") == 1, 5,
               "the good reload counted")
    m = scrape(d)
    reloaded = m.get("tocsin_config_last_reload_success_timestamp_seconds")
    expect(m.get("tocsin_config_last_reload_successful") == 1
           and int(before_reload) <= reloaded <= time.time(),
           f"after the good reload: successful {m.get('tocsin_config_last_reload_successful')}, "
           f"at {reloaded} (sent at {before_reload})")
    with open(os.path.join(d.dir, "broken.lua"), "w", encoding="utf-8") as f:
        f.write('procedure "broken" { bogus = 1 }\n')
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: scrape(d).get("tocsin_reloads_total", result="failed") == 1, 5,
               "the failed reload counted")
    m = scrape(d)
    expect(m.get("tocsin_config_last_reload_successful") == 0,
           "the failed reload: last_reload_successful is still 1")
    expect(m.get("tocsin_config_last_reload_success_timestamp_seconds") == reloaded,
           "the failed reload moved the last success's time")

    def settled():
        x = scrape(d)
        return x if sum(v for _, v in x.series("tocsin_outbox_depth")) == 0 else None
    m = wait_until(settled, 15, "the outbox to empty")

    expect(m.get("tocsin_events_received_total", result="accepted") == 2, "accepted at the end")
    expect(m.get("tocsin_rule_evaluation_seconds_count") == 2, "rule evaluations at the end")
    expect(m.get("tocsin_obligations", status="late") == 1, "the late obligation")
    expect(m.get("tocsin_obligations", status="breached") == 0, "breached once filed")
    expect(m.get("tocsin_reloads_total", result="ok") == 1
           and m.get("tocsin_reloads_total", result="failed") == 1, "reload counts")
    expect(m.get("tocsin_timers_pending") == 0, "timers left once all is done")

    # Deliveries: exactly what the gateway saw.
    posts = sink.webhooks()
    ok = sum(1 for p in posts if p.status == 200)
    failed = sum(1 for p in posts if p.status != 200)
    expect(failed >= 1, "the gateway refused nothing: the test did not test retries")
    got = {s: m.get("tocsin_delivery_attempts_total", channel="hook", result=s)
           for s in ("delivered", "retried", "dead")}
    expect(got == {"delivered": ok, "retried": failed, "dead": 0},
           f"delivery_attempts_total for hook {got}; the gateway saw {ok} ok and {failed} refused")
    expect(m.get("tocsin_delivery_seconds_count", channel="hook") == ok + failed,
           "one delivery time per attempt")
    # Notifications are what the outbox holds, one a recipient and channel;
    # the attempts to deliver them are more, since some failed first.
    made = len(d.notifications("inc-metrics"))
    expect(m.get("tocsin_notifications_total") == made and made < ok + failed,
           f"notifications_total {m.get('tocsin_notifications_total')}: the outbox holds {made}, "
           f"attempts {ok + failed}")
    # What became of something is its result, on every counter.
    for name, labels, _ in m.samples:
        expect("status" not in labels or m.type.get(m.family_of(name)) == "gauge",
               f"{name}{labels}: a counter labelled status, not result")
    expect(0 < m.get("process_open_fds") <= m.get("process_max_fds"), "open fds within the limit")
    expect(m.get("process_resident_memory_bytes") > 1 << 20, "resident memory")
    expect(m.get("process_virtual_memory_bytes") >= m.get("process_resident_memory_bytes"),
           "virtual memory below resident")
    expect(started - 2 <= m.get("process_start_time_seconds") <= loaded + 1,
           f"process start {m.get('process_start_time_seconds')}, daemon started at {started}")
    expect(m.get("process_cpu_seconds_total") > 0, "no CPU time")
    d.stop()


def test_wal_checkpointed_by_the_thread():
    """Some 1,200 pages of reports: the checkpointer thread copies them back
    into the database, the writer never does, and the WAL starts again
    from its beginning instead of growing."""
    sink = Sink()
    d = Daemon(site_files(sink)).start()
    m = scrape(d)
    expect(m.get("tocsin_checkpoints_total", by="thread") == 0, "a checkpoint before any write")
    note = "巡查记录" * 1000                  # 12 KB of UTF-8: a page or more each
    for batch in range(8):                  # 50 a POST: under the 1 MiB body limit
        evs = [report("inc-wal", id=f"wal-{batch}-{i}", summary=note) for i in range(50)]
        r = d.post_events(evs)
        expect(r.status == 202, f"batch {batch}: {r!r}")
    m = wait_until(lambda: (lambda x: x if x.get("tocsin_checkpoints_total", by="thread") >= 1
                            else None)(scrape(d)), 10, "the thread's checkpoint")
    expect(m.get("tocsin_checkpoints_total", by="writer") == 0, "the writer checkpointed")
    expect(m.get("tocsin_checkpoints_total", by="failed") == 0, "a checkpoint failed")
    d.accept(report("inc-wal", id="wal-last"))
    m = scrape(d)
    # Without a restart the WAL would hold every page written: 1,200 and more.
    expect(m.get("tocsin_wal_pages") < 1000,
           f"the WAL did not start again: {m.get('tocsin_wal_pages')} pages")
    d.stop()
