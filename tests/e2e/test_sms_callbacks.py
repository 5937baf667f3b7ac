"""SMS callbacks end-to-end: delivery receipts and replies that acknowledge.

The real daemon sends through the fake Aliyun, Tencent and Twilio gateways of
test_sms.py; the providers' later word then comes back the way each provider
pushes it, to POST /v1/callbacks/{callback_token}:

    Aliyun   SmsReport / SmsUp arrays (unsigned: the path is the credential)
    Tencent  status-report array / reply object (unsigned)
    Twilio   form posts signed in X-Twilio-Signature

The Twilio signature is computed here, independently of tocsin's C code,
from Twilio's documented algorithm (www.twilio.com/docs/usage/security):
base64(HMAC-SHA1(auth token, URL + each POST parameter's name and value,
sorted by name)).

Three units, one duty person each, each on one provider:

    hosp-a  zhao  +8613800000011  Aliyun
    hosp-b  qian  +8613800000015  Tencent
    hosp-c  sun   +8613800000013  Twilio

The people and numbers are fictional.
"""

import base64
import hashlib
import hmac
import urllib.error
import urllib.parse
import urllib.request
import uuid

from harness import *
import test_sms as sms

PHONES = {"zhao": "+8613800000011", "qian": "+8613800000015", "sun": "+8613800000013"}
UNITS = {"zhao": "hosp-a", "qian": "hosp-b", "sun": "hosp-c"}
TOKENS = {"sms-ali": "cb" + "a1" * 20, "sms-tc": "cb" + "c2" * 20, "sms-tw": "cb" + "e3" * 20}
TWILIO_TOKEN = sms.SECRETS["twilio"]


class Aliyun(sms.Aliyun):
    """Each BizId unique, kept on the request, as a status report names it."""

    def answer(self, req, nth):
        status, headers, body = super().answer(req, nth)
        if "BizId" in body:
            body["BizId"] = req.ref = f"{uuid.uuid4().int % 10**12}^0"
        return status, headers, body


class Tencent(sms.Tencent):
    def answer(self, req, nth):
        status, headers, body = super().answer(req, nth)
        sent = body.get("Response", {}).get("SendStatusSet")
        if sent:
            req.ref = sent[0]["SerialNo"]
        return status, headers, body


class Twilio(sms.Twilio):
    def answer(self, req, nth):
        status, headers, body = super().answer(req, nth)
        req.ref = body.get("sid")
        return status, headers, body


def site(ali, tc, tw):
    channels = (
        sms.aliyun_channel("sms-ali", ali, "aliyun",
                           f', fallback = "fallback-log", callback_token = "{TOKENS["sms-ali"]}"')
        + f'channel "sms-tc" {{ kind = "sms", provider = "tencent", endpoint = "http://127.0.0.1:{tc}/", '
        f'secret_id = "{sms.Tencent.SECRET_ID}", secret_key = secret("tencent"), sdk_app_id = "1400000001", '
        f'sign_name = "应急办", template_id = "100001", region = "ap-beijing", '
        f'fallback = "fallback-log", callback_token = "{TOKENS["sms-tc"]}" }}\n'
        f'channel "sms-tw" {{ kind = "sms", provider = "twilio", endpoint = "http://127.0.0.1:{tw}", '
        f'account_sid = "{sms.Twilio.SID}", auth_token = secret("twilio"), from = "{sms.Twilio.FROM}", '
        f'fallback = "fallback-log", callback_token = "{TOKENS["sms-tw"]}" }}\n'
        'channel "fallback-log" { kind = "log" }\n')
    people = "".join(
        f'person "{who}" {{ name = "{who}", phone = "{PHONES[who]}", channels = {{ "{ch}" }} }}\n'
        f'unit "{UNITS[who]}" {{ name = "{UNITS[who]}", roles = {{ duty = "{who}" }} }}\n'
        for who, ch in (("zhao", "sms-ali"), ("qian", "sms-tc"), ("sun", "sms-tw")))
    text = ('site { listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = { "." },'
            ' public_url = "http://127.0.0.1:@PORT@/" }\n' + channels + people)
    files = {"site.lua": text, "rules.lua": sms.RULES.format(notify='"unit.duty"').replace('owner = "duty"', 'owner = "unit.duty"')}
    for name, value in sms.SECRETS.items():
        files[f"secrets/{name}"] = value + "\n"
    return files


