"""A gateway that cannot be reached for minutes (scaled down unless
TOCSIN_LONG=1) while breaches keep coming: afterwards every notification is
delivered exactly once, the attempt times show the backoff, and the loop
answered /healthz quickly all along."""

import harness
from harness import *

OUTAGE = 300.0 if LONG else 20.0      # seconds the gateway is unreachable


def outage_site(port):
    """A webhook channel to a port nobody listens on yet; 1 s deadlines."""
    site = (f'site {{ listen = "127.0.0.1:@PORT@", rules = {{ "." }} }}\n'
            f'channel "hook" {{ kind = "webhook", url = "http://127.0.0.1:{port}/hook", '
            f'secret = "{SECRET}" }}\n'
            'person "sun" { name = "孙三", phone = "+8613800000003", roles = { "deputy" }, '
            'channels = { "hook" } }\n'
            'person "li" { name = "李四", phone = "+8613800000004", roles = { "principal" }, '
            'channels = { "hook" } }\n'
            'group "office" { name = "办公室", members = {}, channels = { "hook" } }\n')
    rules = PROCEDURE.format(due="1s", policy="standard") + "\n" + POLICY
    return {"site.lua": site, "rules.lua": rules}


def test_gateway_unreachable_then_back():
    port = free_port()
    d = Daemon(outage_site(port)).start()
    probe = HealthProbe(d)
    keys, start = [], time.monotonic()
    while time.monotonic() - start < OUTAGE:
        key = f"out-{len(keys)}"
        d.accept(report(key))
        keys.append(key)
        time.sleep(OUTAGE / 20)      # breaches keep coming through the outage
    queued = sum(len(d.notifications(k)) for k in keys)
    expect(queued >= 2 * len(keys), f"only {queued} notifications for {len(keys)} incidents")
    # "sending": an attempt in flight as the list was read.
    statuses = {n["status"] for k in keys for n in d.notifications(k)}
    expect(statuses <= {"queued", "sending", "failed"},
           f"something was delivered while the gateway was unreachable: {sorted(statuses)}")

    sink = Sink(port)                # the gateway comes back
    back = time.monotonic()

    def all_delivered():
        ns = [n for k in keys for n in d.notifications(k)]
        return ns if ns and all(n["status"] == "delivered" for n in ns) else None
    ns = wait_until(all_delivered, 330 if LONG else 40, "every notification delivered")
    took = time.monotonic() - back
    worst = probe.finish(limit=0.5)   # a blocked loop would take seconds
    d.stop()

    posts = sink.webhooks()
    ids = by_id(posts)
    expect(len(ids) == len(ns), f"{len(ns)} notifications, {len(ids)} distinct webhook ids delivered")
    expect(len(posts) == len(ids), f"{len(posts) - len(ids)} delivered twice (none were in flight)")
    for p in posts:
        expect(signature_problem(p) is None, signature_problem(p))

    # The first notification's attempts: refused with growing gaps (1 s
    # doubling, jitter within [half, whole] of each step, so each gap is at
    # least the one before), then delivered.
    rows = d.query_db("SELECT o.key, a.at, a.result FROM attempts a JOIN outbox o "
                      "ON o.id = a.outbox ORDER BY o.id, a.at")
    first = rows[0][0]
    times = [at / 1000.0 for key, at, result in rows if key == first]
    results = [result for key, at, result in rows if key == first]
    expect(results[-1] == "delivered" and all(r == "retry" for r in results[:-1]),
           f"attempts of {first}: {results}")
    gaps = [b - a for a, b in zip(times, times[1:-1])]
    expect(len(gaps) >= 3, f"too few attempts to see the backoff: {results}")
    expect(all(b >= a - 0.05 for a, b in zip(gaps, gaps[1:])),
           f"gaps between attempts do not grow: {[round(g, 2) for g in gaps]}")
    expect(gaps[-1] >= 4 * gaps[0] - 0.05, f"no exponential backoff: {[round(g, 2) for g in gaps]}")
    print(f"  outage {OUTAGE:.0f}s: {len(keys)} incidents, {len(ns)} notifications, "
          f"all delivered {took:.1f}s after the gateway came back; "
          f"first notification's gaps {[round(g, 1) for g in gaps]} s; "
          f"/healthz worst {worst * 1000:.1f} ms", flush=True)
