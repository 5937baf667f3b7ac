"""Delivery end to end: rate limits, concurrency caps, fallback channels,
dead letters told to the office, acknowledgement links, kill -9 mid-delivery."""

import re
import signal
import socket

import harness
from harness import *


def delivery_site(sink, channels, people, public_url=False, extra_site=""):
    """A site whose procedure tells `office` on opening, 1 h to assess.

    channels: Lua channel declarations; people: person/group declarations.
    """
    url = ', public_url = "http://127.0.0.1:@PORT@/"' if public_url else ""
    site = (f'site {{ listen = "127.0.0.1:@PORT@", rules = {{ "." }}{url}{extra_site} }}\n'
            + channels + people
            + 'channel "log" { kind = "log" }\n'
            + 'group "leaders" { name = "局领导", members = {}, roles = { "principal" }, '
              'channels = { "log" } }\n')
    rules = """\
procedure "netsec" {
  title = "网络安全突发事件",
  match = { category = "network_security" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", title = "风险评估", due = "@DUE@", met_by = { type = "assessment" },
      owner = "office", on_breach = "standard" },
  },
}
policy "standard" {
  { notify = { "office" } },
  { after = "2s", notify = { "principal" } },
}
"""
    return {"site.lua": site, "rules.lua": rules}


def hook(name, sink, extra=""):
    return f'channel "{name}" {{ kind = "webhook", url = "{sink.url()}", secret = "{SECRET}"{extra} }}\n'


def people(n, channel, role="office"):
    return "".join(
        f'person "p{i}" {{ name = "值班员{i}", phone = "+86138000001{i:02d}", '
        f'roles = {{ "{role}" }}, channels = {{ "{channel}" }} }}\n' for i in range(n))


def with_due(files, due):
    files["rules.lua"] = files["rules.lua"].replace("@DUE@", due)
    return files


def test_rate_limit_spaces_deliveries():
    """rate = "2/3s": four messages at once, two now and two 3 s later."""
    sink = Sink()
    files = with_due(delivery_site(sink, hook("hook", sink, ', rate = "2/3s"'),
                                   people(4, "hook")), "1h")
    d = Daemon(files).start()
    d.accept(report("inc-rate"))
    posts = wait_until(lambda: at_least(4, sorted(sink.webhooks(incident="inc-rate"),
                                                  key=lambda p: p.mono)),
                       15, "four deliveries")
    first = posts[0].mono
    gaps = [round(p.mono - first, 2) for p in posts]
    expect(gaps[1] < 1.0, f"the first two go at once: {gaps}")
    expect(gaps[2] >= 2.9 and gaps[3] >= 2.9,
           f"the third and fourth wait for the 3 s window: {gaps}")
    expect(gaps[3] < 6.0, f"and are not held longer than needed: {gaps}")
    expect(len(by_id(posts)) == 4, "four notifications, none sent twice")
    d.stop()


def test_concurrency_cap():
    """concurrency = 1 against a slow gateway: one transfer at a time."""
    sink = Sink()
    sink.hold(1.5)
    files = with_due(delivery_site(sink, hook("hook", sink, ", concurrency = 1"),
                                   people(3, "hook")), "1h")
    d = Daemon(files).start()
    d.accept(report("inc-conc"))
    wait_until(lambda: sink.arrived >= 1, 5, "the first delivery")
    stays_false(lambda: sink.arrived > 1 and f"{sink.arrived} requests in flight",
                time.monotonic() + 1.0, "a second transfer started while one was in flight")
    sink.release()
    wait_until(lambda: at_least(3, sink.webhooks(incident="inc-conc")), 10, "all three delivered")
    d.stop()


