"""Voice channel end-to-end tests: the real daemon against a local fake of
Aliyun's voice service (SingleCallByTts) and of Tencent Cloud's voice
message service (SendTtsVoice).

Each fake listens on 127.0.0.1 only and checks a request the way the
provider would: it recomputes the Aliyun RPC signature from the form
fields and the TC3 Authorization (service "vms") from the headers and
body, in Python, apart from the C code; it checks each required
parameter; then answers with the provider's own success and error shapes.
An obligation is breached and its escalation step tells the duty role,
four people, over voice:

    zhao  +8613800000021  aliyun:  the call is placed
    qian  +8613800000022  tencent: the call is placed
    sun   +8613800000098  aliyun:  refused (isv.OUT_OF_SERVICE): the fallback
    li    +8613800000097  tencent: refused (FailedOperation...): the fallback

The people and numbers are fictional.
"""

import harness
from harness import *
import urllib.parse
import uuid
from datetime import timezone

from test_sms import Gateway, enc, KEY_RE

PHONES = {"zhao": "+8613800000021", "qian": "+8613800000022",
          "sun": "+8613800000098", "li": "+8613800000097"}
REFUSED = {PHONES["sun"], PHONES["li"]}
TITLE = "化工园区储罐泄漏"
SECRETS = {"aliyun_voice": "aliyun-voice-secret-0123456789",
           "tencent_voice": "tencent-voice-secret-key-0123456789"}


class AliyunVoice(Gateway):
    KEY_ID = "LTAI5tTocsinVoiceKey"
    FIXED = {"Action": "SingleCallByTts", "Format": "JSON", "Version": "2017-05-25",
             "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
             "TtsCode": "TTS_200001", "CalledShowNumber": "057100000000", "PlayTimes": "2"}
    KEYS = set(FIXED) | {"AccessKeyId", "SignatureNonce", "Timestamp", "CalledNumber",
                         "TtsParam", "OutId", "Signature"}

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
        iso = re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ts)
        p(req, iso, f"Timestamp {ts!r}")
        if iso:
            self.fresh_time(req, parse_time(ts))
        nonce = f.get("SignatureNonce", "")
        with self.lock:
            p(req, nonce and nonce not in self.nonces, f"SignatureNonce {nonce!r} empty or used")
            self.nonces.add(nonce)
        # OutId: 1 to 15 bytes, as SingleCallByTts documents.
        req.key = f.get("OutId", "")
        p(req, re.fullmatch(r"[0-9a-f]{15}", req.key), f"OutId {req.key!r}")
        number = f.get("CalledNumber", "")
        p(req, re.fullmatch(r"1\d{10}", number), f"CalledNumber {number!r} (mainland, no +86)")
        req.phone = "+86" + number
        param = json.loads(f.get("TtsParam", "null"))
        p(req, isinstance(param, dict) and set(param) == {"msg"}, f"TtsParam {param!r}")
        req.text = (param or {}).get("msg")
        p(req, req.text is not None and len(req.text) <= 120, f"TtsParam text of {len(req.text or '')} characters")
        if f.get("AccessKeyId") != self.KEY_ID:
            req.auth = "InvalidAccessKeyId.NotFound"
        elif f.get("Signature") != self.signature(SECRETS["aliyun_voice"], {
                k: v for k, v in f.items() if k != "Signature"}):
            req.auth = "SignatureDoesNotMatch"

    def answer(self, req, nth):
        rid = str(uuid.uuid4()).upper()
        if req.auth:
            return 400, {}, {"RequestId": rid, "Code": req.auth, "Message": "denied"}
        if req.phone in REFUSED:
            return 200, {}, {"RequestId": rid, "Code": "isv.OUT_OF_SERVICE", "Message": "业务停机"}
        req.call_id = f"{uuid.uuid4().int % 10**12}^{uuid.uuid4().int % 10**11}"
        return 200, {}, {"RequestId": rid, "Code": "OK", "Message": "OK", "CallId": req.call_id}


