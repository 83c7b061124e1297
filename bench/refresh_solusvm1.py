#!/usr/bin/python3
"""refresh_solusvm1.py - how long sightlined takes to inventory a large
SolusVM 1 master.

The sibling of refresh.py for tests/emu/solusvm1_emu.py: the emulator over
TLS with --generate VPSES --nodes NODES --no-fixtures, sightlined with the
solusvm1 plugin at --concurrency, then --runs refreshes forced with
GET /v1/vps?fresh=1. A SolusVM inventory costs one vserver-infoall call per
VPS (their state and every address), so 10,000 VPSes are about 10,000
upstream calls. For every refresh it prints the refresh time sightlined
logs, the wall time of ?fresh=1, the calls sightlined made and the
emulator counted, the CPU both used, and sightlined's RSS and peak RSS.

  /usr/bin/python3 bench/refresh_solusvm1.py [--vps 10000] [--nodes 10]
      [--concurrency 16] [--runs 3] [--format json|xml]

Work files go to bench/work/refresh-solusvm1/. Not a test: it prints
figures and exits 0 unless something broke.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import harness  # noqa: E402
from refresh import LOG_RE, cpu_seconds, mem_kib, fmt_mib, describe  # noqa: E402

harness.EMULATOR = os.path.join(harness.SRCDIR, "tests", "emu",
                                "solusvm1_emu.py")
harness.FIXTURES = os.path.join(harness.SRCDIR, "tests", "fixtures",
                                "solusvm1")
CREDS = "id=sightline&key=CANARY-APIKEY-0123456789abcdef"


class Bench(harness.Env):
    def __init__(self, name):
        super().__init__(name, base=os.path.join(HERE, "work"))

    def start_emulator(self, *args, tls=True):
        super().start_emulator(*args, tls=tls, log=False, timeout=120)

    def emu_requests_count(self):
        st, body = self.emu_get("/_emu/stats?reset=1")
        if st != 200:
            raise RuntimeError("/_emu/stats: %d" % st)
        return json.loads(body)["requests"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vps", type=int, default=10000)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--format", choices=("json", "xml"), default="json")
    ap.add_argument("--timeout", type=float, default=600)
    opts = ap.parse_args()
    if not os.access(harness.SIGHTLINED, os.X_OK):
        sys.exit("no %s: run make sightlined first" % harness.SIGHTLINED)

    env = Bench("refresh-solusvm1")
    rows = []
    try:
        t0 = time.monotonic()
        env.start_emulator("--generate", str(opts.vps), "--nodes",
                           str(opts.nodes), "--no-fixtures")
        emu_ready = time.monotonic() - t0
        env.emu_requests_count()
        creds = env.path("solusvm1.cred")
        with open(creds, "w") as f:
            f.write(CREDS + "\n")
        os.chmod(creds, 0o600)
        env.write_config(env.config(panel={
            "name": "svm", "plugin": "solusvm1", "credentials": creds,
            "policy": os.path.join(harness.SRCDIR, "policies",
                                   "solusvm1.lua"),
            "concurrency": opts.concurrency, "min_refresh_interval": 0,
            "timeout": 120,
            "options": {"format": opts.format}}))
        env.daemon_err = open(env.path("sightlined.err"), "a")
        e0 = cpu_seconds(env.emu.pid)
        t0 = time.monotonic()
        env.daemon = subprocess.Popen(
            [harness.SIGHTLINED, "-f", env.conf_path],
            stdout=env.daemon_err, stderr=env.daemon_err)
        pid = env.daemon.pid

        def first():
            if env.daemon.poll() is not None:
                raise RuntimeError("sightlined exited:\n" +
                                   env.daemon_output())
            return LOG_RE.search(env.log_text())
        m = harness.wait_for(first, opts.timeout, 0.05)
        if not m:
            raise RuntimeError("no inventory:\n" + env.daemon_output())
        mem = mem_kib(pid)
        rows.append((0, int(m.group(1)), float(m.group(3)),
                     time.monotonic() - t0, int(m.group(4)),
                     env.emu_requests_count(), cpu_seconds(pid),
                     cpu_seconds(env.emu.pid) - e0, mem))
        pos = len(env.log_text())
        for run in range(1, opts.runs + 1):
            d0, e0 = cpu_seconds(pid), cpu_seconds(env.emu.pid)
            c = http.client.HTTPConnection("127.0.0.1", env.plain_port,
                                           timeout=opts.timeout)
            t0 = time.monotonic()
            c.request("GET", "/v1/vps?fresh=1",
                      headers={"Authorization": "Bearer " + env.token})
            r = c.getresponse()
            body = r.read()
            wall = time.monotonic() - t0
            c.close()
            if r.status != 200:
                raise RuntimeError("?fresh=1: %d %r" % (r.status, body[:300]))
            text = env.log_text()
            m = LOG_RE.search(text[pos:])
            pos = len(text)
            rows.append((run, len(json.loads(body)["records"]),
                         float(m.group(3)), wall, int(m.group(4)),
                         env.emu_requests_count(), cpu_seconds(pid) - d0,
                         cpu_seconds(env.emu.pid) - e0, mem_kib(pid)))
    finally:
        env.stop()

    print("sightline SolusVM 1 refresh benchmark: %d VPSes on %d nodes, "
          "emulator over TLS, format %s, concurrency %d" %
          (opts.vps, opts.nodes, opts.format, opts.concurrency))
    print(describe())
    print("emulator ready in %.1f s" % emu_ready)
    print("%-4s %6s %6s %7s %6s %9s %10s %7s %7s %7s" % (
        "run", "VPSes", "log s", "fresh s", "calls", "emu calls",
        "daemon cpu", "emu cpu", "rss MiB", "hwm MiB"))
    for run, n, log_s, wall, calls, emu, dcpu, ecpu, mem in rows:
        print("%-4s %6d %6.2f %7s %6d %9d %10.2f %7.2f %7s %7s" % (
            run, n, log_s, ("(%.2f)" if run == 0 else "%.2f") % wall, calls,
            emu, dcpu, ecpu, fmt_mib(mem["VmRSS"]), fmt_mib(mem["VmHWM"])))
    print("run 0 is the refresh at start (its wall time from exec); "
          "aim: <= 5 s, peak RSS <= 256 MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
