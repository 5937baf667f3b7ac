"""tocsinctl migrate: an embedded database moved into PostgreSQL, checked row
for row, and a daemon carrying on there where the other stopped.  Needs a
PostgreSQL server (make check-pg sets TOCSIN_E2E_PG); skipped without."""

import hashlib
import sqlite3

import harness
from harness import *

DUE = 6.0       # long enough for stop, migrate and start before it falls due


def files(sink):
    """site_files with step 2 of the policy far off: an escalation waits."""
    f = site_files(sink, due=f"{int(DUE)}s")
    expect('after = "2s"' in f["rules.lua"], "the harness's policy changed")
    f["rules.lua"] = f["rules.lua"].replace('after = "2s"', 'after = "10m"')
    return f


def migrate(log_dir, src, url):
    r = subprocess.run([harness.TOCSINCTL, "migrate", "--from", src, "--to", url],
                       capture_output=True, text=True, timeout=120, env=CLEAN_ENV)
    with open(os.path.join(log_dir, "migrate.log"), "a", encoding="utf-8") as log:
        log.write(f"=== tocsinctl migrate -> {r.returncode}\n{r.stdout}{r.stderr}\n")
    return r


def file_hash(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_migrate_carries_on():
    """Incidents, a pending deadline, an escalation waiting, queued
    notifications, receipts, replies and the timeline move to PostgreSQL;
    the daemon there delivers what was queued and breaches what was
    pending on time; the file is untouched; a non-empty target is refused."""
    if not harness.PG_URL:
        print("    (skipped: no TOCSIN_E2E_PG)")
        return
    sink = Sink()
    sink.fail_for(3600)                     # the gateway down: notifications queue
    src = Daemon(files(sink))
    src.db = os.path.join(src.dir, "tocsin.db")
    src.start()
    src.accept(report("inc-old"))
    wait_until(lambda: sink.webhooks(incident="inc-old", reason="escalation", step=1),
               DUE + 8, "a step-1 attempt for inc-old (refused by the gateway)")

    busy = migrate(src.dir, src.db, pg_database())
    expect(busy.returncode == 1 and "in use by a running tocsind" in busy.stderr,
           f"migrate from a running daemon's file: want refused, got {busy.returncode} "
           f"{busy.stdout}{busy.stderr}")

    before = time.time()
    src.accept(report("inc-new"))
    after = time.time()
    due_at = obligation(src.incident("inc-new"), "assessment")["due_at"]
    src.stop()
    con = sqlite3.connect(src.db)
    try:
        queued = con.execute("SELECT count(*) FROM outbox WHERE status <> 'delivered'"
                             ).fetchone()[0]
        expect(queued >= 2, f"want queued notifications in the file, have {queued}")
        outbox_id = con.execute("SELECT min(id) FROM outbox").fetchone()[0]
        con.execute("INSERT INTO receipts (channel, ref, outbox, status, received_at) "
                    "VALUES ('hook', 'ref-1', ?, 'answered', 1)", (outbox_id,))
        con.execute("INSERT INTO replies (channel, phone, person, text, received_at, "
                    "incident, outcome) VALUES ('sms', '+8613800000003', 'sun', "
                    "'1\ttab\\back\nline', 2, 'inc-old', 'acked')")
        con.commit()
        pending = con.execute("SELECT count(*) FROM obligations WHERE incident = 'inc-new' "
                              "AND status = 'pending'").fetchone()[0]
        expect(pending == 1, "want inc-new's deadline pending in the file")
        waiting = con.execute("SELECT count(*) FROM escalations WHERE state = 'active'"
                              ).fetchone()[0]
        expect(waiting >= 1, "want an escalation waiting in the file")
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()
    digest = file_hash(src.db)

    dst = Daemon(files(sink))
    r = migrate(dst.dir, src.db, dst.db)
    expect(r.returncode == 0 and "every row checked" in r.stdout,
           f"migrate: want 0 and every row checked, got {r.returncode} {r.stdout}{r.stderr}")
    for t in tables:
        line = [l for l in r.stdout.splitlines() if l.split()[:1] == [t]]
        expect(line and line[0].split()[-1] == "ok", f"migrate's line for {t}: {line}")
        got = pg_query(dst.db, f'SELECT count(*) FROM "{t}"')[0][0]
        expect(got == counts[t], f"{t}: {counts[t]} rows in the file, {got} in PostgreSQL")
    want = hashlib.md5("1\ttab\\back\nline".encode()).hexdigest()
    reply = pg_query(dst.db, "SELECT md5(text) FROM replies")
    expect(reply == [(want,)], f"the reply's text changed on the way: {reply} (want {want})")
    expect(file_hash(src.db) == digest, "migrate wrote the source file")

    sink.fail_for(0)                        # the gateway back
    dst.start()
    wait_until(lambda: [p for p in sink.webhooks(incident="inc-old", reason="escalation",
                                                 step=1) if p.status == 200],
               20, "the queued step-1 notification delivered from PostgreSQL")
    lo, hi = due_window(due_at, before, after, DUE)
    hit = wait_until(lambda: [p for p in sink.webhooks(incident="inc-new", reason="escalation",
                                                       step=1) if p.status == 200],
                     hi - time.time() + 5, "inc-new's step 1 after its breach")
    first = min(p.wall for p in hit)
    expect(lo - 0.01 <= first <= hi + 1.0,
           f"inc-new's breach notified {first - hi:+.2f}s from its due time (limit 1s)")
    inc = dst.incident("inc-new")
    expect(timeline(inc, "obligation.breached", obligation="assessment"),
           f"no breach in {short(timeline(inc))}")
    dst.accept(report("inc-after"))         # new ids past the copied ones
    expect(dst.incident("inc-after").get("key") == "inc-after", "a new incident on PostgreSQL")

    again = migrate(dst.dir, src.db, dst.db)
    expect(again.returncode == 1 and "not empty" in again.stderr,
           f"migrate into a used database: want refused, got {again.returncode} "
           f"{again.stdout}{again.stderr}")
    dst.stop()
    expect(file_hash(src.db) == digest, "the source file changed")


def test_migrate_password_off_the_command_line():
    """ps shows every process's argv to every user of the host: once
    tocsinctl migrate has read --to, the URL's password is gone from its
    command line (and from what it prints). A server that accepts and never
    answers holds the migration at its connect while /proc is read; no
    PostgreSQL needed."""
    import socket
    d = Daemon(site_files(Sink()))
    d.db = os.path.join(d.dir, "tocsin.db")
    d.start()
    d.stop()
    held = []
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    port = lsock.getsockname()[1]
    url = f"postgresql://tocsin:s3cret-pw@127.0.0.1:{port}/tocsin?connect_timeout=3"
    p = subprocess.Popen([harness.TOCSINCTL, "migrate", "--from", d.db, "--to", url],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CLEAN_ENV)
    try:
        lsock.settimeout(20)
        held.append(lsock.accept()[0])      # it connected: --to was read
        with open(f"/proc/{p.pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
        for s in held + [lsock]:
            s.close()
    expect(b"migrate" in argv and not any(b"s3cret-pw" in a for a in argv),
           f"the password on the command line: {argv}")
    expect(any(a.startswith(b"postgresql://tocsin:***") for a in argv), f"--to as shown: {argv}")
    expect(p.returncode != 0 and "s3cret-pw" not in out + err, f"migrate said: {p.returncode} {out}{err}")
