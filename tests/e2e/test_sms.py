"""SMS channel end-to-end tests: the real daemon against one local fake per
provider (Aliyun, Tencent Cloud, Twilio, a generic HTTP gateway).

Each fake listens on 127.0.0.1 only and checks a request the way the
provider would: it recomputes the Aliyun signature from the form fields, the
TC3 Authorization from the headers and body, Twilio's Basic auth, the
generic template's rendering; then answers with the provider's own success
and error shapes.  One incident tells four people at once, each with a
different fate:

    zhao  +8613800000011  delivered at the first attempt
    qian  +8613800000012  throttled once, then delivered (same key)
    sun   +8613800000099  an invalid number: dead after one attempt
    li    +8613800000014  on a channel with a wrong secret: dead, one attempt

The people and numbers are fictional.
"""

import harness
from harness import *
import urllib.parse
import uuid
from datetime import timezone

PHONES = {"zhao": "+8613800000011", "qian": "+8613800000012",
          "sun": "+8613800000099", "li": "+8613800000014"}
THROTTLED, INVALID = PHONES["qian"], PHONES["sun"]
KEY_RE = re.compile(r"tn_[0-9a-f]{32}")
TITLE = "核心交换机遭受网络攻击"

SECRETS = {"aliyun": "aliyun-secret-0123456789", "aliyun_old": "aliyun-secret-retired",
           "tencent": "tencent-secret-key-0123456789", "tencent_old": "tencent-secret-retired",
           "twilio": "twilio-token-0123456789abcdef", "twilio_old": "twilio-token-retired",
           "gw": "gw-api-key-0123456789", "gw_old": "gw-api-key-retired"}


def enc(s):
    """RFC 3986, as Aliyun's percentEncode."""
    return urllib.parse.quote(s, safe="-_.~")


