"""Chat robot channels: DingTalk, WeCom and Feishu custom robots.

Each provider is played by a small server on 127.0.0.1 that checks a request
the way the provider does -- path and token, Content-Type, the JSON shape,
the signature recomputed here -- and answers with the provider's own success
or error JSON.  Every request it sees is recorded with what was wrong with it
(None when nothing was), so a test can insist that nothing was.
"""

import harness
from harness import *
import urllib.parse

DING_TOKEN = "ding-e2e-token-0123456789"
DING_SECRET = "SECe2e0123456789abcdef0123456789abcdef0123456789abcdef01234567"
WECOM_KEY = "693a91f6-7e2e-4bc4-97a0-0ec2e2e2e2e2"
FEISHU_HOOK = "3f0e2e2e-1b38-4d1b-a994-790f21fc8d30"
FEISHU_SECRET = "feishu-e2e-secret-0123456789"

# Group "office" holds zhao and sun: its robot mentions both.
MOBILES = ["13800000001", "13800000003"]

ELLIPSIS = "\u2026"


class Request:
    def __init__(self, path, query, headers, raw):
        self.path = path
        self.query = query                # raw query string
        self.headers = headers            # lower-case names
        self.raw = raw
        self.wall = time.time()
        self.mono = time.monotonic()
        self.body = None
        self.problem = None               # what the provider would object to
        self.answer = None                # the JSON we answered

    @property
    def key(self):
        return self.headers.get("idempotency-key")

    def __repr__(self):
        return f"<{self.path}?{self.query} {self.problem or 'ok'} {self.raw[:200]!r}>"


