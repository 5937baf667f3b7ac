"""The spool directory end to end: files renamed in are ingested and moved to
done/, bad ones to rejected/ with a .error, files present at start-up are read
in the order they came, a kill -9 between the commit and the move stores
nothing twice, hundreds of files at once are taken in bounded batches, more
than the kernel's inotify queue holds are found by reading the directory
again, and a file whose commit fails waits in the spool and goes in later."""

import re
import resource
import signal

import harness
from harness import *


def spool_daemon(site_spool=True, body_limit=None, args=()):
    """A daemon whose site says spool = "spool" (relative to the site file)."""
    sink = Sink()
    files = site_files(sink, due="1h", body_limit=body_limit)
    if site_spool:
        files["site.lua"] = files["site.lua"].replace(
            'rules = { "." }', 'rules = { "." }, spool = "spool"', 1)
    d = Daemon(files, args=args)
    return d, os.path.join(d.dir, "spool")


def drop(spool, name, body):
    """As a producer does: write under a dot name, then rename it in."""
    if not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode("utf-8")
    tmp = os.path.join(spool, f".{name}.tmp")
    with open(tmp, "wb") as f:
        f.write(body)
    os.rename(tmp, os.path.join(spool, name))
    return os.path.join(spool, name)


def in_dir(spool, sub, name):
    return os.path.exists(os.path.join(spool, sub, name))


def log_text(d):
    with open(d.log_path, encoding="utf-8", errors="replace") as f:
        return f.read()


def test_spool_file_ingested():
    d, spool = spool_daemon()
    d.start()
    expect(os.path.isdir(os.path.join(spool, "done")) and
           os.path.isdir(os.path.join(spool, "rejected")),
           "done/ and rejected/ were not made")
    drop(spool, "first.json", report("inc-spool-1", id="sp-1"))
    wait_until(lambda: in_dir(spool, "done", "first.json"), 5, "first.json in done/")
    expect(not os.path.exists(os.path.join(spool, "first.json")), "first.json is still in the spool")
    inc = d.incident("inc-spool-1")
    expect(len(inc.get("events") or []) == 1, f"want one stored event, got {short(inc.get('events'))}")
    expect(timeline(inc, "obligation.set", obligation="assessment"),
           "the procedure did not apply to a spooled report")

    # Same name again, new content: done/ keeps both.
    drop(spool, "first.json", {"type": "update", "incident": "inc-spool-1", "unit": "hosp-a",
                               "summary": "续报"})
    wait_until(lambda: in_dir(spool, "done", "first.json.1"), 5, "the second first.json in done/")
    expect(len(d.incident("inc-spool-1").get("events") or []) == 2, "the update was not stored")
    d.stop()


def test_spool_array():
    d, spool = spool_daemon()
    d.start()
    drop(spool, "batch.json", [
        report("inc-spool-arr"),
        {"type": "update", "incident": "inc-spool-arr", "unit": "hosp-a", "summary": "续报一"},
        {"id": "own-id", "type": "assessment", "incident": "inc-spool-arr", "unit": "hosp-a",
         "grade": 2},
    ])
    wait_until(lambda: in_dir(spool, "done", "batch.json"), 5, "batch.json in done/")
    inc = d.incident("inc-spool-arr")
    expect(len(inc.get("events") or []) == 3, f"want 3 events, got {short(inc.get('events'))}")
    expect(inc.get("grade") == 2, f"the assessment's grade was not applied: {inc.get('grade')!r}")
    expect(obligation(inc, "assessment").get("status") == "met", "the assessment did not meet it")
    d.stop()
    ids = sorted(r[0] for r in d.query_db("SELECT id FROM events"))
    made = [i for i in ids if i.startswith("spool:")]
    expect("own-id" in ids and len(made) == 2 and {i.rsplit(":", 1)[1] for i in made} == {"0", "1"},
           f"event ids: want own-id and two spool:…:0/1, got {ids}")


