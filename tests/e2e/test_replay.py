"""tocsinctl replay: a database the real daemon made, through the same rules
(no difference) and through changed ones (the difference, exit 1), the
database never written."""

import harness
from harness import *

# assessment: breached one second after the report; the policy tells the
# office and the deputy at once, then the principal five seconds later.
RULES = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", title = "评估", due = "1s", met_by = { type = "assessment" },
      owner = "office", on_breach = "standard" },
  },
}
policy "standard" {
  { notify = { "office", "%(role)s" } },
  { after = "%(after)s", notify = { "principal" } },
}
"""

SITE = 'site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." } }\n'


def report(key, **extra):
    e = {"type": "report", "incident": key, "unit": "hosp-a", "category": "network_security",
         "title": "门户网站被篡改"}
    e.update(extra)
    return e


def replay(d, *args):
    cmd = [harness.TOCSINCTL, "replay", "--db", d.db, "-c", d.site, *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=CLEAN_ENV)
    with open(d.log_path, "a", encoding="utf-8") as log:
        log.write(f"=== harness: tocsinctl replay {' '.join(args)} -> {r.returncode}\n"
                  f"{r.stdout[-3000:]}{r.stderr[-2000:]}\n")
    return r


def fingerprint(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return (hashlib.sha256(f.read()).hexdigest(), st.st_size, st.st_mtime_ns)


def test_replay_same_and_changed_rules():
    """Same rules: exit 0, nothing printed as a difference.  A step's after
    changed and a role changed: who is no longer told, who now is, the
    step's new time; exit 1.  The database file is the same bytes, same
    mtime, after every replay."""
    sink = Sink()
    files = {"site.lua": SITE + ORG.format(url=sink.url(), secret=SECRET),
             "rules.lua": RULES % {"role": "deputy", "after": "5s"},
             "changed/rules.lua": RULES % {"role": "duty", "after": "1s"}}
    d = Daemon(files).start()
    d.accept(report("inc-late"))
    d.accept(report("inc-met"))
    d.accept({"type": "assessment", "incident": "inc-met", "unit": "hosp-a"})
    d.accept(report("inc-closed"))
    r = d.request("POST", "/v1/incidents/inc-closed/resolve", {"by": "zhao"})
    expect(r.status == 200, f"resolve inc-closed: {r!r}")
    wait_until(lambda: timeline(d.incident("inc-late"), "notify", step=2), 30,
               "the policy's second step on inc-late")

    # The live database of a running daemon: read as a reader.
    r = replay(d)
    expect(r.returncode == 0, f"replay of the live database with the same rules: exit "
                              f"{r.returncode}: {r.stdout[-1500:]}{r.stderr[-500:]}")
    d.stop()

    before = fingerprint(d.db)
    r = replay(d)
    expect(r.returncode == 0 and "0 of 3 incidents differ" in r.stdout,
           f"same rules: exit {r.returncode}: {r.stdout[-1500:]}{r.stderr[-500:]}")

    changed = os.path.join(d.dir, "changed")
    r = replay(d, "--rules", changed)
    out = r.stdout
    expect(r.returncode == 1, f"changed rules: exit {r.returncode}, want 1: {out[-2000:]}{r.stderr}")
    lines = out.splitlines()
    expect(lines and lines[0].startswith("inc-late  hosp-a  门户网站被篡改"),
           f"the difference is headed by its incident: {out[:500]}")
    expect("inc-met" not in out and "inc-closed" not in out,
           f"incidents that do not differ are not listed: {out}")

    def row(mark, *words):
        return any(l.startswith(f"  {mark} ") and all(w in l for w in words) for l in lines)

    expect(row("-", "notify", "deputy → sun (hook)", "would no longer be told"),
           f"the deputy no longer told: {out}")
    expect(row("+", "notify", "duty → zhao (hook)", "would now be told"),
           f"the duty officer now told: {out}")
    expect(row("~", "notify", "standard step 2", "principal → li (hook)", "at "),
           f"the second step's notification earlier: {out}")
    expect(row("~", "escalation.step", "standard step 2", "at "),
           f"the second step earlier: {out}")
    expect("1 of 3 incidents differ" in out, f"the summary: {out[-300:]}")
    # The columns line up whatever the script: each row's "at" starts at the same column.
    starts = {l.index("20") for l in lines if l.startswith("  ") and "20" in l}
    expect(len(starts) == 1, f"rows not aligned: {out}")

    r = replay(d, "--rules", changed, "--format", "json")
    expect(r.returncode == 1, f"--format json: exit {r.returncode}: {r.stderr}")
    doc = json.loads(r.stdout)
    expect(doc["same"] is False and [i["incident"] for i in doc["incidents"]] == ["inc-late"],
           f"json: {short(doc)}")
    kinds = {(c["change"], c["kind"]) for c in doc["incidents"][0]["changes"]}
    expect({("added", "notify"), ("removed", "notify"), ("changed", "escalation.step")} <= kinds,
           f"json changes: {kinds}")
    moved = [c for c in doc["incidents"][0]["changes"]
             if c["change"] == "changed" and c["kind"] == "escalation.step"][0]
    expect(parse_time(moved["now"]["at"]) < parse_time(moved["was"]["at"]),
           f"the step moved earlier: {moved}")

    # Only what is asked for: another incident, a unit with none, a window.
    r = replay(d, "--rules", changed, "--incident", "inc-met")
    expect(r.returncode == 0 and "0 of 1 incidents differ" in r.stdout,
           f"--incident inc-met: exit {r.returncode}: {r.stdout}{r.stderr}")
    r = replay(d, "--rules", changed, "--unit", "hosp-b")
    expect(r.returncode == 0 and "0 of 0 incidents differ" in r.stdout,
           f"--unit hosp-b: exit {r.returncode}: {r.stdout}{r.stderr}")
    r = replay(d, "--rules", changed, "--from", "2000-01-01T00:00:00Z",
               "--to", "2001-01-01T00:00:00Z")
    expect(r.returncode == 0 and "0 of 0 incidents differ" in r.stdout,
           f"a window with no incident: exit {r.returncode}: {r.stdout}{r.stderr}")

    # Errors: exit 2, not 0 or 1.
    r = subprocess.run([harness.TOCSINCTL, "replay", "--db", os.path.join(d.dir, "none.db"),
                        "-c", d.site], capture_output=True, text=True, timeout=60, env=CLEAN_ENV)
    expect(r.returncode == 2 and r.stderr.strip(), f"no such database: exit {r.returncode}")
    r = replay(d, "--from", "yesterday")
    expect(r.returncode == 2, f"a bad --from: exit {r.returncode}")

    expect(fingerprint(d.db) == before, "replay changed the database file")
    expect(not [f for f in os.listdir(d.dir) if f.startswith("tocsin.db") and f != "tocsin.db"
                and os.path.getsize(os.path.join(d.dir, f)) > 0 and f.endswith("-wal")],
           f"replay left a WAL beside the database: {os.listdir(d.dir)}")


def test_simulate_messages():
    """simulate --messages: each notify carries the title and the text its
    recipient reads, an acknowledgement link's token cut out, the same bytes
    on every run; without it the output is the plain timeline."""
    site = ('site { timezone = "Asia/Shanghai", rules = { "." }, '
            'public_url = "http://127.0.0.1:1" }\n'
            + ORG.format(url="http://127.0.0.1:1/hook", secret=SECRET))
    files = {"site.lua": site, "rules.lua": RULES % {"role": "deputy", "after": "15m"},
             "events.jsonl": json.dumps(dict(report("inc-m"), at="2026-03-02T09:00:00+08:00"),
                                        ensure_ascii=False) + "\n"}
    top = harness.CTX.subdir("simulate")
    for name, text in files.items():
        with open(os.path.join(top, name), "w", encoding="utf-8") as f:
            f.write(text)

    def simulate(*extra):
        r = subprocess.run([harness.TOCSINCTL, "simulate", "-c", os.path.join(top, "site.lua"),
                            "--events", os.path.join(top, "events.jsonl"), "--until", "1h", *extra],
                           capture_output=True, text=True, timeout=60, env=CLEAN_ENV)
        expect(r.returncode == 0, f"simulate {extra}: exit {r.returncode}: {r.stderr}")
        return r.stdout

    first, second, plain = simulate("--messages"), simulate("--messages"), simulate()
    expect(first == second, "simulate --messages differs between two runs")
    actions = [json.loads(l) for l in first.splitlines()]
    notes = [a for a in actions if a["kind"] == "notify"]
    expect(len(notes) >= 4 and all("message" in a for a in notes),
           f"every notify has its message: {short(notes)}")
    expect(not [a for a in actions if a["kind"] != "notify" and "message" in a],
           "only notify actions carry a message")
    step2 = [a for a in notes if a.get("step") == 2][0]
    msg = step2["message"]
    expect(msg["title"] == "门户网站被篡改" and "第2级升级" in msg["text"]
           and "http://127.0.0.1:1/ack/<token>" in msg["text"],
           f"the second step's message: {msg}")
    expect(not re.search(r"/ack/[0-9a-f]{16,}", first), "a link's token in the output")
    stripped = [{k: v for k, v in a.items() if k != "message"} for a in actions]
    expect(stripped == [json.loads(l) for l in plain.splitlines()],
           "--messages changed the timeline itself")
    expect("message" not in plain, "without --messages a notify carries its message")