class Robot:
    """A fake provider.  Subclasses check a request and say how to answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.forced = []                  # answers for the next good requests
        robot = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path, _, query = self.path.partition("?")
                req = Request(path, query, {k.lower(): v for k, v in self.headers.items()}, raw)
                status, answer = robot.handle(req)
                req.answer = answer
                with robot.lock:
                    robot.requests.append(req)
                reply = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        harness.CTX.sinks.append(self)

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def force(self, *answers):
        """Answer the next well-formed requests with these (status, json)."""
        with self.lock:
            self.forced.extend(answers)

    def handle(self, req):
        """Check req; return (HTTP status, answer JSON)."""
        if not req.headers.get("content-type", "").startswith("application/json"):
            return self.refuse(req, f"Content-Type is {req.headers.get('content-type')!r}")
        try:
            req.body = json.loads(req.raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return self.refuse(req, f"body is not UTF-8 JSON: {e}")
        if not isinstance(req.body, dict):
            return self.refuse(req, "body is not a JSON object")
        problem = self.check(req)
        if problem is not None:
            return self.refuse(req, problem)
        with self.lock:
            if self.forced:
                return self.forced.pop(0)
        return 200, self.OK

    def refuse(self, req, problem):
        req.problem = problem
        return 200, self.error_for(problem)

    def seen(self, pred=lambda r: True):
        with self.lock:
            return [r for r in self.requests if pred(r)]

    def all_good(self):
        bad = [r for r in self.seen() if r.problem is not None]
        expect(not bad, f"{type(self).__name__} objected: {short([r.problem for r in bad])}")


def text_problem(text, where):
    if not isinstance(text, str) or not text:
        return f"{where} is {text!r}, want non-empty text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return f"{where} is not valid Unicode (a lone surrogate)"
    return None


class DingTalk(Robot):
    """oapi.dingtalk.com/robot/send as a custom robot with 加签."""

    OK = {"errcode": 0, "errmsg": "ok"}
    TOO_FAST = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}

    def __init__(self, tokens):
        self.tokens = tokens            # access_token -> secret or None
        super().__init__()

    def url(self, token=DING_TOKEN):
        return f"http://127.0.0.1:{self.port}/robot/send?access_token={token}"

    def error_for(self, problem):
        if problem.startswith("sign"):
            return {"errcode": 310000, "errmsg": "sign not match, more: [https://open.dingtalk.com/document/robots/customize-robot-security-settings]"}
        if problem.startswith("token"):
            return {"errcode": 300001, "errmsg": "token is not exist"}
        if problem.startswith("too long"):
            return {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}
        return {"errcode": 40035, "errmsg": f"缺少参数 json: {problem}"}

    def check(self, req):
        if req.path != "/robot/send":
            return f"token: path {req.path!r}"
        q = urllib.parse.parse_qs(req.query, keep_blank_values=True, strict_parsing=False)
        token = (q.get("access_token") or [None])[0]
        if token not in self.tokens:
            return f"token: access_token {token!r} unknown"
        secret = self.tokens[token]
        if secret is not None:
            ts, sign = (q.get("timestamp") or [None])[0], (q.get("sign") or [None])[0]
            if ts is None or sign is None:
                return f"sign: timestamp or sign missing from {req.query!r}"
            if not ts.isdigit() or abs(int(ts) - req.wall * 1000) > 3600 * 1000:
                return f"sign: timestamp {ts!r} is not within an hour of now"
            mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
            want = base64.b64encode(mac).decode()
            if sign != want:
                return f"sign: {sign!r} (decoded from the query) is not {want!r}"
        if len(req.raw) > 20000:
            return f"too long: body is {len(req.raw)} bytes, over 20000"
        b = req.body
        kind = b.get("msgtype")
        if kind == "text":
            problem = text_problem((b.get("text") or {}).get("content"), "text.content")
            content = (b.get("text") or {}).get("content")
        elif kind == "markdown":
            md = b.get("markdown") or {}
            problem = text_problem(md.get("title"), "markdown.title") or \
                text_problem(md.get("text"), "markdown.text")
            content = md.get("text")
        elif kind == "actionCard":
            return self.card_problem(b)
        else:
            return f"msgtype {kind!r}"
        if problem:
            return problem
        at = b.get("at")
        if not isinstance(at, dict) or not isinstance(at.get("atMobiles"), list) \
                or not all(isinstance(m, str) for m in at["atMobiles"]) \
                or at.get("isAtAll") is not False:
            return f"at is {at!r}, want atMobiles strings and isAtAll false"
        for m in at["atMobiles"]:
            if f"@{m}" not in content:
                return f"@{m} is in atMobiles but not in the text, so DingTalk would not mention"
        return None


    @staticmethod
    def card_problem(b):
        """The custom robot guide's actionCard: title and markdown text, and
        one whole-card button (singleTitle, singleURL) or btns; no at."""
        ac = b.get("actionCard")
        if not isinstance(ac, dict):
            return f"actionCard is {ac!r}"
        extra = set(ac) - {"title", "text", "btnOrientation", "singleTitle", "singleURL", "btns"}
        if extra or set(b) - {"msgtype", "actionCard"}:
            return f"actionCard keys {sorted(ac)}, message keys {sorted(b)}"
        problem = text_problem(ac.get("title"), "actionCard.title") or \
            text_problem(ac.get("text"), "actionCard.text") or \
            text_problem(ac.get("singleTitle"), "actionCard.singleTitle")
        if problem:
            return problem
        if ac.get("btnOrientation") not in (None, "0", "1"):
            return f"btnOrientation {ac.get('btnOrientation')!r}"
        if not re.fullmatch(r"https?://\S+", ac.get("singleURL") or ""):
            return f"singleURL {ac.get('singleURL')!r}"
        return None


class WeCom(Robot):
    """qyapi.weixin.qq.com/cgi-bin/webhook/send."""

    OK = {"errcode": 0, "errmsg": "ok"}
    TOO_FAST = {"errcode": 45009, "errmsg": "api freq out of limit, hint: [1767225600_e2e]"}
    LIMITS = {"text": 2048, "markdown": 4096}

    def __init__(self, keys):
        self.keys = keys
        super().__init__()

    def url(self, key=WECOM_KEY):
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key={key}"

    def error_for(self, problem):
        if problem.startswith("key"):
            return {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1767225600_e2e]"}
        if "exceeds" in problem:
            return {"errcode": 40058, "errmsg": problem}
        return {"errcode": 40008, "errmsg": f"invalid message type: {problem}"}

    def check(self, req):
        if req.path != "/cgi-bin/webhook/send":
            return f"key: path {req.path!r}"
        q = urllib.parse.parse_qs(req.query)
        if (q.get("key") or [None])[0] not in self.keys:
            return f"key: {q.get('key')!r} unknown"
        b = req.body
        kind = b.get("msgtype")
        if kind == "template_card":
            return self.card_problem(b.get("template_card"))
        if kind not in self.LIMITS:
            return f"msgtype {kind!r}"
        part = b.get(kind) or {}
        content = part.get("content")
        problem = text_problem(content, f"{kind}.content")
        if problem:
            return problem
        size = len(content.encode("utf-8"))
        if size > self.LIMITS[kind]:
            return f"{kind}.content is {size} bytes: exceeds {self.LIMITS[kind]}"
        mentions = part.get("mentioned_mobile_list")
        if mentions is not None:
            if kind != "text":
                return "mentioned_mobile_list is for text messages only"
            if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
                return f"mentioned_mobile_list is {mentions!r}"
        return None


    @staticmethod
    def card_problem(c):
        """群机器人配置说明, 模版卡片类型 text_notice: card_type, a main_title
        with a title or desc, and card_action (required for text_notice; type
        1 wants a url); each jump_list item of type 1 a title and a url."""
        if not isinstance(c, dict) or c.get("card_type") != "text_notice":
            return f"template_card {c!r}"
        extra = set(c) - {"card_type", "source", "main_title", "emphasis_content",
                          "quote_area", "sub_title_text", "horizontal_content_list",
                          "jump_list", "card_action"}
        if extra:
            return f"template_card keys {sorted(extra)}"
        mt = c.get("main_title")
        if not isinstance(mt, dict) or not (mt.get("title") or mt.get("desc")):
            return f"main_title {mt!r}"
        if len(mt.get("title") or "") > 26 or len(c.get("sub_title_text") or "") > 112:
            return "main_title.title over 26 or sub_title_text over 112 characters"
        act = c.get("card_action")
        if not isinstance(act, dict) or act.get("type") != 1 or \
                not re.fullmatch(r"https?://\S+", act.get("url") or ""):
            return f"card_action {act!r}"
        for j in c.get("jump_list") or []:
            if j.get("type") != 1 or not j.get("title") or not re.fullmatch(r"https?://\S+", j.get("url") or ""):
                return f"jump_list item {j!r}"
        return None


class Feishu(Robot):
    """open.feishu.cn/open-apis/bot/v2/hook/... with 签名校验."""

    OK = {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
    TOO_FAST = {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]",
                "data": {}}
    BAD_REQUEST = {"code": 9499, "msg": "Bad Request", "data": {}}

    def __init__(self, hooks):
        self.hooks = hooks              # hook id -> secret or None
        super().__init__()

    def url(self, hook=FEISHU_HOOK):
        return f"http://127.0.0.1:{self.port}/open-apis/bot/v2/hook/{hook}"

    def error_for(self, problem):
        if problem.startswith("sign"):
            return {"code": 19021, "data": {},
                    "msg": "sign match fail or timestamp is not within one hour from current time"}
        if problem.startswith("hook"):
            return {"code": 19001, "data": {},
                    "msg": "param invalid: incoming webhook access token invalid"}
        return {"code": 9499, "data": {}, "msg": f"Bad Request: {problem}"}

    def check(self, req):
        prefix = "/open-apis/bot/v2/hook/"
        hook = req.path[len(prefix):] if req.path.startswith(prefix) else None
        if hook not in self.hooks or req.query:
            return f"hook: {req.path}?{req.query} unknown"
        if len(req.raw) > 20000:        # "20 KB": the stricter reading
            return f"body is {len(req.raw)} bytes, over 20 KB"
        b = req.body
        secret = self.hooks[hook]
        if secret is not None:
            ts, sign = b.get("timestamp"), b.get("sign")
            if not isinstance(ts, str) or not ts.isdigit() or not isinstance(sign, str):
                return f"sign: timestamp {ts!r} (want a string of seconds) or sign {sign!r}"
            if abs(int(ts) - req.wall) > 3600:
                return f"sign: timestamp {ts!r} is not within an hour of now"
            mac = hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
            want = base64.b64encode(mac).decode()
            if sign != want:
                return f"sign: {sign!r} is not {want!r}"
        if b.get("msg_type") == "interactive":
            return self.card_problem(b.get("card"))
        if b.get("msg_type") != "text":
            return f"msg_type {b.get('msg_type')!r}"
        return text_problem((b.get("content") or {}).get("text"), "content.text")

    @staticmethod
    def card_problem(card):
        """A message card (发送消息卡片): header.title a plain_text, elements
        of div (text: plain_text or lark_md) and action (buttons: tag button,
        text a plain_text, a url)."""
        if not isinstance(card, dict) or not isinstance(card.get("elements"), list):
            return f"card {card!r}"
        title = (card.get("header") or {}).get("title") or {}
        if title.get("tag") != "plain_text" or not title.get("content"):
            return f"header.title {title!r}"
        for el in card["elements"]:
            tag = el.get("tag")
            if tag == "div":
                t = el.get("text") or {}
                if t.get("tag") not in ("plain_text", "lark_md"):
                    return f"div.text {t!r}"
                problem = text_problem(t.get("content"), "div.text.content")
                if problem:
                    return problem
            elif tag == "action":
                for a in el.get("actions") or []:
                    if a.get("tag") != "button" or (a.get("text") or {}).get("tag") != "plain_text" \
                            or not re.fullmatch(r"https?://\S+", a.get("url") or ""):
                        return f"action {a!r}"
            else:
                return f"element tag {tag!r}"
        return None


# ---------------------------------------------------------------- site files

ROBOT_SITE = """\
site {{ listen = "127.0.0.1:@PORT@", timezone = "Asia/Shanghai", rules = {{ "." }}{site_extra} }}
{channels}
channel "log" {{ kind = "log" }}
person "zhao" {{ name = "赵一", phone = "+8613800000001", roles = {{ "duty" }}, channels = {{ "log" }} }}
person "sun"  {{ name = "孙三", phone = "+8613800000003", roles = {{ "deputy" }}, channels = {{ "log" }} }}
group "office" {{ name = "办公室", members = {{ "zhao", "sun" }}, channels = {{ {robots} }} }}
"""

ROBOT_RULES = """\
procedure "netsec" {{
  title = "{title}",
  match = {{ category = "network_security" }},
  on_open = {{ notify = {{ "office" }} }},
  obligations = {{
    {{ id = "assessment", title = "评估", due = "{due}", met_by = {{ type = "assessment" }},
      owner = "office", on_breach = "robots" }},
  }},
}}
policy "robots" {{ {{ notify = {{ "office" }} }} }}
"""


def robot_daemon(channels, secrets=None, due="1h", title="网络安全突发事件", public_url=False):
    """A daemon whose group "office" is told through the given channels.

    channels maps a channel name to the inside of its declaration.
    """
    decl = "\n".join(f'channel "{name}" {{ {body} }}' for name, body in channels.items())
    extra = ', public_url = "http://127.0.0.1:@PORT@/"' if public_url else ""
    files = {"site.lua": ROBOT_SITE.format(channels=decl, site_extra=extra,
                                           robots=", ".join(f'"{n}"' for n in channels)),
             "rules.lua": ROBOT_RULES.format(title=title, due=due)}
    for name, value in (secrets or {}).items():
        files[f"secrets/{name}"] = value + "\n"
    return Daemon(files).start()


def robot_notifications(d, key, channel):
    return [n for n in d.notifications(key) if n.get("channel") == channel]


def settled(d, key, channel, n, status):
    """The channel's notifications once n of them have the status, else None."""
    ns = robot_notifications(d, key, channel)
    return ns if len([x for x in ns if x.get("status") == status]) >= n else None