def test_permanent_error_falls_back():
    """A gateway that refuses for good: the message goes out on the fallback."""
    bad, good = Sink(), Sink()
    bad.fail_for(3600, status=400)
    channels = (hook("robot", bad, ', fallback = "backup"') + hook("backup", good))
    files = with_due(delivery_site(bad, channels, people(1, "robot")), "1h")
    d = Daemon(files).start()
    d.accept(report("inc-fb", title="服务器被入侵"))
    got = wait_until(lambda: good.webhooks(incident="inc-fb"), 10, "the message on the fallback")
    expect(len(bad.webhooks(incident="inc-fb")) == 1,
           f"a permanent error is not retried: {bad.webhooks(incident='inc-fb')}")
    first = bad.webhooks(incident="inc-fb")[0].body
    body = got[0].body
    expect(body.get("channel") == "backup" and body.get("via") == ["robot"],
           f"fallback body names its channel and where it came from: {short(body)}")
    expect(body.get("text") == first.get("text") and body.get("recipient") == "p0",
           "the fallback carries the same message to the same person")
    expect(body.get("key") != first.get("key"), "the fallback is a notification of its own")
    expect(signature_problem(got[0]) is None, signature_problem(got[0]))
    inc = d.incident("inc-fb")
    fb = timeline(inc, "notification.fallback", channel="robot", recipient="p0")
    expect(len(fb) == 1 and fb[0].get("fallback") == "backup",
           f"the timeline records the hand-over: {short(timeline(inc))}")
    statuses = sorted((n["channel"], n["status"]) for n in d.notifications("inc-fb"))
    expect(statuses == [("backup", "delivered"), ("robot", "dead")], f"outbox: {statuses}")
    d.stop()


def test_dead_letter_tells_the_office_elsewhere():
    """No fallback and a refusing gateway: the office hears on another channel."""
    bad, office = Sink(), Sink()
    bad.fail_for(3600, status=403)
    channels = hook("robot", bad) + hook("office-robot", office)
    folks = (people(1, "robot", role="watch")
             + 'group "office" { name = "办公室", members = {}, channels = { "office-robot" } }\n')
    files = with_due(delivery_site(bad, channels, folks), "1h")
    files["rules.lua"] = files["rules.lua"].replace('on_open = { notify = { "office" } }',
                                                    'on_open = { notify = { "watch" } }')
    d = Daemon(files).start()
    d.accept(report("inc-dead", title="机房断电"))
    alert = wait_until(lambda: office.webhooks(incident="inc-dead", reason="undelivered"),
                       10, "the office told of the dead message")[0].body
    expect(alert.get("text", "").startswith("【通知未送达】发给值班员0的通知未能经“robot”送达（HTTP 403）"),
           f"the alert says who was not reached, where, and why: {alert.get('text')!r}")
    expect("机房断电" in alert.get("text", ""), "and quotes the message")
    inc = d.incident("inc-dead")
    dead = timeline(inc, "notification.dead", channel="robot", recipient="p0")
    expect(len(dead) == 1 and dead[0].get("error") == "HTTP 403", f"timeline: {short(dead)}")
    expect(len(bad.webhooks(incident="inc-dead")) == 1, "a permanent error is tried once")
    stays_false(lambda: len(office.webhooks(incident="inc-dead")) > 1 and office.webhooks(),
                time.monotonic() + 1.0, "one alert, no loop of alerts")
    d.stop()


def test_usefulness_deadline_kills_and_alerts():
    """A gateway down for longer than notify_deadline: dead, with the office told."""
    bad, office = Sink(), Sink()
    bad.fail_for(3600, status=503)
    channels = hook("robot", bad) + hook("office-robot", office)
    folks = (people(1, "robot", role="watch")
             + 'group "office" { name = "办公室", members = {}, channels = { "office-robot" } }\n')
    files = with_due(delivery_site(bad, channels, folks, extra_site=', notify_deadline = "4s"'),
                     "1h")
    files["rules.lua"] = files["rules.lua"].replace('on_open = { notify = { "office" } }',
                                                    'on_open = { notify = { "watch" } }')
    d = Daemon(files).start()
    d.accept(report("inc-late"))
    wait_until(lambda: office.webhooks(incident="inc-late", reason="undelivered"),
               15, "the office told once the message is useless")
    tries = sorted(p.mono for p in bad.webhooks(incident="inc-late"))
    expect(len(tries) >= 2, f"it was retried before giving up: {len(tries)} attempts")
    gaps = [b - a for a, b in zip(tries, tries[1:])]
    expect(all(g >= 0.4 for g in gaps), f"with backoff between attempts: {gaps}")
    rows = [n for n in d.notifications("inc-late") if n["channel"] == "robot"]
    expect(len(rows) == 1 and rows[0]["status"] == "dead", f"outbox: {short(rows)}")
    d.stop()