def test_spool_rejected():
    d, spool = spool_daemon(body_limit=4096)
    d.start()
    cases = {
        # name: (body, code, field)
        "malformed.json": (b'{"type": "report", "unit": ', "invalid_json", None),
        "utf8.json": (b'{"type":"report","incident":"inc-x","category":"network_security",'
                      b'"unit":"hosp-a","title":"\xe5\x9b\xff\xfe"}', "invalid_utf8", None),
        "array.json": ([report("inc-x", id="never-1"), {"type": "report", "incident": "inc-x",
                                                        "category": "network_security"}],
                       "missing_field", "unit"),
        "unknown.json": ({"type": "update", "incident": "inc-never", "unit": "hosp-a"},
                         "unknown_incident", "incident"),
        "huge.json": (report("inc-x", summary="x" * 5000), "body_too_large", None),
        "number.json": (b"42", "not_an_object", None),
    }
    # Names the spool must leave alone.
    with open(os.path.join(spool, ".hidden.json"), "w") as f:
        f.write("{}")
    with open(os.path.join(spool, "notes.txt"), "w") as f:
        f.write("{}")
    for name, (body, _, _) in cases.items():
        drop(spool, name, body)
    drop(spool, "last.json", report("inc-spool-ok"))
    wait_until(lambda: in_dir(spool, "done", "last.json"), 5, "the good file after the bad ones")

    problems = []
    for name, (_, code, field) in cases.items():
        if not in_dir(spool, "rejected", name):
            problems.append(f"{name} is not in rejected/")
            continue
        try:
            with open(os.path.join(spool, "rejected", name + ".error"), encoding="utf-8") as f:
                err = json.load(f).get("error")
        except (OSError, ValueError) as e:
            problems.append(f"{name}.error: {e}")
            continue
        if not isinstance(err, dict) or err.get("code") != code or not err.get("message"):
            problems.append(f"{name}.error: want code {code} and a message, got {err!r}")
        elif field is not None and err.get("field") != field:
            problems.append(f"{name}.error: want field {field}, got {err.get('field')!r}")
        if os.path.exists(os.path.join(spool, name)):
            problems.append(f"{name} is still in the spool")
    for name in (".hidden.json", "notes.txt"):
        if not os.path.exists(os.path.join(spool, name)):
            problems.append(f"{name} was taken, though it is not NAME.json")
    if d.request("GET", "/v1/incidents/inc-x").status != 404:
        problems.append("a refused file left an incident behind")
    d.stop()
    n = d.query_db("SELECT count(*) FROM events WHERE incident != 'inc-spool-ok'")[0][0]
    if n:
        problems.append(f"refused files stored {n} events")
    expect(not problems, "; ".join(problems))


def test_spool_files_at_startup():
    """Files left while the daemon was down are read in the order they came."""
    d, spool = spool_daemon()
    os.makedirs(spool)
    # The update's name sorts first; it came second and must be read second.
    first = drop(spool, "b-report.json", report("inc-spool-start"))
    second = drop(spool, "a-update.json", {"type": "update", "incident": "inc-spool-start",
                                          "unit": "hosp-a", "summary": "续报"})

    def renamed_later():
        if os.stat(second).st_ctime_ns > os.stat(first).st_ctime_ns:
            return True
        os.rename(second, second + ".x")        # a rename sets the change time again
        os.rename(second + ".x", second)
        return False
    wait_until(renamed_later, 5, "the second file to carry a later change time")
    drop(spool, "c-array.json", [{"type": "update", "incident": "inc-spool-start", "unit": "hosp-a"},
                                 report("inc-spool-start-2")])
    d.start()
    wait_until(lambda: all(in_dir(spool, "done", n) for n in
                           ("b-report.json", "a-update.json", "c-array.json")),
               5, "the three files in done/")
    expect(len(d.incident("inc-spool-start").get("events") or []) == 3,
           "the start-up files' events are not all stored")
    d.incident("inc-spool-start-2")
    d.stop()