def same_keys(d, key, channel, robot, pred=lambda r: True):
    """Every request carried its notification's idempotency key."""
    keys = {n["key"] for n in robot_notifications(d, key, channel)}
    sent = {r.key for r in robot.seen(pred)}
    expect(sent == keys, f"Idempotency-Key headers {sorted(map(str, sent))} vs "
                         f"the outbox keys {sorted(keys)}")


def message_json(r):
    """A request's JSON as text, to look for words whatever the shape."""
    return json.dumps(r.body or {}, ensure_ascii=False)


def dead_at_once(d, robot, key, channel, refused_for, words):
    """The provider refused the one request (for its sign or its token):
    the notification is dead after that attempt, and says why."""
    d.accept(report(key))
    ns = wait_until(lambda: settled(d, key, channel, 1, "dead"), 10, f"the {channel} notification dead")
    reqs = robot.seen()
    expect(len(reqs) == 1 and (reqs[0].problem or "").startswith(refused_for),
           f"want one request refused for its {refused_for}, got {reqs}")
    expect(len(ns) == 1 and ns[0].get("attempts") == 1,
           f"a refused notification was tried again: {short(ns)}")
    err = ns[0].get("last_error") or ""
    expect(words in err, f"last_error {err!r} does not say {words!r}")


def retried_then_delivered(d, robot, key, channel):
    """The first attempt was told "too fast"; the second, same key, went."""
    d.accept(report(key))
    ns = wait_until(lambda: settled(d, key, channel, 1, "delivered"), 15,
                    f"the {channel} notification delivered after the rate limit")
    expect(len(ns) == 1 and ns[0].get("attempts") == 2,
           f"want one notification delivered at attempt 2, got {short(ns)}")
    reqs = robot.seen()
    expect(len(reqs) == 2, f"want 2 requests (too fast, then ok), got {reqs}")
    expect(reqs[0].answer == robot.TOO_FAST and reqs[1].answer == robot.OK,
           f"answers: {[r.answer for r in reqs]}")
    expect(reqs[0].key == reqs[1].key == ns[0]["key"],
           f"the retry changed the idempotency key: {[r.key for r in reqs]} vs {ns[0]['key']}")
    gap = reqs[1].mono - reqs[0].mono
    expect(gap >= 0.4, f"retried {gap:.2f}s after the rate limit answer (want a backoff)")
    robot.all_good()