def sms_units(text):
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def sms_segments_ucs2(text):
    n = sms_units(text)
    return 1 if n <= 70 else -(-n // 67)


# ---------------------------------------------------------------- the fakes

class Request:
    def __init__(self, method, path, headers, raw):
        self.method = method
        self.path = path
        self.headers = headers
        self.raw = raw
        self.mono = time.monotonic()
        self.wall = time.time()     # the daemon's deadlines are wall-clock
        self.phone = self.key = self.text = None
        self.problems = []          # how it differs from what the provider wants
        self.auth = None            # None: good; else the provider's error code
        self.status = None          # what the fake answered
        self.throttled = False      # it answered "too many, try later"

    def __repr__(self):
        return (f"<{self.method} {self.path} phone={self.phone} status={self.status} "
                f"auth={self.auth} problems={self.problems}>")


class Gateway:
    """A provider on 127.0.0.1: check(req) fills req; answer(req) replies."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.seen = collections.Counter()      # phone -> requests so far
        gw = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                req = Request(self.command, self.path,
                              {k.lower(): v for k, v in self.headers.items()}, raw)
                try:
                    gw.check(req)
                except Exception as e:          # a malformed request: say so, answer 400
                    req.problems.append(f"unreadable request: {type(e).__name__}: {e}")
                with gw.lock:
                    gw.seen[req.phone] += 1
                    nth = gw.seen[req.phone]
                if req.problems and req.auth is None:
                    status, headers, body = 400, {}, {"error": "malformed"}
                else:
                    status, headers, body = gw.answer(req, nth)
                req.status = status
                with gw.lock:
                    gw.requests.append(req)
                data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_GET = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        harness.CTX.sinks.append(self)

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def to(self, phone):
        with self.lock:
            return [r for r in self.requests if r.phone == phone]

    def problem(self, req, cond, message):
        if not cond:
            req.problems.append(message)

    def fresh_time(self, req, ts):
        self.problem(req, abs(ts - time.time()) < 60, f"timestamp {ts} is not now")


class Aliyun(Gateway):
    KEY_ID = "LTAI5tTocsinE2eKey"
    FIXED = {"Action": "SendSms", "Format": "JSON", "Version": "2017-05-25",
             "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
             "SignName": "应急办", "TemplateCode": "SMS_100001"}
    KEYS = set(FIXED) | {"AccessKeyId", "SignatureNonce", "Timestamp", "PhoneNumbers",
                         "TemplateParam", "OutId", "Signature"}

    def __init__(self):
        super().__init__()
        self.nonces = set()

    @staticmethod
    def signature(secret, params):
        query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
        mac = hmac.new((secret + "&").encode(), f"POST&%2F&{enc(query)}".encode(), hashlib.sha1)
        return base64.b64encode(mac.digest()).decode()

    def check(self, req):
        p = self.problem
        p(req, req.method == "POST" and req.path == "/", f"{req.method} {req.path}")
        p(req, req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"),
          f"Content-Type {req.headers.get('content-type')!r}")
        pairs = urllib.parse.parse_qsl(req.raw.decode("utf-8"), keep_blank_values=True,
                                       strict_parsing=True)
        f = dict(pairs)
        p(req, len(pairs) == len(f), "a parameter given twice")
        p(req, set(f) == self.KEYS, f"parameters {sorted(f)}")
        for k, v in self.FIXED.items():
            p(req, f.get(k) == v, f"{k}={f.get(k)!r}, want {v!r}")
        ts = f.get("Timestamp", "")
        p(req, re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ts), f"Timestamp {ts!r}")
        if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ts):
            self.fresh_time(req, parse_time(ts))
        nonce = f.get("SignatureNonce", "")
        with self.lock:
            p(req, nonce and nonce not in self.nonces, f"SignatureNonce {nonce!r} empty or used")
            self.nonces.add(nonce)
        req.key = f.get("OutId")
        p(req, KEY_RE.fullmatch(req.key or ""), f"OutId {req.key!r}")
        number = f.get("PhoneNumbers", "")
        p(req, re.fullmatch(r"86\d{11}", number), f"PhoneNumbers {number!r}")
        req.phone = "+" + number
        param = json.loads(f.get("TemplateParam", "null"))
        p(req, isinstance(param, dict) and set(param) == {"msg"}, f"TemplateParam {param!r}")
        req.text = (param or {}).get("msg")
        if f.get("AccessKeyId") != self.KEY_ID:
            req.auth = "InvalidAccessKeyId.NotFound"
        elif f.get("Signature") != self.signature(SECRETS["aliyun"], {
                k: v for k, v in f.items() if k != "Signature"}):
            req.auth = "SignatureDoesNotMatch"

    def answer(self, req, nth):
        rid = str(uuid.uuid4()).upper()
        if req.auth == "SignatureDoesNotMatch":
            return 400, {}, {"RequestId": rid, "Code": req.auth, "Recommend": "",
                             "HostId": "dysmsapi.aliyuncs.com",
                             "Message": "Specified signature is not matched with our calculation."}
        if req.auth:
            return 404, {}, {"RequestId": rid, "Code": req.auth, "Message": "Specified access key is not found."}
        if req.phone == THROTTLED and nth == 1:
            req.throttled = True
            return 200, {}, {"RequestId": rid, "Code": "isv.BUSINESS_LIMIT_CONTROL",
                             "Message": "触发分钟级流控Permits:1"}
        if req.phone == INVALID:
            return 200, {}, {"RequestId": rid, "Code": "isv.MOBILE_NUMBER_ILLEGAL",
                             "Message": "非法手机号"}
        return 200, {}, {"RequestId": rid, "Code": "OK", "Message": "OK",
                         "BizId": f"{int(time.time())}^0"}


class Tencent(Gateway):
    SECRET_ID = "AKIDtocsinE2eSecretId"

    @staticmethod
    def signature(secret_key, host, ctype, body, ts, date):
        creq = (f"POST\n/\n\ncontent-type:{ctype.lower()}\nhost:{host}\n\ncontent-type;host\n"
                + hashlib.sha256(body).hexdigest())
        sts = (f"TC3-HMAC-SHA256\n{ts}\n{date}/sms/tc3_request\n"
               + hashlib.sha256(creq.encode()).hexdigest())
        k = ("TC3" + secret_key).encode()
        for part in (date, "sms", "tc3_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()

    def check(self, req):
        p, h = self.problem, req.headers
        p(req, req.method == "POST" and req.path == "/", f"{req.method} {req.path}")
        ctype = h.get("content-type", "")
        p(req, ctype == "application/json; charset=utf-8", f"Content-Type {ctype!r}")
        for k, v in (("x-tc-action", "SendSms"), ("x-tc-version", "2021-01-11"),
                     ("x-tc-region", "ap-beijing"), ("host", f"127.0.0.1:{self.port}")):
            p(req, h.get(k) == v, f"{k}: {h.get(k)!r}, want {v!r}")
        ts = h.get("x-tc-timestamp", "")
        p(req, ts.isdigit(), f"X-TC-Timestamp {ts!r}")
        if ts.isdigit():
            self.fresh_time(req, int(ts))
        body = json.loads(req.raw.decode("utf-8"))
        want = {"PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId", "TemplateParamSet",
                "SessionContext"}
        p(req, set(body) == want, f"body keys {sorted(body)}")
        p(req, body.get("SmsSdkAppId") == "1400000001" and body.get("SignName") == "应急办"
          and body.get("TemplateId") == "100001", f"app, sign or template in {short(body)}")
        numbers, params = body.get("PhoneNumberSet"), body.get("TemplateParamSet")
        p(req, isinstance(numbers, list) and len(numbers) == 1
          and re.fullmatch(r"\+86\d{11}", numbers[0]), f"PhoneNumberSet {numbers!r}")
        p(req, isinstance(params, list) and len(params) == 1, f"TemplateParamSet {params!r}")
        req.phone = (numbers or [None])[0]
        req.text = (params or [None])[0]
        req.key = body.get("SessionContext")
        p(req, KEY_RE.fullmatch(req.key or ""), f"SessionContext {req.key!r}")
        m = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d\d-\d\d)/sms/tc3_request, "
                         r"SignedHeaders=content-type;host, Signature=([0-9a-f]{64})",
                         h.get("authorization", ""))
        if not m or not ts.isdigit():
            req.auth = "AuthFailure.InvalidAuthorization"
            return
        utc_date = datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%d")
        if m.group(1) != self.SECRET_ID:
            req.auth = "AuthFailure.SecretIdNotFound"
        elif m.group(2) != utc_date or m.group(3) != self.signature(
                SECRETS["tencent"], h.get("host", ""), ctype, req.raw, ts, utc_date):
            req.auth = "AuthFailure.SignatureFailure"

    def answer(self, req, nth):
        rid = str(uuid.uuid4())
        if req.auth:
            return 200, {}, {"Response": {"Error": {"Code": req.auth, "Message":
                             "The provided credentials could not be validated."}, "RequestId": rid}}
        if req.phone == INVALID:
            return 200, {}, {"Response": {"Error": {"Code": "InvalidParameterValue.IncorrectPhoneNumber",
                             "Message": "手机号格式错误"}, "RequestId": rid}}
        code, msg = "Ok", "send success"
        if req.phone == THROTTLED and nth == 1:
            req.throttled = True
            code, msg = "LimitExceeded.PhoneNumberThirtySecondLimit", "30秒内下发短信条数超过设定的上限"
        return 200, {}, {"Response": {"SendStatusSet": [{
            "SerialNo": f"5000:{uuid.uuid4().int % 10**20}", "PhoneNumber": req.phone, "Fee": 1,
            "SessionContext": req.key, "Code": code, "Message": msg, "IsoCode": "CN"}],
            "RequestId": rid}}


class Twilio(Gateway):
    SID = "AC0123456789abcdef0123456789abcdef"
    FROM = "+15005550006"

    def check(self, req):
        p, h = self.problem, req.headers
        p(req, req.method == "POST" and req.path == f"/2010-04-01/Accounts/{self.SID}/Messages.json",
          f"{req.method} {req.path}")
        p(req, h.get("content-type", "").startswith("application/x-www-form-urlencoded"),
          f"Content-Type {h.get('content-type')!r}")
        pairs = urllib.parse.parse_qsl(req.raw.decode("utf-8"), keep_blank_values=True,
                                       strict_parsing=True)
        f = dict(pairs)
        p(req, len(pairs) == len(f) and set(f) == {"To", "From", "Body"}, f"fields {sorted(f)}")
        p(req, f.get("From") == self.FROM, f"From {f.get('From')!r}")
        req.phone, req.text = f.get("To"), f.get("Body")
        p(req, re.fullmatch(r"\+86\d{11}", req.phone or ""), f"To {req.phone!r}")
        req.key = h.get("i-twilio-idempotency-token")
        p(req, KEY_RE.fullmatch(req.key or ""), f"I-Twilio-Idempotency-Token {req.key!r}")
        auth = h.get("authorization", "")
        user = None
        if auth.startswith("Basic "):
            user = base64.b64decode(auth[6:], validate=True).decode()
        if user != f"{self.SID}:{SECRETS['twilio']}":
            req.auth = "20003"

    @staticmethod
    def error(status, code, message):
        return {"code": code, "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}

    def answer(self, req, nth):
        if req.auth:
            return 401, {}, self.error(401, 20003, "Authenticate")
        if req.phone == THROTTLED and nth == 1:
            req.throttled = True
            return 429, {"Retry-After": "2"}, self.error(429, 20429, "Too Many Requests")
        if req.phone == INVALID:
            return 400, {}, self.error(400, 21211,
                                       f"The 'To' number {req.phone} is not a valid phone number.")
        sid = "SM" + uuid.uuid4().hex
        return 201, {}, {"sid": sid, "account_sid": self.SID, "to": req.phone, "from": self.FROM,
                         "body": req.text, "status": "queued", "num_segments": "1",
                         "direction": "outbound-api", "api_version": "2010-04-01",
                         "error_code": None, "error_message": None,
                         "uri": f"/2010-04-01/Accounts/{self.SID}/Messages/{sid}.json"}


class Generic(Gateway):
    """A gateway of the site's own: form POST, or JSON PUT, an API key header."""

    def check(self, req):
        p, h = self.problem, req.headers
        url = urllib.parse.urlsplit(req.path)
        p(req, url.path == "/sms/send", f"path {url.path!r}")
        query = dict(urllib.parse.parse_qsl(url.query, strict_parsing=True))
        req.key = query.get("ref")
        p(req, KEY_RE.fullmatch(req.key or ""), f"ref {req.key!r} in the URL")
        p(req, h.get("idempotency-key") == req.key, f"Idempotency-Key {h.get('idempotency-key')!r}")
        ctype = h.get("content-type", "")
        if req.method == "POST":
            p(req, ctype == "application/x-www-form-urlencoded", f"Content-Type {ctype!r}")
            pairs = urllib.parse.parse_qsl(req.raw.decode("utf-8"), keep_blank_values=True,
                                           strict_parsing=True)
            f = dict(pairs)
            p(req, len(pairs) == 2 and set(f) == {"mobile", "content"}, f"fields {sorted(f)}")
            req.phone, req.text = f.get("mobile"), f.get("content")
        else:
            p(req, req.method == "PUT", f"method {req.method}")
            p(req, ctype == "application/json; charset=utf-8", f"Content-Type {ctype!r}")
            body = json.loads(req.raw.decode("utf-8"))
            p(req, isinstance(body, dict) and set(body) == {"to", "msg", "ref"}, f"body {short(body)}")
            req.phone, req.text = body.get("to"), body.get("msg")
            p(req, body.get("ref") == req.key, f"ref {body.get('ref')!r} in the body")
        p(req, re.fullmatch(r"\+86\d{11}", req.phone or ""), f"number {req.phone!r}")
        if h.get("x-api-key") != SECRETS["gw"]:
            req.auth = "bad key"

    def answer(self, req, nth):
        if req.auth:
            return 401, {}, {"result": 401, "msg": "bad key"}
        if req.phone == THROTTLED and nth == 1:
            req.throttled = True
            return 429, {}, {"result": 429, "msg": "slow down"}
        if req.phone == INVALID:
            return 200, {}, {"result": 17, "msg": f"invalid mobile {req.phone}"}
        return 200, {}, {"result": 0, "id": uuid.uuid4().hex}


# ---------------------------------------------------------------- the site

PEOPLE = """\
person "zhao" {{ name = "赵一", phone = "{zhao}", roles = {{ "duty" }}, channels = {{ "sms" }} }}
person "qian" {{ name = "钱二", phone = "{qian}", roles = {{ "duty" }}, channels = {{ "sms" }} }}
person "sun"  {{ name = "孙三", phone = "{sun}", roles = {{ "duty" }}, channels = {{ "sms" }} }}
person "li"   {{ name = "李四", phone = "{li}", roles = {{ "duty" }}, channels = {{ "sms-bad" }} }}
group "office" {{ name = "办公室", members = {{}}, channels = {{ "sms" }} }}
"""

RULES = """\
procedure "netsec" {{
  title = "网络安全突发事件",
  match = {{ category = "network_security" }},
  on_open = {{ notify = {{ {notify} }} }},
  obligations = {{
    {{ id = "assessment", title = "评估", due = "1h", met_by = {{ type = "assessment" }}, owner = "duty" }},
  }},
}}
"""


def sms_site(channels, notify='"duty"'):
    # Undelivered messages are told to a watchkeeper on the log, not by SMS.
    site = ('site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." },'
            ' undelivered_notify = "watchkeeper" }\n'
            + channels + PEOPLE.format(**PHONES)
            + 'channel "watch-log" { kind = "log" }\n'
            'person "watch" { name = "值守员", roles = { "watchkeeper" }, channels = { "watch-log" } }\n')
    files = {"site.lua": site, "rules.lua": RULES.format(notify=notify)}
    for name, value in SECRETS.items():
        files[f"secrets/{name}"] = value + "\n"
    return files


def aliyun_channel(name, port, secret, extra=""):
    return (f'channel "{name}" {{ kind = "sms", provider = "aliyun", endpoint = "http://127.0.0.1:{port}/", '
            f'access_key_id = "{Aliyun.KEY_ID}", access_key_secret = secret("{secret}"), '
            f'sign_name = "应急办", template_code = "SMS_100001", template_param = "msg"{extra} }}\n')


def tencent_channel(name, port, secret):
    return (f'channel "{name}" {{ kind = "sms", provider = "tencent", endpoint = "http://127.0.0.1:{port}/", '
            f'secret_id = "{Tencent.SECRET_ID}", secret_key = secret("{secret}"), sdk_app_id = "1400000001", '
            f'sign_name = "应急办", template_id = "100001", region = "ap-beijing" }}\n')


def twilio_channel(name, port, secret):
    return (f'channel "{name}" {{ kind = "sms", provider = "twilio", endpoint = "http://127.0.0.1:{port}", '
            f'account_sid = "{Twilio.SID}", auth_token = secret("{secret}"), from = "{Twilio.FROM}" }}\n')


def generic_channels(port, good="sms", bad="sms-bad"):
    """A form POST with the right key, cut to one SMS; a JSON PUT with an old key."""
    base = f"http://127.0.0.1:{port}/sms/send?ref={{key}}"
    return (f'channel "{good}" {{ kind = "sms", provider = "http", url = "{base}", '
            f'content_type = "application/x-www-form-urlencoded", body = "mobile={{phone}}&content={{text}}", '
            f'headers = {{ "X-Api-Key: " .. secret("gw") }}, ok_match = \'"result":0\', max_segments = 1 }}\n'
            f'channel "{bad}" {{ kind = "sms", provider = "http", url = "{base}", method = "PUT", '
            f'content_type = "application/json; charset=utf-8", '
            f'body = \'{{"to":"{{phone}}","msg":"{{text}}","ref":"{{key}}"}}\', '
            f'headers = {{ "X-Api-Key: " .. secret("gw_old") }}, ok_match = \'"result":0\' }}\n')


# ---------------------------------------------------------------- the checks

def settle(d, key, n):
    """The incident's n SMS notifications once each is delivered or dead."""
    def done():
        ns = [x for x in d.notifications(key) if x.get("channel") != "watch-log"]
        final = all(x.get("status") in ("delivered", "dead") for x in ns)
        return ns if len(ns) == n and final else None
    return {x["recipient"]: x for x in wait_until(done, 30, f"{n} notifications of {key} to settle")}


def check_fates(d, gw, ns, bad_code, error_code):
    """The four people's fates, as the gateway saw them and the API says."""
    for who in ("zhao", "qian", "sun", "li"):
        expect(who in ns, f"no notification to {who}: {short(ns)}")
    alerts = sorted(x["recipient"] for x in d.notifications(ns["zhao"]["incident"])
                    if x.get("channel") == "watch-log")
    dead = sum(1 for x in ns.values() if x.get("status") == "dead")
    expect(dead >= 2 and alerts == ["watch"] * dead,
           f"the watchkeeper hears of each of the {dead} dead messages: {alerts}")
    for who, status, attempts in (("zhao", "delivered", 1), ("qian", "delivered", 2),
                                  ("sun", "dead", 1), ("li", "dead", 1)):
        n = ns[who]
        expect(n.get("status") == status and n.get("attempts") == attempts,
               f"{who}: want {status} after {attempts} attempt(s), got {short(n)}")
        reqs = gw.to(PHONES[who])
        expect(len(reqs) == attempts, f"{who}: the gateway got {len(reqs)} requests, want {attempts}: {reqs}")
        for r in reqs:
            expect(not r.problems, f"{who}: the gateway found the request wrong: {r.problems}")
            expect(r.key == n.get("key"), f"{who}: idempotency key {r.key!r}, want {n.get('key')!r}")
            expect(r.text and TITLE in r.text and r.text.startswith("【事件报告】"),
                   f"{who}: text {r.text!r}")
        expect(all(r.auth is None for r in reqs) == (who != "li"),
               f"{who}: gateway auth verdicts {[r.auth for r in reqs]}")
    expect(error_code in (ns["sun"].get("last_error") or ""),
           f"sun: last_error {ns['sun'].get('last_error')!r} lacks {error_code!r}")
    expect(PHONES["sun"][1:] not in (ns["sun"].get("last_error") or ""),
           f"sun: last_error quotes the number: {ns['sun'].get('last_error')!r}")
    expect(bad_code in (ns["li"].get("last_error") or ""),
           f"li: last_error {ns['li'].get('last_error')!r} lacks {bad_code!r}")
    qian = gw.to(PHONES["qian"])
    expect(qian[0].throttled and not qian[1].throttled, f"qian: throttled, then not? {qian}")
    return qian


def check_log(d):
    """Debug lines name masked numbers; no number or secret appears whole."""
    d.stop()
    with open(d.log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for who, phone in PHONES.items():
        expect(phone[1:] not in text, f"the log holds {who}'s whole number")
    for name, value in SECRETS.items():
        expect(value not in text, f"the log holds the secret {name}")
    for masked in ("+86138****0011", "+86138****0099"):
        expect(re.search(r"sms: .*to=" + re.escape(masked) + r" .*segments=\d", text),
               f"no debug line 'sms: ... to={masked} ... segments=N' in the log")


def deliver(channels, key, n=4, title=TITLE, notify='"duty"'):
    """A daemon on these channels, one incident, its n notifications settled."""
    d = Daemon(sms_site(channels, notify), args=("--log-level", "debug")).start()
    d.accept(report(key, title=title))
    return d, settle(d, key, n)


def test_sms_aliyun():
    gw = Aliyun()
    title = TITLE + "，" + "全网段异常外联持续扩散" * 14          # 166 characters
    d, ns = deliver(aliyun_channel("sms", gw.port, "aliyun", ", max_segments = 2")
                    + aliyun_channel("sms-bad", gw.port, "aliyun_old"), "inc-sms-aliyun", title=title)
    check_fates(d, gw, ns, "SignatureDoesNotMatch", "isv.MOBILE_NUMBER_ILLEGAL")

    # max_segments = 2 on "sms": 133 characters and "…"; "sms-bad" keeps 4.
    zhao = gw.to(PHONES["zhao"])[0].text
    expect(sms_units(zhao) == 134 and zhao.endswith("…") and sms_segments_ucs2(zhao) == 2,
           f"zhao: want 133 characters and '…' (2 SMS), got {sms_units(zhao)}: {zhao!r}")
    expect(("【事件报告】" + title).startswith(zhao[:-1]), f"zhao: not a cut of the text: {zhao!r}")
    li = gw.to(PHONES["li"])[0].text
    expect(not li.endswith("…") and title in li, f"li: the whole text, got {li!r}")
    check_log(d)


def test_sms_tencent():
    gw = Tencent()
    d, ns = deliver(tencent_channel("sms", gw.port, "tencent")
                    + tencent_channel("sms-bad", gw.port, "tencent_old"), "inc-sms-tencent")
    check_fates(d, gw, ns, "AuthFailure.SignatureFailure", "InvalidParameterValue.IncorrectPhoneNumber")
    check_log(d)


def test_sms_twilio():
    gw = Twilio()
    d, ns = deliver(twilio_channel("sms", gw.port, "twilio")
                    + twilio_channel("sms-bad", gw.port, "twilio_old"), "inc-sms-twilio")
    qian = check_fates(d, gw, ns, "20003", "21211")
    expect(qian[0].status == 429, f"qian: first answer {qian[0]!r}")
    gap = qian[1].mono - qian[0].mono
    expect(gap >= 1.9, f"qian: retried {gap:.2f}s after a 429 with Retry-After: 2")
    check_log(d)


def test_sms_http():
    """The site's own gateway; a group has no phone and gets no SMS."""
    gw = Generic()
    title = TITLE + "，" + "异常外联" * 20
    d, ns = deliver(generic_channels(gw.port), "inc-sms-http", n=5, title=title,
                    notify='"duty", "office"')
    office = ns.get("office") or {}
    expect(office.get("status") == "dead" and office.get("attempts") == 1
           and office.get("last_error") == "recipient has no phone",
           f"office: want dead, one attempt, 'recipient has no phone', got {short(office)}")
    check_fates(d, gw, ns, "HTTP 401", "without ok_match")
    expect(len(gw.requests) == 5, f"the gateway got {len(gw.requests)} requests, want 5: {gw.requests}")

    # max_segments = 1 on "sms": 69 characters and "…"; the JSON channel keeps it all.
    zhao = gw.to(PHONES["zhao"])[0].text
    expect(sms_units(zhao) == 70 and zhao.endswith("…") and ("【事件报告】" + title).startswith(zhao[:-1]),
           f"zhao: want 69 characters and '…', got {sms_units(zhao)}: {zhao!r}")
    li = gw.to(PHONES["li"])[0].text
    expect(title in li and not li.endswith("…"), f"li: the whole text, got {li!r}")
    check_log(d)


BAD_CHANNELS = """\
channel "no-provider" { kind = "sms" }
channel "bad-provider" { kind = "sms", provider = "sendgrid" }
channel "no-sign" { kind = "sms", provider = "aliyun", access_key_id = "a", access_key_secret = "b", template_code = "c" }
channel "wrong-key" { kind = "sms", provider = "tencent", secret_id = "a", secret_key = "b", sdk_app_id = "c", template_id = "d", access_key_id = "e" }
channel "no-from" { kind = "sms", provider = "twilio", account_sid = "a", auth_token = "b" }
channel "ftp" { kind = "sms", provider = "http", url = "ftp://127.0.0.1/send" }
channel "bad-header" { kind = "sms", provider = "http", url = "http://127.0.0.1:9/", headers = { "NoColon" } }
channel "bad-method" { kind = "sms", provider = "http", url = "http://127.0.0.1:9/", method = "DELETE" }
channel "zero-segments" { kind = "sms", provider = "http", url = "http://127.0.0.1:9/", max_segments = 0 }
channel "bad-endpoint" { kind = "sms", provider = "twilio", account_sid = "a", auth_token = "b", from = "+1", endpoint = "api.twilio.com" }
channel "typo" { kind = "sms", provider = "http", url = "http://127.0.0.1:9/", ok_statuss = 200 }
channel "number-region" { kind = "sms", provider = "tencent", secret_id = "a", secret_key = "b", sdk_app_id = "c", template_id = "d", region = 5 }
"""

BAD_WANT = {
    "no-provider": "\"provider\" must be aliyun, tencent, twilio or http",
    "bad-provider": "\"provider\" must be aliyun, tencent, twilio or http",
    "no-sign": "provider \"aliyun\" needs \"sign_name\"",
    "wrong-key": "option \"access_key_id\" is not for provider \"tencent\"",
    "no-from": "provider \"twilio\" needs \"from\" or \"messaging_service_sid\"",
    "ftp": "\"url\" must be an http:// or https:// URL",
    "bad-header": "\"headers\" item 1 is not \"Name: value\"",
    "bad-method": "\"method\" must be POST, PUT or GET",
    "zero-segments": "\"max_segments\" must be a whole number from 1 to 10",
    "bad-endpoint": "\"endpoint\" must be an http:// or https:// URL",
    "typo": "unknown option \"ok_statuss\" for kind \"sms\" (did you mean \"ok_status\"?)",
    "number-region": "\"region\" must be a string",
}


def test_sms_check():
    """tocsind --check names each bad SMS channel; the four good ones pass."""
    base = harness.CTX.subdir("check")

    def check(channels):
        files = sms_site(channels)
        for name, text in files.items():
            path = os.path.join(base, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("@PORT@", "8470"))
        r = subprocess.run([harness.TOCSIND, "-c", "site.lua", "--check"], cwd=base,
                           capture_output=True, text=True, timeout=30, env=CLEAN_ENV)
        return r.returncode, r.stdout + r.stderr

    good = (aliyun_channel("sms", 9, "aliyun") + tencent_channel("sms-tc", 9, "tencent")
            + twilio_channel("sms-tw", 9, "twilio") + generic_channels(9, "gw-form", "gw-json")
            + 'channel "sms-bad" { kind = "sms", provider = "http", url = "https://sms.example.org/send", '
              'method = "GET", ok_status = 200 }\n')
    rc, out = check(good)
    expect(rc == 0, f"--check of good SMS channels: want exit 0, got {describe_exit(rc)}: {out.strip()!r}")

    rc, out = check(good.replace('channel "sms-bad"', 'channel "sms-unused"') + BAD_CHANNELS
                    + 'channel "sms-bad" { kind = "log" }\n')
    expect(rc == 1, f"--check of bad SMS channels: want exit 1, got {describe_exit(rc)}: {out.strip()!r}")
    lines = out.splitlines()
    for name, want in BAD_WANT.items():
        hit = [l for l in lines if f'channel "{name}"' in l]
        expect(hit and want in hit[0], f"channel {name}: want {want!r}, got {hit or out.strip()!r}")
    named = {m.group(1) for m in re.finditer(r'channel "([^"]+)"', out)}
    expect(named == set(BAD_WANT), f"--check named channels {sorted(named)}, want {sorted(BAD_WANT)}")