def test_ack_link_stops_escalation():
    """The link in a step-1 message: GET shows the incident, POST stops step 2."""
    sink = Sink()
    folks = (people(1, "hook", role="office")
             + 'person "li" { name = "李四", roles = { "principal" }, channels = { "hook" } }\n')
    files = with_due(delivery_site(sink, hook("hook", sink), folks, public_url=True), "2s")
    d = Daemon(files).start()
    d.accept(report("inc-ack", title="<b>门户</b>网站被篡改"))
    step1 = wait_until(lambda: sink.webhooks(incident="inc-ack", reason="escalation", step=1),
                       8, "the step-1 message")[0].body
    link = step1.get("ack_url") or ""
    expect(re.fullmatch(rf"http://127\.0\.0\.1:{d.port}/ack/[0-9a-f]{{32}}", link),
           f"the message carries a link: {link!r}")
    expect(step1.get("text", "").endswith("收到请点击确认：" + link), f"text: {step1.get('text')!r}")
    page = http_request("GET", link)
    html = page.raw.decode()
    expect(page.status == 200 and "text/html" in page.headers.get("Content-Type", ""),
           f"GET the link: {page!r}")
    expect("&lt;b&gt;门户&lt;/b&gt;网站被篡改" in html and "<b>门户" not in html,
           "the page shows the title, escaped")
    expect("确认收到" in html and 'method="post"' in html, "with a button to acknowledge")
    r = http_request("POST", link, b"", content_type="application/x-www-form-urlencoded")
    expect(r.status == 200 and "已确认收到" in r.raw.decode(), f"POST the link: {r!r}")
    inc = d.incident("inc-ack")
    expect(inc.get("acknowledged_by") == "p0", f"acknowledged by the link's recipient: {short(inc)}")
    expect(len(timeline(inc, "incident.acknowledged")) == 1, "one acknowledgement in the timeline")
    stays_false(lambda: sink.webhooks(incident="inc-ack", step=2),
                time.monotonic() + 3.5, "step 2 went out after the acknowledgement")
    # A token that does not exist, or is malformed, finds nothing.
    for bad in (link[:-1] + ("0" if link[-1] != "0" else "1"), link + "00", link.rsplit("/", 1)[0] + "/x"):
        r = http_request("GET", bad)
        expect(r.status == 404, f"GET {bad}: want 404, got {r!r}")
    d.stop()


