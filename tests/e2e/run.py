#!/usr/bin/env python3
"""End-to-end tests for tocsin: the real daemon, real HTTP, a real SQLite file.

    python3 tests/e2e/run.py --build build [-k SUBSTRING] [--module core,...]

With TOCSIN_E2E_PG set to a PostgreSQL server's URL, each daemon gets a
database of its own there (make check-pg; tests/pg/run.sh).

Runs every test_* function of every test_*.py beside this file, in file
order.  Each test starts its own tocsind (own temp dir, free loopback port,
own database) and, where notifications matter, its own local gateways that
record every request and check it as the real provider would.  Nothing here
sleeps blindly: waits poll with a deadline.  Standard library only.
"""

import argparse
import glob
import importlib
import inspect
import os
import shutil
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402  (after the path is set)


def discover():
    """(module name, test function) pairs in file and definition order."""
    found = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        mod = importlib.import_module(os.path.basename(path)[:-3])
        funcs = [f for name, f in vars(mod).items()
                 if name.startswith("test_") and inspect.isfunction(f)
                 and f.__module__ == mod.__name__]
        funcs.sort(key=lambda f: f.__code__.co_firstlineno)
        found.extend(funcs)
    return found


def run_one(test, base):
    """Run one test; return None or the reason it failed."""
    name = test.__name__[len("test_"):]
    harness.CTX = harness.Context(base, name)
    reason = None
    try:
        harness.expect(os.access(harness.TOCSIND, os.X_OK), f"{harness.TOCSIND} is not built")
        test()
    except harness.TestFailure as e:
        reason = str(e)
    except Exception as e:      # a crash of the harness or the daemon's socket
        tb = traceback.extract_tb(e.__traceback__)[-1]
        reason = f"{type(e).__name__}: {e} (at {os.path.basename(tb.filename)}:{tb.lineno})"
    finally:
        problems = harness.CTX.cleanup()
    if reason is None and problems:
        reason = "; ".join(problems)
    return reason


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="directory holding tocsind and tocsinctl")
    ap.add_argument("-k", default="", metavar="SUBSTRING", help="run only tests whose name contains this")
    ap.add_argument("--module", default="", metavar="NAMES",
                    help="run only the tests of these modules (comma-separated, "
                    "without test_: core,durability)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    harness.TOCSIND = os.path.join(build, "tocsind")
    harness.TOCSINCTL = os.path.join(build, "tocsinctl")
    if "asan" in build:
        harness.STARTUP_TIMEOUT = 60.0
        harness.SANITIZED = True
        harness.SLOWDOWN = 3.0

    selected = [t for t in discover() if args.k in t.__name__[len("test_"):]]
    if args.module:
        modules = {"test_" + m for m in args.module.split(",")}
        selected = [t for t in selected if t.__module__ in modules]
    base = tempfile.mkdtemp(prefix="tocsin-e2e-")
    passed = failed = 0
    for test in selected:
        name = test.__name__[len("test_"):]
        reason = run_one(test, base)
        if reason is None:
            passed += 1
            print(f"ok {name}", flush=True)
            shutil.rmtree(harness.CTX.dir, ignore_errors=True)
            continue
        failed += 1
        print(f"FAIL {name}: {reason}", flush=True)
        print(f"  (files kept in {harness.CTX.dir})")
        for line in harness.CTX.log_tails():
            print(line)
        sys.stdout.flush()
    if not failed:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
