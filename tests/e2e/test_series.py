"""Obligations that repeat and obligations several events meet, through the
real daemon: each instance of a series is a ledger row carrying its
`instance`, met, late or cancelled on its own; a met_by count keeps its
progress in the store; the CSV export has the new columns."""

import csv
import io
import subprocess

import harness
from harness import *

RULES = """\
procedure "series" {
  title = "续报",
  match = { category = "network_security" },
  obligations = {
    { id = "progress", title = "进程报告", due = "2s", every = "2s",
      met_by = { type = "update" }, ["until"] = { type = "final" }, owner = "office" },
    { id = "two-notices", title = "两次通报", due = "1h",
      met_by = { count = 2, type = "notice" }, owner = "office" },
  },
}
"""

SITE = """\
site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." } }
channel "log" { kind = "log" }
person "zhao" { name = "赵一", phone = "+8613800000001", roles = { "office" }, channels = { "log" } }
"""


def ctl(d, *args):
    return subprocess.run([harness.TOCSINCTL, "--url", d.base, *args], capture_output=True,
                          text=True, timeout=30, env=CLEAN_ENV)


def ledger(d, key):
    r = d.request("GET", "/v1/compliance")
    expect(r.status == 200, f"compliance: want 200, got {r!r}")
    return [row for row in r.data.get("obligations", []) if row["incident"] == key]


def test_series_instances_in_the_ledger():
    """Instance 1 breached then met late, instance 2 met, instance 3 cancelled
    by the final report; the count obligation shows 1 of 2, then met."""
    d = Daemon({"site.lua": SITE, "rules.lua": RULES}).start()
    d.accept(report("ser-1"))

    def progress():
        return {row["instance"]: row for row in ledger(d, "ser-1")
                if row["obligation"] == "progress"}
    wait_until(lambda: 2 in progress(), 10, "instance 2 of the series")
    d.accept({"type": "update", "incident": "ser-1", "unit": "hosp-a"})
    d.accept({"type": "update", "incident": "ser-1", "unit": "hosp-a"})
    d.accept({"type": "notice", "incident": "ser-1", "unit": "hosp-a"})
    rows = progress()
    expect(rows[1]["status"] == "late" and rows[1]["late_s"] >= 0,
           f"instance 1: {short(rows[1])}")
    expect(rows[2]["status"] in ("met", "late"), f"instance 2: {short(rows[2])}")
    count = [row for row in ledger(d, "ser-1") if row["obligation"] == "two-notices"]
    expect(len(count) == 1 and count[0]["instance"] is None and count[0]["status"] == "pending"
           and count[0]["met_count"] == 1 and count[0]["needed"] == 2,
           f"two-notices after one: {short(count)}")
    wait_until(lambda: 3 in progress(), 10, "instance 3 of the series")
    d.accept({"type": "final", "incident": "ser-1", "unit": "hosp-a"})
    d.accept({"type": "notice", "incident": "ser-1", "unit": "hosp-a"})
    rows = progress()
    last = max(rows)
    expect(rows[last]["status"] == "cancelled", f"instance {last}: {short(rows[last])}")
    count = [row for row in ledger(d, "ser-1") if row["obligation"] == "two-notices"]
    expect(count[0]["status"] == "met" and count[0]["met_count"] == 2,
           f"two-notices after two: {short(count)}")
    n = len(progress())
    cancelled = timeline(d.incident("ser-1"), "obligation.cancelled")
    expect(any(a.get("reason") == "until" and a.get("instance") == last for a in cancelled),
           f"the final report's cancel: {short(cancelled)}")

    out = ctl(d, "compliance", "--format", "csv")
    expect(out.returncode == 0, f"tocsinctl compliance: {out.stderr!r}")
    table = list(csv.DictReader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    got = sorted(int(r["instance"]) for r in table
                 if r["incident"] == "ser-1" and r["obligation"] == "progress")
    expect(got == list(range(1, n + 1)), f"csv instances: {got}")
    d.stop()