def test_first_acknowledgement_stands():
    """Three acks by three paths: an ack event, the REST ack, a link.  The
    first says who acknowledged and when; the later ones are recorded in
    the events and the timeline and change neither."""
    sink = Sink()
    files = with_due(delivery_site(sink, hook("hook", sink), people(2, "hook"),
                                   public_url=True), "1h")
    d = Daemon(files).start()
    key = "inc-first-ack"
    d.accept(report(key))
    links = wait_until(lambda: (lambda posts: posts if len(posts) == 2 else None)(
        {p.body["recipient"]: p.body.get("ack_url") for p in sink.webhooks(incident=key)}),
        8, "the opening message to p0 and p1")
    d.accept({"type": "ack", "incident": key, "unit": "hosp-a", "by": "赵一"})
    first = d.incident(key)
    expect(first.get("acknowledged_by") == "赵一" and first.get("acknowledged_at"),
           f"the ack event acknowledges: {short(first)}")

    r = d.request("POST", f"/v1/incidents/{key}/ack", {"by": "钱二"})
    expect(r.status == 200, f"a second ack, by REST: want 200, got {r!r}")
    expect(r.data.get("acknowledged_by") == "赵一", f"the REST ack took over: {short(r.data)}")
    page = http_request("POST", links["p1"], b"", content_type="application/x-www-form-urlencoded")
    html = page.raw.decode()
    expect(page.status == 200 and "已有人先行确认" in html and "赵一" in html,
           f"a third ack, by p1's link, is told who was first: {page!r}")

    inc = d.incident(key)
    for field in ("acknowledged_by", "acknowledged_at"):
        expect(inc.get(field) == first.get(field),
               f"{field}: {inc.get(field)!r} after the later acks, {first.get(field)!r} first")
    acks = timeline(inc, "incident.acknowledged")
    got = [(a.get("by"), a.get("again")) for a in acks]
    expect(got == [("赵一", None), ("钱二", True), ("p1", True)],
           f"the timeline records each ack, the later ones as again: {got}")
    stored = [e.get("by") for e in inc.get("events", []) if e.get("type") == "ack"]
    expect(stored == ["赵一", "钱二", "p1"], f"the events keep each ack: {stored}")
    d.stop()


def test_rest_ack_of_a_closed_incident_is_409():
    """POST /v1/incidents/{key}/ack after the incident closed answers 409
    incident_closed, as the link does, and stores nothing."""
    sink = Sink()
    files = with_due(delivery_site(sink, hook("hook", sink), people(1, "hook"),
                                   public_url=True), "1h")
    d = Daemon(files).start()
    key = "inc-closed-ack"
    d.accept(report(key))
    link = wait_until(lambda: sink.webhooks(incident=key), 8, "the opening message")[0].body["ack_url"]
    r = d.request("POST", f"/v1/incidents/{key}/resolve", {"by": "赵一"})
    expect(r.status == 200, f"resolve: {r!r}")
    events = len(d.incident(key).get("events", []))
    r = d.request("POST", f"/v1/incidents/{key}/ack", {"by": "钱二"})
    err = (r.data or {}).get("error") or {}
    expect(r.status == 409 and err.get("code") == "incident_closed"
           and err.get("field") == "incident", f"REST ack of a closed incident: {r!r}")
    r = d.request("POST", f"/v1/incidents/{key}/ack", b"")   # JSON type, no body
    expect(r.status == 409, f"REST ack of a closed incident, empty body: {r!r}")
    page = http_request("POST", link, b"", content_type="application/x-www-form-urlencoded")
    expect(page.status == 409, f"the link says the same: {page!r}")
    inc = d.incident(key)
    expect(len(inc.get("events", [])) == events and inc.get("acknowledged_by") is None,
           f"nothing stored: {short(inc)}")
    d.stop()