# ---------------------------------------------------------------- DingTalk

def test_robot_dingtalk_breach_signed_and_mentions():
    """A breach reaches a signed markdown robot and an unsigned text robot,
    both mentioning the group's members."""
    ding = DingTalk({DING_TOKEN: DING_SECRET, "ding-plain": None})
    d = robot_daemon({
        "ding": f'kind = "dingtalk", url = "{ding.url()}", secret = secret("dingtalk_office")',
        "ding_text": f'kind = "dingtalk", url = "{ding.url("ding-plain")}", format = "text"',
    }, secrets={"dingtalk_office": DING_SECRET}, due="1s")
    key = "inc-ding"
    d.accept(report(key))

    def breach(token):
        return [r for r in ding.seen(lambda r: f"access_token={token}" in r.query)
                if "超时未报" in message_json(r)]
    signed = wait_until(lambda: breach(DING_TOKEN), 10, "the breach on the signed robot")[0]
    plain = wait_until(lambda: breach("ding-plain"), 10, "the breach on the text robot")[0]
    ding.all_good()

    expect("sign=" in signed.query and "timestamp=" in signed.query,
           f"the signed robot's request carries no signature: {signed.query}")
    expect(signed.body.get("msgtype") == "markdown", f"default format: {short(signed.body)}")
    md = signed.body["markdown"]
    expect(md.get("title") == "核心交换机遭受网络攻击", f"markdown title: {md.get('title')!r}")
    expect(signed.body["at"]["atMobiles"] == MOBILES, f"atMobiles: {signed.body['at']}")
    for m in MOBILES:
        expect(f"@{m}" in md["text"], f"@{m} missing from the markdown text: {md['text']!r}")

    expect("sign=" not in plain.query, f"an unsigned robot got a signature: {plain.query}")
    expect(plain.body.get("msgtype") == "text", f"format text: {short(plain.body)}")
    content = plain.body["text"]["content"]
    expect(content.startswith("【超时未报】") and content.endswith("@13800000001 @13800000003"),
           f"text content: {content!r}")
    expect(plain.body["at"]["atMobiles"] == MOBILES, f"atMobiles: {plain.body['at']}")

    # on_open and the breach, on each robot, each delivered once.
    for ch in ("ding", "ding_text"):
        ns = wait_until(lambda: settled(d, key, ch, 2, "delivered"), 10,
                        f"both {ch} notifications delivered")
        expect(all(n.get("attempts") == 1 for n in ns), f"{ch}: {short(ns)}")
    same_keys(d, key, "ding", ding, lambda r: f"access_token={DING_TOKEN}" in r.query)
    log = open(d.log_path, encoding="utf-8").read()
    expect(DING_SECRET not in log and DING_TOKEN not in log, "the log holds the secret or token")
    d.stop()