def start():
    """Gateways, a daemon, one incident per unit, each SMS accepted."""
    gws = {"zhao": Aliyun(), "qian": Tencent(), "sun": Twilio()}
    d = Daemon(site(gws["zhao"].port, gws["qian"].port, gws["sun"].port)).start()
    keys = {}
    for who in PHONES:
        keys[who] = f"sms-cb-{who}"
        d.accept(report(keys[who], unit=UNITS[who]))

    def sent():
        got = {}
        for who, key in keys.items():
            ns = [n for n in d.notifications(key) if n.get("recipient") == who]
            reqs = gws[who].to(PHONES[who])
            if len(ns) != 1 or ns[0].get("status") != "delivered" or not reqs:
                return None
            got[who] = (ns[0], reqs[-1].ref)
        return got
    got = wait_until(sent, 30, "each unit's SMS accepted by its gateway")
    for who, (n, ref) in got.items():
        expect(ref, f"{who}: the fake gateway gave no message id")
        expect((n.get("receipt") or {}).get("status") == "accepted",
               f"{who}: before any report the receipt is 'accepted': {short(n)}")
    return d, gws, keys, {who: ref for who, (n, ref) in got.items()}


def twilio_signature(url, params, token=TWILIO_TOKEN):
    """Twilio's documented algorithm, written here, not taken from tocsin."""
    text = url + "".join(k + v for k, v in sorted(params.items()))
    mac = hmac.new(token.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def twilio_post(d, params, signature):
    """A Twilio form post to the channel's callback URL."""
    path = "/v1/callbacks/" + TOKENS["sms-tw"]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    body = urllib.parse.urlencode(params).encode("utf-8")
    req = urllib.request.Request(d.base + path, data=body, method="POST", headers=headers)
    try:
        with URLOPEN(req, timeout=10) as r:
            return r.status, r.read().decode("utf-8"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8"), dict(e.headers)


def twilio_url(d):
    return d.base + "/v1/callbacks/" + TOKENS["sms-tw"]


def receipt(d, key, who, channel):
    ns = [n for n in d.notifications(key) if n.get("recipient") == who and n.get("channel") == channel]
    return (ns[0].get("receipt") or {}) if len(ns) == 1 else {}


def expect_refused(d, params, signature, what):
    before = d.snapshot()
    status, body, _ = twilio_post(d, params, signature)
    expect(status == 403 and "X-Twilio-Signature" in body,
           f"{what}: want 403 naming X-Twilio-Signature, got {status} {body!r}")
    expect(d.snapshot() == before, f"{what}: the store changed")


def test_sms_delivery_receipts():
    """Delivered and failed reports per provider; a failure falls back; a
    forged or unsigned Twilio report is refused and changes nothing."""
    d, gws, keys, refs = start()
    try:
        # Aliyun: delivered to zhao's handset.
        r = d.request("POST", "/v1/callbacks/" + TOKENS["sms-ali"], [{
            "phone_number": PHONES["zhao"], "send_time": "2026-12-07 03:00:01",
            "report_time": "2026-12-07 03:00:04", "success": True, "err_code": "DELIVERED",
            "err_msg": "用户接收成功", "sms_size": "1", "biz_id": refs["zhao"], "out_id": ""}])
        expect(r.status == 200 and r.data == {"code": 0, "msg": "接收成功"}, f"Aliyun's answer: {r!r}")
        rc = receipt(d, keys["zhao"], "zhao", "sms-ali")
        expect(rc.get("status") == "delivered" and rc.get("detail") == "DELIVERED",
               f"zhao: want delivered, got {rc}")

        # Tencent: qian's handset never got it: the fallback channel takes over.
        r = d.request("POST", "/v1/callbacks/" + TOKENS["sms-tc"], [{
            "user_receive_time": "2026-12-07 03:00:05", "nationcode": "86",
            "mobile": PHONES["qian"][3:], "report_status": "FAIL", "errmsg": "MK:0005",
            "description": "用户关机", "sid": refs["qian"]}])
        expect(r.status == 200 and r.data == {"result": 0, "errmsg": "OK"}, f"Tencent's answer: {r!r}")
        rc = receipt(d, keys["qian"], "qian", "sms-tc")
        expect(rc.get("status") == "failed" and rc.get("detail") == "MK:0005", f"qian: want failed, got {rc}")
        wait_until(lambda: receipt(d, keys["qian"], "qian", "fallback-log"), 15,
                   "qian's message on the fallback channel")

        # Twilio: unsigned, wrongly keyed, or signed for other parameters: refused.
        params = {"AccountSid": sms.Twilio.SID, "MessageSid": refs["sun"], "SmsSid": refs["sun"],
                  "MessageStatus": "undelivered", "ErrorCode": "30003", "To": PHONES["sun"],
                  "From": sms.Twilio.FROM, "ApiVersion": "2010-04-01"}
        expect_refused(d, params, None, "an unsigned status callback")
        expect_refused(d, params, twilio_signature(twilio_url(d), params, "not-the-token"),
                       "a callback signed with another token")
        good = dict(params, MessageStatus="delivered")
        good.pop("ErrorCode")
        expect_refused(d, params, twilio_signature(twilio_url(d), good),
                       "a signature over other parameters")
        expect(receipt(d, keys["sun"], "sun", "sms-tw").get("status") == "accepted",
               "sun: a refused callback changed the receipt")
        # Signed as Twilio signs it: taken, answered with empty TwiML.
        status, body, headers = twilio_post(d, good, twilio_signature(twilio_url(d), good))
        expect(status == 200 and "<Response></Response>" in body
               and headers.get("Content-Type", "").startswith("text/xml"),
               f"Twilio's answer: {status} {headers} {body!r}")
        rc = receipt(d, keys["sun"], "sun", "sms-tw")
        expect(rc.get("status") == "delivered", f"sun: want delivered, got {rc}")
        expect(not receipt(d, keys["sun"], "sun", "fallback-log"), "sun: a delivered message fell back")
    finally:
        d.stop()
        for gw in gws.values():
            gw.close()


def test_sms_reply_acknowledges():
    """ "1" / "收到" back through each provider acknowledges the replier's own
    incident; an unknown number, another unit's incident, a forged Twilio
    reply acknowledge nothing."""
    d, gws, keys, refs = start()
    try:
        def acked(who):
            return d.incident(keys[who]).get("acknowledged_by")

        # A number not on the roster: kept, acknowledges nothing.
        r = d.request("POST", "/v1/callbacks/" + TOKENS["sms-ali"], [{
            "phone_number": "+8613800000077", "send_time": "2026-12-07 03:01:00",
            "content": "1", "sign_name": "应急办", "dest_code": "", "sequence_id": 1}])
        expect(r.status == 200, f"Aliyun SmsUp from a stranger: {r!r}")
        expect(not any(acked(w) for w in PHONES), "a stranger's reply acknowledged something")

        # A forged Twilio reply from sun: refused, nothing acknowledged.
        params = {"AccountSid": sms.Twilio.SID, "MessageSid": "SM" + uuid.uuid4().hex,
                  "From": PHONES["sun"], "To": sms.Twilio.FROM, "Body": "1", "NumMedia": "0"}
        expect_refused(d, params, twilio_signature(twilio_url(d), params, "guessed-token"),
                       "a forged reply")
        expect(not acked("sun"), "a forged reply acknowledged")

        # qian texts "收到" (Tencent's reply push): her unit's incident only.
        r = d.request("POST", "/v1/callbacks/" + TOKENS["sms-tc"], {
            "extend": "", "mobile": PHONES["qian"][3:], "nationcode": "86", "sign": "应急办",
            "text": "收到", "time": 1796612460})
        expect(r.status == 200 and r.data == {"result": 0, "errmsg": "OK"}, f"Tencent reply: {r!r}")
        wait_until(lambda: acked("qian") == "qian", 15, "qian's incident acknowledged by qian")
        expect(not acked("zhao") and not acked("sun"),
               "qian's reply acknowledged another unit's incident")

        # zhao through Aliyun; a word that is not an ack first.
        for text in ("谁？", "1"):
            r = d.request("POST", "/v1/callbacks/" + TOKENS["sms-ali"], [{
                "phone_number": PHONES["zhao"][3:], "send_time": "2026-12-07 03:02:00",
                "content": text, "sign_name": "应急办", "dest_code": "", "sequence_id": 2}])
            expect(r.status == 200, f"Aliyun SmsUp {text!r}: {r!r}")
            if text != "1":
                expect(not acked("zhao"), f"{text!r} acknowledged")
        wait_until(lambda: acked("zhao") == "zhao", 15, "zhao's incident acknowledged by zhao")

        # sun through Twilio, signed as Twilio signs.
        status, body, _ = twilio_post(d, params, twilio_signature(twilio_url(d), params))
        expect(status == 200 and "<Response></Response>" in body, f"Twilio reply: {status} {body!r}")
        wait_until(lambda: acked("sun") == "sun", 15, "sun's incident acknowledged by sun")
        # The replies are logged by person and outcome, never by whole number.
        d.stop()
        with open(d.log_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        expect("outcome=unknown_number" in text and "outcome=acknowledged" in text,
               "the replies' outcomes are not in the log")
        for phone in list(PHONES.values()) + ["+8613800000077"]:
            expect(phone[3:] not in text, f"the log holds the whole number {phone}")
    finally:
        d.stop()
        for gw in gws.values():
            gw.close()