def kept_alive(port, n):
    """n connections the daemon has accepted and keeps open: requests sent
    on them while it is stopped are all read in one loop turn when it goes
    on."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        # A first exchange, so the connection is accepted before the stop.
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        read_answer(s)
        socks.append(s)
    return socks


def stopped(pid):
    """Whether the process is stopped by a signal (state T in /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def test_ack_link_racing_a_resolve():
    """An ack that commits just after a resolve, in the same group commit,
    is told the incident is closed (409), not that it was acknowledged."""
    sink = Sink()
    files = with_due(delivery_site(sink, hook("hook", sink), people(1, "hook"),
                                   public_url=True), "1h")
    d = Daemon(files).start()
    raced = 0
    for attempt in range(8):
        key = f"inc-race-{attempt}"
        d.accept(report(key))
        first = wait_until(lambda: sink.webhooks(incident=key), 8, "the opening message")[0].body
        link = first.get("ack_url") or ""
        expect("/ack/" in link, f"no ack_url in the opening message: {short(first)}")
        resolve = (f"POST /v1/incidents/{key}/resolve HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}").encode()
        ack = (f"POST {link[link.index('/ack/'):]} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Content-Length: 0\r\n\r\n").encode()
        # Which of two requests read in one turn goes first depends on the
        # kernel, the connections' history and the load, not only on the
        # order they were sent in: try both connections, both orders.
        socks = kept_alive(d.port, 2)
        if attempt % 4 >= 2:
            socks.reverse()
        order = [(socks[0], resolve), (socks[1], ack)]
        d.proc.send_signal(signal.SIGSTOP)
        try:
            wait_until(lambda: stopped(d.proc.pid), 5, "the daemon to stop")
            for s, req in order if attempt % 2 == 0 else reversed(order):
                s.sendall(req)
        finally:
            d.proc.send_signal(signal.SIGCONT)
        rs, answer = read_answer(socks[0]).status, read_answer(socks[1])
        status, page = answer.status, answer.body.decode()
        for s in socks:
            s.close()
        expect(rs == 200, f"resolve: {rs}")
        inc = d.request("GET", f"/v1/incidents/{key}").data
        acked = timeline(inc, "incident.acknowledged")
        stored = [e for e in inc.get("events", []) if e.get("type") == "ack"]
        expect(inc.get("state") == "closed", f"resolved: {short(inc)}")
        if acked:
            # The ack came first: acknowledged, then closed.
            expect(status == 200 and "已确认收到" in page, f"ack before resolve: {status} {page}")
        else:
            expect(status == 409 and "已办结" in page and "已确认收到" not in page,
                   f"ack after resolve must say the incident is closed: {status} {page}")
            expect(inc.get("acknowledged_by") is None, f"nobody acknowledged: {short(inc)}")
            # Stored only when it reached the engine in the resolve's commit.
            raced += len(stored)
        if raced:
            print(f"  the ack shared the resolve's commit, after it, at try {attempt + 1}")
            break
    expect(raced, "the ack never shared a group commit with the resolve in 8 tries")
    d.stop()


def test_kill9_during_delivery():
    """kill -9 with deliveries in flight: all delivered after restart, same keys."""
    sink = Sink()
    sink.hold(30)
    files = with_due(delivery_site(sink, hook("hook", sink), people(3, "hook")), "1h")
    d = Daemon(files).start()
    d.accept(report("inc-k9"))
    wait_until(lambda: sink.arrived >= 3, 5, "three deliveries reaching the gateway")
    d.kill9()
    in_flight = sink.arrived
    sink.release()
    d.start()
    wait_until(lambda: [n["status"] for n in d.notifications("inc-k9")] == ["delivered"] * 3,
               15, "all three delivered after the restart")
    posts = sink.webhooks(incident="inc-k9")
    ids = by_id(posts)
    expect(len(ids) == 3, f"three notifications: {sorted(ids)}")
    expect(len(posts) - 3 <= in_flight,
           f"repeats only for what was in flight at the kill: {len(posts)} posts, {in_flight} in flight")
    for p in posts:
        expect(signature_problem(p) is None, signature_problem(p))
    d.stop()


BODY_FIELDS = ("key", "reason", "at", "incident", "recurring", "unit", "unit_name", "grade", "procedure",
               "obligation", "policy", "step", "role", "recipient", "recipient_name", "phone",
               "channel", "title", "text", "ack_url", "mobiles", "via")


def absent_problem(body):
    """None if the body leaves out what it does not have, as docs/rules.md says:
    no null, no grade or step of 0, only the documented fields, in their order."""
    if not isinstance(body, dict):
        return f"not an object: {body!r}"
    for k, v in body.items():
        if v is None or (k in ("grade", "step") and v == 0):
            return f"{k} is {v!r} instead of left out: {short(body)}"
    keys = list(body)
    if any(k not in BODY_FIELDS for k in keys) or keys != sorted(keys, key=BODY_FIELDS.index):
        return f"fields {keys} are not the documented ones in order"
    return None


def test_webhook_bodies_leave_out_absent_fields():
    """Every body shape -- opened, escalation step, fallback copy, undelivered
    alert -- leaves a field out when there is nothing in it."""
    good, bad, backup = Sink(), Sink(), Sink()
    bad.fail_for(3600, status=403)
    channels = (hook("hook", good) + hook("robot", bad) + hook("robot-fb", bad, ', fallback = "backup"')
                + hook("backup", backup))
    folks = (people(1, "hook")
             + 'person "w" { name = "值班员W", roles = { "office" }, channels = { "robot" } }\n'
             + 'person "f" { name = "值班员F", roles = { "office" }, channels = { "robot-fb" } }\n')
    files = with_due(delivery_site(good, channels, folks), "1s")
    d = Daemon(files).start()
    d.accept(report("inc-absent"))
    opened = wait_until(lambda: good.webhooks(incident="inc-absent", reason="opened"), 10,
                        "the opening message")[0].body
    step = wait_until(lambda: good.webhooks(incident="inc-absent", reason="escalation"), 10,
                      "the step-1 message")[0].body
    fb = wait_until(lambda: backup.webhooks(incident="inc-absent", reason="opened"), 10,
                    "the message on the fallback")[0].body
    alert = wait_until(lambda: good.webhooks(incident="inc-absent", reason="undelivered"), 10,
                       "the office told of the dead message")[0].body
    for name, body in (("opened", opened), ("escalation", step), ("fallback", fb),
                       ("undelivered", alert)):
        expect(absent_problem(body) is None, f"{name}: {absent_problem(body)}")
    for name, body in (("opened", opened), ("fallback", fb)):
        gone = [k for k in ("recurring", "obligation", "policy", "step", "ack_url") if k in body]
        expect(not gone, f"{name}: {gone} present with nothing in them: {short(body)}")
    expect(opened.get("grade") == 3 and opened.get("phone") == "+8613800000100",
           f"present fields stay: {short(opened)}")
    expect(fb.get("via") == ["robot-fb"], f"the fallback names its way: {short(fb)}")
    expect(step.get("step") == 1 and step.get("obligation") == "assessment"
           and step.get("policy") == "standard", f"a step message has its step: {short(step)}")
    expect("ack_url" not in alert and "step" not in alert, f"undelivered: {short(alert)}")
    for p in good.posts + backup.posts:
        expect(signature_problem(p) is None, signature_problem(p))
    d.stop()


# Keys whose base64 has "+" and "/" (and so "-" and "_" in URL-safe form).
KEY_SHORT = bytes(range(0xf0, 0xff)) + bytes(range(0xfb, 0xff)) * 4   # 31 bytes: "==" padding
KEY_LONG = bytes((i * 151 + 7) % 256 for i in range(300))              # past the old 256-byte cut


def standard_webhooks_verify(secret, post):
    """The Standard Webhooks reference algorithm, as its spec and its Python
    library put it (not as tocsin does): strip "whsec_", base64-decode with
    padding added back, HMAC-SHA256 over "id.timestamp.body", and any one of
    the space-separated "v1,<base64>" signatures must match."""
    if secret.startswith("whsec_"):
        secret = secret[len("whsec_"):]
    key = base64.b64decode(secret + "==")
    h = post.headers
    to_sign = f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + post.raw
    expected = base64.b64decode(base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()))
    for versioned in h.get("webhook-signature", "").split(" "):
        version, _, sig = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(expected, base64.b64decode(sig)):
            return True
    return False