class TencentVoice(Gateway):
    SECRET_ID = "AKIDtocsinVoiceSecretId"

    @staticmethod
    def signature(secret_key, host, ctype, body, ts, date):
        creq = (f"POST\n/\n\ncontent-type:{ctype.lower()}\nhost:{host}\n\ncontent-type;host\n"
                + hashlib.sha256(body).hexdigest())
        sts = (f"TC3-HMAC-SHA256\n{ts}\n{date}/vms/tc3_request\n"
               + hashlib.sha256(creq.encode()).hexdigest())
        k = ("TC3" + secret_key).encode()
        for part in (date, "vms", "tc3_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()

    def check(self, req):
        p, h = self.problem, req.headers
        p(req, req.method == "POST" and req.path == "/", f"{req.method} {req.path}")
        ctype = h.get("content-type", "")
        p(req, ctype == "application/json; charset=utf-8", f"Content-Type {ctype!r}")
        for k, v in (("x-tc-action", "SendTtsVoice"), ("x-tc-version", "2020-09-02"),
                     ("x-tc-region", "ap-guangzhou"), ("host", f"127.0.0.1:{self.port}")):
            p(req, h.get(k) == v, f"{k}: {h.get(k)!r}, want {v!r}")
        ts = h.get("x-tc-timestamp", "")
        p(req, ts.isdigit(), f"X-TC-Timestamp {ts!r}")
        if ts.isdigit():
            self.fresh_time(req, int(ts))
        body = json.loads(req.raw.decode("utf-8"))
        want = {"TemplateId", "TemplateParamSet", "CalledNumber", "VoiceSdkAppid",
                "SessionContext", "PlayTimes"}
        p(req, set(body) == want, f"body keys {sorted(body)}")
        p(req, body.get("VoiceSdkAppid") == "1400000002" and body.get("TemplateId") == "200001"
          and body.get("PlayTimes") == 2, f"app, template or play times in {short(body)}")
        params = body.get("TemplateParamSet")
        p(req, isinstance(params, list) and len(params) == 1 and isinstance(params[0], str)
          and len(params[0]) <= 120, f"TemplateParamSet {params!r}")
        req.phone = body.get("CalledNumber")
        p(req, re.fullmatch(r"\+86\d{11}", req.phone or ""), f"CalledNumber {req.phone!r}")
        req.text = (params or [None])[0]
        req.key = body.get("SessionContext")
        p(req, KEY_RE.fullmatch(req.key or ""), f"SessionContext {req.key!r}")
        m = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d\d-\d\d)/vms/tc3_request, "
                         r"SignedHeaders=content-type;host, Signature=([0-9a-f]{64})",
                         h.get("authorization", ""))
        if not m or not ts.isdigit():
            req.auth = "AuthFailure.InvalidAuthorization"
            return
        utc_date = datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%d")
        if m.group(1) != self.SECRET_ID:
            req.auth = "AuthFailure.SecretIdNotFound"
        elif m.group(2) != utc_date or m.group(3) != self.signature(
                SECRETS["tencent_voice"], h.get("host", ""), ctype, req.raw, ts, utc_date):
            req.auth = "AuthFailure.SignatureFailure"

    def answer(self, req, nth):
        rid = str(uuid.uuid4())
        if req.auth:
            return 200, {}, {"Response": {"Error": {"Code": req.auth, "Message": "denied"},
                                          "RequestId": rid}}
        if req.phone in REFUSED:
            return 200, {}, {"Response": {"Error": {
                "Code": "FailedOperation.InsufficientBalanceInVoicePackage",
                "Message": "套餐包余量不足"}, "RequestId": rid}}
        req.call_id = str(uuid.uuid4())
        return 200, {}, {"Response": {"SendStatus": {"CallId": req.call_id,
                                                     "SessionContext": req.key}, "RequestId": rid}}


PEOPLE = """\
person "zhao" {{ name = "赵一", phone = "{zhao}", roles = {{ "duty" }}, channels = {{ "voice-ali" }} }}
person "qian" {{ name = "钱二", phone = "{qian}", roles = {{ "duty" }}, channels = {{ "voice-tc" }} }}
person "sun"  {{ name = "孙三", phone = "{sun}", roles = {{ "duty" }}, channels = {{ "voice-ali" }} }}
person "li"   {{ name = "李四", phone = "{li}", roles = {{ "duty" }}, channels = {{ "voice-tc" }} }}
person "zhou" {{ name = "周局长", phone = "+8613800000029", roles = {{ "principal" }}, channels = {{ "office-log" }} }}
group "office" {{ name = "办公室", members = {{}}, channels = {{ "office-log" }} }}
"""

# The obligation is breached after 1 s; the policy's first step calls the duty
# role, its second tells the principal an hour later -- or at once, when a
# call of the first step goes unanswered.
RULES = """\
procedure "chem" {
  title = "危化品事故",
  match = { category = "hazmat" },
  on_open = { notify = { "office" } },
  obligations = {
    { id = "assessment", title = "评估", due = "1s", met_by = { type = "assessment" },
      owner = "office", on_breach = "call-duty" },
  },
}
policy "call-duty" {
  { notify = { "duty" } },
  { after = "1h", notify = { "principal" } },
}
"""


TOKENS = {"voice-ali": "cb-ali-0123456789abcdef0123456789abcdef",
          "voice-tc": "cb-tc-0123456789abcdef0123456789abcdef"}


