"""The crash loop's load and its audit, shared by the loop on SQLite
(test_crashloop.py: one daemon killed and restarted) and the loop on a
cluster (test_cluster.py: the leader among three nodes on PostgreSQL
killed, another taking over).

Client threads POST arrays of events, each with its own `id`: reports that
open incidents with 1 s and 2 s deadlines (so obligations come due, are
reminded and breached, and escalate to the sink while the kills go on),
assessments in the same request (met in time) or later (met or late),
updates, acknowledgements and resolutions.  A POST that gets no answer
(the daemon died under it, or was down) has an unknown fate: it is sent
again, with the same ids, until it is answered 202; a POST answered 503
(a standby, or a node not ready) kept nothing and is sent again too.  With
several nodes a client moves to the next one whenever it is not answered
202.

audit() is the crash loop's checks, once everything due has fired and
the outbox is empty:

  1. every id answered 202 is stored exactly once, and nothing else is;
  2. every obligation that came due is met, late, breached, missed or
     cancelled, never pending; it has one obligation.set, one
     obligation.breached if it was breached (none if met in time), and its
     escalation took each step once;
  3. every notification the timeline decided is one outbox row, delivered,
     and reached the sink at least once; a key that reached it twice was
     in flight at a kill (its attempts outnumber its recorded results),
     and there are at most kills x 64 (the outbox's cap in flight) of them;
  4. no row is left `sending`, the log holds no warning (a failed commit,
     a result that could not be recorded) and says it queued again exactly
     the attempts cut short; on SQLite PRAGMA integrity_check is ok.

A breach is also checked against the moments nobody led: one due while no
daemon led fires when one starts leading, marked late (SPEC §8), and one
marked late was due while none led (or in the last moments before a kill,
not yet fired).
"""

import http.client
import random

from harness import *

IN_FLIGHT_MAX = 64          # OUTBOX_IN_FLIGHT_MAX in src/outbox.c
CLIENTS = 4

# Two short deadlines that breach during the run (the 2 s one reminds
# first), and a long one that never comes due.
RULES = """\
procedure "netsec" {
  match = { category = "network_security" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", due = "1s", met_by = { type = "assessment" },
      owner = "office", on_breach = "standard" },
  },
}
procedure "opinion" {
  match = { category = "public_opinion" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "release", due = "2s", met_by = { type = "assessment" },
      remind = { "1s" }, owner = "office", on_breach = "standard" },
  },
}
procedure "health" {
  match = { category = "public_health" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "verify", due = "1h", met_by = { type = "assessment" },
      owner = "office", on_breach = "standard" },
  },
}
policy "standard" {
  { notify = { "office", "deputy" } },
  { after = "2s", notify = { "principal" } },
}
"""

CATEGORIES = (("network_security", 0.4), ("public_opinion", 0.4), ("public_health", 0.2))


def crash_files(sink, lease=None):
    """The site (with a lease period on a cluster) and the rules."""
    extra = f', lease = "{lease}"' if lease else ""
    site = (f'site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", '
            f'rules = {{ "." }}{extra} }}\n')
    return {"site.lua": site + ORG.format(url=sink.url(), secret=SECRET), "rules.lua": RULES}


class Client:
    """One producer: its own units, incidents and ids; batches made as it goes."""

    def __init__(self, n, share, seed):
        self.n = n
        self.share = share
        self.rng = random.Random(seed * 100 + n)
        self.made = 0
        self.open = []              # incidents still worth writing about
        self.assessed = set()
        self.incidents = 0
        self.unit = f"hosp-{n}"
        self.node = n               # the node it posts to next (of several)

    def event(self, type_, key, **extra):
        ev = {"id": f"c{self.n}-e{self.made}", "type": type_, "incident": key, "unit": self.unit}
        ev.update(extra)
        self.made += 1
        return ev

    def batch(self):
        rng, out = self.rng, []
        size = min(rng.randint(20, 50), self.share - self.made)
        while len(out) < size:
            r = rng.random()
            if not self.open or r < 0.15:
                key = f"c{self.n}-inc{self.incidents}"
                self.incidents += 1
                cat = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
                out.append(self.event("report", key, category=cat, grade=3,
                                      title="核心交换机遭受网络攻击"))
                self.open.append(key)
                self.open = self.open[-40:]
                if len(out) < size and rng.random() < 0.3:   # assessed at once: met in time
                    out.append(self.event("assessment", key, grade=3))
                    self.assessed.add(key)
                continue
            key = rng.choice(self.open)
            if r < 0.25 and key not in self.assessed:
                out.append(self.event("assessment", key, grade=3, summary="已完成研判"))
                self.assessed.add(key)
            elif r < 0.28:
                out.append(self.event("ack", key, by="zhao"))
            elif r < 0.30:
                out.append(self.event("resolve", key, by="zhao"))
                self.open.remove(key)
            else:
                out.append(self.event("update", key, summary=f"续报 {self.made}"))
        return out


