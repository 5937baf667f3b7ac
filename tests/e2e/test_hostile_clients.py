"""Hostile clients against the real daemon (issue 7, item 5).

A catalogue of malformed or hostile requests, each written byte for byte to
a raw socket: every one must get the answer docs/api.md gives it, leave the
daemon alive and leave the database exactly as it was (row counts and a hash
of every table, read while the daemon runs).  Then bearer tokens and their
unit limits, acknowledgement-link tokens, and slow or silent clients, which
must not hold up anyone else and are dropped after the idle time-out.
"""

import struct

import harness
from harness import *

BODY_LIMIT = 256 * 1024
CEILING = BODY_LIMIT + (1 << 20)       # http_set_body_limit: libevent's own cap
A_SECRET = "unit-a-secret-0123456789abcdef"      # token "a": hosp-a only
OPS_SECRET = "ops-secret-fedcba9876543210abcd"   # token "ops": every unit
HERE = os.path.dirname(os.path.abspath(__file__))

NONE = "(no answer)"                   # OK and HTML: harness.Answer.code


def off_by_one(secret):
    """The secret with its last character changed: same length, one byte off."""
    return secret[:-1] + ("x" if secret[-1] != "x" else "y")


def hostile_site(sink, extra=""):
    files = site_files(sink, due="1h", body_limit=BODY_LIMIT)
    files["site.lua"] = files["site.lua"].replace(
        'rules = { "." }', 'rules = { "." }, public_url = "http://127.0.0.1:@PORT@/"' + extra)
    files["site.lua"] += (f'token "a" {{ secret = "{A_SECRET}", units = {{ "hosp-a" }} }}\n'
                          f'token "ops" {{ secret = "{OPS_SECRET}" }}\n')
    return files


# ---------------------------------------------------------------- requests, byte for byte

def b(x):
    return x if isinstance(x, bytes) else str(x).encode("utf-8")