def test_webhook_secret_decoded_as_standard_webhooks():
    """An unpadded whsec_ secret and one of 300 bytes sign with their whole
    decoded key: a receiver's Standard Webhooks library verifies both."""
    unpadded = "whsec_" + base64.b64encode(KEY_SHORT).decode().rstrip("=")
    long = "whsec_" + base64.b64encode(KEY_LONG).decode()
    expect(not unpadded.endswith("=") and len(long) > 6 + 4 * 256 // 3, "the test's secrets")
    sink = Sink()
    channels = f'channel "hook" {{ kind = "webhook", url = "{sink.url()}", secret = {{ "{unpadded}", "{long}" }} }}\n'
    files = with_due(delivery_site(sink, channels, people(1, "hook")), "1h")
    d = Daemon(files).start()
    d.accept(report("inc-whsec"))
    post = wait_until(lambda: sink.webhooks(incident="inc-whsec"), 10, "the signed message")[0]
    sigs = post.headers.get("webhook-signature", "").split(" ")
    expect(len(sigs) == 2, f"one signature per secret: {sigs}")
    expect(signature_problem(post, "whsec_" + base64.b64encode(KEY_SHORT).decode()) is None,
           "the request is signed as the harness checks it")
    for name, secret, key in (("unpadded", unpadded, KEY_SHORT), ("300-byte", long, KEY_LONG)):
        # Python's own strict decoder, given the padding a strict decoder wants.
        text = secret[len("whsec_"):]
        strict = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        expect(strict == key, f"{name}: the test's secret is not the key")
        h = post.headers
        mac = hmac.new(strict, f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + post.raw,
                       hashlib.sha256).digest()
        expect("v1," + base64.b64encode(mac).decode() in sigs,
               f"{name} secret: no signature with its whole decoded key in {sigs}")
        expect(standard_webhooks_verify(secret, post),
               f"{name} secret: the Standard Webhooks algorithm does not verify {sigs}")
    d.stop()


def test_check_refuses_undecodable_whsec():
    """--check refuses a whsec_ secret no Standard Webhooks library decodes,
    naming the channel and never the secret."""
    urlsafe = "whsec_" + base64.urlsafe_b64encode(KEY_SHORT).decode().rstrip("=")
    expect("-" in urlsafe or "_" in urlsafe[6:], "the URL-safe secret has - or _")
    good = "whsec_" + base64.b64encode(KEY_SHORT).decode().rstrip("=")
    base = harness.CTX.subdir("check")
    site = ('site { listen = "127.0.0.1:8470", timezone = "Asia/Shanghai", rules = {} }\n'
            f'channel "ok" {{ kind = "webhook", url = "http://127.0.0.1:9/", secret = "{good}" }}\n'
            f'channel "urlsafe" {{ kind = "webhook", url = "http://127.0.0.1:9/", secret = "{urlsafe}" }}\n'
            'channel "spaced" { kind = "webhook", url = "http://127.0.0.1:9/", secret = "whsec_dG9j c2lu" }\n'
            'channel "short" { kind = "webhook", url = "http://127.0.0.1:9/", secret = "whsec_dG9jc" }\n'
            'channel "empty" { kind = "webhook", url = "http://127.0.0.1:9/", secret = "whsec_" }\n'
            f'channel "list" {{ kind = "webhook", url = "http://127.0.0.1:9/", secret = {{ "{good}", "{urlsafe}" }} }}\n')
    with open(os.path.join(base, "site.lua"), "w", encoding="utf-8") as f:
        f.write(site)
    r = subprocess.run([harness.TOCSIND, "-c", "site.lua", "--check"], cwd=base, capture_output=True,
                       text=True, timeout=30, env=CLEAN_ENV)
    out = r.stdout + r.stderr
    expect(r.returncode == 1, f"--check: exit {describe_exit(r.returncode)}: {out.strip()!r}")
    for channel, words in (("urlsafe", "URL-safe"), ("spaced", "not standard base64"),
                           ("short", "length"), ("empty", "no bytes"), ("list", "item 2")):
        lines = [l for l in out.splitlines() if f'channel "{channel}"' in l and words in l]
        expect(lines, f"--check says nothing like 'channel \"{channel}\": ...{words}' in {out.strip()!r}")
    expect('channel "ok"' not in out, f"a good unpadded secret was refused: {out.strip()!r}")
    expect(urlsafe[6:] not in out and good[6:] not in out, f"--check printed a secret: {out.strip()!r}")