def test_spool_backlog_commits_in_bounded_batches():
    """A backlog of large files is not one transaction: a batch takes whole
    files up to 1,024 events and leaves the rest for the next turn, so the
    loop (and a cluster's lease) is not held for the whole backlog."""
    d, spool = spool_daemon(args=["--log-level", "debug"])
    os.makedirs(spool)
    names = []
    for f in range(3):
        names.append(drop(spool, f"backlog-{f}.json",
                          [report(f"inc-backlog-{f}-{i}") for i in range(700)]))
    d.start()
    wait_until(lambda: all(in_dir(spool, "done", os.path.basename(n)) for n in names),
               60, "the three backlog files in done/")
    batches = [tuple(int(v) for v in m) for m in re.findall(
        r"ingest: a batch of requests=(\d+) events=(\d+) left=(\d+)", log_text(d))]
    sizes = [b[1] for b in batches if b[1] >= 700]
    expect(sizes and max(sizes) <= 1024,
           f"a batch held more than 1,024 events: {batches}")
    expect(any(b[2] > 0 for b in batches),
           f"the backlog never waited for a later batch: {batches}")
    d.stop()
    rows = d.query_db("SELECT count(*) FROM events WHERE incident LIKE 'inc-backlog-%'")
    expect(rows[0][0] == 2100, f"want 2,100 events stored, got {rows[0][0]}")


def test_spool_kill9_between_commit_and_move():
    """Stored, not yet moved, killed: after a restart the file is in done/, stored once."""
    d, spool = spool_daemon(site_spool=False, args=["--spool", "inbox"])
    spool = os.path.join(d.dir, "inbox")
    d.start()
    done = os.path.join(spool, "done")
    # done/ cannot take the file: the commit happens, the move fails.
    os.rename(done, done + ".away")
    with open(done, "w") as f:
        f.write("not a directory\n")
    drop(spool, "crash.json", [report("inc-spool-crash"),
                               {"type": "update", "incident": "inc-spool-crash", "unit": "hosp-a"},
                               {"id": "crash-own", "type": "update", "incident": "inc-spool-crash",
                                "unit": "hosp-a"}])
    wait_until(lambda: "spool: stored, but cannot move it to done/ file=crash.json" in log_text(d), 5,
               "the failed move in the log")
    expect(len(d.incident("inc-spool-crash").get("events") or []) == 3,
           "the file's events were not committed before the move")
    expect(os.path.exists(os.path.join(spool, "crash.json")), "the file left the spool")
    d.kill9()

    os.remove(done)
    os.rename(done + ".away", done)
    d.start()
    wait_until(lambda: in_dir(spool, "done", "crash.json"), 5, "crash.json in done/ after the restart")
    expect(re.search(r"file=crash\.json as=\S+ events=3 duplicates=3", log_text(d)),
           "the second reading of the file was not all duplicates")
    d.stop()
    n = d.query_db("SELECT count(*) FROM events WHERE incident = 'inc-spool-crash'")[0][0]
    expect(n == 3, f"want the file's 3 events stored once, found {n} rows")
    n = d.query_db("SELECT count(*) FROM incidents WHERE key = 'inc-spool-crash'")[0][0]
    expect(n == 1, f"want one incident, found {n}")


def test_spool_many_files():
    """Hundreds of files at once: all ingested, in many small commits."""
    count = 400
    d, spool = spool_daemon()
    d.start()
    for i in range(count):
        with open(os.path.join(spool, f".f{i:04d}.tmp"), "w", encoding="utf-8") as f:
            json.dump({"type": "daily", "unit": f"unit-{i}", "zero": True}, f)
    commits0 = commit_count(d)
    for i in range(count):
        os.rename(os.path.join(spool, f".f{i:04d}.tmp"), os.path.join(spool, f"f{i:04d}.json"))
    wait_until(lambda: len(os.listdir(os.path.join(spool, "done"))) == count, 60,
               f"{count} files in done/")
    commits = commit_count(d) - commits0
    expect(commits >= count // 64,
           f"{count} files went in {commits} commits: the batches are not bounded")
    left = [n for n in os.listdir(spool) if n not in ("done", "rejected")]
    expect(not left and not os.listdir(os.path.join(spool, "rejected")),
           f"left behind: {left[:5]}, rejected: {os.listdir(os.path.join(spool, 'rejected'))[:5]}")
    d.stop()
    n = d.query_db("SELECT count(*) FROM events WHERE type = 'daily'")[0][0]
    expect(n == count, f"want {count} events, found {n}")


def commit_count(d):
    r = d.request("GET", "/metrics")
    m = re.search(r"^tocsin_commit_seconds_count (\d+)$", r.raw.decode(), re.M)
    expect(m is not None, "no tocsin_commit_seconds_count in /metrics")
    return int(m.group(1))


