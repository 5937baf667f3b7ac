"""Hostile rules against the real daemon: every sandbox escape in
tests/e2e/hostile/ is stopped with its reason recorded, a reload with rules
that attack at load time is refused, and /healthz answers within 1 s all
along."""

import glob

import harness
from harness import *

HOSTILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile")

# category -> what the event.rejected reason must say
ATTACKS = {
    "h-io": "global 'io'",
    "h-os-execute": "field 'execute'",
    "h-require": "global 'require'",
    "h-loadlib": "global 'package'",
    "h-binary": "only text chunks",
    "h-dump": "field 'dump'",
    "h-debug": "global 'debug'",
    "h-string-mt": "attempt to index a nil value",
    "h-string-mt2": "field 'dump'",
    "h-rep-bomb": "memory limit",
    "h-concat-bomb": "limit exceeded",
    "h-recursion": "",                      # stack, memory or instructions: any stop
    "h-loop": "instruction limit",
    "h-coroutine": "global 'coroutine'",
    "h-pcall-loop": "instruction limit",
    "h-xpcall-loop": "instruction limit",
    "h-gc-loop": "__gc finalizers are not allowed",
    "h-pattern": "find returned nil",       # plain find: done at once
    "h-match": "field 'match'",
    "h-gsub": "method 'gsub'",
    "h-sort": "instruction limit",
    "h-tostring": "instruction limit",
    "h-error-obj": "error object is not a string",
}


def hostile_site():
    files = {"site.lua": 'site { listen = "127.0.0.1:@PORT@", rules = { "rules" } }\n'
                         'channel "log" { kind = "log" }\n'
                         'person "qian" { name = "钱二", roles = { "office" }, channels = { "log" } }\n'}
    for path in sorted(glob.glob(os.path.join(HOSTILE, "*.lua"))):
        with open(path, encoding="utf-8") as f:
            files["rules/" + os.path.basename(path)] = f.read()
    return files


def rejected(d, key):
    return [a for a in timeline(d.incident(key), "event.rejected")]


def test_hostile_rules_are_stopped():
    """Each attack is stopped and recorded; the daemon serves throughout."""
    d = Daemon(hostile_site()).start()
    probe = HealthProbe(d)
    for category, why in ATTACKS.items():
        t = time.monotonic()
        d.accept({"type": "report", "incident": category, "category": category, "unit": "u"})
        took = time.monotonic() - t
        expect(took < 1.0, f"{category}: the report took {took:.2f}s to be answered")
        rej = rejected(d, category)
        expect(len(rej) == 1 and rej[0].get("procedure") == "hostile" and why in rej[0].get("reason", ""),
               f"{category}: want one event.rejected by 'hostile' saying {why!r}, got {short(rej)}")
        expect(d.incident(category).get("procedures") == [], f"{category}: a failed rule governs it")
    # A rule that wrecks its own chunk's globals hurts only itself.
    d.accept({"type": "report", "incident": "env", "category": "h-env", "unit": "u"})
    d.accept({"type": "report", "incident": "ok", "category": "h-harmless", "unit": "u"})
    inc = d.incident("ok")
    expect(inc.get("procedures") == ["hostile"] and not rejected(d, "ok"),
           f"the rules still work after the attacks: {short(inc)}")
    expect(timeline(inc, "notify", reason="opened", recipient="qian"), "and still tell the office")
    # The office was told of every rejected event.
    n = d.notifications(category)
    expect(n and all(x.get("role") == "office" for x in n), f"office told of the rejection: {short(n)}")
    probe.finish()
    d.stop()


def test_hostile_rules_at_load_are_refused():
    """Attacks that run while the rules load: refused, the old rules run on."""
    d = Daemon(hostile_site()).start()
    probe = HealthProbe(d)
    evil = os.path.join(d.dir, "rules", "zz-evil.lua")
    for text, why in (("while true do end\n", "instruction limit"),
                      ("setmetatable({}, { __gc = function() while true do end end })\n",
                       "__gc finalizers are not allowed"),
                      ("local t = {} while true do t[#t + 1] = string.rep('x', 1 << 20) end\n",
                       "memory limit")):
        with open(evil, "w", encoding="utf-8") as f:
            f.write(text)
        mark = len(open(d.log_path, encoding="utf-8").read())
        d.proc.send_signal(signal.SIGHUP)
        since = lambda: open(d.log_path, encoding="utf-8").read()[mark:]
        wait_until(lambda: "reload failed" in since(), 10,
                   f"the reload with {text.strip()!r} refused")
        expect(why in since(), f"the log says why ({why!r}): {since()[-600:]}")
        key = f"after-{mark}"
        d.accept({"type": "report", "incident": key, "category": "h-harmless", "unit": "u"})
        expect(d.incident(key).get("procedures") == ["hostile"], "the old rules keep running")
    os.unlink(evil)
    # A load runs on the loop: a looping rule file holds it for the whole
    # load budget (about 0.1 s as built, 1 s under the sanitizers).
    probe.finish(limit=1.0 * harness.SLOWDOWN)
    d.stop()       # closes the rule state: nothing left to run at lua_close
