"""Crash loop: a sustained load over HTTP while the daemon is killed with
`kill -9` at random moments and restarted, then an audit of the database
and of what the webhook gateway received (SPEC §7 and §8).

The load and the checks are crashload.py's (the cluster's crash loop in
test_cluster.py uses them too).  Client threads POST arrays of events,
each with its own `id`: reports that open incidents with 1 s and 2 s
deadlines (so obligations come due, are reminded and breached, and
escalate to the sink while the kills go on), assessments in the same
request (met in time) or later (met or late), updates, acknowledgements
and resolutions.  A POST that gets no answer (the daemon died under it, or
was down) has an unknown fate: it is sent again, with the same ids, until
it is answered 202.  A killer thread kills the daemon 0.5-3 s after each
start (now and then within 0.2 s, while it catches up; every other kill
aimed into a POST in flight) and starts it again on the same directory,
database and port.

Afterwards, with everything due fired and the outbox empty, crashload's
audit(): every 202 stored once and nothing else; every obligation due
settled, once; every notification one delivered outbox row, a key
delivered twice only if in flight at a kill; nothing left `sending`,
PRAGMA integrity_check ok, no warning in the log.

A breach is also checked against the kills: one due while the daemon was
down fires at start-up marked late (SPEC §8), one marked late was due
while it was down.

Default size: 5,000 events and 10 kills (2,000 under ASan); with
TOCSIN_LONG=1 (make check LONG=1): 50,000 events and at least 30 kills.
The killer goes on until the load is sent, so there are usually more.
The seed is printed with the counts; TOCSIN_CRASH_SEED=N sends the same
events with the same pauses between kills again (the moments the kills
land, and so the counts, still vary).
"""

import random

import harness
from harness import *
from crashload import (audit, crash_files, idle, join_load, Load, read_log, start_clients, summary,
                       wait_in_flight)


def sizes(asan):
    """(events, kills, seconds the load is spread over)."""
    if LONG:
        return 50000, 30, (180.0 if asan else 90.0)
    if asan:
        return 2000, 10, 30.0
    return 5000, 10, 20.0


def killer_run(d, rng, load, kills_wanted, clients_done, stop, state):
    try:
        while not stop.is_set():
            if state["kills"] >= kills_wanted and clients_done.is_set():
                return
            # Mostly 0.5-3 s after the last start; now and then within
            # 0.2 s of it, while the start-up sends what the last kill cut
            # short and fires what fell due meanwhile.
            stop.wait(rng.uniform(0.5, 3.0) if rng.random() < 0.8 else rng.uniform(0, 0.2))
            if stop.is_set():
                return
            wait_in_flight(load, rng)
            if d.proc.poll() is not None:
                raise TestFailure(f"tocsind died on its own ({describe_exit(d.proc.poll())})")
            killed = time.time()
            d.kill9()
            state["kills"] += 1
            if not clients_done.is_set():
                state["under_load"] += 1
            spawned = time.time()
            d.start()
            state["down"].append((killed, spawned, time.time()))
    except Exception as e:       # reported by the main thread
        state["error"] = f"{type(e).__name__}: {e}"
        stop.set()


def test_crash_loop():
    asan = "asan" in harness.TOCSIND
    events, kills_wanted, spread = sizes(asan)
    seed = int(os.environ.get("TOCSIN_CRASH_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    sink = Sink()
    d = Daemon(crash_files(sink)).start()
    began = time.monotonic()

    load, stop, clients_done = Load(), threading.Event(), threading.Event()
    threads = start_clients([d], events, seed, spread, load, stop)
    state = {"kills": 0, "under_load": 0, "error": None, "down": []}
    killer = threading.Thread(target=killer_run, daemon=True,
                              args=(d, rng, load, kills_wanted, clients_done, stop, state))
    killer.start()
    limit = began + spread * 4 + (600 if LONG else 240)
    join_load(threads, killer, clients_done, stop, limit, load, seed, state)
    expect(d.proc.poll() is None, f"tocsind died on its own ({describe_exit(d.proc.poll())})")
    loaded = time.monotonic()

    # Let everything due fire and every notification go out.
    wait_until(lambda: idle(d), 120 if asan or LONG else 60,
               "every due timer fired and the outbox empty")
    drained = time.monotonic()
    d.stop()
    f = audit(d.query_db, sink, load, events, state["kills"], state["down"], read_log(d))
    print(f"  crash loop (seed {seed}): {summary(load, f)}; kills "
          f"{state['kills']} ({state['under_load']} under load); elapsed "
          f"{loaded - began:.1f}s load + {drained - loaded:.1f}s drain", flush=True)