def spool_metric(d, result):
    r = d.request("GET", "/metrics")
    m = re.search(rf'^tocsin_spool_files_total{{result="{result}"}} (\d+)$', r.raw.decode(), re.M)
    expect(m is not None, f"no tocsin_spool_files_total{{result={result}}} in /metrics")
    return int(m.group(1))


def test_spool_waits_while_the_store_fails():
    """A file whose commit fails (a full disk) stays in the spool, neither
    done nor rejected, and is tried again after a pause, longer each time;
    once the disk has room it is stored once and moved to done/."""
    d, spool = spool_daemon(args=("--log-level", "info"))
    d.start()
    # Fill the "disk": the soft file size limit, as test_durability does.
    resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))
    for i in range(3000):
        if d.post_events(report(f"fill-{i}", summary="x" * 2000)).status == 503:
            break
    else:
        expect(False, "the disk never filled")
    # A smaller commit may still fit where a larger one failed: fill on
    # with small reports until one is refused, and spool that very one.
    for i in range(3000):
        held = report(f"held-{i}")
        if d.post_events(held).status == 503:
            break
    else:
        expect(False, "small reports never filled the disk")
    key = held["incident"]
    drop(spool, "held.json", held)
    wait_until(lambda: log_text(d).count("spool: pausing for") >= 2, 20,
               "the spool to pause, try again, and pause longer")
    expect("pausing for 1000 ms" in log_text(d) and "pausing for 2000 ms" in log_text(d),
           "the pause doubles")
    expect(os.path.exists(os.path.join(spool, "held.json")),
           "the file stays in the spool while its commit fails")
    expect(not os.listdir(os.path.join(spool, "done")) and
           not os.listdir(os.path.join(spool, "rejected")),
           "a failed commit is neither done nor rejected")
    expect(spool_metric(d, "retried") >= 2, "retries are counted")
    expect(d.request("GET", f"/v1/incidents/{key}").status == 404, "nothing half-stored")
    resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE,
                     (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    wait_until(lambda: in_dir(spool, "done", "held.json"), 20,
               "the file to go in once the disk has room")
    expect(d.incident(key).get("state") == "open", "the held file's incident is open")
    expect(spool_metric(d, "done") == 1, "one file done")
    d.stop()
    n = d.query_db("SELECT count(*) FROM events WHERE incident = ?", key)[0][0]
    expect(n == 1, f"want the held file's event stored once, found {n}")


def test_spool_more_files_than_inotify_holds():
    """More files arrive while the loop is stopped than the kernel queues
    inotify events for: the overflow makes the spool read the directory
    again, and every file is stored once."""
    with open("/proc/sys/fs/inotify/max_queued_events") as f:
        count = int(f.read()) + 200
    d, spool = spool_daemon(args=("--log-level", "info"))
    d.start()
    for i in range(count):
        with open(os.path.join(spool, f".f{i:05d}.tmp"), "w", encoding="utf-8") as f:
            json.dump({"id": f"ov-{i}", "type": "daily", "unit": "unit-ov", "zero": True}, f)
    d.proc.send_signal(signal.SIGSTOP)
    try:
        for i in range(count):
            os.rename(os.path.join(spool, f".f{i:05d}.tmp"), os.path.join(spool, f"f{i:05d}.json"))
    finally:
        d.proc.send_signal(signal.SIGCONT)
    wait_until(lambda: len(os.listdir(os.path.join(spool, "done"))) == count, 240,
               f"{count} files in done/")
    expect("spool: too many files at once" in log_text(d),
           "the kernel's queue overflowed and the spool read the directory again")
    left = [n for n in os.listdir(spool) if n not in ("done", "rejected")]
    expect(not left and not os.listdir(os.path.join(spool, "rejected")),
           f"left behind: {left[:5]}")
    d.stop()
    n = d.query_db("SELECT count(DISTINCT id), count(*) FROM events WHERE unit = 'unit-ov'")[0]
    expect(n == (count, count), f"want {count} events stored once each, found {n}")


def test_spool_file_renamed_over_one_being_read():
    """A producer renames a new NAME.json over the one tocsind has read and is
    committing: the new file is read too, not archived in done/ unread.

    Deterministic: the test holds SQLite's write lock, so the daemon, having
    read the first file (it holds it open until it moves it), waits in its
    commit; the second file is renamed over the first then, and the lock
    let go."""
    import sqlite3
    d, spool = spool_daemon(args=("--log-level", "info"))
    d.start()
    rounds = 3
    for i in range(rounds):
        first, second = report(f"inc-race-a{i}"), report(f"inc-race-b{i}")
        db = sqlite3.connect(d.db, timeout=10, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        try:
            drop(spool, "race.json", first)

            # Read: tocsind keeps the file open from reading it until it
            # moves it, and the commit between waits for our lock.  (Timing
            # /healthz took a slow loop on a loaded machine for a stuck
            # one, and the second file replaced a first never read.)
            def holds_first_open():
                fds = f"/proc/{d.proc.pid}/fd"
                want = os.path.realpath(os.path.join(spool, "race.json"))
                for fd in os.listdir(fds):
                    try:
                        if os.readlink(os.path.join(fds, fd)) == want:
                            return True
                    except OSError:
                        pass
                return False
            wait_until(holds_first_open, 10, "the daemon to read race.json")
            drop(spool, "race.json", second)
        finally:
            db.execute("ROLLBACK")
            db.close()
        for key in (first["incident"], second["incident"]):
            wait_until(lambda: d.request("GET", f"/v1/incidents/{key}").status == 200, 10,
                       f"{key} stored (round {i + 1})")
        wait_until(lambda: not os.path.exists(os.path.join(spool, "race.json")), 10,
                   "race.json to leave the spool")
    # done/ holds what replaced each first file, read and stored; the
    # first, unlinked by the rename over it, has no name left to archive.
    done = sorted(os.listdir(os.path.join(spool, "done")))
    bodies = []
    for name in done:
        with open(os.path.join(spool, "done", name), encoding="utf-8") as f:
            bodies.append(json.load(f)["incident"])
    expect(sorted(bodies) == sorted(f"inc-race-b{i}" for i in range(rounds)),
           f"done/ should hold the second files, read: {dict(zip(done, bodies))}")
    expect("replaced after it was read" in log_text(d), "the log does not say what happened")
    d.stop()


def test_spool_error_does_not_quote_the_file():
    """A rejected file's .error (and the log line) say what is wrong, and
    where, without copying the file's content: not the text jansson saw
    near the error, not the unknown incident's key."""
    d, spool = spool_daemon()
    d.start()
    secret = "Zhangsan110101"  # jansson quotes a token of up to 20 bytes
    d.accept(report("inc-b-" + secret, unit="hosp-b"))   # logged as it opens
    logged = log_text(d).count(secret)
    cases = {
        "broken.json": (('{"type": "report", "unit": "hosp-a",\n  "title": "x" "'
                         + secret + '"}').encode(), "invalid_json", None),
        "orphan.json": ([report("inc-orphan-ok"),
                         {"type": "update", "incident": "inc-" + secret, "unit": "hosp-a"}],
                        "unknown_incident", "incident"),
        # Another unit's key: refused for good (409), not retried forever.
        "taken.json": (report("inc-b-" + secret, unit="hosp-a"), "incident_exists", "incident"),
    }
    for name, (body, _, _) in cases.items():
        drop(spool, name, body)
    for name, (_, code, field) in cases.items():
        wait_until(lambda: in_dir(spool, "rejected", name + ".error"), 5, f"{name}.error")
        with open(os.path.join(spool, "rejected", name + ".error"), encoding="utf-8") as f:
            text = f.read()
        err = json.loads(text)["error"]
        expect(err.get("code") == code and err.get("message"), f"{name}.error: {text}")
        if field:
            expect(err.get("field") == field, f"{name}.error: want field {field}: {text}")
        expect(secret not in text, f"{name}.error quotes the file: {text}")
    err = json.load(open(os.path.join(spool, "rejected", "broken.json.error")))["error"]
    expect(re.match(r"line 2 column \d+: ", err["message"]),
           f"the JSON error does not say where: {err['message']}")
    err = json.load(open(os.path.join(spool, "rejected", "orphan.json.error")))["error"]
    expect(err["message"].startswith("event 1: "), f"which event of the array: {err['message']}")
    expect(not in_dir(spool, "", "taken.json"), "a refused file stays in the spool")
    expect(log_text(d).count(secret) == logged, "the log quotes a rejected file")
    d.stop()