def test_robot_dingtalk_wrong_secret_dead():
    """DingTalk answers 310000 to a bad sign: the notification is dead at once."""
    ding = DingTalk({DING_TOKEN: DING_SECRET})
    d = robot_daemon({"ding": f'kind = "dingtalk", url = "{ding.url()}", '
                              f'secret = secret("dingtalk_office")'},
                     secrets={"dingtalk_office": "SECnot-the-robots-secret"})
    dead_at_once(d, ding, "inc-ding-badsign", "ding", "sign", "errcode 310000: sign not match")
    d.stop()


def test_robot_dingtalk_too_fast_retried():
    ding = DingTalk({DING_TOKEN: DING_SECRET})
    ding.force((200, DingTalk.TOO_FAST))
    d = robot_daemon({"ding": f'kind = "dingtalk", url = "{ding.url()}", '
                              f'secret = "{DING_SECRET}", format = "text"'})
    retried_then_delivered(d, ding, "inc-ding-fast", "ding")
    d.stop()


# ---------------------------------------------------------------- WeCom

def test_robot_wecom_breach_mentions():
    wecom = WeCom({WECOM_KEY})
    d = robot_daemon({"wecom": f'kind = "wecom", url = "{wecom.url()}"'}, due="1s")
    key = "inc-wecom"
    d.accept(report(key))
    breach = wait_until(lambda: [r for r in wecom.seen() if "超时未报" in message_json(r)], 10,
                        "the breach on the WeCom robot")[0]
    wecom.all_good()
    expect(breach.body.get("msgtype") == "text", f"default format: {short(breach.body)}")
    text = breach.body["text"]
    expect(text.get("mentioned_mobile_list") == MOBILES, f"mentions: {short(text)}")
    expect(text["content"].startswith("【超时未报】核心交换机遭受网络攻击"), f"content: {text['content']!r}")
    wait_until(lambda: settled(d, key, "wecom", 2, "delivered"), 10, "both notifications delivered")
    same_keys(d, key, "wecom", wecom)
    d.stop()


def test_robot_wecom_bad_key_dead():
    """A key WeCom does not know (93000) is not worth another try."""
    wecom = WeCom({WECOM_KEY})
    d = robot_daemon({"wecom": f'kind = "wecom", url = "{wecom.url("no-such-key")}"'})
    dead_at_once(d, wecom, "inc-wecom-badkey", "wecom", "key", "errcode 93000: invalid webhook url")
    d.stop()


def test_robot_wecom_freq_limit_retried():
    wecom = WeCom({WECOM_KEY})
    wecom.force((200, WeCom.TOO_FAST))
    d = robot_daemon({"wecom": f'kind = "wecom", url = "{wecom.url()}"'})
    retried_then_delivered(d, wecom, "inc-wecom-fast", "wecom")
    d.stop()


