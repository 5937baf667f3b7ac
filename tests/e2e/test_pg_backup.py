"""tocsinctl backup of a PostgreSQL store: Debian's pg_dump in its custom
format, the URL's password in pg_dump's environment and never on its
command line, a clear refusal without pg_dump.  The restore test needs a
PostgreSQL server (make check-pg sets TOCSIN_E2E_PG); the others run
anywhere, with a stand-in pg_dump."""

import http.server
import json
import stat
import sys
import threading

import harness
from harness import *

PASSWORD = "s3cret-e2e"


def backup(*args, path, env_extra=None, url=None):
    env = dict(CLEAN_ENV, PATH=path, **(env_extra or {}))
    cmd = [harness.TOCSINCTL] + (["--url", url] if url else []) + ["backup", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def fake_pg_dump(d):
    """A pg_dump that writes what it was given (argv, PGPASSWORD) and the
    command line of its parent, tocsinctl, as ps shows it while the dump
    runs, into the file it is asked for, as JSON; PATH is only its
    directory."""
    with open(os.path.join(d, "pg_dump"), "w", encoding="utf-8") as f:
        f.write(f"#!{sys.executable}\n"
                "import json, os, sys\n"
                "out = sys.argv[sys.argv.index('--file') + 1]\n"
                "with open(out, 'w') as f:\n"
                "    parent = open(f'/proc/{os.getppid()}/cmdline', 'rb').read()\n"
                "    json.dump({'argv': sys.argv, 'password': os.environ.get('PGPASSWORD'),\n"
                "               'parent': parent.decode(errors='replace'),\n"
                "               'mode': os.stat(out).st_mode & 0o777}, f)\n")
    os.chmod(os.path.join(d, "pg_dump"), 0o755)


class StatusServer:
    """GET /v1/status naming a PostgreSQL database as tocsind does: the
    password left out as ***."""

    def __init__(self, path):
        body = json.dumps({"database": {"path": path}}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_pg_backup_refused_without_pg_dump():
    """No pg_dump on PATH: one line naming pg_dump, pgBackRest and the
    docs, exit 1, no file."""
    d = harness.CTX.subdir("nopgdump")
    out = os.path.join(d, "b.dump")
    r = backup("--db", f"postgresql://tocsin:{PASSWORD}@127.0.0.1:1/tocsin", out, path=d)
    lines = r.stderr.strip().splitlines()
    expect(r.returncode == 1 and len(lines) == 1, f"want exit 1 and one line, got {r.returncode} "
           f"{r.stderr!r}")
    expect(all(w in lines[0] for w in ("pg_dump", "pgBackRest", "docs/cluster.md")),
           f"the refusal names pg_dump, pgBackRest and docs/cluster.md: {lines[0]!r}")
    expect(PASSWORD not in r.stderr + r.stdout, "the password was printed")
    expect(not os.path.exists(out) and not os.path.exists(out + ".tmp"), "a file was left")


def test_pg_backup_password_off_the_command_line():
    """The URL's password reaches pg_dump as PGPASSWORD, never in its argv;
    every other part of the URL does; tocsinctl's own command line (ps)
    shows it no more once it has read it; the dump is 0600 and renamed into
    place.  A URL from the daemon's status (password ***) gives pg_dump
    the caller's PGPASSWORD, not ***."""
    d = harness.CTX.subdir("fakepgdump")
    fake_pg_dump(d)
    out = os.path.join(d, "b.dump")
    url = (f"postgresql://tocsin:{PASSWORD}@127.0.0.1:5433,127.0.0.2:5434/tocsin"
           "?target_session_attrs=read-write&connect_timeout=3")
    r = backup("--db", url, out, path=d)
    expect(r.returncode == 0, f"backup: exit {r.returncode}: {r.stderr!r}")
    expect(PASSWORD not in r.stdout + r.stderr, f"the password was printed: {r.stdout!r}")
    expect("not checked" in r.stdout, f"no pg_restore on PATH is said: {r.stdout!r}")
    expect(not os.path.exists(out + ".tmp"), "backup left its .tmp file")
    got = json.load(open(out))
    argv = " ".join(got["argv"])
    expect(PASSWORD not in argv, f"the password is on pg_dump's command line: {argv}")
    expect(got["password"] == PASSWORD, f"PGPASSWORD in pg_dump's environment: {got['password']!r}")
    # tocsinctl's own command line, as ps shows it during the dump, no
    # longer holds the password it was given in --db.
    expect(PASSWORD not in got["parent"] and "backup" in got["parent"],
           f"the password is on tocsinctl's command line while pg_dump runs: {got['parent']!r}")
    expect("--format=custom" in got["argv"], f"custom format: {argv}")
    for part in ("user='tocsin'", "dbname='tocsin'", "host='127.0.0.1,127.0.0.2'",
                 "port='5433,5434'", "target_session_attrs='read-write'", "connect_timeout='3'"):
        expect(part in argv, f"{part} not passed to pg_dump: {argv}")
    expect(got["mode"] == 0o600 and stat.S_IMODE(os.stat(out).st_mode) == 0o600,
           f"the dump is not 0600: {oct(got['mode'])}")

    status = StatusServer("postgresql://tocsin:***@127.0.0.1:5433/tocsin")
    try:
        os.unlink(out)
        r = backup(out, path=d, url=status.url, env_extra={"PGPASSWORD": "from-env"})
    finally:
        status.close()
    expect(r.returncode == 0, f"backup via the daemon: exit {r.returncode}: {r.stderr!r}")
    got = json.load(open(out))
    expect(got["password"] == "from-env" and "***" not in " ".join(got["argv"]),
           f"the daemon's *** was used as the password: {got}")


def test_pg_backup_restores():
    """A backup of a running daemon's PostgreSQL database (the URL from its
    status, password ***) restored with pg_restore into a new database
    holds every incident answered before it began."""
    if not harness.PG_URL:
        print("    (skipped: no TOCSIN_E2E_PG)")
        return
    expect(shutil.which("pg_dump") and shutil.which("pg_restore"), "pg_dump and pg_restore on PATH")
    sink = Sink()
    # trust authentication ignores the password; the daemon shows it as ***.
    db = pg_database().replace("postgresql://tocsin@", f"postgresql://tocsin:{PASSWORD}@", 1)
    d = Daemon(site_files(sink, due="1h"), db=db).start()
    keys = [f"inc-pgb-{i}" for i in range(5)]
    d.accept([report(k) for k in keys])
    out = os.path.join(d.dir, "tocsin.dump")
    r = backup(out, path=CLEAN_ENV.get("PATH", "/usr/bin:/bin"), url=d.base)
    with open(d.log_path, "a", encoding="utf-8") as log:
        log.write(f"=== harness: tocsinctl backup -> {r.returncode}\n{r.stdout}{r.stderr}\n")
    expect(r.returncode == 0, f"backup: exit {r.returncode}: {r.stderr!r}")
    expect(re.search(r"pg_dump custom format, \d+ bytes .* pg_restore --list ok", r.stdout)
           and PASSWORD not in r.stdout, f"backup output: {r.stdout!r}")
    d.accept(report("inc-pgb-after"))        # after the backup: not in it
    d.stop()

    target = pg_database()
    rr = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", target, out],
                        capture_output=True, text=True, timeout=120)
    expect(rr.returncode == 0, f"pg_restore: exit {rr.returncode}: {rr.stderr}")
    rows = pg_query(target, "SELECT key FROM incidents ORDER BY key")
    expect([r[0] for r in rows] == sorted(keys), f"incidents in the restored database: {rows}")


def test_pg_backup_refuses_other_secrets():
    """A URL with another secret than the password (sslpassword, the
    client key's) is refused: libpq reads it from no environment variable,
    so it could only reach pg_dump on its command line."""
    d = harness.CTX.subdir("sslpassword")
    fake_pg_dump(d)
    out = os.path.join(d, "b.dump")
    r = backup("--db", f"postgresql://tocsin@127.0.0.1:5433/tocsin?sslpassword={PASSWORD}",
               out, path=d)
    expect(r.returncode == 1 and "sslpassword" in r.stderr,
           f"want exit 1 naming sslpassword, got {r.returncode}: {r.stderr!r}")
    expect(PASSWORD not in r.stdout + r.stderr, f"the secret was printed: {r.stderr!r}")
    expect(not os.path.exists(out) and not os.path.exists(out + ".tmp"),
           "pg_dump ran with the secret on its command line")
