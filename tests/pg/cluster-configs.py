#!/usr/bin/env python3
"""The sample configurations in docs/cluster.md, checked by the programs
that read them, where they are installed (Debian's haproxy, patroni,
systemd):

    python3 tests/pg/cluster-configs.py

Each fenced block whose first line is a comment naming a path under /etc
is written to a temporary directory and checked: haproxy -c -f,
patroni --validate-config, systemd-analyze verify (the unit with the
drop-in).  A checker that is not installed is reported and skipped.
Exits 1 if any check fails."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "cluster.md")


def blocks(text):
    """{path: text} of the fenced blocks that name their file."""
    found = {}
    for body in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M):
        m = re.match(r"# (/etc/\S+)", body)
        if m:
            found[m.group(1)] = body
    return found


def run(what, argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    print(f"== {what}: {'ok' if r.returncode == 0 else 'FAILED'} ({' '.join(argv)})")
    if out:
        print("   " + out.replace("\n", "\n   "))
    return r.returncode == 0


def main():
    with open(DOC, encoding="utf-8") as f:
        files = blocks(f.read())
    tmp = tempfile.mkdtemp(prefix="tocsin-cluster-")
    ok = True
    try:
        paths = {}
        for path, body in files.items():
            local = os.path.join(tmp, path.lstrip("/").replace("/", "_"))
            with open(local, "w", encoding="utf-8") as f:
                f.write(body)
            paths[path] = local
        want = ("/etc/haproxy/haproxy.cfg", "/etc/patroni/config.yml",
                "/etc/default/etcd", "/etc/systemd/system/tocsin.service.d/cluster.conf")
        for p in want:
            if p not in paths:
                print(f"== {p}: not in docs/cluster.md")
                ok = False
        if shutil.which("haproxy"):
            ok &= run("HAProxy", ["haproxy", "-c", "-f", paths["/etc/haproxy/haproxy.cfg"]])
        else:
            print("== HAProxy: haproxy not installed, skipped")
        if shutil.which("patroni"):
            ok &= check_patroni(paths["/etc/patroni/config.yml"])
        else:
            print("== Patroni: patroni not installed, skipped")
        ok &= check_etcd(paths["/etc/default/etcd"])
        ok &= check_unit(tmp, paths["/etc/systemd/system/tocsin.service.d/cluster.conf"])
    finally:
        shutil.rmtree(tmp)
    return 0 if ok else 1


# What patroni --validate-config says that is about this machine, not the
# file: it connects to each address (a port that answers is "in use" for
# a listen address, one that does not is "not reachable" for etcd's), and
# Patroni 3.0.2's schema wants bootstrap.pg_hba where postgresql.pg_hba,
# which the sample uses and Patroni prefers, is as good.
PATRONI_HERE = ("is already in use", "is not reachable", "bootstrap.pg_hba  is not defined")


def check_patroni(path):
    r = subprocess.run(["patroni", "--validate-config", path], capture_output=True, text=True)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    real = [l for l in lines if not any(h in l for h in PATRONI_HERE)]
    print(f"== Patroni: {'ok' if not real else 'FAILED'} (patroni --validate-config)")
    for l in lines:
        print(f"   {'(this machine) ' if l not in real else ''}{l}")
    return not real


def check_etcd(path):
    """Every line a known ETCD_ variable that etcd accepts as a flag."""
    if not shutil.which("etcd"):
        print("== etcd: etcd not installed, skipped")
        return True
    flags = subprocess.run(["etcd", "--help"], capture_output=True, text=True)
    known = set(re.findall(r"--([a-z0-9-]+)", flags.stdout + flags.stderr))
    bad = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name = line.split("=", 1)[0]
            flag = name[len("ETCD_"):].lower().replace("_", "-")
            if not name.startswith("ETCD_") or flag not in known:
                bad.append(name)
    print(f"== etcd: {'ok' if not bad else 'FAILED'} (each variable a flag of etcd --help)"
          + (f": unknown {bad}" if bad else ""))
    return not bad


def check_unit(tmp, dropin):
    """tocsin.service as make install writes it, with the drop-in."""
    if not shutil.which("systemd-analyze"):
        print("== systemd: systemd-analyze not installed, skipped")
        return True
    root = os.path.join(HERE, "..", "..")
    unit_dir = os.path.join(tmp, "units")
    os.makedirs(os.path.join(unit_dir, "tocsin.service.d"))
    with open(os.path.join(root, "systemd", "tocsin.service.in"), encoding="utf-8") as f:
        unit = f.read().replace("@BINDIR@", "/bin").replace("@SYSCONFDIR@", "/etc")
    unit = unit.replace("ExecStart=/bin/tocsind", "ExecStart=/bin/true")
    with open(os.path.join(unit_dir, "tocsin.service"), "w", encoding="utf-8") as f:
        f.write(unit)
    shutil.copy(dropin, os.path.join(unit_dir, "tocsin.service.d", "cluster.conf"))
    env = dict(os.environ, SYSTEMD_UNIT_PATH=unit_dir + ":")
    r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                        os.path.join(unit_dir, "tocsin.service")],
                       capture_output=True, text=True, env=env)
    out = "\n".join(l for l in (r.stdout + r.stderr).splitlines()
                    if "tocsin" in l and "Unknown" in l or "cluster.conf" in l)
    print(f"== systemd: {'ok' if r.returncode == 0 and not out else 'FAILED'} "
          "(systemd-analyze verify, the unit with the drop-in)")
    if r.returncode != 0 or out:
        print("   " + (r.stdout + r.stderr).strip().replace("\n", "\n   "))
    return r.returncode == 0 and not out


if __name__ == "__main__":
    sys.exit(main())