def test_robot_wecom_truncates_utf8():
    """An overlong message is cut to WeCom's byte limits on a character
    boundary and ends with an ellipsis, in text and in markdown."""
    # 3- and 4-byte characters, so a cut can fall inside either; incident
    # titles of 10 lengths put the cut at every offset of the 10-byte unit.
    ptitle = "值班" * 3 + "".join("应急😀" for _ in range(700))      # 7018 bytes
    wecom = WeCom({WECOM_KEY})
    d = robot_daemon({"wecom": f'kind = "wecom", url = "{wecom.url()}"',
                      "wecom_md": f'kind = "wecom", url = "{wecom.url()}", format = "markdown"'},
                     title=ptitle)
    keys = [f"inc-wecom-long-{i}" for i in range(10)]
    for i, key in enumerate(keys):
        d.accept(report(key, title="核心交换机遭受网络攻击" + "x" * i))
    for key in keys:
        for ch in ("wecom", "wecom_md"):
            ns = wait_until(lambda: settled(d, key, ch, 1, "delivered")
                            or settled(d, key, ch, 1, "dead"), 10, f"{key} on {ch} settled")
            wecom.all_good()            # the fake refuses > limit and bad UTF-8
            expect(ns[0].get("status") == "delivered", f"{key} on {ch}: {short(ns)}")
    for kind, limit in WeCom.LIMITS.items():
        reqs = [r for r in wecom.seen() if r.body.get("msgtype") == kind]
        expect(len(reqs) == len(keys), f"want {len(keys)} {kind} messages, got {len(reqs)}")
        sizes = set()
        for r in reqs:
            content = r.body[kind]["content"]
            size = len(content.encode("utf-8"))
            sizes.add(size)
            expect(content.endswith(ELLIPSIS),
                   f"{kind}: a cut message must end with …: {content[-20:]!r}")
            # The cut keeps limit - 3 bytes for "…", less what would split a character.
            expect(limit - 3 <= size <= limit, f"{kind}: {size} bytes (limit {limit})")
            kept = content[:-1]
            cut = kept[kept.index("（") + 1:]
            expect(len(cut) > 100 and ptitle.startswith(cut),
                   f"{kind}: the kept text is not a prefix of the procedure title: ...{cut[-20:]!r}")
            if kind == "markdown":
                expect(content.startswith("**核心交换机遭受网络攻击"),
                       f"markdown starts with the title in bold: {content[:40]!r}")
            else:
                expect(r.body["text"].get("mentioned_mobile_list") == MOBILES,
                       f"a cut text message lost its mentions: {short(r.body['text'])}")
        expect(min(sizes) < limit, f"{kind}: no cut fell inside a character (sizes {sorted(sizes)}): "
                                   "the test did not exercise the boundary")
    d.stop()


# ---------------------------------------------------------------- Feishu

def test_robot_feishu_breach_signed():
    feishu = Feishu({FEISHU_HOOK: FEISHU_SECRET})
    d = robot_daemon({"feishu": f'kind = "feishu", url = "{feishu.url()}", '
                                f'secret = secret("feishu_office")'},
                     secrets={"feishu_office": FEISHU_SECRET}, due="1s")
    key = "inc-feishu"
    d.accept(report(key))
    breach = wait_until(lambda: [r for r in feishu.seen() if "超时未报" in message_json(r)], 10,
                        "the breach on the Feishu bot")[0]
    feishu.all_good()
    expect("sign" in breach.body and "timestamp" in breach.body, f"unsigned: {short(breach.body)}")
    expect(breach.body["content"]["text"].startswith("【超时未报】核心交换机遭受网络攻击"),
           f"text: {short(breach.body)}")
    wait_until(lambda: settled(d, key, "feishu", 2, "delivered"), 10, "both notifications delivered")
    same_keys(d, key, "feishu", feishu)
    log = open(d.log_path, encoding="utf-8").read()
    expect(FEISHU_SECRET not in log and FEISHU_HOOK not in log, "the log holds the secret or hook")
    d.stop()


def test_robot_feishu_wrong_secret_dead():
    feishu = Feishu({FEISHU_HOOK: FEISHU_SECRET})
    d = robot_daemon({"feishu": f'kind = "feishu", url = "{feishu.url()}", '
                                f'secret = "not-the-bots-secret"'})
    dead_at_once(d, feishu, "inc-feishu-badsign", "feishu", "sign", "code 19021: sign match fail")
    d.stop()


def test_robot_feishu_rate_limit_retried():
    feishu = Feishu({FEISHU_HOOK: FEISHU_SECRET})
    feishu.force((200, Feishu.TOO_FAST))
    d = robot_daemon({"feishu": f'kind = "feishu", url = "{feishu.url()}", '
                                f'secret = "{FEISHU_SECRET}"'})
    retried_then_delivered(d, feishu, "inc-feishu-fast", "feishu")
    d.stop()


def test_robot_feishu_bad_request_is_permanent():
    """9499 "Bad Request" is not a rate limit: dead after one attempt, and the
    message goes on by the channel's fallback at once."""
    feishu, backup = Feishu({FEISHU_HOOK: FEISHU_SECRET}), Sink()
    feishu.force((200, Feishu.BAD_REQUEST))
    d = robot_daemon({"feishu": f'kind = "feishu", url = "{feishu.url()}", '
                                f'secret = "{FEISHU_SECRET}", fallback = "backup"',
                      "backup": f'kind = "webhook", url = "{backup.url()}", secret = "{SECRET}"'})
    key = "inc-feishu-9499"
    d.accept(report(key))
    ns = wait_until(lambda: settled(d, key, "feishu", 1, "dead"), 10, "the Feishu notification dead")
    expect(len(ns) == 1 and ns[0].get("attempts") == 1, f"9499 was tried again: {short(ns)}")
    expect("code 9499: Bad Request" in (ns[0].get("last_error") or ""), f"last_error: {short(ns)}")
    # The robot's send result is its receipt: refused, so none.
    expect(ns[0].get("receipt") is None, f"a refused message has a receipt: {short(ns)}")
    # (The group is on the backup channel too: its own copy has no "via".)
    wait_until(lambda: backup.webhooks(incident=key, via=["feishu"]), 10,
               "the message on the fallback")
    stays_false(lambda: len(feishu.seen()) > 1 and feishu.seen(), time.monotonic() + 1.5,
                "Feishu was asked again after 9499")
    d.stop()