class Load:
    """What the clients sent and what became of it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = set()           # every id ever sent
        self.accepted = set()       # ids answered 202
        self.posts = 0
        self.unknown_posts = 0      # POSTs with no answer (then sent again)
        self.unknown_events = set()  # ids of those
        self.stored_before = 0      # of those, found stored by the retry
        self.refused = 0            # 503 answers (nothing kept; sent again)
        self.in_flight = 0          # POSTs waiting for their answer now
        self.problems = []

    def problem(self, text):
        with self.lock:
            self.problems.append(text)


def post_until_202(nodes, client, batch, load, stop):
    """Send batch until it is answered 202, moving to the next of nodes
    after any other outcome; None, or why it never was."""
    ids = [ev["id"] for ev in batch]
    unanswered = False
    with load.lock:
        load.sent.update(ids)
    while not stop.is_set():
        d = nodes[client.node % len(nodes)]
        with load.lock:
            load.in_flight += 1
        try:
            r = http_request("POST", d.base + "/v1/events", batch, timeout=30)
        except (OSError, http.client.HTTPException):
            # Refused (down) or cut off (killed): stored or not, unknown.
            with load.lock:
                load.in_flight -= 1
                load.posts += 1
                if not unanswered:
                    load.unknown_posts += 1
                    load.unknown_events.update(ids)
            unanswered = True
            client.node += 1
            time.sleep(0.05)
            continue
        with load.lock:
            load.in_flight -= 1
            load.posts += 1
        if r.status == 503:
            with load.lock:
                load.refused += 1
            client.node += 1
            time.sleep(0.05)
            continue
        accepted = (r.data or {}).get("accepted") if r.status == 202 else None
        if not isinstance(accepted, list) or [a.get("id") for a in accepted] != ids:
            return f"POST of {ids[0]}..: want 202 with every id, got {r!r}"
        dups = [a.get("duplicate") for a in accepted]
        if not unanswered and any(dups):
            return f"POST of {ids[0]}.. answered at once, yet duplicate: {short(accepted)}"
        if any(dups) and not all(dups):
            return f"a request half stored before its retry: {short(accepted)}"
        with load.lock:
            load.accepted.update(ids)
            if unanswered and all(dups):
                load.stored_before += len(ids)
        return None
    return f"stopped before {ids[0]}.. was answered"


def client_run(nodes, client, load, stop, rate):
    start = time.monotonic()
    while client.made < client.share and not stop.is_set():
        batch = client.batch()
        why = post_until_202(nodes, client, batch, load, stop)
        if why is not None:
            load.problem(why)
            stop.set()
            return
        # Pace to the rate, so that the load lasts through the kills.
        ahead = client.made / rate - (time.monotonic() - start)
        if ahead > 0:
            stop.wait(ahead)


def start_clients(nodes, events, seed, spread, load, stop):
    """CLIENTS threads sharing events, paced over spread seconds; started."""
    clients = [Client(n, events // CLIENTS + (n < events % CLIENTS), seed)
               for n in range(CLIENTS)]
    threads = [threading.Thread(target=client_run, daemon=True,
                                args=(nodes, c, load, stop, c.share / spread)) for c in clients]
    for t in threads:
        t.start()
    return threads


def join_load(threads, killer, clients_done, stop, limit, load, seed, state):
    """Wait for the clients until limit (monotonic), then stop the killer;
    fail on the killer's error, a client's problem, or a load that did
    not finish in time."""
    for t in threads:
        t.join(max(1.0, limit - time.monotonic()))
    clients_done.set()
    killer.join(max(1.0, limit - time.monotonic()))
    timed_out = any(t.is_alive() for t in threads) or killer.is_alive()
    stop.set()
    killer.join(60)
    for t in threads:
        t.join(60)
    expect(state["error"] is None, f"the killer: {state['error']}")
    expect(not load.problems, "; ".join(load.problems[:3]))
    expect(not timed_out, f"the load did not finish in time (seed {seed})")


def wait_in_flight(load, rng):
    """Every other kill waits (up to 0.5 s) for a POST in flight and lands
    a few ms into it: a request whose fate the client cannot know, which a
    kill at any moment rarely hits."""
    if rng.random() < 0.5:
        until = time.monotonic() + 0.5
        while load.in_flight == 0 and time.monotonic() < until:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.01))


def idle(d):
    """The status once nothing is due soon and the outbox is empty."""
    try:
        r = d.request("GET", "/v1/status")
    except OSError:
        return None
    if r.status != 200 or not isinstance(r.data, dict):
        return None
    box = r.data.get("outbox") or {}
    if any(box.get(s) for s in ("queued", "sending", "failed")):
        return None
    nxt = r.data.get("next_deadline")
    if isinstance(nxt, dict) and (nxt.get("in_s") or 0) < 60:
        return None
    return r.data


def audit(q, sink, load, events, kills, down, log, sqlite=True, allowed=()):
    """The crash loop's checks, every daemon stopped.

    q(sql) reads the database; kills counts the deaths (kill -9, or a
    step-down); down holds (killed, led by nobody until at least, led
    again by) for each, Unix seconds; log is every line the daemons
    logged; allowed are patterns of warnings that are expected.  Returns
    the figures for the summary line.
    """
    end_ms = int(time.time() * 1000)
    f = {}
    # 1. Every event answered 202 is stored exactly once, and nothing else.
    expect(load.accepted == load.sent and len(load.sent) == events,
           f"{len(load.sent)} ids sent, {len(load.accepted)} answered 202 (want {events})")
    twice = q("SELECT id, count(*) FROM events GROUP BY id HAVING count(*) > 1")
    expect(not twice, f"events stored more than once: {twice[:5]}")
    stored = {row[0] for row in q("SELECT id FROM events")}
    lost = load.accepted - stored
    expect(not lost, f"{len(lost)} events answered 202 are gone: {sorted(lost)[:5]}")
    extra = stored - load.accepted
    expect(not extra, f"{len(extra)} events stored that nobody sent: {sorted(extra)[:5]}")

    # 2. Obligations: settled once each, breached once when breached.
    reports = q("SELECT count(*) FROM events WHERE type = 'report'")[0][0]
    incidents = q("SELECT count(*) FROM incidents")[0][0]
    opened = q("SELECT count(*) FROM timeline WHERE kind = 'incident.opened'")[0][0]
    expect(incidents == reports == opened,
           f"{reports} reports, {incidents} incidents, {opened} incident.opened actions")
    f["incidents"] = incidents
    acts = collections.defaultdict(collections.Counter)
    for ob, kind, n in q("SELECT obligation, kind, count(*) FROM timeline "
                         "WHERE kind LIKE 'obligation.%' GROUP BY obligation, kind"):
        acts[ob][kind] = n
    marked_late = {ob: json.loads(body).get("late") is True for ob, body in
                   q("SELECT obligation, body FROM timeline WHERE kind = 'obligation.breached'")}
    obligations = q("SELECT id, incident, name, status, due_at, met_at FROM obligations")
    expect(len(obligations) == incidents,
           f"{len(obligations)} obligations for {incidents} incidents (one each)")
    status = collections.Counter()
    bad = []
    breached_ids = set()
    for oid, inc, name, st, due, met in obligations:
        a = acts[oid]
        if a["obligation.set"] != 1:
            bad.append(f"{inc}/{name}: {a['obligation.set']} obligation.set")
        if due > end_ms:
            if st != "pending" and st not in ("met", "cancelled"):
                bad.append(f"{inc}/{name} not due yet is {st}")
            continue
        status[st] += 1
        want_breach = {"met": (0,), "cancelled": (0,), "late": (0, 1),
                       "breached": (1,), "missed": (1,)}.get(st)
        if want_breach is None:
            bad.append(f"{inc}/{name} came due at {due} and is {st}")
            continue
        if a["obligation.breached"] not in want_breach:
            bad.append(f"{inc}/{name} is {st} with {a['obligation.breached']} obligation.breached")
        if a["obligation.breached"]:
            breached_ids.add(oid)
        if a["obligation.reminded"] > 1:
            bad.append(f"{inc}/{name} reminded {a['obligation.reminded']} times")
        if st in ("met", "late") and a["obligation." + st] != 1:
            bad.append(f"{inc}/{name} is {st} with {a['obligation.' + st]} obligation.{st}")
        if st == "met" and not (met is not None and met <= due):
            bad.append(f"{inc}/{name} met at {met}, due {due}")
    expect(not bad, f"{len(bad)} obligations wrong: {bad[:5]}")
    f["status"] = status

    # A deadline that passed while nobody led fired when a daemon started
    # leading, marked late; one marked late was due about when nobody led
    # (or in the last moments before a kill, not yet fired).
    due_at = {oid: due / 1000.0 for oid, _, _, _, due, _ in obligations}
    bad = [f"obligation {ob} due {due_at[ob]:.3f} passed while down, breach not marked late"
           for ob, late in marked_late.items() if not late
           and any(k <= due_at[ob] <= sp for k, sp, _ in down)]
    bad += [f"obligation {ob} due {due_at[ob]:.3f} marked late, the daemon was up"
            for ob, late in marked_late.items() if late
            and not any(k - 2.0 <= due_at[ob] <= h for k, _, h in down)]
    expect(not bad, f"{len(bad)} breaches wrongly timed: {bad[:5]}")
    f["breaches"] = len(marked_late)
    f["late_breaches"] = sum(marked_late.values())

    # Each breach started one escalation, which took each step once.
    steps = collections.Counter()
    for ob, body in q("SELECT obligation, body FROM timeline WHERE kind = 'escalation.step'"):
        steps[(ob, json.loads(body).get("step"))] += 1
    escalations = q("SELECT obligation, state FROM escalations")
    by_ob = collections.Counter(ob for ob, _ in escalations)
    bad = [f"obligation {ob}: {n} escalations" for ob, n in by_ob.items() if n != 1]
    bad += [f"obligation {ob} breached without an escalation"
            for ob in breached_ids if ob not in by_ob]
    bad += [f"obligation {ob}: step {s} taken {n} times" for (ob, s), n in steps.items() if n > 1]
    for ob, st in escalations:
        if st == "active":
            bad.append(f"obligation {ob}: escalation still active")
        if steps[(ob, 1)] != 1 or (st == "done" and steps[(ob, 2)] != 1):
            bad.append(f"obligation {ob}: escalation {st} with steps "
                       f"{steps[(ob, 1)]}, {steps[(ob, 2)]}")
    expect(not bad, f"{len(bad)} escalations wrong: {bad[:5]}")

    # 3. Every notification decided is one outbox row, delivered, received.
    decided = collections.Counter()
    for ob, body in q("SELECT obligation, body FROM timeline WHERE kind = 'notify'"):
        b = json.loads(body)
        decided[(b.get("incident"), ob, b.get("reason"), b.get("step", 0), b.get("recipient"))] += 1
    rows = q("SELECT id, key, status, attempts, obligation, body FROM outbox")
    queued = collections.Counter()
    for _, _, _, _, ob, body in rows:
        b = json.loads(body)
        queued[(b.get("incident"), ob, b.get("reason"), b.get("step", 0), b.get("recipient"))] += 1
    expect(decided == queued,
           f"notify actions and outbox rows differ: {short(list((decided - queued).items())[:3])} "
           f"vs {short(list((queued - decided).items())[:3])}")
    undelivered = [(key, st) for _, key, st, *_ in rows if st != "delivered"]
    expect(not undelivered, f"{len(undelivered)} notifications not delivered: {undelivered[:5]}")
    f["notifications"] = len(rows)

    # A key the sink saw twice was marked sending twice: the daemon died
    # between sending it and recording the answer.  Attempts marked but
    # never recorded are the ones a kill cut short.
    results = dict(q("SELECT outbox, count(*) FROM attempts GROUP BY outbox"))
    attempts_of = {key: n for _, key, _, n, _, _ in rows}
    interrupted = sum(n - results.get(rid, 0) for rid, _, _, n, _, _ in rows)
    arrivals = collections.Counter(p.id for p in sink.webhooks())   # whole bodies only
    missing = set(attempts_of) - set(arrivals)
    expect(not missing, f"{len(missing)} delivered notifications never reached the sink: "
           f"{sorted(missing)[:5]}")
    strangers = set(arrivals) - set(attempts_of)
    expect(not strangers, f"the sink got keys the outbox never had: {sorted(strangers)[:5]}")
    dup_keys = {k: c for k, c in arrivals.items() if c > 1}
    bodies = collections.defaultdict(set)
    for p in sink.webhooks():
        bodies[p.id].add(p.raw)
        problem = signature_problem(p)
        expect(problem is None, f"webhook {p.id}: {problem}")
    changed = [k for k in dup_keys if len(bodies[k]) != 1]
    expect(not changed, f"a repeated delivery differs from the first: {changed[:5]}")
    bad = [f"{k} arrived {c} times in {attempts_of[k]} attempts"
           for k, c in dup_keys.items() if c > attempts_of[k]]
    expect(not bad, f"duplicates not explained by a kill: {bad[:5]}")
    extra_arrivals = sum(c - 1 for c in dup_keys.values())
    expect(extra_arrivals <= interrupted <= kills * IN_FLIGHT_MAX,
           f"{extra_arrivals} repeated deliveries, {interrupted} attempts cut short, "
           f"{kills} kills (at most {IN_FLIGHT_MAX} in flight each)")
    f.update(deliveries=sum(arrivals.values()), duplicates=len(dup_keys),
             extra_arrivals=extra_arrivals, interrupted=interrupted)

    # 4. Nothing left half done, and the file is sound.
    sending = q("SELECT count(*) FROM outbox WHERE status = 'sending'")[0][0]
    expect(sending == 0, f"{sending} outbox rows left sending")
    if sqlite:
        check = q("PRAGMA integrity_check")
        expect(check == [("ok",)], f"integrity_check: {check}")

    # The daemons had nothing to complain of (no failed commit, no result
    # they could not record), and every attempt cut short was queued again
    # at a start-up or takeover: the log says how many each time.
    allowed = ("are provisional",) + tuple(allowed)
    warnings = [line for line in log if re.search(r"level=(warn|error) ", line)
                and not any(a in line for a in allowed)]
    expect(not warnings, f"{len(warnings)} warnings in the log: {warnings[:3]}")
    requeued = sum(int(m.group(1)) for line in log for m in
                   [re.search(r"interrupted deliveries queued again count=(\d+)", line)] if m)
    expect(requeued == interrupted,
           f"{interrupted} attempts cut short, {requeued} queued again at start-ups")
    return f


def summary(load, f):
    """The counts of a run, for the line a crash-loop test prints."""
    st = f["status"]
    return (f"events sent {len(load.sent)}, answered 202 {len(load.accepted)}, unanswered "
            f"then retried {len(load.unknown_events)} (in {load.unknown_posts} POSTs; "
            f"{load.stored_before} had been stored), 503 {load.refused}, POSTs {load.posts}; "
            f"incidents {f['incidents']}; obligations due {sum(st.values())}: met {st['met']}, "
            f"late {st['late']}, breached {st['breached']}, missed {st['missed']}, "
            f"cancelled {st['cancelled']}; breaches {f['breaches']} ({f['late_breaches']} "
            f"fired late at a start-up), notifications {f['notifications']}, deliveries "
            f"{f['deliveries']}, duplicates {f['duplicates']} (+{f['extra_arrivals']} "
            f"arrivals; {f['interrupted']} attempts cut short)")


def read_log(d):
    with open(d.log_path, encoding="utf-8", errors="replace") as fh:
        return fh.read().splitlines()