def voice_site(ali_port, tc_port):
    site = ('site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." } }\n'
            f'channel "voice-ali" {{ kind = "voice", provider = "aliyun", '
            f'endpoint = "http://127.0.0.1:{ali_port}/", access_key_id = "{AliyunVoice.KEY_ID}", '
            f'access_key_secret = secret("aliyun_voice"), tts_code = "TTS_200001", '
            f'tts_param = "msg", called_show_number = "057100000000", play_times = 2, '
            f'max_chars = 120, fallback = "fallback-log", '
            f'callback_token = "{TOKENS["voice-ali"]}" }}\n'
            f'channel "voice-tc" {{ kind = "voice", provider = "tencent", '
            f'endpoint = "http://127.0.0.1:{tc_port}/", secret_id = "{TencentVoice.SECRET_ID}", '
            f'secret_key = secret("tencent_voice"), voice_sdk_app_id = "1400000002", '
            f'template_id = "200001", play_times = 2, max_chars = 120, fallback = "fallback-log", '
            f'callback_token = "{TOKENS["voice-tc"]}" }}\n'
            'channel "fallback-log" { kind = "log" }\n'
            'channel "office-log" { kind = "log" }\n'
            + PEOPLE.format(**PHONES))
    files = {"site.lua": site, "rules.lua": RULES}
    for name, value in SECRETS.items():
        files[f"secrets/{name}"] = value + "\n"
    return files