# A title that is longer escaped than as it is: Chinese (three bytes each,
# sent as they are), quotes, a newline and a backslash (two bytes escaped),
# a control character (six: \u0001).  Lua source; the decoded unit is 17
# bytes, 26 escaped.
ESCAPING_TITLE_LUA = '应急\\"值班\\"\\n\\1\\\\' * 2000
ESCAPING_UNIT = '应急"值班"\n\x01\\'


def test_robot_body_limit_counts_escapes():
    """A message over the body limit once JSON-escaped is cut after escaping:
    Feishu's and DingTalk's requests stay within 20 000 bytes, are valid JSON,
    end the text with "…" (DingTalk's mentions after it), in text and markdown."""
    feishu = Feishu({FEISHU_HOOK: None})
    ding = DingTalk({DING_TOKEN: None})
    d = robot_daemon({"feishu": f'kind = "feishu", url = "{feishu.url()}"',
                      "ding_md": f'kind = "dingtalk", url = "{ding.url()}"',
                      "ding_text": f'kind = "dingtalk", url = "{ding.url()}", format = "text"'},
                     title=ESCAPING_TITLE_LUA)
    keys = [f"inc-escape-{i}" for i in range(3)]
    for i, key in enumerate(keys):
        d.accept(report(key, title="核心交换机遭受网络攻击" + "x" * i))
    for key in keys:
        for ch in ("feishu", "ding_md", "ding_text"):
            ns = wait_until(lambda: settled(d, key, ch, 1, "delivered")
                            or settled(d, key, ch, 1, "dead"), 10, f"{key} on {ch} settled")
            expect(ns[0].get("status") == "delivered", f"{key} on {ch}: {short(ns)}")
    feishu.all_good()           # the fakes refuse > 20 000 bytes and bad JSON
    ding.all_good()
    texts = [(r, r.body["content"]["text"]) for r in feishu.seen()]
    texts += [(r, (r.body.get("markdown") or r.body.get("text"))["text" if "markdown" in r.body
                                                                else "content"]) for r in ding.seen()]
    expect(len(texts) == 3 * len(keys), f"want {3 * len(keys)} requests, got {len(texts)}")
    mentions = "\n\n" + " ".join("@" + m for m in MOBILES)
    for r, text in texts:
        expect(len(r.raw) <= 20000, f"{len(r.raw)} bytes sent")
        expect(len(r.raw) > 19900, f"only {len(r.raw)} bytes: the cut wastes room")
        if "msgtype" in r.body:
            expect(text.endswith(ELLIPSIS + mentions), f"DingTalk text ends {text[-40:]!r}")
            text = text[:-len(mentions)]
        expect(text.endswith(ELLIPSIS), f"a cut text ends with …: {text[-20:]!r}")
        kept = text[:-1]
        start = kept.index("（") + 1
        expect(kept.startswith("【事件报告】") or kept.startswith("#### "), f"text starts {kept[:30]!r}")
        expect((ESCAPING_UNIT * 2000).startswith(kept[start:]) and len(kept) - start > 1000,
               f"the kept text is not a prefix of the procedure title: ...{kept[-20:]!r}")
    d.stop()


# ---------------------------------------------------------------- configuration

def test_check_robot_options():
    """tocsind --check refuses bad robot options, each with its channel."""
    base = harness.CTX.subdir("check")
    head = 'site { listen = "127.0.0.1:8470", timezone = "Asia/Shanghai", rules = {} }\n'
    good = head + "\n".join([
        'channel "a" { kind = "dingtalk", url = "https://oapi.dingtalk.com/robot/send?access_token=x", '
        'secret = "SECx", format = "text", rate = "10/1m" }',
        'channel "b" { kind = "wecom", url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", '
        'format = "markdown" }',
        'channel "c" { kind = "feishu", url = "https://open.feishu.cn/open-apis/bot/v2/hook/x", '
        'secret = "s", timeout_ms = 5000 }',
    ]) + "\n"
    bad = head + "\n".join([
        'channel "d1" { kind = "dingtalk", url = "ftp://oapi.dingtalk.com/robot/send" }',
        'channel "d2" { kind = "dingtalk", url = "https://x/robot/send", format = "html" }',
        'channel "d3" { kind = "dingtalk", secret = "SECx" }',
        'channel "w1" { kind = "wecom", url = "https://x/send?key=x", secret = "s" }',
        'channel "f1" { kind = "feishu", url = "https://x/hook/x", secret = 5 }',
    ]) + "\n"
    want = [('"d1"', '"url" must be http:// or https://'),
            ('"d2"', '"format" must be "text", "markdown" or "card"'),
            ('"d3"', '"url" is required'),
            ('"w1"', 'unknown option "secret" for kind "wecom"'),
            ('"f1"', '"secret" must be a non-empty string')]
    for name, text in (("good.lua", good), ("bad.lua", bad)):
        with open(os.path.join(base, name), "w", encoding="utf-8") as f:
            f.write(text)

    def check(name):
        r = subprocess.run([harness.TOCSIND, "-c", name, "--check"], cwd=base, capture_output=True,
                           text=True, timeout=30, env=CLEAN_ENV)
        return r.returncode, r.stdout + r.stderr

    rc, out = check("good.lua")
    expect(rc == 0, f"--check of good robot channels: exit {describe_exit(rc)}: {out.strip()!r}")
    rc, out = check("bad.lua")
    expect(rc == 1, f"--check of bad robot channels: exit {describe_exit(rc)}: {out.strip()!r}")
    for channel, message in want:
        lines = [l for l in out.splitlines() if f"channel {channel}" in l and message in l]
        expect(lines, f"--check says nothing like 'channel {channel}: {message}' in {out.strip()!r}")


