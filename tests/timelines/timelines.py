#!/usr/bin/env python3
"""Every timeline the packs know, through `tocsinctl simulate`, for comparing
two builds: a refactoring that changes no behaviour prints the same bytes.

    python3 tests/timelines/timelines.py --build build --out DIR
    python3 tests/timelines/timelines.py --compare DIR_A DIR_B [--keys]

The first form writes one file per scenario under DIR: each pack's
examples (rules/P/examples/*.jsonl with rules/P/example-site.lua) and each
rule test's events (rules/P/tests/*.json, with the test's site, rules and
`until`), as simulate prints them.  The second compares two such
directories and prints the first difference of each scenario that
differs; exit status 1 if any does.  --keys ignores the notification
idempotency keys inside the actions (a change of how keys are made).
Standard library only.
"""

import argparse
import difflib
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def simulate(ctl, site, rules, events_path, until):
    args = [ctl, "simulate", "-c", site]
    for d in rules:
        args += ["--rules", d]
    args += ["--events", events_path]
    if until:
        args += ["--until", until]
    p = subprocess.run(args, capture_output=True, cwd=ROOT)
    return p.stdout + (b"# exit %d\n" % p.returncode) + p.stderr


def scenarios():
    """(name, site, rules dirs, events file or list, until)."""
    for site in sorted(glob.glob(os.path.join(ROOT, "rules", "*", "example-site.lua"))):
        pack = os.path.dirname(site)
        for ex in sorted(glob.glob(os.path.join(pack, "examples", "*.jsonl"))):
            yield (f"{os.path.basename(pack)}/examples/{os.path.basename(ex)}", site, [], ex, None)
    for path in sorted(glob.glob(os.path.join(ROOT, "rules", "*", "tests", "*.json"))):
        here = os.path.dirname(path)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        site = os.path.join(here, doc["site"])
        rules = [os.path.join(here, d) for d in doc.get("rules", [])]
        rel = os.path.relpath(path, os.path.join(ROOT, "rules"))
        for i, t in enumerate(doc["tests"]):
            yield (f"{rel}/{i + 1:03d}", site, rules, t["events"], t.get("until"))


def write_all(build, out):
    ctl = os.path.join(os.path.abspath(build), "tocsinctl")
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, site, rules, events, until in scenarios():
            if isinstance(events, list):
                path = os.path.join(tmp, "events.jsonl")
                with open(path, "w", encoding="utf-8") as f:
                    for ev in events:
                        f.write(json.dumps(ev, ensure_ascii=False) + "\n")
            else:
                path = events
            dest = os.path.join(out, name.replace("/", "__") + ".out")
            os.makedirs(out, exist_ok=True)
            with open(dest, "wb") as f:
                f.write(simulate(ctl, site, rules, path, until))
            n += 1
    print(f"{n} timelines written to {out}")


KEY = re.compile(rb'"key":"[^"]*"')


def compare(a, b, keys):
    names = sorted(set(os.listdir(a)) | set(os.listdir(b)))
    differ = 0
    for name in names:
        pa, pb = os.path.join(a, name), os.path.join(b, name)
        if not (os.path.exists(pa) and os.path.exists(pb)):
            print(f"only in one: {name}")
            differ += 1
            continue
        ta, tb = open(pa, "rb").read(), open(pb, "rb").read()
        if keys:
            ta, tb = KEY.sub(b'"key":""', ta), KEY.sub(b'"key":""', tb)
        if ta != tb:
            differ += 1
            diff = difflib.unified_diff(ta.decode("utf-8", "replace").splitlines(),
                                        tb.decode("utf-8", "replace").splitlines(),
                                        a, b, lineterm="", n=1)
            print(f"== {name}")
            print("\n".join(list(diff)[:12]))
    print(f"{len(names)} timelines, {differ} differ")
    return 1 if differ else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build")
    ap.add_argument("--out")
    ap.add_argument("--compare", nargs=2, metavar=("DIR_A", "DIR_B"))
    ap.add_argument("--keys", action="store_true")
    args = ap.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare, args.keys))
    if not (args.build and args.out):
        ap.error("--build and --out, or --compare")
    write_all(args.build, args.out)


if __name__ == "__main__":
    main()