def test_voice_escalation():
    """An escalation step calls the duty role through both providers; a
    provider's refusal hands the call to the fallback channel."""
    ali, tc = AliyunVoice(), TencentVoice()
    d = Daemon(voice_site(ali.port, tc.port), args=("--log-level", "debug")).start()
    key = "inc-voice"
    d.accept(report(key, title=TITLE, category="hazmat"))

    def settled():
        ns = d.notifications(key)
        voice = [x for x in ns if x.get("channel") in ("voice-ali", "voice-tc")]
        fb = [x for x in ns if x.get("channel") == "fallback-log"]
        done = all(x.get("status") in ("delivered", "dead") for x in voice + fb)
        return (voice, fb) if len(voice) == 4 and len(fb) == 2 and done else None
    voice, fb = wait_until(settled, 30, "four calls and two fallbacks to settle")
    by = {x["recipient"]: x for x in voice}

    for who, gw, channel, status in (("zhao", ali, "voice-ali", "delivered"),
                                     ("qian", tc, "voice-tc", "delivered"),
                                     ("sun", ali, "voice-ali", "dead"),
                                     ("li", tc, "voice-tc", "dead")):
        n = by.get(who)
        expect(n is not None and n.get("channel") == channel and n.get("status") == status
               and n.get("attempts") == 1, f"{who}: want {status} on {channel} after one call, got {short(n)}")
        reqs = gw.to(PHONES[who])
        expect(len(reqs) == 1, f"{who}: the gateway got {len(reqs)} requests: {reqs}")
        r = reqs[0]
        expect(not r.problems and r.auth is None, f"{who}: the gateway found the request wrong: "
               f"{r.problems} auth={r.auth}")
        want_key = n["key"][-15:] if gw is ali else n["key"]
        expect(r.key == want_key, f"{who}: request key {r.key!r}, want {want_key!r}")
        expect(r.text and TITLE in r.text, f"{who}: the call does not read the title: {r.text!r}")
    expect("isv.OUT_OF_SERVICE" in (by["sun"].get("last_error") or ""),
           f"sun: last_error {by['sun'].get('last_error')!r}")
    expect("FailedOperation.InsufficientBalanceInVoicePackage" in (by["li"].get("last_error") or ""),
           f"li: last_error {by['li'].get('last_error')!r}")
    expect(sorted(x["recipient"] for x in fb) == ["li", "sun"]
           and all(x.get("status") == "delivered" for x in fb),
           f"the refused calls go to the fallback channel: {short(fb)}")
    for who in ("sun", "li"):
        tl = timeline(d.incident(key), "notification.fallback", recipient=who)
        expect(len(tl) == 1 and tl[0].get("fallback") == "fallback-log",
               f"{who}: one notification.fallback to fallback-log: {short(tl)}")

    d.stop()
    with open(d.log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for who, phone in PHONES.items():
        expect(phone[3:] not in text, f"the log holds {who}'s number")
    for name, value in SECRETS.items():
        expect(value not in text, f"the log holds the secret {name}")


def test_voice_wrong_secret():
    """A wrong key is refused by each fake's own signature check: dead at once."""
    ali, tc = AliyunVoice(), TencentVoice()
    files = voice_site(ali.port, tc.port)
    files["secrets/aliyun_voice"] = "aliyun-voice-secret-retired\n"
    files["secrets/tencent_voice"] = "tencent-voice-secret-retired\n"
    d = Daemon(files).start()
    d.accept(report("inc-voice-key", title=TITLE, category="hazmat"))

    def settled():
        ns = [x for x in d.notifications("inc-voice-key") if x.get("channel") in ("voice-ali", "voice-tc")]
        return ns if len(ns) == 4 and all(x.get("status") == "dead" for x in ns) else None
    ns = wait_until(settled, 30, "four refused calls")
    errors = sorted({x.get("last_error") for x in ns})
    expect(errors == ["aliyun: SignatureDoesNotMatch (HTTP 400)",
                      "tencent: AuthFailure.SignatureFailure (HTTP 200)"], f"errors {errors}")


def test_voice_call_results():
    """The providers' call-result callbacks are recorded per message; an
    answered call leaves the escalation alone, an unanswered one takes the
    next step at once instead of an hour later."""
    ali, tc = AliyunVoice(), TencentVoice()
    d = Daemon(voice_site(ali.port, tc.port)).start()
    key = "inc-voice-result"
    d.accept(report(key, title=TITLE, category="hazmat"))

    def placed():
        ns = [x for x in d.notifications(key) if x.get("channel") in ("voice-ali", "voice-tc")
              and x.get("status") in ("delivered", "dead")]
        return ns if len(ns) == 4 else None
    wait_until(placed, 30, "the four calls of step 1")
    zhao, qian = ali.to(PHONES["zhao"])[0], tc.to(PHONES["qian"])[0]

    def step2():
        return timeline(d.incident(key), "escalation.step", step=2)

    # A wrong token is no callback; nothing is recorded.
    r = d.request("POST", "/v1/callbacks/" + "x" * 40, [{"call_id": zhao.call_id, "status_code": "200003"}])
    expect(r.status == 404, f"a wrong token: want 404, got {r!r}")
    r = d.request("POST", "/v1/callbacks/" + TOKENS["voice-ali"], {"call_id": zhao.call_id})
    expect(r.status == 400, f"a receipt that is not an array: want 400, got {r!r}")

    # Aliyun's VoiceReport: zhao listened to the end; a stranger's call id is ignored.
    r = d.request("POST", "/v1/callbacks/" + TOKENS["voice-ali"], [
        {"status_code": "200000", "smart_status_code": "ANSWERED", "hangup_direction": "用户",
         "callee": PHONES["zhao"][3:], "duration": "21", "voice_type": "voice",
         "out_id": zhao.key, "call_id": zhao.call_id, "status_msg": "用户听完挂断"},
        {"status_code": "200003", "call_id": "999999^999999", "out_id": "x"}])
    expect(r.status == 200 and r.data == {"code": 0, "msg": "成功"},
           f"Aliyun's receipt: want 200 {{code:0,msg:成功}}, got {r!r}")
    got = timeline(d.incident(key), "notification.receipt")
    expect(len(got) == 1 and got[0].get("recipient") == "zhao" and got[0].get("status") == "answered"
           and got[0].get("channel") == "voice-ali" and got[0].get("detail") == "200000",
           f"zhao's receipt on the timeline: {short(got)}")
    expect(not step2(), "an answered call moved the escalation on")

    # Tencent's voiceprompt_callback: qian did not pick up.
    t0 = time.monotonic()
    r = d.request("POST", "/v1/callbacks/" + TOKENS["voice-tc"], {"voiceprompt_callback": {
        "result": "1", "accept_time": "0", "call_from": "", "callid": qian.call_id,
        "end_calltime": "0", "fee": "0", "mobile": PHONES["qian"][3:], "nationcode": "86",
        "start_calltime": str(int(time.time()))}})
    expect(r.status == 200 and r.data == {"result": 0, "errmsg": "OK"},
           f"Tencent's callback: want 200 {{result:0,errmsg:OK}}, got {r!r}")
    got = timeline(d.incident(key), "notification.receipt", recipient="qian")
    expect(len(got) == 1 and got[0].get("status") == "unanswered", f"qian's receipt: {short(got)}")
    steps = step2()
    expect(len(steps) == 1, f"an unanswered call takes step 2 at once, not in an hour: {short(steps)}")
    told = wait_until(lambda: [x for x in d.notifications(key) if x.get("recipient") == "zhou"
                               and x.get("status") == "delivered"], 10, "the principal told")
    expect(len(told) == 1 and time.monotonic() - t0 < 10, f"the principal: {short(told)}")

    # A second unanswered call of the same step does not skip another step.
    r = d.request("POST", "/v1/callbacks/" + TOKENS["voice-tc"], {"voiceprompt_callback": {
        "result": "1", "callid": qian.call_id}})
    expect(r.status == 200, f"a repeated callback: {r!r}")
    expect(len(step2()) == 1 and not timeline(d.incident(key), "escalation.step", step=3),
           "a repeated callback moved the escalation again")