# ---------------------------------------------------------------- the acknowledge button

def test_robot_cards_carry_the_ack_button():
    """With a public_url a message carries an acknowledgement link: a
    DingTalk ActionCard's singleURL, a WeCom template card's card_action and
    jump, a Feishu card's button open it; each body passes its provider's
    documented card shape.  The link opens the incident's ack page."""
    ding = DingTalk({DING_TOKEN: None})
    wecom = WeCom({WECOM_KEY})
    feishu = Feishu({FEISHU_HOOK: None})
    d = robot_daemon({
        "ding": f'kind = "dingtalk", url = "{ding.url()}", format = "card"',
        "wecom": f'kind = "wecom", url = "{wecom.url()}", format = "card"',
        "feishu": f'kind = "feishu", url = "{feishu.url()}"',
    }, public_url=True)
    key = "inc-cards"
    d.accept(report(key))
    for ch in ("ding", "wecom", "feishu"):
        ns = wait_until(lambda: settled(d, key, ch, 1, "delivered"), 10, f"the {ch} card delivered")
        # The robot's send result is the message's receipt: accepted.
        rc = ns[0].get("receipt") or {}
        expect(rc.get("status") == "accepted" and rc.get("at"), f"{ch}: receipt {short(ns)}")
    ding.all_good()
    wecom.all_good()
    feishu.all_good()
    base = f"http://127.0.0.1:{d.port}/ack/"

    ac = ding.seen()[0].body
    expect(ac.get("msgtype") == "actionCard", f"DingTalk: {short(ac)}")
    link = ac["actionCard"]["singleURL"]
    expect(link.startswith(base) and ac["actionCard"]["singleTitle"] == "确认收到",
           f"DingTalk button: {short(ac)}")
    tc = wecom.seen()[0].body
    expect(tc.get("msgtype") == "template_card", f"WeCom: {short(tc)}")
    card = tc["template_card"]
    expect(card["card_action"]["url"].startswith(base) and
           card["jump_list"][0]["url"] == card["card_action"]["url"] and
           card["jump_list"][0]["title"] == "确认收到", f"WeCom card: {short(card)}")
    fc = feishu.seen()[0].body
    expect(fc.get("msg_type") == "interactive", f"Feishu: {short(fc)}")
    buttons = [a for el in fc["card"]["elements"] if el.get("tag") == "action" for a in el["actions"]]
    expect(len(buttons) == 1 and buttons[0]["url"].startswith(base) and
           buttons[0]["text"]["content"] == "确认收到", f"Feishu button: {short(fc)}")
    # Each link is the incident's own ack page.
    for url in (link, card["card_action"]["url"], buttons[0]["url"]):
        r = d.request("GET", url[len(f"http://127.0.0.1:{d.port}"):])
        expect(r.status == 200, f"{url}: {r!r}")
    d.stop()


def test_robot_cards_without_public_url():
    """No public_url, no link: the card formats send the plain messages."""
    ding = DingTalk({DING_TOKEN: None})
    feishu = Feishu({FEISHU_HOOK: None})
    d = robot_daemon({
        "ding": f'kind = "dingtalk", url = "{ding.url()}", format = "card"',
        "feishu": f'kind = "feishu", url = "{feishu.url()}"',
    })
    key = "inc-nocards"
    d.accept(report(key))
    for ch in ("ding", "feishu"):
        wait_until(lambda: settled(d, key, ch, 1, "delivered"), 10, f"the {ch} message delivered")
    ding.all_good()
    feishu.all_good()
    expect(ding.seen()[0].body.get("msgtype") == "markdown", f"DingTalk: {short(ding.seen()[0].body)}")
    expect(feishu.seen()[0].body.get("msg_type") == "text", f"Feishu: {short(feishu.seen()[0].body)}")
    d.stop()
