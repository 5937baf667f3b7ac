"""Units declared in the site (issue 16, items 1 and 3, first slice).

A site that declares its units refuses a report from a unit it does not
know (400 unknown_unit), or with units_strict = false takes it and flags
it event.unmatched.  A token names the units it acts for and covers their
descendants: the county's token acts on a township hospital's incident,
a sibling hospital's token does not, by any path.
"""

import harness
from harness import *

COUNTY = "county-token-0123456789abcdef"   # county-health and below
A = "unit-a-token-0123456789abcdef"        # hosp-a only
B = "unit-b-token-fedcba9876543210"        # hosp-b only
OPS = "ops-token-00112233445566778899"      # every unit

UNITS = """\
unit "county-health" { name = "县卫生健康委员会", roles = { principal = "li" } }
unit "hosp-a" { name = "刘庄乡卫生院", parent = "county-health", kind = "township-hospital" }
unit "hosp-b" { name = "王集乡卫生院", parent = "county-health", kind = "township-hospital" }
"""


def units_daemon(sink, strict=True):
    files = site_files(sink, due="1h")
    if not strict:
        files["site.lua"] = files["site.lua"].replace('rules = { "." }',
                                                      'rules = { "." }, units_strict = false', 1)
    files["site.lua"] += UNITS + (
        f'token "county" {{ secret = "{COUNTY}", units = {{ "county-health" }} }}\n'
        f'token "a" {{ secret = "{A}", units = {{ "hosp-a" }} }}\n'
        f'token "b" {{ secret = "{B}", units = {{ "hosp-b" }} }}\n'
        f'token "ops" {{ secret = "{OPS}" }}\n')
    return Daemon(files).start()


def test_unknown_unit_is_refused():
    sink = Sink()
    d = units_daemon(sink)
    before = d.snapshot()
    r = d.post_events(report("inc-x", unit="hosp-x"), token=COUNTY)
    expect(r.status == 400 and r.data["error"]["code"] == "unknown_unit"
           and r.data["error"].get("field") == "unit",
           f"a report from an undeclared unit: want 400 unknown_unit (field unit), got {r!r}")
    # Hidden in an array beside a good one: the whole request is refused.
    r = d.post_events([report("inc-a", unit="hosp-a"), report("inc-x", unit="hosp-x")],
                      token=OPS)
    expect(r.status == 400 and r.data["error"]["code"] == "unknown_unit",
           f"an array with an undeclared unit: want 400 unknown_unit, got {r!r}")
    after = d.snapshot()
    expect(after == before, "a refused request changed the database: " +
           ", ".join(t for t in after if after[t] != before.get(t)))
    r = d.post_events(report("inc-a", unit="hosp-a"), token=A)
    expect(r.status == 202, f"a declared unit's report: want 202, got {r!r}")


def test_unknown_unit_is_flagged_when_not_strict():
    sink = Sink()
    d = units_daemon(sink, strict=False)
    r = d.post_events(report("inc-x", unit="hosp-x", id="r-x"), token=OPS)
    expect(r.status == 202, f"units_strict = false: want 202, got {r!r}")
    inc = d.incident("inc-x")
    expect(inc["state"] == "open", f"the report was not applied: {inc!r}")
    d.stop()
    flagged = d.query_db("SELECT body FROM timeline WHERE kind = 'event.unmatched'")
    expect(any('"reason":"unknown unit"' in row[0] and '"unit":"hosp-x"' in row[0]
               for row in flagged),
           f"no event.unmatched for the unknown unit: {flagged!r}")


def test_parent_token_covers_descendants():
    sink = Sink()
    d = units_daemon(sink)
    r = d.post_events(report("inc-a", unit="hosp-a"), token=A)
    expect(r.status == 202, f"hosp-a's own report: want 202, got {r!r}")
    wait_until(lambda: all(n["status"] == "delivered" for n in d.notifications("inc-a")),
               15, "the notifications of inc-a to be delivered")
    before = d.snapshot()
    # The sibling's token touches it by no path.
    for kind in ("assessment", "ack", "resolve"):
        ev = {"type": kind, "incident": "inc-a", "unit": "hosp-b", "by": "hosp-b"}
        r = d.post_events(ev, token=B)
        expect(r.status == 403 and r.data["error"]["code"] == "forbidden",
               f"hosp-b's token, {kind} on hosp-a's incident: want 403 forbidden, got {r!r}")
    for path in ("/v1/incidents/inc-a/ack", "/v1/incidents/inc-a/resolve"):
        r = d.request("POST", path, {"by": "hosp-b"}, token=B)
        expect(r.status == 403, f"POST {path} with hosp-b's token: want 403, got {r!r}")
    # Nor reports for its sibling, nor for the county above it.
    for unit in ("hosp-a", "county-health"):
        r = d.post_events(report("inc-b2", unit=unit), token=B)
        expect(r.status == 403, f"hosp-b's token reporting for {unit}: want 403, got {r!r}")
    after = d.snapshot()
    expect(after == before, "a refused request changed the database: " +
           ", ".join(t for t in after if after[t] != before.get(t)))
    # The county's token acts for its township hospital: an event, the REST ack.
    r = d.post_events({"type": "assessment", "incident": "inc-a", "unit": "hosp-a"}, token=COUNTY)
    expect(r.status == 202, f"the county's token, assessment on hosp-a's incident: want 202, got {r!r}")
    r = d.request("POST", "/v1/incidents/inc-a/ack", {"by": "county"}, token=COUNTY)
    expect(r.status == 200, f"the county's token acknowledges hosp-a's incident: want 200, got {r!r}")
    r = d.post_events(report("inc-a2", unit="hosp-a"), token=COUNTY)
    expect(r.status == 202, f"the county's token reports for hosp-a: want 202, got {r!r}")
    r = d.request("POST", "/v1/incidents/inc-a/resolve", {"by": "county"}, token=COUNTY)
    expect(r.status == 200, f"the county's token resolves hosp-a's incident: want 200, got {r!r}")
    # hosp-a's token does not reach up to the county.
    r = d.post_events(report("inc-c", unit="county-health"), token=A)
    expect(r.status == 403, f"hosp-a's token reporting for the county: want 403, got {r!r}")
