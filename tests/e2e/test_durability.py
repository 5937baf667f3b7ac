"""Durability against a failing disk: a commit that cannot be written is
answered 503 and keeps nothing; when space comes back, ingest goes on."""

import resource

import harness
from harness import *

SITE = """\
site { listen = "127.0.0.1:@PORT@", rules = { "." } }
channel "log" { kind = "log" }
person "qian" { name = "钱二", roles = { "office" }, channels = { "log" } }
"""

RULES = """\
procedure "netsec" {
  match = { category = "network_security" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", due = "2h", met_by = { type = "assessment" }, owner = "office" },
  },
}
"""

LIMIT = 1 << 20          # bytes any file of the daemon may grow to: a "full disk"


def test_full_disk_answers_503_and_keeps_nothing():
    d = Daemon({"site.lua": SITE, "rules.lua": RULES}, args=("--log-level", "warn")).start()
    # The soft limit only, so that it can be lifted again without privilege.
    resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))
    accepted, refused = [], None
    for i in range(3000):
        key = f"disk-{i}"
        r = d.post_events(report(key, summary="x" * 2000))
        if r.status == 202:
            accepted.append(key)
            continue
        expect(r.status == 503 and (r.data or {}).get("error", {}).get("code") == "store_failed",
               f"a commit that cannot be written: want 503 store_failed, got {r!r}")
        refused = key
        break
    expect(refused is not None, f"the disk never filled after {len(accepted)} events")
    expect(len(accepted) > 0, "nothing was accepted before the disk filled")
    expect(d.proc.poll() is None, "the daemon died when the disk filled")

    # Nothing of the refused request was kept; everything answered 202 was.
    r = d.request("GET", f"/v1/incidents/{refused}")
    expect(r.status == 404, f"the refused incident was half-stored: {r!r}")
    for key in accepted[-3:]:
        expect(d.request("GET", f"/v1/incidents/{key}").status == 200, f"{key} answered 202 but is gone")
    # While the disk is full, every write keeps failing cleanly.
    r = d.post_events(report(refused))
    expect(r.status == 503, f"still full: want 503, got {r!r}")

    # Space comes back: the same event is accepted, once.
    resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE,
                     (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    wait_until(lambda: d.post_events(report(refused)).status == 202, 10,
               "ingest to work again once the disk has room")
    expect(d.incident(refused).get("state") == "open", "the retried incident is stored")
    d.stop()
    rows = d.query_db("SELECT count(*) FROM incidents")[0][0]
    expect(rows == len(accepted) + 1, f"{rows} incidents stored, want {len(accepted) + 1}")
    events = d.query_db("SELECT count(*) FROM events WHERE incident = ?", refused)[0][0]
    expect(events == 1, f"the refused-then-retried event is stored {events} times")
    check = d.query_db("PRAGMA integrity_check")
    expect(check == [("ok",)], f"integrity_check: {check}")