def request(method, path, body=None, headers=(), auth=OPS_SECRET, ctype="application/json",
            version="HTTP/1.1", host="127.0.0.1", length=True):
    """One request as bytes.  body: bytes, str or a JSON value; headers: (name, value)
    pairs added after the usual ones.  Pass None to leave a usual header out."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body, ensure_ascii=False)
    body = b(body) if body is not None else b""
    head = [b(method) + b" " + b(path) + (b" " + b(version) if version else b"")]
    if host is not None:
        head.append(b"Host: " + b(host))
    if auth is not None:
        head.append(b"Authorization: Bearer " + b(auth))
    if ctype is not None and body:
        head.append(b"Content-Type: " + b(ctype))
    for k, v in headers:
        head.append(b(k) + b": " + b(v))
    if length and (body or method == "POST"):
        head.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def post(body, path="/v1/events", **kw):
    return request("POST", path, body, **kw)


def get(path, **kw):
    return request("GET", path, **kw)


def new_event(**extra):
    """A report that would open a new incident: only the change made to it is wrong."""
    return report("inc-new", **extra)


def tweak(value, old, new):
    """The JSON text of value with bytes old replaced by new (old must be there)."""
    text = json.dumps(value, ensure_ascii=False).encode("utf-8")
    expect(old in text, f"harness: {old!r} is not in {text[:200]!r}")
    return text.replace(old, new, 1)


def chunked(body, size=None):
    """body in chunks of size bytes (a third of it by default), then the last chunk."""
    size = size or max(1, len(body) // 3)
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def chunked_post(raw):
    """POST /v1/events with Transfer-Encoding: chunked and raw as the chunked body."""
    head = request("POST", "/v1/events", headers=[("Content-Type", "application/json"),
                                                  ("Transfer-Encoding", "chunked")], length=False)
    return head + raw


def exchange(port, data, n=1, heads=(), half_close=True, timeout=5.0):
    """Write data (bytes, or a function of the socket) and read n answers, or
    until the daemon closes the connection.  Returns (answers, closed, the
    bytes after the last whole answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            if callable(data):
                data(s)
                if s.fileno() < 0:          # the client hung up: nothing to read
                    return [], True, b""
            else:
                s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass                            # refused early; its answer may be waiting
        buf, closed, answers, rest = b"", False, [], b""
        while len(answers) < n and not closed:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                raise TestFailure(f"no answer within {timeout}s (have {answers}, {buf[:200]!r})")
            except ConnectionResetError:
                chunk = b""
            closed = not chunk
            buf += chunk
            answers, rest = parse_answers(buf, heads, closed)
        return answers, closed, rest


# ---------------------------------------------------------------- multi-step clients

def expect_continue(body):
    """Headers with Expect: 100-continue; the body only after "100 Continue"."""
    def run(s):
        s.sendall(request("POST", "/v1/events", length=False, headers=[
            ("Content-Type", "application/json"), ("Expect", "100-continue"),
            ("Content-Length", str(len(body)))]))
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(4096)
            if not chunk:
                raise TestFailure(f"closed before 100 Continue: {got!r}")
            got += chunk
        if not got.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
            raise TestFailure(f"want 100 Continue first, got {got[:200]!r}")
        s.sendall(body)
    return run


def abort_mid_body(body):
    """A valid event whose last bytes never come: the client gives up."""
    def run(s):
        s.sendall(post(body)[:-10])
        time.sleep(0.05)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()                           # a reset, not a half-close
    return run


# ---------------------------------------------------------------- the catalogue

def catalogue(t):
    """(category, name, request, status, code, options) rows.  t: the tokens of
    the seeded incidents' acknowledgement links.  status None: the daemon
    closes the connection without an answer.  A tuple of statuses and codes
    for pipelined requests.  options: heads (indexes of answers to HEAD),
    half_close (False: keep writing open), closes (the daemon must close the
    connection after these answers, before anything else: implies
    half_close False), allow (the Allow header of a 405)."""
    ev = new_event()
    big = "x" * (BODY_LIMIT + 100)
    ack_a, ack_closed = t["inc-a"], t["inc-closed"]
    rows = [
        # -- JSON that does not parse
        ("json", "truncated object", post(b'{"type": "report", "unit": '), 400, "invalid_json"),
        ("json", "truncated mid-string", post(json.dumps(ev).encode()[:40]), 400, "invalid_json"),
        ("json", "truncated array", post(b"[" + json.dumps(ev).encode() + b","), 400, "invalid_json"),
        ("json", "100 000 [", post(b"[" * 100000), 400, "invalid_json"),
        ("json", "50 000 nested objects", post(b'{"a":' * 50000), 400, "invalid_json"),
        ("json", "balanced nesting 5000 deep in attrs",
         post(tweak(new_event(attrs={"n": 0}), b'"n": 0', b'"n": ' + b"[" * 5000 + b"]" * 5000)),
         400, "invalid_json"),
        ("json", "empty body", post(b""), 400, "invalid_json"),
        ("json", "whitespace only", post(b" \r\n\t "), 400, "invalid_json"),
        ("json", "a second object after the first", post(json.dumps(ev).encode() + b"{}"),
         400, "invalid_json"),
        ("json", "byte order mark", post(b"\xef\xbb\xbf" + json.dumps(ev).encode()), 400, "invalid_json"),
        ("json", "duplicate key", post(tweak(ev, b'{"type"', b'{"unit": "hosp-b", "type"')),
         400, "invalid_json"),
        ("json", "duplicate key in attrs",
         post(tweak(new_event(attrs={"deaths": 1}), b'"deaths": 1', b'"deaths": 1, "deaths": 0')),
         400, "invalid_json"),
        ("json", "single quotes", post(b"{'type': 'report'}"), 400, "invalid_json"),
        ("json", "comment", post(b"/* hi */" + json.dumps(ev).encode()), 400, "invalid_json"),
        # -- numbers
        ("numbers", "grade 1e999", post(tweak(ev, b'"grade": 3', b'"grade": 1e999')), 400, "invalid_json"),
        ("numbers", "grade 2^70", post(tweak(ev, b'"grade": 3', b'"grade": %d' % 2 ** 70)),
         400, "invalid_json"),
        ("numbers", "grade NaN", post(tweak(ev, b'"grade": 3', b'"grade": NaN')), 400, "invalid_json"),
        ("numbers", "grade Infinity", post(tweak(ev, b'"grade": 3', b'"grade": Infinity')),
         400, "invalid_json"),
        ("numbers", "grade -0", post(tweak(ev, b'"grade": 3', b'"grade": -0')), 400, "invalid_value"),
        ("numbers", "grade 3.0", post(tweak(ev, b'"grade": 3', b'"grade": 3.0')), 400, "invalid_value"),
        ("numbers", "grade 2^63", post(tweak(ev, b'"grade": 3', b'"grade": %d' % 2 ** 63)),
         400, "invalid_json"),
        ("numbers", "grade -2^63 (fits, not a grade)",
         post(tweak(ev, b'"grade": 3', b'"grade": %d' % -2 ** 63)), 400, "invalid_value"),
        ("numbers", "attrs 1e999", post(tweak(new_event(attrs={"loss_yuan": 0}), b'"loss_yuan": 0',
                                              b'"loss_yuan": 1e999')), 400, "invalid_json"),
        ("numbers", "attrs -2^70", post(tweak(new_event(attrs={"loss_yuan": 0}), b'"loss_yuan": 0',
                                              b'"loss_yuan": -%d' % 2 ** 70)), 400, "invalid_json"),
        ("numbers", "attrs -Infinity", post(tweak(new_event(attrs={"x": 0}), b'"x": 0',
                                                  b'"x": -Infinity')), 400, "invalid_json"),
        ("numbers", "attrs 1e99999999999", post(tweak(new_event(attrs={"x": 0}), b'"x": 0',
                                                      b'"x": 1e99999999999')), 400, "invalid_json"),
        # -- NUL bytes
        ("nul", "\\u0000 in a value", post(new_event(title="a\u0000b")), 400, "invalid_json"),
        ("nul", "\\u0000 in a key", post(tweak(ev, b'"title"', b'"ti\\u0000tle"')), 400, "invalid_json"),
        ("nul", "\\u0000 in incident", post(tweak(ev, b'"inc-new"', b'"inc-new\\u0000x"')),
         400, "invalid_json"),
        ("nul", "raw NUL in a string", post(tweak(ev, b'"inc-new"', b'"inc-new\x00x"')), 400, "invalid_json"),
        ("nul", "raw NUL after the object", post(json.dumps(ev).encode() + b"\x00"), 400, "invalid_json"),
        ("nul", "body of NULs", post(b"\x00" * 64), 400, "invalid_json"),
        # -- UTF-8
        ("utf8", "overlong '/'", post(tweak(ev, b'"inc-new"', b'"inc\xc0\xafnew"')), 400, "invalid_utf8"),
        ("utf8", "overlong 3-byte", post(tweak(ev, b'"inc-new"', b'"inc\xe0\x80\xafnew"')),
         400, "invalid_utf8"),
        ("utf8", "encoded surrogate", post(tweak(ev, b'"inc-new"', b'"inc\xed\xa0\x80new"')),
         400, "invalid_utf8"),
        ("utf8", "truncated sequence in a value", post(tweak(ev, b'"inc-new"', b'"inc-new\xe4\xb8"')),
         400, "invalid_utf8"),
        ("utf8", "truncated sequence at the end", post(json.dumps(ev).encode() + b"\xe4"),
         400, "invalid_utf8"),
        ("utf8", "lone continuation byte", post(tweak(ev, b'"hosp-a"', b'"hosp-a\x80"')),
         400, "invalid_utf8"),
        ("utf8", "above U+10FFFF", post(tweak(ev, b'"hosp-a"', b'"hosp-a\xf4\x90\x80\x80"')),
         400, "invalid_utf8"),
        ("utf8", "0xFF in a key", post(tweak(ev, b'"title"', b'"ti\xfftle"')), 400, "invalid_utf8"),
        ("utf8", "Latin-1 text", post(tweak(ev, b'"hosp-a"', b'"h\xf4pital"')), 400, "invalid_utf8"),
        ("utf8", "escaped lone surrogate", post(tweak(ev, b'"inc-new"', b'"inc\\ud800"')),
         400, "invalid_json"),
        ("utf8", "escaped pair reversed", post(tweak(ev, b'"inc-new"', b'"inc\\udc00\\ud800"')),
         400, "invalid_json"),
        # -- not an event
        ("shape", "a number", post(b"42"), 400, "not_an_object"),
        ("shape", "a string", post(b'"report"'), 400, "not_an_object"),
        ("shape", "null", post(b"null"), 400, "not_an_object"),
        ("shape", "an empty array", post(b"[]"), 400, "invalid_value"),
        ("shape", "1001 events", post([ev] * 1001), 400, "invalid_value"),
        ("shape", "good event then a number", post([ev, 5]), 400, "not_an_object"),
        ("shape", "an array of arrays", post([[ev]]), 400, "not_an_object"),
        # -- wrong types, one field at a time
        ("types", "id 5", post(new_event(id=5)), 400, "wrong_type"),
        ("types", "type 5", post(new_event(type=5)), 400, "wrong_type"),
        ("types", "type null", post(new_event(type=None)), 400, "missing_field"),
        ("types", "type Report", post(new_event(type="Report")), 400, "invalid_value"),
        ("types", "incident []", post(new_event(incident=[])), 400, "wrong_type"),
        ("types", "incident 7", post(new_event(incident=7)), 400, "wrong_type"),
        ("types", "category {}", post(new_event(category={})), 400, "wrong_type"),
        ("types", "grade true", post(new_event(grade=True)), 400, "invalid_value"),
        ("types", "grade []", post(new_event(grade=[3])), 400, "invalid_value"),
        ("types", "grade V", post(new_event(grade="V")), 400, "invalid_value"),
        ("types", "grade 0", post(new_event(grade=0)), 400, "invalid_value"),
        ("types", "unit 5", post(new_event(unit=5)), 400, "wrong_type"),
        ("types", "unit false", post(new_event(unit=False)), 400, "wrong_type"),
        ("types", "occurred_at 5", post(new_event(occurred_at=5)), 400, "invalid_value"),
        ("types", "occurred_at yesterday", post(new_event(occurred_at="yesterday")), 400, "invalid_value"),
        ("types", "occurred_at month 13", post(new_event(occurred_at="2026-13-01T00:00:00+08:00")),
         400, "invalid_value"),
        ("types", "title 5", post(new_event(title=5)), 400, "wrong_type"),
        ("types", "summary []", post(new_event(summary=[])), 400, "wrong_type"),
        ("types", "location {}", post(new_event(location={})), 400, "wrong_type"),
        ("types", "by true", post(new_event(by=True)), 400, "wrong_type"),
        ("types", "zero yes", post({"type": "daily", "unit": "hosp-a", "zero": "yes"}), 400, "wrong_type"),
        ("types", "daily without zero", post({"type": "daily", "unit": "hosp-a"}), 400, "missing_field"),
        ("types", "attrs []", post(new_event(attrs=[1])), 400, "wrong_type"),
        ("types", "attrs a string", post(new_event(attrs="deaths=1")), 400, "wrong_type"),
        # -- over-long fields
        ("long", "id of 129", post(new_event(id="i" * 129)), 400, "invalid_value"),
        ("long", "incident of 129", post(new_event(incident="k" * 129)), 400, "invalid_value"),
        ("long", "incident of 43 CJK (129 bytes)", post(new_event(incident="事" * 43)),
         400, "invalid_value"),
        ("long", "unit of 129", post(new_event(unit="u" * 129)), 400, "invalid_value"),
        ("long", "type of 65", post(new_event(type="t" * 65)), 400, "invalid_value"),
        ("long", "category of 65", post(new_event(category="c" * 65)), 400, "invalid_value"),
        ("long", "title of 513", post(new_event(title="t" * 513)), 400, "too_long"),
        ("long", "summary of 16385", post(new_event(summary="s" * 16385)), 400, "too_long"),
        ("long", "location of 1025", post(new_event(location="l" * 1025)), 400, "too_long"),
        ("long", "by of 257", post(new_event(by="b" * 257)), 400, "too_long"),
        ("long", "ack by of 257", post({"by": "b" * 257}, "/v1/incidents/inc-a/ack"), 400, "too_long"),
        # -- incident keys that are not path segments
        ("keys", "incident a/b", post(new_event(incident="a/b")), 400, "invalid_value"),
        ("keys", "incident ..", post(new_event(incident="..")), 400, "invalid_value"),
        ("keys", "incident .", post(new_event(incident=".")), 400, "invalid_value"),
        ("keys", "incident a%2Fb", post(new_event(incident="a%2Fb")), 400, "invalid_value"),
        ("keys", "incident a\\b", post(new_event(incident="a\\b")), 400, "invalid_value"),
        ("keys", "incident a?b", post(new_event(incident="a?b")), 400, "invalid_value"),
        ("keys", "incident a#b", post(new_event(incident="a#b")), 400, "invalid_value"),
        ("keys", "incident with a tab", post(new_event(incident="a\tb")), 400, "invalid_value"),
        ("keys", "incident empty", post(new_event(incident="")), 400, "invalid_value"),
        ("keys", "unit with a /", post(new_event(unit="hosp/a")), 400, "invalid_value"),
        ("keys", "update for an unknown incident",
         post({"type": "update", "incident": "inc-never", "unit": "hosp-a"}), 400, "unknown_incident"),
        ("keys", "new report, then an unknown incident (all or nothing)",
         post([ev, {"type": "update", "incident": "inc-never", "unit": "hosp-a"}]),
         400, "unknown_incident"),
        # -- methods
        ("methods", "GET /v1/events", get("/v1/events"), 405, "method_not_allowed", {"allow": "POST"}),
        ("methods", "PUT /v1/events", request("PUT", "/v1/events", ev), 405, "method_not_allowed",
         {"allow": "POST"}),
        ("methods", "DELETE /v1/incidents/inc-a", request("DELETE", "/v1/incidents/inc-a"), 405,
         "method_not_allowed", {"allow": "GET, HEAD"}),
        ("methods", "PATCH /v1/incidents/inc-a", request("PATCH", "/v1/incidents/inc-a", {"state": "closed"}),
         405, "method_not_allowed", {"allow": "GET, HEAD"}),
        ("methods", "OPTIONS /v1/events", request("OPTIONS", "/v1/events"), 405, "method_not_allowed",
         {"allow": "POST"}),
        ("methods", "HEAD /v1/events", request("HEAD", "/v1/events"), 405, OK,
         {"allow": "POST", "heads": (0,)}),
        ("methods", "TRACE /v1/incidents", request("TRACE", "/v1/incidents"), 405, "method_not_allowed",
         {"allow": "GET, HEAD"}),
        ("methods", "GET /v1/incidents/inc-a/resolve", get("/v1/incidents/inc-a/resolve"), 405,
         "method_not_allowed", {"allow": "POST"}),
        ("methods", "DELETE /ack/TOKEN", request("DELETE", f"/ack/{ack_a}"), 405, "method_not_allowed",
         {"allow": "GET, HEAD, POST"}),
        ("methods", "PUT /healthz", request("PUT", "/healthz", b"{}"), 405, "method_not_allowed",
         {"allow": "GET, HEAD"}),
        ("methods", "CONNECT", b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501, HTML),
        ("methods", "unknown method BREW", request("BREW", "/healthz"), 501, HTML),
        ("methods", "lower-case get", request("get", "/healthz"), 501, HTML),
        # -- paths
        ("paths", "/v1/events/../incidents", get("/v1/events/../incidents"), 404, "not_found"),
        ("paths", "//v1/events", post(ev, "//v1/events"), 404, "not_found"),
        ("paths", "/v1/incidents/%2e%2e", get("/v1/incidents/%2e%2e"), 404, "not_found"),
        ("paths", "/v1/incidents/%2e%2e/resolve", post(b"", "/v1/incidents/%2e%2e/resolve"),
         404, "not_found"),
        ("paths", "%00 cutting a key short", post(b"", "/v1/incidents/inc-a%00x/resolve"),
         404, "not_found"),
        ("paths", "%00 alone", get("/v1/incidents/%00"), 404, "not_found"),
        ("paths", "%2F in a key", post(b"", "/v1/incidents/inc-a%2Fx/ack"), 404, "not_found"),
        ("paths", "%0A in a key", get("/v1/incidents/inc-a%0A"), 404, "not_found"),
        ("paths", "%ff in a key", get("/v1/incidents/%ff"), 404, "not_found"),
        ("paths", "%ff%fe as an ack token", post(b"", "/ack/%ff%fe"), 404, "not_found"),
        ("paths", "raw 0xFF in the path", get(b"/\xff\xfe"), 404, "not_found"),
        ("paths", "raw 0xFF in a key", request("PUT", b"/v1/incidents/\xff"), 404, "not_found"),
        ("paths", "raw NUL in the path", get(b"/v1/incidents/inc-a\x00x"), 400, HTML),
        ("paths", "path in upper case", get("/V1/INCIDENTS"), 404, "not_found"),
        ("paths", "trailing slash", post(ev, "/v1/events/"), 404, "not_found"),
        ("paths", "path of 8000", get("/v1/" + "a" * 8000), 404, "not_found"),
        ("paths", "key of 129", get("/v1/incidents/" + "k" * 129), 404, "not_found"),
        ("paths", "path of 20000", get("/" + "a" * 20000), 400, HTML),
        ("paths", "query junk", get("/v1/incidents?state=all&%zz=%%&&=&x&state=open"), 200, OK),
        ("paths", "state=%00all", get("/v1/incidents?state=%00all"), 200, OK),
        ("paths", "state=bogus", get("/v1/incidents?state=bogus"), 400, "invalid_value"),
        ("paths", "notifications of incident %ff", get("/v1/notifications?incident=%ff&status=%00"), 200, OK),
        ("paths", "compliance from=%ff", get("/v1/compliance?from=%ff"), 400, "invalid_value"),
        ("paths", "query on a write", post(ev, "/v1/events?incident=inc-a%00&x=%ff",
                                           auth=None), 401, "unauthorized"),
        ("paths", "absolute URI", get("http://evil.example/v1/events"), 405, "method_not_allowed"),
        ("paths", "OPTIONS *", request("OPTIONS", "*"), 404, "not_found"),
        # -- the request line and headers
        ("http", "HTTP/1.0 without Host", get("/healthz", version="HTTP/1.0", host=None), 200, OK),
        ("http", "HTTP/1.1 without Host", post(ev, host=None), 400, "bad_request"),
        ("http", "two Host headers", post(ev, headers=[("Host", "other")]), 400, "bad_request"),
        ("http", "HTTP/0.9", b"GET /healthz\r\n\r\n", 400, HTML),
        ("http", "HTTP/2.0", get("/healthz", version="HTTP/2.0"), 400, HTML),
        ("http", "HTTP/1.2 (answered as 1.1)", get("/healthz", version="HTTP/1.2"), 200, OK),
        ("http", "HTTP/1.1 junk version", get("/healthz", version="HTTP/1.1x"), 400, HTML),
        ("http", "header without a colon", get("/healthz", headers=[("X-No-Colon", "")])
         .replace(b"X-No-Colon: ", b"X-No-Colon"), 400, HTML),
        ("http", "one header of 100 KB", get("/healthz", headers=[("X-Big", "a" * 100000)]), 400, HTML),
        ("http", "10 000 headers", get("/healthz", headers=[(f"X-{i}", "y") for i in range(10000)]),
         400, HTML),
        ("http", "Authorization of 15 KB", post(ev, auth="t" * 15000), 401, "unauthorized"),
        # -- bodies: lengths and framing
        ("framing", "Content-Length shorter", post(json.dumps(ev).encode(), length=False,
                                                   headers=[("Content-Length", "20")]),
         400, "invalid_json"),
        ("framing", "Content-Length longer, then EOF", post(json.dumps(ev).encode(), length=False,
                                                            headers=[("Content-Length", "9999")]),
         None, NONE),
        ("framing", "Content-Length negative", post(b"{}", length=False,
                                                    headers=[("Content-Length", "-2")]), 400, HTML),
        ("framing", "Content-Length not a number", post(b"{}", length=False,
                                                        headers=[("Content-Length", "two")]), 400, HTML),
        ("framing", "Content-Length 2^64", post(b"{}", length=False,
                                                headers=[("Content-Length", str(2 ** 64))]), 413, HTML),
        ("framing", "two different Content-Lengths",
         post(json.dumps(ev).encode(), headers=[("Content-Length", "5")]), 400, "bad_request",
         {"closes": True}),
        ("framing", "chunked, refused event",
         chunked_post(chunked(json.dumps({"type": "update", "incident": "inc-never",
                                          "unit": "hosp-a"}).encode())), 400, "unknown_incident"),
        ("framing", "chunked, bad chunk size", chunked_post(b"zz\r\n{}\r\n0\r\n\r\n"), 413, HTML),
        # libevent answers every malformed chunk 413 (it reads them as over its cap).
        ("framing", "chunked, chunk longer than said", chunked_post(b"2\r\n{}xx\r\n0\r\n\r\n"),
         413, HTML),
        ("framing", "chunked, no last chunk, then EOF", chunked_post(b"2\r\n{}\r\n"), None, NONE),
        ("framing", "chunked and Content-Length", chunked_post(chunked(json.dumps(ev).encode()))
         .replace(b"Transfer-Encoding", b"Content-Length: 5\r\nTransfer-Encoding"), 400, HTML),
        ("framing", "Transfer-Encoding gzip and Content-Length", post(json.dumps(ev).encode(),
                                                   headers=[("Transfer-Encoding", "gzip")]), 400, HTML),
        ("framing", "Transfer-Encoding gzip, an event behind it",
         post(b"", length=False, headers=[("Transfer-Encoding", "gzip")]) + post(ev),
         501, "not_implemented", {"closes": True}),
        ("framing", "Transfer-Encoding gzip, chunked", chunked_post(b"0\r\n\r\n").replace(
            b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip, chunked"), 501, "not_implemented",
         {"closes": True}),
        ("framing", "Transfer-Encoding gzip, chunked, an event smuggled", chunked_post(post(ev)).replace(
            b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip, chunked"), 413, HTML),
        ("framing", "Transfer-Encoding chunked twice", chunked_post(chunked(json.dumps(ev).encode())).replace(
            b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"),
         400, HTML),
        ("framing", "Transfer-Encoding gzip, then chunked", chunked_post(chunked(json.dumps(ev).encode()))
         .replace(b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked"),
         501, "not_implemented"),
        ("framing", "Content-Encoding gzip", post(ev, headers=[("Content-Encoding", "gzip")]),
         415, "unsupported_media_type"),
        ("framing", "Expect: 100-continue, then a refused event",
         expect_continue(json.dumps(new_event(grade=9)).encode()), 400, "invalid_value",
         {"half_close": False}),
        ("framing", "Expect: 100-continue over the cap",
         post(b"", length=False, headers=[("Expect", "100-continue"),
                                          ("Content-Length", str(CEILING + 1))]), 413, HTML),
        ("framing", "Expect: something else", post(ev, headers=[("Expect", "200-ok")]), 417, HTML),
        ("framing", "client gives up mid-body", abort_mid_body(json.dumps(ev).encode()), None, NONE,
         {"half_close": False}),
        # -- too big
        ("size", "body over body_limit", post(new_event(attrs={"pad": big})), 413, "body_too_large"),
        ("size", "chunked body over body_limit",
         chunked_post(chunked(json.dumps(new_event(attrs={"pad": big})).encode(), 100000)),
         413, "body_too_large"),
        ("size", "Content-Length past the cap", post(b"{", length=False,
                                                     headers=[("Content-Length", "100000000")]),
         413, HTML),
        ("size", "one chunk past the cap", chunked_post(b"%x\r\n{" % (CEILING + 1)), 413, HTML),
        # -- media types
        ("media", "no Content-Type (read as JSON)",
         post({"type": "update", "incident": "inc-never", "unit": "hosp-a"}, ctype=None),
         400, "unknown_incident"),
        ("media", "charset=latin1", post(ev, ctype="application/json; charset=latin1"),
         415, "unsupported_media_type"),
        ("media", "charset=latin1, Latin-1 bytes", post(tweak(ev, b'"hosp-a"', b'"h\xf4pital"'),
                                                       ctype="application/json; charset=ISO-8859-1"),
         415, "unsupported_media_type"),
        ("media", "application/jsonx", post(ev, ctype="application/jsonx"), 415, "unsupported_media_type"),
        ("media", "text/plain", post(ev, ctype="text/plain"), 415, "unsupported_media_type"),
        ("media", "form-urlencoded", post(ev, ctype="application/x-www-form-urlencoded"),
         415, "unsupported_media_type"),
        ("media", "multipart", post(ev, ctype="multipart/form-data; boundary=x"),
         415, "unsupported_media_type"),
        ("media", "0xFF in Content-Type", post(ev, ctype=b"text/\xff\xfe"), 415, "unsupported_media_type"),
        ("media", "UTF-8 cut by the message", post(ev, ctype="text/" + "a" * 57 + "é"),
         415, "unsupported_media_type"),
        ("media", "charset=utf-8 and a refused event",
         post(new_event(grade=9), ctype='APPLICATION/JSON; Charset="UTF-8"'), 400, "invalid_value"),
        # -- connections
        ("connections", "connects and sends nothing", b"", None, NONE),
        ("connections", "TLS ClientHello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 32,
         None, NONE),
        ("connections", "three pipelined requests",
         get("/healthz") + post(b"{") + get("/nope", headers=[("Connection", "close")]),
         (200, 400, 404), (OK, "invalid_json", "not_found"), {"n": 3, "half_close": False}),
        ("connections", "pipelined HEAD, then GET",
         request("HEAD", "/healthz") + request("HEAD", "/v1/events")
         + get("/v1/incidents/nope", headers=[("Connection", "close")]),
         (200, 405, 404), (OK, OK, "not_found"), {"n": 3, "heads": (0, 1), "half_close": False}),
        # A write refused on its headers is answered before its body is read,
        # and the connection closed: what follows is never taken for a request.
        ("connections", "pipelined refused writes",
         post(new_event(grade=9)) + post(ev, auth=None)
         + post(ev, headers=[("Connection", "close")], ctype="text/plain"),
         (400, 401), ("invalid_value", "unauthorized"),
         {"n": 2, "half_close": False}),
        # -- bearer tokens
        ("auth", "no token", post(ev, auth=None), 401, "unauthorized"),
        ("auth", "wrong token", post(ev, auth="not-a-token-at-all"), 401, "unauthorized"),
        ("auth", "ops token one byte off", post(ev, auth=off_by_one(OPS_SECRET)), 401, "unauthorized"),
        ("auth", "token a one byte off", post(ev, auth=off_by_one(A_SECRET)), 401, "unauthorized"),
        ("auth", "token cut short", post(ev, auth=OPS_SECRET[:-1]), 401, "unauthorized"),
        ("auth", "token and more", post(ev, auth=OPS_SECRET + "x"), 401, "unauthorized"),
        ("auth", "token upper-cased", post(ev, auth=OPS_SECRET.upper()), 401, "unauthorized"),
        ("auth", "empty bearer", post(ev, auth=""), 401, "unauthorized"),
        ("auth", "Basic scheme", post(ev, auth=None, headers=[("Authorization", "Basic " + base64.b64encode(
            f"ops:{OPS_SECRET}".encode()).decode())]), 401, "unauthorized"),
        ("auth", "token as a query", post(ev, f"/v1/events?access_token={OPS_SECRET}", auth=None),
         401, "unauthorized"),
        ("auth", "wrong token first, right one second",
         post(ev, auth="wrong", headers=[("Authorization", f"Bearer {OPS_SECRET}")]), 401, "unauthorized"),
        ("auth", "token a for hosp-b", post(new_event(unit="hosp-b"), auth=A_SECRET), 403, "forbidden"),
        ("auth", "token a: hosp-a, then hosp-b",
         post([ev, new_event(incident="inc-new-2", unit="hosp-b")], auth=A_SECRET), 403, "forbidden"),
        ("auth", "token a resolves hosp-b's incident", post(b"", "/v1/incidents/inc-b/resolve",
                                                           auth=A_SECRET), 403, "forbidden"),
        ("auth", "token a acknowledges hosp-b's incident", post({"by": "x"}, "/v1/incidents/inc-b/ack",
                                                               auth=A_SECRET), 403, "forbidden"),
        ("auth", "resolve without a token", post(b"", "/v1/incidents/inc-a/resolve", auth=None),
         401, "unauthorized"),
        ("auth", "ack with an array", post(b"[1]", "/v1/incidents/inc-a/ack"), 400, "not_an_object"),
        ("auth", "ack of an unknown incident", post({"by": "x"}, "/v1/incidents/inc-never/ack"),
         404, "not_found"),
        # -- acknowledgement links
        ("ack-links", "too short", post(b"", f"/ack/{ack_a[:-1]}", auth=None), 404, HTML),
        ("ack-links", "too long", post(b"", f"/ack/{ack_a}0", auth=None), 404, HTML),
        ("ack-links", "not hex", post(b"", f"/ack/{'g' * 32}", auth=None), 404, HTML),
        ("ack-links", "token in upper case", post(b"", f"/ack/{ack_a.upper()}", auth=None), 404, HTML)
        if ack_a.upper() != ack_a else None,
        ("ack-links", "one digit off", post(b"", f"/ack/{ack_a[:-1]}{'0' if ack_a[-1] != '0' else '1'}",
                                            auth=None), 404, HTML),
        ("ack-links", "percent-encoded NUL after", post(b"", f"/ack/{ack_a}%00", auth=None), 404,
         "not_found"),
        ("ack-links", "a segment after", post(b"", f"/ack/{ack_a}/x", auth=None), 404, "not_found"),
        ("ack-links", "GET shows the page only", get(f"/ack/{ack_a}", auth=None), 200, HTML),
        ("ack-links", "SQL in the token", get("/ack/'%20OR%20'1'='1", auth=None), 404, HTML),
        ("ack-links", "POST after the incident closed", post(b"", f"/ack/{ack_closed}", auth=None),
         409, HTML),
    ]
    return [r for r in rows if r is not None]


# ---------------------------------------------------------------- seeding

def authed(d, method, path, body=None, secret=OPS_SECRET, scheme="Bearer"):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    req = urllib.request.Request(d.base + path, data=data if method == "POST" else None, method=method,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"{scheme} {secret}"})
    try:
        with URLOPEN(req, timeout=10) as r:
            return Response(r.status, r.read(), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(), dict(e.headers))


def seed(d, sink):
    """inc-a (hosp-a) and inc-b (hosp-b) open, inc-closed resolved; every
    notification delivered, so nothing changes by itself.  Returns each
    incident's acknowledgement-link token."""
    for key, unit in (("inc-a", "hosp-a"), ("inc-b", "hosp-b"), ("inc-closed", "hosp-a")):
        r = authed(d, "POST", "/v1/events", report(key, unit=unit))
        expect(r.status == 202, f"seeding {key}: {r!r}")
    r = authed(d, "POST", "/v1/incidents/inc-closed/resolve", {"by": "zhao"})
    expect(r.status == 200, f"resolving inc-closed: {r!r}")
    tokens = {}
    for key in ("inc-a", "inc-b", "inc-closed"):
        post_ = wait_until(lambda: sink.webhooks(incident=key), 8, f"the message about {key}")[0]
        m = re.fullmatch(rf"http://127\.0\.0\.1:{d.port}/ack/([0-9a-f]{{32}})", post_.body.get("ack_url") or "")
        expect(m, f"the message about {key} has no acknowledgement link: {short(post_.body)}")
        tokens[key] = m.group(1)
    wait_until(lambda: all(n["status"] == "delivered"
                           for n in d.request("GET", "/v1/notifications").data["notifications"]),
               8, "every notification delivered")
    return tokens


def quiet_snapshot(d):
    """A snapshot that stays the same for 0.3 s: the daemon is at rest."""
    first = d.snapshot()
    time.sleep(0.3)
    second = d.snapshot()
    expect(first == second, f"the database changes by itself: {diff(first, second)}")
    return second


def diff(before, after):
    return {t: (before.get(t), after.get(t)) for t in set(before) | set(after)
            if before.get(t) != after.get(t)}


def healthz_ms(port):
    """GET /healthz on a new connection: the answer's status and milliseconds."""
    t = time.monotonic()
    answers, _, _ = exchange(port, get("/healthz"), timeout=5)
    return (answers[0].status if answers else None), (time.monotonic() - t) * 1000


# ---------------------------------------------------------------- the tests

def check_case(d, row):
    """Send one catalogue row; return the problems seen."""
    cat, name, data, status, code = row[:5]
    opts = row[5] if len(row) > 5 else {}
    statuses = status if isinstance(status, tuple) else (status,)
    codes = code if isinstance(code, tuple) else (code,)
    label = f"[{cat}] {name}"
    closes = opts.get("closes", False)
    try:
        answers, closed, rest = exchange(d.port, data, n=len(statuses) + closes, heads=opts.get("heads", ()),
                                   half_close=opts.get("half_close", not closes))
    except (TestFailure, OSError) as e:
        return [f"{label}: {e}"]
    problems = []
    if rest:        # e.g. a body after the headers of a HEAD answer
        problems.append(f"{label}: stray bytes after the answers {answers}: {rest[:200]!r}")
    if closes and not closed:
        problems.append(f"{label}: the connection stayed open after {answers}")
    if status is None:
        if answers or not closed:
            problems.append(f"{label}: want the connection closed without an answer, got {answers}")
        return problems
    if len(answers) != len(statuses):
        return [f"{label}: want {len(statuses)} answer(s), got {answers} (closed={closed})"]
    for i, (a, st, co) in enumerate(zip(answers, statuses, codes)):
        which = f"{label}" + (f" #{i + 1}" if len(statuses) > 1 else "")
        if a.status != st:
            problems.append(f"{which}: want {st}, got {a!r}")
        elif a.code != co:
            problems.append(f"{which}: want {co}, got {a.code} in {a!r}")
        elif co not in (OK, HTML) and not (isinstance(a.data["error"].get("message"), str)
                                           and a.data["error"]["message"]):
            problems.append(f"{which}: the error has no message: {a!r}")
        elif st == 405 and "allow" in opts and a.headers.get("allow") != opts["allow"]:
            problems.append(f"{which}: want Allow: {opts['allow']}, got {a.headers.get('allow')!r}")
        elif st == 401 and a.headers.get("www-authenticate") != "Bearer":
            problems.append(f"{which}: a 401 without WWW-Authenticate: Bearer: {a.headers}")
    return problems


def test_hostile_client_catalogue():
    """Every row: the documented answer, the daemon alive, the database unchanged."""
    sink = Sink()
    d = Daemon(hostile_site(sink)).start()
    tokens = seed(d, sink)
    rows = catalogue(tokens)
    expect(len(rows) >= 40, f"the catalogue has only {len(rows)} rows")
    expect(len({r[1] for r in rows}) == len(rows), "two catalogue rows share a name")
    before = quiet_snapshot(d)
    problems = []
    for row in rows:
        problems.extend(check_case(d, row))
        if d.proc.poll() is not None:
            d.expected_exit = True
            raise TestFailure(f"tocsind died on [{row[0]}] {row[1]} ({describe_exit(d.proc.returncode)}); "
                              f"earlier problems: {problems}")
        status, ms = healthz_ms(d.port)
        if status != 200:
            problems.append(f"[{row[0]}] {row[1]}: /healthz answered {status} afterwards")
        after = d.snapshot()
        if after != before:
            problems.append(f"[{row[0]}] {row[1]}: the database changed: {diff(before, after)}")
            before = after
    # Nothing changes a moment later either (a late commit, a message sent).
    time.sleep(0.3)
    expect(d.snapshot() == before, f"the database changed after the catalogue: {diff(before, d.snapshot())}")
    # The incidents the catalogue aimed at are as they were.
    inc_a = d.incident("inc-a")
    expect(inc_a.get("state") == "open" and inc_a.get("acknowledged_by") is None,
           f"inc-a after the catalogue: {short(inc_a)}")
    expect(d.incident("inc-closed").get("acknowledged_by") is None, "the closed incident was acknowledged")
    expect(d.request("GET", "/v1/incidents/inc-new").status == 404, "inc-new exists")
    expect(not problems, f"{len(problems)} of {len(rows)} rows failed:\n  " + "\n  ".join(problems))
    d.stop()


def test_hostile_client_tokens():
    """Token a (hosp-a only) and ops (every unit): who may post what."""
    sink = Sink()
    d = Daemon(hostile_site(sink)).start()
    seed(d, sink)
    before = quiet_snapshot(d)

    def refused(status, method, path, body, secret, what):
        r = authed(d, method, path, body, secret)
        expect(r.status == status, f"{what}: want {status}, got {r!r}")
        if status == 401:
            expect(r.headers.get("WWW-Authenticate") == "Bearer",
                   f"{what}: want WWW-Authenticate: Bearer, got {r.headers}")
        expect(d.snapshot() == before, f"{what}: the database changed")

    r = d.post_events(report("inc-t0"))
    expect(r.status == 401 and r.headers.get("WWW-Authenticate") == "Bearer", f"no token: {r!r}")
    refused(401, "POST", "/v1/events", report("inc-t0"), "wrong-token-0123456789abcdef", "a wrong token")
    refused(401, "POST", "/v1/events", report("inc-t0"), off_by_one(OPS_SECRET), "ops, one byte off")
    refused(401, "POST", "/v1/events", report("inc-t0"), off_by_one(A_SECRET), "a, one byte off")
    refused(403, "POST", "/v1/events", report("inc-t0", unit="hosp-b"), A_SECRET, "a for hosp-b")
    refused(403, "POST", "/v1/events", [report("inc-t0"), report("inc-t1", unit="hosp-b")], A_SECRET,
            "a for hosp-a and hosp-b in one array")
    refused(403, "POST", "/v1/incidents/inc-b/resolve", {"by": "a"}, A_SECRET, "a resolving hosp-b's")

    r = authed(d, "POST", "/v1/events", [report("inc-t2"), report("inc-t3")], A_SECRET)
    expect(r.status == 202 and len(r.data["accepted"]) == 2, f"a for hosp-a twice: {r!r}")
    r = authed(d, "POST", "/v1/events", report("inc-t4", unit="hosp-b"), OPS_SECRET)
    expect(r.status == 202, f"ops for hosp-b: {r!r}")
    r = authed(d, "POST", "/v1/events", report("inc-t5", unit="hosp-c"), OPS_SECRET, scheme="bearer")
    expect(r.status == 202, f"ops, scheme in lower case (RFC 7235: case-insensitive): {r!r}")
    r = authed(d, "POST", "/v1/incidents/inc-a/ack", {"by": "a"}, A_SECRET)
    expect(r.status == 200 and r.data.get("acknowledged_by") == "a", f"a acknowledging hosp-a's: {r!r}")
    r = authed(d, "POST", "/v1/incidents/inc-b/resolve", {"by": "ops"}, OPS_SECRET)
    expect(r.status == 200 and r.data.get("state") == "closed", f"ops resolving hosp-b's: {r!r}")
    got = {i["key"] for i in d.request("GET", "/v1/incidents?state=all").data["incidents"]}
    expect(got == {"inc-a", "inc-b", "inc-closed", "inc-t2", "inc-t3", "inc-t4", "inc-t5"},
           f"incidents after the token checks: {sorted(got)}")
    d.stop()


def test_hostile_client_ack_links():
    """Link tokens: 128 random bits in lower-case hex, one per message, each
    good for its own incident only; a closed incident is not acknowledged."""
    sink = Sink()
    d = Daemon(hostile_site(sink)).start()
    tokens = seed(d, sink)
    links = [p.body.get("ack_url") for p in sink.webhooks()]
    expect(len(links) == len(set(links)) == 3, f"one distinct link per message: {links}")

    page = http_request("GET", f"{d.base}/ack/{tokens['inc-a']}")
    html = page.raw.decode()
    expect(page.status == 200 and "inc-a" in html and "inc-b" not in html, f"inc-a's page: {page!r}")
    before = quiet_snapshot(d)
    r = http_request("POST", f"{d.base}/ack/{tokens['inc-closed']}", b"",
                     content_type="application/x-www-form-urlencoded")
    expect(r.status == 409 and "已办结" in r.raw.decode(), f"POST the link of a closed incident: {r!r}")
    expect(d.snapshot() == before, "the link of a closed incident changed the database")

    r = http_request("POST", f"{d.base}/ack/{tokens['inc-b']}", b"",
                     content_type="application/x-www-form-urlencoded")
    expect(r.status == 200 and "已确认收到" in r.raw.decode(), f"POST inc-b's link: {r!r}")
    expect(d.incident("inc-b").get("acknowledged_by") == "office", "inc-b acknowledged by the link's recipient")
    for key in ("inc-a", "inc-closed"):
        expect(d.incident(key).get("acknowledged_by") is None, f"inc-b's link acknowledged {key}")
    d.stop()
    rows = d.query_db("SELECT token, incident FROM ack_links ORDER BY incident")
    expect([r[1] for r in rows] == ["inc-a", "inc-b", "inc-closed"], f"ack_links rows: {rows}")
    expect(all(re.fullmatch(r"[0-9a-f]{32}", r[0]) for r in rows), f"ack_links tokens: {rows}")


def test_hostile_client_slow():
    """Slow and silent clients hold no one up: /healthz on other connections
    answers in under 100 ms while a slow-loris dribbles its headers a byte
    every 200 ms, and the silent ones are cut at the total time limits for
    the headers (header_timeout, here 5 s) and the body (body_timeout, 3 s),
    however they dribble."""
    header_s, body_s = 5, 3
    sink = Sink()
    d = Daemon(hostile_site(sink, f', header_timeout = "{header_s}s", '
                                  f'body_timeout = "{body_s}s"')).start()
    seed(d, sink)
    before = quiet_snapshot(d)

    opened = time.monotonic()
    silent = socket.create_connection(("127.0.0.1", d.port), timeout=header_s + 10)
    half_headers = socket.create_connection(("127.0.0.1", d.port), timeout=header_s + 10)
    half_headers.sendall(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
    half_body = socket.create_connection(("127.0.0.1", d.port), timeout=header_s + 10)
    half_body.sendall(post(report("inc-slow"))[:-5])
    silent_since = time.monotonic()
    limits = {"silent": header_s, "half headers": header_s, "half body": body_s}

    worst, probes, failures = 0.0, 0, []
    stop = threading.Event()

    def probe():
        nonlocal worst, probes
        while not stop.is_set():
            try:
                status, ms = healthz_ms(d.port)
            except (OSError, TestFailure) as e:
                failures.append(str(e))
                continue
            probes += 1
            worst = max(worst, ms)
            if status != 200:
                failures.append(f"HTTP {status}")
            stop.wait(0.05)
    prober = threading.Thread(target=probe, daemon=True)
    prober.start()

    # The slow-loris: the first 16 bytes one every 200 ms (about 3 s), then the rest.
    whole = get("/healthz", headers=[("X-Slow", "loris")])
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as loris:
        for i in range(16):
            loris.sendall(whole[i:i + 1])
            time.sleep(0.2)
        loris.sendall(whole[16:])
        loris.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            chunk = loris.recv(4096)
            if not chunk:
                break
            got += chunk
    stop.set()
    prober.join()
    expect(got.startswith(b"HTTP/1.1 200 "), f"the slow request, once whole, is answered: {got[:200]!r}")
    expect(not failures, f"/healthz failed during the slow-loris: {failures[:5]}")
    expect(probes >= 20, f"only {probes} /healthz probes during the slow-loris")
    expect(worst < 100, f"/healthz took {worst:.0f} ms during the slow-loris (limit 100 ms)")

    # The silent ones: closed without an answer at their total time limit.
    for name, s in (("half body", half_body), ("silent", silent), ("half headers", half_headers)):
        timeout = limits[name]
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            raise TestFailure(f"the {name} connection is still open {time.monotonic() - opened:.0f}s on")
        waited = time.monotonic() - silent_since
        expect(data == b"", f"the {name} connection got an answer: {data[:200]!r}")
        expect(timeout - 1 <= waited <= timeout + 3,
               f"the {name} connection was closed after {waited:.1f}s (limit {timeout} s)")
        s.close()
    expect(d.snapshot() == before, f"slow clients changed the database: {diff(before, d.snapshot())}")
    d.stop()
